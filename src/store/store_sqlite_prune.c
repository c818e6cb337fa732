/* Retention in an SQLite file: prune runs (or their raw outputs), vacuum. */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_sqlite_int.h"

#define DB(st) (((struct nr__store_sqlite *)(st))->db)

/*
 * The statements of one run's removal, children first (foreign keys);
 * each takes the run's id as ?1. outputs_only stops after the first.
 */
static const char *const prune_sql[] = {
	"DELETE FROM outputs WHERE attempt_id IN (SELECT a.id FROM attempts a"
	" JOIN cases c ON c.id = a.case_id WHERE c.run_id = ?1)",
	"DELETE FROM sample_rows WHERE attempt IN (SELECT a.n FROM attempts a"
	" JOIN cases c ON c.id = a.case_id WHERE c.run_id = ?1)",
	"DELETE FROM attempts WHERE case_id IN (SELECT id FROM cases WHERE run_id = ?1)",
	"DELETE FROM events WHERE run_id = ?1",
	"DELETE FROM cases WHERE run_id = ?1",
	"DELETE FROM hosts WHERE run_id = ?1",
	"DELETE FROM runs WHERE id = ?1",
};

/* A run resumed since it was chosen is running again: left alone. */
static const char SQL_STILL_ENDED[] = "SELECT 1 FROM runs WHERE id = ?1 AND status <> 'running'";

static int exec_id(sqlite3 *db, const char *sql, const char *id, int64_t *ret_changes,
		   struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if ((r = nr__store_sqlite_prepare(db, sql, &s, d)) < 0)
		return r;
	nr__sqlite_bind_id(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) /* a query without a row changed nothing (changes() is the last write's) */
		*ret_changes = sqlite3_stmt_readonly(s) ? 0 : sqlite3_changes(db);
	else if (rc == SQLITE_ROW)
		*ret_changes = 1;
	else
		r = nr__store_sqlite_error(db, d, "pruning");
	sqlite3_finalize(s);
	return r;
}

int nr__store_sqlite_prune(struct nr_store *st, const struct nr_strvec *run_ids, bool outputs_only,
			   struct nr_prune_stats *ret, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	int64_t *counts[NR_ARRAY_SIZE(prune_sql)] = { &ret->outputs, &ret->samples, &ret->attempts,
						      NULL, NULL, NULL, &ret->runs };
	size_t i, k;
	int r;

	if ((r = nr__store_sqlite_begin(db, d)) < 0)
		return r;
	for (i = 0; r == 0 && i < run_ids->n; i++) {
		int64_t n = 0;

		r = exec_id(db, SQL_STILL_ENDED, run_ids->v[i], &n, d);
		for (k = 0; r == 0 && n && k < (outputs_only ? 1 : NR_ARRAY_SIZE(prune_sql)); k++) {
			int64_t changed = 0;

			r = exec_id(db, prune_sql[k], run_ids->v[i], &changed, d);
			if (counts[k])
				*counts[k] += changed;
		}
	}
	return nr__store_sqlite_end(db, r, d);
}

int nr__store_sqlite_vacuum(struct nr_store *st, struct nr_diag *d)
{
	int r = nr__store_sqlite_exec(DB(st), "VACUUM", d);

	/* the write-ahead log back to nothing too: the file is as small as it gets */
	if (r == 0)
		r = nr__store_sqlite_exec(DB(st), "PRAGMA wal_checkpoint(TRUNCATE)", d);
	return r;
}
