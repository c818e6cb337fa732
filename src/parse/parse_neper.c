/*
 * `parse: neper`: the key=value lines neper (tcp_rr, tcp_crr, udp_rr,
 * tcp_stream, udp_stream) prints. Its options are echoed in the same form
 * first (num_flows=1, test_length=10, ...), then total_run_time= (the -l
 * option again), then the results from invalid_secret_count= and
 * time_start= on. Options are settings: counted in the notes, not stored.
 *
 * Two shapes (google/neper):
 * - since 92e91f0 (2019-07-25): the rr tests print num_transactions,
 *   latency_min/max/mean/stddev and latency_p<N> (seconds), time_end,
 *   correlation_coefficient, throughput (transactions/s); the stream tests'
 *   receiving side prints throughput and throughput_units; every output
 *   ends with local_throughput= and remote_throughput= (thread.c,
 *   run_main_thread()). A stream test's sending side prints no throughput=
 *   and local_throughput=0: the receiver's rate is its remote_throughput.
 * - before (2016): start_index, end_index, num_samples, then throughput
 *   (rr, transactions/s) or throughput_Mbps (stream), correlation_coefficient
 *   and time_end; rr's latency_min/max/mean/stddev come last. With fewer
 *   than two samples neper printed no throughput at all.
 * An output without the last line of its shape is cut short: a failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

/*
 * neper's throughput units (common.c, conversions[]: the name printed in
 * throughput_units= and its bytes per second): K, M, G are 1024-based for
 * "KBytes/s" and the "i" units, 1000-based otherwise. Factors to bit/s.
 */
static const struct {
	const char *name;
	double bits;
} units[] = {
	{ "bits/s", 1 }, { "10^3bits/s", 1e3 }, { "10^6bits/s", 1e6 }, { "10^9bits/s", 1e9 },
	{ "B/s", 8 }, { "KBytes/s", 8 * 1024.0 }, { "MBytes/s", 8 * 1048576.0 },
	{ "GBytes/s", 8 * 1073741824.0 },
	{ "Kbit/s", 1e3 }, { "Mbit/s", 1e6 }, { "Gbit/s", 1e9 },
	{ "KB/s", 8e3 }, { "MB/s", 8e6 }, { "GB/s", 8e9 },
	{ "Kibit/s", 1024.0 }, { "Mibit/s", 1048576.0 }, { "Gibit/s", 1073741824.0 },
	{ "KiB/s", 8 * 1024.0 }, { "MiB/s", 8 * 1048576.0 }, { "GiB/s", 8 * 1073741824.0 },
};

/* throughput_Mbps= of the 2016 stream tests: bytes/s x 8 / 1e6 */
#define NEPER_OLD_MBPS_BITS 1e6

static const struct {
	const char *key, *metric, *unit;
} keys[] = {
	{ "num_transactions", "transactions", "count" },
	{ "latency_min", "latency_min_us", "s" },
	{ "latency_max", "latency_max_us", "s" },
	{ "latency_mean", "latency_avg_us", "s" },
	{ "latency_stddev", "latency_stddev_us", "s" },
	{ "correlation_coefficient", "correlation_coefficient", "" },
};

struct kv {
	char key[64];
	char val[64];
	size_t lineno;
};

struct out {
	struct kv *v;
	size_t n;
	size_t results;  /* index of the first result line, n when none */
	bool old;        /* the 2016 shape (start_index=) */
	bool rr;         /* a request/response test */
	int client;      /* the client= option echoed: 1, 0, or -1 when not printed */
	size_t last;     /* the last line number of the input */
};

static const struct kv *get(const struct out *o, const char *key)
{
	size_t i;

	for (i = o->results; i < o->n; i++)
		if (!strcmp(o->v[i].key, key))
			return &o->v[i];
	return NULL;
}

static int number(const struct kv *kv, double *ret, struct nr_diag *d)
{
	const char *p = kv->val;

	if (nr__parse_number(&p, ret) < 0 || *nr__parse_skip_blanks(p))
		return nr_diagf(d, NR_EPARSE, "line %zu: %s: expected a number, found '%s'",
				kv->lineno, kv->key, kv->val);
	return 0;
}

/* The first line of a result key (before any time_start=), or NULL. */
static const struct kv *first_result(const struct out *o)
{
	static const char *const res[] = { "num_transactions", "throughput", "throughput_Mbps",
					   "throughput_units", "local_throughput",
					   "remote_throughput", "correlation_coefficient",
					   "time_end" };
	size_t i, k;

	for (i = 0; i < o->n; i++) {
		/* no option starts with latency_ (the echo has percentiles=) */
		if (!strncmp(o->v[i].key, "latency_", 8))
			return &o->v[i];
		for (k = 0; k < NR_ARRAY_SIZE(res); k++)
			if (!strcmp(o->v[i].key, res[k]))
				return &o->v[i];
	}
	return NULL;
}

/* An output that stops before the last line of its shape. */
static int complete(const struct out *o, struct nr_diag *d)
{
	const struct kv *ns = get(o, "num_samples");
	double samples;

	if (o->results == o->n) {
		const struct kv *res = first_result(o);

		if (res)
			return nr_diagf(d, NR_EPARSE, "line %zu: %s= and other results without "
					"the invalid_secret_count= or time_start= line neper starts "
					"them with: an excerpt, not neper's whole output",
					res->lineno, res->key);
		return nr_diagf(d, NR_EPARSE, "line %zu: only neper's options are here, no "
				"results (no invalid_secret_count= or time_start= line): the run "
				"did not finish", o->last);
	}
	if (!o->old) {
		if (!o->rr && !get(o, "throughput") && !get(o, "remote_throughput") &&
		    o->v[o->n - 1].key[0] && !strcmp(o->v[o->n - 1].key, "nivcsw_end"))
			return nr_diagf(d, NR_EPARSE, "line %zu: the output ends after the rusage "
					"lines: cut before remote_throughput= (neper 2019-07 or "
					"later), or the sending side of a 2016 stream test, which "
					"prints no throughput (parse the receiver's output)", o->last);
		if (!get(o, "remote_throughput"))
			return nr_diagf(d, NR_EPARSE, "line %zu: the output ends before "
					"remote_throughput=, the last line neper prints (cut "
					"short?)", o->last);
		if (o->rr && !get(o, "throughput"))
			return nr_diagf(d, NR_EPARSE, "line %zu: a request/response test without "
					"its throughput= line", o->last);
		return 0;
	}
	if (get(o, o->rr ? "throughput" : "throughput_Mbps")) {
		if (!get(o, "time_end"))
			return nr_diagf(d, NR_EPARSE, "line %zu: the output ends before time_end= "
					"(cut short?)", o->last);
		/* a 2016 rr client prints its latency after time_end=, a server none
		 * (tcp_rr.c, report_latency(): "if (!opts->client) return;") */
		if (o->rr && !get(o, "latency_stddev") && o->client != 0)
			return nr_diagf(d, NR_EPARSE, o->client == 1 ?
					"line %zu: the output ends before latency_stddev= (cut "
					"short?)" :
					"line %zu: a 2016 request/response output that ends at "
					"time_end= is whole only from the server, which prints no "
					"latency; no client= option line says which side wrote it",
					o->last);
		return 0;
	}
	if (ns && number(ns, &samples, NULL) == 0 && samples < 2)
		return nr_diagf(d, NR_EPARSE, "line %zu: num_samples=%g: neper printed no "
				"throughput (it needs two samples: a longer -l)", ns->lineno,
				samples);
	return nr_diagf(d, NR_EPARSE, "line %zu: the output ends before its throughput (cut "
			"short?)", o->last);
}

/* "throughput=" of the current shape: transactions/s, or the throughput_units. */
static int throughput(const struct out *o, const struct kv *kv, struct nr_sample_set *set,
		      struct nr_diag *d)
{
	const struct kv *u = get(o, "throughput_units");
	double x;
	size_t k;

	if (number(kv, &x, d) < 0)
		return NR_EPARSE;
	if (o->rr)
		return nr__parse_add(set, "transactions_per_s", x, "1/s", -1, kv->lineno, d);
	if (!u)
		return nr_diagf(d, NR_EPARSE, "line %zu: throughput= without the "
				"throughput_units= line neper prints after it", kv->lineno);
	for (k = 0; k < NR_ARRAY_SIZE(units); k++)
		if (!strcmp(units[k].name, u->val))
			return nr__parse_add_scaled(set, "throughput_bps", x, units[k].bits, u->val,
						    -1, kv->lineno, d);
	return nr_diagf(d, NR_EPARSE, "line %zu: unknown throughput_units '%s'", u->lineno,
			u->val);
}

/*
 * local_/remote_throughput: this side's and the peer's rate, bit/s in the
 * stream tests, transactions/s (truncated) in the rr tests; 0 where that
 * side does not measure (a stream sender), which is not a rate.
 */
static int side_rate(const struct out *o, const struct kv *kv, const char *side,
		     struct nr_sample_set *set, struct nr_buf *skipped, struct nr_diag *d)
{
	char metric[64];
	double x;

	if (number(kv, &x, d) < 0)
		return NR_EPARSE;
	if (x == 0) {
		nr_buf_adds(skipped, skipped->len ? ", " : "[");
		nr__parse_json_string(skipped, kv->key);
		return 0;
	}
	snprintf(metric, sizeof(metric), "%s_%s", side,
		 o->rr ? "transactions_per_s" : "throughput_bps");
	return nr__parse_add(set, metric, x, o->rr ? "1/s" : "bit/s", -1, kv->lineno, d);
}

static int store(const struct out *o, struct nr_sample_set *set, size_t *ret_settings,
		 struct nr_buf *skipped, struct nr_diag *d)
{
	size_t i, k, settings = 0;
	int r = 0;

	for (i = 0; i < o->n && r == 0; i++) {
		const struct kv *kv = &o->v[i];
		double x;

		if (i < o->results) {
			settings++;
			continue;
		}
		if (!strcmp(kv->key, "throughput")) {
			r = throughput(o, kv, set, d);
		} else if (!strcmp(kv->key, "throughput_Mbps")) {
			r = number(kv, &x, d);
			if (!r)
				r = nr__parse_add_scaled(set, "throughput_bps", x, NEPER_OLD_MBPS_BITS,
							 "Mbit/s", -1, kv->lineno, d);
		} else if (!strcmp(kv->key, "local_throughput")) {
			r = side_rate(o, kv, "local", set, skipped, d);
		} else if (!strcmp(kv->key, "remote_throughput")) {
			r = side_rate(o, kv, "remote", set, skipped, d);
		} else if (!strncmp(kv->key, "latency_p", 9)) {
			/* latency_p%g: latency_p50, latency_p99.9 */
			const char *p = kv->key + 9;
			char name[64];
			double pc;

			if (nr__parse_number(&p, &pc) < 0 || *p || pc <= 0 || pc > 100)
				return nr_diagf(d, NR_EPARSE, "line %zu: %s: not a percentile",
						kv->lineno, kv->key);
			nr_metric_percentile_name(name, sizeof(name), pc);
			r = number(kv, &x, d);
			if (!r)
				r = nr__parse_add(set, name, x, "s", -1, kv->lineno, d);
		} else {
			for (k = 0; k < NR_ARRAY_SIZE(keys); k++)
				if (!strcmp(keys[k].key, kv->key))
					break;
			if (k == NR_ARRAY_SIZE(keys))
				continue; /* rusage, time_start, num_samples, ... */
			r = number(kv, &x, d);
			if (!r)
				r = nr__parse_add(set, keys[k].metric, x, keys[k].unit, -1,
						  kv->lineno, d);
		}
	}
	*ret_settings = settings;
	return r;
}

/*
 * throughput= and local_throughput= are one rate printed twice (rr.c and
 * stream.c set local_rate from the same value): throughput with two
 * decimals in its unit, local_throughput truncated to an integer (bit/s,
 * or transactions/s). If they disagree, a unit was read wrong.
 */
static int agree(const struct out *o, const struct nr_sample_set *set, struct nr_diag *d)
{
	const struct nr_sample *t = nr_sample_find(set, o->rr ? "transactions_per_s"
							       : "throughput_bps");
	const struct nr_sample *l = nr_sample_find(set, o->rr ? "local_transactions_per_s"
							       : "local_throughput_bps");
	const struct kv *kv = get(o, "local_throughput");
	double tol;

	if (!t || !l || !kv)
		return 0;
	/* half a unit of throughput's last decimal, plus the truncation */
	tol = 0.005 * (t->orig_value != 0 ? t->value / t->orig_value : 1) + 1;
	if (fabs(t->value - l->value) > tol)
		return nr_diagf(d, NR_EPARSE, "line %zu: local_throughput=%s does not agree with "
				"throughput= (%g %s): the parts of this output disagree",
				kv->lineno, kv->val, t->orig_value, t->orig_unit);
	return 0;
}

static int parse_neper_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
		       struct nr_sample_set *set, struct nr_diag *d)
{
	struct out o = { 0 };
	struct nr_buf skipped = NR_BUF_INIT;
	size_t cap = 0, settings = 0, i;
	struct nr__parse_lines l;
	char *s;
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		char *eq = strchr(s, '=');
		size_t klen = eq ? (size_t)(eq - s) : 0;

		if (!eq || !klen || klen >= sizeof(o.v->key) ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") != klen)
			continue;
		NR_GROW(o.v, o.n + 1, cap);
		memcpy(o.v[o.n].key, s, klen);
		o.v[o.n].key[klen] = '\0';
		snprintf(o.v[o.n].val, sizeof(o.v[o.n].val), "%s", eq + 1);
		o.v[o.n].lineno = l.lineno;
		o.n++;
	}
	o.last = l.lineno ? l.lineno : 1;
	o.client = -1;
	for (o.results = 0; o.results < o.n; o.results++)
		if (!strcmp(o.v[o.results].key, "invalid_secret_count") ||
		    !strcmp(o.v[o.results].key, "time_start"))
			break;
	for (i = o.results; i < o.n; i++) {
		if (!strcmp(o.v[i].key, "start_index") || !strcmp(o.v[i].key, "throughput_Mbps"))
			o.old = true;
		if (!strcmp(o.v[i].key, "num_transactions") || !strncmp(o.v[i].key, "latency_", 8))
			o.rr = true;
	}
	for (i = 0; i < o.results; i++)
		if (!strcmp(o.v[i].key, "client") && (!strcmp(o.v[i].val, "0") ||
						      !strcmp(o.v[i].val, "1")))
			o.client = o.v[i].val[0] - '0';
	r = complete(&o, d);
	if (r == 0)
		r = store(&o, set, &settings, &skipped, d);
	if (r == 0)
		r = agree(&o, set, d);
	if (r == 0) {
		nr__parse_note_str(set, "format", o.old ? "neper 2016 (start_index, throughput_Mbps)"
						       : "neper 2019-07 or later (local_/remote_throughput)");
		nr__parse_note_str(set, "test", o.rr ? "request/response" : "stream");
		if (o.client >= 0)
			nr__parse_note_str(set, "side", o.client ? "client" : "server");
		for (i = 0; i < o.results; i++)
			if (!strcmp(o.v[i].key, "total_run_time"))
				nr__parse_note_str(set, "total_run_time_s", o.v[i].val);
		if (skipped.len) {
			nr_buf_addch(&skipped, ']');
			nr__parse_note_raw(set, "not_measured", skipped.buf);
		}
		if (settings)
			nr__parse_note_num(set, "settings_not_stored", (double)settings);
	}
	nr_buf_release(&skipped);
	nr__parse_lines_release(&l);
	free(o.v);
	return r;
}

static int parse_neper(const struct nr_parse_spec *spec, struct nr_slice in,
		        struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_neper_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_neper = {
	.name = "neper",
	.summary = "neper key=value output (tcp_rr, tcp_crr, udp_rr, tcp_stream, udp_stream)",
	.needs_sources = false,
	.parse = parse_neper,
};
