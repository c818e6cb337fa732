/*
 * Paired designs (A/B variants in one run): the evidence from per-pair
 * log ratios, what the family makes of it (repeats counted as pairs),
 * the bootstrap of the median ratio, and the mechanics of the trust
 * benchmark's paired rows at modest sizes (bench/trust.sh: full size).
 */
#include <math.h>

#include "../../bench/trust_sim.h"
#include "analysis/analysis.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/rand.h"
#include "test.h"

NR_TEST(analysis_paired_evidence)
{
	double b[] = { 100, 200, 50 }, c[] = { 110, 210, 56 };
	double d[3] = { log(1.1), log(1.05), log(1.12) };
	double m = (d[0] + d[1] + d[2]) / 3, v = 0;
	struct nr_analysis_evidence ev;
	int i;

	for (i = 0; i < 3; i++)
		v += (d[i] - m) * (d[i] - m) / 2;
	nr_analysis_evidence_paired(b, c, 3, &ev);
	CHECK(ev.paired && ev.log_scale && ev.relative);
	CHECK_NEAR(ev.estimate, m, 1e-15);
	CHECK_NEAR(ev.var, v, 1e-15);
	CHECK_NEAR(ev.df, 2, 0);
	CHECK_NEAR(ev.se_scale, 1 / sqrt(3), 1e-15);

	/* a zero: differences relative to the base's mean (|100|) */
	{
		double b0[] = { 0, 200 }, c0[] = { 10, 190 };

		nr_analysis_evidence_paired(b0, c0, 2, &ev);
		CHECK(ev.paired && !ev.log_scale && ev.relative);
		CHECK_NEAR(ev.estimate, 0, 1e-15);
		CHECK_NEAR(ev.var, 0.02, 1e-15); /* diffs 0.1, -0.1 */
		CHECK_NEAR(ev.df, 1, 0);
	}
	/* one pair: no variance of its own */
	nr_analysis_evidence_paired(b, c, 1, &ev);
	CHECK(ev.df == 0 && ev.var == 0 && ev.se_scale == 1);
}

/*
 * A series alone, paired: the test is Student's paired t on the log
 * ratios (nothing to borrow); detectable and repeats needed count pairs:
 * se = noise / sqrt(pairs), df = pairs - 1.
 */
NR_TEST(analysis_paired_family_counts_pairs)
{
	double b[8], c[8], lr[8];
	struct nr_analysis_evidence ev;
	struct nr_analysis_series s = { 0 };
	struct nr_analysis_compare_result r;
	double lam, se, t, want_p;
	size_t i, n = 8, need;

	for (i = 0; i < n; i++) {
		/* the level swings by a factor of 2 from pair to pair (drift);
		 * the candidate is 5 % slower within each pair, +-1 % */
		b[i] = 100 * (1 + (double)(i % 2));
		c[i] = b[i] * 1.05 * (1 + 0.01 * (i % 3 == 0 ? 1 : -0.5));
		lr[i] = log(c[i] / b[i]);
	}
	nr_analysis_evidence_paired(b, c, n, &ev);
	s = (struct nr_analysis_series){ .base = b, .cand = c, .nb = n, .nc = n,
					 .better = NR_BETTER_LOWER, .threshold = 0.03,
					 .critical = 0.2, .evidence = &ev };
	CHECK_OK(nr_analysis_compare_family(&s, 1, NULL, &r));
	CHECK_EQ(r.outcome, NR_OUTCOME_REGRESSION);
	CHECK_NEAR(r.df, 7, 0);
	CHECK_NEAR(r.prior_df, 0, 0);
	se = nr_analysis_stddev(lr, n) / sqrt((double)n);
	t = nr_analysis_mean(lr, n) / se;
	want_p = 2 * nr_analysis_t_sf(fabs(t), 7);
	CHECK_NEAR(r.p_value, want_p, 1e-12 * want_p);
	lam = nr_analysis_t_detectable(7, 0.01, 0.8);
	CHECK_NEAR(r.detectable, expm1(lam * r.noise / sqrt((double)n)), 1e-12);
	/* repeats needed: the smallest number of pairs k whose se
	 * noise/sqrt(k) puts log(1.03) at the detectable lambda(k - 1) */
	need = r.repeats_needed;
	CHECK(need >= 3);
	CHECK(log1p(0.03) / (r.noise / sqrt((double)need)) >=
	      nr_analysis_t_detectable((double)need - 1, 0.01, 0.8));
	if (need > 3)
		CHECK(log1p(0.03) / (r.noise / sqrt((double)need - 1)) <
		      nr_analysis_t_detectable((double)need - 2, 0.01, 0.8));

	/* the same samples as two independent sides: the drift drowns it */
	s.evidence = NULL;
	CHECK_OK(nr_analysis_compare_family(&s, 1, NULL, &r));
	CHECK(r.outcome != NR_OUTCOME_REGRESSION);
}

NR_TEST(analysis_bootstrap_median_ci)
{
	double v[] = { 1.04, 1.06, 1.05, 0.98, 1.07, 1.05, 1.03 }, lo, hi, lo2, hi2, one = 1.5;
	double big[101];
	size_t i;

	CHECK_OK(nr_analysis_bootstrap_median_ci(v, 7, 1000, 0.95, 42, &lo, &hi));
	CHECK(lo <= 1.05 && hi >= 1.05 && lo < hi);
	CHECK(lo >= 0.98 && hi <= 1.07);
	CHECK_OK(nr_analysis_bootstrap_median_ci(v, 7, 1000, 0.95, 42, &lo2, &hi2));
	CHECK(lo == lo2 && hi == hi2); /* same seed, same interval, bit for bit */
	CHECK_OK(nr_analysis_bootstrap_median_ci(&one, 1, 100, 0.95, 1, &lo, &hi));
	CHECK(lo == 1.5 && hi == 1.5);
	CHECK_EQ(nr_analysis_bootstrap_median_ci(v, 0, 100, 0.95, 1, &lo, &hi), NR_EINVAL);
	CHECK_EQ(nr_analysis_bootstrap_median_ci(v, 7, 0, 0.95, 1, &lo, &hi), NR_EINVAL);
	CHECK_EQ(nr_analysis_bootstrap_median_ci(v, 7, 10, 1, 1, &lo, &hi), NR_EINVAL);
	/* the path for more than 64 values: the interval of 0..100 holds 50 */
	for (i = 0; i < 101; i++)
		big[i] = (double)((i * 37) % 101);
	CHECK_OK(nr_analysis_bootstrap_median_ci(big, 101, 2000, 0.9, 3, &lo, &hi));
	CHECK(lo < 50 && hi > 50 && lo > 30 && hi < 70);
}

/* Coverage: the 95 % interval of the median of 15 normal values holds
 * the true median about 95 % of the time (percentile bootstraps of a
 * median run a little low at small n). */
NR_TEST(analysis_bootstrap_median_coverage)
{
	struct nr_rng rng;
	double v[15], lo, hi;
	size_t k, i, hit = 0, trials = 400;

	nr_rng_seed(&rng, 5);
	for (k = 0; k < trials; k++) {
		for (i = 0; i < 15; i++)
			v[i] = 10 + sim_gauss(&rng);
		CHECK_OK(nr_analysis_bootstrap_median_ci(v, 15, 1000, 0.95, k, &lo, &hi));
		hit += lo <= 10 && hi >= 10;
	}
	fprintf(stderr, "bootstrap median, n 15: %zu of %zu intervals hold the median\n", hit, trials);
	CHECK_INT(hit, >=, 360); /* >= 90 % */
	CHECK_INT(hit, <=, 396);
}

/* Comparisons of a paired setting: how many failed the gate and how many
 * of the shifted series were found; with paired = false, two separate
 * runs of the same campaign (sim_generate). */
static void rates(const struct sim_setting *st, bool paired, size_t runs, uint64_t seed,
		  size_t *ret_fails, size_t *ret_found)
{
	size_t m = st->series, n = st->repeats, k, i;
	double *b = nr_xcalloc(m * n, sizeof(*b)), *c = nr_xcalloc(m * n, sizeof(*c));
	struct nr_analysis_compare_result *r = nr_xcalloc(m, sizeof(*r));
	struct nr_rng rng;

	nr_rng_seed(&rng, seed);
	*ret_fails = *ret_found = 0;
	for (k = 0; k < runs; k++) {
		bool fail = false;

		if (paired) {
			sim_generate_paired(&rng, st, b, c);
			CHECK_OK(sim_netrig_paired(st, b, c, r));
		} else {
			sim_generate(&rng, st, b, c);
			CHECK_OK(sim_netrig(st, b, c, r));
		}
		for (i = 0; i < m; i++) {
			fail |= r[i].outcome == NR_OUTCOME_REGRESSION;
			*ret_found += i < st->shifted && r[i].outcome == NR_OUTCOME_REGRESSION;
		}
		*ret_fails += fail;
	}
	free(b);
	free(c);
	free(r);
}

/*
 * The case: a 5 % shift, 2 % noise, 15 % drift between runs,
 * 10 pairs. Two separate runs cannot tell the drift from the change;
 * pairs in one run find it and keep A/A quiet.
 */
NR_TEST_T(analysis_paired_drift_mechanics, 120)
{
	struct sim_setting st = { SIM_NORMAL, SIM_SAME, 0.02, 10, 50, 0.15, 0, 0, 0.05 };
	size_t fails, found;

	rates(&st, true, 200, 1, &fails, &found);
	fprintf(stderr, "paired A/A, drift 15 %%: %zu of 200 comparisons failed\n", fails);
	CHECK_INT(fails, <=, 4);
	rates(&st, false, 200, 2, &fails, &found);
	fprintf(stderr, "separate runs A/A, drift 15 %%: %zu of 200 comparisons failed\n", fails);
	CHECK_INT(fails, >, 40);

	st.shift = 0.05;
	st.shifted = 50;
	rates(&st, true, 40, 3, &fails, &found);
	fprintf(stderr, "paired, 5 %% shift: %zu of 2000 series found\n", found);
	CHECK_INT(found, >=, 1800);
	rates(&st, false, 40, 4, &fails, &found);
	fprintf(stderr, "separate runs, 5 %% shift: %zu of 2000 series found\n", found);
	CHECK_INT(found, <, 1400);
}

/* ABBA: pair k puts the candidate first when k is odd, and the drift
 * moves between every measurement of the generator */
NR_TEST(analysis_paired_generator_order)
{
	struct sim_setting st = { SIM_NORMAL, SIM_SAME, 0, 4, 1, 10, 0, 0, 0.05 };
	double b[4], c[4];
	struct nr_rng rng;
	int k;

	/* no noise, a strong drift: within a pair the later half is higher
	 * or lower by one step; across pairs the walk goes on */
	nr_rng_seed(&rng, 9);
	sim_generate_paired(&rng, &st, b, c);
	for (k = 0; k < 4; k++)
		CHECK(b[k] != c[k]);
	/* a shift of 10 % with no noise and no drift: every ratio is 1.1 */
	st.drift = 0;
	st.shift = 0.1;
	st.shifted = 1;
	sim_generate_paired(&rng, &st, b, c);
	for (k = 0; k < 4; k++)
		CHECK_NEAR(c[k] / b[k], 1.1, 1e-12);
}
