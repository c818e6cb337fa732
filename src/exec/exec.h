/*
 * Running commands: each in its own process group, output captured into
 * bounded buffers, ended as a group with SIGTERM then SIGKILL.
 *
 * After git's run-command.c: everything is prepared before fork(); the
 * child makes only async-signal-safe calls; a failed exec is reported back
 * through a close-on-exec pipe, so "no such command" is an error here and
 * not an exit status 127 to guess at.
 */
#ifndef NR_EXEC_H
#define NR_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"

struct nr_exec_spec {
	char *const *argv;   /* argv[0] is looked up in PATH */
	char *const *env;    /* "NAME=VALUE" set on top of this process's environment; may be NULL */
	const char *workdir; /* NULL: this process's */
	const char *netns;   /* NULL, or a namespace under /run/netns to enter */
	size_t output_limit; /* bytes kept per stream; 0: no limit */
	const char *stdin_path; /* the command's standard input; NULL: /dev/null */
};

struct nr_proc {
	pid_t pid;          /* also its process group */
	int pidfd;          /* readable once the process has exited; -1 after */
	int out_fd, err_fd; /* -1 at end of file */
	struct nr_buf out, err;
	bool exited;        /* seen with WNOWAIT: a zombie still holds the pid and group */
	bool reaped;        /* collected: pid and group may be reused, never signal them */
	int exit_code;      /* once exited: the exit status, or -1 after a signal */
	int term_signal;    /* once exited: the signal that ended it, or 0 */
	bool stopped_by_us; /* we sent it a signal before it ended */
	int64_t start_us, end_us; /* monotonic */
};

/* Start a process. NR_EEXEC with "cannot run 'x': reason" when exec fails. */
int nr_proc_start(const struct nr_exec_spec *spec, struct nr_proc *ret, struct nr_diag *d);

/*
 * Read output and collect exits of procs[0..n) until done(ctx) returns
 * true (0), the monotonic deadline passes (NR_ETIMEOUT), or cancel_fd
 * becomes readable (NR_EINTR; -1: none). done() is called after every
 * event and at least every tick_us (0: only on events). Without done(),
 * until every process has exited and its pipes are at end of file.
 */
int nr_proc_pump(struct nr_proc *const *procs, size_t n, int64_t deadline_us,
		 int64_t tick_us, int cancel_fd, bool (*done)(void *ctx), void *ctx);

/*
 * End procs that are still running: SIGTERM to each group, SIGKILL to
 * those still there after grace_us; then collect their exits and read
 * their pipes to the end (for at most grace_us more). Also signals the
 * group of procs that have exited, since their children may remain.
 */
void nr_proc_stop(struct nr_proc *const *procs, size_t n, int64_t grace_us);

/*
 * Collect the process (SIGKILL to its group first if it still runs) and
 * close its fds; the captured output stays. Its pid may be reused after.
 */
void nr_proc_reap(struct nr_proc *p);
/* nr_proc_reap, then free the buffers. */
void nr_proc_release(struct nr_proc *p);

/*
 * Run spec to completion, at most timeout_us: its exit status (128+N after
 * signal N) in *ret_code, its output appended to out and err (either may be
 * NULL). 0; NR_ETIMEOUT (the process group was ended; the output so far is
 * still appended, *ret_code is not written); or why it could not start.
 */
int nr_exec_run(const struct nr_exec_spec *spec, int64_t timeout_us, int *ret_code,
		struct nr_buf *out, struct nr_buf *err, struct nr_diag *d);

/* Exit code, or -1 when it died of a signal (then nr_proc_signal says which). */
int nr_proc_exit_code(const struct nr_proc *p);
int nr_proc_signal(const struct nr_proc *p);
/* "exit 3", "signal 9 (Killed)" into buf. */
const char *nr_proc_describe(const struct nr_proc *p, char *buf, size_t size);

/*
 * Whether a TCP socket listens on `port` in the network namespace of
 * process `pid` (from /proc/PID/net/tcp and tcp6, so nothing connects to
 * it: a server that takes one client is not used up by the check).
 */
bool nr_port_listening(pid_t pid, int port);

/* A TCP port free on 127.0.0.1 now (bound to port 0, learnt, closed). */
int nr_free_port(int *ret_port);

/*
 * Become a subreaper, so that processes that leave their group (daemons)
 * are re-parented to us and not to init, and can be found and ended.
 */
void nr_exec_become_subreaper(void);
/*
 * Start the guard: a small process that learns the process group of every
 * command started from now on, and when this process dies, even by
 * SIGKILL, ends every group still running. So no case outlives its runner.
 * Idempotent; 0 or -errno.
 */
int nr_exec_guard_start(void);

/*
 * Kill and collect every child of ours that is not one of `keep`
 * (typically: none). Returns how many were found.
 */
int nr_exec_reap_orphans(const pid_t *keep, size_t n_keep);

/* ---- where a command runs ---- */

enum nr_target_kind {
	NR_TARGET_LOCAL,
	NR_TARGET_NETNS, /* a network namespace of this machine */
	NR_TARGET_SSH,   /* another machine, through the OpenSSH client */
};

struct nr_target {
	enum nr_target_kind kind;
	const char *name;        /* for messages */
	const char *netns;       /* NR_TARGET_NETNS */
	const char *address;     /* NR_TARGET_SSH: host name or address */
	const char *user;        /* NR_TARGET_SSH: NULL for ssh's default */
	int port;                /* NR_TARGET_SSH: 0 for ssh's default */
	const char *identity;    /* NR_TARGET_SSH: private key, or NULL */
	const char *jump;        /* NR_TARGET_SSH: ProxyJump, or NULL */
	char *const *ssh_options;/* NR_TARGET_SSH: extra "-o" values, NULL-terminated or NULL */
	const char *control_path;/* NR_TARGET_SSH: the shared connection's socket, or NULL */
};

/*
 * The ssh client's argv up to and including the destination: $NETRIG_SSH
 * (split into words; default "ssh"), BatchMode, the shared connection at
 * control_path (used when there, never started by these commands), the
 * target's options. Users' ~/.ssh/config still applies.
 */
void nr_ssh_base_argv(const struct nr_target *t, struct nr_strvec *ret);

/*
 * Start the shared connection to t ("ssh -M -N") as a child in *ret and
 * wait (at most timeout_us) until its socket exists. The caller keeps the
 * process (pass its pid to nr_exec_reap_orphans as one to keep) and ends it
 * with nr_ssh_close and nr_proc_stop. NR_EEXEC when it could not connect.
 */
int nr_ssh_master_start(const struct nr_target *t, int64_t timeout_us, struct nr_proc *ret,
			struct nr_diag *d);

/*
 * The full argv that runs `argv` (with `env` "K=V" entries and working
 * directory `workdir`, both optional) on an ssh target. The remote command
 * is quoted once from argv, so no value becomes shell syntax there. It runs
 * in a session of its own (setsid -w) whose id is written to `pidfile` on
 * the remote side while it runs, so nr_ssh_kill_group can end the whole
 * group there.
 */
void nr_ssh_command_argv(const struct nr_target *t, char *const *argv, char *const *env,
			 const char *workdir, const char *pidfile, struct nr_strvec *ret);

/*
 * Run argv on a target to completion (at most timeout_us), capturing its
 * output (bounded by `limit`). Returns 0 with the exit code in *ret_code,
 * NR_ETIMEOUT, or an error. For NR_TARGET_LOCAL and NR_TARGET_NETNS the
 * command runs here (in the namespace).
 */
int nr_target_run(const struct nr_target *t, char *const *argv, int64_t timeout_us,
		  size_t limit, int *ret_code, struct nr_buf *out, struct nr_buf *err,
		  struct nr_diag *d);

/* SIGTERM the remote group named in pidfile, SIGKILL after grace_us, remove the file. */
int nr_ssh_kill_group(const struct nr_target *t, const char *pidfile, int64_t grace_us,
		      struct nr_diag *d);

/* Close the shared connection to t, if there is one ("ssh -O exit"). */
void nr_ssh_close(const struct nr_target *t);

/* Whether /proc/net/tcp-format text lists `port` in LISTEN state. */
bool nr_port_listening_text(const char *text, int port);

/* Whether `port` listens on the target (for ssh: reads /proc/net/tcp there). */
bool nr_target_port_listening(const struct nr_target *t, pid_t local_pid, int port);

#endif
