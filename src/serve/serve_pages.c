/*
 * What netrig serve shows besides the JSON API: pages (a run's HTML
 * report, a campaign's: the report module's page with its SVG charts and
 * trends), a campaign's badge (SVG, for READMEs) and /metrics (Prometheus
 * text exposition format 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The badge of a campaign's latest run: passing, failing (its status when
 * it did not pass), limit, regression (against the run before it on its
 * branch, as `netrig report --baseline branch:B` judges), running, or
 * unknown for a campaign without runs. The same verdict as the report.
 */
void nr__serve_badge(struct nr__serve_req *q, const char *campaign)
{
	struct nr_run_rec *runs = NULL;
	struct nr_report_load l = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	const char *message = "unknown", *color = "#9f9f9f";
	enum nr_verdict v;
	enum nr_run_status st;
	char *baseline = NULL;
	size_t n = 0;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	r = nr_store_runs_select(q->st, "latest", campaign, 1, &runs, &n, &d);
	if (r == 0) {
		baseline = nr_xasprintf("branch:%s", runs[0].branch ? runs[0].branch : "");
		r = nr_report_load(q->st, runs[0].id, runs[0].branch ? baseline : "latest", &l, &d);
		if (r < 0) {
			nr__serve_logf(q->srv, "badge %s: %s", campaign, nr_diag_msg(&d));
			goto out;
		}
		v = nr_report_verdict_of(&l.rep);
		st = l.rep.run->status;
		message = nr_report_verdict(&l.rep);
		if (v == NR_VERDICT_PASSED) {
			message = "passing";
			color = "#4c1";
		} else if (v == NR_VERDICT_RUN && st == NR_RUN_RUNNING) {
			color = "#007ec6";
		} else if (v == NR_VERDICT_REGRESSION) {
			color = "#fe7d37";
		} else {
			color = "#e05d44";
			if (v == NR_VERDICT_RUN && st == NR_RUN_FAILED)
				message = "failing";
		}
	} else if (r != NR_ENOTFOUND) {
		nr__serve_logf(q->srv, "badge %s: %s", campaign, nr_diag_msg(&d));
		nr__serve_fail(q, 500, "the database failed");
		goto out;
	}
	badge_svg(&out, campaign, message, color);
	nr_buf_release(&q->out);
	q->out = out;
	q->status = 200;
	q->content_type = "image/svg+xml";
	out = (struct nr_buf)NR_BUF_INIT;
out:
	nr_report_load_release(&l);
	nr_runs_free(runs, n);
	free(baseline);
	nr_buf_release(&out);
}

/* ---- GET /runs/RUN, GET /campaigns/NAME: HTML ---- */

/*
 * The HTML report of run `sel` (with a comparison against `baseline`, or
 * none): one self-contained page, every value escaped by the report
 * module. Served with a policy that lets nothing run or load: the page
 * reads without its table-sorting script.
 */
static void html_report(struct nr__serve_req *q, const char *sel, const char *baseline)
{
	struct nr_report_load l;
	struct nr_buf out = NR_BUF_INIT;
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
		nr_report_html(&l.rep, &out);
		nr_buf_release(&q->out);
		q->out = out;
		q->status = 200;
		q->content_type = "text/html; charset=utf-8";
		q->html = true;
		out = (struct nr_buf)NR_BUF_INIT;
	}
	nr_report_load_release(&l);
	nr_buf_release(&out);
}

void nr__serve_run_page(struct nr__serve_req *q, const char *sel)
{
	html_report(q, sel, NULL);
}

/* A campaign's page: its latest run's report, trends of every series with change points marked. */
void nr__serve_campaign_page(struct nr__serve_req *q, const char *campaign)
{
	struct nr_run_rec *runs = NULL;
	struct nr_diag d = { 0 };
	char *baseline = NULL;
	size_t n = 0;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_runs_select(q->st, "latest", campaign, 1, &runs, &n, &d)) < 0) {
		if (r == NR_ENOTFOUND)
			nr__serve_fail(q, 404, "no runs of campaign '%.100s'", campaign);
		else
			nr__serve_fail(q, 500, "the database failed");
		return;
	}
	if (runs[0].branch)
		baseline = nr_xasprintf("branch:%s", runs[0].branch);
	html_report(q, runs[0].id, baseline);
	free(baseline);
	nr_runs_free(runs, n);
}

/* ---- GET /metrics ---- */

void nr__serve_metrics(struct nr__serve_req *q)
{
	const struct nr__serve_counts *c = &q->srv->counts;
	struct nr_run_rec *runs = NULL;
	struct nr_buf out = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	unsigned long long total = 0;
	size_t n = 0, i, k, count;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_runs_list(q->st, 0, &runs, &n, &d)) < 0) {
		nr__serve_logf(q->srv, "metrics: %s", nr_diag_msg(&d));
		nr__serve_fail(q, 500, "the database failed");
		return;
	}
	nr_buf_adds(&out, "# HELP netrig_runs Runs in the database, by status.\n"
			  "# TYPE netrig_runs gauge\n");
	for (k = 1; k <= NR_RUN_STATUS_N; k++) { /* every status this netrig knows */
		for (count = 0, i = 0; i < n; i++)
			count += runs[i].status == (enum nr_run_status)k;
		nr_buf_addf(&out, "netrig_runs{status=\"%s\"} %zu\n",
			    nr_run_status_name((enum nr_run_status)k), count);
	}
	nr_buf_addf(&out, "# HELP netrig_uploads_total Bundles stored since the server started.\n"
		    "# TYPE netrig_uploads_total counter\nnetrig_uploads_total %llu\n",
		    (unsigned long long)atomic_load(&c->uploads));
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
	nr_runs_free(runs, n);
}
