/*
 * netrig run CAMPAIGN: run a campaign (or --resume its unfinished run),
 * showing progress, storing everything, and ending with the results.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "exec/exec.h"
#include "lab/lab.h"
#include "cmd/cmd.h"
#include "report/report.h"
#include "runner/runner.h"
#include "store/store.h"
#include "sysinfo/sysinfo.h"

extern const struct nr_cmd nr_cmd_run;

static int cancel_pipe[2] = { -1, -1 };
static volatile sig_atomic_t signals_seen;

/* How long a hurried run (the third ^C) may take to end its processes and record itself. */
#define HURRY_SECONDS 5

static void on_signal(int sig)
{
	int saved = errno;

	signals_seen++;
	if (sig == SIGALRM || signals_seen >= 4)
		_exit(NR_EXIT_INTR); /* stuck even so, or a fourth ^C: leave now; the guard ends the rest */
	if (write(cancel_pipe[1], "x", 1) < 0) {
		/* nothing to do: a full pipe already says "stop" */
	}
	if (signals_seen == 3) {
		/*
		 * The third ^C: no more grace. Every process of the case gets
		 * SIGKILL now and the run is recorded interrupted, in moments.
		 */
		nr_exec_hurry();
		alarm(HURRY_SECONDS);
	}
	errno = saved;
}

struct progress {
	bool tty;
	bool quiet;
	int verbose;
	bool line_shown;
};

static void clear_line(struct progress *p)
{
	if (p->line_shown) {
		fputs("\r\033[K", stderr);
		p->line_shown = false;
	}
}

static void on_event(void *ctx, const struct nr_event *ev)
{
	struct progress *p = ctx;
	char el[32], eta[32];
	/* text from roles and campaigns, with its control characters escaped */
	char *key = ev->c ? nr_str_escaped(ev->c->key) : NULL;

	if (p->quiet)
		goto out;
	switch (ev->kind) {
	case NR_EV_RUN_START: {
		char *name = nr_str_escaped(ev->run->campaign);

		fprintf(stderr, "netrig: run %s of %s: %zu cases", ev->run->id, name, ev->total);
		free(name);
		if (ev->done)
			fprintf(stderr, " (%zu done before, resuming)", ev->done);
		fputc('\n', stderr);
		break;
	}
	case NR_EV_CASE_START:
		if (p->tty) {
			int64_t left = ev->case_avg_us * (int64_t)(ev->total - ev->done);

			clear_line(p);
			fprintf(stderr, "[%zu/%zu] %zu passed, %zu failed  %s  ETA %s  %s",
				ev->done + 1, ev->total, ev->passed, ev->failed,
				nr_fmt_duration(el, sizeof(el), ev->elapsed_us),
				ev->case_avg_us ? nr_fmt_duration(eta, sizeof(eta), left) : "?", key);
			p->line_shown = true;
		}
		break;
	case NR_EV_ATTEMPT_END:
		if (ev->a->outcome != NR_ATTEMPT_PASSED || p->verbose) {
			char *error = nr_str_escaped(ev->a->error);

			clear_line(p);
			char what[32];

			if (ev->a->repeat < 0)
				snprintf(what, sizeof(what), "build");
			else
				snprintf(what, sizeof(what), "repeat %d", ev->a->repeat + 1);
			fprintf(stderr, "  %s attempt %d (%s): %s%s%s\n", key, ev->a->number, what,
				nr_attempt_outcome_name(ev->a->outcome), ev->a->error ? ": " : "", error);
			free(error);
		}
		break;
	case NR_EV_CASE_END:
		if (!p->tty) {
			fprintf(stderr, "[%zu/%zu] %-6s %s (%d attempt%s)\n", ev->done, ev->total,
				nr_case_status_name(ev->c->status), key, ev->c->attempts,
				ev->c->attempts == 1 ? "" : "s");
		}
		break;
	case NR_EV_NOTE: {
		char *msg = nr_str_escaped(ev->msg);

		clear_line(p);
		fprintf(stderr, "netrig: %s\n", msg);
		free(msg);
		break;
	}
	case NR_EV_RUN_END:
		clear_line(p);
		break;
	}
	fflush(stderr);
out:
	free(key);
}

static int print_results(struct nr_store *st, const char *run_id)
{
	struct nr_run_rec run = { 0 };
	struct nr_sample_row *rows = NULL;
	struct nr_result_row *res = NULL;
	struct nr_buf out = NR_BUF_INIT;
	size_t n = 0, n_res = 0;
	struct nr_diag d = { 0 };

	if (nr_store_run_get(st, run_id, &run, &d) < 0 ||
	    nr_store_samples_list(st, run.id, false, &rows, &n, &d) < 0) {
		fprintf(stderr, "netrig run: %s\n", nr_diag_msg(&d));
		nr_run_rec_release(&run);
		return -1;
	}
	nr_report_aggregate(rows, n, &res, &n_res);
	nr_report_results(&run, res, n_res, NR_REPORT_TEXT, &out);
	fputs(out.buf, stdout);
	nr_buf_release(&out);
	free(res);
	nr_sample_rows_free(rows, n);
	nr_run_rec_release(&run);
	return 0;
}

/*
 * The run's series against its campaign's limits (as stored with it): the
 * breaches listed (and a summary line unless quiet). Returns the number of
 * breaches, or -1 with a message printed.
 */
static long check_limits(struct nr_store *st, const char *run_id, bool quiet)
{
	struct nr_run_rec run = { 0 };
	struct nr_limits lim = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	long breached;

	if (nr_store_run_get(st, run_id, &run, &d) < 0 || nr_compare_limits(st, &run, NULL, 0, &lim, &d) < 0) {
		fprintf(stderr, "netrig run: cannot check the limits: %s\n", nr_diag_msg(&d));
		nr_run_rec_release(&run);
		return -1;
	}
	if (lim.breached || (lim.n && !quiet))
		nr_report_limits(&lim, run.id, NR_REPORT_TEXT, &out);
	fputs(out.buf, stdout);
	breached = (long)lim.breached;
	nr_buf_release(&out);
	nr_limits_release(&lim);
	nr_run_rec_release(&run);
	return breached;
}

static int label_arg(struct nr_kv *kv, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *k;

	if (!eq || eq == arg)
		return -1;
	k = nr_xstrndup(arg, (size_t)(eq - arg));
	nr_kv_set(kv, k, eq + 1);
	free(k);
	return 0;
}

/*
 * Run campaign c (resume_run NULL), or resume: the latest unfinished run
 * of c (resume, c given), or run resume_run. Progress on stderr, the
 * results table unless quiet or !table, the summary line. The exit
 * status of `netrig run`; the run's id in ret_run_id when there is one.
 */
int nr_cmd_run_campaign(const char *name, const struct nr_global *g, const struct nr_campaign *c,
			bool resume, const char *resume_run, struct nr_runner_opts *o, const char *db,
			bool quiet, bool table, char *ret_run_id)
{
	struct progress prog = { .tty = isatty(2), .quiet = quiet, .verbose = g->verbose };
	struct nr_run_summary sum = { 0 };
	struct nr_store *st = NULL;
	struct nr_sysinfo *si = NULL;
	struct nr_diag d = { 0 };
	char *sysinfo_json = NULL;
	struct sigaction sa;
	long breached = 0;
	int r, status;

	ret_run_id[0] = '\0';
	if (c && !prog.quiet)
		nr_cmd_warnings(&c->warnings);
	if (c && c->lab && !nr_lab_is_up(c->lab)) {
		status = nr_cmd_error(name, NR_EXIT_INFRA, "lab '%s' is not up: run 'netrig lab up %s' first",
				      c->lab->name, c->lab->path);
		goto out;
	}
	if (!resume) {
		/* plan errors (a random count too large) are campaign errors: before anything runs */
		struct nr_plan plan = { 0 };

		r = nr_plan_build(c, o->select, &plan, &d);
		nr_plan_release(&plan);
		if (r < 0) {
			fprintf(stderr, "%s\n", nr_diag_msg(&d));
			status = NR_EXIT_USAGE;
			goto out;
		}
	}
	if (nr_store_open(db, &st, &d) < 0) {
		nr_cmd_error(name, 0, "%s", nr_diag_msg(&d));
		status = NR_EXIT_USAGE;
		goto out;
	}
	if (nr_sysinfo_collect(&si, NULL) == 0) {
		sysinfo_json = nr_sysinfo_to_json(si);
		nr_sysinfo_free(si);
	}
	o->sysinfo_json = sysinfo_json;
	if (pipe2(cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		status = nr_cmd_error(name, NR_EXIT_INFRA, "pipe: %s", strerror(errno));
		goto out;
	}
	o->cancel_fd = cancel_pipe[0];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	o->on_event = on_event;
	o->ctx = &prog;
	if (resume) {
		if (c && strcmp(c->hash, "") != 0 && !resume_run) {
			struct nr_run_rec prev = { 0 };

			if (nr_store_run_resumable(st, c->name, &prev, NULL) == 0 &&
			    prev.config_hash && strcmp(prev.config_hash, c->hash) != 0 && !prog.quiet)
				fprintf(stderr, "netrig: %s changed since run %s started; "
						"resuming with the campaign as it was then\n",
					c->path, prev.short_id);
			nr_run_rec_release(&prev);
		}
		r = nr_runner_resume(st, c ? c->name : NULL, resume_run, o, &sum, &d);
	} else {
		r = nr_runner_run(st, c, o, &sum, &d);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	alarm(0);
	if (r < 0) {
		nr_cmd_error(name, 0, "%s", nr_diag_msg(&d));
		status = r == NR_ENOTFOUND || r == NR_EINVAL || r == NR_ECONFIG ? NR_EXIT_USAGE
										  : NR_EXIT_INFRA;
		goto out;
	}
	memcpy(ret_run_id, sum.run_id, sizeof(sum.run_id));
	if (!prog.quiet && table)
		print_results(st, sum.run_id);
	/* checked with or without a baseline: a limit is not relative to anything */
	breached = check_limits(st, sum.run_id, prog.quiet);
	printf("run %s: %s, %zu cases: %zu passed, %zu failed", sum.run_id,
	       nr_run_status_name(sum.status), sum.total,
	       sum.passed, sum.failed);
	if (sum.failed_optional)
		printf(" (%zu on optional hosts, which do not fail the run)", sum.failed_optional);
	printf(", %zu not run", sum.pending);
	if (breached > 0)
		printf("; %ld limit%s breached", breached, breached == 1 ? "" : "s");
	putchar('\n');
	if (sum.reason[0] && sum.status != NR_RUN_PASSED) {
		char *reason = nr_str_escaped(sum.reason);

		printf("  %s\n", reason);
		free(reason);
	}
	if (sum.status == NR_RUN_PASSED)
		status = NR_EXIT_OK;
	else if (sum.status == NR_RUN_FAILED)
		status = NR_EXIT_FAIL;
	else if (sum.status == NR_RUN_STOPPED)
		status = NR_EXIT_INFRA;
	else
		status = NR_EXIT_INTR;
	if (status == NR_EXIT_OK && breached)
		status = breached > 0 ? NR_EXIT_FAIL : NR_EXIT_USAGE;
out:
	nr_store_close(st);
	free(sysinfo_json);
	return status;
}

static int run_run(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "resume", no_argument, NULL, 'r' },
		{ "run", required_argument, NULL, 'R' },
		{ "commit", required_argument, NULL, 'C' },
		{ "branch", required_argument, NULL, 'B' },
		{ "label", required_argument, NULL, 'l' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "rerun", required_argument, NULL, 'A' },
		NR_CMD_SELECT_OPTIONS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "push", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_runner_opts o = { .cancel_fd = -1 };
	const char *push = NULL;
	struct nr_select sel = { 0 };
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };
	const char *db = g->db_path, *resume_run = NULL;
	char run_id[NR_UUID_LEN + 1];
	bool resume = false, quiet = g->quiet;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "d:rR:C:B:l:b:qP:h", opts, NULL)) != -1) {
		int k = nr_cmd_select_opt("run", opt, optarg, &sel);

		if (k < 0) {
			status = -k;
			goto out;
		}
		if (k > 0)
			continue;
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'r':
			resume = true;
			break;
		case 'R':
			resume = true;
			resume_run = optarg;
			break;
		case 'C':
			o.commit = optarg;
			break;
		case 'B':
			o.branch = optarg;
			break;
		case 'l':
			if (label_arg(&o.labels, optarg) < 0) {
				nr_kv_clear(&o.labels);
				return nr_cmd_error("run", NR_EXIT_USAGE, "--label wants KEY=VALUE, not '%s'",
						    optarg);
			}
			break;
		case 'A':
			nr_strvec_push(&o.rerun, optarg);
			break;
		case 'b':
			o.baseline = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'P':
			push = optarg;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_run, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_run, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc && !(resume_run && optind == argc)) {
		status = nr_cmd_usage(&nr_cmd_run, stderr, NR_EXIT_USAGE);
		goto out;
	}
	if (resume && o.baseline) {
		/* a resumed run keeps the baseline its adaptive cases started with */
		status = nr_cmd_error("run", NR_EXIT_USAGE, "--baseline does not apply to --resume or "
				      "--run: the run keeps the baseline it started with");
		goto out;
	}
	if (resume && !nr_select_empty(&sel)) {
		status = nr_cmd_error("run", NR_EXIT_USAGE, "--test, --set and --from choose the cases of a "
					"new run; a resumed run keeps the ones it chose (--rerun runs some again)");
		goto out;
	}
	if (o.rerun.n && !resume) {
		status = nr_cmd_error("run", NR_EXIT_USAGE, "--rerun runs cases of a run again: give "
					"--resume CAMPAIGN.yaml or --run RUN with it");
		goto out;
	}
	if (optind < argc && nr_campaign_load(argv[optind], NULL, &c, &d) < 0) {
		fprintf(stderr, "%s\n", nr_diag_msg(&d));
		status = NR_EXIT_USAGE;
		goto out;
	}
	if (c && (status = nr_cmd_select_apply(c, &sel)) != 0)
		goto out;
	o.select = &sel;
	status = nr_cmd_run_campaign("run", g, c, resume, resume_run, &o, db, quiet, true, run_id);
	/*
	 * The run's result decides the exit status, not the push: a server
	 * that cannot be reached leaves the run local, as push says.
	 */
	if (push && run_id[0] && status != NR_EXIT_INTR)
		nr_cmd_push_run("run", db, run_id, push, false);
out:
	nr_campaign_free(c);
	nr_kv_clear(&o.labels);
	nr_strvec_clear(&o.rerun);
	nr_select_clear(&sel);
	return status;
}

const struct nr_cmd nr_cmd_run = {
	.name = "run",
	.summary = "run a campaign, or resume its unfinished run",
	.usage = "run CAMPAIGN.yaml [--db PATH] [--commit SHA] [--branch NAME] [--label K=V]...\n"
		 "                  [--test PATTERN]... [--set PARAM=VALUE]... [--from TEST] [--baseline SEL] [-q]\n"
		 "                  [--push URL]\n"
		 "       netrig run --resume CAMPAIGN.yaml [--rerun PATTERN]... [--db PATH]\n"
		 "       netrig run --run RUN [--rerun PATTERN]... [--db PATH]\n"
		 "\n"
		 "  --db PATH       results database (default ./netrig.db)\n"
		 "  --resume        finish the latest unfinished run of this campaign\n"
		 "  --run RUN       resume that run (an id or a unique prefix)\n"
		 "  --commit SHA    the commit under test (default: git rev-parse HEAD here)\n"
		 "  --branch NAME   its branch (default: the current git branch)\n"
		 "  --label K=V     a label for the run (repeatable)\n"
		 NR_CMD_SELECT_HELP
		 "  --rerun PATTERN with --resume or --run: run the cases PATTERN matches (test\n"
		 "                  names, or case keys with a '/') again in that run, finished\n"
		 "                  or not; their earlier attempts are kept, marked superseded,\n"
		 "                  and no longer count (repeatable)\n"
		 "  --baseline SEL  the run adaptive repeats (repeat: {min, max, until: clear})\n"
		 "                  compare each case with while it runs, as compare selects\n"
		 "                  (id, latest, branch:, commit:, label:K=V) among this\n"
		 "                  campaign's runs; with variants the other variant is the\n"
		 "                  baseline. Without either an adaptive case runs min repeats.\n"
		 "  -q, --quiet     no progress and no results table\n"
		 "  --push URL      send the run to a netrig serve at the end (token from\n"
		 "                  NETRIG_TOKEN); one that cannot be reached leaves it local\n"
		 "\n"
		 "The cases --test, --set and --from choose are stored with the run: a resume\n"
		 "runs those. A pattern that matches nothing is an error (exit status 2).\n"
		 "\n"
		 "At the end the run's series are checked against the campaign's limits\n"
		 "(the median of each series' repeats): a breach is listed and fails the run.\n"
		 "\n"
		 "Exit status: 0 all passed, 1 a case failed or a limit was breached,\n"
		 "2 bad campaign or usage,\n"
		 "3 stopped by stop_after_failures or a store failure, 130 interrupted\n"
		 "(resume it with --resume).",
	.run = run_run,
};
