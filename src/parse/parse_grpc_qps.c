/*
 * `parse: grpc-qps`: gRPC's QPS benchmark results, either the
 * ScenarioResult JSON that `qps_json_driver --scenario_result_file` writes
 * (proto3 JSON mapping: lowerCamelCase or the original snake_case names,
 * 64-bit integers as strings, default values left out), or the console
 * lines of GprLogReporter ("QPS: 1234.5", "Latencies (50/90/95/99/99.9%-ile):
 * a/b/c/d/e us", ...), with or without the log header in front.
 *
 * Latencies in the JSON are nanoseconds; the console prints microseconds.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "parse/parse_tool.h"

static const struct {
	const char *key; /* lowerCamelCase; snake_case matches too */
	const char *metric, *unit;
} summary_map[] = {
	{ "qps", "requests_per_s", "1/s" },
	{ "qpsPerServerCore", "requests_per_s_per_server_core", "1/s" },
	{ "serverSystemTime", "server_cpu_system_percent", "%" },
	{ "serverUserTime", "server_cpu_user_percent", "%" },
	{ "clientSystemTime", "client_cpu_system_percent", "%" },
	{ "clientUserTime", "client_cpu_user_percent", "%" },
	{ "latency50", "latency_p50_us", "ns" },
	{ "latency90", "latency_p90_us", "ns" },
	{ "latency95", "latency_p95_us", "ns" },
	{ "latency99", "latency_p99_us", "ns" },
	{ "latency999", "latency_p99_9_us", "ns" },
	{ "serverCpuUsage", "server_cpu_percent", "%" },
	{ "successfulRequestsPerSecond", "successful_requests_per_s", "1/s" },
	{ "failedRequestsPerSecond", "failed_requests_per_s", "1/s" },
	{ "clientPollsPerRequest", "client_polls_per_request", "" },
	{ "serverPollsPerRequest", "server_polls_per_request", "" },
	{ "serverQueriesPerCpuSec", "server_queries_per_cpu_s", "1/s" },
	{ "clientQueriesPerCpuSec", "client_queries_per_cpu_s", "1/s" },
};

/* "qpsPerServerCore" equals "qps_per_server_core"; "latency50" equals "latency_50". */
static bool same_key(const char *camel, const char *key)
{
	for (;;) {
		if (*key == '_')
			key++;
		if (!*camel || !*key)
			return !*camel && !*key;
		if ((*camel | 0x20) != (*key | 0x20))
			return false;
		camel++;
		key++;
	}
}

static json_t *get(json_t *obj, const char *camel)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		if (same_key(camel, k))
			return v;
	return NULL;
}

/* A JSON number, or a string holding one (int64 in the proto3 mapping). */
static int number_of(json_t *v, double *ret)
{
	if (json_is_number(v)) {
		*ret = json_number_value(v);
		return 0;
	}
	if (json_is_string(v))
		return nr_parse_double(json_string_value(v), ret);
	return NR_EINVAL;
}

static int add_json(struct nr_sample_set *set, json_t *obj, const char *key,
		    const char *metric, const char *unit, struct nr_diag *d)
{
	json_t *v = get(obj, key);
	double x;

	if (!v)
		return 0;
	if (number_of(v, &x) < 0)
		return nr_diagf(d, NR_EPARSE, "%s: expected a number", key);
	if (nr_sample_add_metric(set, metric, x, unit, -1) < 0)
		return nr_diagf(d, NR_EPARSE, "%s: %g is not a value of %s", key, x, metric);
	return 0;
}

/* min, max, mean, stddev and count of the merged latency histogram (ns). */
static int histogram(struct nr_sample_set *set, json_t *h, struct nr_diag *d)
{
	double count, sum, ss, mean, var;
	int r;

	if (!json_is_object(h))
		return 0;
	r = add_json(set, h, "minSeen", "latency_min_us", "ns", d);
	if (!r)
		r = add_json(set, h, "maxSeen", "latency_max_us", "ns", d);
	if (r < 0)
		return r;
	if (number_of(get(h, "count"), &count) < 0 || count <= 0)
		return 0;
	if (number_of(get(h, "sum"), &sum) < 0)
		sum = 0; /* proto3 leaves zeros out */
	mean = sum / count;
	r = nr_sample_add_metric(set, "latency_avg_us", mean, "ns", -1);
	if (!r && number_of(get(h, "sumOfSquares"), &ss) == 0) {
		var = ss / count - mean * mean;
		/* below zero beyond rounding: the sums disagree; no stddev then */
		if (var >= -1e-9 * mean * mean)
			r = nr_sample_add_metric(set, "latency_stddev_us", var > 0 ? sqrt(var) : 0,
						 "ns", -1);
		else
			nr__parse_note_str(set, "latency_stddev",
					   "not stored: sumOfSquares < count * mean^2");
	}
	if (!r)
		r = nr_sample_add_metric(set, "observations", count, "count", -1);
	return r < 0 ? nr_diagf(d, NR_EPARSE, "latencies: not numbers") : 0;
}

static int failed(json_t *arr)
{
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_false(v))
			n++;
	return (int)n;
}

static int scenario_result(struct nr_sample_set *set, json_t *root, struct nr_diag *d)
{
	json_t *sum = get(root, "summary"), *scen = get(root, "scenario");
	size_t i;
	int r = 0, bad;

	if (!json_is_object(sum)) {
		if (get(root, "clientConfig") || get(root, "scenarios") || get(root, "fields"))
			return nr_diagf(d, NR_EPARSE, "line 1: this is a scenario or schema, not a "
					"ScenarioResult (expected a \"summary\" object)");
		return nr_diagf(d, NR_EPARSE, "line 1: expected a ScenarioResult with a "
				"\"summary\" object");
	}
	for (i = 0; i < NR_ARRAY_SIZE(summary_map) && r == 0; i++)
		r = add_json(set, sum, summary_map[i].key, summary_map[i].metric,
			     summary_map[i].unit, d);
	if (r < 0)
		return r;
	if (!get(sum, "failedRequestsPerSecond")) {
		/* proto3 JSON leaves a zero out: absent means none failed */
		nr_sample_add_metric(set, "failed_requests_per_s", 0, "1/s", -1);
		nr__parse_note_str(set, "failed_requests_per_s", "absent, proto3 default 0");
	}
	r = histogram(set, get(root, "latencies"), d);
	if (r < 0)
		return r;
	if (json_is_string(get(scen, "name")))
		nr__parse_note_str(set, "scenario", json_string_value(get(scen, "name")));
	bad = failed(get(root, "clientSuccess")) + failed(get(root, "serverSuccess"));
	if (bad)
		return nr_diagf(d, NR_EPARSE, "%d of the clients and servers reported failure "
				"(clientSuccess/serverSuccess)", bad);
	return 0;
}

/* ---- GprLogReporter console ------------------------------------------ */

static const struct {
	const char *label, *metric, *unit;
} console_map[] = {
	{ "QPS: ", "requests_per_s", "1/s" },
	{ "failed requests/second: ", "failed_requests_per_s", "1/s" },
	{ "successful requests/second: ", "successful_requests_per_s", "1/s" },
	{ "Server system time: ", "server_cpu_system_percent", "%" },
	{ "Server user time: ", "server_cpu_user_percent", "%" },
	{ "Client system time: ", "client_cpu_system_percent", "%" },
	{ "Client user time: ", "client_cpu_user_percent", "%" },
	{ "Server CPU usage: ", "server_cpu_percent", "%" },
	{ "Client Polls per Request: ", "client_polls_per_request", "" },
	{ "Server Polls per Request: ", "server_polls_per_request", "" },
	{ "Server Queries/CPU-sec: ", "server_queries_per_cpu_s", "1/s" },
	{ "Client Queries/CPU-sec: ", "client_queries_per_cpu_s", "1/s" },
};

static int console_line(struct nr_sample_set *set, const char *s, size_t lineno,
			struct nr_diag *d)
{
	static const char *const lat[] = { "latency_p50_us", "latency_p90_us", "latency_p95_us",
					   "latency_p99_us", "latency_p99_9_us" };
	const char *br = strstr(s, "] "), *p;
	size_t i;
	double v;

	/* "I0101 12:00:00.000000  1234 report.cc:82] QPS: 1.5" */
	if (br)
		s = br + 2;
	s = nr__parse_skip_blanks(s);
	if ((p = nr__parse_after(s, "Latencies (50/90/95/99/99.9%-ile): "))) {
		for (i = 0; i < NR_ARRAY_SIZE(lat); i++) {
			if (i && *p++ != '/')
				return nr_diagf(d, NR_EPARSE, "line %zu: expected a/b/c/d/e us", lineno);
			if (nr__parse_number(&p, &v) < 0)
				return nr_diagf(d, NR_EPARSE, "line %zu: expected a/b/c/d/e us", lineno);
			if (nr__parse_add(set, lat[i], v, "us", -1, lineno, d) < 0)
				return NR_EPARSE;
		}
		return 0;
	}
	for (i = 0; i < NR_ARRAY_SIZE(console_map); i++) {
		const char *label = console_map[i].label;

		/* "Server user time:   12.5%" pads after the colon */
		p = nr__parse_after(s, label);
		if (!p && label[strlen(label) - 1] == ' ') {
			size_t n = strlen(label) - 1;

			if (!strncmp(s, label, n))
				p = s + n;
		}
		if (!p)
			continue;
		if (nr__parse_number(&p, &v) < 0)
			return nr_diagf(d, NR_EPARSE, "line %zu: expected a number after '%s'",
					lineno, label);
		if (nr__parse_add(set, console_map[i].metric, v, console_map[i].unit, -1, lineno, d) < 0)
			return NR_EPARSE;
		p = nr__parse_skip_blanks(p);
		if (i == 0 && *p == '(') {
			p++;
			if (nr__parse_number(&p, &v) < 0)
				return nr_diagf(d, NR_EPARSE, "line %zu: expected (N/server core)",
						lineno);
			return nr__parse_add(set, "requests_per_s_per_server_core", v, "1/s", -1,
					     lineno, d);
		}
		return 0;
	}
	return 0;
}

static int parse_grpc_qps_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			  struct nr_sample_set *set, struct nr_diag *d)
{
	size_t before = set->n, i = 0;
	struct nr__parse_lines l;
	char *s;
	int r = 0;

	(void)spec;
	if (in.len >= 3 && !memcmp(in.ptr, "\xef\xbb\xbf", 3))
		i = 3; /* a UTF-8 byte order mark */
	while (i < in.len && (in.ptr[i] == ' ' || in.ptr[i] == '\n' || in.ptr[i] == '\r' ||
			      in.ptr[i] == '\t'))
		i++;
	if (i < in.len && in.ptr[i] == '{') {
		json_error_t err;
		json_t *root = json_loadb(in.ptr + i, in.len - i, JSON_DISABLE_EOF_CHECK, &err);

		if (!root)
			return nr_diagf(d, NR_EPARSE, "line %zu, column %d: %s",
					nr_parse_line_of(in, i) + (size_t)(err.line > 0 ? err.line - 1 : 0),
					err.column, err.text);
		r = scenario_result(set, root, d);
		json_decref(root);
		return r;
	}
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		r = console_line(set, s, l.lineno, d);
		if (r < 0)
			break;
	}
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected a ScenarioResult JSON "
			     "or GprLogReporter lines such as 'QPS: N')", l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	return r;
}

static int parse_grpc_qps(const struct nr_parse_spec *spec, struct nr_slice in,
			   struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_grpc_qps_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_grpc_qps = {
	.name = "grpc-qps",
	.summary = "gRPC QPS ScenarioResult JSON or GprLogReporter console lines",
	.needs_sources = false,
	.parse = parse_grpc_qps,
};
