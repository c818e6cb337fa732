/*
 * The routes of netrig serve (docs/serve.md): uploads of runs, and a JSON
 * read API whose answers are made by the same code as the commands'
 * (report's netrig.report/1, compare's verdicts, changes' change points).
 * Jobs and GitHub's webhooks are serve_jobs.c's and serve_github.c's.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "compare/compare.h"
#include "report/report.h"
#include "serve/serve_int.h"

#define API "/api/v1"
#define RUNS_LIMIT_DEFAULT 100
#define RUNS_LIMIT_MAX 1000

const char *nr__serve_body_scope(const char *method, const char *path)
{
	const char *jobs = nr__serve_jobs_body_scope(method, path);

	if (jobs)
		return jobs;
	if (!strcmp(method, "POST") && !strcmp(path, API "/runs"))
		return NR_SCOPE_PUSH;
	return NULL;
}

static void json_answer(struct nr__serve_req *q, unsigned status, json_t *doc)
{
	struct nr_buf b = NR_BUF_INIT;
	char *text = json_dumps(doc, JSON_COMPACT);

	nr_buf_adds(&b, text);
	nr_buf_addch(&b, '\n');
	free(text);
	json_decref(doc);
	nr__serve_json(q, status, &b);
}

/* A string for JSON: text from a store may hold bytes that are not UTF-8. */
static json_t *jstr(const char *s)
{
	json_t *v;
	char *esc;

	if (!s)
		return json_null();
	if ((v = json_string(s)) != NULL)
		return v;
	esc = nr_str_escaped(s);
	v = json_string(esc);
	free(esc);
	return v;
}

/* The store's error as an answer: not found 404, ambiguous 400, the store 500 (logged). */
static void store_fail(struct nr__serve_req *q, int r, const struct nr_diag *d)
{
	if (r == NR_ENOTFOUND)
		nr__serve_fail(q, 404, "%s", nr_diag_msg(d));
	else if (r == NR_EAMBIGUOUS || r == NR_EINVAL)
		nr__serve_fail(q, 400, "%s", nr_diag_msg(d));
	else {
		/* the message may name the database's location: logged, not answered */
		nr__serve_logf(q->srv, "store: %s", nr_diag_msg(d));
		nr__serve_fail(q, 500, "the database failed");
	}
}

/* What the jobs and webhook routes (serve_jobs.c, serve_github.c) answer with. */
void nr__serve_json_doc(struct nr__serve_req *q, unsigned status, json_t *doc)
{
	json_answer(q, status, doc);
}

void nr__serve_store_fail(struct nr__serve_req *q, int r, const struct nr_diag *d)
{
	store_fail(q, r, d);
}

json_t *nr__serve_jstr(const char *s)
{
	return jstr(s);
}

/* A run selector in a path or argument: an id or its prefix, or latest. */
bool nr__serve_selector_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (s && !strcmp(s, "latest"))
		return true;
	return n >= 4 && n <= NR_UUID_LEN && strspn(s, "0123456789abcdef-") == n;
}

/* ---- POST /api/v1/runs ---- */

static void runs_post(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;
	struct nr__serve_upload *u = &q->up;
	int r;

	/*
	 * read and checked by each thread on its own; only what needs the
	 * store waits for the writer (one writer in SQLite)
	 */
	r = nr_store_bundle_read(nr_slice_of(q->body.buf, q->body.len), s->cfg->json_depth, &u->b,
				 &u->d);
	if (r < 0) {
		nr__serve_upload_gone(q);
		u->r = r;
		nr__serve_runs_posted(q);
		return;
	}
	/* with the uploads that wait beside it, in one transaction (serve_upload.c) */
	u->user = q->user;
	u->coming = q->upload_coming;
	q->upload_coming = false;
	if (nr__serve_upload(q) < 0) {
		nr__serve_upload_gone(q);
		nr__serve_fail(q, 503, "the server is stopping");
	}
}

void nr__serve_runs_posted(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;
	struct nr__serve_upload *u = &q->up;
	char *base;

	q->upload_queued = false;
	nr_bundle_free(u->b);
	u->b = NULL;
	switch (u->r) {
	case 0:
		break;
	case NR_EPARSE:
		nr__serve_fail(q, 400, "%s", nr_diag_msg(&u->d));
		return;
	case NR_EINVAL:
		nr__serve_fail(q, 422, "%s", nr_diag_msg(&u->d));
		return;
	case -EPERM:
		nr__serve_fail(q, 403, "%s", nr_diag_msg(&u->d));
		return;
	case -EEXIST:
		nr__serve_fail(q, 409, "%s", nr_diag_msg(&u->d));
		return;
	default:
		store_fail(q, u->r, &u->d);
		return;
	}
	atomic_fetch_add(&s->counts.uploads, 1);
	base = nr__serve_base_url(q);
	q->location = nr_xasprintf("%s" API "/runs/%s", base, u->res.run_id);
	json_answer(q, u->res.added.runs ? 201 : 200,
		    json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "run", u->res.run_id, "url",
			      q->location, "added", "runs", (json_int_t)u->res.added.runs, "cases",
			      (json_int_t)u->res.added.cases, "attempts",
			      (json_int_t)u->res.added.attempts, "samples",
			      (json_int_t)u->res.added.samples));
	free(base);
}

/* ---- GET /api/v1/runs ---- */

static json_t *run_json(const struct nr_run_rec *r, const char *user, const char *base)
{
	json_t *labels = r->labels ? json_loads(r->labels, 0, NULL) : NULL;
	char *url = nr_xasprintf("%s" API "/runs/%s", base, r->id);
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:s}",
			      "id", r->id, "short_id", r->short_id, "campaign", jstr(r->campaign),
			      "status", jstr(nr_run_status_name(r->status)), "commit",
			      jstr(r->commit), "branch", jstr(r->branch), "labels",
			      labels ? labels : json_object(),
			      "started_us", (json_int_t)r->started_us, "finished_us",
			      (json_int_t)r->finished_us, "cases", (json_int_t)r->n_cases, "passed",
			      (json_int_t)r->n_passed, "failed", (json_int_t)r->n_failed, "user",
			      jstr(user), "url", url);

	free(url);
	return o;
}

static void runs_list(struct nr__serve_req *q)
{
	struct nr_run_filter f = {
		.campaign = nr__serve_arg(q, "campaign"),
		.branch = nr__serve_arg(q, "branch"),
		.commit = nr__serve_arg(q, "commit"),
		.label = nr__serve_arg(q, "label"),
		.user = nr__serve_arg(q, "user"),
		.limit = RUNS_LIMIT_DEFAULT,
	};
	const char *limit_s = nr__serve_arg(q, "limit");
	struct nr_run_rec *runs = NULL;
	struct nr_diag d = { 0 };
	json_t *list = json_array();
	uint64_t limit;
	size_t n = 0, i;
	char *base = NULL, *owner;
	bool exists;
	int r;

	if (limit_s) {
		if (nr_parse_u64(limit_s, RUNS_LIMIT_MAX, &limit) < 0 || !limit) {
			nr__serve_fail(q, 400, "limit wants 1 to %d", RUNS_LIMIT_MAX);
			goto out;
		}
		f.limit = (size_t)limit;
	}
	if (f.label && !strchr(f.label, '=')) {
		nr__serve_fail(q, 400, "label wants KEY=VALUE");
		goto out;
	}
	if (nr__serve_store(q) < 0)
		goto out;
	/* the store filters and limits: the answer costs its rows, not the database's */
	if ((r = nr_store_runs_find(q->st, &f, &runs, &n, &d)) < 0) {
		store_fail(q, r, &d);
		goto out;
	}
	base = nr__serve_base_url(q);
	for (i = 0; i < n; i++) {
		owner = NULL;
		if ((r = nr_store_upload_owner(q->st, runs[i].id, &exists, &owner, &d)) < 0) {
			store_fail(q, r, &d);
			goto out;
		}
		json_array_append_new(list, run_json(&runs[i], owner, base));
		free(owner);
	}
	json_answer(q, 200, json_pack("{s:o}", "runs", list));
	list = NULL;
out:
	json_decref(list);
	free(base);
	nr_runs_free(runs, n);
}

/* ---- GET /api/v1/runs/RUN: the run's report, netrig.report/1 ---- */

static void run_get(struct nr__serve_req *q, const char *sel)
{
	const char *baseline = nr__serve_arg(q, "baseline");
	struct nr_report_load l;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	if (!nr__serve_selector_ok(sel)) {
		nr__serve_fail(q, 404, "no run '%.64s': a run id, a prefix of one, or latest", sel);
		return;
	}
	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_report_load(q->st, sel, baseline, &l, &d)) < 0) {
		store_fail(q, r, &d);
	} else {
		nr_report_run(&l.rep, NR_REPORT_JSON, &out);
		nr__serve_json(q, 200, &out);
	}
	nr_report_load_release(&l);
	nr_buf_release(&out);
}

/* ---- GET /api/v1/compare?base=SEL&cand=SEL: as `netrig compare BASE CAND --format json` ---- */

static void compare(struct nr__serve_req *q)
{
	struct nr_compare_opts o = { .baseline_window = 1,
				     .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };
	struct nr_comparison c = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	o.base_sel = nr__serve_arg(q, "base");
	o.cand_sel = nr__serve_arg(q, "cand");
	if (!o.base_sel || !o.cand_sel) {
		nr__serve_fail(q, 400, "compare wants base=RUN&cand=RUN");
		return;
	}
	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_compare_runs(q->st, &o, &c, &d)) < 0) {
		/* compare's refusals (other campaigns, no samples) are the asker's to fix */
		if (r == NR_ENOTFOUND || r == NR_ESTORE)
			store_fail(q, r, &d);
		else
			nr__serve_fail(q, 400, "%s", nr_diag_msg(&d));
		return;
	}
	nr_report_comparison(&c, NR_REPORT_JSON, &out);
	nr__serve_json(q, 200, &out);
	nr_comparison_release(&c);
	nr_buf_release(&out);
}

/* ---- GET /api/v1/history?campaign=C[&test=T][&metric=M][&key=K] ---- */

static void history(struct nr__serve_req *q)
{
	const char *campaign = nr__serve_arg(q, "campaign"), *key = nr__serve_arg(q, "key");
	struct nr_history h = { 0 };
	struct nr_diag d = { 0 };
	json_t *runs, *series;
	size_t i, k;
	int r;

	if (!campaign) {
		nr__serve_fail(q, 400, "history wants campaign=NAME");
		return;
	}
	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_history_build(q->st, campaign, 0, nr__serve_arg(q, "test"),
				  nr__serve_arg(q, "metric"), &h, &d)) < 0) {
		store_fail(q, r, &d);
		nr_history_release(&h);
		return;
	}
	runs = json_array();
	for (i = 0; i < h.n_runs; i++)
		json_array_append_new(runs, json_pack("{s:s, s:o, s:o, s:I}", "id", h.runs[i].id,
						      "commit", jstr(h.runs[i].commit), "branch",
						      jstr(h.runs[i].branch), "started_us",
						      (json_int_t)h.runs[i].started_us));
	series = json_array();
	for (i = 0; i < h.n; i++) {
		const struct nr_history_series *s = &h.s[i];
		json_t *values = json_array();

		if (key && strcmp(key, s->id.key))
			continue;
		/* a run without the series: null, so values line up with runs */
		for (k = 0; k < h.n_runs; k++)
			json_array_append_new(values, isfinite(s->values[k]) ? json_real(s->values[k])
									     : json_null());
		json_array_append_new(series, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "test",
							jstr(s->id.test), "key", jstr(s->id.key),
							"role", jstr(s->id.role), "metric",
							jstr(s->id.metric), "unit", jstr(s->id.unit),
							"values", values));
	}
	json_answer(q, 200, json_pack("{s:s, s:o, s:o}", "campaign", campaign, "runs", runs,
				      "series", series));
	nr_history_release(&h);
}

/* ---- GET /api/v1/changes?campaign=C[&test=T][&metric=M]: as `netrig changes --format json` ---- */

static void changes(struct nr__serve_req *q)
{
	struct nr_changes_opts o = { .params = (struct nr_analysis_cp_params)NR_ANALYSIS_CP_PARAMS_INIT };
	struct nr_changes ch = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	o.campaign = nr__serve_arg(q, "campaign");
	o.test = nr__serve_arg(q, "test");
	o.metric = nr__serve_arg(q, "metric");
	o.params.max_pvalue = NR_CHANGES_MAX_PVALUE;
	if (!o.campaign) {
		nr__serve_fail(q, 400, "changes wants campaign=NAME");
		return;
	}
	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_changes_history(q->st, &o, &ch, &d)) < 0) {
		store_fail(q, r, &d);
		return;
	}
	nr_report_changes(&ch, NR_REPORT_JSON, &out);
	nr__serve_json(q, 200, &out);
	nr_changes_release(&ch);
	nr_buf_release(&out);
}

/* ---- routing ---- */

bool nr__serve_is_upload(const struct nr__serve_req *q)
{
	return !strcmp(q->method, "POST") && !strcmp(q->path, API "/runs");
}

void nr__serve_route(struct nr__serve_req *q)
{
	const char *p = q->path;
	bool get = !strcmp(q->method, "GET") || !strcmp(q->method, "HEAD");

	if (nr__serve_jobs_route(q))
		return;
	if (!strcmp(q->method, "POST")) {
		if (nr__serve_is_upload(q))
			runs_post(q);
		else
			nr__serve_fail(q, 404, "no such route");
		return;
	}
	if (!get) {
		nr__serve_fail(q, 405, "method not allowed");
		return;
	}
	if (!strcmp(p, API "/health")) {
		json_answer(q, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (nr_starts_with(p, "/badge/") && nr_ends_with(p, ".svg") && strlen(p) > 11 &&
	    !strchr(p + 7, '/')) {
		char *campaign = nr_xstrndup(p + 7, strlen(p) - 11);

		if (nr__serve_auth_read(q) == 0)
			nr__serve_badge(q, campaign);
		free(campaign);
		return;
	}
	if (nr__serve_route_pages(q))
		return;
	if (nr_starts_with(p, "/runs/") && !strchr(p + 6, '/')) {
		if (!nr__serve_selector_ok(p + 6))
			nr__serve_fail(q, 404, "no run '%.64s'", p + 6);
		else if (nr__serve_auth_read(q) == 0)
			nr__serve_run_page(q, p + 6);
		return;
	}
	if (nr_starts_with(p, "/campaigns/") && p[11] && !strchr(p + 11, '/')) {
		if (nr__serve_auth_read(q) == 0)
			nr__serve_campaign_page(q, p + 11);
		return;
	}
	if (!strcmp(p, "/metrics")) {
		if (nr__serve_auth_read(q) == 0)
			nr__serve_metrics(q);
		return;
	}
	if (!nr_starts_with(p, API "/")) {
		nr__serve_fail(q, 404, "no such route");
		return;
	}
	if (nr__serve_auth_read(q) < 0)
		return;
	if (!strcmp(p, API "/runs"))
		runs_list(q);
	else if (nr_starts_with(p, API "/runs/") && !strchr(p + strlen(API "/runs/"), '/'))
		run_get(q, p + strlen(API "/runs/"));
	else if (!strcmp(p, API "/compare"))
		compare(q);
	else if (!strcmp(p, API "/history"))
		history(q);
	else if (!strcmp(p, API "/changes"))
		changes(q);
	else
		nr__serve_fail(q, 404, "no such route");
}
