/* Internal to exec/: what its files share (the guard, cgroups, hurry). */
#ifndef NR_EXEC_INT_H
#define NR_EXEC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct nr_diag;

/*
 * Tell the guard (exec_guard.c) a line: "+PGID START" a group to end,
 * "-PGID" one that needs no more; "cPATH" / "CPATH" a cgroup to kill and
 * remove / no more; "dPATH" / "DPATH" a directory to empty and remove /
 * no more. Nothing without a guard.
 */
void nr__exec_guard_tell(char op, const char *arg);

/* Set by nr_exec_hurry (a signal handler): waits end, stops skip grace. */
bool nr__exec_hurrying(void);

/*
 * The cgroup v2 directory at `path`: SIGKILL everything in it and below
 * (cgroup.kill, or each pid of cgroup.procs where the kernel has no
 * cgroup.kill), wait at most timeout_us until it is empty; then, with
 * `remove`, remove it and the cgroups below. The guard calls it too, in a
 * process forked while we had one thread. 0, NR_ETIMEOUT, or -errno.
 */
int nr__cgroup_kill_path(const char *path, int64_t timeout_us, bool remove);

/*
 * Our cgroup's directory from the texts of /proc/self/mountinfo (the
 * "cgroup2" mount, wherever it is: /sys/fs/cgroup on a pure v2 system,
 * /sys/fs/cgroup/unified on a hybrid one) and /proc/self/cgroup (the
 * "0::" line, below the mount's root). Both texts are cut up. *ret is the
 * caller's; NR_EUNSUPPORTED with the reason when there is none.
 */
int nr__cgroup_dir_from(char *mountinfo, char *proc_cgroup, char **ret, struct nr_diag *d);

/* Empty the directory `path` (files only, no recursion) and remove it. */
void nr__exec_remove_dir(const char *path);

/*
 * fn(arg) in a new process born inside the cgroup v2 directory open as
 * cgroup_fd, sharing our memory until it execs or exits (while the
 * calling thread waits), like vfork (exec_clone.c). fn must never return
 * and must obey vfork's rules: only async-signal-safe calls, nothing of
 * ours changed. argc: how many arguments it will exec (its stack is
 * sized for execvpe's). The child's pid; -ENOSYS when this way is not to
 * be had (no clone3 or no CLONE_INTO_CGROUP in the kernel, refused by
 * seccomp or valgrind: remembered for later calls; an architecture
 * without the code; NETRIG_CLONE3=off): use vfork and cgroup.procs; else
 * -errno of clone3 (EAGAIN: the cgroup's pids.max, EBUSY, EACCES ...).
 */
int nr__exec_clone_into(int cgroup_fd, size_t argc, void (*fn)(void *), void *arg);

/*
 * Close every descriptor from `low` up but `keep` (-1: none): close_range,
 * or one by one on kernels before 5.9 (exec_guard.c).
 */
void nr__exec_close_fds(int low, int keep);

/* mkdir -p dir (mode 0755): 0, or -errno (exec_wrap.c). */
int nr__exec_mkdir_p(const char *dir);
/* A wait status as a shell reports it: the exit code, 128 + N after signal N. */
int nr__exec_shell_status(int ws);

struct nr_target;
struct nr_strvec;
struct nr_job;
struct nr_proc;
/* Add a sentence (text, taken) to what t has to tell (exec_target.c). */
void nr__target_note(struct nr_target *t, char *text);
/*
 * ssh's control directories (exec_ssh_dir.c): a new private one (mode
 * 0700, /tmp/netrig-ssh.XXXXXX) marked with mark_text and watched by the
 * guard, into *ret (the caller's); removed (and the string freed; NULL:
 * nothing); those of mark_text a killed controller left, removed (how many).
 */
int nr__ssh_control_dir_new(const char *mark_text, char **ret, struct nr_diag *d);
void nr__ssh_control_dir_remove(char *dir);
int nr__ssh_control_dir_sweep(const char *mark_text);
/* The ssh client's argv that runs argv on the ssh target t (exec_ssh.c). */
void nr__ssh_argv(const struct nr_target *t, char *const *argv, struct nr_strvec *ret);

/*
 * The agent session on an ssh target (exec_session.c). ready: it is up
 * (started now if need be: the agent is there, the session is not
 * switched off, and starting it has not failed in this opening of t).
 * start: the job through it, as a relay in *ret; `slot` its cgroup there.
 * stop: end a job started through it (SIGTERM to its relay, which ends it
 * there and exits once it has ended); false when the job was not started
 * through it, or the session could not end it (gone): the caller ends it
 * its own way. close: end the session (every role still on it ends at once).
 */
bool nr__session_ready(struct nr_target *t);
int nr__session_start(struct nr_target *t, const struct nr_job *job, const char *dir,
		      const char *slot, struct nr_proc *ret, struct nr_diag *d);
bool nr__session_stop(struct nr_target *t, const struct nr_job *job, const struct nr_proc *p);
void nr__session_close(struct nr_target *t);

/* Run argv (a `sysinfo --json`) on t and take its JSON (exec_target.c). */
int nr__target_sysinfo_run(const struct nr_target *t, char *const *argv, char **ret_json,
			   struct nr_diag *d);

#endif
