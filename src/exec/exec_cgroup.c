/*
 * cgroup v2 for a run's processes: a case's roles start inside a cgroup
 * of their own (clone3 with CLONE_INTO_CGROUP, exec_clone.c: born there;
 * where the kernel or a seccomp filter refuses it, the vfork'd child
 * writes itself into cgroup.procs before it execs), and whatever they start
 * stays in it, whether it calls setsid, forks twice or daemonizes; writing
 * "1" to its cgroup.kill (Linux 5.14) ends all of it at once. This is what
 * process groups cannot do: a process leaves its group with one setsid().
 *
 * Where the hierarchy is: the "cgroup2" line of /proc/self/mountinfo
 * (/sys/fs/cgroup on a pure v2 system, /sys/fs/cgroup/unified beside the
 * v1 controllers on a hybrid one), and our place in it: the "0::" line of
 * /proc/self/cgroup. A run's cgroup goes below our own, so it stays inside
 * whatever limits the caller runs under. See the kernel's
 * Documentation/admin-guide/cgroup-v2.rst ("cgroup.kill", "Delegation").
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
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

/* How long a kill may take before the cgroup is declared stuck. */
#define KILL_WAIT_US (5 * 1000000LL)

/* "\040" and friends in /proc/self/mountinfo's paths, decoded in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * The cgroup2 mount from mountinfo text: its mount point and the cgroup
 * path it shows at that point ("/" unless a subtree is mounted).
 */
static bool find_mount(char *text, char **ret_point, char **ret_root)
{
	char *line, *next;

	for (line = text; line && *line; line = next) {
		char *f[6], *sep, *p = line;
		int i;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE ..." */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (i = 0; i < 6 && p; i++) {
			f[i] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = '\0';
		}
		if (i < 6)
			continue;
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		*ret_root = f[3];
		*ret_point = f[4];
		return true;
	}
	return false;
}

int nr__cgroup_dir_from(char *mountinfo, char *proc_cgroup, char **ret, struct nr_diag *d)
{
	char *point = NULL, *root = NULL, *path = NULL, *line, *next;
	size_t rl;

	if (!find_mount(mountinfo, &point, &root))
		return nr_diagf(d, NR_EUNSUPPORTED, "no cgroup v2 hierarchy is mounted");
	for (line = proc_cgroup; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "0::", 3))
			path = line + 3;
	}
	if (!path)
		return nr_diagf(d, NR_EUNSUPPORTED, "this process has no cgroup v2 (no 0:: line in /proc/self/cgroup)");
	rl = strcmp(root, "/") ? strlen(root) : 0;
	if (rl && (strncmp(path, root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0')))
		return nr_diagf(d, NR_EUNSUPPORTED, "our cgroup %s is outside the one mounted at %s", path,
				point);
	path += rl;
	*ret = nr_xasprintf("%s%s", point, strcmp(path, "/") && path[0] ? path : "");
	return 0;
}

/* Our own cgroup's directory. */
static int own_dir(char **ret, struct nr_diag *d)
{
	struct nr_buf mi = NR_BUF_INIT, cg = NR_BUF_INIT;
	int r;

	if (nr_buf_read_file(&mi, "/proc/self/mountinfo") < 0 ||
	    nr_buf_read_file(&cg, "/proc/self/cgroup") < 0)
		r = nr_diagf(d, NR_EUNSUPPORTED, "cannot read /proc/self/mountinfo or /proc/self/cgroup");
	else
		r = nr__cgroup_dir_from(mi.buf, cg.buf, ret, d);
	nr_buf_release(&mi);
	nr_buf_release(&cg);
	return r;
}

/* "populated 1" in cgroup.events: something is still in it or below. */
static bool populated(int events_fd)
{
	char buf[256];
	ssize_t n = pread(events_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

/* Send sig to every pid listed in path's cgroup.procs and, to depth, below. */
static void signal_each(const char *path, int sig, int depth)
{
	char file[PATH_MAX], buf[4096];
	DIR *dir;
	struct dirent *de;
	ssize_t n;
	int fd;

	if (snprintf(file, sizeof(file), "%s/cgroup.procs", path) >= (int)sizeof(file))
		return;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			char *p = buf, *end;

			buf[n] = '\0';
			for (;;) {
				long v = strtol(p, &end, 10);

				if (end == p)
					break;
				if (v > 1)
					kill((pid_t)v, sig);
				p = end;
			}
		}
		close(fd);
	}
	if (depth <= 0 || !(dir = opendir(path)))
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(file, sizeof(file), "%s/%s", path, de->d_name) < (int)sizeof(file))
			signal_each(file, sig, depth - 1);
	}
	closedir(dir);
}

/* rmdir the cgroups below path, deepest first, then path itself. */
static int remove_tree(const char *path, int depth)
{
	char sub[PATH_MAX];
	DIR *dir;
	struct dirent *de;
	int i;

	if (depth <= 8 && (dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) < (int)sizeof(sub))
				remove_tree(sub, depth + 1);
		}
		closedir(dir);
	}
	/* the last process's exit may still be on its way out: EBUSY for a moment */
	for (i = 0; i < 50; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(2000);
	}
	return -EBUSY;
}

int nr__cgroup_kill_path(const char *path, int64_t timeout_us, bool remove)
{
	char file[PATH_MAX];
	int64_t deadline = nr_mono_us() + timeout_us;
	int fd, events, r = 0, round = 0;

	if (snprintf(file, sizeof(file), "%s/cgroup.events", path) >= (int)sizeof(file))
		return -ENAMETOOLONG;
	events = open(file, O_RDONLY | O_CLOEXEC);
	if (events < 0)
		return errno == ENOENT ? 0 : -errno; /* gone already */
	snprintf(file, sizeof(file), "%s/cgroup.kill", path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			r = -errno;
		close(fd);
	}
	/* kernels before cgroup.kill: SIGKILL each pid, a few rounds for new forks */
	if (fd < 0 || r < 0)
		signal_each(path, SIGKILL, 8);
	r = 0;
	while (populated(events)) {
		struct pollfd p = { .fd = events, .events = POLLPRI };
		int64_t left = deadline - nr_mono_us();

		if (left <= 0) {
			r = NR_ETIMEOUT;
			break;
		}
		/* cgroup.events signals a change with POLLPRI; look again at least every 20 ms */
		poll(&p, 1, left > 20000 ? 20 : (int)(left / 1000) + 1);
		if (fd < 0 && ++round % 5 == 0)
			signal_each(path, SIGKILL, 8);
	}
	close(events);
	if (r == 0 && remove)
		r = remove_tree(path, 0);
	return r;
}

static struct nr_cgroup *cgroup_of(char *path, struct nr_diag *d)
{
	struct nr_cgroup *cg;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		nr_diagf(d, -errno, "%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	cg = nr_xcalloc(1, sizeof(*cg));
	cg->path = path;
	cg->fd = fd;
	return cg;
}

/* mkdir path as a fresh cgroup: one left by a killed run of the same name is ended first. */
static int make(const char *path, struct nr_diag *d)
{
	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno == EEXIST) {
		int r = nr__cgroup_kill_path(path, KILL_WAIT_US, true);

		if (r < 0)
			return nr_diagf(d, r, "%s is left from before and cannot be removed: %s", path,
					nr_strerror(r));
		if (mkdir(path, 0755) == 0)
			return 0;
	}
	return nr_diagf(d, NR_EUNSUPPORTED, "cannot create %s: %s", path, strerror(errno));
}

int nr_cgroup_open_run(const char *name, struct nr_cgroup **ret, struct nr_diag *d)
{
	const char *env = getenv("NETRIG_CGROUP");
	struct nr_cgroup *cg;
	char *own = NULL, *path, file[PATH_MAX];
	int r;

	if (env && !strcmp(env, "off"))
		return nr_diagf(d, NR_EUNSUPPORTED, "NETRIG_CGROUP=off");
	if ((r = own_dir(&own, d)) < 0)
		return r;
	path = nr_xasprintf("%s/%s", own, name);
	free(own);
	if ((r = make(path, d)) < 0) {
		free(path);
		return r;
	}
	/* moving a process in takes write access to its cgroup.procs (and to a common ancestor's) */
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	if (access(file, W_OK) < 0) {
		r = nr_diagf(d, NR_EUNSUPPORTED, "%s: %s", file, strerror(errno));
		rmdir(path);
		free(path);
		return r;
	}
	if (!(cg = cgroup_of(path, d)))
		return NR_EUNSUPPORTED;
	nr__exec_guard_tell('c', cg->path);
	cg->watched = true;
	*ret = cg;
	return 0;
}

int nr_cgroup_new(const struct nr_cgroup *parent, const char *name, struct nr_cgroup **ret,
		  struct nr_diag *d)
{
	char *path = nr_xasprintf("%s/%s", parent->path, name);
	struct nr_cgroup *cg;
	int r;

	if ((r = make(path, d)) < 0) {
		free(path);
		return r;
	}
	if (!(cg = cgroup_of(path, d)))
		return NR_EUNSUPPORTED;
	*ret = cg;
	return 0;
}

int nr_cgroup_kill(const struct nr_cgroup *cg, int64_t timeout_us)
{
	return nr__cgroup_kill_path(cg->path, timeout_us, false);
}

void nr_cgroup_signal(const struct nr_cgroup *cg, int sig)
{
	signal_each(cg->path, sig, 0);
}

void nr_cgroup_free(struct nr_cgroup *cg)
{
	if (!cg)
		return;
	nr__cgroup_kill_path(cg->path, KILL_WAIT_US, true);
	if (cg->watched)
		nr__exec_guard_tell('C', cg->path);
	close(cg->fd);
	free(cg->path);
	free(cg);
}
