/*
 * The job queue in PostgreSQL: many workers on many machines. A claim is
 * one statement: the oldest fitting job locked with FOR UPDATE SKIP
 * LOCKED (a job another worker is taking is passed over, not waited
 * for) and taken in the same UPDATE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_pg_int.h"

static void read_job(const PGresult *res, int row, struct nr_job_rec *j)
{
	const char *col[NR__STORE_JOB_NCOLS];
	int i;

	for (i = 0; i < NR__STORE_JOB_NCOLS; i++)
		col[i] = nr__pg_val(res, row, i);
	nr__store_job_read(j, col);
}

/* Run a write that must change exactly one row: 0, or -EBUSY when it changed none. */
static int write_one(struct nr_store *base, const char *sql, struct nr__pg_params *p,
		     struct nr_diag *d)
{
	PGresult *res = NULL;
	int r = nr__pg_exec(NR__PG(base), sql, p, &res, d);

	nr__pg_params_release(p);
	if (r < 0)
		return r;
	r = strcmp(PQcmdTuples(res), "1") == 0 ? 0 : -EBUSY;
	PQclear(res);
	return r;
}

static const char SQL_JOB_INSERT[] =
	"INSERT INTO jobs (id, campaign, campaign_path, config, repo, repo_path, repo_commit,"
	" tests, overrides, needs, labels, requester, status, created_at, repo_branch, origin)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'queued', $13, $14, $15)";

int nr__pg_job_add(struct nr_store *base, const struct nr_job_rec *j, struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	int r;

	nr__pg_text(&p, j->id);
	nr__pg_text(&p, j->campaign);
	nr__pg_text(&p, j->campaign_path);
	nr__pg_text(&p, j->config);
	nr__pg_text(&p, j->repo);
	nr__pg_text(&p, j->repo_path);
	nr__pg_text(&p, j->repo_commit);
	nr__pg_text(&p, j->tests ? j->tests : "[]");
	nr__pg_text(&p, j->overrides ? j->overrides : "{}");
	nr__pg_text(&p, j->needs ? j->needs : "[]");
	nr__pg_text(&p, j->labels ? j->labels : "{}");
	nr__pg_text(&p, j->requester);
	nr__pg_int(&p, j->created_us);
	nr__pg_text(&p, j->repo_branch);
	nr__pg_text(&p, j->origin);
	r = nr__pg_exec(NR__PG(base), SQL_JOB_INSERT, &p, NULL, d);
	nr__pg_params_release(&p);
	return r;
}

/*
 * $1 now, $2 the offers (a JSON array), $3 the worker, $4 its lease's
 * end, $5 the line a lost try adds. Every SET reads the row as it was.
 */
static const char SQL_JOB_CLAIM[] =
	"WITH c AS (SELECT j.id FROM jobs j"
	"  WHERE (j.status = 'queued' OR (j.status = 'running' AND j.lease_until < $1))"
	"    AND NOT EXISTS (SELECT 1 FROM json_array_elements_text(j.needs::json) n(v)"
	"                    WHERE n.v NOT IN (SELECT json_array_elements_text($2::json)))"
	"  ORDER BY j.created_at, j.id LIMIT 1 FOR UPDATE SKIP LOCKED)"
	" UPDATE jobs j SET"
	"  reasons = CASE WHEN j.status = 'running'"
	"    THEN coalesce(j.reasons, '') || 'try ' || j.tries || ' on ' || coalesce(j.worker, '?')"
	"         || $5::text"
	"    ELSE j.reasons END,"
	"  status = 'running', worker = $3, lease_until = $4, tries = j.tries + 1,"
	"  started_at = coalesce(j.started_at, $1)"
	" FROM c WHERE j.id = c.id RETURNING " NR__STORE_JOB_COLUMNS;

int nr__pg_job_claim(struct nr_store *base, const char *worker, const char *offers, int64_t now_us,
		     int64_t lease_us, struct nr_job_rec *ret, struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	PGresult *res = NULL;
	int r;

	nr__pg_int(&p, now_us);
	nr__pg_text(&p, offers ? offers : "[]");
	nr__pg_text(&p, worker);
	nr__pg_int(&p, now_us + lease_us);
	nr__pg_text(&p, NR__STORE_JOB_LOST);
	r = nr__pg_exec(NR__PG(base), SQL_JOB_CLAIM, &p, &res, d);
	nr__pg_params_release(&p);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1)
		read_job(res, 0, ret);
	else
		r = NR_ENOTFOUND;
	PQclear(res);
	return r;
}

static const char SQL_JOB_UPDATE[] =
	"UPDATE jobs SET status = $1, lease_until = $2, run_id = coalesce($3::uuid, run_id),"
	" failures = $4, reasons = $5, finished_at = $6"
	" WHERE id = $7 AND worker = $8 AND status = 'running'";

int nr__pg_job_update(struct nr_store *base, const struct nr_job_rec *j, const char *worker,
		      struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };

	nr__pg_text(&p, nr_job_status_name(j->status));
	nr__pg_time(&p, j->lease_until_us);
	nr__pg_text(&p, j->run_id[0] ? j->run_id : NULL);
	nr__pg_int(&p, j->failures);
	nr__pg_text(&p, j->reasons);
	nr__pg_time(&p, j->finished_us);
	nr__pg_text(&p, j->id);
	nr__pg_text(&p, worker);
	return write_one(base, SQL_JOB_UPDATE, &p, d);
}

static const char SQL_JOB_CANCEL[] =
	"UPDATE jobs SET status = 'cancelled', finished_at = $1, lease_until = NULL, cancelled_by = $3"
	" WHERE id = $2 AND status IN ('queued', 'running')";

int nr__pg_job_cancel(struct nr_store *base, const char *id, const char *who, int64_t now_us,
		      struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };

	nr__pg_int(&p, now_us);
	nr__pg_text(&p, id);
	nr__pg_text(&p, who);
	return write_one(base, SQL_JOB_CANCEL, &p, d);
}

static const char SQL_JOB_REPORTED[] = "UPDATE jobs SET reported = $1, reported_at = $2 WHERE id = $3";

int nr__pg_job_reported(struct nr_store *base, const char *id, const char *what, int64_t now_us,
			struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	int r;

	nr__pg_text(&p, what);
	nr__pg_int(&p, now_us);
	nr__pg_text(&p, id);
	r = write_one(base, SQL_JOB_REPORTED, &p, d);
	return r == -EBUSY ? nr_diagf(d, NR_ENOTFOUND, "no job %s", id) : r;
}

static const char SQL_JOBS_LIST[] =
	"SELECT " NR__STORE_JOB_COLUMNS " FROM jobs j"
	" WHERE j.id IN (SELECT k.id FROM jobs k"
	"  WHERE ($1::text IS NULL OR k.status = $1) AND ($2::text IS NULL OR k.id::text LIKE $2)"
	"  ORDER BY k.created_at DESC, k.id DESC LIMIT $3)" /* the newest $3 (NULL: all) ... */
	" ORDER BY j.created_at, j.id"; /* ... oldest first */

static const char SQL_JOBS_TO_REPORT[] =
	"SELECT " NR__STORE_JOB_COLUMNS " FROM jobs j"
	" WHERE j.origin IS NOT NULL AND (j.reported IS NULL OR (j.reported = 'pending'"
	"   AND j.status IN ('done', 'failed', 'cancelled')))"
	" ORDER BY j.created_at, j.id LIMIT $1";

/* The jobs sql with p reads, into *ret (p released). */
static int read_jobs(struct nr_store *base, const char *sql, struct nr__pg_params *p,
		     struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d);

int nr__pg_jobs_to_report(struct nr_store *base, size_t max, struct nr_job_rec **ret,
			  size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };

	nr__pg_int(&p, (int64_t)max);
	return read_jobs(base, SQL_JOBS_TO_REPORT, &p, ret, ret_n, d);
}

int nr__pg_jobs_list(struct nr_store *base, const char *status, const char *id_like,
		     size_t limit, struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };

	nr__pg_text(&p, status);
	nr__pg_text(&p, id_like);
	if (limit)
		nr__pg_int(&p, (int64_t)limit);
	else
		nr__pg_text(&p, NULL); /* LIMIT NULL: all */
	return read_jobs(base, SQL_JOBS_LIST, &p, ret, ret_n, d);
}

static int read_jobs(struct nr_store *base, const char *sql, struct nr__pg_params *p,
		     struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	PGresult *res = NULL;
	struct nr_job_rec *v;
	int r, i, n;

	r = nr__pg_exec(NR__PG(base), sql, p, &res, d);
	nr__pg_params_release(p);
	if (r < 0)
		return r;
	n = PQntuples(res);
	v = nr_xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		read_job(res, i, &v[i]);
	PQclear(res);
	*ret = v;
	*ret_n = (size_t)n;
	return 0;
}

int nr__pg_jobs_count(struct nr_store *base, int64_t by_status[NR_JOB_STATUS_N + 1],
		      struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	PGresult *res = NULL;
	int r, i;

	r = nr__pg_exec(NR__PG(base), "SELECT status, count(*) FROM jobs GROUP BY status", &p, &res, d);
	if (r < 0)
		return r;
	memset(by_status, 0, (NR_JOB_STATUS_N + 1) * sizeof(*by_status));
	for (i = 0; i < PQntuples(res); i++) /* one this netrig doesn't know: [0] */
		by_status[nr_job_status_of(PQgetvalue(res, i, 0))] += nr__pg_col_i64(res, i, 1);
	PQclear(res);
	return 0;
}
