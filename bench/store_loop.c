/*
 * The yardstick of bench/store-ingest.sh (issue 15): the samples a run of
 * ATTEMPTS attempts of METRICS samples each stores, written by a plain
 * loop of prepared statements into the same schema, as fast as the
 * database takes them, with no netrig code in between. Per attempt, as
 * `netrig run` does: one transaction, the attempt's row, then its samples
 * (sample_rows; the series, (main, mI, ''), known beforehand). What `netrig run` adds on top
 * (the command, parsing, raw output, the case's state) is then the gap
 * between the two rates.
 *
 *   store-loop sqlite FILE ATTEMPTS METRICS
 *   store-loop pg URL ATTEMPTS METRICS
 *   store-loop api FILE|URL ATTEMPTS METRICS
 *
 * api: the same attempts through netrig's store interface
 * (nr_store_attempt_save with one stdout of the size `netrig run` keeps),
 * the run path's store part without the command: run minus api is the
 * runner's, api minus loop the store's.
 *
 * FILE or URL: a netrig database at schema 10 (netrig makes it); the loop
 * adds a run and a case of its own. The sqlite and pg loops call sqlite3
 * and libpq only. SQLite as netrig opens it (WAL,
 * synchronous NORMAL, foreign keys on); PostgreSQL in pipeline mode (a
 * round trip per attempt, not per row). Prints "SECONDS SAMPLES
 * COMMITTED": SECONDS the attempts' loop and the close after it (SQLite's
 * checkpoint of its log into the file, which `netrig run` pays at its end
 * too), COMMITTED the loop alone, its clock stopped at its last COMMIT.
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/rand.h"
#include "store/store.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A UUID-shaped id, unique within this loop: kind (1 run, 2 case, 3 attempt) and a number. */
static void make_id(char out[37], unsigned kind, unsigned long long k)
{
	unsigned long long t = (unsigned long long)time(NULL);

	snprintf(out, 37, "%08llx-%04x-7000-8000-%012llx", t & 0xffffffffULL, kind & 0xffffU,
		 k & 0xffffffffffffULL);
}

/*
 * The 16 bytes of such an id, as an SQLite file of schema 10 keeps it
 * (a blob; netrig binds ids so), and its 32 hex digits for an x'' literal.
 */
static void id_blob(const char *id, unsigned char out[16], char hex[33])
{
	size_t i, o = 0;

	for (i = 0; id[i] && o < 32; i++)
		if (id[i] != '-')
			hex[o++] = id[i];
	hex[o] = '\0';
	for (i = 0; i < 16; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		out[i] = (unsigned char)strtoul(byte, NULL, 16);
	}
}

static void die_sqlite(sqlite3 *db, const char *what)
{
	fprintf(stderr, "store-loop: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec_sqlite(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die_sqlite(db, sql);
}

static int loop_sqlite(const char *path, long attempts, long metrics)
{
	sqlite3 *db;
	sqlite3_stmt *att, *get_n, *smp, *ser;
	char run_id[37], case_id[37], id[37], name[32], run_hex[33], case_hex[33], hex[33];
	unsigned char run_b[16], case_b[16], id_b[16];
	long *series = calloc((size_t)metrics, sizeof(*series)), a, m;
	double t0, t1, t_committed;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die_sqlite(db, path);
	sqlite3_busy_timeout(db, 10000);
	exec_sqlite(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			"PRAGMA foreign_keys = ON");
	make_id(run_id, 1, 1);
	make_id(case_id, 2, 1);
	id_blob(run_id, run_b, run_hex);
	id_blob(case_id, case_b, case_hex);
	exec_sqlite(db, "BEGIN IMMEDIATE");
	{
		char *sql = sqlite3_mprintf(
			"INSERT INTO runs (id, campaign, config, config_hash, status, started_at)"
			" VALUES (x'%s', 'store-loop', '', '', 'passed', 1);"
			"INSERT INTO cases (id, run_id, ordinal, test, key, params, status, repeats)"
			" VALUES (x'%s', x'%s', 1, 'loop', 'loop/%s', '{}', 'passed', %ld)",
			run_hex, case_hex, run_hex, run_id, attempts);

		exec_sqlite(db, sql);
		sqlite3_free(sql);
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO series (role, metric, unit) VALUES ('main', ?1, '')"
				   " ON CONFLICT DO UPDATE SET unit = unit RETURNING id",
			       -1, &ser, NULL) != SQLITE_OK)
		die_sqlite(db, "prepare series");
	for (m = 0; m < metrics; m++) {
		snprintf(name, sizeof(name), "m%ld", m);
		sqlite3_reset(ser);
		sqlite3_bind_text(ser, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ser) != SQLITE_ROW)
			die_sqlite(db, "series");
		series[m] = (long)sqlite3_column_int64(ser, 0);
		sqlite3_step(ser);
	}
	sqlite3_finalize(ser);
	exec_sqlite(db, "COMMIT");
	if (sqlite3_prepare_v2(db, "INSERT INTO attempts (id, case_id, number, repeat, outcome,"
				   " exit_code, signal, started_at, finished_at)"
				   " VALUES (?, ?, ?, ?, 'passed', 0, 0, 1, 2)", -1, &att, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT n FROM attempts WHERE id = ?", -1, &get_n, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO sample_rows (attempt, seq, repeat, series, value,"
				   " orig_value, orig_unit, interval)"
				   " VALUES (?, ?, ?, ?, ?, NULL, NULL, -1)", -1, &smp, NULL))
		die_sqlite(db, "prepare");
	t0 = now();
	for (a = 0; a < attempts; a++) {
		long long n;

		make_id(id, 3, (unsigned long long)a + 1);
		id_blob(id, id_b, hex);
		exec_sqlite(db, "BEGIN IMMEDIATE");
		sqlite3_reset(att);
		sqlite3_bind_blob(att, 1, id_b, 16, SQLITE_STATIC);
		sqlite3_bind_blob(att, 2, case_b, 16, SQLITE_STATIC);
		sqlite3_bind_int64(att, 3, a + 1);
		sqlite3_bind_int64(att, 4, a);
		if (sqlite3_step(att) != SQLITE_DONE)
			die_sqlite(db, "attempt");
		sqlite3_reset(get_n);
		sqlite3_bind_blob(get_n, 1, id_b, 16, SQLITE_STATIC);
		if (sqlite3_step(get_n) != SQLITE_ROW)
			die_sqlite(db, "attempt's n");
		n = sqlite3_column_int64(get_n, 0);
		for (m = 0; m < metrics; m++) {
			sqlite3_reset(smp);
			sqlite3_bind_int64(smp, 1, n);
			sqlite3_bind_int64(smp, 2, m);
			sqlite3_bind_int64(smp, 3, a);
			sqlite3_bind_int64(smp, 4, series[m]);
			sqlite3_bind_double(smp, 5, (double)m + 0.5);
			if (sqlite3_step(smp) != SQLITE_DONE)
				die_sqlite(db, "sample");
		}
		exec_sqlite(db, "COMMIT");
	}
	sqlite3_finalize(att);
	sqlite3_finalize(get_n);
	t_committed = now();
	sqlite3_finalize(smp);
	/* timed too: the close checkpoints the log into the file, as `netrig run`'s does */
	sqlite3_close(db);
	t1 = now();
	free(series);
	printf("%.6f %ld %.6f\n", t1 - t0, attempts * metrics, t_committed - t0);
	return 0;
}

static PGresult *pg_ok(PGconn *c, PGresult *res, const char *what)
{
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_SYNC) {
		fprintf(stderr, "store-loop: %s: %s\n", what, PQerrorMessage(c));
		exit(1);
	}
	return res;
}

static void pg_exec(PGconn *c, const char *sql)
{
	PQclear(pg_ok(c, PQexec(c, sql), sql));
}

static int loop_pg(const char *url, long attempts, long metrics)
{
	PGconn *c = PQconnectdb(url);
	char run_id[37], case_id[37], id[37], sql[1024], num[3][32];
	long *series = calloc((size_t)metrics, sizeof(*series)), a, m;
	PGresult *res;
	double t0, t1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "store-loop: %s", PQerrorMessage(c));
		return 1;
	}
	make_id(run_id, 1, 1);
	make_id(case_id, 2, 1);
	snprintf(sql, sizeof(sql),
		 "BEGIN; INSERT INTO runs (id, campaign, config, config_hash, status, started_at)"
		 " VALUES ('%s', 'store-loop', '', '', 'passed', 1);"
		 "INSERT INTO cases (id, run_id, ordinal, test, key, params, status, repeats)"
		 " VALUES ('%s', '%s', 1, 'loop', 'loop/%s', '{}', 'passed', %ld);"
		 "INSERT INTO series (role, metric, unit)"
		 " SELECT 'main', 'm' || i, '' FROM generate_series(0, %ld) i ON CONFLICT DO NOTHING;"
		 "COMMIT",
		 run_id, case_id, run_id, run_id, attempts, metrics - 1);
	pg_exec(c, sql);
	snprintf(sql, sizeof(sql), "SELECT id FROM series WHERE role = 'main' AND unit = ''"
		 " AND metric IN (SELECT 'm' || i FROM generate_series(0, %ld) i)"
		 " ORDER BY substr(metric, 2)::integer", metrics - 1);
	res = pg_ok(c, PQexec(c, sql), "series");
	for (m = 0; m < metrics && m < PQntuples(res); m++)
		series[m] = strtol(PQgetvalue(res, (int)m, 0), NULL, 10);
	PQclear(res);
	PQclear(pg_ok(c, PQprepare(c, "att", "INSERT INTO attempts (id, case_id, number, repeat,"
					  " outcome, exit_code, signal, started_at, finished_at)"
					  " VALUES ($1, $2, $3, $3 - 1, 'passed', 0, 0, 1, 2)"
					  " RETURNING n", 3, NULL), "prepare"));
	PQclear(pg_ok(c, PQprepare(c, "smp", "INSERT INTO sample_rows (attempt, seq, repeat,"
					  " series, value, orig_value, orig_unit, interval)"
					  " VALUES ($1, $2, $3, $4, $5, NULL, NULL, -1)", 5, NULL),
		      "prepare"));
	t0 = now();
	for (a = 0; a < attempts; a++) {
		const char *v[5];
		char n[32], ser[32], val[32], seq[32];

		make_id(id, 3, (unsigned long long)a + 1);
		snprintf(num[0], sizeof(num[0]), "%ld", a + 1);
		pg_exec(c, "BEGIN");
		v[0] = id;
		v[1] = case_id;
		v[2] = num[0];
		res = pg_ok(c, PQexecPrepared(c, "att", 3, v, NULL, NULL, 0), "attempt");
		snprintf(n, sizeof(n), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		/* the samples and the commit in one round trip */
		PQenterPipelineMode(c);
		snprintf(num[1], sizeof(num[1]), "%ld", a);
		for (m = 0; m < metrics; m++) {
			snprintf(seq, sizeof(seq), "%ld", m);
			snprintf(ser, sizeof(ser), "%ld", series[m]);
			snprintf(val, sizeof(val), "%ld.5", m);
			v[0] = n;
			v[1] = seq;
			v[2] = num[1];
			v[3] = ser;
			v[4] = val;
			if (!PQsendQueryPrepared(c, "smp", 5, v, NULL, NULL, 0))
				pg_ok(c, NULL, "send");
		}
		PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
		PQpipelineSync(c);
		for (m = 0; m < metrics + 1; m++) {
			pg_ok(c, res = PQgetResult(c), "sample");
			PQclear(res);
			PQclear(PQgetResult(c)); /* the NULL that ends each query's results */
		}
		PQclear(pg_ok(c, PQgetResult(c), "sync"));
		PQexitPipelineMode(c);
	}
	PQfinish(c); /* timed, as the sqlite loop's close */
	t1 = now();
	free(series);
	printf("%.6f %ld\n", t1 - t0, attempts * metrics);
	return 0;
}

static int loop_api(const char *location, long attempts, long metrics)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	struct nr_run_rec run = { 0 };
	struct nr_case_rec c = { 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_role_samples rs = { "main", &set };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_output_in o = { .role = "main", .host = "local", .stream = "stdout" };
	char name[32];
	double t0, t1;
	long a, m;

	nr_mem_keep_freed();
	if (nr_store_open(location, &st, &d) < 0) {
		fprintf(stderr, "store-loop: %s\n", d.msg);
		return 1;
	}
	for (m = 0; m < metrics; m++) {
		snprintf(name, sizeof(name), "m%ld", m);
		nr_sample_add(&set, name, (double)m + 0.5, "", NR_BETTER_NONE);
		nr_buf_addf(&out, "%s=%ld.5\n", name, m);
	}
	o.data = nr_slice_of(out.buf, out.len);
	nr_uuid_v7(run.id);
	run.campaign = "store-loop";
	run.config = run.config_hash = "";
	run.status = NR_RUN_RUNNING;
	run.started_us = nr_wall_us();
	nr_uuid_v7(c.id);
	memcpy(c.run_id, run.id, sizeof(run.id));
	c.ordinal = 1;
	c.test = "loop";
	c.key = "loop/api";
	c.status = NR_CASE_RUNNING;
	c.repeats = (int)attempts;
	if (nr_store_run_create(st, &run, NULL, 0, &c, 1, &d) < 0) {
		fprintf(stderr, "store-loop: %s\n", d.msg);
		return 1;
	}
	t0 = now();
	for (a = 0; a < attempts; a++) {
		struct nr_attempt_rec at = { 0 };

		nr_uuid_v7(at.id);
		memcpy(at.case_id, c.id, sizeof(c.id));
		at.number = (int)a + 1;
		at.repeat = (int)a;
		at.outcome = NR_ATTEMPT_PASSED;
		at.started_us = at.finished_us = nr_wall_us();
		c.repeats_done = c.attempts = (int)a + 1;
		if (nr_store_attempt_save(st, &c, &at, &o, 1, &rs, 1, &d) < 0) {
			fprintf(stderr, "store-loop: %s\n", d.msg);
			return 1;
		}
	}
	nr_store_close(st); /* timed, as the sqlite loop's close */
	t1 = now();
	nr_sample_set_release(&set);
	nr_buf_release(&out);
	printf("%.6f %ld\n", t1 - t0, attempts * metrics);
	return 0;
}

int main(int argc, char **argv)
{
	long attempts, metrics;

	if (argc != 5 || (strcmp(argv[1], "sqlite") && strcmp(argv[1], "pg") &&
			  strcmp(argv[1], "api"))) {
		fprintf(stderr, "usage: store-loop sqlite|pg|api FILE|URL ATTEMPTS METRICS\n");
		return 2;
	}
	attempts = strtol(argv[3], NULL, 10);
	metrics = strtol(argv[4], NULL, 10);
	if (attempts < 1 || metrics < 1) {
		fprintf(stderr, "store-loop: ATTEMPTS and METRICS are positive numbers\n");
		return 2;
	}
	if (!strcmp(argv[1], "api"))
		return loop_api(argv[2], attempts, metrics);
	return !strcmp(argv[1], "sqlite") ? loop_sqlite(argv[2], attempts, metrics)
					  : loop_pg(argv[2], attempts, metrics);
}
