/*
 * netrig results [RUN]: samples with median/min/max per case and metric;
 * with --best METRIC, the best case of each test for that metric.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "report/report.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_results;

static int run_results(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "best", required_argument, NULL, 'b' },
		{ "max", no_argument, NULL, 'M' },
		{ "min", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum nr_report_format fmt = NR_REPORT_TEXT;
	enum nr_better force = NR_BETTER_NONE;
	const char *db = g->db_path, *best = NULL;
	struct nr_run_rec run = { 0 };
	struct nr_sample_row *rows = NULL;
	struct nr_result_row *res = NULL;
	struct nr_case_rec *cases = NULL;
	struct nr_best picks = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	size_t n = 0, n_res = 0, n_cases = 0;
	int opt, status = NR_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "d:f:b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			if (nr_report_format_parse(optarg, &fmt) < 0 ||
			    (fmt != NR_REPORT_TEXT && fmt != NR_REPORT_CSV && fmt != NR_REPORT_JSON))
				return nr_cmd_error("results", NR_EXIT_USAGE,
						    "--format must be table, csv or json, not '%s'", optarg);
			break;
		case 'b':
			best = optarg;
			break;
		case 'M':
		case 'm':
			if (force != NR_BETTER_NONE)
				return nr_cmd_error("results", NR_EXIT_USAGE, "--max and --min: give one");
			force = opt == 'M' ? NR_BETTER_HIGHER : NR_BETTER_LOWER;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_results, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_results, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		return nr_cmd_usage(&nr_cmd_results, stderr, NR_EXIT_USAGE);
	if (force != NR_BETTER_NONE && !best)
		return nr_cmd_error("results", NR_EXIT_USAGE, "--max and --min go with --best METRIC");
	if (nr_store_open_existing(db, &st, &d) < 0 ||
	    nr_store_run_get(st, optind < argc ? argv[optind] : NULL, &run, &d) < 0 ||
	    nr_store_samples_list(st, run.id, false, &rows, &n, &d) < 0 ||
	    (best && nr_store_cases_list(st, run.id, &cases, &n_cases, &d) < 0)) {
		status = nr_cmd_error("results", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	nr_report_aggregate(rows, n, &res, &n_res);
	if (best) {
		if (nr_report_best_pick(&run, cases, n_cases, res, n_res, best, force, &picks, &d) < 0) {
			status = nr_cmd_error("results", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
			goto out;
		}
		nr_report_best(&run, &picks, cases, n_cases, fmt, &out);
	} else {
		if (fmt == NR_REPORT_TEXT)
			nr_report_run_line(&run, &out);
		nr_report_results(&run, res, n_res, fmt, &out);
	}
	fwrite(out.buf, 1, out.len, stdout);
out:
	nr_best_release(&picks);
	nr_buf_release(&out);
	free(res);
	nr_sample_rows_free(rows, n);
	nr_cases_free(cases, n_cases);
	nr_run_rec_release(&run);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_results = {
	.name = "results",
	.summary = "show a run's results: median, min, max per case and metric; or the best case per test",
	.usage = "results [RUN] [--db PATH] [--format table|csv|json]\n"
		 "       netrig results --best METRIC [RUN] [--max | --min] [--format table|csv|json]\n"
		 "\n"
		 "RUN is a run id or a unique prefix of one (default: the latest run).\n"
		 "  --best METRIC  the best passed case of each test for METRIC, on the median of\n"
		 "                 its repeats, by the metric's better direction, with its\n"
		 "                 parameters, median and repeats; a tie lists every case that\n"
		 "                 shares the best median, a test without the metric says so\n"
		 "  --max, --min   best is the highest (lowest) median, whatever the metric says;\n"
		 "                 needed for a metric that is neither better higher nor lower",
	.run = run_results,
};
