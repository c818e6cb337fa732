/*
 * A value that is not a finite number (NaN, an infinity, or a number
 * beyond a double's range, also once converted to its canonical unit)
 * is a parse failure naming where it was, and never becomes a sample:
 * through every generic parser, every spelling, and the sample-add path
 * that tool parsers share (issue 11, item 1).
 */
#include <errno.h>
#include <math.h>

#include "base/mem.h"
#include "base/num.h"
#include "parse/parse.h"
#include "test.h"

/* Every way a tool prints a number that is not a finite one. */
static const char *const spellings[] = {
	"nan", "-nan", "NaN", "NAN", "NAN(123)", "nan(0x7ff)", "inf", "-inf", "INF",
	"Infinity", "-Infinity", "infinity", "1e999", "-1e999", "1.8e308",
};

static void check_no_nonfinite(const struct nr_sample_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (!isfinite(set->v[i].value) || !isfinite(set->v[i].orig_value))
			nr_test_fail(__FILE__, __LINE__, "sample %s holds %g (printed %g)",
				     set->v[i].metric, set->v[i].value, set->v[i].orig_value);
	}
}

/* Parse `out` with one declared metric `v`; expect NR_EPARSE whose message holds `where`. */
static void expect_refused(const char *parser, const char *source, const char *unit,
			   bool optional, const char *out, const char *where)
{
	struct nr_metric_decl m = { "v", (char *)source, (char *)unit, NR_BETTER_HIGHER, optional };
	struct nr_parse_spec spec = { nr_parser_find(parser), NR_STREAM_STDOUT, &m, 1 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };
	int r = nr_parse_run(&spec, nr_slice_str(out), &set, &d);

	if (r != NR_EPARSE)
		nr_test_fail(__FILE__, __LINE__, "%s on \"%s\": %d (%s), not a parse error", parser,
			     out, r, d.msg);
	if (!strstr(d.msg, where))
		nr_test_fail(__FILE__, __LINE__, "%s on \"%s\": \"%s\" does not say \"%s\"", parser,
			     out, d.msg, where);
	check_no_nonfinite(&set);
	CHECK(nr_sample_find(&set, "v") == NULL);
	nr_sample_set_release(&set);
}

NR_TEST(nonfinite_number_parsing_refuses_every_spelling)
{
	size_t i;
	double x = 7;

	for (i = 0; i < NR_ARRAY_SIZE(spellings); i++) {
		if (nr_parse_double(spellings[i], &x) != -ERANGE)
			nr_test_fail(__FILE__, __LINE__, "nr_parse_double(\"%s\") is not -ERANGE",
				     spellings[i]);
		CHECK_NEAR(x, 7, 0); /* *ret untouched */
	}
	CHECK(nr_parse_double("n/a", &x) == NR_EINVAL);
	CHECK(nr_parse_double("nano", &x) == NR_EINVAL);
	CHECK_OK(nr_parse_double("1e308", &x));
	CHECK_OK(nr_parse_double("-0", &x));
	CHECK_OK(nr_parse_double("1e-320", &x)); /* a denormal is a finite number */
}

/*
 * Where each generic parser finds a value, and how its message names the
 * place: the output and the message are `before` + spelling + `after`.
 */
static const struct shape {
	const char *parser, *source, *unit;
	const char *out_before, *out_after;
	const char *msg_before, *msg_after;
} shapes[] = {
	{ "keyvalue", NULL, NULL, "runs=3\nv=", "\nother=1\n", "line 2: v: '", "' is not a finite number" },
	{ "keyvalue", NULL, "us", "v: ", "\n", "line 1: v: '", "' is not a finite number" },
	{ "regex", "latency ([^ ]+) us", "us", "header\n\nlatency ", " us\n", "line 3: v: '",
	  "' is not a finite number" },
	{ "regex", "latency ([^ ]+) us", NULL, "latency ", " us", "line 1: v: '", "' is not a finite number" },
	/* a string, as some tools write numbers */
	{ "json", "/end/v", NULL, "{\"end\": {\"v\": \"", "\"}}", "v at /end/v: '",
	  "' is not a finite number" },
	{ "json", "/end/v", "ms", "{\"end\": {\"v\": \"", "\"}}", "v at /end/v: '", "' is not a finite number" },
	/* bare: no JSON at all, or a number JSON cannot hold */
	{ "json", "/end/v", NULL, "{\"end\": {\"v\": ", "}}", "line 1", "" },
};

NR_TEST(nonfinite_is_a_parse_failure_naming_where_in_every_generic_parser)
{
	char out[128], want[96];
	size_t i, k;
	int optional;

	for (k = 0; k < NR_ARRAY_SIZE(shapes); k++) {
		const struct shape *sh = &shapes[k];

		for (i = 0; i < NR_ARRAY_SIZE(spellings); i++) {
			snprintf(out, sizeof(out), "%s%s%s", sh->out_before, spellings[i], sh->out_after);
			if (strcmp(sh->msg_after, ""))
				snprintf(want, sizeof(want), "%s%s%s", sh->msg_before, spellings[i],
					 sh->msg_after);
			else
				snprintf(want, sizeof(want), "%s", sh->msg_before);
			/* optional or not: a value that is there and not finite is no absence */
			for (optional = 0; optional <= 1; optional++)
				expect_refused(sh->parser, sh->source, sh->unit, optional, out, want);
		}
	}
}

NR_TEST(nonfinite_keyvalue_without_declared_metrics)
{
	struct nr_parse_spec spec = { nr_parser_find("keyvalue"), NR_STREAM_STDOUT, NULL, 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	CHECK(nr_parse_run(&spec, nr_slice_str("a=1\nb=NAN(123)\nc=2\n"), &set, &d) == NR_EPARSE);
	CHECK_CONTAINS(d.msg, "line 2: b: 'NAN(123)' is not a finite number");
	check_no_nonfinite(&set);
	nr_sample_set_release(&set);
}

NR_TEST(nonfinite_after_unit_conversion_is_refused)
{
	/* each finite as printed, infinite once multiplied into the canonical unit */
	expect_refused("keyvalue", NULL, "Gbit/s", false, "x=1\nv=1e308\n",
		       "line 2: v: '1e308' Gbit/s is not a finite number in bit/s");
	expect_refused("regex", "rate ([0-9e.]+)", "Gbit/s", false, "\nrate 1e308\n",
		       "line 2: v: '1e308' Gbit/s is not a finite number in bit/s");
	expect_refused("json", "/v", "Gbit/s", false, "{\"v\": 1e308}", "v at /v: '1e+308' Gbit/s is not a finite number in bit/s");
	expect_refused("json", "/v", "GiB/s", false, "{\"v\": \"1.7e308\"}", "v at /v: '1.7e308' GiB/s is not a finite number in bit/s");
}

/* A tool parser that hands the shared add path values that are not finite. */
static int parse_hostile(const struct nr_parse_spec *spec, struct nr_slice in,
			 struct nr_sample_set *set, struct nr_diag *d)
{
	(void)spec;
	(void)in;
	(void)d;
	nr_sample_add(set, "good_us", 1.5, "us", NR_BETTER_LOWER);
	nr_sample_add(set, "bad_us", NAN, "us", NR_BETTER_LOWER);
	nr_sample_add(set, "worse_us", -INFINITY, "us", NR_BETTER_LOWER);
	if (nr_sample_add_converted(set, "big_bps", 1e308, "Gbit/s", NR_BETTER_HIGHER, -1) != -ERANGE)
		return NR_EINVAL;
	if (nr_sample_add_converted(set, "inf_bps", INFINITY, "bit/s", NR_BETTER_HIGHER, 0) != -ERANGE)
		return NR_EINVAL;
	if (nr_sample_add_metric(set, "throughput_bps", NAN, NULL, -1) >= 0)
		return NR_EINVAL;
	return 0;
}

static const struct nr_parser hostile = { .name = "hostile", .parse = parse_hostile };

NR_TEST(nonfinite_from_a_tool_parser_fails_the_parse)
{
	struct nr_parse_spec spec = { &hostile, NR_STREAM_STDOUT, NULL, 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	CHECK(nr_parse_run(&spec, nr_slice_str("x"), &set, &d) == NR_EPARSE);
	CHECK_CONTAINS(d.msg, "hostile: bad_us is not a finite number");
	CHECK_CONTAINS(d.msg, "4 values");
	check_no_nonfinite(&set);
	CHECK_EQ(set.n, 1);
	CHECK_STR(set.v[0].metric, "good_us");
	nr_sample_set_release(&set);
	/* released, the set starts over clean */
	CHECK_EQ(set.n_refused, 0);
	CHECK(set.refused_metric == NULL);
}
