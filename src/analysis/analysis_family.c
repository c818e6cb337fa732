/*
 * The verdicts of one comparison, all its series together: evidence per
 * series, a variance prior shared within groups of series (empirical
 * Bayes), moderated t-tests, Holm's adjustment across the comparison,
 * outcomes, and what each series could have detected.
 *
 * Why together: a comparison of 50 series tested one by one at 5 % flags
 * one of them in most A/A runs, so the false-alarm rate has to be held per
 * comparison (Holm 1979: family-wise, under any dependence). At that level
 * (about 0.0002 per series) a t-test on 5 repeats a side has 8 degrees of
 * freedom and needs t > 6.4; the series of one comparison measure their
 * noise on the same machine in the same run, so their variances are
 * pooled towards a common prior (Smyth 2004, limma), which gives the
 * test hundreds of degrees of freedom instead. Rank tests cannot serve:
 * the exact Mann-Whitney p-value cannot go below 2/C(10,5) = 0.0079 at
 * 5 against 5. docs/analysis.md has the definitions and the measured
 * rates (bench/trust.sh).
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "base/err.h"
#include "base/mem.h"

/* Relative changes within this of a threshold count as reaching it, so
 * that 110 vs 100 is a 10 % change in spite of binary fractions. */
#define THRESHOLD_SLACK 1e-9

/* ---- evidence ------------------------------------------------------------ */

static bool all_positive(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(v[i] > 0))
			return false;
	return true;
}

void nr_analysis_evidence_two_sample(const double *base, size_t nb, const double *cand,
				     size_t nc, struct nr_analysis_evidence *ret)
{
	struct nr_analysis_evidence ev = { 0 };
	double df = (double)nb + (double)nc - 2, mb, mc, ss;
	size_t i;

	ev.df = df > 0 ? df : 0;
	ev.se_scale = sqrt(1.0 / (double)nb + 1.0 / (double)nc);
	if (all_positive(base, nb) && all_positive(cand, nc)) {
		double sb[NR__ANALYSIS_STACK_N], sc[NR__ANALYSIS_STACK_N];
		double *lb = nr__analysis_copy(base, nb, sb, NR_ARRAY_SIZE(sb));
		double *lc = nr__analysis_copy(cand, nc, sc, NR_ARRAY_SIZE(sc));

		for (i = 0; i < nb; i++)
			lb[i] = log(lb[i]);
		for (i = 0; i < nc; i++)
			lc[i] = log(lc[i]);
		mb = nr_analysis_mean(lb, nb);
		mc = nr_analysis_mean(lc, nc);
		ss = nr__analysis_sum_sq_dev(lb, nb, mb) + nr__analysis_sum_sq_dev(lc, nc, mc);
		ev.log_scale = true;
		ev.relative = true;
		ev.estimate = mc - mb;
		ev.var = df > 0 ? ss / df : 0;
		nr__analysis_uncopy(lb, sb);
		nr__analysis_uncopy(lc, sc);
	} else {
		double ref;

		mb = nr_analysis_mean(base, nb);
		mc = nr_analysis_mean(cand, nc);
		ss = nr__analysis_sum_sq_dev(base, nb, mb) + nr__analysis_sum_sq_dev(cand, nc, mc);
		ref = fabs(mb);
		ev.relative = ref > 0;
		if (!ev.relative)
			ref = 1;
		ev.estimate = (mc - mb) / ref;
		ev.var = df > 0 ? ss / df / (ref * ref) : 0;
	}
	*ret = ev;
}

/* ---- the prior ----------------------------------------------------------- */

void nr_analysis_prior_fit(const double *var, const double *df, size_t n, double *ret_s02,
			   double *ret_d0)
{
	double emean = 0, evar = 0, tri = 0, dsum = 0, d0, s02;
	size_t i, k = 0;

	/* e = log s² - ψ(d/2) + log(d/2) is unbiased for log σ² (Smyth
	 * 2004, eq. 15-16); its variance beyond the sampling part ψ'(d/2)
	 * is the spread of log σ² across series. */
	for (i = 0; i < n; i++) {
		if (!(var[i] > 0) || !(df[i] > 0))
			continue;
		emean += log(var[i]) - nr_analysis_digamma(0.5 * df[i]) + log(0.5 * df[i]);
		tri += nr_analysis_trigamma(0.5 * df[i]);
		dsum += df[i];
		k++;
	}
	if (k < 2) {
		*ret_s02 = 0;
		*ret_d0 = 0;
		return;
	}
	emean /= (double)k;
	tri /= (double)k;
	for (i = 0; i < n; i++) {
		double e;

		if (!(var[i] > 0) || !(df[i] > 0))
			continue;
		e = log(var[i]) - nr_analysis_digamma(0.5 * df[i]) + log(0.5 * df[i]) - emean;
		evar += e * e;
	}
	evar = evar / (double)(k - 1) - tri;
	if (evar > 0) {
		d0 = 2 * nr_analysis_trigamma_inverse(evar);
		s02 = exp(emean + nr_analysis_digamma(0.5 * d0) - log(0.5 * d0));
	} else {
		/* no spread beyond sampling: limma takes d0 = infinity */
		d0 = INFINITY;
		s02 = exp(emean);
	}
	/*
	 * The prior can carry no more information than the series it was
	 * fitted from; limma's d0 = infinity would give a normal test on a
	 * variance known only from their df.
	 */
	if (d0 > dsum) {
		d0 = dsum;
		if (isfinite(s02) && evar > 0)
			s02 = exp(emean + nr_analysis_digamma(0.5 * d0) - log(0.5 * d0));
	}
	*ret_s02 = s02;
	*ret_d0 = d0;
}

/* ---- detectable effects, cached --------------------------------------- */

/*
 * nr_analysis_t_detectable() is a root search over the noncentral t;
 * within a comparison it is asked again and again for the same df and
 * level (one df per group and repeat count), so answers are kept in a
 * small open-addressed table, emptied when full.
 */
#define LAM_CACHE 4096

struct lam_cache {
	double df[LAM_CACHE], alpha[LAM_CACHE], lam[LAM_CACHE];
	bool used[LAM_CACHE];
	size_t n;
	double power;
};

static double detectable_lambda(struct lam_cache *c, double df, double alpha)
{
	uint64_t h, bits;
	size_t i;

	memcpy(&bits, &df, sizeof(bits));
	h = bits * 0x9e3779b97f4a7c15ULL;
	memcpy(&bits, &alpha, sizeof(bits));
	h ^= bits * 0xc2b2ae3d27d4eb4fULL;
	for (i = (size_t)(h >> 52) % LAM_CACHE;; i = (i + 1) % LAM_CACHE) {
		if (!c->used[i])
			break;
		if (c->df[i] == df && c->alpha[i] == alpha)
			return c->lam[i];
	}
	if (c->n >= LAM_CACHE / 2) {
		memset(c->used, 0, sizeof(c->used));
		c->n = 0;
		return detectable_lambda(c, df, alpha);
	}
	c->used[i] = true;
	c->n++;
	c->df[i] = df;
	c->alpha[i] = alpha;
	c->lam[i] = nr_analysis_t_detectable(df, alpha, c->power);
	return c->lam[i];
}

/* Whether n a side find a true change of delta (see repeats_for). */
static bool found_with(struct lam_cache *c, size_t n, double sigma, double delta,
		       double prior_df, bool paired, double alpha)
{
	double dn = (double)n;
	double se = sigma * (paired ? sqrt(1 / dn) : sqrt(2 / dn));
	double df = prior_df + (paired ? dn - 1 : 2 * dn - 2);

	return delta / se >= detectable_lambda(c, df, alpha);
}

/*
 * The smallest n a side (pairs when paired) at which a true change of
 * delta (on the test's scale) is found with the cache's power: the
 * standard error of the estimate at n is sigma sqrt(2/n) (sigma/sqrt(n)
 * paired), the test has prior_df + 2n - 2 (n - 1 + prior_df) df. The
 * margin grows with n: a galloping search from the normal
 * approximation's answer, then bisection.
 */
static size_t repeats_for(struct lam_cache *c, double sigma, double delta, double prior_df,
			  bool paired, double alpha)
{
	const size_t cap = NR_ANALYSIS_REPEATS_CAP;
	double z, guess;
	size_t lo, hi, step;

	if (!(sigma > 0) || !(delta > 0) || !(alpha > 0))
		return 0;
	z = (nr_analysis_normal_isf(0.5 * alpha) + nr_analysis_normal_isf(1 - c->power)) * sigma / delta;
	guess = (paired ? 1 : 2) * z * z;
	lo = guess < 2 ? 2 : guess > (double)cap ? cap : (size_t)ceil(guess);
	if (found_with(c, lo, sigma, delta, prior_df, paired, alpha)) {
		/* look down: lo found, find one that is not */
		hi = lo;
		for (step = 1; hi > 2; step *= 2) {
			lo = hi > 2 + step ? hi - step : 2;
			if (!found_with(c, lo, sigma, delta, prior_df, paired, alpha))
				break;
			hi = lo;
		}
		if (hi == 2 || lo == hi)
			return hi;
	} else {
		for (step = 1;; step *= 2) {
			hi = lo + step > cap ? cap : lo + step;
			if (found_with(c, hi, sigma, delta, prior_df, paired, alpha))
				break;
			if (hi == cap)
				return cap + 1;
			lo = hi;
		}
	}
	/* lo not found, hi found */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (found_with(c, mid, sigma, delta, prior_df, paired, alpha))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

double nr_analysis_detectable_change(double noise, size_t repeats, double prior_df, size_t family,
				     double alpha, double power)
{
	double df = prior_df + 2.0 * (double)repeats - 2, lam;

	if (!(noise > 0) || repeats < 1 || !(df > 0) || family < 1 ||
	    !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
		return NAN;
	lam = nr_analysis_t_detectable(df, alpha / (double)family, power);
	return expm1(lam * noise * sqrt(2.0 / (double)repeats));
}

size_t nr_analysis_repeats_needed(double noise, double threshold, double prior_df, size_t family,
				  double alpha, double power)
{
	struct lam_cache *c;
	size_t n;

	if (!(threshold > 0) || family < 1 || !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
		return 0;
	c = nr_xcalloc(1, sizeof(*c));
	c->power = power;
	n = repeats_for(c, noise, log1p(threshold), prior_df, false, alpha / (double)family);
	free(c);
	return n;
}

/* ---- the family ---------------------------------------------------------- */

struct work {
	struct nr_analysis_evidence ev;
	size_t group;  /* dense group index, after pooling small groups */
	double d0;     /* prior df applied */
	double post;   /* moderated variance */
	double dft;    /* the test's df */
	bool usable;   /* fits the prior: tested, log scale, var > 0, df > 0 */
};

static int check_params(const struct nr_analysis_compare_params *p)
{
	if (!(p->threshold >= 0) || !(p->critical >= p->threshold) ||
	    !(p->alpha > 0 && p->alpha < 1) || !(p->ci_level > 0 && p->ci_level < 1) ||
	    !(p->power > 0 && p->power < 1) || !(p->outlier_p >= 0 && p->outlier_p < 1))
		return NR_EINVAL;
	return 0;
}

/* Median, IQR / |median| and CV of one side, from a sorted copy. */
static void describe(const double *v, size_t n, double *ret_median, double *ret_spread,
		     double *ret_cv)
{
	double stack[NR__ANALYSIS_STACK_N];
	double *c = nr__analysis_copy(v, n, stack, NR_ARRAY_SIZE(stack));
	double med, iqr;

	nr_analysis_sort(c, n);
	med = nr_analysis_quantile_sorted(c, n, 0.5);
	iqr = nr_analysis_quantile_sorted(c, n, 0.75) - nr_analysis_quantile_sorted(c, n, 0.25);
	nr__analysis_uncopy(c, stack);
	*ret_median = med;
	/* a zero median with any spread is as noisy as it gets */
	*ret_spread = med != 0 ? iqr / fabs(med) : (iqr > 0 ? INFINITY : 0);
	*ret_cv = nr_analysis_cv(v, n);
}

static bool finite_all(const double *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

struct gkey {
	size_t group, index;
};

static int cmp_gkey(const void *a, const void *b)
{
	const struct gkey *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Dense group indexes in w[].group; groups with fewer than
 * NR_ANALYSIS_EB_MIN_SERIES usable series share index `*ret_n - 1` (the
 * pool of small groups). Returns the number of indexes.
 */
static size_t assign_groups(const struct nr_analysis_series *s, struct work *w, size_t n)
{
	struct gkey *k = nr_xcalloc(n + 1, sizeof(*k));
	size_t i, j, g = 0;

	for (i = 0; i < n; i++)
		k[i] = (struct gkey){ s[i].group, i };
	qsort(k, n, sizeof(*k), cmp_gkey);
	for (i = 0; i < n;) {
		size_t usable = 0;

		for (j = i; j < n && k[j].group == k[i].group; j++)
			usable += w[k[j].index].usable;
		for (; i < j; i++)
			w[k[i].index].group = usable >= NR_ANALYSIS_EB_MIN_SERIES ? g : SIZE_MAX;
		g += usable >= NR_ANALYSIS_EB_MIN_SERIES;
	}
	for (i = 0; i < n; i++)
		if (w[i].group == SIZE_MAX)
			w[i].group = g;
	free(k);
	return g + 1;
}

/* The prior of each group into s02[], d0[] (d0 0: borrow nothing). */
static void fit_groups(struct work *w, size_t n, size_t groups, double *s02, double *d0)
{
	double *var = nr_xcalloc(n + 1, sizeof(*var)), *df = nr_xcalloc(n + 1, sizeof(*df));
	size_t g, i, k;

	for (g = 0; g < groups; g++) {
		for (i = 0, k = 0; i < n; i++) {
			if (w[i].group != g || !w[i].usable)
				continue;
			var[k] = w[i].ev.var;
			df[k++] = w[i].ev.df;
		}
		s02[g] = d0[g] = 0;
		/* the pool of small groups may itself be small */
		if (k >= NR_ANALYSIS_EB_MIN_SERIES)
			nr_analysis_prior_fit(var, df, k, &s02[g], &d0[g]);
	}
	free(var);
	free(df);
}

static int cmp_p(const void *a, const void *b, void *ctx)
{
	const struct nr_analysis_compare_result *r = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (r[x].p_value != r[y].p_value)
		return r[x].p_value < r[y].p_value ? -1 : 1;
	return (x > y) - (x < y);
}

/*
 * Holm's step-down adjustment over the tested series whose direction
 * flag equals `directional`: sorted p_(1) <= ... <= p_(m),
 * adjusted p_(j) = max_{i <= j} min(1, (m - i + 1) p_(i)).
 */
static void holm(const struct nr_analysis_series *s, struct nr_analysis_compare_result *r,
		 size_t n, bool directional)
{
	size_t *idx = nr_xcalloc(n + 1, sizeof(*idx)), m = 0, i;
	double run = 0;

	for (i = 0; i < n; i++)
		if (r[i].tested && !r[i].sequential &&
		    (s[i].better != NR_BETTER_NONE) == directional)
			idx[m++] = i;
	qsort_r(idx, m, sizeof(*idx), cmp_p, r);
	for (i = 0; i < m; i++) {
		double a = (double)(m - i) * r[idx[i]].p_value;

		if (a > 1)
			a = 1;
		if (a > run)
			run = a;
		r[idx[i]].p_adjusted = run;
		r[idx[i]].family = m;
	}
	free(idx);
}

static enum nr_analysis_outcome direction(double gain, enum nr_better better)
{
	if (better == NR_BETTER_NONE)
		return NR_OUTCOME_CHANGED;
	return gain < 0 ? NR_OUTCOME_REGRESSION : NR_OUTCOME_IMPROVEMENT;
}

/* A relative change on the evidence's scale, back to a change (+0.12 = 12 % higher). */
static double to_change(const struct nr_analysis_evidence *ev, double x)
{
	if (ev->log_scale)
		return expm1(x);
	if (ev->relative)
		return x;
	return x == 0 ? 0 : copysign(INFINITY, x);
}

/* First pass: descriptives, evidence, whether the series can be tested. */
static void prepare(const struct nr_analysis_series *s, const struct nr_analysis_compare_params *p,
		    struct work *w, struct nr_analysis_compare_result *r)
{
	memset(r, 0, sizeof(*r));
	memset(w, 0, sizeof(*w));
	r->n_base = s->nb;
	r->n_cand = s->nc;
	r->p_value = r->p_adjusted = r->noise = r->detectable = NAN;
	r->ci_low = r->ci_high = r->df = r->seq_level = NAN;
	r->sequential = s->seq != NULL;
	if (!s->nb || !s->nc || !s->base || !s->cand || !finite_all(s->base, s->nb) ||
	    !finite_all(s->cand, s->nc) ||
	    (s->evidence && (!isfinite(s->evidence->estimate) || !(s->evidence->var >= 0)))) {
		r->invalid = true;
		r->outcome = NR_OUTCOME_NOISY;
		r->median_base = r->median_cand = r->median_change = r->change = r->gain = NAN;
		return;
	}
	describe(s->base, s->nb, &r->median_base, &r->spread_base, &r->cv_base);
	describe(s->cand, s->nc, &r->median_cand, &r->spread_cand, &r->cv_cand);
	if (r->median_base != 0)
		r->median_change = (r->median_cand - r->median_base) / fabs(r->median_base);
	else if (r->median_cand != 0)
		r->median_change = copysign(INFINITY, r->median_cand);
	if (s->evidence)
		w->ev = *s->evidence;
	else
		nr_analysis_evidence_two_sample(s->base, s->nb, s->cand, s->nc, &w->ev);
	r->log_scale = w->ev.log_scale;
	r->change = to_change(&w->ev, w->ev.estimate);
	r->gain = s->better == NR_BETTER_LOWER ? -r->change : r->change;
	r->few_repeats = s->nb < p->min_repeats || s->nc < p->min_repeats ||
			 (s->seq && s->nc < s->seq->min);
	r->tested = !r->few_repeats;
	/* a sequential series is judged alone: it lends nothing to the prior */
	w->usable = r->tested && !s->seq && w->ev.log_scale && w->ev.var > 0 && w->ev.df > 0;
}

/* Second pass: the moderated t of one tested series, given its group's prior. */
static void moderate(const struct nr_analysis_compare_params *p, struct work *w,
		     struct nr_analysis_compare_result *r, double s02, double d0)
{
	double se, t;

	w->d0 = d0;
	/* borrowing needs a comparable (log-scale) variance, a series judged
	 * with the family (a sequential one is decided while its run goes
	 * on, before there is a family to borrow from) ... */
	if (!w->ev.log_scale || !(d0 > 0) || r->sequential)
		w->d0 = 0;
	/* ... and a series that looks like its group: one whose variance is
	 * in the upper tail of F(df, d0) s0² keeps its own */
	else if (w->ev.var > 0 && w->ev.df > 0 && p->outlier_p > 0 &&
		 nr_analysis_f_sf(w->ev.var / s02, w->ev.df, d0) < p->outlier_p)
		w->d0 = 0;
	w->dft = w->d0 + w->ev.df;
	if (!(w->dft > 0)) {
		/* no variance from anywhere: the threshold alone, as with few repeats */
		r->tested = false;
		r->few_repeats = true;
		return;
	}
	w->post = (w->d0 * s02 + w->ev.df * w->ev.var) / w->dft;
	r->df = w->dft;
	r->prior_df = w->d0;
	r->noise = sqrt(w->post);
	se = r->noise * w->ev.se_scale;
	if (se > 0) {
		t = w->ev.estimate / se;
		r->p_value = 2 * nr_analysis_t_sf(fabs(t), w->dft);
		if (r->p_value > 1)
			r->p_value = 1;
	} else {
		/* identical repeats on both sides: any difference is real */
		r->p_value = w->ev.estimate == 0 ? 1 : 0;
	}
}

/* Last pass: interval, outcome, severity, what the design could detect. */
static void decide(const struct nr_analysis_series *s, const struct nr_analysis_compare_params *p,
		   struct lam_cache *lc, struct work *w, struct nr_analysis_compare_result *r)
{
	double t = s->threshold, inside;

	if (r->invalid)
		return;
	if (!r->tested) {
		r->outcome = fabs(r->gain) >= t - THRESHOLD_SLACK ? direction(r->gain, s->better)
								   : NR_OUTCOME_STABLE;
		goto severity;
	}
	if (r->sequential) {
		/* the look's own level: significance, and the repeated
		 * confidence interval the verdict reads */
		r->family = 1;
		r->p_adjusted = r->seq_level > 0 ? fmin(1, r->p_value * p->alpha / r->seq_level) : 1;
	}
	{
		double se = r->noise * w->ev.se_scale, q = 0;

		if (se > 0 && r->sequential)
			q = r->seq_level > 0 ? nr_analysis_t_isf(0.5 * r->seq_level, w->dft) : INFINITY;
		else if (se > 0)
			q = nr_analysis_t_isf(0.5 * (1 - p->ci_level), w->dft);
		r->ci_low = to_change(&w->ev, w->ev.estimate - q * se);
		r->ci_high = to_change(&w->ev, w->ev.estimate + q * se);
	}
	r->significant = r->sequential ? r->p_value < r->seq_level : r->p_adjusted < p->alpha;
	/* the interval lies inside (-t, +t): no change of the threshold's size */
	inside = r->ci_low > -(t - THRESHOLD_SLACK) && r->ci_high < t - THRESHOLD_SLACK;
	if (r->significant) {
		r->below_threshold = inside;
		r->outcome = inside ? NR_OUTCOME_STABLE : direction(r->gain, s->better);
	} else {
		r->outcome = inside ? NR_OUTCOME_STABLE : NR_OUTCOME_NOISY;
	}
	/*
	 * Not for a sequential series: its repeats are its design's (it stops
	 * when decided or at max), and the root search of the noncentral t at
	 * its early looks' levels (1e-11 with 2 df) takes a tenth of a second.
	 */
	if ((w->ev.log_scale || w->ev.relative) && !r->sequential) {
		double alpha = p->alpha / (double)r->family;
		double lam = detectable_lambda(lc, w->dft, alpha);

		r->detectable = to_change(&w->ev, lam * r->noise * w->ev.se_scale);
		r->repeats_needed = repeats_for(lc, r->noise, w->ev.log_scale ? log1p(t) : t, w->d0,
						w->ev.paired, alpha);
		/* fewer than min_repeats are not tested at all */
		if (r->repeats_needed && r->repeats_needed < p->min_repeats)
			r->repeats_needed = p->min_repeats;
	}
severity:
	if (r->outcome == NR_OUTCOME_REGRESSION)
		r->severity = fabs(r->gain) >= s->critical - THRESHOLD_SLACK ? NR_SEVERITY_CRITICAL
									   : NR_SEVERITY_WARNING;
}

struct seq_design {
	struct nr_analysis_sequential q;
	double *levels; /* q.max - q.min + 1 */
};

static bool same_design(const struct nr_analysis_sequential *a, const struct nr_analysis_sequential *b)
{
	return a->min == b->min && a->max == b->max && a->n_base == b->n_base &&
	       a->alpha == b->alpha && a->spending == b->spending && a->levels == b->levels;
}

/*
 * The level of each tested sequential series' look (n = nc, capped at
 * max). The bounds of a design are an integration over all its looks,
 * so each distinct design is computed once per comparison. NR_EINVAL for
 * a bad design.
 */
static int seq_levels(const struct nr_analysis_series *s, struct nr_analysis_compare_result *r,
		      size_t n)
{
	struct seq_design *d = nr_xcalloc(n + 1, sizeof(*d));
	size_t nd = 0, i, j;
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		const struct nr_analysis_sequential *q = s[i].seq;

		if (!q)
			continue;
		for (j = 0; j < nd; j++)
			if (same_design(&d[j].q, q))
				break;
		if (j == nd) {
			if (q->min < 2 || q->max < q->min || q->max > NR_ANALYSIS_SEQ_MAX) {
				ret = NR_EINVAL;
				break;
			}
			d[nd].q = *q;
			d[nd].levels = nr_xcalloc(q->max - q->min + 1, sizeof(double));
			if (!q->levels && (ret = nr_analysis_sequential_levels(q, d[nd].levels)) < 0) {
				free(d[nd].levels);
				break;
			}
			nd++;
		}
		if (r[i].tested)
			r[i].seq_level = (q->levels ? q->levels : d[j].levels)
				[(s[i].nc > q->max ? q->max : s[i].nc) - q->min];
	}
	for (j = 0; j < nd; j++)
		free(d[j].levels);
	free(d);
	return ret;
}

int nr_analysis_compare_family(const struct nr_analysis_series *s, size_t n,
			       const struct nr_analysis_compare_params *params,
			       struct nr_analysis_compare_result *ret)
{
	static const struct nr_analysis_compare_params defaults = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	struct work *w;
	struct lam_cache *lc;
	double *s02, *d0;
	size_t i, groups;

	if (!params)
		params = &defaults;
	if (check_params(params) < 0)
		return NR_EINVAL;
	if (!n)
		return 0;
	w = nr_xcalloc(n, sizeof(*w));
	for (i = 0; i < n; i++)
		prepare(&s[i], params, &w[i], &ret[i]);
	if (seq_levels(s, ret, n) < 0) {
		free(w);
		return NR_EINVAL;
	}
	groups = assign_groups(s, w, n);
	s02 = nr_xcalloc(groups, sizeof(*s02));
	d0 = nr_xcalloc(groups, sizeof(*d0));
	if (params->borrow)
		fit_groups(w, n, groups, s02, d0);
	for (i = 0; i < n; i++)
		if (ret[i].tested)
			moderate(params, &w[i], &ret[i], s02[w[i].group], d0[w[i].group]);
	holm(s, ret, n, true);
	holm(s, ret, n, false);
	lc = nr_xcalloc(1, sizeof(*lc));
	lc->power = params->power;
	for (i = 0; i < n; i++)
		decide(&s[i], params, lc, &w[i], &ret[i]);
	free(lc);
	free(s02);
	free(d0);
	free(w);
	return 0;
}
