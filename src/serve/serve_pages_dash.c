/*
 * The dashboard's overview pages: the campaigns (GET /) and a user's
 * uploads (GET /users/NAME, the gRPC performance database's per-user
 * view). Server-rendered HTML in the report's look with its SVG charts:
 * nothing on them runs or is fetched, every value is escaped.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "compare/compare.h"
#include "report/report.h"
#include "serve/serve_int.h"

#define MAX_CAMPAIGNS 200   /* rows of the index */
#define SPARK_SERIES 4      /* key series per campaign: those with the most history */
#define SPARK_RUNS 60       /* the latest runs a sparkline draws */
#define MAX_USER_RUNS 500   /* rows of a user's uploads */
#define USER_CAMPAIGNS 6    /* campaigns charted on a user's page (their latest uploads') */
#define USER_SERIES 4       /* charts per campaign there */

/*
 * The `max` series of h with the most values in the runs `use` marks
 * (NULL: every run), ties in the history's order (test, key, role,
 * metric): a campaign's key series. Indices into h->s, in ret; returns
 * how many.
 */
static size_t key_series(const struct nr_history *h, const bool *use, size_t max, size_t *ret)
{
	size_t *have = nr_xcalloc(h->n + 1, sizeof(*have));
	size_t n = 0, i, k, best;

	for (i = 0; i < h->n; i++)
		for (k = 0; k < h->n_runs; k++)
			have[i] += (!use || use[k]) && isfinite(h->s[i].values[k]);
	for (; n < max; n++) {
		for (best = SIZE_MAX, i = 0; i < h->n; i++)
			if (have[i] && (best == SIZE_MAX || have[i] > have[best]))
				best = i;
		if (best == SIZE_MAX)
			break;
		ret[n] = best;
		have[best] = 0; /* taken */
	}
	free(have);
	return n;
}

/* "test key role metric" of a series, escaped, without repeating the test in the key. */
static void series_name(struct nr_buf *out, const struct nr_series *id)
{
	size_t tn = strlen(id->test);
	const char *key = !strncmp(id->key, id->test, tn) && id->key[tn] == '/' ? id->key + tn + 1
										  : id->key;

	nr_report_xml_escape(out, id->test);
	if (*key && strcmp(key, id->test)) {
		nr_buf_addch(out, ' ');
		nr_report_xml_escape(out, key);
	}
	nr_buf_adds(out, " &#183; ");
	nr_report_xml_escape(out, id->role);
	nr_buf_addch(out, ' ');
	nr_report_xml_escape(out, id->metric);
}

/*
 * When the campaign's latest SPARK_RUNS runs began (0: it has fewer), so
 * that a sparkline reads those runs' samples, not the campaign's whole history.
 */
static int spark_since(struct nr__serve_req *q, const char *campaign, int64_t *ret,
		       struct nr_diag *d)
{
	struct nr_run_filter f = { .campaign = campaign, .limit = SPARK_RUNS };
	struct nr_run_rec *runs = NULL;
	size_t n = 0;
	int r = nr_store_runs_find(q->st, &f, &runs, &n, d);

	*ret = r == 0 && n == SPARK_RUNS ? runs[n - 1].started_us : 0;
	nr_runs_free(runs, n);
	return r;
}

/* One campaign's row: its latest run, verdict, when, branch, runs, key series' sparklines. */
static int index_row(struct nr__serve_req *q, const struct nr_run_rec *latest, size_t n_runs,
		     struct nr_buf *out, struct nr_diag *d)
{
	struct nr_history h = { 0 };
	const char *verdict = "unknown";
	size_t keys[SPARK_SERIES], n_keys, i, from;
	int64_t since;
	char b[64];
	int r;

	if ((r = nr__serve_verdict(q, latest, &verdict, d)) < 0 ||
	    (r = spark_since(q, latest->campaign, &since, d)) < 0)
		return r;
	if ((r = nr_history_build(q->st, latest->campaign, since, NULL, NULL, &h, d)) < 0 &&
	    r != NR_ENOTFOUND)
		goto out;
	r = 0;
	nr_buf_adds(out, "<tr><td>");
	nr__serve_link(out, "/campaigns/", latest->campaign, NULL, latest->campaign);
	nr_buf_adds(out, "</td><td>");
	nr_report_html_badge(out, verdict);
	nr_buf_adds(out, "</td><td>");
	nr__serve_link(out, "/runs/", latest->id, NULL, latest->short_id);
	nr_buf_adds(out, "</td><td>");
	nr_report_html_time(out, latest->started_us);
	nr_buf_adds(out, "</td><td>");
	if (latest->branch) {
		nr_buf_adds(out, "<a href=\"/campaigns/");
		nr__serve_urlenc(out, latest->campaign);
		nr_buf_adds(out, "?branch=");
		nr__serve_urlenc(out, latest->branch);
		nr_buf_adds(out, "\">");
		nr_report_xml_escape(out, latest->branch);
		nr_buf_adds(out, "</a>");
	}
	nr_buf_addf(out, "</td><td class=\"num\">%zu</td><td>", n_runs);
	n_keys = key_series(&h, NULL, SPARK_SERIES, keys);
	from = h.n_runs > SPARK_RUNS ? h.n_runs - SPARK_RUNS : 0;
	for (i = 0; i < n_keys; i++) {
		const struct nr_history_series *s = &h.s[keys[i]];
		double last = s->values[h.n_runs - 1];

		nr_buf_adds(out, "<div>");
		nr_report_svg_sparkline(out, s->id.unit, s->values + from, h.n_runs - from);
		nr_buf_adds(out, " <small>");
		series_name(out, &s->id);
		if (isfinite(last)) {
			nr_buf_adds(out, ": ");
			nr_report_xml_escape(out, nr_fmt_value(b, sizeof(b), last, s->id.unit));
		}
		nr_buf_adds(out, "</small></div>");
	}
	if (!n_keys)
		nr_buf_adds(out, "<span class=\"note\">no finished runs with samples</span>");
	nr_buf_adds(out, "</td></tr>\n");
out:
	nr_history_release(&h);
	return r;
}

void nr__serve_index_page(struct nr__serve_req *q)
{
	struct nr_run_filter latest = { .latest_per_campaign = true };
	struct nr_run_rec *runs = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	size_t n = 0, i;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_runs_find(q->st, &latest, &runs, &n, &d)) < 0)
		goto fail;
	nr_report_html_begin(&out, "netrig: campaigns", "the latest run of each campaign", nr__serve_nav);
	nr_buf_adds(&out, "<h2 id=\"campaigns\">Campaigns</h2>\n");
	if (!n)
		nr_buf_adds(&out, "<p class=\"note\">No runs yet: push one with <code>netrig push"
				  " --server URL</code>.</p>\n");
	else
		nr_buf_addf(&out, "<p class=\"legend\">Newest first. The verdict is the badge's: the"
			    " latest run against the run before it on its branch. The sparklines are"
			    " each campaign's %d series with the most history (the latest %d runs;"
			    " hover for values).</p>\n<table class=\"wide\"><thead><tr><th>campaign</th>"
			    "<th>verdict</th><th>latest run</th><th>started</th><th>branch</th>"
			    "<th class=\"num\">runs</th><th>key series</th></tr></thead><tbody>\n",
			    SPARK_SERIES, SPARK_RUNS);
	for (i = 0; i < n && i < MAX_CAMPAIGNS; i++) /* each campaign's latest, newest first */
		if ((r = index_row(q, &runs[i], (size_t)runs[i].n_campaign_runs, &out, &d)) < 0)
			goto fail;
	if (n)
		nr_buf_adds(&out, "</tbody></table>\n");
	if (n > MAX_CAMPAIGNS)
		nr_buf_addf(&out, "<p class=\"note\">%zu more campaigns not shown.</p>\n",
			    n - MAX_CAMPAIGNS);
	nr_report_html_end(&out);
	nr__serve_page(q, &out);
	goto out;
fail:
	nr__serve_logf(q->srv, "index: %s", nr_diag_msg(&d));
	nr__serve_fail(q, 500, "the database failed");
out:
	nr_buf_release(&out);
	nr_runs_free(runs, n);
}

/* ---- GET /users/NAME ---- */

/* Whether the server knows user `name`: one with a token (revoked and expired ones count). */
static int user_known(struct nr__serve_req *q, const char *name, bool *ret, struct nr_diag *d)
{
	struct nr_token_rec *t = NULL;
	size_t n = 0, i;
	int r;

	if ((r = nr_store_tokens_list(q->st, &t, &n, d)) < 0)
		return r;
	*ret = false;
	for (i = 0; i < n; i++)
		*ret = *ret || !strcmp(t[i].user, name);
	nr_tokens_free(t, n);
	return 0;
}

/* The charts of a user's series in one campaign: only the runs they uploaded. */
static int user_charts(struct nr__serve_req *q, const char *campaign, const struct nr_strvec *ids,
		       struct nr_buf *out, struct nr_diag *d)
{
	struct nr_history h = { 0 };
	bool *use = NULL;
	double *v = NULL;
	size_t keys[USER_SERIES], n_keys, i, k, m;
	int r;

	if ((r = nr_history_build(q->st, campaign, 0, NULL, NULL, &h, d)) < 0) {
		if (r == NR_ENOTFOUND)
			r = 0;
		goto out;
	}
	use = nr_xcalloc(h.n_runs + 1, sizeof(*use));
	v = nr_xcalloc(h.n_runs + 1, sizeof(*v));
	for (k = 0; k < h.n_runs; k++)
		for (i = 0; i < ids->n && !use[k]; i++)
			use[k] = !strcmp(ids->v[i], h.runs[k].id);
	n_keys = key_series(&h, use, USER_SERIES, keys);
	for (i = 0; i < n_keys; i++) {
		const struct nr_history_series *s = &h.s[keys[i]];

		for (m = 0, k = 0; k < h.n_runs; k++)
			if (use[k])
				v[m++] = s->values[k];
		nr_buf_adds(out, "<figure><figcaption>");
		nr_report_xml_escape(out, campaign);
		nr_buf_adds(out, ": ");
		series_name(out, &s->id);
		nr_buf_addf(out, " <small>%zu of their runs, oldest first</small></figcaption>", m);
		nr_report_svg_trend(out, s->id.unit, v, m);
		nr_buf_adds(out, "</figure>\n");
	}
out:
	free(use);
	free(v);
	nr_history_release(&h);
	return r;
}

void nr__serve_user_page(struct nr__serve_req *q, const char *user)
{
	struct nr_run_filter theirs = { .user = user };
	struct nr_run_rec *runs = NULL;
	struct nr_buf out = NR_BUF_INIT, title = NR_BUF_INIT;
	struct nr_strvec mine = NR_STRVEC_INIT, campaigns = NR_STRVEC_INIT;
	struct nr_diag d = { 0 };
	size_t n = 0, i, k, shown = 0;
	bool known;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = user_known(q, user, &known, &d)) < 0 ||
	    (r = nr_store_runs_find(q->st, &theirs, &runs, &n, &d)) < 0)
		goto fail;
	if (!known) {
		nr__serve_fail(q, 404, "no user '%.64s'", user);
		goto out;
	}
	nr_buf_addf(&title, "netrig: %s", user);
	nr_report_html_begin(&out, title.buf, "uploads and their series", nr__serve_nav);
	nr_buf_adds(&out, "<h2 id=\"uploads\">Uploads</h2>\n<table class=\"wide\"><thead><tr>"
			  "<th>run</th><th>campaign</th><th>status</th><th>started</th><th>branch</th>"
			  "<th>commit</th><th class=\"num\">cases</th><th class=\"num\">failed</th>"
			  "<th>log</th></tr></thead><tbody>\n");
	for (i = 0; i < n; i++) {
		const struct nr_run_rec *run = &runs[i];

		nr_strvec_push(&mine, run->id);
		for (k = 0; k < campaigns.n && strcmp(campaigns.v[k], run->campaign); k++)
			;
		if (k == campaigns.n && campaigns.n < USER_CAMPAIGNS)
			nr_strvec_push(&campaigns, run->campaign);
		if (++shown > MAX_USER_RUNS)
			continue;
		nr_buf_adds(&out, "<tr><td>");
		nr__serve_link(&out, "/runs/", run->id, NULL, run->short_id);
		nr_buf_adds(&out, "</td><td>");
		nr__serve_link(&out, "/campaigns/", run->campaign, NULL, run->campaign);
		nr_buf_adds(&out, "</td><td>");
		nr_report_html_badge(&out, nr_run_status_name(run->status));
		nr_buf_adds(&out, "</td><td>");
		nr_report_html_time(&out, run->started_us);
		nr_buf_adds(&out, "</td><td>");
		nr_report_xml_escape(&out, run->branch ? run->branch : "");
		nr_buf_adds(&out, "</td><td><code>");
		nr_report_xml_escape(&out, run->commit ? run->commit : "");
		nr_buf_addf(&out, "</code></td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td>",
			    (long long)run->n_cases, (long long)run->n_failed);
		nr__serve_link(&out, "/runs/", run->id, "/log", "log");
		nr_buf_adds(&out, "</td></tr>\n");
	}
	nr_buf_adds(&out, "</tbody></table>\n");
	if (!shown)
		nr_buf_adds(&out, "<p class=\"note\">No uploads yet.</p>\n");
	else if (shown > MAX_USER_RUNS)
		nr_buf_addf(&out, "<p class=\"note\">The latest %d of %zu uploads.</p>\n",
			    MAX_USER_RUNS, shown);
	if (campaigns.n) {
		nr_buf_addf(&out, "<h2 id=\"series\">Their series</h2>\n<p class=\"legend\">The"
			    " campaigns of their latest uploads (up to %d), in each the %d series with"
			    " the most values in their runs; only their runs are drawn.</p>\n"
			    "<div class=\"charts\">\n", USER_CAMPAIGNS, USER_SERIES);
		for (i = 0; i < campaigns.n; i++)
			if ((r = user_charts(q, campaigns.v[i], &mine, &out, &d)) < 0)
				goto fail;
		nr_buf_adds(&out, "</div>\n");
	}
	nr_report_html_end(&out);
	nr__serve_page(q, &out);
	goto out;
fail:
	nr__serve_logf(q->srv, "user page: %s", nr_diag_msg(&d));
	nr__serve_fail(q, 500, "the database failed");
out:
	nr_strvec_clear(&mine);
	nr_strvec_clear(&campaigns);
	nr_buf_release(&title);
	nr_buf_release(&out);
	nr_runs_free(runs, n);
}
