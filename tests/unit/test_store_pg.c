/*
 * What the PostgreSQL backend adds to the store's tests (test_store.c runs
 * those on both backends): URLs and their passwords, a shared schema made
 * once, a lost connection, the read-only query, text that is not UTF-8,
 * writers at once, merges across backends.
 */
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

NR_TEST(store_location_shown_hides_passwords)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "postgresql://bench:s3cret@db.example/netrig", "postgresql://bench:***@db.example/netrig" },
		{ "postgres://u:p%40ss@h:5432/db?sslmode=require", "postgres://u:***@h:5432/db?sslmode=require" },
		{ "postgresql:///netrig?host=/tmp/pg&password=s3cret&user=x",
		  "postgresql:///netrig?host=/tmp/pg&password=***&user=x" },
		{ "postgresql://h/db?password=a&password=b", "postgresql://h/db?password=***&password=***" },
		{ "postgresql://h/db?application_name=mypassword=x",
		  "postgresql://h/db?application_name=mypassword=x" },
		{ "postgresql://bench@db.example/netrig", "postgresql://bench@db.example/netrig" },
		{ "postgresql://", "postgresql://" },
		{ "results/a:b@c.db", "results/a:b@c.db" },
		{ "netrig.db", "netrig.db" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		char *shown = nr_store_location_shown(cases[i].in);

		CHECK_STR(shown, cases[i].out);
		free(shown);
	}
}

/* No server needed: a socket directory that does not exist. */
NR_TEST(store_pg_unreachable_server_is_a_clear_error_without_the_password)
{
	char url[256];
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	struct nr_merge_stats m;

	snprintf(url, sizeof(url), "postgresql://bench:s3cret@/netrig?host=/nonexistent-%ld",
		 (long)getpid());
	CHECK(nr_store_open(url, &st, &d) == NR_ESTORE);
	CHECK_CONTAINS(d.msg, "cannot connect");
	CHECK_CONTAINS(d.msg, "bench:***@");
	CHECK(!strstr(d.msg, "s3cret"));
	nr_diag_clear(&d);
	CHECK(nr_store_open_existing(url, &st, &d) == NR_ESTORE);
	CHECK(!strstr(d.msg, "s3cret"));
	/* as a merge source: unusable, the user's to fix */
	nr_diag_clear(&d);
	st = nr_tdb_open("t.db");
	CHECK(nr_store_merge(st, url, &m, &d) == NR_EINVAL);
	CHECK_CONTAINS(d.msg, "cannot connect");
	CHECK(!strstr(d.msg, "s3cret"));
	nr_diag_clear(&d);
	CHECK(nr_store_merge(st, "http://example.com/x.db", &m, &d) == NR_EINVAL);
	CHECK_CONTAINS(d.msg, "no store backend");
	nr_store_close(st);
}

NR_TEST(store_pg_refuses_newer_and_foreign_databases)
{
	const char *empty, *newer, *foreign;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };

	nr_tdb_need_pg();
	empty = nr_tdb_new(NR_TDB_PG, "empty");
	newer = nr_tdb_new(NR_TDB_PG, "newer");
	foreign = nr_tdb_new(NR_TDB_PG, "foreign");
	/* a reading command does not make a database */
	CHECK(nr_store_open_existing(empty, &st, &d) == NR_ENOTFOUND);
	CHECK_CONTAINS(d.msg, "no netrig database");
	CHECK_EQ(nr_tdb_count(empty, "SELECT count(*) FROM pg_tables"
				     " WHERE schemaname = current_schema()"), 0);
	nr_diag_clear(&d);
	nr_tdb_exec(newer, "CREATE TABLE meta (key text PRIMARY KEY, value text);"
			   "INSERT INTO meta VALUES ('schema_version', '99')");
	CHECK(nr_store_open(newer, &st, &d) == NR_ESCHEMA);
	CHECK_CONTAINS(d.msg, "newer");
	nr_diag_clear(&d);
	nr_tdb_exec(foreign, "CREATE TABLE meta (id integer, photo text)");
	CHECK(nr_store_open(foreign, &st, &d) == NR_ESTORE);
	CHECK_CONTAINS(d.msg, "not netrig's");
	nr_tdb_done();
}

/* Wait until `path` exists (a start line for processes that must begin together). */
static void wait_for(const char *path)
{
	while (access(path, F_OK) < 0)
		usleep(200);
}

/* Fork n children that each run fn(i) once `go` exists; true when all exit 0. */
static bool all_at_once(int n, void (*fn)(int i, const char *db), const char *db)
{
	pid_t pids[8];
	int i, status, ok = 1;
	FILE *f;

	unlink("go");
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			wait_for("go");
			fn(i, db);
			_exit(0);
		}
	}
	f = fopen("go", "w");
	fclose(f);
	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	}
	return ok;
}

static void open_and_write(int i, const char *db)
{
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[2][NR_UUID_LEN + 1];

	nr_tdb_make_run(st, i % 2 ? "odd" : "even", 2, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 1.0 + i, "x");
	nr_store_close(st);
}

NR_TEST(store_pg_schema_is_made_once_by_netrigs_that_open_it_at_once)
{
	const char *db;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "shared");
	CHECK(all_at_once(6, open_and_write, db));
	CHECK_EQ(nr_tdb_count(db, "SELECT value::int FROM meta WHERE key = 'schema_version'"),
		 NR_STORE_SCHEMA_VERSION);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM meta"), 1);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"), 6);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 6);
	nr_tdb_done();
}

/* End every session of application `app` from another connection. */
static void kill_sessions(const char *db, const char *app)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
		 " WHERE application_name = '%s'", app);
	CHECK(nr_tdb_count(db, sql) >= 1);
}

NR_TEST(store_pg_goes_on_after_its_connection_is_lost)
{
	char url[1200], app[64], run_id[NR_UUID_LEN + 1], cids[2][NR_UUID_LEN + 1];
	struct nr_run_rec run = { 0 };
	struct nr_store *st;
	const char *db;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "lost");
	snprintf(app, sizeof(app), "netrig_lost_%ld", (long)getpid());
	snprintf(url, sizeof(url), "%s&application_name=%s", db, app);
	st = nr_tdb_open(url);
	nr_tdb_make_run(st, "camp", 2, run_id, cids);
	/* the server ends the session (a restart, an administrator): the next write connects again */
	kill_sessions(db, app);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 1.0, "x");
	kill_sessions(db, app);
	CHECK_OK(nr_store_run_get(st, run_id, &run, NULL));
	CHECK_EQ(run.n_cases, 2);
	kill_sessions(db, app);
	run.status = NR_RUN_PASSED;
	CHECK_OK(nr_store_run_update(st, &run, NULL));
	nr_run_rec_release(&run);
	nr_store_close(st);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 1);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs WHERE status = 'passed'"), 1);
	nr_tdb_done();
}

static void query_fails(struct nr_store *st, const char *sql)
{
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };

	if (nr_store_query_json(st, sql, 100, &out, &d) != NR_ESTORE)
		nr_test_fail(__FILE__, __LINE__, "query ran: %s", sql);
	CHECK_CONTAINS(d.msg, "query");
	CHECK_EQ(out.len, 0);
	nr_buf_release(&out);
}

NR_TEST(store_pg_query_reads_and_never_writes)
{
	static const char *const writes[] = {
		"DELETE FROM runs",
		"INSERT INTO metrics VALUES ('x', 'y', 'z')",
		"UPDATE runs SET status = 'x'",
		"WITH d AS (DELETE FROM runs RETURNING *) SELECT count(*) FROM d",
		"SELECT 1; DELETE FROM runs",
		"SELECT 1 -- x\n; DELETE FROM runs",
		"COPY runs TO STDOUT",
		"COPY (SELECT 1) TO '/tmp/netrig-query-copy'",
		"CREATE TABLE x (a int)",
		"CREATE TEMPORARY TABLE x (a int)",
		"DROP TABLE samples",
		"SET TRANSACTION READ WRITE",
		"SET default_transaction_read_only = off",
		"SELECT nextval(pg_get_serial_sequence('outputs', 'ord'))",
		"DO $$BEGIN DELETE FROM runs; END$$",
		"TRUNCATE runs CASCADE",
		"VACUUM",
		"",
		";",
	};
	struct nr_buf out = NR_BUF_INIT;
	char run_id[NR_UUID_LEN + 1], cids[3][NR_UUID_LEN + 1], url[1200];
	struct nr_store *st;
	const char *db;
	json_t *j;
	size_t i;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "q");
	st = nr_tdb_open(db);
	nr_tdb_make_run(st, "camp", 3, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 1.5, "some output");
	for (i = 0; i < NR_ARRAY_SIZE(writes); i++)
		query_fails(st, writes[i]);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"), 1);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM metrics"), 1);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'x'"), 0);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM outputs"), 1);
	/* what it reads, typed; a trailing ';' and comment; the row limit */
	CHECK_OK(nr_store_query_json(st, "SELECT count(*) AS n, sum(value) AS v, true AS b, NULL AS z,"
					 " (SELECT data FROM outputs LIMIT 1) AS blob,"
					 " current_setting('transaction_read_only') AS ro,"
					 " current_setting('statement_timeout') AS timeout"
					 " FROM samples; -- the end\n",
				     100, &out, NULL));
	j = json_loads(out.buf, 0, NULL);
	CHECK(j && json_array_size(j) == 1);
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(j, 0), "n")), 1);
	CHECK_NEAR(json_real_value(json_object_get(json_array_get(j, 0), "v")), 1.5, 0);
	CHECK(json_is_true(json_object_get(json_array_get(j, 0), "b")));
	CHECK(json_is_null(json_object_get(json_array_get(j, 0), "z")));
	CHECK(json_integer_value(json_object_get(json_array_get(j, 0), "blob")) > 0);
	CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "ro")), "on");
	CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "timeout")), "30s");
	json_decref(j);
	nr_buf_reset(&out);
	CHECK_OK(nr_store_query_json(st, "SELECT key FROM cases ORDER BY key DESC", 2, &out, NULL));
	j = json_loads(out.buf, 0, NULL);
	CHECK(j && json_array_size(j) == 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "key")), "t/n=2");
	json_decref(j);
	/* and the store writes on as before: no transaction was left open */
	nr_tdb_save_attempt(st, cids[1], 1, 0, 2.5, "more");
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 2);
	nr_store_close(st);
	/* a shorter timeout of the session is kept: a query that runs on is stopped */
	snprintf(url, sizeof(url), "%s%%20-cstatement_timeout%%3D200", db);
	st = nr_tdb_open(url);
	nr_buf_reset(&out);
	{
		int64_t t0 = nr_mono_us();

		query_fails(st, "SELECT pg_sleep(5)");
		CHECK(nr_mono_us() - t0 < 4000000);
	}
	nr_store_close(st);
	nr_buf_release(&out);
	nr_tdb_done();
}

NR_TEST(store_pg_text_that_is_not_utf8_is_kept_escaped)
{
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	struct nr_case_rec *cases;
	struct nr_output_rec *outs;
	struct nr_attempt_rec *atts;
	struct nr_store *st;
	const char *db;
	size_t n;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "utf");
	st = nr_tdb_open(db);
	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	/* the raw output, bytes as they came; the sheet's error, text */
	nr_tdb_save_attempt(st, cids[0], 1, 0, 1.0, "caf\xe9 \xff\xfe ok \xc3\xa9\n");
	{
		struct nr_case_rec c = { 0 };

		memcpy(c.id, cids[0], sizeof(c.id));
		c.status = NR_CASE_FAILED;
		c.error = "role main: exit 1: caf\xe9 \xc3\xa9";
		CHECK_OK(nr_store_case_update(st, &c, NULL));
	}
	CHECK_OK(nr_store_cases_list(st, run_id, &cases, &n, NULL));
	CHECK_STR(cases[0].error, "role main: exit 1: caf%E9 \xc3\xa9");
	CHECK_OK(nr_store_attempts_list(st, cids[0], &atts, &n, NULL));
	CHECK_OK(nr_store_outputs_get(st, atts[0].id, &outs, &n, NULL));
	CHECK_STR(outs[0].data.buf, "caf\xe9 \xff\xfe ok \xc3\xa9\n");
	nr_outputs_free(outs, n);
	nr_attempts_free(atts, 1);
	nr_cases_free(cases, 1);
	nr_store_close(st);
	nr_tdb_done();
}

/*
 * Writers that add the same new metrics at once, in opposite orders: each
 * attempt's metrics must go in one order, or two transactions wait for
 * each other and PostgreSQL fails one (a deadlock). Each round starts
 * when every writer has finished the one before.
 */
#define DL_WRITERS 4
#define DL_ROUNDS 20
#define DL_METRICS 150

static void barrier(int round, int i)
{
	char path[32];
	int k;
	FILE *f;

	snprintf(path, sizeof(path), "r%d.%d", round, i);
	f = fopen(path, "w");
	fclose(f);
	for (k = 0; k < DL_WRITERS; k++) {
		snprintf(path, sizeof(path), "r%d.%d", round, k);
		while (access(path, F_OK) < 0) {
			if (access("failed", F_OK) == 0) /* a writer failed: the others stop too */
				_exit(1);
			usleep(200);
		}
	}
}

static void add_metrics_in_order(int i, const char *db)
{
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	int round, k;

	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	for (round = 0; round < DL_ROUNDS; round++) {
		struct nr_case_rec c = { .status = NR_CASE_RUNNING };
		struct nr_attempt_rec a = { 0 };
		struct nr_sample_set set = NR_SAMPLE_SET_INIT;
		struct nr_role_samples rs = { "main", &set };
		struct nr_diag d = { 0 };

		for (k = 0; k < DL_METRICS; k++) {
			char name[32];

			snprintf(name, sizeof(name), "m%d_%03d", round,
				 i % 2 ? DL_METRICS - 1 - k : k);
			nr_sample_add(&set, name, 1, "us", NR_BETTER_LOWER);
		}
		memcpy(c.id, cids[0], sizeof(c.id));
		nr_uuid_v7(a.id);
		memcpy(a.case_id, cids[0], sizeof(a.case_id));
		a.number = round + 1;
		a.repeat = round;
		a.outcome = NR_ATTEMPT_PASSED;
		a.started_us = a.finished_us = nr_wall_us();
		barrier(round, i);
		if (nr_store_attempt_save(st, &c, &a, NULL, 0, &rs, 1, &d) < 0) {
			fclose(fopen("failed", "w"));
			nr_test_fail(__FILE__, __LINE__, "writer %d, round %d: %s", i, round, d.msg);
		}
		nr_sample_set_release(&set);
	}
	nr_store_close(st);
}

NR_TEST_T(store_pg_writers_adding_the_same_metrics_at_once_never_deadlock, 60)
{
	const char *db;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "dl");
	nr_store_close(nr_tdb_open(db)); /* the schema first: the test is about the rows */
	CHECK(all_at_once(DL_WRITERS, add_metrics_in_order, db));
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM metrics"), DL_ROUNDS * DL_METRICS);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"),
		 DL_WRITERS * DL_ROUNDS * DL_METRICS);
	nr_tdb_done();
}

/* Every row of every table of an SQLite file, as text, in a stable order. */
static char *dump(const char *path)
{
	static const char *const tables[] = {
		"SELECT * FROM runs ORDER BY id", "SELECT * FROM hosts ORDER BY id",
		"SELECT * FROM cases ORDER BY id", "SELECT * FROM attempts ORDER BY id",
		"SELECT attempt_id, role, host, stream, size, dropped, compression, hex(data)"
		" FROM outputs ORDER BY attempt_id, role, stream",
		"SELECT * FROM samples ORDER BY attempt_id, seq", "SELECT * FROM metrics ORDER BY name",
		"SELECT * FROM events ORDER BY id",
	};
	struct nr_buf b = NR_BUF_INIT;
	sqlite3 *db;
	size_t i;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0; i < NR_ARRAY_SIZE(tables); i++) {
		sqlite3_stmt *s;
		int k;

		CHECK(sqlite3_prepare_v2(db, tables[i], -1, &s, NULL) == SQLITE_OK);
		nr_buf_addf(&b, "== %s\n", tables[i]);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (k = 0; k < sqlite3_column_count(s); k++) {
				const unsigned char *t = sqlite3_column_text(s, k);

				/* every double in full, so a changed digit shows */
				if (sqlite3_column_type(s, k) == SQLITE_FLOAT)
					nr_buf_addf(&b, "%.17g|", sqlite3_column_double(s, k));
				else
					nr_buf_addf(&b, "%s|", t ? (const char *)t : "NULL");
			}
			nr_buf_addch(&b, '\n');
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return nr_buf_detach(&b, NULL);
}

/* A file with two runs, an event, per-interval samples and binary output. */
static void make_source(const char *path)
{
	struct nr_store *st = nr_tdb_open(path);
	char run_id[NR_UUID_LEN + 1], cids[3][NR_UUID_LEN + 1];
	struct nr_event_rec ev = { 0 };
	struct nr_run_rec run = { 0 };
	struct nr_case_rec c = { 0 };
	struct nr_attempt_rec a = { 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_role_samples rs = { "client", &set };
	struct nr_output_in outs[2] = {
		{ .role = "client", .host = "local", .stream = "stdout",
		  .data = nr_slice_of("bin\0ary \xff\x01 tab\there\nline\\", 25) },
		{ .role = "client", .host = "local", .stream = "stderr", .data = nr_slice_str("") },
	};
	int k;

	nr_tdb_make_run(st, "src", 3, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 0.1, "first");
	nr_tdb_save_attempt(st, cids[0], 2, 1, 1.0 / 3, "second\n\ttabbed \\ back");
	for (k = 0; k < 5; k++) {
		nr_sample_add(&set, "throughput_bps", 1e9 + k * 0.125, "bit/s", NR_BETTER_HIGHER);
		set.v[set.n - 1].interval = k;
	}
	nr_sample_add(&set, "throughput_bps", 9.87654321e9, "bit/s", NR_BETTER_HIGHER);
	memcpy(c.id, cids[1], sizeof(c.id));
	c.status = NR_CASE_FAILED;
	c.repeats_done = 0;
	c.attempts = 1;
	c.error = "role client: exit 3: it's \"quoted\", with | and ,";
	c.hosts = "{\"client\":\"local\"}";
	nr_uuid_v7(a.id);
	memcpy(a.case_id, cids[1], sizeof(a.case_id));
	a.number = 1;
	a.outcome = NR_ATTEMPT_FAILED;
	a.exit_code = 3;
	a.error = c.error;
	a.started_us = nr_wall_us();
	a.finished_us = a.started_us + 7;
	CHECK_OK(nr_store_attempt_save(st, &c, &a, outs, 2, &rs, 1, NULL));
	nr_sample_set_release(&set);
	nr_uuid_v7(ev.id);
	memcpy(ev.run_id, run_id, sizeof(ev.run_id));
	memcpy(ev.case_id, cids[1], sizeof(ev.case_id));
	ev.time_us = nr_wall_us();
	ev.host = "server";
	ev.kind = "health";
	ev.message = "ping failed\nthree times";
	CHECK_OK(nr_store_event_add(st, &ev, NULL));
	CHECK_OK(nr_store_run_get(st, run_id, &run, NULL));
	run.status = NR_RUN_FAILED;
	run.finished_us = nr_wall_us();
	CHECK_OK(nr_store_run_update(st, &run, NULL));
	nr_run_rec_release(&run);
	nr_tdb_make_run(st, "src2", 1, run_id, cids);
	nr_store_close(st);
}

NR_TEST(store_merge_from_sqlite_into_postgresql_and_back_keeps_every_row)
{
	static const char *const counts[] = {
		"SELECT count(*) FROM runs", "SELECT count(*) FROM hosts", "SELECT count(*) FROM cases",
		"SELECT count(*) FROM attempts", "SELECT count(*) FROM outputs",
		"SELECT count(*) FROM samples", "SELECT count(*) FROM metrics",
		"SELECT count(*) FROM events",
	};
	struct nr_merge_stats m = { 0 };
	struct nr_store *pg, *back;
	char *before, *after;
	const char *db;
	size_t i;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "m");
	make_source("a.db");
	pg = nr_tdb_open(db);
	CHECK_OK(nr_store_merge(pg, "a.db", &m, NULL));
	CHECK_EQ(m.runs, 2);
	CHECK_EQ(m.cases, 4);
	CHECK_EQ(m.attempts, 3);
	CHECK_EQ(m.samples, 8);
	for (i = 0; i < NR_ARRAY_SIZE(counts); i++)
		CHECK_EQ(nr_tdb_count(db, counts[i]), nr_tdb_count("a.db", counts[i]));
	/* merging again adds nothing */
	CHECK_OK(nr_store_merge(pg, "a.db", &m, NULL));
	CHECK_EQ(m.runs + m.cases + m.attempts + m.samples, 0);
	nr_store_close(pg);
	/* and back into a new file: the very rows, byte for byte, double for double */
	back = nr_tdb_open("back.db");
	CHECK_OK(nr_store_merge(back, db, &m, NULL));
	CHECK_EQ(m.runs, 2);
	CHECK_EQ(m.samples, 8);
	CHECK_OK(nr_store_merge(back, db, &m, NULL));
	CHECK_EQ(m.runs + m.cases + m.attempts + m.samples, 0);
	nr_store_close(back);
	before = dump("a.db");
	after = dump("back.db");
	CHECK_STR(after, before);
	free(before);
	free(after);
	/* a version 3 file (migrated on the way, the file itself untouched) */
	{
		struct nr_buf sql = NR_BUF_INIT;

		CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture("store/v3.sql")));
		nr_tdb_exec("v3.db", sql.buf);
		nr_buf_release(&sql);
	}
	pg = nr_tdb_open(db);
	CHECK_OK(nr_store_merge(pg, "v3.db", &m, NULL));
	nr_store_close(pg);
	CHECK_EQ(nr_tdb_count("v3.db", "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"),
		 2 + nr_tdb_count("v3.db", "SELECT count(*) FROM runs"));
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"),
		 8 + nr_tdb_count("v3.db", "SELECT count(*) FROM samples"));
	nr_tdb_done();
}

/*
 * A PostgreSQL database netrig 7 wrote (tests/fixtures/store/pg-v7.sql)
 * opened by this netrig: at schema 8, every value of every row as it was
 * (the samples through the view), and it takes the next run's samples
 * into the series it already has.
 */
NR_TEST(store_pg_migrates_version_7_keeping_every_value)
{
	struct nr_buf sql = NR_BUF_INIT;
	struct nr_sample_row *rows;
	struct nr_store *st;
	const char *db;
	char *before, *after, run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	long long samples, series;
	size_t n;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "v7");
	CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture("store/pg-v7.sql")));
	nr_tdb_exec(db, sql.buf);
	nr_buf_release(&sql);
	CHECK_EQ(nr_tdb_count(db, "SELECT value FROM meta WHERE key = 'schema_version'"), 7);
	samples = nr_tdb_count(db, "SELECT count(*) FROM samples");
	CHECK_EQ(samples, 17);
	before = nr_tdb_dump(db);
	st = nr_tdb_open(db);
	CHECK_EQ(nr_store_opened_version(st), 7);
	CHECK_EQ(nr_tdb_count(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
		 NR_STORE_SCHEMA_VERSION);
	after = nr_tdb_dump(db);
	CHECK_STR(after, before);
	/* a metric without a unit, and one converted from ms */
	CHECK_CONTAINS(after, "|main|w|7||7||-1|");
	CHECK_CONTAINS(after, "|main|v|1250|us|1.25|ms|-1|");
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM sample_rows"), samples);
	series = nr_tdb_count(db, "SELECT count(*) FROM series");
	/* (main, v, us) of both campaigns, (main, w, '') */
	CHECK_EQ(series, 2);
	/* only what differs is kept: the original of a unitless 7 is NULL */
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM sample_rows WHERE orig_value IS NULL"
				  " AND orig_unit IS NULL"), 4);
	/* the store goes on: a new run's samples read back */
	nr_tdb_make_run(st, "after", 1, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 3.5, "x");
	CHECK_OK(nr_store_samples_list(st, run_id, false, &rows, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_NEAR(rows[0].value, 3.5, 0);
	nr_sample_rows_free(rows, n);
	nr_store_close(st);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM series"), series + 1);
	free(before);
	free(after);
	nr_tdb_done();
}

NR_TEST(store_pg_merge_refuses_unusable_sources_and_itself)
{
	struct nr_merge_stats m = { 0 };
	struct nr_store *pg;
	const char *db, *empty, *newer;
	char other[1200];
	FILE *f;

	nr_tdb_need_pg();
	db = nr_tdb_new(NR_TDB_PG, "t");
	empty = nr_tdb_new(NR_TDB_PG, "e");
	newer = nr_tdb_new(NR_TDB_PG, "n");
	pg = nr_tdb_open(db);
	nr_store_close(nr_tdb_open(newer));
	nr_tdb_exec(newer, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	f = fopen("text.db", "w");
	fputs("campaign: not a database\n", f);
	fclose(f);
	{
		static const struct {
			const char *source, *says;
			int code;
		} bad[] = {
			{ "missing.db", "No such file", NR_EINVAL },
			{ "text.db", "text.db", NR_EINVAL },
		};
		size_t i;

		for (i = 0; i < NR_ARRAY_SIZE(bad); i++) {
			struct nr_diag d = { 0 };

			CHECK_EQ(nr_store_merge(pg, bad[i].source, &m, &d), bad[i].code);
			CHECK_CONTAINS(d.msg, bad[i].says);
		}
	}
	{
		struct nr_diag d = { 0 };

		CHECK_EQ(nr_store_merge(pg, empty, &m, &d), NR_EINVAL);
		CHECK_CONTAINS(d.msg, "no netrig database");
		nr_diag_clear(&d);
		CHECK_EQ(nr_store_merge(pg, newer, &m, &d), NR_ESCHEMA);
		CHECK_CONTAINS(d.msg, "newer");
		/* itself, by another spelling of its URL */
		nr_diag_clear(&d);
		snprintf(other, sizeof(other), "%s&application_name=another_spelling", db);
		CHECK_EQ(nr_store_merge(pg, other, &m, &d), NR_EINVAL);
		CHECK_CONTAINS(d.msg, "itself");
	}
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"), 0);
	nr_store_close(pg);
	nr_tdb_done();
}
