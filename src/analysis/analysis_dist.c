/*
 * Distribution functions the verdicts and the power statements need:
 * normal and Student t quantiles, the noncentral t, the F tail, and the
 * digamma family the empirical-Bayes prior is fitted with. Written from
 * the formulas cited at each function (no code taken from elsewhere);
 * tested against scipy in tests/unit/test_analysis_ref.c.
 */
#include "analysis/analysis.h"

#include <float.h>
#include <math.h>

#include "analysis/analysis_int.h"

/* ---- normal quantile ---------------------------------------------------- */

/*
 * The z with P(Z > z) = q, 0 < q <= 0.5: Abramowitz & Stegun 26.2.23
 * (|error| < 4.5e-4) as the start, then Halley steps on the exact tail
 * 0.5 erfc(z / sqrt 2), which converge to full precision in two or three
 * steps for any q down to the smallest normal double.
 */
static double normal_upper(double q)
{
	double t = sqrt(-2 * log(q)), z;
	int i;

	z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
		    (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
	for (i = 0; i < 8; i++) {
		double phi = exp(-0.5 * z * z) / sqrt(2 * M_PI);
		double u = (nr_analysis_normal_sf(z) - q) / phi, step;

		if (!(phi > 0))
			break;
		step = u / (1 - 0.5 * z * u);
		z += step;
		if (fabs(step) <= 1e-15 * fabs(z))
			break;
	}
	return z;
}

/* An inverse survival function from the upper half's: its ends and mirror. */
static double isf_from(double q, double df, double (*upper)(double q, double df))
{
	if (q == 0)
		return INFINITY;
	if (q == 1)
		return -INFINITY;
	if (q == 0.5)
		return 0;
	return q < 0.5 ? upper(q, df) : -upper(1 - q, df);
}

static double normal_upper_df(double q, double df)
{
	(void)df;
	return normal_upper(q);
}

double nr_analysis_normal_isf(double q)
{
	if (isnan(q) || q < 0 || q > 1)
		return NAN;
	return isf_from(q, 0, normal_upper_df);
}

double nr_analysis_normal_quantile(double p)
{
	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0.5)
		return 0;
	return p < 0.5 ? -nr_analysis_normal_isf(p) : nr_analysis_normal_isf(1 - p);
}

/* ---- Student t quantile ------------------------------------------------- */

/* log of the t density: Γ((ν+1)/2) / (sqrt(νπ) Γ(ν/2)) (1 + t²/ν)^-(ν+1)/2 */
static double t_logpdf(double t, double df)
{
	return lgamma(0.5 * (df + 1)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI) -
	       0.5 * (df + 1) * log1p(t * t / df);
}

/*
 * The t > 0 with P(T > t) = q, q < 0.5: Newton steps on log P(T > t)
 * (smooth and nearly linear in log t far in the tail) inside a bracket
 * that bisection keeps when a step would leave it. Starts from the
 * Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5) or, for few
 * degrees of freedom far out, from the tail P(T > t) ~ C t^-ν.
 */
static double t_upper(double q, double df)
{
	double z = normal_upper(q), z2 = z * z, lq = log(q), lo = 0, hi, t, tail;
	int i;

	t = z + z * (z2 + 1) / (4 * df) + z * ((5 * z2 + 16) * z2 + 3) / (96 * df * df);
	/* P(T > t) ~ Γ((ν+1)/2) ν^((ν-1)/2) / (sqrt(π) Γ(ν/2)) t^-ν */
	tail = exp((lgamma(0.5 * (df + 1)) - lgamma(0.5 * df) + 0.5 * (df - 1) * log(df) -
		    0.5 * log(M_PI) - lq) / df);
	if (tail > t || !isfinite(t))
		t = tail;
	if (!(t > 0) || !isfinite(t))
		t = 1;
	hi = t;
	while (nr_analysis_t_sf(hi, df) >= q && hi < 1e300)
		hi *= 2;
	if (t >= hi)
		t = 0.5 * (lo + hi);
	for (i = 0; i < 300; i++) {
		double sf = nr_analysis_t_sf(t, df), step, next;

		if (sf > q)
			lo = t;
		else
			hi = t;
		if (!(sf > 0)) {
			next = 0.5 * (lo + hi);
		} else {
			/* d/dt log sf = -pdf / sf */
			step = (log(sf) - lq) * sf / exp(t_logpdf(t, df));
			next = t + step;
			if (!(next > lo && next < hi))
				next = 0.5 * (lo + hi);
		}
		if (fabs(next - t) <= 4 * DBL_EPSILON * t || hi - lo <= 4 * DBL_EPSILON * hi)
			return next;
		t = next;
	}
	return t;
}

double nr_analysis_t_isf(double q, double df)
{
	if (isnan(q) || q < 0 || q > 1 || !(df > 0))
		return NAN;
	if (isinf(df) || df > 1e10)
		return nr_analysis_normal_isf(q);
	return isf_from(q, df, t_upper);
}

double nr_analysis_t_quantile(double p, double df)
{
	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0.5)
		return 0;
	return p < 0.5 ? -nr_analysis_t_isf(p, df) : nr_analysis_t_isf(1 - p, df);
}

/* ---- noncentral t ------------------------------------------------------- */

#define NCT_EPS 1e-16
#define NCT_MAX_TERMS 100000

/*
 * P(T <= t) for t > 0, any noncentrality δ: the series of Guenther (1978)
 * and Lenth (1989, Applied Statistics algorithm AS 243),
 *
 *   Φ(-δ) + ½ Σ_j [ p_j I_x(j + ½, ν/2) + (δ/√2) q_j I_x(j + 1, ν/2) ],
 *   x = t²/(t² + ν), p_j = e^-λ λ^j / j!, q_j = e^-λ λ^j / Γ(j + 3/2), λ = δ²/2,
 *
 * summed from the Poisson mode outwards in both directions, as Benton &
 * Krishnamoorthy (2003) advise, with I_x stepped by the recurrence
 * I_x(a + 1, b) = I_x(a, b) - x^a (1-x)^b / (a B(a, b)). Each direction
 * stops when the rest, bounded by a geometric series of the Poisson
 * ratios (I_x <= 1), is below 1e-16 of the sum.
 */
static double nct_cdf_pos(double t, double df, double delta)
{
	double x = t * t / (t * t + df), y = df / (t * t + df), b = 0.5 * df;
	double lam = 0.5 * delta * delta, cq = delta / M_SQRT2, k, pk, qk, ap, aq;
	double ip, iq, gp, gq, sum, p, q, ipf, iqf, gpf, gqf, j;
	double lx = log(x), ly = log(y), lgb = lgamma(b);
	long i;

	k = floor(lam);
	if (lam > 0) {
		pk = exp(-lam + k * log(lam) - lgamma(k + 1));
		qk = exp(-lam + k * log(lam) - lgamma(k + 1.5));
	} else {
		pk = 1;
		qk = 1 / tgamma(1.5);
	}
	ap = k + 0.5;
	aq = k + 1;
	ip = nr__analysis_betainc_xy(ap, b, x, y);
	iq = nr__analysis_betainc_xy(aq, b, x, y);
	/* g(a) = x^a y^b / (a B(a, b)) = I_x(a, b) - I_x(a + 1, b) */
	gp = exp(lgamma(ap + b) - lgamma(ap + 1) - lgb + ap * lx + b * ly);
	gq = exp(lgamma(aq + b) - lgamma(aq + 1) - lgb + aq * lx + b * ly);
	sum = pk * ip + cq * qk * iq;

	/* forward: j = k + 1, k + 2, ... */
	p = pk, q = qk, ipf = ip, iqf = iq, gpf = gp, gqf = gq, j = k;
	for (i = 0; i < NCT_MAX_TERMS; i++) {
		double r, term;

		ipf -= gpf;
		iqf -= gqf;
		if (ipf < 0)
			ipf = 0;
		if (iqf < 0)
			iqf = 0;
		gpf *= x * (ap + (j - k) + b) / (ap + (j - k) + 1);
		gqf *= x * (aq + (j - k) + b) / (aq + (j - k) + 1);
		j += 1;
		p *= lam / j;
		q *= lam / (j + 0.5);
		term = p * ipf + fabs(cq) * q * iqf;
		sum += p * ipf + cq * q * iqf;
		r = lam / (j + 1);
		if (term == 0 || (r < 1 && term * r / (1 - r) <= NCT_EPS * fabs(sum)))
			break;
	}

	/* backward: j = k - 1, ..., 0 */
	p = pk, q = qk, ipf = ip, iqf = iq, j = k;
	gpf = gp, gqf = gq;
	while (j > 0) {
		double a1 = ap + (j - k), a2 = aq + (j - k), r, term;

		/* g(a - 1) = g(a) a / (x (a - 1 + b)), I(a - 1) = I(a) + g(a - 1) */
		gpf = gpf * a1 / (x * (a1 - 1 + b));
		gqf = gqf * a2 / (x * (a2 - 1 + b));
		ipf += gpf;
		iqf += gqf;
		if (ipf > 1)
			ipf = 1;
		if (iqf > 1)
			iqf = 1;
		p *= j / lam;
		q *= (j + 0.5) / lam;
		j -= 1;
		term = p + fabs(cq) * q;
		sum += p * ipf + cq * q * iqf;
		r = j / lam;
		if (term == 0 || (r < 1 && term * r / (1 - r) <= NCT_EPS * fabs(sum)))
			break;
	}
	sum = nr_analysis_normal_cdf(-delta) + 0.5 * sum;
	return sum < 0 ? 0 : sum > 1 ? 1 : sum;
}

double nr_analysis_nct_cdf(double t, double df, double nc)
{
	if (isnan(t) || isnan(nc) || !(df > 0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 1 : 0;
	if (t == 0)
		return nr_analysis_normal_cdf(-nc);
	if (t > 0)
		return nct_cdf_pos(t, df, nc);
	/* P(T <= t; ν, δ) = P(T >= -t; ν, -δ) */
	return 1 - nct_cdf_pos(-t, df, -nc);
}

double nr_analysis_nct_sf(double t, double df, double nc)
{
	/* -T is noncentral t with -nc: P(T > t) = P(-T < -t) */
	return nr_analysis_nct_cdf(-t, df, -nc);
}

/* ---- F ------------------------------------------------------------------ */

double nr_analysis_f_sf(double x, double d1, double d2)
{
	if (isnan(x) || !(d1 > 0) || !(d2 > 0))
		return NAN;
	if (x <= 0)
		return 1;
	if (isinf(x))
		return 0;
	/* P(F > x) = I_{d2/(d2 + d1 x)}(d2/2, d1/2) */
	return nr__analysis_betainc_xy(0.5 * d2, 0.5 * d1, d2 / (d2 + d1 * x),
				       d1 * x / (d2 + d1 * x));
}

/* ---- digamma, trigamma, tetragamma -------------------------------------- */

/*
 * Recurrence up to x >= 10, then the asymptotic series with Bernoulli
 * numbers B2..B14 (DLMF 5.11.2 and its derivatives): the first term left
 * out is below 1e-17 there.
 */
double nr_analysis_digamma(double x)
{
	double r = 0, x2;

	if (!(x > 0))
		return NAN;
	while (x < 10) {
		r -= 1 / x;
		x += 1;
	}
	x2 = 1 / (x * x);
	return r + log(x) - 0.5 / x -
	       x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 -
			x2 * (1.0 / 132 - x2 * (691.0 / 32760 - x2 / 12))))));
}

double nr_analysis_trigamma(double x)
{
	double r = 0, x2;

	if (!(x > 0))
		return NAN;
	while (x < 10) {
		r += 1 / (x * x);
		x += 1;
	}
	x2 = 1 / (x * x);
	return r + 1 / x + 0.5 * x2 +
	       x2 / x * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 * (1.0 / 30 -
			x2 * (5.0 / 66 - x2 * (691.0 / 2730 - x2 * 7.0 / 6))))));
}

/* ψ''(x), only for the Newton steps of the inverse trigamma. */
static double tetragamma(double x)
{
	double r = 0, x2;

	while (x < 10) {
		r -= 2 / (x * x * x);
		x += 1;
	}
	x2 = 1 / (x * x);
	return r - x2 - x2 / x -
	       x2 * x2 * (0.5 - x2 * (1.0 / 6 - x2 * (1.0 / 6 - x2 * (3.0 / 10 - x2 * 5.0 / 6))));
}

/*
 * The y with ψ'(y) = x: Newton's method as limma's trigammaInverse()
 * (Smyth 2004), from y = 0.5 + 1/x, which approaches the root from one
 * side because ψ' is convex and decreasing.
 */
double nr_analysis_trigamma_inverse(double x)
{
	double y;
	int i;

	if (!(x > 0))
		return NAN;
	if (x > 1e7)
		return 1 / sqrt(x);
	if (x < 1e-6)
		return 1 / x;
	y = 0.5 + 1 / x;
	for (i = 0; i < 100; i++) {
		double tri = nr_analysis_trigamma(y);
		double dif = tri * (1 - tri / x) / tetragamma(y);

		y += dif;
		if (-dif / y < 1e-14)
			break;
	}
	return y;
}

/* ---- power of the two-sided t-test ------------------------------------- */

/* Power at noncentrality lambda against the critical value c. */
static double power_at(double lambda, double df, double c)
{
	return nr_analysis_nct_sf(c, df, lambda) + nr_analysis_nct_cdf(-c, df, lambda);
}

double nr_analysis_t_power(double lambda, double df, double alpha)
{
	if (!(df > 0) || !(alpha > 0 && alpha < 1) || isnan(lambda))
		return NAN;
	return power_at(lambda, df, nr_analysis_t_isf(0.5 * alpha, df));
}

/*
 * The root of power(λ) = target by the Illinois variant of regula falsi
 * (Dowell & Jarratt 1971) inside a bracket around the normal
 * approximation P(T' > c) ~ Φ((λ - c) / sqrt(1 + c²/(2ν))) (Johnson &
 * Welch 1940): three or four evaluations of the noncentral t.
 */
double nr_analysis_t_detectable(double df, double alpha, double power)
{
	double c, z, guess, a, b, fa, fb;
	int i, side = 0;

	if (!(df > 0) || !(alpha > 0 && alpha < 1) || !(power > alpha && power < 1))
		return NAN;
	c = nr_analysis_t_isf(0.5 * alpha, df);
	z = nr_analysis_normal_isf(1 - power);
	guess = c + z * sqrt(1 + c * c / (2 * df));
	if (!(guess > 0))
		guess = c;
	a = guess * 0.97;
	b = guess * 1.03;
	fa = power_at(a, df, c) - power;
	fb = power_at(b, df, c) - power;
	for (i = 0; fa > 0 && i < 200; i++) {
		b = a, fb = fa;
		a *= 0.5;
		fa = power_at(a, df, c) - power;
	}
	for (i = 0; fb < 0 && i < 200; i++) {
		a = b, fa = fb;
		b *= 2;
		fb = power_at(b, df, c) - power;
	}
	for (i = 0; i < 100; i++) {
		double x = (a * fb - b * fa) / (fb - fa), fx;

		if (!(x > a && x < b))
			x = 0.5 * (a + b);
		fx = power_at(x, df, c) - power;
		if (fx == 0 || b - a <= 1e-12 * b)
			return x;
		if ((fx < 0) == (fa < 0)) {
			a = x, fa = fx;
			if (side == -1)
				fb *= 0.5;
			side = -1;
		} else {
			b = x, fb = fx;
			if (side == 1)
				fa *= 0.5;
			side = 1;
		}
		if (fabs(fx) <= 1e-13)
			return x;
	}
	return 0.5 * (a + b);
}
