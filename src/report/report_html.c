/*
 * The HTML report: one self-contained page (inline CSS and SVG, nothing
 * fetched), readable without its few lines of script (table sorting).
 * Every string from the store is escaped; every list is capped so a big
 * run still gives a page a browser opens quickly, and the page says what
 * it left out.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/num.h"
#include "report/report.h"
#include "report/report_int.h"

#define MAX_CHARTS 60        /* matrix charts (test x role x metric) */
#define MAX_BARS 40          /* cases per matrix chart */
#define MAX_DOTS 50          /* repeats drawn as dots per case */
#define MAX_TRENDS 24        /* trend charts */
#define MAX_TREND_RUNS 200   /* runs per trend chart (the latest ones) */
#define MAX_MARKS 2000       /* change points considered for the trends */
#define MAX_CMP_ROWS 300     /* changed series listed */
#define MAX_STABLE_ROWS 300  /* stable series listed (collapsed) */
#define MAX_STATUS_ROWS 5000 /* cases in the status sheet */
#define MAX_ERROR_CHARS 400  /* of a case's error in the status sheet */

static const char css[] =
	":root{--fg:#1c2431;--muted:#5d6779;--line:#dde2ea;--panel:#f5f7fa;--accent:#2f6db5;"
	"--pass:#1d7a3e;--fail:#b3261e;--warn:#a86400;--info:#6b4fa8}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\","
	"\"Liberation Sans\",sans-serif;color:var(--fg);background:#fff}\n"
	"header{background:#1f2b3b;color:#fff;padding:18px 32px 14px}\n"
	"header h1{margin:0 0 4px;font-size:22px;font-weight:650}\n"
	"header .sub{color:#c3cddb;font-size:13px}\n"
	"nav{background:#2a3950;padding:6px 32px;font-size:13px}\n"
	"nav a{color:#dfe7f3;text-decoration:none;margin-right:18px}\n"
	"main{max-width:1240px;margin:0 auto;padding:4px 32px 48px}\n"
	"h2{font-size:18px;margin:30px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}\n"
	"h3{font-size:15px;margin:22px 0 8px}\n"
	"table{border-collapse:collapse;font-size:13px;margin:6px 0 10px}\n"
	"th,td{padding:4px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\n"
	"th{background:var(--panel);font-weight:600;white-space:nowrap}\n"
	".js table.sortable th{cursor:pointer}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"tr:hover td{background:#fafbfd}\n"
	".wide{width:100%}\n"
	".badge{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;font-weight:600;"
	"color:#fff;background:#8a94a6;white-space:nowrap}\n"
	".b-passed,.b-improvement,.b-finished,.b-passing,.b-done{background:var(--pass)}\n"
	".b-failed,.b-regression,.b-critical,.b-error,.b-limit,.b-failing{background:var(--fail)}\n"
	".b-noisy,.b-warning,.b-stopped,.b-interrupted{background:var(--warn)}\n"
	".b-running{background:var(--accent)}.b-changed{background:var(--info)}\n"
	".b-stable,.b-pending,.b-skipped,.b-none,.b-queued,.b-cancelled,.b-unknown{background:#8a94a6}\n"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}\n"
	".card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px 14px;"
	"min-width:104px}\n"
	".card b{display:block;font-size:22px;line-height:1.2}.card span{color:var(--muted);font-size:12px}\n"
	".card.bad b{color:var(--fail)}.card.good b{color:var(--pass)}\n"
	"dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:8px 0}\n"
	"dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}\n"
	"dl.run{grid-template-columns:max-content minmax(0,26em) max-content minmax(0,1fr);column-gap:22px}\n"
	"@media (max-width:800px){dl.run{grid-template-columns:max-content 1fr}}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:14px}\n"
	"figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px 10px 4px;"
	"background:#fff}\n"
	"figcaption{font-weight:600;font-size:13px;margin-bottom:4px}\n"
	"figcaption small{font-weight:400;color:var(--muted)}\n"
	"svg.chart{width:100%;height:auto;display:block}\n"
	"svg text{font-family:inherit}\n"
	".tick{font-size:11px;fill:#5d6779}.lbl{font-size:12px;fill:#1c2431}\n"
	".val{font-size:12px;fill:#1c2431;font-weight:600}\n"
	".grid{stroke:#e6e9ef;stroke-width:1}.axis{stroke:#8a94a6;stroke-width:1}\n"
	".band{fill:#f7f8fb}.bar{fill:#6b9bd1}.bar-bad{fill:#d9746c}.bar-good{fill:#5fae7a}\n"
	".whisker{stroke:#1c2431;stroke-width:1.3;fill:none}\n"
	".dot{fill:#1c2431;fill-opacity:.55}\n"
	".line{stroke:var(--accent);stroke-width:2;fill:none}\n"
	".pt{fill:var(--accent)}.pt-cur{fill:#f29d0b;stroke:#1c2431;stroke-width:1.5}\n"
	".current{fill:#f29d0b;fill-opacity:.16}\n"
	".cp{stroke-width:1.5;stroke-dasharray:4 3}\n"
	".cp-bad .cp{stroke:var(--fail)}.cp-good .cp{stroke:var(--pass)}\n"
	".cplbl{font-size:10px;font-weight:600}.cp-bad .cplbl{fill:var(--fail)}.cp-good .cplbl{fill:var(--pass)}\n"
	".legend{color:var(--muted);font-size:12px;margin:2px 0 8px}\n"
	".note{color:var(--muted);font-size:13px}\n"
	".err{color:var(--fail);font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:12px;"
	"white-space:pre-wrap;overflow-wrap:anywhere;max-width:520px}\n"
	"code{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:12px}\n"
	".host{border:1px solid var(--line);border-radius:6px;padding:6px 16px 10px;margin:10px 0}\n"
	"details summary{cursor:pointer;color:var(--accent);margin:6px 0}\n"
	"footer{color:var(--muted);font-size:12px;margin-top:40px}\n"
	"svg.spark{width:120px;height:28px;display:inline-block;vertical-align:middle}\n"
	".spark .line{stroke-width:1.5}.spark .pt-cur{stroke-width:1}\n"
	".pick a{margin-right:12px}.pick b{margin-right:12px}\n"
	"pre.tail{background:var(--panel);border:1px solid var(--line);padding:6px 10px;font-size:12px;"
	"white-space:pre-wrap;overflow-wrap:anywhere;max-height:26em;overflow:auto}\n";

/*
 * Click a header to sort its table; numbers sort by data-v. Only a
 * nicety: the tables are complete and ordered without it.
 */
static const char script[] =
	"document.documentElement.className='js';\n"
	"document.querySelectorAll('table.sortable th').forEach(function(th){\n"
	" th.addEventListener('click',function(){\n"
	"  var tb=th.closest('table').tBodies[0],i=th.cellIndex,asc=th.dataset.asc!=='1';\n"
	"  th.dataset.asc=asc?'1':'0';\n"
	"  var rows=Array.prototype.slice.call(tb.rows);\n"
	"  function k(r){var c=r.cells[i];if(!c)return '';var v=c.dataset.v;"
	"return v!==undefined?parseFloat(v):c.textContent;}\n"
	"  rows.sort(function(a,b){var x=k(a),y=k(b);var r=(typeof x==='number'&&typeof y==='number')"
	"?x-y:String(x).localeCompare(String(y));return asc?r:-r;});\n"
	"  rows.forEach(function(r){tb.appendChild(r);});\n"
	" });\n"
	"});\n";

static void esc(struct nr_buf *out, const char *s)
{
	nr_report_xml_escape(out, s ? s : "");
}

static void add_time(struct nr_buf *out, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char b[40];

	if (us <= 0 || !gmtime_r(&t, &tm)) {
		nr_buf_adds(out, "&#8211;");
		return;
	}
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm);
	nr_buf_adds(out, b);
}

/* The first `max` bytes of an id or commit (ASCII in practice), escaped. */
static void add_short(struct nr_buf *out, const char *s, size_t max)
{
	struct nr_buf t = NR_BUF_INIT;

	nr_buf_add(&t, s, strnlen(s, max));
	esc(out, t.buf);
	nr_buf_release(&t);
}

static void add_duration(struct nr_buf *out, int64_t a_us, int64_t b_us)
{
	char b[40];

	if (a_us <= 0 || b_us < a_us) {
		nr_buf_adds(out, "&#8211;");
		return;
	}
	esc(out, nr_fmt_duration(b, sizeof(b), b_us - a_us));
}

static void add_value(struct nr_buf *out, double v, const char *unit)
{
	char b[64];

	if (!isfinite(v)) {
		nr_buf_adds(out, "&#8211;");
		return;
	}
	esc(out, nr_fmt_value(b, sizeof(b), v, unit));
}

/* A status or outcome as a colored badge; the class is only ever [a-z]. */
static void add_badge(struct nr_buf *out, const char *word)
{
	const char *p;

	nr_buf_adds(out, "<span class=\"badge");
	if (word && *word) {
		for (p = word; *p && *p >= 'a' && *p <= 'z'; p++)
			;
		if (!*p)
			nr_buf_addf(out, " b-%s", word);
	}
	nr_buf_adds(out, "\">");
	esc(out, word && *word ? word : "?");
	nr_buf_adds(out, "</span>");
}

/* The case's parameters: its key without the leading "test/". */
static const char *case_label(const char *test, const char *key)
{
	size_t n = test ? strlen(test) : 0;

	if (!key)
		return "";
	if (n && !strncmp(key, test, n) && key[n] == '/')
		return key + n + 1;
	return key;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* ---- summary ---- */

static void add_card(struct nr_buf *out, const char *cls, long long v, const char *what)
{
	nr_buf_addf(out, "<div class=\"card%s%s\"><b>%lld</b><span>%s</span></div>\n", cls ? " " : "",
		    cls ? cls : "", v, what);
}

static void cmp_row(struct nr_buf *out, const struct nr_series_cmp *s)
{
	const struct nr_analysis_compare_result *x = &s->r;

	nr_buf_adds(out, "<tr><td>");
	if (s->presence == NR_ONLY_BASE)
		add_badge(out, "missing");
	else if (s->presence == NR_ONLY_CAND)
		add_badge(out, "new");
	else
		add_badge(out, nr_analysis_outcome_name(x->outcome));
	nr_buf_adds(out, "</td><td>");
	if (s->presence == NR_IN_BOTH && x->severity != NR_SEVERITY_NONE)
		add_badge(out, nr_analysis_severity_name(x->severity));
	nr_buf_adds(out, "</td><td>");
	esc(out, s->id.test);
	nr_buf_adds(out, "</td><td>");
	esc(out, case_label(s->id.test, s->id.key));
	nr_buf_adds(out, "</td><td>");
	esc(out, s->id.metric);
	if (s->id.role && *s->id.role) {
		nr_buf_adds(out, " <span class=\"note\">(");
		esc(out, s->id.role);
		nr_buf_adds(out, ")</span>");
	}
	nr_buf_adds(out, "</td>");
	if (s->presence != NR_IN_BOTH) {
		nr_buf_adds(out, "<td class=\"num\"></td><td class=\"num\"></td><td class=\"num\"></td>"
				 "<td class=\"num\"></td><td class=\"num\"></td><td>");
		nr_buf_adds(out, s->presence == NR_ONLY_BASE ? "only in the baseline" : "only in this run");
		nr_buf_adds(out, "</td></tr>\n");
		return;
	}
	nr_buf_addf(out, "<td class=\"num\" data-v=\"%.17g\">", isfinite(x->median_base) ? x->median_base : 0);
	add_value(out, x->median_base, s->id.unit);
	nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%.17g\">", isfinite(x->median_cand) ? x->median_cand : 0);
	add_value(out, x->median_cand, s->id.unit);
	nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%.17g\">", isfinite(x->change) ? x->change : 0);
	if (isfinite(x->change))
		nr_buf_addf(out, "%+.1f %%", 100 * x->change);
	else
		nr_buf_adds(out, isinf(x->change) ? "&#8734;" : "&#8211;");
	if (isfinite(x->ci_low) && isfinite(x->ci_high))
		nr_buf_addf(out, " <span class=\"note\">[%+.1f, %+.1f]</span>", 100 * x->ci_low,
			    100 * x->ci_high);
	nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%.17g\">",
		    isfinite(x->p_adjusted) ? x->p_adjusted : 1);
	if (isfinite(x->p_value))
		nr_buf_addf(out, "%.2g <span class=\"note\">(%.2g)</span>", x->p_adjusted, x->p_value);
	else
		nr_buf_addf(out, "<span class=\"note\">n=%zu/%zu</span>", x->n_base, x->n_cand);
	nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%.17g\">",
		    isfinite(x->detectable) ? x->detectable : 0);
	if (isfinite(x->detectable)) {
		nr_buf_addf(out, "%.1f %%", 100 * x->detectable);
		if (x->repeats_needed > NR_ANALYSIS_REPEATS_CAP)
			nr_buf_addf(out, " <span class=\"note\">(&gt;%d for %.0f %%)</span>",
				    NR_ANALYSIS_REPEATS_CAP, 100 * s->threshold);
		else if (x->repeats_needed)
			nr_buf_addf(out, " <span class=\"note\">(%zu for %.0f %%)</span>", x->repeats_needed,
				    100 * s->threshold);
	}
	nr_buf_adds(out, "</td><td>");
	if (x->below_threshold)
		nr_buf_adds(out, "a real change, below the threshold. ");
	if (isfinite(x->noise))
		nr_buf_addf(out, "noise %.1f %%. ", 100 * x->noise);
	if (s->context)
		esc(out, s->context);
	nr_buf_adds(out, "</td></tr>\n");
}

static const char cmp_head[] =
	"<thead><tr><th>outcome</th><th>severity</th><th>test</th><th>case</th><th>metric</th>"
	"<th class=\"num\">baseline</th><th class=\"num\">this run</th><th class=\"num\">change [CI]</th>"
	"<th class=\"num\">p adjusted (raw)</th><th class=\"num\">detects (repeats for threshold)</th>"
	"<th>note</th></tr></thead>\n<tbody>\n";

static void add_comparison(struct nr_buf *out, const struct nr_comparison *c)
{
	size_t i, shown = 0, stable = 0, stable_shown = 0;

	if (c->paired) {
		nr_buf_adds(out, "<h3>Variants, pair by pair</h3>\n<p>Variant <code>");
		esc(out, c->cand_variant);
		nr_buf_adds(out, "</code> against variant <code>");
		esc(out, c->base_variant);
		nr_buf_adds(out, "</code>, each repeat of one paired with the same repeat of the "
				 "other in this run (ABBA); the baseline column is the first variant.");
		i = c->n_base; /* no baseline runs to list */
	} else {
		nr_buf_adds(out, "<h3>Against the baseline</h3>\n<p>Baseline: ");
		i = 0;
	}
	for (; i < c->n_base && i < 5; i++) {
		const struct nr_run_rec *b = &c->base[i];

		nr_buf_adds(out, i ? ", <code>" : "<code>");
		esc(out, b->id);
		nr_buf_adds(out, "</code>");
		if (b->commit) {
			nr_buf_adds(out, " (commit <code>");
			esc(out, b->commit);
			nr_buf_adds(out, "</code>)");
		}
	}
	if (c->n_base > 5 && !c->paired)
		nr_buf_addf(out, " and %zu more runs, pooled", c->n_base - 5);
	nr_buf_adds(out, "</p>\n<div class=\"cards\">\n");
	add_card(out, c->counts[NR_OUTCOME_REGRESSION] ? "bad" : NULL,
		 (long long)c->counts[NR_OUTCOME_REGRESSION], "regressions");
	add_card(out, c->counts[NR_OUTCOME_IMPROVEMENT] ? "good" : NULL,
		 (long long)c->counts[NR_OUTCOME_IMPROVEMENT], "improvements");
	add_card(out, NULL, (long long)c->counts[NR_OUTCOME_NOISY], "noisy");
	add_card(out, NULL, (long long)c->counts[NR_OUTCOME_CHANGED], "changed (informational)");
	add_card(out, NULL, (long long)c->counts[NR_OUTCOME_STABLE], "stable");
	if (c->only_base || c->only_cand) {
		add_card(out, NULL, (long long)c->only_base, "only in the baseline");
		add_card(out, NULL, (long long)c->only_cand, "only in this run");
	}
	nr_buf_adds(out, "</div>\n");
	nr_buf_addf(out, "<p class=\"note\">At most %g %% chance of any false regression in this "
			 "comparison (Holm-adjusted p); change with its %g %% interval; detects: the "
			 "change found %g %% of the time with these repeats.</p>\n",
		    100 * c->alpha, 100 * c->ci_level, 100 * c->power);
	if (c->few_repeats)
		nr_buf_adds(out, "<p class=\"note\">Some series had fewer than 3 repeats a side: they are "
				 "judged by the threshold alone, without a p-value.</p>\n");
	/* the comparison lists regressions first; keep its order */
	for (i = 0; i < c->n; i++) {
		const struct nr_series_cmp *s = &c->v[i];

		if (s->presence == NR_IN_BOTH && s->r.outcome == NR_OUTCOME_STABLE) {
			stable++;
			continue;
		}
		if (shown == MAX_CMP_ROWS)
			continue;
		if (!shown)
			nr_buf_addf(out, "<table class=\"sortable wide\">%s", cmp_head);
		cmp_row(out, s);
		shown++;
	}
	if (shown)
		nr_buf_adds(out, "</tbody></table>\n");
	else
		nr_buf_adds(out, "<p>No series changed beyond the threshold.</p>\n");
	if (c->n - stable > shown)
		nr_buf_addf(out, "<p class=\"note\">%zu more changed series are not listed here "
				 "(see <code>netrig compare</code>).</p>\n", c->n - stable - shown);
	if (!stable)
		return;
	nr_buf_addf(out, "<details><summary>%zu stable series</summary>\n<table class=\"sortable wide\">%s",
		    stable, cmp_head);
	for (i = 0; i < c->n && stable_shown < MAX_STABLE_ROWS; i++) {
		const struct nr_series_cmp *s = &c->v[i];

		if (s->presence == NR_IN_BOTH && s->r.outcome == NR_OUTCOME_STABLE) {
			cmp_row(out, s);
			stable_shown++;
		}
	}
	nr_buf_adds(out, "</tbody></table>\n");
	if (stable > stable_shown)
		nr_buf_addf(out, "<p class=\"note\">%zu more stable series are not listed.</p>\n",
			    stable - stable_shown);
	nr_buf_adds(out, "</details>\n");
}

static void add_summary(struct nr_buf *out, const struct nr_report_run *r)
{
	const struct nr_run_rec *run = r->run;
	long long passed = 0, failed = 0, other = 0;
	size_t i;

	/* count from the sheet itself: the run record's counts are filled
	 * by some queries only */
	for (i = 0; i < r->n_cases; i++) {
		if (r->cases[i].status == NR_CASE_PASSED)
			passed++;
		else if (r->cases[i].status == NR_CASE_FAILED)
			failed++;
		else
			other++;
	}
	nr_buf_adds(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"kv run\">\n<dt>campaign</dt><dd>");
	esc(out, run->campaign);
	nr_buf_adds(out, "</dd>\n<dt>run</dt><dd><code>");
	esc(out, run->id);
	nr_buf_adds(out, "</code></dd>\n<dt>status</dt><dd>");
	add_badge(out, nr_run_status_name(run->status));
	if (run->reason) {
		nr_buf_adds(out, " ");
		esc(out, run->reason);
	}
	/* row by row in two columns: campaign, run / status, duration / commit, branch / times */
	nr_buf_adds(out, "</dd>\n<dt>verdict</dt><dd>");
	add_badge(out, nr_report_verdict(r));
	nr_buf_adds(out, "</dd>\n<dt>duration</dt><dd>");
	add_duration(out, run->started_us, run->finished_us);
	nr_buf_adds(out, "</dd>\n<dt>commit</dt><dd>");
	if (run->commit) {
		nr_buf_adds(out, "<code>");
		esc(out, run->commit);
		nr_buf_adds(out, "</code>");
	} else {
		nr_buf_adds(out, "unknown");
	}
	nr_buf_adds(out, "</dd>\n<dt>branch</dt><dd>");
	esc(out, run->branch ? run->branch : "unknown");
	nr_buf_adds(out, "</dd>\n<dt>started</dt><dd>");
	add_time(out, run->started_us);
	nr_buf_adds(out, "</dd>\n<dt>finished</dt><dd>");
	add_time(out, run->finished_us);
	nr_buf_adds(out, "</dd>\n");
	if (run->controller) {
		nr_buf_adds(out, "<dt>controller</dt><dd>");
		esc(out, run->controller);
		nr_buf_adds(out, "</dd>\n");
	}
	if (run->labels && strcmp(run->labels, "{}")) {
		nr_buf_adds(out, "<dt>labels</dt><dd><code>");
		esc(out, run->labels);
		nr_buf_adds(out, "</code></dd>\n");
	}
	nr_buf_adds(out, "</dl>\n<div class=\"cards\">\n");
	add_card(out, NULL, (long long)r->n_cases, "cases");
	add_card(out, passed ? "good" : NULL, passed, "passed");
	add_card(out, failed ? "bad" : NULL, failed, "failed");
	if (other)
		add_card(out, NULL, other, "not finished");
	add_card(out, NULL, (long long)r->n_samples, "samples");
	if (r->limits && r->limits->n)
		add_card(out, r->limits->breached ? "bad" : "good",
			 (long long)(r->limits->breached ? r->limits->breached
							 : r->limits->n),
			 r->limits->breached ? "limits breached" : "limits kept");
	nr_buf_adds(out, "</div>\n");
	if (r->limits)
		nr__report_limits_html(r->limits, out);
	if (r->cmp) {
		add_comparison(out, r->cmp);
	} else if (r->cmp_missing) {
		nr_buf_adds(out, "<p class=\"note\">No comparison: ");
		esc(out, r->cmp_missing);
		nr_buf_adds(out, ".</p>\n");
	}
	if (r->paired)
		add_comparison(out, r->paired);
	nr_buf_adds(out, "</section>\n");
}

/* ---- matrix charts ---- */

struct group {
	const char *test, *role, *metric, *unit;
};

static bool in_group(const struct group *g, const struct nr_result_row *x)
{
	return same(g->test, x->id.test) && same(g->role, x->id.role) &&
	       same(g->metric, x->id.metric);
}

/*
 * The comparison's verdict on one case of a chart, if it changed: the
 * comparison lists regressions, then improvements, first, so the scan
 * stops at the first series that is neither.
 */
static const char *verdict(const struct nr_comparison *c, const struct group *g, const char *key)
{
	size_t i;

	for (i = 0; c && i < c->n && i < MAX_CMP_ROWS; i++) {
		const struct nr_series_cmp *s = &c->v[i];

		if (s->presence != NR_IN_BOTH)
			continue;
		if (s->r.outcome != NR_OUTCOME_REGRESSION && s->r.outcome != NR_OUTCOME_IMPROVEMENT)
			break;
		if (same(s->id.key, key) && same(s->id.role, g->role) &&
		    same(s->id.metric, g->metric))
			return s->r.outcome == NR_OUTCOME_REGRESSION ? "regression" : "improvement";
	}
	return NULL;
}

static void add_chart(struct nr_buf *out, const struct nr_report_run *r, const struct group *g)
{
	struct nr__report_bar bars[MAX_BARS];
	double *dots[MAX_BARS] = { NULL };
	size_t cap[MAX_BARS] = { 0 };
	size_t n = 0, total = 0, max_repeats = 0, marked = 0, i, k;

	for (i = 0; i < r->n_results; i++) {
		const struct nr_result_row *x = &r->results[i];

		if (!in_group(g, x))
			continue;
		total++;
		if (n == MAX_BARS)
			continue;
		bars[n] = (struct nr__report_bar){ .label = case_label(x->id.test, x->id.key),
						    .title = x->id.key, .median = x->median,
						    .lo = x->min, .hi = x->max, .n = x->n,
						    .verdict = verdict(r->cmp, g, x->id.key) };
		if (bars[n].verdict)
			marked++;
		if (x->n > max_repeats)
			max_repeats = x->n;
		n++;
	}
	/* each repeat as a dot, found by its case key among the bars */
	for (i = 0; i < r->n_samples; i++) {
		const struct nr_sample_row *s = &r->samples[i];

		if (s->interval >= 0 || !same(s->id.test, g->test) || !same(s->id.role, g->role) ||
		    !same(s->id.metric, g->metric))
			continue;
		for (k = 0; k < n && !same(bars[k].title, s->id.key); k++)
			;
		if (k == n || bars[k].n_dots == MAX_DOTS)
			continue;
		NR_GROW(dots[k], bars[k].n_dots + 1, cap[k]);
		dots[k][bars[k].n_dots++] = s->value;
		bars[k].dots = dots[k];
	}
	nr_buf_adds(out, "<figure>\n<figcaption>");
	esc(out, g->metric);
	if (g->unit && *g->unit) {
		nr_buf_adds(out, " <small>(");
		esc(out, g->unit);
		nr_buf_adds(out, ")</small>");
	}
	if (g->role && *g->role) {
		nr_buf_adds(out, " <small>role ");
		esc(out, g->role);
		nr_buf_adds(out, "</small>");
	}
	nr_buf_adds(out, "</figcaption>\n");
	nr__report_svg_bars(out, g->unit, bars, n);
	nr_buf_addf(out, "<p class=\"legend\">Bar: median of the repeats; whisker: min to max; "
			 "dots: each repeat (up to %zu per case).", max_repeats);
	if (max_repeats > MAX_DOTS)
		nr_buf_addf(out, " Only the first %d repeats of a case are drawn as dots.", MAX_DOTS);
	if (marked)
		nr_buf_adds(out, " Red bars regressed against the baseline, green ones improved.");
	if (total > n)
		nr_buf_addf(out, " Showing the first %zu of %zu cases.", n, total);
	nr_buf_adds(out, "</p>\n</figure>\n");
	for (k = 0; k < n; k++)
		free(dots[k]);
}

static void add_charts(struct nr_buf *out, const struct nr_report_run *r)
{
	struct group groups[MAX_CHARTS];
	size_t n = 0, left_rows = 0, i, k;

	nr_buf_adds(out, "<section id=\"charts\">\n<h2>Results by test</h2>\n");
	for (i = 0; i < r->n_results; i++) {
		const struct nr_result_row *x = &r->results[i];

		for (k = 0; k < n; k++)
			if (in_group(&groups[k], x))
				break;
		if (k < n)
			continue;
		if (n == MAX_CHARTS) {
			left_rows++;
			continue;
		}
		groups[n++] = (struct group){ x->id.test, x->id.role, x->id.metric, x->id.unit };
	}
	if (!n)
		nr_buf_adds(out, "<p>No results: no case produced a summary sample.</p>\n");
	for (k = 0; k < n; k++) {
		if (!k || !same(groups[k].test, groups[k - 1].test)) {
			if (k)
				nr_buf_adds(out, "</div>\n");
			nr_buf_adds(out, "<h3>");
			esc(out, groups[k].test);
			nr_buf_adds(out, "</h3>\n<div class=\"charts\">\n");
		}
		add_chart(out, r, &groups[k]);
	}
	if (n)
		nr_buf_adds(out, "</div>\n");
	if (left_rows)
		nr_buf_addf(out, "<p class=\"note\">Only the first %d charts are drawn; %zu result rows of "
				 "further metrics are left out (see <code>netrig results</code>).</p>\n",
			    MAX_CHARTS, left_rows);
	nr_buf_adds(out, "</section>\n");
}

/* ---- trends ---- */

static bool change_of(const struct nr_change *c, const struct nr_history_series *s)
{
	return same(c->id.test, s->id.test) && same(c->id.key, s->id.key) &&
	       same(c->id.role, s->id.role) && same(c->id.metric, s->id.metric);
}

static size_t run_index(const struct nr_history *h, const char *id)
{
	size_t i;

	for (i = 0; i < h->n_runs; i++)
		if (!strcmp(h->runs[i].id, id))
			return i;
	return SIZE_MAX;
}

static void add_trend(struct nr_buf *out, const struct nr_report_run *r, const struct nr_history_series *s,
		      size_t current)
{
	const struct nr_history *h = r->history;
	const struct nr_changes *ch = r->changes;
	struct nr__report_mark marks[32];
	char labels[32][16];
	size_t first = h->n_runs > MAX_TREND_RUNS ? h->n_runs - MAX_TREND_RUNS : 0, n_marks = 0, i;

	/* keep the current run in view when the history goes on past it */
	if (current != SIZE_MAX && current < first)
		first = current;
	for (i = 0; ch && i < ch->n && i < MAX_MARKS && n_marks < 32; i++) {
		const struct nr_change *c = &ch->v[i];
		size_t at;

		if (!change_of(c, s))
			continue;
		at = run_index(h, c->run_id);
		if (at == SIZE_MAX || at < first || at - first >= MAX_TREND_RUNS)
			continue;
		if (c->commit && *c->commit)
			snprintf(labels[n_marks], sizeof(labels[n_marks]), "%.7s", c->commit);
		else
			snprintf(labels[n_marks], sizeof(labels[n_marks]), "run %s", c->short_id);
		marks[n_marks] = (struct nr__report_mark){ .index = at - first, .label = labels[n_marks],
							   .bad = c->regression };
		n_marks++;
	}
	nr_buf_adds(out, "<figure>\n<figcaption>");
	esc(out, s->id.key);
	nr_buf_adds(out, " <small>");
	esc(out, s->id.metric);
	if (s->id.unit && *s->id.unit) {
		nr_buf_adds(out, " (");
		esc(out, s->id.unit);
		nr_buf_adds(out, ")");
	}
	if (s->id.role && *s->id.role) {
		nr_buf_adds(out, ", role ");
		esc(out, s->id.role);
	}
	nr_buf_adds(out, "</small></figcaption>\n");
	{
		size_t n = h->n_runs - first < MAX_TREND_RUNS ? h->n_runs - first : MAX_TREND_RUNS;

		nr__report_svg_trend(out, s->id.unit, s->values + first, n, first + 1,
				     current != SIZE_MAX && current >= first ? current - first : SIZE_MAX,
				     marks, n_marks);
		nr_buf_addf(out, "<p class=\"legend\">Median per run (x: runs %zu to %zu of %zu, oldest "
				 "first); %s", first + 1, first + n, h->n_runs,
			    current != SIZE_MAX ? "highlighted: this run"
						: "this run is not drawn (the history holds finished runs only)");
	}
	if (n_marks) {
		size_t listed = 0;

		nr_buf_adds(out, "; dashed: change points (red: the bad way, green: the good way) at ");
		for (i = 0; i < ch->n && i < MAX_MARKS; i++) {
			const struct nr_change *c = &ch->v[i];

			if (!change_of(c, s))
				continue;
			nr_buf_adds(out, listed++ ? ", " : "");
			nr_buf_adds(out, c->commit ? "commit <code>" : "run <code>");
			add_short(out, c->commit ? c->commit : c->short_id, c->commit ? 12 : NR_UUID_LEN);
			nr_buf_addf(out, "</code> (%+.1f %%, ", 100 * c->cp.rel_change);
			if (c->cp.p_value < 1e-4)
				nr_buf_adds(out, "p &lt; 0.0001)");
			else
				nr_buf_addf(out, "p %.2g)", c->cp.p_value);
		}
	}
	nr_buf_adds(out, ".</p>\n</figure>\n");
}

static void add_trends(struct nr_buf *out, const struct nr_report_run *r)
{
	const struct nr_history *h = r->history;
	const struct nr_changes *ch = r->changes;
	bool *chosen = NULL;
	size_t *order = NULL, n = 0, eligible = 0, current, i, k;

	nr_buf_adds(out, "<section id=\"trends\">\n<h2>Trends over runs</h2>\n");
	if (!h || h->n_runs < 2 || !h->n) {
		nr_buf_addf(out, "<p>No history to draw: the campaign has %zu finished run%s with "
				 "results.</p>\n</section>\n", h ? h->n_runs : 0,
			    h && h->n_runs == 1 ? "" : "s");
		return;
	}
	current = run_index(h, r->run->id);
	chosen = nr_xcalloc(h->n, sizeof(*chosen));
	order = nr_xcalloc(MAX_TRENDS, sizeof(*order));
	/* series with change points first, in the order the changes come */
	for (i = 0; ch && i < ch->n && i < MAX_MARKS && n < MAX_TRENDS; i++) {
		for (k = 0; k < h->n; k++)
			if (!chosen[k] && change_of(&ch->v[i], &h->s[k]))
				break;
		if (k < h->n) {
			chosen[k] = true;
			order[n++] = k;
		}
	}
	for (k = 0; k < h->n; k++) {
		if (h->s[k].present < 2)
			continue;
		eligible++;
		if (!chosen[k] && n < MAX_TRENDS) {
			chosen[k] = true;
			order[n++] = k;
		}
	}
	if (ch)
		nr_buf_addf(out, "<p>%zu change point%s in %zu series over %zu runs "
				 "(E-divisive means, as Apache Otava finds them).</p>\n",
			    ch->n, ch->n == 1 ? "" : "s", ch->series, ch->runs);
	nr_buf_adds(out, "<div class=\"charts\">\n");
	for (i = 0; i < n; i++)
		add_trend(out, r, &h->s[order[i]], current);
	nr_buf_adds(out, "</div>\n");
	if (eligible > n)
		nr_buf_addf(out, "<p class=\"note\">%zu trends are drawn (series with change points "
				 "first); %zu more series are left out (see <code>netrig changes</code>).</p>\n",
			    n, eligible - n);
	nr_buf_adds(out, "</section>\n");
	free(order);
	free(chosen);
}

/* ---- status sheet ---- */

static void add_status(struct nr_buf *out, const struct nr_report_run *r)
{
	size_t i;

	nr_buf_adds(out, "<section id=\"status\">\n<h2>Status sheet</h2>\n");
	if (!r->n_cases) {
		nr_buf_adds(out, "<p>The run has no cases.</p>\n</section>\n");
		return;
	}
	nr_buf_adds(out, "<table class=\"sortable wide\"><thead><tr><th class=\"num\">#</th><th>test</th>"
			 "<th>case</th><th>status</th><th class=\"num\">repeats</th>"
			 "<th class=\"num\">attempts</th><th class=\"num\">pings</th>"
			 "<th class=\"num\">ssh checks</th><th class=\"num\">time</th><th>error</th>"
			 "</tr></thead>\n<tbody>\n");
	for (i = 0; i < r->n_cases && i < MAX_STATUS_ROWS; i++) {
		const struct nr_case_rec *c = &r->cases[i];
		int64_t dur = c->finished_us > c->started_us && c->started_us > 0
				      ? c->finished_us - c->started_us : 0;

		nr_buf_addf(out, "<tr><td class=\"num\" data-v=\"%lld\">%lld</td><td>", (long long)c->ordinal,
			    (long long)c->ordinal);
		esc(out, c->test);
		nr_buf_adds(out, "</td><td>");
		esc(out, case_label(c->test, c->key));
		nr_buf_adds(out, "</td><td>");
		add_badge(out, nr_case_status_name(c->status));
		nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%d\">%d/%d</td>"
				 "<td class=\"num\" data-v=\"%d\">%d</td><td class=\"num\" data-v=\"%d\">%d</td>"
				 "<td class=\"num\" data-v=\"%d\">%d</td><td class=\"num\" data-v=\"%lld\">",
			    c->repeats_done, c->repeats_done, c->repeats, c->attempts, c->attempts,
			    c->ping_count, c->ping_count, c->ssh_check_count, c->ssh_check_count,
			    (long long)dur);
		add_duration(out, c->started_us, c->finished_us);
		nr_buf_adds(out, "</td><td>");
		if (c->error) {
			struct nr_buf t = NR_BUF_INIT;
			size_t len = strlen(c->error);

			/* cut at a character boundary */
			if (len > MAX_ERROR_CHARS) {
				len = MAX_ERROR_CHARS;
				while (len && ((unsigned char)c->error[len] & 0xc0) == 0x80)
					len--;
			}
			nr_buf_add(&t, c->error, len);
			if (len < strlen(c->error))
				nr_buf_adds(&t, "\xe2\x80\xa6");
			nr_buf_adds(out, "<div class=\"err\">");
			esc(out, t.buf);
			nr_buf_adds(out, "</div>");
			nr_buf_release(&t);
		}
		nr_buf_adds(out, "</td></tr>\n");
	}
	nr_buf_adds(out, "</tbody></table>\n");
	if (r->n_cases > MAX_STATUS_ROWS)
		nr_buf_addf(out, "<p class=\"note\">The first %d of %zu cases are listed (see "
				 "<code>netrig status</code>).</p>\n", MAX_STATUS_ROWS, r->n_cases);
	nr_buf_adds(out, "</section>\n");
}

/* The document up to the header's title, which the caller writes and escapes. */
static void doc_head(struct nr_buf *out, const char *title)
{
	nr_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<title>");
	esc(out, title);
	nr_buf_adds(out, "</title>\n<style>\n");
	nr_buf_adds(out, css);
	nr_buf_adds(out, "</style>\n</head>\n<body>\n<header>\n<h1>");
}

void nr_report_html_begin(struct nr_buf *out, const char *title, const char *sub, const char *nav)
{
	doc_head(out, title);
	esc(out, title);
	nr_buf_adds(out, "</h1>\n");
	if (sub) {
		nr_buf_adds(out, "<div class=\"sub\">");
		esc(out, sub);
		nr_buf_adds(out, "</div>\n");
	}
	nr_buf_adds(out, "</header>\n");
	if (nav) {
		nr_buf_adds(out, "<nav>");
		nr_buf_adds(out, nav);
		nr_buf_adds(out, "</nav>\n");
	}
	nr_buf_adds(out, "<main>\n");
}

void nr_report_html_end(struct nr_buf *out)
{
	nr_buf_adds(out, "<footer>Made by netrig. Nothing on this page runs or is fetched.</footer>\n"
			 "</main>\n</body>\n</html>\n");
}

void nr_report_html_time(struct nr_buf *out, int64_t us)
{
	add_time(out, us);
}

void nr_report_html_badge(struct nr_buf *out, const char *word)
{
	add_badge(out, word);
}

void nr_report_html(const struct nr_report_run *r, struct nr_buf *out)
{
	const struct nr_run_rec *run = r->run;
	struct nr_buf title = NR_BUF_INIT;

	nr_buf_addf(&title, "netrig report: %s %s", run->campaign ? run->campaign : "", run->short_id);
	doc_head(out, title.buf);
	nr_buf_release(&title);
	nr_buf_adds(out, "netrig report: ");
	esc(out, run->campaign);
	nr_buf_adds(out, "</h1>\n<div class=\"sub\">run ");
	esc(out, run->id);
	if (run->commit) {
		nr_buf_adds(out, " &#183; commit ");
		esc(out, run->commit);
	}
	if (run->branch) {
		nr_buf_adds(out, " &#183; branch ");
		esc(out, run->branch);
	}
	nr_buf_adds(out, " &#183; ");
	add_time(out, run->started_us);
	nr_buf_adds(out, "</div>\n</header>\n<nav><a href=\"#summary\">Summary</a><a href=\"#charts\">Results</a>"
			 "<a href=\"#trends\">Trends</a><a href=\"#status\">Status sheet</a>"
			 "<a href=\"#hosts\">Hosts</a></nav>\n<main>\n");
	if (r->html_top)
		nr_buf_adds(out, r->html_top);
	add_summary(out, r);
	add_charts(out, r);
	add_trends(out, r);
	add_status(out, r);
	nr__report_html_hosts(out, r);
	nr_buf_adds(out, "<footer>Made by netrig");
	if (run->version) {
		nr_buf_adds(out, " ");
		esc(out, run->version);
	}
	nr_buf_adds(out, ". One self-contained file: nothing is fetched.</footer>\n</main>\n<script>\n");
	nr_buf_adds(out, script);
	nr_buf_adds(out, "</script>\n</body>\n</html>\n");
}
