/*
 * Adaptive repeats (`repeat: {min, max, until: clear}`): a case runs its
 * min repeats, then one more at a time (a pair more with variants) until
 * the comparison with its baseline is decided or it has max.
 *
 * The baseline of a case: with variants, the other variant's repeats of
 * the same combination in the same run (pair by pair, the per-pair log
 * ratios); without, the same case in the run `netrig run --baseline SEL`
 * named. Each look judges the case's series (role x metric with a better
 * direction) alone, at the level a group-sequential design spends at that
 * look (analysis_sequential.c): the run's alpha (1 %) shared equally by
 * its cases and within a case by its series, so that by the union bound
 * the chance of any false regression in the run stays at alpha however
 * many looks there were. Decided: every series' interval at that level
 * either excludes no change and so is a regression or improvement (or a
 * real change below the threshold), or lies inside +-threshold (stable).
 * `netrig compare` and `report` judge the series of an adaptive test the
 * same way from the stored samples, so the verdict a reader sees is the
 * one that stopped the case (docs/analysis.md, "Adaptive repeats").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "base/clock.h"
#include "base/mem.h"
#include "runner/runner_internal.h"

_Static_assert(NR_ADAPTIVE_MAX <= NR_ANALYSIS_SEQ_MAX, "adaptive max beyond the analysis' designs");

/* The run-level false-alarm rate adaptive decisions share (compare's default). */
#define ADAPTIVE_ALPHA 0.01
/* Series named in a decision's note; the rest are counted. */
#define NOTE_SERIES 4

struct nr__obs {
	char *role, *metric;
	enum nr_better better;
	int repeat;
	double value;
};

struct nr__obs_set {
	struct nr__obs *v;
	size_t n, cap;
	bool loaded; /* what the store held of the case is in */
};

/* A design's levels, computed once per session. */
struct nr__design {
	struct nr_analysis_sequential q;
	double *levels;
};

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? nr_xstrdup(v) : NULL;
}

static void obs_push(struct nr__obs_set *o, const char *role, const char *metric,
		     enum nr_better better, int repeat, double value)
{
	NR_GROW(o->v, o->n + 1, o->cap);
	o->v[o->n++] = (struct nr__obs){ nr_xstrdup(role), nr_xstrdup(metric), better, repeat, value };
}

static void obs_clear(struct nr__obs_set *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].role);
		free(o->v[i].metric);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static bool adaptive(const struct nr__session *s, size_t idx)
{
	return nr_campaign_case_test(s->c, &s->plan.cases[idx])->repeat_min > 0;
}

static struct nr__obs_set *obs_of(struct nr__session *s, size_t idx)
{
	if (!s->obs)
		s->obs = nr_xcalloc(s->n + 1, sizeof(*s->obs));
	return &s->obs[idx];
}

void nr__adaptive_add(struct nr__session *s, size_t idx, const struct nr__attempt *at)
{
	struct nr__obs_set *o;
	size_t i, j;

	if (!adaptive(s, idx))
		return;
	o = obs_of(s, idx);
	for (i = 0; i < at->t->n_roles; i++) {
		const struct nr__role_run *rr = &at->roles[i];

		for (j = 0; rr->started && j < rr->samples.n; j++) {
			const struct nr_sample *x = &rr->samples.v[j];

			if (x->interval < 0)
				obs_push(o, rr->role->name, x->metric, x->better, at->repeat, x->value);
		}
	}
}

/* What the store holds of case idx (a resumed case's finished repeats). */
static int load_obs(struct nr__session *s, size_t idx, struct nr_diag *d)
{
	struct nr__obs_set *o = obs_of(s, idx);
	const struct nr_case_rec *c = &s->cases[idx];
	struct nr_sample_row *rows = NULL;
	size_t n = 0, i;
	int r;

	if (o->loaded)
		return 0;
	obs_clear(o);
	o->loaded = true;
	if (c->repeats_done == 0)
		return 0;
	if ((r = nr_store_samples_list(s->st, s->run->id, false, &rows, &n, d)) < 0) {
		o->loaded = false;
		return r;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].case_id, c->id))
			obs_push(o, rows[i].id.role, rows[i].id.metric, rows[i].id.better,
				 rows[i].repeat, rows[i].value);
	nr_sample_rows_free(rows, n);
	return 0;
}

/* The baseline run's summary samples, read once a session. */
static int load_baseline(struct nr__session *s, struct nr_diag *d)
{
	if (s->base_loaded || !s->baseline_run)
		return 0;
	s->base_loaded = true;
	return nr_store_samples_list(s->st, s->baseline_run, false, &s->base_rows, &s->n_base_rows, d);
}

static const double *design_levels(struct nr__session *s, const struct nr_analysis_sequential *q)
{
	size_t i;

	for (i = 0; i < s->n_designs; i++) {
		const struct nr_analysis_sequential *x = &s->designs[i].q;

		if (x->min == q->min && x->max == q->max && x->n_base == q->n_base &&
		    x->alpha == q->alpha && x->spending == q->spending)
			return s->designs[i].levels;
	}
	s->designs = nr_xrealloc(s->designs, (s->n_designs + 1) * sizeof(*s->designs));
	s->designs[s->n_designs].q = *q;
	s->designs[s->n_designs].levels = nr_xcalloc(q->max - q->min + 1, sizeof(double));
	if (nr_analysis_sequential_levels(q, s->designs[s->n_designs].levels) < 0) {
		free(s->designs[s->n_designs].levels);
		return NULL;
	}
	return s->designs[s->n_designs++].levels;
}

/* Comparison units of the run: its cases, a pair of variant cases counting once. */
static size_t units(const struct nr__session *s)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++)
		k += s->plan.cases[i].variant <= 0;
	return k ? k : 1;
}

/* The values of series (role, metric) in o, in repeat order; per repeat
 * their median when `per_repeat` (pairs), with the repeat in rep[]. */
static size_t values(const struct nr__obs_set *o, const char *role, const char *metric,
		     bool per_repeat, int upto, double *val, int *rep)
{
	size_t n = 0, i;
	int k;

	if (!per_repeat) {
		for (i = 0; i < o->n; i++)
			if (!strcmp(o->v[i].role, role) && !strcmp(o->v[i].metric, metric))
				val[n++] = o->v[i].value;
		return n;
	}
	for (k = 0; k < upto; k++) {
		double tmp[64];
		size_t m = 0;

		for (i = 0; i < o->n && m < NR_ARRAY_SIZE(tmp); i++)
			if (o->v[i].repeat == k && !strcmp(o->v[i].role, role) &&
			    !strcmp(o->v[i].metric, metric))
				tmp[m++] = o->v[i].value;
		if (m) {
			rep[n] = k;
			val[n++] = nr_analysis_median(tmp, m);
		}
	}
	return n;
}

/*
 * Whether case a (and its partner b, SIZE_MAX without variants) is
 * decided at its current repeats; `why` says what was found. Without a
 * baseline for it, the case is "decided" at once (it runs min repeats).
 */
static int decided(struct nr__session *s, size_t a, size_t b, bool *ret, struct nr_buf *why,
		   struct nr_diag *d)
{
	const struct nr_case_plan *cp = &s->plan.cases[a];
	const struct nr_test *t = nr_campaign_case_test(s->c, cp);
	struct nr__obs_set *oa = obs_of(s, a), *ob = b != SIZE_MAX ? obs_of(s, b) : NULL;
	struct nr_analysis_series *in = NULL;
	struct nr_analysis_compare_result *res = NULL;
	struct nr_analysis_evidence *ev = NULL;
	struct nr_analysis_sequential *q = NULL;
	struct nr_analysis_compare_params p = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	const struct nr__obs_set *cand = ob ? ob : oa;
	const struct nr__obs **who = NULL;
	double *bv = NULL, *cv = NULL;
	size_t n_series = 0, i, j, k, nb_all = 0, open = 0;
	int upto = ob ? s->cases[a].repeats_done : 0, r = 0;
	int *rb = NULL, *rc = NULL;

	*ret = false;
	if (!ob && !s->baseline_run) {
		nr_buf_addf(why, "no baseline (netrig run --baseline SEL, or variants): %d repeats",
			    s->cases[a].repeats_done);
		*ret = true;
		return 0;
	}
	if (!ob && (r = load_baseline(s, d)) < 0)
		return r;
	/* the case's series with a direction, each once */
	in = nr_xcalloc(cand->n + 1, sizeof(*in));
	res = nr_xcalloc(cand->n + 1, sizeof(*res));
	ev = nr_xcalloc(cand->n + 1, sizeof(*ev));
	q = nr_xcalloc(cand->n + 1, sizeof(*q));
	for (i = 0; !ob && i < s->n_base_rows; i++)
		nb_all += !strcmp(s->base_rows[i].id.key, s->cases[a].key);
	who = nr_xcalloc(cand->n + 1, sizeof(*who));
	bv = nr_xcalloc(oa->n + (ob ? ob->n : 0) + nb_all + 1, sizeof(*bv));
	cv = nr_xcalloc(cand->n + 1, sizeof(*cv));
	rb = nr_xcalloc((size_t)upto + 1, sizeof(*rb));
	rc = nr_xcalloc((size_t)upto + 1, sizeof(*rc));
	{
		/* series first seen in the candidate's samples; the vectors are
		 * cut per series from bv/cv as they are filled */
		size_t used_b = 0, used_c = 0;

		for (i = 0; i < cand->n; i++) {
			const struct nr__obs *x = &cand->v[i];
			size_t nb = 0, nc;

			if (x->better == NR_BETTER_NONE)
				continue;
			for (j = 0; j < i; j++)
				if (!strcmp(cand->v[j].role, x->role) && !strcmp(cand->v[j].metric, x->metric))
					break;
			if (j < i)
				continue;
			if (ob) {
				/* pairs: repeat k of both, medians per repeat */
				size_t na = values(oa, x->role, x->metric, true, upto, bv + used_b, rb);
				size_t nn = values(ob, x->role, x->metric, true, upto, cv + used_c, rc);
				size_t pa = 0, pb = 0;

				/* keep the repeats both have, in order */
				nb = 0;
				while (pa < na && pb < nn) {
					if (rb[pa] == rc[pb]) {
						bv[used_b + nb] = bv[used_b + pa];
						cv[used_c + nb] = cv[used_c + pb];
						nb++, pa++, pb++;
					} else if (rb[pa] < rc[pb]) {
						pa++;
					} else {
						pb++;
					}
				}
				nc = nb;
				if (nb)
					nr_analysis_evidence_paired(bv + used_b, cv + used_c, nb, &ev[n_series]);
			} else {
				for (k = 0; k < s->n_base_rows; k++) {
					const struct nr_sample_row *y = &s->base_rows[k];

					if (!strcmp(y->id.key, s->cases[a].key) && !strcmp(y->id.role, x->role) &&
					    !strcmp(y->id.metric, x->metric))
						bv[used_b + nb++] = y->value;
				}
				nc = values(cand, x->role, x->metric, false, 0, cv + used_c, NULL);
			}
			if (!nb || !nc)
				continue; /* nothing to compare it with */
			in[n_series] = (struct nr_analysis_series){
				.base = bv + used_b, .nb = nb, .cand = cv + used_c, .nc = nc,
				.better = x->better, .threshold = 0.10, .critical = 0.20,
				.group = n_series, .evidence = ob ? &ev[n_series] : NULL,
				.seq = &q[n_series],
			};
			nr_campaign_thresholds(s->c, t->name, x->metric, &in[n_series].threshold,
					       &in[n_series].critical);
			if (in[n_series].critical < in[n_series].threshold)
				in[n_series].critical = in[n_series].threshold;
			q[n_series] = (struct nr_analysis_sequential){
				.min = (size_t)t->repeat_min, .max = (size_t)t->repeat,
				.n_base = ob ? 0 : nb, .spending = NR_SPEND_OBRIEN_FLEMING,
			};
			who[n_series] = x;
			used_b += nb;
			used_c += nc;
			n_series++;
		}
	}
	if (!n_series) {
		nr_buf_addf(why, "nothing to compare with (%s): %d repeats",
			    ob ? "no metric with a better direction in both variants"
			       : "the baseline run lacks this case or its metrics",
			    s->cases[a].repeats_done);
		*ret = true;
		goto out;
	}
	for (i = 0; i < n_series; i++) {
		q[i].alpha = ADAPTIVE_ALPHA / ((double)units(s) * (double)n_series);
		q[i].levels = design_levels(s, &q[i]);
		if (!q[i].levels) {
			r = nr_diagf(d, NR_EINVAL, "adaptive repeats of %s: no design for %zu..%zu",
				     s->cases[a].key, q[i].min, q[i].max);
			goto out;
		}
	}
	if ((r = nr_analysis_compare_family(in, n_series, &p, res)) < 0) {
		r = nr_diagf(d, r, "adaptive repeats of %s: bad comparison", s->cases[a].key);
		goto out;
	}
	for (i = 0; i < n_series; i++)
		open += res[i].outcome == NR_OUTCOME_NOISY || !res[i].tested;
	*ret = open == 0;
	nr_buf_addf(why, "%s after %zu %s", *ret ? "decided" : "not decided", in[0].nc,
		    ob ? "pairs" : "repeats");
	for (k = 0; k < n_series && k < NOTE_SERIES; k++)
		nr_buf_addf(why, "%s %s %s %s %+.1f %% [%+.1f %%, %+.1f %%]", k ? ";" : ":",
			    who[k]->role, who[k]->metric, nr_analysis_outcome_name(res[k].outcome),
			    100 * res[k].change, 100 * res[k].ci_low, 100 * res[k].ci_high);
	if (n_series > NOTE_SERIES)
		nr_buf_addf(why, "; %zu more series", n_series - NOTE_SERIES);
	nr_buf_addf(why, " (level %.2g at this look)", res[0].seq_level);
out:
	free(who);
	free(in);
	free(res);
	free(ev);
	free(q);
	free(bv);
	free(cv);
	free(rb);
	free(rc);
	return r;
}

/* The case is done with fewer than its max repeats: passed, in the store. */
static int pass_early(struct nr__session *s, size_t idx, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];

	if (nr_case_status_final(c->status))
		return 0;
	c->status = NR_CASE_PASSED;
	set_str(&c->error, NULL);
	c->finished_us = nr_wall_us();
	return nr_store_case_update(s->st, c, d);
}

/*
 * Look at case a (with its partner b, or SIZE_MAX) now: when decided (or
 * without a baseline), both pass and the decision is noted. *ret_done
 * says whether the case is done.
 */
static int look(struct nr__session *s, size_t a, size_t b, bool *ret_done, struct nr_diag *d)
{
	struct nr_buf why = NR_BUF_INIT;
	const struct nr_test *t = nr_campaign_case_test(s->c, &s->plan.cases[a]);
	bool done = false;
	int r;

	*ret_done = false;
	if ((r = load_obs(s, a, d)) < 0 || (b != SIZE_MAX && (r = load_obs(s, b, d)) < 0))
		return r;
	if ((r = decided(s, a, b, &done, &why, d)) < 0)
		goto out;
	if (!done && s->cases[a].repeats_done < t->repeat)
		goto out;
	if (!done)
		nr_buf_addf(&why, "; stopped at max");
	nr__note(s, &s->cases[b != SIZE_MAX ? b : a], NULL, "adaptive", why.buf);
	if ((r = pass_early(s, a, d)) < 0 || (b != SIZE_MAX && (r = pass_early(s, b, d)) < 0))
		goto out;
	*ret_done = true;
out:
	nr_buf_release(&why);
	return r;
}

int nr__adaptive_case(struct nr__session *s, size_t idx, int *failures, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, &s->plan.cases[idx]);
	int r;

	if ((r = load_obs(s, idx, d)) < 0)
		return r;
	while (c->status != NR_CASE_FAILED) {
		if (c->repeats_done >= t->repeat_min) {
			bool done;

			/* a case at max has passed already: the look notes the verdict */
			if ((r = look(s, idx, SIZE_MAX, &done, d)) < 0 || done)
				return r;
		}
		r = nr__case_attempts(s, idx, c->repeats_done < t->repeat_min ? t->repeat_min
									 : c->repeats_done + 1,
				      failures, d);
		if (r < 0)
			return r;
	}
	return 0;
}

int nr__adaptive_pair_target(struct nr__session *s, size_t a, size_t b, int *target,
			     struct nr_diag *d)
{
	const struct nr_test *t = nr_campaign_case_test(s->c, &s->plan.cases[a]);
	bool done;
	int r;

	/* before the session's first attempt of the pair: what a killed session stored */
	if ((r = load_obs(s, a, d)) < 0 || (r = load_obs(s, b, d)) < 0)
		return r;
	if (*target < t->repeat_min)
		*target = t->repeat_min;
	/* a pair a killed session cut is completed before anything is looked at */
	if (*target < s->cases[a].repeats_done)
		*target = s->cases[a].repeats_done;
	if (*target < s->cases[b].repeats_done)
		*target = s->cases[b].repeats_done;
	if (s->cases[a].repeats_done < *target || s->cases[b].repeats_done < *target)
		return 0;
	if ((r = look(s, a, b, &done, d)) < 0)
		return r;
	if (!done)
		(*target)++;
	return 0;
}

void nr__adaptive_release(struct nr__session *s)
{
	size_t i;

	for (i = 0; s->obs && i < s->n; i++)
		obs_clear(&s->obs[i]);
	free(s->obs);
	s->obs = NULL;
	for (i = 0; i < s->n_designs; i++)
		free(s->designs[i].levels);
	free(s->designs);
	s->designs = NULL;
	s->n_designs = 0;
	nr_sample_rows_free(s->base_rows, s->n_base_rows);
	s->base_rows = NULL;
	s->n_base_rows = 0;
	s->base_loaded = false;
}
