#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

NR_STORE_TEST(store_round_trip)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "r"));
	char run_id[NR_UUID_LEN + 1], cids[2][NR_UUID_LEN + 1];
	char case_id[NR_UUID_LEN + 1], attempt_id[NR_UUID_LEN + 1];
	struct nr_run_rec run = { 0 };
	struct nr_case_rec *cases;
	struct nr_sample_row *rows;
	struct nr_attempt_rec *atts;
	struct nr_output_rec *outs;
	struct nr_host_rec *hosts;
	char big[100000];
	size_t n;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nr_tdb_make_run(st, "camp", 2, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 10.0, "lat_us=10\n");
	nr_tdb_save_attempt(st, cids[0], 2, 1, 12.0, big);
	CHECK_OK(nr_store_run_get(st, NULL, &run, NULL));
	CHECK_STR(run.id, run_id);
	CHECK_STR(run.labels, "{\"k\":\"v\"}");
	CHECK_EQ(run.n_cases, 2);
	CHECK_EQ(run.n_passed, 1);
	CHECK_EQ(run.n_pending, 1);
	nr_run_rec_release(&run);
	/* prefix selection, and a clear miss */
	{
		char prefix[9];
		struct nr_diag d = { 0 };

		snprintf(prefix, sizeof(prefix), "%.8s", run_id);
		CHECK_OK(nr_store_run_get(st, prefix, &run, NULL));
		nr_run_rec_release(&run);
		CHECK(nr_store_run_get(st, "ffffffff", &run, &d) == NR_ENOTFOUND);
		CHECK_CONTAINS(d.msg, "no run 'ffffffff'");
	}
	CHECK_OK(nr_store_cases_list(st, run_id, &cases, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_EQ(cases[0].status, NR_CASE_PASSED);
	CHECK_EQ(cases[0].repeats_done, 2);
	CHECK_EQ(cases[1].status, NR_CASE_PENDING);
	nr_cases_free(cases, n);
	CHECK_OK(nr_store_hosts_list(st, run_id, &hosts, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_STR(hosts[0].sysinfo, "{\"cpu\":1}");
	nr_hosts_free(hosts, n);
	CHECK_OK(nr_store_samples_list(st, run_id, false, &rows, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_STR(rows[0].id.metric, "lat_us");
	CHECK_EQ(rows[0].id.better, NR_BETTER_LOWER);
	CHECK_NEAR(rows[0].value + rows[1].value, 22.0, 1e-9);
	nr_sample_rows_free(rows, n);
	/* raw output comes back byte for byte */
	CHECK_OK(nr_store_locate(st, "t/n=0", NULL, case_id, attempt_id, NULL));
	CHECK_STR(case_id, cids[0]);
	CHECK_STR(attempt_id, "");
	CHECK_OK(nr_store_attempts_list(st, case_id, &atts, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_OK(nr_store_outputs_get(st, atts[1].id, &outs, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_EQ(outs[0].data.len, sizeof(big) - 1);
	CHECK(!memcmp(outs[0].data.buf, big, sizeof(big) - 1));
	nr_outputs_free(outs, n);
	CHECK_OK(nr_store_locate(st, atts[1].id, NULL, case_id, attempt_id, NULL));
	CHECK_STR(attempt_id, atts[1].id);
	CHECK_STR(case_id, cids[0]);
	nr_attempts_free(atts, 2);
	nr_store_close(st);
}

NR_STORE_TEST(store_compresses_raw_output)
{
	const char *db = nr_tdb_new(kind, "z");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1], q[160];
	struct nr_buf big = NR_BUF_INIT;
	int i;

	for (i = 0; i < 20000; i++)
		nr_buf_addf(&big, "[%3d] 1.00-2.00 sec  3.2 GBytes  27.5 Gbits/sec\n", i % 100);
	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 1.0, big.buf);
	nr_store_close(st);
	snprintf(q, sizeof(q), "SELECT count(*) FROM outputs WHERE size = %zu"
		 " AND length(data) * 20 < size AND compression = 'zstd'", big.len);
	CHECK_EQ(nr_tdb_count(db, q), 1);
	nr_buf_release(&big);
}

/* "SIZE|\xHEX|" of text compressed by a fresh zstd context at level 3, a line of a dump. */
static void add_fresh_zstd(struct nr_buf *b, const char *text, size_t len)
{
	size_t bound = ZSTD_compressBound(len), zn, i;
	unsigned char *z = nr_xmalloc(bound);

	zn = ZSTD_compress(z, bound, text, len, 3);
	CHECK(!ZSTD_isError(zn));
	nr_buf_addf(b, "%zu|\\x", len);
	for (i = 0; i < zn; i++)
		nr_buf_addf(b, "%02x", z[i]);
	nr_buf_adds(b, "|\n");
	free(z);
}

/*
 * One handle, many attempts: the statements it keeps and its compression
 * context serve each attempt as new ones would. Every output is stored as
 * a fresh zstd context at level 3 makes it (the bytes netrig always
 * wrote), a write that fails (an attempt id that is there) leaves nothing
 * behind, and the next attempt after it is stored whole.
 */
NR_STORE_TEST(store_attempts_of_one_handle_each_their_own)
{
	const char *db = nr_tdb_new(kind, "k");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	static const char *const outputs_sql[] = { "SELECT size, data FROM outputs ORDER BY size" };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_role_samples rs = { "main", &set };
	struct nr_output_in again = { .role = "main", .host = "local", .stream = "stdout",
				      .data = nr_slice_str("again") };
	struct nr_buf texts[4], want = NR_BUF_INIT;
	struct nr_sample_row *rows;
	struct nr_attempt_rec *atts, a = { 0 };
	struct nr_case_rec c = { 0 };
	struct nr_diag d = { 0 };
	char *dump;
	size_t n, i, k;

	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	nr_buf_adds(&want, "== SELECT size, data FROM outputs ORDER BY size\n");
	add_fresh_zstd(&want, "after", 5);
	for (k = 0; k < 4; k++) {
		nr_buf_init(&texts[k], 0);
		for (i = 0; i < 1000 + 20000 * k; i++)
			nr_buf_addf(&texts[k], "%zu:%zu ", k, i * i % 977);
		add_fresh_zstd(&want, texts[k].buf, texts[k].len);
		nr_tdb_save_attempt(st, cids[0], (int)k + 1, 0, (double)k, texts[k].buf);
	}
	/* an attempt whose id is there already: refused, nothing of it kept */
	CHECK_OK(nr_store_attempts_list(st, cids[0], &atts, &n, NULL));
	CHECK_EQ(n, 4);
	snprintf(a.id, sizeof(a.id), "%s", atts[0].id);
	nr_attempts_free(atts, n);
	snprintf(a.case_id, sizeof(a.case_id), "%s", cids[0]);
	a.number = 9;
	a.outcome = NR_ATTEMPT_PASSED;
	snprintf(c.id, sizeof(c.id), "%s", cids[0]);
	c.status = NR_CASE_RUNNING;
	nr_sample_add(&set, "lost_us", 1, "us", NR_BETTER_LOWER);
	CHECK(nr_store_attempt_save(st, &c, &a, &again, 1, &rs, 1, &d) < 0);
	nr_diag_clear(&d);
	nr_sample_set_release(&set);
	nr_tdb_save_attempt(st, cids[0], 5, 1, 4.0, "after");
	nr_store_close(st);
	/* the outputs, byte for byte what a fresh context gives */
	dump = nr_tdb_dump_sql(db, outputs_sql, 1);
	CHECK_STR(dump, want.buf);
	free(dump);
	nr_buf_release(&want);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM attempts"), 5);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples WHERE metric = 'lost_us'"), 0);
	st = nr_tdb_open(db);
	CHECK_OK(nr_store_samples_list(st, run_id, false, &rows, &n, NULL));
	CHECK_EQ(n, 5);
	for (i = 0; i < n; i++)
		CHECK_NEAR(rows[i].value, (double)i, 0);
	nr_sample_rows_free(rows, n);
	nr_store_close(st);
	for (k = 0; k < 4; k++)
		nr_buf_release(&texts[k]);
}

NR_TEST(store_migrates_version_1)
{
	struct nr_buf sql = NR_BUF_INIT;
	struct nr_run_rec run = { 0 };
	struct nr_sample_row *rows;
	struct nr_case_rec *cases;
	struct nr_store *st;
	sqlite3 *db;
	size_t n;

	CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture("store/v1.sql")));
	CHECK(sqlite3_open("old.db", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql.buf, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	nr_buf_release(&sql);
	st = nr_tdb_open("old.db");
	CHECK_EQ(nr_store_opened_version(st), 1);
	CHECK_OK(nr_store_run_get(st, "0190a000", &run, NULL));
	CHECK_STR(run.campaign, "old");
	CHECK_STR(run.commit, "deadbeef");
	CHECK_EQ(run.pid, 0);
	CHECK_OK(nr_store_samples_list(st, run.id, false, &rows, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_NEAR(rows[0].value, 7.0, 0);
	nr_sample_rows_free(rows, n);
	/* the new column works on the old rows */
	CHECK_OK(nr_store_cases_list(st, run.id, &cases, &n, NULL));
	CHECK(cases[0].hosts == NULL);
	free(cases[0].hosts);
	cases[0].hosts = strdup("{\"main\":\"local\"}");
	CHECK_OK(nr_store_case_update(st, &cases[0], NULL));
	nr_cases_free(cases, n);
	nr_run_rec_release(&run);
	nr_store_close(st);
	st = nr_tdb_open("old.db");
	CHECK_EQ(nr_store_opened_version(st), NR_STORE_SCHEMA_VERSION);
	nr_store_close(st);
}

NR_TEST(store_refuses_newer_and_foreign_files)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	sqlite3 *db;
	FILE *f;

	CHECK(sqlite3_open("new.db", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
			       "INSERT INTO meta VALUES ('schema_version', '99')", NULL, NULL,
			   NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(nr_store_open("new.db", &st, &d) == NR_ESCHEMA);
	CHECK_CONTAINS(d.msg, "newer");
	nr_diag_clear(&d);
	f = fopen("junk.db", "w");
	fputs("this is not a database, just some text that goes on for a while......\n", f);
	fclose(f);
	CHECK(nr_store_open("junk.db", &st, &d) == NR_ESTORE);
	CHECK_CONTAINS(d.msg, "junk.db");
	nr_diag_clear(&d);
	CHECK(nr_store_open("no/such/dir/x.db", &st, &d) == NR_ESTORE);
	CHECK_CONTAINS(d.msg, "does not exist");
	nr_diag_clear(&d);
	CHECK(sqlite3_open("other.db", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE foo (x)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(nr_store_open("other.db", &st, &d) == NR_ESTORE);
	CHECK_CONTAINS(d.msg, "not netrig's");
}

NR_STORE_TEST(store_merge_is_idempotent)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_b = nr_tdb_new(kind, "b");
	struct nr_store *a = nr_tdb_open(db_a), *b = nr_tdb_open(db_b);
	char run_a[NR_UUID_LEN + 1], run_b[NR_UUID_LEN + 1];
	char ca[2][NR_UUID_LEN + 1], cb[2][NR_UUID_LEN + 1];
	struct nr_merge_stats m;
	struct nr_run_rec *runs;
	size_t n;

	nr_tdb_make_run(a, "env-a", 2, run_a, ca);
	nr_tdb_save_attempt(a, ca[0], 1, 0, 1.0, "x");
	nr_tdb_make_run(b, "env-b", 2, run_b, cb);
	nr_tdb_save_attempt(b, cb[0], 1, 0, 2.0, "y");
	nr_tdb_save_attempt(b, cb[0], 2, 1, 3.0, "z");
	nr_store_close(b);
	{
		struct nr_diag d = { 0 };

		if (nr_store_merge(a, db_b, &m, &d) < 0)
			nr_test_fail(__FILE__, __LINE__, "merge: %s", d.msg);
	}
	CHECK_EQ(m.runs, 1);
	CHECK_EQ(m.cases, 2);
	CHECK_EQ(m.attempts, 2);
	CHECK_EQ(m.samples, 2);
	CHECK_OK(nr_store_merge(a, db_b, &m, NULL));
	CHECK_EQ(m.runs + m.cases + m.attempts + m.samples, 0);
	CHECK_OK(nr_store_runs_list(a, 0, &runs, &n, NULL));
	CHECK_EQ(n, 2);
	nr_runs_free(runs, n);
	/* the source went further: the merge brings the case forward */
	b = nr_tdb_open(db_b);
	nr_tdb_save_attempt(b, cb[1], 3, 0, 4.0, "w");
	nr_store_close(b);
	CHECK_OK(nr_store_merge(a, db_b, &m, NULL));
	CHECK_EQ(m.cases, 1);
	CHECK_EQ(m.attempts, 1);
	CHECK_EQ(m.samples, 1);
	nr_store_close(a);
}

/* Cases of a big plan: the run and every case in one transaction, or nothing. */
static int create_run_of(struct nr_store *st, size_t n, char run_id[NR_UUID_LEN + 1],
			 struct nr_diag *d)
{
	struct nr_run_rec run = { 0 };
	struct nr_case_rec *cases = nr_xcalloc(n, sizeof(*cases));
	char (*keys)[24] = nr_xcalloc(n, sizeof(*keys));
	size_t i;
	int r;

	nr_uuid_v7(run.id);
	run.campaign = "big";
	run.config = run.config_hash = "";
	run.status = NR_RUN_RUNNING;
	run.started_us = nr_wall_us();
	for (i = 0; i < n; i++) {
		nr_uuid_v7(cases[i].id);
		memcpy(cases[i].run_id, run.id, sizeof(run.id));
		cases[i].ordinal = (int64_t)i + 1;
		cases[i].test = "t";
		snprintf(keys[i], sizeof(keys[i]), "t/n=%zu", i);
		cases[i].key = keys[i];
		cases[i].repeats = 1;
	}
	r = nr_store_run_create(st, &run, NULL, 0, cases, n, d);
	memcpy(run_id, run.id, sizeof(run.id));
	free(keys);
	free(cases);
	return r;
}

/*
 * A plan of thousands of cases is one transaction however the backend
 * sends it (PostgreSQL: in several round trips); a case that fails late
 * in it leaves nothing of the run.
 */
NR_STORE_TEST(store_run_of_thousands_of_cases_is_one_transaction)
{
	const char *db = nr_tdb_new(kind, "big");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1];
	struct nr_case_rec *cases;
	struct nr_diag d = { 0 };
	size_t n;

	CHECK_OK(create_run_of(st, 3000, run_id, NULL));
	CHECK_OK(nr_store_cases_list(st, run_id, &cases, &n, NULL));
	CHECK_EQ(n, 3000);
	CHECK_STR(cases[2999].key, "t/n=2999");
	nr_cases_free(cases, n);
	/* the 2,500th case of the next run is refused: the run and its other cases go too */
	nr_tdb_exec(db, nr_tdb_is_pg(db)
			    ? "ALTER TABLE cases ADD CONSTRAINT no_2500 CHECK (key <> 't/n=2499') NOT VALID"
			    : "CREATE TRIGGER no_2500 BEFORE INSERT ON cases WHEN new.key = 't/n=2499'"
			      " BEGIN SELECT raise(abort, 'boom'); END");
	CHECK(create_run_of(st, 3000, run_id, &d) == NR_ESTORE);
	CHECK(strstr(d.msg, nr_tdb_is_pg(db) ? "no_2500" : "boom") != NULL);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"), 1);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM cases"), 3000);
	/* and the store takes the next write */
	CHECK_OK(create_run_of(st, 10, run_id, NULL));
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"), 2);
	nr_store_close(st);
}

NR_STORE_TEST(store_resumable_run)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "res"));
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	struct nr_run_rec run = { 0 };
	struct nr_diag d = { 0 };

	CHECK(nr_store_run_resumable(st, "camp", &run, &d) == NR_ENOTFOUND);
	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	CHECK_OK(nr_store_run_resumable(st, "camp", &run, NULL));
	CHECK_STR(run.id, run_id);
	run.status = NR_RUN_PASSED;
	run.finished_us = nr_wall_us();
	CHECK_OK(nr_store_run_update(st, &run, NULL));
	nr_run_rec_release(&run);
	CHECK(nr_store_run_resumable(st, "camp", &run, NULL) == NR_ENOTFOUND);
	nr_store_close(st);
}

/* Save one attempt whose sample set holds `value` as it is, past the parse layer's door. */
static int save_raw_value(struct nr_store *st, const char *case_id, double value,
			  struct nr_diag *d)
{
	struct nr_case_rec c = { 0 };
	struct nr_attempt_rec a = { 0 };
	struct nr_sample good = { "ok_us", 1.0, "us", NR_BETTER_LOWER, 1.0, "us", -1 };
	struct nr_sample bad = { "lat_us", value, "us", NR_BETTER_LOWER, value, "us", -1 };
	struct nr_sample v[2] = { good, bad };
	struct nr_sample_set set = { .v = v, .n = 2 };
	struct nr_output_in out = { .role = "main", .host = "local", .stream = "stdout",
				    .data = nr_slice_str("lat_us=?\n") };
	struct nr_role_samples rs = { "main", &set };

	snprintf(c.id, sizeof(c.id), "%s", case_id);
	c.status = NR_CASE_RUNNING;
	c.repeats_done = 1;
	c.attempts = 1;
	nr_uuid_v7(a.id);
	snprintf(a.case_id, sizeof(a.case_id), "%s", case_id);
	a.number = 1;
	a.outcome = NR_ATTEMPT_PASSED;
	a.started_us = nr_wall_us();
	a.finished_us = a.started_us + 1;
	return nr_store_attempt_save(st, &c, &a, &out, 1, &rs, 1, d);
}

NR_STORE_TEST(store_refuses_a_sample_that_is_not_finite)
{
	static const double hostile[] = { NAN, -NAN, INFINITY, -INFINITY };
	const char *db = nr_tdb_new(kind, "nf");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	size_t i;

	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	for (i = 0; i < NR_ARRAY_SIZE(hostile); i++) {
		struct nr_diag d = { 0 };

		CHECK(save_raw_value(st, cids[0], hostile[i], &d) == NR_ESTORE);
		CHECK_CONTAINS(d.msg, "lat_us");
		CHECK_CONTAINS(d.msg, "not a finite number");
	}
	/* nothing of those attempts was written, and the store still takes writes */
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM attempts"), 0);
	CHECK_OK(save_raw_value(st, cids[0], 2.5, NULL));
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 2);
	nr_store_close(st);
}

/* What older netrigs stored: infinities, and (hand-edited files) NULL; in PostgreSQL by hand. */
static void add_values_not_finite(const char *db)
{
	if (nr_tdb_is_pg(db)) {
		nr_tdb_exec(db, "INSERT INTO sample_rows SELECT attempt, seq + 10, repeat, series,"
				" 'Infinity', 'Infinity', orig_unit, interval FROM sample_rows;"
				"INSERT INTO sample_rows SELECT attempt, seq + 20, repeat, series,"
				" '-Infinity', NULL, orig_unit, interval FROM sample_rows WHERE seq < 10;"
				"INSERT INTO sample_rows SELECT attempt, seq + 30, repeat, series,"
				" 'NaN', NULL, orig_unit, interval FROM sample_rows WHERE seq < 10;");
		return;
	}
	nr_tdb_exec(db, "PRAGMA writable_schema = ON;"
			"UPDATE sqlite_master SET sql = replace(sql, 'value REAL NOT NULL', 'value REAL')"
			" WHERE name = 'sample_rows';"
			"PRAGMA writable_schema = OFF;");
	nr_tdb_exec(db, "INSERT INTO sample_rows SELECT attempt, seq + 10, repeat, series,"
			" 9e999, 9e999, orig_unit, interval FROM sample_rows;"
			"INSERT INTO sample_rows SELECT attempt, seq + 20, repeat, series,"
			" -9e999, NULL, orig_unit, interval FROM sample_rows WHERE seq < 10;"
			"INSERT INTO sample_rows SELECT attempt, seq + 30, repeat, series,"
			" NULL, NULL, orig_unit, interval FROM sample_rows WHERE seq < 10;");
}

NR_STORE_TEST(store_reads_past_values_an_old_file_holds_that_are_not_finite)
{
	const char *db = nr_tdb_new(kind, "old"), *merged = nr_tdb_new(kind, "merged");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[2][NR_UUID_LEN + 1];
	struct nr_sample_row *rows;
	struct nr_run_rec run = { 0 };
	size_t n, i;

	nr_tdb_make_run(st, "camp", 2, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 10.0, "x");
	nr_tdb_save_attempt(st, cids[0], 2, 1, 12.0, "x");
	CHECK_OK(nr_store_run_get(st, run_id, &run, NULL));
	run.status = NR_RUN_PASSED;
	run.finished_us = nr_wall_us();
	CHECK_OK(nr_store_run_update(st, &run, NULL));
	nr_run_rec_release(&run);
	nr_store_close(st);
	add_values_not_finite(db);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 8);
	st = nr_tdb_open(db);
	CHECK_OK(nr_store_samples_list(st, run_id, true, &rows, &n, NULL));
	CHECK_EQ(n, 2);
	for (i = 0; i < n; i++)
		CHECK(isfinite(rows[i].value));
	CHECK_NEAR(rows[0].value + rows[1].value, 22.0, 0);
	nr_sample_rows_free(rows, n);
	CHECK_OK(nr_store_samples_list(st, run_id, false, &rows, &n, NULL));
	CHECK_EQ(n, 2);
	nr_sample_rows_free(rows, n);
	CHECK_OK(nr_store_samples_history(st, "camp", 0, &rows, &n, NULL));
	CHECK_EQ(n, 2);
	for (i = 0; i < n; i++)
		CHECK(isfinite(rows[i].value));
	nr_sample_rows_free(rows, n);
	nr_store_close(st);
	/* a merge brings the finite values over, and only those */
	st = nr_tdb_open(merged);
	CHECK_OK(nr_store_merge(st, db, &(struct nr_merge_stats){ 0 }, NULL));
	nr_store_close(st);
	CHECK_EQ(nr_tdb_count(merged, "SELECT count(*) FROM samples"), 2);
	CHECK_EQ(nr_tdb_count(merged, "SELECT count(*) FROM samples WHERE abs(value) < 1e308"), 2);
}

/*
 * Every write path of the store against a write that fails (a trigger
 * raising an error, as a full disk or a constraint would): the call
 * returns NR_ESTORE with SQLite's message, writes nothing of what it was
 * given, never crashes or finalizes a statement twice, and leaves the
 * store taking writes again once the cause is gone.
 */
static const struct {
	const char *op, *table;
} failing_writes[] = {
	{ "INSERT", "runs" }, { "INSERT", "hosts" }, { "INSERT", "cases" }, { "UPDATE", "runs" },
	{ "UPDATE", "cases" }, { "INSERT", "attempts" }, { "INSERT", "outputs" },
	{ "INSERT", "series" }, { "INSERT", "sample_rows" }, { "INSERT", "metrics" },
	{ "INSERT", "events" },
};

/* A trigger that fails every `op` on `table` with the message "boom", or none (op NULL). */
static void boom(const char *db, const char *op, const char *table)
{
	char sql[512];

	if (nr_tdb_is_pg(db) && op)
		snprintf(sql, sizeof(sql),
			 "CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS"
			 " $$BEGIN RAISE EXCEPTION 'boom'; END$$;"
			 "CREATE TRIGGER boom BEFORE %s ON %s FOR EACH ROW EXECUTE FUNCTION boom()",
			 op, table);
	else if (op)
		snprintf(sql, sizeof(sql),
			 "CREATE TRIGGER boom BEFORE %s ON %s BEGIN SELECT raise(abort, 'boom'); END;",
			 op, table);
	else
		snprintf(sql, sizeof(sql), "DROP TRIGGER boom%s%s", nr_tdb_is_pg(db) ? " ON " : "",
			 nr_tdb_is_pg(db) ? table : "");
	nr_tdb_exec(db, sql);
}

/* One run's whole life through the store; returns how many writes failed. */
static int life_of_a_run(struct nr_store *st, const char *path)
{
	struct nr_run_rec run = { 0 };
	struct nr_host_rec host = { .name = "local", .transport = "local" };
	struct nr_case_rec c = { 0 };
	struct nr_attempt_rec a = { 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_output_in out[2] = {
		{ .role = "main", .host = "local", .stream = "stdout", .data = nr_slice_str("v=1\n") },
		{ .role = "main", .host = "local", .stream = "stderr", .data = nr_slice_str("") },
	};
	struct nr_role_samples rs = { "main", &set };
	struct nr_event_rec ev = { 0 };
	int failed = 0, r;
	long long before;

	nr_uuid_v7(run.id);
	run.campaign = "life";
	run.config = "";
	run.config_hash = "";
	run.status = NR_RUN_RUNNING;
	run.started_us = nr_wall_us();
	nr_uuid_v7(host.id);
	nr_uuid_v7(c.id);
	memcpy(c.run_id, run.id, sizeof(run.id));
	c.ordinal = 1;
	c.test = "t";
	c.key = "t";
	c.status = NR_CASE_PENDING;
	c.repeats = 1;
	nr_sample_add(&set, "v_us", 1, "us", NR_BETTER_LOWER);
#define WRITE(call)                                                            \
	do {                                                                   \
		struct nr_diag d = { 0 };                                      \
		r = (call);                                                    \
		if (r < 0) {                                                   \
			CHECK_EQ(r, NR_ESTORE);                                \
			CHECK_CONTAINS(d.msg, "boom");                         \
			failed++;                                              \
		}                                                              \
	} while (0)
	WRITE(nr_store_run_create(st, &run, &host, 1, &c, 1, &d));
	if (r < 0) { /* nothing of the run was written */
		CHECK_EQ(nr_tdb_count(path, "SELECT count(*) FROM runs WHERE campaign = 'life'"), 0);
		CHECK_EQ(nr_tdb_count(path, "SELECT count(*) FROM hosts WHERE name = 'local'"), 0);
		nr_sample_set_release(&set);
		return failed;
	}
	c.status = NR_CASE_RUNNING;
	c.started_us = nr_wall_us();
	WRITE(nr_store_case_update(st, &c, &d));
	nr_uuid_v7(a.id);
	memcpy(a.case_id, c.id, sizeof(c.id));
	a.number = 1;
	a.outcome = NR_ATTEMPT_PASSED;
	a.started_us = a.finished_us = nr_wall_us();
	c.status = NR_CASE_PASSED;
	c.repeats_done = c.attempts = 1;
	before = nr_tdb_count(path, "SELECT count(*) FROM outputs");
	WRITE(nr_store_attempt_save(st, &c, &a, out, 2, &rs, 1, &d));
	if (r < 0) { /* all of the attempt or nothing */
		CHECK_EQ(nr_tdb_count(path, "SELECT count(*) FROM attempts WHERE number = 1 AND case_id NOT IN"
					    " (SELECT id FROM cases WHERE status = 'passed')"), 0);
		CHECK_EQ(nr_tdb_count(path, "SELECT count(*) FROM outputs"), before);
	}
	nr_uuid_v7(ev.id);
	memcpy(ev.run_id, run.id, sizeof(run.id));
	ev.time_us = nr_wall_us();
	ev.kind = "health";
	ev.message = "checked";
	WRITE(nr_store_event_add(st, &ev, &d));
	run.status = NR_RUN_PASSED;
	run.finished_us = nr_wall_us();
	WRITE(nr_store_run_update(st, &run, &d));
#undef WRITE
	nr_sample_set_release(&set);
	return failed;
}

NR_STORE_TEST(store_every_write_that_fails_is_an_error_not_a_crash)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(failing_writes); i++) {
		char name[32];
		const char *db;
		struct nr_store *st;

		snprintf(name, sizeof(name), "w%zu", i);
		db = nr_tdb_new(kind, name);
		st = nr_tdb_open(db);
		boom(db, failing_writes[i].op, failing_writes[i].table);
		if (life_of_a_run(st, db) == 0)
			nr_test_fail(__FILE__, __LINE__, "no write failed with a trigger on %s %s",
				     failing_writes[i].op, failing_writes[i].table);
		boom(db, NULL, failing_writes[i].table);
		/* the same store takes a whole run again: no transaction was left open */
		CHECK_EQ(life_of_a_run(st, db), 0);
		CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs WHERE status = 'passed'"
					  " AND started_at = (SELECT max(started_at) FROM runs)"), 1);
		nr_store_close(st);
		if (i % 6 == 5)
			nr_tdb_done(); /* a test has room for 8 schemas */
	}
}

static const char *const all_tables[] = {
	"meta", "runs", "hosts", "cases", "attempts", "outputs", "samples", "metrics", "events",
};

NR_TEST(store_migrates_version_3_keeping_every_row)
{
	struct nr_buf sql = NR_BUF_INIT;
	struct nr_run_rec run = { 0 }, now = { 0 };
	struct nr_case_rec *cases;
	struct nr_output_rec *outs;
	struct nr_attempt_rec *atts;
	struct nr_sample_row *rows;
	long long before[NR_ARRAY_SIZE(all_tables)];
	char q[96], *dump_before, *dump_after;
	struct nr_store *st;
	sqlite3 *db;
	size_t n, i;

	CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture("store/v3.sql")));
	CHECK(sqlite3_open("v3.db", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql.buf, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	nr_buf_release(&sql);
	for (i = 0; i < NR_ARRAY_SIZE(all_tables); i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", all_tables[i]);
		before[i] = nr_tdb_count("v3.db", q);
		CHECK(before[i] > 0);
	}
	dump_before = nr_tdb_dump("v3.db");
	st = nr_tdb_open("v3.db");
	CHECK_EQ(nr_store_opened_version(st), 3);
	CHECK_EQ(nr_tdb_count("v3.db", "SELECT value FROM meta WHERE key = 'schema_version'"),
		 NR_STORE_SCHEMA_VERSION);
	for (i = 0; i < NR_ARRAY_SIZE(all_tables); i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", all_tables[i]);
		CHECK_EQ(nr_tdb_count("v3.db", q), before[i]);
	}
	/* every value of every row, as version 3 held it (the samples through the view) */
	dump_after = nr_tdb_dump("v3.db");
	CHECK_STR(dump_after, dump_before);
	CHECK_CONTAINS(dump_after, "|main|v|10000|us|10|ms|-1|");
	free(dump_before);
	free(dump_after);
	/* the samples in the compact tables: one series (main, v, us) for all of them */
	CHECK_EQ(nr_tdb_count("v3.db", "SELECT count(*) FROM series"), 1);
	CHECK_EQ(nr_tdb_count("v3.db", "SELECT count(*) FROM sample_rows"), before[6]);
	/* the interrupted run: the case it left 'running' is pending, its finished repeat kept */
	CHECK_OK(nr_store_run_get(st, "01a244dd-5947", &run, NULL));
	CHECK_EQ(run.status, NR_RUN_INTERRUPTED);
	CHECK(run.pid_start == NULL);
	CHECK_EQ(run.heartbeat_us, 0);
	CHECK_EQ(run.controller_state, NR_CONTROLLER_UNKNOWN);
	CHECK_EQ(run.n_pending, 2);
	CHECK_OK(nr_store_cases_list(st, run.id, &cases, &n, NULL));
	CHECK_EQ(n, 3);
	CHECK_EQ(cases[0].status, NR_CASE_PASSED);
	CHECK_STR(cases[1].key, "t/n=2");
	CHECK_EQ(cases[1].status, NR_CASE_PENDING);
	CHECK_EQ(cases[1].repeats_done, 1);
	CHECK_EQ(cases[1].attempts, 1);
	CHECK_OK(nr_store_attempts_list(st, cases[1].id, &atts, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_OK(nr_store_outputs_get(st, atts[0].id, &outs, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_STR(outs[0].data.buf, "v=20\n");
	nr_outputs_free(outs, n);
	nr_attempts_free(atts, 1);
	nr_cases_free(cases, 3);
	CHECK_OK(nr_store_samples_list(st, run.id, false, &rows, &n, NULL));
	CHECK_EQ(n, 3);
	CHECK_STR(rows[0].id.unit, "us");
	nr_sample_rows_free(rows, n);
	/* and it is resumed through the new columns */
	memcpy(now.id, run.id, sizeof(now.id));
	now.status = NR_RUN_RUNNING;
	now.controller = "here";
	now.pid = (int)getpid();
	now.pid_start = "boot:1:2";
	CHECK_OK(nr_store_run_claim(st, &run, &now, NULL));
	nr_run_rec_release(&run);
	CHECK_OK(nr_store_run_get(st, now.id, &run, NULL));
	CHECK_STR(run.pid_start, "boot:1:2");
	CHECK(run.heartbeat_us > 0);
	nr_run_rec_release(&run);
	nr_store_close(st);
	/* the finished run is as it was */
	CHECK_EQ(nr_tdb_count("v3.db", "SELECT count(*) FROM cases c JOIN runs r ON r.id = c.run_id"
				     " WHERE r.status = 'passed' AND c.status = 'passed' AND c.repeats_done = 2"), 3);
}

/*
 * Schema 8 finds a sample's case through its attempt: a version 3 file
 * (foreign keys were never on for hand edits) whose sample has no attempt,
 * or the attempt of another case, is refused by name and left as it was.
 */
NR_TEST(store_migration_refuses_samples_without_their_attempt_and_keeps_the_file)
{
	static const char *const breaks[] = {
		"UPDATE samples SET attempt_id = '01a244dd-0000-7000-8000-000000000000'"
		" WHERE seq = 0 AND repeat = 1 AND case_id = '01a244dd-58cb-7707-b1e8-c75a1f1f4f56'",
		"UPDATE samples SET case_id = '01a244dd-58cb-7f51-b13f-55abeebdfc4a'"
		" WHERE attempt_id = '01a244dd-58d9-7725-b860-b77ba44814bb'",
	};
	struct nr_buf sql = NR_BUF_INIT;
	size_t i;

	CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture("store/v3.sql")));
	for (i = 0; i < NR_ARRAY_SIZE(breaks); i++) {
		struct nr_store *st = NULL;
		struct nr_diag d = { 0 };
		char path[32], *before, *after;

		snprintf(path, sizeof(path), "broken%zu.db", i);
		nr_tdb_exec(path, sql.buf);
		nr_tdb_exec(path, breaks[i]);
		before = nr_tdb_dump(path);
		CHECK(nr_store_open(path, &st, &d) == NR_ESCHEMA);
		CHECK_CONTAINS(d.msg, "1 samples");
		CHECK_CONTAINS(d.msg, "have no attempt of their case");
		CHECK_EQ(nr_tdb_count(path, "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
		after = nr_tdb_dump(path);
		CHECK_STR(after, before);
		free(before);
		free(after);
	}
	nr_buf_release(&sql);
}

NR_STORE_TEST(store_claim_lets_exactly_one_take_a_run_over)
{
	const char *db = nr_tdb_new(kind, "c");
	struct nr_store *a = nr_tdb_open(db), *b = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	struct nr_run_rec seen_a = { 0 }, seen_b = { 0 }, now = { 0 };
	struct nr_diag d = { 0 };

	nr_tdb_make_run(a, "camp", 1, run_id, cids);
	CHECK_OK(nr_store_run_get(a, run_id, &seen_a, NULL));
	seen_a.status = NR_RUN_INTERRUPTED;
	CHECK_OK(nr_store_run_update(a, &seen_a, NULL));
	nr_run_rec_release(&seen_a);
	/* both read the run as interrupted, then both try to take it */
	CHECK_OK(nr_store_run_get(a, run_id, &seen_a, NULL));
	CHECK_OK(nr_store_run_get(b, run_id, &seen_b, NULL));
	memcpy(now.id, run_id, sizeof(now.id));
	now.status = NR_RUN_RUNNING;
	now.controller = "a";
	now.pid = 101;
	now.pid_start = "x:101:1";
	CHECK_OK(nr_store_run_claim(a, &seen_a, &now, NULL));
	now.controller = "b";
	now.pid = 202;
	now.pid_start = "x:202:1";
	CHECK(nr_store_run_claim(b, &seen_b, &now, &d) == -EBUSY);
	nr_run_rec_release(&seen_b);
	CHECK_OK(nr_store_run_get(b, run_id, &seen_b, NULL));
	CHECK_STR(seen_b.controller, "a");
	CHECK_EQ(seen_b.pid, 101);
	/* a run whose controller died: the one that read it dead takes it, once */
	nr_run_rec_release(&seen_a);
	CHECK_OK(nr_store_run_get(a, run_id, &seen_a, NULL));
	CHECK_OK(nr_store_run_claim(a, &seen_a, &now, NULL));
	CHECK(nr_store_run_claim(b, &seen_b, &now, NULL) == -EBUSY);
	nr_run_rec_release(&seen_a);
	nr_run_rec_release(&seen_b);
	nr_store_close(a);
	nr_store_close(b);
}

NR_STORE_TEST(store_short_ids_are_the_shortest_unique_prefixes)
{
	static const struct {
		const char *id, *short_id;
	} runs[] = {
		/* 8 characters where they tell the runs apart, more where they do not */
		{ "01a24492-4ff9-7000-8000-000000000001", "01a24492-4ff9-7000-8000-000000000001" },
		{ "01a24492-4ff9-7000-8000-000000000002", "01a24492-4ff9-7000-8000-000000000002" },
		{ "01a24492-4ffa-7000-8000-000000000000", "01a24492-4ffa" },
		{ "01a24492-5000-7000-8000-000000000000", "01a24492-5" },
		{ "01a24493-0000-7000-8000-000000000000", "01a24493" },
		{ "01b00000-0000-7000-8000-000000000000", "01b00000" },
	};
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "s"));
	struct nr_run_rec *list, one;
	size_t i, j, n;

	for (i = 0; i < NR_ARRAY_SIZE(runs); i++) {
		struct nr_run_rec run = { 0 };

		snprintf(run.id, sizeof(run.id), "%s", runs[i].id);
		run.campaign = "c";
		run.config = run.config_hash = "";
		run.status = NR_RUN_PASSED;
		run.started_us = (int64_t)i + 1;
		CHECK_OK(nr_store_run_create(st, &run, NULL, 0, NULL, 0, NULL));
	}
	CHECK_OK(nr_store_runs_list(st, 0, &list, &n, NULL));
	CHECK_EQ(n, NR_ARRAY_SIZE(runs));
	for (i = 0; i < n; i++) {
		for (j = 0; strcmp(runs[j].id, list[i].id); j++)
			;
		CHECK_STR(list[i].short_id, runs[j].short_id);
		/* a short id names its run and no other */
		memset(&one, 0, sizeof(one));
		CHECK_OK(nr_store_run_get(st, list[i].short_id, &one, NULL));
		CHECK_STR(one.id, list[i].id);
		CHECK_STR(one.short_id, list[i].short_id);
		nr_run_rec_release(&one);
	}
	nr_runs_free(list, n);
	nr_store_close(st);
}

NR_STORE_TEST(store_controller_writes_are_its_heartbeat)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "hb"));
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	struct nr_run_rec run = { 0 };
	struct nr_event_rec ev = { 0 };
	int64_t last;
	int k;

	nr_tdb_make_run(st, "camp", 1, run_id, cids);
	CHECK_OK(nr_store_run_get(st, run_id, &run, NULL));
	last = run.heartbeat_us;
	CHECK(last > 0);
	nr_run_rec_release(&run);
	for (k = 0; k < 3; k++) {
		usleep(2000);
		if (k == 0) { /* an event: a restart wait writes nothing else for minutes */
			nr_uuid_v7(ev.id);
			memcpy(ev.run_id, run_id, sizeof(ev.run_id));
			ev.time_us = nr_wall_us();
			ev.kind = "restart";
			ev.message = "waiting";
			CHECK_OK(nr_store_event_add(st, &ev, NULL));
		} else if (k == 1) {
			nr_tdb_save_attempt(st, cids[0], 1, 0, 1.0, "x");
		} else {
			struct nr_case_rec c = { .status = NR_CASE_RUNNING, .repeats_done = 1, .attempts = 1 };

			memcpy(c.id, cids[0], sizeof(c.id));
			CHECK_OK(nr_store_case_update(st, &c, NULL));
		}
		CHECK_OK(nr_store_run_get(st, run_id, &run, NULL));
		CHECK(run.heartbeat_us > last);
		last = run.heartbeat_us;
		nr_run_rec_release(&run);
	}
	nr_store_close(st);
}

/*
 * One attempt of 150,000 metrics, each a new series, then a second one of
 * the same: written in time (a scan of the series cache per new series
 * and three statements parsed for each made the first minutes long, past
 * the timeout), every sample under its own series.
 */
NR_STORE_TEST(store_attempt_of_many_new_series)
{
	const char *db = nr_tdb_new(kind, "many");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_role_samples rs = { "main", &set };
	struct nr_output_in out = { .role = "main", .host = "local", .stream = "stdout",
				    .data = nr_slice_str("many\n") };
	struct nr_case_rec c = { 0 };
#ifdef __SANITIZE_ADDRESS__
	size_t i, n = 20000; /* the sanitizers' run checks the memory, the plain one the time */
#else
	size_t i, n = 150000;
#endif
	int k;

	nr_tdb_make_run(st, "many", 1, run_id, cids);
	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "m%zu", i);
		nr_sample_add(&set, name, (double)i, "", NR_BETTER_NONE);
	}
	memcpy(c.id, cids[0], sizeof(c.id));
	c.status = NR_CASE_RUNNING;
	for (k = 1; k <= 2; k++) {
		struct nr_attempt_rec a = { 0 };

		c.repeats_done = c.attempts = k;
		nr_uuid_v7(a.id);
		memcpy(a.case_id, cids[0], sizeof(a.case_id));
		a.number = k;
		a.repeat = k - 1;
		a.outcome = NR_ATTEMPT_PASSED;
		a.started_us = nr_wall_us();
		a.finished_us = a.started_us + 1;
		CHECK_OK(nr_store_attempt_save(st, &c, &a, &out, 1, &rs, 1, NULL));
	}
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM series WHERE role = 'main'"), n);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM sample_rows"), 2 * n);
	/* each sample under the series of its own name: m<value> */
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM sample_rows r JOIN series s ON s.id = r.series"
				  " WHERE s.metric <> 'm' || CAST(CAST(r.value AS integer) AS text)"),
		 0);
	nr_sample_set_release(&set);
	nr_store_close(st);
}

/* One sample of the series test: role, metric, unit; its value says which sample it was. */
struct series_sample {
	const char *role, *metric, *unit;
};

/*
 * Save an attempt of the given samples (value: attempt * 100 + index),
 * the samples of a role together, as a runner's are; nan_at (when below
 * n) is not a finite number and the save must fail. Each stored sample
 * must be under its own series.
 */
static void save_series_attempt(struct nr_store *st, const char *db, const char *case_id, int k,
				const struct series_sample *v, size_t n, size_t nan_at)
{
	struct nr_sample_set sets[2] = { NR_SAMPLE_SET_INIT, NR_SAMPLE_SET_INIT };
	struct nr_role_samples rs[2] = { { "main", &sets[0] }, { "peer", &sets[1] } };
	struct nr_case_rec c = { .status = NR_CASE_RUNNING, .repeats_done = k, .attempts = k };
	struct nr_attempt_rec a = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		struct nr_sample_set *set = &sets[strcmp(v[i].role, "main") ? 1 : 0];

		nr_sample_add(set, v[i].metric, k * 100.0 + (double)i, v[i].unit, NR_BETTER_NONE);
		if (i == nan_at)
			set->v[set->n - 1].value = NAN; /* past the set's door, as a bug would be */
	}
	memcpy(c.id, case_id, sizeof(c.id));
	nr_uuid_v7(a.id);
	memcpy(a.case_id, case_id, sizeof(a.case_id));
	a.number = k;
	a.repeat = k - 1;
	a.outcome = NR_ATTEMPT_PASSED;
	a.started_us = nr_wall_us();
	a.finished_us = a.started_us + 1;
	if (nan_at < n) {
		CHECK(nr_store_attempt_save(st, &c, &a, NULL, 0, rs, 2, NULL) < 0);
	} else {
		CHECK_OK(nr_store_attempt_save(st, &c, &a, NULL, 0, rs, 2, NULL));
		for (i = 0; i < n; i++) {
			char *sql = nr_xasprintf("SELECT count(*) FROM sample_rows r JOIN series s"
						 " ON s.id = r.series WHERE r.value = %d AND s.role = '%s'"
						 " AND s.metric = '%s' AND s.unit = '%s'", k * 100 + (int)i,
						 v[i].role, v[i].metric, v[i].unit);

			if (nr_tdb_count(db, sql) != 1)
				nr_test_fail(__FILE__, __LINE__, "attempt %d: sample %zu (%s %s %s) not under"
					     " its series", k, i, v[i].role, v[i].metric, v[i].unit);
			free(sql);
		}
	}
	nr_sample_set_release(&sets[0]);
	nr_sample_set_release(&sets[1]);
}

/*
 * A handle that did not write a series finds it in the table (SQLite
 * reads the whole table at its first unknown series): a second handle's
 * samples go under the series the first made, a series another handle
 * makes after that read is found and not made twice, and a series whose
 * metric's row is gone gets the row back.
 */
NR_STORE_TEST(store_series_of_other_handles)
{
	static const struct series_sample first[] = {
		{ "main", "a", "us" }, { "main", "b", "us" }, { "peer", "a", "us" },
	}, later[] = {
		{ "main", "a", "us" }, { "main", "b", "us" }, { "peer", "a", "us" }, { "main", "z", "B" },
	};
	const char *db = nr_tdb_new(kind, "others");
	struct nr_store *st = nr_tdb_open(db), *other;
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	int k = 0;

	nr_tdb_make_run(st, "others", 1, run_id, cids);
	save_series_attempt(st, db, cids[0], ++k, first, NR_ARRAY_SIZE(first), SIZE_MAX);
	nr_store_close(st);
	nr_tdb_exec(db, "DELETE FROM metrics WHERE name = 'b'");
	st = nr_tdb_open(db);
	save_series_attempt(st, db, cids[0], ++k, first, NR_ARRAY_SIZE(first), SIZE_MAX);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM series"), 3);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM metrics WHERE name = 'b' AND unit = 'us'"), 1);
	/* z is made by another handle after st read the table */
	other = nr_tdb_open(db);
	save_series_attempt(other, db, cids[0], ++k, later, NR_ARRAY_SIZE(later), SIZE_MAX);
	nr_store_close(other);
	save_series_attempt(st, db, cids[0], ++k, later, NR_ARRAY_SIZE(later), SIZE_MAX);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM series"), 4);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM sample_rows"), 3 + 3 + 4 + 4);
	nr_store_close(st);
}

/*
 * A sample's series is found from the one after the last sample's when the
 * order repeats (store_sqlite.c): whatever the order, the roles, units
 * and names that are prefixes of others, and after a failed save rolled its
 * new series back, each sample is stored under the series of its own role,
 * metric and unit.
 */
NR_STORE_TEST(store_samples_under_their_own_series_in_any_order)
{
	static const struct series_sample first[] = {
		{ "main", "a", "us" }, { "main", "b", "us" }, { "main", "ab", "" },
		{ "peer", "a", "us" },
	}, reversed[] = {
		{ "main", "ab", "" }, { "main", "b", "us" }, { "main", "a", "us" },
		{ "peer", "a", "us" },
	}, gaps[] = {
		{ "main", "a", "us" }, { "main", "ab", "" }, { "peer", "a", "B" }, { "peer", "a", "us" },
	}, other_units[] = {
		{ "main", "a", "" }, { "main", "b", "us" }, { "main", "a", "us" }, { "peer", "b", "us" },
		{ "peer", "ab", "" },
	}, new_then_bad[] = {
		{ "main", "a", "us" }, { "main", "d", "us" }, { "main", "e", "us" },
	}, again[] = {
		{ "main", "a", "us" }, { "main", "d", "us" }, { "main", "e", "us" }, { "main", "b", "us" },
	};
	const char *db = nr_tdb_new(kind, "order");
	struct nr_store *st = nr_tdb_open(db);
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1];
	int k = 0;

	nr_tdb_make_run(st, "order", 1, run_id, cids);
	save_series_attempt(st, db, cids[0], ++k, first, NR_ARRAY_SIZE(first), SIZE_MAX);
	save_series_attempt(st, db, cids[0], ++k, first, NR_ARRAY_SIZE(first), SIZE_MAX);
	save_series_attempt(st, db, cids[0], ++k, reversed, NR_ARRAY_SIZE(reversed), SIZE_MAX);
	save_series_attempt(st, db, cids[0], ++k, gaps, NR_ARRAY_SIZE(gaps), SIZE_MAX);
	save_series_attempt(st, db, cids[0], ++k, other_units, NR_ARRAY_SIZE(other_units), SIZE_MAX);
	save_series_attempt(st, db, cids[0], ++k, first, NR_ARRAY_SIZE(first), SIZE_MAX);
	/* d is made, then e refused: the attempt and d's series are rolled back */
	save_series_attempt(st, db, cids[0], ++k, new_then_bad, NR_ARRAY_SIZE(new_then_bad), 2);
	save_series_attempt(st, db, cids[0], k, again, NR_ARRAY_SIZE(again), SIZE_MAX);
	save_series_attempt(st, db, cids[0], ++k, again, NR_ARRAY_SIZE(again), SIZE_MAX);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM series"), 10);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM sample_rows"), 4 + 4 + 4 + 4 + 5 + 4 + 4 + 4);
	nr_store_close(st);
}
