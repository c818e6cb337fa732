/*
 * libFuzzer target for the upload bundle reader (store_bundle.c, the body
 * of POST /api/v1/runs): not a tool parser, the bytes come from anyone
 * with a push token. The reader has two roads, the strict scanner
 * (base/jscan.c) and jansson for what the scanner leaves; whatever the
 * bytes:
 *
 * - no crash, no out-of-bounds access, no leak, no undefined behaviour;
 * - the reader (both roads, as the server runs it) gives what jansson's
 *   road alone gives: both refuse it with the same message, or both read
 *   the same rows, value for value, in every table;
 * - a refusal has a message; nothing else is returned but 0 or negative.
 *
 * Seeded from the .json files of tests/fixtures/bundle/ (run.sh): bundles written by
 * `netrig push --bundle`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/bundle_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the server's default limit (limits: json_depth); deeper text is refused by either road */
#define DEPTH 64

static void fail(const char *what, const struct nr_diag *x, const struct nr_diag *y)
{
	fprintf(stderr, "fuzz: %s (reader: %s; jansson: %s)\n", what, x->msg, y->msg);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nr_slice text = nr_slice_of((const char *)data, size);
	struct nr_bundle *x = NULL, *y = NULL;
	struct nr_buf bx = NR_BUF_INIT, by = NR_BUF_INIT;
	struct nr_diag dx = { 0 }, dy = { 0 };
	int rx, ry;

	rx = nr__store_bundle_read_by(text, DEPTH, NR__BUNDLE_ANY, &x, &dx);
	ry = nr__store_bundle_read_by(text, DEPTH, NR__BUNDLE_JANSSON, &y, &dy);
	if (rx > 0 || ry > 0)
		fail("a positive return", &dx, &dy);
	if ((rx < 0 && !dx.msg[0]) || (ry < 0 && !dy.msg[0]))
		fail("a refusal without a message", &dx, &dy);
	if ((rx < 0) != (ry < 0))
		fail("one road refused what the other read", &dx, &dy);
	if (rx < 0 && strcmp(dx.msg, dy.msg) != 0)
		fail("the roads refused it with other messages", &dx, &dy);
	if (rx == 0) {
		nr_bundle_dump(x, &bx);
		nr_bundle_dump(y, &by);
		if (bx.len != by.len || memcmp(bx.buf, by.buf, bx.len) != 0) {
			fprintf(stderr, "fuzz: the roads read other rows:\n%s\njansson's:\n%s\n",
				bx.buf, by.buf);
			abort();
		}
	}
	nr_bundle_free(x);
	nr_bundle_free(y);
	nr_buf_release(&bx);
	nr_buf_release(&by);
	return 0;
}
