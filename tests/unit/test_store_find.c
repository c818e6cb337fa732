/*
 * nr_store_runs_find and nr_store_runs_count on both backends: the store
 * filters and limits, so what a server answers costs its rows, not the
 * database's. Every filter is checked alone and together, against runs
 * made to tell a right answer from a near miss (a commit prefix in
 * capitals, a label whose value is a number, two runs of one start time).
 */
#include <string.h>

#include "store/store.h"
#include "test.h"
#include "testdb.h"

struct made {
	char id[NR_UUID_LEN + 1];
};

static void make(struct nr_store *st, const char *campaign, int64_t started_us,
		 const char *branch, const char *commit, const char *labels,
		 enum nr_run_status status, struct made *ret)
{
	struct nr_run_rec run = { 0 };

	nr_uuid_v7(run.id);
	run.campaign = (char *)campaign;
	run.config = "tests: []";
	run.config_hash = "h";
	run.status = status;
	run.branch = (char *)branch;
	run.commit = (char *)commit;
	run.labels = (char *)labels;
	run.started_us = started_us;
	run.finished_us = status == NR_RUN_RUNNING ? 0 : started_us + 1;
	CHECK_OK(nr_store_run_create(st, &run, NULL, 0, NULL, 0, NULL));
	memcpy(ret->id, run.id, sizeof(run.id));
}

/* The runs f finds, as the indexes of made[] in the order found, into got; their count. */
static size_t find(struct nr_store *st, const struct nr_run_filter *f, const struct made *m,
		   size_t n_made, size_t got[16])
{
	struct nr_run_rec *runs = NULL;
	size_t n = 0, i, k;

	CHECK_OK(nr_store_runs_find(st, f, &runs, &n, NULL));
	CHECK(n <= 16);
	for (i = 0; i < n && i < 16; i++) {
		for (k = 0; k < n_made && strcmp(m[k].id, runs[i].id); k++)
			;
		CHECK(k < n_made);
		got[i] = k;
		/* the counts of the campaign are asked for with latest_per_campaign only */
		if (!f->latest_per_campaign)
			CHECK_EQ(runs[i].n_campaign_runs, 0);
	}
	nr_runs_free(runs, n);
	return n;
}

NR_STORE_TEST(store_runs_find_filters_in_the_store)
{
	const char *db = nr_tdb_new(kind, "find");
	struct nr_store *st = nr_tdb_open(db);
	struct made m[7];
	struct nr_run_filter f;
	struct nr_run_rec *runs = NULL;
	int64_t t = 1700000000000000, by[NR_RUN_STATUS_N + 1];
	size_t got[16], n;

	/* oldest first; 2 and 3 start at the same microsecond */
	make(st, "a", t + 1, "main", "abcdef12", "{\"os\":\"deb\",\"n\":\"5\"}", NR_RUN_PASSED, &m[0]);
	make(st, "b", t + 2, "dev", "ABCDEF99", "{\"os\":\"deb\"}", NR_RUN_FAILED, &m[1]);
	make(st, "a", t + 3, "main", "abc00000", "{\"n\":5}", NR_RUN_PASSED, &m[2]);
	make(st, "a", t + 3, "dev", NULL, "{\"a.b\":\"x\",\"q\\\"k\":\"y\"}", NR_RUN_PASSED, &m[3]);
	make(st, "b", t + 5, "main", "abcdef00", "{}", NR_RUN_INTERRUPTED, &m[4]);
	make(st, "c", t + 6, NULL, NULL, "{}", NR_RUN_RUNNING, &m[5]);
	make(st, "a", t + 7, "main", "abcdef34", "{\"os\":\"fedora\"}", NR_RUN_PASSED, &m[6]);
	/* run 1 and 6 pushed by alice, 4 by bob */
	nr_tdb_exec(db, "INSERT INTO uploads (run_id, user_name, uploaded_at) SELECT id, 'alice', 1"
			" FROM runs WHERE commit_sha IN ('ABCDEF99', 'abcdef34')");
	nr_tdb_exec(db, "INSERT INTO uploads (run_id, user_name, uploaded_at) SELECT id, 'bob', 1"
			" FROM runs WHERE commit_sha = 'abcdef00'");

	/* nothing asked: all, newest first (ties by id, as everywhere) */
	f = (struct nr_run_filter){ 0 };
	CHECK_EQ(find(st, &f, m, 7, got), 7);
	CHECK_EQ(got[0], 6);
	CHECK_EQ(got[1], 5);
	CHECK_EQ(got[2], 4);
	CHECK_EQ(got[5], 1);
	CHECK_EQ(got[6], 0);
	CHECK(got[3] == (strcmp(m[3].id, m[2].id) > 0 ? 3u : 2u));

	/* the limit takes the newest */
	f = (struct nr_run_filter){ .limit = 2 };
	CHECK_EQ(find(st, &f, m, 7, got), 2);
	CHECK_EQ(got[0], 6);
	CHECK_EQ(got[1], 5);

	f = (struct nr_run_filter){ .campaign = "b" };
	CHECK_EQ(find(st, &f, m, 7, got), 2);
	CHECK_EQ(got[0], 4);
	CHECK_EQ(got[1], 1);

	f = (struct nr_run_filter){ .campaign = "a", .branch = "main", .limit = 2 };
	CHECK_EQ(find(st, &f, m, 7, got), 2);
	CHECK_EQ(got[0], 6);
	CHECK_EQ(got[1], 2);

	/* a commit prefix, exactly: "abcdef" is not "ABCDEF99", "abc" is three runs */
	f = (struct nr_run_filter){ .commit = "abcdef" };
	CHECK_EQ(find(st, &f, m, 7, got), 3);
	CHECK_EQ(got[0], 6);
	CHECK_EQ(got[1], 4);
	CHECK_EQ(got[2], 0);
	f = (struct nr_run_filter){ .commit = "ABC" };
	CHECK_EQ(find(st, &f, m, 7, got), 1);
	CHECK_EQ(got[0], 1);
	f = (struct nr_run_filter){ .commit = "abcdef12x" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);
	/* a LIKE pattern is no pattern here */
	f = (struct nr_run_filter){ .commit = "abc%" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);

	/* labels: the run's own, a string value only, any key */
	f = (struct nr_run_filter){ .label = "os=deb" };
	CHECK_EQ(find(st, &f, m, 7, got), 2);
	CHECK_EQ(got[0], 1);
	CHECK_EQ(got[1], 0);
	f = (struct nr_run_filter){ .label = "n=5" }; /* run 2's n is the number 5 */
	CHECK_EQ(find(st, &f, m, 7, got), 1);
	CHECK_EQ(got[0], 0);
	f = (struct nr_run_filter){ .label = "a.b=x" };
	CHECK_EQ(find(st, &f, m, 7, got), 1);
	CHECK_EQ(got[0], 3);
	f = (struct nr_run_filter){ .label = "q\"k=y" };
	CHECK_EQ(find(st, &f, m, 7, got), 1);
	CHECK_EQ(got[0], 3);
	f = (struct nr_run_filter){ .label = "os=deb=x" }; /* the first '=' splits */
	CHECK_EQ(find(st, &f, m, 7, got), 0);
	f = (struct nr_run_filter){ .label = "os" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);
	f = (struct nr_run_filter){ .label = "os=deb", .campaign = "b", .branch = "dev" };
	CHECK_EQ(find(st, &f, m, 7, got), 1);
	CHECK_EQ(got[0], 1);

	/* values are values: SQL in them finds nothing and breaks nothing */
	f = (struct nr_run_filter){ .campaign = "a' OR '1'='1" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);
	f = (struct nr_run_filter){ .label = "os') OR 1=1 --=deb" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);
	f = (struct nr_run_filter){ .user = "x' OR 'a'='a", .commit = "%" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);

	f = (struct nr_run_filter){ .since_us = t + 5 };
	CHECK_EQ(find(st, &f, m, 7, got), 3);
	CHECK_EQ(got[2], 4);

	/* each campaign's latest, and its count of runs; the newest campaign first */
	f = (struct nr_run_filter){ .latest_per_campaign = true };
	CHECK_OK(nr_store_runs_find(st, &f, &runs, &n, NULL));
	CHECK_EQ(n, 3);
	if (n == 3) {
		CHECK_STR(runs[0].id, m[6].id);
		CHECK_EQ(runs[0].n_campaign_runs, 4);
		CHECK_STR(runs[1].id, m[5].id);
		CHECK_EQ(runs[1].n_campaign_runs, 1);
		CHECK_STR(runs[2].id, m[4].id);
		CHECK_EQ(runs[2].n_campaign_runs, 2);
	}
	nr_runs_free(runs, n);
	/* ... where that latest passes the other filters (not the latest that does) */
	f = (struct nr_run_filter){ .latest_per_campaign = true, .branch = "main" };
	CHECK_EQ(find(st, &f, m, 7, got), 2);
	CHECK_EQ(got[0], 6);
	CHECK_EQ(got[1], 4);
	f = (struct nr_run_filter){ .latest_per_campaign = true, .branch = "dev" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);

	f = (struct nr_run_filter){ .user = "alice" };
	CHECK_EQ(find(st, &f, m, 7, got), 2);
	CHECK_EQ(got[0], 6);
	CHECK_EQ(got[1], 1);
	f = (struct nr_run_filter){ .user = "bob", .campaign = "b" };
	CHECK_EQ(find(st, &f, m, 7, got), 1);
	CHECK_EQ(got[0], 4);
	f = (struct nr_run_filter){ .user = "carol" };
	CHECK_EQ(find(st, &f, m, 7, got), 0);

	CHECK_OK(nr_store_runs_count(st, by, NULL));
	CHECK_EQ(by[NR_RUN_PASSED], 4);
	CHECK_EQ(by[NR_RUN_FAILED], 1);
	CHECK_EQ(by[NR_RUN_INTERRUPTED], 1);
	CHECK_EQ(by[NR_RUN_RUNNING], 1);
	CHECK_EQ(by[NR_RUN_STOPPED], 0);
	CHECK_EQ(by[NR_RUN_UNKNOWN], 0);
	nr_store_close(st);
}
