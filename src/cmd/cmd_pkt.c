/*
 * `netrig pkt gen|fwd|pcap|check`: the packet tools (docs/pkt.md). Each
 * prints ixy-style lines once a second ("[eth0] TX: 245 Mbit/s 0.36
 * Mpps") and a summary; with --json, standard output holds only one JSON
 * document in the shape `parse: netrig` reads (docs/bench-json.md, test
 * "pkt_gen", "pkt_fwd", "pkt_pcap", "pkt_check") and every other line
 * goes to standard error. A ready line says when the tool is in place,
 * for a campaign's `ready: {regex: ...}`.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/num.h"
#include "cmd/cmd.h"
#include "pkt/pkt.h"

#define NAME "pkt"
#define GEN_DEFAULT_DURATION_US (10 * 1000000LL)
#define PCAP_DEFAULT_TIMEOUT_US (15 * 1000000LL)

static const char usage_text[] =
	"pkt gen IFACE [--count N] [--rate PPS] [--size 60..9000] [--batch N] [--duration D]\n"
	"                     [--method auto|tx_ring|sendmmsg] [--qdisc-bypass]\n"
	"                     [--dst-mac MAC] [--src-mac MAC] [--src-ip IP] [--dst-ip IP] [--json]\n"
	"       netrig pkt fwd IN OUT [--bidirectional] [--method auto|xdp|tx_ring|sendmmsg]\n"
	"                     [--batch N] [--duration D] [--json]\n"
	"       netrig pkt pcap IFACE FILE N [--timeout D] [--all] [--json]\n"
	"       netrig pkt check FILE --sent N [--size 60..9000] [--in-order] [--json]\n"
	"                     [-- CAPTURE-COMMAND...]\n"
	"\n"
	"gen    sends ixy-pktgen's frames (60 bytes, UDP 10.0.0.1:42 -> 10.0.0.2:1337,\n"
	"       payload \"ixy\", sequence number in the last 4 bytes) on IFACE: --count N\n"
	"       frames, for --duration D (default 10s when neither is given), at --rate\n"
	"       frames/s (100000, 1.5M; default as fast as it can), --batch frames per\n"
	"       system call (64); --dst-mac/--dst-ip to go through a router\n"
	"fwd    forwards every frame from IN to OUT (and back with --bidirectional)\n"
	"       until stopped or --duration; AF_PACKET, or AF_XDP with --method xdp\n"
	"pcap   captures N UDP frames (--all: any N frames) on IFACE into FILE, a\n"
	"       classic libpcap file; ends at N or after --timeout (15s), saying which\n"
	"       (exit 1 on the timeout)\n"
	"check  applies ixy-ci's rules to FILE (pcap or pcapng): N frames, each UDP\n"
	"       frame ixy's, N-1 <= max sequence <= 2N, no sequence twice; reports\n"
	"       loss, duplicates and reordering (--in-order: reordering fails it, as\n"
	"       ixy-ci's earlier rule); exit 1 with the first failing rule. With a\n"
	"       command after --, FILE is removed, the command run (its output on\n"
	"       stderr) and FILE checked when it ends: a campaign's pcap role";

/* ---- signals: every loop looks at this flag ---- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* no SA_RESTART: a blocking poll or send returns, and the loop sees the flag */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- output ---- */

static int print_json(json_t *doc);

struct out {
	bool json;
	FILE *lines;        /* stdout, or stderr with --json */
	json_t *per_second; /* the lines, for the JSON */
	struct nr_pkt_counters prev[2];
	int64_t prev_us;
};

/* Where the lines go, and the signals that end a loop, before a loop starts. */
static void out_start(struct out *o, bool json)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->lines = json ? stderr : stdout;
	o->per_second = json_array();
	catch_signals();
}

/* The loop's end: its document (with the per-second lines) on stdout, or none. */
static int out_finish(struct out *o, json_t *doc, int status)
{
	fflush(o->lines);
	if (!doc) {
		json_decref(o->per_second);
		return status;
	}
	json_object_set_new(doc, "per_second", o->per_second);
	if (print_json(doc) != NR_EXIT_OK)
		return NR_EXIT_INFRA;
	return status;
}

/* ixy's Mbit/s: frame bytes plus what each frame takes on an Ethernet wire (pkt.h) */
static double mbit(uint64_t bytes, uint64_t pkts, double secs)
{
	return ((double)bytes + (double)pkts * NR_PKT_WIRE_EXTRA) * 8 / 1e6 / secs;
}

static void tick(void *ctx, int64_t now_us, const char *const *ifnames,
		 const struct nr_pkt_counters *c, size_t n)
{
	struct out *o = ctx;
	double secs;
	size_t i;

	if (!o->prev_us) {
		/* the loops call first a second after they started */
		o->prev_us = now_us - 1000000;
	}
	secs = (double)(now_us - o->prev_us) / 1e6;
	for (i = 0; i < n && i < 2; i++) {
		uint64_t rxp = c[i].rx_packets - o->prev[i].rx_packets;
		uint64_t txp = c[i].tx_packets - o->prev[i].tx_packets;
		uint64_t rxb = c[i].rx_bytes - o->prev[i].rx_bytes;
		uint64_t txb = c[i].tx_bytes - o->prev[i].tx_bytes;
		uint64_t drops = (c[i].rx_dropped - o->prev[i].rx_dropped) +
				 (c[i].tx_dropped - o->prev[i].tx_dropped) +
				 (c[i].tx_errors - o->prev[i].tx_errors);

		if (c[i].rx_packets || n > 1)
			fprintf(o->lines, "[%s] RX: %.0f Mbit/s %.2f Mpps\n", ifnames[i],
				mbit(rxb, rxp, secs), (double)rxp / 1e6 / secs);
		if (c[i].tx_packets || n > 1)
			fprintf(o->lines, "[%s] TX: %.0f Mbit/s %.2f Mpps\n", ifnames[i],
				mbit(txb, txp, secs), (double)txp / 1e6 / secs);
		if (drops)
			fprintf(o->lines, "[%s] dropped: %llu\n", ifnames[i], (unsigned long long)drops);
		json_array_append_new(o->per_second,
				      json_pack("{s:s, s:f, s:I, s:I, s:I, s:I}", "interface", ifnames[i],
						"seconds", secs, "rx_packets", (json_int_t)rxp,
						"tx_packets", (json_int_t)txp, "rx_bytes", (json_int_t)rxb,
						"tx_bytes", (json_int_t)txb));
		o->prev[i] = c[i];
	}
	fflush(o->lines);
	o->prev_us = now_us;
}

static void add_result(json_t *res, const char *name, double v, const char *unit,
		       const char *better)
{
	if (isfinite(v))
		json_object_set_new(res, name, json_pack("{s:f, s:s, s:s}", "value", v, "unit", unit,
							 "better", better));
}

static void add_count(json_t *res, const char *name, uint64_t v, const char *better)
{
	json_object_set_new(res, name, json_pack("{s:I, s:s, s:s}", "value", (json_int_t)v,
						 "unit", "count", "better", better));
}

static int print_json(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2));
	int status = NR_EXIT_OK;

	if (!s || printf("%s\n", s) < 0 || fflush(stdout) != 0)
		status = NR_EXIT_INFRA;
	free(s);
	json_decref(doc);
	return status;
}

static json_t *doc_new(const char *test)
{
	return json_pack("{s:i, s:s}", "netrig_bench", 1, "test", test);
}

/* A failure as a document too, so a parser reading stdout gets the reason. */
static int fail_json(bool as_json, const char *test, int status, const char *msg)
{
	if (as_json) {
		json_t *doc = doc_new(test);

		json_object_set_new(doc, "error", json_string(msg));
		print_json(doc);
	}
	return nr_cmd_error(NAME, status, "%s: %s", test + 4, msg);
}

static int parse_count(const char *opt, const char *s, uint64_t max, uint64_t *ret)
{
	if (nr_parse_u64(s, max, ret) < 0 || *ret == 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad %s '%s' (a whole number from 1)", opt, s);
	return 0;
}

/* "100000", "100k", "1.5M", "2.5Mpps", "unlimited" or 0 */
static int parse_pps(const char *s, double *ret)
{
	static const char *const units[] = { "pps", "/s", NULL };

	if (nr_parse_rate(s, units, ret) < 0 || *ret > 1e9)
		return NR_EINVAL;
	return 0;
}

static int parse_size(const char *s, size_t *ret)
{
	int64_t v;

	if (nr_parse_i64(s, NR_PKT_MIN_SIZE, NR_PKT_MAX_SIZE, &v) < 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --size '%s' (frame bytes without FCS, %d to %d)",
				    s, NR_PKT_MIN_SIZE, NR_PKT_MAX_SIZE);
	*ret = (size_t)v;
	return 0;
}

static int parse_duration(const char *opt, const char *s, int64_t *ret)
{
	if (nr_parse_duration_us(s, ret) < 0 || *ret <= 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad %s '%s' (e.g. 10s, 500ms)", opt, s);
	return 0;
}

static int parse_batch(const char *s, unsigned *ret)
{
	int64_t v;

	if (nr_parse_i64(s, 1, NR_PKT_BATCH_MAX, &v) < 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --batch '%s' (1 to %d)", s, NR_PKT_BATCH_MAX);
	*ret = (unsigned)v;
	return 0;
}

static int help(void)
{
	fprintf(stdout, "usage: netrig %s\n", usage_text);
	return NR_EXIT_OK;
}

static char *fmt_mac(char *buf, size_t size, const uint8_t *m)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static char *fmt_ip(char *buf, size_t size, uint32_t a)
{
	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

/* ---- gen ---- */

struct gen_ctx {
	struct out out; /* first: the ticker's context is the whole */
	const struct nr_pkt_gen_opts *o;
};

static void gen_ready(void *ctx, const char *method)
{
	struct gen_ctx *g = ctx;
	char rate[48];

	if (g->o->rate > 0)
		snprintf(rate, sizeof(rate), "%.0f frames/s", g->o->rate);
	else
		snprintf(rate, sizeof(rate), "as fast as it can");
	fprintf(g->out.lines, "sending %zu-byte frames on %s (%s, batch %u, %s)\n", g->o->frame.size,
		g->o->ifname, method, g->o->batch, rate);
	fflush(g->out.lines);
}

static int gen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "method", required_argument, NULL, 'm' },
		{ "qdisc-bypass", no_argument, NULL, 'Q' },
		{ "dst-mac", required_argument, NULL, 'D' },
		{ "src-mac", required_argument, NULL, 'S' },
		{ "dst-ip", required_argument, NULL, 'I' },
		{ "src-ip", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_pkt_gen_opts o;
	struct nr_pkt_gen_result res;
	struct gen_ctx ctx;
	struct nr_diag d = { 0 };
	size_t size = NR_PKT_MIN_SIZE;
	uint8_t dst_mac[6], src_mac[6];
	uint32_t dst_ip = 0, src_ip = 0;
	bool as_json = false, have_dst_mac = false, have_src_mac = false;
	json_t *doc, *res_j, *params, *extra;
	char b1[32], b2[32], b3[32], b4[32];
	double secs, pps;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.batch = 64;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_count("--count", optarg, UINT64_MAX, &o.count))
				return NR_EXIT_USAGE;
			break;
		case 'r':
			if (parse_pps(optarg, &o.rate) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --rate '%s' (frames per second: 100000, 100k, 1.5M, unlimited)",
						    optarg);
			break;
		case 's':
			if (parse_size(optarg, &size))
				return NR_EXIT_USAGE;
			break;
		case 'b':
			if (parse_batch(optarg, &o.batch))
				return NR_EXIT_USAGE;
			break;
		case 'd':
			if (parse_duration("--duration", optarg, &o.duration_us))
				return NR_EXIT_USAGE;
			break;
		case 'm':
			if (nr_pkt_method_parse(optarg, &o.method) < 0 || o.method == NR_PKT_XDP)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --method '%s' (auto, tx_ring, sendmmsg)",
						    optarg);
			break;
		case 'Q':
			o.qdisc_bypass = true;
			break;
		case 'D':
		case 'S':
			if (nr_pkt_parse_mac(optarg, c == 'D' ? dst_mac : src_mac) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad MAC address '%s' (e.g. 02:00:00:00:00:01)",
						    optarg);
			*(c == 'D' ? &have_dst_mac : &have_src_mac) = true;
			break;
		case 'I':
		case 'i':
			if (nr_pkt_parse_ipv4(optarg, c == 'I' ? &dst_ip : &src_ip) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad IPv4 address '%s'", optarg);
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			return help();
		default:
			return NR_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "gen takes one interface (gen IFACE [options])");
	o.ifname = argv[optind];
	nr_pkt_template_ixy(&o.frame, size);
	if (have_dst_mac)
		memcpy(o.frame.dst_mac, dst_mac, 6);
	if (have_src_mac)
		memcpy(o.frame.src_mac, src_mac, 6);
	if (dst_ip)
		o.frame.dst_ip = dst_ip;
	if (src_ip)
		o.frame.src_ip = src_ip;
	if (!o.count && !o.duration_us)
		o.duration_us = GEN_DEFAULT_DURATION_US; /* every load is bounded */
	out_start(&ctx.out, as_json);
	ctx.o = &o;
	o.stop = &stop_flag;
	o.tick = tick;
	o.tick_ctx = &ctx;
	o.ready = gen_ready;
	rc = nr_pkt_gen(&o, &res, &d);
	if (rc < 0) {
		out_finish(&ctx.out, NULL, 0);
		return fail_json(as_json, "pkt_gen", NR_EXIT_INFRA, nr_diag_msg(&d));
	}
	secs = res.duration_us > 0 ? (double)res.duration_us / 1e6 : NAN;
	/* n frames span n - 1 gaps: frame k leaves at k / rate */
	pps = res.sent > 1 ? (double)(res.sent - 1) / secs : NAN;
	fprintf(ctx.out.lines, "[%s] TX: %llu bytes %llu packets\n", o.ifname,
		(unsigned long long)res.c.tx_bytes, (unsigned long long)res.c.tx_packets);
	fprintf(ctx.out.lines, "sent %llu frames in %.3f s: %.3f Mpps, %.1f Mbit/s%s%s\n",
		(unsigned long long)res.sent, res.duration_us / 1e6, pps / 1e6,
		pps * (double)o.frame.size * 8 / 1e6, res.stopped ? " (stopped by a signal)" : "",
		/* 5 %: a wake-up a millisecond late is 2 % of a 50 ms run, and no shortfall */
		o.rate > 0 && pps < o.rate * 0.95 ? " (below the asked rate: the machine could not keep up)" : "");
	if (res.c.tx_errors)
		fprintf(ctx.out.lines, "the kernel refused %llu frames\n",
			(unsigned long long)res.c.tx_errors);
	if (!as_json)
		return out_finish(&ctx.out, NULL, NR_EXIT_OK);
	doc = doc_new("pkt_gen");
	params = json_pack("{s:s, s:I, s:f, s:I, s:I, s:I, s:s, s:b, s:s, s:s, s:s, s:s}",
			   "interface", o.ifname, "count", (json_int_t)o.count, "rate", o.rate,
			   "size_bytes", (json_int_t)size, "batch", (json_int_t)o.batch,
			   "duration_us", (json_int_t)o.duration_us, "method",
			   nr_pkt_method_name(res.method), "qdisc_bypass", o.qdisc_bypass,
			   "dst_mac", fmt_mac(b1, sizeof(b1), o.frame.dst_mac),
			   "src_mac", fmt_mac(b2, sizeof(b2), o.frame.src_mac),
			   "src_ip", fmt_ip(b3, sizeof(b3), o.frame.src_ip),
			   "dst_ip", fmt_ip(b4, sizeof(b4), o.frame.dst_ip));
	json_object_set_new(doc, "params", params);
	res_j = json_object();
	add_count(res_j, "sent_packets", res.sent, "none");
	add_result(res_j, "sent_bytes", (double)res.c.tx_bytes, "B", "none");
	add_result(res_j, "packets_per_s", pps, "1/s", "higher");
	add_result(res_j, "throughput_bps", pps * (double)o.frame.size * 8, "bit/s", "higher");
	add_result(res_j, "duration_us", (double)res.duration_us, "us", "none");
	json_object_set_new(doc, "results", res_j);
	extra = json_pack("{s:I, s:I, s:I, s:b}", "first_seq", (json_int_t)o.first_seq, "next_seq",
			  (json_int_t)res.next_seq, "tx_errors", (json_int_t)res.c.tx_errors,
			  "stopped", res.stopped);
	json_object_set_new(doc, "extra", extra);
	return out_finish(&ctx.out, doc, NR_EXIT_OK);
}

/* ---- fwd ---- */

struct fwd_ctx {
	struct out out;
	const struct nr_pkt_fwd_opts *o;
};

static void fwd_ready(void *ctx, const char *method)
{
	struct fwd_ctx *f = ctx;

	fprintf(f->out.lines, NR_PKT_READY_FWD "%s -> %s%s (%s, batch %u)\n", f->o->in, f->o->out,
		f->o->bidirectional ? " and back" : "", method, f->o->batch);
	fflush(f->out.lines);
}

static json_t *counters_json(const char *name, const struct nr_pkt_counters *c)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "interface", name,
			 "rx_packets", (json_int_t)c->rx_packets, "rx_bytes", (json_int_t)c->rx_bytes,
			 "tx_packets", (json_int_t)c->tx_packets, "tx_bytes", (json_int_t)c->tx_bytes,
			 "rx_dropped", (json_int_t)c->rx_dropped, "tx_dropped", (json_int_t)c->tx_dropped,
			 "tx_errors", (json_int_t)c->tx_errors);
}

static int fwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bidirectional", no_argument, NULL, 'B' },
		{ "method", required_argument, NULL, 'm' },
		{ "batch", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_pkt_fwd_opts o;
	struct nr_pkt_fwd_result res;
	struct fwd_ctx ctx;
	struct nr_diag d = { 0 };
	bool as_json = false;
	json_t *doc, *res_j, *extra;
	uint64_t received, ring_drops;
	double secs;
	int c, rc, i;

	memset(&o, 0, sizeof(o));
	o.batch = 64;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'B':
			o.bidirectional = true;
			break;
		case 'm':
			if (nr_pkt_method_parse(optarg, &o.method) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --method '%s' (auto, xdp, tx_ring, sendmmsg)",
						    optarg);
			break;
		case 'b':
			if (parse_batch(optarg, &o.batch))
				return NR_EXIT_USAGE;
			break;
		case 'd':
			if (parse_duration("--duration", optarg, &o.duration_us))
				return NR_EXIT_USAGE;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			return help();
		default:
			return NR_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "fwd takes two interfaces (fwd IN OUT [options])");
	o.in = argv[optind];
	o.out = argv[optind + 1];
	if (!strcmp(o.in, o.out))
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "fwd: IN and OUT are both %s: a forwarder needs two interfaces",
				    o.in);
	out_start(&ctx.out, as_json);
	ctx.o = &o;
	o.stop = &stop_flag;
	o.tick = tick;
	o.tick_ctx = &ctx;
	o.ready = fwd_ready;
	rc = nr_pkt_fwd(&o, &res, &d);
	if (rc < 0) {
		out_finish(&ctx.out, NULL, 0);
		return fail_json(as_json, "pkt_fwd", NR_EXIT_INFRA, nr_diag_msg(&d));
	}
	secs = res.duration_us > 0 ? (double)res.duration_us / 1e6 : NAN;
	received = res.c[0].rx_packets + res.c[1].rx_packets;
	ring_drops = res.c[0].rx_dropped + res.c[1].rx_dropped;
	for (i = 0; i < 2; i++)
		fprintf(ctx.out.lines, "[%s] RX: %llu bytes %llu packets\n[%s] TX: %llu bytes %llu packets\n",
			i ? o.out : o.in, (unsigned long long)res.c[i].rx_bytes,
			(unsigned long long)res.c[i].rx_packets, i ? o.out : o.in,
			(unsigned long long)res.c[i].tx_bytes, (unsigned long long)res.c[i].tx_packets);
	fprintf(ctx.out.lines, "forwarded %llu of %llu frames in %.3f s (%s); dropped %llu by the kernel (receive ring full), %llu here\n",
		(unsigned long long)res.forwarded, (unsigned long long)received, res.duration_us / 1e6,
		nr_pkt_method_name(res.method), (unsigned long long)ring_drops,
		(unsigned long long)res.dropped);
	if (!as_json)
		return out_finish(&ctx.out, NULL, NR_EXIT_OK);
	doc = doc_new("pkt_fwd");
	json_object_set_new(doc, "params",
			    json_pack("{s:s, s:s, s:b, s:s, s:I, s:I}", "in", o.in, "out", o.out,
				      "bidirectional", o.bidirectional, "method",
				      nr_pkt_method_name(res.method), "batch", (json_int_t)o.batch,
				      "duration_us", (json_int_t)o.duration_us));
	res_j = json_object();
	add_count(res_j, "received_packets", received, "none");
	add_count(res_j, "forwarded_packets", res.forwarded, "none");
	add_count(res_j, "dropped_packets", res.dropped + ring_drops, "lower");
	add_result(res_j, "packets_per_s", (double)res.forwarded / secs, "1/s", "higher");
	add_result(res_j, "duration_us", (double)res.duration_us, "us", "none");
	json_object_set_new(doc, "results", res_j);
	extra = json_pack("{s:[o, o], s:I, s:I}", "interfaces", counters_json(o.in, &res.c[0]),
			  counters_json(o.out, &res.c[1]), "dropped_ring", (json_int_t)ring_drops,
			  "dropped_here", (json_int_t)res.dropped);
	json_object_set_new(doc, "extra", extra);
	return out_finish(&ctx.out, doc, NR_EXIT_OK);
}

/* ---- pcap ---- */

struct cap_ctx {
	struct out out;
	const struct nr_pkt_cap_opts *o;
};

static void cap_ready(void *ctx)
{
	struct cap_ctx *k = ctx;
	char t[32];

	fprintf(k->out.lines, NR_PKT_READY_PCAP "%llu %sframes on %s into %s (timeout %s)\n",
		(unsigned long long)k->o->count, k->o->count_all ? "" : "UDP ", k->o->ifname,
		k->o->path, nr_fmt_duration(t, sizeof(t), k->o->timeout_us));
	fflush(k->out.lines);
}

static int pcap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_pkt_cap_opts o;
	struct nr_pkt_cap_result res;
	struct cap_ctx ctx;
	struct nr_diag d = { 0 };
	bool as_json = false;
	json_t *doc, *res_j;
	const char *end;
	char t[32];
	int c, rc, status;

	memset(&o, 0, sizeof(o));
	o.timeout_us = PCAP_DEFAULT_TIMEOUT_US;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_duration("--timeout", optarg, &o.timeout_us))
				return NR_EXIT_USAGE;
			break;
		case 'a':
			o.count_all = true;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			return help();
		default:
			return NR_EXIT_USAGE;
		}
	}
	if (argc - optind != 3)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "pcap takes an interface, a file and a count (pcap IFACE FILE N)");
	o.ifname = argv[optind];
	o.path = argv[optind + 1];
	if (parse_count("N", argv[optind + 2], UINT32_MAX, &o.count))
		return NR_EXIT_USAGE;
	out_start(&ctx.out, as_json);
	ctx.o = &o;
	o.stop = &stop_flag;
	o.tick = tick;
	o.tick_ctx = &ctx;
	o.ready = cap_ready;
	rc = nr_pkt_cap(&o, &res, &d);
	if (rc < 0) {
		out_finish(&ctx.out, NULL, 0);
		return fail_json(as_json, "pkt_pcap", NR_EXIT_INFRA, nr_diag_msg(&d));
	}
	switch (res.end) {
	case NR_PKT_CAP_COUNT:
		end = "count";
		status = NR_EXIT_OK;
		fprintf(ctx.out.lines, "captured %llu frames into %s in %.3f s (%llu frames in the file)\n",
			(unsigned long long)res.counted, o.path, res.duration_us / 1e6,
			(unsigned long long)res.written);
		break;
	case NR_PKT_CAP_TIMEOUT:
		end = "timeout";
		status = NR_EXIT_FAIL;
		fprintf(ctx.out.lines, "timeout after %s: captured %llu of %llu frames into %s\n",
			nr_fmt_duration(t, sizeof(t), o.timeout_us), (unsigned long long)res.counted,
			(unsigned long long)o.count, o.path);
		break;
	default:
		end = "stopped";
		status = NR_EXIT_INTR;
		fprintf(ctx.out.lines, "stopped by a signal: captured %llu of %llu frames into %s\n",
			(unsigned long long)res.counted, (unsigned long long)o.count, o.path);
		break;
	}
	if (res.c.rx_dropped)
		fprintf(ctx.out.lines, "the kernel dropped %llu frames (receive ring full)\n",
			(unsigned long long)res.c.rx_dropped);
	if (!as_json)
		return out_finish(&ctx.out, NULL, status);
	doc = doc_new("pkt_pcap");
	json_object_set_new(doc, "params",
			    json_pack("{s:s, s:s, s:I, s:I, s:b}", "interface", o.ifname, "file", o.path,
				      "count", (json_int_t)o.count, "timeout_us",
				      (json_int_t)o.timeout_us, "count_all", o.count_all));
	json_object_set_new(doc, "end", json_string(end));
	if (status != NR_EXIT_OK) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s: captured %llu of %llu frames", end,
			 (unsigned long long)res.counted, (unsigned long long)o.count);
		json_object_set_new(doc, "error", json_string(msg));
	}
	res_j = json_object();
	add_count(res_j, "received_packets", res.counted, "none");
	add_count(res_j, "captured_packets", res.written, "none");
	add_count(res_j, "dropped_packets", res.c.rx_dropped, "lower");
	add_result(res_j, "duration_us", (double)res.duration_us, "us", "none");
	json_object_set_new(doc, "results", res_j);
	return out_finish(&ctx.out, doc, status);
}

/* ---- check ---- */

static void check_text(const struct nr_pkt_check *r, const struct nr_pkt_check_opts *o)
{
	printf("frames %llu: %llu ixy frames of %llu expected, %llu not UDP (ignored), %llu malformed\n",
	       (unsigned long long)r->frames, (unsigned long long)r->udp,
	       (unsigned long long)o->sent, (unsigned long long)r->ignored,
	       (unsigned long long)r->malformed);
	if (r->udp)
		printf("sequence: first %u, last %u, min %u, max %u; %llu distinct\n", r->first_seq,
		       r->last_seq, r->min_seq, r->max_seq, (unsigned long long)r->unique);
	printf("lost %llu (%.3f %% of 0..max), duplicates %llu, reordered %llu (largest extent %llu)\n",
	       (unsigned long long)r->lost, r->loss_percent, (unsigned long long)r->duplicates,
	       (unsigned long long)r->reordered, (unsigned long long)r->reorder_extent_max);
	if (r->rule == NR_PKT_RULE_PASS)
		printf("check passed\n");
	else
		printf("check failed (%s): %s\n", nr_pkt_rule_name(r->rule), r->message);
}

static json_t *check_json(const char *file, const struct nr_pkt_check *r,
			  const struct nr_pkt_check_opts *o)
{
	json_t *doc = doc_new("pkt_check"), *res = json_object();
	double span = (double)(r->last_ts_ns - r->first_ts_ns) / 1e9;

	json_object_set_new(doc, "file", json_string(file));
	json_object_set_new(doc, "params", json_pack("{s:I, s:I, s:b}", "sent", (json_int_t)o->sent,
						    "size_bytes", (json_int_t)(o->size ? o->size : NR_PKT_MIN_SIZE),
						    "in_order", o->in_order));
	json_object_set_new(doc, "check", json_pack("{s:b, s:s, s:s}", "passed",
						   r->rule == NR_PKT_RULE_PASS, "rule",
						   nr_pkt_rule_name(r->rule), "message", r->message));
	if (r->rule != NR_PKT_RULE_PASS)
		json_object_set_new(doc, "error", json_string(r->message));
	add_count(res, "sent_packets", o->sent, "none");
	add_count(res, "received_packets", r->udp, "none");
	add_count(res, "lost_packets", r->lost, "lower");
	add_result(res, "loss_percent", r->loss_percent, "%", "lower");
	add_count(res, "duplicate_packets", r->duplicates, "lower");
	add_count(res, "reordered_packets", r->reordered, "lower");
	/* the rate the frames arrived at, from the capture's time stamps */
	if (r->udp > 1 && span > 0) {
		add_result(res, "packets_per_s", (double)(r->udp - 1) / span, "1/s", "higher");
		add_result(res, "throughput_bps", (double)r->bytes * 8 * (double)(r->udp - 1) /
			   (double)r->udp / span, "bit/s", "higher");
	}
	json_object_set_new(doc, "results", res);
	json_object_set_new(doc, "extra",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				      "frames", (json_int_t)r->frames, "ignored_frames",
				      (json_int_t)r->ignored, "malformed_frames", (json_int_t)r->malformed,
				      "distinct", (json_int_t)r->unique, "first_seq",
				      (json_int_t)r->first_seq, "last_seq", (json_int_t)r->last_seq,
				      "min_seq", (json_int_t)r->min_seq, "max_seq", (json_int_t)r->max_seq,
				      "reorder_extent_max", (json_int_t)r->reorder_extent_max));
	return doc;
}

extern char **environ;

/*
 * `check FILE ... -- CMD...`: remove FILE (a file an earlier attempt left
 * must not be judged as this one's), run CMD with its stdout on our stderr
 * (so that stdout keeps only check's JSON, and a ready line still shows),
 * and wait for it. The capture's own exit status does not decide: a
 * capture that timed out still wrote what it got, and the rules say what
 * is wrong with it. 0, or -1 with a message in msg when CMD cannot run.
 */
static int run_capture(const char *file, char **cmd, char *msg, size_t msg_size)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r, status;

	if (unlink(file) < 0 && errno != ENOENT) {
		snprintf(msg, msg_size, "cannot remove %s before the capture: %s", file, strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	r = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		snprintf(msg, msg_size, "cannot run the capture %s: %s", cmd[0], strerror(r));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(msg, msg_size, "waiting for the capture %s: %s", cmd[0], strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(msg, msg_size, "the capture %s could not run (exit 127)", cmd[0]);
		return -1;
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "the capture (%s) was ended by signal %d\n", cmd[0], WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		fprintf(stderr, "the capture (%s) exited %d\n", cmd[0], WEXITSTATUS(status));
	return 0;
}

static int check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sent", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "in-order", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_pkt_check_opts o = { 0 };
	struct nr_pkt_check r;
	struct nr_diag d = { 0 };
	bool as_json = false;
	char **cmd = NULL;
	int c, rc, i;

	/* a command after "--" is not ours to permute: getopt sees what comes before */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			cmd = argv + i + 1;
			argc = i;
			break;
		}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_count("--sent", optarg, UINT32_MAX, &o.sent))
				return NR_EXIT_USAGE;
			break;
		case 's':
			if (parse_size(optarg, &o.size))
				return NR_EXIT_USAGE;
			break;
		case 'o':
			o.in_order = true;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			return help();
		default:
			return NR_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "check takes one file (check FILE --sent N)");
	if (!o.sent)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "check needs --sent N (the frames the capture was told to take)");
	if (cmd && !cmd[0])
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "check: no capture command after --");
	if (cmd) {
		char msg[512];

		if (run_capture(argv[optind], cmd, msg, sizeof(msg)) < 0)
			return fail_json(as_json, "pkt_check", NR_EXIT_INFRA, msg);
	}
	rc = nr_pkt_check_file(argv[optind], &o, &r, &d);
	if (rc < 0)
		return fail_json(as_json, "pkt_check", NR_EXIT_FAIL, nr_diag_msg(&d));
	if (as_json) {
		if (print_json(check_json(argv[optind], &r, &o)) != NR_EXIT_OK)
			return NR_EXIT_INFRA;
	} else {
		check_text(&r, &o);
		fflush(stdout);
	}
	if (r.rule != NR_PKT_RULE_PASS)
		return nr_cmd_error(NAME, NR_EXIT_FAIL, "check: %s", r.message);
	return NR_EXIT_OK;
}

static int run(const struct nr_global *g, int argc, char **argv)
{
	(void)g;
	if (argc < 2) {
		fprintf(stderr, "usage: netrig %s\n", usage_text);
		return NR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return help();
	if (!strcmp(argv[1], "gen"))
		return gen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fwd"))
		return fwd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pcap"))
		return pcap(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return check(argc - 1, argv + 1);
	return nr_cmd_error(NAME, NR_EXIT_USAGE, "unknown tool '%s' (gen, fwd, pcap, check)", argv[1]);
}

const struct nr_cmd nr_cmd_pkt = {
	.name = NAME,
	.summary = "packet tools: generate, forward, capture, check (ixy-ci's pipeline)",
	.usage = usage_text,
	.run = run,
};
