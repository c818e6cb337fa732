/*
 * netrig worker: take jobs from the queue (netrig job submit) and run
 * them, one at a time, until stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/num.h"
#include "base/rand.h"
#include "base/str.h"
#include "cmd/cmd.h"
#include "store/store.h"
#include "sysinfo/sysinfo.h"
#include "worker/worker.h"

extern const struct nr_cmd nr_cmd_worker;

static int stop_pipe[2] = { -1, -1 }, abort_pipe[2] = { -1, -1 };
static volatile sig_atomic_t signals_seen;

/* The first SIGTERM or ^C: finish the attempt, give the job back. The second: stop it now. */
static void on_signal(int sig)
{
	int saved = errno;
	int fd = ++signals_seen == 1 ? stop_pipe[1] : abort_pipe[1];

	(void)sig;
	if (signals_seen >= 4)
		_exit(NR_EXIT_INTR);
	if (write(fd, "x", 1) < 0) {
		/* a full pipe already says it */
	}
	errno = saved;
}

struct out {
	bool quiet;
};

static void on_note(void *ctx, const char *line)
{
	struct out *o = ctx;
	char *s;

	if (o->quiet)
		return;
	s = nr_str_escaped(line);
	fprintf(stderr, "netrig worker: %s\n", s);
	fflush(stderr);
	free(s);
}

static void on_event(void *ctx, const struct nr_event *ev)
{
	struct out *o = ctx;

	if (o->quiet || ev->kind != NR_EV_NOTE)
		return;
	on_note(ctx, ev->msg);
}

static int seconds_arg(const char *what, const char *arg, int64_t *ret_us)
{
	double s;

	if (nr_parse_double(arg, &s) < 0 || s <= 0 || s > 86400)
		return nr_cmd_error("worker", NR_EXIT_USAGE, "%s wants seconds (0 < s <= 86400), not '%s'",
				    what, arg);
	*ret_us = (int64_t)(s * 1e6);
	return 0;
}

static int run_worker(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "offers", required_argument, NULL, 'o' },
		{ "once", no_argument, NULL, '1' },
		{ "max-jobs", required_argument, NULL, 'm' },
		{ "lease", required_argument, NULL, 'L' },
		{ "poll", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'N' },
		{ "dir", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_worker_opts o = { .db = g->db_path, .lease_us = 30000000, .poll_us = 1000000 };
	struct out out = { .quiet = g->quiet };
	struct nr_worker_summary sum = { 0 };
	json_t *offers = json_array();
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	char *name = NULL, *offers_text = NULL, *dir = NULL;
	struct sigaction sa;
	int64_t n;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "d:o:m:L:p:N:D:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o.db = optarg;
			break;
		case 'o': {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg) {
				status = nr_cmd_error("worker", NR_EXIT_USAGE, "--offers wants K=V, not '%s'",
						      optarg);
				goto out;
			}
			json_array_append_new(offers, json_string(optarg));
			break;
		}
		case '1':
			o.once = true;
			break;
		case 'm':
			if (nr_parse_i64(optarg, 1, 1000000000, &n) < 0) {
				status = nr_cmd_error("worker", NR_EXIT_USAGE,
						      "--max-jobs wants a count of 1 or more, not '%s'", optarg);
				goto out;
			}
			o.max_jobs = (long)n;
			break;
		case 'L':
			if ((status = seconds_arg("--lease", optarg, &o.lease_us)) != 0)
				goto out;
			break;
		case 'p':
			if ((status = seconds_arg("--poll", optarg, &o.poll_us)) != 0)
				goto out;
			break;
		case 'N':
			o.name = optarg;
			break;
		case 'D':
			o.dir = optarg;
			break;
		case 'q':
			out.quiet = true;
			break;
		case 'h':
			status = nr_cmd_usage(&nr_cmd_worker, stdout, NR_EXIT_OK);
			goto out;
		default:
			status = nr_cmd_usage(&nr_cmd_worker, stderr, NR_EXIT_USAGE);
			goto out;
		}
	}
	if (optind != argc) {
		status = nr_cmd_usage(&nr_cmd_worker, stderr, NR_EXIT_USAGE);
		goto out;
	}
	if (!o.name) {
		char host[256] = "";
		unsigned char rnd[3];

		if (gethostname(host, sizeof(host) - 1) < 0)
			snprintf(host, sizeof(host), "?");
		nr_random_bytes(rnd, sizeof(rnd));
		/* the pid alone repeats after a reboot: a lease must never look like its own */
		name = nr_xasprintf("%s:%d:%02x%02x%02x", host, (int)getpid(), rnd[0], rnd[1], rnd[2]);
		o.name = name;
	}
	if (!o.dir) {
		/* the clones of jobs' repositories: a cache, kept between runs of the worker */
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

		if (xdg && xdg[0] == '/')
			dir = nr_xasprintf("%s/netrig/worker", xdg);
		else if (home && home[0] == '/')
			dir = nr_xasprintf("%s/.cache/netrig/worker", home);
		else
			dir = nr_xasprintf("/tmp/netrig-worker-%u", (unsigned)getuid());
		o.dir = dir;
	}
	offers_text = json_dumps(offers, JSON_COMPACT | JSON_ENSURE_ASCII);
	o.offers = offers_text;
	if (nr_store_open(o.db, &st, &d) < 0) {
		status = nr_cmd_error("worker", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	/* read again within 10 minutes whatever happens: sysinfo_memo.c */
	o.sysinfo = nr_sysinfo_memo_new(NULL, 600 * 1000000LL);
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(abort_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		status = nr_cmd_error("worker", NR_EXIT_INFRA, "pipe: %s", strerror(errno));
		goto out;
	}
	o.stop_fd = stop_pipe[0];
	o.abort_fd = abort_pipe[0];
	o.on_note = on_note;
	o.on_event = on_event;
	o.ctx = &out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	on_note(&out, name ? name : o.name);
	if (nr_worker_loop(st, &o, &sum, &d) < 0) {
		status = nr_cmd_error("worker", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	if (!out.quiet)
		fprintf(stderr, "netrig worker: %ld job%s: %ld done, %ld failed, %ld given back%s\n",
			sum.jobs, sum.jobs == 1 ? "" : "s", sum.done, sum.failed, sum.given_back,
			sum.stopped ? "; stopped" : "");
	status = NR_EXIT_OK;
out:
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	nr_store_close(st);
	json_decref(offers);
	free(offers_text);
	nr_sysinfo_memo_free(o.sysinfo);
	free(name);
	free(dir);
	return status;
}

const struct nr_cmd nr_cmd_worker = {
	.name = "worker",
	.summary = "take jobs from the queue and run them, one at a time",
	.usage = "worker [--db URL] [--offers K=V]... [--once] [--max-jobs N]\n"
		 "                  [--lease SECONDS] [--poll SECONDS] [--name NAME] [--dir DIR] [-q]\n"
		 "\n"
		 "  --offers K=V    what this machine offers (a lab, a host, an environment);\n"
		 "                  it takes only jobs whose every --needs it offers (repeatable)\n"
		 "  --once          take at most one job; do not wait for one\n"
		 "  --max-jobs N    stop after N jobs\n"
		 "  --lease S       how long a job stays this worker's without a renewal\n"
		 "                  (default 30; renewed every third of it)\n"
		 "  --poll S        how often an empty queue is looked at again (default 1)\n"
		 "  --name NAME     this worker in the jobs table (default host:pid:random)\n"
		 "  --dir DIR       where jobs' repositories are cloned and kept (default\n"
		 "                  $XDG_CACHE_HOME/netrig/worker or ~/.cache/netrig/worker)\n"
		 "\n"
		 "The oldest job it may take first. A job whose worker died (its lease ran out)\n"
		 "is taken by the next worker, which resumes the job's run: no case runs twice.\n"
		 "A job that fails on 3 tries in a row is failed, with each try's reason.\n"
		 "SIGTERM or ^C: the attempt in flight finishes, the job goes back to the\n"
		 "queue, the worker exits 0; a second one stops the attempt too.\n"
		 "Exit status: 0, 2 bad usage, 3 the store failed.",
	.run = run_worker,
};
