#include <math.h>

#include "report/report.h"
#include "test.h"

NR_TEST(report_aggregate_median_min_max)
{
	struct nr_sample_row rows[5];
	struct nr_result_row *res;
	size_t n, i;
	double v[] = { 3, 1, 2, 10, 20 };

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 5; i++) {
		snprintf(rows[i].case_id, sizeof(rows[i].case_id), "%s", i < 3 ? "c1" : "c2");
		rows[i].id.test = "t";
		rows[i].id.key = i < 3 ? "t/a=1" : "t/a=2";
		rows[i].id.role = "main";
		rows[i].id.metric = "m";
		rows[i].id.unit = "us";
		rows[i].interval = -1;
		rows[i].value = v[i];
	}
	nr_report_aggregate(rows, 5, &res, &n);
	CHECK_EQ(n, 2);
	CHECK_NEAR(res[0].median, 2, 0);
	CHECK_NEAR(res[0].min, 1, 0);
	CHECK_NEAR(res[0].max, 3, 0);
	CHECK_EQ(res[0].n, 3);
	CHECK_NEAR(res[1].median, 15, 0);
	CHECK_NEAR(res[1].stddev, 7.0710678118654755, 1e-12);
	free(res);
}

NR_TEST(report_csv_quotes_fields)
{
	struct nr_run_rec run = { .campaign = "c", .status = NR_RUN_PASSED };
	struct nr_case_rec c = { .ordinal = 1, .test = "t", .key = "t/v=a%2Cb",
				 .status = NR_CASE_FAILED, .repeats = 1, .params = "{\"v\":\"a,b\"}",
				 .error = "role main: exit 1: say \"no\"" };
	struct nr_buf out = NR_BUF_INIT;

	nr_report_status(&run, &c, 1, NR_REPORT_CSV, &out);
	CHECK_CONTAINS(out.buf, "ordinal,test,case,status,");
	CHECK_CONTAINS(out.buf, "\"{\"\"v\"\":\"\"a,b\"\"}\"");
	CHECK_CONTAINS(out.buf, "\"role main: exit 1: say \"\"no\"\"\"\r\n");
	nr_buf_release(&out);
}

/*
 * A comparison of three series as the family judges them: a clear
 * regression, a noisy series too noisy for its threshold, and one with
 * too few repeats.
 */
struct cmp_fixture {
	double b[3][5], c[3][5];
	struct nr_series_cmp v[3];
	struct nr_run_rec run, base;
	struct nr_comparison cmp;
};

static void cmp_fixture_init(struct cmp_fixture *f)
{
	static const double noisy_b[] = { 100, 70, 130, 85, 115 }, noisy_c[] = { 95, 125, 80, 110, 75 };
	struct nr_analysis_series in[3];
	struct nr_analysis_compare_result r[3];
	size_t i, k;

	memset(f, 0, sizeof(*f));
	for (k = 0; k < 5; k++) {
		f->b[0][k] = 100 + (double)k * 0.1;
		f->c[0][k] = 125 + (double)k * 0.1;
		f->b[1][k] = noisy_b[k];
		f->c[1][k] = noisy_c[k];
	}
	f->b[2][0] = 10, f->b[2][1] = 10.1, f->c[2][0] = 10, f->c[2][1] = 10.2;
	for (i = 0; i < 3; i++) {
		in[i] = (struct nr_analysis_series){ .base = f->b[i], .cand = f->c[i],
						     .nb = i == 2 ? 2 : 5, .nc = i == 2 ? 2 : 5,
						     .better = NR_BETTER_LOWER, .threshold = 0.1,
						     .critical = 0.2 };
		f->v[i] = (struct nr_series_cmp){ .id = { .test = "t", .key = i == 0 ? "t/a=1" : i == 1 ? "t/a=2" : "t/a=3",
							  .role = "main", .metric = "lat", .unit = "us",
							  .better = NR_BETTER_LOWER },
						  .presence = NR_IN_BOTH, .threshold = 0.1, .critical = 0.2 };
	}
	CHECK_OK(nr_analysis_compare_family(in, 3, NULL, r));
	for (i = 0; i < 3; i++) {
		f->v[i].r = r[i];
		f->cmp.counts[r[i].outcome]++;
	}
	f->run = (struct nr_run_rec){ .campaign = "c", .status = NR_RUN_PASSED };
	snprintf(f->run.id, sizeof(f->run.id), "01a2beef-0000-7000-8000-000000000001");
	snprintf(f->base.id, sizeof(f->base.id), "01a2beee-0000-7000-8000-000000000001");
	f->cmp.cand = f->run;
	f->cmp.base = &f->base;
	f->cmp.n_base = 1;
	f->cmp.v = f->v;
	f->cmp.n = 3;
	f->cmp.few_repeats = true;
	f->cmp.alpha = 0.01;
	f->cmp.ci_level = 0.95;
	f->cmp.power = 0.8;
}

NR_TEST(report_comparison_shows_the_evidence)
{
	struct cmp_fixture f;
	struct nr_buf out = NR_BUF_INIT;

	cmp_fixture_init(&f);
	CHECK_EQ(f.v[0].r.outcome, NR_OUTCOME_REGRESSION);
	CHECK_EQ(f.v[1].r.outcome, NR_OUTCOME_NOISY);
	CHECK(f.v[2].r.few_repeats);
	/* text: p before and after adjustment, what each series detects, and
	 * the sentence for the series that cannot detect its threshold */
	nr_report_comparison(&f.cmp, NR_REPORT_TEXT, &out);
	CHECK_CONTAINS(out.buf, "p adj");
	CHECK_CONTAINS(out.buf, "detects");
	CHECK_CONTAINS(out.buf, "5 repeats: changes under ");
	CHECK_CONTAINS(out.buf, "cannot be told from noise; ");
	CHECK_CONTAINS(out.buf, " repeats would detect 10%");
	CHECK_CONTAINS(out.buf, "few repeats: no test");
	CHECK_CONTAINS(out.buf, "at most 1 % chance of any false regression in these 2 series");
	nr_buf_reset(&out);
	nr_report_comparison(&f.cmp, NR_REPORT_MD, &out);
	CHECK_CONTAINS(out.buf, "| p | p adj | noise | detects | need |");
	CHECK_CONTAINS(out.buf, "- `t/a=2` lat: noise ");
	CHECK_CONTAINS(out.buf, "## netrig: c :x: regressions found");
	nr_buf_reset(&out);
	nr_report_comparison(&f.cmp, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"schema\": \"netrig.compare/2\"");
	CHECK_CONTAINS(out.buf, "\"p_adjusted\":");
	CHECK_CONTAINS(out.buf, "\"detectable\":");
	CHECK_CONTAINS(out.buf, "\"repeats_needed\":");
	CHECK_CONTAINS(out.buf, "\"fails\": true");
	nr_buf_reset(&out);
	nr_report_comparison(&f.cmp, NR_REPORT_JUNIT, &out);
	CHECK_CONTAINS(out.buf, "failures=\"1\"");
	CHECK_CONTAINS(out.buf, ", adjusted ");
	CHECK_CONTAINS(out.buf, "<system-out>noisy (p ");
	CHECK_CONTAINS(out.buf, "); noise ");
	nr_buf_release(&out);
}

NR_TEST(report_run_states_one_verdict)
{
	struct cmp_fixture f;
	struct nr_report_run rep = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	const char *p;
	int headings = 0;

	cmp_fixture_init(&f);
	rep.run = &f.run;
	rep.cmp = &f.cmp;
	CHECK_STR(nr_report_verdict(&rep), "regression");
	nr_report_run(&rep, NR_REPORT_MD, &out);
	for (p = out.buf; (p = strstr(p, "## ")); p++)
		headings += p == out.buf || p[-1] == '\n';
	CHECK_EQ(headings, 1);
	CHECK_CONTAINS(out.buf, "## netrig: c :x: regressions found");
	CHECK(!strstr(out.buf, "passed"));
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"verdict\": \"regression\"");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_TEXT, &out);
	CHECK_CONTAINS(out.buf, "verdict: regression\n");
	/* the run's own failure comes first */
	f.run.status = NR_RUN_FAILED;
	CHECK_STR(nr_report_verdict(&rep), "failed");
	/* no comparison possible: said, and the run decides */
	f.run.status = NR_RUN_PASSED;
	rep.cmp = NULL;
	rep.cmp_missing = "no run matches 'branch:main'";
	CHECK_STR(nr_report_verdict(&rep), "passed");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_MD, &out);
	CHECK_CONTAINS(out.buf, "## netrig: c :white_check_mark: passed");
	CHECK_CONTAINS(out.buf, "No comparison: no run matches 'branch:main'.");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"comparison\": null");
	CHECK_CONTAINS(out.buf, "\"comparison_missing\": \"no run matches 'branch:main'\"");
	nr_buf_release(&out);
}

/* A sparkline: gaps (NaN) skipped, flat and empty series drawn, values in its title, no "nan". */
NR_TEST(report_svg_sparkline)
{
	const double v[] = { 1e9, NAN, 2e9, 1.5e9 }, flat[] = { 5, 5, 5 }, none[] = { NAN, NAN };
	struct nr_buf out = NR_BUF_INIT;

	nr_report_svg_sparkline(&out, "bit/s", v, 4);
	CHECK_CONTAINS(out.buf, "<svg class=\"spark\"");
	CHECK_CONTAINS(out.buf, "<title>1.00 Gbit/s &#8594; 1.50 Gbit/s over 4 runs</title>");
	/* three points joined across the gap, the last one marked at the right edge */
	CHECK_CONTAINS(out.buf, "d=\"M3.0 25.0L79.0 3.0L117.0 14.0\"");
	CHECK_CONTAINS(out.buf, "<circle class=\"pt-cur\" cx=\"117.0\" cy=\"14.0\"");
	CHECK(out.buf[out.len - 1] == '>' && !strstr(out.buf, "nan") && !strstr(out.buf, "inf"));
	nr_buf_reset(&out);
	nr_report_svg_sparkline(&out, "us", flat, 3);
	CHECK_CONTAINS(out.buf, "d=\"M3.0 14.0L60.0 14.0L117.0 14.0\"");
	nr_buf_reset(&out);
	nr_report_svg_sparkline(&out, "us", none, 2);
	CHECK_CONTAINS(out.buf, "<title>no values</title></svg>");
	CHECK(!strstr(out.buf, "<path") && !strstr(out.buf, "nan"));
	nr_buf_reset(&out);
	nr_report_svg_sparkline(&out, "us", flat, 0);
	CHECK_CONTAINS(out.buf, "no values");
	nr_buf_release(&out);
}

/* The page pieces a server builds on: title and subtitle escaped, its nav as given, no script. */
NR_TEST(report_html_begin_end)
{
	struct nr_buf out = NR_BUF_INIT;

	nr_report_html_begin(&out, "<script>x</script>", "a&b", "<a href=\"/\">home</a>");
	nr_report_html_badge(&out, "<b>");
	nr_report_html_badge(&out, "passing");
	nr_report_html_time(&out, 0);
	nr_report_html_end(&out);
	CHECK_CONTAINS(out.buf, "<title>&lt;script&gt;x&lt;/script&gt;</title>");
	CHECK_CONTAINS(out.buf, "<div class=\"sub\">a&amp;b</div>");
	CHECK_CONTAINS(out.buf, "<nav><a href=\"/\">home</a></nav>");
	CHECK_CONTAINS(out.buf, "<span class=\"badge\">&lt;b&gt;</span>");
	CHECK_CONTAINS(out.buf, "<span class=\"badge b-passing\">passing</span>");
	CHECK(!strstr(out.buf, "<script"));
	CHECK_CONTAINS(out.buf, "</html>\n");
	nr_buf_release(&out);
}
