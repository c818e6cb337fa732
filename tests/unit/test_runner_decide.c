/* The runner's retry and breaker decisions (runner_decide.c). */
#include <string.h>

#include "base/mem.h"
#include "runner/runner_internal.h"
#include "test.h"

/* Feed a sequence of outcomes ('p' passed, 'f' failed); the decisions as letters. */
static void run_seq(int repeats, int retries, const char *seq, char *out)
{
	struct nr__tally t = { .repeats = repeats, .retries = retries };
	static const char letter[] = { [NR__NEXT_REPEAT] = 'n', [NR__RETRY] = 'r',
				       [NR__CASE_PASSED] = 'P', [NR__CASE_FAILED] = 'F' };

	for (; *seq; seq++)
		*out++ = letter[nr__decide_after_attempt(&t, *seq == 'p')];
	*out = '\0';
}

NR_TEST(runner_decide_retries_per_repeat)
{
	static const struct {
		int repeats, retries;
		const char *seq, *want;
	} cases[] = {
		{ 1, 0, "p", "P" },
		{ 1, 0, "f", "F" },           /* no retries: the first failure fails the case */
		{ 3, 0, "ppp", "nnP" },
		{ 2, 1, "fp", "rn" },         /* one retry, then the repeat passes */
		{ 2, 1, "fpfp", "rnrP" },     /* retries count per repeat: the pass resets them */
		{ 2, 1, "ff", "rF" },
		{ 3, 2, "pfffp", "nrrF" },    /* three failures of one repeat with two retries */
		{ 1, 3, "fffp", "rrrP" },
	};
	char got[32];
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		run_seq(cases[i].repeats, cases[i].retries, cases[i].seq, got);
		/* a sequence longer than the case lives is cut where the case ends */
		got[strlen(cases[i].want)] = '\0';
		CHECK_STR(got, cases[i].want);
	}
}

NR_TEST(runner_decide_counts)
{
	struct nr__tally t = { .repeats = 2, .retries = 1 };

	CHECK_EQ(nr__decide_after_attempt(&t, false), NR__RETRY);
	CHECK_EQ(t.failures, 1);
	CHECK_EQ(t.repeats_done, 0);
	CHECK_EQ(nr__decide_after_attempt(&t, true), NR__NEXT_REPEAT);
	CHECK_EQ(t.failures, 0);
	CHECK_EQ(t.repeats_done, 1);
	/* resumed with a failure already stored for this repeat */
	t.failures = 1;
	CHECK_EQ(nr__decide_after_attempt(&t, false), NR__CASE_FAILED);
}

NR_TEST(runner_decide_breaker)
{
	CHECK(!nr__decide_breaker(100, 0)); /* 0: never */
	CHECK(!nr__decide_breaker(1, 2));
	CHECK(nr__decide_breaker(2, 2));
	CHECK(nr__decide_breaker(3, 2));
	CHECK(nr__decide_breaker(1, 1));
	CHECK(!nr__decide_breaker(0, 1));
}
