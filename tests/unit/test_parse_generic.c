#include <stdio.h>

#include "parse/parse.h"
#include "test.h"

static struct nr_metric_decl decl(const char *name, const char *source, const char *unit,
				  enum nr_better better)
{
	struct nr_metric_decl m = { (char *)name, (char *)source, (char *)unit, better, false };
	return m;
}

NR_TEST(parse_json_pointers_and_units)
{
	const char *out = "{\"end\": {\"sum_received\": {\"bits_per_second\": 2.5e10},"
			  " \"a/b\": {\"~x\": \"42\"}, \"arr\": [1, 2, {\"v\": 3}]}}\ntrailing";
	struct nr_metric_decl m[] = {
		decl("bw", "/end/sum_received/bits_per_second", "bit/s", NR_BETTER_HIGHER),
		decl("esc", "/end/a~1b/~0x", NULL, NR_BETTER_NONE),
		decl("arr", "/end/arr/2/v", "ms", NR_BETTER_LOWER),
	};
	struct nr_parse_spec spec = { nr_parser_find("json"), NR_STREAM_STDOUT, m, 3 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;

	CHECK_OK(nr_parse_run(&spec, nr_slice_str(out), &set, NULL));
	CHECK_NEAR(nr_sample_find(&set, "bw")->value, 2.5e10, 0);
	CHECK_NEAR(nr_sample_find(&set, "esc")->value, 42, 0);
	CHECK_NEAR(nr_sample_find(&set, "arr")->value, 3000, 0); /* ms -> us */
	CHECK_STR(nr_sample_find(&set, "arr")->unit, "us");
	CHECK_STR(nr_sample_find(&set, "arr")->orig_unit, "ms");
	nr_sample_set_release(&set);
}

NR_TEST(parse_json_failures_are_clear)
{
	struct nr_metric_decl m[] = { decl("bw", "/end/nope", NULL, NR_BETTER_HIGHER) };
	struct nr_parse_spec spec = { nr_parser_find("json"), NR_STREAM_STDOUT, m, 1 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	CHECK(nr_parse_run(&spec, nr_slice_str("{\"end\": {}}"), &set, &d) == NR_EMISSING);
	CHECK_CONTAINS(d.msg, "metric bw missing");
	nr_diag_clear(&d);
	CHECK(nr_parse_run(&spec, nr_slice_str("{\"end\": [1, 2"), &set, &d) == NR_EPARSE);
	CHECK_CONTAINS(d.msg, "line 1");
	nr_diag_clear(&d);
	CHECK(nr_parse_run(&spec, nr_slice_str(""), &set, &d) == NR_EPARSE);
	nr_diag_clear(&d);
	CHECK(nr_parse_run(&spec, nr_slice_str("{\"end\": {\"nope\": \"fast\"}}"), &set, &d) ==
	      NR_EPARSE);
	CHECK_CONTAINS(d.msg, "not a number");
	nr_sample_set_release(&set);
}

NR_TEST(parse_regex_first_group)
{
	const char *out = "Latency: avg 12.5 usec\nThroughput 9.41 Gbits/sec\n";
	struct nr_metric_decl m[] = {
		decl("lat", "avg ([0-9.]+) usec", "us", NR_BETTER_LOWER),
		decl("bw", "Throughput ([0-9.]+)", "Gbits/sec", NR_BETTER_HIGHER),
	};
	struct nr_parse_spec spec = { nr_parser_find("regex"), NR_STREAM_STDOUT, m, 2 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;

	CHECK_OK(nr_parse_run(&spec, nr_slice_str(out), &set, NULL));
	CHECK_NEAR(nr_sample_find(&set, "lat")->value, 12.5, 0);
	CHECK_NEAR(nr_sample_find(&set, "bw")->value, 9.41e9, 1);
	nr_sample_set_release(&set);
}

NR_TEST(parse_keyvalue_all_or_declared)
{
	const char *out = "throughput=123.5\nlatency_p99: 40\nname=abc\n  spaced = 7 \n";
	struct nr_parse_spec all = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, NULL, 0 };
	struct nr_metric_decl m[] = { decl("p99_us", "latency_p99", "us", NR_BETTER_LOWER) };
	struct nr_parse_spec some = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, m, 1 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;

	CHECK_OK(nr_parse_run(&all, nr_slice_str(out), &set, NULL));
	CHECK_EQ(set.n, 3); /* "name=abc" is not a number */
	CHECK_NEAR(nr_sample_find(&set, "spaced")->value, 7, 0);
	nr_sample_set_release(&set);
	set = (struct nr_sample_set)NR_SAMPLE_SET_INIT;
	CHECK_OK(nr_parse_run(&some, nr_slice_str(out), &set, NULL));
	CHECK_EQ(set.n, 1);
	CHECK_NEAR(nr_sample_find(&set, "p99_us")->value, 40, 0);
	nr_sample_set_release(&set);
}

/*
 * Lines of every length through the one line buffer the parser reuses (a
 * short line after a long one is itself, nothing of the long one's end), a
 * last line without its newline, the first value of a key kept, a key the
 * set had before the parse kept as it was, and the set's room reserved for
 * every line: the samples of 10,000 keys all there, in order.
 */
NR_TEST(parse_keyvalue_many_lines_each_itself)
{
	struct nr_parse_spec all = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, NULL, 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_buf out = NR_BUF_INIT;
	size_t i;

	nr_buf_adds(&out, "a_very_long_key_name_that_fills_the_buffer_first = 1000.25 \n");
	nr_buf_adds(&out, "b=2\n");
	nr_buf_adds(&out, "a_very_long_key_name_that_fills_the_buffer_first=3\n"); /* not the first */
	nr_buf_adds(&out, "pre=9\n");                                                /* the set had it */
	for (i = 0; i < 10000; i++)
		nr_buf_addf(&out, "m%zu=%zu.5\n", i, i);
	nr_buf_adds(&out, "c: 4\nlast=5");
	nr_sample_add(&set, "pre", 1, "", NR_BETTER_NONE);
	CHECK_OK(nr_parse_run(&all, nr_slice_of(out.buf, out.len), &set, NULL));
	CHECK_EQ(set.n, 1 + 2 + 10000 + 2);
	CHECK(set.cap >= set.n);
	CHECK_STR(set.v[0].metric, "pre");
	CHECK_NEAR(set.v[0].value, 1, 0);
	CHECK_STR(set.v[1].metric, "a_very_long_key_name_that_fills_the_buffer_first");
	CHECK_NEAR(set.v[1].value, 1000.25, 0);
	CHECK_STR(set.v[2].metric, "b");
	CHECK_NEAR(set.v[2].value, 2, 0);
	for (i = 0; i < 10000; i++) {
		char name[16];

		snprintf(name, sizeof(name), "m%zu", i);
		CHECK_STR(set.v[3 + i].metric, name);
		CHECK_NEAR(set.v[3 + i].value, (double)i + 0.5, 0);
		CHECK_STR(set.v[3 + i].unit, "");
		CHECK_EQ(set.v[3 + i].interval, -1);
	}
	CHECK_STR(set.v[10003].metric, "c");
	CHECK_NEAR(set.v[10003].value, 4, 0);
	CHECK_STR(set.v[10004].metric, "last");
	CHECK_NEAR(set.v[10004].value, 5, 0);
	nr_sample_set_release(&set);
	nr_buf_release(&out);
}

NR_TEST(parse_keyvalue_nothing_measured_is_a_parse_failure)
{
	struct nr_parse_spec all = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, NULL, 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	/* a value with its unit after it is not a number: nothing read, said so */
	CHECK(nr_parse_run(&all, nr_slice_str("starting\nthroughput=5 Mbps\nlat: 3 us\n"), &set, &d) ==
	      NR_EPARSE);
	CHECK_CONTAINS(d.msg, "line 2: 'throughput=5 Mbps'");
	CHECK_EQ(set.n, 0);
	nr_diag_clear(&d);
	CHECK(nr_parse_run(&all, nr_slice_str("hello\nworld\n"), &set, &d) == NR_EPARSE);
	CHECK_CONTAINS(d.msg, "no 'key=number'");
	nr_diag_clear(&d);
	CHECK(nr_parse_run(&all, nr_slice_str(""), &set, &d) == NR_EPARSE);
	nr_diag_clear(&d);
	/* one number among words is enough */
	CHECK_OK(nr_parse_run(&all, nr_slice_str("mode=fast\nn=4\n"), &set, NULL));
	CHECK_EQ(set.n, 1);
	nr_sample_set_release(&set);
}

NR_TEST(parse_keyvalue_declared_value_not_a_number)
{
	struct nr_metric_decl m[] = { decl("p99_us", "latency_p99", "us", NR_BETTER_LOWER) };
	struct nr_parse_spec spec = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, m, 1 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	/* the key is there but says nothing measurable: not "missing" */
	CHECK(nr_parse_run(&spec, nr_slice_str("runs=3\nlatency_p99: n/a\n"), &set, &d) ==
	      NR_EPARSE);
	CHECK_CONTAINS(d.msg, "line 2: latency_p99 is 'n/a', not a number");
	nr_diag_clear(&d);
	/* a later line with a number wins */
	CHECK_OK(nr_parse_run(&spec, nr_slice_str("latency_p99: -\nlatency_p99: 40\n"), &set, NULL));
	CHECK_NEAR(nr_sample_find(&set, "p99_us")->value, 40, 0);
	nr_sample_set_release(&set);
	set = (struct nr_sample_set)NR_SAMPLE_SET_INIT;
	/* an optional metric may be absent that way */
	m[0].optional = true;
	CHECK_OK(nr_parse_run(&spec, nr_slice_str("latency_p99: n/a\n"), &set, NULL));
	CHECK_EQ(set.n, 0);
	nr_sample_set_release(&set);
}

NR_TEST(units_convert_to_canonical)
{
	static const struct {
		const char *unit;
		double factor;
		const char *canon;
	} cases[] = {
		{ "Mbits/sec", 1e6, "bit/s" }, { "Gbps", 1e9, "bit/s" }, { "MB/s", 8e6, "bit/s" },
		{ "ns", 1e-3, "us" },          { "\xce\xbcs", 1, "us" },  { "ms", 1e3, "us" },
		{ "KiB", 1024, "B" },          { "%", 1, "%" },            { "ops/s", 1, "1/s" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double f;
		const char *canon;

		CHECK_OK(nr_unit_canonical(cases[i].unit, &f, &canon));
		CHECK_NEAR(f, cases[i].factor, 1e-12);
		CHECK_STR(canon, cases[i].canon);
	}
	CHECK(nr_unit_canonical("parsecs", &(double){ 0 }, &(const char *){ NULL }) == NR_EINVAL);
}

/*
 * A tool that prints 200,000 keys: parsed in one pass (a scan of the
 * samples for each key was n^2/2 compares, minutes here, past the
 * timeout), every first value kept and every repeat dropped.
 */
NR_TEST_T(parse_keyvalue_many_keys, 30)
{
	struct nr_parse_spec all = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, NULL, 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_buf out = NR_BUF_INIT;
	size_t i, n = 200000;

	for (i = 0; i < n; i++)
		nr_buf_addf(&out, "k%zu=%zu\n", i, i);
	/* a repeat of every tenth key, later: the first value wins */
	for (i = 0; i < n; i += 10)
		nr_buf_addf(&out, "k%zu=-1\n", i);
	CHECK_OK(nr_parse_run(&all, nr_slice_of(out.buf, out.len), &set, NULL));
	CHECK_EQ(set.n, n);
	for (i = 0; i < n; i += 9973) {
		char key[32];

		snprintf(key, sizeof(key), "k%zu", i);
		CHECK_STR(set.v[i].metric, key);
		CHECK_NEAR(set.v[i].value, (double)i, 0);
	}
	nr_sample_set_release(&set);
	nr_buf_release(&out);
}
