/*
 * Absolute limits: reading them (units, precedence, errors with their
 * positions, the stored copy alone), judging a run's series by them, the
 * reports that show them; and `results --best`, which shares the fixtures.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "compare/compare.h"
#include "report/report.h"
#include "test.h"

NR_TEST(limits_parse_quantity)
{
	static const struct {
		const char *in;
		int r;
		double v;
		const char *unit;
	} cases[] = {
		{ "50ms", 0, 50, "ms" },
		{ "9 Gbit/s", 0, 9, "Gbit/s" },
		{ "2000 MB/s", 0, 2000, "MB/s" },
		{ "-3", 0, -3, "" },
		{ "+1.5e3 us", 0, 1500, "us" },
		{ "1%", 0, 1, "%" },
		{ "fast", NR_EINVAL, 0, NULL },
		{ "", NR_EINVAL, 0, NULL },
		{ " 5", NR_EINVAL, 0, NULL },
		{ "0x10", NR_EINVAL, 0, NULL },
		{ "-0x1p3", NR_EINVAL, 0, NULL },
		{ "nan", -ERANGE, 0, NULL },
		{ "inf ms", -ERANGE, 0, NULL },
		{ "1e999 us", -ERANGE, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -1;
		const char *unit = NULL;
		int r = nr_parse_quantity(cases[i].in, &v, &unit);

		if (r != cases[i].r)
			nr_test_fail(__FILE__, __LINE__, "'%s': %d, expected %d", cases[i].in, r,
				     cases[i].r);
		if (r == 0) {
			CHECK_NEAR(v, cases[i].v, 1e-12);
			CHECK_STR(unit, cases[i].unit);
		} else {
			CHECK(v == -1 && unit == NULL); /* written only on success */
		}
	}
}

static struct nr_campaign *load(const char *text, struct nr_diag *d)
{
	struct nr_campaign *c = NULL;

	if (nr_campaign_load("c.yaml", text, &c, d) < 0)
		return NULL;
	return c;
}

/* A campaign whose tests declare a time, a bit rate, a plain number; a tool parser. */
#define TESTS                                                                                  \
	"tests:\n"                                                                             \
	"  - name: rr\n"                                                                       \
	"    run: [echo]\n"                                                                    \
	"    parse: {format: keyvalue, metrics: {lat: {unit: ns}, bw: {unit: Mbps}, n: {}}}\n" \
	"    limits: {lat: {max: 40ms}}\n"                                                     \
	"  - name: other\n"                                                                    \
	"    run: [echo]\n"                                                                    \
	"    parse: {format: keyvalue, metrics: {lat: {unit: us}, bw: {unit: bit/s}, n: {}}}\n"\
	"  - name: tool\n"                                                                     \
	"    run: [echo]\n"                                                                    \
	"    parse: iperf3\n"

NR_TEST(limits_units_and_precedence)
{
	struct nr_diag d = { 0 };
	const struct nr_limit_bound *lo, *hi;
	struct nr_campaign *c = load("limits:\n"
				     "  lat: {min: 5us, max: 50ms}\n"
				     "  bw: {min: 2000 MB/s}\n"
				     "  n: {max: 7, severity: warning}\n"
				     "  throughput_bps: {min: 9 Gbit/s}\n"
				     "  retransmits: {max: 0}\n"
				     TESTS, &d);

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_EQ(c->warnings.n, 0);
	/* the test's max wins over the campaign's; the campaign's min still holds */
	nr_campaign_limits(c, "rr", "lat", &lo, &hi);
	CHECK(lo && hi);
	CHECK_NEAR(hi->value, 40000, 1e-9);
	CHECK_STR(hi->unit, "us");
	CHECK_STR(hi->text, "40ms");
	CHECK_EQ(hi->pos.line, 11); /* where "40ms" is */
	CHECK_EQ(hi->pos.column, 25);
	CHECK_NEAR(lo->value, 5, 1e-12);
	CHECK(!hi->warning && !lo->warning);
	/* another test: the campaign's both */
	nr_campaign_limits(c, "other", "lat", &lo, &hi);
	CHECK_NEAR(hi->value, 50000, 1e-9);
	CHECK_EQ(hi->pos.line, 2);
	CHECK_EQ(hi->pos.column, 24);
	/* human units through the canonical one: MB/s is 8e6 bit/s */
	nr_campaign_limits(c, "other", "bw", &lo, &hi);
	CHECK(lo && !hi);
	CHECK_NEAR(lo->value, 1.6e10, 1);
	CHECK_STR(lo->unit, "bit/s");
	nr_campaign_limits(c, "tool", "throughput_bps", &lo, &hi);
	CHECK_NEAR(lo->value, 9e9, 1);
	/* a plain number is in the metric's own unit; severity is kept */
	nr_campaign_limits(c, "rr", "n", &lo, &hi);
	CHECK(!lo && hi && !hi->unit && hi->warning);
	CHECK_NEAR(hi->value, 7, 0);
	/* no limit on a metric that has none */
	nr_campaign_limits(c, "rr", "nothing", &lo, &hi);
	CHECK(!lo && !hi);
	nr_campaign_free(c);
}

NR_TEST(limits_errors_name_the_place_and_the_key)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* a unit of the wrong kind for the metric (declared, or the catalogue's) */
		{ "limits: {lat: {max: 9 Gbit/s}}\n" TESTS,
		  "c.yaml:1:21: 'max' of the limit on 'lat' is '9 Gbit/s', a bit rate, but test 'rr' "
		  "gives the metric in us, a time" },
		{ "limits: {throughput_bps: {min: 50ms}}\n" TESTS,
		  "c.yaml:1:32: 'min' of the limit on 'throughput_bps' is '50ms', a time, but test 'tool' "
		  "gives the metric in bit/s, a bit rate" },
		{ "limits: {n: {max: 5ms}}\n" TESTS, "c.yaml:1:19: 'max' of the limit on 'n' is '5ms', a "
						      "time, but test 'rr' gives the metric as a plain number" },
		{ "limits: {lat: {max: 5 parsecs}}\n" TESTS, "c.yaml:1:21: unknown unit 'parsecs' in 'max'" },
		{ "limits: {lat: {max: fast}}\n" TESTS, "c.yaml:1:21: 'max' of the limit on 'lat' must be a number" },
		{ "limits: {lat: {max: nan}}\n" TESTS, "c.yaml:1:21: 'max' of the limit on 'lat' must be a finite number" },
		{ "limits: {lat: {max: 1e308 s}}\n" TESTS, "c.yaml:1:21: 'max' of the limit on 'lat' is not a finite number in us" },
		{ "limits: {lat: {mx: 5ms}}\n" TESTS, "c.yaml:1:16: unknown key 'mx' in a limit (did you mean 'max'?)" },
		{ "limits: {lat: {}}\n" TESTS, "c.yaml:1:15: the limit on 'lat' needs 'min', 'max' or both" },
		{ "limits: {lat: 5ms}\n" TESTS, "c.yaml:1:15: 'lat' must be a mapping" },
		{ "limits: [lat]\n" TESTS, "c.yaml:1:9: 'limits' must be a mapping" },
		{ "limits: {lat: {min: 6ms, max: 5ms}}\n" TESTS,
		  "c.yaml:1:31: 'min' of the limit on 'lat' (6ms) is above its 'max' (5ms)" },
		{ "limits: {lat: {min: 1ms, max: 5}}\n" TESTS,
		  "c.yaml:1:31: 'min' and 'max' of the limit on 'lat' are in different units" },
		{ "limits: {lat: {min: 60ms}}\n" TESTS,
		  "c.yaml:6:25: the limits on 'lat' leave nothing for test 'rr': min '60ms' (line 1) is "
		  "above max '40ms' (line 6)" },
		{ "limits: {lat: {max: 5ms, severity: low}}\n" TESTS,
		  "c.yaml:1:36: 'severity' of a limit must be warning or critical, not 'low'" },
		{ "limits: {metrics: {lat: {max: 5ms}}}\n" TESTS,
		  "c.yaml:1:10: 'limits' takes metric names directly" },
		{ "limits: {'a b': {max: 5ms}}\n" TESTS, "c.yaml:1:10: metric name 'a b' may hold only" },
		{ "tests: [{name: t, run: [echo], limits: {lat: {maxx: 1}}}]\n",
		  "c.yaml:1:47: unknown key 'maxx' in a limit" },
		{ "tests: [{name: t, run: [echo], parse: keyvalue, limits: {lat: {max: 1ms}}}]\n",
		  "c.yaml:1:69: 'max' of the limit on 'lat' is '1ms', a time, but test 't' gives the "
		  "metric as a plain number" },
		{ "tests: [{name: t, run: [echo], limitz: {}}]\n", "unknown key 'limitz' in test" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nr_diag d = { 0 };
		struct nr_campaign *c = load(cases[i].text, &d);

		if (c) {
			nr_campaign_free(c);
			nr_test_fail(__FILE__, __LINE__, "loaded a bad campaign:\n%s", cases[i].text);
		}
		if (d.code != NR_ECONFIG || !strstr(d.msg, cases[i].want))
			nr_test_fail(__FILE__, __LINE__, "case %zu: '%s' does not contain '%s'", i, d.msg,
				     cases[i].want);
	}
}

NR_TEST(limits_warn_of_a_metric_no_parser_gives)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load("limits: {latncy_p99_us: {max: 5ms}, throughput_bps: {min: 1}}\n"
				     "tests:\n"
				     "  - {name: a, run: [echo], parse: iperf3}\n"
				     "  - name: b\n"
				     "    run: [echo]\n"
				     "    parse: {format: json, metrics: {x: /x}}\n"
				     "    limits: {y: {max: 1}, x: {max: 2}}\n",
				     &d);

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	/* a limit that checks nothing loads (it is no error), with a warning each */
	CHECK_EQ(c->warnings.n, 2);
	CHECK_STR(c->warnings.v[0], "c.yaml:1:10: warning: the limit on 'latncy_p99_us' checks "
				    "nothing: no parser of any test gives that metric (did you mean "
				    "'latency_p99_us'?)");
	CHECK_CONTAINS(c->warnings.v[1], "c.yaml:7:14: warning: the limit on 'y' checks nothing: "
					 "no parser of test 'b' gives that metric");
	nr_campaign_free(c);
	/* keyvalue with no declared metrics may give any key: nothing to warn of */
	c = load("limits: {whatever: {max: 1}}\ntests: [{name: a, run: [echo], parse: keyvalue}]\n", &d);
	CHECK(c != NULL);
	CHECK_EQ(c->warnings.n, 0);
	nr_campaign_free(c);
}

NR_TEST(limits_from_stored_text_alone)
{
	/* a run is judged by the limits it ran with, on a machine without its lab file */
	static const char text[] = "campaign: far\n"
				   "lab: /nonexistent/netrig-lab.yaml\n"
				   "limits: {lat: {max: 50ms}, bw: {min: 9 Gbit/s}}\n"
				   "tests:\n"
				   "  - name: t\n"
				   "    run: [echo]\n"
				   "    limits: {lat: {max: 40ms, severity: warning}}\n"
				   "  - {name: u, run: [echo]}\n";
	struct nr_diag d = { 0 };
	struct nr_campaign *c = NULL;
	const struct nr_limit_bound *lo, *hi;

	CHECK(load(text, &d) == NULL);
	CHECK_CONTAINS(d.msg, "lab");
	nr_diag_clear(&d);
	CHECK_OK(nr_campaign_load_thresholds("far.yaml", text, &c, &d));
	nr_campaign_limits(c, "t", "lat", &lo, &hi);
	CHECK(!lo && hi && hi->warning);
	CHECK_NEAR(hi->value, 40000, 1e-9);
	nr_campaign_limits(c, "u", "lat", &lo, &hi);
	CHECK(hi && !hi->warning);
	CHECK_NEAR(hi->value, 50000, 1e-9);
	nr_campaign_limits(c, "u", "bw", &lo, &hi);
	CHECK_NEAR(lo->value, 9e9, 1);
	nr_campaign_free(c);
	/* a bad limit in the stored copy is still an error, placed */
	c = NULL;
	CHECK_EQ(nr_campaign_load_thresholds("far.yaml",
					     "tests: [{name: t, limits: {lat: {max: soon}}}]\n", &c, &d),
		 NR_ECONFIG);
	CHECK(c == NULL);
	CHECK_CONTAINS(d.msg, "far.yaml:1:39: 'max' of the limit on 'lat'");
}

/* Rows of one series per (key, metric): values[0..n) as its repeats. */
struct rows {
	struct nr_sample_row v[64];
	size_t n;
};

static void add(struct rows *r, const char *test, const char *key, const char *metric,
		const char *unit, const double *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct nr_sample_row *x = &r->v[r->n++];

		memset(x, 0, sizeof(*x));
		snprintf(x->case_id, sizeof(x->case_id), "%s", key);
		x->id.test = (char *)test;
		x->id.key = (char *)key;
		x->id.role = "main";
		x->id.metric = (char *)metric;
		x->id.unit = (char *)unit;
		x->id.better = NR_BETTER_LOWER;
		x->interval = -1;
		x->repeat = (int)i;
		x->value = values[i];
	}
}

static const struct nr_limit_check *find(const struct nr_limits *l, const char *key,
					 const char *metric, bool is_max)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id.key, key) && !strcmp(l->v[i].id.metric, metric) &&
		    l->v[i].is_max == is_max)
			return &l->v[i];
	nr_test_fail(__FILE__, __LINE__, "no check of %s %s", key, metric);
}

NR_TEST(limits_judge_the_median_of_the_repeats)
{
	static const char text[] = "limits: {lat: {max: 50us}, bw: {min: 9 Gbit/s, max: 20 Gbit/s}, "
				   "n: {max: 10, severity: warning}, loss: {max: 1%}}\n"
				   "tests: [{name: t, run: [echo]}]\n";
	static const double outlier[] = { 40, 45, 70 }, slow[] = { 55, 60, 40 }, at[] = { 50, 50, 50 };
	static const double bw[] = { 8e9, 8.5e9, 9.5e9, 7e9 }, n[] = { 11, 12 }, loss[] = { 3, 3 };
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };
	struct nr_limits l;
	struct rows r = { .n = 0 };
	const struct nr_limit_check *k;

	CHECK_OK(nr_campaign_load_thresholds("c.yaml", text, &c, &d));
	add(&r, "t", "t/a=1", "lat", "us", outlier, 3);
	add(&r, "t", "t/a=2", "lat", "us", slow, 3);
	add(&r, "t", "t/a=3", "lat", "us", at, 3);
	add(&r, "t", "t/a=1", "bw", "bit/s", bw, 4);
	add(&r, "t", "t/a=1", "n", "", n, 2);
	add(&r, "t", "t/a=1", "loss", "", loss, 2); /* the values without the unit the limit assumes */
	add(&r, "t", "t/a=1", "free", "us", at, 3); /* no limit on it */
	r.v[r.n] = r.v[0]; /* per-interval values are no repeats */
	r.v[r.n].interval = 0;
	r.v[r.n++].value = 1e9;
	r.v[r.n] = r.v[0];
	r.v[r.n].interval = 1;
	r.v[r.n++].value = 1e9;
	nr_limits_judge(c, r.v, r.n, &l);
	CHECK_EQ(l.series, 6);
	CHECK_EQ(l.n, 7);
	/* one repeat past a max does not breach it: the median does */
	k = find(&l, "t/a=1", "lat", true);
	CHECK(!k->breached);
	CHECK_NEAR(k->value, 45, 0); /* of {40, 45, 70}: the interval values left out */
	CHECK_EQ(k->n, 3);
	CHECK_EQ(k->n_beyond, 1);
	CHECK_NEAR(k->worst, 70, 0);
	k = find(&l, "t/a=2", "lat", true);
	CHECK(k->breached && k->severity == NR_SEVERITY_CRITICAL);
	CHECK_NEAR(k->value, 55, 0);
	CHECK_NEAR(k->excess, 5, 1e-12);
	CHECK_NEAR(k->excess_rel, 0.1, 1e-12);
	CHECK_EQ(k->n_beyond, 2);
	CHECK_STR(k->limit_text, "50us");
	/* at the limit is within it */
	CHECK(!find(&l, "t/a=3", "lat", true)->breached);
	/* a min, on the median of an even count; the max beside it holds */
	k = find(&l, "t/a=1", "bw", false);
	CHECK(k->breached);
	CHECK_NEAR(k->value, 8.25e9, 1);
	CHECK_NEAR(k->excess, 0.75e9, 1);
	CHECK_NEAR(k->worst, 7e9, 0);
	CHECK_EQ(k->n_beyond, 3);
	CHECK(!find(&l, "t/a=1", "bw", true)->breached);
	/* severity: warning */
	k = find(&l, "t/a=1", "n", true);
	CHECK(k->breached && k->severity == NR_SEVERITY_WARNING);
	/* a unit the values are not in: not checkable, so breached rather than passed */
	k = find(&l, "t/a=1", "loss", true);
	CHECK(k->breached && k->unit_mismatch);
	CHECK_STR(k->limit_unit, "%");
	CHECK_EQ(l.breached, 4);
	/* breaches first, the critical ones before the warnings */
	CHECK(l.v[0].breached && l.v[0].severity == NR_SEVERITY_CRITICAL);
	CHECK(l.v[3].breached && l.v[3].severity == NR_SEVERITY_WARNING);
	CHECK(!l.v[4].breached);
	CHECK(nr_limits_fail(&l, NR_SEVERITY_WARNING));
	CHECK(nr_limits_fail(&l, NR_SEVERITY_CRITICAL));
	nr_limits_release(&l);
	/* with only the warning breached, --fail-on critical lets it pass */
	r.n = 0;
	add(&r, "t", "t/a=1", "n", "", n, 2);
	nr_limits_judge(c, r.v, r.n, &l);
	CHECK(nr_limits_fail(&l, NR_SEVERITY_WARNING));
	CHECK(!nr_limits_fail(&l, NR_SEVERITY_CRITICAL));
	nr_limits_release(&l);
	/* no campaign, no limits */
	nr_limits_judge(NULL, r.v, r.n, &l);
	CHECK_EQ(l.n, 0);
	CHECK(!nr_limits_fail(&l, NR_SEVERITY_WARNING));
	nr_campaign_free(c);
}

NR_TEST(limits_reported_in_every_format)
{
	static const char text[] = "limits: {lat: {max: 50us}}\ntests: [{name: t, run: [echo]}]\n";
	static const double slow[] = { 55, 60, 62 }, fast[] = { 10, 11, 12 };
	struct nr_run_rec run = { .id = "01a2", .short_id = "01a2", .campaign = "c",
				  .status = NR_RUN_PASSED };
	struct nr_case_rec cases[2] = {
		{ .ordinal = 1, .test = "t", .key = "t/a=1", .status = NR_CASE_PASSED },
		{ .ordinal = 2, .test = "t", .key = "t/a=2", .status = NR_CASE_PASSED },
	};
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };
	struct nr_limits l;
	struct nr_result_row *res = NULL;
	size_t n_res = 0;
	struct rows r = { .n = 0 };
	struct nr_report_run rep = { .run = &run, .cases = cases, .n_cases = 2 };
	struct nr_buf out = NR_BUF_INIT;

	CHECK_OK(nr_campaign_load_thresholds("c.yaml", text, &c, &d));
	add(&r, "t", "t/a=1", "lat", "us", slow, 3);
	add(&r, "t", "t/a=2", "lat", "us", fast, 3);
	nr_limits_judge(c, r.v, r.n, &l);
	nr_report_aggregate(r.v, r.n, &res, &n_res);
	rep.results = res;
	rep.n_results = n_res;
	/* a passed run with no baseline: the limits alone decide */
	CHECK_STR(nr_report_verdict(&rep), "passed");
	rep.limits = &l;
	CHECK_STR(nr_report_verdict(&rep), "limit");
	nr_report_run(&rep, NR_REPORT_TEXT, &out);
	CHECK_CONTAINS(out.buf, "limits: 1 of 2 limit checks breached, on 2 series");
	CHECK_CONTAINS(out.buf, "critical  t/a=1");
	CHECK_CONTAINS(out.buf, "60.0 us max 50us");
	CHECK_CONTAINS(out.buf, "10.0 us (20.0 %)");
	CHECK_CONTAINS(out.buf, "verdict: limit\n");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_MD, &out);
	CHECK_CONTAINS(out.buf, "## netrig: c :x: limits breached");
	CHECK_CONTAINS(out.buf, "### Limits breached (1)");
	CHECK_CONTAINS(out.buf, "| `t/a=1` | lat | 60.0 us | max 50us | 10.0 us \\(20.0 %\\) | 3/3 | critical |");
	CHECK_CONTAINS(out.buf, "<summary>Limits kept (1)</summary>");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_JUNIT, &out);
	CHECK_CONTAINS(out.buf, "failures=\"1\"");
	CHECK_CONTAINS(out.buf, "<failure type=\"limit\" message=\"critical limit breach: median 60.0 us "
				"is above max 50us by 10.0 us (20.0 %); 3 of 3 repeats past it, the highest 62.0 us\"/>");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"verdict\": \"limit\"");
	CHECK_CONTAINS(out.buf, "\"breached\": 1");
	CHECK_CONTAINS(out.buf, "\"limit_text\": \"50us\"");
	CHECK_CONTAINS(out.buf, "\"excess_relative\": 0.2");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_CSV, &out);
	CHECK_CONTAINS(out.buf, "run,test,case,role,metric,unit,bound,limit,limit_unit,limit_text,median,");
	CHECK_CONTAINS(out.buf, "01a2,t,t/a=1,main,lat,us,max,50,us,50us,60,62,3,3,true,critical,10,0.2");
	nr_buf_reset(&out);
	nr_report_html(&rep, &out);
	CHECK_CONTAINS(out.buf, "<h3 id=\"limits\">Limits</h3>");
	CHECK_CONTAINS(out.buf, "<span class=\"badge b-critical\">critical</span></td><td>t/a=1</td>");
	CHECK_CONTAINS(out.buf, "limits breached");
	/* the run's own failure still comes first */
	run.status = NR_RUN_FAILED;
	CHECK_STR(nr_report_verdict(&rep), "failed");
	nr_buf_release(&out);
	free(res);
	nr_limits_release(&l);
	nr_campaign_free(c);
}

/* ---- results --best ---- */

struct best_fixture {
	struct rows r;
	struct nr_case_rec cases[8];
	size_t n_cases;
	struct nr_result_row *res;
	size_t n_res;
	struct nr_run_rec run;
};

static void best_case(struct best_fixture *f, const char *test, const char *key,
		      enum nr_case_status status)
{
	f->cases[f->n_cases++] = (struct nr_case_rec){ .ordinal = (int64_t)f->n_cases + 1,
						       .test = (char *)test, .key = (char *)key,
						       .status = status,
						       .params = "{\"a\":\"1\"}" };
}

static void best_fixture_init(struct best_fixture *f)
{
	static const double v10[] = { 9, 10, 11 }, v12[] = { 12, 12, 12 }, v8[] = { 7, 8, 30 };
	static const double v8b[] = { 8, 8 }, v5[] = { 5, 5, 5 };

	memset(f, 0, sizeof(*f));
	f->run = (struct nr_run_rec){ .id = "01a2", .short_id = "01a2", .campaign = "c",
				      .status = NR_RUN_PASSED };
	/* rr: lower is better; the best median is 8 (not the lowest single repeat, 5's case fails) */
	best_case(f, "rr", "rr/a=1", NR_CASE_PASSED);
	best_case(f, "rr", "rr/a=2", NR_CASE_PASSED);
	best_case(f, "rr", "rr/a=3", NR_CASE_PASSED);
	best_case(f, "rr", "rr/a=4", NR_CASE_FAILED);
	/* tie: two cases share the best median */
	best_case(f, "bulk", "bulk/a=1", NR_CASE_PASSED);
	best_case(f, "bulk", "bulk/a=2", NR_CASE_PASSED);
	/* none: the metric is missing from this test */
	best_case(f, "none", "none/a=1", NR_CASE_PASSED);
	add(&f->r, "rr", "rr/a=1", "lat", "us", v10, 3);
	add(&f->r, "rr", "rr/a=2", "lat", "us", v12, 3);
	add(&f->r, "rr", "rr/a=3", "lat", "us", v8, 3);
	add(&f->r, "rr", "rr/a=4", "lat", "us", v5, 3);
	add(&f->r, "bulk", "bulk/a=1", "lat", "us", v8, 3);
	add(&f->r, "bulk", "bulk/a=2", "lat", "us", v8b, 2);
	add(&f->r, "none", "none/a=1", "other", "us", v8, 3);
	nr_report_aggregate(f->r.v, f->r.n, &f->res, &f->n_res);
}

NR_TEST(best_case_per_test)
{
	struct best_fixture f;
	struct nr_best b = { 0 };
	struct nr_diag d = { 0 };
	struct nr_buf out = NR_BUF_INIT;

	best_fixture_init(&f);
	CHECK_OK(nr_report_best_pick(&f.run, f.cases, f.n_cases, f.res, f.n_res, "lat",
				     NR_BETTER_NONE, &b, &d));
	CHECK_EQ(b.n, 3);
	CHECK_STR(b.v[0].test, "rr");
	CHECK_EQ(b.v[0].n_best, 1);
	CHECK_STR(b.v[0].best[0]->id.key, "rr/a=3");
	CHECK_NEAR(b.v[0].best[0]->median, 8, 0);
	CHECK_EQ(b.v[0].candidates, 3);
	CHECK_EQ(b.v[0].not_passed, 1);
	CHECK(b.v[0].better == NR_BETTER_LOWER);
	CHECK_STR(b.v[1].test, "bulk");
	CHECK_EQ(b.v[1].n_best, 2);
	CHECK_STR(b.v[2].test, "none");
	CHECK(b.v[2].role == NULL && b.v[2].n_best == 0);
	nr_report_best(&f.run, &b, f.cases, f.n_cases, NR_REPORT_TEXT, &out);
	CHECK_CONTAINS(out.buf, "test  parameters  better          median    n  note\n");
	CHECK_CONTAINS(out.buf, "rr    a=3         lower          8.00 us    3  best of 3 cases (1 not passed, left out)\n");
	CHECK_CONTAINS(out.buf, "bulk  a=1         lower          8.00 us    3  tie: 2 cases share the best median\n");
	CHECK_CONTAINS(out.buf, "bulk  a=2         lower          8.00 us    2  tie: 2 cases share the best median\n");
	CHECK_CONTAINS(out.buf, "none  -           -                    -    -  no lat in this test\n");
	nr_buf_reset(&out);
	nr_report_best(&f.run, &b, f.cases, f.n_cases, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"schema\": \"netrig.best/1\"");
	CHECK_CONTAINS(out.buf, "\"state\": \"tie\"");
	CHECK_CONTAINS(out.buf, "\"state\": \"missing\"");
	CHECK_CONTAINS(out.buf, "\"a\": \"1\"");
	nr_buf_reset(&out);
	nr_report_best(&f.run, &b, f.cases, f.n_cases, NR_REPORT_CSV, &out);
	CHECK_CONTAINS(out.buf, "01a2,rr,main,best,rr/a=3,\"{\"\"a\"\":\"\"1\"\"}\",lat,us,lower,8,3,1,3,1\r\n");
	CHECK_CONTAINS(out.buf, "01a2,none,,missing,,,lat,,,,,0,0,0\r\n");
	nr_best_release(&b);
	/* --max turns the direction: the highest median */
	CHECK_OK(nr_report_best_pick(&f.run, f.cases, f.n_cases, f.res, f.n_res, "lat",
				     NR_BETTER_HIGHER, &b, &d));
	CHECK_STR(b.v[0].best[0]->id.key, "rr/a=2");
	nr_best_release(&b);
	nr_buf_release(&out);
	free(f.res);
}

NR_TEST(best_refuses_what_it_cannot_rank)
{
	struct best_fixture f;
	struct nr_best b = { 0 };
	struct nr_diag d = { 0 };
	size_t i;

	best_fixture_init(&f);
	/* a metric with no direction: refused unless --max or --min says which */
	for (i = 0; i < f.n_res; i++)
		f.res[i].id.better = NR_BETTER_NONE;
	CHECK_EQ(nr_report_best_pick(&f.run, f.cases, f.n_cases, f.res, f.n_res, "lat",
				     NR_BETTER_NONE, &b, &d), NR_EINVAL);
	CHECK_CONTAINS(d.msg, "metric 'lat' is neither better higher nor lower");
	CHECK_CONTAINS(d.msg, "--max or --min");
	CHECK_EQ(b.n, 0);
	nr_diag_clear(&d);
	CHECK_OK(nr_report_best_pick(&f.run, f.cases, f.n_cases, f.res, f.n_res, "lat",
				     NR_BETTER_LOWER, &b, &d));
	CHECK_STR(b.v[0].best[0]->id.key, "rr/a=3");
	nr_best_release(&b);
	/* a metric no test has */
	CHECK_EQ(nr_report_best_pick(&f.run, f.cases, f.n_cases, f.res, f.n_res, "lta",
				     NR_BETTER_NONE, &b, &d), NR_ENOTFOUND);
	CHECK_CONTAINS(d.msg, "has no samples of metric 'lta' (did you mean 'lat'?)");
	free(f.res);
}
