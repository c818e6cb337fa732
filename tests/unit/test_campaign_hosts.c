/*
 * Hosts as a matrix axis: `host:` templates resolved per case by the plan
 * (an unknown host named at the template's file:line:column), host
 * `labels:` and `optional:`, {role.NAME.host} / {role.NAME.address}, and
 * the loader's errors for each new key (restart_first and health.peers too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "test.h"

/* The message for a bad campaign: positioned at `pos`, and containing `want`. */
static void bad(const char *text, const char *pos, const char *want)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = NULL;

	if (nr_campaign_load("c.yaml", text, &c, &d) == 0) {
		struct nr_plan p = { 0 };
		int r = nr_plan_build(c, NULL, &p, &d);

		nr_plan_release(&p);
		nr_campaign_free(c);
		if (r == 0)
			nr_test_fail(__FILE__, __LINE__, "loaded and planned a bad campaign:\n%s", text);
	}
	CHECK(d.code == NR_ECONFIG || d.code == NR_EPARSE);
	if (strncmp(d.msg, pos, strlen(pos)) || !strstr(d.msg, want))
		nr_test_fail(__FILE__, __LINE__, "message \"%s\": want it at %s with \"%s\"", d.msg,
			     pos, want);
}

#define HOSTS                                                             \
	"campaign: h\n"                                                   \
	"hosts:\n"                                                        \
	"  e1: {labels: {env: lab, nic: 'mlx5 100G'}}\n"                  \
	"  e2: {optional: true}\n"

NR_TEST(host_axis_resolved_per_case)
{
	const char *text = HOSTS
		"tests:\n"
		"  - name: t\n"
		"    host: '{env}'\n"
		"    matrix: {env: [e1, e2]}\n"
		"    roles:\n"
		"      - {name: s, run: [echo, '{role.s.host}', '{role.c.address}']}\n"
		"      - {name: c, host: local, main: true, run: [echo, '{role.s.host}']}\n";
	struct nr_campaign *c = NULL;
	struct nr_plan p = { 0 };
	struct nr_diag d = { 0 };
	struct nr_strvec argv = NR_STRVEC_INIT;

	CHECK_OK(nr_campaign_load("c.yaml", text, &c, &d));
	CHECK_STR(nr_kv_get(&nr_campaign_host(c, "e1")->labels, "nic"), "mlx5 100G");
	CHECK(nr_campaign_host(c, "e2")->optional && !nr_campaign_host(c, "e1")->optional);
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	CHECK_EQ(p.n, 2);
	CHECK_STR(p.cases[0].hosts[0]->name, "e1");
	CHECK_STR(p.cases[1].hosts[0]->name, "e2");
	CHECK_STR(p.cases[1].hosts[1]->name, "local");
	{
		struct nr_tmpl_ctx ctx = { .campaign = c, .test = &c->tests[0],
					   .value_idx = p.cases[1].value_idx, .attempt = 1,
					   .role_hosts = p.cases[1].hosts };

		CHECK_OK(nr_template_expand_argv(&c->tests[0].roles[0].argv, &ctx, &argv, &d));
		CHECK_STR(argv.v[1], "e2");
		CHECK_STR(argv.v[2], "127.0.0.1");
	}
	nr_strvec_clear(&argv);
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(host_axis_errors_named_where_they_are)
{
	/* a value of the axis that is no host: at the template, when planned */
	bad(HOSTS "tests:\n  - name: t\n    host: '{env}'\n    matrix: {env: [e1, e9]}\n    run: [true]\n",
	    "c.yaml:7:11:", "host '{env}' of role 'main' is 'e9' in case t/env=e9: no such host");
	bad(HOSTS "tests:\n  - name: t\n    matrix: {env: [e1, e9]}\n    roles:\n"
		  "      - {name: r, host: 'x{env}', run: [true]}\n",
	    "c.yaml:9:25:", "host 'x{env}' of role 'r' is 'xe1'");
	/* a template over what is not a parameter: at load */
	bad(HOSTS "tests:\n  - name: t\n    host: '{nope}'\n    run: [true]\n", "c.yaml:7:5:", "'host'");
	bad(HOSTS "defaults: {host: '{nope}'}\ntests:\n  - name: t\n    run: [true]\n", "c.yaml:5:12:",
	    "'host'");
	/* the new keys of a host */
	bad("campaign: h\nhosts:\n  e1: {optional: maybe}\ntests:\n  - {name: t, run: [true]}\n",
	    "c.yaml:3:18:", "optional");
	bad("campaign: h\nhosts:\n  e1: {labels: [a]}\ntests:\n  - {name: t, run: [true]}\n",
	    "c.yaml:3:16:", "labels");
	bad("campaign: h\nhosts:\n  e1: {labels: {'a=b': x}}\ntests:\n  - {name: t, run: [true]}\n",
	    "c.yaml:3:17:", "must not be empty nor hold '='");
	bad("campaign: h\nhosts:\n  e1: {labels: {a: [x]}}\ntests:\n  - {name: t, run: [true]}\n",
	    "c.yaml:3:20:", "single value");
	/* the host care keys */
	bad("campaign: h\nrestart_first: maybe\ntests:\n  - {name: t, run: [true]}\n", "c.yaml:2:16:",
	    "restart_first");
	bad("campaign: h\nhealth: {peers: 2}\ntests:\n  - {name: t, run: [true]}\n", "c.yaml:2:17:",
	    "peers");
	/* {role.NAME...} of a role the test does not have, or a field a role does not give */
	bad(HOSTS "tests:\n  - name: t\n    run: [echo, '{role.nope.host}']\n", "c.yaml:7:10:", "role");
	bad(HOSTS "tests:\n  - name: t\n    run: [echo, '{role.main.port}']\n", "c.yaml:7:10:",
	    ".host and .address");
}

NR_TEST(role_count_instances_round_robin)
{
	const char *text = HOSTS
		"tests:\n"
		"  - name: ps\n"
		"    matrix: {subs: [1, 3]}\n"
		"    roles:\n"
		"      - {name: pub, run: [echo, '{port}']}\n"
		"      - {name: sub, count: '{subs}', hosts: [e1, e2], main: true,\n"
		"         run: [echo, '{instance}', '{role.pub.host}']}\n"
		"      - {name: tail, run: [echo, '{instance}']}\n";
	struct nr_campaign *c = NULL;
	struct nr_plan p = { 0 };
	struct nr_diag d = { 0 };
	const struct nr_test *t;

	CHECK_OK(nr_campaign_load("c.yaml", text, &c, &d));
	CHECK_OK(nr_plan_build(c, NULL, &p, &d));
	CHECK_EQ(p.n, 2);
	t = nr_campaign_case_test(c, &p.cases[0]);
	CHECK_EQ(t->n_roles, 3);
	CHECK_STR(t->roles[1].name, "sub#1");
	t = nr_campaign_case_test(c, &p.cases[1]);
	CHECK_EQ(t->n_roles, 5);
	CHECK_STR(t->roles[0].name, "pub");
	CHECK_STR(t->roles[1].name, "sub#1");
	CHECK_STR(t->roles[3].name, "sub#3");
	CHECK_STR(t->roles[4].name, "tail");
	CHECK_EQ(t->roles[3].instance, 3);
	CHECK(t->roles[3].main);
	/* round-robin over the hosts, resolved for the runner */
	CHECK_STR(p.cases[1].hosts[1]->name, "e1");
	CHECK_STR(p.cases[1].hosts[2]->name, "e2");
	CHECK_STR(p.cases[1].hosts[3]->name, "e1");
	CHECK_STR(p.cases[1].hosts[4]->name, "local");
	{
		struct nr_strvec argv = NR_STRVEC_INIT;
		struct nr_tmpl_ctx ctx = { .campaign = c, .test = t, .value_idx = p.cases[1].value_idx,
					   .attempt = 1, .instance = t->roles[2].instance,
					   .role_hosts = p.cases[1].hosts };

		CHECK_OK(nr_template_expand_argv(&t->roles[2].argv, &ctx, &argv, &d));
		CHECK_STR(argv.v[1], "2");
		CHECK_STR(argv.v[2], "local");
		nr_strvec_clear(&argv);
	}
	/* the test as written is untouched */
	CHECK_EQ(c->tests[0].n_roles, 3);
	CHECK_STR(c->tests[0].roles[1].name, "sub");
	nr_plan_release(&p);
	nr_campaign_free(c);
}

NR_TEST(role_count_errors_named_where_they_are)
{
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, count: 0, run: [true]}\n",
	    "c.yaml:8:26:", "'count' of role 's' must be a number from 1 to 1000");
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, count: '{nope}', run: [true]}\n",
	    "c.yaml:8:26:", "in 'count'");
	bad(HOSTS "tests:\n  - name: t\n    matrix: {n: [2, x]}\n    roles:\n"
		  "      - {name: s, count: '{n}', run: [true]}\n",
	    "c.yaml:9:26:", "'count' of role 's' is 'x' in case t/n=x, not a number");
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, hosts: [e1, e7], run: [true]}\n",
	    "c.yaml:8:31:", "unknown host 'e7'");
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, host: e1, hosts: [e1], run: [true]}\n",
	    "c.yaml:8:29:", "both 'host' and 'hosts'");
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, hosts: [], run: [true]}\n",
	    "c.yaml:8:26:", "'hosts' of role 's' is empty");
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, hosts: e1, run: [true]}\n",
	    "c.yaml:8:26:", "hosts");
	bad(HOSTS "tests:\n  - name: t\n    roles:\n      - {name: s, count: 2, run: [true]}\n"
		  "    collect: [{role: s, path: x}]\n",
	    "c.yaml:9:22:", "has instances");
}
