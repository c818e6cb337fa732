/*
 * What store_sqlite.c and store_sqlite_merge.c share: the handle and the
 * small helpers around SQLite's API. Internal to store/.
 */
#ifndef NR_STORE_SQLITE_INT_H
#define NR_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "base/hash.h"
#include "store/store_backend.h"

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
/* BEGIN IMMEDIATE; and COMMIT when r is 0, else ROLLBACK; returns r or COMMIT's error. */
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
			       struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d);

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

#endif
