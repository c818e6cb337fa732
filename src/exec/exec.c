#include "exec/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/pid.h"
#include "exec/exec_int.h"

extern char **environ;

static volatile sig_atomic_t hurry;

void nr_exec_hurry(void)
{
	hurry = 1;
}

bool nr__exec_hurrying(void)
{
	return hurry != 0;
}

/* Tell the guard of a new group, with its leader's start time. */
static void guard_add(pid_t pgid)
{
	char arg[48];

	snprintf(arg, sizeof(arg), "%d %llu", (int)pgid, (unsigned long long)nr_pid_start_ticks(pgid));
	nr__exec_guard_tell('+', arg);
}

static void guard_drop(pid_t pgid)
{
	char arg[24];

	snprintf(arg, sizeof(arg), "%d", (int)pgid);
	nr__exec_guard_tell('-', arg);
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* environ with spec->env laid over it; the strings are borrowed. */
static char **build_env(char *const *add)
{
	size_t n_env = 0, n_add = 0, i, j, k = 0;
	char **envp;

	while (environ && environ[n_env])
		n_env++;
	while (add && add[n_add])
		n_add++;
	envp = nr_xcalloc(n_env + n_add + 1, sizeof(*envp));
	for (i = 0; i < n_env; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;

		for (j = 0; j < n_add; j++)
			if (!strncmp(add[j], environ[i], len) && add[j][len] == '=')
				replaced = true;
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (j = 0; j < n_add; j++)
		envp[k++] = add[j];
	envp[k] = NULL;
	return envp;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * What the child was doing when it failed: the parent's message must not
 * call a missing workdir "cannot run 'sh': No such file or directory".
 */
enum child_stage { STAGE_STDIO, STAGE_CGROUP, STAGE_NETNS, STAGE_WORKDIR, STAGE_EXEC };

/* What child() is given: where its stdio goes, what it joins, where it reports. */
struct child_args {
	const struct nr_exec_spec *spec;
	char **envp;
	int devnull, out_w, err_w; /* its stdin, stdout, stderr */
	int nsfd;      /* the network namespace to enter, or -1 */
	int procs_fd;  /* the cgroup's cgroup.procs to move into (vfork's way), or -1 */
	int errpipe_w; /* where a failure goes: stage and errno */
};

/*
 * In the child, which shares our memory until it execs (vfork, or clone3
 * with CLONE_VM and CLONE_VFORK): only async-signal-safe calls that touch
 * nothing of the parent's, and never a return. It starts with every
 * signal blocked, and unblocks them only once none has a handler of ours.
 * Not instrumented by AddressSanitizer: started by clone3 it runs on a
 * stack ASan does not know, where it would warn at _exit and leave its
 * frames' poisoned shadow behind once the stack is unmapped.
 */
static void __attribute__((noreturn, no_sanitize_address)) child(void *arg)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD };
	const struct child_args *a = arg;
	const struct nr_exec_spec *spec = a->spec;
	struct sigaction sa;
	sigset_t none;
	int report[2] = { STAGE_STDIO, 0 }; /* stage, errno */
	size_t i;
	int sig;

	setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
			signal(sig, SIG_DFL);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(a->devnull, 0) < 0 || dup2(a->out_w, 1) < 0 || dup2(a->err_w, 2) < 0)
		goto fail;
	report[0] = STAGE_CGROUP;
	/* "0" moves the writer: into the cgroup before it can start anything */
	if (a->procs_fd >= 0 && write(a->procs_fd, "0", 1) < 0)
		goto fail;
	report[0] = STAGE_NETNS;
	if (a->nsfd >= 0 && setns(a->nsfd, CLONE_NEWNET) < 0)
		goto fail;
	report[0] = STAGE_WORKDIR;
	if (spec->workdir && chdir(spec->workdir) < 0)
		goto fail;
	report[0] = STAGE_EXEC;
	execvpe(spec->argv[0], spec->argv, a->envp);
fail:
	report[1] = errno;
	while (write(a->errpipe_w, report, sizeof(report)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/*
 * Start child(a), born inside cg when there is one (nr__exec_clone_into:
 * clone3 with CLONE_INTO_CGROUP, sharing our memory like vfork), so that
 * no migration is paid: a child that moves itself in waits in the kernel
 * for an RCU grace period, 10-25 ms, unless another move came just
 * before. Else vfork(), with a->procs_fd opened for the child to move
 * itself. Either way the child borrows our memory until it execs, so no
 * page tables are copied, which a parent that maps SQLite, libcurl and
 * OpenSSL would pay for with every command (fork costs two to three
 * times what vfork does). Every signal is blocked around it, so that no
 * handler of ours runs in the child before it has reset them. The pid,
 * or a negative code with the message in d.
 */
static pid_t start_child(struct child_args *a, const struct nr_cgroup *cg, struct nr_diag *d)
{
	const char *argv0 = a->spec->argv[0];
	sigset_t all, old;
	pid_t pid = -ENOSYS;
	size_t argc = 0;

	while (a->spec->argv[argc])
		argc++;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (cg)
		pid = nr__exec_clone_into(cg->fd, argc, child, a);
	if (pid >= 0)
		goto out;
	if (pid != -ENOSYS) {
		/* the cgroup's refusal (EAGAIN: its pids.max; EBUSY, EACCES): cgroup.procs's words */
		pid = nr_diagf(d, NR_EEXEC, "cannot run '%s': joining cgroup %s: %s", argv0, cg->path,
			       strerror(-pid));
		goto out;
	}
	if (cg) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
		a->procs_fd = open(path, O_WRONLY | O_CLOEXEC);
		if (a->procs_fd < 0) {
			pid = nr_diagf(d, NR_EEXEC, "cannot run '%s': cgroup %s: %s", argv0, cg->path,
				       strerror(errno));
			goto out;
		}
	}
	pid = vfork();
	if (pid == 0)
		child(a);
	if (pid < 0)
		pid = nr_diagf(d, -errno, "fork: %s", strerror(errno));
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/*
 * 0 when argv0 names an executable (directly, or through PATH), else the
 * errno exec would give. posix_spawn reports exec failures itself, but not
 * where vfork is emulated by fork (valgrind): then this keeps "cannot run"
 * an error rather than an exit status 127.
 */
static int find_program(const char *argv0, char *const *envp)
{
	const char *path = NULL, *p;
	char buf[4096];
	size_t i;
	int err = ENOENT;

	if (strchr(argv0, '/'))
		return access(argv0, X_OK) == 0 ? 0 : errno;
	for (i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		size_t len = strcspn(p, ":");

		if (len && len + strlen(argv0) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, argv0);
			if (access(buf, X_OK) == 0)
				return 0;
			if (errno == EACCES)
				err = EACCES;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return err;
}

/*
 * posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK) copies no page
 * tables, which matters for a parent that maps SQLite, libcurl and
 * OpenSSL: it saves a good part of a millisecond per command. It cannot
 * enter a namespace or a cgroup: those cases go through start_child.
 */
static int spawn(const struct nr_exec_spec *spec, char **envp, int devnull, int out_w, int err_w,
		 pid_t *ret_pid)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	size_t i;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);
	if (spec->workdir)
		posix_spawn_file_actions_addchdir_np(&fa, spec->workdir);
	sigemptyset(&none);
	sigemptyset(&defaults);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&defaults, sigs[i]);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);
	rc = posix_spawnp(ret_pid, spec->argv[0], &fa, &attr, spec->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* A failed exec's errno in a shell's words ("not found"), else the errno's text. */
static const char *exec_error(int err)
{
	return err == ENOENT ? "not found" : strerror(err);
}

int nr_proc_start(const struct nr_exec_spec *spec, struct nr_proc *ret, struct nr_diag *d)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int devnull = -1, nsfd = -1, report[2] = { 0, 0 }, r = 0;
	struct child_args ca = { .procs_fd = -1 };
	char **envp = NULL;
	struct nr_proc p;
	ssize_t got;
	pid_t pid;

	memset(&p, 0, sizeof(p));
	p.pidfd = p.out_fd = p.err_fd = p.in_fd = -1;
	if (!spec->argv || !spec->argv[0])
		return nr_diagf(d, NR_EINVAL, "empty command");
	if (spec->netns) {
		char path[300];

		snprintf(path, sizeof(path), "/run/netns/%s", spec->netns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			r = nr_diagf(d, -errno, "network namespace '%s': %s", spec->netns,
				     strerror(errno));
			goto out;
		}
	}
	if (spec->stdin_pipe) {
		int inp[2];

		if (pipe2(inp, O_CLOEXEC) < 0) {
			r = nr_diagf(d, -errno, "cannot set up pipes: %s", strerror(errno));
			goto out;
		}
		devnull = inp[0];
		p.in_fd = inp[1];
	} else {
		devnull = open(spec->stdin_path ? spec->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (devnull < 0 && spec->stdin_path) {
		r = nr_diagf(d, -errno, "%s: %s", spec->stdin_path, strerror(errno));
		goto out;
	}
	if (devnull < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(ep, O_CLOEXEC) < 0) {
		r = nr_diagf(d, -errno, "cannot set up pipes: %s", strerror(errno));
		goto out;
	}
	envp = build_env(spec->env);
	if (nsfd < 0 && !spec->cgroup) {
		struct stat stt;
		int rc;

		/* posix_spawn reports a failed chdir as the exec's error: name it first */
		if (spec->workdir && (stat(spec->workdir, &stt) < 0 || !S_ISDIR(stt.st_mode))) {
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': workdir '%s': %s", spec->argv[0],
				     spec->workdir, errno ? strerror(errno) : "not a directory");
			goto out;
		}
		rc = find_program(spec->argv[0], envp);
		if (rc == 0)
			rc = spawn(spec, envp, devnull, outp[1], errp[1], &pid);

		if (rc != 0) {
			r = nr_diagf(d, NR_EEXEC, "%s: %s", spec->argv[0], exec_error(rc));
			goto out;
		}
		goto started;
	}
	ca = (struct child_args){ .spec = spec, .envp = envp, .devnull = devnull, .out_w = outp[1],
				  .err_w = errp[1], .nsfd = nsfd, .procs_fd = -1, .errpipe_w = ep[1] };
	pid = start_child(&ca, spec->cgroup, d);
	if (pid < 0) {
		r = pid;
		goto out;
	}
	setpgid(pid, pid); /* also here, so a signal sent right away reaches the group */
	close(ep[1]);
	ep[1] = -1;
	do
		got = read(ep[0], report, sizeof(report));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(report)) {
		waitpid(pid, NULL, 0);
		if (report[0] == STAGE_WORKDIR)
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': workdir '%s': %s", spec->argv[0],
				     spec->workdir, strerror(report[1]));
		else if (report[0] == STAGE_NETNS)
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': entering network namespace '%s': %s",
				     spec->argv[0], spec->netns, strerror(report[1]));
		else if (report[0] == STAGE_CGROUP)
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': joining cgroup %s: %s", spec->argv[0],
				     spec->cgroup->path, strerror(report[1]));
		else if (report[0] == STAGE_STDIO)
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': redirecting its stdio: %s",
				     spec->argv[0], strerror(report[1]));
		else
			r = nr_diagf(d, NR_EEXEC, "%s: %s", spec->argv[0], exec_error(report[1]));
		goto out;
	}
started:
	guard_add(pid);
	p.pid = pid;
	p.pidfd = pidfd_open_(pid);
	p.out_fd = outp[0];
	p.err_fd = errp[0];
	outp[0] = errp[0] = -1;
	set_nonblock(p.out_fd);
	set_nonblock(p.err_fd);
	nr_buf_init(&p.out, spec->output_limit);
	nr_buf_init(&p.err, spec->output_limit);
	p.start_us = nr_mono_us();
	*ret = p;
out:
	free(envp);
	if (r < 0 && p.in_fd >= 0)
		close(p.in_fd);
	if (ca.procs_fd >= 0)
		close(ca.procs_fd);
	if (nsfd >= 0)
		close(nsfd);
	if (devnull >= 0)
		close(devnull);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return r;
}

/*
 * Notice an exit without reaping (WNOWAIT): the zombie keeps the pid and
 * the process group id ours until reap(), so signalling the group later
 * can never hit an unrelated process that got the number again.
 */
static void collect(struct nr_proc *p, bool block)
{
	siginfo_t si;
	int r;

	if (p->exited)
		return;
	memset(&si, 0, sizeof(si));
	do
		r = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
	while (r < 0 && errno == EINTR);
	if (r < 0 || si.si_pid != p->pid)
		return;
	p->exited = true;
	p->end_us = nr_mono_us();
	if (si.si_code == CLD_EXITED) {
		p->exit_code = si.si_status;
		p->term_signal = 0;
	} else {
		p->exit_code = -1;
		p->term_signal = si.si_status;
	}
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

void nr_proc_reap(struct nr_proc *p)
{
	if (p->reaped || p->pid <= 0)
		return;
	if (!p->exited) {
		kill(-p->pid, SIGKILL);
		collect(p, true);
	}
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	p->reaped = true;
	guard_drop(p->pid);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->in_fd >= 0)
		close(p->in_fd);
	p->out_fd = p->err_fd = p->pidfd = p->in_fd = -1;
}

/* Read what is there; returns false at end of file. */
static bool drain(int *fd, struct nr_buf *b)
{
	char tmp[65536];

	for (;;) {
		ssize_t n = read(*fd, tmp, sizeof(tmp));

		if (n > 0) {
			nr_buf_add(b, tmp, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		close(*fd);
		*fd = -1;
		return false;
	}
}

struct proc_list {
	struct nr_proc *const *procs;
	size_t n;
};

static bool all_gone(void *ctx)
{
	struct proc_list *c = ctx;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!c->procs[i]->exited || c->procs[i]->out_fd >= 0 || c->procs[i]->err_fd >= 0)
			return false;
	return true;
}

int nr_proc_pump(struct nr_proc *const *procs, size_t n, int64_t deadline_us,
		 int64_t tick_us, int cancel_fd, bool (*done)(void *ctx), void *ctx)
{
	struct pollfd *pfd = nr_xcalloc(3 * n + 1, sizeof(*pfd));
	struct proc_list all = { procs, n };
	int r = 0;

	if (!done) {
		done = all_gone;
		ctx = &all;
	}

	for (;;) {
		size_t k = 0, i;
		int64_t now, wait_us;
		int timeout_ms, got;

		if (done && done(ctx))
			break;
		if (hurry) {
			r = NR_EINTR;
			break;
		}
		now = nr_mono_us();
		if (deadline_us && now >= deadline_us) {
			r = NR_ETIMEOUT;
			break;
		}
		for (i = 0; i < n; i++) {
			pfd[k++] = (struct pollfd){ .fd = procs[i]->out_fd, .events = POLLIN };
			pfd[k++] = (struct pollfd){ .fd = procs[i]->err_fd, .events = POLLIN };
			pfd[k++] = (struct pollfd){ .fd = procs[i]->exited ? -1 : procs[i]->pidfd,
						    .events = POLLIN };
		}
		pfd[k++] = (struct pollfd){ .fd = cancel_fd, .events = POLLIN };
		wait_us = deadline_us ? deadline_us - now : -1;
		if (tick_us > 0 && (wait_us < 0 || tick_us < wait_us))
			wait_us = tick_us;
		/* without a pidfd (old kernels) exits are found by polling */
		for (i = 0; i < n; i++)
			if (!procs[i]->exited && procs[i]->pidfd < 0 && (wait_us < 0 || wait_us > 10000))
				wait_us = 10000;
		timeout_ms = wait_us < 0 ? -1 : (int)((wait_us + 999) / 1000);
		got = poll(pfd, k, timeout_ms);
		if (got < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (cancel_fd >= 0 && (pfd[k - 1].revents & (POLLIN | POLLHUP))) {
			r = NR_EINTR;
			break;
		}
		for (i = 0; i < n; i++) {
			struct nr_proc *p = procs[i];

			if (p->out_fd >= 0 && pfd[3 * i].revents)
				drain(&p->out_fd, &p->out);
			if (p->err_fd >= 0 && pfd[3 * i + 1].revents)
				drain(&p->err_fd, &p->err);
			if (!p->exited)
				collect(p, false);
		}
	}
	free(pfd);
	return r;
}

static void signal_groups(struct nr_proc *const *procs, size_t n, int sig)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct nr_proc *p = procs[i];

		if (p->reaped)
			continue;
		/* the group may outlive its leader; kill(-pgid) reaches what is left */
		if (kill(-p->pid, sig) == 0 && !p->exited)
			p->stopped_by_us = true;
	}
}

void nr_proc_stop(struct nr_proc *const *procs, size_t n, int64_t grace_us)
{
	nr_proc_stop_in(procs, n, NULL, grace_us);
}

void nr_proc_stop_in(struct nr_proc *const *procs, size_t n, const struct nr_cgroup *cg,
		     int64_t grace_us)
{
	struct proc_list ctx = { procs, n };
	size_t i;

	for (i = 0; i < n; i++)
		if (!procs[i]->exited)
			collect(procs[i], false);
	if (grace_us < 1000)
		grace_us = 1000;
	if (!hurry) {
		signal_groups(procs, n, SIGTERM);
		if (cg)
			nr_cgroup_signal(cg, SIGTERM);
		if (nr_proc_pump(procs, n, nr_mono_us() + grace_us, 0, -1, all_gone, &ctx) == 0)
			return;
	}
	signal_groups(procs, n, SIGKILL);
	if (cg)
		nr_cgroup_kill(cg, grace_us);
	for (i = 0; i < n; i++)
		collect(procs[i], true);
	/* pipes held by a process outside the group stay open: stop reading */
	nr_proc_pump(procs, n, nr_mono_us() + grace_us, 0, -1, all_gone, &ctx);
	for (i = 0; i < n; i++) {
		if (procs[i]->out_fd >= 0) {
			close(procs[i]->out_fd);
			procs[i]->out_fd = -1;
		}
		if (procs[i]->err_fd >= 0) {
			close(procs[i]->err_fd);
			procs[i]->err_fd = -1;
		}
	}
}

void nr_proc_release(struct nr_proc *p)
{
	nr_proc_reap(p);
	nr_buf_release(&p->out);
	nr_buf_release(&p->err);
}

int nr_exec_run(const struct nr_exec_spec *spec, int64_t timeout_us, int *ret_code,
		struct nr_buf *out, struct nr_buf *err, struct nr_diag *d)
{
	struct nr_proc p, *procs[1] = { &p };
	int r = nr_proc_start(spec, &p, d);

	if (r < 0)
		return r;
	r = nr_proc_pump(procs, 1, nr_mono_us() + timeout_us, 0, -1, NULL, NULL);
	nr_proc_stop(procs, 1, 200000); /* ends what is left; reads the pipes to the end */
	if (r == 0 && p.exited)
		*ret_code = p.term_signal ? 128 + p.term_signal : p.exit_code;
	else if (r == 0 || r == NR_ETIMEOUT)
		r = nr_diagf(d, NR_ETIMEOUT, "'%s' did not finish within %.1f s", spec->argv[0],
			     (double)timeout_us / 1e6);
	if (out)
		nr_buf_add(out, p.out.buf, p.out.len);
	if (err)
		nr_buf_add(err, p.err.buf, p.err.len);
	nr_proc_release(&p);
	return r;
}

bool nr_proc_exec_failure(const struct nr_proc *p, char *buf, size_t size)
{
	const struct nr_buf *e = &p->err;
	size_t end = e->len, start;
	const size_t mark = sizeof(NR_EXEC_FAILED_MARK) - 1;

	if (!p->exited || (nr_proc_exit_code(p) != 127 && nr_proc_exit_code(p) != 126))
		return false;
	while (end && e->buf[end - 1] == '\n')
		end--;
	start = end;
	while (start && e->buf[start - 1] != '\n')
		start--;
	if (end - start <= mark || memcmp(e->buf + start, NR_EXEC_FAILED_MARK, mark) != 0)
		return false;
	snprintf(buf, size, "%.*s", (int)(end - start - mark), e->buf + start + mark);
	return true;
}

int nr_proc_exit_code(const struct nr_proc *p)
{
	return p->exit_code;
}

int nr_proc_signal(const struct nr_proc *p)
{
	return p->term_signal;
}

const char *nr_proc_describe(const struct nr_proc *p, char *buf, size_t size)
{
	if (!p->exited)
		snprintf(buf, size, "still running");
	else if (!p->term_signal)
		snprintf(buf, size, "exit %d", p->exit_code);
	else
		snprintf(buf, size, "signal %d (%s)", p->term_signal, strsignal(p->term_signal));
	return buf;
}

/* A socket on local port `port` in /proc/net/tcp-format text: LISTEN only, or in any state. */
static bool port_in_text(const char *text, int port, bool listen_only)
{
	const char *line = text;

	/* "  sl  local_address rem_address   st ..." with hex "ADDR:PORT" and st 0A = LISTEN */
	while (line && *line) {
		const char *colon = strchr(line, ':'), *nl = strchr(line, '\n');
		unsigned int lport, st;

		if (colon && (!nl || colon < nl))
			colon = strchr(colon + 1, ':');
		if (colon && (!nl || colon < nl) &&
		    sscanf(colon + 1, "%x %*s %x", &lport, &st) == 2 && (int)lport == port &&
		    (st == 0x0A || !listen_only))
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

bool nr_port_listening_text(const char *text, int port)
{
	return port_in_text(text, port, true);
}

bool nr_port_bound_text(const char *text, int port)
{
	return port_in_text(text, port, false);
}

static bool listening_in(const char *path, int port)
{
	struct nr_buf b = NR_BUF_INIT;
	bool found;

	if (nr_buf_read_file(&b, path) < 0) {
		nr_buf_release(&b);
		return false;
	}
	found = nr_port_listening_text(b.buf, port);
	nr_buf_release(&b);
	return found;
}

bool nr_port_listening(pid_t pid, int port)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	if (listening_in(path, port))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/net/tcp6", (int)pid);
	return listening_in(path, port);
}

int nr_free_port(int *ret_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		r = -errno;
	else
		*ret_port = ntohs(a.sin_port);
	close(fd);
	return r;
}
