/*
 * Paired designs: A/B variants measured in one run, pair by pair (ABBA).
 * The evidence the family test works with (the per-pair log ratios), and
 * Wilcoxon's signed-rank test as extra evidence beside it.
 *
 * Why pairs: a machine's speed drifts (a VM measured one round trip at
 * 49 us and 68 us on one day); two runs compared with each other carry
 * that drift as if it were the candidate's change. The two halves of a
 * pair run back to back, so the drift between them is one step of the
 * walk, and the ratio of the halves keeps only the candidate's change and
 * the within-run noise (docs/analysis.md, "Paired variants").
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "base/err.h"
#include "base/mem.h"

/* scipy.stats.wilcoxon's method="auto" is exact up to this many differences. */
#define SIGNED_RANK_EXACT_MAX 50

void nr_analysis_evidence_paired(const double *base, const double *cand, size_t n,
				 struct nr_analysis_evidence *ret)
{
	struct nr_analysis_evidence ev = { 0 };
	double stack[NR__ANALYSIS_STACK_N], *d, ref = 1, mean;
	bool positive = true;
	size_t i;

	d = nr__analysis_copy(cand, n, stack, NR_ARRAY_SIZE(stack));
	for (i = 0; i < n; i++)
		positive &= base[i] > 0 && cand[i] > 0;
	if (positive) {
		for (i = 0; i < n; i++)
			d[i] = log(cand[i]) - log(base[i]);
		ev.log_scale = true;
		ev.relative = true;
	} else {
		/* a value <= 0: differences relative to the baseline's level,
		 * as the two-sample evidence does */
		ref = fabs(nr_analysis_mean(base, n));
		ev.relative = ref > 0;
		if (!ev.relative)
			ref = 1;
		for (i = 0; i < n; i++)
			d[i] = (cand[i] - base[i]) / ref;
	}
	mean = nr_analysis_mean(d, n);
	ev.estimate = mean;
	ev.df = n > 1 ? (double)n - 1 : 0;
	ev.var = n > 1 ? nr__analysis_sum_sq_dev(d, n, mean) / ((double)n - 1) : 0;
	ev.se_scale = 1 / sqrt((double)n);
	ev.paired = true;
	nr__analysis_uncopy(d, stack);
	*ret = ev;
}

/* ---- Wilcoxon signed-rank test -------------------------------------------- */

struct absd {
	double a; /* |d| */
	bool positive;
};

static int cmp_absd(const void *x, const void *y)
{
	double a = ((const struct absd *)x)->a, b = ((const struct absd *)y)->a;

	return (a > b) - (a < b);
}

/*
 * P(R+ <= r) and P(R+ >= r) for n differences without ties: R+ is the sum
 * of a random subset of the ranks 1..n, each subset with probability
 * 2^-n. The counts of subsets per sum (at most C(50, 25) < 2^53) are exact
 * in doubles, and so are their partial sums, so the p-value is the same
 * number scipy's halved probabilities give (_get_wilcoxon_distr).
 */
static void exact_tails(size_t n, size_t r, double *ret_le, double *ret_ge)
{
	size_t max = n * (n + 1) / 2, k, s;
	double *c = nr_xcalloc(max + 1, sizeof(*c)), le = 0, ge = 0, total = ldexp(1, (int)n);

	c[0] = 1;
	for (k = 1; k <= n; k++)
		for (s = k * (k + 1) / 2; s >= k; s--)
			c[s] += c[s - k];
	for (s = 0; s <= max; s++) {
		if (s <= r)
			le += c[s];
		if (s >= r)
			ge += c[s];
	}
	free(c);
	*ret_le = le / total;
	*ret_ge = ge / total;
}

int nr_analysis_signed_rank(const double *d, size_t n, struct nr_analysis_signed_rank *ret)
{
	struct nr_analysis_signed_rank res = { 0 };
	struct absd *v;
	size_t i, j, k, m = 0, zeros = 0;
	double rplus = 0, rminus = 0, ties = 0;

	if (n == 0)
		return NR_EINVAL;
	for (i = 0; i < n; i++) {
		if (!isfinite(d[i]))
			return NR_EINVAL;
		zeros += d[i] == 0;
	}
	/*
	 * scipy.stats.wilcoxon(d) with its defaults (zero_method="wilcox",
	 * correction=False, method="auto"), scipy 1.10: exact for up to 50
	 * differences without a zero; otherwise the normal approximation
	 * over the nonzero differences, with the tie correction.
	 */
	res.exact = n <= SIGNED_RANK_EXACT_MAX && zeros == 0;
	v = nr_xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		if (d[i] != 0)
			v[m++] = (struct absd){ fabs(d[i]), d[i] > 0 };
	res.n = m;
	if (m == 0) {
		/* every pair equal: nothing tells the sides apart (scipy refuses) */
		free(v);
		res.p_value = 1;
		*ret = res;
		return 0;
	}
	qsort(v, m, sizeof(*v), cmp_absd);
	for (i = 0; i < m; i = j) {
		double avg, t;

		for (j = i + 1; j < m && v[j].a == v[i].a; j++)
			;
		avg = ((double)(i + 1) + (double)j) / 2; /* ranks i+1 .. j share it */
		for (k = i; k < j; k++) {
			if (v[k].positive)
				rplus += avg;
			else
				rminus += avg;
		}
		t = (double)(j - i);
		ties += t * (t * t - 1);
	}
	free(v);
	res.statistic = rplus < rminus ? rplus : rminus;
	if (res.exact) {
		/*
		 * Ties give half ranks; scipy then takes int(R+), the sum
		 * truncated, against the distribution without ties. Done the
		 * same way so that the p-values agree.
		 */
		size_t r = (size_t)rplus, center = m * (m + 1) / 2 / 2;
		double le, ge;

		if (r == center) {
			res.p_value = 1;
		} else {
			exact_tails(m, r, &le, &ge);
			res.p_value = 2 * (le < ge ? le : ge);
			if (res.p_value > 1)
				res.p_value = 1;
		}
	} else {
		double dm = (double)m, mn = dm * (dm + 1) / 4;
		double se = sqrt((dm * (dm + 1) * (2 * dm + 1) - 0.5 * ties) / 24);

		res.p_value = 2 * nr_analysis_normal_sf(fabs((res.statistic - mn) / se));
	}
	*ret = res;
	return 0;
}
