/*
 * netrig compare BASE CAND: per series, did the candidate really change?
 * Exit 1 on a regression (of severity >= --fail-on), so CI can gate on it.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "cmd/cmd.h"
#include "cmd/cmd_verdict.h"
#include "compare/compare.h"
#include "report/report.h"

extern const struct nr_cmd nr_cmd_compare;

int nr_cmd_verdict_option(const char *cmd, int opt, const char *arg, struct nr_compare_opts *o,
			  enum nr_analysis_severity *fail_on, enum nr_report_format *fmt,
			  bool *critical_given)
{
	switch (opt) {
	case 't':
		if (nr_parse_ratio(arg, &o->params.threshold) < 0)
			return nr_cmd_error(cmd, -1, "--threshold wants a percentage such as 10%%");
		o->params_from_cli = true;
		return 0;
	case 'c':
		if (nr_parse_ratio(arg, &o->params.critical) < 0)
			return nr_cmd_error(cmd, -1, "--critical wants a percentage such as 20%%");
		*critical_given = true;
		o->params_from_cli = true;
		return 0;
	case 'a':
		if (nr_parse_ratio(arg, &o->params.alpha) < 0 || !(o->params.alpha > 0) ||
		    !(o->params.alpha < 0.5))
			return nr_cmd_error(cmd, -1, "--alpha wants a false-alarm level such as 1%% "
					    "(above 0, below 50%%)");
		return 0;
	case 'F':
		if (!strcmp(arg, "warning"))
			*fail_on = NR_SEVERITY_WARNING;
		else if (!strcmp(arg, "critical"))
			*fail_on = NR_SEVERITY_CRITICAL;
		else
			return nr_cmd_error(cmd, -1, "--fail-on takes warning or critical");
		return 0;
	case 'f':
		if (nr_report_format_parse(arg, fmt) < 0 || *fmt == NR_REPORT_CSV || *fmt == NR_REPORT_HTML)
			return nr_cmd_error(cmd, -1, "--format takes text, md, json or junit");
		return 0;
	}
	return -1;
}

static int run_compare(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "threshold", required_argument, NULL, 't' },
		{ "critical", required_argument, NULL, 'c' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "baseline-window", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "history", no_argument, NULL, 'H' },
		{ "variants", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_compare_opts o = { .baseline_window = 1,
				     .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };
	enum nr_report_format fmt = NR_REPORT_TEXT;
	enum nr_analysis_severity fail_on = NR_SEVERITY_WARNING;
	const char *db = g->db_path, *outfile = NULL;
	struct nr_comparison c = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	bool critical_given = false, variants = false, window_given = false;
	uint64_t w;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "d:t:c:F:a:w:f:o:HVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 't':
		case 'c':
		case 'a':
		case 'F':
		case 'f':
			if (nr_cmd_verdict_option("compare", opt, optarg, &o, &fail_on, &fmt,
						  &critical_given) < 0)
				return NR_EXIT_USAGE;
			break;
		case 'w':
			if (nr_parse_u64(optarg, 10000, &w) < 0 || w == 0)
				return nr_cmd_error("compare", NR_EXIT_USAGE, "--baseline-window wants a count from 1");
			o.baseline_window = (size_t)w;
			window_given = true;
			break;
		case 'V':
			variants = true;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'H':
			o.history = true;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_compare, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_compare, stderr, NR_EXIT_USAGE);
		}
	}
	if (variants ? argc - optind > 1 : argc - optind != 2)
		return nr_cmd_usage(&nr_cmd_compare, stderr, NR_EXIT_USAGE);
	/* one run with itself: no baseline runs to pool, no history to search */
	if (variants && (window_given || o.history))
		return nr_cmd_error("compare", NR_EXIT_USAGE, "--variants compares the variants of one "
				    "run: %s does not apply", window_given ? "--baseline-window" : "--history");
	if (!critical_given && o.params.critical < o.params.threshold)
		o.params.critical = 2 * o.params.threshold;
	if (variants) {
		o.cand_sel = optind < argc ? argv[optind] : NULL;
	} else {
		o.base_sel = argv[optind];
		o.cand_sel = argv[optind + 1];
	}
	if (nr_store_open_existing(db, &st, &d) < 0)
		return nr_cmd_error("compare", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	if ((variants ? nr_compare_variants(st, &o, &c, &d) : nr_compare_runs(st, &o, &c, &d)) < 0) {
		status = nr_cmd_error("compare", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	nr_report_comparison(&c, fmt, &out);
	status = nr_cmd_write_out("compare", outfile, &out);
	if (status == 0)
		status = nr_comparison_fails(&c, fail_on) ? NR_EXIT_FAIL : NR_EXIT_OK;
out:
	nr_buf_release(&out);
	nr_comparison_release(&c);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_compare = {
	.name = "compare",
	.summary = "compare a candidate run with a baseline; exit 1 on a regression or a breached limit",
	.usage = "compare BASE CAND [--threshold 10%] [--critical 20%] [--fail-on warning|critical]\n"
		 "                  [--alpha 1%] [--baseline-window N] [--format text|md|json|junit]\n"
		 "                  [-o FILE] [--history] [--db PATH]\n"
		 "       netrig compare --variants [RUN] [--threshold ...] [--critical ...] [--fail-on ...]\n"
		 "                  [--alpha ...] [--format ...] [-o FILE] [--db PATH]\n"
		 "\n"
		 "BASE and CAND select runs: a run id (or a unique prefix), latest,\n"
		 "branch:NAME (its latest finished run), commit:SHA, label:KEY=VALUE. The\n"
		 "baseline is taken from the candidate's campaign and is never the candidate.\n"
		 "\n"
		 "All series (case x role x metric) are judged together: per series a t-test on\n"
		 "the log values of the repeats, its noise estimate shared with the series of the\n"
		 "same metric (empirical Bayes), p-values adjusted across the comparison (Holm)\n"
		 "so that an unchanged candidate fails with probability at most --alpha. A\n"
		 "significant change is a regression or improvement unless its interval lies\n"
		 "inside +-threshold (then stable: real, below the threshold); otherwise a\n"
		 "series is stable when its interval rules out a change of the threshold and\n"
		 "noisy when it does not. changed: a metric that is neither better higher nor\n"
		 "lower. Each series shows its noise, the change it can detect with its repeats\n"
		 "and the repeats it would need to detect its threshold.\n"
		 "Thresholds given in the campaign (per test and metric, read from the copy\n"
		 "stored with the candidate run) apply unless --threshold is given. The\n"
		 "candidate's limits (`limits:` of that copy) are checked whatever the\n"
		 "thresholds: a breach fails the comparison (critical, unless the limit says\n"
		 "severity: warning).\n"
		 "Definitions: docs/analysis.md.\n"
		 "\n"
		 "  --alpha P             chance of any false regression in the comparison (1%)\n"
		 "  --baseline-window N   pool the repeats of the last N baseline runs\n"
		 "  --fail-on critical    exit 1 only for critical regressions and breaches\n"
		 "  --history             add the last change point of each regressed series\n"
		 "  --variants [RUN]      the two variants of one run (a campaign with 'variants:'),\n"
		 "                        pair by pair: per series the log ratios of repeat i of the\n"
		 "                        second variant to repeat i of the first, judged by the same\n"
		 "                        rules; beside them a signed-rank test and a bootstrap\n"
		 "                        interval of the median ratio. RUN defaults to the latest\n"
		 "\n"
		 "Exit status: 0 no regression, 1 a regression or a breached limit (of severity\n"
		 ">= --fail-on), 2 bad usage or no such run.",
	.run = run_compare,
};
