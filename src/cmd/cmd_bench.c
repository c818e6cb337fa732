/*
 * `netrig bench`: the built-in workloads. `serve` runs the server; the
 * other subcommands run one test against it and print the result as text
 * or, with --json, as one JSON document (docs/bench-json.md).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/num.h"
#include "cmd/cmd.h"
#include "workload/workload.h"

#define NAME "bench"

static const char usage_text[] =
	"bench serve [--listen ADDR:PORT] [--one-off] [--lifetime DUR] [--max-tests N]\n"
	"       netrig bench tcp_stream|udp_stream|tcp_rr|udp_rr|tcp_crr --to HOST[:PORT] [options]\n"
	"\n"
	"serve:\n"
	"  --listen ADDR:PORT   where to listen (default 0.0.0.0:5201; port 0: any free\n"
	"                       port); prints 'listening on ADDR:PORT' when ready\n"
	"  --one-off            exit after one test\n"
	"  --lifetime DUR       exit after DUR whatever happens (e.g. 2m)\n"
	"  --max-tests N        run up to N tests at once (default 1; others are told\n"
	"                       the server is busy); CPU numbers then cover them all\n"
	"\n"
	"tests:\n"
	"  --to HOST[:PORT]     the server (default port 5201)\n"
	"  --duration DUR       measured time (default 10s)\n"
	"  --omit DUR           warm-up left out of every measure (default 1s)\n"
	"  --interval DUR       per-interval series (default none)\n"
	"  --size N             stream: bytes per write / datagram (1M; UDP 1400)\n"
	"  --request N          rr/crr request bytes (1; UDP 16)\n"
	"  --response N         rr/crr response bytes (as --request)\n"
	"  --flows N            connections (1)\n"
	"  --threads N          TCP stream/rr: N epoll loops share the flows on each\n"
	"                       end (default: a thread per flow)\n"
	"  --burst K            rr: transactions in flight per flow (1)\n"
	"  --rate R             stream: offered bit/s in total (2G, 100M, unlimited);\n"
	"                       rr: transactions/s in total, open loop (20000/s)\n"
	"  --reverse / --no-reverse   stream: the server sends\n"
	"  --nodelay / --no-nodelay   TCP_NODELAY (default on for rr and crr)\n"
	"  --sndbuf N, --rcvbuf N     socket buffer sizes\n"
	"  --busy-poll US       SO_BUSY_POLL (the kernel polls the device queue)\n"
	"  --spin / --no-spin   rr: both ends wait by polling their sockets instead\n"
	"                       of sleeping (lowest latency, a busy CPU per flow)\n"
	"  --rcvlowat auto|off|N  TCP stream receivers wake per N bytes (SO_RCVLOWAT;\n"
	"                       auto: 200 us of data at the current rate, <= 512K)\n"
	"  --congestion NAME    TCP congestion control (e.g. cubic, bbr)\n"
	"  --cpu LIST           pin the client's flows (0 or 0,1: flow i on LIST[i % n])\n"
	"  --server-cpu LIST    pin the server's flows\n"
	"  --json               print one JSON document instead of text";

static void log_line(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "netrig bench: %s\n", msg);
}

static int serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "one-off", no_argument, NULL, '1' },
		{ "lifetime", required_argument, NULL, 'L' },
		{ "max-tests", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_wl_server_opts o = { .listen = "0.0.0.0:5201", .stop_fd = -1, .log = log_line };
	struct nr_wl_server *s = NULL;
	struct nr_diag d = { 0 };
	char addr[80];
	sigset_t mask;
	int c, r, status = NR_EXIT_OK;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case '1':
			o.one_off = true;
			break;
		case 'L':
			if (nr_parse_duration_us(optarg, &o.lifetime_us) < 0 || o.lifetime_us <= 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --lifetime '%s'", optarg);
			break;
		case 'm': {
			int64_t v;

			if (nr_parse_i64(optarg, 1, NR_WL_MAX_TESTS, &v) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --max-tests '%s' (1 to %d)",
						    optarg, NR_WL_MAX_TESTS);
			o.max_tests = (unsigned)v;
			break;
		}
		case 'h':
			fprintf(stdout, "usage: netrig %s\n", usage_text);
			return NR_EXIT_OK;
		default:
			return NR_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "serve: unexpected '%s'", argv[optind]);
	/* blocked before any thread starts, so every thread inherits the mask */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	o.stop_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o.stop_fd < 0)
		return nr_cmd_error(NAME, NR_EXIT_INFRA, "signalfd: %s", strerror(errno));
	r = nr_wl_server_open(&o, &s, addr, sizeof(addr), &d);
	if (r < 0) {
		status = nr_cmd_error(NAME, NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	/* the line a campaign's server role waits for (workload.h's recipe) */
	printf(NR_WL_READY_PREFIX "%s\n", addr);
	fflush(stdout);
	r = nr_wl_server_run(s, &d);
	if (r < 0)
		status = nr_cmd_error(NAME, NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
out:
	nr_wl_server_free(s);
	close(o.stop_fd);
	return status;
}

/*
 * "2G", "100M", "1.5Gbit/s", "100Mbps" (bit/s, decimal as iperf3's -b),
 * "20000/s", "20k" (transactions/s), "unlimited" or 0.
 */
static int parse_rate(const char *s, double *ret)
{
	static const char *const units[] = { "bit/s", "bps", "/s", NULL };

	return nr_parse_rate(s, units, ret);
}

static void print_error_json(enum nr_wl_kind kind, const char *to, const char *msg)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:s}", "netrig_bench", NR_WL_PROTO_VERSION, "test",
			      nr_wl_kind_name(kind), "server_address", to, "error", msg);
	char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static int size_opt(const char *name, const char *arg, uint64_t max, uint64_t *ret)
{
	if (nr_parse_size(arg, ret) < 0 || *ret > max)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --%s '%s'", name, arg);
	return 0;
}

static int test(enum nr_wl_kind kind, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "omit", required_argument, NULL, 'O' },
		{ "interval", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "request", required_argument, NULL, 'q' },
		{ "response", required_argument, NULL, 'r' },
		{ "flows", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 'T' },
		{ "burst", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'R' },
		{ "reverse", no_argument, NULL, 'v' },
		{ "no-reverse", no_argument, NULL, 'F' },
		{ "nodelay", no_argument, NULL, 'n' },
		{ "no-nodelay", no_argument, NULL, 'N' },
		{ "sndbuf", required_argument, NULL, 'S' },
		{ "rcvbuf", required_argument, NULL, 'V' },
		{ "busy-poll", required_argument, NULL, 'B' },
		{ "spin", no_argument, NULL, 'P' },
		{ "no-spin", no_argument, NULL, 'p' },
		{ "rcvlowat", required_argument, NULL, 'W' },
		{ "congestion", required_argument, NULL, 'C' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "server-cpu", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_wl_params p;
	struct nr_buf json = NR_BUF_INIT, text = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	const char *to = NULL;
	bool as_json = false, size_set = false;
	uint64_t u;
	int64_t v;
	int c, r;

	nr_wl_params_default(&p, kind);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'd':
		case 'O':
		case 'i':
			if (nr_parse_duration_us(optarg, &v) < 0 || v < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad duration '%s'", optarg);
			*(c == 'd' ? &p.duration_us : c == 'O' ? &p.omit_us : &p.interval_us) = v;
			break;
		case 's':
			if (size_opt("size", optarg, 64u << 20, &p.size))
				return NR_EXIT_USAGE;
			break;
		case 'q':
			if (size_opt("request", optarg, 16u << 20, &p.request))
				return NR_EXIT_USAGE;
			if (!size_set)
				p.response = p.request;
			break;
		case 'r':
			if (size_opt("response", optarg, 16u << 20, &p.response))
				return NR_EXIT_USAGE;
			size_set = true;
			break;
		case 'f':
		case 'b':
			if (nr_parse_i64(optarg, 1, 1024, &v) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --%s '%s'",
						    c == 'f' ? "flows" : "burst", optarg);
			*(c == 'f' ? &p.flows : &p.burst) = (unsigned)v;
			break;
		case 'T':
			if (nr_parse_i64(optarg, 0, 1024, &v) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --threads '%s'", optarg);
			p.threads = (unsigned)v;
			break;
		case 'R':
			if (parse_rate(optarg, &p.rate) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --rate '%s'", optarg);
			break;
		case 'v':
		case 'F':
			p.reverse = c == 'v';
			break;
		case 'n':
		case 'N':
			p.nodelay = c == 'n';
			break;
		case 'S':
		case 'V':
			if (size_opt(c == 'S' ? "sndbuf" : "rcvbuf", optarg, INT32_MAX, &u))
				return NR_EXIT_USAGE;
			*(c == 'S' ? &p.sndbuf : &p.rcvbuf) = (int)u;
			break;
		case 'B':
			if (nr_parse_i64(optarg, 0, 1000000, &v) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --busy-poll '%s'", optarg);
			p.busy_poll_us = (int)v;
			break;
		case 'P':
		case 'p':
			p.spin = c == 'P';
			break;
		case 'W':
			if (!strcmp(optarg, "auto"))
				p.rcvlowat = NR_WL_LOWAT_AUTO;
			else if (!strcmp(optarg, "off"))
				p.rcvlowat = 0;
			else if (size_opt("rcvlowat", optarg, INT32_MAX, &u))
				return NR_EXIT_USAGE;
			else
				p.rcvlowat = (int)u;
			break;
		case 'C':
			if (strlen(optarg) >= sizeof(p.cc))
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "bad --congestion '%s'", optarg);
			memcpy(p.cc, optarg, strlen(optarg) + 1);
			break;
		case 'c':
		case 'x':
			if (nr_wl_parse_cpus(optarg, c == 'c' ? p.client_cpus : p.server_cpus,
					     c == 'c' ? &p.n_client_cpus : &p.n_server_cpus, &d) < 0)
				return nr_cmd_error(NAME, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			fprintf(stdout, "usage: netrig %s\n", usage_text);
			return NR_EXIT_OK;
		default:
			return NR_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "unexpected '%s'", argv[optind]);
	if (!to)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "%s needs --to HOST[:PORT]",
				    nr_wl_kind_name(kind));
	if (nr_wl_params_check(&p, &d) < 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	r = nr_wl_client_run(to, &p, &json, &text, &d);
	if (r < 0) {
		nr_buf_release(&json);
		nr_buf_release(&text);
		/* a parser reading stdout gets the reason too, the exit status stays 1 */
		if (as_json)
			print_error_json(kind, to, nr_diag_msg(&d));
		return nr_cmd_error(NAME, NR_EXIT_FAIL, "%s: %s", nr_wl_kind_name(kind),
				    nr_diag_msg(&d));
	}
	fputs(as_json ? json.buf : text.buf, stdout);
	nr_buf_release(&json);
	nr_buf_release(&text);
	return fflush(stdout) == 0 ? NR_EXIT_OK : NR_EXIT_FAIL;
}

static int run(const struct nr_global *g, int argc, char **argv)
{
	enum nr_wl_kind kind;

	(void)g;
	if (argc < 2) {
		fprintf(stderr, "usage: netrig %s\n", usage_text);
		return NR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(stdout, "usage: netrig %s\n", usage_text);
		return NR_EXIT_OK;
	}
	if (!strcmp(argv[1], "serve"))
		return serve(argc - 1, argv + 1);
	if (nr_wl_kind_parse(argv[1], &kind) < 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "unknown test '%s' (serve, tcp_stream, "
				    "udp_stream, tcp_rr, udp_rr, tcp_crr)", argv[1]);
	return test(kind, argc - 1, argv + 1);
}

const struct nr_cmd nr_cmd_bench = {
	.name = NAME,
	.summary = "built-in workloads: stream, request/response, connect/request/response",
	.usage = usage_text,
	.run = run,
};
