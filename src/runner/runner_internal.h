/* Internal to runner/: one attempt of a case. */
#ifndef NR_RUNNER_INTERNAL_H
#define NR_RUNNER_INTERNAL_H

#include "exec/exec.h"
#include "runner/runner.h"

struct nr__role_run {
	const struct nr_role *role;
	const struct nr_host *host;
	bool started;
	struct nr_proc proc;
	struct nr_sample_set samples;
};

struct nr__attempt {
	/* in */
	const struct nr_campaign *c;
	const struct nr_test *t;
	const struct nr_case_plan *cp;
	const char *run_id;
	int repeat, number;
	int cancel_fd;
	/* out */
	struct nr__role_run *roles; /* t->n_roles */
	const char *outcome;        /* NR_ATTEMPT_* */
	int exit_code, signal;
	int64_t started_us, finished_us; /* real time */
	struct nr_buf error;
	bool interrupted;
};

/* Run one attempt; fills `at`. Never fails as a function: failures are outcomes. */
void nr__runner_attempt(struct nr__attempt *at);
void nr__runner_attempt_release(struct nr__attempt *at);

#endif
