/*
 * The variants of one run, pair by pair (`netrig compare --variants`).
 *
 * A campaign with `variants:` runs each case once per variant, the
 * variants' repeats interleaved (ABBA): repeat i of the baseline's case
 * and repeat i of the candidate's ran back to back. Their ratio keeps the
 * candidate's change and the noise of two measurements, and loses the
 * machine's drift, which two separate runs cannot tell from a change.
 * The verdicts come from the same family test as a comparison of runs,
 * fed the per-pair log ratios (nr_analysis_evidence_paired), so the
 * false-alarm rate and every rule stay as docs/analysis.md states them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "compare/compare_int.h"

/* Resamples of the bootstrap of the median ratio (as nr_analysis_bootstrap_ci's users). */
#define RATIO_RESAMPLES 1000

/* A sample of the run with its case key split into the pair's key and its variant. */
struct prow {
	const struct nr_sample_row *s;
	char *pair_key;
	int variant; /* 0 base, 1 cand */
};

static int cmp_prow(const void *a, const void *b)
{
	const struct prow *x = a, *y = b;
	int c = strcmp(x->pair_key, y->pair_key);

	if (!c)
		c = strcmp(x->s->id.role, y->s->id.role);
	if (!c)
		c = strcmp(x->s->id.metric, y->s->id.metric);
	if (!c)
		c = x->variant - y->variant;
	if (!c)
		c = (x->s->repeat > y->s->repeat) - (x->s->repeat < y->s->repeat);
	return c;
}

static bool same_series(const struct prow *x, const struct prow *y)
{
	return !strcmp(x->pair_key, y->pair_key) && !strcmp(x->s->id.role, y->s->id.role) &&
	       !strcmp(x->s->id.metric, y->s->id.metric);
}

/*
 * The variants of a run, from its cases' keys in plan order: the first
 * seen is the baseline (the plan puts the campaign's first variant
 * first). Returns how many; names[0..2) are malloc'ed when found.
 */
static size_t variant_names(const struct nr_case_rec *cases, size_t n, char *names[2],
			    char **ret_third)
{
	size_t i, k = 0;

	*ret_third = NULL;
	for (i = 0; i < n; i++) {
		char *pair, *v;

		if (!nr_case_key_split(cases[i].key, &pair, &v))
			continue;
		free(pair);
		if ((k > 0 && !strcmp(names[0], v)) || (k > 1 && !strcmp(names[1], v))) {
			free(v);
			continue;
		}
		if (k == 2) {
			if (!*ret_third)
				*ret_third = v;
			else
				free(v);
			k = 3;
			continue;
		}
		names[k++] = v;
	}
	return k;
}

/* Whether the comparison judges this metric (o->metrics, when given). */
static bool wanted(const struct nr_compare_opts *o, const char *metric)
{
	size_t i;

	if (!o->metrics || !o->metrics->n)
		return true;
	for (i = 0; i < o->metrics->n; i++) {
		const char *m = o->metrics->v[i];
		size_t len = strcspn(m, ":"); /* keyvalue's NAME:lower */

		if (strlen(metric) == len && !strncmp(m, metric, len))
			return true;
	}
	return false;
}

bool nr_compare_run_has_variants(struct nr_store *st, const char *run_id)
{
	struct nr_case_rec *cases = NULL;
	size_t n = 0, i;
	bool any = false;

	if (nr_store_cases_list(st, run_id, &cases, &n, NULL) < 0)
		return false;
	for (i = 0; i < n && !any; i++) {
		char *pair, *v;

		if ((any = nr_case_key_split(cases[i].key, &pair, &v))) {
			free(pair);
			free(v);
		}
	}
	nr_cases_free(cases, n);
	return any;
}

/*
 * The value of each repeat of one side, from rows [i, j) of one variant
 * sorted by repeat: the median when a parser gave a metric several
 * times in one repeat. Returns how many repeats; rep[] and val[] hold them.
 */
static size_t per_repeat(const struct prow *p, size_t i, size_t j, int *rep, double *val,
			 double *scratch)
{
	size_t n = 0, k;

	while (i < j) {
		size_t m = 0;

		for (k = i; k < j && p[k].s->repeat == p[i].s->repeat; k++)
			scratch[m++] = p[k].s->value;
		rep[n] = p[i].s->repeat;
		val[n++] = nr_analysis_median(scratch, m);
		i = k;
	}
	return n;
}

/* The signed-rank test and the median ratio's interval of series x. */
static void extras(struct nr_series_cmp *x, const double *b, const double *c, size_t n,
		   double level)
{
	double *d = nr_xcalloc(n + 1, sizeof(*d));
	struct nr_analysis_signed_rank sr;
	bool positive = true;
	size_t i;

	x->paired.signed_rank_p = x->paired.ratio_median = NAN;
	x->paired.ratio_low = x->paired.ratio_high = NAN;
	for (i = 0; i < n; i++)
		positive &= b[i] > 0 && c[i] > 0;
	/* the same differences as the t-test's: log ratios, else differences */
	for (i = 0; i < n; i++)
		d[i] = positive ? log(c[i]) - log(b[i]) : c[i] - b[i];
	if (n && nr_analysis_signed_rank(d, n, &sr) == 0) {
		x->paired.signed_rank_p = sr.p_value;
		x->paired.signed_rank_exact = sr.exact;
	}
	if (n && positive) {
		for (i = 0; i < n; i++)
			d[i] = c[i] / b[i];
		x->paired.ratio_median = nr_analysis_median(d, n);
		if (nr_analysis_bootstrap_median_ci(d, n, RATIO_RESAMPLES, level,
						    NR_ANALYSIS_SEED_DEFAULT, &x->paired.ratio_low,
						    &x->paired.ratio_high) < 0)
			x->paired.ratio_low = x->paired.ratio_high = NAN;
	}
	free(d);
}

int nr_compare_variants(struct nr_store *st, const struct nr_compare_opts *o,
			struct nr_comparison *ret, struct nr_diag *d)
{
	struct nr_comparison c;
	struct nr_run_rec *cand = NULL;
	struct nr_case_rec *cases = NULL;
	struct nr_sample_row *rows = NULL;
	struct nr_campaign *camp = NULL;
	struct prow *p = NULL;
	struct nr__compare_span *sp = NULL;
	struct nr_analysis_evidence *ev = NULL;
	double *bv = NULL, *cv = NULL, *vb = NULL, *vc = NULL, *scratch = NULL;
	int *rb = NULL, *rc = NULL;
	char *names[2] = { NULL, NULL }, *third = NULL;
	size_t n_cand = 0, n_cases = 0, n_rows = 0, np = 0, i, j, k, cap = 0, kb = 0;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = nr_store_runs_select(st, o->cand_sel ? o->cand_sel : "latest", NULL, 1, &cand,
				      &n_cand, d)) < 0)
		goto out;
	c.cand = cand[0];
	free(cand);
	/* the run is its own baseline: reports name it on both sides */
	if ((r = nr_store_runs_select(st, c.cand.id, NULL, 1, &c.base, &c.n_base, d)) < 0)
		goto out;
	if ((r = nr_store_cases_list(st, c.cand.id, &cases, &n_cases, d)) < 0)
		goto out;
	k = variant_names(cases, n_cases, names, &third);
	if (k == 0) {
		r = nr_diagf(d, NR_ENOTFOUND, "run %s has no variants (a campaign with 'variants:' "
			     "runs its cases once per variant)", c.cand.short_id);
		goto out;
	}
	if (k != 2) {
		r = nr_diagf(d, NR_ECONFIG, "run %s has %s variants ('%s'%s%s%s): a paired comparison "
			     "needs two", c.cand.short_id, k < 2 ? "fewer than two" : "more than two",
			     names[0], k > 1 ? ", '" : "", k > 1 ? names[1] : "", k > 1 ? "', ..." : "");
		goto out;
	}
	c.paired = true;
	c.base_variant = names[0];
	c.cand_variant = names[1];
	names[0] = names[1] = NULL;
	c.alpha = o->params.alpha;
	c.ci_level = o->params.ci_level;
	c.power = o->params.power;
	c.cand_class = nr_xstrdup("");
	c.base_class = nr_xstrdup("");
	for (i = 0; i < n_cases; i++)
		c.cand_failed_cases += cases[i].status == NR_CASE_FAILED;
	/* its thresholds (unless --threshold) and which tests repeat adaptively */
	if ((r = nr__compare_load_thresholds(&c.cand, &camp, d)) < 0) {
		if (!o->params_from_cli)
			goto out;
		r = 0;
	}
	if ((r = nr_store_samples_list(st, c.cand.id, false, &rows, &n_rows, d)) < 0)
		goto out;
	p = nr_xcalloc(n_rows + 1, sizeof(*p));
	for (i = 0; i < n_rows; i++) {
		char *v;

		if (!wanted(o, rows[i].id.metric) ||
		    !nr_case_key_split(rows[i].id.key, &p[np].pair_key, &v))
			continue;
		p[np].s = &rows[i];
		p[np].variant = strcmp(v, c.base_variant) ? 1 : 0;
		free(v);
		np++;
	}
	if (np)
		qsort(p, np, sizeof(*p), cmp_prow);
	bv = nr_xcalloc(np + 1, sizeof(*bv));
	cv = nr_xcalloc(np + 1, sizeof(*cv));
	vb = nr_xcalloc(np + 1, sizeof(*vb));
	vc = nr_xcalloc(np + 1, sizeof(*vc));
	scratch = nr_xcalloc(np + 1, sizeof(*scratch));
	rb = nr_xcalloc(np + 1, sizeof(*rb));
	rc = nr_xcalloc(np + 1, sizeof(*rc));
	for (i = 0; i < np; i = j) {
		size_t mid, nb, nc, ib = 0, ic = 0;
		struct nr_series_cmp *s;
		struct nr__compare_span *x;

		for (j = i + 1; j < np && same_series(&p[i], &p[j]); j++)
			;
		for (mid = i; mid < j && p[mid].variant == 0; mid++)
			;
		nb = per_repeat(p, i, mid, rb, vb, scratch);
		nc = per_repeat(p, mid, j, rc, vc, scratch);
		NR_GROW(c.v, c.n + 1, cap);
		sp = nr_xrealloc(sp, (c.n + 1) * sizeof(*sp));
		ev = nr_xrealloc(ev, (c.n + 1) * sizeof(*ev));
		s = &c.v[c.n];
		x = &sp[c.n];
		c.n++;
		memset(s, 0, sizeof(*s));
		nr_series_copy(&s->id, &p[i].s->id);
		free(s->id.key);
		s->id.key = nr_xstrdup(p[i].pair_key);
		s->threshold = o->params.threshold;
		s->critical = o->params.critical;
		if (!o->params_from_cli)
			nr_campaign_thresholds(camp, s->id.test, s->id.metric, &s->threshold,
					       &s->critical);
		nr__compare_adaptive(camp, s);
		/* pair i is repeat i of one variant with repeat i of the other */
		x->b0 = x->c0 = kb;
		while (ib < nb && ic < nc) {
			if (rb[ib] != rc[ic]) {
				if (rb[ib] < rc[ic])
					ib++;
				else
					ic++;
				continue;
			}
			bv[kb] = vb[ib++];
			cv[kb++] = vc[ic++];
		}
		x->b1 = x->c1 = kb;
		s->paired.pairs = kb - x->b0;
		s->paired.unpaired = nb + nc - 2 * s->paired.pairs;
		if (!nc || (nb && !s->paired.pairs)) {
			/* nothing to pair: listed as missing in the candidate */
			s->presence = NR_ONLY_BASE;
			c.only_base++;
		} else if (!nb) {
			s->presence = NR_ONLY_CAND;
			c.only_cand++;
		} else {
			s->presence = NR_IN_BOTH;
			nr_analysis_evidence_paired(bv + x->b0, cv + x->c0, s->paired.pairs,
						    &ev[c.n - 1]);
		}
	}
	if (c.n && (r = nr__compare_judge(&c, o, bv, cv, sp, ev, d)) < 0)
		goto out;
	for (i = 0; i < c.n; i++)
		if (c.v[i].presence == NR_IN_BOTH)
			extras(&c.v[i], bv + sp[i].b0, cv + sp[i].c0, c.v[i].paired.pairs, c.ci_level);
	nr__compare_sort(&c);
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	for (i = 0; i < np; i++)
		free(p[i].pair_key);
	free(p);
	free(sp);
	free(ev);
	free(bv);
	free(cv);
	free(vb);
	free(vc);
	free(scratch);
	free(rb);
	free(rc);
	free(names[0]);
	free(names[1]);
	free(third);
	nr_sample_rows_free(rows, n_rows);
	nr_cases_free(cases, n_cases);
	nr_campaign_free(camp);
	nr_comparison_release(&c);
	return r;
}
