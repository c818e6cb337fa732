/*
 * Mann-Whitney U test, two-sided, as scipy.stats.mannwhitneyu computes it.
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/mem.h"

/* Exact p-values need nx * ny + 1 doubles; above this we approximate. */
#define EXACT_MAX_CELLS 100000

struct obs {
	double v;
	int from_x;
};

static int cmp_obs(const void *a, const void *b)
{
	double x = ((const struct obs *)a)->v, y = ((const struct obs *)b)->v;

	return (x > y) - (x < y);
}

static void sort_obs(struct obs *o, size_t n)
{
	size_t i, j;

	if (n > 24) {
		qsort(o, n, sizeof(*o), cmp_obs);
		return;
	}
	for (i = 1; i < n; i++) {
		struct obs x = o[i];

		for (j = i; j > 0 && o[j - 1].v > x.v; j--)
			o[j] = o[j - 1];
		o[j] = x;
	}
}

/*
 * Rank sum of x (average ranks for ties) and the tie term sum(t^3 - t)
 * over groups of t equal values.
 */
static void rank_sum(struct obs *o, size_t n, double *ret_rx, double *ret_ties)
{
	double rx = 0, ties = 0;
	size_t i = 0, j, k;

	sort_obs(o, n);
	while (i < n) {
		double avg, t;
		size_t nx = 0;

		for (j = i + 1; j < n && o[j].v == o[i].v; j++)
			;
		/* ranks i+1 .. j share their average */
		avg = ((double)(i + 1) + (double)j) / 2;
		for (k = i; k < j; k++)
			nx += o[k].from_x != 0;
		rx += avg * (double)nx;
		t = (double)(j - i);
		ties += t * t * t - t;
		i = j;
	}
	*ret_rx = rx;
	*ret_ties = ties;
}

/*
 * P(U <= u) under H0 for sample sizes m, k without ties. The counts of U
 * are the coefficients of the Gaussian binomial [m+k choose m]_q =
 * prod_{j=1..m} (1 - q^(k+j)) / (1 - q^j); after step j the array holds
 * [k+j choose j]_q, a polynomial with positive coefficients, so doubles
 * keep their relative precision. Work is O(min(m, k) * m * k).
 */
static double exact_cdf(size_t m, size_t k, size_t u)
{
	double stack[256], *c, total = 0, below = 0;
	size_t deg = m * k, d, j;

	if (m > k) {
		size_t t = m;

		m = k;
		k = t;
	}
	c = deg + 1 <= NR_ARRAY_SIZE(stack) ? stack : nr_xmalloc((deg + 1) * sizeof(*c));
	c[0] = 1;
	for (d = 1; d <= deg; d++)
		c[d] = 0;
	for (j = 1; j <= m; j++) {
		size_t top = j * k; /* degree of [k+j choose j] */

		for (d = top; d >= k + j; d--)
			c[d] -= c[d - k - j];
		for (d = j; d <= top; d++)
			c[d] += c[d - j];
	}
	for (d = 0; d <= deg; d++) {
		total += c[d];
		if (d <= u)
			below += c[d];
	}
	if (c != stack)
		free(c);
	return below / total;
}

double nr_analysis_mwu_min_pvalue(size_t nx, size_t ny)
{
	/* 2 / C(nx + ny, nx), computed as a running product */
	double c = 1;
	size_t i;

	for (i = 1; i <= nx; i++)
		c = c * (double)(ny + i) / (double)i;
	return 2 / c > 1 ? 1 : 2 / c;
}

int nr_analysis_mwu(const double *x, size_t nx, const double *y, size_t ny,
		    enum nr_analysis_mwu_method method, struct nr_analysis_mwu *ret)
{
	struct obs stack[128], *o;
	size_t n = nx + ny, i;
	double rx, ties, u1, u, mnk, p;
	int r = 0;

	if (nx == 0 || ny == 0)
		return NR_EINVAL;
	for (i = 0; i < nx; i++)
		if (!isfinite(x[i]))
			return NR_EINVAL;
	for (i = 0; i < ny; i++)
		if (!isfinite(y[i]))
			return NR_EINVAL;
	o = n <= NR_ARRAY_SIZE(stack) ? stack : nr_xmalloc(n * sizeof(*o));
	for (i = 0; i < nx; i++)
		o[i] = (struct obs){ x[i], 1 };
	for (i = 0; i < ny; i++)
		o[nx + i] = (struct obs){ y[i], 0 };
	rank_sum(o, n, &rx, &ties);
	mnk = (double)nx * (double)ny;
	u1 = rx - (double)nx * (double)(nx + 1) / 2;
	u = u1 > mnk - u1 ? u1 : mnk - u1;

	if (method == NR_MWU_AUTO)
		method = ties == 0 && (nx <= 8 || ny <= 8) && mnk <= EXACT_MAX_CELLS
			 ? NR_MWU_EXACT : NR_MWU_ASYMPTOTIC;
	if (method == NR_MWU_EXACT) {
		if (ties != 0 || mnk > EXACT_MAX_CELLS) {
			r = NR_EINVAL;
			goto out;
		}
		/* P(U >= u) = P(U <= nx*ny - u) by symmetry */
		p = 2 * exact_cdf(nx, ny, (size_t)(mnk - u));
	} else {
		double nn = (double)n;
		double s = sqrt(mnk / 12 * ((nn + 1) - ties / (nn * (nn - 1))));

		/* all values equal: s = 0, z = -inf, p = 1 (as scipy) */
		p = s > 0 ? 2 * nr_analysis_normal_sf((u - mnk / 2 - 0.5) / s) : 1;
	}
	ret->u = u1;
	ret->p_value = p > 1 ? 1 : p;
	ret->method = method;
	ret->ties = ties != 0;
out:
	if (o != stack)
		free(o);
	return r;
}
