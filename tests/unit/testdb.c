/* The databases of store tests: SQLite files, or PostgreSQL databases made for the test. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "store/store.h"
#include "testdb.h"

#define MAX_DBS 8

/* the locations handed out (a ring: tests hold a few at once), and the schemas made */
static char locations[MAX_DBS][1024];
static int n_locations;
static char names[MAX_DBS][64];
static int n_dbs;

bool nr_tdb_is_pg(const char *location)
{
	return !strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13);
}

void nr_tdb_need_pg(void)
{
	const char *url = getenv("NETRIG_TEST_PG");

	if (!url || !*url)
		NR_SKIP("no PostgreSQL server: set NETRIG_TEST_PG=postgresql://USER@HOST/DB"
			" (a role that may create databases), or run tests/check.sh as root,"
			" which starts a throwaway one");
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *connect_or_fail(const char *url)
{
	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK)
		nr_test_fail(__FILE__, __LINE__, "connect to %s: %s", url, PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

static void pg_exec(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		nr_test_fail(__FILE__, __LINE__, "%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
}

const char *nr_tdb_new(enum nr_tdb_kind kind, const char *name)
{
	const char *url = getenv("NETRIG_TEST_PG");
	char *loc = locations[n_locations++ % MAX_DBS];
	char sql[128];
	PGconn *c;

	if (kind == NR_TDB_SQLITE) {
		snprintf(loc, sizeof(locations[0]), "%s.db", name);
		return loc;
	}
	nr_tdb_need_pg();
	if (n_dbs == MAX_DBS)
		nr_test_fail(__FILE__, __LINE__, "more than %d databases in one test", MAX_DBS);
	/*
	 * A schema of its own is a database of its own to netrig (its tables
	 * go into the first schema of the search path), and takes a
	 * millisecond where CREATE DATABASE takes a third of a second.
	 */
	snprintf(names[n_dbs], sizeof(names[0]), "netrig_test_%ld_%d", (long)getpid(), n_dbs);
	c = connect_or_fail(url);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", names[n_dbs]);
	pg_exec(c, sql);
	PQfinish(c);
	snprintf(loc, sizeof(locations[0]), "%s%coptions=-csearch_path%%3D%s", url,
		 strchr(url, '?') ? '&' : '?', names[n_dbs]);
	n_dbs++;
	return loc;
}

void nr_tdb_done(void)
{
	char sql[128];
	PGconn *c;
	int i;

	if (!n_dbs)
		return;
	c = connect_or_fail(getenv("NETRIG_TEST_PG"));
	for (i = 0; i < n_dbs; i++) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", names[i]);
		pg_exec(c, sql);
	}
	PQfinish(c);
	n_dbs = 0;
}

/*
 * Schema 3's columns (a case left 'running' by a run that ended reads
 * 'pending' from schema 4 on: that change is the migration's, meant).
 */
static const char *const dump_sql[] = {
	"SELECT id, campaign, campaign_path, config, config_hash, commit_sha, branch, labels,"
	" status, reason, controller, netrig_version, started_at, finished_at, pid"
	" FROM runs ORDER BY id",
	"SELECT id, run_id, name, transport, address, sysinfo FROM hosts ORDER BY id",
	"SELECT c.id, c.run_id, c.ordinal, c.test, c.key, c.params,"
	" CASE WHEN c.status = 'running' AND r.status <> 'running' THEN 'pending'"
	" ELSE c.status END, c.repeats, c.repeats_done, c.attempts, c.started_at, c.finished_at,"
	" c.ping_count, c.ssh_check_count, c.error, c.hosts"
	" FROM cases c JOIN runs r ON r.id = c.run_id ORDER BY c.id",
	"SELECT id, case_id, number, repeat, outcome, exit_code, signal, started_at, finished_at,"
	" error FROM attempts ORDER BY id",
	"SELECT attempt_id, role, host, stream, size, dropped, compression, data"
	" FROM outputs ORDER BY attempt_id, role, stream",
	"SELECT attempt_id, seq, case_id, repeat, role, metric, value, unit, orig_value,"
	" orig_unit, interval FROM samples ORDER BY attempt_id, seq",
	"SELECT name, unit, better FROM metrics ORDER BY name",
	"SELECT id, run_id, case_id, time, host, kind, message FROM events ORDER BY id",
};

static void dump_pg(const char *location, const char *const *sql, size_t n, struct nr_buf *b)
{
	PGconn *c = connect_or_fail(location);
	size_t i;

	for (i = 0; i < n; i++) {
		PGresult *res = PQexecParams(c, sql[i], 0, NULL, NULL, NULL, NULL, 0);
		int row, k;

		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			nr_test_fail(__FILE__, __LINE__, "%s: %s", sql[i], PQerrorMessage(c));
		nr_buf_addf(b, "== %s\n", sql[i]);
		for (row = 0; row < PQntuples(res); row++) {
			for (k = 0; k < PQnfields(res); k++) {
				const char *v = PQgetvalue(res, row, k);

				if (PQgetisnull(res, row, k))
					nr_buf_adds(b, "NULL|");
				else if (PQftype(res, k) == 701) /* float8 */
					nr_buf_addf(b, "%.17g|", strtod(v, NULL));
				else
					nr_buf_addf(b, "%s|", v); /* bytea: \x and hex */
			}
			nr_buf_addch(b, '\n');
		}
		PQclear(res);
	}
	PQfinish(c);
}

/* Whether column k of s is an id: declared UUID, 16 bytes. */
static bool is_id(sqlite3_stmt *s, int k)
{
	const char *decl = sqlite3_column_decltype(s, k);

	return decl && !strcmp(decl, "UUID") && sqlite3_column_bytes(s, k) == 16;
}

/* The big-endian number of n bytes at p. */
static unsigned be(const unsigned char *p, int n)
{
	unsigned v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static void dump_sqlite(const char *location, const char *const *sql, size_t n_sql,
			struct nr_buf *b)
{
	sqlite3 *db;
	size_t i;

	CHECK(sqlite3_open(location, &db) == SQLITE_OK);
	for (i = 0; i < n_sql; i++) {
		sqlite3_stmt *s;
		int k;

		if (sqlite3_prepare_v2(db, sql[i], -1, &s, NULL) != SQLITE_OK)
			nr_test_fail(__FILE__, __LINE__, "%s: %s", sql[i], sqlite3_errmsg(db));
		nr_buf_addf(b, "== %s\n", sql[i]);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (k = 0; k < sqlite3_column_count(s); k++) {
				const unsigned char *p = sqlite3_column_blob(s, k);
				int j, n = sqlite3_column_bytes(s, k);

				switch (sqlite3_column_type(s, k)) {
				case SQLITE_NULL:
					nr_buf_adds(b, "NULL|");
					break;
				case SQLITE_FLOAT:
					nr_buf_addf(b, "%.17g|", sqlite3_column_double(s, k));
					break;
				case SQLITE_BLOB:
					/* an id (schema 10) as its text: what PostgreSQL's dump and older files show */
					if (is_id(s, k)) {
						nr_buf_addf(b, "%08x-%04x-%04x-%04x-%04x%08x|", be(p, 4),
							    be(p + 4, 2), be(p + 6, 2), be(p + 8, 2),
							    be(p + 10, 2), be(p + 12, 4));
						break;
					}
					nr_buf_adds(b, "\\x");
					for (j = 0; j < n; j++)
						nr_buf_addf(b, "%02x", p[j]);
					nr_buf_addch(b, '|');
					break;
				default:
					nr_buf_addf(b, "%s|", (const char *)sqlite3_column_text(s, k));
				}
			}
			nr_buf_addch(b, '\n');
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

char *nr_tdb_dump_sql(const char *location, const char *const *sql, size_t n)
{
	struct nr_buf b = NR_BUF_INIT;

	if (nr_tdb_is_pg(location))
		dump_pg(location, sql, n, &b);
	else
		dump_sqlite(location, sql, n, &b);
	return nr_buf_detach(&b, NULL);
}

char *nr_tdb_dump(const char *location)
{
	return nr_tdb_dump_sql(location, dump_sql, NR_ARRAY_SIZE(dump_sql));
}

long long nr_tdb_count(const char *location, const char *sql)
{
	long long n;

	if (nr_tdb_is_pg(location)) {
		PGconn *c = connect_or_fail(location);
		PGresult *res = PQexec(c, sql);

		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
			nr_test_fail(__FILE__, __LINE__, "%s: %s", sql, PQerrorMessage(c));
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *s;

		CHECK(sqlite3_open(location, &db) == SQLITE_OK);
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			nr_test_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(db));
		CHECK(sqlite3_step(s) == SQLITE_ROW);
		n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	return n;
}

void nr_tdb_exec(const char *location, const char *sql)
{
	if (nr_tdb_is_pg(location)) {
		PGconn *c = connect_or_fail(location);

		pg_exec(c, sql);
		PQfinish(c);
	} else {
		sqlite3 *db;

		CHECK(sqlite3_open(location, &db) == SQLITE_OK);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			nr_test_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
	}
}

/* ---- runs and attempts ---- */

struct nr_store *nr_tdb_open(const char *path)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };

	if (nr_store_open(path, &st, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "open %s: %s", path, d.msg);
	return st;
}

void nr_tdb_make_run(struct nr_store *st, const char *campaign, size_t n,
		     char run_id[NR_UUID_LEN + 1], char case_ids[][NR_UUID_LEN + 1])
{
	struct nr_run_rec run = { 0 };
	struct nr_host_rec host = { 0 };
	struct nr_case_rec cases[8];
	char keys[8][16];
	size_t i;

	memset(cases, 0, sizeof(cases));
	nr_uuid_v7(run.id);
	run.campaign = (char *)campaign;
	run.config = "tests: []";
	run.config_hash = "h";
	run.status = NR_RUN_RUNNING;
	run.labels = "{\"k\":\"v\"}";
	run.started_us = nr_wall_us();
	nr_uuid_v7(host.id);
	host.name = "local";
	host.transport = "local";
	host.address = "127.0.0.1";
	host.sysinfo = "{\"cpu\":1}";
	for (i = 0; i < n; i++) {
		nr_uuid_v7(cases[i].id);
		memcpy(cases[i].run_id, run.id, sizeof(run.id));
		cases[i].ordinal = (int64_t)i + 1;
		cases[i].test = "t";
		snprintf(keys[i], sizeof(keys[i]), "t/n=%zu", i);
		cases[i].key = keys[i];
		cases[i].params = "{}";
		cases[i].status = NR_CASE_PENDING;
		cases[i].repeats = 2;
		memcpy(case_ids[i], cases[i].id, sizeof(cases[i].id));
	}
	CHECK_OK(nr_store_run_create(st, &run, &host, 1, cases, n, NULL));
	memcpy(run_id, run.id, sizeof(run.id));
}

void nr_tdb_save_attempt(struct nr_store *st, const char *case_id, int number, int repeat,
			 double value, const char *output)
{
	struct nr_case_rec c = { 0 };
	struct nr_attempt_rec a = { 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_output_in out = { .role = "main", .host = "local", .stream = "stdout",
				    .data = nr_slice_str(output) };
	struct nr_role_samples rs = { "main", &set };

	snprintf(c.id, sizeof(c.id), "%s", case_id);
	c.status = repeat == 1 ? NR_CASE_PASSED : NR_CASE_RUNNING;
	c.repeats_done = repeat + 1;
	c.attempts = number;
	nr_uuid_v7(a.id);
	snprintf(a.case_id, sizeof(a.case_id), "%s", case_id);
	a.number = number;
	a.repeat = repeat;
	a.outcome = NR_ATTEMPT_PASSED;
	a.started_us = nr_wall_us();
	a.finished_us = a.started_us + 1000;
	nr_sample_add(&set, "lat_us", value, "us", NR_BETTER_LOWER);
	CHECK_OK(nr_store_attempt_save(st, &c, &a, &out, 1, &rs, 1, NULL));
	nr_sample_set_release(&set);
}
