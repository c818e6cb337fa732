/*
 * The SQLite backend's reads (store_sqlite.c has its writes and the
 * schema), and a user's query run read-only.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "store/store_sqlite_int.h"

#define SQ(st) ((struct nr__store_sqlite *)(st))
#define DB(st) (SQ(st)->db)

/* What the one argument of a read is: text, an id, or the start of an id (?1 and ?2). */
enum arg_kind { ARG_TEXT, ARG_ID, ARG_ID_PREFIX };

static void bind_arg(sqlite3_stmt *s, int i, const char *arg, enum arg_kind kind)
{
	if (kind == ARG_ID_PREFIX)
		nr__sqlite_bind_id_prefix(s, i, arg);
	else if (kind == ARG_ID)
		nr__sqlite_bind_id(s, i, arg);
	else
		nr__sqlite_bind_text(s, i, arg);
}

/*
 * The values of a statement's parameters, bound in order: each takes the
 * next number (?1, ?2 ...), an id prefix two (its range's ends). Every
 * value of a read goes in this way, none into the statement's text.
 */
#define SQL_ARGS_MAX 8
struct sql_args {
	int n;
	const char *v[SQL_ARGS_MAX];
	enum arg_kind kind[SQL_ARGS_MAX];
	int next; /* the number the next value takes */
};

/* Add a value; the number of its parameter, to write into the statement as ?N. */
static int sql_arg(struct sql_args *a, const char *v, enum arg_kind kind)
{
	int at = a->next ? a->next : 1;

	if (a->n == SQL_ARGS_MAX)
		abort(); /* a statement of this file with too many: a bug, caught by every test */
	a->v[a->n] = v;
	a->kind[a->n] = kind;
	a->n++;
	a->next = at + (kind == ARG_ID_PREFIX ? 2 : 1);
	return at;
}

/*
 * Run a query with those parameters (NULL: none) and read each row with
 * read_row into a growing array of `elem`-byte records.
 */
static int list_rows_args(sqlite3 *db, const char *sql, const struct sql_args *a, size_t elem,
			  int (*read_row)(sqlite3_stmt *s, void *rec, struct nr_diag *d),
			  void (*release)(void *rec), void **ret, size_t *ret_n, struct nr_diag *d)
{
	char *v = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *s;
	int r = nr__store_sqlite_prepare(db, sql, &s, d), rc, k, at;

	if (r < 0)
		return r;
	for (k = 0, at = 1; a && k < a->n; at += a->kind[k] == ARG_ID_PREFIX ? 2 : 1, k++)
		bind_arg(s, at, a->v[k], a->kind[k]);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n + 1 > cap) {
			cap = cap ? 2 * cap : 8;
			v = nr_xrealloc(v, cap * elem);
		}
		memset(v + n * elem, 0, elem);
		r = read_row(s, v + n * elem, d);
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "read");
	sqlite3_finalize(s);
	if (r < 0) {
		for (i = 0; i < n; i++)
			release(v + i * elem);
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* list_rows_args with one parameter of that kind (NULL: none). */
static int list_rows(sqlite3 *db, const char *sql, const char *arg, enum arg_kind kind, size_t elem,
		     int (*read_row)(sqlite3_stmt *s, void *rec, struct nr_diag *d),
		     void (*release)(void *rec), void **ret, size_t *ret_n, struct nr_diag *d)
{
	struct sql_args a = { 0 };

	if (arg)
		sql_arg(&a, arg, kind);
	return list_rows_args(db, sql, &a, elem, read_row, release, ret, ret_n, d);
}

static void read_run(sqlite3_stmt *s, struct nr_run_rec *r)
{
	char prev[NR_UUID_LEN + 1], next[NR_UUID_LEN + 1];

	memset(r, 0, sizeof(*r));
	nr__sqlite_col_id(s, 0, r->id);
	r->campaign = nr__sqlite_col_text(s, 1);
	r->campaign_path = nr__sqlite_col_text(s, 2);
	r->config = nr__sqlite_col_text(s, 3);
	r->config_hash = nr__sqlite_col_text(s, 4);
	r->commit = nr__sqlite_col_text(s, 5);
	r->branch = nr__sqlite_col_text(s, 6);
	r->labels = nr__sqlite_col_text(s, 7);
	r->status = nr_run_status_of((const char *)sqlite3_column_text(s, 8));
	r->reason = nr__sqlite_col_text(s, 9);
	r->controller = nr__sqlite_col_text(s, 10);
	r->version = nr__sqlite_col_text(s, 11);
	r->pid = sqlite3_column_int(s, 12);
	r->started_us = sqlite3_column_int64(s, 13);
	r->finished_us = sqlite3_column_int64(s, 14);
	r->n_cases = sqlite3_column_int64(s, 15);
	r->n_passed = sqlite3_column_int64(s, 16);
	r->n_failed = sqlite3_column_int64(s, 17);
	r->n_pending = sqlite3_column_int64(s, 18);
	r->pid_start = nr__sqlite_col_text(s, 19);
	r->heartbeat_us = sqlite3_column_int64(s, 20);
	nr__sqlite_col_id(s, 21, prev);
	nr__sqlite_col_id(s, 22, next);
	nr__store_run_seen(r, prev[0] ? prev : NULL, next[0] ? next : NULL);
	r->options = nr__sqlite_col_text(s, 23);
}

int nr__store_sqlite_run_get(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
			     struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s;
	int r, rc, found = 0;

	if (!selector || !strcmp(selector, "latest"))
		r = nr__store_sqlite_prepare(db, "SELECT " NR__STORE_RUN_COLUMNS " FROM runs r"
				" ORDER BY r.started_at DESC, r.id DESC LIMIT 1", &s, d);
	else {
		r = nr__store_sqlite_prepare(db, "SELECT " NR__STORE_RUN_COLUMNS " FROM runs r"
				" WHERE r.id BETWEEN ?1 AND ?2 ORDER BY r.started_at DESC LIMIT 2", &s, d);
		if (r == 0)
			nr__sqlite_bind_id_prefix(s, 1, selector);
	}
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (found++) {
			nr_run_rec_release(ret);
			r = nr_diagf(d, NR_EAMBIGUOUS, "run '%s' is ambiguous: give more of its id",
				     selector);
			break;
		}
		read_run(s, ret);
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "read runs");
	if (r == 0 && !found)
		r = selector && strcmp(selector, "latest")
			    ? nr_diagf(d, NR_ENOTFOUND, "no run '%s' in this database", selector)
			    : nr_diagf(d, NR_ENOTFOUND, "no runs in this database yet");
	sqlite3_finalize(s);
	return r;
}

int nr__store_sqlite_run_resumable(struct nr_store *st, const char *campaign,
				   struct nr_run_rec *ret, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s;
	int rc, r = nr__store_sqlite_prepare(db, "SELECT " NR__STORE_RUN_COLUMNS " FROM runs r WHERE r.campaign = ?"
			    " AND r.status IN ('running', 'interrupted', 'stopped')"
			    " ORDER BY r.started_at DESC, r.id DESC LIMIT 1", &s, d);

	if (r < 0)
		return r;
	nr__sqlite_bind_text(s, 1, campaign);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_run(s, ret);
	else if (rc == SQLITE_DONE)
		r = nr_diagf(d, NR_ENOTFOUND, "campaign '%s' has no unfinished run to resume",
			     campaign);
	else /* a locked or broken file is not "no run" */
		r = nr__store_sqlite_error(db, d, "read runs");
	sqlite3_finalize(s);
	return r;
}

static int read_run_row(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	(void)d;
	read_run(s, rec);
	return 0;
}

static void release_run(void *rec)
{
	nr_run_rec_release(rec);
}

/* A run and, as column 24, its campaign's count of runs (0 where not asked). */
static int read_run_found(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_run_rec *run = rec;

	(void)d;
	read_run(s, run);
	run->n_campaign_runs = sqlite3_column_int64(s, 24);
	return 0;
}

int nr__store_sqlite_runs_find(struct nr_store *st, const struct nr_run_filter *f,
			       struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr_buf sql = NR_BUF_INIT;
	struct sql_args a = { 0 };
	const char *eq = f->label ? strchr(f->label, '=') : NULL;
	char *key = NULL;
	int r;

	/*
	 * The runs chosen by id first, the columns (their counts of cases,
	 * their neighbours for short ids) then only for those: computed
	 * before the sort, they would cost every run of the store.
	 */
	nr_buf_adds(&sql, "SELECT " NR__STORE_RUN_COLUMNS);
	nr_buf_adds(&sql, f->latest_per_campaign
				  ? ", (SELECT count(*) FROM runs x WHERE x.campaign = r.campaign)"
				  : ", 0");
	nr_buf_adds(&sql, " FROM runs r WHERE r.id IN (SELECT r.id FROM runs r WHERE true");
	if (f->campaign)
		nr_buf_addf(&sql, " AND r.campaign = ?%d", sql_arg(&a, f->campaign, ARG_TEXT));
	if (f->branch)
		nr_buf_addf(&sql, " AND r.branch = ?%d", sql_arg(&a, f->branch, ARG_TEXT));
	if (f->commit) {
		int k = sql_arg(&a, f->commit, ARG_TEXT);

		nr_buf_addf(&sql, " AND substr(r.commit_sha, 1, length(?%d)) = ?%d", k, k);
	}
	if (f->label && !eq) {
		nr_buf_adds(&sql, " AND false");
	} else if (f->label) { /* json_each: any key, quotes and dots included; a string value only */
		key = nr_xstrndup(f->label, (size_t)(eq - f->label));
		nr_buf_addf(&sql, " AND EXISTS (SELECT 1 FROM json_each(r.labels) j WHERE j.key = ?%d",
			    sql_arg(&a, key, ARG_TEXT));
		nr_buf_addf(&sql, " AND j.type = 'text' AND j.value = ?%d)",
			    sql_arg(&a, eq + 1, ARG_TEXT));
	}
	if (f->since_us)
		nr_buf_addf(&sql, " AND r.started_at >= %lld", (long long)f->since_us);
	if (f->user)
		nr_buf_addf(&sql, " AND EXISTS (SELECT 1 FROM uploads u WHERE u.run_id = r.id"
				  " AND u.user_name = ?%d)", sql_arg(&a, f->user, ARG_TEXT));
	if (f->latest_per_campaign) /* none newer of its campaign: runs_campaign answers it */
		nr_buf_adds(&sql, " AND NOT EXISTS (SELECT 1 FROM runs x WHERE x.campaign = r.campaign"
				  " AND x.started_at >= r.started_at" /* a range of the index, */
				  " AND (x.started_at > r.started_at OR x.id > r.id))"); /* not all */
	nr_buf_addf(&sql, " ORDER BY r.started_at DESC, r.id DESC LIMIT %lld)"
			  " ORDER BY r.started_at DESC, r.id DESC",
		    f->limit ? (long long)f->limit : -1LL);
	r = list_rows_args(DB(st), sql.buf, &a, sizeof(**ret), read_run_found, release_run,
			   (void **)ret, ret_n, d);
	nr_buf_release(&sql);
	free(key);
	return r;
}

int nr__store_sqlite_runs_count(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
				struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s;
	enum nr_run_status k;
	int rc, r = nr__store_sqlite_prepare(db, "SELECT status, count(*) FROM runs GROUP BY status",
					     &s, d);

	if (r < 0)
		return r;
	memset(by_status, 0, (NR_RUN_STATUS_N + 1) * sizeof(*by_status));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		k = nr_run_status_of((const char *)sqlite3_column_text(s, 0));
		by_status[k] += sqlite3_column_int64(s, 1); /* one this netrig doesn't know: [0] */
	}
	if (rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "count runs");
	sqlite3_finalize(s);
	return r;
}

static int read_host(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_host_rec *h = rec;

	(void)d;
	nr__sqlite_col_id(s, 0, h->id);
	h->name = nr__sqlite_col_text(s, 1);
	h->transport = nr__sqlite_col_text(s, 2);
	h->address = nr__sqlite_col_text(s, 3);
	h->sysinfo = nr__sqlite_col_text(s, 4);
	h->labels = nr__sqlite_col_text(s, 5);
	h->optional = sqlite3_column_int(s, 6) != 0;
	return 0;
}

static void release_host(void *rec)
{
	nr_host_rec_release(rec);
}

int nr__store_sqlite_hosts_list(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
				size_t *ret_n, struct nr_diag *d)
{
	return list_rows(DB(st), "SELECT id, name, transport, address, sysinfo, labels, optional"
				 " FROM hosts WHERE run_id = ? ORDER BY name",
			 run_id, ARG_ID, sizeof(**ret), read_host, release_host, (void **)ret, ret_n, d);
}

static int read_case(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_case_rec *c = rec;

	(void)d;
	nr__sqlite_col_id(s, 0, c->id);
	nr__sqlite_col_id(s, 1, c->run_id);
	c->ordinal = sqlite3_column_int64(s, 2);
	c->test = nr__sqlite_col_text(s, 3);
	c->key = nr__sqlite_col_text(s, 4);
	c->params = nr__sqlite_col_text(s, 5);
	c->status = nr_case_status_of((const char *)sqlite3_column_text(s, 6));
	c->repeats = sqlite3_column_int(s, 7);
	c->repeats_done = sqlite3_column_int(s, 8);
	c->attempts = sqlite3_column_int(s, 9);
	c->started_us = sqlite3_column_int64(s, 10);
	c->finished_us = sqlite3_column_int64(s, 11);
	c->ping_count = sqlite3_column_int(s, 12);
	c->ssh_check_count = sqlite3_column_int(s, 13);
	c->hosts = nr__sqlite_col_text(s, 14);
	c->error = nr__sqlite_col_text(s, 15);
	return 0;
}

static void release_case(void *rec)
{
	nr_case_rec_release(rec);
}

int nr__store_sqlite_cases_list(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
				size_t *ret_n, struct nr_diag *d)
{
	return list_rows(DB(st),
			 "SELECT id, run_id, ordinal, test, key, params, status, repeats, repeats_done,"
			 " attempts, started_at, finished_at, ping_count, ssh_check_count, hosts, error"
			 " FROM cases WHERE run_id = ? ORDER BY ordinal",
			 run_id, ARG_ID, sizeof(**ret), read_case, release_case, (void **)ret, ret_n, d);
}

static int read_attempt(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_attempt_rec *a = rec;

	(void)d;
	nr__sqlite_col_id(s, 0, a->id);
	nr__sqlite_col_id(s, 1, a->case_id);
	a->number = sqlite3_column_int(s, 2);
	a->repeat = sqlite3_column_int(s, 3);
	a->outcome = nr_attempt_outcome_of((const char *)sqlite3_column_text(s, 4));
	a->exit_code = sqlite3_column_int(s, 5);
	a->signal = sqlite3_column_int(s, 6);
	a->started_us = sqlite3_column_int64(s, 7);
	a->finished_us = sqlite3_column_int64(s, 8);
	a->error = nr__sqlite_col_text(s, 9);
	a->superseded = sqlite3_column_int(s, 10) != 0;
	return 0;
}

static void release_attempt(void *rec)
{
	nr_attempt_rec_release(rec);
}

int nr__store_sqlite_attempts_list(struct nr_store *st, const char *case_id,
				   struct nr_attempt_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	return list_rows(DB(st), "SELECT id, case_id, number, repeat, outcome, exit_code, signal,"
				 " started_at, finished_at, error, superseded FROM attempts"
				 " WHERE case_id = ?"
				 " ORDER BY number",
			 case_id, ARG_ID, sizeof(**ret), read_attempt, release_attempt, (void **)ret, ret_n, d);
}

static int read_output(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_output_rec *o = rec;
	const char *method = (const char *)sqlite3_column_text(s, 5);

	o->role = nr__sqlite_col_text(s, 0);
	o->host = nr__sqlite_col_text(s, 1);
	o->stream = nr__sqlite_col_text(s, 2);
	o->size = (uint64_t)sqlite3_column_int64(s, 3);
	o->dropped = (uint64_t)sqlite3_column_int64(s, 4);
	nr_buf_init(&o->data, 0);
	return nr__store_decompress(method ? method : "none",
				    nr_slice_of(sqlite3_column_blob(s, 6),
						(size_t)sqlite3_column_bytes(s, 6)),
				    o->size, &o->data, d);
}

static void release_output(void *rec)
{
	nr_output_rec_release(rec);
}

int nr__store_sqlite_outputs_get(struct nr_store *st, const char *attempt_id,
				 struct nr_output_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	return list_rows(DB(st), "SELECT role, host, stream, size, dropped, compression, data"
				 " FROM outputs WHERE attempt_id = ? ORDER BY rowid",
			 attempt_id, ARG_ID, sizeof(**ret), read_output, release_output, (void **)ret,
			 ret_n, d);
}


static int read_sample(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_sample_row *x = rec;
	const char *better = (const char *)sqlite3_column_text(s, 7);

	(void)d;
	nr__sqlite_col_id(s, 0, x->run_id);
	nr__sqlite_col_id(s, 1, x->case_id);
	x->id.test = nr__sqlite_col_text(s, 2);
	x->id.key = nr__sqlite_col_text(s, 3);
	x->id.role = nr__sqlite_col_text(s, 4);
	x->id.metric = nr__sqlite_col_text(s, 5);
	x->id.unit = nr__sqlite_col_text(s, 6);
	if (!better || nr_better_parse(better, &x->id.better) < 0)
		x->id.better = NR_BETTER_NONE;
	x->repeat = sqlite3_column_int(s, 8);
	x->attempt = sqlite3_column_int(s, 9);
	x->interval = sqlite3_column_int64(s, 10);
	x->value = sqlite3_column_double(s, 11);
	return 0;
}

static void release_sample(void *rec)
{
	nr_sample_row_release(rec);
}

int nr__store_sqlite_samples_list(struct nr_store *st, const char *run_id, bool with_intervals,
				  struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	return list_rows(DB(st),
			 with_intervals
				 ? "SELECT " NR__STORE_SAMPLE_COLUMNS " WHERE c.run_id = ? AND " NR__SQLITE_SAMPLE_CURRENT
				   " ORDER BY c.ordinal, se.role, se.metric, s.repeat, s.interval, s.seq"
				 : "SELECT " NR__STORE_SAMPLE_COLUMNS " WHERE c.run_id = ? AND s.interval < 0"
				   " AND " NR__SQLITE_SAMPLE_CURRENT
				   " ORDER BY c.ordinal, se.role, se.metric, s.repeat, s.seq",
			 run_id, ARG_ID, sizeof(**ret), read_sample, release_sample, (void **)ret, ret_n, d);
}

int nr__store_sqlite_samples_history(struct nr_store *st, const char *campaign, int64_t since_us,
				     struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	char *sql = sqlite3_mprintf(
		"SELECT " NR__STORE_SAMPLE_COLUMNS " JOIN runs r ON r.id = c.run_id"
		" WHERE r.campaign = ? AND s.interval < 0 AND r.status <> 'running'"
		" AND " NR__SQLITE_SAMPLE_CURRENT
		" AND r.started_at >= %lld"
		" ORDER BY r.started_at, r.id, c.key, se.role, se.metric, s.repeat, s.seq",
		(long long)since_us);
	int r = list_rows(DB(st), sql, campaign, ARG_TEXT, sizeof(**ret), read_sample, release_sample,
			  (void **)ret, ret_n, d);

	sqlite3_free(sql);
	return r;
}

int nr__store_sqlite_runs_select(struct nr_store *st, const char *selector, const char *campaign,
				 size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr_buf sql = NR_BUF_INIT;
	struct sql_args a = { 0 };
	char *value = NULL, *key = NULL;
	int r, k, v;

	nr_buf_adds(&sql, "SELECT " NR__STORE_RUN_COLUMNS " FROM runs r WHERE ");
	if (!selector || !strcmp(selector, "latest")) {
		nr_buf_adds(&sql, "true");
	} else if (!strncmp(selector, "branch:", 7)) {
		nr_buf_addf(&sql, "r.branch = ?%d AND r.status <> 'running'",
			    sql_arg(&a, selector + 7, ARG_TEXT));
	} else if (!strncmp(selector, "commit:", 7)) {
		value = nr__store_like_prefix(selector + 7);
		nr_buf_addf(&sql, "r.commit_sha LIKE ?%d ESCAPE '\\' AND r.status <> 'running'",
			    sql_arg(&a, value, ARG_TEXT));
	} else if (!strncmp(selector, "label:", 6) && strchr(selector + 6, '=')) {
		const char *eq = strchr(selector + 6, '=');

		key = nr_xstrndup(selector + 6, (size_t)(eq - selector - 6));
		k = sql_arg(&a, key, ARG_TEXT);
		v = sql_arg(&a, eq + 1, ARG_TEXT);
		/* the label's key goes in as a JSON path, quoted for JSON.
		 * The run's own labels, or those of a host (os, env, NIC ...) one of
		 * its cases ran on: with hosts as a matrix axis a campaign names
		 * every environment, a run may have used one */
		nr_buf_addf(&sql, "(json_extract(r.labels, '$.\"' || ?%d || '\"') = ?%d"
				  " OR EXISTS (SELECT 1 FROM cases c, json_each(c.hosts) j"
				  "  JOIN hosts h ON h.run_id = r.id AND h.name = j.value"
				  "  WHERE c.run_id = r.id AND c.hosts IS NOT NULL"
				  "  AND json_extract(h.labels, '$.\"' || ?%d || '\"') = ?%d))"
				  " AND r.status <> 'running'", k, v, k, v);
	} else {
		k = sql_arg(&a, selector, ARG_ID_PREFIX);
		nr_buf_addf(&sql, "r.id BETWEEN ?%d AND ?%d", k, k + 1);
		if (!limit || limit > 2)
			limit = 2; /* enough to see that a prefix is ambiguous */
	}
	if (campaign)
		nr_buf_addf(&sql, " AND r.campaign = ?%d", sql_arg(&a, campaign, ARG_TEXT));
	nr_buf_addf(&sql, " ORDER BY r.started_at DESC, r.id DESC LIMIT %lld",
		    limit ? (long long)limit : -1LL);
	r = list_rows_args(DB(st), sql.buf, &a, sizeof(**ret), read_run_row, release_run,
			   (void **)ret, ret_n, d);
	nr_buf_release(&sql);
	free(value);
	free(key);
	return r < 0 ? r : nr__store_runs_selected(selector, campaign, ret, ret_n, d);
}

/*
 * How many rows of `sql` there are, and the first one's id: ?1 is arg of
 * that kind (a prefix: ?1 and ?2), and the id run_id, when given, ?2.
 */
static int count_ids(sqlite3 *db, const char *sql, const char *arg, enum arg_kind kind,
		     const char *run_id, char first[NR_UUID_LEN + 1], int *ret_count,
		     struct nr_diag *d)
{
	sqlite3_stmt *s;
	int n = 0, rc, r = nr__store_sqlite_prepare(db, sql, &s, d);

	if (r < 0)
		return r;
	bind_arg(s, 1, arg, kind);
	if (run_id)
		nr__sqlite_bind_id(s, 2, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (n++ == 0)
			nr__sqlite_col_id(s, 0, first);
	if (rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "read");
	sqlite3_finalize(s);
	*ret_count = n;
	return r;
}

static int read_event(sqlite3_stmt *s, void *rec, struct nr_diag *d)
{
	struct nr_event_rec *e = rec;

	(void)d;
	nr__sqlite_col_id(s, 0, e->id);
	nr__sqlite_col_id(s, 1, e->run_id);
	nr__sqlite_col_id(s, 2, e->case_id);
	e->time_us = sqlite3_column_int64(s, 3);
	e->host = nr__sqlite_col_text(s, 4);
	e->kind = nr__sqlite_col_text(s, 5);
	e->message = nr__sqlite_col_text(s, 6);
	return 0;
}

static void release_event(void *rec)
{
	nr_event_rec_release(rec);
}

int nr__store_sqlite_events_list(struct nr_store *st, const char *run_id, const char *case_id,
				 struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	if (case_id)
		return list_rows(DB(st), "SELECT id, run_id, case_id, time, host, kind, message"
					 " FROM events WHERE case_id = ? ORDER BY time, id",
				 case_id, ARG_ID, sizeof(**ret), read_event, release_event, (void **)ret,
				 ret_n, d);
	return list_rows(DB(st), "SELECT id, run_id, case_id, time, host, kind, message"
				 " FROM events WHERE run_id = ? ORDER BY time, id",
			 run_id, ARG_ID, sizeof(**ret), read_event, release_event, (void **)ret, ret_n, d);
}

int nr__store_sqlite_locate(struct nr_store *st, const char *selector, const char *run_id,
			    char *ret_case_id, char *ret_attempt_id, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	char id[NR_UUID_LEN + 1] = "";
	int n = 0, r;

	ret_case_id[0] = ret_attempt_id[0] = '\0';
	/* a case key first: keys are what people copy from the status sheet */
	r = count_ids(db, run_id ? "SELECT id FROM cases WHERE key = ? AND run_id = ?"
				 : "SELECT id FROM cases WHERE key = ? AND run_id ="
				   " (SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1)",
		      selector, ARG_TEXT, run_id, id, &n, d);
	if (r == 0 && n == 1) {
		snprintf(ret_case_id, NR_UUID_LEN + 1, "%s", id);
		goto out;
	}
	if (r == 0 && (r = count_ids(db, "SELECT id FROM attempts WHERE id BETWEEN ?1 AND ?2 LIMIT 2",
				     selector, ARG_ID_PREFIX, NULL, id, &n, d)) == 0 && n == 1) {
		snprintf(ret_attempt_id, NR_UUID_LEN + 1, "%s", id);
		r = count_ids(db, "SELECT case_id FROM attempts WHERE id = ?", id, ARG_ID, NULL,
			      ret_case_id, &n, d);
		goto out;
	}
	if (r == 0 && n > 1) {
		r = nr_diagf(d, NR_EAMBIGUOUS, "'%s' is ambiguous: give more of the id", selector);
		goto out;
	}
	if (r == 0 && (r = count_ids(db, "SELECT id FROM cases WHERE id BETWEEN ?1 AND ?2 LIMIT 2",
				     selector, ARG_ID_PREFIX, NULL, id, &n, d)) == 0 && n == 1) {
		snprintf(ret_case_id, NR_UUID_LEN + 1, "%s", id);
		goto out;
	}
	if (r == 0)
		r = n > 1 ? nr_diagf(d, NR_EAMBIGUOUS, "'%s' is ambiguous: give more of the id", selector)
			  : nr_diagf(d, NR_ENOTFOUND, "no case or attempt '%s'%s", selector,
				     run_id ? " in that run" : " (case keys are looked up in the latest run; use --run)");
out:
	return r;
}

int nr__store_sqlite_query_json(struct nr_store *base, const char *sql, size_t max_rows,
				struct nr_buf *out, struct nr_diag *d)
{
	struct nr__store_sqlite *st = (struct nr__store_sqlite *)base;
	sqlite3 *ro = NULL;
	sqlite3_stmt *s = NULL;
	json_t *arr = json_array();
	const char *tail = NULL;
	size_t rows = 0;
	char *text;
	int r, rc;

	/* its own read-only connection: the user's SQL can read, never write */
	if ((r = nr__store_sqlite_open_db(st->path, SQLITE_OPEN_READONLY, &ro, d)) < 0)
		goto out;
	if ((r = nr__store_sqlite_exec(ro, "PRAGMA query_only = ON", d)) < 0)
		goto out;
	if (sqlite3_prepare_v2(ro, sql, -1, &s, &tail) != SQLITE_OK) {
		r = nr__store_sqlite_error(ro, d, "query");
		goto out;
	}
	if (!s || (tail && tail[strspn(tail, " \t\r\n;")])) {
		r = nr_diagf(d, NR_ESTORE, "query: give exactly one SQL statement");
		goto out;
	}
	if (!sqlite3_stmt_readonly(s)) {
		r = nr_diagf(d, NR_ESTORE, "query: only statements that read are allowed");
		goto out;
	}
	while (rows < max_rows && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = json_object();
		int i, n = sqlite3_column_count(s);
		char id[NR_UUID_LEN + 1];
		const char *decl;

		for (i = 0; i < n; i++) {
			json_t *v;

			switch (sqlite3_column_type(s, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(s, i));
				break;
			case SQLITE_FLOAT:
				/* an infinity an old file holds has no JSON form */
				v = isfinite(sqlite3_column_double(s, i))
					    ? json_real(sqlite3_column_double(s, i))
					    : json_null();
				break;
			case SQLITE_NULL:
				v = json_null();
				break;
			case SQLITE_BLOB:
				/* an id column's value (schema 10) as its text, what the user
				 * compares and joins it with elsewhere; another blob as its
				 * size, not the bytes */
				decl = sqlite3_column_decltype(s, i);
				if (decl && !strcmp(decl, "UUID") && sqlite3_column_bytes(s, i) == 16) {
					nr__sqlite_id_format(sqlite3_column_blob(s, i), id);
					v = json_string(id);
				} else {
					v = json_integer(sqlite3_column_bytes(s, i));
				}
				break;
			default:
				v = json_string((const char *)sqlite3_column_text(s, i));
				if (!v) /* not UTF-8 */
					v = json_null();
			}
			json_object_set_new(o, sqlite3_column_name(s, i), v);
		}
		json_array_append_new(arr, o);
		rows++;
	}
	if (rows < max_rows && rc != SQLITE_DONE) {
		r = nr__store_sqlite_error(ro, d, "query");
		goto out;
	}
	text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	nr_buf_adds(out, text);
	nr_buf_addch(out, '\n');
	free(text);
out:
	sqlite3_finalize(s);
	sqlite3_close(ro);
	json_decref(arr);
	return r;
}
