/*
 * Comparisons of many series (nr_analysis_compare_family): the mechanics
 * of borrowing, adjustment and verdicts, and the trust rates at modest
 * sizes with fixed seeds. bench/trust.sh measures the rates at full size.
 */
#include <math.h>

#include "../../bench/trust_sim.h"
#include "analysis/analysis.h"
#include "base/mem.h"
#include "base/rand.h"
#include "test.h"

/* Comparisons of setting st: how many failed the gate, and how many of
 * the shifted series netrig and the oracle found. */
static void trust_rates(const struct sim_setting *st, size_t runs, uint64_t seed,
			size_t *ret_fails, size_t *ret_found, size_t *ret_oracle)
{
	size_t m = st->series, n = st->repeats, k, i;
	double *b = nr_xcalloc(m * n, sizeof(*b)), *c = nr_xcalloc(m * n, sizeof(*c));
	struct nr_analysis_compare_result *r = nr_xcalloc(m, sizeof(*r));
	bool *o = nr_xcalloc(m, sizeof(*o));
	struct nr_rng rng;

	nr_rng_seed(&rng, seed);
	*ret_fails = *ret_found = *ret_oracle = 0;
	for (k = 0; k < runs; k++) {
		bool fail = false;

		sim_generate(&rng, st, b, c);
		CHECK_OK(sim_netrig(st, b, c, r));
		sim_oracle(st, b, c, 0.01, o);
		for (i = 0; i < m; i++) {
			fail |= r[i].outcome == NR_OUTCOME_REGRESSION;
			if (i < st->shifted) {
				*ret_found += r[i].outcome == NR_OUTCOME_REGRESSION;
				*ret_oracle += o[i];
			}
		}
		*ret_fails += fail;
	}
	free(b);
	free(c);
	free(r);
	free(o);
}

NR_TEST_T(analysis_trust_aa_false_fail, 120)
{
	/* the campaign: 50 series, 8 % noise, nothing changed */
	struct sim_setting st = { SIM_NORMAL, SIM_SAME, 0.08, 5, 50, 0, 0, 0, 0.10 };
	size_t fails, found, oracle;

	trust_rates(&st, 500, 1, &fails, &found, &oracle);
	fprintf(stderr, "A/A, normal 8 %%, 5 repeats: %zu of 500 comparisons failed\n", fails);
	CHECK_INT(fails, <, 10); /* < 2 % (expected about 0.5 %) */
	st.repeats = 3;
	trust_rates(&st, 500, 2, &fails, &found, &oracle);
	fprintf(stderr, "A/A, normal 8 %%, 3 repeats: %zu of 500 comparisons failed\n", fails);
	CHECK_INT(fails, <, 10);
	/* heavy-tailed and two-mode noise, and one series much noisier */
	st.noise = SIM_LOGNORMAL;
	st.cv = 0.25;
	trust_rates(&st, 300, 3, &fails, &found, &oracle);
	fprintf(stderr, "A/A, lognormal 25 %%, 3 repeats: %zu of 300 comparisons failed\n", fails);
	CHECK_INT(fails, <, 6);
	st.noise = SIM_BIMODAL;
	st.cv = 0.08;
	st.repeats = 5;
	trust_rates(&st, 300, 4, &fails, &found, &oracle);
	fprintf(stderr, "A/A, bimodal 8 %%, 5 repeats: %zu of 300 comparisons failed\n", fails);
	CHECK_INT(fails, <, 6);
	st = (struct sim_setting){ SIM_NORMAL, SIM_ONE_NOISY, 0.04, 3, 50, 0, 0, 0, 0.10 };
	trust_rates(&st, 300, 5, &fails, &found, &oracle);
	fprintf(stderr, "A/A, one series 5x the variance, 3 repeats: %zu of 300 failed\n", fails);
	CHECK_INT(fails, <, 6);
}

NR_TEST_T(analysis_trust_detection_vs_oracle, 120)
{
	/* a change equal to the threshold in every series, 2 % noise */
	struct sim_setting st = { SIM_NORMAL, SIM_SAME, 0.02, 5, 50, 0, 0.10, 50, 0.10 };
	size_t fails, found, oracle;

	trust_rates(&st, 40, 6, &fails, &found, &oracle);
	fprintf(stderr, "10 %% in 2 %% normal noise, 5 repeats: netrig %zu, oracle %zu of 2000\n",
		found, oracle);
	CHECK_INT(found, >=, 1800);	      /* >= 90 % found */
	CHECK_INT(10 * found, >=, 9 * oracle); /* >= 0.9 x the oracle */
	/* in 5 series of 50: Holm's later steps help less, borrowing still does */
	st.shifted = 5;
	trust_rates(&st, 100, 7, &fails, &found, &oracle);
	fprintf(stderr, "10 %% in 5 of 50 series: netrig %zu, oracle %zu of 500\n", found, oracle);
	CHECK_INT(found, >=, 400);
	CHECK_INT(found, >, oracle);
	/* heavy tails and two modes: better than the oracle */
	st = (struct sim_setting){ SIM_LOGNORMAL, SIM_SAME, 0.08, 10, 50, 0, 0.20, 50, 0.10 };
	trust_rates(&st, 30, 8, &fails, &found, &oracle);
	fprintf(stderr, "20 %% in 8 %% lognormal noise, 10 repeats: netrig %zu, oracle %zu of 1500\n",
		found, oracle);
	CHECK_INT(found, >, oracle);
	st.noise = SIM_BIMODAL;
	trust_rates(&st, 30, 9, &fails, &found, &oracle);
	fprintf(stderr, "20 %% in 8 %% bimodal noise, 10 repeats: netrig %zu, oracle %zu of 1500\n",
		found, oracle);
	CHECK_INT(found, >, oracle);
}

/* Lognormal noise of log-sd sigma around mu. */
static void lognormal(struct nr_rng *rng, double *v, size_t n, double mu, double sigma)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = mu * exp(sigma * sim_gauss(rng));
}

NR_TEST_T(analysis_trust_detectable_by_simulation, 120)
{
	/*
	 * Alone, on lognormal noise, the test is an exact t-test on the
	 * logs: a true change of the stated detectable size must be found
	 * in 80 % of comparisons, and the stated repeats must reach 80 %
	 * for the threshold (4,000 comparisons each: +-1.3 %).
	 */
	const double sigma = 0.05, alpha = 0.01;
	struct nr_analysis_compare_params p = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	struct nr_analysis_compare_result r;
	double det = nr_analysis_detectable_change(sigma, 5, 0, 1, alpha, 0.8), b[64], c[64];
	size_t need = nr_analysis_repeats_needed(sigma, 0.10, 0, 1, alpha, 0.8), k, found = 0;
	struct nr_rng rng;

	CHECK(det > 0.05 && det < 0.2);
	/* the repeats needed: power reaches 80 % there, not one earlier */
	CHECK_INT(need, >, 2);
	CHECK(nr_analysis_t_power(log1p(0.10) / (sigma * sqrt(2.0 / (double)need)),
				  2.0 * (double)need - 2, alpha) >= 0.8);
	CHECK(nr_analysis_t_power(log1p(0.10) / (sigma * sqrt(2.0 / (double)(need - 1))),
				  2.0 * (double)need - 4, alpha) < 0.8);
	nr_rng_seed(&rng, 10);
	p.threshold = 0; /* every significant change counts */
	for (k = 0; k < 4000; k++) {
		lognormal(&rng, b, 5, 100, sigma);
		lognormal(&rng, c, 5, 100 * (1 + det), sigma);
		CHECK_OK(nr_analysis_compare(b, 5, c, 5, NR_BETTER_LOWER, &p, &r));
		found += r.outcome == NR_OUTCOME_REGRESSION;
	}
	fprintf(stderr, "alone: a change of the detectable %.1f %% found in %zu of 4000\n",
		100 * det, found);
	CHECK_INT(found, >, 3050);
	CHECK_INT(found, <, 3350);
	found = 0;
	for (k = 0; k < 4000; k++) {
		lognormal(&rng, b, need, 100, sigma);
		lognormal(&rng, c, need, 110, sigma);
		CHECK_OK(nr_analysis_compare(b, need, c, need, NR_BETTER_LOWER, &p, &r));
		found += r.outcome == NR_OUTCOME_REGRESSION;
	}
	fprintf(stderr, "alone: 10 %% with the %zu repeats needed found in %zu of 4000\n", need, found);
	CHECK_INT(found, >, 3150);
}

NR_TEST_T(analysis_trust_detectable_with_borrowing, 120)
{
	/*
	 * In a family of 50 that borrows, the stated detectable change is
	 * the power of the moderated t with its d0 + df; shifting one series
	 * by it finds it in about 80 % (d0 is itself estimated, so this is
	 * an approximation: held to 70-90 %).
	 */
	struct sim_setting st = { SIM_LOGNORMAL, SIM_SAME, 0.05, 5, 50, 0, 0, 1, 0.0 };
	struct nr_analysis_compare_result r[50];
	double b[250], c[250], det = 0;
	struct nr_rng rng;
	size_t k, i, found = 0, borrowed = 0;

	nr_rng_seed(&rng, 11);
	for (k = 0; k < 50; k++) {
		sim_generate(&rng, &st, b, c);
		CHECK_OK(sim_netrig(&st, b, c, r));
		for (i = 0; i < 50; i++) {
			CHECK_EQ(r[i].family, 50);
			/* the outlier guard keeps about 10 % on their own */
			if (r[i].prior_df > 0) {
				det += r[i].detectable;
				borrowed++;
			}
		}
	}
	CHECK_INT(borrowed, >, 50 * 50 * 8 / 10);
	det /= (double)borrowed;
	st.shift = det;
	for (k = 0; k < 600; k++) {
		sim_generate(&rng, &st, b, c);
		CHECK_OK(sim_netrig(&st, b, c, r));
		found += r[0].outcome == NR_OUTCOME_REGRESSION;
	}
	fprintf(stderr, "borrowing: a change of the detectable %.1f %% found in %zu of 600\n",
		100 * det, found);
	CHECK_INT(found, >, 420);
	CHECK_INT(found, <, 540);
}

/* n series of `repeats` a side, lognormal noise sigma[i], no change. */
static void family_of(struct nr_rng *rng, size_t n, size_t repeats, const double *sigma,
		      double *b, double *c, struct nr_analysis_series *in, size_t group_size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		lognormal(rng, b + i * repeats, repeats, 100, sigma[i]);
		lognormal(rng, c + i * repeats, repeats, 100, sigma[i]);
		in[i] = (struct nr_analysis_series){ .base = b + i * repeats, .cand = c + i * repeats,
						     .nb = repeats, .nc = repeats,
						     .better = NR_BETTER_LOWER, .threshold = 0.1,
						     .critical = 0.2, .group = i / group_size };
	}
}

NR_TEST(analysis_family_borrowing)
{
	double sigma[60], b[60 * 5], c[60 * 5];
	struct nr_analysis_series in[60];
	struct nr_analysis_compare_result r[60];
	struct nr_analysis_compare_params p = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	struct nr_rng rng;
	size_t i, borrowed = 0;

	nr_rng_seed(&rng, 12);
	/* 30 quiet series (1 %) and 30 noisy ones (10 %) in two groups:
	 * each group's prior is its own */
	for (i = 0; i < 60; i++)
		sigma[i] = i < 30 ? 0.01 : 0.10;
	family_of(&rng, 60, 5, sigma, b, c, in, 30);
	CHECK_OK(nr_analysis_compare_family(in, 60, NULL, r));
	for (i = 0; i < 60; i++) {
		CHECK(r[i].tested);
		CHECK_EQ(r[i].family, 60);
		CHECK(r[i].p_adjusted >= r[i].p_value);
		borrowed += r[i].prior_df > 0;
		if (r[i].prior_df > 0)
			CHECK(i < 30 ? r[i].noise < 0.02 : r[i].noise > 0.05);
		CHECK_NEAR(r[i].df, r[i].prior_df + 8, 1e-9);
	}
	CHECK_INT(borrowed, >, 45);
	/* the same series in one group: the two levels are too far apart to
	 * share a prior, so (almost) nothing is borrowed */
	for (i = 0; i < 60; i++)
		in[i].group = 7;
	CHECK_OK(nr_analysis_compare_family(in, 60, NULL, r));
	for (i = 0; i < 60; i++)
		CHECK(r[i].prior_df < 3);
	/* no borrowing asked: own variance */
	p.borrow = false;
	CHECK_OK(nr_analysis_compare_family(in, 60, &p, r));
	for (i = 0; i < 60; i++)
		CHECK_NEAR(r[i].prior_df, 0, 0);
}

NR_TEST(analysis_family_small_groups_and_outliers)
{
	double sigma[40], b[40 * 5], c[40 * 5];
	struct nr_analysis_series in[40];
	struct nr_analysis_compare_result r[40];
	struct nr_rng rng;
	size_t i;

	nr_rng_seed(&rng, 13);
	for (i = 0; i < 40; i++)
		sigma[i] = 0.03;
	/* 5 series alone: fewer than NR_ANALYSIS_EB_MIN_SERIES, own variance */
	family_of(&rng, 5, 5, sigma, b, c, in, 5);
	CHECK_OK(nr_analysis_compare_family(in, 5, NULL, r));
	for (i = 0; i < 5; i++)
		CHECK_NEAR(r[i].prior_df, 0, 0);
	/* 10 groups of 4: each small, pooled into one group of 40 */
	family_of(&rng, 40, 5, sigma, b, c, in, 4);
	CHECK_OK(nr_analysis_compare_family(in, 40, NULL, r));
	for (i = 1; i < 40; i++)
		CHECK(r[i].prior_df > 0 || r[i].noise > 0.04);
	CHECK(r[1].prior_df > 0 && r[1].prior_df == r[2].prior_df);
	/* one series far noisier than its group keeps its own variance */
	for (i = 0; i < 5; i++)
		c[i] = 100 * exp(0.5 * sim_gauss(&rng));
	CHECK_OK(nr_analysis_compare_family(in, 40, NULL, r));
	CHECK_NEAR(r[0].prior_df, 0, 0);
	CHECK(r[0].noise > 0.15);
	CHECK(r[1].prior_df > 0);
}

NR_TEST(analysis_family_holm_and_families)
{
	/* 6 series with clear changes of different sizes, 4 without; two
	 * informational: Holm runs over the 8 with a direction only */
	static const double steps[12] = { 0.5, 0.3, 0.2, 0.15, 0.12, 0.11, 0, 0, 0, 0, 0.3, 0 };
	double b[12 * 5], c[12 * 5];
	struct nr_analysis_series in[12];
	struct nr_analysis_compare_result r[12];
	struct nr_rng rng;
	size_t i, j;

	nr_rng_seed(&rng, 14);
	for (i = 0; i < 12; i++) {
		lognormal(&rng, b + i * 5, 5, 100, 0.02);
		lognormal(&rng, c + i * 5, 5, 100 * (1 + steps[i]), 0.02);
		in[i] = (struct nr_analysis_series){ .base = b + i * 5, .cand = c + i * 5, .nb = 5,
						     .nc = 5, .threshold = 0.1, .critical = 0.2,
						     .better = i < 10 ? NR_BETTER_LOWER : NR_BETTER_NONE };
	}
	CHECK_OK(nr_analysis_compare_family(in, 12, NULL, r));
	for (i = 0; i < 12; i++) {
		CHECK_EQ(r[i].family, i < 10 ? 10 : 2);
		CHECK(r[i].p_adjusted >= r[i].p_value);
		CHECK(r[i].p_adjusted <= fmin(1, (double)r[i].family * r[i].p_value) * (1 + 1e-12));
		/* monotone: a smaller p never gets a larger adjusted p */
		for (j = 0; j < 10 && i < 10; j++)
			if (r[j].p_value < r[i].p_value)
				CHECK(r[j].p_adjusted <= r[i].p_adjusted);
	}
	for (i = 0; i < 6; i++)
		CHECK_EQ(r[i].outcome, NR_OUTCOME_REGRESSION);
	CHECK_EQ(r[10].outcome, NR_OUTCOME_CHANGED);
	for (i = 6; i < 10; i++)
		CHECK(r[i].outcome == NR_OUTCOME_STABLE || r[i].outcome == NR_OUTCOME_NOISY);
	/* the most significant series: Holm's first step is Bonferroni */
	for (i = 0, j = 0; i < 10; i++)
		if (r[i].p_value < r[j].p_value)
			j = i;
	CHECK_NEAR(r[j].p_adjusted, fmin(1, 10 * r[j].p_value), 1e-12 * r[j].p_adjusted);
}

NR_TEST(analysis_family_invalid_and_paired)
{
	double b[3][5] = { { 100, 101, 99, 100, 100 }, { 1, NAN, 1, 1, 1 }, { 10, 10, 10, 10, 10 } };
	double c[3][5] = { { 130, 131, 129, 130, 130 }, { 1, 1, 1, 1, 1 }, { 10, 10, 10, 10, 10 } };
	/* per-pair log ratios of 10 pairs: mean +0.05, sd 0.01 */
	struct nr_analysis_evidence ev = { .estimate = 0.05, .var = 1e-4, .df = 9,
					   .se_scale = 1 / sqrt(10), .log_scale = true,
					   .relative = true, .paired = true };
	struct nr_analysis_series in[3];
	struct nr_analysis_compare_result r[3];
	size_t i;

	for (i = 0; i < 3; i++)
		in[i] = (struct nr_analysis_series){ .base = b[i], .cand = c[i], .nb = 5, .nc = 5,
						     .better = NR_BETTER_LOWER, .threshold = 0.03,
						     .critical = 0.2 };
	in[2].evidence = &ev;
	CHECK_OK(nr_analysis_compare_family(in, 3, NULL, r));
	CHECK_EQ(r[0].outcome, NR_OUTCOME_REGRESSION);
	/* a NaN: that series is marked, the others are judged */
	CHECK(r[1].invalid && !r[1].tested);
	CHECK_EQ(r[1].outcome, NR_OUTCOME_NOISY);
	CHECK_EQ(r[0].family, 2);
	/* the paired evidence is used as given: t = 0.05 / (0.01 / sqrt 10) */
	CHECK_NEAR(r[2].change, expm1(0.05), 1e-12);
	CHECK_NEAR(r[2].df, 9, 0);
	CHECK_NEAR(r[2].p_value, 2 * nr_analysis_t_sf(0.05 / (0.01 / sqrt(10)), 9), 1e-12);
	CHECK_EQ(r[2].outcome, NR_OUTCOME_REGRESSION);
	/* pairs needed for 3 % at 1 % noise in a family of 2: a few */
	CHECK_INT(r[2].repeats_needed, >=, 2);
	CHECK_INT(r[2].repeats_needed, <=, 10);
	/* bad parameters are refused before anything */
	struct nr_analysis_compare_params p = NR_ANALYSIS_COMPARE_PARAMS_INIT;

	p.power = 1;
	CHECK_EQ(nr_analysis_compare_family(in, 3, &p, r), NR_EINVAL);
}

NR_TEST(analysis_family_outcome_rules)
{
	/*
	 * Over many random series, the outcome follows from the evidence
	 * exactly as documented (docs/analysis.md): significant -> a
	 * direction unless the interval lies inside +-threshold (then
	 * stable, below_threshold); not significant -> stable inside, noisy
	 * outside.
	 */
	struct sim_setting st = { SIM_NORMAL, SIM_MIX, 0.15, 4, 50, 0, 0.08, 25, 0.10 };
	struct nr_analysis_compare_result r[50];
	double b[200], c[200];
	struct nr_rng rng;
	size_t k, i, seen[5] = { 0 };

	nr_rng_seed(&rng, 15);
	for (k = 0; k < 40; k++) {
		sim_generate(&rng, &st, b, c);
		CHECK_OK(sim_netrig(&st, b, c, r));
		for (i = 0; i < 50; i++) {
			const struct nr_analysis_compare_result *x = &r[i];
			bool inside = x->ci_low > -0.1 && x->ci_high < 0.1;

			CHECK(x->tested);
			CHECK(x->ci_low <= x->change && x->change <= x->ci_high);
			CHECK_EQ(x->significant, x->p_adjusted < 0.01);
			if (x->significant && !inside)
				CHECK_EQ(x->outcome, x->gain < 0 ? NR_OUTCOME_REGRESSION
								 : NR_OUTCOME_IMPROVEMENT);
			else if (inside)
				CHECK_EQ(x->outcome, NR_OUTCOME_STABLE);
			else
				CHECK_EQ(x->outcome, NR_OUTCOME_NOISY);
			CHECK_EQ(x->below_threshold, x->significant && inside);
			CHECK_EQ(x->severity, x->outcome != NR_OUTCOME_REGRESSION ? NR_SEVERITY_NONE
					      : -x->gain >= 0.2 ? NR_SEVERITY_CRITICAL
								: NR_SEVERITY_WARNING);
			seen[x->outcome]++;
		}
	}
	/* the rules were exercised: every outcome occurred */
	CHECK_INT(seen[NR_OUTCOME_REGRESSION], >, 10);
	CHECK_INT(seen[NR_OUTCOME_STABLE], >, 10);
	CHECK_INT(seen[NR_OUTCOME_NOISY], >, 10);
}
