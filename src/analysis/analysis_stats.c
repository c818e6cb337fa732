/*
 * Descriptive statistics and the t and normal distributions.
 */
#include "analysis/analysis.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"
#include "base/mem.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void nr_analysis_sort(double *v, size_t n)
{
	size_t i, j;

	/* Repeats are a handful of values: insertion sort beats qsort's
	 * call per comparison by far there. */
	if (n > 24) {
		qsort(v, n, sizeof(*v), cmp_double);
		return;
	}
	for (i = 1; i < n; i++) {
		double x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

double nr_analysis_quantile_sorted(const double *sorted, size_t n, double q)
{
	double h, f;
	size_t lo;

	if (n == 0)
		return NAN;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	h = (double)(n - 1) * q;
	f = floor(h);
	lo = (size_t)f;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - f) * (sorted[lo + 1] - sorted[lo]);
}

double *nr__analysis_copy(const double *v, size_t n, double *stack, size_t stack_n)
{
	double *c = n <= stack_n ? stack : nr_xmalloc(n * sizeof(*c));

	if (n)
		memcpy(c, v, n * sizeof(*c));
	return c;
}

void nr__analysis_uncopy(double *c, double *stack)
{
	if (c != stack)
		free(c);
}

double nr_analysis_quantile(const double *v, size_t n, double q)
{
	double stack[NR__ANALYSIS_STACK_N];
	double *c, r;

	if (n == 0)
		return NAN;
	c = nr__analysis_copy(v, n, stack, NR_ARRAY_SIZE(stack));
	nr_analysis_sort(c, n);
	r = nr_analysis_quantile_sorted(c, n, q);
	nr__analysis_uncopy(c, stack);
	return r;
}

double nr_analysis_median(const double *v, size_t n)
{
	return nr_analysis_quantile(v, n, 0.5);
}

double nr_analysis_mean(const double *v, size_t n)
{
	double s = 0;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

/* Two-pass: the mean first, then squared deviations, which keeps
 * precision on values like 26705 +- 300 that a sum of squares loses. */
double nr__analysis_sum_sq_dev(const double *v, size_t n, double mean)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (v[i] - mean) * (v[i] - mean);
	return s;
}

double nr_analysis_stddev(const double *v, size_t n)
{
	if (n < 2)
		return 0;
	return sqrt(nr__analysis_sum_sq_dev(v, n, nr_analysis_mean(v, n)) / (double)(n - 1));
}

double nr__analysis_pstddev(const double *v, size_t n, double mean)
{
	if (n < 2)
		return 0;
	return sqrt(nr__analysis_sum_sq_dev(v, n, mean) / (double)n);
}

double nr_analysis_mad(const double *v, size_t n)
{
	double stack[NR__ANALYSIS_STACK_N];
	double *c, med, r;
	size_t i;

	if (n == 0)
		return NAN;
	c = nr__analysis_copy(v, n, stack, NR_ARRAY_SIZE(stack));
	nr_analysis_sort(c, n);
	med = nr_analysis_quantile_sorted(c, n, 0.5);
	for (i = 0; i < n; i++)
		c[i] = fabs(c[i] - med);
	nr_analysis_sort(c, n);
	r = nr_analysis_quantile_sorted(c, n, 0.5);
	nr__analysis_uncopy(c, stack);
	return r;
}

double nr_analysis_cv(const double *v, size_t n)
{
	double m = nr_analysis_mean(v, n);

	if (m == 0 || isnan(m))
		return NAN;
	return nr_analysis_stddev(v, n) / fabs(m);
}

/*
 * Continued fraction for I_x(a, b) (the even/odd form of DLMF 8.17.22),
 * evaluated with the modified Lentz method. It converges fast for
 * x < (a + 1) / (a + b + 2); the caller uses the symmetry
 * I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
 */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-16;
	double c = 1, d, f;
	int m;

	d = 1 - (a + b) * x / (a + 1);
	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	f = d;
	for (m = 1; m <= 10000; m++) {
		double m2 = 2.0 * m, num, delta;

		/* even step: d_{2m} */
		num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + num * d;
		c = 1 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		f *= d * c;
		/* odd step: d_{2m+1} */
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + num * d;
		c = 1 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		delta = d * c;
		f *= delta;
		if (fabs(delta - 1) < eps)
			break;
	}
	return f;
}

/* I_x(a, b) with y = 1 - x given separately, so that callers who know y
 * more precisely than 1 - x (t-tests far in the tail) keep it. */
double nr__analysis_betainc_xy(double a, double b, double x, double y)
{
	double lfront;

	if (x <= 0)
		return 0;
	if (y <= 0)
		return 1;
	lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y);
	if (x < (a + 1) / (a + b + 2))
		return exp(lfront) * beta_cf(a, b, x) / a;
	return 1 - exp(lfront) * beta_cf(b, a, y) / b;
}

double nr_analysis_betainc(double a, double b, double x)
{
	if (!(a > 0) || !(b > 0) || isnan(x))
		return NAN;
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	return nr__analysis_betainc_xy(a, b, x, 1 - x);
}

/* P(T > |t|) for t != 0: I_{df/(df+t^2)}(df/2, 1/2) / 2. */
static double t_tail(double t, double df)
{
	double t2 = t * t, x, y;

	if (isinf(t))
		return 0;
	x = df / (df + t2);
	y = t2 / (df + t2);
	return 0.5 * nr__analysis_betainc_xy(0.5 * df, 0.5, x, y);
}

double nr_analysis_t_cdf(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(df))
		return nr_analysis_normal_cdf(t);
	if (t == 0)
		return 0.5;
	return t < 0 ? t_tail(t, df) : 1 - t_tail(t, df);
}

double nr_analysis_t_sf(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(df))
		return nr_analysis_normal_sf(t);
	if (t == 0)
		return 0.5;
	return t > 0 ? t_tail(t, df) : 1 - t_tail(t, df);
}

double nr_analysis_normal_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double nr_analysis_normal_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

double nr_analysis_ttest_pvalue(double m1, double sd1, size_t n1,
				double m2, double sd2, size_t n2)
{
	double df, svar, denom, t, p;

	if (n1 + n2 <= 2)
		return 1;
	df = (double)(n1 + n2 - 2);
	svar = ((double)(n1 - 1) * sd1 * sd1 + (double)(n2 - 1) * sd2 * sd2) / df;
	denom = sqrt(svar * (1.0 / (double)n1 + 1.0 / (double)n2));
	if (denom == 0)
		/* scipy gives t = +-inf (p = 0) or NaN (0/0), which Otava's
		 * comparisons treat as "not significant". */
		return m1 == m2 ? 1 : 0;
	t = (m1 - m2) / denom;
	p = 2 * nr_analysis_t_sf(fabs(t), df);
	return p > 1 ? 1 : p;
}
