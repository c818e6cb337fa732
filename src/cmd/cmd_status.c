/* netrig status [RUN]: the status sheet of a run (text, --csv, --json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "report/report.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_status;

static int run_status(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "csv", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum nr_report_format fmt = NR_REPORT_TEXT;
	const char *db = g->db_path, *outfile = NULL;
	struct nr_run_rec run = { 0 };
	struct nr_case_rec *cases = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	size_t n = 0;
	int opt, status = NR_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "d:cjo:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			fmt = NR_REPORT_CSV;
			break;
		case 'j':
			fmt = NR_REPORT_JSON;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_status, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_status, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		return nr_cmd_usage(&nr_cmd_status, stderr, NR_EXIT_USAGE);
	if (nr_store_open(db, &st, &d) < 0 ||
	    nr_store_run_get(st, optind < argc ? argv[optind] : NULL, &run, &d) < 0 ||
	    nr_store_cases_list(st, run.id, &cases, &n, &d) < 0) {
		status = nr_cmd_error("status", st ? NR_EXIT_USAGE : NR_EXIT_USAGE, "%s",
				      nr_diag_msg(&d));
		goto out;
	}
	if (fmt == NR_REPORT_TEXT) {
		nr_report_run_line(&run, &out);
		if (run.reason)
			nr_buf_addf(&out, "  %s\n", run.reason);
	}
	nr_report_status(&run, cases, n, fmt, &out);
	if (outfile) {
		FILE *f = fopen(outfile, "w");

		if (!f || fwrite(out.buf, 1, out.len, f) != out.len) {
			status = nr_cmd_error("status", NR_EXIT_INFRA, "cannot write %s", outfile);
			if (f)
				fclose(f);
			goto out;
		}
		fclose(f);
	} else {
		fwrite(out.buf, 1, out.len, stdout);
	}
out:
	nr_buf_release(&out);
	nr_cases_free(cases, n);
	nr_run_rec_release(&run);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_status = {
	.name = "status",
	.summary = "show the status sheet of a run",
	.usage = "status [RUN] [--db PATH] [--csv | --json] [-o FILE]\n"
		 "\n"
		 "RUN is a run id or a unique prefix of one (default: the latest run).\n"
		 "  --csv        the sheet as CSV (one row per case)\n"
		 "  --json       the sheet as JSON\n"
		 "  -o FILE      write to FILE instead of standard output",
	.run = run_status,
};
