/*
 * Samples and sample sets, units and their canonical forms, and the names
 * of a metric's direction.
 */
#include "metric/metric.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"

#define NAME(value, name) [value] = name,
static const char *const better_names[] = { NR_BETTERS(NAME) };
#undef NAME

const char *nr_better_name(enum nr_better b)
{
	return (size_t)b < NR_ARRAY_SIZE(better_names) ? better_names[b] : "none";
}

int nr_better_parse(const char *s, enum nr_better *ret)
{
	size_t i;

	for (i = 0; s && i < NR_ARRAY_SIZE(better_names); i++) {
		if (!strcmp(s, better_names[i])) {
			*ret = (enum nr_better)i;
			return 0;
		}
	}
	return NR_EINVAL;
}

void nr_sample_set_release(struct nr_sample_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i].metric); /* and its unit and orig_unit, of the same block */
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
	nr_buf_release(&set->notes);
	free(set->refused_metric);
	set->refused_metric = NULL;
	set->n_refused = 0;
}

void nr_sample_set_reserve(struct nr_sample_set *set, size_t n)
{
	if (n > SIZE_MAX - set->n)
		return; /* nothing can be that many: growing as they come fails as it should */
	NR_GROW(set->v, set->n + n, set->cap);
}

/* metric, unit and orig_unit copied into one block (s->metric's); the old one is the caller's. */
static void strings_set(struct nr_sample *s, const char *metric, const char *unit,
			const char *orig_unit)
{
	size_t lm = strlen(metric) + 1, lu = strlen(unit) + 1, lo = strlen(orig_unit) + 1;
	char *p = nr_xmalloc(lm + lu + lo);

	s->metric = memcpy(p, metric, lm);
	s->unit = memcpy(p + lm, unit, lu);
	s->orig_unit = memcpy(p + lm + lu, orig_unit, lo);
}

void nr_sample_orig_set(struct nr_sample *s, double orig_value, const char *orig_unit)
{
	char *old = s->metric;

	strings_set(s, old, s->unit, orig_unit ? orig_unit : "");
	free(old);
	s->orig_value = orig_value;
}

/* The one door into a sample set: nothing that is not finite gets through. */
static int add(struct nr_sample_set *set, const char *metric, double value,
	       const char *unit, enum nr_better better, double orig_value,
	       const char *orig_unit, int64_t interval)
{
	struct nr_sample *s;

	if (!isfinite(value) || !isfinite(orig_value)) {
		if (!set->n_refused++)
			set->refused_metric = nr_xstrdup(metric);
		return -ERANGE;
	}
	NR_GROW(set->v, set->n + 1, set->cap);
	s = &set->v[set->n++];
	strings_set(s, metric, unit ? unit : "", orig_unit ? orig_unit : (unit ? unit : ""));
	s->value = value;
	s->better = better;
	s->orig_value = orig_value;
	s->interval = interval;
	return 0;
}

void nr_sample_add(struct nr_sample_set *set, const char *metric, double value,
		   const char *unit, enum nr_better better)
{
	(void)add(set, metric, value, unit, better, value, unit, -1); /* counted when refused */
}

int nr_sample_add_converted(struct nr_sample_set *set, const char *metric,
			    double value, const char *orig_unit,
			    enum nr_better better, int64_t interval)
{
	const char *canon;
	double factor;

	if (nr_unit_canonical(orig_unit, &factor, &canon) < 0)
		return NR_EINVAL;
	/* value * factor overflows to an infinity for a large finite value */
	return add(set, metric, value * factor, canon, better, value, orig_unit, interval);
}

const struct nr_sample *nr_sample_find(const struct nr_sample_set *set,
				       const char *metric)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].interval < 0 && !strcmp(set->v[i].metric, metric))
			return &set->v[i];
	return NULL;
}

/*
 * Units: every spelling the supported tools print, and its factor to the
 * canonical unit of its kind. Matching is exact first, then ignoring case
 * (but "MB" and "Mb" differ in case only, so exact entries come first).
 */
static const struct unit {
	const char *name;
	double factor;
	const char *canon;
} units[] = {
	/* bit rates -> bit/s */
	{ "bit/s", 1, "bit/s" }, { "bits/s", 1, "bit/s" }, { "bps", 1, "bit/s" },
	{ "bits/sec", 1, "bit/s" }, { "b/s", 1, "bit/s" },
	{ "Kbit/s", 1e3, "bit/s" }, { "kbit/s", 1e3, "bit/s" }, { "kbps", 1e3, "bit/s" },
	{ "Kbps", 1e3, "bit/s" }, { "Kbits/sec", 1e3, "bit/s" }, { "Kb/s", 1e3, "bit/s" },
	{ "Mbit/s", 1e6, "bit/s" }, { "Mbps", 1e6, "bit/s" }, { "Mbits/sec", 1e6, "bit/s" },
	{ "Mb/s", 1e6, "bit/s" }, { "mbps", 1e6, "bit/s" },
	{ "Gbit/s", 1e9, "bit/s" }, { "Gbps", 1e9, "bit/s" }, { "Gbits/sec", 1e9, "bit/s" },
	{ "Gb/s", 1e9, "bit/s" }, { "Tbit/s", 1e12, "bit/s" },
	{ "10^6bits/s", 1e6, "bit/s" }, { "10^3bits/s", 1e3, "bit/s" },
	{ "10^9bits/s", 1e9, "bit/s" }, { "10^0bits/s", 1, "bit/s" },
	{ "10^6bits/sec", 1e6, "bit/s" }, { "10^3bits/sec", 1e3, "bit/s" },
	{ "10^9bits/sec", 1e9, "bit/s" }, { "10^0bits/sec", 1, "bit/s" },
	/* byte rates -> bit/s */
	{ "B/s", 8, "bit/s" }, { "Bytes/sec", 8, "bit/s" }, { "KB/s", 8e3, "bit/s" },
	{ "MB/s", 8e6, "bit/s" }, { "GB/s", 8e9, "bit/s" }, { "KiB/s", 8 * 1024.0, "bit/s" },
	{ "MiB/s", 8 * 1048576.0, "bit/s" }, { "GiB/s", 8 * 1073741824.0, "bit/s" },
	{ "MBps", 8e6, "bit/s" },
	/* qperf prints decimal byte rates; the bit spellings are listed so
	 * that the case-blind match never turns "Mb/sec" into bytes */
	{ "bytes/sec", 8, "bit/s" }, { "KB/sec", 8e3, "bit/s" }, { "MB/sec", 8e6, "bit/s" },
	{ "GB/sec", 8e9, "bit/s" }, { "TB/sec", 8e12, "bit/s" },
	{ "Kb/sec", 1e3, "bit/s" }, { "Mb/sec", 1e6, "bit/s" }, { "Gb/sec", 1e9, "bit/s" },
	/* times -> us */
	{ "us", 1, "us" }, { "usec", 1, "us" }, { "\xce\xbcs", 1, "us" },
	{ "\xc2\xb5s", 1, "us" }, { "microseconds", 1, "us" },
	{ "ns", 1e-3, "us" }, { "nsec", 1e-3, "us" }, { "nanoseconds", 1e-3, "us" },
	{ "ms", 1e3, "us" }, { "msec", 1e3, "us" }, { "milliseconds", 1e3, "us" },
	{ "s", 1e6, "us" }, { "sec", 1e6, "us" }, { "seconds", 1e6, "us" },
	/* sizes -> B */
	{ "B", 1, "B" }, { "bytes", 1, "B" }, { "Bytes", 1, "B" },
	{ "KB", 1e3, "B" }, { "MB", 1e6, "B" }, { "GB", 1e9, "B" },
	{ "KiB", 1024.0, "B" }, { "MiB", 1048576.0, "B" }, { "GiB", 1073741824.0, "B" },
	{ "KBytes", 1024.0, "B" }, { "MBytes", 1048576.0, "B" }, { "GBytes", 1073741824.0, "B" },
	/* ratios -> % */
	{ "%", 1, "%" }, { "percent", 1, "%" }, { "fraction", 100, "%" },
	/* event rates -> 1/s */
	{ "1/s", 1, "1/s" }, { "/s", 1, "1/s" }, { "ops/s", 1, "1/s" }, { "pps", 1, "1/s" },
	{ "rps", 1, "1/s" }, { "hps", 1, "1/s" }, { "tps", 1, "1/s" }, { "msg/s", 1, "1/s" },
	{ "msgs/sec", 1, "1/s" }, { "trans/s", 1, "1/s" }, { "conn/s", 1, "1/s" },
	{ "Kpps", 1e3, "1/s" }, { "Mpps", 1e6, "1/s" },
	{ "msg/sec", 1, "1/s" }, { "/sec", 1, "1/s" }, { "K/sec", 1e3, "1/s" },
	{ "M/sec", 1e6, "1/s" }, { "G/sec", 1e9, "1/s" },
	/* CPU time per byte (service demand) -> ns/B; netperf's KB is 1024 B */
	{ "ns/B", 1, "ns/B" }, { "us/KB", 1000 / 1024.0, "ns/B" },
	{ "ms/GB", 1e-3, "ns/B" }, { "ms/MB", 1, "ns/B" }, { "sec/GB", 1, "ns/B" },
	/* plain numbers */
	{ "count", 1, "count" }, { "", 1, "" },
};

int nr_unit_canonical(const char *unit, double *ret_factor, const char **ret_canon)
{
	size_t i;

	if (!unit)
		unit = "";
	for (i = 0; i < NR_ARRAY_SIZE(units); i++) {
		if (!strcmp(unit, units[i].name)) {
			*ret_factor = units[i].factor;
			*ret_canon = units[i].canon;
			return 0;
		}
	}
	for (i = 0; i < NR_ARRAY_SIZE(units); i++) {
		if (!strcasecmp(unit, units[i].name)) {
			*ret_factor = units[i].factor;
			*ret_canon = units[i].canon;
			return 0;
		}
	}
	return NR_EINVAL;
}
