/*
 * Commands on other machines through the system's OpenSSH client, so that
 * users' ~/.ssh/config, agents and known_hosts work as they expect.
 * Connections are shared (ControlMaster) in a private directory: after the
 * first, a command costs one round trip (~8 ms here instead of ~230 ms).
 *
 * A role on the far side runs under a wrapper that keeps its pidfile in
 * the run's private state directory there, puts it in a cgroup of its own
 * where it can, and ends it when its ssh session goes away, so nothing of
 * a case outlives it on the host whatever happens to netrig. Where the
 * host takes netrig's static agent (same architecture, sha256sum there to
 * check it; copied once per host, as for {netrig}), the wrapper is the
 * agent's (`netrig-agent wrap`, exec_wrap.c): per role one exec of a
 * static program and the command's fork and exec. Elsewhere it is the sh
 * wrapper below, with the same contract: sh and a few POSIX programs, no
 * netrig needed, at the cost of a shell's exec and its parsing of the
 * script, a watcher fork and (with a cgroup) a subshell per role: on the
 * 2-CPU VMs of issue 14's benchmark one fork and exec costs about 2 ms.
 * The state, kill and close scripts stay sh under both. Where the agent
 * is there, the run's roles on the host do not even take an ssh session
 * each: they go through the host's agent session (exec_session.c), with
 * the agent's wrapper's contract; this per-role path is its fallback
 * (NETRIG_SSH_SESSION=off, a session that cannot start, no agent).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/pid.h"
#include "base/clock.h"
#include "base/mem.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
#include "net/net.h"

/*
 * The far side's shell library, put in front of every script below. All
 * builtins but `sleep`, `rmdir` and `rm`, which run only when there is
 * something to wait for or remove.
 *
 * nrstat PID: pg, its process group, and s, its start time (field 22 of
 * /proc/PID/stat, after the last ')' since the name may hold anything);
 * both empty when it is gone. A pid read back is trusted only with its
 * start time, as netrig's own nr_pid_start_ticks does here.
 *
 * nrcg DIR [keep]: kill everything in the cgroup DIR and below
 * (cgroup.kill, or each pid where the kernel predates it), wait until it
 * is empty (5 s at most), remove it (and its children), unless "keep": a
 * role's slot stays for the next role (see slot_take). Only a directory
 * with a cgroup.procs is touched.
 *
 * nrend FILE TENTHS: end the job of the pidfile FILE ("PID START CGROUP",
 * written by the wrapper): SIGTERM to its process group, SIGKILL after
 * TENTHS tenths of a second, its cgroup (kept as a slot, unless $nrrun
 * is set: the watcher's, netrig is gone; then the run's cgroup $nrrun and
 * its empty slots go too), and remove FILE. The group is
 * signalled only when its leader is the process the wrapper was (same
 * start time), or is gone: a group id stays taken while the group has
 * members, so then -PID reaches only what is left of ours. The SIGKILL
 * comes last because the watcher that calls it on a lost session is in
 * that group itself.
 *
 * nrno PROGRAM WHY STATUS: the wrapper's "cannot run" line (the marker
 * nr_proc_exec_failure reads) and exit STATUS (127, 126 as a shell).
 *
 * nrsweep DIR: nrend every pidfile in a run's state directory, then kill
 * and remove the run's cgroup (named in DIR/cgroup): what a killed run left.
 */
#define SH_LIB \
	"nrno() { echo \"" NR_EXEC_FAILED_MARK "$1: $2\" >&2; exit $3; }\n" \
	"nrstat() { s=; pg=; read -r s < \"/proc/$1/stat\" || s=; s=${s##*) }; set -- $s; " \
	"pg=${3:-}; s=${20:-}; } 2>/dev/null\n" \
	"nrcg() { [ -f \"$1/cgroup.procs\" ] || return 0; " \
	"echo 1 > \"$1/cgroup.kill\" || for p in $(cat \"$1/cgroup.procs\" \"$1\"/*/cgroup.procs); " \
	"do kill -KILL \"$p\"; done; i=0; " \
	"while [ $i -lt 100 ] && read -r _ v < \"$1/cgroup.events\" && [ \"$v\" = 1 ]; " \
	"do sleep 0.05; i=$((i+1)); done; [ \"${2:-}\" = keep ] || rmdir \"$1\"/*/ \"$1\"; } 2>/dev/null\n" \
	"nrend() { l=; k=; read -r l < \"$1\"; set -- \"$1\" \"$2\" $l; " \
	"if [ -n \"${3:-}\" ]; then nrstat \"$3\"; " \
	"if [ -z \"$s\" ] || [ \"$s\" = \"${4:-}\" ]; then k=$3; " \
	"if kill -TERM \"-$3\"; then i=0; " \
	"while [ $i -lt \"$2\" ] && kill -0 \"-$3\"; do sleep 0.1; i=$((i+1)); done; fi; fi; fi; " \
	"if [ -z \"${nrrun:-}\" ]; then [ -n \"${5:-}\" ] && nrcg \"$5\" keep; " \
	"else [ -n \"${5:-}\" ] && nrcg \"$5\"; rmdir \"$nrrun\"/*/ \"$nrrun\"; fi; rm -f \"$1\"; " \
	"[ -n \"$k\" ] && kill -KILL \"-$k\"; " \
	"return 0; } 2>/dev/null\n" \
	"nrsweep() { for f in \"$1\"/*.pid; do [ -s \"$f\" ] && nrend \"$f\" 10; done; " \
	"if [ -f \"$1/cgroup\" ]; then read -r c < \"$1/cgroup\"; nrcg \"$c\"; rm -f \"$1/cgroup\"; fi; }\n"

/*
 * The remote wrapper, run as `sh -c WRAPPER WRAPPER MODE DIR JOB CGROUP
 * TENTHS CMD...` (its own text is $0, so that it can start itself again).
 *
 * The command must be in a process group of its own: killing that group
 * is how the remote side is ended, since ssh without a terminal sends no
 * hangup when the local client goes away. OpenSSH's sshd already starts
 * every session in a new session and group, so the shell it runs (which
 * execs this sh) leads one and nothing more is needed; elsewhere `setsid
 * -w` makes one, at the cost of two more programs. MODE "g" says that was
 * done.
 *
 * Where the run has a cgroup on the host (made by the state script; made
 * again if a watcher removed it), CGROUP is a slot below it (slot_take)
 * and the command runs in it, which keeps whatever leaves the group
 * (setsid, daemons): the wrapper stays outside, so it can kill the whole
 * cgroup when the command ends. The slot is made (mkdir, a program) only
 * when it is not there yet, and left, emptied, when the command ends
 * (rmdir would be a program too): per role the wrapper starts no program
 * but the command. A slot that is not empty (something that would not
 * die in nrcg's 5 s) is not joined: the command gets a new cgroup JOB
 * beside it.
 *
 * It writes "PID START CGROUP" to DIR/JOB.pid (DIR is the run's private
 * state directory) for netrig to end the job with nrend. Its standard
 * input is the local client's, a pipe only netrig holds: a watcher reads
 * it, and at end of file (netrig is gone, killed or not, or the session
 * was lost) ends the job itself, TENTHS being its grace. The command reads
 * /dev/null. A line "now" on that input (netrig in a hurry: a third ^C)
 * ends the job at once, without grace. When the command ends by itself,
 * the wrapper ends the rest of its group and cgroup and empties its
 * pidfile (a builtin, where `rm` would start one more program per
 * command; the run's state goes at its end).
 */
#define SH_WRAPPER \
	"m=$1 d=$2 n=$3 c=$4 t=$5; shift 5; " \
	"case $1 in */*) [ -d \"$1\" ] && nrno \"$1\" 'Is a directory' 126; " \
	"[ -f \"$1\" ] || nrno \"$1\" 'not found' 127; [ -x \"$1\" ] || nrno \"$1\" 'Permission denied' 126;; " \
	"*) command -v \"$1\" > /dev/null || nrno \"$1\" 'not found' 127;; esac; " \
	"if [ \"$m\" != g ]; then nrstat $$; " \
	"[ \"$pg\" = $$ ] || exec setsid -w sh -c \"$0\" \"$0\" g \"$d\" \"$n\" \"$c\" \"$t\" \"$@\"; fi; " \
	"f=$d/$n.pid g=; nrstat $$; " \
	"if [ -n \"$c\" ]; then v=; { [ -f \"$c/cgroup.procs\" ] || { [ -f \"${c%/*/*}/cgroup.procs\" ] && " \
	"mkdir -p \"$c\"; }; } 2>/dev/null && read -r _ v < \"$c/cgroup.events\"; [ \"$v\" = 0 ] && g=$c || " \
	"{ c=${c%/*}/$n; [ -f \"${c%/*/*}/cgroup.procs\" ] && mkdir -p \"$c\" 2>/dev/null && g=$c; }; fi; " \
	"echo \"$$ $s $g\" > \"$f\" || exit 125; exec 3<&0; " \
	"{ trap '' TERM; while read -r x <&3 && [ \"$x\" != now ]; do :; done; " \
	"[ \"$x\" = now ] && t=0; nrrun=${c%/*}; nrend \"$f\" \"$t\"; } " \
	"< /dev/null > /dev/null 2>&1 & v=$!; " \
	"if [ -n \"$g\" ]; then ( { echo 0 > \"$g/cgroup.procs\"; } 2>/dev/null; exec \"$@\" ) " \
	"< /dev/null 3<&-; else \"$@\" < /dev/null 3<&-; fi; rc=$?; " \
	"kill -KILL $v 2>/dev/null; trap '' TERM; kill -TERM -$$ 2>/dev/null; " \
	"[ -n \"$g\" ] && nrcg \"$g\" keep; : > \"$f\"; exit $rc"

/*
 * The run's state on a host, `sh -c STATE netrig-state RUN.HOST CG`: a
 * base directory only the ssh user can write ($HOME/.netrig, or
 * /tmp/netrig-UID where the home is missing or read-only), and in it the
 * run's (named by its whole id, random in its last 74 bits, and the host). Each is made mode 0700, or
 * checked (one lstat through `ls -ldn`, so a symbolic link is seen as one)
 * to be a directory of this uid that nobody else can write; anything
 * else is refused, never used. Then what a killed session of the run left
 * is ended (nrsweep), and with CG "cg" the run's cgroup is made below this
 * shell's own cgroup v2. Prints "dir DIR", then "cgroup PATH" or
 * "nocgroup WHY".
 */
#define SH_BASE \
	"u=$(id -u); " \
	"nrpriv() { mkdir -m 700 \"$1\" 2>/dev/null; set -- \"$1\" $(LC_ALL=C ls -ldn \"$1\" 2>/dev/null); " \
	"case ${2:-} in d????[!w]??[!w]*) ;; *) echo \"$1: not a private directory (${2:-missing})\" >&2; " \
	"return 1;; esac; [ \"${4:-}\" = \"$u\" ] || { echo \"$1: owned by uid ${4:-?}, not $u\" >&2; " \
	"return 1; }; }; " \
	"if [ -n \"${HOME:-}\" ] && [ -d \"$HOME\" ] && [ -w \"$HOME\" ]; then b=$HOME/.netrig; " \
	"else b=/tmp/netrig-$u; fi; " \
	"nrpriv \"$b\" || exit 1; "
#define SH_STATE \
	SH_BASE \
	"nrpriv \"$b/$1\" || exit 1; d=$b/$1; nrsweep \"$d\"; echo \"dir $d\"; " \
	"[ \"$2\" = cg ] || { echo \"nocgroup NETRIG_CGROUP=off\"; exit 0; }; m= r=; " \
	"while read -r l; do case $l in *' - cgroup2 '*) set -- $l; r=$4 m=$5; break;; esac; " \
	"done < /proc/self/mountinfo; " \
	"[ -n \"$m\" ] || { echo \"nocgroup no cgroup v2 hierarchy is mounted\"; exit 0; }; " \
	"[ \"$r\" = / ] || { echo \"nocgroup cgroup v2 is mounted from $r, not its root\"; exit 0; }; p=; " \
	"while IFS= read -r l; do case $l in 0::*) p=${l#0::};; esac; done < /proc/self/cgroup; " \
	"[ \"$p\" = / ] && p=; c=$m$p/netrig.${d##*/}; nrcg \"$c\"; " \
	"if mkdir \"$c\" 2>/dev/null && [ -w \"$c/cgroup.procs\" ]; then echo \"$c\" > \"$d/cgroup\"; " \
	"echo \"cgroup $c\"; else rmdir \"$c\" 2>/dev/null; echo \"nocgroup cannot make a cgroup in $m$p\"; fi"

/*
 * The agent (agent_main.c) in the host's base directory, beside the runs'
 * state: `sh -c AGENT netrig-agent NAME SHA256 MACHINE` prints "arch M"
 * when the host's `uname -m` is not MACHINE, "have PATH" when PATH is a
 * regular file whose sha256 is SHA256 (checked on every use: nothing
 * else of that name is ever run), "need PATH" otherwise. `sh -c PUT
 * netrig-agent-put NAME SHA256` writes its standard input there: into a
 * temporary file first, moved into place only once its hash is right.
 */
#define SH_HASH "nrhash() { h=$(sha256sum < \"$1\") || return 1; h=${h%% *}; }; "
#define SH_AGENT \
	SH_BASE SH_HASH \
	"m=$(uname -m); [ \"$m\" = \"$3\" ] || { echo \"arch $m\"; exit 0; }; f=$b/$1; " \
	"command -v sha256sum > /dev/null || { echo \"no sha256sum to check the agent with\" >&2; exit 1; }; " \
	"if [ -f \"$f\" ] && [ ! -h \"$f\" ] && nrhash \"$f\" && [ \"$h\" = \"$2\" ]; then " \
	"echo \"have $f\"; else echo \"need $f\"; fi"
#define SH_AGENT_PUT \
	SH_BASE SH_HASH \
	"f=$b/$1; t=$f.tmp.$$; umask 077; cat > \"$t\" && nrhash \"$t\" || { rm -f \"$t\"; exit 1; }; " \
	"[ \"$h\" = \"$2\" ] || { rm -f \"$t\"; echo \"the copy's sha256 is $h, not $2\" >&2; exit 1; }; " \
	"chmod 700 \"$t\" && mv -f \"$t\" \"$f\" && echo \"have $f\""
/* `sh -c CLEAN netrig-clean`: remove every agent; prints how many. */
#define SH_CLEAN \
	SH_BASE "n=0; for f in \"$b\"/netrig-agent-*; do [ -f \"$f\" ] && rm -f \"$f\" && n=$((n+1)); done; " \
	"echo \"removed $n\""

/* `sh -c KILL netrig-kill FILE TENTHS [RUN-CGROUP]`: end one job (and the run's cgroup if empty then). */
#define SH_KILL "nrrun=${3:-}; nrend \"$1\" \"$2\""

/* `sh -c CLOSE netrig-close DIR`: end what is left of a run and remove its state. */
#define SH_CLOSE "nrsweep \"$1\"; rm -rf -- \"$1\""

static const char wrapper[] = SH_LIB SH_WRAPPER;

/* A command for an ssh host. */
struct ssh_cmd {
	char *const *argv;
	char *const *env;     /* "K=V" set for it there, or NULL */
	const char *workdir;  /* cd there first (relative: to the ssh user's home), or NULL */
	bool make_workdir;    /* create workdir and its parents first */
	/*
	 * With both: run it as a job under the wrapper: its own process group,
	 * a cgroup JOB below state->cgroup when there is one, state->dir/JOB.pid
	 * while it runs, and ended by the far side itself, with grace_us
	 * between SIGTERM and SIGKILL, once its standard input reaches end of
	 * file: start the local client with stdin_pipe.
	 */
	const struct nr_ssh_state *state;
	const char *job;      /* unique in the run: "ORDINAL.ATTEMPT.ROLE" */
	const char *slot;     /* its cgroup below state->cgroup (see slot_take), or NULL */
	int64_t grace_us;
};

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

/*
 * The ssh client's argv up to and including the destination: $NETRIG_SSH
 * (split into words; default "ssh"), BatchMode, the shared connection at
 * control_path (used when there, never started by these commands), the
 * target's options. Users' ~/.ssh/config still applies.
 */
static void base_argv(const struct nr_target *t, struct nr_strvec *ret)
{
	/*
	 * Only master_start makes the shared connection: a master that
	 * ssh forked into the background would be re-parented to us and ended
	 * with a case's leftovers.
	 */
	ssh_options(t, "no", ret);
	nr_strvec_push(ret, "--");
	nr_strvec_push(ret, t->address);
}

/*
 * The full argv that runs c on an ssh target. The remote command is
 * quoted once from argv, so no value becomes shell syntax there.
 */
static void command_argv(const struct nr_target *t, const struct ssh_cmd *c, struct nr_strvec *ret)
{
	struct nr_buf cmd = NR_BUF_INIT;
	char tenths[24];
	size_t i;

	base_argv(t, ret);
	if (c->workdir && c->make_workdir) {
		nr_buf_adds(&cmd, "mkdir -p -- ");
		nr_shell_quote(&cmd, c->workdir);
		nr_buf_adds(&cmd, " && ");
	}
	if (c->workdir) {
		nr_buf_adds(&cmd, "cd ");
		nr_shell_quote(&cmd, c->workdir);
		nr_buf_adds(&cmd, " && ");
	}
	nr_buf_adds(&cmd, "exec ");
	if (c->env && c->env[0]) {
		/* before the wrapper, so that it checks the program itself, not `env` */
		nr_buf_adds(&cmd, "env");
		for (i = 0; c->env[i]; i++) {
			nr_buf_addch(&cmd, ' ');
			nr_shell_quote(&cmd, c->env[i]);
		}
		nr_buf_addch(&cmd, ' ');
		/* "--" keeps a word that starts with '-' from being taken by env */
		if (!(c->state && c->job) && c->argv[0][0] == '-')
			nr_buf_adds(&cmd, "-- ");
	}
	if (c->state && c->job) {
		snprintf(tenths, sizeof(tenths), "%lld", (long long)(c->grace_us / 100000 + 1));
		if (t->agent_path) {
			/* the agent's wrapper (exec_wrap.c): the same argv after "wrap" */
			nr_shell_quote(&cmd, t->agent_path);
			nr_buf_adds(&cmd, " wrap - ");
		} else {
			nr_buf_adds(&cmd, "sh -c ");
			nr_shell_quote(&cmd, wrapper);
			nr_buf_addch(&cmd, ' ');
			nr_shell_quote(&cmd, wrapper);
			nr_buf_adds(&cmd, " - ");
		}
		nr_shell_quote(&cmd, c->state->dir);
		nr_buf_addch(&cmd, ' ');
		nr_shell_quote(&cmd, c->job);
		nr_buf_addch(&cmd, ' ');
		nr_shell_quote(&cmd, c->slot ? c->slot : "");
		nr_buf_addf(&cmd, " %s ", tenths);
	}
	for (i = 0; c->argv[i]; i++) {
		if (i)
			nr_buf_addch(&cmd, ' ');
		nr_shell_quote(&cmd, c->argv[i]);
	}
	nr_strvec_push_owned(ret, nr_buf_detach(&cmd, NULL));
}

void nr__ssh_argv(const struct nr_target *t, char *const *argv, struct nr_strvec *ret)
{
	struct ssh_cmd c = { .argv = argv };

	command_argv(t, &c, ret);
}

static int ssh_run(const struct nr_target *t, char *const *argv, const char *stdin_path,
		   int64_t timeout_us, size_t limit, int *ret_code, struct nr_buf *out,
		   struct nr_buf *err, struct nr_diag *d)
{
	struct nr_strvec full = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { .output_limit = limit, .stdin_path = stdin_path };
	struct ssh_cmd c = { .argv = argv };
	int r;

	command_argv(t, &c, &full);
	spec.argv = full.v;
	r = nr_exec_run(&spec, timeout_us, ret_code, out, err, d);
	nr_strvec_clear(&full);
	if (r == NR_ETIMEOUT)
		nr_diagf(d, r, "%s", t->name ? t->name : "host");
	return r;
}

/* `sh -c LIBRARY+SCRIPT NAME ARGS...` */
static void script_argv(const char *name, const char *script, char *const *args,
			struct nr_strvec *ret)
{
	size_t i;

	nr_strvec_push(ret, "sh");
	nr_strvec_push(ret, "-c");
	nr_strvec_push_owned(ret, nr_xasprintf("%s%s", SH_LIB, script));
	nr_strvec_push(ret, name);
	for (i = 0; args[i]; i++)
		nr_strvec_push(ret, args[i]);
	nr_strvec_argv(ret);
}

/* Run one of the scripts above (after the library) on t; its stdout in *out. */
static int run_script_in(const struct nr_target *t, const char *name, const char *script,
			 char *const *args, const char *stdin_path, int64_t timeout_us,
			 struct nr_buf *out, struct nr_diag *d)
{
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_buf err = NR_BUF_INIT;
	int code = 0, r;

	script_argv(name, script, args, &argv);
	r = ssh_run(t, argv.v, stdin_path, timeout_us, 65536, &code, out, &err, d);
	if (r == 0 && code != 0) {
		err.buf[strcspn(err.buf, "\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "%s: %s failed (exit %d)%s%s", t->name ? t->name : t->address,
			     name, code, err.len ? ": " : "", err.buf);
	}
	nr_buf_release(&err);
	nr_strvec_clear(&argv);
	return r;
}

static int run_script(const struct nr_target *t, const char *name, const char *script,
		      char *const *args, int64_t timeout_us, struct nr_buf *out, struct nr_diag *d)
{
	return run_script_in(t, name, script, args, NULL, timeout_us, out, d);
}

/* Wait for p to exit, at most timeout_ms (a hurry refuses nr_proc_pump's waits). */
static bool exits_within(const struct nr_proc *p, int timeout_ms)
{
	struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };

	return p->exited || (pf.fd >= 0 && poll(&pf, 1, timeout_ms) == 1);
}

/*
 * A job's end in a hurry (a third ^C), when no command is waited for its
 * grace: its watcher hears "now" on its input where its session is still
 * there to pass it on (it ends once the job is gone: wait for that, a
 * moment at most), and the kill script runs without grace, given two
 * seconds, for a job whose session was gone already (a watcher that saw
 * its input end waits out the whole grace).
 */
static void kill_now(const struct nr_target *t, const struct nr_ssh_state *st, char *file,
		     const struct nr_proc *client)
{
	/* the run is over too: its cgroup there goes once empty */
	char *args[] = { file, "0", st->cgroup, NULL };
	struct nr_strvec argv = NR_STRVEC_INIT, full = NR_STRVEC_INIT;
	struct ssh_cmd c = { 0 };
	struct nr_exec_spec spec = { .output_limit = 4096 };
	struct nr_proc p, *procs[1] = { &p };

	if (client && client->in_fd >= 0 && !client->exited && write(client->in_fd, "now\n", 4) == 4)
		exits_within(client, 1000);
	script_argv("netrig-kill", SH_KILL, args, &argv);
	c.argv = argv.v;
	command_argv(t, &c, &full);
	spec.argv = full.v;
	if (nr_proc_start(&spec, &p, NULL) == 0) {
		exits_within(&p, 2000);
		nr_proc_stop(procs, 1, 0);
		nr_proc_release(&p);
	}
	nr_strvec_clear(&full);
	nr_strvec_clear(&argv);
}

/*
 * End a job on t: SIGTERM to its process group, SIGKILL after grace_us,
 * then everything in its cgroup; its pidfile goes. In a hurry
 * (nr_exec_hurry), when no command can be waited for, the job is told to
 * end at once through `client`, its local ssh client (may be NULL).
 */
static int kill_job(const struct nr_target *t, const struct nr_ssh_state *st, const char *job,
		    const struct nr_proc *client, int64_t grace_us, struct nr_diag *d)
{
	char tenths[24];
	char *file = nr_xasprintf("%s/%s.pid", st->dir, job);
	char *args[] = { file, tenths, NULL };
	int r = 0;

	snprintf(tenths, sizeof(tenths), "%lld", (long long)(grace_us / 100000 + 1));
	if (!nr__exec_hurrying())
		r = run_script(t, "netrig-kill", SH_KILL, args, grace_us + 15000000, NULL, d);
	/* hurried before or while it ran */
	if (nr__exec_hurrying()) {
		kill_now(t, st, file, client);
		r = 0;
	}
	free(file);
	return r;
}

/* Nothing but these in a name that becomes a directory and a cgroup on the far side. */
#define PLAIN_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-"

static void state_release(struct nr_ssh_state *st)
{
	free(st->dir);
	free(st->cgroup);
	free(st->no_cgroup);
	nr_strvec_clear(&st->slots_free);
	nr_strvec_clear(&st->slots_busy);
	memset(st, 0, sizeof(*st));
}

/*
 * A run's state on an ssh host. `dir` is a directory only the ssh user
 * can write: $HOME/.netrig/RUN-ID.HOST (or /tmp/netrig-UID/RUN-ID.HOST
 * where the home is missing or read-only), each level made mode 0700 or
 * checked, without following links, to be a directory of that uid that
 * nobody else can write; netrig refuses anything else. It holds a pidfile
 * per running role, "PID START CGROUP", read back only by netrig's
 * scripts, which signal PID's group only while PID is still the process
 * that wrote it (its start time). `cgroup`: the run's cgroup v2 there
 * (netrig.RUN-ID.HOST below the ssh session's own), where the host has
 * one netrig may write.
 *
 * Make (or find) it, first ending whatever a killed session of the same
 * run left there: the processes its pidfiles name (checked by start time)
 * and its cgroup. NETRIG_CGROUP=off: no cgroup. NR_EEXEC with the far
 * side's reason when it refuses a directory.
 */
static int state_open(const struct nr_target *t, const char *run_id, struct nr_ssh_state *ret,
		      struct nr_diag *d)
{
	const char *env = getenv("NETRIG_CGROUP");
	/*
	 * RUN-ID.HOST: two hosts of a run may be one machine (a lab) with one
	 * home, and the controller's cgroup netrig.RUN-ID may be there too.
	 */
	char *key = nr_xasprintf("%s.%s", run_id, t->name ? t->name : "host");
	char *args[] = { key, env && !strcmp(env, "off") ? "nocg" : "cg", NULL };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_ssh_state st = { 0 };
	char *line, *next;
	int r = 0;

	if (!isxdigit((unsigned char)key[0]) || strspn(key, PLAIN_CHARS) != strlen(key))
		r = nr_diagf(d, NR_EINVAL, "'%s' cannot name a directory on the host", key);
	if (r == 0)
		r = run_script(t, "netrig-state", SH_STATE, args, 60 * 1000000LL, &out, d);
	free(key);
	for (line = out.buf; r == 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (nr_starts_with(line, "dir /"))
			st.dir = nr_xstrdup(line + 4);
		else if (nr_starts_with(line, "cgroup /"))
			st.cgroup = nr_xstrdup(line + 7);
		else if (nr_starts_with(line, "nocgroup "))
			st.no_cgroup = nr_xstrdup(line + 9);
	}
	if (r == 0 && !st.dir)
		r = nr_diagf(d, NR_EPROTO, "%s: the state script named no directory",
			     t->name ? t->name : t->address);
	nr_buf_release(&out);
	if (r < 0) {
		state_release(&st);
		return r;
	}
	*ret = st;
	return 0;
}

/* End what is left of the run on t (as state_open does) and remove its state there. */
static int state_close(const struct nr_target *t, const struct nr_ssh_state *st,
		       struct nr_diag *d)
{
	char *args[] = { st->dir, NULL };

	if (!st->dir)
		return 0;
	return run_script(t, "netrig-close", SH_CLOSE, args, 60 * 1000000LL, NULL, d);
}


/* Close the shared connection to t, if there is one ("ssh -O exit"). */
static void close_master(const struct nr_target *t)
{
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { 0 };
	struct nr_proc p, *procs[1] = { &p };
	size_t i;

	if (!t->control_path)
		return;
	base_argv(t, &argv);
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

static bool ssh_port_listening(const struct nr_target *t, pid_t local_pid, int port)
{
	char *argv[] = { "cat", "/proc/net/tcp", "/proc/net/tcp6", NULL };
	struct nr_buf out = NR_BUF_INIT;
	int code = 0;
	bool found;

	(void)local_pid;
	if (ssh_run(t, argv, NULL, 10000000, 4 << 20, &code, &out, NULL, NULL) < 0) {
		nr_buf_release(&out);
		return false;
	}
	found = nr_port_listening_text(out.buf, port);
	nr_buf_release(&out);
	return found;
}

/*
 * Start the shared connection to t ("ssh -M -N") as a child in *ret, in
 * cgroup cg when not NULL, and wait (at most timeout_us) until its socket
 * exists. The target keeps the process (nr_target_keep_pid, so that
 * nr_exec_reap_orphans spares it). NR_EEXEC when it could not connect.
 */
static int master_start(const struct nr_target *t, const struct nr_cgroup *cg, int64_t timeout_us,
			struct nr_proc *ret, struct nr_diag *d)
{
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_exec_spec spec = { .cgroup = cg };
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

/* ---- the target ---- */

static void ssh_connect(struct nr_target *t)
{
	if (!t->control_dir) {
		char *mark = nr_xasprintf("%s %s", t->run_id ? t->run_id : "-", t->name);

		/* a killed controller of this run may have left its own */
		nr__ssh_control_dir_sweep(mark);
		if (nr__ssh_control_dir_new(mark, &t->control_dir, NULL) == 0)
			/* "c": sockets need < 108 bytes */
			t->control_path = nr_xasprintf("%s/c", t->control_dir);
		free(mark);
	}
	if (!t->control_path)
		return;
	if (t->master_up) {
		struct nr_proc *procs[1] = { &t->master };

		/* still there? (a reboot or a network cut ends it) */
		nr_proc_pump(procs, 1, nr_mono_us(), 0, -1, NULL, NULL);
		if (!t->master.exited && access(t->control_path, F_OK) == 0)
			return;
		nr_proc_stop(procs, 1, 200000);
		nr_proc_release(&t->master);
		t->master_up = false;
	}
	if (master_start(t, t->cgroup, 15000000, &t->master, NULL) == 0)
		t->master_up = true;
}

static int ssh_open(struct nr_target *t, struct nr_diag *d)
{
	ssh_connect(t);
	if (t->state_open)
		return 0;
	if (state_open(t, t->run_id, &t->state, d) < 0)
		return NR_EEXEC;
	t->state_open = true;
	if (!t->state.cgroup)
		nr__target_note(t, nr_xasprintf("no cgroup for the run on %s (%s): processes that leave their "
					 "process group there are not ended with their case",
					 t->name, t->state.no_cgroup ? t->state.no_cgroup : "?"));
	/*
	 * Roles run under the agent's wrapper where the run has the agent
	 * there (found or copied once per host by the host's description at
	 * the run's start): a program of its own per role, where the sh
	 * wrapper costs a shell and two forks. Elsewhere (another
	 * architecture, no sha256sum there, no agent here; a host that was down
	 * at the start, a resumed run) the sh wrapper does the same. It is not
	 * copied here: a copy is an event of its own kind (ssh_agent's note).
	 */
	if (!t->agent_path && t->agent_error)
		nr__target_note(t, nr_xasprintf("roles on %s run under the sh wrapper, not the agent's: %s", t->name,
					 t->agent_error));
	return 0;
}

static void ssh_close(struct nr_target *t)
{
	/* its roles end there at once; then the state script finds nothing of them */
	nr__session_close(t);
	if (t->state_open) {
		/* the far side first, while the shared connection is there */
		state_close(t, &t->state, NULL);
		state_release(&t->state);
		t->state_open = false;
	}
	if (t->master_up) {
		struct nr_proc *procs[1] = { &t->master };

		close_master(t);
		nr_proc_stop(procs, 1, 500000);
		nr_proc_release(&t->master);
		t->master_up = false;
	}
	free(t->control_path);
	t->control_path = NULL;
	free(t->agent_path);
	t->agent_path = NULL;
	free(t->agent_error);
	t->agent_error = NULL;
	nr__ssh_control_dir_remove(t->control_dir);
	t->control_dir = NULL;
}

/*
 * Cgroup slots: making and removing a cgroup are programs on the far side
 * (mkdir, rmdir), 2-3 ms each, so a role's cgroup is a slot that outlives
 * it. A role takes a slot an ended role left (empty) or a new name; the
 * wrapper makes the directory only when it is not there, empties it when
 * the role ends and leaves it; the run's end (nrsweep) removes them all.
 * A slot comes back only once its role has ended (ssh_stop), and the
 * wrapper still checks it is empty before use. NULL: the run has no
 * cgroup there.
 */
static const char *slot_take(struct nr_ssh_state *st, const char *job)
{
	char *slot;

	if (!st->cgroup)
		return NULL;
	if (st->slots_free.n) {
		slot = st->slots_free.v[--st->slots_free.n];
		st->slots_free.v[st->slots_free.n] = NULL;
	} else {
		slot = nr_xasprintf("%s/s%u", st->cgroup, ++st->slots_made);
	}
	/* "JOB\tSLOT": jobs are plain words */
	nr_strvec_push_owned(&st->slots_busy, nr_xasprintf("%s\t%s", job, slot));
	free(slot);
	return strchr(st->slots_busy.v[st->slots_busy.n - 1], '\t') + 1;
}

/* job has ended: its slot is free again. */
static void slot_give_back(struct nr_ssh_state *st, const char *job)
{
	size_t i, len = strlen(job);

	for (i = 0; i < st->slots_busy.n; i++) {
		char *e = st->slots_busy.v[i];

		if (strncmp(e, job, len) != 0 || e[len] != '\t')
			continue;
		nr_strvec_push(&st->slots_free, e + len + 1);
		free(e);
		st->slots_busy.v[i] = st->slots_busy.v[--st->slots_busy.n];
		st->slots_busy.v[st->slots_busy.n] = NULL;
		return;
	}
}

static int ssh_start(struct nr_target *t, const struct nr_job *job, struct nr_proc *ret,
		     struct nr_diag *d)
{
	struct nr_strvec remote = NR_STRVEC_INIT;
	struct ssh_cmd cmd = {
		.argv = job->argv, .env = job->env, .workdir = job->workdir,
		.make_workdir = job->make_workdir, .state = &t->state, .job = job->name,
		.grace_us = job->grace_us,
	};
	/* the far side ends the job when this pipe closes: when we are done, or gone */
	struct nr_exec_spec spec = { .stdin_pipe = true, .output_limit = job->output_limit,
				     .cgroup = job->cgroup };
	int r = ssh_open(t, d);

	if (r < 0)
		return r;
	cmd.slot = slot_take(&t->state, job->name);
	if (t->agent_path && nr__session_ready(t)) {
		/* the host's agent session carries it: no ssh session of its own */
		r = nr__session_start(t, job, t->state.dir, cmd.slot, ret, d);
		if (r < 0)
			slot_give_back(&t->state, job->name);
		return r;
	}
	command_argv(t, &cmd, &remote);
	spec.argv = remote.v;
	r = nr_proc_start(&spec, ret, d);
	nr_strvec_clear(&remote);
	if (r < 0)
		/* nothing started there */
		slot_give_back(&t->state, job->name);
	return r;
}

static int ssh_stop(struct nr_target *t, const struct nr_job *job, const struct nr_proc *p,
		    struct nr_diag *d)
{
	int r;

	if (!t->state_open)
		return 0;
	if (nr__session_stop(t, job, p)) {
		slot_give_back(&t->state, job->name);
		return 0;
	}
	/* a job whose ssh client ended cleaned up after itself (unless ssh itself failed) */
	if (p->exited && nr_proc_exit_code(p) != 255) {
		slot_give_back(&t->state, job->name);
		return 0;
	}
	r = kill_job(t, &t->state, job->name, p, job->grace_us, d);
	/* in a hurry the job may still be ending: its slot is not taken again */
	if (r == 0 && !nr__exec_hurrying())
		slot_give_back(&t->state, job->name);
	return r;
}

static int ssh_read_file(const struct nr_target *t, const char *path, size_t limit,
			 struct nr_buf *out, struct nr_diag *d)
{
	char *argv[] = { "cat", "--", (char *)path, NULL };
	struct nr_buf err = NR_BUF_INIT;
	int code = -1, r;

	nr_buf_init(out, limit);
	r = ssh_run(t, argv, NULL, 600 * 1000000LL, limit, &code, out, &err, d);
	if (r == 0 && code != 0) {
		err.buf[strcspn(err.buf, "\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "collect %s from %s: %s", path, t->name,
			     err.len ? err.buf : "failed");
	}
	nr_buf_release(&err);
	return r;
}

static int ssh_reach(const struct nr_target *t, int64_t timeout_us, struct nr_diag *d)
{
	int r = nr_net_ping(t->address, timeout_us, d);

	if (r == NR_EUNSUPPORTED) {
		/* no ICMP for us: is the ssh port answering? */
		nr_diag_clear(d);
		r = nr_net_tcp_connect(t->address, t->port ? t->port : 22, timeout_us, d);
	}
	return r;
}

static int ssh_login(struct nr_target *t, int64_t timeout_us, struct nr_diag *d)
{
	char *argv[] = { "true", NULL };
	struct nr_buf err = NR_BUF_INIT;
	int code = -1, r;

	ssh_connect(t);
	r = ssh_run(t, argv, NULL, timeout_us + 10000000, 4096, &code, NULL, &err, d);
	if (r == 0 && code != 0) {
		err.buf[strcspn(err.buf, "\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "%s", err.len ? err.buf : "login failed");
	}
	nr_buf_release(&err);
	return r;
}

/* The value after `word ` on the line of `out` that starts with it, or NULL. */
static const char *line_value(const struct nr_buf *out, const char *word, char *buf, size_t size)
{
	const char *p = out->buf;
	size_t n = strlen(word);

	while (p && *p) {
		if (!strncmp(p, word, n) && p[n] == ' ') {
			size_t len = strcspn(p + n + 1, "\n");

			snprintf(buf, size, "%.*s", (int)len, p + n + 1);
			return buf;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static int ssh_agent(struct nr_target *t, struct nr_diag *d)
{
	struct nr_agent a = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	char name[64], val[4096];
	int64_t t0;
	int r;

	if (t->agent_path)
		return 0;
	if ((r = nr_agent_find(&a, d)) < 0) {
		r = nr_diagf(d, r, "%s: cannot run {netrig} there", t->name);
		free(t->agent_error);
		t->agent_error = nr_xstrdup(d ? nr_diag_msg(d) : nr_strerror(r));
		return r;
	}
	snprintf(name, sizeof(name), "netrig-agent-%.16s", a.sha256);
	{
		char *args[] = { name, a.sha256, a.machine, NULL };

		r = run_script(t, "netrig-agent", SH_AGENT, args, 60 * 1000000LL, &out, d);
	}
	if (r == 0 && line_value(&out, "arch", val, sizeof(val)))
		r = nr_diag_set(d, NR_EUNSUPPORTED,
				"%s: the host is %s, netrig-agent is built for %s: {netrig} cannot run there",
				t->name, val, a.machine);
	if (r == 0 && line_value(&out, "need", val, sizeof(val))) {
		char *args[] = { name, a.sha256, NULL };

		nr_buf_reset(&out);
		t0 = nr_mono_us();
		r = run_script_in(t, "netrig-agent-put", SH_AGENT_PUT, args, a.path, 600 * 1000000LL,
				  &out, d);
		if (r == 0) {
			t->agent_copy_us = nr_mono_us() - t0;
			t->agent_bytes = a.bytes;
			t->note = nr_xasprintf("agent %s copied to %s (%zu bytes in %.0f ms)", name, t->name,
					       a.bytes, (double)t->agent_copy_us / 1e3);
		}
	}
	if (r == 0 && !line_value(&out, "have", val, sizeof(val)))
		r = nr_diagf(d, NR_EPROTO, "%s: the agent script named no agent", t->name);
	if (r == 0) {
		t->agent_path = nr_xstrdup(val);
		t->netrig = t->agent_path;
	}
	free(t->agent_error);
	/* for ssh_open: why roles there run under the sh wrapper */
	t->agent_error = r < 0 ? nr_xstrdup(d ? nr_diag_msg(d) : nr_strerror(r)) : NULL;
	nr_buf_release(&out);
	nr_agent_release(&a);
	return r;
}

static int ssh_clean(struct nr_target *t, int *ret_removed, struct nr_diag *d)
{
	char *args[] = { NULL };
	struct nr_buf out = NR_BUF_INIT;
	char val[64];
	int r = run_script(t, "netrig-clean", SH_CLEAN, args, 60 * 1000000LL, &out, d);

	if (r == 0 && line_value(&out, "removed", val, sizeof(val)))
		*ret_removed = (int)strtol(val, NULL, 10);
	else if (r == 0)
		r = nr_diagf(d, NR_EPROTO, "%s: the clean script said nothing", t->name);
	nr_buf_release(&out);
	return r;
}

/* Through the agent (copied first if need be). */
static int ssh_sysinfo(struct nr_target *t, char **ret_json, struct nr_diag *d)
{
	char *argv[] = { NULL, "sysinfo", "--json", NULL };
	int r;

	ssh_connect(t);
	if (t->control_path && !t->master_up)
		/* down, or no login: a description is not worth more waiting */
		return nr_diagf(d, NR_EEXEC, "%s: no connection", t->name);
	if ((r = ssh_agent(t, d)) < 0)
		return r;
	argv[0] = t->agent_path;
	return nr__target_sysinfo_run(t, argv, ret_json, d);
}

const struct nr_target_ops nr_target_ssh_ops = {
	.name = "ssh",
	.remote = true,
	.checked = true,
	.own_ports = true,
	.ready_poll_us = 100000,
	.connect = ssh_connect,
	.open = ssh_open,
	.close = ssh_close,
	.start = ssh_start,
	.stop = ssh_stop,
	.run = ssh_run,
	.read_file = ssh_read_file,
	.port_listening = ssh_port_listening,
	.reach = ssh_reach,
	.login = ssh_login,
	.agent = ssh_agent,
	.sysinfo = ssh_sysinfo,
	.clean = ssh_clean,
};
