/*
 * Processes that must not outlive the run: the subreaper, the orphan
 * reaper, and the guard, a process of its own that ends what the run
 * started when the run's process dies, however it dies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/pid.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

/* What the guard keeps at most (the numbers are far above what one run uses). */
#define GUARD_GROUPS 4096
#define GUARD_PATHS 16

/* The guard's pipe (write end) and pid; -1 / 0 without a guard. */
static int guard_fd = -1;
static pid_t guard_pid;

void nr__exec_guard_tell(char op, const char *arg)
{
	char line[PATH_MAX + 4];
	int n;

	if (guard_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%c%s\n", op, arg);
	if (n < 0 || n >= (int)sizeof(line))
		return;
	/* a line of at most PIPE_BUF bytes is written whole or not at all */
	while (write(guard_fd, line, (size_t)n) < 0 && errno == EINTR)
		;
}

void nr_exec_guard_dir(const char *dir, bool watch)
{
	nr__exec_guard_tell(watch ? 'd' : 'D', dir);
}

void nr__exec_remove_dir(const char *path)
{
	char file[PATH_MAX];
	DIR *dir = opendir(path);
	struct dirent *de;

	if (dir) {
		while ((de = readdir(dir)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    snprintf(file, sizeof(file), "%s/%s", path, de->d_name) < (int)sizeof(file))
				unlink(file);
		closedir(dir);
	}
	rmdir(path);
}

/* The guard's lists: process groups with their leaders' start times, and paths. */
struct guard_state {
	pid_t pgid[GUARD_GROUPS];
	uint64_t start[GUARD_GROUPS];
	size_t n;
	char cgroups[GUARD_PATHS][PATH_MAX];
	char dirs[GUARD_PATHS][PATH_MAX];
};

static void path_set(char (*list)[PATH_MAX], const char *path, bool add)
{
	size_t i;

	for (i = 0; i < GUARD_PATHS; i++) {
		if (add && !list[i][0]) {
			snprintf(list[i], PATH_MAX, "%s", path);
			return;
		}
		if (!add && !strcmp(list[i], path)) {
			list[i][0] = '\0';
			return;
		}
	}
}

static void guard_line(struct guard_state *g, char *line)
{
	char *end;
	long v;
	size_t k;

	switch (line[0]) {
	case '+':
	case '-':
		v = strtol(line + 1, &end, 10);
		if (v <= 1)
			return;
		if (line[0] == '+' && g->n < GUARD_GROUPS) {
			g->pgid[g->n] = (pid_t)v;
			g->start[g->n++] = strtoull(end, NULL, 10);
			return;
		}
		for (k = 0; k < g->n; k++)
			if (g->pgid[k] == (pid_t)v) {
				g->n--;
				g->pgid[k] = g->pgid[g->n];
				g->start[k] = g->start[g->n];
				break;
			}
		return;
	case 'c':
	case 'C':
		path_set(g->cgroups, line + 1, line[0] == 'c');
		return;
	case 'd':
	case 'D':
		path_set(g->dirs, line + 1, line[0] == 'd');
		return;
	}
}

void nr__exec_close_fds(int low, int keep)
{
	long max = sysconf(_SC_OPEN_MAX), fd;

	/* close_range (Linux 5.9): two calls around `keep`, each one system call */
	if (keep < low) {
		if (syscall(SYS_close_range, (unsigned)low, ~0U, 0) == 0)
			return;
	} else if ((keep == low || syscall(SYS_close_range, (unsigned)low, (unsigned)keep - 1, 0) == 0) &&
		   syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0) {
		return;
	}
	/* before 5.9 one by one, up to the descriptor limit (at most 65536 tries) */
	for (fd = low; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		if (fd != keep)
			close((int)fd);
}

/*
 * The guard's life: read lines (exec_int.h); at end of file (the runner is
 * gone, however it went) end every group still listed, then the cgroups
 * (which hold what left its group), then remove the directories. It sits
 * in a group of its own, away from the terminal's ^C, and holds no other
 * descriptor.
 */
static void __attribute__((noreturn)) guard_main(int rfd)
{
	static struct guard_state g;
	char buf[4096], line[PATH_MAX + 4];
	size_t ll = 0, i;
	ssize_t got;

	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	nr__exec_close_fds(3, rfd);
	while ((got = read(rfd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < (size_t)got; i++) {
			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			guard_line(&g, line);
		}
	}
	for (i = 0; i < g.n; i++) {
		uint64_t now = nr_pid_start_ticks(g.pgid[i]);

		/*
		 * A leader alive with another start time is another process that
		 * got the number: not ours. A leader gone leaves the number taken
		 * for as long as its group has members, so -pgid reaches only ours.
		 */
		if (now && g.start[i] && now != g.start[i])
			continue;
		kill(-g.pgid[i], SIGKILL);
	}
	for (i = 0; i < GUARD_PATHS; i++)
		if (g.cgroups[i][0])
			nr__cgroup_kill_path(g.cgroups[i], 5 * 1000000LL, true);
	for (i = 0; i < GUARD_PATHS; i++)
		if (g.dirs[i][0])
			nr__exec_remove_dir(g.dirs[i]);
	_exit(0);
}

int nr_exec_guard_start(void)
{
	int pfd[2];
	pid_t pid;

	if (guard_fd >= 0)
		return 0;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		close(pfd[1]);
		guard_main(pfd[0]);
	}
	close(pfd[0]);
	guard_fd = pfd[1];
	guard_pid = pid;
	return 0;
}

void nr_exec_become_subreaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* The parent pid from /proc/PID/stat; the name may hold ')' so read after the last one. */
static pid_t ppid_of(pid_t pid)
{
	char buf[1024];
	const char *p = nr_pid_stat_fields(pid, buf, sizeof(buf));
	int ppid = -1;

	if (!p || sscanf(p, "%*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/*
 * Our children, from /proc/self/task/TID/children (a few bytes, where a
 * scan of /proc costs milliseconds); 0 when the kernel lacks that file.
 */
static size_t children_of_self(pid_t *out, size_t max, bool *ret_supported)
{
	char path[64], buf[4096], *p, *end;
	size_t n = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	*ret_supported = fd >= 0;
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (p = buf; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		out[n++] = (pid_t)v;
	}
	return n;
}

static bool kept(pid_t pid, const pid_t *keep, size_t n_keep)
{
	size_t i;

	for (i = 0; i < n_keep; i++)
		if (keep[i] == pid)
			return true;
	return false;
}

int nr_exec_reap_orphans(const pid_t *keep, size_t n_keep)
{
	pid_t self = getpid(), kids[512];
	int found = 0, round;
	bool supported;

	/* killing one may orphan its children to us: go round a few times */
	for (round = 0; round < 8; round++) {
		size_t n = children_of_self(kids, NR_ARRAY_SIZE(kids), &supported), i;
		int this_round = 0;

		if (!supported) {
			/* no children file: scan /proc for our children */
			DIR *dir = opendir("/proc");
			struct dirent *de;

			if (!dir)
				return found;
			while ((de = readdir(dir)) != NULL && n < NR_ARRAY_SIZE(kids)) {
				char *end;
				pid_t pid;

				if (de->d_name[0] < '1' || de->d_name[0] > '9')
					continue;
				pid = (pid_t)strtol(de->d_name, &end, 10);
				if (!*end && ppid_of(pid) == self)
					kids[n++] = pid;
			}
			closedir(dir);
		}
		for (i = 0; i < n; i++) {
			if (kept(kids[i], keep, n_keep) || kids[i] == guard_pid)
				continue;
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			this_round++;
		}
		found += this_round;
		if (!this_round)
			break;
	}
	return found;
}
