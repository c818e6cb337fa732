/*
 * `netrig parse TOOL FILE|-`: run one parser on a saved output and print
 * the samples a campaign would store. The text form is one sample a line,
 * "metric[interval] value unit orig_value orig_unit" (the format of the
 * parser fixtures' .expect files), then "notes {...}" when there are any.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cmd/cmd.h"
#include "parse/parse.h"

extern const struct nr_cmd nr_cmd_parse;

/* Larger than any output a parser accepts, so the parser names the limit. */
#define INPUT_LIMIT (NR_PARSE_MAX_BYTES + 1)

static const char *unit_or_dash(const char *u)
{
	return *u ? u : "-";
}

static void print_text(const struct nr_sample_set *set)
{
	size_t i, w = 0;

	for (i = 0; i < set->n; i++) {
		char name[256];
		size_t n;

		if (set->v[i].interval >= 0)
			n = (size_t)snprintf(name, sizeof(name), "%s[%lld]", set->v[i].metric,
					     (long long)set->v[i].interval);
		else
			n = strlen(set->v[i].metric);
		if (n > w)
			w = n;
	}
	for (i = 0; i < set->n; i++) {
		const struct nr_sample *s = &set->v[i];
		char name[256];

		if (s->interval >= 0)
			snprintf(name, sizeof(name), "%s[%lld]", s->metric, (long long)s->interval);
		else
			snprintf(name, sizeof(name), "%s", s->metric);
		printf("%-*s %22.15g %-6s %22.15g %s\n", (int)w, name, s->value,
		       unit_or_dash(s->unit), s->orig_value, unit_or_dash(s->orig_unit));
	}
	if (set->notes.len)
		printf("notes %s\n", set->notes.buf);
}

static void print_catalogue(void)
{
	size_t i;

	printf("%-34s %-6s %-6s %s\n", "METRIC", "UNIT", "BETTER", "WHAT");
	for (i = 0; i < nr_metric_catalogue_len; i++) {
		const struct nr_metric_info *m = &nr_metric_catalogue[i];

		printf("%-34s %-6s %-6s %s\n", m->name, unit_or_dash(m->unit),
		       nr_better_name(m->better), m->summary);
	}
	printf("%-34s %-6s %-6s %s\n", "latency_p<N>_us", "us", "lower",
	       "latency percentile N, '.' written '_' (latency_p99_9_us)");
	puts("\nA qualifier may precede a name: sender_throughput_bps, remote_cpu_percent,\n"
	     "tcp_lat_latency_avg_us (qperf test), b1024_throughput_bps (perftest length).");
}

static void print_json(const char *tool, const struct nr_sample_set *set, int r,
		       const struct nr_diag *d)
{
	json_t *root = json_object(), *arr = json_array(), *notes = NULL;
	size_t i;
	char *s;

	json_object_set_new(root, "parser", json_string(tool));
	for (i = 0; i < set->n; i++) {
		const struct nr_sample *x = &set->v[i];
		json_t *o = json_object();

		json_object_set_new(o, "metric", json_string(x->metric));
		json_object_set_new(o, "value", json_real(x->value));
		json_object_set_new(o, "unit", json_string(x->unit));
		json_object_set_new(o, "better", json_string(nr_better_name(x->better)));
		json_object_set_new(o, "orig_value", json_real(x->orig_value));
		json_object_set_new(o, "orig_unit", json_string(x->orig_unit));
		if (x->interval >= 0)
			json_object_set_new(o, "interval", json_integer(x->interval));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "samples", arr);
	if (set->notes.len) {
		notes = json_loadb(set->notes.buf, set->notes.len, 0, NULL);
		json_object_set_new(root, "notes",
				    notes ? notes : json_string(set->notes.buf));
	}
	if (r < 0)
		json_object_set_new(root, "error", json_string(nr_diag_msg(d)));
	s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	if (s)
		puts(s);
	free(s);
	json_decref(root);
}

static int run(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_parse_spec spec = { 0 };
	struct nr_buf in = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	const char *tool, *file;
	int c, r, json = 0, status;

	(void)g;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'm':
			print_catalogue();
			return NR_EXIT_OK;
		case 'h':
			return nr_cmd_usage(&nr_cmd_parse, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_parse, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind != 2)
		return nr_cmd_usage(&nr_cmd_parse, stderr, NR_EXIT_USAGE);
	tool = argv[optind];
	file = argv[optind + 1];
	spec.parser = nr_parser_find(tool);
	if (!spec.parser) {
		fprintf(stderr, "netrig parse: no parser '%s'; there are:", tool);
		for (c = 0; nr_parsers[c]; c++)
			fprintf(stderr, " %s", nr_parsers[c]->name);
		fputc('\n', stderr);
		return NR_EXIT_USAGE;
	}
	if (spec.parser->needs_sources)
		return nr_cmd_error("parse", NR_EXIT_USAGE,
				    "parser '%s' reads the metrics a campaign declares; "
				    "use it from a campaign", tool);
	nr_buf_init(&in, INPUT_LIMIT);
	r = strcmp(file, "-") ? nr_buf_read_file(&in, file) : nr_buf_read_fd(&in, STDIN_FILENO);
	if (r < 0) {
		nr_buf_release(&in);
		return nr_cmd_error("parse", NR_EXIT_FAIL, "%s: %s", file, nr_strerror(r));
	}
	if (nr_buf_truncated(&in)) {
		nr_buf_release(&in);
		return nr_cmd_error("parse", NR_EXIT_FAIL, "%s: larger than %zu bytes", file,
				    NR_PARSE_MAX_BYTES);
	}
	r = nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, &d);
	if (json)
		print_json(tool, &set, r, &d);
	else
		print_text(&set);
	status = NR_EXIT_OK;
	if (r < 0)
		status = nr_cmd_error("parse", NR_EXIT_FAIL, "%s: %s",
				      strcmp(file, "-") ? file : "stdin", nr_diag_msg(&d));
	nr_sample_set_release(&set);
	nr_buf_release(&in);
	return status;
}

const struct nr_cmd nr_cmd_parse = {
	.name = "parse",
	.summary = "read a tool's saved output and print its samples",
	.usage = "parse [--json] TOOL FILE|-\n"
		 "       netrig parse --metrics\n"
		 "\n"
		 "  TOOL       iperf3, sockperf, qperf, secnetperf, perftest, grpc-qps,\n"
		 "             netperf, neper\n"
		 "  FILE       the tool's output ('-': standard input)\n"
		 "  --json     print the samples as JSON\n"
		 "  --metrics  list the metric catalogue: names, units, which way is better\n"
		 "\n"
		 "Exit status 0, or 1 when the output cannot be read (the message names the line).",
	.run = run,
};
