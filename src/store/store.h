/*
 * The results store: runs -> cases (the status sheet) -> attempts ->
 * outputs and samples, plus each run's hosts and the metrics seen.
 *
 * One interface, two backends behind it: SQLite files (store_sqlite.c,
 * the default) and PostgreSQL databases (store_pg.c, one store that many
 * controllers write into at once). Ids are UUIDs so stores written in
 * many environments merge without collisions. Every write that belongs together is one
 * transaction: a killed writer loses at most the attempt in flight.
 *
 * Records own their strings; the _release functions free them. Times are
 * real-time microseconds since the epoch, 0 for "not yet".
 */
#ifndef NR_STORE_H
#define NR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/rand.h"
#include "base/str.h"
#include "metric/metric.h"

#define NR_STORE_SCHEMA_VERSION 10

struct nr_store;

/* Run and case statuses, attempt outcomes, job statuses: metric/state.h. */

/* Whether a running run's controller still lives, as this machine can tell. */
enum nr_controller_state {
	NR_CONTROLLER_UNKNOWN = 0, /* the run is not running (or was not read from a store) */
	NR_CONTROLLER_ALIVE,       /* its process runs on this machine */
	NR_CONTROLLER_GONE,        /* its process on this machine is gone: killed, crashed, rebooted */
	NR_CONTROLLER_ELSEWHERE,   /* on another machine: only its heartbeat's age tells */
};

struct nr_run_rec {
	char id[NR_UUID_LEN + 1];
	char *campaign;
	char *campaign_path;
	char *config;      /* the campaign file's text */
	char *config_hash; /* sha256 of config */
	char *commit;      /* NULL when unknown */
	char *branch;      /* NULL when unknown */
	char *labels;      /* JSON object text */
	enum nr_run_status status;
	char *reason;      /* why it failed or stopped; NULL */
	char *controller;  /* host name of the machine that ran it */
	char *version;     /* netrig's */
	int pid;           /* the controller's pid while running, else 0 */
	char *pid_start;   /* the controller process's identity (base/pid.h), NULL: unknown */
	int64_t heartbeat_us; /* the controller's last write (real time), 0: unknown */
	int64_t started_us, finished_us;
	/*
	 * JSON object text: what chose the run's cases, {"test": [patterns],
	 * "set": [[PARAM, VALUE], ...]} (campaign/campaign.h, struct
	 * nr_select), so a resume plans what the run planned; NULL: every case
	 */
	char *options;
	/* filled by queries, not stored */
	int64_t n_cases, n_passed, n_failed, n_pending;
	/* the campaign's runs in the store: nr_store_runs_find with latest_per_campaign, else 0 */
	int64_t n_campaign_runs;
	/* the shortest prefix of id (8 characters or more) no other run of the store shares */
	char short_id[NR_UUID_LEN + 1];
	enum nr_controller_state controller_state;
};

struct nr_host_rec {
	char id[NR_UUID_LEN + 1];
	char *name;
	char *transport;
	char *address;
	char *sysinfo; /* JSON text, or NULL */
	char *labels;  /* JSON object text of the campaign's `labels:` of the host, or NULL */
	bool optional; /* `optional: true`: its cases' failures do not fail the run */
};

struct nr_case_rec {
	char id[NR_UUID_LEN + 1];
	char run_id[NR_UUID_LEN + 1];
	int64_t ordinal;  /* 1-based position in the plan */
	char *test;
	char *key;        /* "test/a=1,b=x" */
	char *params;     /* JSON object text */
	enum nr_case_status status; /* UNKNOWN when added: pending */
	int repeats;      /* planned */
	int repeats_done; /* repeats with a passing attempt */
	int attempts;     /* attempts made so far */
	int64_t started_us, finished_us;
	int ping_count, ssh_check_count; /* health checks made (0 for local hosts) */
	char *hosts;      /* JSON object role -> host name */
	char *error;      /* the last failure, or NULL */
};

struct nr_attempt_rec {
	char id[NR_UUID_LEN + 1];
	char case_id[NR_UUID_LEN + 1];
	int number;       /* 1-based within the case */
	int repeat;       /* 0-based */
	enum nr_attempt_outcome outcome;
	int exit_code;    /* of the main role(s): the first non-zero, else 0; -1: signal */
	int signal;
	int64_t started_us, finished_us;
	char *error;
	/*
	 * The case was run again after this attempt (`run --rerun`): kept for
	 * its log, but its samples are no longer the case's (every sample
	 * query leaves them out) and its failure no longer counts.
	 */
	bool superseded;
};

/* One captured stream, to be stored (compressed) with an attempt. */
struct nr_output_in {
	const char *role;
	const char *host;
	const char *stream; /* "stdout", "stderr", or a collected file's name */
	struct nr_slice data;
	uint64_t dropped;   /* bytes past the output limit, not kept */
};

/* One stored stream, as read back (decompressed). */
struct nr_output_rec {
	char *role, *host, *stream;
	struct nr_buf data;
	uint64_t size, dropped;
};

/* The samples one role's parser produced in an attempt. */
struct nr_role_samples {
	const char *role;
	const struct nr_sample_set *set;
};

/* What a series is: one case (test, key) x role x metric, with the metric's unit and direction. */
struct nr_series {
	char *test, *key, *role, *metric, *unit;
	enum nr_better better;
};

/* Copy src into dst, duplicating its strings (NULL stays NULL). */
void nr_series_copy(struct nr_series *dst, const struct nr_series *src);
/* Free the strings and zero s. */
void nr_series_release(struct nr_series *s);
/*
 * Order series by key, role, metric. The key names the case, its test
 * included, so equal keys mean equal tests; 0 means the same series.
 */
int nr_series_order(const struct nr_series *a, const struct nr_series *b);

/* A sample as queried, with its case and run. */
struct nr_sample_row {
	char run_id[NR_UUID_LEN + 1];
	char case_id[NR_UUID_LEN + 1];
	struct nr_series id;
	int repeat;
	int attempt;      /* attempt number */
	int64_t interval; /* -1: summary */
	double value;
};

/*
 * Something that happened in a run outside an attempt: a health check
 * that failed, a restart, a notification that could not be sent.
 */
struct nr_event_rec {
	char id[NR_UUID_LEN + 1];
	char run_id[NR_UUID_LEN + 1];
	char case_id[NR_UUID_LEN + 1]; /* "" for the run as a whole */
	int64_t time_us;
	char *host;    /* NULL when no host is concerned */
	char *kind;    /* "health", "restart", "notify", "breaker", ... */
	char *message;
};

struct nr_merge_stats {
	int64_t runs, cases, attempts, samples; /* rows added or brought forward */
};

/*
 * Open (creating if needed) the store at `location`: a file path for
 * SQLite, a postgres:// or postgresql:// URL for PostgreSQL (libpq's PG*
 * variables fill in what it leaves out). Older schemas are migrated.
 * NR_ESTORE with a message for a missing directory, an unreadable,
 * unwritable or corrupt file, a server that cannot be reached or refuses
 * the login; NR_ESCHEMA when the store comes from a newer netrig.
 */
int nr_store_open(const char *location, struct nr_store **ret, struct nr_diag *d);
/*
 * The same for commands that only read: a store that does not exist yet
 * (no file, no netrig tables in the database) is NR_ENOTFOUND ("no
 * database at ..."), not created.
 */
int nr_store_open_existing(const char *location, struct nr_store **ret, struct nr_diag *d);
void nr_store_close(struct nr_store *st);
/*
 * `location` as it may be shown in a message or a log: a password in a
 * URL written "***". Free the result.
 */
char *nr_store_location_shown(const char *location);
/* The schema version the store had before this open migrated it. */
int nr_store_opened_version(const struct nr_store *st);

/* ---- writes ---- */

/* The run, its hosts and all its pending cases, in one transaction. */
int nr_store_run_create(struct nr_store *st, const struct nr_run_rec *run,
			const struct nr_host_rec *hosts, size_t n_hosts,
			const struct nr_case_rec *cases, size_t n_cases, struct nr_diag *d);
/*
 * status, reason, pid, pid_start, finished_us of an existing run. When the
 * run is no longer running, a case it left running (the one in flight when
 * it was interrupted or stopped) goes back to pending, in the same
 * transaction: its finished repeats stay.
 */
int nr_store_run_update(struct nr_store *st, const struct nr_run_rec *run, struct nr_diag *d);
/*
 * Take over an unfinished run for this process: status, controller, pid
 * and pid_start as in `now` (reason and finished_us cleared), but only if
 * the run is still as `was` read it (status, pid, pid_start), in one
 * statement. -EBUSY when another process changed it first (two resumes of
 * one run: exactly one gets it).
 */
int nr_store_run_claim(struct nr_store *st, const struct nr_run_rec *was,
		       const struct nr_run_rec *now, struct nr_diag *d);
/*
 * The mutable fields of a case (status, counts, times, hosts, error). This,
 * nr_store_attempt_save and nr_store_event_add are the controller's
 * heartbeat: they set the run's heartbeat_us to now in the same transaction.
 */
int nr_store_case_update(struct nr_store *st, const struct nr_case_rec *c, struct nr_diag *d);
/*
 * An attempt with its outputs and samples, and the case as it stands
 * after it, in one transaction. NR_ESTORE for a sample that is not finite
 * (the parsers let none through): nothing is written.
 */
int nr_store_attempt_save(struct nr_store *st, const struct nr_case_rec *case_after,
			  const struct nr_attempt_rec *a, const struct nr_output_in *outs,
			  size_t n_outs, const struct nr_role_samples *samples,
			  size_t n_samples, struct nr_diag *d);

/*
 * Run these cases of run `run_id` again (`run --rerun`), in one
 * transaction: every attempt they have is marked superseded, and each case
 * is written as given (the caller makes it pending with no repeats done;
 * its attempt count goes on, so attempt numbers stay unique).
 */
int nr_store_cases_rerun(struct nr_store *st, const char *run_id,
			 const struct nr_case_rec *cases, size_t n, struct nr_diag *d);

/* Record an event (its own transaction, with the run's heartbeat). */
int nr_store_event_add(struct nr_store *st, const struct nr_event_rec *ev, struct nr_diag *d);

/* ---- reads ---- */

/* Events of a run (case_id NULL) or of one case, oldest first. */
int nr_store_events_list(struct nr_store *st, const char *run_id, const char *case_id,
			 struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d);

/*
 * A run by selector: a full id or unique prefix, "latest", or NULL for
 * latest. NR_ENOTFOUND / NR_EAMBIGUOUS with a message.
 */
int nr_store_run_get(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
		     struct nr_diag *d);
/*
 * "running", or "running (controller gone)" / "running (no heartbeat for
 * 42 s)" when its controller_state says so: a run's status for people.
 */
const char *nr_run_status_text(const struct nr_run_rec *r, char *buf, size_t size);

/* The latest run of `campaign` that did not finish (running, interrupted, stopped). */
int nr_store_run_resumable(struct nr_store *st, const char *campaign, struct nr_run_rec *ret,
			   struct nr_diag *d);
/*
 * Runs a selector names, newest first, at most `limit` (0: all): a run id
 * or unique prefix, "latest", "branch:NAME", "commit:SHA" (a prefix),
 * "label:KEY=VALUE" (a label of the run, or of a host one of its cases ran on),
 * optionally only of `campaign` (NULL: any). Runs still
 * running are left out of the branch/commit/label forms. NR_ENOTFOUND
 * when none matches.
 */
int nr_store_runs_select(struct nr_store *st, const char *selector, const char *campaign,
			 size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
/*
 * Summary samples of every finished run of `campaign` started at or after
 * since_us (0: all), oldest run first: the histories change-point
 * detection reads.
 */
int nr_store_samples_history(struct nr_store *st, const char *campaign, int64_t since_us,
			     struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
/* Runs, newest first, at most `limit` (0: all). */
int nr_store_runs_list(struct nr_store *st, size_t limit, struct nr_run_rec **ret,
		       size_t *ret_n, struct nr_diag *d);
/*
 * Which runs nr_store_runs_find reads; a NULL or 0 field matches every
 * run. The store filters and limits, so a server with a hundred thousand
 * runs reads the ten it answers with, not all of them.
 */
struct nr_run_filter {
	const char *campaign;
	const char *branch;
	const char *commit;       /* a prefix of the commit, exactly (case counts) */
	const char *label;        /* KEY=VALUE among the run's own labels */
	const char *user;         /* pushed by this user (the uploads table) */
	int64_t since_us;         /* started at or after this (real time); 0: any */
	bool latest_per_campaign; /* each campaign's newest run, if it passes; n_campaign_runs */
	size_t limit;             /* at most this many, newest first; 0: all */
};
/* Runs that pass f, newest first. A label without '=' matches nothing. */
int nr_store_runs_find(struct nr_store *st, const struct nr_run_filter *f,
		       struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
/* How many runs the store has of each status: by_status[status], 1 to NR_RUN_STATUS_N. */
int nr_store_runs_count(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
			struct nr_diag *d);
int nr_store_hosts_list(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
			size_t *ret_n, struct nr_diag *d);
/* Cases of a run in plan order. */
int nr_store_cases_list(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
			size_t *ret_n, struct nr_diag *d);
/* Attempts of a case in order. */
int nr_store_attempts_list(struct nr_store *st, const char *case_id,
			   struct nr_attempt_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr_store_outputs_get(struct nr_store *st, const char *attempt_id,
			 struct nr_output_rec **ret, size_t *ret_n, struct nr_diag *d);
/* Summary samples of a run (interval < 0 unless with_intervals), in case order. */
int nr_store_samples_list(struct nr_store *st, const char *run_id, bool with_intervals,
			  struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
/*
 * Find what `selector` names for `netrig log`: an attempt id (or prefix),
 * a case id (or prefix), or a case key in run `run_id` (NULL: the latest
 * run). On success *ret_case_id is the case, and *ret_attempt_id the
 * attempt when one was named (else "").
 */
int nr_store_locate(struct nr_store *st, const char *selector, const char *run_id,
		    char ret_case_id[NR_UUID_LEN + 1], char ret_attempt_id[NR_UUID_LEN + 1],
		    struct nr_diag *d);

/*
 * Run a user's SQL read-only (SQLite: a separate connection that cannot
 * write; PostgreSQL: a cursor in a READ ONLY transaction with a statement
 * timeout) and append the rows as a JSON array of objects to out. At
 * most `max_rows` rows. NR_ESTORE with the database's message on a bad
 * query or an attempt to write.
 */
int nr_store_query_json(struct nr_store *st, const char *sql, size_t max_rows,
			struct nr_buf *out, struct nr_diag *d);

/*
 * Add the runs of another store (a file or a URL, of either backend);
 * rows already here are not added twice, samples that are not finite not
 * at all. NR_EINVAL (missing, not a file, this store itself by any path
 * or URL, not a whole SQLite file, not netrig's, a server that cannot be
 * reached, rows that do not fit) or NR_ESCHEMA (newer, or an older
 * PostgreSQL database) for a source that cannot be merged; NR_ESTORE when
 * this store fails.
 */
int nr_store_merge(struct nr_store *st, const char *source, struct nr_merge_stats *ret,
		   struct nr_diag *d);

/* ---- the job queue (jobs table) ---- */

/*
 * A job: a campaign to run when a worker that offers what it needs is
 * free. The campaign is its file's text (config, with its name and path),
 * or a repository, a path in it and a commit (repo, repo_path,
 * repo_commit; config NULL).
 */
struct nr_job_rec {
	char id[NR_UUID_LEN + 1];
	char *campaign;      /* the campaign's name */
	char *campaign_path; /* the file it was submitted from, or NULL */
	char *config;        /* the campaign file's text, or NULL (repository form) */
	char *repo, *repo_path, *repo_commit; /* the repository form, else NULL */
	/*
	 * The branch the commit was on (NULL: unknown). With the file form,
	 * repo_commit alone (repo and repo_path NULL) names the commit the run
	 * is of (a webhook's job with a campaign file beside the server's config).
	 */
	char *repo_branch;
	/*
	 * Where the job's end is to be reported: a JSON object, e.g. {"github":
	 * "O/R", "sha": SHA, "pr": N, "comment": ID}, or NULL (nowhere).
	 */
	char *origin;
	char *cancelled_by;  /* who cancelled it, or NULL */
	char *reported;      /* what was reported of it so far: NULL, "pending" or "final" */
	int64_t reported_us; /* when */
	char *tests;         /* JSON array of --test arguments; "[]": every test */
	char *overrides;     /* JSON object of --set K=V; "{}": none */
	char *needs;         /* JSON array of "K=V" a worker must offer, all of them; "[]" */
	char *labels;        /* JSON object, given to the run's labels */
	char *requester;     /* who submitted it */
	enum nr_job_status status;
	char *worker;        /* the worker that holds (or held last) its lease, or NULL */
	int64_t lease_until_us; /* while running: the lease ends then unless renewed */
	int tries;           /* claims so far */
	int failures;        /* tries in a row that failed (a try that ends well resets it) */
	char *reasons;       /* a line per try that did not end it (failed, lost, stopped), or NULL */
	char run_id[NR_UUID_LEN + 1]; /* the run it made, "" before */
	int64_t created_us, started_us, finished_us;
};

/*
 * What a worker writes into a job it holds the lease of (nr_store_job_update):
 * status, lease_until_us, run_id, failures, reasons, finished_us as in the record.
 */

/* Queue a job (id, created_us and the job's text set by the caller; status queued). */
int nr_store_job_add(struct nr_store *st, const struct nr_job_rec *job, struct nr_diag *d);
/*
 * Claim the oldest job that `worker` may take: queued, or running with a
 * lease that ended before now_us (its worker was killed or cut off: the
 * lost try is added to its reasons), and whose needs are all in offers
 * (a JSON array of "K=V"). It becomes running, its lease held by worker
 * until now_us + lease_us, tries + 1. One transaction; two workers never
 * claim one job (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: BEGIN
 * IMMEDIATE). NR_ENOTFOUND when no job fits; *ret (the job as claimed)
 * otherwise.
 */
int nr_store_job_claim(struct nr_store *st, const char *worker, const char *offers,
		       int64_t now_us, int64_t lease_us, struct nr_job_rec *ret,
		       struct nr_diag *d);
/*
 * Write job's status, lease_until_us, run_id (when not ""), failures,
 * reasons and finished_us, only while `worker` holds its lease and it is
 * running: -EBUSY when not (the lease ended and another worker took it,
 * or it was cancelled).
 */
int nr_store_job_update(struct nr_store *st, const struct nr_job_rec *job, const char *worker,
			struct nr_diag *d);
/*
 * Cancel a queued or running job (a running one's worker finds its lease
 * gone at its next renewal and stops), `who` (or NULL) recorded as who did.
 * -EBUSY when it had ended already.
 */
int nr_store_job_cancel(struct nr_store *st, const char *id, const char *who, int64_t now_us,
			struct nr_diag *d);
/*
 * Jobs with an origin that have something to report: nothing reported
 * yet, or ended with only "pending" reported; oldest first, at most max.
 * (A job queued and reported pending waits out of the way of the rest.)
 */
int nr_store_jobs_to_report(struct nr_store *st, size_t max, struct nr_job_rec **ret,
			    size_t *ret_n, struct nr_diag *d);
/* Record what was reported of a job to where it came from (its origin): "pending" or "final". */
int nr_store_job_reported(struct nr_store *st, const char *id, const char *what, int64_t now_us,
			  struct nr_diag *d);
/* Jobs of a status (NR_JOB_UNKNOWN: any), the newest `limit` (0: all), oldest first. */
int nr_store_jobs_list(struct nr_store *st, enum nr_job_status status, size_t limit,
		       struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d);
/* How many jobs the store has of each status: by_status[status], 1 to NR_JOB_STATUS_N. */
int nr_store_jobs_count(struct nr_store *st, int64_t by_status[NR_JOB_STATUS_N + 1],
			struct nr_diag *d);
/*
 * Whether a job's repository form is one a worker may check out: repo a
 * URL or path that git cannot take for an option or a transport helper,
 * path relative and inside the repository, commit 7 to 64 lower-case hex
 * digits, branch (NULL: none) a plain branch name. NR_EINVAL saying which.
 */
int nr_store_job_check_repo(const char *repo, const char *path, const char *commit,
			    const char *branch, struct nr_diag *d);
/* A job by id or unique id prefix; NR_ENOTFOUND / NR_EAMBIGUOUS. */
int nr_store_job_get(struct nr_store *st, const char *selector, struct nr_job_rec *ret,
		     struct nr_diag *d);
/* ---- retention (netrig db prune, db vacuum) ---- */

/* Which runs a prune removes: those outside every rule given. */
struct nr_prune_rule {
	size_t keep_runs;      /* keep the newest N runs of each campaign; 0: no such rule */
	int64_t older_than_us; /* remove runs started longer ago than this; 0: no such rule */
	int64_t now_us;
};

struct nr_prune_stats {
	int64_t runs, attempts, outputs, samples; /* rows removed */
};

/*
 * The ids of the runs (newest first, as nr_store_runs_list gives them)
 * that `rule` removes, appended to ret. A running run never is; with
 * both rules a run must be outside both (not among the newest N and
 * older than the age); with none, nothing is.
 */
void nr_store_prune_select(const struct nr_run_rec *runs, size_t n, const struct nr_prune_rule *rule,
			   struct nr_strvec *ret);
/*
 * Remove the runs run_ids names with everything of theirs (cases,
 * attempts, raw outputs, samples, events, hosts), or with outputs_only
 * their raw outputs alone (samples and the status sheet stay), in one
 * transaction. A run that is running again by then is left alone.
 */
int nr_store_prune(struct nr_store *st, const struct nr_strvec *run_ids, bool outputs_only,
		   struct nr_prune_stats *ret, struct nr_diag *d);
/* Give the space of removed rows back (SQLite: VACUUM; PostgreSQL: VACUUM (ANALYZE)). */
int nr_store_vacuum(struct nr_store *st, struct nr_diag *d);

void nr_job_rec_release(struct nr_job_rec *j);
void nr_jobs_free(struct nr_job_rec *v, size_t n);


/* ---- users, tokens, uploads (netrig serve) ---- */

/* Token scopes: what a token lets its user do on a server. */
#define NR_SCOPE_PUSH "push"       /* upload runs */
#define NR_SCOPE_TRIGGER "trigger" /* queue jobs */
#define NR_SCOPE_READ "read"       /* read the API when reading is not public */
#define NR_SCOPE_ADMIN "admin"     /* everything */

/* A token's id: the part of the token that finds its row (16 hex digits). */
#define NR_TOKEN_ID_LEN 16

struct nr_token_rec {
	char id[NR_TOKEN_ID_LEN + 1];
	char *user;  /* the user's name */
	char *scope; /* NR_SCOPE_* */
	char hash[65]; /* SHA-256 of the whole token, hex: the token itself is never stored */
	int64_t created_us;
	int64_t expires_us; /* 0: never */
	int64_t revoked_us; /* 0: not revoked */
};

/* A new user `name`. NR_EINVAL when one of that name is there. */
int nr_store_user_add(struct nr_store *st, const char *name, struct nr_diag *d);
/* A token of an existing user t->user (NR_ENOTFOUND: no such user). */
int nr_store_token_add(struct nr_store *st, const struct nr_token_rec *t, struct nr_diag *d);
/* The token with id `id` (revoked and expired ones too); NR_ENOTFOUND. */
int nr_store_token_get(struct nr_store *st, const char *id, struct nr_token_rec *ret,
		       struct nr_diag *d);
/* Every token, oldest first. */
int nr_store_tokens_list(struct nr_store *st, struct nr_token_rec **ret, size_t *ret_n,
			 struct nr_diag *d);
/* Revoke token `id` (a revoked one stays revoked since then); NR_ENOTFOUND. */
int nr_store_token_revoke(struct nr_store *st, const char *id, struct nr_diag *d);
/*
 * Who uploaded run `run_id`: *ret_exists whether the run is in this store,
 * *ret_user the user (NULL: the run was not uploaded but written here).
 */
int nr_store_upload_owner(struct nr_store *st, const char *run_id, bool *ret_exists,
			  char **ret_user, struct nr_diag *d);
/* Remember that run_id went to `server` (answered with `url`). */
int nr_store_push_mark(struct nr_store *st, const char *run_id, const char *server,
		       const char *url, struct nr_diag *d);
/* Ids of the finished runs that did not go to `server` yet, oldest first. */
int nr_store_runs_unpushed(struct nr_store *st, const char *server, struct nr_strvec *ret,
			   struct nr_diag *d);

/*
 * netrig serve's upkeep of SQLite's WAL, off its upload path: a handle
 * that writes stops checkpointing on its own (its commits only append to
 * the WAL) and tells a thread of the server how large the WAL is; that
 * thread checkpoints through a handle of its own. A backend without such
 * a log of its own (PostgreSQL: its server keeps it) does nothing.
 */
struct nr_store_wal_watch {
	/* called in the committing thread after each commit of the handle, with the WAL's pages */
	void (*fn)(void *ctx, int wal_pages);
	void *ctx;
};
/*
 * No more automatic checkpoints on st's connection; w->fn after each of
 * its commits (w is the caller's and must outlive st). A WAL emptied by
 * a checkpoint is cut back to keep_bytes when it starts over.
 * *ret_watching: false when the backend has no WAL (nothing changed).
 */
int nr_store_wal_watch(struct nr_store *st, struct nr_store_wal_watch *w, int64_t keep_bytes,
		       bool *ret_watching, struct nr_diag *d);
/*
 * Checkpoint the WAL through st: PASSIVE (copies the frames no reader
 * needs, waits for no one), or with restart RESTART: waits for a writer
 * of another connection, copies every frame, and waits for the readers
 * that still read the WAL to end, so that the next writer starts it over
 * from its beginning (a reader that began before the checkpoint ended
 * would keep it from that); both waits at most wait_ms. *ret_wal_pages
 * the WAL's frames when it began, *ret_copied those in the database now.
 * A checkpoint that could not run or end in time (another one running, a
 * reader too long) is 0 with *ret_copied -1. Both 0 on a backend without
 * a WAL.
 */
int nr_store_wal_checkpoint(struct nr_store *st, bool restart, int wait_ms, int *ret_wal_pages,
			    int *ret_copied, struct nr_diag *d);

/*
 * Group commit: between nr_store_batch_begin and nr_store_batch_end, in
 * the same thread, each nr_store_bundle_add on st is a savepoint of one
 * transaction: one that fails is rolled back alone and the others stay,
 * and none is stored (or seen by other handles) before batch_end commits
 * them together (r < 0: rolls every one back). A bundle_add in the batch
 * sees the ones before it (a run added twice is added once). A failed
 * batch_end has rolled back: none of them is stored. *ret_batching false:
 * the backend has no batches (PostgreSQL), each add is its own
 * transaction, batch_end does nothing.
 */
int nr_store_batch_begin(struct nr_store *st, bool *ret_batching, struct nr_diag *d);
/* Whether the backend has batches (what nr_store_batch_begin's *ret_batching says). */
bool nr_store_batches(const struct nr_store *st);
int nr_store_batch_end(struct nr_store *st, int r, struct nr_diag *d);

/*
 * A run as one bundle for a server (JSON, schema netrig.bundle/1): its
 * row in every table a merge carries, raw outputs (compressed as stored,
 * base64) only when with_outputs. NR_ENOTFOUND for no such run.
 */
int nr_store_bundle_export(struct nr_store *st, const char *run_id, bool with_outputs,
			   struct nr_buf *out, struct nr_diag *d);

/* How a bundle import ended, besides 0. */
struct nr_bundle_result {
	char run_id[NR_UUID_LEN + 1];
	struct nr_merge_stats added;
};

/*
 * Add a bundle that user `user` uploaded, as `db merge` adds a store, in
 * one transaction, with the upload's row: pushing it again adds nothing.
 * The bundle is checked whole first: NR_EPARSE (not JSON, nested deeper
 * than max_depth), NR_EINVAL (not a bundle of this schema, a value of the
 * wrong type, a row of another run, an id that is not a UUID), -EPERM (the
 * run is here and was not uploaded by `user`), -EEXIST (an id of it
 * belongs to another run here); nothing is written then. NR_ESTORE when
 * the store fails. Callers serialize imports into one store.
 */
int nr_store_bundle_import(struct nr_store *st, struct nr_slice bundle, size_t max_depth,
			   const char *user, struct nr_bundle_result *ret, struct nr_diag *d);
/*
 * The two halves of nr_store_bundle_import: reading and checking the
 * bundle (no store: a server does it outside its upload lock), and
 * adding the bundle read (checks against the store, then the write).
 */
struct nr_bundle;
int nr_store_bundle_read(struct nr_slice bundle, size_t max_depth, struct nr_bundle **ret,
			 struct nr_diag *d);
int nr_store_bundle_add(struct nr_store *st, struct nr_bundle *b, const char *user,
			struct nr_bundle_result *ret, struct nr_diag *d);
void nr_bundle_free(struct nr_bundle *b);

void nr_token_rec_release(struct nr_token_rec *t);
void nr_tokens_free(struct nr_token_rec *v, size_t n);
void nr_run_rec_release(struct nr_run_rec *r);
void nr_host_rec_release(struct nr_host_rec *h);
void nr_case_rec_release(struct nr_case_rec *c);
void nr_attempt_rec_release(struct nr_attempt_rec *a);
void nr_output_rec_release(struct nr_output_rec *o);
void nr_sample_row_release(struct nr_sample_row *s);
void nr_event_rec_release(struct nr_event_rec *e);
/* Release each element of an array and free it. */
void nr_runs_free(struct nr_run_rec *v, size_t n);
void nr_hosts_free(struct nr_host_rec *v, size_t n);
void nr_cases_free(struct nr_case_rec *v, size_t n);
void nr_attempts_free(struct nr_attempt_rec *v, size_t n);
void nr_outputs_free(struct nr_output_rec *v, size_t n);
void nr_sample_rows_free(struct nr_sample_row *v, size_t n);
void nr_events_free(struct nr_event_rec *v, size_t n);

#endif
