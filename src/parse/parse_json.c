/*
 * `parse: json`: one JSON document; each declared metric is read from a
 * JSON pointer (RFC 6901), e.g. /end/sum_received/bits_per_second.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "parse/parse.h"

/* Follow an RFC 6901 pointer; NULL when it leads nowhere. */
static json_t *pointer_get(json_t *root, const char *ptr)
{
	json_t *cur = root;
	const char *p = ptr;

	if (!*p)
		return root;
	if (*p != '/')
		return NULL;
	while (cur && *p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *tok = nr_xmalloc(n + 1), *w = tok;
		size_t i;

		for (i = 0; i < n; i++) {
			const char *c = p + 1 + i;

			if (c[0] == '~' && i + 1 < n && c[1] == '0') {
				*w++ = '~';
				i++;
			} else if (c[0] == '~' && i + 1 < n && c[1] == '1') {
				*w++ = '/';
				i++;
			} else {
				*w++ = *c;
			}
		}
		*w = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			int64_t idx;

			if (!strcmp(tok, "-") || nr_parse_i64(tok, 0, INT32_MAX, &idx) < 0)
				cur = NULL;
			else
				cur = json_array_get(cur, (size_t)idx);
		} else {
			cur = NULL;
		}
		free(tok);
		p += n + 1;
	}
	return cur;
}

/*
 * The value at a pointer as text: a string as it is (some tools write
 * 64-bit integers as strings, gRPC's JSON mapping), a number as the
 * shortest text that reads back as the same double. NULL for anything else.
 */
static const char *text_of(json_t *v, char *buf, size_t size)
{
	double x, back;
	int prec;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (!json_is_real(v))
		return NULL;
	x = json_real_value(v);
	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, x);
		if (nr_parse_double(buf, &back) == 0 && back == x)
			return buf;
	}
	snprintf(buf, size, "%.17g", x);
	return buf;
}

static int parse_json(const struct nr_parse_spec *spec, struct nr_slice in,
		      struct nr_sample_set *set, struct nr_diag *d)
{
	json_error_t err;
	json_t *root;
	size_t i;
	int r = 0;

	root = json_loadb(in.ptr, in.len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &err);
	if (!root)
		return nr_diagf(d, NR_EPARSE, "line %d, column %d: %s", err.line,
				err.column, err.text);
	for (i = 0; i < spec->n_metrics; i++) {
		const struct nr_metric_decl *m = &spec->metrics[i];
		json_t *v = pointer_get(root, m->source);
		const char *text;
		char buf[40];

		if (!v)
			continue; /* nr_parse_run names what is missing */
		text = text_of(v, buf, sizeof(buf));
		r = text ? nr_sample_add_printed(set, m, NULL, text, d) : NR_EINVAL;
		if (r == NR_EINVAL) {
			r = nr_diagf(d, NR_EPARSE, "%s at %s is not a number", m->name,
				     m->source);
			break;
		}
		if (r < 0) {
			r = nr_diagf(d, r, "%s at %s", m->name, m->source);
			break;
		}
	}
	json_decref(root);
	return r;
}

const struct nr_parser nr_parser_json = {
	.name = "json",
	.summary = "values at JSON pointers of one JSON document",
	.needs_sources = true,
	.parse = parse_json,
};
