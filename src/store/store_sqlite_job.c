/*
 * The job queue in an SQLite file: one machine's workers. A claim is a
 * BEGIN IMMEDIATE transaction: the file's write lock makes the workers
 * take turns, so the job one finds is still free when it takes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_sqlite_int.h"

#define DB(st) (((struct nr__store_sqlite *)(st))->db)

/* The columns of NR__STORE_JOB_COLUMNS that hold ids: the job's and its run's. */
#define JOB_COL_ID 0
#define JOB_COL_RUN_ID 18

static void read_job(sqlite3_stmt *s, struct nr_job_rec *j)
{
	const char *col[NR__STORE_JOB_NCOLS];
	char id[NR_UUID_LEN + 1], run_id[NR_UUID_LEN + 1];
	int i;

	/* the ids first: reading a blob as text converts it, and its type is then unknown */
	nr__sqlite_col_id(s, JOB_COL_ID, id);
	nr__sqlite_col_id(s, JOB_COL_RUN_ID, run_id);
	for (i = 0; i < NR__STORE_JOB_NCOLS; i++)
		col[i] = (const char *)sqlite3_column_text(s, i);
	col[JOB_COL_ID] = id;
	col[JOB_COL_RUN_ID] = run_id[0] ? run_id : NULL;
	nr__store_job_read(j, col);
}

/* Step a write that must change exactly one row, and finalize it: 0, or -EBUSY when none. */
static int write_one(sqlite3 *db, sqlite3_stmt *s, const char *what, struct nr_diag *d)
{
	int r = 0;

	if (sqlite3_step(s) != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, what);
	else if (sqlite3_changes(db) != 1)
		r = -EBUSY;
	sqlite3_finalize(s);
	return r;
}

static const char SQL_JOB_INSERT[] =
	"INSERT INTO jobs (id, campaign, campaign_path, config, repo, repo_path, repo_commit,"
	" tests, overrides, needs, labels, requester, status, created_at, repo_branch, origin)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)";

int nr__store_sqlite_job_add(struct nr_store *st, const struct nr_job_rec *j, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_prepare(DB(st), SQL_JOB_INSERT, &s, d)) < 0)
		return r;
	nr__sqlite_bind_id(s, 1, j->id);
	nr__sqlite_bind_text(s, 2, j->campaign);
	nr__sqlite_bind_text(s, 3, j->campaign_path);
	nr__sqlite_bind_text(s, 4, j->config);
	nr__sqlite_bind_text(s, 5, j->repo);
	nr__sqlite_bind_text(s, 6, j->repo_path);
	nr__sqlite_bind_text(s, 7, j->repo_commit);
	nr__sqlite_bind_text(s, 8, j->tests ? j->tests : "[]");
	nr__sqlite_bind_text(s, 9, j->overrides ? j->overrides : "{}");
	nr__sqlite_bind_text(s, 10, j->needs ? j->needs : "[]");
	nr__sqlite_bind_text(s, 11, j->labels ? j->labels : "{}");
	nr__sqlite_bind_text(s, 12, j->requester);
	sqlite3_bind_int64(s, 13, j->created_us);
	nr__sqlite_bind_text(s, 14, j->repo_branch);
	nr__sqlite_bind_text(s, 15, j->origin);
	if (sqlite3_step(s) != SQLITE_DONE)
		r = nr__store_sqlite_error(DB(st), d, "queueing the job");
	sqlite3_finalize(s);
	return r;
}

/* The oldest job free for a worker offering ?2, or whose lease ended before ?1. */
static const char SQL_JOB_FIND[] =
	"SELECT j.id FROM jobs j"
	" WHERE (j.status = 'queued' OR (j.status = 'running' AND j.lease_until < ?1))"
	"   AND NOT EXISTS (SELECT 1 FROM json_each(j.needs) n"
	"                   WHERE n.value NOT IN (SELECT value FROM json_each(?2)))"
	" ORDER BY j.created_at, j.id LIMIT 1";
/* (every SET reads the row as it was: a lost try is the one before) */
static const char SQL_JOB_TAKE[] =
	"UPDATE jobs SET"
	"  reasons = CASE WHEN status = 'running'"
	"    THEN coalesce(reasons, '') || 'try ' || tries || ' on ' || coalesce(worker, '?') || ?5"
	"    ELSE reasons END,"
	"  status = 'running', worker = ?2, lease_until = ?3, tries = tries + 1,"
	"  started_at = coalesce(started_at, ?4)"
	" WHERE id = ?1";
static const char SQL_JOB_BY_ID[] = "SELECT " NR__STORE_JOB_COLUMNS " FROM jobs j WHERE j.id = ?";

int nr__store_sqlite_job_claim(struct nr_store *st, const char *worker, const char *offers,
			       int64_t now_us, int64_t lease_us, struct nr_job_rec *ret,
			       struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s = NULL;
	struct nr_job_rec job = { 0 };
	char id[NR_UUID_LEN + 1] = "";
	bool claimed = false;
	int r, rc;

	if ((r = nr__store_sqlite_begin(db, d)) < 0)
		return r;
	if ((r = nr__store_sqlite_prepare(db, SQL_JOB_FIND, &s, d)) < 0)
		goto out;
	sqlite3_bind_int64(s, 1, now_us);
	nr__sqlite_bind_text(s, 2, offers ? offers : "[]");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		nr__sqlite_col_id(s, 0, id);
	else if (rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "looking for a job");
	sqlite3_finalize(s);
	s = NULL;
	if (r < 0)
		goto out;
	if (!id[0]) {
		r = NR_ENOTFOUND;
		goto out;
	}
	if ((r = nr__store_sqlite_prepare(db, SQL_JOB_TAKE, &s, d)) < 0)
		goto out;
	nr__sqlite_bind_id(s, 1, id);
	nr__sqlite_bind_text(s, 2, worker);
	sqlite3_bind_int64(s, 3, now_us + lease_us);
	sqlite3_bind_int64(s, 4, now_us);
	nr__sqlite_bind_text(s, 5, NR__STORE_JOB_LOST);
	if (sqlite3_step(s) != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "claiming a job");
	sqlite3_finalize(s);
	s = NULL;
	if (r < 0)
		goto out;
	if ((r = nr__store_sqlite_prepare(db, SQL_JOB_BY_ID, &s, d)) < 0)
		goto out;
	nr__sqlite_bind_id(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		read_job(s, &job);
		claimed = true;
	} else
		r = nr__store_sqlite_error(db, d, "reading the job claimed");
	sqlite3_finalize(s);
	s = NULL;
out:
	if (r == NR_ENOTFOUND) {
		nr__store_sqlite_end(db, 0, NULL); /* wrote nothing */
		return r;
	}
	r = nr__store_sqlite_end(db, r, d);
	if (r == 0)
		*ret = job;
	else if (claimed)
		nr_job_rec_release(&job);
	return r;
}

static const char SQL_JOB_UPDATE[] =
	"UPDATE jobs SET status = ?, lease_until = ?, run_id = coalesce(?, run_id), failures = ?,"
	" reasons = ?, finished_at = ? WHERE id = ? AND worker = ? AND status = 'running'";

int nr__store_sqlite_job_update(struct nr_store *st, const struct nr_job_rec *j,
				const char *worker, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_prepare(DB(st), SQL_JOB_UPDATE, &s, d)) < 0)
		return r;
	nr__sqlite_bind_text(s, 1, nr_job_status_name(j->status));
	nr__sqlite_bind_time(s, 2, j->lease_until_us);
	nr__sqlite_bind_id(s, 3, j->run_id[0] ? j->run_id : NULL);
	sqlite3_bind_int(s, 4, j->failures);
	nr__sqlite_bind_text(s, 5, j->reasons);
	nr__sqlite_bind_time(s, 6, j->finished_us);
	nr__sqlite_bind_id(s, 7, j->id);
	nr__sqlite_bind_text(s, 8, worker);
	return write_one(DB(st), s, "updating the job", d);
}

static const char SQL_JOB_CANCEL[] =
	"UPDATE jobs SET status = 'cancelled', finished_at = ?, lease_until = NULL, cancelled_by = ?"
	" WHERE id = ? AND status IN ('queued', 'running')";

int nr__store_sqlite_job_cancel(struct nr_store *st, const char *id, const char *who,
				int64_t now_us, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_prepare(DB(st), SQL_JOB_CANCEL, &s, d)) < 0)
		return r;
	sqlite3_bind_int64(s, 1, now_us);
	nr__sqlite_bind_text(s, 2, who);
	nr__sqlite_bind_id(s, 3, id);
	return write_one(DB(st), s, "cancelling the job", d);
}

static const char SQL_JOB_REPORTED[] = "UPDATE jobs SET reported = ?, reported_at = ? WHERE id = ?";

int nr__store_sqlite_job_reported(struct nr_store *st, const char *id, const char *what,
				  int64_t now_us, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_prepare(DB(st), SQL_JOB_REPORTED, &s, d)) < 0)
		return r;
	nr__sqlite_bind_text(s, 1, what);
	sqlite3_bind_int64(s, 2, now_us);
	nr__sqlite_bind_id(s, 3, id);
	r = write_one(DB(st), s, "recording the job's report", d);
	return r == -EBUSY ? nr_diagf(d, NR_ENOTFOUND, "no job %s", id) : r;
}

static const char SQL_JOBS_LIST[] =
	"SELECT " NR__STORE_JOB_COLUMNS " FROM jobs j"
	" WHERE j.id IN (SELECT k.id FROM jobs k"
	"  WHERE (?1 IS NULL OR k.status = ?1) AND (?2 IS NULL OR uuid_str(k.id) LIKE ?2 ESCAPE '\\')"
	"  ORDER BY k.created_at DESC, k.id DESC LIMIT ?3)" /* the newest ?3 (-1: all) ... */
	" ORDER BY j.created_at, j.id"; /* ... oldest first */
static const char SQL_JOBS_TO_REPORT[] =
	"SELECT " NR__STORE_JOB_COLUMNS " FROM jobs j"
	" WHERE j.origin IS NOT NULL AND (j.reported IS NULL OR (j.reported = 'pending'"
	"   AND j.status IN ('done', 'failed', 'cancelled')))"
	" ORDER BY j.created_at, j.id LIMIT ?";

/* The jobs statement s (bound) reads, into *ret. */
static int read_jobs(struct nr_store *st, sqlite3_stmt *s, struct nr_job_rec **ret, size_t *ret_n,
		     struct nr_diag *d);

int nr__store_sqlite_jobs_to_report(struct nr_store *st, size_t max, struct nr_job_rec **ret,
				    size_t *ret_n, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_prepare(DB(st), SQL_JOBS_TO_REPORT, &s, d)) < 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	return read_jobs(st, s, ret, ret_n, d);
}

int nr__store_sqlite_jobs_list(struct nr_store *st, const char *status, const char *id_like,
			       size_t limit, struct nr_job_rec **ret, size_t *ret_n,
			       struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_prepare(DB(st), SQL_JOBS_LIST, &s, d)) < 0)
		return r;
	nr__sqlite_bind_text(s, 1, status);
	nr__sqlite_bind_text(s, 2, id_like);
	sqlite3_bind_int64(s, 3, limit ? (sqlite3_int64)limit : -1);
	return read_jobs(st, s, ret, ret_n, d);
}

static int read_jobs(struct nr_store *st, sqlite3_stmt *s, struct nr_job_rec **ret, size_t *ret_n,
		     struct nr_diag *d)
{
	struct nr_job_rec *v = NULL;
	size_t n = 0, cap = 0;
	int r = 0, rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = nr_xrealloc(v, cap * sizeof(*v));
		}
		read_job(s, &v[n++]);
	}
	if (rc != SQLITE_DONE) {
		r = nr__store_sqlite_error(DB(st), d, "reading the jobs");
		nr_jobs_free(v, n);
	} else {
		*ret = v;
		*ret_n = n;
	}
	sqlite3_finalize(s);
	return r;
}

int nr__store_sqlite_jobs_count(struct nr_store *st, int64_t by_status[NR_JOB_STATUS_N + 1],
				struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc, r = nr__store_sqlite_prepare(DB(st), "SELECT status, count(*) FROM jobs GROUP BY status",
					     &s, d);

	if (r < 0)
		return r;
	memset(by_status, 0, (NR_JOB_STATUS_N + 1) * sizeof(*by_status));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) /* one this netrig doesn't know: [0] */
		by_status[nr_job_status_of((const char *)sqlite3_column_text(s, 0))] +=
			sqlite3_column_int64(s, 1);
	if (rc != SQLITE_DONE)
		r = nr__store_sqlite_error(DB(st), d, "count jobs");
	sqlite3_finalize(s);
	return r;
}
