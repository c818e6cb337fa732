/*
 * `netrig results --best METRIC`: the best case of each test of a run for
 * one metric, by the metric's better direction, on the median of each
 * case's repeats (as blobcache's CI named its "best configuration").
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "report/report.h"
#include "report/report_int.h"

/*
 * Medians that agree to 9 significant digits are a tie: the mean of two
 * middle repeats can differ from an equal one in the last bit.
 */
static bool tied(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static bool better_than(double a, double b, enum nr_better dir)
{
	return dir == NR_BETTER_HIGHER ? a > b : a < b;
}

/*
 * The entry of (test, role) in b: a test's first role takes the entry its
 * test was listed with; another role gets one of its own beside it. role
 * NULL: the test's first entry, added (without a role) when none is there.
 */
static struct nr_best_test *entry(struct nr_best *b, size_t *cap, const char *test,
				  const char *role)
{
	size_t i, at = b->n;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->v[i].test, test))
			continue;
		if (!role || (b->v[i].role && !strcmp(b->v[i].role, role)))
			return &b->v[i];
		if (!b->v[i].role) {
			b->v[i].role = role;
			return &b->v[i];
		}
		at = i + 1;
	}
	NR_GROW(b->v, b->n + 1, *cap);
	memmove(&b->v[at + 1], &b->v[at], (b->n - at) * sizeof(*b->v));
	memset(&b->v[at], 0, sizeof(b->v[at]));
	b->v[at].test = test;
	b->v[at].role = role;
	b->n++;
	return &b->v[at];
}

static int no_metric(const struct nr_result_row *rows, size_t n, const char *run_id,
		     const char *metric, struct nr_diag *d)
{
	const char **names = nr_xcalloc(n + 1, sizeof(*names));
	struct nr_buf all = NR_BUF_INIT;
	const char *guess;
	size_t i, j, k = 0;
	int r;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k && strcmp(names[j], rows[i].id.metric); j++)
			;
		if (j == k)
			names[k++] = rows[i].id.metric;
	}
	for (i = 0; i < k && i < 20; i++)
		nr_buf_addf(&all, "%s%s", i ? ", " : "", names[i]);
	if (k > 20)
		nr_buf_addf(&all, " and %zu more", k - 20);
	guess = nr_did_you_mean(metric, names, k);
	if (guess)
		r = nr_diagf(d, NR_ENOTFOUND, "run %.13s has no samples of metric '%s' (did you mean '%s'?)",
			     run_id, metric, guess);
	else
		r = nr_diagf(d, NR_ENOTFOUND, "run %.13s has no samples of metric '%s' (its metrics: %s)",
			     run_id, metric, k ? all.buf : "none");
	nr_buf_release(&all);
	free(names);
	return r;
}

int nr_report_best_pick(const struct nr_run_rec *run, const struct nr_case_rec *cases,
			size_t n_cases, const struct nr_result_row *rows, size_t n, const char *metric,
			enum nr_better force, struct nr_best *ret, struct nr_diag *d)
{
	struct nr_best b = { .metric = metric };
	struct nr_strset status = NR_STRSET_INIT;
	size_t cap = 0, i, found = 0, id;
	int r = 0;

	for (i = 0; i < n_cases; i++)
		nr_strset_add(&status, cases[i].key, i, NULL);
	/* every test of the run, in plan order, so one without the metric is named */
	for (i = 0; i < n_cases; i++)
		entry(&b, &cap, cases[i].test, NULL);
	for (i = 0; i < n; i++) {
		const struct nr_result_row *x = &rows[i];
		struct nr_best_test *t;
		enum nr_better dir;

		if (strcmp(x->id.metric, metric))
			continue;
		found++;
		t = entry(&b, &cap, x->id.test, x->id.role);
		if (nr_strset_find(&status, x->id.key, &id) && cases[id].status != NR_CASE_PASSED) {
			t->not_passed++; /* a failed or unfinished case is no configuration to pick */
			continue;
		}
		dir = force != NR_BETTER_NONE ? force : x->id.better;
		if (dir == NR_BETTER_NONE) {
			r = nr_diagf(d, NR_EINVAL, "metric '%s' is neither better higher nor lower "
				     "(test '%s' says better: none): say which with --max or --min",
				     metric, x->id.test);
			goto out;
		}
		t->better = dir;
		t->candidates++;
		if (!t->n_best || better_than(x->median, t->best[0]->median, dir)) {
			t->n_best = 0;
		} else if (!tied(x->median, t->best[0]->median)) {
			continue;
		}
		t->best = nr_xrealloc(t->best, (t->n_best + 1) * sizeof(*t->best));
		t->best[t->n_best++] = x;
	}
	if (!found) {
		r = no_metric(rows, n, run->id, metric, d);
		goto out;
	}
	*ret = b;
	memset(&b, 0, sizeof(b));
out:
	nr_strset_release(&status);
	nr_best_release(&b);
	return r;
}

void nr_best_release(struct nr_best *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].best);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static const char *state(const struct nr_best_test *t)
{
	if (!t->role)
		return "missing";
	if (!t->n_best)
		return "none passed";
	return t->n_best > 1 ? "tie" : "best";
}

/* The case's parameters as its key shows them (without "test/"). */
static const char *params_of(const struct nr_result_row *x)
{
	size_t n = strlen(x->id.test);

	if (!strncmp(x->id.key, x->id.test, n) && x->id.key[n] == '/')
		return x->id.key + n + 1;
	return !strcmp(x->id.key, x->id.test) ? "(none)" : x->id.key;
}

static const char *params_json(const struct nr_case_rec *cases, size_t n_cases, const char *key)
{
	size_t i;

	for (i = 0; i < n_cases; i++)
		if (!strcmp(cases[i].key, key))
			return cases[i].params ? cases[i].params : "{}";
	return "{}";
}

static void text_note(const struct nr_best_test *t, const char *metric, struct nr_buf *out)
{
	if (!t->role)
		nr_buf_addf(out, "no %s in this test", metric);
	else if (!t->n_best)
		nr_buf_addf(out, "no passed case has %s", metric);
	else if (t->n_best > 1)
		nr_buf_addf(out, "tie: %zu cases share the best median", t->n_best);
	else
		nr_buf_addf(out, "best of %zu case%s", t->candidates, t->candidates == 1 ? "" : "s");
	if (t->not_passed)
		nr_buf_addf(out, " (%zu not passed, left out)", t->not_passed);
}

static void text(const struct nr_run_rec *run, const struct nr_best *b, struct nr_buf *out)
{
	size_t i, j, w_test = 4, w_case = 10;
	char *metric = nr_str_escaped(b->metric);

	nr_buf_addf(out, "best %s per test, on the median of each passed case's repeats "
			 "(run %s)\n", metric, run->short_id);
	for (i = 0; i < b->n; i++) {
		size_t lt = strlen(b->v[i].test) + (b->v[i].role && strcmp(b->v[i].role, "main")
							? strlen(b->v[i].role) + 3 : 0);

		w_test = lt > w_test ? lt : w_test;
		for (j = 0; j < b->v[i].n_best; j++) {
			size_t lc = strlen(params_of(b->v[i].best[j]));

			w_case = lc > w_case ? lc : w_case;
		}
	}
	w_test = w_test > 40 ? 40 : w_test;
	w_case = w_case > 60 ? 60 : w_case;
	nr_buf_addf(out, "%-*s  %-*s  %-9s %12s %4s  %s\n", (int)w_test, "test", (int)w_case,
		    "parameters", "better", "median", "n", "note");
	for (i = 0; i < b->n; i++) {
		const struct nr_best_test *t = &b->v[i];
		struct nr_buf name = NR_BUF_INIT, note = NR_BUF_INIT;
		char *ename, *enote;

		nr_buf_adds(&name, t->test);
		if (t->role && strcmp(t->role, "main"))
			nr_buf_addf(&name, " (%s)", t->role);
		text_note(t, b->metric, &note);
		ename = nr_str_escaped(name.buf);
		enote = nr_str_escaped(note.buf);
		for (j = 0; j < (t->n_best ? t->n_best : 1); j++) {
			const struct nr_result_row *x = t->n_best ? t->best[j] : NULL;
			char *params = nr_str_escaped(x ? params_of(x) : "-");
			char v[48] = "-", nb[24] = "-";

			if (x) {
				nr_fmt_value(v, sizeof(v), x->median, x->id.unit);
				snprintf(nb, sizeof(nb), "%zu", x->n);
			}
			nr_buf_addf(out, "%-*s  %-*s  %-9s %12s %4s  %s\n", (int)w_test, ename,
				    (int)w_case, params, t->n_best ? nr_better_name(t->better) : "-",
				    v, nb, enote);
			free(params);
		}
		free(ename);
		free(enote);
		nr_buf_release(&name);
		nr_buf_release(&note);
	}
	free(metric);
}

static void csv(const struct nr_run_rec *run, const struct nr_best *b,
		const struct nr_case_rec *cases, size_t n_cases, struct nr_buf *out)
{
	static const char *const head[] = { "run", "test", "role", "state", "case", "params",
					    "metric", "unit", "better", "median", "n", "tied",
					    "candidates", "not_passed" };
	size_t i, j;

	for (i = 0; i < NR_ARRAY_SIZE(head); i++)
		nr__report_csv_field(out, head[i], i + 1 == NR_ARRAY_SIZE(head));
	for (i = 0; i < b->n; i++) {
		const struct nr_best_test *t = &b->v[i];

		for (j = 0; j < (t->n_best ? t->n_best : 1); j++) {
			const struct nr_result_row *x = t->n_best ? t->best[j] : NULL;
			char num[40];

			nr__report_csv_field(out, run->id, false);
			nr__report_csv_field(out, t->test, false);
			nr__report_csv_field(out, t->role ? t->role : "", false);
			nr__report_csv_field(out, state(t), false);
			nr__report_csv_field(out, x ? x->id.key : "", false);
			nr__report_csv_field(out, x ? params_json(cases, n_cases, x->id.key) : "", false);
			nr__report_csv_field(out, b->metric, false);
			nr__report_csv_field(out, x ? x->id.unit : "", false);
			nr__report_csv_field(out, t->n_best ? nr_better_name(t->better) : "", false);
			if (x)
				snprintf(num, sizeof(num), "%.17g", x->median);
			nr__report_csv_field(out, x ? num : "", false);
			snprintf(num, sizeof(num), "%zu", x ? x->n : 0);
			nr__report_csv_field(out, x ? num : "", false);
			snprintf(num, sizeof(num), "%zu", t->n_best);
			nr__report_csv_field(out, num, false);
			snprintf(num, sizeof(num), "%zu", t->candidates);
			nr__report_csv_field(out, num, false);
			snprintf(num, sizeof(num), "%zu", t->not_passed);
			nr__report_csv_field(out, num, true);
		}
	}
}

static void json(const struct nr_run_rec *run, const struct nr_best *b,
		 const struct nr_case_rec *cases, size_t n_cases, struct nr_buf *out)
{
	json_t *root = json_object(), *tests = json_array();
	size_t i, j;
	char *s;

	json_object_set_new(root, "schema", json_string("netrig.best/1"));
	json_object_set_new(root, "run", json_string(run->id));
	json_object_set_new(root, "campaign", nr__report_jstr(run->campaign));
	json_object_set_new(root, "metric", nr__report_jstr(b->metric));
	for (i = 0; i < b->n; i++) {
		const struct nr_best_test *t = &b->v[i];
		json_t *o = json_object(), *best = json_array();

		json_object_set_new(o, "test", nr__report_jstr(t->test));
		json_object_set_new(o, "role", t->role ? nr__report_jstr(t->role) : json_null());
		json_object_set_new(o, "state", json_string(state(t)));
		json_object_set_new(o, "better", t->n_best ? json_string(nr_better_name(t->better))
							   : json_null());
		json_object_set_new(o, "candidates", json_integer((json_int_t)t->candidates));
		json_object_set_new(o, "not_passed", json_integer((json_int_t)t->not_passed));
		for (j = 0; j < t->n_best; j++) {
			const struct nr_result_row *x = t->best[j];
			json_t *c = json_object();

			json_object_set_new(c, "case", nr__report_jstr(x->id.key));
			json_object_set_new(c, "params",
					    json_loads(params_json(cases, n_cases, x->id.key), 0, NULL));
			json_object_set_new(c, "unit", nr__report_jstr(x->id.unit));
			json_object_set_new(c, "median", json_real(x->median));
			json_object_set_new(c, "n", json_integer((json_int_t)x->n));
			json_array_append_new(best, c);
		}
		json_object_set_new(o, "best", best);
		json_array_append_new(tests, o);
	}
	json_object_set_new(root, "tests", tests);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	nr_buf_adds(out, s);
	nr_buf_addch(out, '\n');
	free(s);
	json_decref(root);
}

void nr_report_best(const struct nr_run_rec *run, const struct nr_best *b,
		    const struct nr_case_rec *cases, size_t n_cases, enum nr_report_format fmt,
		    struct nr_buf *out)
{
	if (fmt == NR_REPORT_CSV)
		csv(run, b, cases, n_cases, out);
	else if (fmt == NR_REPORT_JSON)
		json(run, b, cases, n_cases, out);
	else
		text(run, b, out);
}
