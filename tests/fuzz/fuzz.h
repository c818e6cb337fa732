/*
 * Shared body of the parser fuzz targets (tests/fuzz/fuzz_<tool>.c): run
 * one parser on the input and check what a parser promises whatever the
 * bytes: no crash, no out-of-bounds access (ASan), no undefined behaviour
 * (UBSan), every sample finite and catalogued, notes a JSON object.
 */
#ifndef NR_FUZZ_H
#define NR_FUZZ_H

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok, const char *what, const struct nr_sample_set *set, size_t i)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: %s (sample %zu: %s)\n", what, i,
		i < set->n ? set->v[i].metric : "-");
	abort();
}

static int fuzz_parser(const char *name, const uint8_t *data, size_t size)
{
	const struct nr_parser *p = nr_parser_find(name);
	struct nr_parse_spec spec = { .parser = p };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };
	size_t i;
	int r;

	fuzz_check(p != NULL, "parser not registered", &set, 0);
	r = nr_parse_run(&spec, nr_slice_of((const char *)data, size), &set, &d);
	fuzz_check(r <= 0, "positive return", &set, 0);
	fuzz_check(r == 0 || d.msg[0], "failure without a message", &set, 0);
	for (i = 0; i < set.n; i++) {
		const struct nr_metric_info *m = nr_metric_lookup(set.v[i].metric);

		fuzz_check(isfinite(set.v[i].value), "value not finite", &set, i);
		fuzz_check(m && !strcmp(m->unit, set.v[i].unit), "not catalogued", &set, i);
	}
	if (set.notes.len) {
		json_t *j = json_loadb(set.notes.buf, set.notes.len, 0, NULL);

		fuzz_check(json_is_object(j), "notes are not a JSON object", &set, 0);
		json_decref(j);
	}
	nr_sample_set_release(&set);
	return 0;
}

#endif
