/*
 * Percentile bootstrap of the relative change of medians.
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/rand.h"

/*
 * Random numbers for the resampling: 32 bits at a time, two per call of
 * nr_rng_next(), turned into an index below n (n < 2^32) by Lemire's
 * multiply-shift with rejection, which is unbiased like nr_rng_below()
 * without its two 64-bit divisions per draw. Those dominated the
 * bootstrap's time (10,000 series x 1,000 resamples x 10 draws). Kept
 * here rather than in base/ to stay inside this module.
 */
struct draw {
	struct nr_rng rng;
	uint64_t bits;
	int left; /* 32-bit halves left in bits */
};

static inline uint32_t next32(struct draw *d)
{
	if (d->left == 0) {
		d->bits = nr_rng_next(&d->rng);
		d->left = 2;
	}
	d->left--;
	return (uint32_t)(d->bits >> (32 * d->left));
}

static inline uint32_t below(struct draw *d, uint32_t n)
{
	uint64_t m = (uint64_t)next32(d) * n;
	uint32_t lo = (uint32_t)m;

	if (lo < n) {
		uint32_t t = -n % n; /* 2^32 mod n */

		while (lo < t) {
			m = (uint64_t)next32(d) * n;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/*
 * Median (type 7) of a resample of sorted[0..n). The resample's order
 * statistics are sorted[] at the order statistics of the drawn indexes,
 * so counting the draws per index finds the median without sorting: the
 * j-th order statistic's index is the number of indexes whose running
 * count stays <= j (counted without branches, which random draws would
 * mispredict). Odd n takes the middle one, even n the mean of the middle
 * two. count[0..n) is scratch for n > 32; smaller n (repeats, the common
 * case) count in a small array on the stack.
 */
static double resample_median(struct draw *d, const double *sorted, size_t n,
			      uint32_t *count)
{
	size_t i, seen = 0, lo = (n - 1) / 2, hi = n / 2, ilo = 0, ihi = 0;

	if (n <= 32) {
		uint8_t small[32] = { 0 };

		for (i = 0; i < n; i++)
			small[below(d, (uint32_t)n)]++;
		for (i = 0; i < n; i++) {
			seen += small[i];
			ilo += seen <= lo;
			ihi += seen <= hi;
		}
	} else {
		memset(count, 0, n * sizeof(*count));
		for (i = 0; i < n; i++)
			count[below(d, (uint32_t)n)]++;
		for (i = 0; i < n; i++) {
			seen += count[i];
			ilo += seen <= lo;
			ihi += seen <= hi;
		}
	}
	return lo == hi ? sorted[ilo] : sorted[ilo] + 0.5 * (sorted[ihi] - sorted[ilo]);
}

/* The k-th smallest of v[from..n) (0-based in v, from <= k < n),
 * reordering v[from..n): quickselect with a median-of-three pivot, O(n)
 * on average where sorting the 1,000 resampled changes cost as much as
 * drawing them. */
static double select_kth(double *v, size_t from, size_t n, size_t k)
{
	size_t lo = from, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double a = v[lo], b = v[mid], c = v[hi], pivot, t;

		pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The type-7 q-quantile of v[0..n), reordering v; every element below
 * index `from` must be <= every element from there on, and the
 * quantile's index must be >= from. */
static double quantile_select(double *v, size_t n, double q, size_t from)
{
	double h = (double)(n - 1) * q, f = floor(h), x, y;
	size_t k = (size_t)f, i;

	x = select_kth(v, from, n, k);
	if (h == f || k + 1 >= n)
		return x;
	/* after selection everything above index k is >= x: the next
	 * order statistic is their minimum */
	y = v[k + 1];
	for (i = k + 2; i < n; i++)
		if (v[i] < y)
			y = v[i];
	return x + (h - f) * (y - x);
}

int nr_analysis_bootstrap_ci(const double *base, size_t nb, const double *cand,
			     size_t nc, unsigned resamples, double level,
			     uint64_t seed, double *ret_low, double *ret_high)
{
	double stack_b[NR__ANALYSIS_STACK_N], stack_c[NR__ANALYSIS_STACK_N], stack_ch[1024];
	uint32_t stack_n[NR__ANALYSIS_STACK_N], *count = stack_n;
	double *sb, *sc, *changes = stack_ch;
	size_t nmax = nb > nc ? nb : nc, kept = 0;
	struct draw d = { .left = 0 };
	unsigned i;
	int r = 0;

	if (nb == 0 || nc == 0 || nmax > UINT32_MAX || resamples == 0 ||
	    !(level > 0 && level < 1))
		return NR_EINVAL;
	sb = nr__analysis_copy(base, nb, stack_b, NR_ARRAY_SIZE(stack_b));
	sc = nr__analysis_copy(cand, nc, stack_c, NR_ARRAY_SIZE(stack_c));
	nr_analysis_sort(sb, nb);
	nr_analysis_sort(sc, nc);
	if (nmax > NR_ARRAY_SIZE(stack_n))
		count = nr_xmalloc(nmax * sizeof(*count));
	if (resamples > NR_ARRAY_SIZE(stack_ch))
		changes = nr_xmalloc(resamples * sizeof(*changes));
	nr_rng_seed(&d.rng, seed);
	for (i = 0; i < resamples; i++) {
		/* base first, then cand: the order is part of the
		 * determinism promise */
		double mb = resample_median(&d, sb, nb, count);
		double mc = resample_median(&d, sc, nc, count);

		if (mb == 0)
			continue;
		changes[kept++] = (mc - mb) / fabs(mb);
	}
	if (kept == 0) {
		r = NR_EINVAL;
		goto out;
	}
	*ret_low = quantile_select(changes, kept, (1 - level) / 2, 0);
	/* everything at or above the low quantile's index is now to its
	 * right: the high one is found among those alone */
	*ret_high = quantile_select(changes, kept, (1 + level) / 2,
				    (size_t)floor((double)(kept - 1) * (1 - level) / 2));
out:
	nr__analysis_uncopy(sb, stack_b);
	nr__analysis_uncopy(sc, stack_c);
	if (count != stack_n)
		free(count);
	if (changes != stack_ch)
		free(changes);
	return r;
}
