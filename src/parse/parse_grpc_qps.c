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
#include <strings.h>

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

/*
 * What the tool could not compute: proto3's JSON mapping writes a
 * non-finite double as the string "NaN", "Infinity" or "-Infinity"; the
 * console prints "inf", "nan", "-nan". A fact to note, not a number to
 * store, and no reason to drop the rest.
 */
static bool not_computed(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return !strncasecmp(s, "nan", 3) || !strncasecmp(s, "inf", 3);
}

static void note_not_computed(struct nr_sample_set *set, struct nr_buf *nc, const char *metric,
			      const char *as_printed)
{
	(void)set;
	if (nc->len)
		nr_buf_adds(nc, ", ");
	nr__parse_json_string(nc, metric);
	nr_buf_adds(nc, ": ");
	nr__parse_json_string(nc, as_printed);
}

static void flush_not_computed(struct nr_sample_set *set, struct nr_buf *nc)
{
	struct nr_buf obj = NR_BUF_INIT;

	if (!nc->len)
		return;
	nr_buf_addf(&obj, "{%s}", nc->buf);
	nr__parse_note_raw(set, "not_computed", obj.buf);
	nr_buf_release(&obj);
}

static int add_json(struct nr_sample_set *set, json_t *obj, const char *key,
		    const char *metric, const char *unit, struct nr_buf *nc, struct nr_diag *d)
{
	json_t *v = get(obj, key);
	double x;

	if (!v)
		return 0;
	if (json_is_string(v) && not_computed(json_string_value(v))) {
		note_not_computed(set, nc, metric, json_string_value(v));
		return 0;
	}
	if (number_of(v, &x) < 0)
		return nr_diagf(d, NR_EPARSE, "%s: expected a number", key);
	if (nr_sample_add_metric(set, metric, x, unit, -1) < 0)
		return nr_diagf(d, NR_EPARSE, "%s: %g is not a value of %s", key, x, metric);
	return 0;
}

/* min, max, mean, stddev and count of the merged latency histogram (ns). */
static int histogram(struct nr_sample_set *set, json_t *h, struct nr_buf *nc, struct nr_diag *d)
{
	double count, sum, ss, mean, var;
	int r;

	if (!json_is_object(h))
		return 0;
	if (number_of(get(h, "count"), &count) < 0 || count <= 0) {
		/* no latency recorded: minSeen is the histogram's initial maximum */
		nr__parse_note_str(set, "latencies", "empty histogram (no count)");
		return 0;
	}
	r = add_json(set, h, "minSeen", "latency_min_us", "ns", nc, d);
	if (!r)
		r = add_json(set, h, "maxSeen", "latency_max_us", "ns", nc, d);
	if (r < 0)
		return r;
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
	struct nr_buf nc = NR_BUF_INIT;
	size_t i;
	int r = 0, bad;

	if (!json_is_object(sum)) {
		if (get(root, "clientConfig") || get(root, "scenarios") || get(root, "fields"))
			return nr_diagf(d, NR_EPARSE, "line 1: this is a scenario or schema, not a "
					"ScenarioResult (expected a \"summary\" object)");
		return nr_diagf(d, NR_EPARSE, "line 1: expected a ScenarioResult with a "
				"\"summary\" object");
	}
	nr__parse_note_str(set, "format", "ScenarioResult JSON (qps_json_driver "
			   "--scenario_result_file)");
	if (json_is_string(get(scen, "name")))
		nr__parse_note_str(set, "scenario", json_string_value(get(scen, "name")));
	/* a failed worker first: its summary is not a measurement */
	bad = failed(get(root, "clientSuccess")) + failed(get(root, "serverSuccess"));
	if (bad)
		return nr_diagf(d, NR_EPARSE, "line 1: %d of the clients and servers reported "
				"failure (clientSuccess/serverSuccess)", bad);
	for (i = 0; i < NR_ARRAY_SIZE(summary_map) && r == 0; i++)
		r = add_json(set, sum, summary_map[i].key, summary_map[i].metric,
			     summary_map[i].unit, &nc, d);
	if (r < 0)
		goto out;
	if (!get(sum, "failedRequestsPerSecond")) {
		/* proto3 JSON leaves a zero out: absent means none failed */
		nr_sample_add_metric(set, "failed_requests_per_s", 0, "1/s", -1);
		nr__parse_note_str(set, "failed_requests_per_s", "absent, proto3 default 0");
	}
	r = histogram(set, get(root, "latencies"), &nc, d);
out:
	flush_not_computed(set, &nc);
	nr_buf_release(&nc);
	return r;
}

/* ---- GprLogReporter console ------------------------------------------ */

/*
 * test/cpp/qps/report.cc, GprLogReporter: ReportQPS prints "QPS: N" (and
 * the failed/successful rates when some failed), ReportQPSPerCore prints
 * "QPS: N (M/server core)" -- the same N again -- then ReportLatency
 * ("latency_50() / 1000 ... us": the summary's nanoseconds as us),
 * ReportTimes (percent), ReportCpuUsage, ReportPollCount,
 * ReportQueriesPerCpuSec. Units are the ones below; the gpr_log era
 * prints "%.1f"/"%.2f%%", the absl LOG era ostream numbers and no '%'.
 */
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

struct console {
	struct nr_sample_set *set;
	struct nr_diag *d;
	size_t lineno;
	struct nr_buf nc;      /* not computed: "metric": "inf" */
	/* the two QPS lines: line number of each, 0 when not seen */
	size_t qps_line, qps_core_line;
	double qps;
	size_t scenario_line;  /* "RUNNING SCENARIO:" / "Running scenario" */
	const char *log;       /* the log header's style */
};

/* A value, or what the tool printed for one it could not compute. */
static int value(struct console *c, const char **p, const char *metric, double *ret,
		 bool *ret_nc)
{
	const char *q = nr__parse_skip_blanks(*p);
	size_t n = strcspn(q, " \t/%(");

	*ret_nc = false;
	if (n && n < 16 && not_computed(q)) {
		char tok[16];

		snprintf(tok, sizeof(tok), "%.*s", (int)n, q);
		note_not_computed(c->set, &c->nc, metric, tok);
		*p = q + n;
		*ret_nc = true;
		return 0;
	}
	if (nr__parse_number(p, ret) < 0)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: %s: expected a number", c->lineno,
				metric);
	return 0;
}

/* The plain "QPS: N" and the per-core line carry one N: once stored, checked. */
static int qps(struct console *c, double v, bool core)
{
	size_t *mine = core ? &c->qps_core_line : &c->qps_line;
	size_t other = core ? c->qps_line : c->qps_core_line;

	if (*mine)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: requests_per_s appears a second time "
				"(line %zu): two runs in one output?", c->lineno, *mine);
	*mine = c->lineno;
	if (!other)
		return nr__parse_add(c->set, "requests_per_s", v, "1/s", -1, c->lineno, c->d);
	/* the same double printed twice, perhaps at two precisions */
	if (v - c->qps > 0.05 + 1e-6 * c->qps || c->qps - v > 0.05 + 1e-6 * c->qps)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: QPS %g differs from QPS %g on line "
				"%zu: the output's parts disagree", c->lineno, v, c->qps, other);
	return 0;
}

static int console_line(struct console *c, const char *s)
{
	static const char *const lat[] = { "latency_p50_us", "latency_p90_us", "latency_p95_us",
					   "latency_p99_us", "latency_p99_9_us" };
	const char *br = strstr(s, "] "), *p;
	size_t i;
	double v;
	bool nc;
	int r;

	/* "I0707 13:04:20.222163000 4618786240 report.cc:82]   QPS: 3070.4" */
	if (br) {
		if (!c->log) {
			const char *dot = strchr(s, '.');
			size_t frac = dot && dot < br ? strspn(dot + 1, "0123456789") : 0;

			/* gpr_log prints nanoseconds, absl's LOG microseconds */
			c->log = frac == 9   ? "GprLogReporter lines, gpr_log headers"
				 : frac == 6 ? "GprLogReporter lines, absl LOG headers"
					     : "GprLogReporter lines, log headers";
		}
		s = br + 2;
	}
	s = nr__parse_skip_blanks(s);
	if ((p = nr__parse_after(s, "RUNNING SCENARIO: ")) ||
	    (p = nr__parse_after(s, "Running scenario "))) {
		if (c->scenario_line)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: a second scenario (the first "
					"starts on line %zu): two runs in one output", c->lineno,
					c->scenario_line);
		c->scenario_line = c->lineno;
		nr__parse_note_str(c->set, "scenario", p);
		return 0;
	}
	if ((p = nr__parse_after(s, "Latencies (50/90/95/99/99.9%-ile): "))) {
		for (i = 0; i < NR_ARRAY_SIZE(lat); i++) {
			if (i && *p++ != '/')
				return nr_diagf(c->d, NR_EPARSE, "line %zu: expected a/b/c/d/e us",
						c->lineno);
			if ((r = value(c, &p, lat[i], &v, &nc)) < 0)
				return r;
			if (!nc && nr__parse_add(c->set, lat[i], v, "us", -1, c->lineno, c->d) < 0)
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
		if ((r = value(c, &p, console_map[i].metric, &v, &nc)) < 0)
			return r;
		p = nr__parse_skip_blanks(p);
		if (i == 0) {
			bool core = *p == '(';

			if (!nc && (r = qps(c, v, core)) < 0)
				return r;
			if (!nc)
				c->qps = v;
			if (!core)
				return 0;
			p++;
			if ((r = value(c, &p, "requests_per_s_per_server_core", &v, &nc)) < 0)
				return r;
			return nc ? 0 : nr__parse_add(c->set, "requests_per_s_per_server_core", v,
						      "1/s", -1, c->lineno, c->d);
		}
		if (nc)
			return 0;
		return nr__parse_add(c->set, console_map[i].metric, v, console_map[i].unit, -1,
				     c->lineno, c->d);
	}
	return 0;
}

static int parse_grpc_qps_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
				struct nr_sample_set *set, struct nr_diag *d)
{
	struct console c = { .set = set, .d = d, .nc = NR_BUF_INIT };
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
		c.lineno = l.lineno;
		r = console_line(&c, s);
		if (r < 0)
			break;
	}
	flush_not_computed(set, &c.nc);
	if (set->n > before || c.nc.len)
		nr__parse_note_str(set, "format", c.log ? c.log : "GprLogReporter lines");
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected a ScenarioResult JSON "
			     "or GprLogReporter lines such as 'QPS: N')", l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	nr_buf_release(&c.nc);
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
