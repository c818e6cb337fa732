/*
 * Parsers: turn one role's raw output into samples.
 *
 * A parser is a `static const struct nr_parser` in the registry in
 * parse.c (one file each: parse_json.c, parse_iperf3.c, ...). The generic
 * ones (json, regex, keyvalue) take the metrics the campaign declares;
 * tool parsers know their tool's metrics and take `metrics:` only as the
 * list that must be present.
 *
 * Values are converted to the canonical unit of their metric on the way in
 * (bit/s, us, %, B, 1/s, count); the original value and unit are kept.
 */
#ifndef NR_PARSE_H
#define NR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* Upper bound for one output handed to a parser. */
#define NR_PARSE_MAX_BYTES ((size_t)256 << 20)

enum nr_better {
	NR_BETTER_NONE = 0, /* informational: not judged */
	NR_BETTER_HIGHER,
	NR_BETTER_LOWER,
};

const char *nr_better_name(enum nr_better b); /* "higher", "lower", "none" */
int nr_better_parse(const char *s, enum nr_better *ret);

struct nr_sample {
	char *metric;      /* e.g. "throughput_bps", "latency_p99_us" */
	double value;      /* in `unit` */
	char *unit;        /* canonical unit */
	enum nr_better better;
	double orig_value; /* as the tool printed it */
	char *orig_unit;   /* as the tool printed it (may equal unit) */
	int64_t interval;  /* -1: a summary value; >= 0: index in a per-interval series */
};

struct nr_sample_set {
	struct nr_sample *v;
	size_t n;
	size_t cap;
	/* Free-form facts a parser wants kept beside the samples (JSON text
	 * of an object, or empty): e.g. sockperf's "half round trip". */
	struct nr_buf notes;
	/*
	 * Values the add functions refused because they were not finite
	 * (NaN, infinite, or overflowing once converted): how many, and the
	 * first one's metric (owned). nr_parse_run fails the parse on them.
	 */
	size_t n_refused;
	char *refused_metric;
};

#define NR_SAMPLE_SET_INIT { .notes = NR_BUF_INIT }

void nr_sample_set_release(struct nr_sample_set *set);
/*
 * Append a sample; strings are copied. A value that is not finite is
 * not added but counted in set->n_refused (every add function does so),
 * so no NaN or infinity ever becomes a sample.
 */
void nr_sample_add(struct nr_sample_set *set, const char *metric, double value,
		   const char *unit, enum nr_better better);
/*
 * Append a value printed in `orig_unit`: converted to the canonical unit
 * of that kind (see nr_unit_canonical). NR_EINVAL for an unknown unit;
 * -ERANGE (refused, as above) for a value that is not finite, before or
 * after the conversion (1e308 Gbit/s is no number of bit/s).
 */
int nr_sample_add_converted(struct nr_sample_set *set, const char *metric,
			    double value, const char *orig_unit,
			    enum nr_better better, int64_t interval);
/* The first summary sample of `metric`, or NULL. */
const struct nr_sample *nr_sample_find(const struct nr_sample_set *set,
				       const char *metric);

/*
 * Units. nr_unit_canonical("Mbits/sec", &factor, &canon) gives 1e6 and
 * "bit/s". Known kinds: bit rates (bit/s, Kbit/s, Mbps, Gbits/sec, kbps,
 * B/s, MB/s, ...), times (ns, us, μs, ms, s -> us), sizes (B, KB, MB,
 * KiB, ... -> B), percent, rates (1/s, /s, ops/s, pps, rps, hps),
 * count, CPU cost per byte (ns/B, us/KB, ms/GB -> ns/B). Returns 0 or
 * NR_EINVAL.
 */
int nr_unit_canonical(const char *unit, double *ret_factor, const char **ret_canon);

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
	char *stream; /* "stdout" (default), "stderr", or "both" */
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


/*
 * The metric catalogue (parse_metrics.c): every metric a tool parser
 * emits has one canonical name, unit and direction here.
 *
 * Names end with their unit (`_bps`, `_us`, `_percent`, `_per_s`, ...). A
 * name may carry a qualifier in front of a catalogued name, joined by '_'
 * ("sender_throughput_bps", "tcp_lat_latency_avg_us", "remote_cpu_percent");
 * it then has the unit and direction of the catalogued name it ends with.
 * Latency percentiles are "latency_p<N>_us" with the '.' of N written as
 * '_' ("latency_p99_9_us" is the 99.9th percentile).
 */
struct nr_metric_info {
	const char *name;
	const char *unit; /* canonical unit, as nr_unit_canonical gives it */
	enum nr_better better;
	const char *summary;
};

/* The table, sorted by name; nr_metric_catalogue_len entries. */
extern const struct nr_metric_info nr_metric_catalogue[];
extern const size_t nr_metric_catalogue_len;

/*
 * The catalogue entry for `name`: exact, else a percentile, else the
 * longest catalogued name that ends `name` after a '_'. NULL when none.
 */
const struct nr_metric_info *nr_metric_lookup(const char *name);

/* "latency_p99_9_us" for 99.9 into buf (size >= 32); "latency_min_us" for 0. */
void nr_metric_percentile_name(char *buf, size_t size, double percentile);

/*
 * Append a catalogued metric printed as `value` in `orig_unit` (NULL: the
 * metric's own unit), converted to the catalogue's unit, with its
 * direction. NR_ENOTFOUND for a name not in the catalogue, NR_EINVAL for a
 * unit that does not convert to the metric's unit or a value that is not
 * finite (nan, inf: never stored as a number).
 */
int nr_sample_add_metric(struct nr_sample_set *set, const char *metric, double value,
			 const char *orig_unit, int64_t interval);

#endif
