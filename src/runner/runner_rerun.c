/*
 * Running chosen cases of a run again (`run --resume --rerun PATTERN`, what
 * AutoPerf users did by editing the status spreadsheet): which cases, and
 * marking them pending with their attempts superseded.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "runner/runner_internal.h"

/* The latest run of campaign `name`, finished or not (--rerun without a run). */
int nr__runner_latest_run(struct nr_store *st, const char *name, struct nr_run_rec *ret,
			  struct nr_diag *d)
{
	struct nr_run_rec *v = NULL;
	size_t n = 0;
	int r = nr_store_runs_select(st, "latest", name, 1, &v, &n, d);

	if (r == 0 && n == 0)
		r = nr_diagf(d, NR_ENOTFOUND, "no run of campaign %s", name ? name : "?");
	if (r == 0) {
		*ret = v[0];
		memset(&v[0], 0, sizeof(v[0]));
	}
	nr_runs_free(v, n);
	return r;
}

/*
 * --rerun: which cases of the session's run a pattern matches (take[i]),
 * with variants both halves of a pair (the patterns see the key they
 * share). NR_ECONFIG naming a pattern that matches no case. Nothing is
 * written: this comes before the run is claimed.
 */
int nr__rerun_choose(const struct nr__session *s, bool *take, struct nr_diag *d)
{
	const struct nr_strvec *pats = &s->o->rerun;
	bool *hit = nr_xcalloc(pats->n + 1, sizeof(*hit));
	size_t i, k;
	int r = 0;

	for (i = 0; i < s->n; i++) {
		const struct nr_case_rec *c = &s->cases[i];
		char *pair = NULL, *variant = NULL;
		const char *key = nr_case_key_split(c->key, &pair, &variant) ? pair : c->key;

		/* each pattern includes: --rerun names what to run, never what to keep */
		for (k = 0; k < pats->n; k++)
			if (nr_select_pattern_match(pats->v[k], c->test, key))
				hit[k] = take[i] = true;
		free(pair);
		free(variant);
	}
	for (k = 0; k < pats->n && r == 0; k++)
		if (!hit[k])
			r = nr_diagf(d, NR_ECONFIG, "--rerun '%s' matches no case of run %s", pats->v[k],
				     s->run->short_id);
	free(hit);
	return r;
}

/*
 * The chosen cases pending again with no repeats done, their attempts
 * superseded, in one transaction; each noted as an event.
 */
int nr__rerun_mark(struct nr__session *s, const bool *take, struct nr_diag *d)
{
	struct nr_case_rec *again = nr_xcalloc(s->n + 1, sizeof(*again));
	size_t i, n = 0;
	int r;

	for (i = 0; i < s->n; i++) {
		struct nr_case_rec *c = &s->cases[i];

		if (!take[i])
			continue;
		c->status = NR_CASE_PENDING;
		free(c->error);
		c->error = NULL;
		c->repeats_done = 0;
		c->started_us = c->finished_us = 0;
		again[n++] = *c; /* shallow: the store only reads it */
	}
	r = nr_store_cases_rerun(s->st, s->run->id, again, n, d);
	for (i = 0; r == 0 && i < n; i++)
		nr__note(s, &again[i], NULL, "rerun", "run again (--rerun): its earlier attempts are superseded");
	free(again);
	return r;
}

