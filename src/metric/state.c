/*
 * The names of the domain's states (state.h): one table per enum, built
 * from its X-macro, so a value and its name cannot drift apart.
 */
#include "metric/state.h"

#include <string.h>

#include "base/err.h"
#include "base/mem.h"

#define NAME(value, name) [value] = name,

static const char *const run_names[] = {
	[NR_RUN_UNKNOWN] = NR_STATE_UNKNOWN_NAME, NR_RUN_STATUSES(NAME)
};
static const char *const case_names[] = {
	[NR_CASE_UNKNOWN] = NR_STATE_UNKNOWN_NAME, NR_CASE_STATUSES(NAME)
};
static const char *const attempt_names[] = {
	[NR_ATTEMPT_UNKNOWN] = NR_STATE_UNKNOWN_NAME, NR_ATTEMPT_OUTCOMES(NAME)
};
static const char *const job_names[] = {
	[NR_JOB_UNKNOWN] = NR_STATE_UNKNOWN_NAME, NR_JOB_STATUSES(NAME)
};
static const char *const stream_names[] = { NR_STREAMS(NAME) };

#undef NAME

static const char *name_of(const char *const *names, size_t n, int v)
{
	/* a value out of range comes from memory gone wrong or a cast: say so, do not index */
	return v >= 0 && (size_t)v < n ? names[v] : NR_STATE_UNKNOWN_NAME;
}

/* The index of s in names[first..n), or -1. */
static int find(const char *const *names, size_t first, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = first; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* Statuses: index 0 is UNKNOWN, which no name parses to. */
#define STATUS_FUNCS(prefix, type, names)                                           \
	const char *prefix##_name(type v)                                           \
	{                                                                           \
		return name_of(names, NR_ARRAY_SIZE(names), (int)v);                \
	}                                                                           \
	int prefix##_parse(const char *s, type *ret)                                \
	{                                                                           \
		int i = find(names, 1, NR_ARRAY_SIZE(names), s);                    \
                                                                                    \
		if (i < 0)                                                          \
			return NR_EINVAL;                                           \
		*ret = (type)i;                                                     \
		return 0;                                                           \
	}                                                                           \
	type prefix##_of(const char *s)                                             \
	{                                                                           \
		int i = find(names, 1, NR_ARRAY_SIZE(names), s);                    \
                                                                                    \
		return i < 0 ? (type)0 : (type)i;                                   \
	}

STATUS_FUNCS(nr_run_status, enum nr_run_status, run_names)
STATUS_FUNCS(nr_case_status, enum nr_case_status, case_names)
STATUS_FUNCS(nr_attempt_outcome, enum nr_attempt_outcome, attempt_names)
STATUS_FUNCS(nr_job_status, enum nr_job_status, job_names)

const char *nr_stream_name(enum nr_stream s)
{
	return name_of(stream_names, NR_ARRAY_SIZE(stream_names), (int)s);
}

int nr_stream_parse(const char *s, enum nr_stream *ret)
{
	int i = find(stream_names, 0, NR_ARRAY_SIZE(stream_names), s);

	if (i < 0)
		return NR_EINVAL;
	*ret = (enum nr_stream)i;
	return 0;
}
