/* Internal to runner/: one attempt of a case. */
#ifndef NR_RUNNER_INTERNAL_H
#define NR_RUNNER_INTERNAL_H

#include "exec/exec.h"
#include "runner/runner.h"

/* ---- hosts: targets, health, uploads, notifications (runner_hosts.c) ---- */

struct nr__hosts {
	const struct nr_campaign *c;
	struct nr_target *targets; /* c->n_hosts, each with its session */
	struct nr_target here;     /* this machine, the controller (workdirs and collect paths) */
	char *run_id;
	/* something the user should know about a host (kind "guard": no cgroup
	 * there; "agent": the agent copied there); may be NULL */
	void (*note)(void *ctx, const char *kind, const char *host, const char *msg);
	void *note_ctx;
};

/*
 * The host-pair probes of the plan's tests with `probe:` (runner_probe.c):
 * a tcp_rr once per pair (client role's host, server role's host, the
 * address the client uses), its result or failure added to the client
 * host's description (recs[i].sysinfo, "probes") and told in notes
 * (kind, host, message triples). Never fails.
 */
struct nr_host_rec;
struct nr_strvec;
void nr__probe_hosts(struct nr__hosts *h, const struct nr_plan *plan, const struct nr_cgroup *cg,
		     int cancel_fd, struct nr_host_rec *recs, struct nr_strvec *notes);

struct nr__role_run {
	const struct nr_role *role;
	const struct nr_host *host;
	bool started;
	struct nr_proc proc;
	char *job;     /* the job's name in the run ("ORDINAL.ATTEMPT.ROLE") */
	char *workdir; /* where it runs on its host, or NULL (the login's) */
	struct nr_sample_set samples;
};

struct nr__attempt {
	/* in */
	const struct nr_campaign *c;
	struct nr__hosts *hosts;
	int64_t ordinal;                 /* the case's, for remote pidfile names */
	const struct nr_test *t;
	const struct nr_case_plan *cp;
	const char *run_id;
	int repeat, number;
	int cancel_fd;
	const struct nr_cgroup *cgroup;  /* the run's: each attempt gets one below it; NULL: none */
	/* out */
	struct nr__role_run *roles; /* t->n_roles */
	enum nr_attempt_outcome outcome; /* UNKNOWN: none yet */
	int exit_code, signal;
	int64_t started_us, finished_us; /* real time */
	struct nr_buf error;
	bool interrupted;
	struct nr__collected *collected;
	size_t n_collected;
};

/* The files an attempt collected from its roles' hosts. */

/* ---- decisions (runner_decide.c): pure functions of counts ---- */

/* A case's counts, as the decisions see them. */
struct nr__tally {
	int repeats_done; /* passed repeats */
	int repeats;      /* the test's repeat */
	int failures;     /* failed attempts of the current repeat */
	int retries;      /* the test's retries: failures allowed beyond the first per repeat */
};

enum nr__next {
	NR__NEXT_REPEAT, /* the attempt passed; more repeats to go */
	NR__RETRY,       /* it failed; the same repeat again */
	NR__CASE_PASSED, /* every repeat has passed */
	NR__CASE_FAILED, /* a repeat failed more than `retries` times over */
};

/* What follows an attempt that passed or not; *t is updated. */
enum nr__next nr__decide_after_attempt(struct nr__tally *t, bool passed);
/* Whether `consecutive_failures` failed cases stop the run (stop_after_failures, 0: never). */
bool nr__decide_breaker(int consecutive_failures, int stop_after_failures);
struct nr__collected {
	char *role, *host, *stream; /* stream: "file:PATH" */
	struct nr_buf data;
};

/* ---- the scheduler's session and its case steps (runner.c) ---- */

struct nr__obs_set; /* runner_adaptive.c */
struct nr__design;

struct nr__session {
	struct nr_store *st;
	const struct nr_campaign *c;
	const struct nr_runner_opts *o;
	struct nr_run_rec *run;
	struct nr_plan plan;
	struct nr_case_rec *cases; /* parallel to plan.cases */
	size_t n;
	size_t done, passed, failed;
	size_t failed_optional; /* of failed: cases on an optional host, which do not fail the run */
	int64_t started_mono, case_time_us;
	size_t cases_this_session;
	int consecutive_failures;
	struct nr__hosts hosts;
	struct nr_cgroup *cgroup;  /* the run's on this machine; NULL: process groups only */
	bool resumed;              /* a killed session may have left processes behind */
	bool *uploaded;            /* per test: uploads done in this session */
	bool *checked;             /* per test: health checked (when: test) */
	bool checked_once;         /* when: once */
	struct nr_strvec failing_hosts; /* hosts that failed checks since the last passed case */
	/* what the hosts' descriptions told before the run was stored: kind, host, message, ... */
	struct nr_strvec early_notes;
	/* per variant and host (variant * n_hosts + host): its build in this
	 * session, 0 not yet, 1 done, -1 failed with build_errors[] saying why */
	signed char *built;
	char **build_errors;
	/* the same per test and host (test * n_hosts + host) for `build:` */
	signed char *test_built;
	char **test_build_errors;
	/* adaptive repeats (runner_adaptive.c) */
	struct nr__obs_set *obs;       /* per case: its summary samples so far; NULL until needed */
	char *baseline_run;            /* the run cases without variants are compared with; NULL: none */
	struct nr_sample_row *base_rows; /* its summary samples, read once */
	size_t n_base_rows;
	bool base_loaded;
	struct nr__design *designs;    /* sequential designs met, with their levels */
	size_t n_designs;
};

/* Record an event in the store and tell the user; never fails the run. */
void nr__note(struct nr__session *s, const struct nr_case_rec *c, const char *host,
	      const char *kind, const char *msg);

/* Failed attempts already made for `repeat` of a case (after a resume). */
int nr__case_failures_so_far(struct nr__session *s, const struct nr_case_rec *c, int repeat);
/*
 * Before a case: health checks of the hosts it uses (as often as the
 * campaign says), and the test's uploads once per session. false (with
 * the case's error set) when a host is down or an upload failed.
 */
bool nr__case_prepare_hosts(struct nr__session *s, size_t idx, struct nr_case_rec *c);
/* The case is under way: marked running in the store, the user told. */
int nr__case_start(struct nr__session *s, size_t idx, struct nr_diag *d);
/* The case fails without (more) attempts, for `why` (NULL: its error as it is). */
int nr__case_fail(struct nr__session *s, size_t idx, const char *why, struct nr_diag *d);
/* Store attempt `at` of case idx with its outputs (and samples when
 * passed) and the case as it stands after it, in one transaction. */
int nr__case_save_attempt(struct nr__session *s, size_t idx, struct nr__attempt *at, bool passed,
			  struct nr_diag *d);
/*
 * Attempts of case idx until it has `until` repeats done or has failed
 * (*failures: this repeat's failed attempts so far, against the test's
 * retries). Returns 0, NR_EINTR when interrupted (the case is pending
 * again, its finished repeats kept), or a store error.
 */
int nr__case_attempts(struct nr__session *s, size_t idx, int until, int *failures,
		      struct nr_diag *d);

/* --rerun (runner_rerun.c): the latest run of campaign `name`, finished or not. */
int nr__runner_latest_run(struct nr_store *st, const char *name, struct nr_run_rec *ret,
			  struct nr_diag *d);
/* The cases of s's run a --rerun pattern matches, in take[] (s->n); NR_ECONFIG
 * naming a pattern that matches none. Writes nothing. */
int nr__rerun_choose(const struct nr__session *s, bool *take, struct nr_diag *d);
/* Those cases pending again, their attempts superseded, in one transaction. */
int nr__rerun_mark(struct nr__session *s, const bool *take, struct nr_diag *d);

/* A case has ended (passed or failed): the counts, the breaker's, notifications. */
void nr__case_end(struct nr__session *s, size_t idx, int64_t took_us);

/* ---- adaptive repeats (runner_adaptive.c) ---- */

/* A passed attempt of case idx: its summary samples kept for the case's looks (adaptive tests only). */
void nr__adaptive_add(struct nr__session *s, size_t idx, const struct nr__attempt *at);
/*
 * The repeats of adaptive case idx (no variants): min, then one at a time
 * until decided or max (then passed, the decision noted). Returns 0,
 * NR_EINTR, or a store error.
 */
int nr__adaptive_case(struct nr__session *s, size_t idx, int *failures, struct nr_diag *d);
/*
 * Pairs of adaptive variant cases a, b: *target is the pairs to reach
 * (raised to min). Once both have *target, look: decided (or no baseline)
 * -> both passed and noted; else *target grows by one. Returns 0 or an
 * error.
 */
int nr__adaptive_pair_target(struct nr__session *s, size_t a, size_t b, int *target,
			     struct nr_diag *d);
void nr__adaptive_release(struct nr__session *s);

/* ---- variants: pairs, their order, builds (runner_variant.c) ---- */

/* The case of the other variant of case idx's combination, or SIZE_MAX. */
size_t nr__runner_partner(const struct nr__session *s, size_t idx);
/*
 * The two variants of one combination, a (the baseline's case) and b,
 * pair by pair (nr__pair_next), on the same hosts; see runner_variant.c.
 * Returns 0, NR_EINTR, or a store error.
 */
int nr__runner_pair(struct nr__session *s, size_t a, size_t b, struct nr_diag *d);

/*
 * Which case of a pair of variant cases makes its next repeat: 0 (the
 * baseline's) or 1, given the repeats each has done of `repeats`; -1
 * when both are done. Pair i (repeat i of each) runs the baseline first
 * when i is even and the candidate first when i is odd (ABBA, so a drift
 * that is linear over two pairs cancels); a case behind the other (the
 * second half of a pair that an interruption stopped) goes first, so a
 * pair is always repeat i of one with repeat i of the other.
 */
int nr__pair_next(int done_a, int done_b, int repeats);

/*
 * A build command on one host (a variant's, or one of a test's), as a
 * test of one role named "build" that nr__runner_attempt() runs like any
 * other (transport, process group, timeout, output kept): argv, env
 * (NULL: none), its timeout, the variant v (NULL: none) for its
 * templates, `of`'s output limit and kill grace. Borrows everything;
 * nothing to release.
 */
struct nr__build {
	struct nr_test t;
	struct nr_role role;
	/* the case as the build's one role sees it: on the build's host, not
	 * on the host of the case's first role (set by nr__build_attempt) */
	struct nr_case_plan cp;
	const struct nr_host *host;
};
void nr__build_init(struct nr__build *b, const struct nr_strvec *argv, const struct nr_kv *env,
		    int64_t timeout_us, const struct nr_variant *v, const struct nr_host *host,
		    const struct nr_test *of);
/*
 * Run build b as an attempt of case idx (repeat -1, the next number),
 * counted in the case's attempts, into *ret_at (not stored: the caller
 * sets the case's error, saves and releases it). NR_EINTR, with nothing
 * to release, when interrupted.
 */
int nr__build_attempt(struct nr__session *s, size_t idx, struct nr__build *b,
		      struct nr__attempt *ret_at);
/*
 * The `build:` commands of case idx's test on every host its roles use,
 * in order, once per test and host in a session, each stored as an
 * attempt of this case (repeat -1, role "build"), before its first
 * attempt (runner_build.c). false (the case failed, with the build's
 * error) when one failed, now or earlier in the session. 0 or a negative
 * error (NR_EINTR, the store) in *ret.
 */
bool nr__case_build_test(struct nr__session *s, size_t idx, int *ret, struct nr_diag *d);

/* Run one attempt; fills `at`. Never fails as a function: failures are outcomes. */
void nr__runner_attempt(struct nr__attempt *at);
void nr__runner_attempt_release(struct nr__attempt *at);

/* `cgroup` (the run's, or NULL) holds the shared connections. */
void nr__hosts_init(struct nr__hosts *h, const struct nr_campaign *c, const char *run_id,
		    const struct nr_cgroup *cgroup);
/* Ends what is left of the run on each host, removes its state there, closes the connections. */
void nr__hosts_release(struct nr__hosts *h);
/*
 * Open the run's session on a host (nr_target_open: the shared connection
 * and the run's state there, which first ends what a killed session of
 * the run left); a note about it goes to h->note. 0, or the reason in d.
 */
int nr__hosts_open(struct nr__hosts *h, const struct nr_host *host, struct nr_diag *d);
struct nr_target *nr__hosts_target(const struct nr__hosts *h, const struct nr_host *host);
/* Make {netrig} runnable on a host (nr_target_agent); a copy is noted. 0, or the reason in d. */
int nr__hosts_agent(struct nr__hosts *h, const struct nr_host *host, struct nr_diag *d);
/* The pids of the shared connections, which the orphan reaper must spare. */
size_t nr__hosts_keep(const struct nr__hosts *h, pid_t *out, size_t max);

/* A health-check verdict for one host. */
struct nr__health_result {
	int pings, ssh_checks; /* checks made */
	bool ok;
	struct nr_buf log;     /* what happened, one line per step */
};

/*
 * Told of each step of a health check as it happens: `kind` is "health"
 * for a failed ping or ssh check, "restart" for the restart and the wait.
 */
typedef void nr__health_step_fn(void *ctx, const char *kind, const char *line);

/*
 * Check `host` (ping, then an ssh login for ssh hosts), with the campaign's
 * retries; when it stays down and has a restart command, run it and wait
 * for the host to come back. Local hosts pass without checks. Each step
 * goes to on_step (if not NULL) when it happens, and into ret->log.
 */
void nr__health_check(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
		      nr__health_step_fn *on_step, void *ctx, struct nr__health_result *ret);

/*
 * restart_first: run the host's restart command (none: nothing) and wait
 * for its health checks to pass, as after a failed check; ret as for
 * nr__health_check.
 */
void nr__host_restart(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
		      nr__health_step_fn *on_step, void *ctx, struct nr__health_result *ret);

/*
 * `health.peers`: one ICMP echo from host `from` (`ping` run there) to the
 * address of `to`. 0, or NR_EEXEC (no answer, unreachable, no ping there)
 * with a message naming both hosts and the address.
 */
int nr__peer_ping(struct nr__hosts *h, const struct nr_host *from, const struct nr_host *to,
		  struct nr_diag *d);

/* Copy a test's uploads to their hosts. */
int nr__upload(const struct nr__hosts *h, const struct nr_test *t, struct nr_diag *d);

/* Read a file from a host (bounded by limit). */
int nr__collect_file(const struct nr__hosts *h, const struct nr_host *host, const char *path,
		     size_t limit, struct nr_buf *out, struct nr_diag *d);

#endif
