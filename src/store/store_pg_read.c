/*
 * The PostgreSQL backend's reads, and a user's query run read-only. Text
 * is ordered COLLATE "C" (byte order), as SQLite orders it and netrig's
 * own comparisons (strcmp) do, whatever the database's collation.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "store/store_pg_int.h"

/*
 * Run a query and read each row with read_row into a growing array of
 * `elem`-byte records. `dynamic`: sql was put together at run time.
 */
static int list_rows(struct nr__store_pg *st, const char *sql, bool dynamic,
		     struct nr__pg_params *p, size_t elem,
		     int (*read_row)(const PGresult *res, int row, void *rec, struct nr_diag *d),
		     void (*release)(void *rec), void **ret, size_t *ret_n, struct nr_diag *d)
{
	PGresult *res = NULL;
	char *v = NULL;
	int r, i, n = 0;

	r = dynamic ? nr__pg_exec_once(st, sql, p, &res, d) : nr__pg_exec(st, sql, p, &res, d);
	if (r < 0)
		return r;
	n = PQntuples(res);
	v = nr_xcalloc((size_t)n + 1, elem);
	for (i = 0; r == 0 && i < n; i++)
		r = read_row(res, i, v + (size_t)i * elem, d);
	PQclear(res);
	if (r < 0) {
		while (i-- > 0)
			release(v + (size_t)i * elem);
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = (size_t)n;
	return 0;
}

/* One text parameter (NULL: none), for the many reads that take one id. */
static struct nr__pg_params one(const char *arg)
{
	struct nr__pg_params p = { 0 };

	if (arg)
		nr__pg_text(&p, arg);
	return p;
}

/* ---- runs ---- */

static int read_run(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_run_rec *r = rec;

	(void)d;
	memset(r, 0, sizeof(*r));
	nr__pg_col_id(res, row, 0, r->id);
	r->campaign = nr__pg_col_text(res, row, 1);
	r->campaign_path = nr__pg_col_text(res, row, 2);
	r->config = nr__pg_col_text(res, row, 3);
	r->config_hash = nr__pg_col_text(res, row, 4);
	r->commit = nr__pg_col_text(res, row, 5);
	r->branch = nr__pg_col_text(res, row, 6);
	r->labels = nr__pg_col_text(res, row, 7);
	r->status = nr_run_status_of(PQgetvalue(res, row, 8));
	r->reason = nr__pg_col_text(res, row, 9);
	r->controller = nr__pg_col_text(res, row, 10);
	r->version = nr__pg_col_text(res, row, 11);
	r->pid = (int)nr__pg_col_i64(res, row, 12);
	r->started_us = nr__pg_col_i64(res, row, 13);
	r->finished_us = nr__pg_col_i64(res, row, 14);
	r->n_cases = nr__pg_col_i64(res, row, 15);
	r->n_passed = nr__pg_col_i64(res, row, 16);
	r->n_failed = nr__pg_col_i64(res, row, 17);
	r->n_pending = nr__pg_col_i64(res, row, 18);
	r->pid_start = nr__pg_col_text(res, row, 19);
	r->heartbeat_us = nr__pg_col_i64(res, row, 20);
	nr__store_run_seen(r, nr__pg_val(res, row, 21), nr__pg_val(res, row, 22));
	r->options = nr__pg_col_text(res, row, 23);
	return 0;
}

static void release_run(void *rec)
{
	nr_run_rec_release(rec);
}

static const char SQL_RUN_LATEST[] =
	"SELECT " NR__STORE_RUN_COLUMNS " FROM runs r ORDER BY r.started_at DESC, r.id DESC LIMIT 1";
/* ILIKE: a prefix in capitals names the run too, as SQLite's LIKE has it */
static const char SQL_RUN_PREFIX[] =
	"SELECT " NR__STORE_RUN_COLUMNS " FROM runs r WHERE r.id::text ILIKE $1"
	" ORDER BY r.started_at DESC LIMIT 2";

int nr__pg_run_get(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
		   struct nr_diag *d)
{
	bool latest = !selector || !strcmp(selector, "latest");
	char *pattern = latest ? NULL : nr__store_like_prefix(selector);
	struct nr__pg_params p = one(pattern);
	struct nr_run_rec *runs = NULL;
	size_t n = 0;
	int r;

	r = list_rows(NR__PG(st), latest ? SQL_RUN_LATEST : SQL_RUN_PREFIX, false, &p,
		      sizeof(*runs), read_run, release_run, (void **)&runs, &n, d);
	nr__pg_params_release(&p);
	free(pattern);
	if (r < 0)
		return r;
	if (n > 1)
		r = nr_diagf(d, NR_EAMBIGUOUS, "run '%s' is ambiguous: give more of its id", selector);
	else if (n == 0)
		r = latest ? nr_diagf(d, NR_ENOTFOUND, "no runs in this database yet")
			   : nr_diagf(d, NR_ENOTFOUND, "no run '%s' in this database", selector);
	if (r == 0) {
		*ret = runs[0];
		free(runs);
		return 0;
	}
	nr_runs_free(runs, n);
	return r;
}

static const char SQL_RUN_RESUMABLE[] =
	"SELECT " NR__STORE_RUN_COLUMNS " FROM runs r WHERE r.campaign = $1"
	" AND r.status IN ('running', 'interrupted', 'stopped')"
	" ORDER BY r.started_at DESC, r.id DESC LIMIT 1";

int nr__pg_run_resumable(struct nr_store *st, const char *campaign, struct nr_run_rec *ret,
			 struct nr_diag *d)
{
	struct nr__pg_params p = one(campaign);
	struct nr_run_rec *runs = NULL;
	size_t n = 0;
	int r;

	r = list_rows(NR__PG(st), SQL_RUN_RESUMABLE, false, &p, sizeof(*runs), read_run,
		      release_run, (void **)&runs, &n, d);
	nr__pg_params_release(&p);
	if (r < 0) /* an unreachable server is not "no run" */
		return r;
	if (n == 0) {
		free(runs);
		return nr_diagf(d, NR_ENOTFOUND, "campaign '%s' has no unfinished run to resume",
				campaign);
	}
	*ret = runs[0];
	free(runs);
	return 0;
}

/* A run and, as column 24, its campaign's count of runs (0 where not asked). */
static int read_run_found(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_run_rec *run = rec;

	read_run(res, row, rec, d);
	run->n_campaign_runs = nr__pg_col_i64(res, row, 24);
	return 0;
}

int nr__pg_runs_find(struct nr_store *st, const struct nr_run_filter *f, struct nr_run_rec **ret,
		     size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	struct nr_buf sql = NR_BUF_INIT;
	const char *eq = f->label ? strchr(f->label, '=') : NULL;
	char *key = NULL;
	int r;

	/* the statement from constant pieces; every value a parameter */
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
	if (f->campaign) {
		nr__pg_text(&p, f->campaign);
		nr_buf_addf(&sql, " AND r.campaign = $%d", p.n);
	}
	if (f->branch) {
		nr__pg_text(&p, f->branch);
		nr_buf_addf(&sql, " AND r.branch = $%d", p.n);
	}
	if (f->commit) {
		nr__pg_text(&p, f->commit);
		nr_buf_addf(&sql, " AND substr(r.commit_sha, 1, char_length($%d)) = $%d", p.n, p.n);
	}
	if (f->label && !eq) {
		nr_buf_adds(&sql, " AND false");
	} else if (f->label) { /* any key; a string value only, as SQLite's json_each 'text' */
		key = nr_xstrndup(f->label, (size_t)(eq - f->label));
		nr__pg_text(&p, key);
		nr__pg_text(&p, eq + 1);
		nr_buf_addf(&sql, " AND r.labels::jsonb -> $%d::text = to_jsonb($%d::text)", p.n - 1,
			    p.n);
	}
	if (f->since_us) {
		nr__pg_int(&p, f->since_us);
		nr_buf_addf(&sql, " AND r.started_at >= $%d", p.n);
	}
	if (f->user) {
		nr__pg_text(&p, f->user);
		nr_buf_addf(&sql, " AND EXISTS (SELECT 1 FROM uploads u WHERE u.run_id = r.id"
				  " AND u.user_name = $%d)", p.n);
	}
	if (f->latest_per_campaign) /* none newer of its campaign: runs_campaign answers it */
		nr_buf_adds(&sql, " AND NOT EXISTS (SELECT 1 FROM runs x WHERE x.campaign = r.campaign"
				  " AND x.started_at >= r.started_at" /* a range of the index, */
				  " AND (x.started_at > r.started_at OR x.id > r.id))"); /* not all */
	nr_buf_addf(&sql, " ORDER BY r.started_at DESC, r.id DESC LIMIT $%d)"
			  " ORDER BY r.started_at DESC, r.id DESC", p.n + 1);
	if (f->limit)
		nr__pg_int(&p, (int64_t)f->limit);
	else
		nr__pg_text(&p, NULL); /* LIMIT NULL: all */
	r = list_rows(NR__PG(st), sql.buf, true, &p, sizeof(**ret), read_run_found, release_run,
		      (void **)ret, ret_n, d);
	nr__pg_params_release(&p);
	nr_buf_release(&sql);
	free(key);
	return r;
}

static int read_status_count(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	int64_t *v = rec;

	(void)d;
	v[0] = nr_run_status_of(PQgetvalue(res, row, 0));
	v[1] = nr__pg_col_i64(res, row, 1);
	return 0;
}

static void release_nothing(void *rec)
{
	(void)rec;
}

int nr__pg_runs_count(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
		      struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	int64_t *rows = NULL;
	size_t n = 0, i;
	int r;

	r = list_rows(NR__PG(st), "SELECT status, count(*) FROM runs GROUP BY status", false, &p,
		      2 * sizeof(*rows), read_status_count, release_nothing, (void **)&rows, &n, d);
	if (r < 0)
		return r;
	memset(by_status, 0, (NR_RUN_STATUS_N + 1) * sizeof(*by_status));
	for (i = 0; i < n; i++) /* one this netrig doesn't know: [0] */
		by_status[rows[2 * i]] += rows[2 * i + 1];
	free(rows);
	return 0;
}

int nr__pg_runs_select(struct nr_store *st, const char *selector, const char *campaign,
		       size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	struct nr_buf sql = NR_BUF_INIT;
	char *value = NULL;
	int r;

	/* the statement from constant pieces; every value a parameter */
	nr_buf_adds(&sql, "SELECT " NR__STORE_RUN_COLUMNS " FROM runs r WHERE ");
	if (!selector || !strcmp(selector, "latest")) {
		nr_buf_adds(&sql, "true");
	} else if (!strncmp(selector, "branch:", 7)) {
		nr_buf_adds(&sql, "r.branch = $1 AND r.status <> 'running'");
		nr__pg_text(&p, selector + 7);
	} else if (!strncmp(selector, "commit:", 7)) {
		value = nr__store_like_prefix(selector + 7);
		nr_buf_adds(&sql, "r.commit_sha ILIKE $1 AND r.status <> 'running'");
		nr__pg_text(&p, value);
	} else if (!strncmp(selector, "label:", 6) && strchr(selector + 6, '=')) {
		const char *eq = strchr(selector + 6, '=');

		value = nr_xstrndup(selector + 6, (size_t)(eq - selector - 6));
		/* the run's own labels, or those of a host one of its cases ran on
		 * (cases.hosts: {"role": "host"}), as SQLite's json_each does */
		nr_buf_adds(&sql, "(r.labels::jsonb ->> $1 = $2"
				  " OR EXISTS (SELECT 1 FROM cases c"
				  "  CROSS JOIN LATERAL jsonb_each_text(c.hosts::jsonb) j"
				  "  JOIN hosts h ON h.run_id = r.id AND h.name = j.value"
				  "  WHERE c.run_id = r.id AND c.hosts IS NOT NULL"
				  "  AND h.labels::jsonb ->> $1 = $2))"
				  " AND r.status <> 'running'");
		nr__pg_text(&p, value);
		nr__pg_text(&p, eq + 1);
	} else {
		value = nr__store_like_prefix(selector);
		nr_buf_adds(&sql, "r.id::text ILIKE $1");
		nr__pg_text(&p, value);
		if (!limit || limit > 2)
			limit = 2; /* enough to see that a prefix is ambiguous */
	}
	if (campaign) {
		nr_buf_addf(&sql, " AND r.campaign = $%d", p.n + 1);
		nr__pg_text(&p, campaign);
	}
	nr_buf_addf(&sql, " ORDER BY r.started_at DESC, r.id DESC LIMIT $%d", p.n + 1);
	if (limit)
		nr__pg_int(&p, (int64_t)limit);
	else
		nr__pg_text(&p, NULL);
	r = list_rows(NR__PG(st), sql.buf, true, &p, sizeof(**ret), read_run, release_run,
		      (void **)ret, ret_n, d);
	nr__pg_params_release(&p);
	nr_buf_release(&sql);
	free(value);
	return r < 0 ? r : nr__store_runs_selected(selector, campaign, ret, ret_n, d);
}

/* ---- hosts, cases, attempts, outputs ---- */

static int read_host(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_host_rec *h = rec;

	(void)d;
	nr__pg_col_id(res, row, 0, h->id);
	h->name = nr__pg_col_text(res, row, 1);
	h->transport = nr__pg_col_text(res, row, 2);
	h->address = nr__pg_col_text(res, row, 3);
	h->sysinfo = nr__pg_col_text(res, row, 4);
	h->labels = nr__pg_col_text(res, row, 5);
	h->optional = nr__pg_col_i64(res, row, 6) != 0;
	return 0;
}

static void release_host(void *rec)
{
	nr_host_rec_release(rec);
}

static const char SQL_HOSTS[] = "SELECT id, name, transport, address, sysinfo, labels, optional"
				" FROM hosts WHERE run_id = $1 ORDER BY name COLLATE \"C\"";

int nr__pg_hosts_list(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
		      size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(run_id);
	int r = list_rows(NR__PG(st), SQL_HOSTS, false, &p, sizeof(**ret), read_host, release_host,
			  (void **)ret, ret_n, d);

	nr__pg_params_release(&p);
	return r;
}

static int read_case(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_case_rec *c = rec;

	(void)d;
	nr__pg_col_id(res, row, 0, c->id);
	nr__pg_col_id(res, row, 1, c->run_id);
	c->ordinal = nr__pg_col_i64(res, row, 2);
	c->test = nr__pg_col_text(res, row, 3);
	c->key = nr__pg_col_text(res, row, 4);
	c->params = nr__pg_col_text(res, row, 5);
	c->status = nr_case_status_of(PQgetvalue(res, row, 6));
	c->repeats = (int)nr__pg_col_i64(res, row, 7);
	c->repeats_done = (int)nr__pg_col_i64(res, row, 8);
	c->attempts = (int)nr__pg_col_i64(res, row, 9);
	c->started_us = nr__pg_col_i64(res, row, 10);
	c->finished_us = nr__pg_col_i64(res, row, 11);
	c->ping_count = (int)nr__pg_col_i64(res, row, 12);
	c->ssh_check_count = (int)nr__pg_col_i64(res, row, 13);
	c->hosts = nr__pg_col_text(res, row, 14);
	c->error = nr__pg_col_text(res, row, 15);
	return 0;
}

static void release_case(void *rec)
{
	nr_case_rec_release(rec);
}

static const char SQL_CASES[] =
	"SELECT id, run_id, ordinal, test, key, params, status, repeats, repeats_done, attempts,"
	" started_at, finished_at, ping_count, ssh_check_count, hosts, error"
	" FROM cases WHERE run_id = $1 ORDER BY ordinal";

int nr__pg_cases_list(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
		      size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(run_id);
	int r = list_rows(NR__PG(st), SQL_CASES, false, &p, sizeof(**ret), read_case, release_case,
			  (void **)ret, ret_n, d);

	nr__pg_params_release(&p);
	return r;
}

static int read_attempt(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_attempt_rec *a = rec;

	(void)d;
	nr__pg_col_id(res, row, 0, a->id);
	nr__pg_col_id(res, row, 1, a->case_id);
	a->number = (int)nr__pg_col_i64(res, row, 2);
	a->repeat = (int)nr__pg_col_i64(res, row, 3);
	a->outcome = nr_attempt_outcome_of(PQgetvalue(res, row, 4));
	a->exit_code = (int)nr__pg_col_i64(res, row, 5);
	a->signal = (int)nr__pg_col_i64(res, row, 6);
	a->started_us = nr__pg_col_i64(res, row, 7);
	a->finished_us = nr__pg_col_i64(res, row, 8);
	a->error = nr__pg_col_text(res, row, 9);
	a->superseded = nr__pg_col_i64(res, row, 10) != 0;
	return 0;
}

static void release_attempt(void *rec)
{
	nr_attempt_rec_release(rec);
}

static const char SQL_ATTEMPTS[] =
	"SELECT id, case_id, number, repeat, outcome, exit_code, signal, started_at, finished_at,"
	" error, superseded FROM attempts WHERE case_id = $1 ORDER BY number";

int nr__pg_attempts_list(struct nr_store *st, const char *case_id, struct nr_attempt_rec **ret,
			 size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(case_id);
	int r = list_rows(NR__PG(st), SQL_ATTEMPTS, false, &p, sizeof(**ret), read_attempt,
			  release_attempt, (void **)ret, ret_n, d);

	nr__pg_params_release(&p);
	return r;
}

static int read_output(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_output_rec *o = rec;
	const char *method = nr__pg_val(res, row, 5), *hex = nr__pg_val(res, row, 6);
	unsigned char *data;
	size_t len = 0;
	int r;

	o->role = nr__pg_col_text(res, row, 0);
	o->host = nr__pg_col_text(res, row, 1);
	o->stream = nr__pg_col_text(res, row, 2);
	o->size = (uint64_t)nr__pg_col_i64(res, row, 3);
	o->dropped = (uint64_t)nr__pg_col_i64(res, row, 4);
	nr_buf_init(&o->data, 0);
	data = PQunescapeBytea((const unsigned char *)(hex ? hex : ""), &len);
	if (!data)
		return nr_diagf(d, NR_ESTORE, "stored output does not read back");
	r = nr__store_decompress(method ? method : "none", nr_slice_of((const char *)data, len), o->size,
				 &o->data, d);
	PQfreemem(data);
	return r;
}

static void release_output(void *rec)
{
	nr_output_rec_release(rec);
}

static const char SQL_OUTPUTS[] =
	"SELECT role, host, stream, size, dropped, compression, data FROM outputs"
	" WHERE attempt_id = $1 ORDER BY ord";

int nr__pg_outputs_get(struct nr_store *st, const char *attempt_id, struct nr_output_rec **ret,
		       size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(attempt_id);
	int r = list_rows(NR__PG(st), SQL_OUTPUTS, false, &p, sizeof(**ret), read_output,
			  release_output, (void **)ret, ret_n, d);

	nr__pg_params_release(&p);
	return r;
}

/* ---- samples ---- */

static int read_sample(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_sample_row *x = rec;
	const char *better = nr__pg_val(res, row, 7), *value = nr__pg_val(res, row, 11);

	(void)d;
	nr__pg_col_id(res, row, 0, x->run_id);
	nr__pg_col_id(res, row, 1, x->case_id);
	x->id.test = nr__pg_col_text(res, row, 2);
	x->id.key = nr__pg_col_text(res, row, 3);
	x->id.role = nr__pg_col_text(res, row, 4);
	x->id.metric = nr__pg_col_text(res, row, 5);
	x->id.unit = nr__pg_col_text(res, row, 6);
	if (!better || nr_better_parse(better, &x->id.better) < 0)
		x->id.better = NR_BETTER_NONE;
	x->repeat = (int)nr__pg_col_i64(res, row, 8);
	x->attempt = (int)nr__pg_col_i64(res, row, 9);
	x->interval = nr__pg_col_i64(res, row, 10);
	x->value = value ? strtod(value, NULL) : 0;
	return 0;
}

static void release_sample(void *rec)
{
	nr_sample_row_release(rec);
}

static const char SQL_SAMPLES_ALL[] =
	"SELECT " NR__STORE_SAMPLE_COLUMNS " WHERE c.run_id = $1 AND " NR__PG_SAMPLE_CURRENT
	" ORDER BY c.ordinal, se.role COLLATE \"C\", se.metric COLLATE \"C\", s.repeat, s.interval,"
	" s.seq";
static const char SQL_SAMPLES_SUMMARY[] =
	"SELECT " NR__STORE_SAMPLE_COLUMNS " WHERE c.run_id = $1 AND s.interval < 0 AND " NR__PG_SAMPLE_CURRENT
	" ORDER BY c.ordinal, se.role COLLATE \"C\", se.metric COLLATE \"C\", s.repeat, s.seq";

int nr__pg_samples_list(struct nr_store *st, const char *run_id, bool with_intervals,
			struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(run_id);
	int r = list_rows(NR__PG(st), with_intervals ? SQL_SAMPLES_ALL : SQL_SAMPLES_SUMMARY, false,
			  &p, sizeof(**ret), read_sample, release_sample, (void **)ret, ret_n, d);

	nr__pg_params_release(&p);
	return r;
}

static const char SQL_HISTORY[] =
	"SELECT " NR__STORE_SAMPLE_COLUMNS " JOIN runs r ON r.id = c.run_id"
	" WHERE r.campaign = $1 AND s.interval < 0 AND r.status <> 'running'"
	" AND " NR__PG_SAMPLE_CURRENT " AND r.started_at >= $2"
	" ORDER BY r.started_at, r.id, c.key COLLATE \"C\", se.role COLLATE \"C\","
	" se.metric COLLATE \"C\", s.repeat, s.seq";

int nr__pg_samples_history(struct nr_store *st, const char *campaign, int64_t since_us,
			   struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(campaign);
	int r;

	nr__pg_int(&p, since_us);
	r = list_rows(NR__PG(st), SQL_HISTORY, false, &p, sizeof(**ret), read_sample,
		      release_sample, (void **)ret, ret_n, d);
	nr__pg_params_release(&p);
	return r;
}

/* ---- events ---- */

static int read_event(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	struct nr_event_rec *e = rec;

	(void)d;
	nr__pg_col_id(res, row, 0, e->id);
	nr__pg_col_id(res, row, 1, e->run_id);
	nr__pg_col_id(res, row, 2, e->case_id);
	e->time_us = nr__pg_col_i64(res, row, 3);
	e->host = nr__pg_col_text(res, row, 4);
	e->kind = nr__pg_col_text(res, row, 5);
	e->message = nr__pg_col_text(res, row, 6);
	return 0;
}

static void release_event(void *rec)
{
	nr_event_rec_release(rec);
}

static const char SQL_EVENTS_CASE[] = "SELECT id, run_id, case_id, time, host, kind, message"
				      " FROM events WHERE case_id = $1 ORDER BY time, id";
static const char SQL_EVENTS_RUN[] = "SELECT id, run_id, case_id, time, host, kind, message"
				     " FROM events WHERE run_id = $1 ORDER BY time, id";

int nr__pg_events_list(struct nr_store *st, const char *run_id, const char *case_id,
		       struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(case_id ? case_id : run_id);
	int r = list_rows(NR__PG(st), case_id ? SQL_EVENTS_CASE : SQL_EVENTS_RUN, false, &p,
			  sizeof(**ret), read_event, release_event, (void **)ret, ret_n, d);

	nr__pg_params_release(&p);
	return r;
}

/* ---- locate ---- */

static int read_id(const PGresult *res, int row, void *rec, struct nr_diag *d)
{
	(void)d;
	nr__pg_col_id(res, row, 0, rec);
	return 0;
}

/* The ids `sql` finds ($1 = a, $2 = b when not NULL): how many, and the first. */
static int find_ids(struct nr__store_pg *st, const char *sql, const char *a, const char *b,
		    char first[NR_UUID_LEN + 1], size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = one(a);
	char (*ids)[NR_UUID_LEN + 1] = NULL;
	int r;

	if (b)
		nr__pg_text(&p, b);
	r = list_rows(st, sql, false, &p, sizeof(*ids), read_id, release_nothing, (void **)&ids,
		      ret_n, d);
	nr__pg_params_release(&p);
	if (r == 0 && *ret_n > 0)
		snprintf(first, NR_UUID_LEN + 1, "%s", ids[0]);
	free(ids);
	return r;
}

static const char SQL_CASE_BY_KEY_IN[] = "SELECT id FROM cases WHERE key = $1 AND run_id = $2";
static const char SQL_CASE_BY_KEY_LATEST[] =
	"SELECT id FROM cases WHERE key = $1 AND run_id ="
	" (SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1)";
static const char SQL_ATTEMPT_BY_PREFIX[] =
	"SELECT id FROM attempts WHERE id::text ILIKE $1 LIMIT 2";
static const char SQL_CASE_OF_ATTEMPT[] = "SELECT case_id FROM attempts WHERE id = $1";
static const char SQL_CASE_BY_PREFIX[] = "SELECT id FROM cases WHERE id::text ILIKE $1 LIMIT 2";

int nr__pg_locate(struct nr_store *base, const char *selector, const char *run_id,
		  char *ret_case_id, char *ret_attempt_id, struct nr_diag *d)
{
	struct nr__store_pg *st = NR__PG(base);
	char *pattern = nr__store_like_prefix(selector);
	char id[NR_UUID_LEN + 1] = "";
	size_t n = 0;
	int r;

	ret_case_id[0] = ret_attempt_id[0] = '\0';
	/* a case key first: keys are what people copy from the status sheet */
	r = find_ids(st, run_id ? SQL_CASE_BY_KEY_IN : SQL_CASE_BY_KEY_LATEST, selector, run_id, id,
		     &n, d);
	if (r == 0 && n == 1) {
		snprintf(ret_case_id, NR_UUID_LEN + 1, "%s", id);
		goto out;
	}
	if (r == 0 && (r = find_ids(st, SQL_ATTEMPT_BY_PREFIX, pattern, NULL, id, &n, d)) == 0 &&
	    n == 1) {
		snprintf(ret_attempt_id, NR_UUID_LEN + 1, "%s", id);
		r = find_ids(st, SQL_CASE_OF_ATTEMPT, id, NULL, ret_case_id, &n, d);
		goto out;
	}
	if (r == 0 && n > 1) {
		r = nr_diagf(d, NR_EAMBIGUOUS, "'%s' is ambiguous: give more of the id", selector);
		goto out;
	}
	if (r == 0 && (r = find_ids(st, SQL_CASE_BY_PREFIX, pattern, NULL, id, &n, d)) == 0 &&
	    n == 1) {
		snprintf(ret_case_id, NR_UUID_LEN + 1, "%s", id);
		goto out;
	}
	if (r == 0)
		r = n > 1 ? nr_diagf(d, NR_EAMBIGUOUS, "'%s' is ambiguous: give more of the id", selector)
			  : nr_diagf(d, NR_ENOTFOUND, "no case or attempt '%s'%s", selector,
				     run_id ? " in that run" : " (case keys are looked up in the latest run; use --run)");
out:
	free(pattern);
	return r;
}

/* ---- a user's query, read-only ---- */

/* How long a user's query may run: a dashboard must not hold the database. */
#define QUERY_TIMEOUT_MS 30000

/* PostgreSQL's type oids (pg_type.dat) that have a JSON form other than a string. */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
       OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

static json_t *json_value(const PGresult *res, int row, int col)
{
	const char *v = nr__pg_val(res, row, col);
	double f;

	if (!v)
		return json_null();
	switch (PQftype(res, col)) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return json_integer((json_int_t)strtoll(v, NULL, 10));
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		f = strtod(v, NULL);
		/* NaN and infinities have no JSON form */
		return isfinite(f) ? json_real(f) : json_null();
	case OID_BOOL:
		return json_boolean(v[0] == 't');
	case OID_BYTEA: /* the size, not the bytes, as for SQLite's blobs */
		return json_integer(strncmp(v, "\\x", 2) ? (json_int_t)strlen(v)
							 : (json_int_t)(strlen(v) - 2) / 2);
	default:
		return json_string(v);
	}
}

/*
 * Three walls: a READ ONLY transaction (no write to a table, a sequence,
 * a temporary table); a cursor, which PostgreSQL opens only for a query
 * (SELECT, VALUES, TABLE), never for COPY, SET, CALL, DO or a WITH that
 * writes, and only for one statement; and a statement_timeout. The third
 * wall is the role's: give dashboards a role without write grants
 * (docs/postgres.md), as functions a superuser may call can reach further.
 */
int nr__pg_query_json(struct nr_store *base, const char *sql, size_t max_rows, struct nr_buf *out,
		      struct nr_diag *d)
{
	static const char set_timeout[] =
		"SELECT set_config('statement_timeout', CASE WHEN setting::bigint BETWEEN 1 AND $1::bigint"
		" THEN setting ELSE ($1::bigint)::text END, true)"
		" FROM pg_settings WHERE name = 'statement_timeout'";
	struct nr__store_pg *st = NR__PG(base);
	struct nr__pg_params p = { 0 };
	struct nr_buf q = NR_BUF_INIT;
	json_t *arr = json_array();
	PGresult *res = NULL;
	size_t len = strlen(sql);
	char *text;
	int r, row, col;

	/* a statement may end with ';', as it may in SQLite */
	while (len > 0 && strchr(" \t\r\n;", sql[len - 1]))
		len--;
	nr_buf_adds(&q, "DECLARE netrig_query NO SCROLL CURSOR FOR\n");
	nr_buf_add(&q, sql, len);
	/* a last line that is a -- comment ends here */
	nr_buf_addch(&q, '\n');
	if ((r = nr__pg_run(st, "BEGIN READ ONLY", d)) < 0)
		goto out;
	nr__pg_int(&p, QUERY_TIMEOUT_MS);
	if ((r = nr__pg_exec_once(st, set_timeout, &p, NULL, d)) < 0)
		goto rollback;
	if ((r = nr__pg_exec_once(st, q.buf, NULL, NULL, d)) < 0) {
		r = nr_diagf(d, NR_ESTORE, "query (one statement that reads: SELECT, VALUES, TABLE)");
		goto rollback;
	}
	nr_buf_reset(&q);
	nr_buf_addf(&q, "FETCH FORWARD %zu FROM netrig_query", max_rows);
	if ((r = nr__pg_exec_once(st, q.buf, NULL, &res, d)) < 0) {
		r = nr_diagf(d, NR_ESTORE, "query");
		goto rollback;
	}
	for (row = 0; row < PQntuples(res); row++) {
		json_t *o = json_object();

		for (col = 0; col < PQnfields(res); col++)
			json_object_set_new(o, PQfname(res, col), json_value(res, row, col));
		json_array_append_new(arr, o);
	}
	text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	nr_buf_adds(out, text);
	nr_buf_addch(out, '\n');
	free(text);
rollback:
	PQclear(PQexec(st->conn, "ROLLBACK"));
out:
	PQclear(res);
	nr__pg_params_release(&p);
	nr_buf_release(&q);
	json_decref(arr);
	return r;
}
