/*
 * Percentile bootstrap of the relative change of medians.
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdbool.h>
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
 * The indexes into sorted[0..n) of a resample's two middle order
 * statistics (equal for odd n). The resample's order statistics are
 * sorted[] at the order statistics of the drawn indexes, so counting the
 * draws per index finds them without sorting: the j-th order statistic's
 * index is the number of indexes whose running count stays <= j (counted
 * without branches, which random draws would mispredict). count[0..n) is
 * scratch for n > 32; smaller n (repeats, the common case) count in a
 * small array on the stack.
 */
static void resample_middle(struct draw *d, size_t n, uint32_t *count, size_t *ret_lo,
			    size_t *ret_hi)
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
	*ret_lo = ilo;
	*ret_hi = ihi;
}

/*
 * One side of the bootstrap. For odd n <= 32 the resample's median index
 * is drawn straight from its distribution: it is <= j exactly when at
 * least (n+1)/2 of the n draws are, so P(index <= j) =
 * P(Bin(n, (j+1)/n) >= (n+1)/2). One 32-bit draw against the thresholds
 * 2^32 P(index <= j) replaces n draws and a count: the same distribution
 * (to 2^-32) for a fifth of the work at 5 repeats. Even n (two middle
 * values) and larger n draw every index.
 */
struct side {
	size_t n;
	bool direct;
	uint64_t thr[32]; /* thr[j] = 2^32 P(index <= j), direct only */
};

static void side_init(struct side *sd, size_t n)
{
	size_t j, k, m = (n + 1) / 2;

	sd->n = n;
	sd->direct = n % 2 && n <= 32;
	if (!sd->direct)
		return;
	for (j = 0; j < n; j++) {
		double p = (double)(j + 1) / (double)n, tail = 0, c = 1;

		/* sum over k >= m of C(n, k) p^k (1-p)^(n-k); C(n, k) is
		 * exact in a double for n <= 32 */
		for (k = 0; k <= n; k++) {
			if (k >= m)
				tail += c * pow(p, (double)k) * pow(1 - p, (double)(n - k));
			c = c * (double)(n - k) / (double)(k + 1);
		}
		sd->thr[j] = tail >= 1 ? (uint64_t)1 << 32 : (uint64_t)(tail * 4294967296.0);
	}
}

static void side_draw(struct draw *d, const struct side *sd, uint32_t *count,
		      size_t *ret_lo, size_t *ret_hi)
{
	size_t j, idx = 0;
	uint32_t u;

	if (!sd->direct) {
		resample_middle(d, sd->n, count, ret_lo, ret_hi);
		return;
	}
	u = next32(d);
	for (j = 0; j + 1 < sd->n; j++)
		idx += u >= sd->thr[j];
	*ret_lo = *ret_hi = idx;
}

/* The type-7 median from the middle indexes. */
static double middle_value(const double *sorted, size_t ilo, size_t ihi)
{
	return ilo == ihi ? sorted[ilo] : sorted[ilo] + 0.5 * (sorted[ihi] - sorted[ilo]);
}

/* The resampled change from the middle indexes; false when the base
 * median is 0 (the resample is skipped). */
static bool change_of(const double *sb, size_t blo, size_t bhi, const double *sc,
		      size_t clo, size_t chi, double *ret)
{
	double mb = middle_value(sb, blo, bhi), mc = middle_value(sc, clo, chi);

	if (mb == 0)
		return false;
	*ret = (mc - mb) / fabs(mb);
	return true;
}

/*
 * Few repeats make few distinct resampled medians: n values for odd n,
 * at most n^2 (pairs of middle indexes) for even n. When both sides'
 * combinations fit in HIST_MAX bins, resamples are counted per bin and
 * the quantiles read off the few distinct changes, sorted with their
 * counts: the same numbers as sorting all resamples, a fraction of the
 * work (the compare benchmark runs 10 million resamples).
 */
#define HIST_MAX 4096

struct bin {
	double change;
	uint32_t count;
};

static int cmp_bin(const void *a, const void *b)
{
	double x = ((const struct bin *)a)->change, y = ((const struct bin *)b)->change;

	return (x > y) - (x < y);
}

static size_t codes(size_t n)
{
	return n % 2 ? n : n * n;
}

/* The k-th smallest (0-based) of the changes the bins stand for. */
static double bin_kth(const struct bin *bins, size_t nbins, size_t k)
{
	size_t i, seen = 0;

	for (i = 0; i < nbins; i++) {
		seen += bins[i].count;
		if (k < seen)
			return bins[i].change;
	}
	return bins[nbins - 1].change;
}

static double bin_quantile(const struct bin *bins, size_t nbins, size_t kept, double q)
{
	double h = (double)(kept - 1) * q, f = floor(h), x;
	size_t k = (size_t)f;

	x = bin_kth(bins, nbins, k);
	if (h == f || k + 1 >= kept)
		return x;
	return x + (h - f) * (bin_kth(bins, nbins, k + 1) - x);
}

/* The histogram path of nr_analysis_bootstrap_ci(). */
static int bootstrap_hist(struct draw *d, const struct side *b, const double *sb,
			  const struct side *c, const double *sc, unsigned resamples,
			  double level, double *ret_low, double *ret_high)
{
	uint32_t hist[HIST_MAX];
	struct bin bins[HIST_MAX];
	size_t nb = b->n, nc = c->n, kb = codes(nb), kc = codes(nc), nbins = 0, kept = 0, i;
	unsigned r;

	memset(hist, 0, kb * kc * sizeof(*hist));

	for (r = 0; r < resamples; r++) {
		size_t blo, bhi, clo, chi;

		/* base first, then cand, as in the general path */
		side_draw(d, b, NULL, &blo, &bhi);
		side_draw(d, c, NULL, &clo, &chi);
		hist[(nb % 2 ? blo : blo * nb + bhi) * kc + (nc % 2 ? clo : clo * nc + chi)]++;
	}
	for (i = 0; i < kb * kc; i++) {
		size_t cb = i / kc, cc = i % kc;
		size_t blo = nb % 2 ? cb : cb / nb, bhi = nb % 2 ? cb : cb % nb;
		size_t clo = nc % 2 ? cc : cc / nc, chi = nc % 2 ? cc : cc % nc;
		double change;

		if (!hist[i] || !change_of(sb, blo, bhi, sc, clo, chi, &change))
			continue;
		bins[nbins++] = (struct bin){ change, hist[i] };
		kept += hist[i];
	}
	if (kept == 0)
		return NR_EINVAL;
	qsort(bins, nbins, sizeof(*bins), cmp_bin);
	*ret_low = bin_quantile(bins, nbins, kept, (1 - level) / 2);
	*ret_high = bin_quantile(bins, nbins, kept, (1 + level) / 2);
	return 0;
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
	struct side side_b, side_c;
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
	nr_rng_seed(&d.rng, seed);
	side_init(&side_b, nb);
	side_init(&side_c, nc);
	if (nmax <= 32 && codes(nb) * codes(nc) <= HIST_MAX) {
		r = bootstrap_hist(&d, &side_b, sb, &side_c, sc, resamples, level, ret_low,
				   ret_high);
		goto out;
	}
	if (resamples > NR_ARRAY_SIZE(stack_ch))
		changes = nr_xmalloc(resamples * sizeof(*changes));
	for (i = 0; i < resamples; i++) {
		size_t blo, bhi, clo, chi;

		/* base first, then cand: the order is part of the
		 * determinism promise */
		side_draw(&d, &side_b, count, &blo, &bhi);
		side_draw(&d, &side_c, count, &clo, &chi);
		if (change_of(sb, blo, bhi, sc, clo, chi, &changes[kept]))
			kept++;
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

/*
 * The one-sample bootstrap of a median (paired designs: the median of
 * the per-pair ratios). The same draws as a side of the two-sample
 * bootstrap; the resampled medians of n <= 64 values take at most n² distinct
 * values (pairs of middle indexes), so they are counted per pair and
 * their quantiles read off the counts, as bootstrap_hist() does.
 */
int nr_analysis_bootstrap_median_ci(const double *v, size_t n, unsigned resamples, double level,
				    uint64_t seed, double *ret_low, double *ret_high)
{
	double stack_v[NR__ANALYSIS_STACK_N], stack_m[1024], *sv, *meds = stack_m;
	uint32_t stack_n[NR__ANALYSIS_STACK_N], *count = stack_n;
	struct draw d = { .left = 0 };
	struct side sd;
	unsigned i;

	if (n == 0 || n > UINT32_MAX || resamples == 0 || !(level > 0 && level < 1))
		return NR_EINVAL;
	sv = nr__analysis_copy(v, n, stack_v, NR_ARRAY_SIZE(stack_v));
	nr_analysis_sort(sv, n);
	if (n > NR_ARRAY_SIZE(stack_n))
		count = nr_xmalloc(n * sizeof(*count));
	nr_rng_seed(&d.rng, seed);
	side_init(&sd, n);
	if (n <= 64) {
		uint32_t *hist = nr_xcalloc(n * n, sizeof(*hist));
		struct bin *bins = nr_xcalloc(n * n, sizeof(*bins));
		size_t nbins = 0, k;

		for (i = 0; i < resamples; i++) {
			size_t lo, hi;

			side_draw(&d, &sd, count, &lo, &hi);
			hist[lo * n + hi]++;
		}
		for (k = 0; k < n * n; k++)
			if (hist[k])
				bins[nbins++] = (struct bin){ middle_value(sv, k / n, k % n), hist[k] };
		qsort(bins, nbins, sizeof(*bins), cmp_bin);
		*ret_low = bin_quantile(bins, nbins, resamples, (1 - level) / 2);
		*ret_high = bin_quantile(bins, nbins, resamples, (1 + level) / 2);
		free(hist);
		free(bins);
		goto out;
	}
	if (resamples > NR_ARRAY_SIZE(stack_m))
		meds = nr_xmalloc(resamples * sizeof(*meds));
	for (i = 0; i < resamples; i++) {
		size_t lo, hi;

		side_draw(&d, &sd, count, &lo, &hi);
		meds[i] = middle_value(sv, lo, hi);
	}
	*ret_low = quantile_select(meds, resamples, (1 - level) / 2, 0);
	*ret_high = quantile_select(meds, resamples, (1 + level) / 2,
				    (size_t)floor((double)(resamples - 1) * (1 - level) / 2));
	if (meds != stack_m)
		free(meds);
out:
	nr__analysis_uncopy(sv, stack_v);
	if (count != stack_n)
		free(count);
	return 0;
}
