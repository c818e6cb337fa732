/*
 * `netrig bench`: the built-in workloads. `serve` runs the server; the
 * other subcommands run one test against it and print the result as text
 * or, with --json, as one JSON document (docs/bench-json.md).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/num.h"
#include "cmd/cmd.h"
#include "workload/workload.h"

#define NAME "bench"

/* Before the recipe's options (workload_recipe.c) ... */
static const char usage_head[] =
	"bench serve [--listen ADDR:PORT] [--one-off] [--lifetime DUR] [--max-tests N]\n"
	"       netrig bench tcp_stream|udp_stream|tcp_rr|udp_rr|tcp_crr --to HOST[:PORT] [options]\n"
	"\n"
	"serve:\n"
	"  --listen ADDR:PORT   where to listen (default 0.0.0.0:5201; port 0: any free\n"
	"                       port); prints '" NR_WL_READY_PREFIX "ADDR:PORT' when ready\n"
	"  --one-off            exit after one test\n"
	"  --lifetime DUR       exit after DUR whatever happens (e.g. 2m)\n"
	"  --max-tests N        run up to N tests at once (default 1; others are told\n"
	"                       the server is busy); CPU numbers then cover them all\n"
	"\n"
	"tests:\n"
	"  --to HOST[:PORT]     the server (default port 5201)\n";
/* ... and after them: the options of `netrig bench` alone. */
static const char usage_tail[] = "  --json               print one JSON document instead of text";

/* Built once; kept until the process ends. */
static const char *usage_text(void)
{
	static struct nr_buf text = NR_BUF_INIT;

	if (!text.len) {
		nr_buf_adds(&text, usage_head);
		nr_wl_options_usage(&text);
		nr_buf_adds(&text, usage_tail);
	}
	return text.buf;
}

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
			fprintf(stdout, "usage: netrig %s\n", usage_text());
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

/* The test, once its options are read. */
static int run_test(enum nr_wl_kind kind, const char *to, const struct nr_wl_params *p,
		    bool as_json, int argc, char **argv)
{
	struct nr_buf json = NR_BUF_INIT, text = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	if (optind < argc)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "unexpected '%s'", argv[optind]);
	if (!to)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "%s needs --to HOST[:PORT]",
				    nr_wl_kind_name(kind));
	if (nr_wl_params_check(p, &d) < 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	r = nr_wl_client_run(to, p, &json, &text, &d);
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

/* getopt_long's value for an option of the recipe: above any character, twice its index, +1 for "--no-" */
#define RECIPE_OPT 256

static int test(enum nr_wl_kind kind, int argc, char **argv)
{
	/* the recipe's options (a switch's "--no-" form too), then bench's own */
	struct option *opts = nr_xcalloc(2 * nr_wl_n_options + 4, sizeof(*opts));
	struct nr_wl_params p;
	struct nr_diag d = { 0 };
	const char *to = NULL;
	bool as_json = false;
	uint32_t seen = 0;
	size_t i, n = 0;
	int c, status = NR_EXIT_USAGE;

	for (i = 0; i < nr_wl_n_options; i++) {
		const struct nr_wl_option *o = &nr_wl_options[i];

		opts[n++] = (struct option){ o->flag + 2, nr_wl_option_is_switch(o) ? no_argument
									   : required_argument,
					     NULL, RECIPE_OPT + 2 * (int)i };
		if (nr_wl_option_is_switch(o))
			opts[n++] = (struct option){ nr_xasprintf("no-%s", o->flag + 2), no_argument,
						     NULL, RECIPE_OPT + 2 * (int)i + 1 };
	}
	opts[n++] = (struct option){ "to", required_argument, NULL, 't' };
	opts[n++] = (struct option){ "json", no_argument, NULL, 'j' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	nr_wl_params_default(&p, kind);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c >= RECIPE_OPT) {
			const struct nr_wl_option *o = &nr_wl_options[(c - RECIPE_OPT) / 2];
			const char *value = !nr_wl_option_is_switch(o) ? optarg
					    : (c - RECIPE_OPT) % 2 ? "false" : "true";

			if (nr_wl_option_set(o, value, &p, &seen, &d) < 0) {
				nr_cmd_error(NAME, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
				goto out;
			}
			continue;
		}
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			fprintf(stdout, "usage: netrig %s\n", usage_text());
			status = NR_EXIT_OK;
			goto out;
		default:
			goto out;
		}
	}
	status = run_test(kind, to, &p, as_json, argc, argv);
out:
	for (i = 0; i < n; i++)
		if (opts[i].val >= RECIPE_OPT && (opts[i].val - RECIPE_OPT) % 2)
			free((char *)opts[i].name);
	free(opts);
	return status;
}

static int run(const struct nr_global *g, int argc, char **argv)
{
	enum nr_wl_kind kind;

	(void)g;
	if (argc < 2) {
		fprintf(stderr, "usage: netrig %s\n", usage_text());
		return NR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(stdout, "usage: netrig %s\n", usage_text());
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
	.usage_build = usage_text,
	.run = run,
};
