/*
 * What store_sqlite.c and store_sqlite_merge.c share: the handle and the
 * small helpers around SQLite's API. Internal to store/.
 */
#ifndef NR_STORE_SQLITE_INT_H
#define NR_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "base/buf.h"
#include "base/hash.h"
#include "store/store_backend.h"

/* How long a handle waits for another connection's lock (SQLite's busy timeout). */
#define NR__SQLITE_BUSY_MS 10000

/* A series' id, by "role\x1fmetric\x1funit". */
struct nr__sqlite_series {
	char *name;
	int64_t id;
};

struct nr__store_sqlite {
	struct nr_store base;
	sqlite3 *db;     /* NULL for a merge source that holds nothing */
	char *path;
	char *tmp_path;  /* a merge source's migrated copy, removed on close; or NULL */
	/*
	 * The series written or read (a campaign has a few hundred): their
	 * ids, so that a sample costs no lookup. A series' id never changes
	 * once committed; the cache is emptied when a write fails (its new
	 * series were rolled back).
	 */
	struct nr__sqlite_series *series;
	size_t n_series, cap_series;
	/*
	 * Their names to their index in series: a lookup by scan cost a tool
	 * of 10,000 metrics 50 million compares in its first attempt.
	 */
	struct nr_strset series_index;
	struct nr_buf series_key; /* series_id's key of the sample at hand, kept for the next */
	/*
	 * The index in series of the one after the last sample's: an
	 * attempt's samples come in the order of the attempt before, in
	 * which their series were found or made and appended, so the next
	 * sample's series is most often there, and a compare of its name
	 * costs less than building the key and looking it up.
	 */
	size_t series_next;
	/*
	 * Whether the series table has been read into the cache (at the first
	 * series this handle did not know): one scan instead of a SELECT and a
	 * metric's INSERT for each series a new process's first attempt
	 * brings, which cost a tool of 10,000 metrics 40 ms. Cleared with the
	 * cache.
	 */
	bool series_loaded;
	/*
	 * Statements prepared once per handle and kept (a server's upload
	 * runs the same dozen statements each time: parsing them was most of
	 * its cost), by their SQL; finalized on close.
	 */
	struct nr__sqlite_stmt *stmts;
	size_t n_stmts;
	bool staging; /* the merge's temporary tables temp.m_* exist on this connection */
};

/*
 * A sample value is read only when it is a finite number: files written
 * before netrig refused NaN and infinities may hold infinities (NaN is
 * stored as NULL), and one would poison every statistic it enters.
 * 9e999 is SQLite's infinity; NULL compares as nothing.
 */
#define NR__SQLITE_SAMPLE_FINITE "s.value > -9e999 AND s.value < 9e999"
/* what a case's attempts gave before it was run again (--rerun) counts no more */
#define NR__SQLITE_SAMPLE_CURRENT NR__SQLITE_SAMPLE_FINITE " AND a.superseded = 0"

struct nr__sqlite_stmt {
	char *sql;
	sqlite3_stmt *s;
};

/* A handle of db (NULL: a source that holds nothing), owning db and tmp_path. */
struct nr_store *nr__store_sqlite_new(sqlite3 *db, const char *path, int version, char *tmp_path);
/* NR_ESTORE with "what: SQLite's message". */
int nr__store_sqlite_error(sqlite3 *db, struct nr_diag *d, const char *what);
/* Bind text, NULL for NULL; bind a time, 0 ("not yet", "none") as NULL. */
void nr__sqlite_bind_text(sqlite3_stmt *s, int i, const char *v);
void nr__sqlite_bind_time(sqlite3_stmt *s, int i, int64_t us);
/* A column's text (malloc'ed), NULL for NULL. */
char *nr__sqlite_col_text(sqlite3_stmt *s, int i);
/*
 * Ids (store_sqlite_id.c): a file keeps them as 16-byte blobs (schema
 * 10), everything above the backend as text. bind_id binds an id's text
 * as its blob (NULL as NULL; text that is no id as itself: it matches no
 * id and a column refuses it); col_id reads one into out ("" for NULL).
 * bind_id_prefix binds parameters i and i + 1 to the least and the
 * greatest id that starts with prefix (`id BETWEEN ? AND ?`; NULLs, a range
 * of nothing, when no id starts so).
 */
void nr__sqlite_bind_id(sqlite3_stmt *s, int i, const char *id);
void nr__sqlite_col_id(sqlite3_stmt *s, int i, char out[NR_UUID_LEN + 1]);
void nr__sqlite_bind_id_prefix(sqlite3_stmt *s, int i, const char *prefix);
/* An id's text of len characters into its bytes; false when it is not one. */
bool nr__sqlite_id_parse(const char *text, size_t len, unsigned char out[16]);
void nr__sqlite_id_format(const unsigned char b[16], char out[NR_UUID_LEN + 1]);
/* SQL functions uuid_blob(X) and uuid_str(X) on db (every connection has them); -1 on failure. */
int nr__sqlite_id_functions(sqlite3 *db);
/*
 * Schema 9 -> 10: ids as blobs, every table that holds one made again;
 * and schema 10 made at once in a new file (what the chain of migrations
 * from 0 makes, without tables made twice: a file on a small disk holds it).
 */
extern const char nr__sqlite_ids_as_blobs[];
extern const char nr__sqlite_schema_10[];
/* Run SQL without parameters (one or more statements). */
int nr__store_sqlite_exec(sqlite3 *db, const char *sql, struct nr_diag *d);
int nr__store_sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret, struct nr_diag *d);
/*
 * The handle's kept statement of sql, prepared on first use: reset and
 * without bindings. Not finalized by the caller: reset it after use (a
 * statement left stepping holds its read open).
 */
int nr__store_sqlite_kept(struct nr__store_sqlite *st, const char *sql, sqlite3_stmt **ret,
			  struct nr_diag *d);
/*
 * BEGIN IMMEDIATE; and COMMIT when r is 0, else ROLLBACK; returns r or
 * COMMIT's error. In a batch of this thread on db (nr__sqlite_batch: a
 * transaction of several uploads, store_sqlite_serve.c) a savepoint
 * instead, released or rolled back alone.
 */
extern _Thread_local sqlite3 *nr__sqlite_batch;
int nr__store_sqlite_begin(sqlite3 *db, struct nr_diag *d);
int nr__store_sqlite_end(sqlite3 *db, int r, struct nr_diag *d);
/* The file's schema version (0: an empty file); NR_ESTORE for a file that is not netrig's. */
int nr__store_sqlite_version(sqlite3 *db, int *ret, struct nr_diag *d);
/* Bring a file at version `from` to this netrig's, in one transaction. */
int nr__store_sqlite_migrate(sqlite3 *db, int from, struct nr_diag *d);
/* Open a file with SQLite's open flags; NR_ESTORE naming it (or its missing directory). */
int nr__store_sqlite_open_db(const char *path, int flags, sqlite3 **ret, struct nr_diag *d);

/*
 * The job queue's table (schema 5 -> 6). A job holds a campaign's text,
 * or a repository, path and commit; needs is a JSON array of "K=V".
 */
#define NR__SQLITE_JOBS_TABLE                                                                    \
	"CREATE TABLE jobs ("                                                                    \
	"  id TEXT PRIMARY KEY, campaign TEXT NOT NULL, campaign_path TEXT, config TEXT,"       \
	"  repo TEXT, repo_path TEXT, repo_commit TEXT,"                                         \
	"  tests TEXT NOT NULL DEFAULT '[]', overrides TEXT NOT NULL DEFAULT '{}',"              \
	"  needs TEXT NOT NULL DEFAULT '[]', labels TEXT NOT NULL DEFAULT '{}', requester TEXT," \
	"  status TEXT NOT NULL, worker TEXT, lease_until INTEGER,"                              \
	"  tries INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, reasons TEXT," \
	"  run_id TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,"   \
	"  CHECK (config IS NOT NULL OR"                                                         \
	"    (repo IS NOT NULL AND repo_path IS NOT NULL AND repo_commit IS NOT NULL)));"       \
	"CREATE INDEX jobs_queue ON jobs (status, created_at);"

/* Schema 8 -> 9: the columns of jobs that netrig serve's webhooks and reports need. */
#define NR__SQLITE_JOBS_ORIGIN                                                                  \
	"ALTER TABLE jobs ADD COLUMN repo_branch TEXT;"                                          \
	"ALTER TABLE jobs ADD COLUMN origin TEXT;"                                               \
	"ALTER TABLE jobs ADD COLUMN cancelled_by TEXT;"                                         \
	"ALTER TABLE jobs ADD COLUMN reported TEXT;"                                             \
	"ALTER TABLE jobs ADD COLUMN reported_at INTEGER;"                                       \
	"CREATE INDEX jobs_unreported ON jobs (status) WHERE origin IS NOT NULL AND"            \
	"  (reported IS NULL OR reported <> 'final');"

/*
 * Tables that no migration has changed since they were made (schema 0 -> 1,
 * 7 -> 8), made the same way in a new file (nr__sqlite_schema_10). Shipped:
 * never edit them.
 */
#define NR__SQLITE_META "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
#define NR__SQLITE_METRICS \
	"CREATE TABLE metrics (name TEXT PRIMARY KEY, unit TEXT NOT NULL, better TEXT NOT NULL);"
#define NR__SQLITE_SERIES                                                                       \
	"CREATE TABLE series ("                                                                 \
	"  id INTEGER PRIMARY KEY, role TEXT NOT NULL, metric TEXT NOT NULL, unit TEXT NOT NULL," \
	"  UNIQUE (role, metric, unit));"
#define NR__SQLITE_SAMPLE_ROWS                                                                  \
	"CREATE TABLE sample_rows ("                                                            \
	"  attempt INTEGER NOT NULL REFERENCES attempts (n), seq INTEGER NOT NULL,"             \
	"  repeat INTEGER NOT NULL, series INTEGER NOT NULL REFERENCES series (id),"            \
	"  value REAL NOT NULL, orig_value REAL, orig_unit TEXT,"                               \
	"  interval INTEGER NOT NULL DEFAULT -1, PRIMARY KEY (attempt, seq)) WITHOUT ROWID;"

/*
 * Schema 7 -> 8, and again 9 -> 10 (which makes attempts again): attempts'
 * number n (a sample's reference), given to each new attempt; and writing
 * a row into the view samples writes the compact tables, its attempt
 * there, of its case. Shipped: never edit them.
 */
#define NR__SQLITE_ATTEMPTS_N                                                                  \
	"CREATE UNIQUE INDEX attempts_n ON attempts (n);"                                      \
	"CREATE TRIGGER attempts_n AFTER INSERT ON attempts WHEN NEW.n IS NULL BEGIN"          \
	"  UPDATE attempts SET n = (SELECT coalesce(max(n), 0) + 1 FROM attempts)"             \
	"  WHERE id = NEW.id; END;"
#define NR__SQLITE_SAMPLES_INSERT                                                              \
	"CREATE TRIGGER samples_insert INSTEAD OF INSERT ON samples BEGIN"                     \
	"  SELECT RAISE(ABORT, 'a sample whose attempt is not there, or not of its case')"     \
	"  WHERE NOT EXISTS (SELECT 1 FROM attempts WHERE id = NEW.attempt_id"                 \
	"  AND case_id = NEW.case_id);"                                                        \
	"  INSERT INTO series (role, metric, unit) SELECT NEW.role, NEW.metric, NEW.unit"      \
	"  WHERE NOT EXISTS (SELECT 1 FROM series WHERE role = NEW.role"                      \
	"  AND metric = NEW.metric AND unit = NEW.unit);"                                      \
	"  INSERT INTO sample_rows (attempt, seq, repeat, series, value, orig_value, orig_unit," \
	"  interval) VALUES ((SELECT n FROM attempts WHERE id = NEW.attempt_id), NEW.seq,"     \
	"  NEW.repeat, (SELECT id FROM series WHERE role = NEW.role AND metric = NEW.metric"   \
	"  AND unit = NEW.unit), NEW.value, nullif(NEW.orig_value, NEW.value),"                \
	"  nullif(NEW.orig_unit, NEW.unit), NEW.interval); END;"

/* The ops of store_sqlite_read.c (see store_backend.h). */
int nr__store_sqlite_run_get(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
			     struct nr_diag *d);
int nr__store_sqlite_run_resumable(struct nr_store *st, const char *campaign,
				   struct nr_run_rec *ret, struct nr_diag *d);
int nr__store_sqlite_runs_find(struct nr_store *st, const struct nr_run_filter *f,
			       struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_runs_count(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
				struct nr_diag *d);
int nr__store_sqlite_hosts_list(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
				size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_cases_list(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
				size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_attempts_list(struct nr_store *st, const char *case_id,
				   struct nr_attempt_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_outputs_get(struct nr_store *st, const char *attempt_id,
				 struct nr_output_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_samples_list(struct nr_store *st, const char *run_id, bool with_intervals,
				  struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_samples_history(struct nr_store *st, const char *campaign, int64_t since_us,
				     struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_runs_select(struct nr_store *st, const char *selector, const char *campaign,
				 size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_events_list(struct nr_store *st, const char *run_id, const char *case_id,
				 struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_locate(struct nr_store *st, const char *selector, const char *run_id,
			    char *ret_case_id, char *ret_attempt_id, struct nr_diag *d);
int nr__store_sqlite_query_json(struct nr_store *base, const char *sql, size_t max_rows,
				struct nr_buf *out, struct nr_diag *d);

/* The ops of store_sqlite_job.c (see store_backend.h). */
int nr__store_sqlite_job_add(struct nr_store *st, const struct nr_job_rec *job, struct nr_diag *d);
int nr__store_sqlite_job_claim(struct nr_store *st, const char *worker, const char *offers,
			       int64_t now_us, int64_t lease_us, struct nr_job_rec *ret,
			       struct nr_diag *d);
int nr__store_sqlite_job_update(struct nr_store *st, const struct nr_job_rec *job,
				const char *worker, struct nr_diag *d);
int nr__store_sqlite_job_cancel(struct nr_store *st, const char *id, const char *who,
				int64_t now_us, struct nr_diag *d);
int nr__store_sqlite_jobs_to_report(struct nr_store *st, size_t max, struct nr_job_rec **ret,
				    size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_job_reported(struct nr_store *st, const char *id, const char *what,
				  int64_t now_us, struct nr_diag *d);
int nr__store_sqlite_jobs_list(struct nr_store *st, const char *status, const char *id_like,
			       size_t limit,
			       struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__store_sqlite_jobs_count(struct nr_store *st, int64_t by_status[NR_JOB_STATUS_N + 1],
				struct nr_diag *d);

/* The ops of store_sqlite_prune.c (see store_backend.h). */
int nr__store_sqlite_prune(struct nr_store *st, const struct nr_strvec *run_ids, bool outputs_only,
			   struct nr_prune_stats *ret, struct nr_diag *d);
int nr__store_sqlite_vacuum(struct nr_store *st, struct nr_diag *d);

/* The ops of store_sqlite_merge.c (see store_backend.h). */
int nr__store_sqlite_merge(struct nr_store *st, const char *source, struct nr_merge_stats *ret,
			   struct nr_diag *d);
int nr__store_sqlite_open_source(const char *location, struct nr_store **ret, struct nr_diag *d);
int nr__store_sqlite_export_rows(struct nr_store *st, const struct nr__store_table *t,
				 const char *run_id, nr__store_row_fn fn, void *ctx,
				 struct nr_diag *d);
int nr__store_sqlite_import_from(struct nr_store *st, struct nr_store *src,
				 struct nr_merge_stats *ret, struct nr_diag *d);

/* The ops of store_sqlite_serve.c (see store_backend.h). */
int nr__store_sqlite_user_add(struct nr_store *st, const char *id, const char *name,
			      int64_t now_us, struct nr_diag *d);
int nr__store_sqlite_token_add(struct nr_store *st, const struct nr_token_rec *t,
			       struct nr_diag *d);
int nr__store_sqlite_token_get(struct nr_store *st, const char *id, struct nr_token_rec *ret,
			       struct nr_diag *d);
int nr__store_sqlite_tokens_list(struct nr_store *st, struct nr_token_rec **ret, size_t *ret_n,
				 struct nr_diag *d);
int nr__store_sqlite_token_revoke(struct nr_store *st, const char *id, int64_t now_us,
				  struct nr_diag *d);
int nr__store_sqlite_upload_owner(struct nr_store *st, const char *run_id, bool *ret_exists,
				  char **ret_user, struct nr_diag *d);
int nr__store_sqlite_push_mark(struct nr_store *st, const char *run_id, const char *server,
			       const char *url, int64_t now_us, struct nr_diag *d);
int nr__store_sqlite_runs_unpushed(struct nr_store *st, const char *server, struct nr_strvec *ret,
				   struct nr_diag *d);
int nr__store_sqlite_id_elsewhere(struct nr_store *st, const struct nr__store_table *t,
				  const char *ids_json, const char *run_id, char *ret_id,
				  struct nr_diag *d);
int nr__store_sqlite_wal_watch(struct nr_store *st, struct nr_store_wal_watch *w,
			       int64_t keep_bytes, struct nr_diag *d);
/* The merge's staging tables on this connection (made outside a transaction, once). */
int nr__store_sqlite_staging_make(struct nr__store_sqlite *st, struct nr_diag *d);
int nr__store_sqlite_batch_begin(struct nr_store *st, struct nr_diag *d);
int nr__store_sqlite_batch_end(struct nr_store *st, int r, struct nr_diag *d);
int nr__store_sqlite_wal_checkpoint(struct nr_store *st, bool restart, int wait_ms,
				    int *ret_wal_pages, int *ret_copied, struct nr_diag *d);

#endif
