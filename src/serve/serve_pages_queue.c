/*
 * The dashboard's pages of work in progress (ixy-ci's wish list: the
 * current job, the queue, past results, their logs): GET /queue, GET
 * /jobs/ID and GET /runs/RUN/log. Server-rendered HTML, nothing runs or
 * is fetched, every value (outputs included) is escaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "report/report.h"
#include "serve/serve_int.h"

#define MAX_FINISHED_JOBS 100  /* finished jobs on the queue page (the latest) */
#define MAX_LOG_EVENTS 500     /* a run's events on its log page (the latest) */
#define MAX_LOG_ATTEMPTS 300   /* attempts whose outputs are shown (the first in plan order) */
#define TAIL_BYTES 4096        /* the end of each output shown */

static void fail_store(struct nr__serve_req *q, const char *what, int r, const struct nr_diag *d)
{
	if (r == NR_ENOTFOUND || r == NR_EAMBIGUOUS) {
		nr__serve_fail(q, 404, "%s", nr_diag_msg(d));
		return;
	}
	nr__serve_logf(q->srv, "%s: %s", what, nr_diag_msg(d));
	nr__serve_fail(q, 500, "the database failed");
}

/* ---- GET /queue ---- */

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct nr_job_rec *)a)->id, ((const struct nr_job_rec *)b)->id);
}

/*
 * How many characters of an id tell every job apart (8 or more): ids made
 * in one millisecond (UUIDv7) share their first 12.
 */
static size_t short_len(const struct nr_job_rec *jobs, size_t n)
{
	struct nr_job_rec *v = nr_xmalloc((n + 1) * sizeof(*v));
	size_t len = 8, i, k;

	memcpy(v, jobs, n * sizeof(*v)); /* shallow: only the ids are read */
	qsort(v, n, sizeof(*v), by_id);
	for (i = 1; i < n; i++) {
		for (k = 0; v[i].id[k] && v[i].id[k] == v[i - 1].id[k]; k++)
			;
		if (k + 1 > len)
			len = k + 1;
	}
	free(v);
	return len < NR_UUID_LEN ? len : NR_UUID_LEN;
}

static void job_row(struct nr_buf *out, const struct nr_job_rec *j, size_t id_len)
{
	char short_id[NR_UUID_LEN + 1] = { 0 };

	memcpy(short_id, j->id, id_len);
	nr_buf_adds(out, "<tr><td><code>");
	nr__serve_link(out, "/jobs/", j->id, NULL, short_id);
	nr_buf_adds(out, "</code></td><td>");
	nr_report_html_badge(out, nr_job_status_name(j->status));
	nr_buf_adds(out, "</td><td>");
	nr__serve_link(out, "/campaigns/", j->campaign, NULL, j->campaign);
	if (j->repo) {
		nr_buf_adds(out, "<br><small>");
		nr_report_xml_escape(out, j->repo);
		if (j->repo_commit) {
			nr_buf_adds(out, " @ ");
			nr_report_xml_escape(out, j->repo_commit);
		}
		nr_buf_adds(out, "</small>");
	}
	nr_buf_adds(out, "</td><td>");
	nr_report_xml_escape(out, j->requester ? j->requester : "");
	nr_buf_adds(out, "</td><td>");
	nr_report_html_time(out, j->created_us);
	nr_buf_adds(out, "</td><td>");
	nr_report_html_time(out, j->started_us);
	nr_buf_adds(out, "</td><td>");
	nr_report_html_time(out, j->finished_us);
	nr_buf_adds(out, "</td><td>");
	nr_report_xml_escape(out, j->worker ? j->worker : "");
	nr_buf_addf(out, "</td><td class=\"num\">%d</td><td>", j->tries);
	if (j->run_id[0]) {
		nr__serve_link(out, "/runs/", j->run_id, NULL, "run");
		nr_buf_adds(out, " &#183; ");
		nr__serve_link(out, "/runs/", j->run_id, "/log", "log");
	}
	nr_buf_adds(out, "</td></tr>\n");
}

/*
 * A table of jobs[0..n) (oldest first) of one of `statuses`, newest first
 * or oldest, headed by how many the store has of them (count).
 */
static void job_table(struct nr_buf *out, const char *heading, const char *id,
		      const struct nr_job_rec *jobs, size_t n, const enum nr_job_status *statuses,
		      bool newest_first, int64_t count, size_t id_len)
{
	static const char head[] = "<table class=\"wide\"><thead><tr><th>job</th><th>status</th>"
				   "<th>campaign</th><th>asked by</th><th>queued</th><th>started</th>"
				   "<th>finished</th><th>worker</th><th class=\"num\">tries</th>"
				   "<th>run</th></tr></thead><tbody>\n";
	size_t i, k, shown = 0;

	nr_buf_addf(out, "<h2 id=\"%s\">", id);
	nr_report_xml_escape(out, heading);
	nr_buf_addf(out, " (%lld)</h2>\n", (long long)count);
	if (!count) {
		nr_buf_adds(out, "<p class=\"note\">None.</p>\n");
		return;
	}
	nr_buf_adds(out, head);
	for (i = 0; i < n; i++) {
		const struct nr_job_rec *j = &jobs[newest_first ? n - 1 - i : i];

		for (k = 0; statuses[k] && j->status != statuses[k]; k++)
			;
		if (!statuses[k])
			continue;
		job_row(out, j, id_len);
		shown++;
	}
	nr_buf_adds(out, "</tbody></table>\n");
	if (count > (int64_t)shown)
		nr_buf_addf(out, "<p class=\"note\">The latest %zu of %lld.</p>\n", shown,
			    (long long)count);
}

static int by_created(const void *a, const void *b)
{
	const struct nr_job_rec *x = a, *y = b;

	if (x->created_us != y->created_us)
		return x->created_us < y->created_us ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * The jobs the queue page shows, oldest first: every running and queued
 * one, and the latest MAX_FINISHED_JOBS that ended. Read by status and
 * limit in the store, so a queue with years of finished jobs costs what
 * it shows.
 */
static int queue_jobs(struct nr__serve_req *q, struct nr_job_rec **ret, size_t *ret_n,
		      struct nr_diag *d)
{
	static const struct {
		enum nr_job_status status;
		size_t limit;
	} parts[] = {
		{ NR_JOB_RUNNING, 0 },
		{ NR_JOB_QUEUED, 0 },
		{ NR_JOB_DONE, MAX_FINISHED_JOBS },
		{ NR_JOB_FAILED, MAX_FINISHED_JOBS },
		{ NR_JOB_CANCELLED, MAX_FINISHED_JOBS },
	};
	struct nr_job_rec *all = NULL, *v;
	size_t n = 0, m, i, k, finished = 0;
	int r = 0;

	for (i = 0; i < NR_ARRAY_SIZE(parts); i++) {
		if ((r = nr_store_jobs_list(q->st, parts[i].status, parts[i].limit, &v, &m, d)) < 0)
			break;
		all = nr_xrealloc(all, (n + m + 1) * sizeof(*all));
		memcpy(all + n, v, m * sizeof(*v)); /* their strings move to all */
		free(v);
		n += m;
	}
	if (r < 0) {
		nr_jobs_free(all, n);
		return r;
	}
	qsort(all, n, sizeof(*all), by_created);
	/* the three finished lists hold up to 3 x MAX: keep the latest MAX of them */
	for (i = n; i-- > 0;) {
		if (all[i].status != NR_JOB_DONE && all[i].status != NR_JOB_FAILED &&
		    all[i].status != NR_JOB_CANCELLED)
			continue;
		if (++finished <= MAX_FINISHED_JOBS)
			continue;
		nr_job_rec_release(&all[i]);
		all[i].status = NR_JOB_UNKNOWN; /* dropped below */
	}
	for (i = 0, k = 0; i < n; i++)
		if (all[i].status != NR_JOB_UNKNOWN)
			all[k++] = all[i];
	*ret = all;
	*ret_n = k;
	return 0;
}

void nr__serve_queue_page(struct nr__serve_req *q)
{
	/* each list ends at NR_JOB_UNKNOWN (0) */
	static const enum nr_job_status running[] = { NR_JOB_RUNNING, NR_JOB_UNKNOWN };
	static const enum nr_job_status queued[] = { NR_JOB_QUEUED, NR_JOB_UNKNOWN };
	static const enum nr_job_status finished[] = { NR_JOB_DONE, NR_JOB_FAILED, NR_JOB_CANCELLED,
							 NR_JOB_UNKNOWN };
	int64_t count[NR_JOB_STATUS_N + 1];
	struct nr_job_rec *jobs = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	size_t n = 0, id_len;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_jobs_count(q->st, count, &d)) < 0 ||
	    (r = queue_jobs(q, &jobs, &n, &d)) < 0) {
		fail_store(q, "queue", r, &d);
		return;
	}
	nr_report_html_begin(&out, "netrig: queue", "jobs for the workers: running, queued, finished",
			     nr__serve_nav);
	id_len = short_len(jobs, n);
	job_table(&out, "Running", "running", jobs, n, running, false, count[NR_JOB_RUNNING], id_len);
	job_table(&out, "Queued", "queued", jobs, n, queued, false, count[NR_JOB_QUEUED], id_len);
	job_table(&out, "Finished", "finished", jobs, n, finished, true,
		  count[NR_JOB_DONE] + count[NR_JOB_FAILED] + count[NR_JOB_CANCELLED], id_len);
	nr_report_html_end(&out);
	nr__serve_page(q, &out);
	nr_jobs_free(jobs, n);
}

/* ---- GET /jobs/ID ---- */

static void kv(struct nr_buf *out, const char *key, const char *value)
{
	if (!value)
		return;
	nr_buf_addf(out, "<dt>%s</dt><dd><code>", key);
	nr_report_xml_escape(out, value);
	nr_buf_adds(out, "</code></dd>\n");
}

static void kv_time(struct nr_buf *out, const char *key, int64_t us)
{
	nr_buf_addf(out, "<dt>%s</dt><dd>", key);
	nr_report_html_time(out, us);
	nr_buf_adds(out, "</dd>\n");
}

void nr__serve_job_page(struct nr__serve_req *q, const char *sel)
{
	struct nr_job_rec j = { 0 };
	struct nr_buf out = NR_BUF_INIT, title = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_job_get(q->st, sel, &j, &d)) < 0) {
		fail_store(q, "job page", r, &d);
		return;
	}
	nr_buf_addf(&title, "netrig: job %.8s", j.id);
	nr_report_html_begin(&out, title.buf, j.campaign, nr__serve_nav);
	nr_buf_adds(&out, "<h2 id=\"job\">Job</h2>\n<p>");
	nr_report_html_badge(&out, nr_job_status_name(j.status));
	if (j.run_id[0]) {
		nr_buf_adds(&out, " ");
		nr__serve_link(&out, "/runs/", j.run_id, NULL, "its run");
		nr_buf_adds(&out, " &#183; ");
		nr__serve_link(&out, "/runs/", j.run_id, "/log", "the run's events and outputs");
	}
	nr_buf_adds(&out, "</p>\n<dl class=\"kv\">\n");
	kv(&out, "id", j.id);
	nr_buf_adds(&out, "<dt>campaign</dt><dd>");
	nr__serve_link(&out, "/campaigns/", j.campaign, NULL, j.campaign);
	nr_buf_adds(&out, "</dd>\n");
	kv(&out, "file", j.campaign_path);
	kv(&out, "repository", j.repo);
	kv(&out, "path in it", j.repo_path);
	kv(&out, "commit", j.repo_commit);
	kv(&out, "tests", j.tests);
	kv(&out, "overrides", j.overrides);
	kv(&out, "needs", j.needs);
	kv(&out, "labels", j.labels);
	kv(&out, "asked by", j.requester);
	kv(&out, "worker", j.worker);
	nr_buf_addf(&out, "<dt>tries</dt><dd>%d (%d failed in a row)</dd>\n", j.tries, j.failures);
	kv_time(&out, "queued", j.created_us);
	kv_time(&out, "started", j.started_us);
	kv_time(&out, "finished", j.finished_us);
	if (j.status == NR_JOB_RUNNING)
		kv_time(&out, "lease until", j.lease_until_us);
	nr_buf_adds(&out, "</dl>\n");
	if (j.reasons) {
		nr_buf_adds(&out, "<h3>Tries that did not end it</h3>\n<pre class=\"tail\">");
		nr_report_xml_escape(&out, j.reasons);
		nr_buf_adds(&out, "</pre>\n");
	}
	nr_report_html_end(&out);
	nr__serve_page(q, &out);
	nr_buf_release(&title);
	nr_job_rec_release(&j);
}

/* ---- GET /runs/RUN/log ---- */

static void events_table(struct nr_buf *out, const struct nr_event_rec *ev, size_t n)
{
	size_t i = n > MAX_LOG_EVENTS ? n - MAX_LOG_EVENTS : 0;

	nr_buf_addf(out, "<h2 id=\"events\">Events (%zu)</h2>\n", n);
	if (!n) {
		nr_buf_adds(out, "<p class=\"note\">None: no health check failed, nothing was"
				 " restarted.</p>\n");
		return;
	}
	if (i)
		nr_buf_addf(out, "<p class=\"note\">The latest %d.</p>\n", MAX_LOG_EVENTS);
	nr_buf_adds(out, "<table class=\"wide\"><thead><tr><th>time</th><th>kind</th><th>host</th>"
			 "<th>case</th><th>message</th></tr></thead><tbody>\n");
	for (; i < n; i++) {
		nr_buf_adds(out, "<tr><td>");
		nr_report_html_time(out, ev[i].time_us);
		nr_buf_adds(out, "</td><td>");
		nr_report_xml_escape(out, ev[i].kind);
		nr_buf_adds(out, "</td><td>");
		nr_report_xml_escape(out, ev[i].host ? ev[i].host : "");
		nr_buf_adds(out, "</td><td><code>");
		nr_buf_add(out, ev[i].case_id, strnlen(ev[i].case_id, 8)); /* a UUID's hex */
		nr_buf_adds(out, "</code></td><td class=\"err\">");
		nr_report_xml_escape(out, ev[i].message ? ev[i].message : "");
		nr_buf_adds(out, "</td></tr>\n");
	}
	nr_buf_adds(out, "</tbody></table>\n");
}

/* An attempt's line and the tail of each of its outputs. */
static int attempt_log(struct nr__serve_req *q, const struct nr_attempt_rec *a, struct nr_buf *out,
		       struct nr_diag *d)
{
	struct nr_output_rec *o = NULL;
	struct nr_buf tail = NR_BUF_INIT;
	size_t n = 0, i, from;
	int r;

	if ((r = nr_store_outputs_get(q->st, a->id, &o, &n, d)) < 0)
		return r;
	nr_buf_addf(out, "<h4>attempt %d (repeat %d) ", a->number, a->repeat + 1);
	nr_report_html_badge(out, nr_attempt_outcome_name(a->outcome));
	nr_buf_addf(out, " exit %d", a->exit_code);
	if (a->superseded)
		nr_buf_adds(out, ", superseded by a rerun");
	nr_buf_adds(out, "</h4>\n");
	if (a->error) {
		nr_buf_adds(out, "<p class=\"err\">");
		nr_report_xml_escape(out, a->error);
		nr_buf_adds(out, "</p>\n");
	}
	for (i = 0; i < n; i++) {
		from = o[i].data.len > TAIL_BYTES ? o[i].data.len - TAIL_BYTES : 0;
		nr_buf_adds(out, "<div class=\"legend\">");
		nr_report_xml_escape(out, o[i].role);
		nr_buf_adds(out, " on ");
		nr_report_xml_escape(out, o[i].host);
		nr_buf_adds(out, ": ");
		nr_report_xml_escape(out, o[i].stream);
		nr_buf_addf(out, " (%llu bytes", (unsigned long long)o[i].size);
		if (from)
			nr_buf_addf(out, ", the last %d shown", TAIL_BYTES);
		if (o[i].dropped)
			nr_buf_addf(out, ", %llu more not kept", (unsigned long long)o[i].dropped);
		nr_buf_adds(out, ")</div>\n");
		if (!o[i].data.len)
			continue;
		nr_buf_adds(out, "<pre class=\"tail\">");
		/* the escaper writes bytes that are not UTF-8 (a cut character) as %XX */
		nr_buf_reset(&tail);
		nr_buf_add(&tail, o[i].data.buf ? o[i].data.buf + from : "", o[i].data.len - from);
		nr_report_xml_escape(out, tail.buf);
		nr_buf_adds(out, "</pre>\n");
	}
	nr_buf_release(&tail);
	nr_outputs_free(o, n);
	return 0;
}

void nr__serve_run_log_page(struct nr__serve_req *q, const char *sel)
{
	struct nr_run_rec run = { 0 };
	struct nr_case_rec *cases = NULL;
	struct nr_event_rec *ev = NULL;
	struct nr_attempt_rec *at = NULL;
	struct nr_buf out = NR_BUF_INIT, title = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	size_t n_cases = 0, n_ev = 0, n_at = 0, i, k, shown = 0;
	bool got_run = false;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_run_get(q->st, sel, &run, &d)) < 0)
		goto fail;
	got_run = true;
	if ((r = nr_store_events_list(q->st, run.id, NULL, &ev, &n_ev, &d)) < 0 ||
	    (r = nr_store_cases_list(q->st, run.id, &cases, &n_cases, &d)) < 0)
		goto fail;
	nr_buf_addf(&title, "netrig log: %s %s", run.campaign, run.short_id);
	nr_report_html_begin(&out, title.buf, run.id, nr__serve_nav);
	nr_buf_adds(&out, "<p class=\"pick\">");
	nr_report_html_badge(&out, nr_run_status_name(run.status));
	nr_buf_adds(&out, " ");
	nr__serve_link(&out, "/runs/", run.id, NULL, "the run's report");
	nr_buf_adds(&out, " &#183; campaign ");
	nr__serve_link(&out, "/campaigns/", run.campaign, NULL, run.campaign);
	if (run.reason) {
		nr_buf_adds(&out, "</p>\n<p class=\"err\">");
		nr_report_xml_escape(&out, run.reason);
	}
	nr_buf_adds(&out, "</p>\n");
	events_table(&out, ev, n_ev);
	nr_buf_addf(&out, "<h2 id=\"outputs\">Attempts and outputs</h2>\n<p class=\"legend\">Each"
		    " case in plan order, each attempt with the last %d bytes of each output it"
		    " kept.</p>\n", TAIL_BYTES);
	for (i = 0; i < n_cases; i++) {
		nr_buf_adds(&out, "<h3>");
		nr_report_xml_escape(&out, cases[i].key);
		nr_buf_adds(&out, " ");
		nr_report_html_badge(&out, nr_case_status_name(cases[i].status));
		nr_buf_adds(&out, "</h3>\n");
		if ((r = nr_store_attempts_list(q->st, cases[i].id, &at, &n_at, &d)) < 0)
			goto fail;
		for (k = 0; k < n_at && shown < MAX_LOG_ATTEMPTS; k++, shown++)
			if ((r = attempt_log(q, &at[k], &out, &d)) < 0)
				goto fail;
		if (k < n_at)
			nr_buf_addf(&out, "<p class=\"note\">%zu more attempts not shown (this page"
				    " shows %d).</p>\n", n_at - k, MAX_LOG_ATTEMPTS);
		else if (!n_at)
			nr_buf_adds(&out, "<p class=\"note\">No attempts.</p>\n");
		nr_attempts_free(at, n_at);
		at = NULL;
		n_at = 0;
	}
	nr_report_html_end(&out);
	nr__serve_page(q, &out);
	goto out;
fail:
	fail_store(q, "run log", r, &d);
out:
	nr_attempts_free(at, n_at);
	nr_cases_free(cases, n_cases);
	nr_events_free(ev, n_ev);
	if (got_run)
		nr_run_rec_release(&run);
	nr_buf_release(&title);
	nr_buf_release(&out);
}
