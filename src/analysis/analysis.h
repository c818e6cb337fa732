/*
 * Regression detection: statistics on plain arrays of doubles.
 *
 * The entry points the commands call:
 *
 *   nr_analysis_compare_family()  every series of a comparison, baseline
 *                                 repeats vs candidate repeats -> change
 *                                 and interval, p before and after Holm,
 *                                 outcome, severity, detectable change
 *                                 (nr_analysis_compare(): one series)
 *   nr_analysis_changepoints()    one history (a value per run) -> change
 *                                 points (windowed E-divisive means with a
 *                                 Student t-test, as Apache Otava does it)
 *
 * and the building blocks (quantiles; t, noncentral t, normal and F
 * distributions; the variance prior; power; Mann-Whitney U; bootstrap),
 * exported for tests, reports, planning and designs still to come
 * (paired A/B variants pass their own evidence to the family).
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

#include "metric/metric.h" /* enum nr_better */

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

/*
 * Percentile bootstrap interval of the median of v[0..n) (type 7), v
 * resampled with replacement `resamples` times from an nr_rng seeded with
 * `seed` (the draws of one side of nr_analysis_bootstrap_ci): the type-7
 * quantiles (1-level)/2 and (1+level)/2 of the resampled medians. Paired
 * comparisons use it for the median of the per-pair ratios. Returns 0, or
 * NR_EINVAL (n 0, resamples 0, level outside (0,1)).
 */
int nr_analysis_bootstrap_median_ci(const double *v, size_t n, unsigned resamples, double level,
				    uint64_t seed, double *ret_low, double *ret_high);

/* ---- more distributions (analysis_dist.c) ---------------------------- */

/* Normal quantile: the z with P(Z <= z) = p, and with P(Z > z) = q
 * (isf: the inverse survival function, exact far in the upper tail). */
double nr_analysis_normal_quantile(double p);
double nr_analysis_normal_isf(double q);
/* Student t quantile (df > 0, fractional allowed): P(T <= t) = p, and
 * P(T > t) = q. */
double nr_analysis_t_quantile(double p, double df);
double nr_analysis_t_isf(double q, double df);
/* Noncentral t with df degrees of freedom and noncentrality nc:
 * P(T <= t) and P(T > t). */
double nr_analysis_nct_cdf(double t, double df, double nc);
double nr_analysis_nct_sf(double t, double df, double nc);
/* F distribution: P(F > x) with d1, d2 degrees of freedom. */
double nr_analysis_f_sf(double x, double d1, double d2);
/* ψ(x), ψ'(x) for x > 0, and the y > 0 with ψ'(y) = x. */
double nr_analysis_digamma(double x);
double nr_analysis_trigamma(double x);
double nr_analysis_trigamma_inverse(double x);

/*
 * Power of a two-sided t-test at level alpha with df degrees of freedom
 * when the true effect is lambda standard errors (the noncentrality):
 * P(|T'| > t_{1-alpha/2}), T' noncentral t. And its inverse: the lambda
 * at which the power reaches `power` (a minimum detectable effect, in
 * standard errors). NaN for arguments out of range.
 */
double nr_analysis_t_power(double lambda, double df, double alpha);
double nr_analysis_t_detectable(double df, double alpha, double power);

#define NR_ANALYSIS_SEED_DEFAULT 0x6e6574726967ULL /* "netrig": a default bootstrap seed */

/* ---- baseline comparison (analysis_family.c, analysis_compare.c) ------ */

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

const char *nr_analysis_outcome_name(enum nr_analysis_outcome o);   /* "stable", ... */
const char *nr_analysis_severity_name(enum nr_analysis_severity s); /* "none", "warning", "critical" */

struct nr_analysis_compare_params {
	/* relative, 0.10 = 10 %: the smallest change of interest. A
	 * significant change whose interval excludes it is stable (noted);
	 * a change whose interval reaches it is not ruled out. The family
	 * function takes it per series instead. */
	double threshold;
	double critical;    /* a regression estimated at least this large is critical */
	double alpha;       /* family-wise false-alarm level (Holm) of one comparison */
	double ci_level;    /* level of the interval of the change */
	double power;       /* power the minimum detectable change is stated at */
	/* a series whose variance lies in the upper outlier_p tail of what
	 * its group predicts keeps its own variance (borrows nothing) */
	double outlier_p;
	bool borrow;        /* empirical Bayes: share variance within a group */
	size_t min_repeats; /* fewer on either side: no test, threshold alone */
};

#define NR_ANALYSIS_COMPARE_PARAMS_INIT                                       \
	{ .threshold = 0.10, .critical = 0.20, .alpha = 0.01, .ci_level = 0.95, \
	  .power = 0.80, .outlier_p = 0.10, .borrow = true, .min_repeats = 3 }

/* Groups with fewer usable series than this borrow nothing on their own:
 * they are pooled into one group of all such series (analysis_family.c). */
#define NR_ANALYSIS_EB_MIN_SERIES 8
/* Repeats needed beyond this are reported as this + 1 ("more than"). */
#define NR_ANALYSIS_REPEATS_CAP 10000

/*
 * What the test of one series works with, on the test's own scale: an
 * estimate of the candidate's change, the residual variance of one repeat
 * and its degrees of freedom, and the factor from the repeat's standard
 * deviation to the estimate's standard error. Two independent samples
 * (nr_analysis_evidence_two_sample): when every value is > 0, the log
 * scale (estimate = mean log cand - mean log base; exp(estimate) - 1 is
 * the ratio of geometric means, minus 1), pooled variance with
 * nb + nc - 2 df, se_scale = sqrt(1/nb + 1/nc); otherwise means relative
 * to |mean base|. A paired design (A/B variants, one pair per ABBA block)
 * fills the same struct from the per-pair log ratios: their mean, their
 * variance with pairs - 1 df, se_scale = 1/sqrt(pairs); the family
 * function then borrows, adjusts and decides the same way.
 */
struct nr_analysis_evidence {
	double estimate;
	double var;       /* >= 0 */
	double df;        /* >= 0; 0: no variance of its own */
	double se_scale;
	bool log_scale;   /* change = exp(estimate) - 1; else change = estimate */
	bool relative;    /* raw scale: the estimate is relative to |mean base| (false when that is 0) */
	bool paired;      /* n pairs: se_scale = 1/sqrt(n), df = n - 1 (for repeats_needed) */
};

/* Evidence of two independent samples (see above). nb, nc >= 1, finite values. */
void nr_analysis_evidence_two_sample(const double *base, size_t nb, const double *cand,
				     size_t nc, struct nr_analysis_evidence *ret);

/*
 * Evidence of n pairs measured together, base[i] with cand[i] (A/B
 * variants of one run, analysis_paired.c): when every value is > 0, the
 * per-pair log ratios log(cand[i] / base[i]): estimate = their mean, var
 * = their sample variance with n - 1 df, se_scale = 1/sqrt(n),
 * log_scale, relative and paired set; otherwise the same of the
 * differences relative to |mean base| (absolute when that is 0). n >= 1,
 * finite values.
 */
void nr_analysis_evidence_paired(const double *base, const double *cand, size_t n,
				 struct nr_analysis_evidence *ret);

struct nr_analysis_signed_rank {
	double statistic; /* min(R+, R-), scipy's two-sided statistic */
	double p_value;   /* two-sided */
	size_t n;         /* differences ranked (the nonzero ones) */
	bool exact;       /* the exact null distribution (else normal approximation) */
};

/*
 * Wilcoxon's signed-rank test of the differences d[0..n) against 0,
 * two-sided, as scipy.stats.wilcoxon(d) computes it in scipy 1.10
 * (zero_method "wilcox", no continuity correction, method "auto"): exact
 * when n <= 50 and no difference is 0, with scipy's handling of ties (the
 * sum of positive ranks, averaged over ties, truncated to an integer
 * against the exact distribution); otherwise the normal approximation
 * over the nonzero differences with the tie correction. Every difference
 * 0: p 1 (scipy raises an error). Returns 0, or NR_EINVAL for n 0 or a
 * value that is not finite.
 */
int nr_analysis_signed_rank(const double *d, size_t n, struct nr_analysis_signed_rank *ret);

/* ---- sequential decisions: adaptive repeats (analysis_sequential.c) --- */

/* How a sequential design spends its level over its looks (Lan & DeMets 1983). */
enum nr_analysis_spending {
	/* alpha(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)): little early, the
	 * last look's bound close to a fixed design's */
	NR_SPEND_OBRIEN_FLEMING = 0,
	/* alpha(t) = alpha ln(1 + (e - 1) t): evenly */
	NR_SPEND_POCOCK,
};

/* The largest `max` of a sequential design (its looks are every n from min). */
#define NR_ANALYSIS_SEQ_MAX 200

/*
 * A series judged sequentially: looked at with n = min, min + 1, ..., max
 * candidate values (or pairs), its level alpha spent over those looks.
 * The information of a look is n for pairs (n_base 0), and
 * 1 / (1/n_base + 1/n) against a fixed baseline of n_base values.
 */
struct nr_analysis_sequential {
	size_t min, max;   /* 2 <= min <= max <= NR_ANALYSIS_SEQ_MAX */
	size_t n_base;     /* 0: paired */
	double alpha;      /* this series' level over all its looks */
	enum nr_analysis_spending spending;
	/* NULL: computed when needed; else the levels of looks min..max as
	 * nr_analysis_sequential_levels() gives them for this design (the
	 * bounds integrate over every look: a caller judging many looks of
	 * one design computes them once) */
	const double *levels;
};

const char *nr_analysis_spending_name(enum nr_analysis_spending f); /* "obrien-fleming", "pocock" */
/* The level spent by information fraction t (0 at t <= 0, alpha at t >= 1). */
double nr_analysis_spend(enum nr_analysis_spending f, double alpha, double t);
/*
 * Two-sided bounds z[0..k) of a group-sequential test at level alpha with
 * looks at information fractions t[0..k) (increasing, in (0, 1]): under no
 * change, P(|Z_j| >= z_j for the first time at look i) = spend(t_i) -
 * spend(t_{i-1}), Z the looks' z statistics (a Brownian motion in t).
 * INFINITY where a look has nothing to spend. NR_EINVAL for bad arguments.
 */
int nr_analysis_gs_bounds(enum nr_analysis_spending f, double alpha, const double *t, size_t k,
			  double *ret_z);
/*
 * The nominal two-sided level of each look n = min..max of q (ret_p has
 * max - min + 1 entries): erfc(z_i / sqrt 2) of its bound. NR_EINVAL for a
 * bad design.
 */
int nr_analysis_sequential_levels(const struct nr_analysis_sequential *q, double *ret_p);
/* The level of the look at n (n > max: max's); 0 before min; NaN for a bad design. */
double nr_analysis_sequential_level(const struct nr_analysis_sequential *q, size_t n);

/* One series of a comparison. */
struct nr_analysis_series {
	const double *base, *cand;
	size_t nb, nc;
	enum nr_better better;
	double threshold, critical;
	/* Series of one group share a variance prior (compare: one group
	 * per metric name); any number, not necessarily dense. */
	size_t group;
	/* NULL: two independent samples from base and cand; else this
	 * evidence (a paired design), with base and cand still giving the
	 * medians shown. */
	const struct nr_analysis_evidence *evidence;
	/*
	 * NULL: judged with the family (borrowing, Holm). Else judged alone at
	 * the level of its look (n = nc, capped at max): its own variance,
	 * no adjustment, the interval at that level (a repeated confidence
	 * interval); kept out of the family's prior and of Holm's m.
	 */
	const struct nr_analysis_sequential *seq;
};

struct nr_analysis_compare_result {
	size_t n_base, n_cand;
	double median_base, median_cand;
	/* (median_cand - median_base) / |median_base|, as measured (shown
	 * beside the estimate): 0 when both are 0, +-INFINITY when only the
	 * base median is. */
	double median_change;
	/* The change the verdict is about: the ratio of geometric means - 1
	 * (all values > 0), else the difference of means / |mean base|
	 * (the difference itself when that mean is 0); +0.12 = 12 % higher. */
	double change;
	/* change turned to the metric's good direction: > 0 is better. */
	double gain;
	double ci_low, ci_high; /* interval of change at ci_level; NaN when untested */
	double p_value;     /* two-sided, before adjustment; NaN when untested */
	double p_adjusted;  /* Holm over the comparison's family; NaN when untested */
	size_t family;      /* series in that family (Holm's m) */
	/* Relative standard deviation of one repeat that the test used (the
	 * moderated estimate; on the log scale about the CV); NaN untested. */
	double noise;
	double df;          /* degrees of freedom of the test */
	double prior_df;    /* of which borrowed from the series' group (0: none) */
	/* Smallest true change (relative, as a factor - 1) the test finds
	 * with probability `power` at the Bonferroni level alpha/family (the
	 * first Holm step) with these repeats; NaN when untested. */
	double detectable;
	/* Repeats a side at which a change of `threshold` would be found
	 * with that power; 0 when untested or the threshold is 0;
	 * NR_ANALYSIS_REPEATS_CAP + 1 when more than the cap. */
	size_t repeats_needed;
	/* Spread of each side: IQR (type 7) / |median|, and CV. */
	double spread_base, spread_cand;
	double cv_base, cv_cand;
	bool log_scale;
	bool few_repeats;   /* n_base or n_cand < min_repeats: untested */
	/* judged sequentially (series.seq): significant is p_value < seq_level,
	 * p_adjusted = p_value * alpha / seq_level, the interval at 1 - seq_level */
	bool sequential;
	double seq_level;   /* the look's nominal two-sided level; NaN otherwise */
	bool tested;
	bool invalid;       /* an empty side or a non-finite value (family only) */
	bool significant;   /* p_adjusted < alpha */
	/* significant, but the interval excludes a change of the threshold's
	 * size: outcome stable, shown as a change below the threshold */
	bool below_threshold;
	enum nr_analysis_outcome outcome;
	enum nr_analysis_severity severity;
};

/*
 * Compare the series of one comparison together (docs/analysis.md has
 * the exact rules):
 *
 *  1. per series: the evidence (two samples on the log scale, or the one
 *     given); fewer than min_repeats on a side: untested;
 *  2. per group: an empirical-Bayes prior for the variance (Smyth 2004,
 *     limma's fitFDist): series with positive variance on the log scale
 *     fit a scaled inverse chi-square (s0², d0) by moments of log s²;
 *     d0 is capped at the group's total df; groups of fewer than
 *     NR_ANALYSIS_EB_MIN_SERIES such series are pooled into one; a series
 *     in the upper outlier_p tail of F(df, d0) s0² borrows nothing;
 *  3. per series: moderated t = estimate / (s̃ se_scale),
 *     s̃² = (d0 s0² + df s²) / (d0 + df), with d0 + df degrees of freedom;
 *     two-sided p;
 *  4. Holm (1979) step-down adjustment over the tested series with a
 *     direction, and separately over informational ones (better none);
 *     significant = p_adjusted < alpha;
 *  5. outcome: significant -> regression / improvement / changed by the
 *     sign of the gain, unless the ci_level interval lies inside
 *     (-threshold, +threshold): then stable, below_threshold set; not
 *     significant -> stable when the interval lies inside, else noisy;
 *     untested -> |gain| >= threshold decides alone (no noisy);
 *     severity: critical for a regression with |gain| >= critical,
 *     warning for other regressions;
 *  6. detectable change and repeats needed (noncentral t).
 *
 * ret[0..n) is written for every series (invalid ones get outcome noisy,
 * invalid set). params NULL: the defaults (threshold and critical come
 * from each series). Returns 0, or NR_EINVAL for bad params.
 */
int nr_analysis_compare_family(const struct nr_analysis_series *s, size_t n,
			       const struct nr_analysis_compare_params *params,
			       struct nr_analysis_compare_result *ret);

/*
 * One series alone: a family of one (nothing to borrow, no adjustment),
 * with params' threshold and critical. Returns 0, or NR_EINVAL (an empty
 * side, a non-finite value, bad params); *ret_result is written only on
 * success.
 */
int nr_analysis_compare(const double *base, size_t nb, const double *cand,
			size_t nc, enum nr_better better,
			const struct nr_analysis_compare_params *params,
			struct nr_analysis_compare_result *ret_result);

/*
 * The empirical-Bayes prior of a set of variances var[i] with df[i]
 * degrees of freedom (entries with var <= 0 or df <= 0 are skipped):
 * limma's fitFDist without covariates (Smyth 2004, section 6.2), d0
 * capped at the sum of the df used. *ret_d0 is 0 (nothing to borrow)
 * when fewer than 2 entries are usable.
 */
void nr_analysis_prior_fit(const double *var, const double *df, size_t n,
			   double *ret_s02, double *ret_d0);

/*
 * What a design can detect: for one repeat's relative noise `noise`
 * (log-scale standard deviation), `repeats` a side, prior_df borrowed
 * degrees of freedom and a family of `family` series at level alpha,
 * the smallest change found with `power` (as a factor - 1), and the
 * repeats a side needed for a change of `threshold` (0 when threshold
 * is 0 or noise is not positive; NR_ANALYSIS_REPEATS_CAP + 1 beyond).
 * Two independent samples of equal size (netrig plan --power uses it).
 */
double nr_analysis_detectable_change(double noise, size_t repeats, double prior_df,
				     size_t family, double alpha, double power);
size_t nr_analysis_repeats_needed(double noise, double threshold, double prior_df,
				  size_t family, double alpha, double power);

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
