/*
 * `parse: keyvalue`: lines "key=value" or "key: value" (neper, netperf -k,
 * many home-grown tools). With declared metrics, each reads the key named
 * by its source (or its own name); without, every numeric value becomes a
 * sample named by its key, and an output in which no line gives one is a
 * parse failure (naming the first line that was not a number: "5 Mbps"
 * is not one), never an attempt that passes with nothing measured.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/mem.h"
#include "parse/parse.h"

static const struct nr_metric_decl *declared(const struct nr_parse_spec *spec,
					     const char *key)
{
	size_t i;

	for (i = 0; i < spec->n_metrics; i++) {
		const char *want = spec->metrics[i].source ? spec->metrics[i].source
							   : spec->metrics[i].name;
		if (!strcmp(want, key))
			return &spec->metrics[i];
	}
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A declared metric's first value that was not a number, kept in case no later line has one. */
struct not_number {
	const struct nr_metric_decl *m;
	size_t line;
	char *text;
};

static int parse_keyvalue(const struct nr_parse_spec *spec, struct nr_slice in,
			  struct nr_sample_set *set, struct nr_diag *d)
{
	struct not_number bad = { 0 }, unread = { 0 };
	size_t had = set->n;
	/*
	 * The summary samples' names so far (the first value of a key wins):
	 * a lookup in the set itself made an output of n keys cost n^2/2
	 * string compares, 50 million for a tool that prints 10,000.
	 */
	struct nr_strset seen = NR_STRSET_INIT;
	struct nr_buf buf = NR_BUF_INIT;
	size_t pos = 0, line_no = 0, lines = 0, i;
	int r = 0;

	/*
	 * Each line may give a sample: room for them all at once, not grown
	 * (and copied, and page-faulted) a tenth at a time through 10,000 keys.
	 */
	for (i = 0; i < in.len; i++) {
		const char *nl = memchr(in.ptr + i, '\n', in.len - i);

		lines++;
		if (!nl)
			break;
		i = (size_t)(nl - in.ptr);
	}
	if (!spec->n_metrics) {
		nr_sample_set_reserve(set, lines);
		nr_strset_reserve(&seen, set->n + lines);
	}
	for (i = 0; i < set->n; i++)
		if (set->v[i].interval < 0)
			nr_strset_add(&seen, set->v[i].metric, i, NULL);
	while (pos < in.len) {
		const char *nl = memchr(in.ptr + pos, '\n', in.len - pos);
		size_t n = nl ? (size_t)(nl - (in.ptr + pos)) : in.len - pos;
		char *line, *sep;

		/* the line, NUL-terminated, in a buffer that every line reuses */
		nr_buf_reset(&buf);
		nr_buf_add(&buf, in.ptr + pos, n);
		line = buf.buf;
		sep = strpbrk(line, "=:");
		pos += n + 1;
		line_no++;
		if (sep) {
			const struct nr_metric_decl *m;
			char *key, *val;

			*sep = '\0';
			key = trim(line);
			val = trim(sep + 1);
			m = spec->n_metrics ? declared(spec, key) : NULL;
			if ((m || !spec->n_metrics) && *key &&
			    !nr_strset_find(&seen, m ? m->name : key, NULL)) {
				size_t before = set->n;

				r = nr_sample_add_printed(set, m, key, val, d);
				/* the set's own copy of the name: it lives as long as the set */
				if (set->n > before)
					nr_strset_add(&seen, set->v[before].metric, before, NULL);
			}
			if (r == NR_EINVAL) {
				if (m && !m->optional && !bad.m)
					bad = (struct not_number){ m, line_no, nr_xstrdup(val) };
				if (!m && *key && !unread.text)
					unread = (struct not_number){ NULL, line_no, nr_xasprintf("%s=%s", key, val) };
				r = 0;
			} else if (r < 0) {
				r = nr_diagf(d, r, "line %zu: %s", line_no, key);
			}
		}
		if (r < 0)
			break;
	}
	/* the key was there and said nothing measurable: not "missing" */
	if (r == 0 && bad.m && !nr_sample_find(set, bad.m->name))
		r = nr_diagf(d, NR_EPARSE, "line %zu: %s is '%s', not a number", bad.line,
			     bad.m->source ? bad.m->source : bad.m->name, bad.text);
	if (r == 0 && !spec->n_metrics && set->n == had) {
		if (unread.text)
			r = nr_diagf(d, NR_EPARSE, "no line gives a number; the first key's value is not one "
				     "(line %zu: '%s')", unread.line, unread.text);
		else
			r = nr_diagf(d, NR_EPARSE, "no 'key=number' or 'key: number' line in the output");
	}
	free(bad.text);
	free(unread.text);
	nr_buf_release(&buf);
	nr_strset_release(&seen);
	return r;
}

const struct nr_parser nr_parser_keyvalue = {
	.name = "keyvalue",
	.summary = "key=value or key: value lines",
	.needs_sources = false,
	.parse = parse_keyvalue,
};
