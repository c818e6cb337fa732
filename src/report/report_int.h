/*
 * Inside the report module: the inline SVG charts of the HTML page
 * (report_svg.c), drawn into a buffer as markup with every label escaped,
 * and pieces the formats share.
 */
#ifndef NR_REPORT_INT_H
#define NR_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* One bar of a matrix chart: a case's median with its whisker and repeats. */
struct nr__report_bar {
	const char *label;  /* the case's parameters; escaped when drawn */
	const char *title;  /* the tooltip (the full case key) */
	double median, lo, hi; /* lo..hi: the whisker (min..max of the repeats) */
	size_t n;           /* repeats */
	const double *dots; /* each repeat's value, or NULL */
	size_t n_dots;
	const char *verdict; /* "regression" or "improvement" against a baseline, or NULL */
};

/*
 * A horizontal bar chart, one row per bar, the value axis below with
 * ticks formatted in `unit` for people.
 */
void nr__report_svg_bars(struct nr_buf *out, const char *unit,
			 const struct nr__report_bar *bars, size_t n);

/* A change point drawn on a trend: a vertical marker at values[index]. */
struct nr__report_mark {
	size_t index;
	const char *label; /* commit or run id, short */
	bool bad;          /* goes the metric's bad way */
};

/*
 * A trend line over runs: values[0..n) (NaN where a run lacks the series),
 * the point `current` (or SIZE_MAX) highlighted, change points marked.
 * first_run is the 1-based number of values[0] in the campaign's history
 * (the x-axis labels).
 */
void nr__report_svg_trend(struct nr_buf *out, const char *unit, const double *values,
			  size_t n, size_t first_run, size_t current,
			  const struct nr__report_mark *marks, size_t n_marks);

struct nr_report_run;
struct nr_series;
struct json_t;

/* A series' test, case, role, metric, unit and better, in that order, set in JSON object o. */
void nr__report_json_series(struct json_t *o, const struct nr_series *id);

/* ---- escaping for each format (report_esc.c) ---- */

/* Markdown text (a paragraph or a table cell): one line, every markup character literal. */
void nr__report_md_text(struct nr_buf *out, const char *s);
/* A markdown code span of s, one line; `cell`: inside a table row (its '|' escaped). */
void nr__report_md_code(struct nr_buf *out, const char *s, bool cell);
/*
 * A CSV field (RFC 4180) and its separator (',' or, when last, CRLF). Text
 * that starts with = + - @ gets a leading ' (formula injection); numbers do not.
 */
void nr__report_csv_field(struct nr_buf *out, const char *s, bool last);
/* A JSON string of s (NULL: null); bytes that are not UTF-8 are escaped, not lost. */
struct json_t *nr__report_jstr(const char *s);
/* Whether a case ran on a host of the run that is `optional` (its failure does not fail the run). */
bool nr__report_case_optional(const struct nr_report_run *r, const struct nr_case_rec *c);

struct nr_event_rec;
struct nr_run_rec;

/* Events as a JSON array of {time, kind, host, case, message} (report_events.c). */
struct json_t *nr__report_events_json(const struct nr_event_rec *ev, size_t n);
/* A run's controller as {host, pid, state: alive|gone|elsewhere|null, heartbeat}. */
struct json_t *nr__report_controller_json(const struct nr_run_rec *run);

struct nr_comparison;
struct nr_series_cmp;

/* A comparison's markdown without its heading, for a run's report whose
 * own heading states the one verdict (report_compare.c); its sections
 * get headings of `heading` ("###"). */
void nr__report_comparison_md_body(const struct nr_comparison *c, const char *heading,
				   struct nr_buf *out);

struct nr_changes;

/* Change points as markdown under a heading such as "## netrig:" (alone)
 * or "###" (inside a run's report, whose heading is the verdict). */
void nr__report_changes_md(const struct nr_changes *c, const char *heading, struct nr_buf *out);

/* The testcases of a paired comparison (one per series, a failure for a
 * regression) for a run's JUnit report (report_compare.c). */
void nr__report_paired_junit_cases(const struct nr_comparison *c, struct nr_buf *out);

/* "warning regression: 10 us -> 12 us (+20.0% [+18.1, +22.0], p 1e-06,
 * adjusted 4e-05)": a regression in one line, unescaped. */
void nr__report_regression_message(const struct nr_series_cmp *s, struct nr_buf *out);

/* ---- limits (report_limits.c) ---- */

struct nr_limits;
struct nr_limit_check;

/* "critical limit breach: median 62.1 ms is above max 50ms by 12.1 ms (24.2 %);
 * 5 of 5 repeats past it, the highest 70.0 ms": one check in one line, unescaped. */
void nr__report_limit_message(const struct nr_limit_check *k, struct nr_buf *out);
/* Breaches under "HEADING Limits breached (N)", the kept ones collapsed, a summary. */
/* The host-pair probes of the run's hosts as a markdown table, or nothing (report_html_hosts.c). */
void nr__report_probes_md(const struct nr_report_run *r, struct nr_buf *out);
void nr__report_limits_md(const struct nr_limits *l, const char *heading, struct nr_buf *out);
/* {checks, breached, series, fails, limits: [...]} (docs/report-json.md). */
struct json_t *nr__report_limits_json(const struct nr_limits *l);
/* A JUnit <failure type="limit"> for each breach on series id; counted in *failures. */
void nr__report_limits_junit(const struct nr_limits *l, const struct nr_series *id,
			     struct nr_buf *out, size_t *failures);
/* The HTML section: a summary, the breaches, the kept checks collapsed; nothing without checks. */
void nr__report_limits_html(const struct nr_limits *l, struct nr_buf *out);

/* The hosts section of the HTML page (report_html_hosts.c). */
void nr__report_html_hosts(struct nr_buf *out, const struct nr_report_run *r);

#endif
