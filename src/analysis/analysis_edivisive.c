/*
 * Change points: windowed E-divisive means with a Student t-test, the way
 * Apache Otava computes them (otava/analysis.py, change_point_divisive/),
 * plus netrig's minimum segment length. docs/analysis.md has the method.
 *
 * Three stages, as in Otava's compute_change_points():
 *   split   slide a window over the series; inside it, repeatedly take the
 *           (tau, kappa) split with the largest divergence Q over the
 *           current intervals and keep tau while its t-test p-value is at
 *           most a relaxed p1 (weak change points);
 *   stats   t-test every weak change point against its neighbours over
 *           the whole series;
 *   merge   drop the weakest change point (largest p, or once all pass,
 *           the smallest magnitude) and re-test its neighbours, until all
 *           pass max_pvalue and min_magnitude (and min_segment).
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "base/err.h"
#include "base/mem.h"

/* ---- divergence over one window ---------------------------------------- */

/*
 * For the window's L values, W(a, b) = sum over a <= i < k < b of
 * |x_i - x_k|, for 0 <= a <= b <= L, in an (L+1) x (L+1) table. Any
 * within-block or cross-block distance sum is then O(1):
 * cross(s, t, k) = W(s, k) - W(s, t) - W(t, k).
 */
struct window {
	const double *x;
	size_t len;
	double *w; /* (len + 1)^2, row a, column b */
};

#define W(win, a, b) ((win)->w[(a) * ((win)->len + 1) + (b)])

static void window_fill(struct window *win)
{
	size_t len = win->len, a, b;

	for (a = 0; a <= len; a++) {
		W(win, a, a) = 0;
		if (a < len)
			W(win, a, a + 1) = 0;
	}
	for (b = 2; b <= len; b++) {
		size_t c = b - 1;
		double acc = 0;

		/* acc = sum_{i=a}^{c-1} |x_i - x_c|, grown as a falls */
		for (a = c; a-- > 0;) {
			acc += fabs(win->x[a] - win->x[c]);
			W(win, a, b) = W(win, a, b - 1) + acc;
		}
	}
}

struct candidate {
	size_t tau; /* 0: none */
	double q;
};

/*
 * The split of [s, e) with the largest
 *   Q = 2/(n+m) cross - 2m/((n+m)(n-1)) W(X) - 2n/((n+m)(m-1)) W(Y)
 * over X = [s, tau) (n points), Y = [tau, kappa) (m points), every
 * kappa <= e, n >= 1, m >= 1. A block of one point has no within-block
 * term (its 0/0 is taken as 0): requiring two points a side would lose
 * Otava's single-point change points (10, 11 and 363 on tigerbeetle.csv
 * at p 0.1). The first maximum in (tau, kappa) order wins ties, as
 * numpy's argmax over Q[tau, kappa].
 */
static struct candidate best_split(const struct window *win, size_t s, size_t e)
{
	struct candidate best = { 0, -INFINITY };
	size_t tau, kappa;

	for (tau = s + 1; tau + 1 <= e; tau++) {
		double n = (double)(tau - s), wx = W(win, s, tau);

		for (kappa = tau + 1; kappa <= e; kappa++) {
			double m = (double)(kappa - tau), wy = W(win, tau, kappa);
			double cross = W(win, s, kappa) - wx - wy;
			double q = 2 / (n + m) * cross -
				   (n > 1 ? 2 * m / ((n + m) * (n - 1)) * wx : 0) -
				   (m > 1 ? 2 * n / ((n + m) * (m - 1)) * wy : 0);

			if (q > best.q) {
				best.q = q;
				best.tau = tau;
			}
		}
	}
	return best;
}

/* ---- t-test of a change point between its neighbours ----------------- */

static void segment_stats(const double *x, size_t a, size_t b, double *ret_mean,
			  double *ret_sd)
{
	double m = nr_analysis_mean(x + a, b - a);

	*ret_mean = m;
	*ret_sd = nr__analysis_pstddev(x + a, b - a, m);
}

/* Otava's TTestSignificanceTester.change_point(): left = x[prev:i],
 * right = x[i:next], np.std (ddof 0) passed as the standard deviation. */
static void test_point(const double *x, size_t prev, size_t i, size_t next,
		       struct nr_analysis_changepoint *cp)
{
	double m1, m2, s1, s2;

	segment_stats(x, prev, i, &m1, &s1);
	segment_stats(x, i, next, &m2, &s2);
	cp->index = i;
	cp->n_before = i - prev;
	cp->n_after = next - i;
	cp->mean_before = m1;
	cp->mean_after = m2;
	cp->stddev_before = s1;
	cp->stddev_after = s2;
	cp->p_value = nr_analysis_ttest_pvalue(m1, s1, i - prev, m2, s2, next - i);
	if (m1 == m2) {
		cp->rel_change = 0;
		cp->magnitude = 0;
	} else if (m1 == 0 || m2 == 0) {
		cp->rel_change = m1 == 0 ? copysign(INFINITY, m2) : -1;
		cp->magnitude = INFINITY;
	} else {
		double f = fabs(m2 / m1 - 1), b = fabs(m1 / m2 - 1);

		cp->rel_change = m2 / m1 - 1;
		cp->magnitude = f > b ? f : b;
	}
}

/* ---- split: E-divisive inside each window ------------------------------ */

struct interval {
	size_t s, e;
	struct candidate c;
};

/*
 * Change points of win (local indexes, ascending, appended to *pts) whose
 * t-test p-value against the enclosing interval is <= p1.
 */
static void divisive(struct window *win, double p1, size_t **pts, size_t *npts,
		     size_t *cap)
{
	struct interval iv_stack[32], *iv = iv_stack;
	size_t niv = 1, ivcap = NR_ARRAY_SIZE(iv_stack), first = *npts, k;

	window_fill(win);
	iv[0] = (struct interval){ 0, win->len, best_split(win, 0, win->len) };
	for (;;) {
		struct nr_analysis_changepoint cp;
		size_t best = niv, tau;

		for (k = 0; k < niv; k++)
			if (iv[k].c.tau && (best == niv || iv[k].c.q > iv[best].c.q))
				best = k;
		if (best == niv)
			break;
		tau = iv[best].c.tau;
		test_point(win->x, iv[best].s, tau, iv[best].e, &cp);
		if (!(cp.p_value <= p1))
			break;
		NR_GROW(*pts, *npts + 1, *cap);
		(*pts)[(*npts)++] = tau;
		/* [s, e) becomes [s, tau) and [tau, e) */
		if (niv + 1 > ivcap) {
			size_t ncap = ivcap * 2;
			struct interval *n = nr_xmalloc(ncap * sizeof(*n));

			memcpy(n, iv, niv * sizeof(*n));
			if (iv != iv_stack)
				free(iv);
			iv = n;
			ivcap = ncap;
		}
		memmove(iv + best + 2, iv + best + 1, (niv - best - 1) * sizeof(*iv));
		niv++;
		iv[best + 1] = (struct interval){ tau, iv[best].e, best_split(win, tau, iv[best].e) };
		iv[best].e = tau;
		iv[best].c = best_split(win, iv[best].s, tau);
	}
	if (iv != iv_stack)
		free(iv);
	/* found in strength order; callers want them by index */
	for (k = first + 1; k < *npts; k++) {
		size_t v = (*pts)[k], j;

		for (j = k; j > first && (*pts)[j - 1] > v; j--)
			(*pts)[j] = (*pts)[j - 1];
		(*pts)[j] = v;
	}
}

/* Otava's split(): windows of `window` points, stepping by window / 2
 * or to the last change point found, whichever is further. */
static void split(const double *x, size_t n, size_t window, double p1,
		  size_t **pts, size_t *npts)
{
	size_t cap = 0, start = 0, step = window / 2, len = window < n ? window : n;
	struct window win = { .w = nr_xmalloc((len + 1) * (len + 1) * sizeof(double)) };

	*pts = NULL;
	*npts = 0;
	while (start < n) {
		size_t end = start + window < n ? start + window : n;
		size_t before = *npts, last = 0, i;

		win.x = x + start;
		win.len = end - start;
		divisive(&win, p1, pts, npts, &cap);
		for (i = before; i < *npts; i++)
			(*pts)[i] += start;
		if (*npts > before)
			last = (*pts)[*npts - 1];
		start = last > start + step ? last : start + step;
	}
	free(win.w);
}

/* ---- merge ------------------------------------------------------------- */

static void retest(const double *x, size_t n, struct nr_analysis_changepoint *cp,
		   size_t ncp, size_t i)
{
	size_t prev = i > 0 ? cp[i - 1].index : 0;
	size_t next = i + 1 < ncp ? cp[i + 1].index : n;

	test_point(x, prev, cp[i].index, next, &cp[i]);
}

/* The change point to drop next, or ncp when all of them stay. */
static size_t weakest(const struct nr_analysis_changepoint *cp, size_t ncp,
		      const struct nr_analysis_cp_params *p)
{
	size_t i, w = 0;

	/* Python's max()/min() keep the first of equal keys: so do we */
	for (i = 1; i < ncp; i++)
		if (cp[i].p_value > cp[w].p_value)
			w = i;
	if (!(cp[w].p_value < p->max_pvalue))
		return w;
	w = 0;
	for (i = 1; i < ncp; i++)
		if (cp[i].magnitude < cp[w].magnitude)
			w = i;
	return cp[w].magnitude > p->min_magnitude ? ncp : w;
}

static size_t drop(const double *x, size_t n, struct nr_analysis_changepoint *cp,
		   size_t ncp, size_t w, bool otava)
{
	memmove(cp + w, cp + w + 1, (ncp - w - 1) * sizeof(*cp));
	ncp--;
	/*
	 * Otava re-tests the point that took w's place and the one after
	 * it, not the left neighbour, whose stats stay as they were
	 * (merge() in otava/analysis.py). Re-testing the true neighbours
	 * loses 260 and 363 on tigerbeetle.csv, so to give Otava's answers
	 * we do the same there; netrig's own pass re-tests both neighbours.
	 * The stats of the points kept are recomputed at the end anyway.
	 */
	if (w < ncp)
		retest(x, n, cp, ncp, w);
	if (otava && w + 1 < ncp)
		retest(x, n, cp, ncp, w + 1);
	else if (!otava && w > 0)
		retest(x, n, cp, ncp, w - 1);
	return ncp;
}

static size_t merge(const double *x, size_t n, struct nr_analysis_changepoint *cp,
		    size_t ncp, const struct nr_analysis_cp_params *p, bool otava)
{
	while (ncp > 0) {
		size_t w = weakest(cp, ncp, p);

		if (w == ncp)
			break;
		ncp = drop(x, n, cp, ncp, w, otava);
	}
	return ncp;
}

/*
 * netrig's minimum segment length, applied to Otava's answer: while some
 * segment is shorter than min_segment, take the shortest (the first of
 * equals). At either end of the series, its one border goes: the new
 * level is not confirmed yet. Inside, if the levels before and after it do
 * not differ (t-test p > max_pvalue) it is a spike and both borders go;
 * otherwise it is a short transition and the border with the larger
 * p-value goes, so the step stays. Then the merge criteria run again.
 */
static size_t enforce_min_segment(const double *x, size_t n,
				  struct nr_analysis_changepoint *cp, size_t ncp,
				  const struct nr_analysis_cp_params *p)
{
	while (ncp > 0) {
		size_t best_len = SIZE_MAX, seg = 0, i;

		/* segment i is [cp[i-1], cp[i]); 0 and ncp touch the ends */
		for (i = 0; i <= ncp; i++) {
			size_t a = i > 0 ? cp[i - 1].index : 0;
			size_t b = i < ncp ? cp[i].index : n;

			if (b - a < best_len) {
				best_len = b - a;
				seg = i;
			}
		}
		if (best_len >= p->min_segment)
			break;
		if (seg == 0 || seg == ncp) {
			ncp = drop(x, n, cp, ncp, seg == 0 ? 0 : ncp - 1, false);
		} else {
			struct nr_analysis_changepoint lr;
			size_t prev = seg >= 2 ? cp[seg - 2].index : 0;
			size_t next = seg + 1 < ncp ? cp[seg + 1].index : n;
			double m1, s1, m2, s2, pv;

			/* levels [prev, a) and [b, next), the segment left out */
			segment_stats(x, prev, cp[seg - 1].index, &m1, &s1);
			segment_stats(x, cp[seg].index, next, &m2, &s2);
			pv = nr_analysis_ttest_pvalue(m1, s1, cp[seg - 1].index - prev,
						      m2, s2, next - cp[seg].index);
			if (pv > p->max_pvalue) {
				ncp = drop(x, n, cp, ncp, seg, false);
				ncp = drop(x, n, cp, ncp, seg - 1, false);
			} else {
				lr = cp[seg - 1];
				ncp = drop(x, n, cp, ncp,
					   cp[seg].p_value > lr.p_value ? seg : seg - 1, false);
			}
		}
		ncp = merge(x, n, cp, ncp, p, false);
	}
	return ncp;
}

/* ---- the entry point ----------------------------------------------------- */

/* Otava relaxes the p-value for the split stage. */
static double split_pvalue(double p)
{
	if (p < 0.05)
		return p * 10;
	if (p < 0.5)
		return p * 2;
	return p;
}

int nr_analysis_changepoints(const double *values, size_t n,
			     const struct nr_analysis_cp_params *params,
			     struct nr_analysis_changepoint **ret_points,
			     size_t *ret_n)
{
	static const struct nr_analysis_cp_params defaults = NR_ANALYSIS_CP_PARAMS_INIT;
	struct nr_analysis_changepoint *cp = NULL;
	size_t *pts = NULL, npts = 0, i;

	if (!params)
		params = &defaults;
	if (params->window < 2 || !(params->max_pvalue > 0 && params->max_pvalue <= 1) ||
	    !(params->min_magnitude >= 0) || params->min_segment == 0)
		return NR_EINVAL;
	for (i = 0; i < n; i++)
		if (!isfinite(values[i]))
			return NR_EINVAL;

	if (n >= 4) {
		split(values, n, params->window, split_pvalue(params->max_pvalue), &pts, &npts);
		if (npts)
			cp = nr_xmalloc(npts * sizeof(*cp));
		for (i = 0; i < npts; i++)
			cp[i].index = pts[i];
		for (i = 0; i < npts; i++)
			retest(values, n, cp, npts, i);
		free(pts);
		npts = merge(values, n, cp, npts, params, true);
		if (params->min_segment > 1)
			npts = enforce_min_segment(values, n, cp, npts, params);
		for (i = 0; i < npts; i++)
			retest(values, n, cp, npts, i);
		if (npts == 0) {
			free(cp);
			cp = NULL;
		}
	}
	*ret_points = cp;
	*ret_n = npts;
	return 0;
}

void nr_analysis_changepoints_free(struct nr_analysis_changepoint *points)
{
	free(points);
}

size_t nr_analysis_fill_missing(double *v, size_t n)
{
	size_t i, first = n, filled = 0;

	for (i = 0; i < n; i++) {
		if (!isnan(v[i])) {
			if (first == n)
				first = i;
		} else if (first < n) {
			v[i] = v[i - 1];
			filled++;
		}
	}
	if (first == n)
		return 0;
	for (i = 0; i < first; i++)
		v[i] = v[first];
	return filled + first;
}
