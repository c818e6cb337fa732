/* Which address of a peer a role uses (issue 14: data addresses). */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "lab/lab.h"
#include "test.h"

#define HOSTS                                                                             \
	"hosts:\n"                                                                        \
	"  a: {transport: ssh, address: 10.0.0.1, addresses: {test: 192.168.7.1}}\n"    \
	"  b: {transport: ssh, address: 10.0.0.2,\n"                                      \
	"      addresses: {test: 192.168.7.2, mgmt: 10.9.0.2, fast: 172.16.0.2}}\n"       \
	"  c: {transport: ssh, address: 10.0.0.3, addresses: {fast: 172.16.0.3}}\n"       \
	"  n: {transport: netns, netns: x, address: 10.0.0.4}\n"

static struct nr_campaign *load(const char *text)
{
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };

	if (nr_campaign_load("c.yaml", text, &c, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "load: %s", d.msg);
	return c;
}

/* A test's single role's argv[1] expanded on its host. */
static char *expand(const struct nr_campaign *c, size_t test, struct nr_diag *d)
{
	const struct nr_test *t = &c->tests[test];
	size_t zero[4] = { 0 };
	struct nr_tmpl_ctx ctx = { .campaign = c, .test = t, .value_idx = zero,
				   .host = nr_campaign_host(c, t->roles[0].host) };
	char *s = NULL;

	if (nr_template_expand(t->roles[0].argv.v[1], &ctx, &s, d) < 0)
		return NULL;
	return s;
}

NR_TEST(campaign_address_default_network_explicit)
{
	struct nr_campaign *c = load(HOSTS "tests:\n"
				     "  - {name: t0, host: a, run: 'echo {host.b.address}'}\n"
				     "  - {name: t1, host: a, run: 'echo {host.b.address.mgmt}'}\n"
				     "  - {name: t2, host: c, run: 'echo {host.b.address}'}\n"
				     "  - {name: t3, host: a, network: fast, run: 'echo {host.c.address}'}\n"
				     "  - {name: t4, host: a, run: 'echo {host.b.control}'}\n"
				     "  - {name: t5, host: a, run: 'echo {host.b.address@c}'}\n"
				     "  - {name: t6, host: n, run: 'echo {host.b.address}'}\n");
	static const char *const want[] = {
		"192.168.7.2", /* a network both name */
		"10.9.0.2",    /* the network written in the reference */
		"172.16.0.2",  /* another shared network for another pair */
		"172.16.0.3",  /* the test's network: a has none there, c has */
		"10.0.0.2",    /* the control address on request */
		"172.16.0.2",  /* as another host (c) reaches it */
		"10.0.0.2",    /* nothing shared: the control address */
	};
	size_t i;

	for (i = 0; c && i < NR_ARRAY_SIZE(want); i++) {
		struct nr_diag d = { 0 };
		char *s = expand(c, i, &d);

		CHECK_STR(s ? s : d.msg, want[i]);
		free(s);
	}
	nr_campaign_free(c);
}

NR_TEST(campaign_address_unreachable_at_plan)
{
	static const char *const cases[][2] = {
		/* the test's network: c has no address there */
		{ "  - {name: t, host: a, network: test, run: 'echo {host.c.address}'}\n",
		  "host c has no address on network 'test' (a role on host a refers to it)" },
		/* the network named in the reference */
		{ "  - {name: t, host: a, run: 'echo {host.c.address.mgmt}'}\n",
		  "host c has no address on network 'mgmt'" },
		/* this machine's loopback from another machine */
		{ "  - {name: t, host: b, run: 'echo {host.local.address}'}\n",
		  "a role on host b cannot reach host local: its address 127.0.0.1 is this machine's loopback" },
		/* in an env value, and through @ */
		{ "  - {name: t, host: a, run: 'true', env: {X: '{host.local.address@n}'}}\n",
		  "a role on host n cannot reach host local" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		char *text = nr_xasprintf(HOSTS "tests:\n%s", cases[i][0]);
		struct nr_campaign *c = NULL;
		struct nr_plan p = { 0 };
		struct nr_diag d = { 0 };
		int r = nr_campaign_load("c.yaml", text, &c, &d);

		if (r == 0) {
			r = nr_plan_build(c, NULL, &p, &d);
			if (r == 0)
				nr_plan_release(&p);
		}
		CHECK_EQ(r, NR_ECONFIG);
		CHECK(!strncmp(d.msg, "c.yaml:", 7));
		CHECK_CONTAINS(d.msg, cases[i][1]);
		nr_campaign_free(c);
		free(text);
	}
}

NR_TEST(campaign_address_bad_forms)
{
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };

	CHECK(nr_campaign_load("c.yaml", HOSTS "tests:\n  - {name: t, run: 'echo {host.b.adress}'}\n",
			       &c, &d) < 0);
	CHECK_CONTAINS(d.msg, "unknown reference '{host.b.adress}'");
	nr_diag_clear(&d);
	CHECK(nr_campaign_load("c.yaml", HOSTS "tests:\n  - {name: t, run: 'echo {host.b.address@zz}'}\n",
			       &c, &d) < 0);
	CHECK_CONTAINS(d.msg, "names a host that is not defined");
	nr_diag_clear(&d);
	CHECK(nr_campaign_load("c.yaml", HOSTS "  d: {addresses: {test: [1]}}\ntests: [{name: t, run: x}]\n",
			       &c, &d) < 0);
	CHECK_CONTAINS(d.msg, "'addresses.test' must be a single value");
}

NR_TEST(campaign_address_lab_link_network)
{
	struct nr_lab *lab = NULL;
	struct nr_diag d = { 0 };

	CHECK_OK(nr_lab_load_text("l.yaml",
				  "lab: l\nhosts: {a: {}, b: {}}\n"
				  "links: [[a, b], {a: a, b: b, network: test}]\n",
				  &lab, &d));
	if (!lab)
		return;
	CHECK_STR(nr_lab_link_address(lab, "a", "b", NULL), "10.77.0.2");
	CHECK_STR(nr_lab_link_address(lab, "a", "b", "test"), "10.77.1.2");
	CHECK_STR(nr_lab_link_address(lab, NULL, "a", "test"), "10.77.1.1");
	CHECK(nr_lab_link_address(lab, "a", "b", "mgmt") == NULL);
	nr_lab_free(lab);
	CHECK(nr_lab_load_text("l.yaml", "lab: l\nhosts: {a: {}, b: {}}\n"
			       "links: [{a: a, b: b, network: 'x y'}]\n", &lab, &d) < 0);
	CHECK_CONTAINS(d.msg, "l.yaml:3:");
	CHECK_CONTAINS(d.msg, "'network' may hold only letters");
}
