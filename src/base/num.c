#include "base/num.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

/* strtod honours LC_NUMERIC; parse with the C locale whatever the process set. */
static double strtod_c(const char *s, char **end)
{
	static locale_t c_locale;

	if (!c_locale)
		c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!c_locale)
		return strtod(s, end);
	return strtod_l(s, end, c_locale);
}

int nr_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return NR_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return NR_EINVAL;
	*ret = v;
	return 0;
}

int nr_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return NR_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return NR_EINVAL;
	*ret = v;
	return 0;
}

/*
 * A plain decimal ("-123.25": sign, digits, point, digits, nothing else)
 * of at most 2^53 without its point and at most 22 digits after it is
 * m / 10^k with both exactly a double: one division, correctly rounded,
 * gives what strtod gives (Clinger's fast path: W. D. Clinger, "How to
 * read floating point numbers accurately", PLDI 1990), at a tenth of its
 * cost (a tool's output of 10,000 values an attempt). False for anything
 * else, which strtod reads.
 */
static bool decimal_fast(const char *s, double *ret)
{
	static const double pow10[] = {
		1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	uint64_t m = 0;
	int digits = 0, k = -1;
	bool neg = *s == '-';

	if (*s == '-' || *s == '+')
		s++;
	for (; *s; s++) {
		if (*s == '.' && k < 0) {
			k = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 19)
			return false; /* 19 digits fit in m; more (or anything else): strtod */
		m = m * 10 + (uint64_t)(*s - '0');
		if (k >= 0)
			k++;
	}
	if (!digits || m > (UINT64_C(1) << 53) || k > 22)
		return false;
	*ret = k > 0 ? (double)m / pow10[k] : (double)m;
	if (neg)
		*ret = -*ret;
	return true;
}

int nr_parse_double(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return NR_EINVAL;
	if (decimal_fast(s, ret))
		return 0;
	errno = 0;
	v = strtod_c(s, &end);
	if (*end || end == s)
		return NR_EINVAL;
	/*
	 * strtod takes "nan", "NAN(123)", "inf", "Infinity" and turns 1e999
	 * into HUGE_VAL: numbers, but none a measurement can be (an underflow
	 * to 0 or a denormal is still one).
	 */
	if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
		return -ERANGE;
	*ret = v;
	return 0;
}

int nr_parse_quantity(const char *s, double *ret, const char **ret_unit)
{
	const char *p = s;
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return NR_EINVAL;
	if (*p == '+' || *p == '-')
		p++;
	/* strtod reads hexadecimal ("0x1p3"), which no measurement is written in */
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return NR_EINVAL;
	errno = 0;
	v = strtod_c(s, &end);
	if (end == s)
		return NR_EINVAL;
	/* "nan", "inf" and "1e999" spell numbers, but none a limit can be */
	if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
		return -ERANGE;
	while (*end == ' ')
		end++;
	*ret = v;
	*ret_unit = end;
	return 0;
}

/* Split "12.5ms" into 12.5 and "ms". */
static int number_and_suffix(const char *s, double *ret_v, const char **ret_suffix)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-')
		return NR_EINVAL;
	errno = 0;
	v = strtod_c(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return NR_EINVAL;
	while (*end == ' ')
		end++;
	*ret_v = v;
	*ret_suffix = end;
	return 0;
}

int nr_parse_duration_us(const char *s, int64_t *ret_us)
{
	static const struct {
		const char *suffix;
		double us;
	} units[] = {
		{ "", 1e6 },   { "s", 1e6 },     { "ns", 1e-3 },  { "us", 1 },
		{ "ms", 1e3 }, { "m", 60e6 },    { "min", 60e6 }, { "h", 3600e6 },
		{ "sec", 1e6 },
	};
	const char *suffix;
	double v;
	size_t i;

	if (number_and_suffix(s, &v, &suffix) < 0)
		return NR_EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(suffix, units[i].suffix)) {
			double us = v * units[i].us;

			if (us > 9.2e18)
				return NR_EINVAL;
			*ret_us = (int64_t)llround(us);
			return 0;
		}
	}
	return NR_EINVAL;
}

int nr_parse_size(const char *s, uint64_t *ret_bytes)
{
	const char *suffix;
	double v, mult = 1;

	if (number_and_suffix(s, &v, &suffix) < 0)
		return NR_EINVAL;
	switch (toupper((unsigned char)*suffix)) {
	case 'K':
		mult = 1024.0;
		suffix++;
		break;
	case 'M':
		mult = 1024.0 * 1024;
		suffix++;
		break;
	case 'G':
		mult = 1024.0 * 1024 * 1024;
		suffix++;
		break;
	case 'T':
		mult = 1024.0 * 1024 * 1024 * 1024;
		suffix++;
		break;
	}
	if (*suffix == 'i' && mult > 1)
		suffix++;
	if (*suffix == 'B' || *suffix == 'b')
		suffix++;
	if (*suffix)
		return NR_EINVAL;
	v *= mult;
	if (v > 1.8e19 || v != floor(v))
		return NR_EINVAL;
	*ret_bytes = (uint64_t)v;
	return 0;
}

int nr_parse_rate(const char *s, const char *const *units, double *ret)
{
	char tmp[64];
	size_t n = strlen(s), u;
	double mult = 1, v;

	if (!strcmp(s, "unlimited") || !strcmp(s, "0")) {
		*ret = 0;
		return 0;
	}
	if (n == 0 || n >= sizeof(tmp))
		return NR_EINVAL;
	memcpy(tmp, s, n + 1);
	for (; units && *units; units++) {
		u = strlen(*units);
		if (n > u && !strcasecmp(tmp + n - u, *units)) {
			tmp[n -= u] = '\0';
			break;
		}
	}
	if (n > 1) {
		switch (tmp[n - 1]) {
		case 'k': case 'K': mult = 1e3; break;
		case 'm': case 'M': mult = 1e6; break;
		case 'g': case 'G': mult = 1e9; break;
		default: break;
		}
		if (mult != 1)
			tmp[n - 1] = '\0';
	}
	if (nr_parse_double(tmp, &v) < 0 || !(v >= 0) || !isfinite(v * mult))
		return NR_EINVAL;
	*ret = v * mult;
	return 0;
}

int nr_parse_ratio(const char *s, double *ret)
{
	char buf[64];
	size_t len = s ? strlen(s) : 0;
	int pct = len && s[len - 1] == '%';
	double v;

	if (!len || len >= sizeof(buf))
		return NR_EINVAL;
	memcpy(buf, s, len + 1);
	if (pct)
		buf[len - 1] = '\0';
	if (nr_parse_double(buf, &v) < 0 || v < 0)
		return NR_EINVAL;
	*ret = pct ? v / 100 : v;
	return 0;
}

char *nr_fmt_duration(char *buf, unsigned long size, int64_t us)
{
	int64_t s;

	if (us <= 0)
		return snprintf(buf, size, "0 s"), buf;
	if (us < 59950000) /* what shows as under a minute: as any value in us */
		return nr_fmt_value(buf, size, (double)us, "us");
	s = (us + 500000) / 1000000;
	if (s < 3600)
		snprintf(buf, size, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%lldh %02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	return buf;
}

/* v with as many decimals as leave `digits` significant ones, then prefix and unit. */
static void fmt_sig(char *buf, unsigned long size, double v, int digits, const char *prefix,
		    const char *unit)
{
	double a = fabs(v);
	int k;

	/* the most decimals whose rounding still has at most digits - k integer digits */
	for (k = digits - 1; k > 0; k--) {
		double scale = pow(10, k);

		if (round(a * scale) / scale < pow(10, digits - k))
			break;
	}
	snprintf(buf, size, "%.*f %s%s", k, v, prefix, unit);
}

char *nr_fmt_value_digits(char *buf, unsigned long size, double v, const char *unit, int digits)
{
	static const struct {
		double f;
		const char *p;
	} si[] = { { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" } };
	/* a value that would round up to 1000 takes the next prefix */
	double up;
	size_t i;

	if (digits < 1)
		digits = 1;
	if (digits > 9)
		digits = 9;
	up = 1 - 0.5 * pow(10, -digits);
	if (!unit)
		unit = "";
	if (!strcmp(unit, "us")) {
		if (fabs(v) >= 1e6 * up)
			fmt_sig(buf, size, v / 1e6, digits, "", "s");
		else if (fabs(v) >= 1e3 * up)
			fmt_sig(buf, size, v / 1e3, digits, "", "ms");
		else
			fmt_sig(buf, size, v, digits, "", "us");
		return buf;
	}
	if (!strcmp(unit, "bit/s") || !strcmp(unit, "1/s") || !strcmp(unit, "B")) {
		const char *u = !strcmp(unit, "bit/s") ? "bit/s" : !strcmp(unit, "B") ? "B" : "/s";

		for (i = 0; i < sizeof(si) / sizeof(si[0]); i++)
			if (fabs(v) >= si[i].f * up) {
				fmt_sig(buf, size, v / si[i].f, digits, si[i].p, u);
				return buf;
			}
		fmt_sig(buf, size, v, digits, "", u);
		return buf;
	}
	if (!strcmp(unit, "count"))
		unit = ""; /* "138928", not "138928 count" */
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f%s%s", v, *unit ? " " : "", unit);
	else
		snprintf(buf, size, "%.*g%s%s", digits, v, *unit ? " " : "", unit);
	return buf;
}

char *nr_fmt_value(char *buf, unsigned long size, double v, const char *unit)
{
	return nr_fmt_value_digits(buf, size, v, unit, 3);
}
