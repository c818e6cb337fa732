/*
 * `variants:` in a campaign: loading and its errors (file:line:column),
 * the plan (a case per variant, next to each other, keys with the
 * variant first), templates ({variant}, {variant.NAME}, lists as whole
 * arguments), the variants' env over the test's, and splitting a key.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "test.h"

static struct nr_campaign *load_text(const char *text, struct nr_diag *d)
{
	struct nr_campaign *c = NULL;

	if (nr_campaign_load("c.yaml", text, &c, d) < 0)
		return NULL;
	return c;
}

/* The message for a bad campaign: positioned, and containing `want`. */
static void bad(const char *text, const char *pos, const char *want)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(text, &d);

	if (c) {
		nr_campaign_free(c);
		nr_test_fail(__FILE__, __LINE__, "loaded a bad campaign:\n%s", text);
	}
	CHECK(d.code == NR_ECONFIG || d.code == NR_EPARSE);
	if (strncmp(d.msg, pos, strlen(pos)) || !strstr(d.msg, want))
		nr_test_fail(__FILE__, __LINE__, "message \"%s\": want it at %s with \"%s\"", d.msg,
			     pos, want);
}

#define GOOD                                                                                   \
	"variants:\n"                                                                          \
	"  base: {values: {bin: ./old, flags: []}, env: {MODE: slow}, build: make -C old}\n"   \
	"  cand: {values: {bin: ./new, flags: [--fast, '-x y']}, build_timeout: 5m,\n"       \
	"         build: [make, -C, '{variant.bin}']}\n"                                      \
	"tests:\n"                                                                             \
	"  - name: t\n"                                                                        \
	"    run: ['{variant.bin}', '{variant.flags}', --size, '{size}', 'v={variant}']\n"   \
	"    env: {MODE: test, KEEP: '1'}\n"                                                   \
	"    matrix: {size: [64, 1500]}\n"                                                     \
	"  - name: u\n"                                                                        \
	"    run: [true]\n"

NR_TEST(variants_load_plan_and_keys)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(GOOD, &d);
	struct nr_plan p;
	static const char *const keys[] = {
		"t/variant=base,size=64", "t/variant=cand,size=64", "t/variant=base,size=1500",
		"t/variant=cand,size=1500", "u/variant=base", "u/variant=cand",
	};
	size_t i;

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_EQ(c->n_variants, 2);
	CHECK_STR(c->variants[0].name, "base");
	CHECK_EQ(c->variants[0].build.n, 3); /* "make -C old", split like run: */
	CHECK_EQ(c->variants[1].build_timeout_us, 300000000LL);
	CHECK(nr_campaign_variant(c, "cand") == &c->variants[1]);
	CHECK(nr_campaign_variant(c, "other") == NULL);
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	CHECK_EQ(p.n, 6);
	for (i = 0; i < p.n; i++) {
		char *params;

		CHECK_STR(p.cases[i].key, keys[i]);
		/* a combination's variants next to each other, the baseline first */
		CHECK_EQ(p.cases[i].variant, (int)(i % 2));
		CHECK(nr_campaign_case_test(c, &p.cases[i])->variant == &c->variants[i % 2]);
		params = nr_case_params_json(nr_campaign_case_test(c, &p.cases[i]),
					     p.cases[i].value_idx, c->variants[i % 2].name);
		CHECK(!strncmp(params, i % 2 ? "{\"variant\":\"cand\"" : "{\"variant\":\"base\"", 17));
		free(params);
	}
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(variants_templates_and_env)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(GOOD, &d);
	struct nr_tmpl_ctx ctx = { 0 };
	struct nr_plan p;
	struct nr_strvec argv = NR_STRVEC_INIT;
	const struct nr_test *t;

	CHECK(c != NULL);
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	ctx.campaign = c;
	/* base: an empty list is no argument at all */
	t = nr_campaign_case_test(c, &p.cases[0]);
	ctx.test = t;
	ctx.value_idx = p.cases[0].value_idx;
	CHECK_OK(nr_template_expand_argv(&t->roles[0].argv, &ctx, &argv, &d));
	CHECK_EQ(argv.n, 4);
	CHECK_STR(argv.v[0], "./old");
	CHECK_STR(argv.v[1], "--size");
	CHECK_STR(argv.v[3], "v=base");
	nr_strvec_clear(&argv);
	/* cand: the list's words, each one argument, a space kept inside one */
	t = nr_campaign_case_test(c, &p.cases[1]);
	ctx.test = t;
	CHECK_OK(nr_template_expand_argv(&t->roles[0].argv, &ctx, &argv, &d));
	CHECK_EQ(argv.n, 6);
	CHECK_STR(argv.v[0], "./new");
	CHECK_STR(argv.v[1], "--fast");
	CHECK_STR(argv.v[2], "-x y");
	CHECK_STR(argv.v[5], "v=cand");
	nr_strvec_clear(&argv);
	/* env: the variant's over the test's, the rest kept; the test itself unchanged */
	CHECK_STR(nr_kv_get(&nr_campaign_case_test(c, &p.cases[0])->roles[0].env, "MODE"), "slow");
	CHECK_STR(nr_kv_get(&nr_campaign_case_test(c, &p.cases[0])->roles[0].env, "KEEP"), "1");
	CHECK(nr_kv_get(&nr_campaign_case_test(c, &p.cases[1])->roles[0].env, "MODE") != NULL);
	CHECK_STR(nr_kv_get(&nr_campaign_case_test(c, &p.cases[1])->roles[0].env, "MODE"), "test");
	CHECK_STR(nr_kv_get(&c->tests[0].roles[0].env, "MODE"), "test");
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(variants_errors_named_where_they_are)
{
	/* more or fewer than two */
	bad("variants: {a: {}}\ntests: [{name: t, run: x}]\n", "c.yaml:1:11:",
	    "exactly 2 variants");
	bad("variants: {a: {}, b: {}, c: {}}\ntests: [{name: t, run: x}]\n", "c.yaml:1:11:",
	    "exactly 2 variants, the baseline first, not 3");
	bad("variants: [a, b]\ntests: [{name: t, run: x}]\n", "c.yaml:1:11:", "variants");
	/* an unknown key of a variant, with a suggestion */
	bad("variants:\n  a: {valeus: {x: 1}}\n  b: {}\ntests: [{name: t, run: x}]\n", "c.yaml:2:7:",
	    "did you mean 'values'");
	/* a template refers to a value a variant lacks */
	bad("variants:\n  a: {values: {bin: x}}\n  b: {values: {bim: y}}\n"
	    "tests:\n  - name: t\n    run: ['{variant.bin}']\n",
	    "c.yaml:6:10:", "variant 'b' has no value 'bin'");
	bad("variants:\n  a: {values: {bin: x}}\n  b: {values: {bin: y}}\n"
	    "tests:\n  - name: t\n    run: 'echo {variant.bni}'\n",
	    "c.yaml:6:10:", "did you mean '{variant.bin}'");
	/* {variant...} without variants */
	bad("tests:\n  - name: t\n    run: 'echo {variant.bin}'\n", "c.yaml:3:10:",
	    "needs 'variants:'");
	/* a list only as a whole argument, and never in env */
	bad("variants:\n  a: {values: {f: [x, y]}}\n  b: {values: {f: z}}\n"
	    "tests:\n  - name: t\n    run: ['--f={variant.f}']\n",
	    "c.yaml:6:10:", "a list can only be a whole argument");
	bad("variants:\n  a: {values: {f: [x]}}\n  b: {values: {f: z}}\n"
	    "tests:\n  - name: t\n    run: [x]\n    env: {F: '{variant.f}'}\n",
	    "c.yaml:6:10:", "is a list in variant 'a'");
	/* a variant's env refers to something the test lacks */
	bad("variants:\n  a: {env: {X: '{nope}'}}\n  b: {}\n"
	    "tests:\n  - name: t\n    run: [x]\n",
	    "c.yaml:2:16:", "in 'env' X of variant 'a'");
	/* a build may not use a case's parameters */
	bad("variants:\n  a: {build: 'make {size}'}\n  b: {}\n"
	    "tests:\n  - name: t\n    run: [x]\n    matrix: {size: [1]}\n",
	    "c.yaml:2:14:", "in 'build' of variant 'a'");
	bad("variants:\n  a: {build_timeout: 1m}\n  b: {}\ntests: [{name: t, run: x}]\n",
	    "c.yaml:2:7:", "'build_timeout' goes with 'build'");
	/* names */
	bad("variants:\n  'a b': {}\n  b: {}\ntests: [{name: t, run: x}]\n", "c.yaml:2:3:",
	    "variant name 'a b'");
	bad("variants:\n  a: {values: {'x-y': 1}}\n  b: {}\ntests: [{name: t, run: x}]\n",
	    "c.yaml:2:16:", "value name 'x-y'");
	/* `variant` is the variant's name in keys and templates */
	bad("variants: {a: {}, b: {}}\ntests:\n  - name: t\n    run: x\n    matrix: {variant: [1]}\n",
	    "c.yaml:5:14:", "'variant' is the name of the case's variant");
}

/* Without variants, nothing changes: keys, and a parameter called variant. */
NR_TEST(variants_absent_keys_unchanged)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(
		"tests:\n  - name: t\n    run: 'e {variant}'\n    matrix: {variant: [x], a: [1]}\n", &d);
	struct nr_plan p;
	char *pk, *v;

	CHECK(c != NULL);
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	CHECK_EQ(p.n, 1);
	CHECK_STR(p.cases[0].key, "t/a=1,variant=x");
	CHECK_EQ(p.cases[0].variant, -1);
	/* not a variant's key: "variant=" does not come right after the '/' */
	CHECK(!nr_case_key_split(p.cases[0].key, &pk, &v));
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(variants_key_split)
{
	char *pk = NULL, *v = NULL;

	CHECK(nr_case_key_split("t/variant=cand,a=1,b=x%2Cy", &pk, &v));
	CHECK_STR(pk, "t/a=1,b=x%2Cy");
	CHECK_STR(v, "cand");
	free(pk);
	free(v);
	CHECK(nr_case_key_split("t/variant=base", &pk, &v));
	CHECK_STR(pk, "t");
	CHECK_STR(v, "base");
	free(pk);
	free(v);
	CHECK(!nr_case_key_split("t", &pk, &v));
	CHECK(!nr_case_key_split("t/a=1,variant=b", &pk, &v));
}
