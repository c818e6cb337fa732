/*
 * Adaptive repeats in a campaign: `repeat: {min, max, until: clear}`
 * read into repeat_min and repeat, from a test or from defaults, its
 * mistakes refused at file:line:column, and the designs read back from
 * the copy stored with a run (what compare judges by).
 */
#include <stdlib.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "test.h"

/* The message for a bad campaign, which must be positioned. */
static const char *bad(const char *text)
{
	static struct nr_diag d;
	struct nr_campaign *c = NULL;

	nr_diag_clear(&d);
	if (nr_campaign_load("c.yaml", text, &c, &d) == 0) {
		nr_campaign_free(c);
		nr_test_fail(__FILE__, __LINE__, "loaded a bad campaign:\n%s", text);
	}
	CHECK(d.code == NR_ECONFIG);
	return d.msg;
}

#define T "tests:\n  - name: x\n    run: a\n"

NR_TEST(campaign_adaptive_repeat_read)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = NULL;

	CHECK_OK(nr_campaign_load("c.yaml",
				  "defaults: {repeat: {min: 4, max: 30, until: clear}}\n"
				  "tests:\n"
				  "  - {name: x, run: a, repeat: {min: 3, max: 20, until: clear}}\n"
				  "  - {name: y, run: a}\n"
				  "  - {name: z, run: a, repeat: 7}\n"
				  "  - {name: w, run: a, repeat: {min: 5, max: 5, until: clear}}\n",
				  &c, &d));
	CHECK_EQ(c->tests[0].repeat_min, 3);
	CHECK_EQ(c->tests[0].repeat, 20);
	CHECK_EQ(c->tests[1].repeat_min, 4); /* from defaults */
	CHECK_EQ(c->tests[1].repeat, 30);
	CHECK_EQ(c->tests[2].repeat_min, 0); /* a count: fixed */
	CHECK_EQ(c->tests[2].repeat, 7);
	CHECK_EQ(c->tests[3].repeat_min, 5);
	CHECK_EQ(c->tests[3].repeat, 5);
	nr_campaign_free(c);
}

NR_TEST(campaign_adaptive_repeat_errors)
{
	CHECK_CONTAINS(bad(T "    repeat: {min: 1, max: 20, until: clear}\n"),
		       "c.yaml:4:19: 'min' must be a whole number from 2 to 200, not '1'");
	CHECK_CONTAINS(bad(T "    repeat: {min: 5, max: 3, until: clear}\n"),
		       "c.yaml:4:27: 'max' of 'repeat' (3) is below its 'min' (5)");
	CHECK_CONTAINS(bad(T "    repeat: {min: 3, max: 201, until: clear}\n"),
		       "c.yaml:4:27: 'max' must be a whole number from 2 to 200, not '201'");
	CHECK_CONTAINS(bad(T "    repeat: {min: 3, max: 20, until: done}\n"),
		       "c.yaml:4:38: 'until' of 'repeat' must be clear");
	CHECK_CONTAINS(bad(T "    repeat: {min: 3, max: 20}\n"),
		       "c.yaml:4:13: adaptive 'repeat' needs 'min', 'max' and 'until'");
	CHECK_CONTAINS(bad(T "    repeat: {min: 3, max: 20, until: clear, alpha: 5%}\n"),
		       "c.yaml:4:45: unknown key 'alpha' in 'repeat'");
	CHECK_CONTAINS(bad(T "    repeat: {min: x, max: 20, until: clear}\n"),
		       "c.yaml:4:19: 'min' must be a whole number");
	CHECK_CONTAINS(bad(T "    repeat: [3, 20]\n"), "c.yaml:4:13:");
	CHECK_CONTAINS(bad("defaults: {repeat: {min: 3, max: 2, until: clear}}\n" T),
		       "c.yaml:1:34: 'max' of 'repeat' (2) is below its 'min' (3)");
	/* a count stays a count */
	CHECK_CONTAINS(bad(T "    repeat: 0\n"), "c.yaml:4:13: 'repeat' must be a whole number from 1");
}

NR_TEST(campaign_adaptive_repeat_from_stored_text)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = NULL;

	CHECK_OK(nr_campaign_load_thresholds("s.yaml",
					     "campaign: s\n"
					     "lab: /nonexistent/lab.yaml\n"
					     "defaults: {repeat: {min: 4, max: 9, until: clear}}\n"
					     "tests:\n"
					     "  - {name: x, run: a, repeat: {min: 3, max: 20, until: clear}}\n"
					     "  - {name: y, run: a, repeat: 5}\n"
					     "  - {name: z, run: a}\n",
					     &c, &d));
	/* only the adaptive tests, with their designs */
	CHECK_EQ(c->n_tests, 2);
	CHECK_STR(c->tests[0].name, "x");
	CHECK_EQ(c->tests[0].repeat_min, 3);
	CHECK_EQ(c->tests[0].repeat, 20);
	CHECK_STR(c->tests[1].name, "z");
	CHECK_EQ(c->tests[1].repeat_min, 4);
	CHECK_EQ(c->tests[1].repeat, 9);
	nr_campaign_free(c);
	CHECK(nr_campaign_load_thresholds("s.yaml",
					  "campaign: s\ntests:\n"
					  "  - {name: x, run: a, repeat: {min: 3, max: 2, until: clear}}\n",
					  &c, &d) == NR_ECONFIG);
	CHECK_CONTAINS(d.msg, "s.yaml:3:45: 'max' of 'repeat' (2) is below its 'min' (3)");
}
