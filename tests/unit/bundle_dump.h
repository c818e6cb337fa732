/*
 * Every row of a read bundle (store_bundle.c), table by table, as text:
 * integers in decimal, reals bit for bit (%a, -0 and all), strings with
 * their lengths. Two reads of a body are the same iff their dumps are.
 * Shared by tests/unit/test_store_bundle_scan.c and
 * tests/fuzz/fuzz_bundle.c (header only: the fuzz targets link no test code).
 */
#ifndef NR_TEST_BUNDLE_DUMP_H
#define NR_TEST_BUNDLE_DUMP_H

#include <stdlib.h>

#include "base/buf.h"
#include "store/store.h"
#include "store/store_backend.h"

struct nr_bundle_dump_ctx {
	const struct nr__store_table *t;
	struct nr_buf *out;
};

static int nr_bundle_dump_row(void *p, const struct nr__store_value *row, struct nr_diag *d)
{
	struct nr_bundle_dump_ctx *c = p;
	size_t i;

	(void)d;
	for (i = 0; i < c->t->n; i++) {
		if (row[i].null)
			nr_buf_adds(c->out, "NULL|");
		else if (c->t->kinds[i] == NR__STORE_INT)
			nr_buf_addf(c->out, "%lld|", (long long)row[i].i);
		else if (c->t->kinds[i] == NR__STORE_REAL)
			nr_buf_addf(c->out, "%a|", row[i].f);
		else
			nr_buf_addf(c->out, "%zu:%.*s|", row[i].len, (int)row[i].len, row[i].p);
	}
	nr_buf_addch(c->out, '\n');
	return 0;
}

/* (aborts if the bundle cannot be read back: it was read once already) */
static void nr_bundle_dump(struct nr_bundle *b, struct nr_buf *out)
{
	struct nr_store *src = nr__store_bundle_source(b);
	struct nr_bundle_dump_ctx c = { NULL, out };
	size_t i;

	for (i = 0; i < nr__store_n_tables; i++) {
		c.t = &nr__store_tables[i];
		nr_buf_addf(out, "[%s]\n", c.t->name);
		if (src->ops->export_rows(src, c.t, NULL, nr_bundle_dump_row, &c, NULL) < 0)
			abort();
	}
}

#endif
