/*
 * What a store backend provides. Internal to store/: store.c dispatches
 * every nr_store_* call through these ops.
 */
#ifndef NR_STORE_BACKEND_H
#define NR_STORE_BACKEND_H

#include "store/store.h"

/*
 * The SQL both backends read a run with (runs r): its columns, its case
 * counts, and the ids just before and after it (for its short id).
 */
#define NR__STORE_RUN_COLUMNS                                                            \
	"r.id, r.campaign, r.campaign_path, r.config, r.config_hash, r.commit_sha,"      \
	" r.branch, r.labels, r.status, r.reason, r.controller, r.netrig_version,"       \
	" r.pid, r.started_at, r.finished_at,"                                           \
	" (SELECT count(*) FROM cases c WHERE c.run_id = r.id),"                         \
	" (SELECT count(*) FROM cases c WHERE c.run_id = r.id AND c.status = 'passed')," \
	" (SELECT count(*) FROM cases c WHERE c.run_id = r.id AND c.status = 'failed')," \
	" (SELECT count(*) FROM cases c WHERE c.run_id = r.id"                           \
	"    AND c.status IN ('pending', 'running')),"                                   \
	" r.pid_start, r.heartbeat,"                                                     \
	" (SELECT p.id FROM runs p WHERE p.id < r.id ORDER BY p.id DESC LIMIT 1),"       \
	" (SELECT n.id FROM runs n WHERE n.id > r.id ORDER BY n.id LIMIT 1), r.options"

/*
 * ... and a sample (sample_rows s) with its case, attempt, series and
 * metric. A sample's case is its attempt's.
 */
#define NR__STORE_SAMPLE_COLUMNS                                                    \
	"c.run_id, c.id, c.test, c.key, se.role, se.metric, se.unit,"               \
	" coalesce(m.better, 'none'), s.repeat, a.number, s.interval, s.value"      \
	" FROM sample_rows s JOIN attempts a ON a.n = s.attempt"                    \
	" JOIN cases c ON c.id = a.case_id JOIN series se ON se.id = s.series"      \
	" LEFT JOIN metrics m ON m.name = se.metric"

/*
 * Schema 8 (both backends): a sample row holds its attempt's number
 * (attempts.n; the attempt gives the case, its test and key), its series
 * (role, metric, unit: a row of series, a few hundred in a campaign), and
 * its original value and unit only where they differ from value and unit
 * (NULL otherwise). The view `samples` gives the rows of
 * schema 7 back, column for column: what dashboards' queries, merges and
 * bundles read. A shipped migration uses it: never edit it, add another.
 */
#define NR__STORE_SAMPLES_VIEW                                                           \
	"CREATE VIEW samples AS SELECT a.id AS attempt_id, s.seq, a.case_id, s.repeat,"   \
	" se.role, se.metric, s.value, se.unit,"                                          \
	" coalesce(s.orig_value, s.value) AS orig_value,"                                 \
	" coalesce(s.orig_unit, se.unit) AS orig_unit, s.interval"                        \
	" FROM sample_rows s JOIN attempts a ON a.n = s.attempt"                          \
	" JOIN series se ON se.id = s.series;"

/* ... and a job (jobs j), in the order nr__store_job_read takes them. */
#define NR__STORE_JOB_COLUMNS                                                             \
	"j.id, j.campaign, j.campaign_path, j.config, j.repo, j.repo_path, j.repo_commit," \
	" j.tests, j.overrides, j.needs, j.labels, j.requester, j.status, j.worker,"       \
	" j.lease_until, j.tries, j.failures, j.reasons, j.run_id, j.created_at,"          \
	" j.started_at, j.finished_at, j.repo_branch, j.origin, j.cancelled_by, j.reported," \
	" j.reported_at"
#define NR__STORE_JOB_NCOLS 27

/*
 * Fill a job from the text of its columns as NR__STORE_JOB_COLUMNS
 * orders them (NULL: SQL NULL), whichever backend read them.
 */
void nr__store_job_read(struct nr_job_rec *j, const char *const col[NR__STORE_JOB_NCOLS]);
/* The line a lost try adds to a job's reasons (its worker's lease ended). */
#define NR__STORE_JOB_LOST ": the lease ended (the worker was killed or lost the database)\n"

/* ---- merging across backends ---- */

/* What a column holds, as a merge carries it whatever each backend calls its type. */
enum nr__store_kind {
	NR__STORE_TEXT,
	NR__STORE_ID, /* a UUID: TEXT in SQLite, uuid in PostgreSQL */
	NR__STORE_INT,
	NR__STORE_REAL,
	NR__STORE_BLOB,
};

/*
 * A table as a merge carries it: the same name and columns in every
 * backend. nr__store_tables lists them parents first (foreign keys).
 */
struct nr__store_table {
	const char *name;
	const char *columns; /* "id, run_id, ...", in the order of kinds */
	const enum nr__store_kind *kinds;
	size_t n;
	/* rows are exported in the order they were written (a role's streams) */
	bool ordered;
	/* the column a merged row must hold a finite number in (samples' value), or -1 */
	int finite;
	/*
	 * The rows of one run ($1, its id): a WHERE condition both backends
	 * take (SQLite reads $1 as its first parameter). NULL: the table is
	 * not part of a run's bundle (rows the receiving store makes itself).
	 */
	const char *run_filter;
};

extern const struct nr__store_table nr__store_tables[];
extern const size_t nr__store_n_tables;

/* One column's value in an exported row; p is valid until the callback returns. */
struct nr__store_value {
	bool null;
	int64_t i;     /* INT */
	double f;      /* REAL */
	const char *p; /* TEXT and ID (NUL-terminated), BLOB */
	size_t len;    /* of p */
};

typedef int (*nr__store_row_fn)(void *ctx, const struct nr__store_value *row, struct nr_diag *d);

struct nr_store_ops {
	const char *name;
	/* true when this backend takes `location` */
	bool (*accepts)(const char *location);
	int (*open)(const char *location, bool create, struct nr_store **ret, struct nr_diag *d);
	void (*close)(struct nr_store *st);
	/*
	 * After an operation failed: true when the backend's connection was
	 * lost and it connected again (clearing d), so that the operation is
	 * worth one more try (store.c tries it). NULL: a file never needs it.
	 */
	bool (*reconnect)(struct nr_store *st, struct nr_diag *d);
	int (*run_create)(struct nr_store *st, const struct nr_run_rec *run,
			  const struct nr_host_rec *hosts, size_t n_hosts,
			  const struct nr_case_rec *cases, size_t n_cases, struct nr_diag *d);
	int (*run_update)(struct nr_store *st, const struct nr_run_rec *run, struct nr_diag *d);
	/* the job queue: as nr_store_job_* */
	int (*job_add)(struct nr_store *st, const struct nr_job_rec *job, struct nr_diag *d);
	int (*job_claim)(struct nr_store *st, const char *worker, const char *offers,
			 int64_t now_us, int64_t lease_us, struct nr_job_rec *ret, struct nr_diag *d);
	int (*job_update)(struct nr_store *st, const struct nr_job_rec *job, const char *worker,
			  struct nr_diag *d);
	int (*job_cancel)(struct nr_store *st, const char *id, const char *who, int64_t now_us,
			  struct nr_diag *d);
	int (*jobs_to_report)(struct nr_store *st, size_t max, struct nr_job_rec **ret,
			      size_t *ret_n, struct nr_diag *d);
	int (*job_reported)(struct nr_store *st, const char *id, const char *what, int64_t now_us,
			    struct nr_diag *d);
	/* the newest `limit` (0: all), oldest first */
	int (*jobs_list)(struct nr_store *st, const char *status, const char *id_like,
			 size_t limit, struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*jobs_count)(struct nr_store *st, int64_t by_status[NR_JOB_STATUS_N + 1],
			  struct nr_diag *d);
	/* retention: as nr_store_prune (run_ids not empty) and nr_store_vacuum */
	int (*prune)(struct nr_store *st, const struct nr_strvec *run_ids, bool outputs_only,
		     struct nr_prune_stats *ret, struct nr_diag *d);
	int (*vacuum)(struct nr_store *st, struct nr_diag *d);
	int (*run_claim)(struct nr_store *st, const struct nr_run_rec *was,
			 const struct nr_run_rec *now, struct nr_diag *d);
	int (*case_update)(struct nr_store *st, const struct nr_case_rec *c, struct nr_diag *d);
	int (*attempt_save)(struct nr_store *st, const struct nr_case_rec *case_after,
			    const struct nr_attempt_rec *a, const struct nr_output_in *outs,
			    size_t n_outs, const struct nr_role_samples *samples, size_t n_samples,
			    struct nr_diag *d);
	int (*cases_rerun)(struct nr_store *st, const char *run_id,
			   const struct nr_case_rec *cases, size_t n, struct nr_diag *d);
	int (*event_add)(struct nr_store *st, const struct nr_event_rec *ev, struct nr_diag *d);
	int (*events_list)(struct nr_store *st, const char *run_id, const char *case_id,
			   struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*run_get)(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
		       struct nr_diag *d);
	int (*run_resumable)(struct nr_store *st, const char *campaign, struct nr_run_rec *ret,
			     struct nr_diag *d);
	int (*runs_select)(struct nr_store *st, const char *selector, const char *campaign,
			   size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*samples_history)(struct nr_store *st, const char *campaign, int64_t since_us,
			       struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
	int (*runs_find)(struct nr_store *st, const struct nr_run_filter *f,
			 struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*runs_count)(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
			  struct nr_diag *d);
	int (*hosts_list)(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
			  size_t *ret_n, struct nr_diag *d);
	int (*cases_list)(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
			  size_t *ret_n, struct nr_diag *d);
	int (*attempts_list)(struct nr_store *st, const char *case_id,
			     struct nr_attempt_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*outputs_get)(struct nr_store *st, const char *attempt_id,
			   struct nr_output_rec **ret, size_t *ret_n, struct nr_diag *d);
	int (*samples_list)(struct nr_store *st, const char *run_id, bool with_intervals,
			    struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
	int (*locate)(struct nr_store *st, const char *selector, const char *run_id,
		      char *ret_case_id, char *ret_attempt_id, struct nr_diag *d);
	int (*query_json)(struct nr_store *st, const char *sql, size_t max_rows, struct nr_buf *out,
			  struct nr_diag *d);
	/*
	 * Merge a source this backend reads itself (SQLite: a file, through
	 * ATTACH), or NULL: every source then comes through import_from.
	 */
	int (*merge)(struct nr_store *st, const char *source, struct nr_merge_stats *ret,
		     struct nr_diag *d);
	/*
	 * Open `location` as the source of a merge, read-only, at this schema
	 * version, holding one snapshot for every export_rows until closed
	 * (close). A store that holds nothing yet has opened_version 0.
	 * NR_EINVAL / NR_ESCHEMA for a source that cannot be merged, as merge.
	 */
	int (*open_source)(const char *location, struct nr_store **ret, struct nr_diag *d);
	/*
	 * Call fn for each row of table t of a source, columns in t's order;
	 * only the rows of run `run_id` (t->run_filter) unless it is NULL.
	 */
	int (*export_rows)(struct nr_store *st, const struct nr__store_table *t, const char *run_id,
			   nr__store_row_fn fn, void *ctx, struct nr_diag *d);
	/*
	 * Merge every row src exports (another backend's, or this one's through
	 * open_source), with the rules of merge: rows already here are not
	 * added twice, a run or case that went further is brought forward,
	 * samples that are not finite are left out. One transaction.
	 */
	int (*import_from)(struct nr_store *st, struct nr_store *src, struct nr_merge_stats *ret,
			   struct nr_diag *d);

	/* ---- netrig serve: users, tokens, uploads, pushes (see store.h) ---- */
	int (*user_add)(struct nr_store *st, const char *id, const char *name, int64_t now_us,
			struct nr_diag *d);
	int (*token_add)(struct nr_store *st, const struct nr_token_rec *t, struct nr_diag *d);
	int (*token_get)(struct nr_store *st, const char *id, struct nr_token_rec *ret,
			 struct nr_diag *d);
	int (*tokens_list)(struct nr_store *st, struct nr_token_rec **ret, size_t *ret_n,
			   struct nr_diag *d);
	int (*token_revoke)(struct nr_store *st, const char *id, int64_t now_us, struct nr_diag *d);
	int (*upload_owner)(struct nr_store *st, const char *run_id, bool *ret_exists,
			    char **ret_user, struct nr_diag *d);
	int (*push_mark)(struct nr_store *st, const char *run_id, const char *server,
			 const char *url, int64_t now_us, struct nr_diag *d);
	int (*runs_unpushed)(struct nr_store *st, const char *server, struct nr_strvec *ret,
			     struct nr_diag *d);
	/*
	 * Of `ids_json` (a JSON array of ids of rows of t: hosts, cases,
	 * attempts or events), the first that this store holds under a run
	 * other than run_id, in ret_id; "" when none.
	 */
	int (*id_elsewhere)(struct nr_store *st, const struct nr__store_table *t,
			    const char *ids_json, const char *run_id, char *ret_id,
			    struct nr_diag *d);
	/*
	 * The WAL's upkeep (nr_store_wal_watch, nr_store_wal_checkpoint);
	 * NULL on a backend without a WAL of its own: nothing to do.
	 */
	int (*wal_watch)(struct nr_store *st, struct nr_store_wal_watch *w, int64_t keep_bytes,
			 struct nr_diag *d);
	int (*wal_checkpoint)(struct nr_store *st, bool restart, int wait_ms, int *ret_wal_pages,
			      int *ret_copied, struct nr_diag *d);
	/* a batch of uploads (nr_store_batch_*); NULL: each upload its own transaction */
	int (*batch_begin)(struct nr_store *st, struct nr_diag *d);
	int (*batch_end)(struct nr_store *st, int r, struct nr_diag *d);
};

/* Every backend's handle starts with this. */
struct nr_store {
	const struct nr_store_ops *ops;
	int opened_version;
	/*
	 * The zstd context of nr__store_compress, made on first use and kept
	 * until close: a new one per output allocated (and page-faulted) its
	 * workspace of several hundred KB again for every attempt.
	 */
	void *zstd;
};

extern const struct nr_store_ops nr__store_sqlite_ops;
extern const struct nr_store_ops nr__store_pg_ops;

/*
 * Return what an operation gives: tried once, and once more when it failed because the backend
 * lost its connection and has a new one (a database server restarted,
 * a session ended by its administrator): a controller goes on instead of
 * stopping its run. No transaction is open between operations, so the
 * second try starts clean; a write whose commit was lost with the
 * connection fails the second time on its own ids, never stored twice.
 */
#define RETURN_RETRIED(st, d, call)                                                              \
	do {                                                                            \
		int r_ = (call);                                                        \
		if (r_ < 0 && (st)->ops->reconnect && (st)->ops->reconnect((st), (d))) \
			r_ = (call);                                                    \
		return r_;                                                              \
	} while (0)

/* The backend that takes `location`, or NULL. */
const struct nr_store_ops *nr__store_backend_for(const char *location);

/*
 * The end of runs_select, the same in every backend: NR_ENOTFOUND when no
 * run matched, NR_EAMBIGUOUS when an id prefix matched more than one
 * (*ret freed then); else 0.
 */
int nr__store_runs_selected(const char *selector, const char *campaign, struct nr_run_rec **ret,
			    size_t *ret_n, struct nr_diag *d);

/* A LIKE pattern (escape character backslash) for the ids that start with p. */
char *nr__store_like_prefix(const char *p);

/*
 * Fill the fields of a run read back that are not stored: controller_state
 * (from its controller, pid and pid_start, looked up on this machine), and
 * short_id from the ids before and after it in id order (NULL: none).
 */
void nr__store_run_seen(struct nr_run_rec *r, const char *prev_id, const char *next_id);

/*
 * Raw output is kept compressed (zstd, level 3, st's context: the same
 * bytes as a fresh context's); "none" for empty data.
 */
/* What the base of a handle holds (its zstd context): every backend's close calls it. */
void nr__store_base_release(struct nr_store *st);
int nr__store_compress(struct nr_store *st, struct nr_slice in, struct nr_buf *out,
		       const char **ret_method);
int nr__store_decompress(const char *method, struct nr_slice in, uint64_t size,
			 struct nr_buf *out, struct nr_diag *d);

/*
 * How a bundle is read (store_bundle.c): by the scanner, and by jansson
 * when the scanner does not take it (NR__BUNDLE_ANY, nr_store_bundle_read);
 * or by one road only, for tests that compare them: NR__BUNDLE_SCANNER
 * returns 1 for a bundle it leaves to jansson.
 */
enum nr__bundle_road { NR__BUNDLE_ANY, NR__BUNDLE_SCANNER, NR__BUNDLE_JANSSON };
int nr__store_bundle_read_by(struct nr_slice text, size_t max_depth, enum nr__bundle_road road,
			      struct nr_bundle **ret, struct nr_diag *d);
/* The bundle as a merge source: its rows through ops->export_rows. */
struct nr_store *nr__store_bundle_source(struct nr_bundle *b);

#endif
