/*
 * netrig ab 'CMD_A' 'CMD_B' --parse TOOL: two commands compared pair by
 * pair, without a campaign file, as hyperfine compares two commands'
 * times. The commands become the two variants of a one-test campaign
 * (made here as text, stored with the run like any campaign), which runs
 * through the same runner, store and parsers, so resume, `status`, `log`
 * and `report` work on it as on any run; the verdict is `compare
 * --variants` of that run.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "cmd/cmd.h"
#include "cmd/cmd_verdict.h"
#include "compare/compare.h"
#include "report/report.h"
#include "runner/runner.h"

extern const struct nr_cmd nr_cmd_ab;

#define DEFAULT_PAIRS 10

/* A command as the words of a variant's value: split like a `run:` string, or given to sh. */
static int command_words(const char *cmd, bool shell, json_t **ret, struct nr_diag *d)
{
	struct nr_strvec w = NR_STRVEC_INIT;
	json_t *a = json_array();
	size_t i;

	if (shell) {
		nr_strvec_push(&w, "sh");
		nr_strvec_push(&w, "-c");
		nr_strvec_push(&w, cmd);
	} else if (nr_split_words(cmd, &w, d) < 0) {
		json_decref(a);
		return -1;
	}
	if (!w.n) {
		nr_strvec_clear(&w);
		json_decref(a);
		return nr_diag_set(d, NR_EINVAL, "the command is empty");
	}
	for (i = 0; i < w.n; i++)
		json_array_append_new(a, json_string(w.v[i]));
	nr_strvec_clear(&w);
	*ret = a;
	return 0;
}

/*
 * The parse section: a tool parser with the metrics it must give, or
 * keyvalue with the metrics declared (NAME[:higher|lower]).
 */
static int parse_section(const char *tool, const struct nr_strvec *metrics, json_t **ret,
			 struct nr_diag *d)
{
	const struct nr_parser *p = nr_parser_find(tool);
	json_t *o, *m;
	size_t i;

	if (!p)
		return nr_diag_set(d, NR_EINVAL, "unknown parser '%s' (netrig parse --metrics lists "
				   "the tools' metrics)", tool);
	if (p->needs_sources && strcmp(tool, "keyvalue"))
		return nr_diag_set(d, NR_EINVAL, "--parse %s needs a source per metric: write a "
				   "campaign with 'variants:' instead", tool);
	o = json_object();
	json_object_set_new(o, "format", json_string(tool));
	if (!strcmp(tool, "keyvalue")) {
		if (!metrics->n) {
			json_decref(o);
			return nr_diag_set(d, NR_EINVAL, "--parse keyvalue needs --metric NAME[:higher|lower]");
		}
		m = json_object();
		for (i = 0; i < metrics->n; i++) {
			const char *colon = strchr(metrics->v[i], ':');
			char *name = colon ? nr_xstrndup(metrics->v[i], (size_t)(colon - metrics->v[i]))
					   : nr_xstrdup(metrics->v[i]);
			json_t *decl = json_object();
			enum nr_better better = NR_BETTER_NONE;

			if (colon &&
			    (nr_better_parse(colon + 1, &better) < 0 || better == NR_BETTER_NONE)) {
				free(name);
				json_decref(decl);
				json_decref(m);
				json_decref(o);
				return nr_diag_set(d, NR_EINVAL, "--metric wants NAME, NAME:higher or "
						   "NAME:lower, not '%s'", metrics->v[i]);
			}
			if (colon)
				json_object_set_new(decl, "better",
						    json_string(nr_better_name(better)));
			json_object_set_new(m, name, decl);
			free(name);
		}
		json_object_set_new(o, "metrics", m);
	} else if (metrics->n) {
		m = json_array();
		for (i = 0; i < metrics->n; i++)
			json_array_append_new(m, json_string(metrics->v[i]));
		json_object_set_new(o, "metrics", m);
	}
	*ret = o;
	return 0;
}

/* The campaign text (JSON, which is YAML): variants A and B, one test "ab". */
static char *campaign_text(const char *name, json_t *cmd_a, json_t *cmd_b, json_t *parse,
			   uint64_t pairs, const char *timeout)
{
	json_t *root = json_object(), *variants = json_object(), *test = json_object();
	json_t *run = json_array(), *a = json_object(), *b = json_object();
	json_t *va = json_object(), *vb = json_object();
	char *s;

	json_object_set_new(root, "campaign", json_string(name));
	json_object_set_new(root, "description", json_string("netrig ab: two commands, pair by pair"));
	json_object_set_new(va, "cmd", cmd_a);
	json_object_set_new(vb, "cmd", cmd_b);
	json_object_set_new(a, "values", va);
	json_object_set_new(b, "values", vb);
	json_object_set_new(variants, "A", a);
	json_object_set_new(variants, "B", b);
	json_object_set_new(root, "variants", variants);
	json_object_set_new(test, "name", json_string("ab"));
	json_object_set_new(test, "repeat", json_integer((json_int_t)pairs));
	if (timeout)
		json_object_set_new(test, "timeout", json_string(timeout));
	/* the whole command is the variant's list: its words, each an argument */
	json_array_append_new(run, json_string("{variant.cmd}"));
	json_object_set_new(test, "run", run);
	json_object_set_new(test, "parse", parse);
	json_object_set_new(root, "tests", json_pack("[o]", test));
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

static int run_ab(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "parse", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "metric", required_argument, NULL, 'm' },
		{ "shell", no_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "threshold", required_argument, NULL, 't' },
		{ "critical", required_argument, NULL, 'c' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_compare_opts co = { .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };
	struct nr_runner_opts ro = { .cancel_fd = -1 };
	enum nr_report_format fmt = NR_REPORT_TEXT;
	enum nr_analysis_severity fail_on = NR_SEVERITY_WARNING;
	const char *db = g->db_path, *tool = NULL, *name = "ab", *timeout = NULL, *outfile = NULL;
	struct nr_strvec metrics = NR_STRVEC_INIT;
	struct nr_comparison cmp = { 0 };
	struct nr_campaign *c = NULL;
	struct nr_store *st = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	json_t *a = NULL, *b = NULL, *parse = NULL;
	char *text = NULL, *path = NULL, *cwd = NULL, run_id[NR_UUID_LEN + 1];
	uint64_t pairs = DEFAULT_PAIRS;
	bool shell = false, quiet = g->quiet, critical_given = false, have_cmp = false;
	int64_t us;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "d:p:n:m:sN:T:t:c:F:a:f:o:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'p':
			tool = optarg;
			break;
		case 'n':
			if (nr_parse_u64(optarg, 100000, &pairs) < 0 || pairs < 1) {
				status = nr_cmd_error("ab", NR_EXIT_USAGE, "--repeat wants a number of pairs from 1");
				goto out;
			}
			break;
		case 'm':
			nr_strvec_push(&metrics, optarg);
			break;
		case 's':
			shell = true;
			break;
		case 'N':
			name = optarg;
			break;
		case 'T':
			if (nr_parse_duration_us(optarg, &us) < 0 || us <= 0) {
				status = nr_cmd_error("ab", NR_EXIT_USAGE, "--timeout wants a duration such as 60s");
				goto out;
			}
			timeout = optarg;
			break;
		case 't':
		case 'c':
		case 'a':
		case 'F':
		case 'f':
			if (nr_cmd_verdict_option("ab", opt, optarg, &co, &fail_on, &fmt,
						  &critical_given) < 0) {
				status = NR_EXIT_USAGE;
				goto out;
			}
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			status = nr_cmd_usage(&nr_cmd_ab, stdout, NR_EXIT_OK);
			goto out;
		default:
			status = nr_cmd_usage(&nr_cmd_ab, stderr, NR_EXIT_USAGE);
			goto out;
		}
	}
	if (argc - optind != 2 || !tool) {
		status = nr_cmd_usage(&nr_cmd_ab, stderr, NR_EXIT_USAGE);
		goto out;
	}
	/* the name is a file name in this directory too (the campaign's path) */
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		status = nr_cmd_error("ab", NR_EXIT_USAGE, "--name wants a name without '/', not '%s'", name);
		goto out;
	}
	if (!critical_given && co.params.critical < co.params.threshold)
		co.params.critical = 2 * co.params.threshold;
	if (command_words(argv[optind], shell, &a, &d) < 0 ||
	    command_words(argv[optind + 1], shell, &b, &d) < 0 ||
	    parse_section(tool, &metrics, &parse, &d) < 0) {
		status = nr_cmd_error("ab", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	text = campaign_text(name, a, b, parse, pairs, timeout);
	a = b = parse = NULL; /* owned by the text's tree, freed with it */
	/*
	 * Named as a file in this directory, which does not exist: the
	 * commands run here (the campaign's directory), also on resume.
	 */
	cwd = getcwd(NULL, 0);
	path = nr_xasprintf("%s/%s", cwd ? cwd : ".", name);
	if (nr_campaign_load(path, text, &c, &d) < 0) {
		status = nr_cmd_error("ab", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	status = nr_cmd_run_campaign("ab", g, c, false, NULL, &ro, db, quiet, false, run_id);
	if (!run_id[0] || status == NR_EXIT_INTR || status == NR_EXIT_INFRA) {
		if (run_id[0])
			fprintf(stderr, "netrig ab: 'netrig run --run %.8s' finishes the run, then "
					"'netrig compare --variants %.8s' judges it\n", run_id, run_id);
		goto out;
	}
	if (nr_store_open_existing(db, &st, &d) < 0) {
		status = nr_cmd_error("ab", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	co.cand_sel = run_id;
	co.metrics = &metrics;
	if (nr_compare_variants(st, &co, &cmp, &d) < 0) {
		status = nr_cmd_error("ab", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	have_cmp = true;
	nr_report_comparison(&cmp, fmt, &out);
	if (nr_cmd_write_out("ab", outfile, &out) != 0)
		status = NR_EXIT_INFRA;
	else if (status == NR_EXIT_OK && nr_comparison_fails(&cmp, fail_on))
		status = NR_EXIT_FAIL;
out:
	if (have_cmp)
		nr_comparison_release(&cmp);
	nr_buf_release(&out);
	nr_store_close(st);
	nr_campaign_free(c);
	json_decref(a);
	json_decref(b);
	json_decref(parse);
	nr_strvec_clear(&metrics);
	nr_kv_clear(&ro.labels);
	free(text);
	free(path);
	free(cwd);
	return status;
}

const struct nr_cmd nr_cmd_ab = {
	.name = "ab",
	.summary = "compare two commands pair by pair (A/B in one run); exit 1 on a regression",
	.usage = "ab 'CMD_A' 'CMD_B' --parse TOOL [--repeat N] [--metric M]... [--shell]\n"
		 "                  [--name NAME] [--timeout DUR] [--threshold 10%] [--critical 20%]\n"
		 "                  [--fail-on warning|critical] [--alpha 1%] [--format text|md|json|junit]\n"
		 "                  [-o FILE] [-q] [--db PATH]\n"
		 "\n"
		 "Runs CMD_A (the baseline) and CMD_B (the candidate) N times each (default 10),\n"
		 "in pairs, ABBA (A first in even pairs, B first in odd ones), parses each\n"
		 "output with TOOL's parser, stores everything as a run of campaign NAME\n"
		 "(default ab) with variants A and B, and prints the paired verdict per metric\n"
		 "(as compare --variants). The commands are split into words as a campaign's\n"
		 "run: strings are, and no shell sees them; --shell gives each to sh -c\n"
		 "instead (pipes, redirections, $VARS: the command is then shell syntax, with\n"
		 "everything that means for quoting).\n"
		 "\n"
		 "  --parse TOOL     a tool parser (iperf3, sockperf, netrig, ...), or keyvalue\n"
		 "                   with the metrics named by --metric\n"
		 "  --metric M       judge only this metric (repeatable); with keyvalue\n"
		 "                   NAME[:higher|lower] declares it and its direction\n"
		 "  --repeat N       pairs (default 10)\n"
		 "\n"
		 "Exit status: 0 no regression, 1 a regression or a failed case, 2 bad usage,\n"
		 "3 stopped, 130 interrupted (the run is resumable: netrig run --run RUN).",
	.run = run_ab,
};
