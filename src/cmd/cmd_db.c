/* netrig db merge|migrate|runs: the results database itself. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
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

/* An age: days ("90d") or what a duration takes ("12h", "30m", "3600"). */
static int parse_age_us(const char *s, int64_t *ret_us)
{
	size_t len = strlen(s);
	double days;
	char *num;
	int r;

	if (len < 2 || s[len - 1] != 'd')
		return nr_parse_duration_us(s, ret_us);
	num = nr_xstrndup(s, len - 1);
	r = nr_parse_double(num, &days);
	free(num);
	if (r < 0 || days <= 0 || days > 100000)
		return NR_EINVAL;
	*ret_us = (int64_t)(days * 86400e6);
	return 0;
}

static int db_prune(const char *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-runs", required_argument, NULL, 'k' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "outputs-only", no_argument, NULL, 'O' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_prune_rule rule = { .now_us = nr_wall_us() };
	struct nr_prune_stats s = { 0 };
	struct nr_strvec ids = NR_STRVEC_INIT;
	struct nr_run_rec *runs = NULL;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	bool outputs_only = false, dry = false;
	size_t n = 0;
	uint64_t k;
	int opt, status = NR_EXIT_OK;

	optind = 0; /* getopt_long starts afresh: argv[0] is the action */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			if (nr_parse_u64(optarg, 1000000000, &k) < 0 || k == 0)
				return nr_cmd_error("db prune", NR_EXIT_USAGE,
						    "--keep-runs wants a count of 1 or more, not '%s'", optarg);
			rule.keep_runs = (size_t)k;
			break;
		case 'o':
			/* days (90d) as well as the usual units: retention is said in days */
			if (parse_age_us(optarg, &rule.older_than_us) < 0 || rule.older_than_us <= 0)
				return nr_cmd_error("db prune", NR_EXIT_USAGE,
						    "--older-than wants an age (90d, 12h, 30m), not '%s'", optarg);
			break;
		case 'O':
			outputs_only = true;
			break;
		case 'n':
			dry = true;
			break;
		default:
			return nr_cmd_usage(&nr_cmd_db, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind != argc || (!rule.keep_runs && !rule.older_than_us))
		return nr_cmd_error("db prune", NR_EXIT_USAGE,
				    "say what to keep: --keep-runs N or --older-than AGE");
	if (nr_store_open_existing(db, &st, &d) < 0 || nr_store_runs_list(st, 0, &runs, &n, &d) < 0) {
		status = nr_cmd_error("db prune", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	nr_store_prune_select(runs, n, &rule, &ids);
	if (dry) {
		printf("would prune %zu of %zu runs%s\n", ids.n, n, outputs_only ? " (raw outputs only)" : "");
		goto out;
	}
	if (nr_store_prune(st, &ids, outputs_only, &s, &d) < 0) {
		status = nr_cmd_error("db prune", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	if (outputs_only)
		printf("pruned the raw outputs of %zu of %zu runs: %lld outputs\n", ids.n, n,
		       (long long)s.outputs);
	else
		printf("pruned %lld of %zu runs: %lld attempts, %lld outputs, %lld samples\n",
		       (long long)s.runs, n, (long long)s.attempts, (long long)s.outputs,
		       (long long)s.samples);
	printf("(the file or tables keep their size until 'netrig db vacuum')\n");
out:
	nr_strvec_clear(&ids);
	nr_runs_free(runs, n);
	nr_store_close(st);
	return status;
}

static int db_vacuum(const char *db)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	int status = NR_EXIT_OK;

	if (nr_store_open_existing(db, &st, &d) < 0)
		return nr_cmd_error("db vacuum", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	if (nr_store_vacuum(st, &d) < 0)
		status = nr_cmd_error("db vacuum", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
	nr_store_close(st);
	return status;
}

/*
 * Every other command takes --db after its name too: take it (and
 * --db=PATH) out of a db subcommand's arguments, the last one winning as
 * with the global option. 0, or -1 when --db ends the line without a path.
 */
static int take_db_option(int *argc, char **argv, const char **db)
{
	int i, j = 0;

	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--db")) {
			if (i + 1 >= *argc)
				return -1;
			*db = argv[++i];
		} else if (!strncmp(argv[i], "--db=", 5)) {
			*db = argv[i] + 5;
		} else {
			argv[j++] = argv[i];
		}
	}
	*argc = j;
	argv[j] = NULL;
	return 0;
}

static int run_db(const struct nr_global *g, int argc, char **argv)
{
	const char *db = g->db_path;

	if (argc > 2 && strcmp(argv[1], "merge") && take_db_option(&argc, argv, &db) < 0)
		return nr_cmd_error("db", NR_EXIT_USAGE, "--db wants a database (PATH or postgres:// URL)");
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return nr_cmd_usage(&nr_cmd_db, argc < 2 ? stderr : stdout,
				    argc < 2 ? NR_EXIT_USAGE : NR_EXIT_OK);
	if (!strcmp(argv[1], "merge"))
		return db_merge(argc - 1, argv + 1);
	if (!strcmp(argv[1], "runs"))
		return db_runs(db, argc - 1, argv + 1);
	if (!strcmp(argv[1], "migrate"))
		return db_migrate(argc > 2 ? argv[2] : db);
	if (!strcmp(argv[1], "prune"))
		return db_prune(db, argc - 1, argv + 1);
	if (!strcmp(argv[1], "vacuum")) {
		if (argc > 2)
			return nr_cmd_error("db vacuum", NR_EXIT_USAGE, "takes no argument but --db, not '%s'",
					    argv[2]);
		return db_vacuum(db);
	}
	return nr_cmd_error("db", NR_EXIT_USAGE,
			    "unknown subcommand '%s' (merge, migrate, prune, runs, vacuum)", argv[1]);
}

const struct nr_cmd nr_cmd_db = {
	.name = "db",
	.summary = "merge result databases, list runs, migrate, prune and vacuum a database",
	.usage = "db merge TARGET SOURCE...   add the runs of each SOURCE to TARGET\n"
		 "       netrig db runs [N]           the latest N runs (default 20)\n"
		 "       netrig db migrate [DB]       bring a database to this version's schema\n"
		 "       netrig db prune --keep-runs N | --older-than AGE [--outputs-only] [--dry-run]\n"
		 "                                    remove old runs (of each campaign, the newest N\n"
		 "                                    kept; or those started before AGE: 90d, 12h),\n"
		 "                                    or only their raw outputs; never a running run\n"
		 "       netrig db vacuum             give the space of removed rows back\n"
		 "\n"
		 "runs, migrate, prune and vacuum work on --db (given before or after\n"
		 "the subcommand), else NETRIG_DB, else ./netrig.db.\n"
		 "A database is an SQLite file (PATH) or a PostgreSQL URL\n"
		 "(postgres://USER@HOST/DB); merges go either way between them.\n"
		 "Merging is idempotent: a run, case, attempt or sample already in TARGET is\n"
		 "not added twice; a run that went further in SOURCE is brought forward.",
	.run = run_db,
};
