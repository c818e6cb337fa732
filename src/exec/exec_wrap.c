/*
 * The far side's job wrapper in C (`netrig-agent wrap`), with the contract
 * of exec_ssh.c's sh wrapper, for hosts that have the agent: there a role
 * costs one exec of this static program and the fork and exec of its
 * command, where the sh wrapper costs a dynamic shell parsing its script,
 * a watcher fork and a subshell (issue 14's benchmark). stdin and the
 * command's end are watched together in one poll (a pidfd), the slot is
 * joined by the child itself, and an emptying cgroup is waited for
 * through cgroup.events, which the kernel notifies on change.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/pid.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

/* How long an emptied cgroup may take to show it (nrcg's 5 s). */
#define CG_EMPTY_US (5 * 1000000LL)

/* What the wrapper knows while its job runs. */
struct wrap {
	const struct nr_wrap_spec *spec;
	char pidfile[PATH_MAX];
	char cg[PATH_MAX];  /* the cgroup chosen (slot, or JOB beside it), "" for none */
	char run[PATH_MAX]; /* the run's cgroup: cg's parent, "" for none */
	bool joined;        /* the command runs in cg */
	pid_t pg, child;
	int pidfd;
	int status;         /* the child's wait status, once reaped */
	bool reaped;
};

/* dir/name into out; false when it does not fit (nothing of that name is ours then). */
static bool path_join(char *out, size_t size, const char *dir, const char *name)
{
	return (size_t)snprintf(out, size, "%s/%s", dir, name) < size;
}

static bool is_cgroup(const char *dir)
{
	char p[PATH_MAX + 32];

	return path_join(p, sizeof(p), dir, "cgroup.procs") && access(p, F_OK) == 0;
}

/* dir without its last n components ("" when there are fewer). */
static void strip(const char *dir, int n, char *out, size_t size)
{
	char *slash;

	snprintf(out, size, "%s", dir);
	while (n-- > 0) {
		slash = strrchr(out, '/');
		if (!slash) {
			out[0] = '\0';
			return;
		}
		*slash = '\0';
	}
}

/* mkdir -p (the last levels of a cgroup path: the run's, then the slot; a role's workdir). */
int nr__exec_mkdir_p(const char *dir)
{
	char up[PATH_MAX];

	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	strip(dir, 1, up, sizeof(up));
	if (!up[0] || nr__exec_mkdir_p(up) < 0)
		return -ENOENT;
	return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

/* "populated N" of an open cgroup.events: 1, 0, or -1 when unreadable. */
static int cg_populated(int fd)
{
	char buf[256], *p;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p ? p[10] == '1' : -1;
}

static int cg_open_events(const char *cg)
{
	char p[PATH_MAX + 32];

	if (!path_join(p, sizeof(p), cg, "cgroup.events"))
		return -1;
	return open(p, O_RDONLY | O_CLOEXEC);
}

/*
 * Wait until the cgroup cg is empty, at most until the monotonic deadline.
 * The kernel wakes a poll for POLLPRI on cgroup.events when it changes.
 */
static bool cg_wait_empty(const char *cg, int64_t deadline_us)
{
	int fd = cg_open_events(cg), v = -1;

	if (fd < 0)
		return false;
	while ((v = cg_populated(fd)) == 1) {
		int64_t left = deadline_us - nr_mono_us();
		struct pollfd pf = { .fd = fd, .events = POLLPRI };

		if (left <= 0)
			break;
		/* a kernel that notifies nothing: look again every 50 ms (nrcg's pace) */
		if (poll(&pf, 1, left > 50000 ? 50 : (int)(left / 1000) + 1) < 0 && errno != EINTR)
			break;
	}
	close(fd);
	return v == 0;
}

/* SIGKILL every process listed in dir/cgroup.procs and its children's (a kernel without cgroup.kill). */
static void cg_kill_each(const char *cg, int depth)
{
	char p[PATH_MAX + 32];
	DIR *dir;
	struct dirent *de;
	FILE *f;
	long pid;

	f = path_join(p, sizeof(p), cg, "cgroup.procs") ? fopen(p, "re") : NULL;
	if (f) {
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
		fclose(f);
	}
	if (depth > 8 || !(dir = opendir(cg)))
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (path_join(p, sizeof(p), cg, de->d_name))
			cg_kill_each(p, depth + 1);
	}
	closedir(dir);
}

/* rmdir every directory below cg (empty cgroups: the slots), and cg itself too when `self`. */
static void cg_remove(const char *cg, bool self)
{
	char p[PATH_MAX + 256];
	DIR *dir = opendir(cg);
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (path_join(p, sizeof(p), cg, de->d_name))
			rmdir(p);
	}
	if (dir)
		closedir(dir);
	if (self)
		rmdir(cg);
}

/*
 * nrcg: kill everything in cg and below, wait until it is empty (5 s at
 * most), and unless `keep` (a slot, for the next role) remove it.
 */
static void cg_end(const char *cg, bool keep)
{
	char p[PATH_MAX + 32];
	int fd;

	if (!cg[0] || !is_cgroup(cg))
		return;
	fd = path_join(p, sizeof(p), cg, "cgroup.kill") ? open(p, O_WRONLY | O_CLOEXEC) : -1;
	if (fd < 0 || write(fd, "1", 1) != 1)
		cg_kill_each(cg, 0);
	if (fd >= 0)
		close(fd);
	cg_wait_empty(cg, nr_mono_us() + CG_EMPTY_US);
	if (!keep)
		cg_remove(cg, true);
}

/*
 * The cgroup for the job (the sh wrapper's rule): the slot when it is
 * there, or can be made below a cgroup, and is empty; else a new cgroup
 * JOB beside it. w->cg stays "" when neither can be had.
 */
static void cg_choose(struct wrap *w)
{
	const char *slot = w->spec->cgroup;
	char up2[PATH_MAX], c[PATH_MAX];
	int fd, v = -1;

	if (!slot || !slot[0])
		return;
	snprintf(c, sizeof(c), "%s", slot);
	strip(c, 2, up2, sizeof(up2));
	if (is_cgroup(c) || (up2[0] && is_cgroup(up2) && nr__exec_mkdir_p(c) == 0)) {
		fd = cg_open_events(c);
		if (fd >= 0) {
			v = cg_populated(fd);
			close(fd);
		}
	}
	if (v != 0) {
		/* a slot something would not leave: a cgroup of the job's own beside it */
		strip(slot, 1, up2, sizeof(up2));
		if (!path_join(c, sizeof(c), up2, w->spec->job))
			c[0] = '\0';
		strip(c, 2, up2, sizeof(up2));
		if (!c[0] || !up2[0] || !is_cgroup(up2) || nr__exec_mkdir_p(c) < 0)
			c[0] = '\0';
	}
	snprintf(w->cg, sizeof(w->cg), "%s", c);
	/* the run's cgroup: the slot's parent (the watcher's nrrun) */
	strip(slot, 1, w->run, sizeof(w->run));
}

/* Where the program is: argv0 itself with a '/', else the first match on PATH. */
static int find_program(const char *argv0, char *path, size_t size, int *ret_status,
			struct nr_diag *d)
{
	const char *env = getenv("PATH"), *p, *end;
	struct stat st;

	if (strchr(argv0, '/')) {
		if (stat(argv0, &st) == 0 && S_ISDIR(st.st_mode)) {
			*ret_status = 126;
			return nr_diagf(d, NR_EEXEC, "%s: Is a directory", argv0);
		}
		if (stat(argv0, &st) < 0 || !S_ISREG(st.st_mode)) {
			*ret_status = 127;
			return nr_diagf(d, NR_ENOTFOUND, "%s: not found", argv0);
		}
		if (access(argv0, X_OK) < 0) {
			*ret_status = 126;
			return nr_diagf(d, NR_EEXEC, "%s: Permission denied", argv0);
		}
		snprintf(path, size, "%s", argv0);
		return 0;
	}
	/* the shell's default where PATH is unset */
	for (p = env ? env : "/usr/local/bin:/usr/bin:/bin"; argv0[0]; p = end + 1) {
		size_t len;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		/* an empty entry is the current directory */
		if ((size_t)snprintf(path, size, "%.*s%s%s", (int)len, len ? p : ".", "/", argv0) < size &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return 0;
		if (!*end)
			break;
	}
	*ret_status = 127;
	return nr_diagf(d, NR_ENOTFOUND, "%s: not found", argv0);
}

int nr__exec_shell_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 125;
}

/* Reap the child if it has ended, waiting at most timeout_ms (-1: until it ends). */
static bool child_wait(struct wrap *w, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : nr_mono_us() + (int64_t)timeout_ms * 1000;
	int ws;

	while (!w->reaped) {
		pid_t r = waitpid(w->child, &ws, WNOHANG);
		int64_t left;

		if (r == w->child) {
			w->status = ws;
			w->reaped = true;
			break;
		}
		if (r < 0 && errno != EINTR) {
			/* not ours to wait for any more: count it as ended */
			w->status = W_EXITCODE(125, 0);
			w->reaped = true;
			break;
		}
		left = deadline - nr_mono_us();
		if (left <= 0)
			break;
		if (w->pidfd >= 0) {
			struct pollfd pf = { .fd = w->pidfd, .events = POLLIN };

			/* in slices of at most a minute: poll takes milliseconds in an int */
			poll(&pf, 1, left > 60000000 ? 60000 : (int)(left / 1000) + 1);
		} else {
			/* a kernel before pidfd_open (5.3) */
			usleep(left < 10000 ? (useconds_t)left : 10000);
		}
	}
	return w->reaped;
}

/*
 * nrend as the watcher runs it (its input ended, or "now"): SIGTERM to the
 * job's group, `tenths` of grace for the command and (with a cgroup)
 * everything of it to end, then its cgroup killed and removed with the
 * run's once empty (netrig is gone), the pidfile removed, and SIGKILL to
 * the group: the wrapper, in it, ends with it.
 */
static void end_job(struct wrap *w, int tenths)
{
	int64_t deadline = nr_mono_us() + (int64_t)tenths * 100000;
	int64_t left;

	kill(-w->pg, SIGTERM);
	left = deadline - nr_mono_us();
	child_wait(w, left > 0 ? (int)(left / 1000) : 0);
	if (w->joined)
		cg_wait_empty(w->cg, deadline);
	if (w->run[0]) {
		cg_end(w->cg, false);
		cg_remove(w->run, true);
	}
	unlink(w->pidfile);
	kill(-w->pg, SIGKILL);
}

/* Read what netrig says on stdin: -1 at its end (or an error), 1 on a line "now", else 0. */
static int read_input(char *line, size_t size, size_t *len)
{
	char buf[512];
	ssize_t n = read(0, buf, sizeof(buf));
	ssize_t i;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (*len < size - 1)
				line[(*len)++] = buf[i];
			continue;
		}
		line[*len] = '\0';
		/* as sh's `read -r x`: blanks around it do not count */
		while (*len && (line[*len - 1] == ' ' || line[*len - 1] == '\t' || line[*len - 1] == '\r'))
			line[--*len] = '\0';
		if (!strcmp(line + strspn(line, " \t"), "now"))
			return 1;
		*len = 0;
	}
	return 0;
}

/*
 * The child: into the cgroup (best effort, as the sh wrapper's `echo 0 >`),
 * stdin from /dev/null, the dispositions netrig's agent changed back,
 * then the command. An exec failure's errno goes back through errfd.
 * Only async-signal-safe calls here.
 */
static void child_run(const struct wrap *w, const char *path, int errfd)
{
	char procs[PATH_MAX + 32];
	sigset_t none;
	int fd, e;

	if (w->joined) {
		size_t n = strlen(w->cg);

		if (n + sizeof("/cgroup.procs") <= sizeof(procs)) {
			memcpy(procs, w->cg, n);
			memcpy(procs + n, "/cgroup.procs", sizeof("/cgroup.procs"));
			fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, "0", 1) != 1) {
					/* the command runs outside the slot, as it would under sh */
				}
				close(fd);
			}
		}
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* execvp with a path: a file without "#!" runs under /bin/sh, as a shell runs it */
	execvp(path, w->spec->argv);
	e = errno;
	if (write(errfd, &e, sizeof(e)) != (ssize_t)sizeof(e)) {
		/* the parent then sees an exit status 127 and no reason */
	}
	_exit(127);
}

/* Start the command; its exec error (errno) or 0. */
static int start_child(struct wrap *w, const char *path, struct nr_diag *d)
{
	int ep[2], e = 0;
	ssize_t n;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return nr_diagf(d, -errno, "pipe: %s", strerror(errno));
	w->child = fork();
	if (w->child < 0) {
		e = errno;
		close(ep[0]);
		close(ep[1]);
		return nr_diagf(d, -e, "fork: %s", strerror(e));
	}
	if (w->child == 0)
		child_run(w, path, ep[1]);
	close(ep[1]);
	do
		n = read(ep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	w->pidfd = (int)syscall(SYS_pidfd_open, w->child, 0);
	if (n == (ssize_t)sizeof(e)) {
		child_wait(w, -1);
		return e;
	}
	return 0;
}

int nr_exec_wrap(const struct nr_wrap_spec *spec, int *ret_status, struct nr_diag *d)
{
	struct wrap w = { .spec = spec, .pidfd = -1 };
	char path[PATH_MAX], line[64];
	size_t len = 0;
	FILE *f;
	int r, status = 125;

	if ((r = find_program(spec->argv[0], path, sizeof(path), &status, d)) < 0)
		goto out;
	/*
	 * A group of its own, whose end ends the job (sshd made one already:
	 * the session; elsewhere one is made here, no program needed).
	 */
	if (!spec->grouped && getpgid(0) != getpid() && setsid() < 0 && setpgid(0, 0) < 0) {
		r = nr_diagf(d, -errno, "no process group of its own: %s", strerror(errno));
		goto out;
	}
	w.pg = getpgid(0);
	cg_choose(&w);
	w.joined = w.cg[0] != '\0';
	if ((size_t)snprintf(w.pidfile, sizeof(w.pidfile), "%s/%s.pid", spec->dir, spec->job) >=
	    sizeof(w.pidfile)) {
		r = nr_diagf(d, NR_EINVAL, "%s/%s.pid: name too long", spec->dir, spec->job);
		goto out;
	}
	r = -1;
	f = fopen(w.pidfile, "we");
	if (f) {
		int wrote = fprintf(f, "%d %llu %s\n", (int)getpid(),
				    (unsigned long long)nr_pid_start_ticks(getpid()), w.cg);

		r = fclose(f) != 0 || wrote < 0 ? -1 : 0;
	}
	if (r < 0) {
		r = nr_diagf(d, errno ? -errno : NR_EEXEC, "%s: %s", w.pidfile, strerror(errno));
		goto out;
	}
	/* the group's SIGTERM is for the command: the wrapper stays to clean up after it */
	signal(SIGTERM, SIG_IGN);
	if ((r = start_child(&w, path, d)) != 0) {
		if (r > 0) {
			status = r == ENOENT ? 127 : 126;
			r = nr_diagf(d, NR_EEXEC, "%s: %s", spec->argv[0], strerror(r));
		}
		if (w.joined)
			cg_end(w.cg, true);
		unlink(w.pidfile);
		goto out;
	}
	while (!w.reaped) {
		struct pollfd pf[2] = { { .fd = 0, .events = POLLIN }, { .fd = w.pidfd, .events = POLLIN } };
		int in = 0;

		if (poll(pf, w.pidfd >= 0 ? 2 : 1, w.pidfd >= 0 ? -1 : 10) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			in = read_input(line, sizeof(line), &len);
		if (in != 0)
			/* netrig is gone (-1) or in a hurry (1): does not return */
			end_job(&w, in > 0 ? 0 : spec->grace_tenths);
		child_wait(&w, 0);
	}
	child_wait(&w, -1);
	status = nr__exec_shell_status(w.status);
	/* the rest of the group, and of the cgroup (what left the group) */
	kill(-w.pg, SIGTERM);
	if (w.joined)
		cg_end(w.cg, true);
	unlink(w.pidfile);
	r = 0;
out:
	if (w.pidfd >= 0)
		close(w.pidfd);
	*ret_status = status;
	return r;
}
