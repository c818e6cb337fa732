/* A run's report for people and machines: status, results, verdicts. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "report/report.h"
#include "report/report_int.h"

enum nr_verdict nr_report_verdict_of(const struct nr_report_run *r)
{
	const struct nr_limits *lim = r->limits ? r->limits : r->cmp ? &r->cmp->limits : NULL;

	if (r->run->status != NR_RUN_PASSED)
		return NR_VERDICT_RUN;
	if (lim && nr_limits_fail(lim, NR_SEVERITY_WARNING))
		return NR_VERDICT_LIMIT;
	if ((r->cmp && nr_comparison_regressed(r->cmp, NR_SEVERITY_WARNING)) ||
	    (r->paired && nr_comparison_regressed(r->paired, NR_SEVERITY_WARNING)))
		return NR_VERDICT_REGRESSION;
	return NR_VERDICT_PASSED;
}

const char *nr_report_verdict(const struct nr_report_run *r)
{
	switch (nr_report_verdict_of(r)) {
	case NR_VERDICT_LIMIT:
		return "limit";
	case NR_VERDICT_REGRESSION:
		return "regression";
	case NR_VERDICT_PASSED:
		return "passed";
	default:
		return nr_run_status_name(r->run->status);
	}
}

bool nr__report_case_optional(const struct nr_report_run *r, const struct nr_case_rec *c)
{
	json_t *roles = c->hosts ? json_loads(c->hosts, 0, NULL) : NULL, *v;
	const char *role;
	bool optional = false;
	size_t i;

	json_object_foreach(roles, role, v)
		for (i = 0; i < r->n_hosts && json_is_string(v); i++)
			if (r->hosts[i].optional && !strcmp(r->hosts[i].name, json_string_value(v)))
				optional = true;
	json_decref(roles);
	return optional;
}

static void md_report(const struct nr_report_run *r, struct nr_buf *out)
{
	const struct nr_run_rec *run = r->run;
	enum nr_verdict verdict = nr_report_verdict_of(r);
	size_t i, failed = 0;
	char when[40];

	for (i = 0; i < r->n_cases; i++)
		failed += r->cases[i].status == NR_CASE_FAILED;
	/* one heading, one verdict: the comparison below has none of its own */
	nr_buf_adds(out, "## netrig: ");
	nr__report_md_text(out, run->campaign);
	nr_buf_addf(out, " %s\n\n",
		    verdict == NR_VERDICT_PASSED       ? ":white_check_mark: passed"
		    : verdict == NR_VERDICT_REGRESSION ? ":x: regressions found"
		    : verdict == NR_VERDICT_LIMIT      ? ":x: limits breached"
		    : run->status == NR_RUN_FAILED     ? ":x: failed"
						       : nr_run_status_name(run->status));
	nr_buf_addf(out, "Run `%s` started %s", run->short_id, nr_fmt_time(when, sizeof(when), run->started_us));
	if (run->commit) {
		char commit[13];

		snprintf(commit, sizeof(commit), "%s", run->commit);
		nr_buf_adds(out, ", commit ");
		nr__report_md_code(out, commit, false);
	}
	if (run->branch) {
		nr_buf_adds(out, " on ");
		nr__report_md_code(out, run->branch, false);
	}
	nr_buf_addf(out, ": %zu cases, %zu failed.", r->n_cases, failed);
	/* a passed run has a reason only when cases on optional hosts failed */
	if (run->reason) {
		nr_buf_addch(out, ' ');
		nr__report_md_text(out, run->reason);
		nr_buf_addch(out, '.');
	}
	nr_buf_adds(out, "\n\n");
	if (failed) {
		nr_buf_adds(out, "### Failed cases\n\n| case | attempts | error |\n|---|---:|---|\n");
		for (i = 0; i < r->n_cases; i++) {
			if (r->cases[i].status != NR_CASE_FAILED)
				continue;
			nr_buf_adds(out, "| ");
			nr__report_md_code(out, r->cases[i].key, true);
			if (nr__report_case_optional(r, &r->cases[i]))
				nr_buf_adds(out, " (optional host: does not fail the run)");
			nr_buf_addf(out, " | %d | ", r->cases[i].attempts);
			nr__report_md_text(out, r->cases[i].error);
			nr_buf_adds(out, " |\n");
		}
		nr_buf_addch(out, '\n');
	}
	if (r->limits)
		nr__report_limits_md(r->limits, "###", out);
	nr__report_probes_md(r, out);
	if (r->cmp) {
		nr_buf_adds(out, "### Against the baseline\n\n");
		nr__report_comparison_md_body(r->cmp, "####", out);
	} else if (r->cmp_missing) {
		nr_buf_addf(out, "> No comparison: %s.\n\n", r->cmp_missing);
	}
	if (r->paired) {
		nr_buf_adds(out, "### Variants\n\n");
		nr__report_comparison_md_body(r->paired, "####", out);
	}
	nr_buf_adds(out, "<details><summary>Results</summary>\n\n"
			 "| case | metric | median | min | max | n |\n|---|---|---:|---:|---:|---:|\n");
	for (i = 0; i < r->n_results; i++) {
		const struct nr_result_row *x = &r->results[i];
		char m[40], lo[40], hi[40];

		nr_buf_adds(out, "| ");
		nr__report_md_code(out, x->id.key, true);
		nr_buf_adds(out, " | ");
		nr__report_md_text(out, x->id.metric);
		nr_buf_addf(out, " | %s | %s | %s | %zu |\n",
			    nr_fmt_value(m, sizeof(m), x->median, x->id.unit),
			    nr_fmt_value(lo, sizeof(lo), x->min, x->id.unit),
			    nr_fmt_value(hi, sizeof(hi), x->max, x->id.unit), x->n);
	}
	nr_buf_adds(out, "\n</details>\n");
	if (r->changes && r->changes->n) {
		nr_buf_adds(out, "\n");
		nr__report_changes_md(r->changes, "### History:", out);
	}
}

/* The comparison's verdict on one case and metric, or NULL. */
static const struct nr_series_cmp *verdict(const struct nr_report_run *r,
					   const struct nr_series *id)
{
	size_t i;

	for (i = 0; r->cmp && i < r->cmp->n; i++)
		if (!nr_series_order(&r->cmp->v[i].id, id))
			return &r->cmp->v[i];
	return NULL;
}

/*
 * One testsuite per test, one testcase per case and metric: a failure for
 * a regression (with a baseline) and for a failed case, a skip for a case
 * that did not run.
 */
static void junit_report(const struct nr_report_run *r, struct nr_buf *out)
{
	size_t i, j, k, failures = 0, tests = 0;
	struct nr_buf body = NR_BUF_INIT;

	for (i = 0; i < r->n_cases;) {
		size_t end = i, nf = 0, nt = 0;
		struct nr_buf suite = NR_BUF_INIT;

		while (end < r->n_cases && !strcmp(r->cases[end].test, r->cases[i].test))
			end++;
		for (j = i; j < end; j++) {
			const struct nr_case_rec *c = &r->cases[j];
			double secs = c->finished_us && c->started_us ? (c->finished_us - c->started_us) / 1e6 : 0;
			bool failed = c->status == NR_CASE_FAILED, any = false;

			for (k = 0; k < r->n_results && !failed; k++) {
				const struct nr_result_row *x = &r->results[k];
				const struct nr_series_cmp *v = verdict(r, &x->id);
				char m[40];

				if (strcmp(x->id.key, c->key))
					continue;
				any = true;
				nt++;
				nr_buf_adds(&suite, "    <testcase classname=\"");
				nr_report_xml_escape(&suite, c->key);
				nr_buf_adds(&suite, "\" name=\"");
				nr_report_xml_escape(&suite, x->id.metric);
				if (strcmp(x->id.role, "main")) {
					nr_buf_adds(&suite, " @");
					nr_report_xml_escape(&suite, x->id.role);
				}
				nr_buf_addf(&suite, "\" time=\"%.3f\">", secs);
				if (r->limits)
					nr__report_limits_junit(r->limits, &x->id, &suite, &nf);
				if (v && v->presence == NR_IN_BOTH && v->r.outcome == NR_OUTCOME_REGRESSION) {
					struct nr_buf msg = NR_BUF_INIT;

					nf++;
					nr_buf_adds(&suite, "<failure type=\"regression\" message=\"");
					nr__report_regression_message(v, &msg);
					nr_report_xml_escape(&suite, msg.buf);
					nr_buf_release(&msg);
					nr_buf_adds(&suite, "\">");
					nr_report_xml_escape(&suite, v->context ? v->context : "");
					nr_buf_adds(&suite, "</failure>");
				}
				nr_buf_adds(&suite, "<system-out>median ");
				nr_fmt_value(m, sizeof(m), x->median, x->id.unit);
				nr_report_xml_escape(&suite, m);
				nr_buf_addf(&suite, " over %zu repeats", x->n);
				if (v && v->presence == NR_IN_BOTH)
					nr_buf_addf(&suite, "; %s against the baseline",
						    nr_analysis_outcome_name(v->r.outcome));
				if (v && v->presence == NR_IN_BOTH && v->r.tested)
					nr_buf_addf(&suite, " (p %.3g, adjusted %.3g)", v->r.p_value,
						    v->r.p_adjusted);
				nr_buf_adds(&suite, "</system-out></testcase>\n");
			}
			if (any)
				continue;
			nt++;
			nr_buf_adds(&suite, "    <testcase classname=\"");
			nr_report_xml_escape(&suite, c->key);
			nr_buf_addf(&suite, "\" name=\"case\" time=\"%.3f\"", secs);
			if (failed) {
				nf++;
				nr_buf_adds(&suite, "><failure type=\"case failed\" message=\"");
				nr_report_xml_escape(&suite, c->error ? c->error : "failed");
				nr_buf_adds(&suite, "\"/></testcase>\n");
			} else if (c->status != NR_CASE_PASSED) {
				nr_buf_adds(&suite, "><skipped message=\"not run\"/></testcase>\n");
			} else {
				nr_buf_adds(&suite, "/>\n");
			}
		}
		nr_buf_adds(&body, "  <testsuite name=\"");
		nr_report_xml_escape(&body, r->cases[i].test);
		nr_buf_addf(&body, "\" tests=\"%zu\" failures=\"%zu\">\n", nt, nf);
		nr_buf_add(&body, suite.buf, suite.len);
		nr_buf_adds(&body, "  </testsuite>\n");
		nr_buf_release(&suite);
		failures += nf;
		tests += nt;
		i = end;
	}
	if (r->paired) {
		/* the variants compared pair by pair: a suite of their own */
		size_t nf = r->paired->counts[NR_OUTCOME_REGRESSION];

		nr_buf_adds(&body, "  <testsuite name=\"variants: ");
		nr_report_xml_escape(&body, r->paired->cand_variant);
		nr_buf_adds(&body, " against ");
		nr_report_xml_escape(&body, r->paired->base_variant);
		nr_buf_addf(&body, "\" tests=\"%zu\" failures=\"%zu\">\n", r->paired->n, nf);
		nr__report_paired_junit_cases(r->paired, &body);
		nr_buf_adds(&body, "  </testsuite>\n");
		failures += nf;
		tests += r->paired->n;
	}
	nr_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"netrig ");
	nr_report_xml_escape(out, r->run->campaign);
	nr_buf_addf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", tests, failures);
	nr_buf_add(out, body.buf, body.len);
	nr_buf_adds(out, "</testsuites>\n");
	nr_buf_release(&body);
}

/* Every sample of the run, one row each (CSV). */
static void samples_csv(const struct nr_report_run *r, struct nr_buf *out)
{
	size_t i;

	nr_buf_adds(out, "run,test,case,role,metric,unit,repeat,attempt,value\r\n");
	for (i = 0; i < r->n_samples; i++) {
		const struct nr_sample_row *x = &r->samples[i];

		nr__report_csv_field(out, r->run->id, false);
		nr__report_csv_field(out, x->id.test, false);
		nr__report_csv_field(out, x->id.key, false);
		nr__report_csv_field(out, x->id.role, false);
		nr__report_csv_field(out, x->id.metric, false);
		nr__report_csv_field(out, x->id.unit, false);
		nr_buf_addf(out, "%d,%d,%.17g\r\n", x->repeat, x->attempt, x->value);
	}
}

static void json_report(const struct nr_report_run *r, struct nr_buf *out)
{
	struct nr_buf part = NR_BUF_INIT;
	json_t *root, *x;
	char *s;

	/* the parts have their own JSON writers: assemble from them */
	nr_report_status(r->run, r->cases, r->n_cases, NR_REPORT_JSON, &part);
	root = json_loads(part.buf, 0, NULL);
	nr_buf_reset(&part);
	nr_report_results(r->run, r->results, r->n_results, NR_REPORT_JSON, &part);
	x = json_loads(part.buf, 0, NULL);
	json_object_set_new(root, "schema", json_string("netrig.report/1"));
	json_object_set_new(root, "commit", nr__report_jstr(r->run->commit));
	json_object_set_new(root, "branch", nr__report_jstr(r->run->branch));
	json_object_set_new(root, "labels", json_loads(r->run->labels ? r->run->labels : "{}", 0, NULL));
	json_object_set(root, "results", json_object_get(x, "results"));
	json_decref(x);
	if (r->n_hosts) {
		json_t *hosts = json_array();
		size_t i;

		for (i = 0; i < r->n_hosts; i++) {
			json_t *h = json_object();

			json_object_set_new(h, "name", json_string(r->hosts[i].name));
			json_object_set_new(h, "transport", json_string(r->hosts[i].transport));
			json_object_set_new(h, "address", nr__report_jstr(r->hosts[i].address ? r->hosts[i].address : ""));
			json_object_set_new(h, "labels", json_loads(r->hosts[i].labels ? r->hosts[i].labels : "{}",
								    0, NULL));
			json_object_set_new(h, "optional", json_boolean(r->hosts[i].optional));
			json_object_set_new(h, "sysinfo", r->hosts[i].sysinfo ? json_loads(r->hosts[i].sysinfo, 0, NULL)
									       : json_null());
			json_array_append_new(hosts, h);
		}
		json_object_set_new(root, "hosts", hosts);
	}
	json_object_set_new(root, "verdict", json_string(nr_report_verdict(r)));
	if (r->limits)
		json_object_set_new(root, "limits", nr__report_limits_json(r->limits));
	if (r->cmp) {
		nr_buf_reset(&part);
		nr_report_comparison(r->cmp, NR_REPORT_JSON, &part);
		json_object_set_new(root, "comparison", json_loads(part.buf, 0, NULL));
	} else if (r->cmp_missing) {
		json_object_set_new(root, "comparison", json_null());
		json_object_set_new(root, "comparison_missing", json_string(r->cmp_missing));
	}
	if (r->paired) {
		nr_buf_reset(&part);
		nr_report_comparison(r->paired, NR_REPORT_JSON, &part);
		json_object_set_new(root, "variants", json_loads(part.buf, 0, NULL));
	}
	if (r->changes) {
		nr_buf_reset(&part);
		nr_report_changes(r->changes, NR_REPORT_JSON, &part);
		json_object_set_new(root, "changes", json_loads(part.buf, 0, NULL));
	}
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	nr_buf_adds(out, s);
	nr_buf_addch(out, '\n');
	free(s);
	json_decref(root);
	nr_buf_release(&part);
}

void nr_report_run(const struct nr_report_run *r, enum nr_report_format fmt, struct nr_buf *out)
{
	switch (fmt) {
	case NR_REPORT_MD:
		md_report(r, out);
		break;
	case NR_REPORT_JUNIT:
		junit_report(r, out);
		break;
	case NR_REPORT_JSON:
		json_report(r, out);
		break;
	case NR_REPORT_CSV:
		/* the status sheet, the results, the samples: blank lines between */
		nr_report_status(r->run, r->cases, r->n_cases, NR_REPORT_CSV, out);
		nr_buf_adds(out, "\r\n");
		nr_report_results(r->run, r->results, r->n_results, NR_REPORT_CSV, out);
		nr_buf_adds(out, "\r\n");
		samples_csv(r, out);
		if (r->limits) {
			nr_buf_adds(out, "\r\n");
			nr_report_limits(r->limits, r->run->id, NR_REPORT_CSV, out);
		}
		break;
	default:
		nr_report_run_line(r->run, out);
		nr_report_status(r->run, r->cases, r->n_cases, NR_REPORT_TEXT, out);
		nr_buf_addch(out, '\n');
		nr_report_results(r->run, r->results, r->n_results, NR_REPORT_TEXT, out);
		/* a comparison shows its candidate's limits itself */
		if (r->limits && r->limits->n && !r->cmp) {
			nr_buf_addch(out, '\n');
			nr_report_limits(r->limits, r->run->id, NR_REPORT_TEXT, out);
		}
		if (r->cmp) {
			nr_buf_addch(out, '\n');
			nr_report_comparison(r->cmp, NR_REPORT_TEXT, out);
		} else if (r->cmp_missing) {
			nr_buf_addf(out, "\nno comparison: %s\n", r->cmp_missing);
		}
		if (r->paired) {
			nr_buf_addch(out, '\n');
			nr_report_comparison(r->paired, NR_REPORT_TEXT, out);
		}
		nr_buf_addf(out, "\nverdict: %s\n", nr_report_verdict(r));
		if (r->changes && r->changes->n) {
			nr_buf_addch(out, '\n');
			nr_report_changes(r->changes, NR_REPORT_TEXT, out);
		}
	}
}

int nr_report_dashboard(struct nr_store *st, struct nr_buf *out, struct nr_diag *d)
{
	struct nr_run_filter latest = { .latest_per_campaign = true };
	struct nr_run_rec *runs = NULL;
	json_t *root = json_object(), *arr = json_array();
	size_t n = 0, i;
	char *s, when[40];
	int r;

	if ((r = nr_store_runs_find(st, &latest, &runs, &n, d)) < 0)
		goto out;
	json_object_set_new(root, "schema", json_string("netrig.dashboard/1"));
	json_object_set_new(root, "generated", json_string(nr_fmt_time(when, sizeof(when), nr_wall_us())));
	for (i = 0; i < n; i++) {
		struct nr_sample_row *rows = NULL;
		struct nr_result_row *res = NULL;
		size_t n_rows = 0, n_res = 0, k;
		json_t *o, *results;

		if (runs[i].status == NR_RUN_RUNNING)
			continue;
		if ((r = nr_store_samples_list(st, runs[i].id, false, &rows, &n_rows, d)) < 0)
			goto out;
		nr_report_aggregate(rows, n_rows, &res, &n_res);
		o = json_object();
		json_object_set_new(o, "campaign", nr__report_jstr(runs[i].campaign));
		json_object_set_new(o, "run", json_string(runs[i].id));
		json_object_set_new(o, "status", json_string(nr_run_status_name(runs[i].status)));
		json_object_set_new(o, "started", json_string(nr_fmt_time(when, sizeof(when), runs[i].started_us)));
		json_object_set_new(o, "commit", nr__report_jstr(runs[i].commit));
		json_object_set_new(o, "branch", nr__report_jstr(runs[i].branch));
		json_object_set_new(o, "cases", json_integer(runs[i].n_cases));
		json_object_set_new(o, "failed", json_integer(runs[i].n_failed));
		results = json_array();
		for (k = 0; k < n_res; k++) {
			json_t *x = json_object();

			json_object_set_new(x, "case", json_string(res[k].id.key));
			json_object_set_new(x, "role", json_string(res[k].id.role));
			json_object_set_new(x, "metric", json_string(res[k].id.metric));
			json_object_set_new(x, "unit", json_string(res[k].id.unit));
			json_object_set_new(x, "better",
					    json_string(nr_better_name(res[k].id.better)));
			json_object_set_new(x, "median", json_real(res[k].median));
			json_object_set_new(x, "min", json_real(res[k].min));
			json_object_set_new(x, "max", json_real(res[k].max));
			json_object_set_new(x, "n", json_integer((json_int_t)res[k].n));
			json_array_append_new(results, x);
		}
		json_object_set_new(o, "results", results);
		json_array_append_new(arr, o);
		free(res);
		nr_sample_rows_free(rows, n_rows);
	}
	json_object_set_new(root, "campaigns", arr);
	arr = NULL;
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	nr_buf_adds(out, s);
	nr_buf_addch(out, '\n');
	free(s);
out:
	json_decref(arr);
	json_decref(root);
	nr_runs_free(runs, n);
	return r;
}
