/*
 * Results posted back to GitHub: a thread of the server looks at the jobs
 * that came from a webhook (jobs with an origin) and have not been
 * reported to their end, and posts what became of them: a `pending`
 * commit status (and, for a pull request, a comment answering the one
 * that asked) once the job is queued; a `success`, `failure` or `error`
 * status when it ends, with the run's page as its target and its counts,
 * and for a pull request a comment with the run's markdown report against
 * the baseline its campaign compares with. What was posted is recorded in
 * the job (reported, reported_at), so a restarted server goes on where it
 * stopped, and nothing is posted twice once recorded.
 *
 * The server reports; the worker never talks to the server (DESIGN.md).
 * A post that fails is tried again later, waiting twice as long each time
 * (1 s to 10 min), and given up after MAX_FAILS; a failure is logged
 * without the token.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "report/report.h"
#include "serve/serve_int.h"

#define TICK_MS 500
#define BATCH 32
#define MAX_FAILS 12
#define BACKOFF_MAX_US (600 * 1000000LL)
/* GitHub takes comments up to 65536 characters */
#define COMMENT_MAX 60000
#define DESCRIPTION_MAX 139
/*
 * The run label naming the run its campaign's `baseline:` chose
 * (runner.h's NR_RUNNER_BASELINE_LABEL: the server does not use the runner).
 */
#define BASELINE_LABEL "baseline_run"

struct wait {
	char id[NR_UUID_LEN + 1];
	int fails;
	int64_t next_us; /* monotonic */
};

struct nr__serve_reporter {
	struct nr_serve *srv;
	struct nr_store *st;
	pthread_t thread;
	int quit[2];
	struct wait *waits; /* jobs whose last post failed */
	size_t n_waits, cap_waits;
};

/* Where a job is reported: from its origin. */
struct origin {
	const struct nr_serve_repo *repo;
	const char *sha;
	json_int_t pr;
	json_t *doc;
};

static int origin_read(const struct nr_serve_config *c, const struct nr_job_rec *j,
		       struct origin *o)
{
	const char *name;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->doc = json_loads(j->origin, 0, NULL);
	name = json_string_value(json_object_get(o->doc, "github"));
	o->sha = json_string_value(json_object_get(o->doc, "sha"));
	o->pr = json_integer_value(json_object_get(o->doc, "pr"));
	for (i = 0; name && i < c->n_repos && !o->repo; i++)
		if (!strcmp(c->repos[i].name, name))
			o->repo = &c->repos[i];
	return o->repo && o->sha ? 0 : -1;
}

/* POST path with doc (taken); 0 for a 2xx answer, else -1 with why. */
static int post(struct nr__serve_reporter *rp, const char *path, json_t *doc, struct nr_diag *d)
{
	struct nr_diag cd = { 0 };
	char *body = json_dumps(doc, JSON_COMPACT);
	long status = 0;
	int r;

	json_decref(doc);
	r = nr__serve_github_call(rp->srv->cfg, "POST", path, body, &status, NULL, &cd);
	free(body);
	if (r < 0)
		return nr_diagf(d, r, "POST %s: %s", path, nr_diag_msg(&cd));
	if (status < 200 || status >= 300)
		return nr_diagf(d, NR_EPROTO, "POST %s: status %ld", path, status);
	return 0;
}

static int post_status(struct nr__serve_reporter *rp, const struct origin *o, const char *state,
		       const char *campaign, const char *target, const char *description,
		       struct nr_diag *d)
{
	char *path = nr_xasprintf("/repos/%s/statuses/%s", o->repo->name, o->sha);
	char *context = nr_xasprintf("netrig/%s", campaign);
	char desc[DESCRIPTION_MAX + 1];
	json_t *doc;
	int r;

	snprintf(desc, sizeof(desc), "%s", description);
	doc = json_pack("{s:s, s:s, s:s}", "state", state, "context", context, "description", desc);
	if (!doc) /* a description cut inside a UTF-8 character */
		doc = json_pack("{s:s, s:s}", "state", state, "context", context);
	if (target)
		json_object_set_new(doc, "target_url", json_string(target));
	r = post(rp, path, doc, d);
	free(context);
	free(path);
	return r;
}

static int post_comment(struct nr__serve_reporter *rp, const struct origin *o, const char *text,
			struct nr_diag *d)
{
	char *path = nr_xasprintf("/repos/%s/issues/%" JSON_INTEGER_FORMAT "/comments",
				  o->repo->name, o->pr);
	json_t *doc = json_pack("{s:s}", "body", text);
	int r;

	if (!doc) {
		char *esc = nr_str_escaped(text);

		doc = json_pack("{s:s}", "body", esc);
		free(esc);
	}
	r = post(rp, path, doc, d);
	free(path);
	return r;
}

/* The pending status, and for a pull request the answer to the comment that asked. */
static int report_pending(struct nr__serve_reporter *rp, const struct nr_job_rec *j,
			  const struct origin *o, struct nr_diag *d)
{
	char *desc = nr_xasprintf("queued as job %.13s", j->id);
	char *url = nr_xasprintf("%s/api/v1/jobs/%s", rp->srv->self_url, j->id);
	int r = post_status(rp, o, "pending", j->campaign, url, desc, d);

	if (r == 0 && o->pr) {
		char *text = nr_xasprintf("netrig: queued job [%s](%s) of campaign `%s` on commit %s",
					  j->id, url, j->campaign, o->sha);

		r = post_comment(rp, o, text, d);
		free(text);
	}
	free(url);
	free(desc);
	return r;
}

/* The run's markdown report against the baseline its campaign compared with. */
static void run_report(struct nr__serve_reporter *rp, const char *run_id, struct nr_buf *md,
		       const char **ret_verdict, struct nr_run_rec *ret_run)
{
	struct nr_report_load l;
	struct nr_diag d = { 0 };
	const char *baseline = NULL;
	json_t *labels = NULL;

	if (nr_store_run_get(rp->st, run_id, ret_run, &d) < 0) {
		nr_buf_addf(md, "(the run %s is not in the database: %s)\n", run_id, nr_diag_msg(&d));
		return;
	}
	labels = ret_run->labels ? json_loads(ret_run->labels, 0, NULL) : NULL;
	baseline = json_string_value(json_object_get(labels, BASELINE_LABEL));
	if (nr_report_load(rp->st, run_id, baseline, &l, &d) < 0) {
		nr_buf_addf(md, "(no report of run %s: %s)\n", run_id, nr_diag_msg(&d));
	} else {
		nr_report_run(&l.rep, NR_REPORT_MD, md);
		*ret_verdict = nr_report_verdict(&l.rep); /* a static string */
	}
	nr_report_load_release(&l);
	json_decref(labels);
}

static int report_final(struct nr__serve_reporter *rp, const struct nr_job_rec *j,
			const struct origin *o, struct nr_diag *d)
{
	struct nr_buf md = NR_BUF_INIT, text = NR_BUF_INIT, desc = NR_BUF_INIT;
	struct nr_run_rec run = { 0 };
	const char *verdict = NULL, *state;
	char *url = NULL;
	int r;

	if (j->run_id[0]) {
		run_report(rp, j->run_id, &md, &verdict, &run);
		url = nr_xasprintf("%s/runs/%s", rp->srv->self_url, j->run_id);
	} else {
		url = nr_xasprintf("%s/api/v1/jobs/%s", rp->srv->self_url, j->id);
	}
	if (j->status == NR_JOB_CANCELLED)
		state = "error";
	else if (j->status == NR_JOB_DONE && verdict && !strcmp(verdict, "passed"))
		state = "success";
	else if (j->status == NR_JOB_DONE || j->status == NR_JOB_FAILED)
		state = run.id[0] ? "failure" : "error"; /* no run: the job, not the code, failed */
	else
		state = "error";
	if (j->status == NR_JOB_CANCELLED)
		nr_buf_addf(&desc, "cancelled%s%s", j->cancelled_by ? " by " : "",
			    j->cancelled_by ? j->cancelled_by : "");
	else if (run.id[0])
		nr_buf_addf(&desc, "%s: %lld of %lld cases passed, %lld failed", verdict ? verdict : nr_job_status_name(j->status),
			    (long long)run.n_passed, (long long)run.n_cases, (long long)run.n_failed);
	else
		nr_buf_addf(&desc, "job %s without a run", nr_job_status_name(j->status));
	r = post_status(rp, o, state, j->campaign, url, desc.buf, d);
	if (r == 0 && o->pr) {
		nr_buf_addf(&text, "### netrig: %s: %s\n\nJob `%s` on commit %s: %s. [The run's page](%s)\n\n",
			    j->campaign, verdict ? verdict : nr_job_status_name(j->status), j->id, o->sha, desc.buf, url);
		if (md.len > COMMENT_MAX) {
			md.len = COMMENT_MAX;
			md.buf[md.len] = '\0';
			nr_buf_adds(&md, "\n\n(cut: the whole report is on the run's page)\n");
		}
		nr_buf_add(&text, md.buf, md.len);
		r = post_comment(rp, o, text.buf, d);
	}
	nr_run_rec_release(&run);
	nr_buf_release(&md);
	nr_buf_release(&text);
	nr_buf_release(&desc);
	free(url);
	return r;
}

static struct wait *wait_of(struct nr__serve_reporter *rp, const char *id, bool add)
{
	size_t i;

	for (i = 0; i < rp->n_waits; i++)
		if (!strcmp(rp->waits[i].id, id))
			return &rp->waits[i];
	if (!add)
		return NULL;
	rp->waits = nr__grow(rp->waits, sizeof(*rp->waits), rp->n_waits + 1, &rp->cap_waits);
	memset(&rp->waits[rp->n_waits], 0, sizeof(*rp->waits));
	snprintf(rp->waits[rp->n_waits].id, sizeof(rp->waits[0].id), "%s", id);
	return &rp->waits[rp->n_waits++];
}

static void wait_drop(struct nr__serve_reporter *rp, const char *id)
{
	struct wait *w = wait_of(rp, id, false);

	if (w)
		*w = rp->waits[--rp->n_waits];
}

static void mark(struct nr__serve_reporter *rp, const char *id, const char *what)
{
	struct nr_diag d = { 0 };

	if (nr_store_job_reported(rp->st, id, what, nr_wall_us(), &d) < 0)
		nr__serve_logf(rp->srv, "report of job %s: cannot record it: %s", id, nr_diag_msg(&d));
}

static void report_one(struct nr__serve_reporter *rp, const struct nr_job_rec *j)
{
	bool ended = j->status != NR_JOB_QUEUED && j->status != NR_JOB_RUNNING;
	struct wait *w = wait_of(rp, j->id, false);
	struct nr_diag d = { 0 };
	struct origin o;
	int r;

	if (!ended && j->reported)
		return; /* pending was said; the end is to come */
	if (w && nr_mono_us() < w->next_us)
		return;
	if (origin_read(rp->srv->cfg, j, &o) < 0) {
		nr__serve_logf(rp->srv, "report of job %s: its origin is not a configured repository:"
			       " not reported", j->id);
		mark(rp, j->id, "final");
		json_decref(o.doc);
		return;
	}
	r = ended ? report_final(rp, j, &o, &d) : report_pending(rp, j, &o, &d);
	json_decref(o.doc);
	if (r == 0) {
		mark(rp, j->id, ended ? "final" : "pending");
		wait_drop(rp, j->id);
		return;
	}
	w = wait_of(rp, j->id, true);
	if (++w->fails >= MAX_FAILS) {
		nr__serve_logf(rp->srv, "report of job %s to %s: %s: given up after %d tries", j->id,
			       o.repo->name, nr_diag_msg(&d), w->fails);
		mark(rp, j->id, "final");
		wait_drop(rp, j->id);
		return;
	}
	{
		int64_t delay = 1000000LL << (w->fails - 1);

		if (delay > BACKOFF_MAX_US)
			delay = BACKOFF_MAX_US;
		w->next_us = nr_mono_us() + delay;
		nr__serve_logf(rp->srv, "report of job %s to %s: %s (again in %lld s)", j->id,
			       o.repo->name, nr_diag_msg(&d), (long long)(delay / 1000000));
	}
}

static void *reporter_main(void *arg)
{
	struct nr__serve_reporter *rp = arg;
	struct pollfd p = { .fd = rp->quit[0], .events = POLLIN };

	while (poll(&p, 1, TICK_MS) == 0) {
		struct nr_job_rec *v = NULL;
		struct nr_diag d = { 0 };
		size_t n = 0, i;

		if (nr_store_jobs_to_report(rp->st, BATCH, &v, &n, &d) < 0) {
			nr__serve_logf(rp->srv, "reporting jobs: %s", nr_diag_msg(&d));
			continue;
		}
		for (i = 0; i < n && !poll(&p, 1, 0); i++)
			report_one(rp, &v[i]);
		nr_jobs_free(v, n);
	}
	return NULL;
}

int nr__serve_reporter_start(struct nr_serve *s, struct nr_diag *d)
{
	struct nr__serve_reporter *rp;
	int r;

	if (!s->cfg->n_repos || !s->cfg->github_api)
		return 0;
	rp = nr_xcalloc(1, sizeof(*rp));
	rp->srv = s;
	if ((r = nr_store_open(s->db, &rp->st, d)) < 0) {
		free(rp);
		return r;
	}
	if (pipe2(rp->quit, O_CLOEXEC) < 0) {
		r = nr_diagf(d, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&rp->thread, NULL, reporter_main, rp) != 0) {
		close(rp->quit[0]);
		close(rp->quit[1]);
		r = nr_diagf(d, -EAGAIN, "cannot start the reporting thread");
		goto fail;
	}
	s->reporter = rp;
	return 0;
fail:
	nr_store_close(rp->st);
	free(rp);
	return r;
}

void nr__serve_reporter_stop(struct nr_serve *s)
{
	struct nr__serve_reporter *rp = s->reporter;

	if (!rp)
		return;
	if (write(rp->quit[1], "x", 1) < 0) {
		/* the thread may miss it only if the pipe is full: it is not */
	}
	pthread_join(rp->thread, NULL);
	close(rp->quit[0]);
	close(rp->quit[1]);
	nr_store_close(rp->st);
	free(rp->waits);
	free(rp);
	s->reporter = NULL;
}
