/*
 * `parse: qperf`: qperf's client output, plain or -v:
 *
 *   tcp_lat:
 *       latency        =    15 us
 *       msg_rate       =  66.7 K/sec
 *       loc_cpus_used  =    77 % cpus
 *   udp_bw:
 *       send_bw         =  3.72 GB/sec
 *       recv_bw         =  3.66 GB/sec
 *
 * Every metric is qualified by its test's name (tcp_lat_latency_avg_us,
 * udp_bw_throughput_bps), so one run of several tests stays apart. qperf's
 * byte rates are decimal (GB = 1e9 B); latency is one way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

static const struct {
	const char *key, *metric;
} keys[] = {
	{ "latency", "latency_avg_us" },
	{ "bw", "throughput_bps" },
	{ "send_bw", "sender_throughput_bps" },
	{ "recv_bw", "throughput_bps" },
	{ "msg_rate", "messages_per_s" },
	{ "time", "duration_us" },
	{ "loc_cpus_used", "local_cpu_percent" },
	{ "rem_cpus_used", "remote_cpu_percent" },
	{ "send_cpus_used", "send_cpu_percent" },
	{ "recv_cpus_used", "recv_cpu_percent" },
	{ "send_cost", "send_service_demand_ns_per_B" },
	{ "recv_cost", "recv_service_demand_ns_per_B" },
	{ "loc_cost", "local_service_demand_ns_per_B" },
	{ "rem_cost", "remote_service_demand_ns_per_B" },
};

static int parse_qperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
		       struct nr_sample_set *set, struct nr_diag *d)
{
	char test[64] = "";
	struct nr__parse_lines l;
	size_t before = set->n, skipped = 0;
	char *s;
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		size_t n = strlen(s), i;
		char key[64], unit[32], metric[160];
		const char *p, *eq;
		double v;

		if (nr__parse_after(s, "qperf: ")) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: qperf reported an error: %s", l.lineno,
				     s + 7);
			break;
		}
		if (n && s[0] != ' ' && s[0] != '\t' && s[n - 1] == ':' &&
		    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n - 1) {
			if (n - 1 >= sizeof(test)) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: test name too long", l.lineno);
				break;
			}
			memcpy(test, s, n - 1);
			test[n - 1] = '\0';
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || (s[0] != ' ' && s[0] != '\t'))
			continue;
		p = nr__parse_skip_blanks(s);
		n = (size_t)(eq - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!n || n >= sizeof(key))
			continue;
		memcpy(key, p, n);
		key[n] = '\0';
		p = eq + 1;
		for (i = 0; i < NR_ARRAY_SIZE(keys); i++)
			if (!strcmp(keys[i].key, key))
				break;
		if (i == NR_ARRAY_SIZE(keys)) {
			skipped++; /* -vv settings (msg_size, loc_node...): not results */
			continue;
		}
		if (nr__parse_number(&p, &v) < 0) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: %s: expected a number", l.lineno, key);
			break;
		}
		if (!*test) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: expected a 'test_name:' line before "
				     "'%s ='", l.lineno, key);
			break;
		}
		p = nr__parse_skip_blanks(p);
		snprintf(unit, sizeof(unit), "%s", p);
		if (!strcmp(unit, "% cpus"))
			snprintf(unit, sizeof(unit), "%%");
		snprintf(metric, sizeof(metric), "%s_%s", test, keys[i].metric);
		r = nr__parse_add(set, metric, v, unit, -1, l.lineno, d);
		if (r < 0)
			break;
	}
	if (skipped && r == 0)
		nr__parse_note_num(set, "settings_not_stored", (double)skipped);
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected 'test:' and "
			     "'    name = value unit' lines)", l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	return r;
}

static int parse_qperf(const struct nr_parse_spec *spec, struct nr_slice in,
		        struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_qperf_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_qperf = {
	.name = "qperf",
	.summary = "qperf client output (plain or -v)",
	.needs_sources = false,
	.parse = parse_qperf,
};
