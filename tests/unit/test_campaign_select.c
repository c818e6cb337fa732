/*
 * Choosing cases (struct nr_select): patterns over test names and case
 * keys, exclusions, --set narrowing and overriding (variants' copies
 * included, a random count lowered), --from, and the JSON a run keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "test.h"

#define CAMPAIGN                                                 \
	"campaign: s\n"                                          \
	"tests:\n"                                               \
	"  - name: tcp_rr\n"                                     \
	"    run: [echo, '{size}']\n"                            \
	"    matrix: {size: [1, 64], mode: [a, b]}\n"            \
	"  - name: tcp_crr\n"                                    \
	"    run: [echo, '{size}']\n"                            \
	"    matrix: {size: [1, 64]}\n"                          \
	"  - name: rnd\n"                                        \
	"    run: [echo, '{n}']\n"                               \
	"    generate: random\n"                                 \
	"    count: 3\n"                                         \
	"    matrix: {n: [1, 2, 3, 4]}\n"

/* The planned keys, space-separated, into buf; the plan's status. */
static int keys(const char *text, const struct nr_select *sel, char *buf, size_t size,
		struct nr_diag *d)
{
	struct nr_campaign *c = NULL;
	struct nr_plan p = { 0 };
	size_t i, off = 0;
	int r;

	buf[0] = '\0';
	if ((r = nr_campaign_load("c.yaml", text, &c, d)) < 0)
		return r;
	if ((r = nr_campaign_apply_set(c, sel, d)) == 0 && (r = nr_plan_build(c, sel, &p, d)) == 0)
		for (i = 0; i < p.n && off < size; i++)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? " " : "", p.cases[i].key);
	nr_plan_release(&p);
	nr_campaign_free(c);
	return r;
}

NR_TEST(select_patterns)
{
	struct nr_select s = { 0 };
	struct nr_diag d = { 0 };
	char buf[1024];

	nr_strvec_push(&s.tests, "tcp*");
	nr_strvec_push(&s.tests, "-tcp_rr");
	CHECK_OK(keys(CAMPAIGN, &s, buf, sizeof(buf), &d));
	CHECK_STR(buf, "tcp_crr/size=1 tcp_crr/size=64");
	nr_select_clear(&s);

	/* over keys: the test name and the parameters sorted by name */
	nr_strvec_push(&s.tests, "tcp_rr/mode=b,*");
	CHECK_OK(keys(CAMPAIGN, &s, buf, sizeof(buf), &d));
	CHECK_STR(buf, "tcp_rr/mode=b,size=1 tcp_rr/mode=b,size=64");
	nr_select_clear(&s);

	CHECK(nr_select_pattern_match("-t?p_rr", "tcp_rr", NULL));
	CHECK(!nr_select_pattern_match("tcp_rr/*", "tcp_rr", NULL)); /* no key: no match */
	CHECK(nr_select_empty(NULL) && nr_select_empty(&s));
}

NR_TEST(select_errors_name_the_pattern)
{
	static const char *const bad[] = { "nope", "-nope", "tcp_rr/size=7", "tcp_rr/*=x*" };
	struct nr_diag d = { 0 };
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nr_select s = { 0 };

		nr_strvec_push(&s.tests, bad[i]);
		nr_diag_clear(&d);
		CHECK_EQ(keys(CAMPAIGN, &s, buf, sizeof(buf), &d), NR_ECONFIG);
		CHECK(strstr(d.msg, bad[i]) != NULL);
		nr_select_clear(&s);
	}
	{
		/* every case left out */
		struct nr_select s = { 0 };

		nr_strvec_push(&s.tests, "tcp_rr");
		nr_strvec_push(&s.tests, "-tcp*");
		CHECK_EQ(keys(CAMPAIGN, &s, buf, sizeof(buf), &d), NR_ECONFIG);
		CHECK(strstr(d.msg, "no case") != NULL);
		nr_select_clear(&s);
	}
	{
		struct nr_select s = { 0 };

		CHECK_EQ(nr_select_add_set(&s, "=1", &d), NR_EINVAL);
		CHECK_EQ(nr_select_add_set(&s, "size", &d), NR_EINVAL);
		CHECK_OK(nr_select_add_set(&s, "zz=1", &d));
		CHECK_EQ(keys(CAMPAIGN, &s, buf, sizeof(buf), &d), NR_ECONFIG);
		CHECK(strstr(d.msg, "'zz'") != NULL);
		nr_select_clear(&s);
		/* a parameter only a test left out has is unknown too */
		nr_strvec_push(&s.tests, "tcp_crr");
		CHECK_OK(nr_select_add_set(&s, "mode=a", &d));
		CHECK_EQ(keys(CAMPAIGN, &s, buf, sizeof(buf), &d), NR_ECONFIG);
		nr_select_clear(&s);
	}
}

NR_TEST(select_set_narrows_and_overrides)
{
	struct nr_select s = { 0 };
	struct nr_diag d = { 0 };
	char buf[1024];

	nr_strvec_push(&s.tests, "tcp_rr");
	CHECK_OK(nr_select_add_set(&s, "size=64", &d));
	CHECK_OK(nr_select_add_set(&s, "size=9000", &d));
	CHECK_OK(nr_select_add_set(&s, "size=64", &d)); /* once */
	CHECK_OK(nr_select_add_set(&s, "mode=b", &d));
	CHECK_OK(keys(CAMPAIGN, &s, buf, sizeof(buf), &d));
	CHECK_STR(buf, "tcp_rr/mode=b,size=64 tcp_rr/mode=b,size=9000");
	nr_select_clear(&s);

	/* a random count larger than the narrowed matrix is lowered to it */
	nr_strvec_push(&s.tests, "rnd");
	CHECK_OK(nr_select_add_set(&s, "n=2", &d));
	CHECK_OK(nr_select_add_set(&s, "n=7", &d));
	CHECK_OK(keys(CAMPAIGN, &s, buf, sizeof(buf), &d));
	CHECK(!strcmp(buf, "rnd/n=2 rnd/n=7") || !strcmp(buf, "rnd/n=7 rnd/n=2"));
	nr_select_clear(&s);
}

NR_TEST(select_set_reaches_variants)
{
	const char *text = "campaign: v\n"
			   "variants: {base: {}, cand: {}}\n"
			   "tests:\n"
			   "  - name: t\n"
			   "    run: [echo, '{x}']\n"
			   "    matrix: {x: [1, 2]}\n";
	struct nr_select s = { 0 };
	struct nr_diag d = { 0 };
	char buf[512];

	CHECK_OK(nr_select_add_set(&s, "x=5", &d));
	CHECK_OK(keys(text, &s, buf, sizeof(buf), &d));
	CHECK_STR(buf, "t/variant=base,x=5 t/variant=cand,x=5");
	nr_select_clear(&s);
	/* a key pattern sees the key both variants share: a pair is never split */
	nr_strvec_push(&s.tests, "t/x=2");
	CHECK_OK(keys(text, &s, buf, sizeof(buf), &d));
	CHECK_STR(buf, "t/variant=base,x=2 t/variant=cand,x=2");
	nr_select_clear(&s);
}

NR_TEST(select_from)
{
	struct nr_select s = { 0 };
	struct nr_diag d = { 0 };
	char buf[1024];

	/* matrix order: size slowest, so the cases after (size=1, mode=b) */
	s.from = nr_xstrdup("tcp_rr/mode=b,size=1");
	nr_strvec_push(&s.tests, "tcp_rr");
	CHECK_OK(keys(CAMPAIGN, &s, buf, sizeof(buf), &d));
	CHECK_STR(buf, "tcp_rr/mode=b,size=1 tcp_rr/mode=a,size=64 tcp_rr/mode=b,size=64");
	free(s.from);
	s.from = nr_xstrdup("tcp_crr"); /* not chosen */
	CHECK_EQ(keys(CAMPAIGN, &s, buf, sizeof(buf), &d), NR_ECONFIG);
	CHECK(strstr(d.msg, "--from 'tcp_crr'") != NULL);
	nr_select_clear(&s);
}

NR_TEST(select_json_round_trip)
{
	struct nr_select s = { 0 }, back = { 0 };
	struct nr_diag d = { 0 };
	char *text, *again;

	CHECK(nr_select_to_json(&s) == NULL);
	CHECK_OK(nr_select_from_json(NULL, &back, &d));
	nr_strvec_push(&s.tests, "-a\"b");
	CHECK_OK(nr_select_add_set(&s, "k=v=w", &d));
	s.from = nr_xstrdup("t");
	text = nr_select_to_json(&s);
	CHECK_OK(nr_select_from_json(text, &back, &d));
	again = nr_select_to_json(&back);
	CHECK_STR(text, again);
	CHECK_STR(back.set_values.v[0], "v=w");
	CHECK_EQ(nr_select_from_json("[1]", &back, &d), NR_EPARSE);
	CHECK_EQ(nr_select_from_json("{\"test\": [1]}", &back, &d), NR_EPARSE);
	CHECK_EQ(nr_select_from_json("{\"set\": [[\"a\"]]}", &back, &d), NR_EPARSE);
	free(text);
	free(again);
	nr_select_clear(&s);
	nr_select_clear(&back);
}

/* A job's stored tests and overrides, and the check every submission makes, are run's own. */
NR_TEST(select_from_job_checked_as_run_plans)
{
	static const struct {
		const char *tests, *sets;
		int want;
		const char *msg;
	} cases[] = {
		{ NULL, NULL, 0, NULL },
		{ "[]", "{}", 0, NULL },
		{ "[\"tcp*\", \"-tcp_rr\"]", "{\"size\": \"64\"}", 0, NULL },
		{ "[\"tcp_rr/mode=a,*\"]", NULL, 0, NULL },
		{ "[\"-rnd\"]", "{\"size\": \"9000\"}", 0, NULL },
		{ "[\"nosuch\"]", NULL, NR_ECONFIG, "--test 'nosuch' matches no test name" },
		{ "[\"x*\"]", NULL, NR_ECONFIG, "matches no test name" },
		{ "[\"-tcp_r\"]", NULL, NR_ECONFIG, "'-tcp_r' matches no test name" },
		{ "[\"tcp_rr/size=3*\"]", NULL, NR_ECONFIG, "matches no case key" },
		{ "[\"-tcp*\", \"-rnd\"]", NULL, NR_ECONFIG, "leave no case" },
		{ NULL, "{\"nope\": \"1\"}", NR_ECONFIG, "--set nope=1" },
		{ "[1]", NULL, NR_EINVAL, "not all strings" },
		{ "{}", NULL, NR_EINVAL, "not the JSON" },
		{ NULL, "[]", NR_EINVAL, "not the JSON" },
		{ NULL, "{\"size\": 64}", NR_EINVAL, "--set size is not a string" },
		{ "[", NULL, NR_EINVAL, "not the JSON" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		struct nr_campaign *c = NULL;
		struct nr_select s = { 0 };
		struct nr_diag d = { 0 };
		int r;

		CHECK_OK(nr_campaign_load("c.yaml", CAMPAIGN, &c, &d));
		r = nr_select_from_job(cases[i].tests, cases[i].sets, &s, &d);
		if (r == 0)
			r = nr_select_check(c, &s, &d);
		if (r != cases[i].want)
			fprintf(stderr, "case %zu (%s %s): %d, %s\n", i, cases[i].tests, cases[i].sets,
				r, d.msg);
		CHECK_EQ(r, cases[i].want);
		if (cases[i].msg)
			CHECK(strstr(d.msg, cases[i].msg) != NULL);
		nr_select_clear(&s);
		nr_campaign_free(c);
	}
}
