/*
 * One agent session per ssh host per run (after mitogen for Ansible):
 * where the verified agent is on the host (exec_ssh.c's ssh_agent), the
 * first role there starts, through the shared connection, one long-lived
 * `netrig-agent session` (exec_serve.c) that starts every role of the run
 * on request and sends back its output and exit, framed; a role then
 * costs no ssh session, no login shell and no exec of the agent there.
 *
 * Here the session is held by a mux (`netrig-agent mux`, exec_relay.c),
 * and every role is a relay (`netrig-agent relay`): a process of its own,
 * started by nr_proc_start like any command, whose pid and group, pidfd,
 * stdout, stderr, stdin pipe and exit status are the role's. So the
 * runner's struct nr_proc, nr_proc_pump and nr_proc_stop stay what they
 * are for every transport, the guard ends a relay like any process if we
 * die (its end ends the role there, with its grace), and no thread or
 * event loop of ours has to demultiplex the session. The relay is a spawn
 * of a small static program here, where a per-role session costs the ssh
 * client (a dynamic program), a session there, its shell and an exec.
 *
 * The wrapper's contract holds for every role: the far side runs each one
 * under nr_exec_wrap (process group, pidfile, cgroup slot, "cannot run"
 * line, 128 + N after signal N). The session's end (closed, lost, or we
 * are gone) ends every role it carries at once. A lost session fails the
 * roles on it with a message naming the host (the relay's), and the next
 * role starts a new one. Where the session cannot start (or
 * NETRIG_SSH_SESSION=off), roles take a session each, as before.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

/* How long the session has to say it is ready (a login over the shared connection). */
#define READY_US (20 * 1000000LL)

static bool mux_ready(void *ctx)
{
	const struct nr_proc *p = ctx;

	return strstr(p->out.buf, "ready\n") != NULL || p->exited;
}

/* Forget the mux (ended, or to end); its last words as the reason, for a note. */
static char *session_end(struct nr_target *t, int64_t grace_us)
{
	struct nr_proc *procs[1] = { &t->session };
	char *why;

	if (t->session.in_fd >= 0) {
		/* its input's end: the far side ends every role still on it, at once */
		close(t->session.in_fd);
		t->session.in_fd = -1;
	}
	nr_proc_pump(procs, 1, nr_mono_us() + grace_us, 0, -1, NULL, NULL);
	nr_proc_stop(procs, 1, 200000);
	t->session.err.buf[strcspn(t->session.err.buf, "\r\n")] = '\0';
	why = nr_xstrdup(t->session.err.len ? t->session.err.buf : "it ended");
	nr_proc_release(&t->session);
	t->session_up = false;
	return why;
}

/* Start the mux and wait for the far side's hello. */
static int session_start(struct nr_target *t, struct nr_diag *d)
{
	struct nr_strvec remote = NR_STRVEC_INIT, argv = NR_STRVEC_INIT;
	char *far[] = { t->agent_path, "session", NULL };
	struct nr_exec_spec spec = { .stdin_pipe = true, .output_limit = 65536, .cgroup = t->cgroup };
	struct nr_proc *procs[1] = { &t->session };
	int r;

	if (!t->session_agent) {
		struct nr_agent a = { 0 };

		if ((r = nr_agent_find(&a, d)) < 0)
			return r;
		t->session_agent = nr_xstrdup(a.path);
		nr_agent_release(&a);
	}
	if (!t->session_sock)
		/* beside the shared connection's socket: a private directory, removed with it */
		t->session_sock = nr_xasprintf("%s/s", t->control_dir);
	nr__ssh_argv(t, far, &remote);
	nr_strvec_push(&argv, t->session_agent);
	nr_strvec_push(&argv, "mux");
	nr_strvec_push(&argv, t->session_sock);
	for (size_t i = 0; i < remote.n; i++)
		nr_strvec_push(&argv, remote.v[i]);
	spec.argv = nr_strvec_argv(&argv);
	r = nr_proc_start(&spec, &t->session, d);
	nr_strvec_clear(&argv);
	nr_strvec_clear(&remote);
	if (r < 0)
		return r;
	t->session_up = true;
	nr_proc_pump(procs, 1, nr_mono_us() + READY_US, 0, -1, mux_ready, &t->session);
	if (!strstr(t->session.out.buf, "ready\n")) {
		char *why = session_end(t, 0);

		r = nr_diagf(d, NR_EEXEC, "%s", why);
		free(why);
	}
	return r;
}

bool nr__session_ready(struct nr_target *t)
{
	const char *env = getenv("NETRIG_SSH_SESSION");
	struct nr_diag d = { 0 };
	char *why;

	if (t->session_up) {
		struct nr_proc *procs[1] = { &t->session };

		/*
		 * Still there? (one look, no wait.) A mux whose session ended
		 * removes its socket first: then it is ending, and is waited for.
		 */
		nr_proc_pump(procs, 1, nr_mono_us(), 0, -1, NULL, NULL);
		if (!t->session.exited && access(t->session_sock, F_OK) == 0)
			return true;
		why = session_end(t, 2000000);
		nr__target_note(t, nr_xasprintf("the agent session to %s was lost (%s): a new one is started",
						t->name, why));
		free(why);
	}
	if (t->session_off || !t->agent_path || !t->control_dir || !t->master_up)
		return false;
	if (env && !strcmp(env, "off")) {
		t->session_off = true;
		return false;
	}
	if (session_start(t, &d) < 0) {
		t->session_off = true;
		nr__target_note(t, nr_xasprintf("roles on %s take an ssh session each: the agent session "
						"could not start: %s", t->name, nr_diag_msg(&d)));
		return false;
	}
	return true;
}

int nr__session_start(struct nr_target *t, const struct nr_job *job, const char *dir,
		      const char *slot, struct nr_proc *ret, struct nr_diag *d)
{
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { .stdin_pipe = true, .output_limit = job->output_limit,
				     .cgroup = job->cgroup };
	size_t n_env = 0, i;
	int r;

	while (job->env && job->env[n_env])
		n_env++;
	nr_strvec_push(&argv, t->session_agent);
	nr_strvec_push(&argv, "relay");
	nr_strvec_push(&argv, t->session_sock);
	nr_strvec_push(&argv, t->name);
	/* the fields exec_serve.c's keeper reads */
	nr_strvec_push(&argv, dir);
	nr_strvec_push(&argv, job->name);
	nr_strvec_push(&argv, slot ? slot : "");
	nr_strvec_push_owned(&argv, nr_xasprintf("%lld", (long long)(job->grace_us / 100000 + 1)));
	nr_strvec_push(&argv, job->workdir ? job->workdir : "");
	nr_strvec_push(&argv, job->workdir && job->make_workdir ? "1" : "");
	nr_strvec_push_owned(&argv, nr_xasprintf("%zu", n_env));
	for (i = 0; i < n_env; i++)
		nr_strvec_push(&argv, job->env[i]);
	for (i = 0; job->argv[i]; i++)
		nr_strvec_push(&argv, job->argv[i]);
	spec.argv = nr_strvec_argv(&argv);
	r = nr_proc_start(&spec, ret, d);
	nr_strvec_clear(&argv);
	if (r == 0)
		nr_strvec_push(&t->session_jobs, job->name);
	return r;
}

/* Whether p has exited (waiting at most timeout_ms), and its exit code then (-1: a signal). */
static bool relay_exited(const struct nr_proc *p, int timeout_ms, int *ret_code)
{
	siginfo_t si;

	if (p->exited) {
		*ret_code = nr_proc_exit_code(p);
		return true;
	}
	if (p->pidfd >= 0) {
		struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };

		poll(&pf, 1, timeout_ms);
	}
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != p->pid)
		return false;
	*ret_code = si.si_code == CLD_EXITED ? si.si_status : -1;
	return true;
}

bool nr__session_stop(struct nr_target *t, const struct nr_job *job, const struct nr_proc *p)
{
	size_t i;
	int code = -1;

	for (i = 0; i < t->session_jobs.n; i++)
		if (!strcmp(t->session_jobs.v[i], job->name))
			break;
	if (i == t->session_jobs.n)
		return false;
	free(t->session_jobs.v[i]);
	t->session_jobs.v[i] = t->session_jobs.v[--t->session_jobs.n];
	t->session_jobs.v[t->session_jobs.n] = NULL;
	if (!relay_exited(p, 0, &code)) {
		if (nr__exec_hurrying()) {
			/* "now": the role ends at once there */
			if (p->in_fd >= 0 && write(p->in_fd, "now\n", 4) != 4) {
				/* the relay is gone: seen below */
			}
			relay_exited(p, 2000, &code);
		} else {
			int64_t deadline = nr_mono_us() + job->grace_us + 7000000;

			/*
			 * SIGTERM to the role's group there, and once its grace has
			 * passed the rest (exec_serve.c); the relay exits once it has
			 * ended and its group and cgroup are emptied: the kill
			 * script's contract, without its ssh session. Its output is
			 * queued in the relay meanwhile, so it never waits for us.
			 */
			kill(p->pid, SIGTERM);
			while (!relay_exited(p, 100, &code) && nr_mono_us() < deadline && !nr__exec_hurrying())
				;
		}
	}
	/* exited but for a lost session (255): the caller ends the job its own way */
	return relay_exited(p, 0, &code) && code != 255 && code != -1;
}

void nr__session_close(struct nr_target *t)
{
	if (t->session_up)
		free(session_end(t, 20000000));
	free(t->session_sock);
	t->session_sock = NULL;
	free(t->session_agent);
	t->session_agent = NULL;
	nr_strvec_clear(&t->session_jobs);
	t->session_off = false;
}
