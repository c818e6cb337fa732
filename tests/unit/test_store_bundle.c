/* Bundles (netrig push -> serve), users and tokens, on both backends; base64. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

NR_TEST(base64_rfc4648_vectors)
{
	/* RFC 4648, section 10 */
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					     "Zm9vYmFy" };
	static const char *const bad[] = { "Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm 9v" };
	struct nr_buf b = NR_BUF_INIT;
	size_t i;

	for (i = 0; i < 7; i++) {
		nr_buf_reset(&b);
		nr_base64_encode(&b, plain[i], strlen(plain[i]));
		CHECK_STR(b.buf, coded[i]);
		nr_buf_reset(&b);
		CHECK_OK(nr_base64_decode(&b, coded[i], strlen(coded[i])));
		CHECK_EQ(b.len, strlen(plain[i]));
		CHECK(!memcmp(b.buf, plain[i], b.len));
	}
	for (i = 0; i < NR_ARRAY_SIZE(bad); i++) {
		nr_buf_reset(&b);
		CHECK_EQ(nr_base64_decode(&b, bad[i], strlen(bad[i])), NR_EPARSE);
	}
	/* every byte value through and back */
	{
		unsigned char all[256];
		struct nr_buf back = NR_BUF_INIT;

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		nr_buf_reset(&b);
		nr_base64_encode(&b, all, sizeof(all));
		CHECK_OK(nr_base64_decode(&back, b.buf, b.len));
		CHECK_EQ(back.len, 256);
		CHECK(!memcmp(back.buf, all, 256));
		nr_buf_release(&back);
	}
	nr_buf_release(&b);
}

static void import_ok(struct nr_store *st, const struct nr_buf *bundle, const char *user,
		      struct nr_bundle_result *res)
{
	struct nr_diag d = { 0 };

	if (nr_store_bundle_import(st, nr_slice_of(bundle->buf, bundle->len), 64, user, res, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "import: %s", d.msg);
}

NR_STORE_TEST(store_bundle_round_trip_is_a_merge)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *a = nr_tdb_open(db_a), *s = nr_tdb_open(db_s);
	char run_a[NR_UUID_LEN + 1], ca[3][NR_UUID_LEN + 1], run_b[NR_UUID_LEN + 1];
	char cb[1][NR_UUID_LEN + 1];
	struct nr_buf bundle = NR_BUF_INIT;
	struct nr_bundle_result res;
	struct nr_output_rec *outs;
	struct nr_attempt_rec *atts;
	struct nr_diag d = { 0 };
	size_t n;

	nr_tdb_make_run(a, "camp", 3, run_a, ca);
	nr_tdb_save_attempt(a, ca[0], 1, 0, 1.5, "raw \xff bytes");
	nr_tdb_save_attempt(a, ca[1], 1, 0, 2.5, "y");
	/* a second run in the same store: not in the first's bundle */
	nr_tdb_make_run(a, "other", 1, run_b, cb);
	nr_tdb_save_attempt(a, cb[0], 1, 0, 9.0, "z");
	CHECK_OK(nr_store_bundle_export(a, run_a, true, &bundle, NULL));
	CHECK_CONTAINS(bundle.buf, "\"format\":\"netrig.bundle/1\"");
	/* the columns of schema 7: netrigs of schema 7 and 8 take each other's bundles */
	CHECK_CONTAINS(bundle.buf, "\"schema\":7,");
	CHECK_CONTAINS(bundle.buf, "\"samples\":{\"columns\":\"attempt_id, seq, case_id, repeat,"
				   " role, metric, value, unit, orig_value, orig_unit, interval\"");
	CHECK(!strstr(bundle.buf, run_b));
	import_ok(s, &bundle, "alice", &res);
	CHECK_STR(res.run_id, run_a);
	CHECK_EQ(res.added.runs, 1);
	CHECK_EQ(res.added.cases, 3);
	CHECK_EQ(res.added.attempts, 2);
	CHECK_EQ(res.added.samples, 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 1);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM uploads WHERE user_name = 'alice'"), 1);
	/* raw output came along, byte for byte */
	CHECK_OK(nr_store_attempts_list(s, ca[0], &atts, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_OK(nr_store_outputs_get(s, atts[0].id, &outs, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_STR(outs[0].data.buf, "raw \xff bytes");
	nr_outputs_free(outs, n);
	nr_attempts_free(atts, 1);
	/* the same bundle again adds nothing */
	import_ok(s, &bundle, "alice", &res);
	CHECK_EQ(res.added.runs + res.added.cases + res.added.attempts + res.added.samples, 0);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 2);
	/* another user may not add to alice's run */
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_of(bundle.buf, bundle.len), 64, "mallory",
					&res, &d), -EPERM);
	/* without outputs: none in the bundle */
	nr_buf_reset(&bundle);
	CHECK_OK(nr_store_bundle_export(a, run_a, false, &bundle, NULL));
	CHECK(!strstr(bundle.buf, "\"outputs\""));
	nr_buf_release(&bundle);
	nr_store_close(a);
	nr_store_close(s);
}

/* A trigger that refuses every sample (as a full disk would), or none (on false). */
static void boom(const char *db, bool on)
{
	if (!on)
		nr_tdb_exec(db, nr_tdb_is_pg(db) ? "DROP TRIGGER boom ON sample_rows"
						 : "DROP TRIGGER boom");
	else if (nr_tdb_is_pg(db))
		nr_tdb_exec(db, "CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS"
				" $$BEGIN RAISE EXCEPTION 'boom'; END$$;"
				"CREATE TRIGGER boom BEFORE INSERT ON sample_rows"
				" FOR EACH ROW EXECUTE FUNCTION boom()");
	else
		nr_tdb_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON sample_rows"
				" BEGIN SELECT raise(abort, 'boom'); END");
}

/*
 * A bundle whose rows the store refuses halfway (its samples' table fails
 * every insert, as a full disk would): nothing of it stays, and once the
 * cause is gone the same store takes it whole (no staging left behind).
 */
NR_STORE_TEST(store_bundle_refused_halfway_leaves_nothing)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *a = nr_tdb_open(db_a), *s = nr_tdb_open(db_s);
	char run_a[NR_UUID_LEN + 1], ca[2][NR_UUID_LEN + 1];
	struct nr_buf bundle = NR_BUF_INIT;
	struct nr_bundle_result res;
	int i;

	nr_tdb_make_run(a, "camp", 2, run_a, ca);
	nr_tdb_save_attempt(a, ca[0], 1, 0, 1.5, "x");
	nr_tdb_save_attempt(a, ca[1], 1, 0, 2.5, "y");
	CHECK_OK(nr_store_bundle_export(a, run_a, true, &bundle, NULL));
	boom(db_s, true);
	for (i = 0; i < 2; i++) { /* twice: a first failure leaves nothing in the way of a second */
		struct nr_diag d = { 0 };

		CHECK(nr_store_bundle_import(s, nr_slice_of(bundle.buf, bundle.len), 64, "alice", &res,
					     &d) < 0);
		CHECK_CONTAINS(d.msg, "boom");
		CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 0);
		CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM attempts"), 0);
		CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM outputs"), 0);
		CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM uploads"), 0);
	}
	boom(db_s, false);
	import_ok(s, &bundle, "alice", &res);
	CHECK_EQ(res.added.runs, 1);
	CHECK_EQ(res.added.samples, 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM outputs"), 2);
	nr_buf_release(&bundle);
	nr_store_close(a);
	nr_store_close(s);
}

/*
 * One handle takes upload after upload, as a server's does, with a failed
 * one among them: each adds exactly its own rows (the handle's kept
 * staging tables and statements carry nothing from one upload to the
 * next), and the failed one nothing.
 */
NR_STORE_TEST(store_bundle_uploads_in_a_row_add_only_their_own)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *a = nr_tdb_open(db_a), *s = nr_tdb_open(db_s);
	char run[4][NR_UUID_LEN + 1], c[2][NR_UUID_LEN + 1];
	struct nr_buf bundle[4] = { NR_BUF_INIT, NR_BUF_INIT, NR_BUF_INIT, NR_BUF_INIT };
	struct nr_bundle_result res;
	struct nr_diag d = { 0 };
	int i;

	for (i = 0; i < 4; i++) {
		nr_tdb_make_run(a, "camp", 2, run[i], c);
		nr_tdb_save_attempt(a, c[0], 1, 0, 1.0 + i, "x");
		nr_tdb_save_attempt(a, c[1], 1, 0, 2.0 + i, "y");
		CHECK_OK(nr_store_bundle_export(a, run[i], true, &bundle[i], NULL));
	}
	import_ok(s, &bundle[0], "alice", &res);
	CHECK_EQ(res.added.runs, 1);
	CHECK_EQ(res.added.samples, 2);
	/* run 1 fails in the middle of its merge (a sample refused) */
	boom(db_s, true);
	CHECK(nr_store_bundle_import(s, nr_slice_of(bundle[1].buf, bundle[1].len), 64, "alice",
				     &res, &d) < 0);
	boom(db_s, false);
	/* an upload refused before anything is written (run 0 again, by bob: -EPERM) */
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_of(bundle[0].buf, bundle[0].len), 64, "bob",
					&res, &d), -EPERM);
	/* run 0 pruned: were its rows still staged, the next upload would bring it back */
	{
		struct nr_strvec ids = { 0 };
		struct nr_prune_stats ps;

		/* a running one stays; its upload row refers to it */
		nr_tdb_exec(db_s, "UPDATE runs SET status = 'passed'; DELETE FROM uploads");
		nr_strvec_push(&ids, run[0]);
		if (nr_store_prune(s, &ids, false, &ps, &d) < 0)
			nr_test_fail(__FILE__, __LINE__, "prune: %s", d.msg);
		nr_strvec_clear(&ids);
	}
	for (i = 2; i < 4; i++) {
		import_ok(s, &bundle[i], "alice", &res);
		CHECK_STR(res.run_id, run[i]);
		CHECK_EQ(res.added.runs, 1);
		CHECK_EQ(res.added.cases, 2);
		CHECK_EQ(res.added.attempts, 2);
		CHECK_EQ(res.added.samples, 2);
	}
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM cases"), 4);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 4);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM outputs"), 4);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM uploads"), 2);
	/* the failed run 1 is not there, nor anything of it */
	{
		char sql[160];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM cases WHERE run_id = '%s'", run[1]);
		CHECK_EQ(nr_tdb_count(db_s, sql), 0);
	}
	/* and once the cause is gone it comes whole */
	import_ok(s, &bundle[1], "alice", &res);
	CHECK_EQ(res.added.runs, 1);
	CHECK_EQ(res.added.samples, 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 6);
	for (i = 0; i < 4; i++)
		nr_buf_release(&bundle[i]);
	nr_store_close(a);
	nr_store_close(s);
}

/*
 * Group commit (netrig serve): bundles added between nr_store_batch_begin
 * and _end are one transaction, each in a savepoint. One that fails in
 * its write (a trigger refuses its sample 666) is rolled back alone, the
 * first thing the handle ever wrote (the staging tables, made outside the
 * batch, survive it); one refused by its checks (-EPERM) too; the others
 * stay, the same run twice is added once, and nothing is seen by another
 * connection before the COMMIT. A batch ended with an error keeps nothing.
 * On PostgreSQL there are no batches: each add is its own transaction.
 */
NR_STORE_TEST(store_bundle_batch_rolls_back_one_alone)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *a = nr_tdb_open(db_a), *s = nr_tdb_open(db_s);
	char run[4][NR_UUID_LEN + 1], c[1][NR_UUID_LEN + 1], sql[160];
	struct nr_buf bundle[4] = { NR_BUF_INIT, NR_BUF_INIT, NR_BUF_INIT, NR_BUF_INIT };
	struct nr_bundle *b[4];
	struct nr_bundle_result res;
	struct nr_diag d = { 0 };
	bool batching = false;
	int i;

	for (i = 0; i < 4; i++) {
		nr_tdb_make_run(a, "camp", 1, run[i], c);
		nr_tdb_save_attempt(a, c[0], 1, 0, i == 1 ? 666.0 : 1.0 + i, "x");
		CHECK_OK(nr_store_bundle_export(a, run[i], true, &bundle[i], NULL));
		CHECK_OK(nr_store_bundle_read(nr_slice_of(bundle[i].buf, bundle[i].len), 64, &b[i],
					      NULL));
	}
	if (nr_tdb_is_pg(db_s))
		nr_tdb_exec(db_s, "CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql"
				  " AS $$BEGIN RAISE EXCEPTION 'boom'; END$$;"
				  "CREATE TRIGGER boom BEFORE INSERT ON sample_rows FOR EACH ROW"
				  " WHEN (NEW.value = 666) EXECUTE FUNCTION boom()");
	else
		nr_tdb_exec(db_s, "CREATE TRIGGER boom BEFORE INSERT ON sample_rows"
				  " WHEN NEW.value = 666 BEGIN SELECT raise(abort, 'boom'); END");
	CHECK_OK(nr_store_batch_begin(s, &batching, &d));
	CHECK_EQ(batching, !nr_tdb_is_pg(db_s));
	CHECK(nr_store_bundle_add(s, b[1], "alice", &res, &d) < 0);
	CHECK_CONTAINS(d.msg, "boom");
	CHECK_OK(nr_store_bundle_add(s, b[0], "alice", &res, NULL));
	CHECK_EQ(res.added.runs, 1);
	CHECK_EQ(res.added.samples, 1);
	/* another user's run of the same batch: refused by the checks, alone */
	CHECK_EQ(nr_store_bundle_add(s, b[0], "bob", &res, &d), -EPERM);
	CHECK_OK(nr_store_bundle_add(s, b[0], "alice", &res, NULL));
	CHECK_EQ(res.added.runs + res.added.samples, 0);
	CHECK_OK(nr_store_bundle_add(s, b[2], "alice", &res, NULL));
	CHECK_EQ(res.added.samples, 1);
	if (batching)
		CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 0);
	CHECK_OK(nr_store_batch_end(s, 0, NULL));
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 2);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM uploads"), 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM cases WHERE run_id = '%s'", run[1]);
	CHECK_EQ(nr_tdb_count(db_s, sql), 0);
	/* a batch ended with an error keeps nothing of it */
	if (batching) {
		CHECK_OK(nr_store_batch_begin(s, &batching, NULL));
		CHECK_OK(nr_store_bundle_add(s, b[3], "alice", &res, NULL));
		CHECK_EQ(nr_store_batch_end(s, NR_ESTORE, NULL), NR_ESTORE);
		CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 2);
	}
	/* and the handle goes on: the refused run, its cause gone, comes whole */
	nr_tdb_exec(db_s, nr_tdb_is_pg(db_s) ? "DROP TRIGGER boom ON sample_rows" : "DROP TRIGGER boom");
	CHECK_OK(nr_store_bundle_add(s, b[1], "alice", &res, NULL));
	CHECK_OK(nr_store_bundle_add(s, b[3], "alice", &res, NULL));
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 4);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 4);
	for (i = 0; i < 4; i++) {
		nr_bundle_free(b[i]);
		nr_buf_release(&bundle[i]);
	}
	nr_store_close(a);
	nr_store_close(s);
}

struct racer {
	const char *db;
	const struct nr_buf *bundle;
	struct nr_bundle_result res;
	int r;
};

static void *race_import(void *p)
{
	struct racer *x = p;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };

	x->r = nr_store_open(x->db, &st, &d);
	if (x->r == 0) {
		x->r = nr_store_bundle_import(st, nr_slice_of(x->bundle->buf, x->bundle->len), 64,
					      "alice", &x->res, &d);
		nr_store_close(st);
	}
	return NULL;
}

/*
 * The same run uploaded through two handles at once (two requests of a
 * server, or two servers on one database): stored once, one upload row,
 * every sample once, and both answers a success.
 */
NR_STORE_TEST(store_bundle_same_run_twice_at_once_is_stored_once)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *a = nr_tdb_open(db_a), *s = nr_tdb_open(db_s);
	char run[NR_UUID_LEN + 1], c[3][NR_UUID_LEN + 1];
	struct nr_buf bundle = NR_BUF_INIT;
	struct racer x[2];
	pthread_t t[2];
	int round, i;

	for (round = 0; round < 8; round++) {
		nr_buf_reset(&bundle);
		nr_tdb_make_run(a, "camp", 3, run, c);
		for (i = 0; i < 3; i++)
			nr_tdb_save_attempt(a, c[i], 1, 0, 1.0 + i, "out");
		CHECK_OK(nr_store_bundle_export(a, run, true, &bundle, NULL));
		for (i = 0; i < 2; i++) {
			memset(&x[i], 0, sizeof(x[i]));
			x[i].db = db_s;
			x[i].bundle = &bundle;
			CHECK_OK(pthread_create(&t[i], NULL, race_import, &x[i]));
		}
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		CHECK_OK(x[0].r);
		CHECK_OK(x[1].r);
		/* one of them added the run, the other nothing */
		CHECK_EQ(x[0].res.added.runs + x[1].res.added.runs, 1);
		CHECK_EQ(x[0].res.added.samples + x[1].res.added.samples, 3);
	}
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 8);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM uploads"), 8);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM cases"), 24);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), 24);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM outputs"), 24);
	nr_buf_release(&bundle);
	nr_store_close(a);
	nr_store_close(s);
}

/* A hand-made bundle of one run: `extra` replaces the tables' text. */
static char *bundle_text(const char *run, const char *tables)
{
	/* 7: the bundle's columns are schema 7's; schema 8 changed only their storage */
	return nr_xasprintf("{\"format\":\"netrig.bundle/1\",\"schema\":7,\"run\":\"%s\","
			    "\"tables\":{%s}}", run, tables);
}

NR_STORE_TEST(store_bundle_refuses_rows_of_other_runs)
{
	const char *db_a = nr_tdb_new(kind, "a"), *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *a = nr_tdb_open(db_a), *s = nr_tdb_open(db_s);
	char run_a[NR_UUID_LEN + 1], ca[1][NR_UUID_LEN + 1];
	char run_x[NR_UUID_LEN + 1], cx[1][NR_UUID_LEN + 1];
	struct nr_buf bundle = NR_BUF_INIT;
	struct nr_bundle_result res;
	struct nr_diag d = { 0 };
	char *text, *p;
	long long before;

	/* the server holds run x (written there, not uploaded) */
	nr_tdb_make_run(s, "camp", 1, run_x, cx);
	nr_tdb_save_attempt(s, cx[0], 1, 0, 1.0, "x");
	nr_tdb_make_run(a, "camp", 1, run_a, ca);
	nr_tdb_save_attempt(a, ca[0], 1, 0, 2.0, "a");
	CHECK_OK(nr_store_bundle_export(a, run_a, false, &bundle, NULL));
	before = nr_tdb_count(db_s, "SELECT count(*) FROM samples");

	/* a case of the bundle that has x's case id: -EEXIST, nothing written */
	text = nr_xstrdup(bundle.buf);
	while ((p = strstr(text, ca[0])) != NULL)
		memcpy(p, cx[0], NR_UUID_LEN);
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_str(text), 64, "alice", &res, &d), -EEXIST);
	free(text);
	/* the bundle rewritten to name run x: -EPERM (not alice's upload) */
	text = nr_xstrdup(bundle.buf);
	while ((p = strstr(text, run_a)) != NULL)
		memcpy(p, run_x, NR_UUID_LEN);
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_str(text), 64, "alice", &res, &d), -EPERM);
	free(text);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM samples"), before);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 1);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM uploads"), 0);
	nr_buf_release(&bundle);
	nr_store_close(a);
	nr_store_close(s);
}

NR_STORE_TEST(store_bundle_refuses_malformed)
{
	const char *db_s = nr_tdb_new(kind, "srv");
	struct nr_store *s = nr_tdb_open(db_s);
	static const char run[] = "0190a0b0-0000-7000-8000-000000000001";
	static const char other[] = "0190a0b0-0000-7000-8000-000000000002";
	struct {
		const char *tables;
		int code;
	} cases[] = {
		{ "", NR_EINVAL }, /* no run row */
		{ "\"jobs\":{\"columns\":\"id\",\"rows\":[]}", NR_EINVAL },
		{ "\"uploads\":{\"columns\":\"run_id, user_name, uploaded_at\",\"rows\":[]}", NR_EINVAL },
		{ "\"runs\":{\"columns\":\"id\",\"rows\":[[1]]}", NR_EINVAL },
		{ "\"runs\":[]", NR_EINVAL },
		{ "\"hosts\":{\"columns\":\"id, run_id, name, transport, address, sysinfo\","
		  "\"rows\":[[\"x'; DROP TABLE runs; --\",\"r\",\"h\",\"local\",null,null]]}", NR_EINVAL },
		{ "\"hosts\":{\"columns\":\"id, run_id, name, transport, address, sysinfo\","
		  "\"rows\":[[\"0190a0b0-0000-7000-8000-0000000000aa\",\"RUN\",7,\"local\",null,null]]}",
		  NR_EINVAL },
	};
	struct nr_bundle_result res;
	struct nr_diag d = { 0 };
	size_t i;
	char *text;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		text = bundle_text(run, cases[i].tables);
		nr_diag_clear(&d);
		CHECK_EQ(nr_store_bundle_import(s, nr_slice_str(text), 64, "alice", &res, &d),
			 cases[i].code);
		free(text);
	}
	/* a host of another run than the bundle's */
	text = bundle_text(run, "\"hosts\":{\"columns\":\"id, run_id, name, transport, address,"
				" sysinfo\",\"rows\":[[\"0190a0b0-0000-7000-8000-0000000000aa\",\"0190a0b0"
				"-0000-7000-8000-000000000002\",\"h\",\"local\",null,null]]}");
	(void)other;
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_str(text), 64, "alice", &res, &d), NR_EINVAL);
	free(text);
	/* not JSON, nested too deep */
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_str("{\"format\":"), 64, "alice", &res, &d),
		 NR_EPARSE);
	CHECK_EQ(nr_store_bundle_import(s, nr_slice_str("[[[[[[[[[[1]]]]]]]]]]"), 5, "alice", &res,
					&d), NR_EPARSE);
	CHECK_EQ(nr_tdb_count(db_s, "SELECT count(*) FROM runs"), 0);
	nr_store_close(s);
}

NR_STORE_TEST(store_users_and_tokens)
{
	const char *db = nr_tdb_new(kind, "u");
	struct nr_store *st = nr_tdb_open(db);
	struct nr_token_rec t = { .user = (char *)"alice", .scope = (char *)"push",
				  .created_us = 1000, .expires_us = 5000 };
	struct nr_token_rec got = { 0 }, *list;
	struct nr_diag d = { 0 };
	size_t n;

	snprintf(t.id, sizeof(t.id), "0123456789abcdef");
	memset(t.hash, 'a', 64);
	CHECK_EQ(nr_store_token_add(st, &t, &d), NR_ENOTFOUND);
	CHECK_OK(nr_store_user_add(st, "alice", NULL));
	CHECK_EQ(nr_store_user_add(st, "alice", &d), NR_EINVAL);
	CHECK_OK(nr_store_token_add(st, &t, NULL));
	CHECK_OK(nr_store_token_get(st, t.id, &got, NULL));
	CHECK_STR(got.user, "alice");
	CHECK_STR(got.scope, "push");
	CHECK_STR(got.hash, t.hash);
	CHECK_EQ(got.expires_us, 5000);
	CHECK_EQ(got.revoked_us, 0);
	nr_token_rec_release(&got);
	CHECK_EQ(nr_store_token_get(st, "fedcba9876543210", &got, &d), NR_ENOTFOUND);
	CHECK_OK(nr_store_token_revoke(st, t.id, NULL));
	CHECK_OK(nr_store_token_get(st, t.id, &got, NULL));
	CHECK(got.revoked_us > 0);
	nr_token_rec_release(&got);
	CHECK_EQ(nr_store_token_revoke(st, "fedcba9876543210", &d), NR_ENOTFOUND);
	CHECK_OK(nr_store_tokens_list(st, &list, &n, NULL));
	CHECK_EQ(n, 1);
	nr_tokens_free(list, n);
	nr_store_close(st);
}

NR_STORE_TEST(store_runs_unpushed)
{
	const char *db = nr_tdb_new(kind, "p");
	struct nr_store *st = nr_tdb_open(db);
	char r1[NR_UUID_LEN + 1], r2[NR_UUID_LEN + 1], c[1][NR_UUID_LEN + 1];
	struct nr_strvec v = { 0 };

	nr_tdb_make_run(st, "camp", 1, r1, c);
	nr_tdb_make_run(st, "camp", 1, r2, c);
	nr_tdb_exec(db, "UPDATE runs SET status = 'passed'");
	CHECK_OK(nr_store_runs_unpushed(st, "http://a", &v, NULL));
	CHECK_EQ(v.n, 2);
	nr_strvec_clear(&v);
	CHECK_OK(nr_store_push_mark(st, r1, "http://a", "http://a/runs/x", NULL));
	CHECK_OK(nr_store_runs_unpushed(st, "http://a", &v, NULL));
	CHECK_EQ(v.n, 1);
	CHECK_STR(v.v[0], r2);
	nr_strvec_clear(&v);
	CHECK_OK(nr_store_runs_unpushed(st, "http://b", &v, NULL));
	CHECK_EQ(v.n, 2);
	nr_strvec_clear(&v);
	nr_store_close(st);
}
