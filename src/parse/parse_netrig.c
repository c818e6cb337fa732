/*
 * `parse: netrig`: the JSON document of `netrig bench ... --json`
 * (docs/bench-json.md). Every entry of "results" becomes a summary
 * sample, already in its canonical name and unit; the per-interval
 * series becomes interval samples of throughput_bps or
 * transactions_per_s; the half-round-trip extras go to the notes.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"

static int better_of(json_t *v, enum nr_better *ret)
{
	if (!json_is_string(v)) {
		*ret = NR_BETTER_NONE;
		return 0;
	}
	return nr_better_parse(json_string_value(v), ret);
}

static int parse_netrig(const struct nr_parse_spec *spec, struct nr_slice in,
			struct nr_sample_set *set, struct nr_diag *d)
{
	json_error_t err;
	json_t *root, *res, *v, *iv, *extra;
	const char *key, *test;
	size_t i;
	int r = 0;

	(void)spec;
	root = json_loadb(in.ptr, in.len, JSON_DISABLE_EOF_CHECK, &err);
	if (!root)
		return nr_diagf(d, NR_EPARSE, "line %d, column %d: %s%s", err.line, err.column,
				err.text, strstr(err.text, "end of file") ?
				" (the output ends inside the JSON document: cut short?)" : "");
	/*
	 * netrig bench writes one document and nothing after it: a second
	 * one is a second run (two outputs appended to one file), and taking
	 * the first would hide it.
	 */
	for (i = err.position; i < in.len; i++) {
		if (in.ptr[i] == ' ' || in.ptr[i] == '\t' || in.ptr[i] == '\n' || in.ptr[i] == '\r')
			continue;
		r = nr_diagf(d, NR_EPARSE, "line %zu: %s (two runs in one output?)",
			     nr_parse_line_of(in, i), in.ptr[i] == '{' ?
			     "a second JSON document starts here" : "text after the JSON document");
		goto out;
	}
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "netrig_bench"))) {
		r = nr_diagf(d, NR_EPARSE, "not the output of 'netrig bench --json' "
			     "(no \"netrig_bench\" version)");
		goto out;
	}
	if (json_integer_value(json_object_get(root, "netrig_bench")) != 1) {
		r = nr_diagf(d, NR_EPARSE, "netrig bench output version %lld is not supported",
			     (long long)json_integer_value(json_object_get(root, "netrig_bench")));
		goto out;
	}
	v = json_object_get(root, "error");
	if (v) {
		r = nr_diagf(d, NR_EPARSE, "the test failed: %s",
			     json_is_string(v) ? json_string_value(v) : "(no message)");
		goto out;
	}
	res = json_object_get(root, "results");
	if (!json_is_object(res)) {
		r = nr_diagf(d, NR_EPARSE, "no \"results\" object");
		goto out;
	}
	json_object_foreach(res, key, v) {
		json_t *val = json_object_get(v, "value"), *unit = json_object_get(v, "unit");
		enum nr_better b;

		if (!json_is_number(val) || !json_is_string(unit) ||
		    better_of(json_object_get(v, "better"), &b) < 0) {
			r = nr_diagf(d, NR_EPARSE, "results.%s: expected {value, unit, better}", key);
			goto out;
		}
		if (!isfinite(json_number_value(val))) {
			r = nr_diagf(d, NR_EPARSE, "results.%s: not a finite number", key);
			goto out;
		}
		/*
		 * Through the catalogue, as every tool parser: one unit and one
		 * direction per name. A name it does not know comes from a newer
		 * netrig bench: left out, not stored under a guessed unit.
		 */
		(void)b;
		r = nr_sample_add_metric(set, key, json_number_value(val), json_string_value(unit), -1);
		if (r == NR_ENOTFOUND) {
			r = 0;
			continue;
		}
		if (r < 0) {
			r = nr_diagf(d, NR_EPARSE, "results.%s: unit '%s' does not fit the metric", key,
				     json_string_value(unit));
			goto out;
		}
	}
	test = json_string_value(json_object_get(root, "test"));
	iv = json_object_get(root, "intervals");
	json_array_foreach(iv, i, v) {
		bool stream = test && strstr(test, "stream");
		const char *metric = stream ? "throughput_bps" : "transactions_per_s";
		json_t *x = json_object_get(v, metric);

		if (!json_is_number(x)) {
			r = nr_diagf(d, NR_EPARSE, "intervals[%zu]: no %s", i, metric);
			goto out;
		}
		nr_sample_add_converted(set, metric, json_number_value(x), stream ? "bit/s" : "1/s",
					NR_BETTER_HIGHER, (int64_t)i);
	}
	extra = json_object_get(root, "extra");
	/* notes hold one JSON object: keep one written before */
	if (json_is_object(extra) && json_object_size(extra) && !set->notes.len) {
		char *s = json_dumps(extra, JSON_COMPACT);

		if (s) {
			nr_buf_adds(&set->notes, s);
			free(s);
		}
	}
out:
	json_decref(root);
	return r;
}

const struct nr_parser nr_parser_netrig = {
	.name = "netrig",
	.summary = "the JSON of 'netrig bench ... --json' (built-in workloads)",
	.needs_sources = false,
	.parse = parse_netrig,
};
