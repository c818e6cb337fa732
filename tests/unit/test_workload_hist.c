/* The latency histogram against exact percentiles of the sorted data. */
#include <math.h>

#include "base/mem.h"
#include "base/rand.h"
#include "test.h"
#include "workload/workload.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p % of the data <= it. */
static double exact(const uint64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (p <= 0)
		return (double)sorted[0];
	rank = (size_t)ceil(p / 100.0 * (double)n - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)sorted[rank - 1];
}

/* Record v[0..n), then check every percentile within 1 % (and mean, min, max). */
static void check_against_exact(uint64_t *v, size_t n)
{
	static const double ps[] = { 0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };
	struct nr_wl_hist *h = nr_xmalloc(sizeof(*h));
	double sum = 0;
	size_t i;

	nr_wl_hist_init(h);
	for (i = 0; i < n; i++) {
		nr_wl_hist_record(h, v[i]);
		sum += (double)v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	CHECK_EQ(h->count, n);
	CHECK_EQ(h->min, v[0]);
	CHECK_EQ(h->max, v[n - 1]);
	CHECK_NEAR(nr_wl_hist_mean(h), sum / (double)n, sum / (double)n * 1e-9);
	for (i = 0; i < NR_ARRAY_SIZE(ps); i++) {
		double want = exact(v, n, ps[i]), got = nr_wl_hist_percentile(h, ps[i]);

		if (fabs(got - want) > want * 0.01)
			nr_test_fail(__FILE__, __LINE__, "p%g: histogram %.3f, exact %.3f (n=%zu)",
				     ps[i], got, want, n);
	}
	free(h);
}

NR_TEST(workload_hist_random_log_uniform)
{
	struct nr_rng rng;
	size_t n = 200000, i;
	uint64_t *v = nr_xmalloc(n * sizeof(*v));

	nr_rng_seed(&rng, 42);
	/* 1 ns .. 100 s, spread evenly over orders of magnitude */
	for (i = 0; i < n; i++)
		v[i] = (uint64_t)exp(nr_rng_double(&rng) * log(1e11));
	check_against_exact(v, n);
	free(v);
}

NR_TEST(workload_hist_random_latency_like)
{
	struct nr_rng rng;
	size_t n = 100000, i;
	uint64_t *v = nr_xmalloc(n * sizeof(*v));

	nr_rng_seed(&rng, 7);
	/* a loopback round trip: around 20 us, a long exponential tail */
	for (i = 0; i < n; i++)
		v[i] = 15000 + (uint64_t)(-log(1 - nr_rng_double(&rng)) * 5000) +
		       (nr_rng_below(&rng, 1000) == 0 ? 2000000 : 0);
	check_against_exact(v, n);
	free(v);
}

NR_TEST(workload_hist_adversarial)
{
	uint64_t v[4096];
	size_t n, i, k;

	/* all equal, off any bucket's middle */
	for (i = 0; i < 1000; i++)
		v[i] = 123457;
	check_against_exact(v, 1000);
	/* bucket edges: 2^k - 1, 2^k, 2^k + 1 for every power of two up to 2^47 */
	n = 0;
	for (k = 1; k < 48; k++) {
		v[n++] = (1ULL << k) - 1;
		v[n++] = 1ULL << k;
		v[n++] = (1ULL << k) + 1;
	}
	check_against_exact(v, n);
	/* far apart: one tiny and many huge, and the reverse */
	v[0] = 1;
	for (i = 1; i < 1000; i++)
		v[i] = 1000000000000ULL + i;
	check_against_exact(v, 1000);
	for (i = 0; i < 999; i++)
		v[i] = 3 + i % 2;
	v[999] = 281474976710655ULL; /* 2^48 - 1, the top of the precise range */
	check_against_exact(v, 1000);
	/* one value, two values, zero */
	v[0] = 0;
	check_against_exact(v, 1);
	v[0] = 255;
	v[1] = 256;
	check_against_exact(v, 2);
	/* each value one past the last bucket's end: the worst case for midpoints */
	n = 0;
	for (k = 8; k < 40 && n + 128 <= NR_ARRAY_SIZE(v); k += 5)
		for (i = 0; i < 128; i++)
			v[n++] = ((128 + i) << (k - 7)) + ((1ULL << (k - 7)) - 1);
	check_against_exact(v, n);
}

NR_TEST(workload_hist_merge_and_empty)
{
	struct nr_wl_hist *a = nr_xmalloc(sizeof(*a)), *b = nr_xmalloc(sizeof(*b));
	struct nr_wl_hist *all = nr_xmalloc(sizeof(*all));
	uint64_t i;

	nr_wl_hist_init(a);
	nr_wl_hist_init(b);
	nr_wl_hist_init(all);
	CHECK(nr_wl_hist_percentile(a, 50) == 0);
	CHECK(nr_wl_hist_mean(a) == 0);
	for (i = 1; i <= 5000; i++) {
		nr_wl_hist_record(i % 2 ? a : b, i * 997);
		nr_wl_hist_record(all, i * 997);
	}
	nr_wl_hist_merge(a, b);
	CHECK_EQ(a->count, all->count);
	CHECK_EQ(a->min, all->min);
	CHECK_EQ(a->max, all->max);
	CHECK(memcmp(a->buckets, all->buckets, sizeof(a->buckets)) == 0);
	CHECK(nr_wl_hist_percentile(a, 99) == nr_wl_hist_percentile(all, 99));
	free(a);
	free(b);
	free(all);
}
