/*
 * netrig worker's loop: claim, run (or resume) under a lease, record.
 *
 * A job's lease is renewed by a thread of its own with its own store
 * connection, every third of the lease: an attempt may run far longer
 * than a lease, and the runner is not to be interrupted for it. When a
 * renewal finds the lease gone (another worker took the job after this
 * one looked dead, or the job was cancelled) the thread stops the run at
 * once, and this worker writes nothing more into the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "lab/lab.h"
#include "worker/worker.h"

/* ---- helpers ---- */

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) == 1;
}

static void poke(int fd)
{
	if (write(fd, "x", 1) < 0) {
		/* a full pipe already says it */
	}
}

static void note(const struct nr_worker_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(const struct nr_worker_opts *o, const char *fmt, ...)
{
	struct nr_buf b = NR_BUF_INIT;
	va_list ap;

	if (!o->on_note)
		return;
	va_start(ap, fmt);
	nr_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	o->on_note(o->ctx, b.buf);
	nr_buf_release(&b);
}

/* ---- the lease ---- */

struct lease {
	const struct nr_worker_opts *o;
	struct nr_job_rec job; /* id, failures and reasons as the main thread has them (borrowed) */
	int quit[2];           /* written by the main thread: the run is over */
	int halt_w;            /* the runner's cancel pipe */
	atomic_bool lost;
	pthread_t thread;
	bool started;
};

static void *lease_main(void *arg)
{
	struct lease *l = arg;
	const struct nr_worker_opts *o = l->o;
	struct nr_store *st = NULL;
	int64_t period_us = o->lease_us / 3, last_ok = nr_wall_us();
	struct pollfd p[2] = { { .fd = l->quit[0], .events = POLLIN },
			       { .fd = o->abort_fd, .events = POLLIN } };

	for (;;) {
		struct nr_diag d = { 0 };
		int r;

		if (poll(p, o->abort_fd >= 0 ? 2 : 1, (int)(period_us / 1000)) > 0) {
			if (p[0].revents)
				break;
			if (p[1].revents) {
				poke(l->halt_w);
				p[1].fd = -1; /* said once; renew until the run has ended */
			}
		}
		if (!st && nr_store_open(o->db, &st, &d) < 0)
			st = NULL;
		r = -1;
		if (st) {
			l->job.lease_until_us = nr_wall_us() + o->lease_us;
			r = nr_store_job_update(st, &l->job, o->name, &d);
		}
		if (r == 0) {
			last_ok = nr_wall_us();
		} else if (r == -EBUSY || nr_wall_us() - last_ok >= o->lease_us) {
			/* taken by another worker, cancelled, or unreachable a whole lease long */
			atomic_store(&l->lost, true);
			poke(l->halt_w);
			break;
		}
	}
	nr_store_close(st);
	return NULL;
}

static int lease_start(struct lease *l, const struct nr_worker_opts *o, const struct nr_job_rec *job,
		       int halt_w)
{
	memset(l, 0, sizeof(*l));
	l->o = o;
	memcpy(l->job.id, job->id, sizeof(job->id));
	l->job.status = NR_JOB_RUNNING;
	l->job.failures = job->failures;
	l->job.reasons = job->reasons;
	l->halt_w = halt_w;
	atomic_init(&l->lost, false);
	if (pipe2(l->quit, O_CLOEXEC) < 0)
		return -errno;
	if (pthread_create(&l->thread, NULL, lease_main, l) != 0) {
		close(l->quit[0]);
		close(l->quit[1]);
		return -EAGAIN;
	}
	l->started = true;
	return 0;
}

/* End the renewals; true when the lease was lost while it ran. */
static bool lease_stop(struct lease *l)
{
	if (!l->started)
		return false;
	poke(l->quit[1]);
	pthread_join(l->thread, NULL);
	close(l->quit[0]);
	close(l->quit[1]);
	l->started = false;
	return atomic_load(&l->lost);
}

/* ---- one job ---- */

struct job_ctx {
	const struct nr_worker_opts *o;
	struct nr_store *st;
	struct nr_job_rec *job;
	int halt_w;
	bool stop_asked; /* stop_fd was readable after an attempt: the run was halted for it */
};

/*
 * Write the job's end or hand it back. failure: one more failed try (given
 * back, or failed for good after NR_WORKER_MAX_FAILURES in a row). The
 * reason goes into the job's reasons (a failure) or stays the last word.
 */
static int record(struct job_ctx *jc, enum nr_job_status status, bool failure, const char *why)
{
	struct nr_job_rec *job = jc->job;
	struct nr_buf reasons = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	if (job->reasons)
		nr_buf_adds(&reasons, job->reasons);
	if (why)
		nr_buf_addf(&reasons, "try %d on %s: %s\n", job->tries, jc->o->name, why);
	if (failure) {
		job->failures++;
		status = job->failures >= NR_WORKER_MAX_FAILURES ? NR_JOB_FAILED : NR_JOB_QUEUED;
	} else if (status == NR_JOB_DONE) {
		job->failures = 0;
	}
	job->status = status;
	free(job->reasons);
	job->reasons = reasons.len ? nr_buf_detach(&reasons, NULL) : NULL;
	nr_buf_release(&reasons);
	job->lease_until_us = 0;
	job->finished_us = status != NR_JOB_QUEUED ? nr_wall_us() : 0;
	r = nr_store_job_update(jc->st, job, jc->o->name, &d);
	if (r == -EBUSY)
		note(jc->o, "job %.8s: its lease was gone (taken over or cancelled): not recorded", job->id);
	else if (r < 0)
		note(jc->o, "job %.8s: cannot record it: %s", job->id, nr_diag_msg(&d));
	else
		note(jc->o, "job %.8s: %s%s%s", job->id,
		     failure && status == NR_JOB_QUEUED ? "given back after a failed try"
							   : nr_job_status_name(status),
		     why ? ": " : "", why ? why : "");
	return r;
}

static void on_run_event(void *ctx, const struct nr_event *ev)
{
	struct job_ctx *jc = ctx;

	if (ev->kind == NR_EV_RUN_START && ev->run)
		note(jc->o, "job %.8s: run %s", jc->job->id, ev->run->id);
	if (ev->kind == NR_EV_ATTEMPT_END && readable(jc->o->stop_fd) && !jc->stop_asked) {
		/* SIGTERM: the attempt is stored; the rest waits for another worker */
		jc->stop_asked = true;
		poke(jc->halt_w);
	}
	if (jc->o->on_event)
		jc->o->on_event(jc->o->ctx, ev);
}

/* The job's --test and --set arguments and labels into the runner's options. */
static int job_options(const struct nr_job_rec *job, struct nr_runner_opts *ro,
		       struct nr_select *sel, struct nr_diag *d)
{
	json_t *labels = json_loads(job->labels ? job->labels : "{}", 0, NULL);
	const char *k;
	json_t *v;
	int r;

	if (!json_is_object(labels)) {
		r = nr_diagf(d, NR_EINVAL, "the job's labels are not the JSON they should be");
		goto out;
	}
	if ((r = nr_select_from_job(job->tests, job->overrides, sel, d)) < 0)
		goto out;
	ro->select = sel;
	json_object_foreach(labels, k, v)
		if (json_is_string(v))
			nr_kv_set(&ro->labels, k, json_string_value(v));
	nr_kv_set(&ro->labels, "job", job->id);
	/* the repository form's commit is read from its checkout (run_job sets git_dir) */
	ro->branch = job->repo_branch;
	if (job->config)
		ro->commit = job->repo_commit;
out:
	json_decref(labels);
	return r;
}

/* The outcome of a run that ended (its summary) as the job's. */
static int record_run(struct job_ctx *jc, const struct nr_run_summary *sum, bool lost)
{
	char why[512];

	if (lost) {
		note(jc->o, "job %.8s: lost its lease; run %s left to the worker that has it",
		     jc->job->id, sum->run_id);
		return 0;
	}
	if (sum->status == NR_RUN_PASSED)
		return record(jc, NR_JOB_DONE, false, NULL);
	if (sum->status == NR_RUN_FAILED) {
		/* a failed case is the job's result, not the worker's fault: not tried again */
		snprintf(why, sizeof(why), "run %.8s failed: %zu of %zu cases failed", sum->run_id,
			 sum->failed, sum->total);
		return record(jc, NR_JOB_FAILED, false, why);
	}
	if (jc->stop_asked || readable(jc->o->stop_fd) || readable(jc->o->abort_fd)) {
		snprintf(why, sizeof(why), "the worker was stopped; run %.8s goes on where it was",
			 sum->run_id);
		return record(jc, NR_JOB_QUEUED, false, why);
	}
	snprintf(why, sizeof(why), "run %.8s %s%s%s", sum->run_id, nr_run_status_name(sum->status),
		 sum->reason[0] ? ": " : "",
		 sum->reason);
	return record(jc, NR_JOB_QUEUED, true, why);
}

static void run_job(struct nr_store *st, const struct nr_worker_opts *o, struct nr_job_rec *job,
		    struct nr_runner_git_cache *git, struct nr_worker_summary *sum)
{
	struct nr_runner_opts ro = { .cancel_fd = -1, .git_cache = git };
	struct nr_select sel = { 0 };
	struct nr_run_summary rs = { 0 };
	struct job_ctx jc = { .o = o, .st = st, .job = job };
	struct nr_campaign *c = NULL;
	struct nr_run_rec run = { 0 };
	struct lease lease = { 0 };
	struct nr_diag d = { 0 };
	char *repo_campaign = NULL, *checkout = NULL;
	int halt[2] = { -1, -1 }, repo_lock = -1;
	bool lab_made = false, lost;
	int r;

	note(o, "job %.8s: claimed (try %d): campaign %s", job->id, job->tries, job->campaign);
	if (job->tries > NR_WORKER_MAX_TRIES) {
		record(&jc, NR_JOB_FAILED, false, "claimed too many times: every worker that took it"
						  " lost it (killed, or cut off from the database)");
		goto out;
	}
	/* the run of a try before: made (resumed then) or not (made with its id) */
	if (job->run_id[0] && nr_store_run_get(st, job->run_id, &run, NULL) < 0)
		memset(run.id, 0, sizeof(run.id));
	/* a run that ended before its worker could say so */
	if (run.id[0] && nr_run_status_final(run.status)) {
		memcpy(rs.run_id, run.id, sizeof(rs.run_id));
		rs.status = run.status;
		rs.total = (size_t)run.n_cases;
		rs.failed = (size_t)run.n_failed;
		record_run(&jc, &rs, false);
		goto out;
	}
	if (!job->run_id[0]) {
		nr_uuid_v7(job->run_id);
		job->lease_until_us = nr_wall_us() + o->lease_us;
		if ((r = nr_store_job_update(st, job, o->name, &d)) < 0) {
			note(o, "job %.8s: lost before it began: %s", job->id,
			     r == -EBUSY ? "its lease was gone" : nr_diag_msg(&d));
			goto out;
		}
	}
	if (!job->config) {
		/* a repository that cannot be had now may be there on the next try */
		if ((r = nr_worker_checkout(o->dir, job, &repo_campaign, &checkout, &repo_lock, &d)) < 0) {
			record(&jc, NR_JOB_QUEUED, true, nr_diag_msg(&d));
			goto out;
		}
		note(o, "job %.8s: %s at %.12s in %s", job->id, job->repo, job->repo_commit, checkout);
		ro.git_dir = checkout;
	}
	if ((r = nr_campaign_load(repo_campaign ? repo_campaign : job->campaign_path, job->config,
				  &c, &d)) < 0) {
		record(&jc, NR_JOB_FAILED, false, nr_diag_msg(&d));
		goto out;
	}
	if ((r = job_options(job, &ro, &sel, &d)) < 0 || (r = nr_campaign_apply_set(c, &sel, &d)) < 0) {
		record(&jc, NR_JOB_FAILED, false, nr_diag_msg(&d));
		goto out;
	}
	if (pipe2(halt, O_CLOEXEC | O_NONBLOCK) < 0 || lease_start(&lease, o, job, halt[1]) < 0) {
		record(&jc, NR_JOB_QUEUED, true, "cannot start the lease's thread");
		goto out;
	}
	jc.halt_w = halt[1];
	ro.cancel_fd = halt[0];
	ro.sysinfo_json = o->sysinfo ? nr_sysinfo_memo_json(o->sysinfo) : NULL;
	ro.on_event = on_run_event;
	ro.ctx = &jc;
	if (c->lab && !nr_lab_is_up(c->lab)) {
		enum nr_lab_up_result up;

		if (nr_lab_up(c->lab, &up, &d) < 0) {
			lease_stop(&lease);
			record(&jc, NR_JOB_QUEUED, true, nr_diag_msg(&d));
			goto out;
		}
		lab_made = true;
		note(o, "job %.8s: lab %s up", job->id, c->lab->name);
	}
	if (run.id[0]) {
		r = nr_runner_resume(st, NULL, job->run_id, &ro, &rs, &d);
	} else {
		/* the run's id, before it exists: whoever takes the job over makes or resumes this one */
		ro.run_id = job->run_id;
		r = nr_runner_run(st, c, &ro, &rs, &d);
	}
	lost = lease_stop(&lease);
	if (lab_made) {
		struct nr_lab_down_report down;
		struct nr_diag dd = { 0 };

		if (nr_lab_down(c->lab, &down, &dd) < 0)
			note(o, "job %.8s: lab %s: %s", job->id, c->lab->name, nr_diag_msg(&dd));
	}
	if (r < 0 && lost)
		note(o, "job %.8s: lost its lease: %s", job->id, nr_diag_msg(&d));
	else if (r < 0 && (r == NR_ECONFIG || r == NR_EPARSE))
		record(&jc, NR_JOB_FAILED, false, nr_diag_msg(&d)); /* the campaign: no one could */
	else if (r < 0 && rs.run_id[0] && (jc.stop_asked || readable(o->stop_fd)))
		record_run(&jc, &rs, false);
	else if (r < 0)
		record(&jc, NR_JOB_QUEUED, true, nr_diag_msg(&d));
	else
		record_run(&jc, &rs, lost);
out:
	if (job->status == NR_JOB_DONE)
		sum->done++;
	else if (job->status == NR_JOB_FAILED)
		sum->failed++;
	else
		sum->given_back++;
	if (halt[0] >= 0) {
		close(halt[0]);
		close(halt[1]);
	}
	if (repo_lock >= 0)
		close(repo_lock);
	free(repo_campaign);
	free(checkout);
	nr_run_rec_release(&run);
	nr_campaign_free(c);
	nr_kv_clear(&ro.labels);
	nr_select_clear(&sel);
}

/* Sleep up to us, or until stop_fd or abort_fd is readable; true then. */
static bool idle(const struct nr_worker_opts *o, int64_t us)
{
	struct pollfd p[2] = { { .fd = o->stop_fd, .events = POLLIN },
			       { .fd = o->abort_fd, .events = POLLIN } };

	return poll(p, 2, (int)(us / 1000)) > 0;
}

int nr_worker_loop(struct nr_store *st, const struct nr_worker_opts *o,
		   struct nr_worker_summary *ret, struct nr_diag *d)
{
	struct nr_worker_summary sum = { 0 };
	/* one directory's commit for job after job: git is asked again only when it moved */
	struct nr_runner_git_cache git = { 0 };
	int failed_claims = 0, r = 0;

	while (!o->max_jobs || sum.jobs < o->max_jobs) {
		struct nr_job_rec job = { 0 };
		struct nr_diag cd = { 0 };

		if (readable(o->stop_fd) || readable(o->abort_fd)) {
			sum.stopped = true;
			break;
		}
		r = nr_store_job_claim(st, o->name, o->offers, nr_wall_us(), o->lease_us, &job, &cd);
		if (r == NR_ENOTFOUND) {
			r = 0;
			failed_claims = 0;
			if (o->once)
				break;
			if (idle(o, o->poll_us)) {
				sum.stopped = true;
				break;
			}
			continue;
		}
		if (r < 0) {
			/* the database is away: wait for it a few times, then say so */
			if (++failed_claims >= 5) {
				r = nr_diagf(d, r, "%s", nr_diag_msg(&cd));
				break;
			}
			note(o, "cannot claim a job: %s", nr_diag_msg(&cd));
			r = 0;
			if (idle(o, o->poll_us)) {
				sum.stopped = true;
				break;
			}
			continue;
		}
		failed_claims = 0;
		sum.jobs++;
		run_job(st, o, &job, &git, &sum);
		nr_job_rec_release(&job);
		if (o->once)
			break;
	}
	nr_runner_git_cache_clear(&git);
	*ret = sum;
	return r;
}
