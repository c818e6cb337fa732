/*
 * The lab's bookkeeping: its state file, commands run to completion, and
 * finding and ending the processes it started (by pid, checked in /proc).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/pid.h"
#include "exec/exec.h"
#include "lab/lab_internal.h"

#define RUN_TIMEOUT_US (10 * 1000000LL)
#define RUN_OUTPUT_LIMIT ((size_t)1 << 20)

/* ---- state file ---- */

void nr__lab_state_init(struct nr__lab_state *st, const struct nr_lab *lab)
{
	memset(st, 0, sizeof(*st));
	st->n = lab->n_hosts;
	st->sshd_pid = nr_xcalloc(st->n ? st->n : 1, sizeof(*st->sshd_pid));
	st->sshd_start = nr_xcalloc(st->n ? st->n : 1, sizeof(*st->sshd_start));
}

void nr__lab_state_release(struct nr__lab_state *st)
{
	free(st->sshd_pid);
	free(st->sshd_start);
	memset(st, 0, sizeof(*st));
}

/* "sshd.HOST.pid" / "sshd.HOST.start": the host's index, or -1. */
static int sshd_key(const struct nr_lab *lab, const char *key, const char *suffix)
{
	size_t i, len;

	if (!nr_starts_with(key, "sshd."))
		return -1;
	key += 5;
	for (i = 0; i < lab->n_hosts; i++) {
		len = strlen(lab->hosts[i].name);
		if (!strncmp(key, lab->hosts[i].name, len) && key[len] == '.' &&
		    !strcmp(key + len + 1, suffix))
			return (int)i;
	}
	return -1;
}

int nr__lab_state_read(const struct nr_lab *lab, struct nr__lab_state *st, struct nr_diag *d)
{
	struct nr_buf buf = NR_BUF_INIT;
	char *line, *next, *eq;
	uint64_t v;
	int r, i;

	r = nr_buf_read_file(&buf, lab->state);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = nr_diagf(d, r, "%s: cannot read: %s", lab->state, nr_strerror(r));
		goto out;
	}
	st->exists = true;
	for (line = buf.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = '\0';
		if (nr_parse_u64(eq + 1, UINT64_MAX, &v) < 0)
			continue;
		if (!strcmp(line, "complete"))
			st->complete = v == 1;
		else if (!strcmp(line, "made_run_sshd"))
			st->made_run_sshd = v == 1;
		else if ((i = sshd_key(lab, line, "pid")) >= 0 && v > 0 && v < (1u << 30))
			st->sshd_pid[i] = (pid_t)v;
		else if ((i = sshd_key(lab, line, "start")) >= 0)
			st->sshd_start[i] = v;
	}
out:
	nr_buf_release(&buf);
	return r;
}

int nr__lab_state_write(const struct nr_lab *lab, const struct nr__lab_state *st,
			struct nr_diag *d)
{
	struct nr_buf b = NR_BUF_INIT;
	char *tmp = nr_xasprintf("%s.tmp", lab->state);
	size_t i;
	int fd = -1, r = 0;

	nr_buf_addf(&b, "# netrig lab state: what `netrig lab up` made; read by `netrig lab down`\n");
	nr_buf_addf(&b, "lab=%s\n", lab->name);
	nr_buf_addf(&b, "made_run_sshd=%d\n", st->made_run_sshd ? 1 : 0);
	for (i = 0; i < st->n; i++)
		if (st->sshd_pid[i])
			nr_buf_addf(&b, "sshd.%s.pid=%d\nsshd.%s.start=%llu\n", lab->hosts[i].name,
				    (int)st->sshd_pid[i], lab->hosts[i].name,
				    (unsigned long long)st->sshd_start[i]);
	nr_buf_addf(&b, "complete=%d\n", st->complete ? 1 : 0);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, b.buf, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		r = nr_diagf(d, -errno, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, lab->state) < 0)
		r = nr_diagf(d, -errno, "%s: cannot rename: %s", tmp, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	nr_buf_release(&b);
	return r;
}

/* ---- commands run to completion ---- */

int nr__lab_run(const char *netns, const char *const *argv, struct nr_buf *out,
		struct nr_diag *d)
{
	struct nr_exec_spec spec = {
		.argv = (char *const *)argv,
		.netns = netns,
		.output_limit = RUN_OUTPUT_LIMIT,
	};
	struct nr_buf cmd = NR_BUF_INIT, o = NR_BUF_INIT, e = NR_BUF_INIT;
	int code = 0, r;
	size_t i;

	r = nr_exec_run(&spec, RUN_TIMEOUT_US, &code, &o, &e, d);
	for (i = 0; argv[i]; i++)
		nr_buf_addf(&cmd, "%s%s", i ? " " : "", argv[i]);
	if (r == NR_ETIMEOUT) {
		r = nr_diag_set(d, NR_ETIMEOUT, "'%s'%s%s: no exit after %lld s", cmd.buf,
				netns ? " in " : "", netns ? netns : "", RUN_TIMEOUT_US / 1000000);
	} else if (r == 0 && code != 0) {
		/* the first line of stderr says why: "RTNETLINK answers: File exists" */
		e.buf[strcspn(e.buf, "\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "'%s'%s%s: %s %d%s%s", cmd.buf, netns ? " in " : "",
			     netns ? netns : "", code > 128 ? "signal" : "exit",
			     code > 128 ? code - 128 : code, e.buf[0] ? ": " : "", e.buf);
	} else if (r == 0 && out) {
		nr_buf_add(out, o.buf, o.len);
	}
	nr_buf_release(&cmd);
	nr_buf_release(&o);
	nr_buf_release(&e);
	return r;
}

/* ---- /proc ---- */

static char proc_state(pid_t pid, pid_t *ret_ppid)
{
	char buf[512], st;
	const char *p = nr_pid_stat_fields(pid, buf, sizeof(buf));
	int ppid = 0;

	if (!p || sscanf(p, "%c %d", &st, &ppid) != 2)
		return 0;
	if (ret_ppid)
		*ret_ppid = ppid;
	return st;
}

static bool exe_is_sshd(pid_t pid)
{
	char path[64], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, NR_LAB_SSHD);
}

bool nr__lab_is_our_sshd(pid_t pid, uint64_t start, const char *config)
{
	char path[64];
	struct nr_buf b = NR_BUF_INIT;
	size_t i;
	bool ok = false;

	if (pid <= 0 || !exe_is_sshd(pid))
		return false;
	if (start && nr_pid_start_ticks(pid) != start)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (nr_buf_read_file(&b, path) < 0)
		goto out;
	/*
	 * sshd's listener rewrites its title ("sshd: /usr/sbin/sshd -D ...
	 * [listener] ..."), so look for the config path in the whole text.
	 */
	for (i = 0; i < b.len; i++)
		if (b.buf[i] == '\0')
			b.buf[i] = ' ';
	ok = strstr(b.buf, config) != NULL;
out:
	nr_buf_release(&b);
	return ok;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Calls fn for every pid in /proc. */
static void each_pid(void (*fn)(pid_t pid, void *ctx), void *ctx)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	uint64_t v;

	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (all_digits(e->d_name) && nr_parse_u64(e->d_name, 1u << 30, &v) == 0)
			fn((pid_t)v, ctx);
	closedir(dir);
}

struct other_sshd {
	const pid_t *skip;
	size_t n_skip;
	bool found;
};

static void other_sshd_fn(pid_t pid, void *ctx)
{
	struct other_sshd *o = ctx;
	size_t i;

	for (i = 0; i < o->n_skip; i++)
		if (o->skip[i] == pid)
			return;
	if (proc_state(pid, NULL) != 'Z' && exe_is_sshd(pid))
		o->found = true;
}

bool nr__lab_other_sshd_runs(const pid_t *skip, size_t n_skip)
{
	struct other_sshd o = { skip, n_skip, false };

	each_pid(other_sshd_fn, &o);
	return o.found;
}

void nr__pidset_add(struct nr__pidset *s, pid_t pid)
{
	if (pid <= 0 || nr__pidset_has(s, pid))
		return;
	NR_GROW(s->v, s->n + 1, s->cap);
	s->v[s->n++] = pid;
}

bool nr__pidset_has(const struct nr__pidset *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return true;
	return false;
}

void nr__pidset_release(struct nr__pidset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct parents {
	pid_t *pid, *ppid;
	size_t n, cap, cap2;
};

static void parents_fn(pid_t pid, void *ctx)
{
	struct parents *p = ctx;
	pid_t ppid = 0;

	if (!proc_state(pid, &ppid))
		return;
	NR_GROW(p->pid, p->n + 1, p->cap);
	NR_GROW(p->ppid, p->n + 1, p->cap2);
	p->pid[p->n] = pid;
	p->ppid[p->n++] = ppid;
}

void nr__lab_descendants(pid_t pid, struct nr__pidset *s)
{
	struct parents p = { 0 };
	struct nr__pidset tree = { 0 };
	size_t i, k;

	each_pid(parents_fn, &p);
	nr__pidset_add(&tree, pid);
	/* breadth first over the snapshot: tree grows while it is walked */
	for (k = 0; k < tree.n; k++)
		for (i = 0; i < p.n; i++)
			if (p.ppid[i] == tree.v[k])
				nr__pidset_add(&tree, p.pid[i]);
	for (k = 1; k < tree.n; k++)
		nr__pidset_add(s, tree.v[k]);
	nr__pidset_release(&tree);
	free(p.pid);
	free(p.ppid);
}

struct in_netns {
	dev_t dev;
	ino_t ino;
	struct nr__pidset *s, *skip;
	size_t added;
};

static void netns_fn(pid_t pid, void *ctx)
{
	struct in_netns *w = ctx;
	struct stat st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0 || st.st_dev != w->dev || st.st_ino != w->ino)
		return;
	if (nr__pidset_has(w->skip, pid) || nr__pidset_has(w->s, pid))
		return;
	nr__pidset_add(w->s, pid);
	w->added++;
}

size_t nr__lab_netns_pids(const char *ns_path, struct nr__pidset *s)
{
	struct nr__pidset skip = { 0 };
	struct in_netns w = { .s = s, .skip = &skip };
	struct stat st;
	pid_t pid = getpid(), ppid;

	if (stat(ns_path, &st) < 0)
		return 0;
	w.dev = st.st_dev;
	w.ino = st.st_ino;
	while (pid > 1) {
		nr__pidset_add(&skip, pid);
		ppid = 0;
		if (!proc_state(pid, &ppid))
			break;
		pid = ppid;
	}
	each_pid(netns_fn, &w);
	nr__pidset_release(&skip);
	return w.added;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_kill(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Gone, or a zombie (reaped here when it is our child). */
static bool ended(pid_t pid)
{
	char st = proc_state(pid, NULL);

	if (st == 'Z' || st == 'X')
		waitpid(pid, NULL, WNOHANG);
	return st == 0 || st == 'Z' || st == 'X';
}

static bool wait_ended(const pid_t *pids, const int *fds, size_t n, int64_t deadline_us)
{
	size_t i;
	bool all;

	for (;;) {
		all = true;
		for (i = 0; i < n; i++)
			if (fds[i] >= 0 && !ended(pids[i]))
				all = false;
		if (all || nr_mono_us() >= deadline_us)
			return all;
		poll(NULL, 0, 10);
	}
}

size_t nr__lab_kill(const struct nr__pidset *s, int64_t grace_us)
{
	int *fds = nr_xcalloc(s->n ? s->n : 1, sizeof(*fds));
	size_t i, signalled = 0;

	/* pidfds first: from here on a pid reused by someone else cannot be hit */
	for (i = 0; i < s->n; i++)
		fds[i] = pidfd_open_(s->v[i]);
	for (i = 0; i < s->n; i++)
		if (fds[i] >= 0 && pidfd_kill(fds[i], SIGTERM) == 0)
			signalled++;
	if (!wait_ended(s->v, fds, s->n, nr_mono_us() + grace_us)) {
		for (i = 0; i < s->n; i++)
			if (fds[i] >= 0 && !ended(s->v[i]))
				pidfd_kill(fds[i], SIGKILL);
		wait_ended(s->v, fds, s->n, nr_mono_us() + 2000000);
	}
	for (i = 0; i < s->n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return signalled;
}

/* ---- daemons ---- */

/* In the child: only async-signal-safe calls. */
static void __attribute__((noreturn))
daemon_child(const char *const *argv, int nsfd, int logfd, int devnull, int go_r, int err_w)
{
	char go = 0;
	ssize_t got;
	int e;

	setsid();
	signal(SIGPIPE, SIG_DFL);
	do
		got = read(go_r, &go, 1);
	while (got < 0 && errno == EINTR);
	if (got != 1 || go != 'g')
		_exit(1); /* the parent died or could not record this pid */
	if (dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		goto fail;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		goto fail;
	if (chdir("/") < 0)
		goto fail;
	execv(argv[0], (char *const *)argv);
fail:
	e = errno;
	while (write(err_w, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

int nr__lab_spawn(const char *netns, const char *const *argv, const char *log,
		  int (*record)(pid_t pid, void *ctx), void *ctx, pid_t *ret_pid,
		  struct nr_diag *d)
{
	int go[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int nsfd = -1, logfd = -1, devnull = -1, child_errno = 0, r = 0;
	char path[300];
	ssize_t got;
	sigset_t all, old;
	pid_t pid;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nsfd < 0 || logfd < 0 || devnull < 0) {
		r = nr_diagf(d, -errno, "cannot start %s in %s: %s", argv[0], netns,
			     strerror(errno));
		goto out;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		r = nr_diagf(d, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	/* signals stay blocked in the child until it has reset them (exec resets handlers) */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		static const int sigs[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD };
		size_t i;

		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(go[1]);
		close(ep[0]);
		daemon_child(argv, nsfd, logfd, devnull, go[0], ep[1]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		r = nr_diagf(d, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	close(go[0]);
	close(ep[1]);
	go[0] = ep[1] = -1;
	r = record(pid, ctx);
	if (r < 0) {
		/* closing go[1] without a byte makes the child exit */
		close(go[1]);
		go[1] = -1;
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (write(go[1], "g", 1) != 1) {
		r = nr_diagf(d, -errno, "cannot start %s: %s", argv[0], strerror(errno));
		goto out;
	}
	close(go[1]);
	go[1] = -1;
	do
		got = read(ep[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		r = nr_diagf(d, NR_EEXEC, "cannot run '%s' in %s: %s", argv[0], netns,
			     strerror(child_errno));
		goto out;
	}
	*ret_pid = pid;
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (nsfd >= 0)
		close(nsfd);
	if (logfd >= 0)
		close(logfd);
	if (devnull >= 0)
		close(devnull);
	return r;
}
