/* Retention in PostgreSQL: prune runs (or their raw outputs), vacuum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_pg_int.h"

/* As SQLite's (store_sqlite_prune.c): children first, the run's id as $1. */
static const char SQL_PRUNE_OUTPUTS[] =
	"DELETE FROM outputs WHERE attempt_id IN (SELECT a.id FROM attempts a"
	" JOIN cases c ON c.id = a.case_id WHERE c.run_id = $1)";
static const char SQL_PRUNE_SAMPLES[] =
	"DELETE FROM sample_rows WHERE attempt IN (SELECT a.n FROM attempts a"
	" JOIN cases c ON c.id = a.case_id WHERE c.run_id = $1)";
static const char SQL_PRUNE_ATTEMPTS[] =
	"DELETE FROM attempts WHERE case_id IN (SELECT id FROM cases WHERE run_id = $1)";
static const char SQL_PRUNE_EVENTS[] = "DELETE FROM events WHERE run_id = $1";
static const char SQL_PRUNE_CASES[] = "DELETE FROM cases WHERE run_id = $1";
static const char SQL_PRUNE_HOSTS[] = "DELETE FROM hosts WHERE run_id = $1";
static const char SQL_PRUNE_RUN[] = "DELETE FROM runs WHERE id = $1";
static const char *const prune_sql[] = {
	SQL_PRUNE_OUTPUTS, SQL_PRUNE_SAMPLES, SQL_PRUNE_ATTEMPTS, SQL_PRUNE_EVENTS,
	SQL_PRUNE_CASES,   SQL_PRUNE_HOSTS,   SQL_PRUNE_RUN,
};
/* a run resumed since it was chosen is running again: left alone (and kept locked meanwhile) */
static const char SQL_STILL_ENDED[] =
	"SELECT 1 FROM runs WHERE id = $1 AND status <> 'running' FOR UPDATE";

static int exec_id(struct nr__store_pg *st, const char *sql, const char *id, int64_t *ret_n,
		   struct nr_diag *d)
{
	struct nr__pg_params p = { 0 };
	PGresult *res = NULL;
	int r;

	nr__pg_text(&p, id);
	r = nr__pg_exec(st, sql, &p, &res, d);
	nr__pg_params_release(&p);
	if (r < 0)
		return r;
	*ret_n = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res)
							 : strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

int nr__pg_prune(struct nr_store *base, const struct nr_strvec *run_ids, bool outputs_only,
		 struct nr_prune_stats *ret, struct nr_diag *d)
{
	struct nr__store_pg *st = NR__PG(base);
	int64_t *counts[NR_ARRAY_SIZE(prune_sql)] = { &ret->outputs, &ret->samples, &ret->attempts,
						      NULL, NULL, NULL, &ret->runs };
	size_t i, k;
	int r;

	if ((r = nr__pg_run(st, "BEGIN", d)) < 0)
		return r;
	for (i = 0; r == 0 && i < run_ids->n; i++) {
		int64_t n = 0;

		r = exec_id(st, SQL_STILL_ENDED, run_ids->v[i], &n, d);
		for (k = 0; r == 0 && n && k < (outputs_only ? 1 : NR_ARRAY_SIZE(prune_sql)); k++) {
			int64_t changed = 0;

			r = exec_id(st, prune_sql[k], run_ids->v[i], &changed, d);
			if (counts[k])
				*counts[k] += changed;
		}
	}
	if (r == 0)
		return nr__pg_run(st, "COMMIT", d);
	nr__pg_run(st, "ROLLBACK", NULL);
	return r;
}

int nr__pg_vacuum(struct nr_store *base, struct nr_diag *d)
{
	/* outside a transaction (VACUUM refuses one); tables the role does not own are skipped */
	return nr__pg_run(NR__PG(base), "VACUUM (ANALYZE)", d);
}
