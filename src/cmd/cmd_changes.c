/* netrig changes: change points over the history of a campaign, or of a CSV file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "cmd/cmd.h"
#include "compare/compare.h"
#include "report/report.h"

extern const struct nr_cmd nr_cmd_changes;

static int run_changes(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "campaign", required_argument, NULL, 'C' },
		{ "test", required_argument, NULL, 't' },
		{ "metric", required_argument, NULL, 'm' },
		{ "since", required_argument, NULL, 's' },
		{ "csv", required_argument, NULL, 'x' },
		{ "column", required_argument, NULL, 'c' },
		{ "window", required_argument, NULL, 'w' },
		{ "max-pvalue", required_argument, NULL, 'p' },
		{ "min-magnitude", required_argument, NULL, 'M' },
		{ "min-segment", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_changes_opts o = { .params = NR_ANALYSIS_CP_PARAMS_INIT };
	enum nr_report_format fmt = NR_REPORT_TEXT;
	const char *db = g->db_path, *csv = NULL, *column = NULL, *since = NULL, *outfile = NULL;
	struct nr_changes ch = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	struct nr_run_rec *runs = NULL;
	size_t n_runs = 0;
	bool segment_given = false, pvalue_given = false;
	uint64_t u;
	int opt, status = NR_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "d:C:t:m:s:x:c:w:p:M:S:f:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'C':
			o.campaign = optarg;
			break;
		case 't':
			o.test = optarg;
			break;
		case 'm':
			o.metric = optarg;
			break;
		case 's':
			since = optarg;
			break;
		case 'x':
			csv = optarg;
			break;
		case 'c':
			column = optarg;
			break;
		case 'w':
			if (nr_parse_u64(optarg, 1000000, &u) < 0 || u < 2)
				return nr_cmd_error("changes", NR_EXIT_USAGE, "--window wants a count from 2");
			o.params.window = (size_t)u;
			break;
		case 'p':
			if (nr_parse_double(optarg, &o.params.max_pvalue) < 0 || o.params.max_pvalue <= 0 ||
			    o.params.max_pvalue > 1)
				return nr_cmd_error("changes", NR_EXIT_USAGE, "--max-pvalue wants a number in (0, 1]");
			pvalue_given = true;
			break;
		case 'M':
			if (nr_parse_double(optarg, &o.params.min_magnitude) < 0 || o.params.min_magnitude < 0)
				return nr_cmd_error("changes", NR_EXIT_USAGE, "--min-magnitude wants a number >= 0");
			break;
		case 'S':
			if (nr_parse_u64(optarg, 1000000, &u) < 0 || u < 1)
				return nr_cmd_error("changes", NR_EXIT_USAGE, "--min-segment wants a count from 1");
			o.params.min_segment = (size_t)u;
			segment_given = true;
			break;
		case 'f':
			if (nr_report_format_parse(optarg, &fmt) < 0 ||
			    (fmt != NR_REPORT_TEXT && fmt != NR_REPORT_MD && fmt != NR_REPORT_JSON))
				return nr_cmd_error("changes", NR_EXIT_USAGE, "--format takes text, md or json");
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_changes, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_changes, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind != argc)
		return nr_cmd_usage(&nr_cmd_changes, stderr, NR_EXIT_USAGE);
	if (csv) {
		/* a CSV file is read as Otava reads it: no minimum segment unless asked */
		if (!segment_given)
			o.params.min_segment = 1;
		if (nr_changes_csv(csv, column, &o.params, &ch, &d) < 0) {
			status = nr_cmd_error("changes", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
			goto out;
		}
	} else {
		if (!pvalue_given)
			o.params.max_pvalue = NR_CHANGES_MAX_PVALUE;
		if (nr_store_open_existing(db, &st, &d) < 0) {
			status = nr_cmd_error("changes", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
			goto out;
		}
		if (!o.campaign || since) {
			if (nr_store_runs_select(st, since, o.campaign, 1, &runs, &n_runs, &d) < 0) {
				status = nr_cmd_error("changes", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
				goto out;
			}
			if (!o.campaign)
				o.campaign = runs[0].campaign;
			if (since)
				o.since_us = runs[0].started_us;
		}
		if (nr_changes_history(st, &o, &ch, &d) < 0) {
			status = nr_cmd_error("changes", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
			goto out;
		}
	}
	nr_report_changes(&ch, fmt, &out);
	status = nr_cmd_write_out("changes", outfile, &out);
out:
	nr_buf_release(&out);
	nr_changes_release(&ch);
	nr_runs_free(runs, n_runs);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_changes = {
	.name = "changes",
	.summary = "find change points over history (or in a CSV file)",
	.usage = "changes [--campaign C] [--test T] [--metric M] [--since RUN] [--format text|md|json]\n"
		 "       netrig changes --csv FILE [--column NAME]\n"
		 "     [--window 50] [--max-pvalue P] [--min-magnitude 0] [--min-segment 3] [-o FILE]\n"
		 "\n"
		 "Windowed E-divisive means with a two-sided Student t-test, as Apache Otava\n"
		 "does it, over one value per run (the median of its repeats) for every series\n"
		 "of a campaign (default: the latest run's). --since takes a run selector (an\n"
		 "id, commit:SHA, branch:NAME, ...) and starts the history there. Each change\n"
		 "point is attributed to the first run after it, with its commit.\n"
		 "--max-pvalue defaults to 1e-5 over stored histories (Otava's 0.001 marks a\n"
		 "change in 4-7 % of 100-run histories of pure noise) and to Otava's 0.001\n"
		 "with --csv. --min-segment (default 3; 1 with --csv, which reproduces Otava) is the fewest\n"
		 "points between change points: a one-run spike is not a change.\n"
		 "--csv reads a file with a header; the first column labels the points and every\n"
		 "other numeric column (or --column) is a series.",
	.run = run_changes,
};
