/* netrig results [RUN]: samples with median/min/max per case and metric. */
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum nr_report_format fmt = NR_REPORT_TEXT;
	const char *db = g->db_path;
	struct nr_run_rec run = { 0 };
	struct nr_sample_row *rows = NULL;
	struct nr_result_row *res = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	size_t n = 0, n_res = 0;
	int opt, status = NR_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "d:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			if (nr_report_format_parse(optarg, &fmt) < 0)
				return nr_cmd_error("results", NR_EXIT_USAGE,
						    "--format must be table, csv or json, not '%s'", optarg);
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_results, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_results, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		return nr_cmd_usage(&nr_cmd_results, stderr, NR_EXIT_USAGE);
	if (nr_store_open_existing(db, &st, &d) < 0 ||
	    nr_store_run_get(st, optind < argc ? argv[optind] : NULL, &run, &d) < 0 ||
	    nr_store_samples_list(st, run.id, false, &rows, &n, &d) < 0) {
		status = nr_cmd_error("results", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	nr_report_aggregate(rows, n, &res, &n_res);
	if (fmt == NR_REPORT_TEXT)
		nr_report_run_line(&run, &out);
	nr_report_results(&run, res, n_res, fmt, &out);
	fwrite(out.buf, 1, out.len, stdout);
out:
	nr_buf_release(&out);
	free(res);
	nr_sample_rows_free(rows, n);
	nr_run_rec_release(&run);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_results = {
	.name = "results",
	.summary = "show a run's results: median, min, max per case and metric",
	.usage = "results [RUN] [--db PATH] [--format table|csv|json]\n"
		 "\n"
		 "RUN is a run id or a unique prefix of one (default: the latest run).",
	.run = run_results,
};
