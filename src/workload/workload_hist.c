/*
 * Log-linear histogram (after HdrHistogram): exact below 256 ns, then 128
 * buckets per power of two. The bucket of a value is found with one
 * count-leading-zeros, so recording costs a few instructions and no
 * allocation, which is what a latency loop can afford.
 */
#include <math.h>
#include <string.h>

#include "workload/workload.h"

#define SUB (1u << NR_WL_HIST_SUB_BITS)        /* 256: the exact range */
#define HALF (1u << (NR_WL_HIST_SUB_BITS - 1)) /* 128 buckets per octave */

static unsigned bucket_of(uint64_t v)
{
	unsigned msb, shift;

	if (v < SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - (NR_WL_HIST_SUB_BITS - 1); /* v >> shift in [128, 256) */
	if (shift > NR_WL_HIST_MAX_SHIFT)
		return NR_WL_HIST_BUCKETS - 1; /* clamp; max stays exact */
	return SUB + (shift - 1) * HALF + (unsigned)((v >> shift) - HALF);
}

/* The lowest value of bucket i and its width. */
static void bucket_range(unsigned i, double *ret_low, double *ret_width)
{
	unsigned shift, m;

	if (i < SUB) {
		*ret_low = i;
		*ret_width = 1;
		return;
	}
	shift = (i - SUB) / HALF + 1;
	m = (i - SUB) % HALF + HALF;
	*ret_low = ldexp((double)m, (int)shift);
	*ret_width = ldexp(1.0, (int)shift);
}

void nr_wl_hist_init(struct nr_wl_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void nr_wl_hist_record(struct nr_wl_hist *h, uint64_t ns)
{
	h->buckets[bucket_of(ns)]++;
	h->count++;
	h->sum += (double)ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void nr_wl_hist_merge(struct nr_wl_hist *into, const struct nr_wl_hist *from)
{
	unsigned i;

	if (!from->count)
		return;
	for (i = 0; i < NR_WL_HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

double nr_wl_hist_percentile(const struct nr_wl_hist *h, double p)
{
	uint64_t rank, seen = 0;
	double low, width, v;
	unsigned i;

	if (!h->count)
		return 0;
	if (p <= 0)
		return (double)h->min;
	if (p >= 100)
		return (double)h->max;
	/* nearest rank: ceil(p/100 * n), computed so that 99.9 % of 1000 is 999 */
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count - 1e-9);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < NR_WL_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == NR_WL_HIST_BUCKETS)
		return (double)h->max;
	bucket_range(i, &low, &width);
	/* exact buckets hold one value; wider ones report their middle */
	v = width == 1 ? low : low + (width - 1) / 2;
	if (v < (double)h->min)
		v = (double)h->min;
	if (v > (double)h->max)
		v = (double)h->max;
	return v;
}

double nr_wl_hist_mean(const struct nr_wl_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}
