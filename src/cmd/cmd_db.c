/* netrig db merge|migrate|runs: the results database itself. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "cmd/cmd.h"
#include "report/report.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_db;

static int db_merge(int argc, char **argv)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	char *shown;
	int i, r, status = NR_EXIT_OK;

	if (argc < 3)
		return nr_cmd_usage(&nr_cmd_db, stderr, NR_EXIT_USAGE);
	if (nr_store_open(argv[1], &st, &d) < 0)
		return nr_cmd_error("db merge", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	for (i = 2; i < argc; i++) {
		struct nr_merge_stats m = { 0 };

		nr_diag_clear(&d);
		r = nr_store_merge(st, argv[i], &m, &d);
		if (r < 0) {
			/* an unusable source is the user's to fix (2); a failing target is not (3) */
			status = nr_cmd_error("db merge",
					      r == NR_EINVAL || r == NR_ESCHEMA ? NR_EXIT_USAGE
										: NR_EXIT_INFRA,
					      "%s", nr_diag_msg(&d));
			break;
		}
		shown = nr_store_location_shown(argv[i]); /* a URL's password stays out of logs */
		printf("%s: %lld runs, %lld cases, %lld attempts, %lld samples added\n", shown,
		       (long long)m.runs, (long long)m.cases, (long long)m.attempts,
		       (long long)m.samples);
		free(shown);
	}
	nr_store_close(st);
	return status;
}

static int db_runs(const char *db, int argc, char **argv)
{
	struct nr_run_rec *runs = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	uint64_t limit = 20;
	size_t n = 0, i;
	int status = NR_EXIT_OK;

	if (argc > 1 && nr_parse_u64(argv[1], 1000000, &limit) < 0)
		return nr_cmd_error("db runs", NR_EXIT_USAGE, "'%s' is not a count", argv[1]);
	if (nr_store_open_existing(db, &st, &d) < 0 ||
	    nr_store_runs_list(st, (size_t)limit, &runs, &n, &d) < 0) {
		status = nr_cmd_error("db runs", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	for (i = 0; i < n; i++)
		nr_report_run_line(&runs[i], &out);
	fwrite(out.buf, 1, out.len, stdout);
out:
	nr_buf_release(&out);
	nr_runs_free(runs, n);
	nr_store_close(st);
	return status;
}

static int db_migrate(const char *db)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	char *shown;
	int from;

	if (nr_store_open_existing(db, &st, &d) < 0)
		return nr_cmd_error("db migrate", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	from = nr_store_opened_version(st);
	shown = nr_store_location_shown(db);
	if (from == NR_STORE_SCHEMA_VERSION)
		printf("%s: schema version %d, up to date\n", shown, from);
	else
		printf("%s: migrated from schema version %d to %d\n", shown, from,
		       NR_STORE_SCHEMA_VERSION);
	free(shown);
	nr_store_close(st);
	return NR_EXIT_OK;
}

static int run_db(const struct nr_global *g, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return nr_cmd_usage(&nr_cmd_db, argc < 2 ? stderr : stdout,
				    argc < 2 ? NR_EXIT_USAGE : NR_EXIT_OK);
	if (!strcmp(argv[1], "merge"))
		return db_merge(argc - 1, argv + 1);
	if (!strcmp(argv[1], "runs"))
		return db_runs(g->db_path, argc - 1, argv + 1);
	if (!strcmp(argv[1], "migrate"))
		return db_migrate(argc > 2 ? argv[2] : g->db_path);
	return nr_cmd_error("db", NR_EXIT_USAGE, "unknown subcommand '%s' (merge, migrate, runs)",
			    argv[1]);
}

const struct nr_cmd nr_cmd_db = {
	.name = "db",
	.summary = "merge result databases, list runs, migrate a database",
	.usage = "db merge TARGET SOURCE...   add the runs of each SOURCE to TARGET\n"
		 "       netrig db runs [N]           the latest N runs (default 20)\n"
		 "       netrig db migrate [DB]       bring a database to this version's schema\n"
		 "\n"
		 "A database is an SQLite file (PATH) or a PostgreSQL URL\n"
		 "(postgres://USER@HOST/DB); merges go either way between them.\n"
		 "Merging is idempotent: a run, case, attempt or sample already in TARGET is\n"
		 "not added twice; a run that went further in SOURCE is brought forward.",
	.run = run_db,
};
