/*
 * The runner's decisions as pure functions of counts, so that they are
 * tested without running anything: what follows an attempt (another
 * repeat, a retry, the case's end) and when the breaker stops the run.
 */
#include "runner/runner_internal.h"

enum nr__next nr__decide_after_attempt(struct nr__tally *t, bool passed)
{
	if (passed) {
		t->repeats_done++;
		t->failures = 0; /* retries count per repeat */
		return t->repeats_done >= t->repeats ? NR__CASE_PASSED : NR__NEXT_REPEAT;
	}
	t->failures++;
	return t->failures > t->retries ? NR__CASE_FAILED : NR__RETRY;
}

bool nr__decide_breaker(int consecutive_failures, int stop_after_failures)
{
	return stop_after_failures > 0 && consecutive_failures >= stop_after_failures;
}
