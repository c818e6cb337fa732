/*
 * The parser registry, a generic parser's printed value into a sample,
 * and the check that every declared metric was found.
 */
#include "parse/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"

extern const struct nr_parser nr_parser_grpc_qps;
extern const struct nr_parser nr_parser_iperf3;
extern const struct nr_parser nr_parser_json;
extern const struct nr_parser nr_parser_keyvalue;
extern const struct nr_parser nr_parser_neper;
extern const struct nr_parser nr_parser_netperf;
extern const struct nr_parser nr_parser_netrig;
extern const struct nr_parser nr_parser_perftest;
extern const struct nr_parser nr_parser_qperf;
extern const struct nr_parser nr_parser_regex;
extern const struct nr_parser nr_parser_secnetperf;
extern const struct nr_parser nr_parser_sockperf;

/* Sorted by name. */
const struct nr_parser *const nr_parsers[] = {
	&nr_parser_grpc_qps,
	&nr_parser_iperf3,
	&nr_parser_json,
	&nr_parser_keyvalue,
	&nr_parser_neper,
	&nr_parser_netperf,
	&nr_parser_netrig,
	&nr_parser_perftest,
	&nr_parser_qperf,
	&nr_parser_regex,
	&nr_parser_secnetperf,
	&nr_parser_sockperf,
	NULL,
};

const struct nr_parser *nr_parser_find(const char *name)
{
	size_t i;

	for (i = 0; nr_parsers[i]; i++)
		if (!strcmp(nr_parsers[i]->name, name))
			return nr_parsers[i];
	return NULL;
}

int nr_sample_add_printed(struct nr_sample_set *set, const struct nr_metric_decl *m,
			  const char *name, const char *text, struct nr_diag *d)
{
	const char *unit = m ? m->unit : NULL, *canon = NULL;
	double x, factor = 1;
	int r = nr_parse_double(text, &x);

	if (r == -ERANGE)
		return nr_diagf(d, NR_EPARSE, "'%s' is not a finite number", text);
	if (r < 0)
		return NR_EINVAL;
	if (unit && nr_unit_canonical(unit, &factor, &canon) < 0)
		canon = NULL; /* a unit netrig does not know: the value is kept as printed */
	if (!canon) { /* x is finite: the set takes it */
		nr_sample_add(set, m ? m->name : name, x, unit, m ? m->better : NR_BETTER_NONE);
		return 0;
	}
	if (nr_sample_add_converted(set, m->name, x, unit, m->better, -1) < 0)
		return nr_diagf(d, NR_EPARSE, "'%s' %s is not a finite number in %s", text, unit,
				canon);
	return 0;
}

void nr_parse_spec_release(struct nr_parse_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->n_metrics; i++) {
		free(spec->metrics[i].name);
		free(spec->metrics[i].source);
		free(spec->metrics[i].unit);
	}
	free(spec->metrics);
	memset(spec, 0, sizeof(*spec));
}

size_t nr_parse_line_of(struct nr_slice in, size_t off)
{
	size_t i, line = 1;

	if (off > in.len)
		off = in.len;
	for (i = 0; i < off; i++)
		if (in.ptr[i] == '\n')
			line++;
	return line;
}

int nr_parse_run(const struct nr_parse_spec *spec, struct nr_slice in,
		 struct nr_sample_set *set, struct nr_diag *d)
{
	size_t i;
	int r;

	if (in.len > NR_PARSE_MAX_BYTES)
		return nr_diagf(d, NR_ETOOBIG, "output of %zu bytes is larger than %zu",
				in.len, NR_PARSE_MAX_BYTES);
	r = spec->parser->parse(spec, in, set, d);
	if (r < 0)
		return nr_diagf(d, r, "%s", spec->parser->name);
	/* a parser that found its place but not a finite value there */
	if (set->n_refused)
		return nr_diagf(d, NR_EPARSE, "%s: %s is not a finite number (%zu value%s refused)",
				spec->parser->name, set->refused_metric, set->n_refused,
				set->n_refused == 1 ? "" : "s");
	for (i = 0; i < spec->n_metrics; i++) {
		const struct nr_metric_decl *m = &spec->metrics[i];

		if (!m->optional && !nr_sample_find(set, m->name))
			return nr_diagf(d, NR_EMISSING, "%s: metric %s missing from the output",
					spec->parser->name, m->name);
	}
	return 0;
}
