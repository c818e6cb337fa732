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
