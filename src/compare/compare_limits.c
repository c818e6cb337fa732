/*
 * A run's series against the absolute limits of its campaign (`limits:`).
 *
 * Each series (case x role x metric) is judged on the median of its
 * repeats, for a max as for a min. A limit states what the case does
 * typically; judged on every repeat instead, one hiccup of a shared
 * machine in any repeat would fail it, and the more repeats a campaign
 * ran the likelier that would be: the gate would punish care. A metric
 * that is itself a tail (latency_p99_us) already carries the tail of
 * each repeat; the report gives, beside the median, the worst repeat and
 * how many repeats were past the bound, so a breach by one outlier and a
 * breach by all are told apart.
 */
#include "compare/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"

struct row_ref {
	const struct nr_sample_row *row;
};

static int cmp_refs(const void *a, const void *b)
{
	const struct row_ref *x = a, *y = b;

	return nr_series_order(&x->row->id, &y->row->id);
}

static int cmp_checks(const void *a, const void *b)
{
	const struct nr_limit_check *x = a, *y = b;
	int c;

	if (x->breached != y->breached)
		return x->breached ? -1 : 1;
	if (x->breached && x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	c = nr_series_order(&x->id, &y->id);
	if (c)
		return c;
	return (int)x->is_max - (int)y->is_max;
}

static void check_bound(struct nr_limits *out, size_t *cap, const struct nr_series *id,
			const struct nr_limit_bound *b, bool is_max, const double *sorted, size_t n,
			double median)
{
	struct nr_limit_check *k;
	size_t i;

	NR_GROW(out->v, out->n + 1, *cap);
	k = &out->v[out->n++];
	memset(k, 0, sizeof(*k));
	nr_series_copy(&k->id, id);
	k->is_max = is_max;
	k->limit = b->value;
	k->limit_text = nr_xstrdup(b->text);
	/* a plain number is in the metric's own unit */
	k->limit_unit = nr_xstrdup(b->unit ? b->unit : id->unit ? id->unit : "");
	k->value = median;
	k->n = n;
	k->worst = is_max ? sorted[n - 1] : sorted[0];
	k->severity = b->warning ? NR_SEVERITY_WARNING : NR_SEVERITY_CRITICAL;
	k->unit_mismatch = b->unit && strcmp(b->unit, id->unit ? id->unit : "");
	if (k->unit_mismatch) {
		k->breached = true;
		k->excess = NAN;
		k->excess_rel = NAN;
		k->n_beyond = n;
		return;
	}
	for (i = 0; i < n; i++)
		k->n_beyond += is_max ? sorted[i] > b->value : sorted[i] < b->value;
	k->excess = is_max ? median - b->value : b->value - median;
	k->breached = k->excess > 0;
	k->excess_rel = b->value != 0 ? k->excess / fabs(b->value) : NAN;
}

void nr_limits_judge(const struct nr_campaign *c, const struct nr_sample_row *rows, size_t n,
		     struct nr_limits *ret)
{
	struct nr_limits out = { 0 };
	struct row_ref *refs;
	double *vals;
	size_t m = 0, cap = 0, i, j;

	memset(ret, 0, sizeof(*ret));
	if (!c || !c->n_limits || !n)
		return;
	refs = nr_xcalloc(n, sizeof(*refs));
	vals = nr_xcalloc(n, sizeof(*vals));
	for (i = 0; i < n; i++)
		if (rows[i].interval < 0)
			refs[m++].row = &rows[i];
	if (m)
		qsort(refs, m, sizeof(*refs), cmp_refs);
	for (i = 0; i < m; i = j) {
		const struct nr_series *id = &refs[i].row->id;
		const struct nr_limit_bound *lo, *hi;
		double median;
		size_t k = 0;

		for (j = i; j < m && !cmp_refs(&refs[i], &refs[j]); j++)
			vals[k++] = refs[j].row->value;
		nr_campaign_limits(c, id->test, id->metric, &lo, &hi);
		if (!lo && !hi)
			continue;
		/* the same median `netrig results` shows */
		nr_analysis_sort(vals, k);
		median = nr_analysis_quantile_sorted(vals, k, 0.5);
		out.series++;
		if (lo)
			check_bound(&out, &cap, id, lo, false, vals, k, median);
		if (hi)
			check_bound(&out, &cap, id, hi, true, vals, k, median);
	}
	for (i = 0; i < out.n; i++)
		out.breached += out.v[i].breached;
	if (out.n)
		qsort(out.v, out.n, sizeof(*out.v), cmp_checks);
	free(refs);
	free(vals);
	*ret = out;
}

int nr_compare_limits(struct nr_store *st, const struct nr_run_rec *run,
		      const struct nr_sample_row *given, size_t n_given, struct nr_limits *ret,
		      struct nr_diag *d)
{
	const char *path = run->campaign_path ? run->campaign_path : run->campaign;
	struct nr_campaign *camp = NULL;
	struct nr_sample_row *rows = NULL;
	size_t n = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!run->config)
		return 0;
	r = nr_campaign_load_thresholds(path, run->config, &camp, d);
	if (r < 0)
		return nr_diagf(d, r, "the campaign stored with run %s (its limits)", run->short_id);
	if (camp->n_limits && !given && (r = nr_store_samples_list(st, run->id, false, &rows, &n, d)) < 0)
		goto out;
	nr_limits_judge(camp, given ? given : rows, given ? n_given : n, ret);
	r = 0;
out:
	nr_sample_rows_free(rows, n);
	nr_campaign_free(camp);
	return r;
}

void nr_limits_release(struct nr_limits *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		nr_series_release(&l->v[i].id);
		free(l->v[i].limit_text);
		free(l->v[i].limit_unit);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

bool nr_limits_fail(const struct nr_limits *l, enum nr_analysis_severity fail_on)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].breached && l->v[i].severity >= fail_on)
			return true;
	return false;
}
