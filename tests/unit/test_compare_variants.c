/*
 * compare --variants over a stored run: pairs made of repeat i of each
 * variant, thresholds from the stored campaign, a drift across pairs that
 * the pairs cancel, the extra evidence, and every report format saying
 * it is paired.
 */
#include <math.h>
#include <stdio.h>

#include "base/clock.h"
#include "base/mem.h"
#include "compare/compare.h"
#include "report/report.h"
#include "store/store.h"
#include "test.h"

#define PAIRS 6

static const char campaign_text[] =
	"campaign: ab\n"
	"thresholds: {warning: 3%}\n"
	"variants: {base: {}, cand: {}}\n"
	"tests: [{name: t, run: x, matrix: {n: [1, 2]}}]\n";

/* One attempt of a case with one sample of lat_us. */
static void add_sample(struct nr_store *st, struct nr_case_rec *c, int repeat, double value)
{
	struct nr_attempt_rec a = { 0 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_output_in out = { .role = "main", .host = "local", .stream = "stdout",
				    .data = nr_slice_str("x") };
	struct nr_role_samples rs = { "main", &set };

	c->repeats_done = repeat + 1;
	c->attempts++;
	c->status = c->repeats_done == c->repeats ? NR_CASE_PASSED : NR_CASE_RUNNING;
	nr_uuid_v7(a.id);
	memcpy(a.case_id, c->id, sizeof(a.case_id));
	a.number = c->attempts;
	a.repeat = repeat;
	a.outcome = NR_ATTEMPT_PASSED;
	a.started_us = nr_wall_us();
	a.finished_us = a.started_us + 1;
	nr_sample_add(&set, "lat_us", value, "us", NR_BETTER_LOWER);
	CHECK_OK(nr_store_attempt_save(st, c, &a, &out, 1, &rs, 1, NULL));
	nr_sample_set_release(&set);
}

/*
 * A run of four cases, the variants of n=1 and n=2. The machine's speed
 * swings by +-30 % from pair to pair; n=1's candidate is 5 % slower, n=2
 * is A/A. n=2's candidate lacks its last repeat.
 */
static void make_run(struct nr_store *st, char run_id[NR_UUID_LEN + 1], bool variants)
{
	static const char *const keys[2][4] = {
		{ "t/variant=base,n=1", "t/variant=cand,n=1", "t/variant=base,n=2", "t/variant=cand,n=2" },
		{ "t/n=1", "t/n=2", "t/n=3", "t/n=4" },
	};
	struct nr_run_rec run = { 0 };
	struct nr_case_rec cases[4];
	int k, i;

	memset(cases, 0, sizeof(cases));
	nr_uuid_v7(run.id);
	run.campaign = "ab";
	run.config = (char *)campaign_text;
	run.config_hash = "h";
	run.status = NR_RUN_PASSED;
	run.labels = "{}";
	run.started_us = nr_wall_us();
	for (k = 0; k < 4; k++) {
		nr_uuid_v7(cases[k].id);
		memcpy(cases[k].run_id, run.id, sizeof(run.id));
		cases[k].ordinal = k + 1;
		cases[k].test = "t";
		cases[k].key = (char *)keys[variants ? 0 : 1][k];
		cases[k].params = "{}";
		cases[k].status = NR_CASE_PENDING;
		cases[k].repeats = PAIRS;
	}
	CHECK_OK(nr_store_run_create(st, &run, NULL, 0, cases, 4, NULL));
	for (i = 0; i < PAIRS; i++) {
		double level = 100 * (1 + 0.3 * sin(i)), wiggle = 1 + 0.002 * (i % 3);

		add_sample(st, &cases[0], i, level);
		add_sample(st, &cases[1], i, level * 1.05 * wiggle);
		add_sample(st, &cases[2], i, 2 * level * wiggle);
		if (i < PAIRS - 1)
			add_sample(st, &cases[3], i, 2 * level * (1 + 0.002 * ((i + 1) % 3)));
	}
	memcpy(run_id, run.id, sizeof(run.id));
}

static const struct nr_series_cmp *series(const struct nr_comparison *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].id.key, key))
			return &c->v[i];
	nr_test_fail(__FILE__, __LINE__, "no series %s", key);
}

NR_TEST(compare_variants_pairs_and_evidence)
{
	struct nr_store *st = NULL;
	struct nr_compare_opts o = { .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };
	struct nr_comparison c = { 0 };
	const struct nr_series_cmp *s1, *s2;
	char run_id[NR_UUID_LEN + 1];
	struct nr_diag d = { 0 };

	CHECK_OK(nr_store_open("v.db", &st, NULL));
	make_run(st, run_id, true);
	CHECK(nr_compare_run_has_variants(st, run_id));
	o.cand_sel = run_id;
	if (nr_compare_variants(st, &o, &c, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK(c.paired);
	CHECK_STR(c.base_variant, "base");
	CHECK_STR(c.cand_variant, "cand");
	CHECK_EQ(c.n, 2);
	s1 = series(&c, "t/n=1");
	s2 = series(&c, "t/n=2");
	/* the threshold of the stored campaign, not the default 10 % */
	CHECK_NEAR(s1->threshold, 0.03, 1e-12);
	CHECK_EQ(s1->paired.pairs, PAIRS);
	CHECK_EQ(s1->paired.unpaired, 0);
	CHECK_EQ(s2->paired.pairs, PAIRS - 1);
	CHECK_EQ(s2->paired.unpaired, 1);
	/* 5 % found through a +-30 % swing: the pairs cancel it */
	CHECK_EQ(s1->r.outcome, NR_OUTCOME_REGRESSION);
	CHECK_NEAR(s1->r.change, 0.052, 0.003);
	CHECK(s1->r.ci_low > 0.04 && s1->r.ci_high < 0.07);
	CHECK(s2->r.outcome != NR_OUTCOME_REGRESSION);
	CHECK(fabs(s2->r.change) < 0.005);
	/* the family's df: pairs - 1 (a family of 2 borrows nothing) */
	CHECK_NEAR(s1->r.df, PAIRS - 1, 0);
	/* signed-rank: all 6 log ratios positive, exact p = 2 / 2^6 */
	CHECK(s1->paired.signed_rank_exact);
	CHECK_NEAR(s1->paired.signed_rank_p, 2.0 / 64, 1e-15);
	CHECK(s1->paired.ratio_median > 1.05 && s1->paired.ratio_median < 1.055);
	CHECK(s1->paired.ratio_low <= s1->paired.ratio_median &&
	      s1->paired.ratio_high >= s1->paired.ratio_median);
	CHECK(nr_comparison_fails(&c, NR_SEVERITY_WARNING));
	nr_comparison_release(&c);
	/* --threshold wins over the campaign */
	o.params.threshold = 0.2;
	o.params.critical = 0.4;
	o.params_from_cli = true;
	CHECK_OK(nr_compare_variants(st, &o, &c, &d));
	CHECK_NEAR(series(&c, "t/n=1")->threshold, 0.2, 0);
	CHECK_EQ(series(&c, "t/n=1")->r.outcome, NR_OUTCOME_STABLE); /* real, below threshold */
	CHECK(series(&c, "t/n=1")->r.below_threshold);
	nr_comparison_release(&c);
	nr_store_close(st);
}

NR_TEST(compare_variants_refuses_a_run_without)
{
	struct nr_store *st = NULL;
	struct nr_compare_opts o = { .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };
	struct nr_comparison c = { 0 };
	char run_id[NR_UUID_LEN + 1];
	struct nr_diag d = { 0 };

	CHECK_OK(nr_store_open("v.db", &st, NULL));
	make_run(st, run_id, false);
	CHECK(!nr_compare_run_has_variants(st, run_id));
	o.cand_sel = run_id;
	CHECK_EQ(nr_compare_variants(st, &o, &c, &d), NR_ENOTFOUND);
	CHECK_CONTAINS(d.msg, "has no variants");
	nr_store_close(st);
}

NR_TEST(compare_variants_every_format_says_paired)
{
	struct nr_store *st = NULL;
	struct nr_compare_opts o = { .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };
	struct nr_comparison c = { 0 };
	struct nr_report_run rep = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	char run_id[NR_UUID_LEN + 1];

	CHECK_OK(nr_store_open("v.db", &st, NULL));
	make_run(st, run_id, true);
	o.cand_sel = run_id;
	CHECK_OK(nr_compare_variants(st, &o, &c, NULL));
	nr_report_comparison(&c, NR_REPORT_TEXT, &out);
	CHECK_CONTAINS(out.buf, "paired comparison: variant cand against variant base of run ");
	CHECK_CONTAINS(out.buf, "5 to 6 pairs a series");
	CHECK_CONTAINS(out.buf, "pairs      sr p median ratio [interval]");
	CHECK_CONTAINS(out.buf, "need: pairs to find a change of the threshold");
	CHECK_CONTAINS(out.buf, " 0.0312 1.05");
	/* a failed case is the run's: both variants' cases are in it */
	c.cand_failed_cases = 1;
	nr_buf_reset(&out);
	nr_report_comparison(&c, NR_REPORT_TEXT, &out);
	CHECK_CONTAINS(out.buf, "note: 1 case of the run failed");
	c.cand_failed_cases = 0;
	nr_buf_reset(&out);
	nr_report_comparison(&c, NR_REPORT_MD, &out);
	CHECK_CONTAINS(out.buf, "Paired comparison: variant `cand` against variant `base`");
	CHECK_CONTAINS(out.buf, "| pairs | sr p | median ratio \\[interval\\] | note |");
	nr_buf_reset(&out);
	nr_report_comparison(&c, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"paired\": true");
	CHECK_CONTAINS(out.buf, "\"base_variant\": \"base\"");
	CHECK_CONTAINS(out.buf, "\"pairs\": 6");
	CHECK_CONTAINS(out.buf, "\"unpaired\": 1");
	CHECK_CONTAINS(out.buf, "\"signed_rank_p\": 0.03125");
	CHECK_CONTAINS(out.buf, "\"median_ratio_low\":");
	nr_buf_reset(&out);
	nr_report_comparison(&c, NR_REPORT_JUNIT, &out);
	CHECK_CONTAINS(out.buf, "(paired: variant cand against base)");
	CHECK_CONTAINS(out.buf, "; paired: 6 pairs, signed-rank p 0.0312, median ratio 1.05");
	/* a run's report: the paired comparison decides the verdict too */
	rep.run = &c.cand;
	rep.paired = &c;
	CHECK_STR(nr_report_verdict(&rep), "regression");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_MD, &out);
	CHECK_CONTAINS(out.buf, "### Variants");
	CHECK_CONTAINS(out.buf, ":x: regressions found");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_JSON, &out);
	CHECK_CONTAINS(out.buf, "\"variants\": {");
	nr_buf_reset(&out);
	nr_report_run(&rep, NR_REPORT_JUNIT, &out);
	CHECK_CONTAINS(out.buf, "<testsuite name=\"variants: cand against base\" tests=\"2\" failures=\"1\">");
	nr_buf_reset(&out);
	nr_report_html(&rep, &out);
	CHECK_CONTAINS(out.buf, "<h3>Variants, pair by pair</h3>");
	nr_buf_release(&out);
	nr_comparison_release(&c);
	nr_store_close(st);
}
