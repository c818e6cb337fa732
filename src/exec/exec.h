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

struct nr_cgroup;

struct nr_exec_spec {
	char *const *argv;   /* argv[0] is looked up in PATH */
	char *const *env;    /* "NAME=VALUE" set on top of this process's environment; may be NULL */
	const char *workdir; /* NULL: this process's */
	const char *netns;   /* NULL, or a namespace under /run/netns to enter */
	size_t output_limit; /* bytes kept per stream; 0: no limit */
	const char *stdin_path; /* the command's standard input; NULL: /dev/null */
	/*
	 * Standard input from a pipe whose write end only this process holds
	 * (nr_proc.in_fd, closed at reap): the command reads end of file when
	 * we are done with it or gone, however we went. Overrides stdin_path.
	 */
	bool stdin_pipe;
	const struct nr_cgroup *cgroup; /* NULL, or the cgroup v2 to start it in */
};

struct nr_proc {
	pid_t pid;          /* also its process group */
	int pidfd;          /* readable once the process has exited; -1 after */
	int out_fd, err_fd; /* -1 at end of file */
	int in_fd;          /* spec.stdin_pipe: the write end, never written; else -1 */
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
 * nr_proc_stop, and everything in cg (the procs' cgroup, NULL: none) is
 * ended with them: SIGTERM with the groups, then the whole cgroup killed
 * with their SIGKILL, so nothing that left its group keeps a pipe open.
 */
void nr_proc_stop_in(struct nr_proc *const *procs, size_t n, const struct nr_cgroup *cg,
		     int64_t grace_us);

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
 * Hurry (async-signal-safe, for a third ^C): from now on every wait
 * returns at once (NR_EINTR) and nr_proc_stop sends SIGKILL without
 * waiting out its grace, so the run ends its processes and is recorded
 * interrupted in moments.
 */
void nr_exec_hurry(void);

/* ---- processes that must not outlive the run (exec_guard.c) ---- */

/*
 * Become a subreaper, so that processes that leave their group (daemons)
 * are re-parented to us and not to init, and can be found and ended.
 */
void nr_exec_become_subreaper(void);
/*
 * Start the guard: a small process that learns the process group of every
 * command started from now on, the run's cgroups (nr_cgroup_open_run) and
 * the directories it must not leave behind (nr_exec_guard_dir), and when
 * this process dies, even by SIGKILL, ends every group still running (its
 * leader checked by start time), kills and removes the cgroups and
 * removes the directories. So no case outlives its runner. Call it while
 * this process has one thread. Idempotent; 0 or -errno.
 */
int nr_exec_guard_start(void);
/* Have the guard empty and remove `dir` if we die (true), or no more (false). */
void nr_exec_guard_dir(const char *dir, bool watch);

/*
 * Kill and collect every child of ours that is not one of `keep`
 * (typically: none). Returns how many were found.
 */
int nr_exec_reap_orphans(const pid_t *keep, size_t n_keep);

/* ---- cgroup v2 (exec_cgroup.c) ---- */

/*
 * A cgroup v2 directory. Whatever starts in it (nr_exec_spec.cgroup) and
 * whatever that starts in turn stays in it, setsid and daemons included,
 * until nr_cgroup_kill ends all of it at once.
 */
struct nr_cgroup {
	char *path; /* the directory */
	int fd;     /* the directory open, for clone3's CLONE_INTO_CGROUP */
	bool watched; /* the guard kills it if we die */
};

/*
 * A run's cgroup: NAME below this process's own cgroup in the cgroup v2
 * hierarchy found in /proc/self/mountinfo. One of that name left by a
 * killed run is ended and replaced first. The guard is told, so that
 * everything in it ends when this process dies. NR_EUNSUPPORTED, with the
 * reason in d, where there is no writable cgroup v2 (not mounted, not
 * root, read-only, NETRIG_CGROUP=off): callers fall back to process groups.
 */
int nr_cgroup_open_run(const char *name, struct nr_cgroup **ret, struct nr_diag *d);
/* A new cgroup NAME below parent (one left from before is ended first). */
int nr_cgroup_new(const struct nr_cgroup *parent, const char *name, struct nr_cgroup **ret,
		  struct nr_diag *d);
/*
 * SIGKILL everything in cg and below and wait, at most timeout_us, until
 * it is empty: 0, or NR_ETIMEOUT. The killed become zombies of whoever
 * is their parent now (nr_exec_reap_orphans collects ours).
 */
int nr_cgroup_kill(const struct nr_cgroup *cg, int64_t timeout_us);
/* Send sig to each process in cg itself (not below). */
void nr_cgroup_signal(const struct nr_cgroup *cg, int sig);
/* Kill what is in cg, remove it (and those below), free it. NULL: nothing. */
void nr_cgroup_free(struct nr_cgroup *cg);

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
 * Start the shared connection to t ("ssh -M -N") as a child in *ret, in
 * cgroup cg when not NULL, and wait (at most timeout_us) until its socket
 * exists. The caller keeps the process (pass its pid to
 * nr_exec_reap_orphans as one to keep) and ends it with nr_ssh_close and
 * nr_proc_stop. NR_EEXEC when it could not connect.
 */
int nr_ssh_master_start(const struct nr_target *t, const struct nr_cgroup *cg, int64_t timeout_us,
			struct nr_proc *ret, struct nr_diag *d);

/*
 * A private directory (mode 0700, /tmp/netrig-ssh.XXXXXX) for the shared
 * connections' sockets, marked with the run's id, and watched by the
 * guard, which removes it if we die. *ret is the caller's.
 */
int nr_ssh_control_dir_new(const char *run_id, char **ret, struct nr_diag *d);
/* Remove it (the sockets are gone after "-O exit") and free the string. NULL: nothing. */
void nr_ssh_control_dir_remove(char *dir);
/*
 * Remove the control directories a killed controller of this run left
 * (ours by uid, real directories, marked with run_id). How many.
 */
int nr_ssh_control_dir_sweep(const char *run_id);

/*
 * A run's state on an ssh host. `dir` is a directory only the ssh user
 * can write: $HOME/.netrig/RUN-ID.HOST (or /tmp/netrig-UID/RUN-ID.HOST
 * where the home is missing or read-only), each level made mode 0700 or checked,
 * without following links, to be a directory of that uid that nobody else
 * can write; netrig refuses anything else. It holds a pidfile per running
 * role, "PID START CGROUP", read back only by netrig's scripts, which
 * signal PID's group only while PID is still the process that wrote it
 * (its start time). `cgroup`: the run's cgroup v2 there (netrig.RUN-ID.HOST
 * below the ssh session's own), where the host has one netrig may write.
 */
struct nr_ssh_state {
	char *dir;
	char *cgroup;    /* NULL: none */
	char *no_cgroup; /* then why not, for a note */
};

/*
 * Make (or find) the run's state on t, first ending whatever a killed
 * session of the same run left there: the processes its pidfiles name
 * (checked by start time) and its cgroup. NETRIG_CGROUP=off: no cgroup.
 * *ret is the caller's (nr_ssh_state_release); NR_EEXEC with the far
 * side's reason when it refuses a directory.
 */
int nr_ssh_state_open(const struct nr_target *t, const char *run_id, struct nr_ssh_state *ret,
		      struct nr_diag *d);
/* End what is left of the run on t (as nr_ssh_state_open does) and remove its state there. */
int nr_ssh_state_close(const struct nr_target *t, const struct nr_ssh_state *st,
		       struct nr_diag *d);
void nr_ssh_state_release(struct nr_ssh_state *st);

/* A command for an ssh host. */
struct nr_ssh_cmd {
	char *const *argv;
	char *const *env;     /* "K=V" set for it there, or NULL */
	const char *workdir;  /* cd there first (relative: to the ssh user's home), or NULL */
	bool make_workdir;    /* create workdir and its parents first */
	/*
	 * With both: run it as a job under the wrapper (exec_ssh.c): its own
	 * process group, a cgroup JOB below state->cgroup when there is one,
	 * state->dir/JOB.pid while it runs, and ended by the far side itself,
	 * with grace_us between SIGTERM and SIGKILL, once its standard input
	 * reaches end of file: start the local client with stdin_pipe.
	 */
	const struct nr_ssh_state *state;
	const char *job;      /* unique in the run: "ORDINAL.ATTEMPT.ROLE" */
	int64_t grace_us;
};

/*
 * The full argv that runs c on an ssh target. The remote command is
 * quoted once from argv, so no value becomes shell syntax there.
 */
void nr_ssh_command_argv(const struct nr_target *t, const struct nr_ssh_cmd *c,
			 struct nr_strvec *ret);

/*
 * Run argv on a target to completion (at most timeout_us), capturing its
 * output (bounded by `limit`). Returns 0 with the exit code in *ret_code,
 * NR_ETIMEOUT, or an error. For NR_TARGET_LOCAL and NR_TARGET_NETNS the
 * command runs here (in the namespace).
 */
int nr_target_run(const struct nr_target *t, char *const *argv, int64_t timeout_us,
		  size_t limit, int *ret_code, struct nr_buf *out, struct nr_buf *err,
		  struct nr_diag *d);

/*
 * End a job on t: SIGTERM to its process group, SIGKILL after grace_us,
 * then everything in its cgroup; its pidfile goes. In a hurry
 * (nr_exec_hurry), when no command can be waited for, the job is told to
 * end at once through `client`, its local ssh client (may be NULL).
 */
int nr_ssh_kill_job(const struct nr_target *t, const struct nr_ssh_state *st, const char *job,
		    const struct nr_proc *client, int64_t grace_us, struct nr_diag *d);

/* Close the shared connection to t, if there is one ("ssh -O exit"). */
void nr_ssh_close(const struct nr_target *t);

/* Whether /proc/net/tcp-format text lists `port` in LISTEN state. */
bool nr_port_listening_text(const char *text, int port);

/* Whether `port` listens on the target (for ssh: reads /proc/net/tcp there). */
bool nr_target_port_listening(const struct nr_target *t, pid_t local_pid, int port);

#endif
