/*
 * Reports: the status sheet and the results of a run, for people
 * (aligned text) and for machines (CSV, JSON). Takes records from the
 * store; writes into a buffer; prints nothing itself.
 */
#ifndef NR_REPORT_H
#define NR_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "compare/compare.h"
#include "store/store.h"

enum nr_report_format {
	NR_REPORT_TEXT,
	NR_REPORT_CSV,
	NR_REPORT_JSON,
	NR_REPORT_MD,    /* markdown, for pull-request comments and job summaries */
	NR_REPORT_JUNIT, /* JUnit XML, for CI systems' test viewers */
	NR_REPORT_HTML,  /* one self-contained page */
};

/* "table"/"text", "csv", "json", "md", "junit", "html"; NR_EINVAL otherwise. */
int nr_report_format_parse(const char *s, enum nr_report_format *ret);

/* One case x role x metric, over its repeats. */
struct nr_result_row {
	struct nr_series id; /* its strings borrowed from the sample rows, never released */
	size_t n;
	double median, min, max, mean, stddev;
};

/* Group summary samples (rows in case order) into result rows. */
void nr_report_aggregate(const struct nr_sample_row *rows, size_t n,
			 struct nr_result_row **ret, size_t *ret_n);

void nr_report_results(const struct nr_run_rec *run, const struct nr_result_row *rows,
		       size_t n, enum nr_report_format fmt, struct nr_buf *out);
void nr_report_status(const struct nr_run_rec *run, const struct nr_case_rec *cases,
		      size_t n, enum nr_report_format fmt, struct nr_buf *out);
/*
 * The same with the run's events and its controller: in JSON, "events" (all
 * of them) and "controller"; text and CSV are the sheet alone (the text
 * of events: nr_report_events).
 */
void nr_report_status_events(const struct nr_run_rec *run, const struct nr_case_rec *cases,
			     size_t n, const struct nr_event_rec *events, size_t n_events,
			     enum nr_report_format fmt, struct nr_buf *out);
/*
 * Events for people, oldest first, each with its time: all of them, or the
 * last `max` (0: all) under a line that says how many there are in all.
 */
void nr_report_events(const struct nr_event_rec *ev, size_t n, size_t max, struct nr_buf *out);
/* One line about a run: id, campaign, status, counts, commit. */
void nr_report_run_line(const struct nr_run_rec *run, struct nr_buf *out);

/*
 * A comparison: per-outcome sections, regressions first (text, md, json,
 * junit). JUnit: one testsuite per test, one testcase per case and
 * metric, a failure for each regression.
 */
void nr_report_comparison(const struct nr_comparison *c, enum nr_report_format fmt,
			  struct nr_buf *out);
/*
 * A run's limit checks (text: the breaches and a summary line; md; json;
 * csv: every check). run_id fills CSV's run column.
 */
void nr_report_limits(const struct nr_limits *l, const char *run_id, enum nr_report_format fmt,
		      struct nr_buf *out);
/* ---- the best case of each test for one metric (`results --best`) ---- */

struct nr_best_test {
	const char *test;  /* borrowed from the cases */
	const char *role;  /* the role whose series it is; NULL: the test has no such metric */
	enum nr_better better; /* the direction used */
	const struct nr_result_row **best; /* the passed case(s) with the best median; several: a tie */
	size_t n_best;
	size_t candidates; /* passed cases with the metric */
	size_t not_passed; /* cases with the metric that did not pass, left out */
};

struct nr_best {
	const char *metric;     /* borrowed */
	struct nr_best_test *v; /* every test of the run, in plan order (one per role with the metric) */
	size_t n;
};

/*
 * Pick, per test (and role) of a run, the passed case whose median of
 * `metric` is best: by each series' better direction, or by `force`
 * (HIGHER for --max, LOWER for --min; NONE: the metric's own). Medians
 * equal to 9 significant digits tie. NR_EINVAL when the metric's direction
 * is none and nothing forces one; NR_ENOTFOUND when no case has the
 * metric (the message lists the run's metrics). rows and cases must
 * outlive *ret.
 */
int nr_report_best_pick(const struct nr_run_rec *run, const struct nr_case_rec *cases,
			size_t n_cases, const struct nr_result_row *rows, size_t n, const char *metric,
			enum nr_better force, struct nr_best *ret, struct nr_diag *d);
void nr_best_release(struct nr_best *b);
/* The picks as a table (text), CSV or JSON (schema netrig.best/1). */
void nr_report_best(const struct nr_run_rec *run, const struct nr_best *b,
		    const struct nr_case_rec *cases, size_t n_cases, enum nr_report_format fmt,
		    struct nr_buf *out);

/* Change points (text, md, json, csv). */
void nr_report_changes(const struct nr_changes *c, enum nr_report_format fmt, struct nr_buf *out);

/* Everything a report of one run shows; the optional parts may be NULL. */
struct nr_report_run {
	const struct nr_run_rec *run;
	const struct nr_case_rec *cases;
	size_t n_cases;
	const struct nr_result_row *results; /* per case, role, metric over repeats */
	size_t n_results;
	const struct nr_sample_row *samples; /* every summary sample of the run (repeats) */
	size_t n_samples;
	const struct nr_host_rec *hosts;     /* with sysinfo JSON */
	size_t n_hosts;
	const struct nr_history *history;    /* the campaign's runs up to this one, or NULL */
	const struct nr_changes *changes;    /* change points in that history, or NULL */
	const struct nr_comparison *cmp;     /* against a baseline, or NULL */
	const struct nr_limits *limits;      /* the run's series against its limits, or NULL */
	/* a comparison was asked for but none could be made: why (e.g. no
	 * finished run matches the baseline, as on a branch's first run) */
	const char *cmp_missing;
	/* a run with variants: its variants compared pair by pair, or NULL */
	const struct nr_comparison *paired;
	/* trusted markup put at the top of the HTML page's main part (a
	 * server's links, built escaped by the caller), or NULL */
	const char *html_top;
};

/*
 * The one verdict of a run's report, the same in every format: the
 * run's status when it did not pass ("failed", "stopped", ...), "limit"
 * when it passed but breached a limit of its campaign, "regression" when
 * the comparison (or the paired comparison of its variants) found a
 * regression of severity >= warning, else "passed". `netrig report` exits
 * 0 only for "passed" (and "running"). nr_report_verdict_of gives it for
 * decisions, nr_report_verdict its name for people and machines.
 */
enum nr_verdict {
	NR_VERDICT_RUN = 0,    /* the run did not pass: r->run->status is the verdict */
	NR_VERDICT_LIMIT,      /* "limit" */
	NR_VERDICT_REGRESSION, /* "regression" */
	NR_VERDICT_PASSED,     /* "passed" */
};
enum nr_verdict nr_report_verdict_of(const struct nr_report_run *r);
const char *nr_report_verdict(const struct nr_report_run *r);

/* A run's report: text, md, json, junit or csv (html: nr_report_html). */
void nr_report_run(const struct nr_report_run *r, enum nr_report_format fmt, struct nr_buf *out);

/*
 * Everything a report of one run shows, read from a store: the run the
 * selector names (NULL: the latest), its cases, samples, hosts, limits,
 * a comparison with `baseline` (NULL: none; when no run matches, as on a
 * branch's first run, cmp_missing says why and there is none), the
 * pairwise comparison of its variants, the campaign's history and change
 * points. `netrig report` and `netrig serve` both read a run through it.
 */
struct nr_report_load {
	struct nr_report_run rep; /* points into the rest */
	struct nr_run_rec run;
	struct nr_case_rec *cases;
	struct nr_sample_row *rows;
	struct nr_result_row *res;
	struct nr_host_rec *hosts;
	size_t n_cases, n_rows, n_res, n_hosts;
	struct nr_history hist;
	struct nr_changes changes;
	struct nr_comparison cmp, paired;
	struct nr_limits limits;
	char *cmp_missing;
	bool have_cmp, have_paired, have_changes;
};

/* NR_ENOTFOUND / NR_EAMBIGUOUS for the selector, else what the store says. */
int nr_report_load(struct nr_store *st, const char *selector, const char *baseline,
		   struct nr_report_load *ret, struct nr_diag *d);
void nr_report_load_release(struct nr_report_load *l);

/*
 * One self-contained HTML page (inline CSS and SVG, nothing fetched):
 * summary, per-test matrix charts, trends with change points, the status
 * sheet, each host's sysinfo.
 */
void nr_report_html(const struct nr_report_run *r, struct nr_buf *out);

/* ---- pieces of the HTML page for a server's own pages (netrig serve) ---- */

/*
 * A page in the report's look: the doctype, the report's CSS, a header
 * with `title` and `sub` (both escaped; sub may be NULL), then `nav`
 * (trusted markup the caller built escaped: links; NULL: none) and the
 * opening of the main part. nr_report_html_end closes it. No script.
 */
void nr_report_html_begin(struct nr_buf *out, const char *title, const char *sub, const char *nav);
void nr_report_html_end(struct nr_buf *out);
/* A real-time stamp as the report shows it ("2026-12-05 12:00:00 UTC"), a dash for 0. */
void nr_report_html_time(struct nr_buf *out, int64_t us);
/* A status, outcome or verdict as the report's coloured badge (escaped). */
void nr_report_html_badge(struct nr_buf *out, const char *word);
/*
 * A sparkline (a small inline SVG, 120 x 28 CSS pixels): values[0..n)
 * oldest first, NaN where a run lacks the series, the last point marked,
 * the first and last values in unit as its tooltip.
 */
void nr_report_svg_sparkline(struct nr_buf *out, const char *unit, const double *values, size_t n);
/* The report's trend chart of values[0..n) (NaN: a gap), the last point highlighted, no marks. */
void nr_report_svg_trend(struct nr_buf *out, const char *unit, const double *values, size_t n);

/* The dashboard's JSON: the latest run of each campaign with its results. */
int nr_report_dashboard(struct nr_store *st, struct nr_buf *out, struct nr_diag *d);

/*
 * XML (and HTML) character data and attribute values: markup characters
 * and newlines as references, control characters and bytes that are not
 * UTF-8 as %XX (XML 1.0 cannot hold them), so the document stays well-formed.
 */
void nr_report_xml_escape(struct nr_buf *out, const char *s);

#endif
