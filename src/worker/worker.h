/*
 * A worker: takes jobs from a store's queue (nr_store_job_claim) and runs
 * them through the runner, one at a time, holding each job's lease while
 * it runs (a thread renews it), so that a worker that dies loses the job
 * to the next one, which resumes the same run: every case runs once.
 *
 * It prints nothing: what happens goes to the caller's callbacks.
 */
#ifndef NR_WORKER_H
#define NR_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "runner/runner.h"
#include "store/store.h"
#include "sysinfo/sysinfo.h"

/* A job's tries in a row that may fail before it is failed for good. */
#define NR_WORKER_MAX_FAILURES 3
/*
 * Claims of one job in all (lost leases included: a job that kills every
 * worker that takes it must not go round for ever).
 */
#define NR_WORKER_MAX_TRIES 10

struct nr_worker_opts {
	const char *db;        /* the store's location (the lease thread opens its own connection) */
	const char *name;      /* this worker in the jobs table: unique among live workers */
	const char *offers;    /* JSON array of "K=V" it offers */
	int64_t lease_us;      /* how long a claim holds without renewal */
	int64_t poll_us;       /* between looks at an empty queue */
	bool once;             /* take at most one job, and do not wait for one */
	long max_jobs;         /* stop after this many jobs; 0: no limit */
	int stop_fd;           /* readable: finish the attempt in flight, give the job back, stop */
	int abort_fd;          /* readable: stop the attempt in flight too */
	/*
	 * This machine's description, for the runs' local hosts: read again
	 * for a job only when it may have changed (NULL: none stored)
	 */
	struct nr_sysinfo_memo *sysinfo;
	const char *dir;       /* where repositories of jobs are cloned (kept between jobs) */
	/* what happens to jobs, one line each (no newline) */
	void (*on_note)(void *ctx, const char *line);
	/* the runner's events of the job's run */
	void (*on_event)(void *ctx, const struct nr_event *ev);
	void *ctx;
};

struct nr_worker_summary {
	long jobs;          /* jobs taken */
	long done, failed;  /* of them, ended so */
	long given_back;    /* given back to the queue (to be tried again, or stopped) */
	bool stopped;       /* stop_fd or abort_fd ended it */
};

/*
 * Check job's repository (repo, repo_path, repo_commit) out at its commit
 * in a clone under dir that no other worker holds (made, or fetched into,
 * then checked out detached and cleaned). *ret_campaign: the campaign
 * file in it, *ret_checkout: the clone (free both); *ret_lock: an fd that
 * holds the clone until closed. NR_EINVAL for a job whose repository,
 * path or commit is not one (or is not there), NR_EEXEC when git fails.
 */
int nr_worker_checkout(const char *dir, const struct nr_job_rec *job, char **ret_campaign,
		       char **ret_checkout, int *ret_lock, struct nr_diag *d);

/*
 * Take and run jobs from store st until the queue is empty (once), the
 * limit is reached, or stop_fd / abort_fd is readable. 0, or NR_ESTORE
 * when the store cannot be used at all.
 */
int nr_worker_loop(struct nr_store *st, const struct nr_worker_opts *o,
		   struct nr_worker_summary *ret, struct nr_diag *d);

#endif
