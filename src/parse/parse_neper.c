/*
 * `parse: neper`: the key=value lines neper (tcp_rr, tcp_stream, tcp_crr,
 * udp_rr, udp_stream) prints at the end of a run. Its options are echoed
 * in the same form first (num_flows=1, test_length=10, ...); those are
 * settings, counted in the notes, not stored as samples.
 *
 * Units: latencies in seconds; `throughput` is transactions/s for the
 * request/response tests and Mbit/s for the stream tests, unless a
 * `throughput_units=` line or the echoed `throughput_opt=` (b, Kb, Mb, Gb)
 * says otherwise; local_/remote_throughput are bit/s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

static const struct {
	const char *key, *metric, *unit;
} keys[] = {
	{ "num_transactions", "transactions", "count" },
	{ "latency_min", "latency_min_us", "s" },
	{ "latency_max", "latency_max_us", "s" },
	{ "latency_mean", "latency_avg_us", "s" },
	{ "latency_stddev", "latency_stddev_us", "s" },
	{ "latency_p50", "latency_p50_us", "s" },
	{ "latency_p90", "latency_p90_us", "s" },
	{ "latency_p99", "latency_p99_us", "s" },
	{ "latency_p99.9", "latency_p99_9_us", "s" },
	{ "correlation_coefficient", "correlation_coefficient", "" },
	{ "local_throughput", "local_throughput_bps", "bit/s" },
	{ "remote_throughput", "remote_throughput_bps", "bit/s" },
	{ "total_run_time", "duration_us", "s" },
};

struct kv {
	char key[64];
	char val[64];
	size_t lineno;
};

static int parse_neper_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
		       struct nr_sample_set *set, struct nr_diag *d)
{
	struct kv *v = NULL;
	size_t n = 0, cap = 0, i, k, settings = 0, before = set->n;
	const char *units = NULL; /* set once v stops moving */
	size_t units_at = SIZE_MAX;
	bool rr = false;
	struct nr__parse_lines l;
	char *s;
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		char *eq = strchr(s, '=');
		size_t klen = eq ? (size_t)(eq - s) : 0;

		if (!eq || !klen || klen >= sizeof(v->key) ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") != klen)
			continue;
		NR_GROW(v, n + 1, cap);
		memcpy(v[n].key, s, klen);
		v[n].key[klen] = '\0';
		snprintf(v[n].val, sizeof(v[n].val), "%s", eq + 1);
		v[n].lineno = l.lineno;
		if (!strcmp(v[n].key, "num_transactions") || !strncmp(v[n].key, "latency_", 8))
			rr = true;
		if (!strcmp(v[n].key, "throughput_units"))
			units_at = n;
		/* the stream tests' -throughput-opt echoed: b, Kb, Mb, Gb */
		if (!strcmp(v[n].key, "throughput_opt")) {
			static const char *const opt[][2] = {
				{ "b", "bit/s" }, { "Kb", "Kbit/s" },
				{ "Mb", "Mbit/s" }, { "Gb", "Gbit/s" },
			};

			for (k = 0; k < NR_ARRAY_SIZE(opt); k++)
				if (!strcmp(v[n].val, opt[k][0]))
					units = opt[k][1];
		}
		n++;
	}
	if (units_at != SIZE_MAX)
		units = v[units_at].val; /* v is no longer reallocated */
	for (i = 0; i < n && r == 0; i++) {
		const char *p = v[i].val, *metric = NULL, *unit = NULL;
		double x;

		if (!strcmp(v[i].key, "throughput")) {
			const char *u = units ? units : rr ? "1/s" : "Mbit/s";
			double f;
			const char *canon;

			if (nr_unit_canonical(u, &f, &canon) < 0) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: unknown throughput_units '%s'",
					     v[i].lineno, u);
				break;
			}
			metric = !strcmp(canon, "1/s") ? "transactions_per_s" : "throughput_bps";
			unit = u;
		} else {
			for (k = 0; k < NR_ARRAY_SIZE(keys); k++)
				if (!strcmp(keys[k].key, v[i].key))
					break;
			if (k == NR_ARRAY_SIZE(keys)) {
				if (strcmp(v[i].key, "throughput_units"))
					settings++;
				continue;
			}
			metric = keys[k].metric;
			unit = keys[k].unit;
		}
		if (nr__parse_number(&p, &x) < 0 || *nr__parse_skip_blanks(p)) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: %s: expected a number, found '%s'",
				     v[i].lineno, v[i].key, v[i].val);
			break;
		}
		r = nr__parse_add(set, metric, x, unit, -1, v[i].lineno, d);
	}
	if (r == 0 && !units && nr_sample_find(set, rr ? "transactions_per_s" : "throughput_bps"))
		nr__parse_note_str(set, "throughput_units", rr ? "transactions/s (request/response test)"
							: "Mbit/s (stream test)");
	if (r == 0 && settings)
		nr__parse_note_num(set, "settings_not_stored", (double)settings);
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected neper's "
			     "throughput=, num_transactions= or latency_ lines)",
			     l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	free(v);
	return r;
}

static int parse_neper(const struct nr_parse_spec *spec, struct nr_slice in,
		        struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_neper_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_neper = {
	.name = "neper",
	.summary = "neper key=value output (tcp_rr, tcp_stream, ...)",
	.needs_sources = false,
	.parse = parse_neper,
};
