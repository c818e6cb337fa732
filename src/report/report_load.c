/* A run's report read from a store: what `netrig report` and `netrig serve` show of one run. */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "report/report.h"

int nr_report_load(struct nr_store *st, const char *selector, const char *baseline,
		   struct nr_report_load *l, struct nr_diag *d)
{
	struct nr_report_run *rep = &l->rep;
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = nr_store_run_get(st, selector, &l->run, d)) < 0 ||
	    (r = nr_store_cases_list(st, l->run.id, &l->cases, &l->n_cases, d)) < 0 ||
	    (r = nr_store_samples_list(st, l->run.id, false, &l->rows, &l->n_rows, d)) < 0 ||
	    (r = nr_store_hosts_list(st, l->run.id, &l->hosts, &l->n_hosts, d)) < 0)
		return r;
	/* limits are checked on every run, with or without a baseline */
	if ((r = nr_compare_limits(st, &l->run, l->rows, l->n_rows, &l->limits, d)) < 0)
		return r;
	rep->limits = &l->limits;
	nr_report_aggregate(l->rows, l->n_rows, &l->res, &l->n_res);
	rep->run = &l->run;
	rep->cases = l->cases;
	rep->n_cases = l->n_cases;
	rep->results = l->res;
	rep->n_results = l->n_res;
	rep->samples = l->rows;
	rep->n_samples = l->n_rows;
	rep->hosts = l->hosts;
	rep->n_hosts = l->n_hosts;
	if (baseline) {
		struct nr_compare_opts co = { .base_sel = baseline, .cand_sel = l->run.id,
					      .baseline_window = 1,
					      .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };

		r = nr_compare_runs(st, &co, &l->cmp, d);
		if (r == NR_ENOTFOUND) {
			/*
			 * No run to compare with, as on the first run of a
			 * branch: the report goes out without a comparison,
			 * says why, and the run's own result decides.
			 */
			l->cmp_missing = nr_xasprintf("%s (the first run on a branch has no baseline)",
						      nr_diag_msg(d));
			nr_diag_clear(d);
			rep->cmp_missing = l->cmp_missing;
		} else if (r < 0) {
			return r;
		} else {
			l->have_cmp = true;
			rep->cmp = &l->cmp;
		}
	}
	/* a run of variants: the variants compared pair by pair, as compare --variants */
	if (nr_compare_run_has_variants(st, l->run.id)) {
		struct nr_compare_opts po = { .cand_sel = l->run.id,
					      .params = NR_ANALYSIS_COMPARE_PARAMS_INIT };

		if ((r = nr_compare_variants(st, &po, &l->paired, d)) < 0)
			return r;
		l->have_paired = true;
		rep->paired = &l->paired;
	}
	/* the campaign's history up to this run, for trends and change points */
	if (nr_history_build(st, l->run.campaign, 0, NULL, NULL, &l->hist, d) == 0) {
		struct nr_changes_opts ho = { .campaign = l->run.campaign,
					      .params = (struct nr_analysis_cp_params)NR_ANALYSIS_CP_PARAMS_INIT };

		ho.params.max_pvalue = NR_CHANGES_MAX_PVALUE;
		rep->history = &l->hist;
		if (nr_changes_history(st, &ho, &l->changes, NULL) == 0) {
			l->have_changes = true;
			rep->changes = &l->changes;
		}
	}
	nr_diag_clear(d);
	return 0;
}

void nr_report_load_release(struct nr_report_load *l)
{
	free(l->cmp_missing);
	if (l->have_cmp)
		nr_comparison_release(&l->cmp);
	if (l->have_paired)
		nr_comparison_release(&l->paired);
	if (l->have_changes)
		nr_changes_release(&l->changes);
	nr_history_release(&l->hist);
	nr_limits_release(&l->limits);
	free(l->res);
	nr_sample_rows_free(l->rows, l->n_rows);
	nr_cases_free(l->cases, l->n_cases);
	nr_hosts_free(l->hosts, l->n_hosts);
	nr_run_rec_release(&l->run);
	memset(l, 0, sizeof(*l));
}
