/* The job queue in the store, on both backends: claims, needs, leases, cancel, races. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

/* Queue a job of campaign `name` needing `needs` (a JSON array); its id in id. */
static void add_job(struct nr_store *st, const char *name, const char *needs, int64_t created_us,
		    char id[NR_UUID_LEN + 1])
{
	struct nr_job_rec j = { 0 };

	nr_uuid_v7(j.id);
	j.campaign = (char *)name;
	j.config = (char *)"campaign: x\ntests: [{name: t, run: [true]}]\n";
	j.needs = (char *)needs;
	j.requester = (char *)"tester";
	j.created_us = created_us;
	CHECK_OK(nr_store_job_add(st, &j, NULL));
	memcpy(id, j.id, sizeof(j.id));
}

/* Claim as `worker` offering `offers`; the claimed job's campaign, or "" when none fits. */
static const char *claim(struct nr_store *st, const char *worker, const char *offers, int64_t now,
			 struct nr_job_rec *j)
{
	static char name[64];
	int r = nr_store_job_claim(st, worker, offers, now, 10000000, j, NULL);

	if (r == NR_ENOTFOUND)
		return "";
	CHECK_OK(r);
	snprintf(name, sizeof(name), "%s", j->campaign);
	return name;
}

NR_STORE_TEST(job_claims_the_oldest_job_whose_needs_it_offers)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "jobs"));
	char id[4][NR_UUID_LEN + 1];
	struct nr_job_rec j = { 0 };
	int64_t t = nr_wall_us();

	add_job(st, "lab3", "[\"lab=lab3\"]", t, id[0]);
	add_job(st, "any", "[]", t + 1, id[1]);
	add_job(st, "lab3-x", "[\"env=x\",\"lab=lab3\"]", t + 2, id[2]);
	add_job(st, "any2", "[]", t + 3, id[3]);
	/* offering nothing: the jobs that need nothing, oldest first */
	CHECK_STR(claim(st, "w1", "[]", t, &j), "any");
	CHECK_EQ(j.status, NR_JOB_RUNNING);
	CHECK_STR(j.worker, "w1");
	CHECK_EQ(j.tries, 1);
	CHECK_EQ(j.lease_until_us, t + 10000000);
	CHECK_EQ(j.started_us, t);
	CHECK_STR(j.requester, "tester");
	nr_job_rec_release(&j);
	CHECK_STR(claim(st, "w1", "[\"lab=lab2\"]", t, &j), "any2");
	nr_job_rec_release(&j);
	CHECK_STR(claim(st, "w1", "[\"lab=lab2\"]", t, &j), "");
	/* lab3 alone takes the job that needs only lab3; both needs take the other */
	CHECK_STR(claim(st, "w2", "[\"lab=lab3\",\"os=linux\"]", t, &j), "lab3");
	nr_job_rec_release(&j);
	CHECK_STR(claim(st, "w2", "[\"lab=lab3\"]", t, &j), "");
	CHECK_STR(claim(st, "w3", "[\"env=x\",\"lab=lab3\"]", t, &j), "lab3-x");
	nr_job_rec_release(&j);
	CHECK_STR(claim(st, "w3", "[\"env=x\",\"lab=lab3\"]", t, &j), "");
	nr_store_close(st);
}

NR_STORE_TEST(job_whose_lease_ends_goes_to_the_next_worker_and_the_first_can_no_longer_write)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "lease"));
	struct nr_job_rec a = { 0 }, b = { 0 }, got = { 0 };
	char id[NR_UUID_LEN + 1];
	int64_t t = nr_wall_us();

	add_job(st, "j", "[]", t, id);
	CHECK_STR(claim(st, "w1", "[]", t, &a), "j");
	/* w1 records its run, then goes silent */
	snprintf(a.run_id, sizeof(a.run_id), "%s", id);
	CHECK_OK(nr_store_job_update(st, &a, "w1", NULL));
	/* still held a moment before its lease ends; taken at once after */
	CHECK_STR(claim(st, "w2", "[]", t + 9999999, &b), "");
	CHECK_STR(claim(st, "w2", "[]", t + 10000001, &b), "j");
	CHECK_EQ(b.tries, 2);
	CHECK_STR(b.worker, "w2");
	CHECK_STR(b.run_id, id); /* the run to resume */
	CHECK(b.reasons && strstr(b.reasons, "try 1 on w1: the lease ended") != NULL);
	CHECK_EQ(b.failures, 0); /* a lost worker is not the job's failure */
	/* w1 wakes up: every write it tries is refused */
	a.lease_until_us = t + 20000000;
	CHECK(nr_store_job_update(st, &a, "w1", NULL) == -EBUSY);
	/* w2 finishes it */
	b.status = NR_JOB_DONE;
	b.finished_us = t + 10000002;
	b.lease_until_us = 0;
	CHECK_OK(nr_store_job_update(st, &b, "w2", NULL));
	CHECK(nr_store_job_update(st, &b, "w2", NULL) == -EBUSY); /* ended: no more writes */
	CHECK_OK(nr_store_job_get(st, id, &got, NULL));
	CHECK_EQ(got.status, NR_JOB_DONE);
	CHECK_EQ(got.finished_us, t + 10000002);
	CHECK_EQ(got.lease_until_us, 0);
	CHECK_STR(claim(st, "w3", "[]", t + 99999999, &b), "");
	nr_job_rec_release(&a);
	nr_job_rec_release(&b);
	nr_job_rec_release(&got);
	nr_store_close(st);
}

NR_STORE_TEST(job_cancel_stops_a_queued_or_running_job_and_nothing_else)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "cancel"));
	char q[NR_UUID_LEN + 1], r[NR_UUID_LEN + 1];
	struct nr_job_rec j = { 0 }, got = { 0 };
	struct nr_job_rec *v;
	size_t n;
	int64_t t = nr_wall_us();

	add_job(st, "running", "[]", t, r);
	add_job(st, "queued", "[]", t + 1, q);
	CHECK_STR(claim(st, "w", "[]", t, &j), "running");
	CHECK_OK(nr_store_job_cancel(st, q, "me", t + 5, NULL));
	CHECK_OK(nr_store_job_cancel(st, r, "me", t + 6, NULL));
	CHECK(nr_store_job_cancel(st, q, "me", t + 7, NULL) == -EBUSY);
	/* the running job's worker finds its lease gone at its next renewal */
	CHECK(nr_store_job_update(st, &j, "w", NULL) == -EBUSY);
	CHECK_STR(claim(st, "w", "[]", t + 99999999, &got), "");
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_CANCELLED, 0, &v, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_EQ(v[1].finished_us, t + 5);
	nr_jobs_free(v, n);
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_QUEUED, 0, &v, &n, NULL));
	CHECK_EQ(n, 0);
	nr_jobs_free(v, n);
	/* an id prefix: unique, ambiguous, none */
	CHECK_OK(nr_store_job_get(st, q, &got, NULL));
	CHECK_STR(got.campaign, "queued");
	nr_job_rec_release(&got);
	CHECK(nr_store_job_get(st, "0", &got, NULL) == NR_EAMBIGUOUS);
	CHECK(nr_store_job_get(st, "zz", &got, NULL) == NR_ENOTFOUND);
	CHECK(nr_store_job_get(st, "_", &got, NULL) == NR_ENOTFOUND); /* not a LIKE wildcard */
	nr_job_rec_release(&j);
	nr_store_close(st);
}

/*
 * Workers (processes) claiming at once: every job is claimed by exactly
 * one, none twice. Each child writes the ids it got to a file of its own.
 */
#define RACERS 4
#define RACE_JOBS 40

NR_STORE_TEST(jobs_list_takes_the_newest_and_jobs_count_counts_by_status)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "limit"));
	char ids[5][NR_UUID_LEN + 1], name[8];
	int64_t t = nr_wall_us(), by[NR_JOB_STATUS_N + 1];
	struct nr_job_rec j = { 0 }, *v;
	size_t n, i;

	for (i = 0; i < 5; i++) { /* queued in the order 4 0 1 2 3 */
		snprintf(name, sizeof(name), "j%zu", i);
		add_job(st, name, "[]", i == 4 ? t - 10 : t + (int64_t)i, ids[i]);
	}
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_UNKNOWN, 2, &v, &n, NULL));
	CHECK_EQ(n, 2); /* the newest two, oldest first */
	if (n == 2) {
		CHECK_STR(v[0].id, ids[2]);
		CHECK_STR(v[1].id, ids[3]);
	}
	nr_jobs_free(v, n);
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_UNKNOWN, 0, &v, &n, NULL));
	CHECK_EQ(n, 5);
	if (n == 5) {
		CHECK_STR(v[0].id, ids[4]);
		CHECK_STR(v[4].id, ids[3]);
	}
	nr_jobs_free(v, n);
	/* the oldest is claimed: 4 runs, 0 to 3 wait */
	CHECK_STR(claim(st, "w", "[]", t, &j), "j4");
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_QUEUED, 3, &v, &n, NULL));
	CHECK_EQ(n, 3);
	if (n == 3)
		CHECK_STR(v[0].id, ids[1]);
	nr_jobs_free(v, n);
	CHECK_OK(nr_store_jobs_list(st, NR_JOB_RUNNING, 3, &v, &n, NULL));
	CHECK_EQ(n, 1);
	nr_jobs_free(v, n);
	CHECK_OK(nr_store_job_cancel(st, ids[0], "me", t + 5, NULL));
	CHECK_OK(nr_store_jobs_count(st, by, NULL));
	CHECK_EQ(by[NR_JOB_QUEUED], 3);
	CHECK_EQ(by[NR_JOB_RUNNING], 1);
	CHECK_EQ(by[NR_JOB_CANCELLED], 1);
	CHECK_EQ(by[NR_JOB_DONE], 0);
	CHECK_EQ(by[NR_JOB_FAILED], 0);
	CHECK_EQ(by[NR_JOB_UNKNOWN], 0);
	nr_job_rec_release(&j);
	nr_store_close(st);
}

static void racer(const char *db, int i)
{
	struct nr_store *st = NULL;
	struct nr_job_rec j = { 0 };
	char name[32], path[32];
	FILE *f;
	int r, misses = 0;

	snprintf(name, sizeof(name), "w%d", i);
	snprintf(path, sizeof(path), "got.%d", i);
	f = fopen(path, "w");
	if (!f || nr_store_open(db, &st, NULL) < 0)
		_exit(2);
	while (misses < 3) {
		r = nr_store_job_claim(st, name, "[]", nr_wall_us(), 60000000, &j, NULL);
		if (r == NR_ENOTFOUND) {
			misses++;
			continue;
		}
		if (r < 0)
			_exit(3);
		fprintf(f, "%s\n", j.id);
		nr_job_rec_release(&j);
	}
	fclose(f);
	nr_store_close(st);
	_exit(0);
}

NR_STORE_TEST(job_claimed_by_workers_at_once_goes_to_exactly_one)
{
	const char *db = nr_tdb_new(kind, "race");
	struct nr_store *st = nr_tdb_open(db);
	char id[NR_UUID_LEN + 1], line[64];
	pid_t pids[RACERS];
	int i, status, got = 0;
	int64_t t = nr_wall_us();

	for (i = 0; i < RACE_JOBS; i++)
		add_job(st, "r", "[]", t + i, id);
	nr_store_close(st); /* each racer opens its own: none inherits a connection */
	for (i = 0; i < RACERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			racer(db, i);
	}
	for (i = 0; i < RACERS; i++) {
		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (i = 0; i < RACERS; i++) {
		char path[32];
		FILE *f;

		snprintf(path, sizeof(path), "got.%d", i);
		f = fopen(path, "r");
		CHECK(f != NULL);
		while (fgets(line, sizeof(line), f))
			got++;
		fclose(f);
	}
	/* every claim is a running job with one try: a job claimed twice would have 2 */
	CHECK_EQ(got, RACE_JOBS);
	CHECK_EQ(nr_tdb_count(db, "SELECT count(*) FROM jobs WHERE status = 'running' AND tries = 1"),
		 RACE_JOBS);
}

NR_STORE_TEST(job_keeps_its_repository_form_origin_canceller_and_what_was_reported)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "origin"));
	struct nr_job_rec j = { 0 }, got = { 0 };
	int64_t t = nr_wall_us();

	nr_uuid_v7(j.id);
	j.campaign = (char *)"nightly";
	j.repo = (char *)"/srv/git/app.git";
	j.repo_path = (char *)"ci/nightly.yaml";
	j.repo_commit = (char *)"0123456789abcdef0123456789abcdef01234567";
	j.repo_branch = (char *)"main";
	j.origin = (char *)"{\"github\":\"o/r\",\"sha\":\"0123456\",\"pr\":7}";
	j.requester = (char *)"alice";
	j.created_us = t;
	CHECK_OK(nr_store_job_add(st, &j, NULL));
	CHECK_OK(nr_store_job_get(st, j.id, &got, NULL));
	CHECK(got.config == NULL);
	CHECK_STR(got.repo_path, "ci/nightly.yaml");
	CHECK_STR(got.repo_branch, "main");
	CHECK_STR(got.origin, j.origin);
	CHECK(got.reported == NULL && got.cancelled_by == NULL);
	nr_job_rec_release(&got);
	CHECK_OK(nr_store_job_reported(st, j.id, "pending", t + 1, NULL));
	CHECK_OK(nr_store_job_cancel(st, j.id, "bob", t + 2, NULL));
	CHECK_OK(nr_store_job_get(st, j.id, &got, NULL));
	CHECK_STR(got.reported, "pending");
	CHECK_EQ(got.reported_us, t + 1);
	CHECK_STR(got.cancelled_by, "bob");
	CHECK(got.status == NR_JOB_CANCELLED);
	nr_job_rec_release(&got);
	CHECK(nr_store_job_reported(st, "0190a0b0-0000-7000-8000-00000000beef", "final", t, NULL) ==
	      NR_ENOTFOUND);
	nr_store_close(st);
}

NR_STORE_TEST(jobs_to_report_are_those_with_something_new_to_say)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "toreport"));
	char id[4][NR_UUID_LEN + 1];
	struct nr_job_rec j = { 0 }, *v;
	size_t n, i;
	int64_t t = nr_wall_us();

	for (i = 0; i < 4; i++) {
		memset(&j, 0, sizeof(j));
		nr_uuid_v7(j.id);
		j.campaign = (char *)"c";
		j.config = (char *)"campaign: c\n";
		/* the first has no origin: nothing to report, ever */
		j.origin = i ? (char *)"{\"github\":\"o/r\",\"sha\":\"0123456\"}" : NULL;
		j.created_us = t + (int64_t)i;
		CHECK_OK(nr_store_job_add(st, &j, NULL));
		memcpy(id[i], j.id, sizeof(j.id));
	}
	CHECK_OK(nr_store_jobs_to_report(st, 10, &v, &n, NULL));
	CHECK_EQ(n, 3);
	CHECK_STR(v[0].id, id[1]);
	nr_jobs_free(v, n);
	/* pending said: out of the way (of a batch of 1 too) until it ends */
	CHECK_OK(nr_store_job_reported(st, id[1], "pending", t, NULL));
	CHECK_OK(nr_store_jobs_to_report(st, 1, &v, &n, NULL));
	CHECK_EQ(n, 1);
	CHECK_STR(v[0].id, id[2]);
	nr_jobs_free(v, n);
	CHECK_OK(nr_store_job_cancel(st, id[1], "me", t + 9, NULL));
	CHECK_OK(nr_store_job_reported(st, id[3], "final", t, NULL));
	CHECK_OK(nr_store_jobs_to_report(st, 10, &v, &n, NULL));
	CHECK_EQ(n, 2);
	CHECK_STR(v[0].id, id[1]);
	CHECK_STR(v[1].id, id[2]);
	nr_jobs_free(v, n);
	nr_store_close(st);
}

NR_TEST(job_repository_form_refuses_what_git_could_take_for_an_option_or_a_way_out)
{
	const char *sha = "0123456789abcdef0123456789abcdef01234567";

	CHECK_OK(nr_store_job_check_repo("https://example.org/o/r.git", "ci/n.yaml", sha, "main", NULL));
	CHECK_OK(nr_store_job_check_repo("/srv/git/r", "n.yaml", "0123456", NULL, NULL));
	CHECK(nr_store_job_check_repo("--upload-pack=touch /tmp/x", "n.yaml", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("ext::sh -c touch% /tmp/x", "n.yaml", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("", "n.yaml", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "../n.yaml", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "a/../../n.yaml", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "a/..", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "/etc/passwd", sha, NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", "--force", NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", "HEAD", NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", "012345", NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", "0123456789ABCDEF", NULL, NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", sha, "-f", NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", sha, "a..b", NULL) == NR_EINVAL);
	CHECK(nr_store_job_check_repo("r", "n.yaml", sha, "", NULL) == NR_EINVAL);
	CHECK_OK(nr_store_job_check_repo("r", "..n.yaml", sha, "feature/x", NULL));
}
