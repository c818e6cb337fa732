/*
 * The metric catalogue: one canonical name, unit and direction for every
 * metric the tool parsers emit, so that iperf3's and netperf's throughput
 * land in the same series and a comparison knows which way is better.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "metric/metric.h"

#define H NR_BETTER_HIGHER
#define L NR_BETTER_LOWER
#define N NR_BETTER_NONE

/* Sorted by name (a unit test checks). */
const struct nr_metric_info nr_metric_catalogue[] = {
	{ "bytes", "B", N, "bytes moved (sent_bytes, received_bytes)" },
	{ "confidence_iterations", "count", N, "netperf's confidence iterations run" },
	{ "congestion_events", "count", L, "congestion events (QUIC SendCongestionCount)" },
	{ "connections", "count", N, "connections completed" },
	{ "correlation_coefficient", "", N, "neper's correlation of flows' progress" },
	{ "cpu_confidence_percent", "%", L, "width of netperf's CPU confidence interval" },
	{ "cpu_percent", "%", L, "CPU use (local_, remote_, server_, client_, send_, recv_)" },
	{ "cpu_system_percent", "%", L, "CPU use in the kernel" },
	{ "cpu_user_percent", "%", L, "CPU use in user space" },
	{ "decryption_failures", "count", L, "packets that failed to decrypt" },
	{ "deserialization_us", "us", L, "time to deserialize one sample" },
	{ "dropped_messages", "count", L, "messages dropped" },
	{ "dropped_packets", "count", L, "packets dropped on receipt" },
	{ "duplicate_messages", "count", L, "messages received twice" },
	{ "duplicate_packets", "count", L, "packets received twice" },
	{ "duration_us", "us", N, "time the measurement covers" },
	{ "ecn_capable", "", N, "1 when the path passed ECN" },
	{ "errors", "count", L, "errors the tool counted (netperf UDP_STREAM send_errors)" },
	{ "failed_requests_per_s", "1/s", L, "failed requests per second" },
	{ "flow_blocked_us", "us", L, "time a stream was blocked (by cause: pacing_, app_, ...)" },
	{ "handshakes_per_s", "1/s", H, "connections (handshakes) per second" },
	{ "jitter_us", "us", L, "packet delay variation" },
	{ "latency_avg_us", "us", L, "mean latency" },
	{ "latency_max_us", "us", L, "largest latency" },
	{ "latency_min_us", "us", L, "smallest latency (0th percentile)" },
	{ "latency_stddev_us", "us", L, "standard deviation of the latency" },
	{ "latency_stderr_us", "us", L, "standard error of the mean latency" },
	{ "latency_us", "us", L, "one latency measurement (per interval)" },
	{ "loss_percent", "%", L, "share of packets or samples lost" },
	{ "lost_packets", "count", L, "packets lost" },
	{ "lost_samples", "count", L, "samples lost (RTI perftest)" },
	{ "messages", "count", N, "messages (sent_messages, received_messages)" },
	{ "messages_per_s", "1/s", H, "messages per second" },
	{ "observations", "count", N, "latency observations the statistics rest on" },
	{ "out_of_order_messages", "count", L, "messages received out of order" },
	{ "packets", "count", N, "packets (sent_packets, received_packets)" },
	{ "packets_per_s", "1/s", H, "packets (frames) per second" },
	{ "polls_per_request", "", L, "completion-queue polls per request" },
	{ "queries_per_cpu_s", "1/s", H, "requests per CPU-second" },
	{ "reordered_packets", "count", L, "packets received out of order" },
	{ "requests_per_s", "1/s", H, "requests (round trips, RPCs) per second" },
	{ "requests_per_s_per_server_core", "1/s", H, "requests per second per server core" },
	{ "retransmits", "count", L, "TCP retransmissions" },
	{ "rtt_us", "us", L, "round-trip time (mean_, min_, max_ by qualifier)" },
	{ "sample_bytes", "B", N, "size of one sample or message" },
	{ "samples", "count", N, "samples received (RTI perftest Total Samples)" },
	{ "samples_per_s", "1/s", H, "samples per second (RTI perftest)" },
	{ "serialization_us", "us", L, "time to serialize one sample" },
	{ "service_demand_ns_per_B", "ns/B", L, "CPU time per byte moved" },
	{ "service_demand_us_per_transaction", "us", L, "CPU time per transaction" },
	{ "streams", "count", N, "streams completed" },
	{ "throughput_bps", "bit/s", H, "data rate (received side unless qualified)" },
	{ "throughput_confidence_percent", "%", L, "width of netperf's confidence interval" },
	{ "transactions", "count", N, "request/response transactions" },
	{ "transactions_per_s", "1/s", H, "request/response transactions per second" },
};

#undef H
#undef L
#undef N

const size_t nr_metric_catalogue_len = NR_ARRAY_SIZE(nr_metric_catalogue);

/* Any percentile: the catalogue cannot list every one a tool prints. */
static const struct nr_metric_info percentile_info = {
	"latency_p*_us", "us", NR_BETTER_LOWER, "latency percentile",
};

static bool is_percentile(const char *s)
{
	size_t n = strlen(s), i;

	if (strncmp(s, "latency_p", 9) || n < 13 || strcmp(s + n - 3, "_us"))
		return false;
	if (s[9] < '0' || s[9] > '9')
		return false;
	for (i = 9; i < n - 3; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] == '_' && s[i + 1] != '_')))
			return false;
	return true;
}

static const struct nr_metric_info *exact(const char *name)
{
	size_t lo = 0, hi = nr_metric_catalogue_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, nr_metric_catalogue[mid].name);

		if (!c)
			return &nr_metric_catalogue[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (is_percentile(name))
		return &percentile_info;
	return NULL;
}

const struct nr_metric_info *nr_metric_lookup(const char *name)
{
	const char *p;

	/* Left to right, so the longest catalogued suffix wins. */
	for (p = name; p; p = strchr(p, '_')) {
		const struct nr_metric_info *m;

		if (*p == '_')
			p++;
		m = exact(p);
		if (m)
			return m;
	}
	return NULL;
}

void nr_metric_percentile_name(char *buf, size_t size, double percentile)
{
	char num[32], *c;

	if (percentile <= 0) {
		snprintf(buf, size, "latency_min_us");
		return;
	}
	/* %.10g: 99.9999 stays 99.9999, 50 stays 50 */
	snprintf(num, sizeof(num), "%.10g", percentile);
	for (c = num; *c; c++)
		if (*c == '.')
			*c = '_';
	snprintf(buf, size, "latency_p%s_us", num);
}

int nr_sample_add_metric(struct nr_sample_set *set, const char *metric, double value,
			 const char *orig_unit, int64_t interval)
{
	const struct nr_metric_info *m = nr_metric_lookup(metric);
	const char *canon;
	double factor;

	if (!m)
		return NR_ENOTFOUND;
	if (!isfinite(value))
		return NR_EINVAL;
	if (!orig_unit)
		orig_unit = m->unit;
	if (nr_unit_canonical(orig_unit, &factor, &canon) < 0 || strcmp(canon, m->unit))
		return NR_EINVAL;
	/* 1e306 s is finite, 1e312 us is not */
	if (!isfinite(value * factor))
		return NR_EINVAL;
	if (nr_sample_add_converted(set, metric, value, orig_unit, m->better, interval) < 0)
		return NR_EINVAL;
	return 0;
}
