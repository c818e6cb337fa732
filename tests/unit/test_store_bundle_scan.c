/*
 * A bundle's two roads (store_bundle.c): the scanner (base/jscan.c) and
 * jansson read every body alike, the same rows or the same error.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/jscan.h"
#include "base/mem.h"
#include "bundle_dump.h"
#include "store/store.h"
#include "store/store_backend.h"
#include "test.h"
#include "testdb.h"

/*
 * text read by either road gives what jansson's alone gives; the scanner
 * takes it (or leaves it to jansson) as `scanner_takes` says (1, 0; -1:
 * either).
 */
static void same_roads_n(const char *what, const char *text, size_t len, int scanner_takes)
{
	struct nr_slice sl = nr_slice_of(text, len);
	struct nr_bundle *x = NULL, *y = NULL;
	struct nr_buf bx = NR_BUF_INIT, by = NR_BUF_INIT;
	struct nr_diag dx = { 0 }, dy = { 0 };
	int rx, ry;

	rx = nr__store_bundle_read_by(sl, 64, NR__BUNDLE_SCANNER, &x, NULL);
	if (scanner_takes >= 0 && (rx != 1) != (scanner_takes == 1))
		nr_test_fail(__FILE__, __LINE__, "%s: the scanner %s it", what,
			     rx == 1 ? "left" : "took");
	nr_bundle_free(x);
	x = NULL;
	rx = nr__store_bundle_read_by(sl, 64, NR__BUNDLE_ANY, &x, &dx);
	ry = nr__store_bundle_read_by(sl, 64, NR__BUNDLE_JANSSON, &y, &dy);
	if (rx != ry)
		nr_test_fail(__FILE__, __LINE__, "%s: %d (%s), jansson %d (%s)", what, rx, dx.msg, ry,
			     dy.msg);
	if (rx < 0) {
		CHECK_STR(dx.msg, dy.msg);
	} else {
		nr_bundle_dump(x, &bx);
		nr_bundle_dump(y, &by);
		if (strcmp(bx.buf, by.buf) != 0)
			nr_test_fail(__FILE__, __LINE__, "%s: other rows:\n%s\njansson's:\n%s", what,
				     bx.buf, by.buf);
	}
	nr_bundle_free(x);
	nr_bundle_free(y);
	nr_buf_release(&bx);
	nr_buf_release(&by);
}

static void same_roads(const char *what, const char *text, bool scanner_takes)
{
	same_roads_n(what, text, strlen(text), scanner_takes);
}

/* doc with the runs row's column `col` set to v (taken over), dumped with flags */
static char *with_run_col(json_t *doc, size_t col, json_t *v, size_t flags)
{
	json_t *copy = json_deep_copy(doc);
	json_t *row = json_array_get(json_object_get(json_object_get(json_object_get(copy, "tables"),
								     "runs"), "rows"), 0);
	char *text;

	json_array_set_new(row, col, v);
	text = json_dumps(copy, flags);
	json_decref(copy);
	return text;
}

/* text with the first `from` replaced by `to` */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);

	CHECK(p != NULL);
	return nr_xasprintf("%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
}

NR_TEST(store_bundle_scanner_reads_as_jansson)
{
	const char *db = nr_tdb_new(NR_TDB_SQLITE, "a");
	struct nr_store *st = nr_tdb_open(db);
	char run[NR_UUID_LEN + 1], cases[2][NR_UUID_LEN + 1];
	/* the runs row's pid spelt otherwise: the least int64, then what the scanner leaves */
	static const struct {
		const char *text;
		bool takes;
	} pid[] = { { "-9223372036854775808", true }, { "9223372036854775808", false },
		    { "0987654321", false }, { "1e400", false }, { "1.", false }, { "-", false },
		    { "12x", false }, { "nul", false } };
	struct nr_buf bundle = NR_BUF_INIT;
	json_t *doc, *re;
	char *t, *u;
	size_t i;

	nr_tdb_make_run(st, "camp", 2, run, cases);
	nr_tdb_save_attempt(st, cases[0], 1, 0, 1.5, "raw \xff bytes");
	nr_tdb_save_attempt(st, cases[1], 1, 0, 2.25e-7, "y");
	CHECK_OK(nr_store_bundle_export(st, run, true, &bundle, NULL));
	doc = json_loads(bundle.buf, 0, NULL);
	CHECK(doc != NULL);

	/* as netrig push writes it, and in other spellings of the same JSON */
	same_roads("as exported", bundle.buf, true);
	t = json_dumps(doc, JSON_INDENT(3));
	same_roads("indented", t, true);
	free(t);
	t = json_dumps(doc, JSON_SORT_KEYS | JSON_ESCAPE_SLASH);
	same_roads("sorted keys", t, true);
	free(t);
	re = json_pack("{s:O, s:O, s:O, s:O}", "tables", json_object_get(doc, "tables"), "run",
		       json_object_get(doc, "run"), "schema", json_object_get(doc, "schema"),
		       "format", json_object_get(doc, "format"));
	t = json_dumps(re, 0);
	same_roads("tables first", t, true);
	free(t);
	json_decref(re);
	t = nr_xasprintf(" \r\n\t%s \n", bundle.buf);
	same_roads("white space around", t, true);
	free(t);
	/* strings: the escapes it takes, and those it leaves (\u, bytes outside ASCII) */
	t = with_run_col(doc, 2, json_string("a\"b\\c/d\te\nf\rg\bh\fi"), JSON_ESCAPE_SLASH);
	same_roads("escapes", t, true);
	free(t);
	t = with_run_col(doc, 2, json_string("ctl \x01"), 0);
	same_roads("a \\u escape", t, false);
	free(t);
	t = with_run_col(doc, 2, json_string("caf\xc3\xa9"), 0);
	same_roads("UTF-8", t, false);
	free(t);
	t = with_run_col(doc, 2, json_string("caf\xc3\xa9"), JSON_ENSURE_ASCII);
	same_roads("UTF-8 as \\u", t, false);
	free(t);
	/* numbers: pid is an INT column, started_at too */
	t = with_run_col(doc, 12, json_integer(-0), 0);
	same_roads("-0", t, true);
	free(t);
	t = with_run_col(doc, 12, json_integer(987654321), 0);
	for (i = 0; i < NR_ARRAY_SIZE(pid); i++) {
		u = replaced(t, "987654321", pid[i].text);
		same_roads(pid[i].text, u, pid[i].takes);
		free(u);
	}
	free(t);
	t = with_run_col(doc, 12, json_real(1.0), 0);
	same_roads("a real where an integer belongs", t, false);
	free(t);
	t = with_run_col(doc, 12, json_true(), 0);
	same_roads("a boolean where an integer belongs", t, false);
	free(t);
	t = with_run_col(doc, 12, json_pack("[i]", 1), 0);
	same_roads("an array in a row", t, false);
	free(t);
	t = with_run_col(doc, 0, json_string("not-a-uuid"), 0);
	same_roads("an id that is none", t, false);
	free(t);
	/* shapes it leaves: keys twice, keys it does not know, text after the end, a cut */
	t = replaced(bundle.buf, "{\"format\":", "{\"format\":\"x\",\"format\":");
	same_roads("a key twice", t, false);
	free(t);
	t = replaced(bundle.buf, "{\"format\":", "{\"extra\":{\"a\":[1,{\"b\":null}]},\"format\":");
	same_roads("a key it does not know", t, false);
	free(t);
	t = replaced(bundle.buf, "\"columns\":", "\"more\":1,\"columns\":");
	same_roads("a table's key it does not know", t, false);
	free(t);
	t = replaced(bundle.buf, "\"schema\":7", "\"schema\":6");
	same_roads("another schema", t, false);
	free(t);
	t = nr_xasprintf("%sx", bundle.buf);
	same_roads("text after the end", t, false);
	free(t);
	t = nr_xstrdup(bundle.buf);
	t[bundle.len / 2] = '\0';
	same_roads("cut in half", t, false);
	free(t);
	same_roads("an empty object", "{}", false);
	same_roads("an array", "[]", false);
	same_roads("nothing", "", false);

	json_decref(doc);
	nr_buf_release(&bundle);
	nr_store_close(st);
}

NR_TEST(jscan_values)
{
	static const char text[] = " { \"a\\/b\" : [ -1.5e2 , 0 , true , false , null , \"\" ] } ";
	char out[sizeof(text)];
	struct nr_jscan s;
	struct nr_jvalue v;
	const char *k;
	size_t len;

	nr_jscan_init(&s, text, strlen(text), out);
	CHECK(nr_jscan_punct(&s, '{'));
	CHECK(nr_jscan_string(&s, &k, &len));
	CHECK_STR(k, "a/b");
	CHECK_EQ(len, 3);
	CHECK(nr_jscan_punct(&s, ':'));
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_ARRAY);
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_REAL && v.f == -150.0);
	CHECK(nr_jscan_punct(&s, ','));
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_INT && v.i == 0);
	CHECK(nr_jscan_punct(&s, ','));
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_TRUE);
	CHECK(nr_jscan_punct(&s, ','));
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_FALSE);
	CHECK(nr_jscan_punct(&s, ','));
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_NULL);
	CHECK(nr_jscan_punct(&s, ','));
	CHECK(nr_jscan_value(&s, &v) && v.type == NR_J_STRING && v.len == 0);
	CHECK(!nr_jscan_punct(&s, ','));
	CHECK(nr_jscan_punct(&s, ']'));
	CHECK(!nr_jscan_end(&s));
	CHECK(nr_jscan_punct(&s, '}'));
	CHECK(nr_jscan_end(&s));
	/* cut inside a string, an escape, a word */
	nr_jscan_init(&s, "\"ab", 3, out);
	CHECK(!nr_jscan_value(&s, &v));
	nr_jscan_init(&s, "\"a\\", 3, out);
	CHECK(!nr_jscan_value(&s, &v));
	nr_jscan_init(&s, "tru", 3, out);
	CHECK(!nr_jscan_value(&s, &v));
	nr_jscan_init(&s, "", 0, out);
	CHECK(!nr_jscan_value(&s, &v));
	CHECK(nr_jscan_end(&s));
}

/*
 * The class, not the cases above: thousands of bodies a byte or a span
 * away from a real bundle (bytes of JSON's grammar, of escapes, outside
 * ASCII, NUL; deleted; repeated), each read alike by both roads.
 */
NR_TEST(store_bundle_scanner_reads_mutants_as_jansson)
{
	static const char bytes[] = "{}[],:\"\\/0123456789.eE-+ntrufalsx \t\n\x80\xc3\x01";
	const char *db = nr_tdb_new(NR_TDB_SQLITE, "a");
	struct nr_store *st = nr_tdb_open(db);
	char run[NR_UUID_LEN + 1], cases[1][NR_UUID_LEN + 1], what[64];
	struct nr_buf bundle = NR_BUF_INIT, m = NR_BUF_INIT;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i, at, n;

	nr_tdb_make_run(st, "camp", 1, run, cases);
	nr_tdb_save_attempt(st, cases[0], 1, 0, 1.5, "out");
	CHECK_OK(nr_store_bundle_export(st, run, true, &bundle, NULL));
	for (i = 0; i < 3000; i++) {
		/* xorshift64: the same mutants every run */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		nr_buf_reset(&m);
		nr_buf_add(&m, bundle.buf, bundle.len);
		at = (size_t)(x >> 8) % m.len;
		switch (x % 3) {
		case 0: /* a byte replaced */
			m.buf[at] = bytes[(x >> 40) % (sizeof(bytes) - 1)];
			break;
		case 1: /* a span of up to 8 bytes deleted */
			n = 1 + (size_t)(x >> 40) % 8;
			n = n > m.len - at ? m.len - at : n;
			memmove(m.buf + at, m.buf + at + n, m.len - at - n);
			m.len -= n;
			break;
		default: /* a span of up to 16 bytes repeated */
			n = 1 + (size_t)(x >> 40) % 16;
			n = n > bundle.len - at ? bundle.len - at : n;
			nr_buf_reset(&m);
			nr_buf_add(&m, bundle.buf, at + n);
			nr_buf_add(&m, bundle.buf + at, bundle.len - at);
		}
		snprintf(what, sizeof(what), "mutant %zu (byte %zu)", i, at);
		same_roads_n(what, m.buf, m.len, -1);
	}
	nr_buf_release(&m);
	nr_buf_release(&bundle);
	nr_store_close(st);
}
