/*
 * Sequential decisions: adaptive repeats (`repeat: {min, max, until:
 * clear}`) look at a series after every repeat from min to max and stop
 * once it is decided. Looking again and again at an ordinary test would
 * raise its false-alarm rate with every look ("peeking"); a
 * group-sequential design spends the level over the looks instead, so
 * that the chance of any false alarm over all of them stays at alpha.
 *
 * The level spent by information fraction t is an alpha-spending function
 * (Lan, K. K. G. & DeMets, D. L. (1983), Discrete sequential boundaries
 * for clinical trials, Biometrika 70:659-663): the O'Brien-Fleming type
 * spends almost nothing early and keeps the last look's bound close to a
 * fixed design's; the Pocock type spends evenly. The two-sided bound of
 * each look comes from the joint distribution of the looks' z statistics
 * (a Brownian motion in the information: independent increments), by the
 * recursive numerical integration of Armitage, McPherson & Rowe (1969,
 * J. R. Statist. Soc. A 132:235-244) as Jennison & Turnbull lay it out
 * (Group Sequential Methods with Applications to Clinical Trials, 2000,
 * chapter 19), on the score scale with Simpson's rule.
 *
 * The variance is estimated, so a look's z bound is turned into its
 * nominal two-sided level and the t-test of that look is held to the same
 * level (Jennison & Turnbull 2000, section 11.3, the "significance level
 * approach"). The interval at that level is a repeated confidence
 * interval (Jennison & Turnbull 1989, J. R. Statist. Soc. B 51:305-361):
 * all of them cover the true change together with probability 1 - alpha,
 * so a verdict read from the interval at whatever look sampling stopped
 * is as safe as the whole sequence, whoever decided to stop there.
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/mem.h"

/* Grid points per standard deviation of one look's increment. */
#define GRID_PER_SD 8
/* A look's density is kept out to this many of its standard deviations. */
#define GRID_SDS 10.0
/* Beyond this z no bound is asked for (a spend below 1e-300). */
#define Z_MAX 38.0

const char *nr_analysis_spending_name(enum nr_analysis_spending f)
{
	return f == NR_SPEND_POCOCK ? "pocock" : "obrien-fleming";
}

double nr_analysis_spend(enum nr_analysis_spending f, double alpha, double t)
{
	if (!(t > 0))
		return 0;
	if (t >= 1)
		return alpha;
	if (f == NR_SPEND_POCOCK)
		return alpha * log1p((M_E - 1) * t);
	/* 2 - 2 Φ(z_{1-α/2} / sqrt(t)), from the upper tail for precision */
	return erfc(nr_analysis_normal_isf(0.5 * alpha) / sqrt(2 * t));
}

/* P(Z > x) for a standard normal, precise in the upper tail. */
static double upper(double x)
{
	return 0.5 * erfc(x / M_SQRT2);
}

/*
 * The chance of crossing +-b at the next look (score scale), with an
 * increment of sd `sd`, from the sub-density g on the grid u (Simpson
 * weights w).
 */
static double cross(const double *u, const double *g, const double *w, size_t n, double b,
		    double sd)
{
	double p = 0;
	size_t j;

	for (j = 0; j < n; j++)
		p += w[j] * g[j] * (upper((b - u[j]) / sd) + upper((b + u[j]) / sd));
	return p;
}

/* An odd number of points over [-b, b] spaced at most h, with Simpson's weights. */
static size_t make_grid(double b, double h, double **ret_u, double **ret_w)
{
	size_t half = (size_t)ceil(b / h), n, j;
	double step, *u, *w;

	if (half < 2)
		half = 2;
	half += half % 2; /* an even count of intervals a side keeps 0 on the grid */
	n = 2 * half + 1;
	step = b / (double)half;
	u = nr_xcalloc(n, sizeof(*u));
	w = nr_xcalloc(n, sizeof(*w));
	for (j = 0; j < n; j++) {
		u[j] = -b + step * (double)j;
		w[j] = step / 3 * (j == 0 || j == n - 1 ? 1 : j % 2 ? 4 : 2);
	}
	*ret_u = u;
	*ret_w = w;
	return n;
}

int nr_analysis_gs_bounds(enum nr_analysis_spending f, double alpha, const double *t, size_t k,
			  double *ret_z)
{
	double *u = NULL, *w = NULL, *g = NULL, h = INFINITY, spent = 0;
	size_t n = 0, i, j;

	if (!(alpha > 0 && alpha < 1) || !k)
		return NR_EINVAL;
	for (i = 0; i < k; i++) {
		if (!(t[i] > 0 && t[i] <= 1) || (i && !(t[i] > t[i - 1])))
			return NR_EINVAL;
		h = fmin(h, sqrt(i ? t[i] - t[i - 1] : t[0]) / GRID_PER_SD);
	}
	for (i = 0; i < k; i++) {
		double a = nr_analysis_spend(f, alpha, t[i]) - spent, z, b, lo, hi;
		double sd = sqrt(i ? t[i] - t[i - 1] : t[0]);
		double *nu, *nw, *ng;
		size_t nn;

		if (i == 0) {
			z = a > 1e-300 ? nr_analysis_normal_isf(0.5 * a) : INFINITY;
		} else if (!(a > 1e-300)) {
			z = INFINITY; /* nothing to spend at this look */
		} else {
			/* cross() falls as the bound rises: bisection on z */
			lo = 0;
			hi = Z_MAX;
			if (cross(u, g, w, n, hi * sqrt(t[i]), sd) > a) {
				z = hi;
			} else {
				int it;

				for (it = 0; it < 100 && hi - lo > 1e-10; it++) {
					double mid = 0.5 * (lo + hi);

					if (cross(u, g, w, n, mid * sqrt(t[i]), sd) > a)
						lo = mid;
					else
						hi = mid;
				}
				z = 0.5 * (lo + hi);
			}
		}
		ret_z[i] = z;
		/* a look without a bound leaves its share to the next */
		if (isfinite(z))
			spent += a;
		if (i + 1 == k)
			break;
		/* the sub-density of the score at this look, inside its bound */
		b = fmin(isfinite(z) ? z : INFINITY, GRID_SDS) * sqrt(t[i]);
		nn = make_grid(b, h, &nu, &nw);
		ng = nr_xcalloc(nn, sizeof(*ng));
		for (j = 0; j < nn; j++) {
			if (i == 0) {
				ng[j] = exp(-0.5 * nu[j] * nu[j] / t[0]) / sqrt(2 * M_PI * t[0]);
			} else {
				/* g_i(s) = ∫ g_{i-1}(v) φ((s - v)/sd)/sd dv, the kernel cut at
				 * GRID_SDS sd: only the old points that near s */
				double s = 0, step = u[1] - u[0];
				double from = (nu[j] - GRID_SDS * sd - u[0]) / step;
				double to = (nu[j] + GRID_SDS * sd - u[0]) / step;
				size_t m = from > 0 ? (size_t)ceil(from) : 0;
				size_t end = to < 0 ? 0 : to >= (double)(n - 1) ? n - 1 : (size_t)floor(to);

				for (; m <= end && to >= 0; m++) {
					double x = (nu[j] - u[m]) / sd;

					s += w[m] * g[m] * exp(-0.5 * x * x);
				}
				ng[j] = s / (sd * sqrt(2 * M_PI));
			}
		}
		free(u);
		free(w);
		free(g);
		u = nu;
		w = nw;
		g = ng;
		n = nn;
	}
	free(u);
	free(w);
	free(g);
	return 0;
}

/* The information of a look with n (pairs, or candidate values against n_base). */
static double information(const struct nr_analysis_sequential *q, double n)
{
	return q->n_base ? 1 / (1 / (double)q->n_base + 1 / n) : n;
}

int nr_analysis_sequential_levels(const struct nr_analysis_sequential *q, double *ret_p)
{
	size_t k, i;
	double *t, *z, imax;
	int r;

	if (!q || q->min < 2 || q->max < q->min || q->max > NR_ANALYSIS_SEQ_MAX ||
	    !(q->alpha > 0 && q->alpha < 1))
		return NR_EINVAL;
	k = q->max - q->min + 1;
	t = nr_xcalloc(k, sizeof(*t));
	z = nr_xcalloc(k, sizeof(*z));
	imax = information(q, (double)q->max);
	for (i = 0; i < k; i++)
		t[i] = information(q, (double)(q->min + i)) / imax;
	t[k - 1] = 1; /* exactly: the last look spends what is left */
	r = nr_analysis_gs_bounds(q->spending, q->alpha, t, k, z);
	for (i = 0; r == 0 && i < k; i++)
		ret_p[i] = isfinite(z[i]) ? erfc(z[i] / M_SQRT2) : 0;
	free(t);
	free(z);
	return r;
}

double nr_analysis_sequential_level(const struct nr_analysis_sequential *q, size_t n)
{
	double *p, level;

	if (!q || q->min < 2 || q->max < q->min || q->max > NR_ANALYSIS_SEQ_MAX)
		return NAN;
	if (n < q->min)
		return 0;
	if (n > q->max)
		n = q->max;
	p = nr_xcalloc(q->max - q->min + 1, sizeof(*p));
	level = nr_analysis_sequential_levels(q, p) == 0 ? p[n - q->min] : NAN;
	free(p);
	return level;
}
