/*
 * Helpers shared by the tool parsers (parse_iperf3.c, parse_sockperf.c,
 * ...): internal to the parse module, not part of its face (parse.h).
 */
#ifndef NR_PARSE_TOOL_H
#define NR_PARSE_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "parse/parse.h"

/*
 * The input as lines: a private NUL-terminated copy in which NUL bytes
 * become spaces, ANSI escape sequences (colours) and a leading UTF-8 byte
 * order mark are removed, and each line loses its trailing '\r'.
 */
struct nr__parse_lines {
	char *text;
	char *next;    /* start of the next line, NULL at the end */
	size_t lineno; /* 1-based number of the line last returned */
};

void nr__parse_lines_init(struct nr__parse_lines *l, struct nr_slice in);
void nr__parse_lines_release(struct nr__parse_lines *l);
/* The next line (NUL-terminated, writable until release) or NULL. */
char *nr__parse_lines_next(struct nr__parse_lines *l);

/* Skip blanks (space, tab) and return the new position. */
const char *nr__parse_skip_blanks(const char *p);
/*
 * Read a locale-free decimal number at *p (after blanks): digits, sign,
 * '.', exponent. Advances *p past it. Refuses nan/inf spellings: they are
 * not numbers a sample may hold. Returns 0 or NR_EINVAL (*p unchanged).
 */
int nr__parse_number(const char **p, double *ret);
/* If s starts with prefix, the position after it; else NULL. */
const char *nr__parse_after(const char *s, const char *prefix);

/*
 * nr_sample_add_metric with a message naming `lineno` on failure (an
 * unknown unit, a value that is not finite, or a summary metric that is
 * already in the set).
 */
int nr__parse_add(struct nr_sample_set *set, const char *metric, double value,
	    const char *unit, int64_t interval, size_t lineno, struct nr_diag *d);

/*
 * nr__parse_add for a unit a tool defines itself (netperf's "MBytes" is
 * 2^20 bytes and its "10^0bits" are bytes, sockperf's "Mbps" is 2^20
 * bit/s, neper's "KBytes/s" is 1024 B/s): `value`, printed in
 * `orig_unit`, is `value * factor` in the catalogue unit of `metric`. The
 * printed value and unit are kept as the sample's orig_value and orig_unit.
 */
int nr__parse_add_scaled(struct nr_sample_set *set, const char *metric, double value,
			 double factor, const char *orig_unit, int64_t interval, size_t lineno,
			 struct nr_diag *d);

/*
 * Run `fn` into a fresh sample set, then append its samples and notes to
 * `set` (whatever `fn` returned), so that a parser's own checks (a summary
 * metric given twice) see only its samples, not those of another role's
 * output parsed into the same set before.
 */
typedef int nr__parse_fn(const struct nr_parse_spec *spec, struct nr_slice in,
			 struct nr_sample_set *set, struct nr_diag *d);
int nr__parse_fresh(nr__parse_fn *fn, const struct nr_parse_spec *spec, struct nr_slice in,
		    struct nr_sample_set *set, struct nr_diag *d);

/* Append s to b as a JSON string (escaped; bytes that are not UTF-8 become U+FFFD). */
void nr__parse_json_string(struct nr_buf *b, const char *s);

/* Append "key": value to set->notes, opening or extending its JSON object. */
void nr__parse_note_str(struct nr_sample_set *set, const char *key, const char *value);
void nr__parse_note_num(struct nr_sample_set *set, const char *key, double value);
/* Append "key": followed by raw JSON text (an array or object). */
void nr__parse_note_raw(struct nr_sample_set *set, const char *key, const char *json);

#endif
