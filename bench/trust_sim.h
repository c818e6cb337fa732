/*
 * Synthetic comparisons for the trust benchmark (bench/trust_bench.c)
 * and the unit tests of its mechanics (tests/unit/test_analysis_trust.c):
 * a campaign of `series` series measured `repeats` times a side, noise of
 * a given distribution and coefficient of variation, a slow drift of the
 * machine's speed shared by every series, and a true change of some
 * series in the candidate. Also the oracle the benchmark measures netrig
 * against: a Welch t-test per series (the test to use if the noise is
 * known to be normal), Holm-adjusted at the same family-wise level.
 *
 * Header-only (static functions) so that both can include it; nothing
 * here is part of netrig itself.
 */
#ifndef NR_BENCH_TRUST_SIM_H
#define NR_BENCH_TRUST_SIM_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "base/rand.h"

enum sim_noise {
	SIM_NORMAL,    /* mu (1 + cv Z) */
	SIM_LOGNORMAL, /* mu exp(s Z - s²/2), s² = log(1 + cv²): mean mu, CV cv */
	/* two modes: mu (1 + s Z + 4 s B), B ~ Bernoulli(0.2) (a slow mode
	 * 4 sigma away, as a core or NUMA placement gives), s chosen so that
	 * the CV is cv: s = cv / sqrt(1 + 16 * 0.2 * 0.8) */
	SIM_BIMODAL,
};

/* How the noise level varies across series. */
enum sim_spread {
	SIM_SAME,      /* every series has CV cv */
	SIM_MIX,       /* log-uniform from cv/10 to cv across series */
	SIM_ONE_NOISY, /* every series cv, the first sqrt(5) cv (5x the variance) */
};

struct sim_setting {
	enum sim_noise noise;
	enum sim_spread spread;
	double cv;
	size_t repeats;
	size_t series;
	/* sd of the log speed's random walk over one run; the walk goes on
	 * from the baseline run to the candidate run (0: none) */
	double drift;
	double shift;     /* true relative change of the shifted series (+: slower) */
	size_t shifted;   /* how many series (the first ones) have it */
	double threshold; /* the comparison's threshold */
};

static inline double sim_gauss(struct nr_rng *rng)
{
	double u = nr_rng_double(rng), v = nr_rng_double(rng);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static inline double sim_noise_factor(struct nr_rng *rng, enum sim_noise kind, double cv)
{
	double s;

	switch (kind) {
	case SIM_LOGNORMAL:
		s = sqrt(log1p(cv * cv));
		return exp(s * sim_gauss(rng) - 0.5 * s * s);
	case SIM_BIMODAL:
		s = cv / sqrt(1 + 16 * 0.2 * 0.8);
		/* centred: the slow mode's mean 0.8 s is taken off */
		return 1 + s * sim_gauss(rng) + 4 * s * ((nr_rng_double(rng) < 0.2) - 0.2);
	default:
		return 1 + cv * sim_gauss(rng);
	}
}

static inline double sim_series_cv(const struct sim_setting *st, size_t i)
{
	switch (st->spread) {
	case SIM_MIX:
		return st->series > 1 ? st->cv * pow(10, -1 + (double)i / (double)(st->series - 1))
				      : st->cv;
	case SIM_ONE_NOISY:
		return i == 0 ? st->cv * sqrt(5) : st->cv;
	default:
		return st->cv;
	}
}

/*
 * One comparison's data: base and cand hold series x repeats values
 * (series-major: series i's repeats at [i * repeats]). A latency-like
 * metric (lower is better): the shifted series' candidate is
 * (1 + shift) times slower. The runs measure case after case, repeats
 * in a row, so the drift moves within and between series.
 */
static inline void sim_generate(struct nr_rng *rng, const struct sim_setting *st, double *base,
				double *cand)
{
	size_t m = st->series, n = st->repeats, i, k, side;
	double step = st->drift > 0 ? st->drift / sqrt((double)(m * n)) : 0, walk = 0;
	double *mu = calloc(m, sizeof(*mu));

	for (i = 0; i < m; i++)
		mu[i] = 100 * exp(sim_gauss(rng));
	for (side = 0; side < 2; side++) {
		double *out = side ? cand : base;

		for (i = 0; i < m; i++) {
			double level = mu[i] * (side && i < st->shifted ? 1 + st->shift : 1);
			double cv = sim_series_cv(st, i);

			for (k = 0; k < n; k++) {
				walk += step * sim_gauss(rng);
				out[i * n + k] = level * exp(walk) * sim_noise_factor(rng, st->noise, cv);
			}
		}
	}
	free(mu);
}

/*
 * The same campaign run as A/B variants in one run (a paired design):
 * each series is a case whose `repeats` pairs run in ABBA order (pair k:
 * base then candidate for even k, candidate then base for odd k), case
 * after case, the drift walking on with every measurement (2 x series x
 * repeats of them in the run, so the walk's sd over the run is `drift`,
 * as over one run of sim_generate). Pair k of series i is base[i *
 * repeats + k] with cand[i * repeats + k].
 */
static inline void sim_generate_paired(struct nr_rng *rng, const struct sim_setting *st,
				       double *base, double *cand)
{
	size_t m = st->series, n = st->repeats, i, k, h;
	double step = st->drift > 0 ? st->drift / sqrt((double)(2 * m * n)) : 0, walk = 0;

	for (i = 0; i < m; i++) {
		double mu = 100 * exp(sim_gauss(rng)), cv = sim_series_cv(st, i);

		for (k = 0; k < n; k++) {
			for (h = 0; h < 2; h++) {
				/* h-th half of pair k: the candidate first in odd pairs */
				bool is_cand = (h == 1) != (k % 2 == 1);
				double level = mu * (is_cand && i < st->shifted ? 1 + st->shift : 1);

				walk += step * sim_gauss(rng);
				(is_cand ? cand : base)[i * n + k] =
					level * exp(walk) * sim_noise_factor(rng, st->noise, cv);
			}
		}
	}
}

/* The paired comparison netrig makes of that data (compare --variants):
 * the per-pair log ratios as evidence, one family, one group. */
static inline int sim_netrig_paired(const struct sim_setting *st, const double *base,
				    const double *cand, struct nr_analysis_compare_result *res)
{
	struct nr_analysis_series *in = calloc(st->series, sizeof(*in));
	struct nr_analysis_evidence *ev = calloc(st->series, sizeof(*ev));
	size_t i, n = st->repeats;
	int r;

	for (i = 0; i < st->series; i++) {
		nr_analysis_evidence_paired(base + i * n, cand + i * n, n, &ev[i]);
		in[i] = (struct nr_analysis_series){ .base = base + i * n, .cand = cand + i * n,
						     .nb = n, .nc = n, .better = NR_BETTER_LOWER,
						     .threshold = st->threshold,
						     .critical = 2 * st->threshold, .evidence = &ev[i] };
	}
	r = nr_analysis_compare_family(in, st->series, NULL, res);
	free(in);
	free(ev);
	return r;
}

/* The comparison netrig makes of that data: one family, one group. */
static inline int sim_netrig(const struct sim_setting *st, const double *base, const double *cand,
			     struct nr_analysis_compare_result *res)
{
	struct nr_analysis_series *in = calloc(st->series, sizeof(*in));
	size_t i;
	int r;

	for (i = 0; i < st->series; i++)
		in[i] = (struct nr_analysis_series){ .base = base + i * st->repeats,
						     .cand = cand + i * st->repeats,
						     .nb = st->repeats, .nc = st->repeats,
						     .better = NR_BETTER_LOWER,
						     .threshold = st->threshold,
						     .critical = 2 * st->threshold };
	r = nr_analysis_compare_family(in, st->series, NULL, res);
	free(in);
	return r;
}

static inline int sim_cmp_p(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

/*
 * Holm over the (p, index) pairs pv[0..2m) at level alpha: regressed[i]
 * set for the series significant with dir[i] > 0 (slower). Sorts pv;
 * returns how many.
 */
static inline size_t sim_holm_regressed(double *pv, const double *dir, size_t m, double alpha,
					bool *regressed)
{
	size_t i, count = 0;
	double run = 0;

	for (i = 0; i < m; i++)
		regressed[i] = false;
	qsort(pv, m, 2 * sizeof(*pv), sim_cmp_p);
	for (i = 0; i < m; i++) {
		double a = (double)(m - i) * pv[2 * i];
		size_t idx = (size_t)pv[2 * i + 1];

		run = a > run ? a : run;
		if (run < alpha && dir[idx] > 0) {
			regressed[idx] = true;
			count++;
		}
	}
	return count;
}

/*
 * The oracle: Welch's t-test on the raw values of each series (two-sided),
 * Holm over the series at level alpha; regressed[i] is set for a
 * significant change in the bad (slower) direction. Returns how many.
 */
static inline size_t sim_oracle(const struct sim_setting *st, const double *base,
				const double *cand, double alpha, bool *regressed)
{
	size_t m = st->series, n = st->repeats, i, k, count;
	double *pv = calloc(2 * m, sizeof(*pv)); /* (p, index) pairs */
	double *dir = calloc(m, sizeof(*dir));

	for (i = 0; i < m; i++) {
		const double *b = base + i * n, *c = cand + i * n;
		double mb = nr_analysis_mean(b, n), mc = nr_analysis_mean(c, n);
		double vb = 0, vc = 0, se2, df, t, p;

		for (k = 0; k < n; k++) {
			vb += (b[k] - mb) * (b[k] - mb);
			vc += (c[k] - mc) * (c[k] - mc);
		}
		vb /= (double)(n - 1) * (double)n; /* variance of the mean */
		vc /= (double)(n - 1) * (double)n;
		se2 = vb + vc;
		if (se2 > 0) {
			df = se2 * se2 / (vb * vb / (double)(n - 1) + vc * vc / (double)(n - 1));
			t = (mc - mb) / sqrt(se2);
			p = 2 * nr_analysis_t_sf(fabs(t), df);
		} else {
			p = mc == mb ? 1 : 0;
		}
		pv[2 * i] = p > 1 ? 1 : p;
		pv[2 * i + 1] = (double)i;
		dir[i] = mc - mb;
	}
	count = sim_holm_regressed(pv, dir, m, alpha, regressed);
	free(pv);
	free(dir);
	return count;
}

/*
 * The paired oracle: a paired t-test per series on the raw differences
 * cand - base (the test to use for pairs if the noise is normal), Holm
 * over the series at level alpha. As sim_oracle.
 */
static inline size_t sim_oracle_paired(const struct sim_setting *st, const double *base,
				       const double *cand, double alpha, bool *regressed)
{
	size_t m = st->series, n = st->repeats, i, k, count;
	double *pv = calloc(2 * m, sizeof(*pv));
	double *dir = calloc(m, sizeof(*dir));

	for (i = 0; i < m; i++) {
		const double *b = base + i * n, *c = cand + i * n;
		double md = 0, ss = 0, se, p;

		for (k = 0; k < n; k++)
			md += c[k] - b[k];
		md /= (double)n;
		for (k = 0; k < n; k++)
			ss += (c[k] - b[k] - md) * (c[k] - b[k] - md);
		se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : 0;
		if (se > 0)
			p = 2 * nr_analysis_t_sf(fabs(md / se), (double)(n - 1));
		else
			p = md == 0 ? 1 : 0;
		pv[2 * i] = p > 1 ? 1 : p;
		pv[2 * i + 1] = (double)i;
		dir[i] = md;
	}
	count = sim_holm_regressed(pv, dir, m, alpha, regressed);
	free(pv);
	free(dir);
	return count;
}

/*
 * Adaptive repeats (repeat: {min, max, until: clear}) on paired data
 * generated with repeats = max: each series (a case of one series) is
 * looked at with n = min, min + 1, ... pairs, judged alone at the level
 * its look spends of alpha / series (levels: nr_analysis_sequential_levels
 * of that design), until decided (not noisy) or max, as the runner does.
 * res[i] is series i's verdict where it stopped; *ret_pairs adds the
 * pairs each used.
 */
static inline int sim_netrig_adaptive(const struct sim_setting *st, const double *base,
				      const double *cand, const struct nr_analysis_sequential *q,
				      struct nr_analysis_compare_result *res, size_t *ret_pairs)
{
	size_t i, n, stride = st->repeats;
	int r = 0;

	for (i = 0; i < st->series && r == 0; i++) {
		for (n = q->min; n <= q->max; n++) {
			struct nr_analysis_evidence ev;
			struct nr_analysis_series in = {
				.base = base + i * stride, .cand = cand + i * stride, .nb = n, .nc = n,
				.better = NR_BETTER_LOWER, .threshold = st->threshold,
				.critical = 2 * st->threshold, .evidence = &ev, .seq = q,
			};

			nr_analysis_evidence_paired(in.base, in.cand, n, &ev);
			if ((r = nr_analysis_compare_family(&in, 1, NULL, &res[i])) < 0)
				break;
			if (res[i].outcome != NR_OUTCOME_NOISY)
				break;
		}
		*ret_pairs += n > q->max ? q->max : n;
	}
	return r;
}

#endif
