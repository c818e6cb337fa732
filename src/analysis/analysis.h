/*
 * Regression detection: statistics on plain arrays of doubles.
 *
 * Two entry points the commands call, per series:
 *
 *   nr_analysis_compare()       baseline repeats vs candidate repeats ->
 *                               medians, relative change, Mann-Whitney U
 *                               p-value, bootstrap CI, outcome, severity
 *   nr_analysis_changepoints()  one history (a value per run) -> change
 *                               points (windowed E-divisive means with a
 *                               Student t-test, as Apache Otava does it)
 *
 * and the building blocks they use (quantiles, t and normal CDF,
 * Mann-Whitney U, bootstrap), exported for tests and reports.
 *
 * Nothing here does I/O, prints or keeps global state; every function is
 * safe to call from several threads on different data. Allocation: only
 * nr_analysis_changepoints() hands memory to the caller (*ret_points, free
 * it with nr_analysis_changepoints_free() or free()). Other functions use
 * the stack for small inputs and a temporary heap copy for large ones,
 * freed before they return. Out of memory aborts (nr_xmalloc).
 *
 * The exact definitions (quantile method, test variants, outcome rules)
 * are in docs/analysis.md.
 */
#ifndef NR_ANALYSIS_H
#define NR_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h" /* enum nr_better */

/* ---- descriptive statistics (analysis_stats.c) ----------------------- */

/* Sort v[0..n) ascending in place. */
void nr_analysis_sort(double *v, size_t n);

/*
 * The q-quantile (0 <= q <= 1) of sorted[0..n), n > 0, by linear
 * interpolation between order statistics: Hyndman & Fan type 7, the
 * default of R, numpy (method="linear") and Excel's PERCENTILE.INC:
 * h = (n - 1)q, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
 */
double nr_analysis_quantile_sorted(const double *sorted, size_t n, double q);

/* Same on unsorted v (not modified; works on a copy). n > 0. */
double nr_analysis_quantile(const double *v, size_t n, double q);
double nr_analysis_median(const double *v, size_t n);

double nr_analysis_mean(const double *v, size_t n);
/* Sample standard deviation (divisor n - 1); 0 when n < 2. */
double nr_analysis_stddev(const double *v, size_t n);
/* Median absolute deviation from the median, unscaled (multiply by
 * 1.4826 for a normal-consistent estimate of sigma). n > 0. */
double nr_analysis_mad(const double *v, size_t n);
/* Coefficient of variation: stddev / |mean|; NaN when the mean is 0. */
double nr_analysis_cv(const double *v, size_t n);

/* ---- distributions (analysis_stats.c) -------------------------------- */

/* Regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1. */
double nr_analysis_betainc(double a, double b, double x);
/* Student t with df > 0 degrees of freedom: P(T <= t) and P(T > t). */
double nr_analysis_t_cdf(double t, double df);
double nr_analysis_t_sf(double t, double df);
/* Standard normal: P(Z <= z) and P(Z > z). */
double nr_analysis_normal_cdf(double z);
double nr_analysis_normal_sf(double z);

/*
 * Two-sided p-value of Student's t-test for two independent samples with
 * pooled variance from summary statistics, as scipy.stats.ttest_ind_from_stats
 * (equal_var=True): t = (m1 - m2) / sqrt(s2 (1/n1 + 1/n2)),
 * s2 = ((n1-1) sd1^2 + (n2-1) sd2^2) / (n1 + n2 - 2). Returns 1 when
 * n1 + n2 <= 2 or when both means and spreads are equal (t undefined),
 * 0 when the pooled variance is 0 but the means differ.
 */
double nr_analysis_ttest_pvalue(double m1, double sd1, size_t n1,
				double m2, double sd2, size_t n2);

/* ---- Mann-Whitney U (analysis_mwu.c) --------------------------------- */

enum nr_analysis_mwu_method {
	NR_MWU_AUTO = 0,   /* scipy's method="auto" rule (see below) */
	NR_MWU_EXACT,      /* scipy method="exact" (only without ties) */
	NR_MWU_ASYMPTOTIC, /* scipy method="asymptotic", use_continuity=True */
};

struct nr_analysis_mwu {
	double u;       /* U of x: R_x - nx(nx+1)/2 (scipy's statistic) */
	double p_value; /* two-sided */
	enum nr_analysis_mwu_method method; /* the one used: EXACT or ASYMPTOTIC */
	bool ties;
};

/*
 * Two-sided Mann-Whitney U test of x[0..nx) against y[0..ny), matching
 * scipy.stats.mannwhitneyu(x, y, alternative="two-sided") with the given
 * method. AUTO picks EXACT when there are no ties and min(nx, ny) <= 8
 * (scipy 1.10's rule) and nx * ny <= 100000 (a memory bound of ours),
 * ASYMPTOTIC otherwise: normal approximation with tie correction and
 * continuity correction. Returns 0, or NR_EINVAL for an empty side,
 * a non-finite value, or EXACT asked for with ties.
 */
int nr_analysis_mwu(const double *x, size_t nx, const double *y, size_t ny,
		    enum nr_analysis_mwu_method method, struct nr_analysis_mwu *ret);

/*
 * The smallest two-sided p-value the exact test can reach for sizes
 * nx, ny: 2 / C(nx + ny, nx), capped at 1. With 3 against 3 it is 0.1, so
 * a test at alpha 0.05 could never be significant.
 */
double nr_analysis_mwu_min_pvalue(size_t nx, size_t ny);

/* ---- bootstrap (analysis_bootstrap.c) -------------------------------- */

/*
 * Percentile bootstrap confidence interval of the relative change of
 * medians, (median(cand*) - median(base*)) / |median(base*)|, where base*
 * and cand* are resampled with replacement from each side independently,
 * `resamples` times, from an nr_rng seeded with `seed` (same inputs and
 * seed: same interval; docs/analysis.md has the exact draws). The interval is the type-7 quantiles (1-level)/2 and
 * (1+level)/2 of the resampled changes. Resamples whose base median is 0
 * are skipped. Returns 0, or NR_EINVAL (empty side, level outside (0,1),
 * resamples 0, or every resample had a zero base median).
 */
int nr_analysis_bootstrap_ci(const double *base, size_t nb, const double *cand,
			     size_t nc, unsigned resamples, double level,
			     uint64_t seed, double *ret_low, double *ret_high);

/* ---- baseline comparison (analysis_compare.c) ------------------------ */

enum nr_analysis_outcome {
	NR_OUTCOME_STABLE = 0,
	NR_OUTCOME_REGRESSION,
	NR_OUTCOME_IMPROVEMENT,
	NR_OUTCOME_NOISY,
	/* A metric with better = none (informational) that changed as a
	 * regression or improvement would have: reported, never judged. */
	NR_OUTCOME_CHANGED,
};

enum nr_analysis_severity {
	NR_SEVERITY_NONE = 0,
	NR_SEVERITY_WARNING,
	NR_SEVERITY_CRITICAL,
};

/* How `significant` was decided. */
enum nr_analysis_sig_by {
	NR_SIG_NONE = 0, /* fewer than min_repeats a side: threshold alone */
	NR_SIG_MWU,      /* Mann-Whitney U p-value < alpha */
	NR_SIG_CI,       /* the exact MWU cannot reach alpha at these sizes
			  * (3 vs 3, 3 vs 4): the bootstrap CI excludes 0 */
};

const char *nr_analysis_outcome_name(enum nr_analysis_outcome o);   /* "stable", ... */
const char *nr_analysis_severity_name(enum nr_analysis_severity s); /* "none", "warning", "critical" */

struct nr_analysis_compare_params {
	double threshold;   /* relative, 0.10 = 10 %: smallest change judged,
			     * and where severity "warning" starts */
	double critical;    /* relative change where severity "critical" starts */
	double alpha;       /* significance level of the MWU test */
	double ci_level;    /* bootstrap confidence level */
	unsigned resamples; /* bootstrap resamples */
	uint64_t seed;      /* bootstrap seed */
	size_t min_repeats; /* fewer on either side: threshold alone */
};

#define NR_ANALYSIS_SEED_DEFAULT 0x6e6574726967ULL /* "netrig" */

#define NR_ANALYSIS_COMPARE_PARAMS_INIT                                     \
	{ .threshold = 0.10, .critical = 0.20, .alpha = 0.05, .ci_level = 0.95, \
	  .resamples = 1000, .seed = NR_ANALYSIS_SEED_DEFAULT, .min_repeats = 3 }

struct nr_analysis_compare_result {
	size_t n_base, n_cand;
	double median_base, median_cand;
	/* (median_cand - median_base) / |median_base|, as measured: +0.12
	 * means the candidate is 12 % higher. 0 when both medians are 0,
	 * +-INFINITY when only the base median is 0. */
	double rel_change;
	/* rel_change turned to the metric's good direction: > 0 is better
	 * (-rel_change for lower-is-better metrics; rel_change for none). */
	double gain;
	/* Bootstrap CI of rel_change (not of gain); NaN when a base median
	 * of 0 made it undefined. */
	double ci_low, ci_high;
	double p_value;     /* MWU two-sided; NaN when few_repeats */
	enum nr_analysis_mwu_method mwu_method; /* EXACT or ASYMPTOTIC */
	/* Spread of each side: IQR (type 7) / |median|, and CV. */
	double spread_base, spread_cand;
	double cv_base, cv_cand;
	bool few_repeats;   /* n_base or n_cand < min_repeats */
	bool significant;
	enum nr_analysis_sig_by sig_by;
	enum nr_analysis_outcome outcome;
	enum nr_analysis_severity severity;
};

/*
 * Compare baseline repeats base[0..nb) with candidate repeats cand[0..nc)
 * of one series whose metric is better `better` (params NULL: defaults).
 * The rules, with g = gain, t = threshold, s = max(spread_base, spread_cand):
 *
 *   few repeats (nb or nc < min_repeats):  |g| >= t -> regression or
 *       improvement by the sign of g, else stable (no test, no noisy);
 *   |g| >= t, significant and s <= |g|/2 -> regression / improvement;
 *   |g| >= t otherwise                    -> noisy;
 *   |g| <  t and s > t                    -> noisy;
 *   |g| <  t                              -> stable.
 *
 * significant: MWU p < alpha, or, where the exact MWU cannot reach alpha
 * (nr_analysis_mwu_min_pvalue() >= alpha), the bootstrap CI excludes 0.
 * For better = none, regression and improvement become "changed".
 * severity: critical for a regression with |g| >= critical, warning for
 * any other regression, none otherwise.
 *
 * Returns 0, or NR_EINVAL (an empty side, a non-finite value, bad params);
 * *ret_result is written only on success. No allocation is left behind.
 */
int nr_analysis_compare(const double *base, size_t nb, const double *cand,
			size_t nc, enum nr_better better,
			const struct nr_analysis_compare_params *params,
			struct nr_analysis_compare_result *ret_result);

/* ---- change points (analysis_edivisive.c) ---------------------------- */

struct nr_analysis_cp_params {
	size_t window;        /* points per window, >= 2 (Otava --window) */
	double max_pvalue;    /* Otava -P */
	double min_magnitude; /* Otava -M, relative (0.05 = 5 %) */
	/* netrig: every segment between change points (and the series
	 * ends) must have at least this many points, so a single spike is
	 * not a change point. 1 reproduces Otava. */
	size_t min_segment;
};

#define NR_ANALYSIS_CP_PARAMS_INIT                                   \
	{ .window = 50, .max_pvalue = 0.001, .min_magnitude = 0.0,   \
	  .min_segment = 3 }

/* The same with min_segment = 1: exactly Apache Otava's result. */
#define NR_ANALYSIS_CP_PARAMS_OTAVA                                  \
	{ .window = 50, .max_pvalue = 0.001, .min_magnitude = 0.0,   \
	  .min_segment = 1 }

struct nr_analysis_changepoint {
	size_t index;          /* first point after the change (0-based) */
	size_t n_before;       /* points from the previous change point (or 0) */
	size_t n_after;        /* points up to the next change point (or n) */
	double mean_before, mean_after;
	double stddev_before, stddev_after; /* population (ddof 0), as Otava */
	double rel_change;     /* mean_after / mean_before - 1 */
	double magnitude;      /* Otava's: max(|ma/mb - 1|, |mb/ma - 1|) */
	double p_value;        /* two-sided t-test, before vs after */
};

/*
 * Change points of values[0..n) (one value per run, in run order; fill
 * gaps first, e.g. with nr_analysis_fill_missing()). On success
 * *ret_points is a heap array of *ret_n points in index order (NULL when
 * *ret_n is 0), owned by the caller. Returns 0, or NR_EINVAL (a
 * non-finite value, window < 2, max_pvalue outside (0, 1],
 * min_segment 0).
 */
int nr_analysis_changepoints(const double *values, size_t n,
			     const struct nr_analysis_cp_params *params,
			     struct nr_analysis_changepoint **ret_points,
			     size_t *ret_n);

void nr_analysis_changepoints_free(struct nr_analysis_changepoint *points);

/*
 * Replace NaNs in v[0..n) in place as Otava does: each by the last value
 * before it, leading ones by the first value after them. Returns the
 * number replaced; if every value is NaN, v is left alone and 0 returned.
 */
size_t nr_analysis_fill_missing(double *v, size_t n);

#endif
