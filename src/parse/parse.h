/*
 * Parsers: turn one role's raw output into samples (metric/metric.h:
 * samples, units, the metric catalogue).
 *
 * A parser is a `static const struct nr_parser` in the registry in
 * parse.c (one file each: parse_json.c, parse_iperf3.c, ...). The generic
 * ones (json, regex, keyvalue) take the metrics the campaign declares;
 * tool parsers know their tool's metrics and take `metrics:` only as the
 * list that must be present.
 *
 * Values are converted to the canonical unit of their metric on the way in
 * (bit/s, us, %, B, 1/s, count); the original value and unit are kept.
 * Only code that parses tool output includes this header; code that only
 * holds, stores or judges samples includes metric/metric.h.
 */
#ifndef NR_PARSE_H
#define NR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "metric/metric.h"

/* Upper bound for one output handed to a parser. */
#define NR_PARSE_MAX_BYTES ((size_t)256 << 20)

/* A metric a campaign declares (generic parsers) or requires (tool parsers). */
struct nr_metric_decl {
	char *name;
	char *source; /* JSON pointer, regex with one capture group, or key */
	char *unit;   /* unit the value is printed in; NULL: none */
	enum nr_better better;
	bool optional; /* a missing optional metric does not fail the attempt */
};

struct nr_parser;

struct nr_parse_spec {
	const struct nr_parser *parser;
	enum nr_stream stream; /* stdout (default), stderr, or both */
	struct nr_metric_decl *metrics;
	size_t n_metrics;
};

void nr_parse_spec_release(struct nr_parse_spec *spec);

/*
 * Append the value a generic parser found printed as `text`, for declared
 * metric `m` (NULL: an undeclared one named `name`, with no unit),
 * converted to the canonical unit when its unit is known and kept as
 * printed when not. NR_EINVAL, with no message, when `text` is not a
 * number; NR_EPARSE, with nothing added, when it is one that is not
 * finite as printed or once converted ("'1e308' Gbit/s is not a finite
 * number in bit/s"): the parser puts where it found it in front.
 */
int nr_sample_add_printed(struct nr_sample_set *set, const struct nr_metric_decl *m,
			  const char *name, const char *text, struct nr_diag *d);

struct nr_parser {
	const char *name;
	const char *summary;
	/* true: the campaign must declare metrics with a `source` */
	bool needs_sources;
	/*
	 * Parse `in` into `set` (appending). Returns 0, or NR_EPARSE with a
	 * message naming the line and what was expected. Must not crash or
	 * read out of bounds on any input; `in` is not NUL-terminated.
	 */
	int (*parse)(const struct nr_parse_spec *spec, struct nr_slice in,
		     struct nr_sample_set *set, struct nr_diag *d);
};

/* The registry, NULL-terminated and sorted by name. */
extern const struct nr_parser *const nr_parsers[];
const struct nr_parser *nr_parser_find(const char *name);

/*
 * Run spec's parser on `in`, then check that it produced no value that is
 * not finite (NR_EPARSE naming the first) and that every declared,
 * non-optional metric is present (NR_EMISSING, "metric X missing"); set
 * is filled as far as parsing went either way.
 */
int nr_parse_run(const struct nr_parse_spec *spec, struct nr_slice in,
		 struct nr_sample_set *set, struct nr_diag *d);

/* "line N" context: the 1-based line number of byte `off` in `in`. */
size_t nr_parse_line_of(struct nr_slice in, size_t off);

#endif
