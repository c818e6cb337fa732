/*
 * A run's series against its campaign's absolute limits, in every format:
 * the breaches with the limit as written, the median, how far past and how
 * many repeats were past; the checks that passed where a format has room.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "report/report.h"
#include "report/report_int.h"

/* "max 50ms" (the bound as the campaign wrote it; unescaped) */
static void bound_text(const struct nr_limit_check *k, struct nr_buf *out)
{
	nr_buf_addf(out, "%s %s", k->is_max ? "max" : "min", k->limit_text);
}

/* "12.1 ms (24.2 %)": how far past the bound (or, for a pass, inside it) */
static void past_text(const struct nr_limit_check *k, struct nr_buf *out)
{
	char b[48];

	if (k->unit_mismatch) {
		nr_buf_addf(out, "cannot check: the limit is in %s, the values in %s", k->limit_unit,
			    k->id.unit && *k->id.unit ? k->id.unit : "no unit");
		return;
	}
	nr_buf_adds(out, nr_fmt_value(b, sizeof(b), fabs(k->excess), k->id.unit));
	if (isfinite(k->excess_rel))
		nr_buf_addf(out, " (%.1f %%)", 100 * fabs(k->excess_rel));
}

void nr__report_limit_message(const struct nr_limit_check *k, struct nr_buf *out)
{
	char v[48], w[48];

	if (k->unit_mismatch) {
		nr_buf_addf(out, "%s limit %s %s: ", nr_analysis_severity_name(k->severity),
			    k->is_max ? "max" : "min", k->limit_text);
		past_text(k, out);
		return;
	}
	nr_fmt_value(v, sizeof(v), k->value, k->id.unit);
	nr_fmt_value(w, sizeof(w), k->worst, k->id.unit);
	nr_buf_addf(out, "%s%smedian %s is %s ", k->breached ? nr_analysis_severity_name(k->severity) : "",
		    k->breached ? " limit breach: " : "", v,
		    k->breached ? (k->is_max ? "above" : "below") : "within");
	bound_text(k, out);
	nr_buf_adds(out, k->breached ? " by " : ", margin ");
	past_text(k, out);
	nr_buf_addf(out, "; %zu of %zu repeats past it, the %s %s", k->n_beyond, k->n,
		    k->is_max ? "highest" : "lowest", w);
}

static void summary(const struct nr_limits *l, struct nr_buf *out)
{
	nr_buf_addf(out, "%zu of %zu limit check%s breached, on %zu series (the median of the repeats "
			 "against each bound)", l->breached, l->n, l->n == 1 ? "" : "s", l->series);
}

static void text(const struct nr_limits *l, struct nr_buf *out)
{
	size_t i;

	nr_buf_adds(out, "limits: ");
	summary(l, out);
	nr_buf_addch(out, '\n');
	if (!l->breached)
		return;
	nr_buf_addf(out, "%-9s %-40s %-22s %12s %-18s %-24s %7s\n", "severity", "case", "metric",
		    "median", "limit", "past by", "repeats");
	for (i = 0; i < l->n && l->v[i].breached; i++) {
		const struct nr_limit_check *k = &l->v[i];
		struct nr_buf lim = NR_BUF_INIT, past = NR_BUF_INIT, metric = NR_BUF_INIT;
		char *key = nr_str_escaped(k->id.key), *elim, *epast, *emetric;
		char v[48], reps[32];

		bound_text(k, &lim);
		past_text(k, &past);
		nr_buf_adds(&metric, k->id.metric);
		if (strcmp(k->id.role, "main"))
			nr_buf_addf(&metric, " (%s)", k->id.role);
		elim = nr_str_escaped(lim.buf);
		epast = nr_str_escaped(past.buf);
		emetric = nr_str_escaped(metric.buf);
		nr_fmt_value(v, sizeof(v), k->value, k->id.unit);
		snprintf(reps, sizeof(reps), "%zu/%zu", k->n_beyond, k->n);
		nr_buf_addf(out, "%-9s %-40s %-22s %12s %-18s %-24s %7s\n",
			    nr_analysis_severity_name(k->severity), key, emetric, v, elim, epast, reps);
		free(key);
		free(elim);
		free(epast);
		free(emetric);
		nr_buf_release(&lim);
		nr_buf_release(&past);
		nr_buf_release(&metric);
	}
}

static void md_row(const struct nr_limit_check *k, struct nr_buf *out)
{
	struct nr_buf cell = NR_BUF_INIT;
	char v[48];

	nr_fmt_value(v, sizeof(v), k->value, k->id.unit);
	nr_buf_adds(out, "| ");
	nr__report_md_code(out, k->id.key, true);
	nr_buf_adds(out, " | ");
	nr__report_md_text(out, k->id.metric);
	if (strcmp(k->id.role, "main")) {
		nr_buf_adds(out, " @");
		nr__report_md_text(out, k->id.role);
	}
	nr_buf_addf(out, " | %s | ", v);
	bound_text(k, &cell);
	nr__report_md_text(out, cell.buf);
	nr_buf_reset(&cell);
	nr_buf_adds(out, " | ");
	past_text(k, &cell);
	nr__report_md_text(out, cell.buf);
	nr_buf_addf(out, " | %zu/%zu | %s |\n", k->n_beyond, k->n,
		    k->breached ? nr_analysis_severity_name(k->severity) : "passed");
	nr_buf_release(&cell);
}

void nr__report_limits_md(const struct nr_limits *l, const char *heading, struct nr_buf *out)
{
	static const char head[] = "| case | metric | median | limit | past by | repeats past | severity |\n"
				   "|---|---|---:|---|---:|---:|---|\n";
	size_t i;

	if (!l->n)
		return;
	if (l->breached) {
		nr_buf_addf(out, "%s Limits breached (%zu)\n\n%s", heading, l->breached, head);
		for (i = 0; i < l->n && l->v[i].breached; i++)
			md_row(&l->v[i], out);
		nr_buf_addch(out, '\n');
	}
	if (l->n > l->breached) {
		nr_buf_addf(out, "<details><summary>Limits kept (%zu)</summary>\n\n"
				 "| case | metric | median | limit | margin | repeats past | |\n"
				 "|---|---|---:|---|---:|---:|---|\n", l->n - l->breached);
		for (i = l->breached; i < l->n; i++)
			md_row(&l->v[i], out);
		nr_buf_adds(out, "\n</details>\n\n");
	}
	nr_buf_adds(out, "> ");
	summary(l, out);
	nr_buf_adds(out, ".\n\n");
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *nr__report_limits_json(const struct nr_limits *l)
{
	json_t *root = json_object(), *arr = json_array();
	size_t i;

	json_object_set_new(root, "checks", json_integer((json_int_t)l->n));
	json_object_set_new(root, "breached", json_integer((json_int_t)l->breached));
	json_object_set_new(root, "series", json_integer((json_int_t)l->series));
	json_object_set_new(root, "fails", json_boolean(nr_limits_fail(l, NR_SEVERITY_WARNING)));
	for (i = 0; i < l->n; i++) {
		const struct nr_limit_check *k = &l->v[i];
		json_t *o = json_object();

		nr__report_json_series(o, &k->id);
		json_object_set_new(o, "bound", json_string(k->is_max ? "max" : "min"));
		json_object_set_new(o, "limit", json_real(k->limit));
		json_object_set_new(o, "limit_unit", nr__report_jstr(k->limit_unit));
		json_object_set_new(o, "limit_text", nr__report_jstr(k->limit_text));
		json_object_set_new(o, "median", num_or_null(k->value));
		json_object_set_new(o, "worst", num_or_null(k->worst));
		json_object_set_new(o, "n", json_integer((json_int_t)k->n));
		json_object_set_new(o, "n_past", json_integer((json_int_t)k->n_beyond));
		json_object_set_new(o, "breached", json_boolean(k->breached));
		json_object_set_new(o, "severity", json_string(nr_analysis_severity_name(k->severity)));
		json_object_set_new(o, "excess", num_or_null(k->excess));
		json_object_set_new(o, "excess_relative", num_or_null(k->excess_rel));
		json_object_set_new(o, "unit_mismatch", json_boolean(k->unit_mismatch));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "limits", arr);
	return root;
}

static void csv_num(struct nr_buf *out, double v, bool last)
{
	char b[40];

	if (isfinite(v))
		snprintf(b, sizeof(b), "%.17g", v);
	else
		b[0] = '\0';
	nr__report_csv_field(out, b, last);
}

static void csv(const struct nr_limits *l, const char *run_id, struct nr_buf *out)
{
	static const char *const head[] = { "run", "test", "case", "role", "metric", "unit", "bound",
					    "limit", "limit_unit", "limit_text", "median", "worst",
					    "n", "n_past", "breached", "severity", "excess",
					    "excess_relative" };
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(head); i++)
		nr__report_csv_field(out, head[i], i + 1 == NR_ARRAY_SIZE(head));
	for (i = 0; i < l->n; i++) {
		const struct nr_limit_check *k = &l->v[i];
		char b[32];

		nr__report_csv_field(out, run_id, false);
		nr__report_csv_field(out, k->id.test, false);
		nr__report_csv_field(out, k->id.key, false);
		nr__report_csv_field(out, k->id.role, false);
		nr__report_csv_field(out, k->id.metric, false);
		nr__report_csv_field(out, k->id.unit, false);
		nr__report_csv_field(out, k->is_max ? "max" : "min", false);
		csv_num(out, k->limit, false);
		nr__report_csv_field(out, k->limit_unit, false);
		nr__report_csv_field(out, k->limit_text, false);
		csv_num(out, k->value, false);
		csv_num(out, k->worst, false);
		snprintf(b, sizeof(b), "%zu", k->n);
		nr__report_csv_field(out, b, false);
		snprintf(b, sizeof(b), "%zu", k->n_beyond);
		nr__report_csv_field(out, b, false);
		nr__report_csv_field(out, k->breached ? "true" : "false", false);
		nr__report_csv_field(out, nr_analysis_severity_name(k->severity), false);
		csv_num(out, k->excess, false);
		csv_num(out, k->excess_rel, true);
	}
}

void nr_report_limits(const struct nr_limits *l, const char *run_id, enum nr_report_format fmt,
		      struct nr_buf *out)
{
	switch (fmt) {
	case NR_REPORT_CSV:
		csv(l, run_id, out);
		break;
	case NR_REPORT_MD:
		nr__report_limits_md(l, "###", out);
		break;
	case NR_REPORT_JSON: {
		json_t *o = nr__report_limits_json(l);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));

		nr_buf_adds(out, s);
		nr_buf_addch(out, '\n');
		free(s);
		json_decref(o);
		break;
	}
	default:
		text(l, out);
	}
}

void nr__report_limits_junit(const struct nr_limits *l, const struct nr_series *id,
			     struct nr_buf *out, size_t *failures)
{
	size_t i;

	for (i = 0; i < l->n && l->v[i].breached; i++) {
		struct nr_buf msg = NR_BUF_INIT;

		if (nr_series_order(&l->v[i].id, id))
			continue;
		nr__report_limit_message(&l->v[i], &msg);
		nr_buf_adds(out, "<failure type=\"limit\" message=\"");
		nr_report_xml_escape(out, msg.buf);
		nr_buf_adds(out, "\"/>");
		nr_buf_release(&msg);
		(*failures)++;
	}
}

/* ---- HTML ---- */

#define MAX_LIMIT_ROWS 300 /* checks listed per table */

static void html_row(const struct nr_limit_check *k, struct nr_buf *out)
{
	struct nr_buf cell = NR_BUF_INIT;
	char v[48];

	nr_buf_addf(out, "<tr><td><span class=\"badge b-%s\">%s</span></td><td>",
		    k->breached ? nr_analysis_severity_name(k->severity) : "passed",
		    k->breached ? nr_analysis_severity_name(k->severity) : "kept");
	nr_report_xml_escape(out, k->id.key);
	nr_buf_adds(out, "</td><td>");
	nr_report_xml_escape(out, k->id.metric);
	if (strcmp(k->id.role, "main")) {
		nr_buf_adds(out, " <span class=\"note\">(");
		nr_report_xml_escape(out, k->id.role);
		nr_buf_adds(out, ")</span>");
	}
	nr_fmt_value(v, sizeof(v), k->value, k->id.unit);
	nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%.17g\">", isfinite(k->value) ? k->value : 0);
	nr_report_xml_escape(out, v);
	nr_buf_adds(out, "</td><td>");
	bound_text(k, &cell);
	nr_report_xml_escape(out, cell.buf);
	nr_buf_reset(&cell);
	nr_buf_addf(out, "</td><td class=\"num\" data-v=\"%.17g\">",
		    isfinite(k->excess_rel) ? k->excess_rel : 0);
	past_text(k, &cell);
	nr_report_xml_escape(out, cell.buf);
	nr_buf_addf(out, "</td><td class=\"num\">%zu/%zu</td></tr>\n", k->n_beyond, k->n);
	nr_buf_release(&cell);
}

static void html_table(const struct nr_limits *l, size_t from, size_t to, const char *past,
		       struct nr_buf *out)
{
	size_t i;

	nr_buf_addf(out, "<table class=\"sortable wide\"><thead><tr><th>severity</th><th>case</th>"
			 "<th>metric</th><th class=\"num\">median</th><th>limit</th>"
			 "<th class=\"num\">%s</th><th class=\"num\">repeats past</th></tr></thead>\n"
			 "<tbody>\n", past);
	for (i = from; i < to && i - from < MAX_LIMIT_ROWS; i++)
		html_row(&l->v[i], out);
	nr_buf_adds(out, "</tbody></table>\n");
	if (to - from > MAX_LIMIT_ROWS)
		nr_buf_addf(out, "<p class=\"note\">%zu more are not listed (see <code>netrig report "
				 "--format json</code>).</p>\n", to - from - MAX_LIMIT_ROWS);
}

void nr__report_limits_html(const struct nr_limits *l, struct nr_buf *out)
{
	struct nr_buf s = NR_BUF_INIT;

	if (!l->n)
		return;
	nr_buf_adds(out, "<h3 id=\"limits\">Limits</h3>\n<p");
	if (l->breached)
		nr_buf_adds(out, " class=\"err\"");
	nr_buf_adds(out, ">");
	summary(l, &s);
	nr_report_xml_escape(out, s.buf);
	nr_buf_adds(out, ".</p>\n");
	nr_buf_release(&s);
	if (l->breached)
		html_table(l, 0, l->breached, "past by", out);
	if (l->n > l->breached) {
		nr_buf_addf(out, "<details><summary>%zu limit checks kept</summary>\n", l->n - l->breached);
		html_table(l, l->breached, l->n, "margin", out);
		nr_buf_adds(out, "</details>\n");
	}
}
