#include "report/report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "analysis/analysis.h"
#include "report/report_int.h"

int nr_report_format_parse(const char *s, enum nr_report_format *ret)
{
	if (!strcmp(s, "table") || !strcmp(s, "text"))
		*ret = NR_REPORT_TEXT;
	else if (!strcmp(s, "csv"))
		*ret = NR_REPORT_CSV;
	else if (!strcmp(s, "json"))
		*ret = NR_REPORT_JSON;
	else if (!strcmp(s, "md") || !strcmp(s, "markdown"))
		*ret = NR_REPORT_MD;
	else if (!strcmp(s, "junit"))
		*ret = NR_REPORT_JUNIT;
	else if (!strcmp(s, "html"))
		*ret = NR_REPORT_HTML;
	else
		return NR_EINVAL;
	return 0;
}

static void summarize(double *v, size_t n, struct nr_result_row *r)
{
	nr_analysis_sort(v, n);
	r->n = n;
	r->min = v[0];
	r->max = v[n - 1];
	r->median = nr_analysis_quantile_sorted(v, n, 0.5);
	r->mean = nr_analysis_mean(v, n);
	r->stddev = nr_analysis_stddev(v, n);
}

static bool same_series(const struct nr_sample_row *a, const struct nr_sample_row *b)
{
	return !strcmp(a->case_id, b->case_id) && !strcmp(a->id.role, b->id.role) &&
	       !strcmp(a->id.metric, b->id.metric);
}

void nr_report_aggregate(const struct nr_sample_row *rows, size_t n,
			 struct nr_result_row **ret, size_t *ret_n)
{
	struct nr_result_row *out = NULL;
	double *vals = nr_xcalloc(n + 1, sizeof(*vals));
	size_t n_out = 0, cap = 0, i = 0;

	/* rows come grouped by case, role, metric (the store's order) */
	while (i < n) {
		size_t j = i, k = 0;
		struct nr_result_row *r;

		while (j < n && same_series(&rows[i], &rows[j])) {
			if (rows[j].interval < 0)
				vals[k++] = rows[j].value;
			j++;
		}
		if (k) {
			NR_GROW(out, n_out + 1, cap);
			r = &out[n_out++];
			memset(r, 0, sizeof(*r));
			r->id = rows[i].id; /* borrowed */
			summarize(vals, k, r);
		}
		i = j;
	}
	free(vals);
	*ret = out;
	*ret_n = n_out;
}

/* ---- text tables ---- */

#define MAX_COLS 12

struct table {
	size_t ncols;
	const char *head[MAX_COLS];
	bool right[MAX_COLS];
	char **cells; /* rows x ncols */
	size_t nrows, cap;
};

static void table_row(struct table *t, char **cells)
{
	size_t i;

	NR_GROW(t->cells, (t->nrows + 1) * t->ncols, t->cap);
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = cells[i];
	t->nrows++;
}

/* Display width of UTF-8 text: count the bytes that start a character. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void table_print(struct table *t, struct nr_buf *out)
{
	size_t w[MAX_COLS] = { 0 }, i, j;

	for (j = 0; j < t->ncols; j++)
		w[j] = width(t->head[j]);
	for (i = 0; i < t->nrows; i++)
		for (j = 0; j < t->ncols; j++) {
			size_t cw = width(t->cells[i * t->ncols + j]);

			if (cw > w[j])
				w[j] = cw;
		}
	for (i = 0; i <= t->nrows; i++) {
		for (j = 0; j < t->ncols; j++) {
			const char *cell = i == 0 ? t->head[j] : t->cells[(i - 1) * t->ncols + j];
			size_t pad = w[j] - width(cell), k;
			bool last = j + 1 == t->ncols;

			if (t->right[j])
				for (k = 0; k < pad; k++)
					nr_buf_addch(out, ' ');
			nr_buf_adds(out, cell);
			if (!t->right[j] && !last)
				for (k = 0; k < pad; k++)
					nr_buf_addch(out, ' ');
			if (!last)
				nr_buf_adds(out, "  ");
		}
		nr_buf_addch(out, '\n');
	}
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* ---- CSV (RFC 4180, report_esc.c) ---- */

static void csv_num(struct nr_buf *out, double v, bool last)
{
	char b[40];

	snprintf(b, sizeof(b), "%.17g", v);
	nr__report_csv_field(out, b, last);
}

static char *fmt_time(int64_t us)
{
	char b[40];

	if (!us)
		return nr_xstrdup("");
	return nr_xstrdup(nr_fmt_time(b, sizeof(b), us));
}

/* ---- results ---- */

void nr__report_json_series(json_t *o, const struct nr_series *id)
{
	json_object_set_new(o, "test", json_string(id->test));
	json_object_set_new(o, "case", json_string(id->key));
	json_object_set_new(o, "role", json_string(id->role));
	json_object_set_new(o, "metric", json_string(id->metric));
	json_object_set_new(o, "unit", json_string(id->unit));
	json_object_set_new(o, "better", json_string(nr_better_name(id->better)));
}

void nr_report_results(const struct nr_run_rec *run, const struct nr_result_row *rows,
		       size_t n, enum nr_report_format fmt, struct nr_buf *out)
{
	size_t i;

	if (fmt == NR_REPORT_CSV) {
		static const char *const head[] = { "run", "test", "case", "role", "metric", "unit",
						    "better", "n", "median", "min", "max", "mean",
						    "stddev" };
		for (i = 0; i < NR_ARRAY_SIZE(head); i++)
			nr__report_csv_field(out, head[i], i + 1 == NR_ARRAY_SIZE(head));
		for (i = 0; i < n; i++) {
			const struct nr_result_row *r = &rows[i];
			char nb[24];

			snprintf(nb, sizeof(nb), "%zu", r->n);
			nr__report_csv_field(out, run->id, false);
			nr__report_csv_field(out, r->id.test, false);
			nr__report_csv_field(out, r->id.key, false);
			nr__report_csv_field(out, r->id.role, false);
			nr__report_csv_field(out, r->id.metric, false);
			nr__report_csv_field(out, r->id.unit, false);
			nr__report_csv_field(out, nr_better_name(r->id.better), false);
			nr__report_csv_field(out, nb, false);
			csv_num(out, r->median, false);
			csv_num(out, r->min, false);
			csv_num(out, r->max, false);
			csv_num(out, r->mean, false);
			csv_num(out, r->stddev, true);
		}
		return;
	}
	if (fmt == NR_REPORT_JSON) {
		json_t *root = json_object(), *arr = json_array();
		char *s;

		json_object_set_new(root, "run", json_string(run->id));
		json_object_set_new(root, "campaign", nr__report_jstr(run->campaign));
		json_object_set_new(root, "status", json_string(nr_run_status_name(run->status)));
		json_object_set_new(root, "commit", nr__report_jstr(run->commit));
		json_object_set_new(root, "branch", nr__report_jstr(run->branch));
		for (i = 0; i < n; i++) {
			const struct nr_result_row *r = &rows[i];
			json_t *o = json_object();

			nr__report_json_series(o, &r->id);
			json_object_set_new(o, "n", json_integer((json_int_t)r->n));
			json_object_set_new(o, "median", json_real(r->median));
			json_object_set_new(o, "min", json_real(r->min));
			json_object_set_new(o, "max", json_real(r->max));
			json_object_set_new(o, "mean", json_real(r->mean));
			json_object_set_new(o, "stddev", json_real(r->stddev));
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "results", arr);
		s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
		nr_buf_adds(out, s);
		nr_buf_addch(out, '\n');
		free(s);
		json_decref(root);
		return;
	}
	{
		struct table t = { .ncols = 7,
				   .head = { "case", "metric", "median", "min", "max", "n", "cv" },
				   .right = { false, false, true, true, true, true, true } };

		for (i = 0; i < n; i++) {
			const struct nr_result_row *r = &rows[i];
			char *cells[7], b[64];

			cells[0] = nr_str_escaped(r->id.key);
			if (strcmp(r->id.role, "main")) {
				char *k = cells[0];

				cells[0] = nr_xasprintf("%s (%s)", k, r->id.role);
				free(k);
			}
			cells[1] = nr_str_escaped(r->id.metric);
			cells[2] = nr_xstrdup(nr_fmt_value(b, sizeof(b), r->median, r->id.unit));
			cells[3] = nr_xstrdup(nr_fmt_value(b, sizeof(b), r->min, r->id.unit));
			cells[4] = nr_xstrdup(nr_fmt_value(b, sizeof(b), r->max, r->id.unit));
			cells[5] = nr_xasprintf("%zu", r->n);
			cells[6] = r->n > 1 && r->mean != 0
					   ? nr_xasprintf("%.1f%%", 100 * r->stddev / fabs(r->mean))
					   : nr_xstrdup("-");
			table_row(&t, cells);
		}
		if (n == 0)
			nr_buf_adds(out, "no samples\n");
		else
			table_print(&t, out);
	}
}

/* ---- status sheet ---- */

static const char *const status_head[] = {
	"ordinal", "test", "case", "status", "repeats", "repeats_done", "attempts", "start",
	"end", "ping_count", "ssh_check_count", "hosts", "params", "error",
};

static void status_sheet(const struct nr_run_rec *run, const struct nr_case_rec *cases, size_t n,
			 bool with_events, const struct nr_event_rec *events, size_t n_events,
			 enum nr_report_format fmt, struct nr_buf *out);

void nr_report_status(const struct nr_run_rec *run, const struct nr_case_rec *cases,
		      size_t n, enum nr_report_format fmt, struct nr_buf *out)
{
	status_sheet(run, cases, n, false, NULL, 0, fmt, out);
}

void nr_report_status_events(const struct nr_run_rec *run, const struct nr_case_rec *cases,
			     size_t n, const struct nr_event_rec *events, size_t n_events,
			     enum nr_report_format fmt, struct nr_buf *out)
{
	status_sheet(run, cases, n, true, events, n_events, fmt, out);
}

static void status_sheet(const struct nr_run_rec *run, const struct nr_case_rec *cases, size_t n,
			 bool with_events, const struct nr_event_rec *events, size_t n_events,
			 enum nr_report_format fmt, struct nr_buf *out)
{
	size_t i;

	if (fmt == NR_REPORT_CSV) {
		for (i = 0; i < NR_ARRAY_SIZE(status_head); i++)
			nr__report_csv_field(out, status_head[i], i + 1 == NR_ARRAY_SIZE(status_head));
		for (i = 0; i < n; i++) {
			const struct nr_case_rec *c = &cases[i];
			char *start = fmt_time(c->started_us), *end = fmt_time(c->finished_us);
			char b[32];

			snprintf(b, sizeof(b), "%lld", (long long)c->ordinal);
			nr__report_csv_field(out, b, false);
			nr__report_csv_field(out, c->test, false);
			nr__report_csv_field(out, c->key, false);
			nr__report_csv_field(out, nr_case_status_name(c->status), false);
			snprintf(b, sizeof(b), "%d", c->repeats);
			nr__report_csv_field(out, b, false);
			snprintf(b, sizeof(b), "%d", c->repeats_done);
			nr__report_csv_field(out, b, false);
			snprintf(b, sizeof(b), "%d", c->attempts);
			nr__report_csv_field(out, b, false);
			nr__report_csv_field(out, start, false);
			nr__report_csv_field(out, end, false);
			snprintf(b, sizeof(b), "%d", c->ping_count);
			nr__report_csv_field(out, b, false);
			snprintf(b, sizeof(b), "%d", c->ssh_check_count);
			nr__report_csv_field(out, b, false);
			nr__report_csv_field(out, c->hosts, false);
			nr__report_csv_field(out, c->params, false);
			nr__report_csv_field(out, c->error, true);
			free(start);
			free(end);
		}
		return;
	}
	if (fmt == NR_REPORT_JSON) {
		json_t *root = json_object(), *arr = json_array();
		char *s;

		json_object_set_new(root, "run", json_string(run->id));
		json_object_set_new(root, "campaign", nr__report_jstr(run->campaign));
		json_object_set_new(root, "status", json_string(nr_run_status_name(run->status)));
		json_object_set_new(root, "reason", nr__report_jstr(run->reason));
		for (i = 0; i < n; i++) {
			const struct nr_case_rec *c = &cases[i];
			json_t *o = json_object();
			char *start = fmt_time(c->started_us), *end = fmt_time(c->finished_us);

			json_object_set_new(o, "ordinal", json_integer(c->ordinal));
			json_object_set_new(o, "test", json_string(c->test));
			json_object_set_new(o, "case", json_string(c->key));
			json_object_set_new(o, "id", json_string(c->id));
			json_object_set_new(o, "status", json_string(nr_case_status_name(c->status)));
			json_object_set_new(o, "repeats", json_integer(c->repeats));
			json_object_set_new(o, "repeats_done", json_integer(c->repeats_done));
			json_object_set_new(o, "attempts", json_integer(c->attempts));
			json_object_set_new(o, "start", *start ? json_string(start) : json_null());
			json_object_set_new(o, "end", *end ? json_string(end) : json_null());
			json_object_set_new(o, "ping_count", json_integer(c->ping_count));
			json_object_set_new(o, "ssh_check_count", json_integer(c->ssh_check_count));
			json_object_set_new(o, "hosts", c->hosts ? json_loads(c->hosts, 0, NULL) : json_null());
			json_object_set_new(o, "params", json_loads(c->params ? c->params : "{}", 0, NULL));
			json_object_set_new(o, "error", nr__report_jstr(c->error));
			json_array_append_new(arr, o);
			free(start);
			free(end);
		}
		json_object_set_new(root, "cases", arr);
		if (with_events) {
			json_object_set_new(root, "controller", nr__report_controller_json(run));
			json_object_set_new(root, "events", nr__report_events_json(events, n_events));
		}
		s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		nr_buf_adds(out, s);
		nr_buf_addch(out, '\n');
		free(s);
		json_decref(root);
		return;
	}
	{
		struct table t = { .ncols = 6,
				   .head = { "#", "case", "status", "repeats", "attempts", "time / error" },
				   .right = { true, false, false, true, true, false } };

		for (i = 0; i < n; i++) {
			const struct nr_case_rec *c = &cases[i];
			char *cells[6], b[40];

			cells[0] = nr_xasprintf("%lld", (long long)c->ordinal);
			cells[1] = nr_str_escaped(c->key);
			cells[2] = nr_str_escaped(nr_case_status_name(c->status));
			/* a case passed with fewer than planned stopped early: adaptive repeats */
			if (c->status == NR_CASE_PASSED && c->repeats_done < c->repeats)
				cells[3] = nr_xasprintf("%d (max %d)", c->repeats_done, c->repeats);
			else
				cells[3] = nr_xasprintf("%d/%d", c->repeats_done, c->repeats);
			cells[4] = nr_xasprintf("%d", c->attempts);
			if (c->error && c->status != NR_CASE_PASSED) {
				size_t len = strcspn(c->error, "\n");
				struct nr_buf e = NR_BUF_INIT;

				nr_str_escape(&e, c->error, len > 100 ? 100 : len, NULL, 0);
				if (len > 100)
					nr_buf_adds(&e, "...");
				cells[5] = nr_buf_detach(&e, NULL);
			} else if (c->finished_us && c->started_us) {
				cells[5] = nr_xstrdup(nr_fmt_duration(b, sizeof(b),
								      c->finished_us - c->started_us));
			} else {
				cells[5] = nr_xstrdup("");
			}
			table_row(&t, cells);
		}
		table_print(&t, out);
	}
}

void nr_report_run_line(const struct nr_run_rec *run, struct nr_buf *out)
{
	char when[40], status[160];

	nr_buf_addf(out, "run %s  ", run->short_id);
	nr_str_escape(out, run->campaign, strlen(run->campaign), NULL, 0);
	nr_buf_addf(out, "  %s  %lld cases: %lld passed, %lld failed, %lld pending  %s",
		    nr_run_status_text(run, status, sizeof(status)), (long long)run->n_cases,
		    (long long)run->n_passed, (long long)run->n_failed, (long long)run->n_pending,
		    nr_fmt_time(when, sizeof(when), run->started_us));
	if (run->commit) {
		nr_buf_adds(out, "  commit ");
		nr_str_escape(out, run->commit, strnlen(run->commit, 12), NULL, 0);
	}
	if (run->branch) {
		nr_buf_adds(out, " (");
		nr_str_escape(out, run->branch, strlen(run->branch), NULL, 0);
		nr_buf_addch(out, ')');
	}
	nr_buf_addch(out, '\n');
}
