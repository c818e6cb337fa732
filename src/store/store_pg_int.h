/*
 * What the PostgreSQL backend's files share (store_pg.c: connection,
 * statements, schema, writes; store_pg_read.c: reads and the read-only
 * query; store_pg_merge.c: merges in and out). Internal to store/.
 *
 * Every statement that carries a value is a prepared statement with
 * parameters (text format, bytea binary): no SQL is built from values.
 */
#ifndef NR_STORE_PG_INT_H
#define NR_STORE_PG_INT_H

#include <libpq-fe.h>

#include "base/str.h"
#include "store/store_backend.h"

/* Prepared statements a connection keeps, by the address of their SQL text. */
#define NR__PG_MAX_STMTS 64

struct nr__store_pg {
	struct nr_store base;
	PGconn *conn;
	char *url;   /* as given, to connect again */
	char *shown; /* the URL for messages: its password written "***" */
	/* stmt_sql[i] is prepared as "nr<i>" on this connection when stmt_state[i] is 2 */
	const char *stmt_sql[NR__PG_MAX_STMTS];
	int stmt_state[NR__PG_MAX_STMTS]; /* 0: no, 1: sent in a batch, 2: prepared */
	int n_stmts;
	/* metrics this connection wrote (or found there), sorted: not sent again */
	struct nr_strvec known_metrics;
};

#define NR__PG(st) ((struct nr__store_pg *)(st))

/* Parameters of one statement. Values are copied when the statement is sent. */
#define NR__PG_MAX_PARAMS 20
struct nr__pg_params {
	int n;
	const char *v[NR__PG_MAX_PARAMS];
	int len[NR__PG_MAX_PARAMS];
	int fmt[NR__PG_MAX_PARAMS];
	char num[NR__PG_MAX_PARAMS][32];
	char *owned[NR__PG_MAX_PARAMS];
};

/*
 * Text; NULL is SQL NULL. PostgreSQL's text is UTF-8 and refuses other
 * bytes (a role's stderr can hold any): each byte that is not UTF-8 is
 * written %XX, as netrig shows such bytes everywhere (nr_str_escape).
 */
void nr__pg_text(struct nr__pg_params *p, const char *s);
void nr__pg_int(struct nr__pg_params *p, int64_t v);
/* A time: 0 ("not yet") is NULL. */
void nr__pg_time(struct nr__pg_params *p, int64_t us);
/* A finite double (the callers refuse others first). */
void nr__pg_real(struct nr__pg_params *p, double v);
void nr__pg_bytea(struct nr__pg_params *p, const void *data, size_t len);
/*
 * An array parameter ($1::text[], ...), so that one statement carries many
 * rows: elements added to a, then the array handed to p (a is emptied).
 * Text is made valid UTF-8 as nr__pg_text makes it.
 */
void nr__pg_array_text(struct nr_buf *a, const char *s);
void nr__pg_array_int(struct nr_buf *a, int64_t v);
void nr__pg_array_real(struct nr_buf *a, double v);
void nr__pg_array(struct nr__pg_params *p, struct nr_buf *a);
void nr__pg_params_release(struct nr__pg_params *p);
/* Text made valid UTF-8 as nr__pg_text does, appended to out. */
void nr__pg_valid_text(struct nr_buf *out, const char *s, size_t len);

/*
 * Run one statement outside a transaction. `sql` is a string constant:
 * it is prepared once per connection and found again by its address.
 * *ret (when not NULL) gets the result to PQclear. NR_ESTORE with the
 * server's message.
 */
int nr__pg_exec(struct nr__store_pg *st, const char *sql, struct nr__pg_params *p,
		PGresult **ret, struct nr_diag *d);
/* Constant SQL without parameters, one statement or several (DDL, BEGIN, ...). */
int nr__pg_run(struct nr__store_pg *st, const char *sql, struct nr_diag *d);
/* The same for SQL put together at run time from constant pieces: not kept prepared. */
int nr__pg_exec_once(struct nr__store_pg *st, const char *sql, struct nr__pg_params *p,
		     PGresult **ret, struct nr_diag *d);
/* NR_ESTORE "what: the server's message" for a failed result (or the connection's). */
int nr__pg_error(struct nr__store_pg *st, const PGresult *res, struct nr_diag *d, const char *what);

/*
 * A write transaction sent as one pipeline: BEGIN, the statements, COMMIT,
 * with one round trip for every NR__PG_BATCH statements instead of one
 * each. The first error stops it and rolls everything back.
 */
#define NR__PG_BATCH 256
struct nr__pg_batch {
	struct nr__store_pg *st;
	struct nr_diag *d;
	int r;      /* the first error */
	bool piped; /* in pipeline mode: the batch began */
	int queued; /* messages sent whose results are not read yet */
	/* per queued message: the statement it prepares, or -1 a query, -2 COMMIT */
	int what[2 * NR__PG_BATCH + 4];
};
/* After an error, adding does nothing and the end returns it. */
void nr__pg_batch_begin(struct nr__store_pg *st, struct nr__pg_batch *b, struct nr_diag *d);
void nr__pg_batch_add(struct nr__pg_batch *b, const char *sql, struct nr__pg_params *p);
/* COMMIT (or ROLLBACK after an error); returns 0 or the first error. */
int nr__pg_batch_end(struct nr__pg_batch *b);

/*
 * After an operation failed: when the connection is gone (the server
 * restarted, the session was ended), connect again (for up to the
 * connection's connect_timeout, while the server comes back) and return
 * true (d cleared), so that store.c tries the operation once more.
 */
bool nr__pg_reconnect(struct nr__store_pg *st, struct nr_diag *d);

/* Result cells: NULL for SQL NULL. */
const char *nr__pg_val(const PGresult *res, int row, int col);
char *nr__pg_col_text(const PGresult *res, int row, int col);
int64_t nr__pg_col_i64(const PGresult *res, int row, int col);
void nr__pg_col_id(const PGresult *res, int row, int col, char out[NR_UUID_LEN + 1]);

/* Connect to `url` (libpq's PG* variables fill what it leaves out). */
int nr__pg_connect(const char *url, const char *shown, PGconn **ret, struct nr_diag *d);
/* A store handle connected to `location`, its schema not looked at yet. */
int nr__pg_new(const char *location, struct nr__store_pg **ret, struct nr_diag *d);
/* The schema version of the database (0: no netrig tables). */
int nr__pg_version(struct nr__store_pg *st, int *ret, struct nr_diag *d);

/* store_pg_read.c */
int nr__pg_events_list(struct nr_store *st, const char *run_id, const char *case_id,
		       struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__pg_run_get(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
		   struct nr_diag *d);
int nr__pg_run_resumable(struct nr_store *st, const char *campaign, struct nr_run_rec *ret,
			 struct nr_diag *d);
int nr__pg_runs_select(struct nr_store *st, const char *selector, const char *campaign,
		       size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__pg_samples_history(struct nr_store *st, const char *campaign, int64_t since_us,
			   struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
int nr__pg_runs_find(struct nr_store *st, const struct nr_run_filter *f, struct nr_run_rec **ret,
		     size_t *ret_n, struct nr_diag *d);
int nr__pg_runs_count(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
		      struct nr_diag *d);
int nr__pg_hosts_list(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
		      size_t *ret_n, struct nr_diag *d);
int nr__pg_cases_list(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
		      size_t *ret_n, struct nr_diag *d);
int nr__pg_attempts_list(struct nr_store *st, const char *case_id, struct nr_attempt_rec **ret,
			 size_t *ret_n, struct nr_diag *d);
int nr__pg_outputs_get(struct nr_store *st, const char *attempt_id, struct nr_output_rec **ret,
		       size_t *ret_n, struct nr_diag *d);
int nr__pg_samples_list(struct nr_store *st, const char *run_id, bool with_intervals,
			struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d);
int nr__pg_locate(struct nr_store *st, const char *selector, const char *run_id,
		  char *ret_case_id, char *ret_attempt_id, struct nr_diag *d);
int nr__pg_query_json(struct nr_store *st, const char *sql, size_t max_rows, struct nr_buf *out,
		      struct nr_diag *d);

/* store_pg_job.c */
int nr__pg_job_add(struct nr_store *st, const struct nr_job_rec *job, struct nr_diag *d);
int nr__pg_job_claim(struct nr_store *st, const char *worker, const char *offers, int64_t now_us,
		     int64_t lease_us, struct nr_job_rec *ret, struct nr_diag *d);
int nr__pg_job_update(struct nr_store *st, const struct nr_job_rec *job, const char *worker,
		      struct nr_diag *d);
int nr__pg_job_cancel(struct nr_store *st, const char *id, const char *who, int64_t now_us,
		      struct nr_diag *d);
int nr__pg_jobs_to_report(struct nr_store *st, size_t max, struct nr_job_rec **ret,
			  size_t *ret_n, struct nr_diag *d);
int nr__pg_job_reported(struct nr_store *st, const char *id, const char *what, int64_t now_us,
			struct nr_diag *d);
int nr__pg_jobs_list(struct nr_store *st, const char *status, const char *id_like,
		     size_t limit, struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d);
int nr__pg_jobs_count(struct nr_store *st, int64_t by_status[NR_JOB_STATUS_N + 1],
		      struct nr_diag *d);

/* store_pg_prune.c */
int nr__pg_prune(struct nr_store *st, const struct nr_strvec *run_ids, bool outputs_only,
		 struct nr_prune_stats *ret, struct nr_diag *d);
int nr__pg_vacuum(struct nr_store *st, struct nr_diag *d);

/* store_pg_merge.c */
int nr__pg_open_source(const char *location, struct nr_store **ret, struct nr_diag *d);
int nr__pg_export_rows(struct nr_store *st, const struct nr__store_table *t, const char *run_id,
		       nr__store_row_fn fn, void *ctx, struct nr_diag *d);
int nr__pg_import_from(struct nr_store *st, struct nr_store *src, struct nr_merge_stats *ret,
		       struct nr_diag *d);

/* store_pg_serve.c */
int nr__pg_user_add(struct nr_store *st, const char *id, const char *name, int64_t now_us,
		    struct nr_diag *d);
int nr__pg_token_add(struct nr_store *st, const struct nr_token_rec *t, struct nr_diag *d);
int nr__pg_token_get(struct nr_store *st, const char *id, struct nr_token_rec *ret,
		     struct nr_diag *d);
int nr__pg_tokens_list(struct nr_store *st, struct nr_token_rec **ret, size_t *ret_n,
		       struct nr_diag *d);
int nr__pg_token_revoke(struct nr_store *st, const char *id, int64_t now_us, struct nr_diag *d);
int nr__pg_upload_owner(struct nr_store *st, const char *run_id, bool *ret_exists,
			char **ret_user, struct nr_diag *d);
int nr__pg_push_mark(struct nr_store *st, const char *run_id, const char *server,
		     const char *url, int64_t now_us, struct nr_diag *d);
int nr__pg_runs_unpushed(struct nr_store *st, const char *server, struct nr_strvec *ret,
			 struct nr_diag *d);
int nr__pg_id_elsewhere(struct nr_store *st, const struct nr__store_table *t,
			const char *ids_json, const char *run_id, char *ret_id, struct nr_diag *d);

/*
 * A sample value is read only when it is a finite number: PostgreSQL's
 * double precision holds NaN and infinities, which netrig never writes
 * but a hand-made row could hold. NaN sorts above 'Infinity', so both
 * bounds leave it out.
 */
#define NR__PG_SAMPLE_FINITE "s.value > '-Infinity' AND s.value < 'Infinity'"
/* what a case's attempts gave before it was run again (--rerun) counts no more */
#define NR__PG_SAMPLE_CURRENT NR__PG_SAMPLE_FINITE " AND a.superseded = 0"

#endif
