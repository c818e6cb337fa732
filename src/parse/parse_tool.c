/*
 * Helpers shared by the tool parsers: lines without colours, numbers
 * without locale, samples with a line number in their error, notes.
 */
#include "parse/parse_tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"

/* Length of an ANSI escape sequence starting at p (p[0] == ESC). */
static size_t escape_len(const char *p, const char *end)
{
	const char *q = p + 1;

	if (q < end && *q == '[') {
		/* CSI: parameters and intermediates, then one final byte */
		for (q++; q < end; q++)
			if (*q >= 0x40 && *q <= 0x7e)
				return (size_t)(q - p) + 1;
		return (size_t)(end - p);
	}
	return q < end ? 2 : 1;
}

void nr__parse_lines_init(struct nr__parse_lines *l, struct nr_slice in)
{
	const char *p = in.ptr, *end = in.ptr + in.len;
	char *w;

	l->text = nr_xmalloc(in.len + 1);
	w = l->text;
	/* a UTF-8 byte order mark, as Windows tools write before the first line */
	if (in.len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		if (*p == '\x1b') {
			p += escape_len(p, end);
			continue;
		}
		*w++ = *p ? *p : ' ';
		p++;
	}
	*w = '\0';
	l->next = l->text;
	l->lineno = 0;
}

void nr__parse_lines_release(struct nr__parse_lines *l)
{
	free(l->text);
	l->text = l->next = NULL;
}

char *nr__parse_lines_next(struct nr__parse_lines *l)
{
	char *line = l->next, *nl;
	size_t n;

	/* NULs became spaces, so the only '\0' is the end of the text */
	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		l->next = nl + 1;
	} else {
		l->next = NULL;
	}
	n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	l->lineno++;
	return line;
}

const char *nr__parse_skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int nr__parse_number(const char **p, double *ret)
{
	const char *s = nr__parse_skip_blanks(*p), *e = s;
	char tok[64];
	double v;

	if (*e == '-' || *e == '+')
		e++;
	if (!((*e >= '0' && *e <= '9') || (*e == '.' && e[1] >= '0' && e[1] <= '9')))
		return NR_EINVAL;
	while ((*e >= '0' && *e <= '9') || *e == '.')
		e++;
	if ((*e == 'e' || *e == 'E') &&
	    ((e[1] >= '0' && e[1] <= '9') ||
	     ((e[1] == '-' || e[1] == '+') && e[2] >= '0' && e[2] <= '9'))) {
		e += 2;
		while (*e >= '0' && *e <= '9')
			e++;
	}
	if ((size_t)(e - s) >= sizeof(tok))
		return NR_EINVAL;
	memcpy(tok, s, (size_t)(e - s));
	tok[e - s] = '\0';
	if (nr_parse_double(tok, &v) < 0 || !isfinite(v))
		return NR_EINVAL;
	*ret = v;
	*p = e;
	return 0;
}

const char *nr__parse_after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) ? NULL : s + n;
}

int nr__parse_add(struct nr_sample_set *set, const char *metric, double value,
	    const char *unit, int64_t interval, size_t lineno, struct nr_diag *d)
{
	int r;

	/* Two values of one summary metric: two runs in one output, or a
	 * garbled one; storing either would hide the other. */
	if (interval < 0 && nr_sample_find(set, metric))
		return nr_diagf(d, NR_EPARSE, "line %zu: %s appears a second time (two runs "
				"in one output?)", lineno, metric);
	r = nr_sample_add_metric(set, metric, value, unit, interval);

	if (r == NR_ENOTFOUND)
		return nr_diagf(d, NR_EPARSE, "line %zu: %s: not in the metric catalogue",
				lineno, metric);
	if (r < 0 && !isfinite(value))
		return nr_diagf(d, NR_EPARSE, "line %zu: %s: expected a number, got %f",
				lineno, metric, value);
	if (r < 0) {
		const char *want = nr_metric_lookup(metric)->unit, *canon;
		double f;

		if (nr_unit_canonical(unit ? unit : want, &f, &canon) == 0 && !strcmp(canon, want))
			return nr_diagf(d, NR_EPARSE, "line %zu: %s: %g %s is out of range",
					lineno, metric, value, unit ? unit : want);
		return nr_diagf(d, NR_EPARSE, "line %zu: %s: unit '%s' is not a unit of %s",
				lineno, metric, unit ? unit : "", want);
	}
	return 0;
}

int nr__parse_add_scaled(struct nr_sample_set *set, const char *metric, double value,
			 double factor, const char *orig_unit, int64_t interval, size_t lineno,
			 struct nr_diag *d)
{
	int r;

	/* NULL: the metric's own unit, factor 1; the checks stay nr__parse_add's */
	r = nr__parse_add(set, metric, value * factor, NULL, interval, lineno, d);
	if (r < 0)
		return r;
	nr_sample_orig_set(&set->v[set->n - 1], value, orig_unit);
	return 0;
}

static void note_key(struct nr_sample_set *set, const char *key)
{
	struct nr_buf *b = &set->notes;

	if (b->len && b->buf[b->len - 1] == '}') {
		nr_buf_setlen(b, b->len - 1);
		nr_buf_adds(b, ", ");
	} else {
		nr_buf_reset(b);
		nr_buf_addch(b, '{');
	}
	nr__parse_json_string(b, key);
	nr_buf_adds(b, ": ");
}

void nr__parse_json_string(struct nr_buf *b, const char *s)
{
	nr_buf_addch(b, '"');
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n = nr_utf8_len(s, 4); /* stops at the NUL: it is no continuation byte */

		if (c == '"' || c == '\\')
			nr_buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			nr_buf_addf(b, "\\u%04x", c);
		else if (n)
			nr_buf_add(b, s, n);
		else
			nr_buf_adds(b, "\\ufffd"); /* not UTF-8: JSON cannot hold it */
		s += n ? n : 1;
	}
	nr_buf_addch(b, '"');
}

void nr__parse_note_str(struct nr_sample_set *set, const char *key, const char *value)
{
	note_key(set, key);
	nr__parse_json_string(&set->notes, value);
	nr_buf_addch(&set->notes, '}');
}

void nr__parse_note_num(struct nr_sample_set *set, const char *key, double value)
{
	note_key(set, key);
	if (isfinite(value))
		nr_buf_addf(&set->notes, "%.17g", value);
	else
		nr_buf_adds(&set->notes, "null");
	nr_buf_addch(&set->notes, '}');
}

void nr__parse_note_raw(struct nr_sample_set *set, const char *key, const char *json)
{
	note_key(set, key);
	nr_buf_adds(&set->notes, json);
	nr_buf_addch(&set->notes, '}');
}

int nr__parse_fresh(nr__parse_fn *fn, const struct nr_parse_spec *spec, struct nr_slice in,
		    struct nr_sample_set *set, struct nr_diag *d)
{
	struct nr_sample_set local = NR_SAMPLE_SET_INIT;
	int r = fn(spec, in, &local, d);

	/* the strings move with the structs: free only local's array */
	if (local.n) {
		NR_GROW(set->v, set->n + local.n, set->cap);
		memcpy(set->v + set->n, local.v, local.n * sizeof(*local.v));
		set->n += local.n;
	}
	free(local.v);
	local.v = NULL;
	local.n = local.cap = 0;
	if (local.notes.len) {
		if (set->notes.len && set->notes.buf[set->notes.len - 1] == '}') {
			/* {"a": 1} + {"b": 2} -> {"a": 1, "b": 2} */
			nr_buf_setlen(&set->notes, set->notes.len - 1);
			nr_buf_adds(&set->notes, ", ");
			nr_buf_add(&set->notes, local.notes.buf + 1, local.notes.len - 1);
		} else {
			nr_buf_reset(&set->notes);
			nr_buf_add(&set->notes, local.notes.buf, local.notes.len);
		}
	}
	nr_sample_set_release(&local);
	return r;
}
