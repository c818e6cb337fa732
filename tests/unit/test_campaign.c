#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
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

/* The message for a bad campaign, which must be positioned. */
static const char *bad(const char *text)
{
	static struct nr_diag d;
	struct nr_campaign *c;

	nr_diag_clear(&d);
	c = load_text(text, &d);
	if (c) {
		nr_campaign_free(c);
		nr_test_fail(__FILE__, __LINE__, "loaded a bad campaign:\n%s", text);
	}
	CHECK(d.code == NR_ECONFIG || d.code == NR_EPARSE);
	CHECK(!strncmp(d.msg, "c.yaml:", 7));
	return d.msg;
}

NR_TEST(campaign_good_file)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(
		"campaign: demo\n"
		"labels: {team: net}\n"
		"stop_after_failures: 3\n"
		"hosts:\n"
		"  b: {transport: netns, netns: nsb, address: 10.0.0.2}\n"
		"defaults: &d\n"
		"  repeat: 5\n"
		"  timeout: 20s\n"
		"  env: {A: '1'}\n"
		"tests:\n"
		"  - name: one\n"
		"    run: echo {size} {host.b.address}\n"
		"    matrix: {size: [64, 1500], mode: x}\n"
		"    env: {B: '2'}\n"
		"  - name: two\n"
		"    repeat: 1\n"
		"    roles:\n"
		"      - {name: server, host: b, run: [srv, '{port}'], ready: {port: '{port}'}}\n"
		"      - {name: client, run: cli, parse: {format: json, metrics: {bw: /a}}}\n",
		&d);

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_STR(c->name, "demo");
	CHECK_EQ(c->stop_after_failures, 3);
	CHECK_STR(nr_kv_get(&c->labels, "team"), "net");
	CHECK_EQ(c->n_hosts, 2); /* b and the implicit local */
	CHECK(nr_campaign_host(c, "local") != NULL);
	CHECK_EQ(nr_campaign_host(c, "b")->transport, NR_TRANSPORT_NETNS);
	CHECK_EQ(c->n_tests, 2);
	CHECK_EQ(c->tests[0].repeat, 5);
	CHECK_EQ(c->tests[0].timeout_us, 20000000);
	CHECK_EQ(c->tests[0].n_params, 2);
	CHECK_EQ(c->tests[0].params[1].values.n, 1);
	CHECK_STR(nr_kv_get(&c->tests[0].roles[0].env, "A"), "1");
	CHECK_STR(nr_kv_get(&c->tests[0].roles[0].env, "B"), "2");
	CHECK_EQ(c->tests[1].repeat, 1);
	CHECK_EQ(c->tests[1].n_roles, 2);
	CHECK(!c->tests[1].roles[0].main);
	CHECK(c->tests[1].roles[1].main); /* the last role by default */
	CHECK_EQ(c->tests[1].roles[0].ready.kind, NR_READY_PORT);
	CHECK(c->tests[1].roles[1].has_parse);
	CHECK_STR(c->tests[1].roles[1].parse.metrics[0].source, "/a");
	CHECK_EQ(strlen(c->hash), 64);
	nr_campaign_free(c);
}

NR_TEST(campaign_json_is_accepted)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c =
		load_text("{\"tests\": [{\"name\": \"j\", \"run\": [\"echo\", \"{n}\"],"
			  " \"matrix\": {\"n\": [1, 2, 3]}}]}", &d);

	CHECK(c != NULL);
	CHECK_STR(c->name, "c"); /* from the file name */
	CHECK_EQ(c->tests[0].params[0].values.n, 3);
	nr_campaign_free(c);
}

NR_TEST(campaign_errors_name_position_and_key)
{
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    retires: 3\n"),
		       "c.yaml:4:5: unknown key 'retires' in test 'x' (did you mean 'retries'?)");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    timeout: soon\n"),
		       "c.yaml:4:14: 'timeout' must be a duration");
	/* a quoted value is named at its opening quote, as an editor shows it */
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    timeout: \"soon\"\n"),
		       "c.yaml:4:14: 'timeout' must be a duration");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    timeout: 'soon'\n"),
		       "c.yaml:4:14: 'timeout' must be a duration");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    \"retires\": 3\n"),
		       "c.yaml:4:5: unknown key 'retires' in test 'x'");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    matrix:\n      size: []\n"),
		       "c.yaml:5:13: matrix parameter 'size' is empty");
	CHECK_CONTAINS(bad("tests:\n  - run: echo\n"), "c.yaml:2:5: a test has no 'name'");
	CHECK_CONTAINS(bad("campaign: x\n"), "a campaign needs 'tests'");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n"), "needs 'run' (a command) or 'roles'");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo {sise}\n    matrix: {size: [1]}\n"),
		       "c.yaml:3:10: unknown reference '{sise}' (did you mean '{size}'?)");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: [echo\n"), "c.yaml:4:1:");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    repeat: [1]\n"),
		       "'repeat' must be a single value, not a list");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    repeat: 0\n"),
		       "'repeat' must be a whole number from 1");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    roles:\n      - {name: s, host: lcoal, run: x}\n"),
		       "unknown host 'lcoal' (did you mean 'local'?)");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    parse: jsn\n"),
		       "unknown parser 'jsn' (did you mean 'json'?)");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    parse: json\n"),
		       "needs 'metrics'");
	CHECK_CONTAINS(bad("tests:\n  - {name: x, run: a}\n  - {name: x, run: b}\n"),
		       "two tests are named 'x'");
	CHECK_CONTAINS(bad("tests: []\ntests: []\n"), "c.yaml:2:1: duplicate key 'tests'");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: echo\n    matrix: {port: [1]}\n"),
		       "'port' is a reserved name");
	CHECK_CONTAINS(bad("hosts:\n  h: {transport: telnet}\ntests:\n  - {name: x, run: a}\n"),
		       "c.yaml:2:18: 'transport' of host 'h' must be local, netns or ssh");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: \"a 'b\"\n"), "unterminated quote");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: a\n    generate: random\n"),
		       "'generate: random' needs 'count'");
	CHECK_CONTAINS(bad("tests:\n  - name: x\n    run: a\n    parse:\n      format: json\n"
			   "      metrics: {bw: {pointer: /a, unit: furlongs}}\n"),
		       "unknown unit 'furlongs'");
}

NR_TEST(campaign_anchors_and_merge_keys)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(
		"common: &c {repeat: 2, timeout: 5s}\n", &d);

	CHECK(c == NULL); /* 'common' is not a campaign key */
	CHECK_CONTAINS(d.msg, "unknown key 'common'");
	nr_diag_clear(&d);
	c = load_text("tests:\n"
		      "  - &base {name: a, run: echo, repeat: 2, timeout: 5s}\n"
		      "  - {<<: *base, name: b}\n", &d);
	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_STR(c->tests[1].name, "b");
	CHECK_EQ(c->tests[1].repeat, 2);
	CHECK_EQ(c->tests[1].timeout_us, 5000000);
	nr_campaign_free(c);
}

static struct nr_campaign *matrix_campaign(const char *extra)
{
	char text[1024];
	struct nr_diag d = { 0 };
	struct nr_campaign *c;

	snprintf(text, sizeof(text),
		 "tests:\n  - name: t\n    run: echo {a} {b} {c}\n"
		 "    matrix: {a: [1, 2, 3], b: [x, y], c: [p, q, r, s]}\n%s", extra);
	c = load_text(text, &d);
	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	return c;
}

NR_TEST(plan_full_product_in_order)
{
	struct nr_campaign *c = matrix_campaign("");
	struct nr_plan p;

	CHECK_EQ(nr_plan_matrix_size(&c->tests[0]), 24);
	CHECK_OK(nr_plan_build(c, NULL, &p, NULL));
	CHECK_EQ(p.n, 24);
	/* the first parameter varies slowest; keys sort parameters by name */
	CHECK_STR(p.cases[0].key, "t/a=1,b=x,c=p");
	CHECK_STR(p.cases[1].key, "t/a=1,b=x,c=q");
	CHECK_STR(p.cases[4].key, "t/a=1,b=y,c=p");
	CHECK_STR(p.cases[23].key, "t/a=3,b=y,c=s");
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(plan_random_distinct_and_seeded)
{
	struct nr_campaign *c1 = matrix_campaign("    generate: random\n    count: 10\n    seed: 7\n");
	struct nr_campaign *c2 = matrix_campaign("    generate: random\n    count: 10\n    seed: 7\n");
	struct nr_campaign *c3 = matrix_campaign("    generate: random\n    count: 10\n    seed: 8\n");
	struct nr_campaign *all = matrix_campaign("    generate: random\n    count: 24\n");
	struct nr_campaign *over = matrix_campaign("    generate: random\n    count: 25\n");
	struct nr_plan p1, p2, p3, pa, po;
	struct nr_diag d = { 0 };
	size_t i, j, differ = 0;

	CHECK_OK(nr_plan_build(c1, NULL, &p1, NULL));
	CHECK_OK(nr_plan_build(c2, NULL, &p2, NULL));
	CHECK_OK(nr_plan_build(c3, NULL, &p3, NULL));
	CHECK_OK(nr_plan_build(all, NULL, &pa, NULL));
	CHECK_EQ(p1.n, 10);
	for (i = 0; i < p1.n; i++) {
		CHECK_STR(p1.cases[i].key, p2.cases[i].key);
		differ += strcmp(p1.cases[i].key, p3.cases[i].key) != 0;
		for (j = 0; j < i; j++)
			CHECK(strcmp(p1.cases[i].key, p1.cases[j].key) != 0);
	}
	CHECK(differ > 0);
	/* count == size gives every combination once */
	CHECK_EQ(pa.n, 24);
	for (i = 0; i < pa.n; i++)
		for (j = 0; j < i; j++)
			CHECK(strcmp(pa.cases[i].key, pa.cases[j].key) != 0);
	CHECK(nr_plan_build(over, NULL, &po, &d) == NR_ECONFIG);
	CHECK_CONTAINS(d.msg, "count 25");
	CHECK_CONTAINS(d.msg, "only 24");
	nr_plan_release(&p1);
	nr_plan_release(&p2);
	nr_plan_release(&p3);
	nr_plan_release(&pa);
	nr_campaign_free(c1);
	nr_campaign_free(c2);
	nr_campaign_free(c3);
	nr_campaign_free(all);
	nr_campaign_free(over);
}

NR_TEST(plan_random_large_matrix_without_building_it)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(
		"tests:\n  - name: t\n    run: e\n    generate: random\n    count: 1000\n"
		"    matrix:\n"
		"      a: [0,1,2,3,4,5,6,7,8,9]\n      b: [0,1,2,3,4,5,6,7,8,9]\n"
		"      c: [0,1,2,3,4,5,6,7,8,9]\n      d: [0,1,2,3,4,5,6,7,8,9]\n"
		"      e: [0,1,2,3,4,5,6,7,8,9]\n      f: [0,1,2,3,4,5,6,7,8,9]\n"
		"      g: [0,1,2,3,4,5,6,7,8,9]\n      h: [0,1,2,3,4,5,6,7,8,9]\n", &d);
	struct nr_plan p;

	CHECK(c != NULL);
	CHECK_EQ(nr_plan_matrix_size(&c->tests[0]), 100000000);
	CHECK_OK(nr_plan_build(c, NULL, &p, NULL));
	CHECK_EQ(p.n, 1000);
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(template_values_stay_literal)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(
		"hosts: {srv: {transport: netns, netns: n1, address: 10.1.2.3}}\n"
		"tests:\n  - name: t\n    run: [prog, '--x={v}', '{{literal}}', '{host.srv.address}:{port}']\n"
		"    matrix:\n      v: ['a b', \"q'uote\", 'x; rm -rf /', '$(id)', '`id`']\n", &d);
	struct nr_tmpl_ctx ctx = { 0 };
	struct nr_plan p;
	char *s;
	size_t i;

	CHECK(c != NULL);
	CHECK_OK(nr_plan_build(c, NULL, &p, NULL));
	ctx.campaign = c;
	ctx.test = &c->tests[0];
	ctx.port = 5201;
	for (i = 0; i < p.n; i++) {
		char want[128];

		ctx.value_idx = p.cases[i].value_idx;
		CHECK_OK(nr_template_expand(c->tests[0].roles[0].argv.v[1], &ctx, &s, NULL));
		snprintf(want, sizeof(want), "--x=%s", c->tests[0].params[0].values.v[i]);
		CHECK_STR(s, want);
		free(s);
	}
	CHECK_OK(nr_template_expand(c->tests[0].roles[0].argv.v[2], &ctx, &s, NULL));
	CHECK_STR(s, "{literal}");
	free(s);
	CHECK_OK(nr_template_expand(c->tests[0].roles[0].argv.v[3], &ctx, &s, NULL));
	CHECK_STR(s, "10.1.2.3:5201");
	free(s);
	CHECK_CONTAINS(p.cases[2].key, "v=x; rm -rf /");
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(case_keys_escape_structure)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(
		"tests:\n  - name: t\n    run: e {v}\n    matrix:\n      v: ['a,b=c%d']\n", &d);
	struct nr_plan p;

	CHECK(c != NULL);
	CHECK_OK(nr_plan_build(c, NULL, &p, NULL));
	CHECK_STR(p.cases[0].key, "t/v=a%2Cb%3Dc%25d");
	nr_plan_release(&p);
	nr_campaign_free(c);
}

/* A matrix parameter of `n` values "v0".."v{n-1}", then `extra` (a last value, or ""). */
static char *big_matrix(size_t n, const char *extra)
{
	struct nr_buf b = NR_BUF_INIT;
	size_t i;

	nr_buf_adds(&b, "tests:\n  - name: t\n    run: [echo, '{x}']\n    matrix:\n      x:\n");
	for (i = 0; i < n; i++)
		nr_buf_addf(&b, "        - v%zu\n", i);
	nr_buf_adds(&b, extra);
	return nr_buf_detach(&b, NULL);
}

/*
 * Issue 11 item 8: the duplicate check compared every value with every
 * other (200,000 values took 47 s); hashed, it is linear. The runner's
 * timeout is the bound, generous for a slow machine and far below the
 * quadratic time.
 */
NR_TEST_T(campaign_200k_matrix_values_load_and_plan_in_linear_time, 20)
{
	char *text = big_matrix(200000, "");
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(text, &d);
	struct nr_plan p;

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_EQ(c->tests[0].params[0].values.n, 200000);
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	CHECK_EQ(p.n, 200000);
	CHECK_STR(p.cases[199999].key, "t/x=v199999");
	nr_plan_release(&p);
	nr_campaign_free(c);
	free(text);
	/* a duplicate at the end is still found, and named where it is */
	text = big_matrix(200000, "        - v7\n");
	CHECK_CONTAINS(bad(text), "c.yaml:200006:11: matrix parameter 'x' lists 'v7' twice (first at line 13)");
	free(text);
}

/*
 * The same class for mapping keys: YAML's duplicate-key check, labels and
 * env (merged key by key) were quadratic too (50,000 labels: 15 s; these
 * 100,000 of each kind took minutes). Under ASan on a busy machine this
 * takes about 10 s: the bound is generous, and far below the quadratic time.
 */
NR_TEST_T(campaign_100k_keys_load_in_linear_time, 60)
{
	struct nr_buf b = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	struct nr_campaign *c;
	size_t i;

	nr_buf_adds(&b, "labels:\n");
	for (i = 0; i < 100000; i++)
		nr_buf_addf(&b, "  k%zu: v\n", i);
	nr_buf_adds(&b, "defaults:\n  env:\n");
	for (i = 0; i < 100000; i += 2)
		nr_buf_addf(&b, "    E%zu: d\n", i);
	nr_buf_adds(&b, "tests:\n  - name: t\n    run: [echo]\n    env:\n");
	for (i = 0; i < 100000; i++)
		nr_buf_addf(&b, "      E%zu: t\n", i);
	nr_buf_adds(&b, "    matrix:\n");
	for (i = 0; i < 100000; i++)
		nr_buf_addf(&b, "      p%zu: [1]\n", i);
	c = load_text(b.buf, &d);
	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_EQ(c->labels.keys.n, 100000);
	CHECK_STR(nr_kv_get(&c->labels, "k99999"), "v");
	CHECK_EQ(c->tests[0].roles[0].env.keys.n, 100000);
	CHECK_STR(nr_kv_get(&c->tests[0].roles[0].env, "E4"), "t"); /* the test's own wins */
	CHECK_EQ(c->tests[0].n_params, 100000);
	nr_campaign_free(c);
	/* a duplicate key at the end is found */
	nr_buf_adds(&b, "      p7: [2]\n");
	CHECK_CONTAINS(bad(b.buf), "duplicate key 'p7'");
	nr_buf_release(&b);
}

/* The message for a campaign that loads but cannot be planned. */
static const char *bad_plan(const char *text)
{
	static struct nr_diag d;
	struct nr_campaign *c;
	struct nr_plan p;

	nr_diag_clear(&d);
	c = load_text(text, &d);
	if (!c)
		nr_test_fail(__FILE__, __LINE__, "did not load: %s", d.msg);
	if (nr_plan_build(c, NULL, &p, &d) == 0) {
		nr_plan_release(&p);
		nr_campaign_free(c);
		nr_test_fail(__FILE__, __LINE__, "planned a bad campaign:\n%s", text);
	}
	nr_campaign_free(c);
	CHECK(d.code == NR_ECONFIG);
	return d.msg;
}

#define ROLE "tests:\n  - name: x\n    roles:\n      - name: s\n        run: a\n"
#define TEST "tests:\n  - name: x\n    run: a\n"

/*
 * Issue 11 items 10 and 17: values out of their range are refused when the
 * file is read, and every message points at the value it is about (not at
 * the test): a table of bad values and where each is named.
 */
NR_TEST(campaign_bad_values_named_where_they_are)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* ready.port: a literal is checked at once */
		{ ROLE "        ready: {port: 99999}\n", "c.yaml:6:23: 'port' must be a TCP port from 1 to 65535" },
		{ ROLE "        ready: {port: 0}\n", "c.yaml:6:23: 'port' must be a TCP port" },
		{ ROLE "        ready:\n          port: http\n", "c.yaml:7:17: 'port' must be a TCP port" },
		{ ROLE "        ready: {port: '-1'}\n", "c.yaml:6:23: 'port' must be a TCP port" },
		/* environment names */
		{ TEST "    env: {\"A=B\": 1}\n", "c.yaml:4:11: 'env' name 'A=B' must be letters, digits and '_'" },
		{ TEST "    env: {\"\": 1}\n", "c.yaml:4:11: 'env' name ''" },
		{ TEST "    env:\n      1A: x\n", "c.yaml:5:7: 'env' name '1A'" },
		{ TEST "    env:\n      OK: x\n      A B: y\n", "c.yaml:6:7: 'env' name 'A B'" },
		{ "defaults:\n  env: {\"PATH=\": x}\n" TEST, "c.yaml:2:9: 'env' name 'PATH='" },
		{ ROLE "        env: {\"-x\": 1}\n", "c.yaml:6:15: 'env' name '-x'" },
		/* label names */
		{ "labels: {\"a=b\": 1}\n" TEST, "c.yaml:1:10: 'labels' name 'a=b' must not be empty nor hold '='" },
		{ "labels: {\"\": 1}\n" TEST, "c.yaml:1:10: 'labels' name ''" },
		/* durations: not zero where zero makes no sense, never absurd */
		{ TEST "    timeout: 0s\n", "c.yaml:4:14: 'timeout' must be more than zero, not '0s'" },
		{ TEST "    timeout: -1s\n", "c.yaml:4:14: 'timeout' must be a duration" },
		{ TEST "    timeout: 800h\n", "c.yaml:4:14: 'timeout' must be at most 30 days, not '800h'" },
		{ "defaults:\n  timeout: 0\n" TEST, "c.yaml:2:12: 'timeout' must be more than zero" },
		{ TEST "    kill_grace: 1000h\n", "c.yaml:4:17: 'kill_grace' must be at most 30 days" },
		{ ROLE "        ready: {delay: 1s, timeout: 0ms}\n", "c.yaml:6:37: 'timeout' must be more than zero" },
		{ "health: {timeout: 0}\n" TEST, "c.yaml:1:19: 'timeout' must be more than zero" },
		{ "health: {interval: 9999h}\n" TEST, "c.yaml:1:20: 'interval' must be at most 30 days" },
		{ "hosts:\n  h: {restart: [x], restart_timeout: 0s}\n" TEST,
		  "c.yaml:2:38: 'restart_timeout' must be more than zero" },
		/* counts and bounds */
		{ TEST "    generate: random\n    count: 0\n    matrix: {a: [1, 2]}\n",
		  "c.yaml:5:12: 'count' must be a whole number from 1 to 10000000, not '0'" },
		{ TEST "    generate: random\n    count: 20000000\n    matrix: {a: [1, 2]}\n",
		  "c.yaml:5:12: 'count' must be a whole number from 1 to 10000000" },
		{ TEST "    retries: -1\n", "c.yaml:4:14: 'retries' must be a whole number from 0 to 1000" },
		{ TEST "    retries: 1001\n", "c.yaml:4:14: 'retries' must be a whole number from 0 to 1000" },
		{ "defaults: {repeat: 100001}\n" TEST, "c.yaml:1:20: 'repeat' must be a whole number from 1 to 100000" },
		{ TEST "    output_limit: 0\n", "c.yaml:4:19: 'output_limit' must be a size" },
		{ TEST "    output_limit: 5G\n", "c.yaml:4:19: 'output_limit' must be a size" },
		{ "hosts:\n  h: {transport: ssh, address: x, port: 65536}\n" TEST,
		  "c.yaml:2:41: 'port' must be a whole number from 1 to 65535" },
		{ "stop_after_failures: -2\n" TEST, "c.yaml:1:22: 'stop_after_failures' must be a whole number" },
		{ "health: {retries: 5000}\n" TEST, "c.yaml:1:19: 'retries' must be a whole number from 0 to 1000" },
		/* a value that is not one of its words: at the value, not at its key */
		{ TEST "    generate: sometimes\n", "c.yaml:4:15: 'generate' must be all or random, not 'sometimes'" },
		{ "health: {when: always}\n" TEST, "c.yaml:1:16: 'when' must be case, test, once or never" },
		{ TEST "    parse: {format: json, stream: err, metrics: {a: /a}}\n",
		  "c.yaml:4:35: 'stream' must be stdout, stderr or both" },
		{ TEST "    parse: {format: json, metrics: {a: {pointer: /a, better: more}}}\n",
		  "c.yaml:4:62: 'better' must be higher, lower or none" },
		{ "tests:\n  - name: 'a b'\n    run: a\n", "c.yaml:2:11: test name 'a b' may hold only" },
		{ "tests:\n  - name: x\n    workload: tcp_rrr\n", "c.yaml:3:15: unknown workload 'tcp_rrr' (did you mean 'tcp_rr'?)" },
		/* what a message quotes from the file reaches a terminal escaped */
		{ TEST "    generate: \"\\e]0;T\\a\\e[2J\"\n", "c.yaml:4:15: 'generate' must be all or random, not '%1B]0;T%07%1B[2J'" },
		/* a NUL would silently end the value */
		{ TEST "    matrix: {v: [\"a\\0b\"]}\n", "c.yaml:4:18: a value holds a NUL character" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		const char *msg = bad(cases[i].text);

		if (!strstr(msg, cases[i].want))
			nr_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not contain \"%s\"", i,
				     msg, cases[i].want);
	}
}

/* The same for what is only known once the plan is made. */
NR_TEST(plan_errors_named_where_they_are)
{
	struct nr_buf big = NR_BUF_INIT;
	size_t i;

	/* random count past the matrix: at the count, not at the test (was 2:5) */
	CHECK_CONTAINS(bad_plan(TEST "    generate: random\n    count: 7\n    matrix: {a: [1, 2, 3], b: [x, y]}\n"),
		       "c.yaml:5:12: test 'x' asks for count 7 random combinations, but its matrix has only 6");
	/* a port that is a template: each case's value must be a port */
	CHECK_CONTAINS(bad_plan(ROLE "        ready: {port: '{p}'}\n    matrix: {p: [80, 99999]}\n"),
		       "c.yaml:6:23: 'ready.port' of role 's' is '99999' in case x/p=99999, not a TCP port");
	CHECK_CONTAINS(bad_plan(ROLE "        ready: {port: '1{p}'}\n    matrix: {p: ['', '0000', '00000']}\n"),
		       "'ready.port' of role 's' is '100000' in case x/p=00000");
	/* a matrix too large to list: at the matrix, with its real magnitude */
	nr_buf_adds(&big, TEST "    matrix:\n");
	for (i = 0; i < 30; i++)
		nr_buf_addf(&big, "      p%02zu: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n", i);
	CHECK_CONTAINS(bad_plan(big.buf), "c.yaml:4:5: the matrix of test 'x' has about 1.0e30 combinations, more than 10000000");
	nr_buf_release(&big);
}

NR_TEST(plan_ports_and_env_that_are_fine)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(ROLE "        ready: {port: '{p}'}\n        env: {_X1: a, lower_ok: b}\n"
					  "    matrix: {p: [1, 65535]}\n", &d);
	struct nr_plan p;

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	CHECK_EQ(p.n, 2);
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(campaign_thresholds_from_stored_text_alone)
{
	/*
	 * A comparison reads the thresholds from the copy of the campaign
	 * stored with a run. Nothing that copy refers to may be needed: not
	 * its lab file, not an upload's source, not a host's address.
	 */
	static const char text[] =
		"campaign: far\n"
		"lab: /nonexistent/netrig-lab.yaml\n"
		"hosts: {a: {transport: ssh}}\n"
		"thresholds: {warning: 7%, critical: 30%, metrics: {lat: {critical: 12%}}}\n"
		"tests:\n"
		"  - name: t\n"
		"    run: [echo]\n"
		"    upload: [{host: a, from: /nonexistent/file, to: x}]\n"
		"    thresholds: {metrics: {bw: {warning: 3%}}}\n"
		"  - {name: u, run: [echo]}\n";
	struct nr_diag d = { 0 };
	struct nr_campaign *c = NULL;
	double w = 0.10, cr = 0.20;

	/* the whole campaign cannot load here: its lab file is missing */
	CHECK(load_text(text, &d) == NULL);
	CHECK_CONTAINS(d.msg, "lab");
	nr_diag_clear(&d);
	CHECK_OK(nr_campaign_load_thresholds("far.yaml", text, &c, &d));
	CHECK_STR(c->name, "far");
	nr_campaign_thresholds(c, "t", "bw", &w, &cr);
	CHECK_NEAR(w, 0.03, 1e-12);
	CHECK_NEAR(cr, 0.30, 1e-12);
	w = 0.10, cr = 0.20;
	nr_campaign_thresholds(c, "u", "lat", &w, &cr);
	CHECK_NEAR(w, 0.07, 1e-12);
	CHECK_NEAR(cr, 0.12, 1e-12);
	nr_campaign_free(c);

	/* what is wrong in the thresholds themselves is still an error, placed */
	nr_diag_clear(&d);
	c = NULL;
	CHECK_EQ(nr_campaign_load_thresholds("far.yaml",
					     "tests: [{name: t, thresholds: {warning: lots}}]\n",
					     &c, &d), NR_ECONFIG);
	CHECK(c == NULL);
	CHECK_CONTAINS(d.msg, "far.yaml:1:");
	CHECK_CONTAINS(d.msg, "warning");
	nr_diag_clear(&d);
	CHECK(nr_campaign_load_thresholds("far.yaml", "tests: [\n", &c, &d) < 0);
	CHECK(c == NULL);
}

/* `probe:`: true, {tcp_rr: DUR} or false, from defaults or the test; only between roles server and client. */
NR_TEST(campaign_probe)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text("campaign: p\n"
					  "defaults: {probe: true}\n"
					  "tests:\n"
					  "  - {name: a, workload: tcp_rr}\n"
					  "  - {name: b, workload: udp_rr, probe: {tcp_rr: 250ms}}\n"
					  "  - {name: c, workload: tcp_crr, probe: false}\n"
					  "  - name: d\n"
					  "    probe: false\n"
					  "    run: 'true'\n"
					  "  - name: e\n"
					  "    probe: true\n"
					  "    roles:\n"
					  "      - {name: server, run: 'sleep 1'}\n"
					  "      - {name: client, run: 'true', main: true}\n",
					  &d);

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_EQ(c->n_tests, 5);
	CHECK_EQ(c->tests[0].probe_us, 1000000);
	CHECK_EQ(c->tests[1].probe_us, 250000);
	CHECK_EQ(c->tests[2].probe_us, 0);
	CHECK_EQ(c->tests[3].probe_us, 0);
	CHECK_EQ(c->tests[4].probe_us, 1000000);
	nr_campaign_free(c);
	CHECK_CONTAINS(bad(TEST "    probe: true\n"),
		       "c.yaml:4:5: 'probe' runs between the hosts of the roles 'server' and 'client', "
		       "and test 'x' has no 'server'");
	CHECK_CONTAINS(bad("defaults: {probe: yes}\n" TEST), "'probe' must be true or false, not 'yes'");
	CHECK_CONTAINS(bad("tests:\n  - {name: x, workload: tcp_rr, probe: {tcp_rr: 2m}}\n"),
		       "a probe runs at most 60s, not '2m'");
	CHECK_CONTAINS(bad("tests:\n  - {name: x, workload: tcp_rr, probe: {udp_rr: 1s}}\n"), "udp_rr");
	CHECK_CONTAINS(bad("tests:\n  - {name: x, workload: tcp_rr, probe: {tcp_rr: 0s}}\n"),
		       "'tcp_rr' must be more than zero");
}

/* An argv of a case's role, each argument between '|'. */
static char *case_argv(const struct nr_campaign *c, const struct nr_plan *p, size_t k, size_t role)
{
	const struct nr_test *t = &c->tests[p->cases[k].test];
	struct nr_tmpl_ctx ctx = { .campaign = c, .test = t, .value_idx = p->cases[k].value_idx,
				   .attempt = 1, .role_hosts = p->cases[k].hosts };
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_buf b = NR_BUF_INIT;
	size_t i;

	CHECK_OK(nr_template_expand_argv(&t->roles[role].argv, &ctx, &argv, NULL));
	for (i = 0; i < argv.n; i++)
		nr_buf_addf(&b, "|%s", argv.v[i]);
	nr_buf_addch(&b, '|');
	nr_strvec_clear(&argv);
	return nr_buf_detach(&b, NULL);
}

NR_TEST(workload_switch_in_matrix_both_ways)
{
	/* a switch in a matrix says "--x" when true and "--no-x" when false:
	 * tcp_rr's nodelay is on by default, so leaving the flag out for
	 * false ran both cases with it on */
	struct nr_campaign *c = NULL;
	struct nr_plan p = { 0 };
	char *a, *b;

	CHECK_OK(nr_campaign_load("c.yaml",
				  "tests:\n"
				  "  - {name: rr, workload: tcp_rr, matrix: {nodelay: [true, false]}}\n"
				  "  - {name: u, matrix: {x: [true, false]}, run: [echo, '{?x:on}', '{!x:off}', '{!x:}']}\n",
				  &c, NULL));
	CHECK_OK(nr_plan_build(c, NULL, &p, NULL));
	CHECK_EQ(p.n, 4);
	a = case_argv(c, &p, 0, 1);
	b = case_argv(c, &p, 1, 1);
	CHECK_CONTAINS(a, "|--nodelay|");
	CHECK(!strstr(a, "--no-nodelay") && !strstr(a, "||"));
	CHECK_CONTAINS(b, "|--no-nodelay|");
	CHECK(!strstr(b, "|--nodelay|") && !strstr(b, "||"));
	free(a);
	free(b);
	a = case_argv(c, &p, 2, 0);
	b = case_argv(c, &p, 3, 0);
	CHECK_STR(a, "|echo|on|");
	CHECK_STR(b, "|echo|off|");
	free(a);
	free(b);
	nr_plan_release(&p);
	nr_campaign_free(c);
}
