/*
 * The databases store tests run on. A test written with NR_STORE_TEST runs
 * twice: `name` on an SQLite file and `name_pg` on a new PostgreSQL
 * database of the server NETRIG_TEST_PG names (a URL of a role that may
 * create databases, e.g. postgresql://postgres@/postgres?host=/tmp/pg;
 * tests/check.sh starts a throwaway server and sets it). Without it the
 * PostgreSQL half skips, saying how to run it.
 */
#ifndef NR_TESTDB_H
#define NR_TESTDB_H

#include <stdbool.h>

#include "base/rand.h"
#include "test.h"

enum nr_tdb_kind {
	NR_TDB_SQLITE,
	NR_TDB_PG,
};

/*
 * A new, empty database for this test, as --db takes it: NAME.db in the
 * test's directory, or a schema netrig_test_PID_N on the server that the
 * URL puts first in the search path (dropped when the test passes; one of
 * a failed test is kept for a look).
 */
const char *nr_tdb_new(enum nr_tdb_kind kind, const char *name);
/* Skip this test unless a PostgreSQL server is given. */
void nr_tdb_need_pg(void);
/* Drop the PostgreSQL schemas this test made. */
void nr_tdb_done(void);
/* The first column of the first row `sql` gives on the database at `location`, as a number. */
long long nr_tdb_count(const char *location, const char *sql);
/* Run `sql` (statements without rows) there; the test fails on an error. */
void nr_tdb_exec(const char *location, const char *sql);
/*
 * Every row of every table of a run's record (runs, hosts, cases,
 * attempts, outputs, samples, metrics, events), in the columns schema 3
 * had, as text in a stable order: two dumps of one database before and
 * after a migration are equal when it kept every value. A double is shown
 * in full (17 digits), bytes in hex. Free it.
 */
char *nr_tdb_dump(const char *location);
/* The same for the n statements of sql (an id column, declared UUID, as its text). */
char *nr_tdb_dump_sql(const char *location, const char *const *sql, size_t n);
/* Whether `location` is a PostgreSQL URL. */
bool nr_tdb_is_pg(const char *location);

struct nr_store;
/* Open (creating) the store at `location`; the test fails when it cannot. */
struct nr_store *nr_tdb_open(const char *location);
/* A run of `campaign` with `n` (at most 8) pending cases t/n=I; the ids in run_id, case_ids. */
void nr_tdb_make_run(struct nr_store *st, const char *campaign, size_t n,
		     char run_id[NR_UUID_LEN + 1], char case_ids[][NR_UUID_LEN + 1]);
/* Attempt `number` of repeat `repeat` of a case: one sample lat_us = value, stdout = output. */
void nr_tdb_save_attempt(struct nr_store *st, const char *case_id, int number, int repeat,
			 double value, const char *output);

#define NR_STORE_TEST(name)                                 \
	static void body_##name(enum nr_tdb_kind kind);     \
	NR_TEST(name)                                       \
	{                                                   \
		body_##name(NR_TDB_SQLITE);                 \
	}                                                   \
	NR_TEST(name##_pg)                                  \
	{                                                   \
		nr_tdb_need_pg();                           \
		body_##name(NR_TDB_PG);                     \
		nr_tdb_done();                              \
	}                                                   \
	static void body_##name(enum nr_tdb_kind kind)

#endif
