/*
 * The states of the domain as enums: a run's status, a case's status, an
 * attempt's outcome, a job's status, and which output stream a parser
 * reads. Code compares enums; the names (X-macro tables, as in
 * base/err.h) appear only where a state crosses a boundary: the store's
 * columns, reports, JSON and the command line. The stored strings are
 * the names here, unchanged.
 *
 * A database written by a newer netrig may hold a status this one does
 * not know: the store reads it as the UNKNOWN value of its enum (named
 * "unknown"), which every report prints and no decision takes for a
 * known state; nothing is refused or crashes on it. nr_X_parse refuses
 * such a name (NR_EINVAL); nr_X_of is the store's reading that gives
 * UNKNOWN instead.
 */
#ifndef NR_METRIC_STATE_H
#define NR_METRIC_STATE_H

#include <stdbool.h>

#define NR_STATE_UNKNOWN_NAME "unknown"

/* X(value, name) */
#define NR_RUN_STATUSES(X)                                                          \
	X(NR_RUN_RUNNING, "running")                                                \
	X(NR_RUN_PASSED, "passed")                                                  \
	X(NR_RUN_FAILED, "failed")                                                  \
	X(NR_RUN_INTERRUPTED, "interrupted") /* SIGINT/SIGTERM; resumable */        \
	X(NR_RUN_STOPPED, "stopped") /* the breaker tripped, or the store failed; resumable */

#define NR_CASE_STATUSES(X)                                                         \
	X(NR_CASE_PENDING, "pending")                                               \
	X(NR_CASE_RUNNING, "running")                                               \
	X(NR_CASE_PASSED, "passed")                                                 \
	X(NR_CASE_FAILED, "failed")

#define NR_ATTEMPT_OUTCOMES(X)                                                      \
	X(NR_ATTEMPT_PASSED, "passed")                                              \
	X(NR_ATTEMPT_FAILED, "failed") /* a main role exited non-zero */            \
	X(NR_ATTEMPT_TIMEOUT, "timeout")                                            \
	X(NR_ATTEMPT_PARSE_ERROR, "parse_error") /* exit 0, but the output did not parse */ \
	X(NR_ATTEMPT_ERROR, "error") /* could not start, not ready, ... */

#define NR_JOB_STATUSES(X)                                                          \
	X(NR_JOB_QUEUED, "queued")                                                  \
	X(NR_JOB_RUNNING, "running") /* a worker holds its lease */                 \
	X(NR_JOB_DONE, "done")                                                      \
	X(NR_JOB_FAILED, "failed")                                                  \
	X(NR_JOB_CANCELLED, "cancelled")

/* The output a parser reads; stdout is the default (0). */
#define NR_STREAMS(X)                                                               \
	X(NR_STREAM_STDOUT, "stdout")                                               \
	X(NR_STREAM_STDERR, "stderr")                                               \
	X(NR_STREAM_BOTH, "both") /* stdout, then stderr */

#define NR_STATE_ENUM(value, name) value,

/* UNKNOWN (0): not set yet, or a name this netrig does not know. */
enum nr_run_status { NR_RUN_UNKNOWN = 0, NR_RUN_STATUSES(NR_STATE_ENUM) };
enum nr_case_status { NR_CASE_UNKNOWN = 0, NR_CASE_STATUSES(NR_STATE_ENUM) };
enum nr_attempt_outcome { NR_ATTEMPT_UNKNOWN = 0, NR_ATTEMPT_OUTCOMES(NR_STATE_ENUM) };
enum nr_job_status { NR_JOB_UNKNOWN = 0, NR_JOB_STATUSES(NR_STATE_ENUM) };
enum nr_stream { NR_STREAMS(NR_STATE_ENUM) };

/* How many named values each has: a status's run from 1 to its _N, a stream's from 0 to _N - 1. */
#define NR_STATE_COUNT(value, name) +1
enum {
	NR_RUN_STATUS_N = 0 NR_RUN_STATUSES(NR_STATE_COUNT),
	NR_CASE_STATUS_N = 0 NR_CASE_STATUSES(NR_STATE_COUNT),
	NR_ATTEMPT_OUTCOME_N = 0 NR_ATTEMPT_OUTCOMES(NR_STATE_COUNT),
	NR_JOB_STATUS_N = 0 NR_JOB_STATUSES(NR_STATE_COUNT),
	NR_STREAM_N = 0 NR_STREAMS(NR_STATE_COUNT),
};

/*
 * nr_X_name: the name; "unknown" for UNKNOWN or a value out of range.
 * Never NULL.
 * nr_X_parse: the value named s into *ret; NR_EINVAL (ret untouched) for
 * NULL or a name not in the table ("unknown" included).
 * nr_X_of: the value named s, UNKNOWN when there is none.
 */
const char *nr_run_status_name(enum nr_run_status s);
int nr_run_status_parse(const char *s, enum nr_run_status *ret);
enum nr_run_status nr_run_status_of(const char *s);

const char *nr_case_status_name(enum nr_case_status s);
int nr_case_status_parse(const char *s, enum nr_case_status *ret);
enum nr_case_status nr_case_status_of(const char *s);

const char *nr_attempt_outcome_name(enum nr_attempt_outcome o);
int nr_attempt_outcome_parse(const char *s, enum nr_attempt_outcome *ret);
enum nr_attempt_outcome nr_attempt_outcome_of(const char *s);

const char *nr_job_status_name(enum nr_job_status s);
int nr_job_status_parse(const char *s, enum nr_job_status *ret);
enum nr_job_status nr_job_status_of(const char *s);

const char *nr_stream_name(enum nr_stream s);
int nr_stream_parse(const char *s, enum nr_stream *ret);

/* A run whose status ends it: passed or failed (not resumable). */
static inline bool nr_run_status_final(enum nr_run_status s)
{
	return s == NR_RUN_PASSED || s == NR_RUN_FAILED;
}

/* A case whose status ends it: passed or failed. */
static inline bool nr_case_status_final(enum nr_case_status s)
{
	return s == NR_CASE_PASSED || s == NR_CASE_FAILED;
}

#endif
