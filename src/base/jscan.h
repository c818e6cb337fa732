/*
 * A strict JSON scanner (RFC 8259) over text in memory, for readers that
 * know the shape they expect and want no tree: values one at a time,
 * strings unescaped into a buffer the caller gives (as large as the
 * text), no allocation. It takes a subset only: a string with a \u
 * escape or a byte outside ASCII, an integer beyond int64, a number
 * beyond a double, is "not taken" (false), like a syntax error; the
 * caller then reads the text with a full parser (jansson), which also
 * says what is wrong. What it takes, it reads as jansson does: integers
 * (no '.', no exponent) through strtoll, other numbers through strtod.
 */
#ifndef NR_BASE_JSCAN_H
#define NR_BASE_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nr_jtype { NR_J_NULL, NR_J_TRUE, NR_J_FALSE, NR_J_INT, NR_J_REAL, NR_J_STRING,
		NR_J_OBJECT, NR_J_ARRAY };

/* A value: a scalar, or the beginning of an object or array (its bracket read). */
struct nr_jvalue {
	enum nr_jtype type;
	int64_t i;     /* NR_J_INT */
	double f;      /* NR_J_REAL */
	const char *s; /* NR_J_STRING: NUL-terminated, in the scanner's buffer */
	size_t len;    /* of s */
};

struct nr_jscan {
	const char *p, *end; /* what is left of the text */
	char *out;           /* where the next string goes */
};

/* Scan text[0, len); strings go to out, which holds at least len + 1 bytes. */
void nr_jscan_init(struct nr_jscan *s, const char *text, size_t len, char *out);
/* After white space: the character c (consumed: true), or anything else (false). */
bool nr_jscan_punct(struct nr_jscan *s, char c);
/* The next value, or false (not JSON, or not taken). */
bool nr_jscan_value(struct nr_jscan *s, struct nr_jvalue *ret);
/* The next value, which must be a string. */
bool nr_jscan_string(struct nr_jscan *s, const char **ret, size_t *ret_len);
/* Nothing but white space is left. */
bool nr_jscan_end(struct nr_jscan *s);

#endif
