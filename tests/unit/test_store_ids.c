/*
 * Ids in SQLite files as 16-byte blobs (schema 10): the migration from 9
 * keeps every row and reference, no column takes an id as text, and ids
 * and their prefixes are text above the backend as before.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_sqlite_int.h"
#include "test.h"
#include "testdb.h"

/* Every column that holds an id, table by table (tokens.id is no UUID: text). */
static const struct {
	const char *table, *column;
	bool nullable;
} id_columns[] = {
	{ "runs", "id", false },	    { "hosts", "id", false },
	{ "hosts", "run_id", false },	    { "cases", "id", false },
	{ "cases", "run_id", false },	    { "attempts", "id", false },
	{ "attempts", "case_id", false },   { "outputs", "attempt_id", false },
	{ "events", "id", false },	    { "events", "run_id", false },
	{ "events", "case_id", true },	    { "jobs", "id", false },
	{ "jobs", "run_id", true },	    { "users", "id", false },
	{ "tokens", "user_id", false },	    { "uploads", "run_id", false },
	{ "pushes", "run_id", false },
};

/* What the dump of schema 3's tables leaves out: the queue, users, tokens, uploads, pushes. */
static const char *const more_sql[] = {
	"SELECT id, campaign, campaign_path, config, repo, repo_path, repo_commit, tests,"
	" overrides, needs, labels, requester, status, worker, lease_until, tries, failures,"
	" reasons, run_id, created_at, started_at, finished_at, repo_branch, origin,"
	" cancelled_by, reported, reported_at FROM jobs ORDER BY id",
	"SELECT id, name, created_at FROM users ORDER BY id",
	"SELECT id, user_id, scope, hash, created_at, expires_at, revoked_at FROM tokens"
	" ORDER BY id",
	"SELECT run_id, user_name, uploaded_at FROM uploads ORDER BY run_id",
	"SELECT run_id, server, url, pushed_at FROM pushes ORDER BY run_id, server",
	"SELECT attempt, seq, repeat, series, value, orig_value, orig_unit, interval"
	" FROM sample_rows ORDER BY attempt, seq",
	"SELECT id, role, metric, unit FROM series ORDER BY id",
	"SELECT a.id, a.n, a.superseded FROM attempts a ORDER BY a.id",
	/* the indexes, triggers and view by name (their SQL changes with the columns' types) */
	"SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
	" ORDER BY type, name",
};

static const char *const v9_tables[] = {
	"runs", "hosts", "cases", "attempts", "outputs", "sample_rows", "series", "metrics",
	"events", "jobs", "users", "tokens", "uploads", "pushes",
};

static char *dump_all(const char *path)
{
	char *a = nr_tdb_dump(path), *b = nr_tdb_dump_sql(path, more_sql, NR_ARRAY_SIZE(more_sql));
	struct nr_buf out = NR_BUF_INIT;

	nr_buf_adds(&out, a);
	nr_buf_adds(&out, b);
	free(a);
	free(b);
	return nr_buf_detach(&out, NULL);
}

/* The run of a campaign's id, read as text from a schema 9 file. */
static void v9_text(const char *path, const char *sql, char out[NR_UUID_LEN + 1])
{
	sqlite3 *db;
	sqlite3_stmt *s;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(s) == SQLITE_ROW);
	snprintf(out, NR_UUID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void load_v9(const char *path)
{
	struct nr_buf sql = NR_BUF_INIT;

	CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture("store/v9.sql")));
	nr_tdb_exec(path, sql.buf);
	nr_buf_release(&sql);
}

NR_TEST(store_migrates_version_9_ids_to_blobs_keeping_every_row_and_reference)
{
	long long before[NR_ARRAY_SIZE(v9_tables)], non_null[NR_ARRAY_SIZE(id_columns)];
	char run[NR_UUID_LEN + 1], job_run[NR_UUID_LEN + 1], case3[NR_UUID_LEN + 1];
	char q[256], *dump_before, *dump_after;
	struct nr_event_rec *evs;
	struct nr_case_rec *cases;
	struct nr_attempt_rec *atts;
	struct nr_run_rec got = { 0 };
	struct nr_job_rec *jobs;
	struct nr_token_rec tok = { 0 };
	struct nr_strvec unpushed = { 0 };
	struct nr_store *st;
	char *user = NULL;
	bool exists = false;
	size_t i, n;

	load_v9("v9.db");
	v9_text("v9.db", "SELECT id FROM runs WHERE campaign = 'old9'", run);
	v9_text("v9.db", "SELECT run_id FROM jobs WHERE status = 'done'", job_run);
	v9_text("v9.db", "SELECT id FROM cases WHERE key = 't/n=3'", case3);
	for (i = 0; i < NR_ARRAY_SIZE(v9_tables); i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", v9_tables[i]);
		before[i] = nr_tdb_count("v9.db", q);
		CHECK(before[i] > 0); /* the fixture has rows in every table */
	}
	for (i = 0; i < NR_ARRAY_SIZE(id_columns); i++) {
		snprintf(q, sizeof(q), "SELECT count(%s) FROM %s", id_columns[i].column,
			 id_columns[i].table);
		non_null[i] = nr_tdb_count("v9.db", q);
		CHECK(non_null[i] > 0);
	}
	CHECK_EQ(nr_tdb_count("v9.db", "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	dump_before = dump_all("v9.db");

	st = nr_tdb_open("v9.db");
	CHECK_EQ(nr_store_opened_version(st), 9);
	CHECK_EQ(nr_tdb_count("v9.db", "SELECT value FROM meta WHERE key = 'schema_version'"),
		 NR_STORE_SCHEMA_VERSION);
	/* every row, every value (an id shown as its text), every index, trigger and view */
	for (i = 0; i < NR_ARRAY_SIZE(v9_tables); i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", v9_tables[i]);
		CHECK_EQ(nr_tdb_count("v9.db", q), before[i]);
	}
	dump_after = dump_all("v9.db");
	CHECK_STR(dump_after, dump_before);
	free(dump_before);
	free(dump_after);
	/* each id a 16-byte blob, as many as before; every reference leads where it did */
	for (i = 0; i < NR_ARRAY_SIZE(id_columns); i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE typeof(%s) = 'blob'"
			 " AND length(%s) = 16", id_columns[i].table, id_columns[i].column,
			 id_columns[i].column);
		CHECK_EQ(nr_tdb_count("v9.db", q), non_null[i]);
	}
	CHECK_EQ(nr_tdb_count("v9.db", "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	CHECK_EQ(nr_tdb_count("v9.db", "SELECT count(*) FROM pragma_integrity_check"
				       " WHERE integrity_check <> 'ok'"), 0);

	/* and the store reads them as text: by a prefix, with references followed */
	memcpy(q, run, 18);
	q[18] = '\0';
	CHECK_OK(nr_store_run_get(st, q, &got, NULL));
	CHECK_STR(got.id, run);
	CHECK_EQ(got.n_cases, 3);
	CHECK_OK(nr_store_cases_list(st, run, &cases, &n, NULL));
	CHECK_EQ(n, 3);
	CHECK_STR(cases[2].id, case3);
	CHECK_STR(cases[2].run_id, run);
	CHECK_OK(nr_store_attempts_list(st, cases[0].id, &atts, &n, NULL));
	CHECK_EQ(n, 4); /* two superseded by --rerun, two again */
	CHECK_STR(atts[0].case_id, cases[0].id);
	nr_attempts_free(atts, n);
	nr_cases_free(cases, 3);
	CHECK_OK(nr_store_events_list(st, NULL, case3, &evs, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_STR(evs[0].run_id, run);
	CHECK_STR(evs[0].case_id, case3);
	nr_events_free(evs, n);
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_DONE, 0, &jobs, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_STR(jobs[0].run_id, job_run);
	nr_jobs_free(jobs, n);
	CHECK_OK(nr_store_token_get(st, "68b4242bd22582a7", &tok, NULL));
	CHECK_STR(tok.user, "alice");
	nr_token_rec_release(&tok);
	CHECK_OK(nr_store_upload_owner(st, job_run, &exists, &user, NULL));
	CHECK(exists);
	CHECK_STR(user, "alice");
	free(user);
	CHECK_OK(nr_store_runs_unpushed(st, "https://results.example", &unpushed, NULL));
	CHECK_EQ(unpushed.n, 1);
	CHECK_STR(unpushed.v[0], job_run);
	nr_strvec_clear(&unpushed);
	nr_run_rec_release(&got);
	nr_store_close(st);
}

/*
 * A schema 9 file with an id that is no id (a hand edit) is refused by
 * name and left as it was: uuid_blob fails rather than turn the
 * reference into NULL.
 */
NR_TEST(store_migration_to_blob_ids_refuses_an_id_that_is_not_one_and_keeps_the_file)
{
	char *before, *after;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };

	load_v9("bad.db");
	nr_tdb_exec("bad.db", "UPDATE events SET case_id = 'not-a-case' WHERE kind = 'health'");
	before = nr_tdb_dump("bad.db");
	CHECK(nr_store_open("bad.db", &st, &d) < 0);
	CHECK_CONTAINS(d.msg, "'not-a-case' is not an id");
	CHECK_CONTAINS(d.msg, "migrating from schema version 9");
	CHECK_EQ(nr_tdb_count("bad.db", "SELECT value FROM meta WHERE key = 'schema_version'"), 9);
	after = nr_tdb_dump("bad.db");
	CHECK_STR(after, before);
	free(before);
	free(after);
}

/*
 * The class, not one site: every column of a new file named id or *_id
 * (but tokens.id) is declared UUID with the CHECK, and each refuses the
 * text of an id, the mistake a site that binds an id as text would make.
 */
NR_TEST(store_every_id_column_refuses_an_id_as_text)
{
	static const char *const writes[] = {
		"INSERT INTO runs (id, campaign, config, config_hash, status, started_at)"
		" VALUES ('01a24492-4ff9-7000-8000-000000000001', 'c', '', '', 'passed', 1)",
		"UPDATE hosts SET run_id = lower(hex(run_id))",
		"UPDATE cases SET run_id = '01a24492-4ff9-7000-8000-000000000001'",
		"UPDATE attempts SET case_id = substr(case_id, 1, 15)",
		"INSERT INTO events (id, run_id, time, kind, message) SELECT"
		" '01a24492-4ff9-7000-8000-000000000009', id, 1, 'k', 'm' FROM runs",
		"INSERT INTO events (id, run_id, case_id, time, kind, message) SELECT"
		" randomblob(16), id, '', 1, 'k', 'm' FROM runs",
		"INSERT INTO users (id, name, created_at) VALUES (x'01', 'u', 1)",
	};
	struct nr_store *st = nr_tdb_open("cls.db");
	char run_id[NR_UUID_LEN + 1], cids[2][NR_UUID_LEN + 1];
	sqlite3 *db;
	size_t i, n_id = 0;
	sqlite3_stmt *s;

	nr_tdb_make_run(st, "c", 2, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 5.0, "x");
	nr_store_close(st);
	CHECK(sqlite3_open("cls.db", &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT m.name, p.name, p.type, m.sql FROM sqlite_master m,"
				 " pragma_table_info(m.name) p WHERE m.type = 'table'"
				 " ORDER BY 1, 2", -1, &s, NULL) == SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(s, 0);
		const char *col = (const char *)sqlite3_column_text(s, 1);
		const char *type = (const char *)sqlite3_column_text(s, 2);
		const char *sql = (const char *)sqlite3_column_text(s, 3);
		size_t len = strlen(col);
		bool named_id = !strcmp(col, "id") || (len > 3 && !strcmp(col + len - 3, "_id"));
		char want[160];

		/* series.id is an integer key; tokens.id a token's own hex */
		if (!strcmp(table, "series") || (!strcmp(table, "tokens") && !strcmp(col, "id")))
			named_id = false;
		if (named_id != !strcmp(type, "UUID"))
			nr_test_fail(__FILE__, __LINE__, "%s.%s is declared %s", table, col, type);
		if (!named_id)
			continue;
		snprintf(want, sizeof(want), "%s UUID CHECK (%s IS NULL OR typeof(%s) = 'blob'"
			 " AND length(%s) = 16)", col, col, col, col);
		if (!strstr(sql, want))
			nr_test_fail(__FILE__, __LINE__, "%s.%s has no CHECK: %s", table, col, sql);
		n_id++;
	}
	sqlite3_finalize(s);
	CHECK_EQ(n_id, NR_ARRAY_SIZE(id_columns));
	for (i = 0; i < NR_ARRAY_SIZE(writes); i++) {
		int rc = sqlite3_exec(db, writes[i], NULL, NULL, NULL);

		if (rc != SQLITE_CONSTRAINT)
			nr_test_fail(__FILE__, __LINE__, "%s: %d, not refused", writes[i], rc);
		CHECK_CONTAINS(sqlite3_errmsg(db), "CHECK constraint failed");
	}
	sqlite3_close(db);
}

/* Run, case and attempt ids by prefix as before: either case, any length, dashes in place. */
NR_STORE_TEST(store_id_prefixes_match_as_the_text_did)
{
	static const char *const ids[] = {
		"01a24492-4ff9-7000-8000-000000000001",
		"01a24492-4ffa-7000-8000-000000000000",
		"01b00000-0000-7000-8000-00000000ffff",
	};
	static const struct {
		const char *prefix;
		int found; /* index into ids, -1 none, -2 ambiguous */
	} cases[] = {
		{ "01b", 2 },  { "01B0", 2 },	      { "01a24492-4ffa", 1 }, { "01a24492-4FF9-7", 0 },
		{ "01a2", -2 }, { "01a24492-4ff", -2 }, { "01a244924ffa", -1 }, { "01a24492--", -1 },
		{ "0g", -1 },	{ "01c", -1 },	      { "01b00000-0000-7000-8000-00000000ffff", 2 },
		{ "01b00000-0000-7000-8000-00000000ffff0", -1 },
	};
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "pre"));
	char case_id[NR_UUID_LEN + 1], att_id[NR_UUID_LEN + 1], found[NR_UUID_LEN + 1];
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1], prefix[NR_UUID_LEN + 1];
	struct nr_run_rec got = { 0 };
	struct nr_attempt_rec *atts;
	size_t i, n;

	for (i = 0; i < NR_ARRAY_SIZE(ids); i++) {
		struct nr_run_rec run = { 0 };

		snprintf(run.id, sizeof(run.id), "%s", ids[i]);
		run.campaign = "c";
		run.config = run.config_hash = "";
		run.status = NR_RUN_PASSED;
		run.started_us = (int64_t)i + 1;
		CHECK_OK(nr_store_run_create(st, &run, NULL, 0, NULL, 0, NULL));
	}
	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		struct nr_diag d = { 0 };
		int r = nr_store_run_get(st, cases[i].prefix, &got, &d);

		if (cases[i].found >= 0) {
			if (r != 0)
				nr_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].prefix, d.msg);
			CHECK_STR(got.id, ids[cases[i].found]);
			nr_run_rec_release(&got);
		} else if (r != (cases[i].found == -2 ? NR_EAMBIGUOUS : NR_ENOTFOUND)) {
			nr_test_fail(__FILE__, __LINE__, "%s: %d (%s)", cases[i].prefix, r, d.msg);
		}
	}
	/* an attempt and a case by the start of their ids */
	nr_tdb_make_run(st, "c", 1, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 5.0, "x");
	CHECK_OK(nr_store_attempts_list(st, cids[0], &atts, &n, NULL));
	CHECK_EQ(n, 1);
	memcpy(att_id, atts[0].id, sizeof(att_id));
	nr_attempts_free(atts, n);
	memcpy(prefix, att_id, 28);
	prefix[28] = '\0';
	CHECK_OK(nr_store_locate(st, prefix, run_id, case_id, found, NULL));
	CHECK_STR(case_id, cids[0]);
	CHECK_STR(found, att_id);
	memcpy(prefix, cids[0], 30);
	prefix[30] = '\0';
	CHECK_OK(nr_store_locate(st, prefix, run_id, case_id, found, NULL));
	CHECK_STR(case_id, cids[0]);
	CHECK_STR(found, "");
	nr_store_close(st);
}

/* report --query: an id column reads as its text; uuid_str and uuid_blob convert */
NR_TEST(store_query_shows_ids_as_text_and_converts_them)
{
	struct nr_store *st = nr_tdb_open("q.db");
	char run_id[NR_UUID_LEN + 1], cids[1][NR_UUID_LEN + 1], sql[256];
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };

	nr_tdb_make_run(st, "c", 1, run_id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 5.0, "x");
	CHECK_OK(nr_store_query_json(st, "SELECT r.id, c.run_id, s.case_id, s.attempt_id"
				     " FROM runs r JOIN cases c ON c.run_id = r.id"
				     " JOIN samples s ON s.case_id = c.id", 10, &out, NULL));
	CHECK_CONTAINS(out.buf, run_id);
	CHECK_CONTAINS(out.buf, cids[0]);
	CHECK(strstr(out.buf, "\"attempt_id\": 16") == NULL);
	nr_buf_reset(&out);
	snprintf(sql, sizeof(sql), "SELECT uuid_str(min(id)) AS id, hex(id) AS h FROM runs"
		 " WHERE id = uuid_blob('%s')", run_id);
	CHECK_OK(nr_store_query_json(st, sql, 10, &out, NULL));
	CHECK_CONTAINS(out.buf, run_id);
	nr_buf_reset(&out);
	CHECK(nr_store_query_json(st, "SELECT * FROM runs WHERE id = uuid_blob('01a2')", 10, &out,
				  &d) < 0);
	CHECK_CONTAINS(d.msg, "is not an id");
	nr_buf_release(&out);
	nr_store_close(st);
}

/*
 * A new file is made at schema 10 at once (nr__sqlite_schema_10), not by
 * the chain of migrations: it must be the schema the chain makes of an
 * old file, table for table, index for index, text for text.
 */
NR_TEST(store_new_file_has_the_schema_that_migrations_make)
{
	static const char *const fixtures[] = { "store/v1.sql", "store/v3.sql", "store/v9.sql" };
	static const char *const schema_sql[] = {
		"SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
	};
	char *fresh, *migrated, path[32];
	size_t i;

	nr_store_close(nr_tdb_open("fresh.db"));
	fresh = nr_tdb_dump_sql("fresh.db", schema_sql, 1);
	CHECK_CONTAINS(fresh, "CREATE TABLE runs (id UUID CHECK");
	for (i = 0; i < NR_ARRAY_SIZE(fixtures); i++) {
		struct nr_buf sql = NR_BUF_INIT;

		snprintf(path, sizeof(path), "old%zu.db", i);
		CHECK_OK(nr_buf_read_file(&sql, nr_test_fixture(fixtures[i])));
		nr_tdb_exec(path, sql.buf);
		nr_buf_release(&sql);
		nr_store_close(nr_tdb_open(path));
		migrated = nr_tdb_dump_sql(path, schema_sql, 1);
		CHECK_STR(migrated, fresh);
		free(migrated);
	}
	free(fresh);
}

/*
 * Two netrigs open one old (or new) file at once: both read its version,
 * one migrates it under the write lock, and the other, its version read
 * before, must start from what the file is now (before: schema 8's
 * ALTERs again, "duplicate column"; a new file's tables made twice).
 */
NR_TEST(store_migration_starts_from_the_version_under_the_write_lock)
{
	static const int stale[] = { 0, 3, 8, 9 };
	struct nr_diag d = { 0 };
	char *before, *after;
	sqlite3 *db = NULL;
	size_t i;

	load_v9("race.db");
	nr_store_close(nr_tdb_open("race.db"));
	before = dump_all("race.db");
	for (i = 0; i < NR_ARRAY_SIZE(stale); i++) {
		CHECK_OK(nr__store_sqlite_open_db("race.db", SQLITE_OPEN_READWRITE, &db, &d));
		if (nr__store_sqlite_migrate(db, stale[i], &d) < 0)
			nr_test_fail(__FILE__, __LINE__, "from %d read before: %s", stale[i], d.msg);
		sqlite3_close(db);
	}
	after = dump_all("race.db");
	CHECK_STR(after, before);
	free(before);
	free(after);
	/* and one newer than this netrig is refused, whatever was read before */
	nr_tdb_exec("race.db", "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	CHECK_OK(nr__store_sqlite_open_db("race.db", SQLITE_OPEN_READWRITE, &db, &d));
	CHECK(nr__store_sqlite_migrate(db, 9, &d) == NR_ESCHEMA);
	CHECK_CONTAINS(d.msg, "newer than this netrig");
	sqlite3_close(db);
}
