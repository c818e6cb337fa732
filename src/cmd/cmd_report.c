/*
 * netrig report [RUN]: a run's report (text, md, json, junit, csv, html),
 * with a comparison against a baseline and the campaign's change points;
 * or the dashboard's JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cmd/cmd.h"
#include "compare/compare.h"
#include "report/report.h"

extern const struct nr_cmd nr_cmd_report;

static int run_report(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "dashboard", no_argument, NULL, 'D' },
		{ "query", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum nr_report_format fmt = NR_REPORT_TEXT;
	const char *db = g->db_path, *outfile = NULL, *baseline = NULL, *query = NULL;
	struct nr_report_load l = { 0 };
	const struct nr_report_run *rep;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	bool dashboard = false;
	int opt, status = NR_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "d:f:o:b:DQ:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			if (nr_report_format_parse(optarg, &fmt) < 0)
				return nr_cmd_error("report", NR_EXIT_USAGE,
						    "--format takes text, md, json, junit, csv or html");
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'D':
			dashboard = true;
			break;
		case 'Q':
			query = optarg;
			dashboard = true;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_report, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_report, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		return nr_cmd_usage(&nr_cmd_report, stderr, NR_EXIT_USAGE);
	/* the dashboard covers every campaign's latest run: a RUN or a
	 * baseline would be silently ignored there, so refuse them */
	if (dashboard && (optind < argc || baseline))
		return nr_cmd_error("report", NR_EXIT_USAGE, "%s takes no %s: it reports the latest run "
				    "of every campaign", query ? "--query" : "--dashboard",
				    optind < argc ? "RUN" : "--baseline");
	if (nr_store_open_existing(db, &st, &d) < 0)
		return nr_cmd_error("report", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	if (dashboard) {
		if (query ? nr_store_query_json(st, query, 1000000, &out, &d) < 0
			  : nr_report_dashboard(st, &out, &d) < 0)
			status = nr_cmd_error("report", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		else
			status = nr_cmd_write_out("report", outfile, &out);
		goto out;
	}
	if (nr_report_load(st, optind < argc ? argv[optind] : NULL, baseline, &l, &d) < 0) {
		status = nr_cmd_error("report", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	rep = &l.rep;
	if (rep->cmp_missing)
		fprintf(stderr, "netrig report: no comparison: %s\n", rep->cmp_missing);
	if (fmt == NR_REPORT_HTML)
		nr_report_html(rep, &out);
	else
		nr_report_run(rep, fmt, &out);
	status = nr_cmd_write_out("report", outfile, &out);
	if (status == 0) {
		enum nr_verdict verdict = nr_report_verdict_of(rep);

		if (verdict != NR_VERDICT_PASSED &&
		    !(verdict == NR_VERDICT_RUN && rep->run->status == NR_RUN_RUNNING))
			status = NR_EXIT_FAIL;
	}
out:
	nr_report_load_release(&l);
	nr_buf_release(&out);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_report = {
	.name = "report",
	.summary = "a run's report (text, md, json, junit, csv, html), or the dashboard JSON",
	.usage = "report [RUN] [--format text|md|json|junit|csv|html] [--baseline SEL] [-o FILE] [--db PATH]\n"
		 "       netrig report --dashboard [-o site.json] [--query SQL]\n"
		 "\n"
		 "RUN: a run id or unique prefix (default: the latest run).\n"
		 "  --baseline SEL  add a comparison with that run (id, latest, branch:, commit:,\n"
		 "                  label:); when no run matches (a branch's first run), the report\n"
		 "                  says so and goes out without one\n"
		 "  --dashboard     the latest run of each campaign with its results, as JSON\n"
		 "  --query SQL     the rows of one read-only SQL statement, as JSON\n"
		 "md suits pull-request comments and CI job summaries; junit CI test viewers;\n"
		 "html is one self-contained page with charts.\n"
		 "\n"
		 "A run of a campaign with variants also compares its variants pair by pair\n"
		 "(as compare --variants). The run's series are checked against the limits of\n"
		 "its campaign (as stored with the run), with or without --baseline.\n"
		 "Every format states one verdict: the run's status when it did not pass, else\n"
		 "limit when a limit was breached, else regression when a comparison found\n"
		 "one, else passed.\n"
		 "Exit status: 0 passed (or still running), 1 failed, a limit breached or a\n"
		 "regression, 2 bad usage.",
	.run = run_report,
};
