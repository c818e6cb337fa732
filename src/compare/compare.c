/* A candidate run against a baseline, series by series. */
#include "compare/compare.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "compare/compare_int.h"

/* Sort order of series: test/key, role, metric. */
static int cmp_rows(const void *a, const void *b)
{
	const struct nr_sample_row *x = a, *y = b;

	return nr_series_order(&x->id, &y->id);
}

/* Samples of several runs, concatenated and sorted by series. */
static int gather(struct nr_store *st, const struct nr_run_rec *runs, size_t n_runs,
		  struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	struct nr_sample_row *all = NULL;
	size_t n_all = 0, i;

	for (i = 0; i < n_runs; i++) {
		struct nr_sample_row *v;
		size_t n;
		int r = nr_store_samples_list(st, runs[i].id, false, &v, &n, d);

		if (r < 0) {
			nr_sample_rows_free(all, n_all);
			return r;
		}
		all = nr_xrealloc(all, (n_all + n + 1) * sizeof(*all));
		memcpy(all + n_all, v, n * sizeof(*v));
		n_all += n;
		free(v); /* the strings moved to `all` */
	}
	if (n_all)
		qsort(all, n_all, sizeof(*all), cmp_rows);
	*ret = all;
	*ret_n = n_all;
	return 0;
}

static int rank(const struct nr_series_cmp *s)
{
	static const int order[] = {
		[NR_OUTCOME_REGRESSION] = 0, [NR_OUTCOME_IMPROVEMENT] = 1,
		[NR_OUTCOME_NOISY] = 2,      [NR_OUTCOME_CHANGED] = 3,
		[NR_OUTCOME_STABLE] = 5,
	};

	if (s->presence != NR_IN_BOTH)
		return 4;
	return order[s->r.outcome];
}

static int cmp_series(const void *a, const void *b)
{
	const struct nr_series_cmp *x = a, *y = b;
	int c = rank(x) - rank(y);

	if (c)
		return c;
	if (x->presence == NR_IN_BOTH && y->presence == NR_IN_BOTH &&
	    x->r.outcome != NR_OUTCOME_STABLE) {
		/* the largest losses first */
		if (x->r.gain != y->r.gain)
			return x->r.gain < y->r.gain ? -1 : 1;
	}
	return nr_series_order(&x->id, &y->id);
}

static struct nr_series_cmp *new_series(struct nr_comparison *c, size_t *cap,
					const struct nr_sample_row *r)
{
	struct nr_series_cmp *s;

	NR_GROW(c->v, c->n + 1, *cap);
	s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	nr_series_copy(&s->id, &r->id);
	return s;
}

/* The last change point in this series' history, as context. */
static void add_context(struct nr_series_cmp *s, const struct nr_changes *hist)
{
	size_t i;

	for (i = hist->n; i-- > 0;) {
		const struct nr_change *ch = &hist->v[i];

		if (nr_series_order(&ch->id, &s->id))
			continue;
		s->context = nr_xasprintf("history: a change point at run %s%s%.12s (%+.1f %%, p %.2g)",
					  ch->short_id, ch->commit ? ", commit " : "",
					  ch->commit ? ch->commit : "", 100 * ch->cp.rel_change,
					  ch->cp.p_value);
		return;
	}
}

char *nr_compare_host_class(struct nr_store *st, const char *run_id)
{
	struct nr_host_rec *hosts = NULL;
	struct nr_buf b = NR_BUF_INIT;
	size_t n = 0, i;

	if (nr_store_hosts_list(st, run_id, &hosts, &n, NULL) < 0)
		return nr_xstrdup("");
	for (i = 0; i < n; i++) {
		json_t *si = hosts[i].sysinfo ? json_loads(hosts[i].sysinfo, 0, NULL) : NULL;
		json_t *cpu = json_object_get(si, "cpu"), *mem = json_object_get(si, "memory");
		const char *model = json_string_value(json_object_get(cpu, "model"));
		json_int_t threads = json_integer_value(json_object_get(cpu, "threads"));
		double gib = (double)json_integer_value(json_object_get(mem, "total_bytes")) / (1 << 30);

		/* hosts of one machine (local, netns) describe it once */
		if (model && !strstr(b.buf, model))
			nr_buf_addf(&b, "%s%s x%lld, %.0f GiB", b.len ? "; " : "", model,
				    (long long)threads, gib);
		json_decref(si);
	}
	nr_hosts_free(hosts, n);
	return nr_buf_detach(&b, NULL);
}

/*
 * Keep the baseline runs of the candidate's host class when there are
 * any (at most `want`); else keep them all and say that the classes differ.
 */
static void pick_class(struct nr_store *st, struct nr_comparison *c, size_t want)
{
	size_t i, k = 0, n = c->n_base;
	char **classes = nr_xcalloc(n + 1, sizeof(*classes));

	c->cand_class = nr_compare_host_class(st, c->cand.id);
	for (i = 0; i < c->n_base; i++) {
		classes[i] = nr_compare_host_class(st, c->base[i].id);
		k += !strcmp(classes[i], c->cand_class);
	}
	if (k) {
		for (i = 0, k = 0; i < c->n_base; i++) {
			if (strcmp(classes[i], c->cand_class) || k == want) {
				nr_run_rec_release(&c->base[i]);
				continue;
			}
			c->base[k++] = c->base[i];
		}
		c->n_base = k;
		c->base_class = nr_xstrdup(c->cand_class);
	} else {
		for (i = want; i < c->n_base; i++)
			nr_run_rec_release(&c->base[i]);
		if (c->n_base > want)
			c->n_base = want;
		c->base_class = nr_xstrdup(classes[0] ? classes[0] : "");
		c->class_differs = c->n_base && (*c->cand_class || *c->base_class);
	}
	for (i = 0; i < n; i++)
		free(classes[i]);
	free(classes);
}

/* A dense id per metric name: series of one metric share a variance prior. */
static size_t metric_group(const char ***names, size_t *n, size_t *cap, const char *metric)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*names)[i], metric))
			return i;
	NR_GROW(*names, *n + 1, *cap);
	(*names)[*n] = metric;
	return (*n)++;
}

void nr__compare_adaptive(const struct nr_campaign *camp, struct nr_series_cmp *s)
{
	size_t i;

	s->repeat_min = s->repeat_max = 0;
	for (i = 0; camp && i < camp->n_tests; i++)
		if (!strcmp(camp->tests[i].name, s->id.test) && camp->tests[i].repeat_min) {
			s->repeat_min = camp->tests[i].repeat_min;
			s->repeat_max = camp->tests[i].repeat;
		}
}

/*
 * The sequential designs of the series of adaptive tests, and the level
 * left to Holm for the others: the comparison's alpha is shared equally
 * by its cases (distinct keys judged), a case's share equally by its
 * series with a direction, so that by the union bound the chance of any
 * false regression stays at alpha (docs/analysis.md, "Adaptive repeats").
 * Returns the alpha for the fixed series' family.
 */
static double adaptive_designs(const struct nr_comparison *c, const struct nr_compare_opts *o,
			       const size_t *at, const struct nr_analysis_series *in, size_t m,
			       struct nr_analysis_sequential *q)
{
	size_t i, j, cases = 0, adaptive_cases = 0;

	for (i = 0; i < m; i++) {
		const struct nr_series_cmp *s = &c->v[at[i]];
		size_t first = i, per_case = 0;

		for (j = 0; j < m; j++) {
			const struct nr_series_cmp *x = &c->v[at[j]];

			if (strcmp(x->id.key, s->id.key) != 0)
				continue;
			if (j < first)
				first = j;
			per_case += x->id.better != NR_BETTER_NONE;
		}
		if (first == i) {
			cases++;
			adaptive_cases += s->repeat_min > 0;
		}
		if (!s->repeat_min || s->id.better == NR_BETTER_NONE)
			continue;
		q[i] = (struct nr_analysis_sequential){
			.min = (size_t)s->repeat_min, .max = (size_t)s->repeat_max,
			.n_base = in[i].evidence ? 0 : in[i].nb,
			.alpha = o->params.alpha / (double)per_case, /* divided by cases below */
			.spending = NR_SPEND_OBRIEN_FLEMING,
		};
	}
	for (i = 0; i < m; i++)
		q[i].alpha /= (double)(cases ? cases : 1);
	return adaptive_cases ? o->params.alpha * (double)(cases - adaptive_cases) / (double)cases
			      : o->params.alpha;
}

/*
 * Judge every series present on both sides at once: the false-alarm
 * level holds for the whole comparison, and series of one metric share
 * their noise estimate (analysis_family.c).
 */
int nr__compare_judge(struct nr_comparison *c, const struct nr_compare_opts *o, const double *bv,
		      const double *cv, const struct nr__compare_span *sp,
		      const struct nr_analysis_evidence *ev, struct nr_diag *d)
{
	struct nr_analysis_series *in = nr_xcalloc(c->n + 1, sizeof(*in));
	struct nr_analysis_compare_result *res = nr_xcalloc(c->n + 1, sizeof(*res));
	struct nr_analysis_sequential *q = NULL;
	const char **names = NULL;
	size_t *at = nr_xcalloc(c->n + 1, sizeof(*at)), m = 0, n_names = 0, cap = 0, i;
	int r;

	for (i = 0; i < c->n; i++) {
		struct nr_series_cmp *s = &c->v[i];

		if (s->presence != NR_IN_BOTH)
			continue;
		at[m] = i;
		in[m++] = (struct nr_analysis_series){
			.base = bv + sp[i].b0, .nb = sp[i].b1 - sp[i].b0,
			.cand = cv + sp[i].c0, .nc = sp[i].c1 - sp[i].c0,
			.better = s->id.better, .threshold = s->threshold,
			.critical = s->critical < s->threshold ? s->threshold : s->critical,
			.group = metric_group(&names, &n_names, &cap, s->id.metric),
			.evidence = ev ? &ev[i] : NULL,
		};
	}
	{
		struct nr_analysis_compare_params p = o->params;

		q = nr_xcalloc(m + 1, sizeof(*q));
		p.alpha = adaptive_designs(c, o, at, in, m, q);
		for (i = 0; i < m; i++)
			if (q[i].min)
				in[i].seq = &q[i];
		/* every case adaptive: no family left, the level stays valid */
		if (!(p.alpha > 0))
			p.alpha = o->params.alpha;
		r = nr_analysis_compare_family(in, m, &p, res);
	}
	if (r < 0) {
		r = nr_diagf(d, r, "bad comparison parameters");
		goto out;
	}
	for (i = 0; i < m; i++) {
		struct nr_series_cmp *s = &c->v[at[i]];

		/* an invalid series (non-finite values) is noisy: said, not judged */
		s->r = res[i];
		c->counts[s->r.outcome]++;
		c->few_repeats |= s->r.few_repeats;
	}
out:
	free(q);
	free(names);
	free(in);
	free(res);
	free(at);
	return r;
}

/*
 * Thresholds per test and metric, and limits, come from the candidate's
 * campaign as stored with the run: its text alone, so that a lab file or
 * anything else missing on this machine cannot quietly change the verdicts.
 */
int nr__compare_load_thresholds(const struct nr_run_rec *cand, struct nr_campaign **ret,
				struct nr_diag *d)
{
	const char *path = cand->campaign_path ? cand->campaign_path : cand->campaign;
	int r;

	*ret = NULL;
	if (!cand->config)
		return 0;
	r = nr_campaign_load_thresholds(path, cand->config, ret, d);
	if (r < 0)
		r = nr_diagf(d, r, "the campaign stored with run %s (its thresholds and limits)",
			     cand->short_id);
	return r;
}

int nr_compare_runs(struct nr_store *st, const struct nr_compare_opts *o,
		    struct nr_comparison *ret, struct nr_diag *d)
{
	struct nr_comparison c;
	struct nr_run_rec *cand = NULL;
	struct nr_sample_row *bs = NULL, *cs = NULL;
	struct nr_campaign *camp = NULL;
	struct nr_case_rec *cases = NULL;
	size_t nb = 0, nc = 0, n_cand = 0, n_cases = 0, cap = 0, i, j, kb = 0, kc = 0;
	struct nr__compare_span *sp = NULL;
	size_t spcap = 0;
	double *bv = NULL, *cv = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = nr_store_runs_select(st, o->cand_sel, NULL, 1, &cand, &n_cand, d)) < 0) {
		nr_diagf(d, r, "candidate");
		goto out;
	}
	c.cand = cand[0];
	free(cand);
	/*
	 * The baseline: from the candidate's campaign, never the candidate,
	 * preferably on the candidate's hardware (so look a little further back).
	 */
	if ((r = nr_store_runs_select(st, o->base_sel, c.cand.campaign,
				      4 * (o->baseline_window ? o->baseline_window : 1) + 1, &c.base,
				      &c.n_base, d)) < 0) {
		nr_diagf(d, r, "baseline");
		goto out;
	}
	for (i = 0; i < c.n_base; i++)
		if (!strcmp(c.base[i].id, c.cand.id)) {
			nr_run_rec_release(&c.base[i]);
			memmove(&c.base[i], &c.base[i + 1], (c.n_base - i - 1) * sizeof(*c.base));
			c.n_base--;
			break;
		}
	/* a single run named by id is the baseline whatever its hardware */
	if (c.n_base)
		pick_class(st, &c, o->baseline_window ? o->baseline_window : 1);
	if (!c.n_base) {
		r = nr_diagf(d, NR_ENOTFOUND, "baseline '%s' names only the candidate run",
			     o->base_sel ? o->base_sel : "latest");
		goto out;
	}
	/* for its limits too, which hold whatever --threshold says */
	if ((r = nr__compare_load_thresholds(&c.cand, &camp, d)) < 0)
		goto out;
	c.alpha = o->params.alpha;
	c.ci_level = o->params.ci_level;
	c.power = o->params.power;
	if ((r = nr_store_cases_list(st, c.cand.id, &cases, &n_cases, d)) < 0)
		goto out;
	for (i = 0; i < n_cases; i++)
		c.cand_failed_cases += cases[i].status == NR_CASE_FAILED;
	if ((r = gather(st, c.base, c.n_base, &bs, &nb, d)) < 0 ||
	    (r = gather(st, &c.cand, 1, &cs, &nc, d)) < 0)
		goto out;
	bv = nr_xcalloc(nb + 1, sizeof(*bv));
	cv = nr_xcalloc(nc + 1, sizeof(*cv));
	/* merge the two sorted lists series by series */
	i = j = 0;
	while (i < nb || j < nc) {
		int k = i >= nb ? 1 : j >= nc ? -1 : cmp_rows(&bs[i], &cs[j]);
		const struct nr_sample_row *first = k <= 0 ? &bs[i] : &cs[j];
		struct nr_series_cmp *s = new_series(&c, &cap, first);
		struct nr__compare_span *x;

		NR_GROW(sp, c.n, spcap);
		x = &sp[c.n - 1];
		x->b0 = kb;
		x->c0 = kc;
		while (k <= 0 && i < nb && !cmp_rows(&bs[i], first))
			bv[kb++] = bs[i++].value;
		while (k >= 0 && j < nc && !cmp_rows(&cs[j], first))
			cv[kc++] = cs[j++].value;
		x->b1 = kb;
		x->c1 = kc;
		s->threshold = o->params.threshold;
		s->critical = o->params.critical;
		if (!o->params_from_cli)
			nr_campaign_thresholds(camp, s->id.test, s->id.metric, &s->threshold,
					       &s->critical);
		nr__compare_adaptive(camp, s);
		if (x->c1 == x->c0) {
			s->presence = NR_ONLY_BASE;
			c.only_base++;
		} else if (x->b1 == x->b0) {
			s->presence = NR_ONLY_CAND;
			c.only_cand++;
		} else {
			s->presence = NR_IN_BOTH;
		}
	}
	if (c.n && (r = nr__compare_judge(&c, o, bv, cv, sp, NULL, d)) < 0)
		goto out;
	nr_limits_judge(camp, cs, nc, &c.limits);
	if (o->history && c.counts[NR_OUTCOME_REGRESSION]) {
		struct nr_changes_opts ho = { .campaign = c.cand.campaign,
					      .params = (struct nr_analysis_cp_params)NR_ANALYSIS_CP_PARAMS_INIT };

		ho.params.max_pvalue = NR_CHANGES_MAX_PVALUE;
		struct nr_changes hist = { 0 };

		if (nr_changes_history(st, &ho, &hist, NULL) == 0)
			for (i = 0; i < c.n; i++)
				if (c.v[i].presence == NR_IN_BOTH && c.v[i].r.outcome == NR_OUTCOME_REGRESSION)
					add_context(&c.v[i], &hist);
		nr_changes_release(&hist);
	}
	nr__compare_sort(&c);
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	free(bv);
	free(cv);
	free(sp);
	nr_sample_rows_free(bs, nb);
	nr_sample_rows_free(cs, nc);
	nr_cases_free(cases, n_cases);
	nr_campaign_free(camp);
	nr_comparison_release(&c);
	return r;
}

void nr__compare_sort(struct nr_comparison *c)
{
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), cmp_series);
}

void nr_comparison_release(struct nr_comparison *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		nr_series_release(&c->v[i].id);
		free(c->v[i].context);
	}
	free(c->v);
	free(c->cand_class);
	free(c->base_class);
	free(c->base_variant);
	free(c->cand_variant);
	nr_run_rec_release(&c->cand);
	nr_runs_free(c->base, c->n_base);
	nr_limits_release(&c->limits);
	memset(c, 0, sizeof(*c));
}

bool nr_comparison_fails(const struct nr_comparison *c, enum nr_analysis_severity fail_on)
{
	return nr_comparison_regressed(c, fail_on) || nr_limits_fail(&c->limits, fail_on);
}

bool nr_comparison_regressed(const struct nr_comparison *c, enum nr_analysis_severity fail_on)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].presence == NR_IN_BOTH && c->v[i].r.outcome == NR_OUTCOME_REGRESSION &&
		    c->v[i].r.severity >= fail_on)
			return true;
	return false;
}
