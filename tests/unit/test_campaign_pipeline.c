/*
 * `workload: packet_pipeline` (issue 17): the roles it makes from a lab
 * (pcap -> fwd -> pktgen, check around the capture, the capture
 * collected), `commands:` of a third party and `fwd: none`; the
 * {iface.HOST.PEER} templates; a test's `build:`; and their errors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "test.h"

#define LAB                                                                                    \
	"lab: up-pipe\nsubnet: 10.90.0.0/16\n"                                                \
	"hosts: {pktgen: {}, fwd: {forward: true}, pcap: {}}\n"                                \
	"links: [[pktgen, fwd], [fwd, pcap]]\n"

static struct nr_campaign *load_text(const char *text, struct nr_diag *d)
{
	struct nr_campaign *c = NULL;
	FILE *f = fopen("lab.yaml", "w");

	CHECK(f != NULL);
	fputs(LAB, f);
	fclose(f);
	if (nr_campaign_load("c.yaml", text, &c, d) < 0)
		return NULL;
	return c;
}

/* A campaign that must load. */
static struct nr_campaign *load_ok(const char *text)
{
	struct nr_diag d = { 0 };
	struct nr_campaign *c = load_text(text, &d);

	if (!c)
		nr_test_fail(__FILE__, __LINE__, "load: %s", d.msg);
	return c;
}

static const struct nr_role *role_of(const struct nr_test *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_roles; i++)
		if (!strcmp(t->roles[i].name, name))
			return &t->roles[i];
	return NULL;
}

/* The argv of a role, words joined by spaces, expanded for the first case. */
static char *expanded(const struct nr_campaign *c, const struct nr_test *t, const struct nr_role *r)
{
	size_t idx[4] = { 0 };
	struct nr_tmpl_ctx tc = { .campaign = c, .test = t, .value_idx = idx, .workdir = "/w",
				  .netrig = "NR" };
	struct nr_strvec argv = NR_STRVEC_INIT;
	struct nr_buf b = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	size_t i;

	if (nr_template_expand_argv(&r->argv, &tc, &argv, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "expand: %s", d.msg);
	for (i = 0; i < argv.n; i++)
		nr_buf_addf(&b, "%s%s", i ? " " : "", argv.v[i]);
	nr_strvec_clear(&argv);
	return nr_buf_detach(&b, NULL);
}

NR_TEST(pipeline_iface_templates_come_from_the_lab)
{
	struct nr_campaign *c = load_ok("lab: lab.yaml\ntests:\n  - name: t\n    run: [x, "
					"\"{iface.fwd.pcap}\", \"{iface.fwd.pcap.address}\", "
					"\"{iface.fwd.pktgen.mac}\", \"{iface.pcap.fwd}:{iface.pktgen.fwd.name}\"]\n");
	char *s;

	s = expanded(c, &c->tests[0], &c->tests[0].roles[0]);
	/* link 1 is fwd's second: eth1, 10.90.1.1; the MAC is 02:00 and the address */
	CHECK_STR(s, "x eth1 10.90.1.1 02:00:0a:5a:00:02 eth0:eth0");
	free(s);
	nr_campaign_free(c);
}

NR_TEST(pipeline_roles_of_netrigs_own_tools)
{
	struct nr_campaign *c = load_ok("lab: lab.yaml\ntests:\n  - name: p\n    workload: packet_pipeline\n"
					"    options: {frames: 500, rate: 20k, size: 128, capture_timeout: 3s}\n");
	const struct nr_test *t;
	char *s;

	t = &c->tests[0];
	CHECK_EQ(t->n_roles, 3);
	/* started in this order, each ready before the next */
	CHECK_STR(t->roles[0].name, "pcap");
	CHECK_STR(t->roles[1].name, "fwd");
	CHECK_STR(t->roles[2].name, "pktgen");
	CHECK(t->roles[0].main && !t->roles[1].main && !t->roles[2].main);
	CHECK(t->roles[0].has_parse);
	CHECK_STR(t->roles[0].ready.regex, "^capturing ");
	CHECK_STR(t->roles[1].ready.regex, "^forwarding ");
	CHECK(t->roles[2].ready.kind == NR_READY_NONE);
	s = expanded(c, t, &t->roles[0]);
	CHECK_STR(s, "NR pkt check /w/p.pcap --sent 500 --size 128 --json -- NR pkt pcap eth0 /w/p.pcap 500 --timeout 3000ms");
	free(s);
	s = expanded(c, t, &t->roles[1]);
	CHECK_STR(s, "NR pkt fwd eth0 eth1 --duration 8s");
	free(s);
	s = expanded(c, t, &t->roles[2]);
	CHECK_STR(s, "NR pkt gen eth0 --count 500 --rate 20k --size 128");
	free(s);
	CHECK_EQ(t->n_collects, 1);
	CHECK_STR(t->collects[0].role, "pcap");
	CHECK_STR(t->collects[0].path, "{workdir}/p.pcap");
	nr_campaign_free(c);
}

NR_TEST(pipeline_third_party_commands_and_kernel_forwarding)
{
	struct nr_campaign *c = load_ok(
		"lab: lab.yaml\ntests:\n  - name: p\n    workload: packet_pipeline\n"
		"    matrix: {frames: [100, 200]}\n"
		"    build: [\"make -C ixy\", [cp, a, b]]\n"
		"    commands:\n"
		"      pcap: {run: [./ixy-pcap, \"{iface.pcap.fwd}\", \"{pcap_file}\", \"{frames}\"], ready: {delay: 2s}}\n"
		"      fwd: none\n"
		"      pktgen: ./ixy-pktgen {iface.pktgen.fwd}\n");
	const struct nr_test *t;
	char *s;

	t = &c->tests[0];
	CHECK_EQ(t->n_roles, 2);
	CHECK(role_of(t, "fwd") == NULL);
	CHECK(role_of(t, "pcap")->ready.kind == NR_READY_DELAY);
	CHECK_EQ(role_of(t, "pcap")->ready.delay_us, 2000000);
	s = expanded(c, t, role_of(t, "pcap"));
	CHECK_STR(s, "NR pkt check /w/p.pcap --sent 100 --json -- ./ixy-pcap eth0 /w/p.pcap 100");
	free(s);
	s = expanded(c, t, role_of(t, "pktgen"));
	CHECK_STR(s, "./ixy-pktgen eth0");
	free(s);
	CHECK_EQ(t->n_builds, 2);
	CHECK_EQ(t->builds[0].n, 3);
	CHECK_STR(t->builds[0].v[2], "ixy");
	CHECK_EQ(t->builds[1].n, 3);
	nr_campaign_free(c);
}

NR_TEST(pipeline_kernel_forwarding_with_netrigs_generator)
{
	struct nr_campaign *c = load_ok("lab: lab.yaml\ntests:\n  - name: k\n    workload: packet_pipeline\n"
					"    commands: {fwd: none}\n");
	const struct nr_test *t;
	char *s;

	t = &c->tests[0];
	CHECK_EQ(t->n_roles, 2);
	/* routed by fwd's kernel: to its MAC, and to pcap's address behind it */
	s = expanded(c, t, role_of(t, "pktgen"));
	CHECK_STR(s, "NR pkt gen eth0 --count 10000 --rate 50k --dst-mac 02:00:0a:5a:00:02 "
		     "--src-ip 10.90.0.1 --dst-ip 10.90.1.2");
	free(s);
	nr_campaign_free(c);
}

NR_TEST(pipeline_errors_named_where_they_are)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "lab: lab.yaml\ntests:\n  - name: t\n    run: [x, \"{iface.pcap.pktgen}\"]\n",
		  "the lab has no link between pcap and pktgen" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    run: [x, \"{iface.nope.fwd}\"]\n",
		  "the lab has no host 'nope'" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    run: [x, \"{iface.fwd}\"]\n",
		  "wants {iface.HOST.PEER}" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    run: [x, \"{iface.fwd.pcap.mtu}\"]\n",
		  "wants {iface.HOST.PEER}" },
		{ "tests:\n  - name: t\n    run: [x, \"{iface.a.b}\"]\n", "needs a lab" },
		{ "tests:\n  - name: t\n    workload: packet_pipeline\n", "no host 'pcap'" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    workload: packet_pipeline\n    options: {frames: 0}\n",
		  "'frames' must be a whole number from 1" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    workload: packet_pipeline\n    commands: {fwd: []}\n",
		  "'fwd' is empty" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    workload: packet_pipeline\n    commands: {fw: x}\n",
		  "unknown key 'fw'" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    workload: packet_pipeline\n    commands: {pcap: {ready: {delay: 1s}}}\n",
		  "command 'pcap' needs 'run'" },
		{ "lab: lab.yaml\ntests:\n  - name: t\n    workload: packet_pipeline\n    collect: [{role: pcap, path: x}]\n",
		  "collects its capture itself" },
		{ "tests:\n  - name: t\n    run: [x]\n    commands: {fwd: none}\n", "'commands' goes with 'workload'" },
		{ "tests:\n  - name: t\n    run: [x]\n    matrix: {a: [1]}\n    build: [[x, \"{a}\"]]\n",
		  "no matrix parameter" },
		{ "tests:\n  - name: t\n    run: [x]\n    build: [\"\"]\n", "c.yaml:4:13: 'build' is empty" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(cases); i++) {
		struct nr_diag d = { 0 };
		struct nr_campaign *c = load_text(cases[i].text, &d);

		if (c) {
			nr_campaign_free(c);
			nr_test_fail(__FILE__, __LINE__, "loaded a bad campaign:\n%s", cases[i].text);
		}
		if (strncmp(d.msg, "c.yaml:", 7) || !strstr(d.msg, cases[i].want))
			nr_test_fail(__FILE__, __LINE__, "message \"%s\": want a position and \"%s\"", d.msg,
				     cases[i].want);
	}
}
