/*
 * What a campaign's comparisons will be able to detect, before it runs:
 * each series' noise from the repeats of its past runs, and from it the
 * change a comparison with the planned repeats finds and the repeats it
 * would need for the series' threshold (netrig plan --power).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "compare/compare.h"

/* Past runs a series' noise is pooled over (the most recent). */
#define POWER_RUNS 10

struct acc {
	double ss, df; /* Σ squared deviations of the logs, their df */
	size_t runs;
};

/* The within-run variance of the logs of one run's repeats into *a. */
static void add_run(struct acc *a, const double *v, size_t n)
{
	double mean = 0, ss = 0;
	size_t i;

	if (n < 2 || a->runs >= POWER_RUNS)
		return;
	for (i = 0; i < n; i++) {
		if (!(v[i] > 0))
			return; /* the log scale needs positive values: no estimate */
		mean += log(v[i]);
	}
	mean /= (double)n;
	for (i = 0; i < n; i++)
		ss += (log(v[i]) - mean) * (log(v[i]) - mean);
	a->ss += ss;
	a->df += (double)n - 1;
	a->runs++;
}

static int cmp_rows_newest(const void *a, const void *b)
{
	const struct nr_sample_row *x = a, *y = b;
	int c = nr_series_order(&x->id, &y->id);

	/* within a series, newest run first (run ids are time-ordered) */
	return c ? c : strcmp(y->run_id, x->run_id);
}

static struct nr_power_series *find_case(struct nr_power_plan *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].id.key, key))
			return &p->v[i];
	return NULL;
}

int nr_compare_power_plan(struct nr_store *st, const struct nr_power_opts *o,
			  struct nr_power_plan *ret, struct nr_diag *d)
{
	struct nr_power_plan p = { 0 };
	struct nr_sample_row *rows = NULL;
	size_t n_rows = 0, cap = 0, i, j, k, vcap = 0, family = 0;
	double *one = NULL, *var = NULL, *df = NULL;
	int r = 0;

	if (st && (r = nr_store_samples_history(st, o->campaign, 0, &rows, &n_rows, d)) < 0)
		goto out;
	if (n_rows)
		qsort(rows, n_rows, sizeof(*rows), cmp_rows_newest);
	/* one entry per series of a planned case, noise pooled over its runs */
	for (i = 0; i < n_rows;) {
		const struct nr_sample_row *first = &rows[i];
		struct nr_power_series *s;
		struct acc a = { 0 };
		size_t planned;

		for (j = i; j < n_rows && !nr_series_order(&rows[j].id, &first->id); j++)
			;
		for (planned = 0; planned < o->n_cases; planned++)
			if (!strcmp(o->cases[planned].key, first->id.key))
				break;
		if (planned < o->n_cases) {
			for (k = i; k < j;) {
				size_t m = 0, e = k;

				while (e < j && !strcmp(rows[e].run_id, rows[k].run_id))
					e++;
				NR_GROW(one, e - k, vcap);
				for (; k < e; k++)
					one[m++] = rows[k].value;
				add_run(&a, one, m);
			}
			NR_GROW(p.v, p.n + 1, cap);
			s = &p.v[p.n++];
			memset(s, 0, sizeof(*s));
			nr_series_copy(&s->id, &first->id);
			s->repeats = o->cases[planned].repeats;
			s->threshold = o->threshold;
			{
				double crit = 2 * o->threshold;

				nr_campaign_thresholds(o->camp, first->id.test, first->id.metric,
						       &s->threshold, &crit);
			}
			s->runs = a.runs;
			s->history_df = a.df;
			s->noise = a.df > 0 ? sqrt(a.ss / a.df) : NAN;
		}
		i = j;
	}
	/* planned cases with no history at all: listed, nothing estimated */
	for (i = 0; i < o->n_cases; i++) {
		struct nr_power_series *s;

		if (find_case(&p, o->cases[i].key))
			continue;
		NR_GROW(p.v, p.n + 1, cap);
		s = &p.v[p.n++];
		memset(s, 0, sizeof(*s));
		s->id.key = nr_xstrdup(o->cases[i].key);
		s->id.test = nr_xstrdup(o->cases[i].test);
		s->repeats = o->cases[i].repeats;
		s->noise = NAN;
		s->no_history = true;
	}
	/* the comparison's family: every planned series (one a case without history) */
	family = p.n;
	p.family = family;
	/*
	 * What a comparison would borrow: per metric with enough series, the
	 * empirical-Bayes prior of their (precise) history variances, capped
	 * at the df the comparison itself would have, as the family fit does.
	 */
	var = nr_xcalloc(p.n + 1, sizeof(*var));
	df = nr_xcalloc(p.n + 1, sizeof(*df));
	for (i = 0; i < p.n; i++) {
		struct nr_power_series *s = &p.v[i];
		double s02, d0, cmp_df = 0;
		size_t m = 0;

		if (!isfinite(s->noise) || s->prior_done)
			continue;
		for (j = i; j < p.n; j++) {
			struct nr_power_series *x = &p.v[j];

			if (!x->id.metric || strcmp(x->id.metric, s->id.metric) || !isfinite(x->noise))
				continue;
			var[m] = x->noise * x->noise;
			df[m++] = x->history_df;
			cmp_df += 2.0 * (double)x->repeats - 2;
		}
		d0 = 0;
		if (m >= NR_ANALYSIS_EB_MIN_SERIES) {
			nr_analysis_prior_fit(var, df, m, &s02, &d0);
			if (d0 > cmp_df)
				d0 = cmp_df;
		}
		for (j = i; j < p.n; j++) {
			struct nr_power_series *x = &p.v[j];

			if (x->id.metric && !strcmp(x->id.metric, s->id.metric) && isfinite(x->noise)) {
				x->prior_df = d0;
				x->prior_done = true;
			}
		}
	}
	for (i = 0; i < p.n; i++) {
		struct nr_power_series *s = &p.v[i];

		if (!isfinite(s->noise) || s->noise <= 0 || s->repeats < 2) {
			s->detectable = NAN;
			continue;
		}
		s->detectable = nr_analysis_detectable_change(s->noise, s->repeats, s->prior_df, family,
							      o->alpha, o->power);
		s->repeats_needed = nr_analysis_repeats_needed(s->noise, s->threshold, s->prior_df,
							       family, o->alpha, o->power);
		if (s->repeats_needed && s->repeats_needed < o->min_repeats)
			s->repeats_needed = o->min_repeats;
	}
	*ret = p;
	memset(&p, 0, sizeof(p));
out:
	free(one);
	free(var);
	free(df);
	nr_sample_rows_free(rows, n_rows);
	nr_power_plan_release(&p);
	return r;
}

void nr_power_plan_release(struct nr_power_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		nr_series_release(&p->v[i].id);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
