#include "base/num.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int nr_parse_double(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return NR_EINVAL;
	errno = 0;
	v = strtod_c(s, &end);
	if (errno == ERANGE && fabs(v) > 1.0)
		return NR_EINVAL;
	if (*end || end == s)
		return NR_EINVAL;
	*ret = v;
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
	if (us < 0)
		us = 0;
	if (us < 1000)
		snprintf(buf, size, "%lld us", (long long)us);
	else if (us < 1000000)
		snprintf(buf, size, "%.1f ms", us / 1e3);
	else if (us < 120000000)
		snprintf(buf, size, "%.1f s", us / 1e6);
	else if (us < 7200000000LL)
		snprintf(buf, size, "%lldm%02llds", (long long)(us / 60000000),
			 (long long)(us / 1000000 % 60));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(us / 3600000000LL),
			 (long long)(us / 60000000 % 60));
	return buf;
}
