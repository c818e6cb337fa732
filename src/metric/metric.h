/*
 * The domain's words: samples, units and their conversion, the metric
 * catalogue and which way a metric is better. Parsers produce samples,
 * the store keeps them, analysis and reports judge them; all of them use
 * this module, which uses nothing but base/ (a lint rule in
 * scripts/lint.sh holds both directions).
 */
#ifndef NR_METRIC_H
#define NR_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "metric/state.h"

/* Which way a metric is better; X(value, name), as in metric/state.h. */
#define NR_BETTERS(X)                                                               \
	X(NR_BETTER_NONE, "none") /* informational: not judged */                  \
	X(NR_BETTER_HIGHER, "higher")                                               \
	X(NR_BETTER_LOWER, "lower")

enum nr_better { NR_BETTERS(NR_STATE_ENUM) };

/* "higher", "lower", "none" ("none" for a value out of range too) */
const char *nr_better_name(enum nr_better b);
/* NR_EINVAL (ret untouched) for NULL or another name */
int nr_better_parse(const char *s, enum nr_better *ret);

/*
 * A sample's three strings are one allocation that starts at metric,
 * owned by its set (one malloc a sample, not three: a tool's 10,000
 * samples an attempt paid for 30,000): never free or replace one of them
 * alone; nr_sample_orig_set changes the original value and unit.
 */
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
/* Set a sample's original value and unit (as the tool printed them), its strings made anew. */
void nr_sample_orig_set(struct nr_sample *s, double orig_value, const char *orig_unit);
/* Room for n more samples without growing: for a parser that knows about how many come. */
void nr_sample_set_reserve(struct nr_sample_set *set, size_t n);
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

/*
 * The metric catalogue (metric_catalogue.c): every metric a tool parser
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
