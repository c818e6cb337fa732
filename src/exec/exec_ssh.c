/*
 * Commands on other machines through the system's OpenSSH client, so that
 * users' ~/.ssh/config, agents and known_hosts work as they expect.
 * Connections are shared (ControlMaster) in a private directory: after the
 * first, a command costs one round trip (~8 ms here instead of ~230 ms).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "exec/exec.h"

/*
 * The remote wrapper, run as `sh -c WRAPPER WRAPPER MODE PIDFILE CMD...`
 * (its own text is $0, so that it can start itself again). The command
 * must be in a process group of its own: killing that group is how the
 * remote side is ended, since ssh without a terminal sends no hangup when
 * the local client goes away. OpenSSH's sshd already starts every session
 * in a new session and group, so the shell it runs (which execs this sh)
 * leads one and nothing more is needed; elsewhere (a check of the group in
 * /proc/$$/stat) `setsid -w` makes one, at the cost of two more programs
 * started. MODE "g" says that was done. The wrapper notes its pid (the
 * group id) in the pidfile while the command runs; when the command ends
 * by itself it ends the rest of its group and empties the file (a builtin,
 * where `rm` would start one more program per command): a role netrig stops
 * needs another round trip, and the empty files go at the end of the run
 * (the runner removes them, one round trip per host).
 */
static const char wrapper[] =
	"m=$1 f=$2; shift 2; "
	"if [ \"$m\" != g ]; then pg=; read -r _ _ _ _ pg _ < /proc/$$/stat 2>/dev/null; "
	"[ \"$pg\" = $$ ] || exec setsid -w sh -c \"$0\" \"$0\" g \"$f\" \"$@\"; fi; "
	"echo $$ > \"$f\" || exit 125; \"$@\"; rc=$?; "
	/* the command ended by itself: end what it left in its group too */
	"trap '' TERM; kill -TERM -$$ 2>/dev/null; : > \"$f\"; exit $rc";

/* The ssh command and every option, up to (not including) "--" and the destination. */
static void ssh_options(const struct nr_target *t, const char *control_master, struct nr_strvec *ret)
{
	const char *ssh = getenv("NETRIG_SSH");
	size_t i;

	if (!ssh || !*ssh || nr_split_words(ssh, ret, NULL) < 0 || !ret->n) {
		nr_strvec_clear(ret);
		nr_strvec_push(ret, "ssh");
	}
	nr_strvec_push(ret, "-T");
	nr_strvec_push(ret, "-o");
	nr_strvec_push(ret, "BatchMode=yes");
	nr_strvec_push(ret, "-o");
	nr_strvec_push(ret, "ServerAliveInterval=5");
	nr_strvec_push(ret, "-o");
	nr_strvec_push(ret, "ServerAliveCountMax=3");
	nr_strvec_push(ret, "-o");
	nr_strvec_push(ret, "ConnectTimeout=10");
	if (t->control_path) {
		nr_strvec_push(ret, "-o");
		nr_strvec_push_owned(ret, nr_xasprintf("ControlMaster=%s", control_master));
		nr_strvec_push(ret, "-o");
		nr_strvec_push_owned(ret, nr_xasprintf("ControlPath=%s", t->control_path));
	}
	if (t->port) {
		nr_strvec_push(ret, "-p");
		nr_strvec_push_owned(ret, nr_xasprintf("%d", t->port));
	}
	if (t->user) {
		nr_strvec_push(ret, "-l");
		nr_strvec_push(ret, t->user);
	}
	if (t->identity) {
		nr_strvec_push(ret, "-i");
		nr_strvec_push(ret, t->identity);
	}
	if (t->jump) {
		nr_strvec_push(ret, "-J");
		nr_strvec_push(ret, t->jump);
	}
	for (i = 0; t->ssh_options && t->ssh_options[i]; i++) {
		nr_strvec_push(ret, "-o");
		nr_strvec_push(ret, t->ssh_options[i]);
	}
}

void nr_ssh_base_argv(const struct nr_target *t, struct nr_strvec *ret)
{
	/*
	 * Only nr_ssh_master_start makes the shared connection: a master that
	 * ssh forked into the background would be re-parented to us and ended
	 * with a case's leftovers.
	 */
	ssh_options(t, "no", ret);
	nr_strvec_push(ret, "--");
	nr_strvec_push(ret, t->address);
}

void nr_ssh_command_argv(const struct nr_target *t, char *const *argv, char *const *env,
			 const char *workdir, const char *pidfile, struct nr_strvec *ret)
{
	struct nr_buf cmd = NR_BUF_INIT;
	size_t i;

	nr_ssh_base_argv(t, ret);
	if (workdir) {
		nr_buf_adds(&cmd, "cd ");
		nr_shell_quote(&cmd, workdir);
		nr_buf_adds(&cmd, " && ");
	}
	if (pidfile) {
		nr_buf_adds(&cmd, "exec sh -c ");
		nr_shell_quote(&cmd, wrapper);
		nr_buf_addch(&cmd, ' ');
		nr_shell_quote(&cmd, wrapper);
		nr_buf_adds(&cmd, " - ");
		nr_shell_quote(&cmd, pidfile);
		nr_buf_addch(&cmd, ' ');
	} else {
		nr_buf_adds(&cmd, "exec ");
	}
	if (env && env[0]) {
		nr_buf_adds(&cmd, "env");
		for (i = 0; env[i]; i++) {
			nr_buf_addch(&cmd, ' ');
			nr_shell_quote(&cmd, env[i]);
		}
		nr_buf_addch(&cmd, ' ');
	}
	for (i = 0; argv[i]; i++) {
		if (i)
			nr_buf_addch(&cmd, ' ');
		/* "--" keeps a word that starts with '-' from being taken by env */
		if (i == 0 && env && env[0] && argv[0][0] == '-')
			nr_buf_adds(&cmd, "-- ");
		nr_shell_quote(&cmd, argv[i]);
	}
	nr_strvec_push_owned(ret, nr_buf_detach(&cmd, NULL));
}

int nr_target_run(const struct nr_target *t, char *const *argv, int64_t timeout_us,
		  size_t limit, int *ret_code, struct nr_buf *out, struct nr_buf *err,
		  struct nr_diag *d)
{
	struct nr_strvec full = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { .argv = argv, .output_limit = limit };
	int r;

	if (t->kind == NR_TARGET_SSH) {
		nr_ssh_command_argv(t, argv, NULL, NULL, NULL, &full);
		spec.argv = full.v;
	} else if (t->kind == NR_TARGET_NETNS) {
		spec.netns = t->netns;
	}
	r = nr_exec_run(&spec, timeout_us, ret_code, out, err, d);
	nr_strvec_clear(&full);
	if (r == NR_ETIMEOUT)
		nr_diagf(d, r, "%s", t->name ? t->name : "host");
	return r;
}

int nr_ssh_kill_group(const struct nr_target *t, const char *pidfile, int64_t grace_us,
		      struct nr_diag *d)
{
	/*
	 * $1 the pidfile, $2 tenths of a second to wait between TERM and KILL.
	 * "kill -SIG -PGID", not "kill -SIG -- -PGID": dash's kill takes no "--".
	 */
	static const char script[] =
		"f=$1; [ -f \"$f\" ] || exit 0; p=$(cat \"$f\"); "
		"case $p in ''|*[!0-9]*) rm -f \"$f\"; exit 0;; esac; "
		"if kill -TERM \"-$p\" 2>/dev/null; then i=0; "
		"while [ $i -lt \"$2\" ] && kill -0 \"-$p\" 2>/dev/null; do sleep 0.1; i=$((i+1)); done; "
		"kill -KILL \"-$p\" 2>/dev/null; fi; rm -f \"$f\"; exit 0";
	char tenths[24];
	char *argv[] = { "sh", "-c", (char *)script, "netrig-kill", (char *)pidfile, tenths, NULL };
	int code = 0, r;

	snprintf(tenths, sizeof(tenths), "%lld", (long long)(grace_us / 100000 + 1));
	r = nr_target_run(t, argv, grace_us + 15000000, 4096, &code, NULL, NULL, d);
	if (r == 0 && code != 0)
		r = nr_diagf(d, NR_EEXEC, "%s: ending the remote process group failed (exit %d)",
			     t->name ? t->name : t->address, code);
	return r;
}

void nr_ssh_close(const struct nr_target *t)
{
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { 0 };
	struct nr_proc p, *procs[1] = { &p };
	size_t i;

	if (t->kind != NR_TARGET_SSH || !t->control_path)
		return;
	nr_ssh_base_argv(t, &argv);
	/* "-O exit" goes before "--" and the destination */
	for (i = 0; i < argv.n; i++)
		if (!strcmp(argv.v[i], "--"))
			break;
	if (i == argv.n) {
		nr_strvec_clear(&argv);
		return;
	}
	free(argv.v[i]);
	argv.v[i] = nr_xstrdup("-O");
	free(argv.v[i + 1]);
	argv.v[i + 1] = nr_xstrdup("exit");
	nr_strvec_push(&argv, t->address);
	spec.argv = argv.v;
	spec.output_limit = 4096;
	if (nr_proc_start(&spec, &p, NULL) == 0) {
		nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, NULL, NULL);
		nr_proc_stop(procs, 1, 100000);
		nr_proc_release(&p);
	}
	nr_strvec_clear(&argv);
}

bool nr_target_port_listening(const struct nr_target *t, pid_t local_pid, int port)
{
	char *argv[] = { "cat", "/proc/net/tcp", "/proc/net/tcp6", NULL };
	struct nr_buf out = NR_BUF_INIT;
	int code = 0;
	bool found;

	if (t->kind != NR_TARGET_SSH)
		return nr_port_listening(local_pid, port);
	if (nr_target_run(t, argv, 10000000, 4 << 20, &code, &out, NULL, NULL) < 0) {
		nr_buf_release(&out);
		return false;
	}
	found = nr_port_listening_text(out.buf, port);
	nr_buf_release(&out);
	return found;
}

int nr_ssh_master_start(const struct nr_target *t, int64_t timeout_us, struct nr_proc *ret,
			struct nr_diag *d)
{
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { 0 };
	int64_t deadline = nr_mono_us() + timeout_us;
	int r;

	if (!t->control_path)
		return nr_diagf(d, NR_EINVAL, "no control path");
	unlink(t->control_path); /* a socket left by an earlier master */
	/* "-N": no command, only the connection; in the foreground, so it stays our child */
	ssh_options(t, "yes", &argv);
	nr_strvec_push(&argv, "-N");
	nr_strvec_push(&argv, "--");
	nr_strvec_push(&argv, t->address);
	spec.argv = argv.v;
	spec.output_limit = 65536;
	r = nr_proc_start(&spec, ret, d);
	nr_strvec_clear(&argv);
	if (r < 0)
		return r;
	while (nr_mono_us() < deadline) {
		struct nr_proc *procs[1] = { ret };

		if (access(t->control_path, F_OK) == 0)
			return 0;
		nr_proc_pump(procs, 1, nr_mono_us() + 10000, 0, -1, NULL, NULL);
		if (ret->exited)
			break;
	}
	{
		struct nr_proc *procs[1] = { ret };

		nr_proc_stop(procs, 1, 200000);
		ret->err.buf[strcspn(ret->err.buf, "\r\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "%s: no shared connection%s%s", t->name ? t->name : t->address,
			     ret->err.len ? ": " : "", ret->err.buf);
		nr_proc_release(ret);
	}
	return r;
}
