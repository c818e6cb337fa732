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

/*
 * The line a target's wrapper writes to stderr, before exit 127 or 126,
 * when the program cannot be run there ("netrig-exec: PROGRAM: not found").
 */
#define NR_EXEC_FAILED_MARK "netrig-exec: "
/*
 * When p ended because its program could not be run on its host (exit 127
 * or 126 with the wrapper's line last on stderr): "PROGRAM: not found" (or
 * the reason) into buf, and true.
 */
bool nr_proc_exec_failure(const struct nr_proc *p, char *buf, size_t size);

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

/* ---- where a command runs: targets (exec_target.c, exec_local.c, exec_ssh.c) ---- */

struct nr_target;

/*
 * A job: a command started on a target in a process group of its own
 * (and a pidfile in the run's private directory where the target is
 * another machine), ended as a group.
 */
struct nr_job {
	char *const *argv;
	char *const *env;     /* "K=V" set for it there, or NULL */
	const char *workdir;  /* where it runs (nr_target_workdir), or NULL */
	bool make_workdir;    /* create workdir and its parents first */
	const char *name;     /* unique in the run: "ORDINAL.ATTEMPT.ROLE" */
	int64_t grace_us;     /* SIGTERM -> SIGKILL */
	size_t output_limit;  /* bytes kept per stream */
	const struct nr_cgroup *cgroup; /* this machine's cgroup for the local process */
};

/*
 * How a kind of host is reached: a const table per transport (local,
 * netns, ssh). Callers deal in targets and jobs and never ask which
 * transport a target uses. An op that a transport does not need is NULL
 * (the nr_target_* functions below then do nothing and succeed).
 */
struct nr_target_ops {
	const char *name;      /* "local", "netns", "ssh" */
	bool remote;           /* another machine: files, ports, processes are its own */
	bool checked;          /* the campaign's health checks apply */
	bool own_ports;        /* ports are not this machine's: nr_target_port_free asks there */
	int64_t ready_poll_us; /* how often readiness is polled (a check there may cost a round trip) */
	/* the shared connection: made, or made again when it was lost; not fatal */
	void (*connect)(struct nr_target *t);
	/* the connection and the run's private state there (what a killed
	 * session of the run left is ended first); idempotent */
	int (*open)(struct nr_target *t, struct nr_diag *d);
	/* end what is left of the run there, remove its state, close the connection */
	void (*close)(struct nr_target *t);
	int (*start)(struct nr_target *t, const struct nr_job *job, struct nr_proc *ret,
		     struct nr_diag *d);
	/* end a job there that its local process p does not end by itself */
	int (*stop)(struct nr_target *t, const struct nr_job *job, const struct nr_proc *p,
		    struct nr_diag *d);
	int (*run)(const struct nr_target *t, char *const *argv, const char *stdin_path,
		   int64_t timeout_us, size_t limit, int *ret_code, struct nr_buf *out,
		   struct nr_buf *err, struct nr_diag *d);
	int (*read_file)(const struct nr_target *t, const char *path, size_t limit,
			 struct nr_buf *out, struct nr_diag *d);
	bool (*port_listening)(const struct nr_target *t, pid_t local_pid, int port);

	/* is it there (ping, a namespace that exists) */
	int (*reach)(const struct nr_target *t, int64_t timeout_us, struct nr_diag *d);
	/* can we log in (ssh: `true` over a login) */
	int (*login)(struct nr_target *t, int64_t timeout_us, struct nr_diag *d);
	/*
	 * Make {netrig} runnable there: copy the agent (nr_agent_find) once
	 * into the host's private base directory under a name holding its
	 * hash, verify it (sha256, on every run), and point t->netrig at it.
	 * NULL: this program runs there as it is.
	 */
	int (*agent)(struct nr_target *t, struct nr_diag *d);
	/*
	 * The host's own description (`netrig sysinfo --json` run there: in
	 * its namespace with its own /sys, through the agent on another
	 * machine) into *ret_json, malloc'ed. NULL: this machine's.
	 */
	int (*sysinfo)(struct nr_target *t, char **ret_json, struct nr_diag *d);
	/* remove what netrig keeps there between runs (agents); how many files */
	int (*clean)(struct nr_target *t, int *ret_removed, struct nr_diag *d);
};

extern const struct nr_target_ops nr_target_local_ops, nr_target_netns_ops, nr_target_ssh_ops;

/* A run's state on an ssh host: see nr_ssh_state_open. */
struct nr_ssh_state {
	char *dir;
	char *cgroup;    /* NULL: none */
	char *no_cgroup; /* then why not, for a note */
	struct nr_strvec slots_free; /* roles' cgroups there, empty, to reuse (exec_ssh.c) */
	struct nr_strvec slots_busy; /* "JOB\tSLOT" of roles that may still run */
	unsigned slots_made;
};

struct nr_target {
	const struct nr_target_ops *ops;
	const char *name;        /* for messages and the run's state directory there */
	const char *netns;       /* netns: the namespace */
	const char *address;     /* ssh: host name or address */
	const char *user;        /* ssh: NULL for ssh's default */
	int port;                /* ssh: 0 for ssh's default */
	const char *identity;    /* ssh: private key, or NULL */
	const char *jump;        /* ssh: ProxyJump, or NULL */
	char *const *ssh_options;/* ssh: extra "-o" values, NULL-terminated or NULL */
	const char *workdir;     /* where jobs run unless told: local: a directory here; ssh: NULL is the login's */
	const char *netrig;      /* what {netrig} is there */
	const char *run_id;      /* names the run's state there */
	const struct nr_cgroup *cgroup; /* where the shared connection's process goes */
	/* ---- the session, the target's own (opened by the ops, freed by nr_target_close) ---- */
	char *control_dir;       /* ssh: a private directory for the shared connection's socket */
	char *control_path;      /* ssh: that socket, or NULL: no sharing */
	struct nr_proc master;   /* ssh: the shared connection's process, when master_up */
	bool master_up;
	struct nr_ssh_state state; /* ssh: the run's state there, when state_open */
	bool state_open;
	char *note;              /* something to tell once (open, agent): the caller takes and frees it */
	char *agent_path;        /* ssh: the verified agent there, once found or copied */
	char *agent_error;       /* ssh: why the last try to have it there failed, or NULL */
	int64_t agent_copy_us;   /* ssh: what copying it took in this session (0: it was there) */
	size_t agent_bytes;      /* ssh: its size, when copied */
	/* ssh: the agent session (exec_session.c), where the agent is there */
	struct nr_proc session;  /* its mux here, when session_up */
	bool session_up;
	bool session_off;        /* not tried again until closed: it could not start, or is switched off */
	char *session_sock;      /* the mux's socket, in control_dir */
	char *session_agent;     /* this machine's agent, which runs the mux and the relays */
	struct nr_strvec session_jobs; /* jobs started through it and not stopped yet */
};

/* The agent on this machine, to copy to other hosts (exec_agent.c). */
struct nr_agent {
	char *path;
	char sha256[65];         /* of its bytes, hex */
	char machine[65];        /* uname -m of this machine, which it is built for */
	size_t bytes;
};
/*
 * Find the agent: $NETRIG_AGENT, else netrig-agent beside this program,
 * else ../lib/netrig/netrig-agent from it (an installed netrig); hash
 * it. NR_ENOTFOUND naming where it looked.
 */
int nr_agent_find(struct nr_agent *ret, struct nr_diag *d);
void nr_agent_release(struct nr_agent *a);

/*
 * A job on an ssh host under the agent (`netrig-agent wrap`, exec_wrap.c),
 * with the contract of exec_ssh.c's sh wrapper.
 */
struct nr_wrap_spec {
	bool grouped;            /* it leads its process group already (MODE "g") */
	const char *dir;         /* the run's state directory there: DIR/JOB.pid */
	const char *job;
	const char *cgroup;      /* the job's slot below the run's cgroup; NULL or "": none */
	int grace_tenths;        /* from SIGTERM to SIGKILL when stdin ends */
	char *const *argv;       /* the command, argv[0] looked up on PATH */
};
/*
 * Run spec's command as a job: in a process group of its own (made where
 * the caller does not lead one), in its slot where it can have one (or a
 * cgroup JOB beside it), "PID START CGROUP" in DIR/JOB.pid while it runs,
 * stdin /dev/null. The caller's stdin is netrig's: at its end (netrig is
 * gone) the job is ended with grace_tenths of grace, on a line "now" at
 * once, and this process ends by SIGKILL with it. Once the command ends,
 * the rest of its group and cgroup is ended, the slot kept (emptied), the
 * pidfile removed. *ret_status: the command's exit status (128 + signal)
 * when 0 is returned; else 127 with "PROGRAM: not found" in d, 126 with
 * "PROGRAM: Permission denied" or "PROGRAM: Is a directory" (the text the
 * cannot-run marker NR_EXEC_FAILED_MARK carries), 125 with another reason.
 */
int nr_exec_wrap(const struct nr_wrap_spec *spec, int *ret_status, struct nr_diag *d);

/*
 * The agent session (exec_session.c): its far side, `netrig-agent
 * session` (exec_serve.c), serving roles over its standard input and
 * output until their end; 0, or -errno when its loop failed.
 */
int nr_exec_serve(struct nr_diag *d);
/*
 * Its near side (exec_relay.c): `netrig-agent mux SOCK SSH...` holds the
 * session (SSH runs its far side) for the relays that connect to SOCK;
 * its exit status (0: closed by netrig; else the session was lost), or a
 * negative error with d when it could not start.
 */
int nr_exec_mux(const char *sock, char *const *ssh_argv, struct nr_diag *d);
/*
 * `netrig-agent relay SOCK HOST FIELDS...`: one role through the mux at
 * SOCK, as a process of its own; the role's exit status (255, said on
 * stderr naming HOST, when the session is gone).
 */
int nr_exec_relay(const char *sock, const char *host, char *const *fields);

static inline void nr_target_connect(struct nr_target *t)
{
	if (t->ops->connect)
		t->ops->connect(t);
}
static inline int nr_target_open(struct nr_target *t, struct nr_diag *d)
{
	return t->ops->open ? t->ops->open(t, d) : 0;
}
/* Also frees the session's memory: t can be opened again after. */
void nr_target_close(struct nr_target *t);
static inline int nr_target_start(struct nr_target *t, const struct nr_job *job,
				  struct nr_proc *ret, struct nr_diag *d)
{
	return t->ops->start(t, job, ret, d);
}
static inline int nr_target_stop(struct nr_target *t, const struct nr_job *job,
				 const struct nr_proc *p, struct nr_diag *d)
{
	return t->ops->stop ? t->ops->stop(t, job, p, d) : 0;
}
static inline int nr_target_read_file(const struct nr_target *t, const char *path, size_t limit,
				      struct nr_buf *out, struct nr_diag *d)
{
	return t->ops->read_file(t, path, limit, out, d);
}
static inline int nr_target_agent(struct nr_target *t, struct nr_diag *d)
{
	return t->ops->agent ? t->ops->agent(t, d) : 0;
}
static inline int nr_target_reach(const struct nr_target *t, int64_t timeout_us,
				  struct nr_diag *d)
{
	return t->ops->reach ? t->ops->reach(t, timeout_us, d) : 0;
}
/*
 * Where a job runs: the test's workdir `test_wd` (absolute, or relative
 * to the target's workdir), else the target's; *ret_make: it must be made.
 * malloc'ed, or NULL (the login's directory).
 */
char *nr_target_workdir(const struct nr_target *t, const char *test_wd, bool *ret_make);
/*
 * The pids of the processes the target keeps between jobs (the shared
 * connection, the agent session's mux) into out[0..max): how many.
 */
size_t nr_target_keep_pids(const struct nr_target *t, pid_t *out, size_t max);
/*
 * Copy the file or tree `from` (on this machine) into directory `to` on
 * the target, under its own name, as a tar stream unpacked there by `tar
 * -x` (nothing but sh and tar needed there). NR_EEXEC with tar's last
 * line of stderr.
 */
int nr_target_copy_to(const struct nr_target *t, const char *from, const char *to,
		      struct nr_diag *d);

/*
 * Run argv on t to completion (at most timeout_us), standard input from
 * stdin_path (NULL: /dev/null), capturing its output (bounded by
 * `limit`). Returns 0 with the exit code in *ret_code, NR_ETIMEOUT, or an
 * error. On local and netns targets the command runs here (in the namespace).
 */
static inline int nr_target_run(const struct nr_target *t, char *const *argv, int64_t timeout_us,
				size_t limit, int *ret_code, struct nr_buf *out, struct nr_buf *err,
				struct nr_diag *d)
{
	return t->ops->run(t, argv, NULL, timeout_us, limit, ret_code, out, err, d);
}

/* Whether /proc/net/tcp-format text lists `port` in LISTEN state. */
bool nr_port_listening_text(const char *text, int port);
/* Whether it lists a socket on local port `port` in any state. */
bool nr_port_bound_text(const char *text, int port);

/*
 * Whether TCP port `port` is free on the target for a server to bind
 * (no socket of its network namespace has it): this machine's ports are
 * the caller's to pick (nr_free_port), a netns host's and another
 * machine's are read from /proc/net/tcp there. A target that cannot be
 * asked counts as free: its role then fails in its own words.
 */
bool nr_target_port_free(const struct nr_target *t, int port);

/*
 * Whether `port` listens on the target: in local_pid's network namespace
 * here, in /proc/net/tcp there on another machine (nothing connects).
 */
static inline bool nr_target_port_listening(const struct nr_target *t, pid_t local_pid, int port)
{
	return t->ops->port_listening(t, local_pid, port);
}

#endif
