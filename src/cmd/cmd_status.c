/* netrig status [RUN]: the status sheet of a run (text, --csv, --json). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/num.h"
#include "base/str.h"

#include "cmd/cmd.h"
#include "report/report.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_status;

static volatile sig_atomic_t stop_watching;

static void on_interrupt(int sig)
{
	(void)sig;
	stop_watching = 1;
}

/* Text from outside (errors, events, names) with its control characters escaped. */
static void add_text(struct nr_buf *out, const char *s, size_t max)
{
	nr_str_escape(out, s, strnlen(s, max), NULL, 0);
}

/* One screen of the live view: progress, the running case and its hosts, recent errors. */
static void watch_frame(const struct nr_run_rec *run, const struct nr_case_rec *cases, size_t n,
			const struct nr_event_rec *events, size_t n_events, struct nr_buf *out)
{
	size_t i, done = 0, passed = 0, failed = 0, shown = 0;
	char el[32], eta[32], status[160];
	int64_t now = nr_wall_us(), busy_us = 0;

	for (i = 0; i < n; i++) {
		if (cases[i].status == NR_CASE_PASSED)
			passed++;
		else if (cases[i].status == NR_CASE_FAILED)
			failed++;
		else
			continue;
		done++;
		if (cases[i].finished_us && cases[i].started_us)
			busy_us += cases[i].finished_us - cases[i].started_us;
	}
	nr_buf_addf(out, "run %s  ", run->short_id);
	add_text(out, run->campaign, (size_t)-1);
	nr_buf_addf(out, "  %s\n", nr_run_status_text(run, status, sizeof(status)));
	nr_buf_addf(out, "cases: %zu of %zu done, %zu passed, %zu failed  elapsed %s", done, n,
		    passed, failed, nr_fmt_duration(el, sizeof(el), now - run->started_us));
	if (done && done < n && run->status == NR_RUN_RUNNING)
		nr_buf_addf(out, "  ETA %s",
			    nr_fmt_duration(eta, sizeof(eta), busy_us / (int64_t)done * (int64_t)(n - done)));
	nr_buf_addch(out, '\n');
	for (i = 0; i < n; i++)
		if (cases[i].status == NR_CASE_RUNNING) {
			nr_buf_adds(out, "now:   ");
			add_text(out, cases[i].key, (size_t)-1);
			nr_buf_addf(out, "  repeat %d/%d, attempt %d  hosts ", cases[i].repeats_done + 1,
				    cases[i].repeats, cases[i].attempts + 1);
			add_text(out, cases[i].hosts ? cases[i].hosts : "{}", (size_t)-1);
			nr_buf_addch(out, '\n');
		}
	for (i = n; i-- > 0 && shown < 5;)
		if (cases[i].status == NR_CASE_FAILED && cases[i].error) {
			nr_buf_adds(out, "error: ");
			add_text(out, cases[i].key, (size_t)-1);
			nr_buf_adds(out, ": ");
			add_text(out, cases[i].error, strcspn(cases[i].error, "\n"));
			nr_buf_addch(out, '\n');
			shown++;
		}
	nr_report_events(events, n_events, 3, out);
	if (run->reason) {
		add_text(out, run->reason, (size_t)-1);
		nr_buf_addch(out, '\n');
	}
}

/* Why a running run's controller is gone, and what to do; for people. */
static void gone_note(const struct nr_run_rec *run, struct nr_buf *out)
{
	nr_buf_addf(out, "its controller (pid %d on %s) is gone: killed or crashed, so the run is"
			 " not running; 'netrig run --resume' continues it",
		    run->pid, run->controller ? run->controller : "?");
}

/*
 * Follow a run until it ends, or until its controller is gone (exit 3: it
 * will never end by itself). A controller on another machine cannot be
 * seen; the frame says how long it has been silent.
 */
static int watch(struct nr_store *st, const char *selector, int64_t interval_us)
{
	bool tty = isatty(1);
	size_t last_done = (size_t)-1;
	struct nr_diag d = { 0 };
	int status = NR_EXIT_OK;

	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	while (!stop_watching) {
		struct nr_run_rec run = { 0 };
		struct nr_case_rec *cases = NULL;
		struct nr_event_rec *events = NULL;
		struct nr_buf out = NR_BUF_INIT;
		size_t n = 0, n_events = 0;
		bool running;

		if (nr_store_run_get(st, selector, &run, &d) < 0 ||
		    nr_store_cases_list(st, run.id, &cases, &n, &d) < 0 ||
		    nr_store_events_list(st, run.id, NULL, &events, &n_events, &d) < 0) {
			nr_run_rec_release(&run);
			return nr_cmd_error("status", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		}
		running = run.status == NR_RUN_RUNNING &&
			  run.controller_state != NR_CONTROLLER_GONE;
		if (tty) {
			fputs("\033[H\033[J", stdout); /* redraw in place */
			watch_frame(&run, cases, n, events, n_events, &out);
			fputs(out.buf, stdout);
		} else if ((size_t)(run.n_passed + run.n_failed) != last_done || !running) {
			/* not a terminal: one line per change */
			char st_text[160];

			last_done = (size_t)(run.n_passed + run.n_failed);
			printf("run %s %s: %lld of %lld done, %lld passed, %lld failed\n", run.short_id,
			       nr_run_status_text(&run, st_text, sizeof(st_text)), (long long)last_done,
			       (long long)run.n_cases, (long long)run.n_passed, (long long)run.n_failed);
		}
		fflush(stdout);
		if (run.controller_state == NR_CONTROLLER_GONE) {
			nr_buf_reset(&out);
			gone_note(&run, &out);
			status = nr_cmd_error("status", NR_EXIT_INFRA, "run %s: %s", run.short_id, out.buf);
		}
		nr_buf_release(&out);
		nr_cases_free(cases, n);
		nr_events_free(events, n_events);
		/* follow the run the selector names; "latest" may become a newer run */
		if (!selector) {
			static char id[NR_UUID_LEN + 1];

			memcpy(id, run.id, sizeof(id));
			selector = id;
		}
		nr_run_rec_release(&run);
		if (!running)
			break;
		usleep((useconds_t)interval_us);
	}
	return status;
}

static int run_status(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "csv", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum nr_report_format fmt = NR_REPORT_TEXT;
	const char *db = g->db_path, *outfile = NULL;
	struct nr_run_rec run = { 0 };
	struct nr_case_rec *cases = NULL;
	struct nr_event_rec *events = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	size_t n = 0, n_events = 0;
	int opt, status = NR_EXIT_OK;
	bool watching = false;
	int64_t interval_us = 1000000;

	while ((opt = getopt_long(argc, argv, "d:cjo:wi:h", opts, NULL)) != -1) {
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
		case 'w':
			watching = true;
			break;
		case 'i':
			if (nr_parse_duration_us(optarg, &interval_us) < 0 || interval_us < 50000)
				return nr_cmd_error("status", NR_EXIT_USAGE,
						    "--interval wants a duration of at least 50ms, not '%s'",
						    optarg);
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_status, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_status, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		return nr_cmd_usage(&nr_cmd_status, stderr, NR_EXIT_USAGE);
	if (watching) {
		if (nr_store_open_existing(db, &st, &d) < 0)
			return nr_cmd_error("status", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		status = watch(st, optind < argc ? argv[optind] : NULL, interval_us);
		nr_store_close(st);
		return status;
	}
	if (nr_store_open_existing(db, &st, &d) < 0 ||
	    nr_store_run_get(st, optind < argc ? argv[optind] : NULL, &run, &d) < 0 ||
	    nr_store_cases_list(st, run.id, &cases, &n, &d) < 0) {
		status = nr_cmd_error("status", st ? NR_EXIT_USAGE : NR_EXIT_USAGE, "%s",
				      nr_diag_msg(&d));
		goto out;
	}
	if (nr_store_events_list(st, run.id, NULL, &events, &n_events, &d) < 0) {
		status = nr_cmd_error("status", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	if (fmt == NR_REPORT_TEXT) {
		nr_report_run_line(&run, &out);
		if (run.reason) {
			nr_buf_adds(&out, "  ");
			add_text(&out, run.reason, (size_t)-1);
			nr_buf_addch(&out, '\n');
		}
		if (run.controller_state == NR_CONTROLLER_GONE) {
			nr_buf_adds(&out, "  ");
			gone_note(&run, &out);
			nr_buf_addch(&out, '\n');
		}
		nr_report_events(events, n_events, 10, &out);
	}
	nr_report_status_events(&run, cases, n, events, n_events, fmt, &out);
	status = nr_cmd_write_out("status", outfile, &out);
out:
	nr_events_free(events, n_events);
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
		 "       netrig status --watch [RUN] [--interval 1s]\n"
		 "\n"
		 "RUN is a run id or a unique prefix of one (default: the latest run).\n"
		 "  --watch      follow a running campaign live (redrawn in place on a terminal,\n"
		 "               a line per finished case otherwise) until it ends; exit 3 when\n"
		 "               its controller is gone (killed or crashed on this machine)\n"
		 "  --csv        the sheet as CSV (one row per case)\n"
		 "  --json       the sheet as JSON, with the run's controller and all its events\n"
		 "  -o FILE      write to FILE instead of standard output",
	.run = run_status,
};
