/*
 * `parse: regex`: each declared metric is the first capture group of its
 * POSIX extended regular expression, at its first match in the output.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse.h"

static int parse_regex(const struct nr_parse_spec *spec, struct nr_slice in,
		       struct nr_sample_set *set, struct nr_diag *d)
{
	char *text = nr_xstrndup(in.ptr, in.len); /* regexec needs a C string */
	size_t i;
	int r = 0;

	for (i = 0; i < spec->n_metrics && r == 0; i++) {
		const struct nr_metric_decl *m = &spec->metrics[i];
		regmatch_t g[2];
		regex_t re;
		char *num;

		if (regcomp(&re, m->source, REG_EXTENDED | REG_NEWLINE) != 0) {
			r = nr_diagf(d, NR_EINVAL, "%s: bad regular expression", m->name);
			break;
		}
		if (regexec(&re, text, 2, g, 0) == 0 && g[1].rm_so >= 0) {
			size_t line = nr_parse_line_of(in, (size_t)g[1].rm_so);

			num = nr_xstrndup(text + g[1].rm_so, (size_t)(g[1].rm_eo - g[1].rm_so));
			r = nr_sample_add_printed(set, m, NULL, num, d);
			if (r == NR_EINVAL)
				r = nr_diagf(d, NR_EPARSE, "line %zu: %s: '%s' is not a number", line,
					     m->name, num);
			else if (r < 0)
				r = nr_diagf(d, r, "line %zu: %s", line, m->name);
			free(num);
		}
		regfree(&re);
	}
	free(text);
	return r;
}

const struct nr_parser nr_parser_regex = {
	.name = "regex",
	.summary = "first capture group of a regular expression per metric",
	.needs_sources = true,
	.parse = parse_regex,
};
