/*
 * The domain's name tables (metric/state.h, metric/metric.h): every value
 * has the name the database and the reports have always held, every name
 * reads back to its value, and a name this netrig does not know (one a
 * newer netrig may have written) is refused by parse and read as UNKNOWN
 * by the store's reading, never as some known state.
 */
#include <string.h>

#include "base/mem.h"
#include "metric/metric.h"
#include "test.h"

struct named {
	int value;
	const char *name;
};

/* The stored strings, as schema version 7 and every report hold them. */
static const struct named runs[] = {
	{ NR_RUN_RUNNING, "running" }, { NR_RUN_PASSED, "passed" }, { NR_RUN_FAILED, "failed" },
	{ NR_RUN_INTERRUPTED, "interrupted" }, { NR_RUN_STOPPED, "stopped" },
};
static const struct named cases[] = {
	{ NR_CASE_PENDING, "pending" }, { NR_CASE_RUNNING, "running" },
	{ NR_CASE_PASSED, "passed" }, { NR_CASE_FAILED, "failed" },
};
static const struct named attempts[] = {
	{ NR_ATTEMPT_PASSED, "passed" }, { NR_ATTEMPT_FAILED, "failed" },
	{ NR_ATTEMPT_TIMEOUT, "timeout" }, { NR_ATTEMPT_PARSE_ERROR, "parse_error" },
	{ NR_ATTEMPT_ERROR, "error" },
};
static const struct named jobs[] = {
	{ NR_JOB_QUEUED, "queued" }, { NR_JOB_RUNNING, "running" }, { NR_JOB_DONE, "done" },
	{ NR_JOB_FAILED, "failed" }, { NR_JOB_CANCELLED, "cancelled" },
};
static const struct named streams[] = {
	{ NR_STREAM_STDOUT, "stdout" }, { NR_STREAM_STDERR, "stderr" }, { NR_STREAM_BOTH, "both" },
};
static const struct named betters[] = {
	{ NR_BETTER_NONE, "none" }, { NR_BETTER_HIGHER, "higher" }, { NR_BETTER_LOWER, "lower" },
};

/* Names nothing may parse to: a newer status, the UNKNOWN value's own name, near misses. */
static const char *const strangers[] = {
	"unknown", "archived", "", "Passed", "passed ", " passed", "pass", "passedx", "RUNNING",
	"parse-error", "std", "stdout\n",
};

/* One table, through its functions: each value's name, each name's value, strangers refused. */
#define CHECK_TABLE(tab, n_named, name_fn, parse_fn, type)                                  \
	do {                                                                               \
		size_t i_, k_;                                                             \
		type got_;                                                                 \
                                                                                           \
		CHECK_EQ(NR_ARRAY_SIZE(tab), (n_named));                                   \
		for (i_ = 0; i_ < NR_ARRAY_SIZE(tab); i_++) {                              \
			CHECK_STR(name_fn((type)tab[i_].value), tab[i_].name);             \
			got_ = (type)-1;                                                   \
			CHECK_OK(parse_fn(tab[i_].name, &got_));                           \
			CHECK_EQ((int)got_, tab[i_].value);                                \
		}                                                                          \
		for (k_ = 0; k_ < NR_ARRAY_SIZE(strangers); k_++) {                        \
			got_ = (type)77;                                                   \
			CHECK_EQ(parse_fn(strangers[k_], &got_), NR_EINVAL);               \
			CHECK_EQ((int)got_, 77); /* untouched */                           \
		}                                                                          \
		CHECK_EQ(parse_fn(NULL, &got_), NR_EINVAL);                                \
	} while (0)

NR_TEST(metric_state_names_round_trip)
{
	CHECK_TABLE(runs, NR_RUN_STATUS_N, nr_run_status_name, nr_run_status_parse,
		    enum nr_run_status);
	CHECK_TABLE(cases, NR_CASE_STATUS_N, nr_case_status_name, nr_case_status_parse,
		    enum nr_case_status);
	CHECK_TABLE(attempts, NR_ATTEMPT_OUTCOME_N, nr_attempt_outcome_name,
		    nr_attempt_outcome_parse, enum nr_attempt_outcome);
	CHECK_TABLE(jobs, NR_JOB_STATUS_N, nr_job_status_name, nr_job_status_parse,
		    enum nr_job_status);
	CHECK_TABLE(streams, NR_STREAM_N, nr_stream_name, nr_stream_parse, enum nr_stream);
	CHECK_TABLE(betters, 3, nr_better_name, nr_better_parse, enum nr_better);
}

NR_TEST(metric_state_unknown_is_readable_never_a_known_state)
{
	size_t k;

	/* UNKNOWN (0) is named, and so is any value out of range: never NULL, never a crash */
	CHECK_STR(nr_run_status_name(NR_RUN_UNKNOWN), "unknown");
	CHECK_STR(nr_case_status_name(NR_CASE_UNKNOWN), "unknown");
	CHECK_STR(nr_attempt_outcome_name(NR_ATTEMPT_UNKNOWN), "unknown");
	CHECK_STR(nr_job_status_name(NR_JOB_UNKNOWN), "unknown");
	CHECK_STR(nr_run_status_name((enum nr_run_status)(NR_RUN_STATUS_N + 1)), "unknown");
	CHECK_STR(nr_run_status_name((enum nr_run_status)-1), "unknown");
	CHECK_STR(nr_case_status_name((enum nr_case_status)1000), "unknown");
	CHECK_STR(nr_attempt_outcome_name((enum nr_attempt_outcome)-7), "unknown");
	CHECK_STR(nr_job_status_name((enum nr_job_status)(NR_JOB_STATUS_N + 1)), "unknown");
	CHECK_STR(nr_stream_name((enum nr_stream)NR_STREAM_N), "unknown");
	CHECK_STR(nr_better_name((enum nr_better)3), "none");
	/* the store's reading: a stranger is UNKNOWN, a known name its value */
	for (k = 0; k < NR_ARRAY_SIZE(strangers); k++) {
		CHECK_EQ(nr_run_status_of(strangers[k]), NR_RUN_UNKNOWN);
		CHECK_EQ(nr_case_status_of(strangers[k]), NR_CASE_UNKNOWN);
		CHECK_EQ(nr_attempt_outcome_of(strangers[k]), NR_ATTEMPT_UNKNOWN);
		CHECK_EQ(nr_job_status_of(strangers[k]), NR_JOB_UNKNOWN);
	}
	CHECK_EQ(nr_run_status_of(NULL), NR_RUN_UNKNOWN);
	CHECK_EQ(nr_run_status_of("stopped"), NR_RUN_STOPPED);
	CHECK_EQ(nr_case_status_of("pending"), NR_CASE_PENDING);
	CHECK_EQ(nr_attempt_outcome_of("parse_error"), NR_ATTEMPT_PARSE_ERROR);
	CHECK_EQ(nr_job_status_of("cancelled"), NR_JOB_CANCELLED);
	/* an unknown run is neither final nor resumable by a test of its own */
	CHECK(!nr_run_status_final(NR_RUN_UNKNOWN));
	CHECK(!nr_case_status_final(NR_CASE_UNKNOWN));
	CHECK(nr_run_status_final(NR_RUN_PASSED) && nr_run_status_final(NR_RUN_FAILED));
	CHECK(!nr_run_status_final(NR_RUN_STOPPED) && !nr_run_status_final(NR_RUN_INTERRUPTED));
}
