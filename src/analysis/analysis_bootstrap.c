/*
 * Percentile bootstrap of the relative change of medians.
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>

#include "analysis/analysis_int.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/rand.h"

/*
 * Uniform in [0, n) (Lemire's multiply-shift with rejection): unbiased
 * like nr_rng_below() but without its two 64-bit divisions per draw,
 * which dominated the bootstrap's time (10,000 series x 1,000 resamples
 * x 10 draws). Kept here rather than in base/ to stay inside this module.
 */
static uint64_t below(struct nr_rng *rng, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)nr_rng_next(rng) * n;
	uint64_t lo = (uint64_t)m;

	if (lo < n) {
		uint64_t t = -n % n;

		while (lo < t) {
			m = (unsigned __int128)nr_rng_next(rng) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Median of a resample of v[0..n) drawn into tmp[0..n). */
static double resample_median(struct nr_rng *rng, const double *v, size_t n, double *tmp)
{
	size_t i;

	for (i = 0; i < n; i++)
		tmp[i] = v[below(rng, n)];
	nr_analysis_sort(tmp, n);
	return nr_analysis_quantile_sorted(tmp, n, 0.5);
}

int nr_analysis_bootstrap_ci(const double *base, size_t nb, const double *cand,
			     size_t nc, unsigned resamples, double level,
			     uint64_t seed, double *ret_low, double *ret_high)
{
	double stack_t[NR__ANALYSIS_STACK_N], stack_c[1024];
	double *tmp = stack_t, *changes = stack_c;
	size_t nmax = nb > nc ? nb : nc, kept = 0;
	struct nr_rng rng;
	unsigned i;
	int r = 0;

	if (nb == 0 || nc == 0 || resamples == 0 || !(level > 0 && level < 1))
		return NR_EINVAL;
	if (nmax > NR_ARRAY_SIZE(stack_t))
		tmp = nr_xmalloc(nmax * sizeof(*tmp));
	if (resamples > NR_ARRAY_SIZE(stack_c))
		changes = nr_xmalloc(resamples * sizeof(*changes));
	nr_rng_seed(&rng, seed);
	for (i = 0; i < resamples; i++) {
		/* base first, then cand: the order is part of the
		 * determinism promise */
		double mb = resample_median(&rng, base, nb, tmp);
		double mc = resample_median(&rng, cand, nc, tmp);

		if (mb == 0)
			continue;
		changes[kept++] = (mc - mb) / fabs(mb);
	}
	if (kept == 0) {
		r = NR_EINVAL;
		goto out;
	}
	nr_analysis_sort(changes, kept);
	*ret_low = nr_analysis_quantile_sorted(changes, kept, (1 - level) / 2);
	*ret_high = nr_analysis_quantile_sorted(changes, kept, (1 + level) / 2);
out:
	if (tmp != stack_t)
		free(tmp);
	if (changes != stack_c)
		free(changes);
	return r;
}
