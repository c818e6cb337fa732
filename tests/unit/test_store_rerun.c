/*
 * Schema 5 on both backends: a run's options, hosts' labels and optional
 * flag, attempts superseded by `run --rerun` (left out of every sample
 * query, carried by a merge), and label: selectors over hosts' labels.
 */
#include <string.h>

#include "base/clock.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

/* A finished run on hosts a (labels nic=x, optional) and b (os=deb); its one case ran on b. */
static void make_run(struct nr_store *st, char run_id[NR_UUID_LEN + 1],
		     char case_id[NR_UUID_LEN + 1])
{
	struct nr_run_rec run = { 0 };
	struct nr_host_rec hosts[2];
	struct nr_case_rec c = { 0 };

	memset(hosts, 0, sizeof(hosts));
	nr_uuid_v7(run.id);
	run.campaign = "camp";
	run.config = "tests: []";
	run.config_hash = "h";
	run.status = NR_RUN_PASSED;
	run.labels = "{\"k\":\"v\"}";
	run.options = "{\"test\":[\"t\"]}";
	run.started_us = nr_wall_us();
	run.finished_us = run.started_us + 1;
	nr_uuid_v7(hosts[0].id);
	hosts[0].name = "a";
	hosts[0].transport = "local";
	hosts[0].labels = "{\"nic\":\"x\"}";
	hosts[0].optional = true;
	nr_uuid_v7(hosts[1].id);
	hosts[1].name = "b";
	hosts[1].transport = "local";
	hosts[1].labels = "{\"os\":\"deb\"}";
	nr_uuid_v7(c.id);
	memcpy(c.run_id, run.id, sizeof(run.id));
	c.ordinal = 1;
	c.test = "t";
	c.key = "t/n=0";
	c.params = "{}";
	c.status = NR_CASE_PENDING;
	c.repeats = 2;
	c.hosts = "{\"main\":\"b\"}";
	CHECK_OK(nr_store_run_create(st, &run, hosts, 2, &c, 1, NULL));
	memcpy(run_id, run.id, sizeof(run.id));
	memcpy(case_id, c.id, sizeof(c.id));
}

static size_t n_selected(struct nr_store *st, const char *selector)
{
	struct nr_run_rec *runs = NULL;
	size_t n = 0;
	int r = nr_store_runs_select(st, selector, NULL, 0, &runs, &n, NULL);

	CHECK(r == 0 || r == NR_ENOTFOUND);
	nr_runs_free(runs, n);
	return r == 0 ? n : 0;
}

static size_t n_samples(struct nr_store *st, const char *run_id, bool with_intervals)
{
	struct nr_sample_row *rows;
	size_t n;

	CHECK_OK(nr_store_samples_list(st, run_id, with_intervals, &rows, &n, NULL));
	nr_sample_rows_free(rows, n);
	return n;
}

/* The rows a merge must carry: labels, optional, options, superseded. */
static void check_rows(struct nr_store *st, const char *run_id, const char *case_id,
		       size_t n_superseded)
{
	struct nr_run_rec run = { 0 };
	struct nr_host_rec *hosts;
	struct nr_attempt_rec *atts;
	size_t n, i, k = 0;

	CHECK_OK(nr_store_run_get(st, run_id, &run, NULL));
	CHECK_STR(run.options, "{\"test\":[\"t\"]}");
	nr_run_rec_release(&run);
	CHECK_OK(nr_store_hosts_list(st, run_id, &hosts, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_STR(hosts[0].labels, "{\"nic\":\"x\"}");
	CHECK(hosts[0].optional);
	CHECK_STR(hosts[1].labels, "{\"os\":\"deb\"}");
	CHECK(!hosts[1].optional);
	nr_hosts_free(hosts, n);
	CHECK_OK(nr_store_attempts_list(st, case_id, &atts, &n, NULL));
	CHECK_EQ(n, 3);
	for (i = 0; i < n; i++)
		k += atts[i].superseded;
	CHECK_EQ(k, n_superseded);
	CHECK(!atts[2].superseded);
	nr_attempts_free(atts, n);
}

NR_STORE_TEST(store_rerun_supersedes_attempts_and_labels_select)
{
	const char *db = nr_tdb_new(kind, "rr"), *copy = nr_tdb_new(kind, "rr-copy");
	struct nr_store *st = nr_tdb_open(db), *to;
	char run_id[NR_UUID_LEN + 1], case_id[NR_UUID_LEN + 1];
	struct nr_case_rec again = { 0 };
	struct nr_merge_stats m;

	make_run(st, run_id, case_id);
	nr_tdb_save_attempt(st, case_id, 1, 0, 10.0, "a");
	nr_tdb_save_attempt(st, case_id, 2, 1, 11.0, "b");
	CHECK_EQ(n_samples(st, run_id, false), 2);
	/* a copy before the rerun: a merge later must mark its attempts too */
	to = nr_tdb_open(copy);
	CHECK_OK(nr_store_merge(to, db, &m, NULL));
	CHECK_EQ(m.attempts, 2);

	memcpy(again.id, case_id, sizeof(again.id));
	memcpy(again.run_id, run_id, sizeof(again.run_id));
	again.status = NR_CASE_PENDING;
	again.attempts = 2;
	CHECK_OK(nr_store_cases_rerun(st, run_id, &again, 1, NULL));
	CHECK_EQ(n_samples(st, run_id, false), 0);
	CHECK_EQ(n_samples(st, run_id, true), 0);
	nr_tdb_save_attempt(st, case_id, 3, 0, 12.0, "c");
	CHECK_EQ(n_samples(st, run_id, false), 1);
	check_rows(st, run_id, case_id, 2);
	{
		struct nr_sample_row *rows;
		size_t n;

		CHECK_OK(nr_store_samples_history(st, "camp", 0, &rows, &n, NULL));
		CHECK_EQ(n, 1);
		CHECK_NEAR(rows[0].value, 12.0, 0);
		nr_sample_rows_free(rows, n);
	}

	/* (nr_tdb_save_attempt's case has no hosts) */
	again.status = NR_CASE_PASSED;
	again.attempts = 3;
	again.repeats_done = 1;
	again.hosts = "{\"main\":\"b\"}";
	CHECK_OK(nr_store_case_update(st, &again, NULL));
	/* the run's own label, a label of a host a case ran on; not of a host none did */
	CHECK_EQ(n_selected(st, "label:k=v"), 1);
	CHECK_EQ(n_selected(st, "label:os=deb"), 1);
	CHECK_EQ(n_selected(st, "label:os=arch"), 0);
	CHECK_EQ(n_selected(st, "label:nic=x"), 0);
	CHECK_EQ(n_selected(st, "label:main=b"), 0);

	/* merged: into the copy (superseded there now), and into an empty database */
	CHECK_OK(nr_store_merge(to, db, &m, NULL));
	CHECK_EQ(m.attempts, 3); /* two marked, one added */
	check_rows(to, run_id, case_id, 2);
	CHECK_EQ(n_samples(to, run_id, false), 1);
	CHECK_EQ(n_selected(to, "label:os=deb"), 1);
	nr_store_close(to);
	to = nr_tdb_open(nr_tdb_new(kind == NR_TDB_PG ? NR_TDB_SQLITE : kind, "rr-file"));
	CHECK_OK(nr_store_merge(to, db, &m, NULL));
	check_rows(to, run_id, case_id, 2);
	CHECK_EQ(n_samples(to, run_id, false), 1);
	nr_store_close(to);
	nr_store_close(st);
}
