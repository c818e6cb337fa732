/*
 * Sequential decisions (adaptive repeats): the spending functions, the
 * group-sequential bounds against an independent computation
 * (tests/fixtures/stats/gen_sequential.py, itself checked against
 * published bounds), the family's verdict of a sequential series, and by
 * simulation the false-alarm rate over all looks.
 */
#include <math.h>

#include "../../bench/trust_sim.h"
#include "analysis/analysis.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/rand.h"
#include "test.h"

NR_TEST(analysis_seq_spending)
{
	/* closed forms, evaluated with Python's statistics.NormalDist:
	 * 2 - 2 Phi(1.959963984540054 / sqrt(0.5)), 0.05 ln(1 + (e - 1) 0.5) */
	CHECK_NEAR(nr_analysis_spend(NR_SPEND_OBRIEN_FLEMING, 0.05, 0.5), 0.005574596680784527, 1e-12);
	CHECK_NEAR(nr_analysis_spend(NR_SPEND_POCOCK, 0.05, 0.5), 0.031005725347913876, 1e-15);
	CHECK_NEAR(nr_analysis_spend(NR_SPEND_OBRIEN_FLEMING, 0.01, 0.15), 2.915781393034075e-11, 1e-20);
	CHECK_NEAR(nr_analysis_spend(NR_SPEND_OBRIEN_FLEMING, 0.05, 1), 0.05, 0);
	CHECK_NEAR(nr_analysis_spend(NR_SPEND_POCOCK, 0.05, 2), 0.05, 0);
	CHECK_NEAR(nr_analysis_spend(NR_SPEND_POCOCK, 0.05, 0), 0, 0);
	/* increasing in t */
	{
		double t, last = 0;

		for (t = 0.01; t <= 1; t += 0.01) {
			double a = nr_analysis_spend(NR_SPEND_OBRIEN_FLEMING, 0.01, t);

			CHECK(a > last);
			last = a;
		}
	}
}

struct gs_ref {
	enum nr_analysis_spending f;
	double alpha;
	size_t k;
	double t[6], z[6];
};

/* python3 tests/fixtures/stats/gen_sequential.py (1,500 grid points) */
static const struct gs_ref refs[] = {
	{ NR_SPEND_OBRIEN_FLEMING, 0.05, 5, { 0.2, 0.4, 0.6, 0.8, 1 },
	  { 4.382613, 3.099727, 2.553355, 2.253848, 2.063501 } },
	{ NR_SPEND_POCOCK, 0.05, 5, { 0.2, 0.4, 0.6, 0.8, 1 },
	  { 2.437977, 2.426814, 2.410194, 2.396646, 2.385985 } },
	{ NR_SPEND_OBRIEN_FLEMING, 0.01, 4, { 0.25, 0.5, 0.75, 1 },
	  { 5.151659, 3.642879, 2.985225, 2.614842 } },
	{ NR_SPEND_POCOCK, 0.01, 4, { 0.3, 0.5, 0.6, 1 },
	  { 2.865969, 2.975325, 3.061407, 2.883410 } },
	{ NR_SPEND_OBRIEN_FLEMING, 0.0002, 6, { 0.375, 0.5, 0.625, 0.75, 0.875, 1 },
	  { 6.073128, 5.260121, 4.708608, 4.306321, 3.997938, 3.752666 } },
};

NR_TEST(analysis_seq_bounds_reference)
{
	size_t i, j;

	for (i = 0; i < NR_ARRAY_SIZE(refs); i++) {
		double z[6];

		CHECK_OK(nr_analysis_gs_bounds(refs[i].f, refs[i].alpha, refs[i].t, refs[i].k, z));
		for (j = 0; j < refs[i].k; j++)
			CHECK_NEAR(z[j], refs[i].z[j], 2e-4);
	}
	/* published: Pocock type, 5 equal looks, two-sided 0.05 (ldbounds, gsDesign) */
	{
		static const double pub[5] = { 2.4380, 2.4268, 2.4101, 2.3966, 2.3859 };
		double z[5];

		CHECK_OK(nr_analysis_gs_bounds(NR_SPEND_POCOCK, 0.05, refs[1].t, 5, z));
		for (j = 0; j < 5; j++)
			CHECK_NEAR(z[j], pub[j], 1e-4);
	}
	/* one look: the fixed design's two-sided bound */
	{
		double t = 1, z;

		CHECK_OK(nr_analysis_gs_bounds(NR_SPEND_OBRIEN_FLEMING, 0.01, &t, 1, &z));
		CHECK_NEAR(z, 2.5758293035489004, 1e-9);
	}
	/* bad designs */
	{
		double t[2] = { 0.5, 0.5 }, z[2];

		CHECK_EQ(nr_analysis_gs_bounds(NR_SPEND_POCOCK, 0.05, t, 2, z), NR_EINVAL);
		CHECK_EQ(nr_analysis_gs_bounds(NR_SPEND_POCOCK, 1.5, t, 1, z), NR_EINVAL);
	}
}

NR_TEST(analysis_seq_levels)
{
	struct nr_analysis_sequential q = { .min = 3, .max = 20, .alpha = 0.01 };
	double p[18], sum = 0;
	int64_t t0 = nr_mono_us();
	size_t i;

	CHECK_OK(nr_analysis_sequential_levels(&q, p));
	fprintf(stderr, "levels of 3..20 pairs at 1 %%: %.3g %.3g ... %.3g (%lld us)\n", p[0], p[1],
		p[17], (long long)(nr_mono_us() - t0));
	/* each look's level is below alpha, the last not far below the fixed 1 % */
	for (i = 0; i < 18; i++) {
		CHECK(p[i] > 0 && p[i] < 0.01);
		sum += p[i];
	}
	CHECK(p[17] > 0.006);
	/* the levels of the looks together exceed alpha: the looks are correlated */
	CHECK(sum > 0.01);
	CHECK_NEAR(nr_analysis_sequential_level(&q, 20), p[17], 0);
	CHECK_NEAR(nr_analysis_sequential_level(&q, 25), p[17], 0);
	CHECK_NEAR(nr_analysis_sequential_level(&q, 2), 0, 0);
	q.max = NR_ANALYSIS_SEQ_MAX + 1;
	CHECK(isnan(nr_analysis_sequential_level(&q, 5)));
	/* the largest design is affordable */
	q.max = NR_ANALYSIS_SEQ_MAX;
	q.n_base = 5;
	t0 = nr_mono_us();
	CHECK(nr_analysis_sequential_level(&q, NR_ANALYSIS_SEQ_MAX) > 0);
	fprintf(stderr, "3..%d against 5: %lld us\n", NR_ANALYSIS_SEQ_MAX,
		(long long)(nr_mono_us() - t0));
}

static double normal(struct nr_rng *rng)
{
	/* Box-Muller from two uniforms in (0, 1] */
	double u = ((double)(nr_rng_next(rng) >> 11) + 1) / 9007199254740992.0;
	double v = (double)(nr_rng_next(rng) >> 11) / 9007199254740992.0;

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/*
 * The verdict of one look, worked out here from the evidence: the t-test
 * of the series alone at `level`, the interval at that level (what
 * nr_analysis_compare_family does for a sequential series, which
 * aa_false() checks on its first sequences).
 */
static enum nr_analysis_outcome look(const struct nr_analysis_evidence *ev, double level,
				     double threshold)
{
	double se = sqrt(ev->var) * ev->se_scale, q, lo, hi;
	bool inside, significant;

	q = nr_analysis_t_isf(0.5 * level, ev->df);
	lo = expm1(ev->estimate - q * se);
	hi = expm1(ev->estimate + q * se);
	significant = 2 * nr_analysis_t_sf(fabs(ev->estimate / se), ev->df) < level;
	inside = lo > -(threshold - 1e-9) && hi < threshold - 1e-9;
	if (significant)
		return inside ? NR_OUTCOME_STABLE : ev->estimate > 0 ? NR_OUTCOME_IMPROVEMENT
								     : NR_OUTCOME_REGRESSION;
	return inside ? NR_OUTCOME_STABLE : NR_OUTCOME_NOISY;
}

/*
 * A/A sequences judged at every look from q->min to q->max until decided
 * (any outcome but noisy): how many ended in a false regression or
 * improvement, and the mean look at which they stopped. `peek`: the
 * ordinary test at q->alpha at every look instead (what the design
 * prevents). n_base 0: pairs; else against a fixed baseline of n_base.
 * The first 50 sequences are judged by nr_analysis_compare_family too,
 * which must agree look by look.
 */
static size_t aa_false(const struct nr_analysis_sequential *q, double threshold, size_t runs,
		       uint64_t seed, bool peek, double *ret_mean_n)
{
	struct nr_analysis_compare_params p = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	size_t k, n, fails = 0, used = 0, nb = q->n_base ? q->n_base : q->max;
	double *b = nr_xcalloc(nb + 1, sizeof(*b)), *c = nr_xcalloc(q->max + 1, sizeof(*c));
	struct nr_rng rng;

	p.alpha = q->alpha;
	p.threshold = p.critical = threshold;
	nr_rng_seed(&rng, seed);
	for (k = 0; k < runs; k++) {
		enum nr_analysis_outcome o = NR_OUTCOME_NOISY;

		for (n = 0; n < nb; n++)
			b[n] = 100 * exp(0.05 * normal(&rng));
		for (n = 0; n < q->max; n++)
			c[n] = 100 * exp(0.05 * normal(&rng));
		for (n = q->min; n <= q->max; n++) {
			struct nr_analysis_evidence ev;
			struct nr_analysis_series s = {
				.base = b, .nb = q->n_base ? nb : n, .cand = c, .nc = n,
				.better = NR_BETTER_HIGHER, .threshold = threshold,
				.critical = threshold, .seq = q, .evidence = &ev,
			};

			if (q->n_base)
				nr_analysis_evidence_two_sample(b, nb, c, n, &ev);
			else
				nr_analysis_evidence_paired(b, c, n, &ev);
			o = look(&ev, peek ? q->alpha : q->levels[n - q->min], threshold);
			if (k < 50 && !peek) {
				struct nr_analysis_compare_result r;

				CHECK_OK(nr_analysis_compare_family(&s, 1, &p, &r));
				CHECK_EQ(r.outcome, o);
			}
			if (o != NR_OUTCOME_NOISY)
				break;
		}
		fails += o == NR_OUTCOME_REGRESSION || o == NR_OUTCOME_IMPROVEMENT;
		used += n > q->max ? q->max : n;
	}
	free(b);
	free(c);
	*ret_mean_n = (double)used / (double)runs;
	return fails;
}

NR_TEST_T(analysis_seq_aa_false_alarms, 300)
{
	double levels[18], mean_n;
	struct nr_analysis_sequential q = { .min = 3, .max = 20, .alpha = 0.05, .levels = levels };
	size_t fails, runs = 4000;

	CHECK_OK(nr_analysis_sequential_levels(&q, levels));
	/*
	 * threshold 0: nothing is ever stable, a sequence runs until it is
	 * significant or reaches max, so every look can raise a false alarm:
	 * over all 18 looks the rate must stay near alpha (5 %: 200 of 4,000,
	 * standard error 14)
	 */
	fails = aa_false(&q, 0, runs, 1, false, &mean_n);
	fprintf(stderr, "A/A pairs 3..20, alpha 5 %%, all looks: %zu of %zu false (%.1f pairs)\n",
		fails, runs, mean_n);
	CHECK_INT(fails, <, 250);
	CHECK_INT(fails, >, 130);
	/* the same looks with the ordinary test at 5 % each: peeking */
	fails = aa_false(&q, 0, runs, 1, true, &mean_n);
	fprintf(stderr, "A/A pairs 3..20, ordinary 5 %% at every look: %zu of %zu false\n", fails, runs);
	CHECK_INT(fails, >, 400);
	/* against a fixed baseline of 5 repeats */
	q.n_base = 5;
	CHECK_OK(nr_analysis_sequential_levels(&q, levels));
	fails = aa_false(&q, 0, runs, 2, false, &mean_n);
	fprintf(stderr, "A/A 3..20 against 5, alpha 5 %%, all looks: %zu of %zu false\n", fails, runs);
	CHECK_INT(fails, <, 250);
	CHECK_INT(fails, >, 100);
	/* Pocock spending, pairs */
	q.n_base = 0;
	q.spending = NR_SPEND_POCOCK;
	CHECK_OK(nr_analysis_sequential_levels(&q, levels));
	fails = aa_false(&q, 0, runs, 3, false, &mean_n);
	fprintf(stderr, "A/A pairs 3..20 Pocock, all looks: %zu of %zu false\n", fails, runs);
	CHECK_INT(fails, <, 250);
	CHECK_INT(fails, >, 130);
	/* with a 10 % threshold most sequences stop early as stable */
	q.spending = NR_SPEND_OBRIEN_FLEMING;
	q.alpha = 0.01;
	CHECK_OK(nr_analysis_sequential_levels(&q, levels));
	fails = aa_false(&q, 0.10, 1000, 4, false, &mean_n);
	fprintf(stderr, "A/A pairs 3..20, 1 %%, threshold 10 %%: %zu of 1000 false, %.1f pairs\n",
		fails, mean_n);
	CHECK_INT(fails, <, 10);
	CHECK(mean_n < 15);
}

NR_TEST(analysis_seq_verdict)
{
	/* a large change is decided at the first look it clears, with the
	 * interval at the look's level */
	double b[10], c[10], levels[8];
	struct nr_analysis_sequential q = { .min = 3, .max = 10, .alpha = 0.01, .levels = levels };
	struct nr_analysis_compare_params p = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	struct nr_analysis_compare_result r;
	struct nr_analysis_evidence ev;
	struct nr_analysis_series s = { .base = b, .cand = c, .better = NR_BETTER_LOWER,
					 .threshold = 0.10, .critical = 0.20, .seq = &q,
					 .evidence = &ev };
	size_t i;

	for (i = 0; i < 10; i++) {
		b[i] = 100 * (1 + 0.01 * (double)(i % 3));
		c[i] = b[i] * 1.5 * (1 + 0.01 * (double)((i + 1) % 2));
	}
	CHECK_OK(nr_analysis_sequential_levels(&q, levels));
	for (i = 3; i <= 10; i++) {
		s.nb = s.nc = i;
		nr_analysis_evidence_paired(b, c, i, &ev);
		CHECK_OK(nr_analysis_compare_family(&s, 1, &p, &r));
		CHECK(r.sequential);
		CHECK_NEAR(r.seq_level, levels[i - 3], 0);
		if (r.outcome != NR_OUTCOME_NOISY)
			break;
	}
	fprintf(stderr, "50 %% slower, 1 %% noise: decided %s at %zu pairs (level %.3g, interval %.3f..%.3f)\n",
		nr_analysis_outcome_name(r.outcome), i, r.seq_level, r.ci_low, r.ci_high);
	CHECK(r.outcome == NR_OUTCOME_REGRESSION);
	CHECK_INT(i, <, 10);
	CHECK(r.ci_low > 0.3 && r.ci_high < 0.7);
	/* the same without levels given: computed, equal */
	{
		struct nr_analysis_sequential q2 = q;
		struct nr_analysis_compare_result r2;

		q2.levels = NULL;
		s.seq = &q2;
		CHECK_OK(nr_analysis_compare_family(&s, 1, &p, &r2));
		CHECK_NEAR(r2.seq_level, r.seq_level, 1e-15);
		CHECK(r2.outcome == r.outcome);
	}
	/* fewer than min: untested */
	s.seq = &q;
	s.nb = s.nc = 2;
	nr_analysis_evidence_paired(b, c, 2, &ev);
	CHECK_OK(nr_analysis_compare_family(&s, 1, &p, &r));
	CHECK(!r.tested && r.few_repeats);
	/* a bad design is refused */
	q.min = 1;
	q.levels = NULL;
	s.nb = s.nc = 5;
	CHECK_EQ(nr_analysis_compare_family(&s, 1, &p, &r), NR_EINVAL);
}

/* The trust benchmark's adaptive rows (bench/trust_sim.h) at a modest size. */
NR_TEST_T(analysis_seq_trust_adaptive_rows, 120)
{
	struct sim_setting st = { SIM_NORMAL, SIM_SAME, 0.02, 20, 50, 0, 0.30, 0, 0.10 };
	double levels[18];
	struct nr_analysis_sequential q = { .min = 3, .max = 20, .alpha = 0.01 / 50, .levels = levels };
	struct nr_analysis_compare_result res[50];
	double *b = nr_xcalloc(50 * 20, sizeof(*b)), *c = nr_xcalloc(50 * 20, sizeof(*c));
	size_t k, i, fails = 0, found = 0, pairs = 0;
	struct nr_rng rng;

	CHECK_OK(nr_analysis_sequential_levels(&q, levels));
	nr_rng_seed(&rng, 7);
	/* A/A, 50 series: no run with a regression, fewer pairs than max */
	for (k = 0; k < 60; k++) {
		size_t reg = 0;

		sim_generate_paired(&rng, &st, b, c);
		CHECK_OK(sim_netrig_adaptive(&st, b, c, &q, res, &pairs));
		for (i = 0; i < 50; i++)
			reg += res[i].outcome == NR_OUTCOME_REGRESSION;
		fails += reg > 0;
	}
	fprintf(stderr, "adaptive A/A, 2 %% noise: %zu of 60 runs failed, %.1f pairs a series\n",
		fails, (double)pairs / 3000);
	CHECK_INT(fails, <=, 2);
	CHECK((double)pairs / 3000 < 16);
	/* every series 30 % slower: found, early */
	st.shifted = 50;
	pairs = 0;
	for (k = 0; k < 10; k++) {
		sim_generate_paired(&rng, &st, b, c);
		CHECK_OK(sim_netrig_adaptive(&st, b, c, &q, res, &pairs));
		for (i = 0; i < 50; i++)
			found += res[i].outcome == NR_OUTCOME_REGRESSION;
	}
	fprintf(stderr, "adaptive, 30 %% slower: %zu of 500 found, %.1f pairs a series\n", found,
		(double)pairs / 500);
	CHECK_INT(found, >=, 490);
	CHECK((double)pairs / 500 < 12);
	free(b);
	free(c);
}
