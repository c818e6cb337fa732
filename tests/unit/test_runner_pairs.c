/*
 * The order of a pair of variant cases (runner_variant.c): ABBA from the
 * start, and from every state a resume can find (the second half of a
 * pair missing), always completing the pair that was cut.
 */
#include "runner/runner_internal.h"
#include "test.h"

/* The halves run from (a, b) done until both have `repeats`, as letters. */
static void order_from(int a, int b, int repeats, char *out)
{
	int k;

	while ((k = nr__pair_next(a, b, repeats)) >= 0) {
		*out++ = k ? 'B' : 'A';
		if (k)
			b++;
		else
			a++;
	}
	*out = '\0';
}

NR_TEST(runner_pairs_abba)
{
	char got[64];

	order_from(0, 0, 4, got);
	CHECK_STR(got, "ABBAABBA");
	order_from(0, 0, 5, got);
	CHECK_STR(got, "ABBAABBAAB");
	order_from(0, 0, 1, got);
	CHECK_STR(got, "AB");
	order_from(0, 0, 0, got);
	CHECK_STR(got, "");
	CHECK_EQ(nr__pair_next(3, 3, 3), -1);
}

NR_TEST(runner_pairs_resume_completes_the_cut_pair)
{
	char got[64];

	/* pair 0 cut after A: B first, then pair 1 as ABBA has it (B, A) */
	order_from(1, 0, 4, got);
	CHECK_STR(got, "BBAABBA");
	/* pair 1 cut after its first half (B): A completes it */
	order_from(1, 2, 4, got);
	CHECK_STR(got, "AABBA");
	/* the last pair cut: only its other half */
	order_from(4, 3, 4, got);
	CHECK_STR(got, "B");
	order_from(3, 4, 4, got);
	CHECK_STR(got, "A");
	/* whole pairs done: the next pair starts as ABBA says */
	order_from(2, 2, 4, got);
	CHECK_STR(got, "ABBA");
	order_from(3, 3, 4, got);
	CHECK_STR(got, "BA");
	/* every state a run can be in: each pair i is repeat i of both */
	for (int a = 0; a <= 6; a++)
		for (int b = a - 1; b <= a + 1 && b <= 6; b++) {
			int x = a, y = b >= 0 ? b : 0, k;

			while ((k = nr__pair_next(x, y, 6)) >= 0) {
				CHECK(k ? y < 6 : x < 6);
				if (k)
					y++;
				else
					x++;
				CHECK(x - y <= 1 && y - x <= 1);
			}
			CHECK(x == 6 && y == 6);
		}
}
