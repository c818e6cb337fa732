/*
 * What netrig serve shows besides the JSON API: pages (a run's HTML
 * report, a campaign's: the report module's page with its SVG charts and
 * trends, and its branches), a campaign's badge (SVG, for READMEs),
 * /metrics (Prometheus text exposition format 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/), and what
 * the dashboard's other pages (serve_pages_dash.c, serve_pages_queue.c)
 * share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "report/report.h"
#include "serve/serve_int.h"

/* ---- GET /badge/CAMPAIGN.svg ---- */

/* Text width in the badge's 11 px Verdana, near enough: 7 px a character. */
static unsigned text_px(const char *s)
{
	return (unsigned)strlen(s) * 7 + 10;
}

static void badge_svg(struct nr_buf *out, const char *label, const char *message,
		      const char *color)
{
	unsigned lw = text_px(label), mw = text_px(message);

	nr_buf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"20\""
		    " role=\"img\" aria-label=\"", lw + mw);
	nr_report_xml_escape(out, label);
	nr_buf_adds(out, ": ");
	nr_report_xml_escape(out, message);
	nr_buf_addf(out, "\"><rect width=\"%u\" height=\"20\" fill=\"#555\"/>"
		    "<rect x=\"%u\" width=\"%u\" height=\"20\" fill=\"%s\"/>"
		    "<g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\""
		    " text-anchor=\"middle\"><text x=\"%u\" y=\"14\">", lw, lw, mw, color, lw / 2);
	nr_report_xml_escape(out, label);
	nr_buf_addf(out, "</text><text x=\"%u\" y=\"14\">", lw + mw / 2);
	nr_report_xml_escape(out, message);
	nr_buf_adds(out, "</text></g></svg>\n");
}

/* A badge's word for a report's verdict (nr_report_verdict's words), and its colour. */
static const struct {
	const char *verdict, *word, *color;
} words[] = {
	{ "passed", "passing", "#4c1" },
	{ "running", "running", "#007ec6" },
	{ "regression", "regression", "#fe7d37" },
	{ "limit", "limit", "#e05d44" },
	{ "failed", "failing", "#e05d44" },
	{ "stopped", "stopped", "#e05d44" },
	{ "interrupted", "interrupted", "#e05d44" },
};

/*
 * Verdicts are read far more often than runs are written (every view of
 * a README's badge, of the index), and one is a whole report's work (the
 * comparison with the run before, the history, change points): each
 * campaign's is kept, and made again when an upload came in since (any
 * upload: one may change a baseline), or when its latest run is not the
 * one it was made from (a worker writes runs into the database without an
 * upload: a badge looks at that once a second at most, so it is at most
 * that stale).
 */
#define VERDICT_RECHECK_US 1000000
#define VERDICT_CACHE_MAX 4096 /* campaigns kept; only campaigns with runs are */

struct verdict {
	char *campaign;
	char run_id[NR_UUID_LEN + 1]; /* the latest run it was made from, as it was */
	enum nr_run_status status;
	int64_t finished_us;
	unsigned long long uploads; /* the server's upload count when it was made */
	int64_t checked_us;         /* monotonic: when the latest run was last compared */
	const char *word;           /* static: words[].word, or "failing" */
};

struct nr__serve_badges {
	pthread_mutex_t lock;
	struct verdict *v;
	size_t n, cap;
};

struct nr__serve_badges *nr__serve_badges_new(void)
{
	struct nr__serve_badges *b = nr_xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->lock, NULL);
	return b;
}

void nr__serve_badges_free(struct nr__serve_badges *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		free(b->v[i].campaign);
	free(b->v);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static struct verdict *verdict_find(struct nr__serve_badges *b, const char *campaign)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].campaign, campaign))
			return &b->v[i];
	return NULL;
}

/*
 * The kept verdict of `campaign` when it still holds: made after the last
 * upload, and (when latest is given) from that run as it is now, or
 * (without) compared with the latest run less than a second ago.
 */
static bool verdict_cached(struct nr__serve_req *q, const char *campaign,
			   const struct nr_run_rec *latest, const char **ret_word)
{
	struct nr__serve_badges *b = q->srv->badges;
	unsigned long long uploads = atomic_load(&q->srv->counts.uploads);
	int64_t now = nr_mono_us();
	struct verdict *e;
	bool hit = false;

	pthread_mutex_lock(&b->lock);
	e = verdict_find(b, campaign);
	if (e && e->uploads == uploads) {
		if (!latest)
			hit = now - e->checked_us < VERDICT_RECHECK_US;
		else if (!strcmp(e->run_id, latest->id) && e->status == latest->status &&
			 e->finished_us == latest->finished_us)
			hit = true, e->checked_us = now;
	}
	if (hit)
		*ret_word = e->word;
	pthread_mutex_unlock(&b->lock);
	return hit;
}

static void verdict_keep(struct nr__serve_req *q, const struct nr_run_rec *latest,
			 unsigned long long uploads, const char *word)
{
	struct nr__serve_badges *b = q->srv->badges;
	struct verdict *e;

	pthread_mutex_lock(&b->lock);
	if (!(e = verdict_find(b, latest->campaign))) {
		if (b->n == VERDICT_CACHE_MAX)
			goto out;
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 16;
			b->v = nr_xrealloc(b->v, b->cap * sizeof(*b->v));
		}
		e = &b->v[b->n++];
		*e = (struct verdict){ .campaign = nr_xstrdup(latest->campaign) };
	}
	memcpy(e->run_id, latest->id, sizeof(e->run_id));
	e->status = latest->status;
	e->finished_us = latest->finished_us;
	e->uploads = uploads;
	e->checked_us = nr_mono_us();
	e->word = word;
out:
	pthread_mutex_unlock(&b->lock);
}

/*
 * The verdict of a campaign's latest run as a badge says it: passing,
 * failing (its status when it did not pass), limit, regression (against
 * the run before it on its branch, as `netrig report --baseline branch:B`
 * judges), running. The same verdict as the report; kept (above).
 */
int nr__serve_verdict(struct nr__serve_req *q, const struct nr_run_rec *latest,
		      const char **ret_word, struct nr_diag *d)
{
	unsigned long long uploads = atomic_load(&q->srv->counts.uploads);
	struct nr_report_load l = { 0 };
	const char *v, *word = "failing"; /* a status the table does not know did not pass */
	char *baseline = NULL;
	size_t i;
	int r;

	if (verdict_cached(q, latest->campaign, latest, ret_word))
		return 0;
	baseline = nr_xasprintf("branch:%s", latest->branch ? latest->branch : "");
	r = nr_report_load(q->st, latest->id, latest->branch ? baseline : "latest", &l, d);
	if (r == 0) {
		v = nr_report_verdict(&l.rep);
		for (i = 0; i < NR_ARRAY_SIZE(words); i++)
			if (!strcmp(v, words[i].verdict))
				word = words[i].word;
		verdict_keep(q, latest, uploads, word);
		*ret_word = word;
	}
	nr_report_load_release(&l);
	free(baseline);
	return r;
}

/* The badge of a campaign's latest run (nr__serve_verdict), or unknown for a campaign without runs. */
void nr__serve_badge(struct nr__serve_req *q, const char *campaign)
{
	struct nr_run_rec *runs = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	const char *message = "unknown", *color = "#9f9f9f";
	size_t n = 0, i;
	int r = 0;

	if (!verdict_cached(q, campaign, NULL, &message)) {
		if (nr__serve_store(q) < 0)
			return;
		r = nr_store_runs_select(q->st, "latest", campaign, 1, &runs, &n, &d);
		if (r == 0)
			r = nr__serve_verdict(q, &runs[0], &message, &d);
	}
	if (r < 0 && r != NR_ENOTFOUND) {
		nr__serve_logf(q->srv, "badge %s: %s", campaign, nr_diag_msg(&d));
		nr__serve_fail(q, 500, "the database failed");
		goto out;
	}
	for (i = 0; i < NR_ARRAY_SIZE(words); i++)
		if (!strcmp(message, words[i].word))
			color = words[i].color;
	badge_svg(&out, campaign, message, color);
	nr_buf_release(&q->out);
	q->out = out;
	q->status = 200;
	q->content_type = "image/svg+xml";
	out = (struct nr_buf)NR_BUF_INIT;
out:
	nr_runs_free(runs, n);
	nr_buf_release(&out);
}

/* ---- what the pages share ---- */

const char nr__serve_nav[] = "<a href=\"/\">Campaigns</a><a href=\"/queue\">Queue</a>";

void nr__serve_page(struct nr__serve_req *q, struct nr_buf *page)
{
	nr_buf_release(&q->out);
	q->out = *page;
	*page = (struct nr_buf)NR_BUF_INIT;
	q->status = 200;
	q->content_type = "text/html; charset=utf-8";
	q->html = true;
}

void nr__serve_urlenc(struct nr_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			nr_buf_addch(out, (char)*p);
		else
			nr_buf_addf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

void nr__serve_link(struct nr_buf *out, const char *prefix, const char *name, const char *suffix,
		    const char *text)
{
	nr_buf_adds(out, "<a href=\"");
	nr_buf_adds(out, prefix);
	nr__serve_urlenc(out, name);
	if (suffix)
		nr_buf_adds(out, suffix);
	nr_buf_adds(out, "\">");
	nr_report_xml_escape(out, text ? text : "");
	nr_buf_adds(out, "</a>");
}

/* ---- GET /runs/RUN, GET /campaigns/NAME[?branch=B]: HTML ---- */

/* A campaign page's branches (newest first), the one shown; NULL for a run's page. */
struct branch_pick {
	const struct nr_strvec *branches;
	const char *shown; /* NULL: the campaign's latest run, whatever its branch */
};

/* The links above a report: its campaign (and the campaign's branches), its log, its uploader. */
static void report_top(struct nr__serve_req *q, const struct nr_run_rec *run,
		       const struct branch_pick *pick, struct nr_buf *out)
{
	struct nr_diag d = { 0 };
	char *owner = NULL;
	bool exists;
	size_t i;

	nr_buf_adds(out, "<p class=\"pick\">");
	if (pick) {
		nr_buf_adds(out, "Branch: ");
		if (pick->shown)
			nr__serve_link(out, "/campaigns/", run->campaign, NULL, "latest of all");
		else
			nr_buf_adds(out, "<b>latest of all</b>");
		for (i = 0; i < pick->branches->n; i++) {
			const char *b = pick->branches->v[i];

			if (pick->shown && !strcmp(pick->shown, b)) {
				nr_buf_adds(out, "<b>");
				nr_report_xml_escape(out, b);
				nr_buf_adds(out, "</b>");
				continue;
			}
			nr_buf_adds(out, "<a href=\"/campaigns/");
			nr__serve_urlenc(out, run->campaign);
			nr_buf_adds(out, "?branch=");
			nr__serve_urlenc(out, b);
			nr_buf_adds(out, "\">");
			nr_report_xml_escape(out, b);
			nr_buf_adds(out, "</a>");
		}
		nr_buf_adds(out, "<br>Showing run ");
		nr__serve_link(out, "/runs/", run->id, NULL, run->short_id);
		nr_buf_adds(out, " &#183; ");
	} else {
		nr_buf_adds(out, "Campaign ");
		nr__serve_link(out, "/campaigns/", run->campaign, NULL, run->campaign);
		nr_buf_adds(out, " &#183; ");
	}
	nr__serve_link(out, "/runs/", run->id, "/log", "events and outputs");
	if (nr_store_upload_owner(q->st, run->id, &exists, &owner, &d) == 0 && owner) {
		nr_buf_adds(out, " &#183; uploaded by ");
		nr__serve_link(out, "/users/", owner, NULL, owner);
	}
	nr_buf_adds(out, "</p>\n");
	free(owner);
}
/*
 * The HTML report of run `sel` (with a comparison against `baseline`, or
 * none) with the links above it: one self-contained page, every value
 * escaped by the report module. Served with a policy that lets nothing
 * run or load: the page reads without its table-sorting script.
 */
static void html_report(struct nr__serve_req *q, const char *sel, const char *baseline,
			const struct branch_pick *pick)
{
	struct nr_report_load l;
	struct nr_buf out = NR_BUF_INIT, top = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_report_load(q->st, sel, baseline, &l, &d)) < 0) {
		if (r == NR_ENOTFOUND || r == NR_EAMBIGUOUS) {
			nr__serve_fail(q, 404, "%s", nr_diag_msg(&d));
		} else {
			nr__serve_logf(q->srv, "page: %s", nr_diag_msg(&d));
			nr__serve_fail(q, 500, "the database failed");
		}
	} else {
		report_top(q, &l.run, pick, &top);
		l.rep.html_top = top.buf;
		nr_report_html(&l.rep, &out);
		nr__serve_page(q, &out);
	}
	nr_report_load_release(&l);
	nr_buf_release(&top);
	nr_buf_release(&out);
}

void nr__serve_run_page(struct nr__serve_req *q, const char *sel)
{
	html_report(q, sel, NULL, NULL);
}

/*
 * A campaign's page: the report of its latest run (of branch ?branch=B
 * when asked) against the run before it on its branch, trends of every
 * series with change points marked, links to the campaign's branches.
 */
void nr__serve_campaign_page(struct nr__serve_req *q, const char *campaign)
{
	const char *branch = nr__serve_arg(q, "branch");
	struct nr_strvec branches = NR_STRVEC_INIT;
	struct nr_run_rec *runs = NULL;
	const struct nr_run_rec *shown = NULL;
	struct nr_diag d = { 0 };
	struct branch_pick pick;
	char *baseline = NULL;
	size_t n = 0, i, k;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	/* the campaign's runs alone, newest first */
	if ((r = nr_store_runs_select(q->st, "latest", campaign, 0, &runs, &n, &d)) < 0 &&
	    r != NR_ENOTFOUND) {
		nr__serve_logf(q->srv, "page: %s", nr_diag_msg(&d));
		nr__serve_fail(q, 500, "the database failed");
		return;
	}
	for (i = 0; i < n; i++) {
		const struct nr_run_rec *run = &runs[i];

		if (!shown && (!branch || (run->branch && !strcmp(run->branch, branch))))
			shown = run;
		if (!run->branch)
			continue;
		for (k = 0; k < branches.n && strcmp(branches.v[k], run->branch); k++)
			;
		if (k == branches.n)
			nr_strvec_push(&branches, run->branch);
	}
	if (!shown) {
		if (branch)
			nr__serve_fail(q, 404, "no runs of campaign '%.100s' on branch '%.100s'",
				       campaign, branch);
		else
			nr__serve_fail(q, 404, "no runs of campaign '%.100s'", campaign);
		goto out;
	}
	if (shown->branch)
		baseline = nr_xasprintf("branch:%s", shown->branch);
	pick = (struct branch_pick){ .branches = &branches, .shown = branch };
	html_report(q, shown->id, baseline, &pick);
out:
	free(baseline);
	nr_strvec_clear(&branches);
	nr_runs_free(runs, n);
}

/* ---- GET /metrics ---- */

void nr__serve_metrics(struct nr__serve_req *q)
{
	const struct nr__serve_counts *c = &q->srv->counts;
	int64_t by_status[NR_RUN_STATUS_N + 1], jobs[NR_JOB_STATUS_N + 1];
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	unsigned long long total = 0;
	size_t k;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_runs_count(q->st, by_status, &d)) < 0 ||
	    (r = nr_store_jobs_count(q->st, jobs, &d)) < 0) {
		nr__serve_logf(q->srv, "metrics: %s", nr_diag_msg(&d));
		nr__serve_fail(q, 500, "the database failed");
		return;
	}
	nr_buf_adds(&out, "# HELP netrig_runs Runs in the database, by status.\n"
			  "# TYPE netrig_runs gauge\n");
	for (k = 1; k <= NR_RUN_STATUS_N; k++) /* every status this netrig knows */
		nr_buf_addf(&out, "netrig_runs{status=\"%s\"} %lld\n",
			    nr_run_status_name((enum nr_run_status)k), (long long)by_status[k]);
	nr_buf_adds(&out, "# HELP netrig_jobs Jobs in the queue's table, by status.\n"
			  "# TYPE netrig_jobs gauge\n");
	for (k = 1; k <= NR_JOB_STATUS_N; k++)
		nr_buf_addf(&out, "netrig_jobs{status=\"%s\"} %lld\n",
			    nr_job_status_name((enum nr_job_status)k), (long long)jobs[k]);
	nr_buf_addf(&out, "# HELP netrig_uploads_total Bundles stored since the server started.\n"
		    "# TYPE netrig_uploads_total counter\nnetrig_uploads_total %llu\n",
		    (unsigned long long)atomic_load(&c->uploads));
	nr_buf_addf(&out, "# HELP netrig_upload_batches_total Transactions that stored more than"
		    " one upload (group commit) since the server started.\n"
		    "# TYPE netrig_upload_batches_total counter\nnetrig_upload_batches_total %llu\n",
		    (unsigned long long)atomic_load(&c->batches));
	nr_buf_addf(&out, "# HELP netrig_upload_transactions_total Transactions of uploads (one or"
		    " more each) since the server started.\n"
		    "# TYPE netrig_upload_transactions_total counter\n"
		    "netrig_upload_transactions_total %llu\n",
		    (unsigned long long)atomic_load(&c->transactions));
	nr_buf_addf(&out, "# HELP netrig_wal_checkpoints_total Checkpoints of SQLite's WAL by the"
		    " server's thread since it started.\n"
		    "# TYPE netrig_wal_checkpoints_total counter\nnetrig_wal_checkpoints_total %llu\n",
		    (unsigned long long)atomic_load(&c->checkpoints));
	nr_buf_adds(&out, "# HELP netrig_http_requests_total Requests answered, by status class.\n"
			  "# TYPE netrig_http_requests_total counter\n");
	for (k = 1; k <= 5; k++) {
		unsigned long long v = atomic_load(&c->requests[k]);

		total += v;
		nr_buf_addf(&out, "netrig_http_requests_total{code=\"%zuxx\"} %llu\n", k, v);
	}
	nr_buf_addf(&out, "# HELP netrig_http_request_duration_seconds Time from a request's"
		    " first byte to its answer.\n"
		    "# TYPE netrig_http_request_duration_seconds summary\n"
		    "netrig_http_request_duration_seconds_sum %.6f\n"
		    "netrig_http_request_duration_seconds_count %llu\n",
		    (double)atomic_load(&c->latency_us) / 1e6, total);
	nr_buf_release(&q->out);
	q->out = out;
	q->status = 200;
	q->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- the dashboard's routes ---- */

/* The part of a path after `prefix`: one segment, not empty; else NULL. */
static const char *segment(const char *path, const char *prefix)
{
	const char *s = nr_starts_with(path, prefix) ? path + strlen(prefix) : NULL;

	return s && *s && !strchr(s, '/') ? s : NULL;
}

bool nr__serve_route_pages(struct nr__serve_req *q)
{
	const char *p = q->path, *name;
	size_t len = strlen(p);
	char *run;

	if (!strcmp(p, "/") || !strcmp(p, "/queue")) {
		if (nr__serve_auth_read(q) == 0) {
			if (p[1])
				nr__serve_queue_page(q);
			else
				nr__serve_index_page(q);
		}
	} else if ((name = segment(p, "/users/")) != NULL) {
		if (nr__serve_auth_read(q) == 0)
			nr__serve_user_page(q, name);
	} else if ((name = segment(p, "/jobs/")) != NULL) {
		if (!nr__serve_selector_ok(name) || !strcmp(name, "latest"))
			nr__serve_fail(q, 404, "no job '%.64s'", name);
		else if (nr__serve_auth_read(q) == 0)
			nr__serve_job_page(q, name);
	} else if (nr_starts_with(p, "/runs/") && nr_ends_with(p, "/log") && len > 10) {
		run = nr_xstrndup(p + 6, len - 10);
		if (!nr__serve_selector_ok(run))
			nr__serve_fail(q, 404, "no run '%.64s'", run);
		else if (nr__serve_auth_read(q) == 0)
			nr__serve_run_log_page(q, run);
		free(run);
	} else {
		return false;
	}
	return true;
}
