/*
 * The units four tool parsers define themselves, at their boundaries:
 * netperf's -f letters (netlib.c format_units()/calc_thruput_interval():
 * K/M/G are 2^10/2^20/2^30 bytes, k/m/g 10^3/10^6/10^9 bits, "10^0bits"
 * are bytes), its service demand per KB of 1024 bytes, perftest's Mbps
 * (10^6 bits) and us/μs/ns, gRPC's ScenarioResult nanoseconds and
 * console microseconds; and nr__parse_add_scaled, which stores them.
 */
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "parse/parse.h"
#include "parse/parse_netperf.h"
#include "parse/parse_tool.h"
#include "test.h"

static double rate(const char *printed)
{
	struct nr__parse_np_rate u;

	if (nr__parse_netperf_rate_unit(printed, &u) < 0)
		return -1;
	return u.kind == NR__NP_TRANS ? -2 : u.factor;
}

NR_TEST(parse_units_netperf_f_letters)
{
	/* bits: SI */
	CHECK(rate("10^3bits/sec") == 1e3);
	CHECK(rate("10^6bits/sec") == 1e6);
	CHECK(rate("10^6bits/s") == 1e6);
	CHECK(rate("10^6bits") == 1e6); /* RR -c -C titles: the bare name */
	CHECK(rate("10^9bits/s") == 1e9);
	/* bytes: binary, x 8; 1 KByte/s is 8192 bit/s, not 8000 */
	CHECK(rate("KBytes/sec") == 8192);
	CHECK(rate("MBytes/sec") == 8388608);
	CHECK(rate("MBytes  /s") == 8388608); /* the -c -C titles pad to 8 */
	CHECK(rate("MBytes/s") == 8388608);
	CHECK(rate("GBytes/s") == 8589934592.0);
	CHECK(rate("Bytes/sec") == 8);
	/* 'b' divides bytes by 1.0: bytes, under the name of bits */
	CHECK(rate("10^0bits/sec") == 8);
	CHECK(rate("Trans/s") == -2);
	/* not netperf's: refused, not guessed */
	CHECK(rate("Usec/sec") == -1);
	CHECK(rate("Mbits/sec") == -1);
	CHECK(rate("10^12bits/s") == -1);
	CHECK(rate("kbytes/s") == -1);
	CHECK(rate("") == -1);
	CHECK(rate("/s") == -1);
}

NR_TEST(parse_units_netperf_service_demand)
{
	bool per_tran = true;
	double f = 0;

	CHECK_OK(nr__parse_netperf_sd_unit("us/KB", &per_tran, &f));
	CHECK(!per_tran);
	CHECK(f == 1000 / 1024.0); /* 1.024 us/KB is 1 ns/B exactly */
	CHECK_OK(nr__parse_netperf_sd_unit("usec/KB", &per_tran, &f));
	CHECK(!per_tran);
	CHECK_OK(nr__parse_netperf_sd_unit("us/Tr", &per_tran, &f));
	CHECK(per_tran && f == 1);
	CHECK_OK(nr__parse_netperf_sd_unit("usec/Tran", &per_tran, &f));
	CHECK(per_tran && f == 1);
	CHECK_EQ(nr__parse_netperf_sd_unit("ms/KB", &per_tran, &f), NR_EINVAL);
	CHECK_EQ(nr__parse_netperf_sd_unit("us/kB", &per_tran, &f), NR_EINVAL);
}

NR_TEST(parse_units_add_scaled_keeps_what_was_printed)
{
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	CHECK_OK(nr__parse_add_scaled(&set, "throughput_bps", 17.81, 8 * 1048576.0, "MBytes/sec",
				      -1, 7, &d));
	CHECK_EQ(set.n, 1);
	CHECK_NEAR(set.v[0].value, 17.81 * 8388608, 1e-3);
	CHECK_STR(set.v[0].unit, "bit/s");
	CHECK(set.v[0].orig_value == 17.81);
	CHECK_STR(set.v[0].orig_unit, "MBytes/sec");
	CHECK(set.v[0].better == NR_BETTER_HIGHER);
	/* the catalogue's checks still hold: a second summary value, a
	 * value that overflows once scaled, a metric not catalogued */
	CHECK_EQ(nr__parse_add_scaled(&set, "throughput_bps", 1, 8, "Bytes/s", -1, 8, &d),
		 NR_EPARSE);
	CHECK_CONTAINS(nr_diag_msg(&d), "line 8");
	CHECK_EQ(nr__parse_add_scaled(&set, "duration_us", 1e300, 1e300, "x", -1, 9, &d),
		 NR_EPARSE);
	CHECK_EQ(nr__parse_add_scaled(&set, "goodness", 1, 1, "x", -1, 10, &d), NR_EPARSE);
	CHECK_EQ(set.n, 1);
	nr_sample_set_release(&set);
}

/* Parse `text` with `tool` and return the first sample of `metric` (or NULL). */
static const struct nr_sample *one(struct nr_sample_set *set, const char *tool, const char *text,
				   const char *metric)
{
	struct nr_parse_spec spec = { .parser = nr_parser_find(tool) };
	struct nr_diag d = { 0 };
	size_t i;

	if (nr_parse_run(&spec, nr_slice_of(text, strlen(text)), set, &d) < 0)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].metric, metric))
			return &set->v[i];
	return NULL;
}

NR_TEST(parse_units_netperf_tables_convert_at_the_boundaries)
{
	static const char stream_K[] =
		"TCP STREAM TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to x () port 0 AF_INET\n"
		"Recv   Send    Send\n"
		"Socket Socket  Message  Elapsed\n"
		"Size   Size    Size     Time     Throughput\n"
		"bytes  bytes   bytes    secs.    KBytes/sec\n\n"
		" 87380  16384  16384    10.00       1.00\n";
	static const char stream_k[] =
		"TCP STREAM TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to x () port 0 AF_INET\n"
		"Recv   Send    Send\n"
		"Socket Socket  Message  Elapsed\n"
		"Size   Size    Size     Time     Throughput\n"
		"bytes  bytes   bytes    secs.    10^3bits/sec\n\n"
		" 87380  16384  16384    10.00       1.00\n";
	struct nr_sample_set a = NR_SAMPLE_SET_INIT, b = NR_SAMPLE_SET_INIT;
	const struct nr_sample *s;

	/* one KByte/s is 1024 bytes: 8192 bit/s; one 10^3bit/s is 1000 */
	s = one(&a, "netperf", stream_K, "throughput_bps");
	CHECK(s && s->value == 8192);
	s = one(&b, "netperf", stream_k, "throughput_bps");
	CHECK(s && s->value == 1000);
	nr_sample_set_release(&a);
	nr_sample_set_release(&b);
}

NR_TEST(parse_units_perftest_and_grpc)
{
	static const char pt_ns[] =
		"Intervals One-Way Latency for 32 Bytes:\n"
		"Length (Bytes), Latency (ns), Ave (ns), Std (ns), Min (ns), Max (ns)\n"
		"            32,        1000,     1000,      0.0,     1000,     1000\n";
	static const char pt_mbps[] =
		"Throughput Summary:\n"
		"Sample Size (Bytes), Total Samples, Avg Samples/s,    Avg Mbps, Lost Samples, "
		"Lost Samples (%)\n"
		"                 32,             1,             1,         1.0,            0,"
		"             0.00\n";
	static const char grpc_json[] =
		"{\"summary\": {\"qps\": 1, \"latency50\": 1000}}";
	static const char grpc_log[] =
		"Latencies (50/90/95/99/99.9%-ile): 1.0/2.0/3.0/4.0/5.0 us\n";
	struct nr_sample_set a = NR_SAMPLE_SET_INIT, b = NR_SAMPLE_SET_INIT;
	struct nr_sample_set c = NR_SAMPLE_SET_INIT, e = NR_SAMPLE_SET_INIT;
	const struct nr_sample *s;

	/* perftest's nano clock prints ns: 1000 ns is 1 us */
	s = one(&a, "perftest", pt_ns, "latency_us");
	CHECK(s && s->value == 1 && !strcmp(s->orig_unit, "ns"));
	/* perftest's Mbps is bytes * 8 / 10^6 (PerftestCSVPrinter) */
	s = one(&b, "perftest", pt_mbps, "throughput_bps");
	CHECK(s && s->value == 1e6);
	/* ScenarioResultSummary latencies are ns, the console's us */
	s = one(&c, "grpc-qps", grpc_json, "latency_p50_us");
	CHECK(s && s->value == 1);
	s = one(&e, "grpc-qps", grpc_log, "latency_p50_us");
	CHECK(s && s->value == 1);
	nr_sample_set_release(&a);
	nr_sample_set_release(&b);
	nr_sample_set_release(&c);
	nr_sample_set_release(&e);
}
