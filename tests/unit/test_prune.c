/* Retention: db prune's choice of runs, and prune and vacuum on both backends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

/* A finished (or, running, not) run of `campaign` with 2 cases and one attempt; its id in id. */
static void finished_run(struct nr_store *st, const char *campaign, bool running,
			 char id[NR_UUID_LEN + 1])
{
	char cids[2][NR_UUID_LEN + 1];
	struct nr_run_rec r = { 0 };

	nr_tdb_make_run(st, campaign, 2, id, cids);
	nr_tdb_save_attempt(st, cids[0], 1, 0, 5.0, "out");
	if (running)
		return;
	CHECK_OK(nr_store_run_get(st, id, &r, NULL));
	r.status = NR_RUN_PASSED;
	r.finished_us = nr_wall_us();
	r.pid = 0;
	CHECK_OK(nr_store_run_update(st, &r, NULL));
	nr_run_rec_release(&r);
}

static bool has(const struct nr_strvec *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], id))
			return true;
	return false;
}

NR_STORE_TEST(store_prune_keeps_the_newest_runs_of_each_campaign_and_removes_all_of_the_rest)
{
	const char *db = nr_tdb_new(kind, "prune");
	struct nr_store *st = nr_tdb_open(db);
	char a[4][NR_UUID_LEN + 1], b[NR_UUID_LEN + 1];
	struct nr_prune_rule keep1 = { .keep_runs = 1, .now_us = nr_wall_us() };
	struct nr_strvec ids = NR_STRVEC_INIT;
	struct nr_prune_stats s = { 0 };
	struct nr_run_rec *runs;
	size_t n;

	finished_run(st, "a", false, a[0]);
	finished_run(st, "a", false, a[1]);
	finished_run(st, "b", false, b);
	finished_run(st, "a", false, a[2]);
	finished_run(st, "a", true, a[3]); /* running, and the newest */
	CHECK_OK(nr_store_runs_list(st, 0, &runs, &n, NULL));
	CHECK_EQ(n, 5);
	nr_store_prune_select(runs, n, &keep1, &ids);
	/* a's newest is the running one: the finished ones all go; b keeps its one */
	CHECK_EQ(ids.n, 3);
	CHECK(has(&ids, a[0]) && has(&ids, a[1]) && has(&ids, a[2]));
	nr_strvec_clear(&ids);
	/* keep 2: the running one and a[2]; running runs never go, whatever the rule */
	keep1.keep_runs = 2;
	nr_store_prune_select(runs, n, &keep1, &ids);
	CHECK_EQ(ids.n, 2);
	CHECK(has(&ids, a[0]) && has(&ids, a[1]));
	nr_strvec_clear(&ids);
	keep1.keep_runs = 0;
	keep1.older_than_us = 1;
	keep1.now_us = nr_wall_us() + 3600000000LL; /* an hour on: every run is older */
	nr_store_prune_select(runs, n, &keep1, &ids);
	CHECK_EQ(ids.n, 4);
	CHECK(!has(&ids, a[3]));
	nr_strvec_clear(&ids);
	keep1.older_than_us = 0;
	nr_store_prune_select(runs, n, &keep1, &ids);
	CHECK_EQ(ids.n, 0); /* no rule: nothing */

	/* the raw outputs of a[0] only: its samples and sheet stay */
	nr_strvec_push(&ids, a[0]);
	CHECK_OK(nr_store_prune(st, &ids, true, &s, NULL));
	CHECK_EQ(s.outputs, 1);
	CHECK_EQ(s.runs, 0);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM outputs"), 4);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 5);
	/* a[0] and a[1] whole, and the running a[3] asked for too: left alone */
	nr_strvec_push(&ids, a[1]);
	nr_strvec_push(&ids, a[3]);
	CHECK_OK(nr_store_prune(st, &ids, false, &s, NULL));
	CHECK_EQ(s.runs, 2);
	CHECK_EQ(s.attempts, 2);
	CHECK_EQ(s.samples, 2);
	CHECK_EQ(s.outputs, 1);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM runs"), 3);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM cases"), 6);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM hosts"), 3);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM attempts"), 3);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM samples"), 3);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM outputs"), 3);
	CHECK_OK(nr_store_vacuum(st, NULL));
	/* what is left reads as before */
	nr_runs_free(runs, n);
	CHECK_OK(nr_store_runs_list(st, 0, &runs, &n, NULL));
	CHECK_EQ(n, 3);
	CHECK_EQ(runs[0].n_cases, 2);
	nr_runs_free(runs, n);
	nr_strvec_clear(&ids);
	nr_store_close(st);
}
