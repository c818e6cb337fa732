/*
 * Units as each tool defines them (issue 12): sockperf's 2^20 "Mbps",
 * neper's conversions[], qperf's decimal view_*() units, iperf3's ms
 * jitter. Each conversion is checked at the smallest and largest values
 * the tool prints, and a unit the tool does not print is refused.
 */
#include <math.h>
#include <string.h>

#include "parse/parse.h"
#include "test.h"

/* Parse `text` with `tool`; *ret = the summary value of `metric` (NAN if absent). */
static int run(const char *tool, const char *text, const char *metric, double *ret)
{
	struct nr_parse_spec spec = { .parser = nr_parser_find(tool) };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	const struct nr_sample *s;
	int r;

	r = nr_parse_run(&spec, nr_slice_of(text, strlen(text)), &set, NULL);
	s = nr_sample_find(&set, metric);
	*ret = s ? s->value : NAN;
	nr_sample_set_release(&set);
	return r;
}

static const char sockperf_head[] =
	"sockperf: Total of 1000 messages sent in 1.000 sec\n"
	"sockperf: Summary: Message Rate is 1000 [msg/sec]\n";

static int sockperf_bw(const char *bw_line, double *ret)
{
	char text[512];

	snprintf(text, sizeof(text), "%ssockperf: Summary: BandWidth is %s\n", sockperf_head,
		 bw_line);
	return run("sockperf", text, "throughput_bps", ret);
}

NR_TEST(parse_units_sockperf_mbps_is_2_to_the_20)
{
	double v;

	/* client.cpp: MBps = msg/s x size / 1024 / 1024; Mbps = MBps x 8 */
	CHECK_OK(sockperf_bw("1.000 MBps (8.000 Mbps)", &v));
	CHECK_NEAR(v, 8 * 1048576.0, 1e-6);
	CHECK_OK(sockperf_bw("0.001 MBps (0.008 Mbps)", &v)); /* the smallest it prints */
	CHECK_NEAR(v, 0.008 * 1048576.0, 1e-9);
	CHECK_OK(sockperf_bw("123456.789 MBps (987654.312 Mbps)", &v));
	CHECK_NEAR(v, 987654.312 * 1048576.0, 1e-3);
	/* --giga-size: MBps / 1000 as GBps, MBps x 8 / 1000 as Gbps */
	CHECK_OK(sockperf_bw("0.179 GBps (1.430 Gbps)", &v));
	CHECK_NEAR(v, 1.430 * 1000 * 1048576.0, 1e-3);
	/* 3.5-3.7 --increase_output_precision: MBps printed as "%.9f GBps" */
	CHECK_OK(sockperf_bw("1.311164856 GBps (10.489318848 Gbps)", &v));
	CHECK_NEAR(v, 10.489318848 * 1048576.0, 1e-6);
	/* the two figures are one number: 8 x MBps */
	CHECK_EQ(sockperf_bw("1.000 MBps (9.000 Mbps)", &v), NR_EPARSE);
	CHECK_EQ(sockperf_bw("1.000 KBps (8.000 Kbps)", &v), NR_EPARSE);
}

NR_TEST(parse_units_sockperf_bandwidth_fits_rate_times_size)
{
	static const char fits[] =
		"sockperf: Total of 34345 messages sent in 1.001 sec\n"
		"sockperf: NOTE: test was performed, using msg-size=32768. For getting ...\n"
		"sockperf: Summary: Message Rate is 34326 [msg/sec], Packet Rate is about 789498 "
		"[pkt/sec] (23 ip frags / msg)\n"
		"sockperf: Summary: BandWidth is 1072.688 MBps (8581.500 Mbps)\n";
	char bad[sizeof(fits)];
	double v;

	CHECK_OK(run("sockperf", fits, "throughput_bps", &v));
	CHECK_NEAR(v, 8581.5 * 1048576.0, 1e-3);
	/* the same line with a 10^6 divisor's figure: the parts disagree */
	memcpy(bad, fits, sizeof(fits));
	memcpy(strstr(bad, "1072.688 MBps (8581.500"), "1124.794 MBps (8998.352", 23);
	CHECK_EQ(run("sockperf", bad, "throughput_bps", &v), NR_EPARSE);
}

static int neper_stream(const char *value, const char *unit, const char *local, double *ret)
{
	char text[512];

	snprintf(text, sizeof(text), "time_start=1.0\nnivcsw_end=1\ntime_end=2.0\n"
		 "correlation_coefficient=1.00\nthroughput=%s\nthroughput_units=%s\n"
		 "local_throughput=%s\nremote_throughput=0\n", value, unit, local);
	return run("neper", text, "throughput_bps", ret);
}

NR_TEST(parse_units_neper_conversions)
{
	static const struct {
		const char *unit;
		double bits; /* bit/s per printed unit, from neper's common.c */
	} u[] = {
		{ "bits/s", 1 }, { "10^3bits/s", 1e3 }, { "10^6bits/s", 1e6 },
		{ "10^9bits/s", 1e9 }, { "B/s", 8 }, { "KBytes/s", 8192 },
		{ "MBytes/s", 8 * 1048576.0 }, { "GBytes/s", 8 * 1073741824.0 },
		{ "Kbit/s", 1e3 }, { "Mbit/s", 1e6 }, { "Gbit/s", 1e9 }, { "KB/s", 8e3 },
		{ "MB/s", 8e6 }, { "GB/s", 8e9 }, { "Kibit/s", 1024 },
		{ "Mibit/s", 1048576.0 }, { "Gibit/s", 1073741824.0 }, { "KiB/s", 8192 },
		{ "MiB/s", 8 * 1048576.0 }, { "GiB/s", 8 * 1073741824.0 },
	};
	char local[64];
	size_t i;
	double v;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		/* 1.00 and 999.99: auto units keep the value in (1, 1000) */
		snprintf(local, sizeof(local), "%.0f", floor(u[i].bits));
		CHECK_OK(neper_stream("1.00", u[i].unit, local, &v));
		CHECK_NEAR(v, u[i].bits, 1e-9 * u[i].bits);
		snprintf(local, sizeof(local), "%.0f", floor(999.99 * u[i].bits));
		CHECK_OK(neper_stream("999.99", u[i].unit, local, &v));
		CHECK_NEAR(v, 999.99 * u[i].bits, 1e-9 * u[i].bits * 1000);
	}
	/* a unit neper does not print, and one that contradicts local_throughput */
	CHECK_EQ(neper_stream("1.00", "Mbps", "1000000", &v), NR_EPARSE);
	CHECK_EQ(neper_stream("1.00", "Gbit/s", "1000000", &v), NR_EPARSE);
}

static int qperf_one(const char *line, const char *metric, double *ret)
{
	char text[256];

	snprintf(text, sizeof(text), "tcp_bw:\n    %s\n", line);
	return run("qperf", text, metric, ret);
}

NR_TEST(parse_units_qperf_view_functions)
{
	double v;

	/* view_band(): decimal steps from bytes/sec; -ub bits/sec */
	CHECK_OK(qperf_one("bw  =  1 bytes/sec", "tcp_bw_throughput_bps", &v));
	CHECK_NEAR(v, 8, 0);
	CHECK_OK(qperf_one("bw  =  999 TB/sec", "tcp_bw_throughput_bps", &v));
	CHECK_NEAR(v, 999 * 8e12, 1);
	CHECK_OK(qperf_one("bw  =  1.5 Gb/sec", "tcp_bw_throughput_bps", &v));
	CHECK_NEAR(v, 1.5e9, 0);
	/* view_cost(): seconds per decimal GB -> ns/B */
	CHECK_OK(qperf_one("send_cost  =  1 ns/GB", "tcp_bw_send_service_demand_ns_per_B", &v));
	CHECK_NEAR(v, 1e-9, 1e-21);
	CHECK_OK(qperf_one("send_cost  =  2 sec/GB", "tcp_bw_send_service_demand_ns_per_B", &v));
	CHECK_NEAR(v, 2, 0);
	/* view_rate(), view_time(), view_cpus(), view_long() with commas */
	CHECK_OK(qperf_one("msg_rate  =  30.9 K/sec", "tcp_bw_messages_per_s", &v));
	CHECK_NEAR(v, 30900, 1e-9);
	CHECK_OK(qperf_one("latency  =  980 ns", "tcp_bw_latency_avg_us", &v));
	CHECK_NEAR(v, 0.98, 1e-12);
	CHECK_OK(qperf_one("loc_cpus_used  =  197 % cpus", "tcp_bw_local_cpu_percent", &v));
	CHECK_NEAR(v, 197, 0);
	CHECK_OK(qperf_one("send_msgs  =  30,941 ", "tcp_bw_sent_messages", &v));
	CHECK_NEAR(v, 30941, 0);
	CHECK_OK(qperf_one("send_msgs  =  1.5 million", "tcp_bw_sent_messages", &v));
	CHECK_NEAR(v, 1.5e6, 0);
	CHECK_OK(qperf_one("send_bytes  =  2.03 GB", "tcp_bw_sent_bytes", &v));
	CHECK_NEAR(v, 2.03e9, 1e-3);
	/* not qperf's spellings */
	CHECK_EQ(qperf_one("bw  =  1 MiB/sec", "tcp_bw_throughput_bps", &v), NR_EPARSE);
	CHECK_EQ(qperf_one("bw  =  1 Mbps", "tcp_bw_throughput_bps", &v), NR_EPARSE);
}

NR_TEST(parse_units_qperf_loop_qualifiers)
{
	struct nr_parse_spec spec = { .parser = nr_parser_find("qperf") };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	static const char vu[] =
		"tcp_lat:\n    latency   =  13.4 us\n    msg_size  =     1 bytes\n"
		"tcp_lat:\n    latency   =  9.03 us\n    msg_size  =     1 KiB (1,024)\n"
		"tcp_lat:\n    latency   =  28.3 us\n    msg_size  =    64 KiB (65,536)\n";
	static const char plain[] =
		"tcp_lat:\n    latency  =  12.4 us\ntcp_lat:\n    latency  =  14.6 us\n";
	static const char twice[] =
		"tcp_lat:\n    latency   =  13.4 us\n    msg_size  =     1 bytes\n"
		"tcp_lat:\n    latency   =  9.03 us\n    msg_size  =     2 bytes\n"
		"tcp_lat:\n    latency   =  9.10 us\n    msg_size  =     2 bytes\n";

	CHECK_OK(nr_parse_run(&spec, nr_slice_of(vu, sizeof(vu) - 1), &set, NULL));
	CHECK(nr_sample_find(&set, "b1_tcp_lat_latency_avg_us") != NULL);
	CHECK(nr_sample_find(&set, "b1024_tcp_lat_latency_avg_us") != NULL);
	CHECK_NEAR(nr_sample_find(&set, "b65536_tcp_lat_latency_avg_us")->value, 28.3, 1e-12);
	nr_sample_set_release(&set);
	CHECK_OK(nr_parse_run(&spec, nr_slice_of(plain, sizeof(plain) - 1), &set, NULL));
	CHECK_NEAR(nr_sample_find(&set, "loop2_tcp_lat_latency_avg_us")->value, 14.6, 1e-12);
	CHECK(strstr(set.notes.buf, "not printed") != NULL);
	nr_sample_set_release(&set);
	/* one value twice: two runs, not a loop */
	CHECK_EQ(nr_parse_run(&spec, nr_slice_of(twice, sizeof(twice) - 1), &set, NULL),
		 NR_EPARSE);
	nr_sample_set_release(&set);
}

/* Reserved room is taken in one allocation: the samples added into it stay where they are. */
NR_TEST(sample_set_reserve_keeps_samples_in_place)
{
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	const struct nr_sample *first;
	size_t cap;
	int i;

	nr_sample_add(&set, "a", 1, "us", NR_BETTER_LOWER);
	nr_sample_set_reserve(&set, 1000);
	CHECK(set.cap >= 1001);
	cap = set.cap;
	first = &set.v[0];
	for (i = 0; i < 1000; i++)
		nr_sample_add(&set, "b", i, "", NR_BETTER_NONE);
	CHECK(&set.v[0] == first);
	CHECK_EQ(set.cap, cap);
	CHECK_EQ(set.n, 1001);
	CHECK_STR(set.v[0].metric, "a");
	CHECK_NEAR(set.v[1000].value, 999, 0);
	nr_sample_set_reserve(&set, 0);
	CHECK_EQ(set.cap, cap);
	nr_sample_set_release(&set);
}

/* A sample's strings are one block: each reads as itself, and the original unit changes alone. */
NR_TEST(sample_strings_each_itself)
{
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;

	CHECK_OK(nr_sample_add_converted(&set, "throughput_bps", 2.5, "Gbits/sec", NR_BETTER_HIGHER, 3));
	nr_sample_add(&set, "lat", 7, NULL, NR_BETTER_LOWER);
	CHECK_STR(set.v[0].metric, "throughput_bps");
	CHECK_STR(set.v[0].unit, "bit/s");
	CHECK_STR(set.v[0].orig_unit, "Gbits/sec");
	CHECK_NEAR(set.v[0].value, 2.5e9, 0);
	CHECK_NEAR(set.v[0].orig_value, 2.5, 0);
	CHECK_EQ(set.v[0].interval, 3);
	CHECK_STR(set.v[1].unit, "");
	CHECK_STR(set.v[1].orig_unit, "");
	nr_sample_orig_set(&set.v[0], 312.5, "MBytes/sec, a longer unit than the one before");
	CHECK_STR(set.v[0].metric, "throughput_bps");
	CHECK_STR(set.v[0].unit, "bit/s");
	CHECK_STR(set.v[0].orig_unit, "MBytes/sec, a longer unit than the one before");
	CHECK_NEAR(set.v[0].orig_value, 312.5, 0);
	CHECK_NEAR(set.v[0].value, 2.5e9, 0);
	nr_sample_orig_set(&set.v[1], 1, NULL);
	CHECK_STR(set.v[1].orig_unit, "");
	CHECK_STR(set.v[1].metric, "lat");
	nr_sample_set_release(&set);
	CHECK_EQ(set.n, 0);
}
