/*
 * Shared inside src/lab/ only: the state file, commands run to
 * completion, and the /proc and process helpers up and down use.
 */
#ifndef NR_LAB_INTERNAL_H
#define NR_LAB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"
#include "lab/lab.h"

/* What up recorded, so that down ends exactly that. */
struct nr__lab_state {
	bool exists;        /* the file was there */
	bool complete;      /* up got to the end */
	bool made_run_sshd; /* up created /run/sshd */
	/* per lab->hosts index: the sshd's pid (0: none) and its start time in clock ticks */
	pid_t *sshd_pid;
	uint64_t *sshd_start;
	size_t n;
};

void nr__lab_state_init(struct nr__lab_state *st, const struct nr_lab *lab);
void nr__lab_state_release(struct nr__lab_state *st);
/* A missing file is an empty state (0); unknown keys are ignored. */
int nr__lab_state_read(const struct nr_lab *lab, struct nr__lab_state *st, struct nr_diag *d);
/* Written to a temporary file, synced and renamed over the state file. */
int nr__lab_state_write(const struct nr_lab *lab, const struct nr__lab_state *st,
			struct nr_diag *d);

/*
 * Run argv (NULL-terminated) to completion in netns (NULL: this one), at
 * most 10 s. Its standard output goes to out when not NULL. NR_EEXEC
 * with the command and its stderr in d when it does not exit 0.
 */
int nr__lab_run(const char *netns, const char *const *argv, struct nr_buf *out,
		struct nr_diag *d);

/*
 * Whether pid is the sshd up started with `config`: /proc/PID/exe is
 * sshd, its command line names `config`, and it started at `start` (when
 * not 0), so a reused pid is never taken for it.
 */
bool nr__lab_is_our_sshd(pid_t pid, uint64_t start, const char *config);
/* Whether a process whose executable is sshd runs, other than those in skip. */
bool nr__lab_other_sshd_runs(const pid_t *skip, size_t n_skip);

struct nr__pidset {
	pid_t *v;
	size_t n, cap;
};
void nr__pidset_add(struct nr__pidset *s, pid_t pid);
bool nr__pidset_has(const struct nr__pidset *s, pid_t pid);
void nr__pidset_release(struct nr__pidset *s);
/* pid's descendants (children, theirs, ...), added to s. */
void nr__lab_descendants(pid_t pid, struct nr__pidset *s);
/*
 * Processes in the network namespace mounted at ns_path, except this
 * process and its ancestors (a `lab down` run inside the lab). Returns
 * how many were added.
 */
size_t nr__lab_netns_pids(const char *ns_path, struct nr__pidset *s);
/*
 * End every pid of s: SIGTERM, then SIGKILL to those left after grace_us,
 * through pidfds so a pid reused meanwhile is never signalled. Returns
 * how many were signalled.
 */
size_t nr__lab_kill(const struct nr__pidset *s, int64_t grace_us);

/*
 * Start `path` argv as a daemon in netns: its own session, stdin
 * /dev/null, stdout and stderr appended to log. It execs only after
 * record(pid, ctx) returned 0 (so a pid is on disk before the process
 * can exist as sshd); if record fails or this process dies first, the
 * child exits without exec.
 */
int nr__lab_spawn(const char *netns, const char *const *argv, const char *log,
		  int (*record)(pid_t pid, void *ctx), void *ctx, pid_t *ret_pid,
		  struct nr_diag *d);

#endif
