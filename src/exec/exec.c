#include "exec/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"

extern char **environ;

/* The guard's pipe (write end) and pid; -1 / 0 without a guard. */
static int guard_fd = -1;
static pid_t guard_pid;

static void guard_tell(char op, pid_t pgid)
{
	char line[32];
	int n;

	if (guard_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%c%d\n", op, (int)pgid);
	/* a line is far below PIPE_BUF: written whole or not at all */
	while (write(guard_fd, line, (size_t)n) < 0 && errno == EINTR)
		;
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
enum child_stage { STAGE_STDIO, STAGE_NETNS, STAGE_WORKDIR, STAGE_EXEC };

/* In the child: only async-signal-safe calls from here on. */
static void __attribute__((noreturn))
child(const struct nr_exec_spec *spec, char **envp, int devnull, int out_w, int err_w,
      int nsfd, int errpipe_w)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD };
	sigset_t none;
	int report[2] = { STAGE_STDIO, 0 }; /* stage, errno */
	size_t i;

	setpgid(0, 0);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		goto fail;
	report[0] = STAGE_NETNS;
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		goto fail;
	report[0] = STAGE_WORKDIR;
	if (spec->workdir && chdir(spec->workdir) < 0)
		goto fail;
	report[0] = STAGE_EXEC;
	execvpe(spec->argv[0], spec->argv, envp);
fail:
	report[1] = errno;
	while (write(errpipe_w, report, sizeof(report)) < 0 && errno == EINTR)
		;
	_exit(127);
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
 * enter a namespace, so that case forks.
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

int nr_proc_start(const struct nr_exec_spec *spec, struct nr_proc *ret, struct nr_diag *d)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int devnull = -1, nsfd = -1, report[2] = { 0, 0 }, r = 0;
	char **envp = NULL;
	struct nr_proc p;
	ssize_t got;
	pid_t pid;

	memset(&p, 0, sizeof(p));
	p.pidfd = p.out_fd = p.err_fd = -1;
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
	devnull = open(spec->stdin_path ? spec->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
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
	if (nsfd < 0) {
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
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': %s", spec->argv[0], strerror(rc));
			goto out;
		}
		goto started;
	}
	pid = fork();
	if (pid < 0) {
		r = nr_diagf(d, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(spec, envp, devnull, outp[1], errp[1], nsfd, ep[1]);
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
		else if (report[0] == STAGE_STDIO)
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': redirecting its stdio: %s",
				     spec->argv[0], strerror(report[1]));
		else
			r = nr_diagf(d, NR_EEXEC, "cannot run '%s': %s", spec->argv[0],
				     strerror(report[1]));
		goto out;
	}
started:
	guard_tell('+', pid);
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
	guard_tell('-', p->pid);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->out_fd = p->err_fd = p->pidfd = -1;
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
	struct proc_list ctx = { procs, n };
	size_t i;

	for (i = 0; i < n; i++)
		if (!procs[i]->exited)
			collect(procs[i], false);
	signal_groups(procs, n, SIGTERM);
	if (grace_us < 1000)
		grace_us = 1000;
	if (nr_proc_pump(procs, n, nr_mono_us() + grace_us, 0, -1, all_gone, &ctx) == 0)
		return;
	signal_groups(procs, n, SIGKILL);
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

bool nr_port_listening_text(const char *text, int port)
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
		    st == 0x0A)
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
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

/*
 * The guard's life: read "+PGID" and "-PGID" lines; at end of file (the
 * runner is gone, however it went) end every group still listed. It sits
 * in a group of its own, away from the terminal's ^C, and holds no other
 * descriptor.
 */
static void __attribute__((noreturn)) guard_main(int rfd)
{
	pid_t live[4096];
	size_t n = 0, i;
	char buf[4096], line[32];
	size_t ll = 0;
	ssize_t got;
	int fd;

	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (fd = 3; fd < 1024; fd++)
		if (fd != rfd)
			close(fd);
	while ((got = read(rfd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < (size_t)got; i++) {
			char *end;
			long v;

			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			v = strtol(line + 1, &end, 10);
			if (v <= 1)
				continue;
			if (line[0] == '+' && n < NR_ARRAY_SIZE(live)) {
				live[n++] = (pid_t)v;
			} else if (line[0] == '-') {
				size_t k;

				for (k = 0; k < n; k++)
					if (live[k] == (pid_t)v) {
						live[k] = live[--n];
						break;
					}
			}
		}
	}
	for (i = 0; i < n; i++)
		kill(-live[i], SIGKILL);
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
static pid_t ppid_of(const char *pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *paren;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	if (!paren || sscanf(paren + 1, " %*c %d", &ppid) != 1)
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
				if (!*end && ppid_of(de->d_name) == self)
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
