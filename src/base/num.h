/*
 * Locale-free number parsing with range checks (no atoi), and the
 * human forms netrig accepts: durations ("10s", "250ms", "1.5m", "40us";
 * a bare number is seconds) and sizes ("128K", "16M", "1G", binary).
 * All return 0 or NR_EINVAL (nr_parse_double also -ERANGE); *ret is
 * written only on success.
 */
#ifndef NR_BASE_NUM_H
#define NR_BASE_NUM_H

#include <stdint.h>

int nr_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);
int nr_parse_u64(const char *s, uint64_t max, uint64_t *ret);
/*
 * A finite number. -ERANGE for text that spells one that is not: "nan",
 * "NAN(123)", "inf", "Infinity", or beyond a double's range ("1e999").
 */
int nr_parse_double(const char *s, double *ret);
/* Accepts an optional unit suffix: ns, us, ms, s, m, h. */
int nr_parse_duration_us(const char *s, int64_t *ret_us);
/* Accepts an optional suffix K, M, G, T (powers of 1024), optional "B"/"iB". */
int nr_parse_size(const char *s, uint64_t *ret_bytes);

/*
 * A rate in decimal units: "100000", "1.5M", "20k", "2G" (k, K: 1e3; m,
 * M: 1e6; g, G: 1e9), after one of the unit words in `units` (e.g.
 * {"pps", NULL}: "1.5Mpps"; matched without case) is taken off;
 * "unlimited" and "0" are 0. Finite and not negative.
 */
int nr_parse_rate(const char *s, const char *const *units, double *ret);

/*
 * A number and the unit written after it, if any: "50ms", "9 Gbit/s",
 * "-3", "1.5e3 us". *ret_unit points into s, after the spaces ("" when
 * there is no unit); the caller judges the unit. NR_EINVAL when s does not
 * start with a (decimal) number, -ERANGE for one that is not finite
 * ("nan", "inf", "1e999 us").
 */
int nr_parse_quantity(const char *s, double *ret, const char **ret_unit);

/* "10%" -> 0.10, or a plain ratio "0.1" -> 0.10; not negative. */
int nr_parse_ratio(const char *s, double *ret);

/*
 * A duration for people, the one formatter of them all: "40.0 us",
 * "53.6 ms", "1.50 s" (three significant digits, as nr_fmt_value), then
 * "12m 34s" and "2h 05m". Into buf; returns buf.
 */
char *nr_fmt_duration(char *buf, unsigned long size, int64_t us);

/*
 * A value in its canonical unit (parse/parse.h: bit/s, us, B, 1/s, count,
 * ...) for people, with three significant digits: "24.8 Gbit/s", "12.3 us",
 * "1.50 ms", "138928" for a count. Returns buf.
 */
char *nr_fmt_value(char *buf, unsigned long size, double v, const char *unit);
/* The same with `digits` significant digits (1 to 9). */
char *nr_fmt_value_digits(char *buf, unsigned long size, double v, const char *unit, int digits);

#endif
