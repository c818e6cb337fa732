/*
 * Inside compare/: what a comparison of two runs (compare.c) and of the
 * variants of one run (compare_variants.c) share. Not for other modules.
 */
#ifndef NR_COMPARE_INT_H
#define NR_COMPARE_INT_H

#include "compare/compare.h"

struct nr_campaign;

/* Where series k's values are: bv[b0..b1) and cv[c0..c1). */
struct nr__compare_span {
	size_t b0, b1, c0, c1;
};

/*
 * Judge every series of c present on both sides at once (one family,
 * grouped by metric): with ev NULL two independent samples each, else
 * ev[k] is series k's evidence (a paired design). Fills c->v[k].r and
 * c->counts.
 */
int nr__compare_judge(struct nr_comparison *c, const struct nr_compare_opts *o, const double *bv,
		      const double *cv, const struct nr__compare_span *sp,
		      const struct nr_analysis_evidence *ev, struct nr_diag *d);

/* The thresholds of the campaign stored with run `cand` (*ret NULL when it has none). */
int nr__compare_load_thresholds(const struct nr_run_rec *cand, struct nr_campaign **ret,
				struct nr_diag *d);

/* s->repeat_min, repeat_max from the adaptive repeats of its test in camp (NULL: none). */
void nr__compare_adaptive(const struct nr_campaign *camp, struct nr_series_cmp *s);

/* Regressions first, then improvements, noisy, changed, one-sided, stable. */
void nr__compare_sort(struct nr_comparison *c);

#endif
