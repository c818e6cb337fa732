/*
 * Retention: which runs `netrig db prune` removes (the same rules on both
 * backends), and the dispatch of prune and vacuum. microsoft/netperf's
 * results database grew without bound (its issue #79): a store that runs
 * every night needs a way to shed old raw output and old runs.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_backend.h"

/* Whether runs[i] is among the `keep` newest of its campaign (runs newest first). */
static bool among_newest(const struct nr_run_rec *runs, size_t i, size_t keep)
{
	size_t j, newer = 0;

	for (j = 0; j < i; j++)
		if (!strcmp(runs[j].campaign, runs[i].campaign))
			newer++;
	return newer < keep;
}

void nr_store_prune_select(const struct nr_run_rec *runs, size_t n, const struct nr_prune_rule *rule,
			   struct nr_strvec *ret)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* a run still running (or whose controller may come back) is never touched */
		if (runs[i].status == NR_RUN_RUNNING)
			continue;
		if (rule->keep_runs && among_newest(runs, i, rule->keep_runs))
			continue;
		if (rule->older_than_us && runs[i].started_us >= rule->now_us - rule->older_than_us)
			continue;
		if (!rule->keep_runs && !rule->older_than_us)
			continue; /* no rule: nothing */
		nr_strvec_push(ret, runs[i].id);
	}
}

int nr_store_prune(struct nr_store *st, const struct nr_strvec *run_ids, bool outputs_only,
		   struct nr_prune_stats *ret, struct nr_diag *d)
{
	struct nr_prune_stats s = { 0 };
	int r;

	if (run_ids->n == 0) {
		*ret = s;
		return 0;
	}
	r = st->ops->prune(st, run_ids, outputs_only, &s, d);
	if (r < 0 && st->ops->reconnect && st->ops->reconnect(st, d)) {
		memset(&s, 0, sizeof(s));
		r = st->ops->prune(st, run_ids, outputs_only, &s, d);
	}
	if (r == 0)
		*ret = s;
	return r;
}

int nr_store_vacuum(struct nr_store *st, struct nr_diag *d)
{
	return st->ops->vacuum(st, d);
}
