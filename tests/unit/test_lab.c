#include <stdio.h>

#include "base/buf.h"
#include "lab/lab.h"
#include "test.h"

static struct nr_lab *load_text(const char *text, struct nr_diag *d)
{
	struct nr_lab *lab = NULL;

	if (nr_lab_load_text("l.yaml", text, &lab, d) < 0)
		return NULL;
	return lab;
}

/* The message for a bad lab file, which must be positioned. */
static const char *bad(const char *text)
{
	static struct nr_diag d;
	struct nr_lab *lab;

	nr_diag_clear(&d);
	lab = load_text(text, &d);
	if (lab) {
		nr_lab_free(lab);
		nr_test_fail(__FILE__, __LINE__, "loaded a bad lab file:\n%s", text);
	}
	CHECK(d.code == NR_ECONFIG || d.code == NR_EPARSE);
	CHECK(!strncmp(d.msg, "l.yaml:", 7));
	return d.msg;
}

static const char good[] =
	"lab: demo\n"
	"hosts:\n"
	"  pktgen: {sshd: true}\n"
	"  fwd: {sshd: true, forward: true}\n"
	"  pcap:\n"
	"  ctl: {controller: true}\n"
	"links:\n"
	"  - [pktgen, fwd]\n"
	"  - [fwd, pcap]\n"
	"  - [ctl, pktgen]\n"
	"  - {a: ctl, b: fwd, mtu: 9000}\n";

NR_TEST(lab_good_file)
{
	struct nr_diag d = { 0 };
	struct nr_lab *lab = load_text(good, &d);
	const struct nr_lab_host *pktgen, *fwd, *pcap, *ctl;

	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_STR(lab->name, "demo");
	CHECK_STR(lab->dir, "/tmp/netrig-lab-demo");
	CHECK_STR(lab->ssh_config, "/tmp/netrig-lab-demo/ssh_config");
	CHECK_STR(lab->state, "/tmp/netrig-lab-demo/state");
	CHECK_EQ(lab->subnet, 0x0a4d0000u);
	CHECK_EQ(lab->prefix, 16);
	CHECK_EQ(lab->n_hosts, 4);
	CHECK_EQ(lab->n_links, 4);
	pktgen = nr_lab_host(lab, "pktgen");
	fwd = nr_lab_host(lab, "fwd");
	pcap = nr_lab_host(lab, "pcap");
	ctl = nr_lab_host(lab, "ctl");
	CHECK(pktgen && fwd && pcap && ctl);
	CHECK(!nr_lab_host(lab, "nope"));
	CHECK_STR(fwd->netns, "demo-fwd");
	CHECK(pktgen->sshd && fwd->sshd && !pcap->sshd && !ctl->sshd);
	CHECK(fwd->forward && !pktgen->forward);
	CHECK(ctl->controller && !fwd->controller);
	CHECK_EQ(lab->links[3].mtu, 9000);
	CHECK_EQ(lab->links[0].mtu, 0);
	/* ssh paths, for a campaign's `transport: ssh` hosts */
	CHECK_EQ(fwd->ssh.port, 22);
	CHECK_STR(fwd->ssh.user, "root");
	CHECK_STR(fwd->ssh.host_key_dir, "/tmp/netrig-lab-demo/ssh/fwd");
	CHECK_STR(fwd->ssh.config, "/tmp/netrig-lab-demo/ssh/fwd/sshd_config");
	CHECK_STR(fwd->ssh.identity, "/tmp/netrig-lab-demo/ssh/client_ed25519");
	CHECK_STR(fwd->ssh.known_hosts, "/tmp/netrig-lab-demo/ssh/known_hosts");
	CHECK(pcap->ssh.config == NULL);
	{
		struct nr_strvec o = NR_STRVEC_INIT;

		nr_lab_ssh_options(pcap, &o);
		CHECK_EQ(o.n, 0);
		nr_lab_ssh_options(fwd, &o);
		CHECK_EQ(o.n, 6);
		CHECK_STR(o.v[0], "IdentityFile=/tmp/netrig-lab-demo/ssh/client_ed25519");
		CHECK_STR(o.v[2], "UserKnownHostsFile=/tmp/netrig-lab-demo/ssh/known_hosts");
		CHECK_STR(o.v[3], "StrictHostKeyChecking=accept-new");
		nr_strvec_clear(&o);
	}
	nr_lab_free(lab);
}

NR_TEST(lab_addresses)
{
	struct nr_diag d = { 0 };
	struct nr_lab *lab = load_text(good, &d);
	const struct nr_lab_host *pktgen, *fwd, *pcap, *ctl;

	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	pktgen = nr_lab_host(lab, "pktgen");
	fwd = nr_lab_host(lab, "fwd");
	pcap = nr_lab_host(lab, "pcap");
	ctl = nr_lab_host(lab, "ctl");
	/* link i is 10.77.i.0/24, side a .1, side b .2; interfaces eth<k> per host */
	CHECK_EQ(pktgen->n_ifaces, 2);
	CHECK_STR(pktgen->ifaces[0].name, "eth0");
	CHECK_STR(pktgen->ifaces[0].address, "10.77.0.1");
	CHECK_EQ(pktgen->ifaces[0].prefix, 24);
	CHECK_STR(pktgen->ifaces[1].name, "eth1");
	CHECK_STR(pktgen->ifaces[1].address, "10.77.2.2");
	CHECK_EQ(fwd->n_ifaces, 3);
	CHECK_STR(fwd->ifaces[0].address, "10.77.0.2");
	CHECK_STR(fwd->ifaces[1].address, "10.77.1.1");
	CHECK_STR(fwd->ifaces[2].name, "eth2");
	CHECK_STR(fwd->ifaces[2].address, "10.77.3.2");
	CHECK_STR(pcap->ifaces[0].address, "10.77.1.2");
	CHECK_STR(lab->hosts[fwd->ifaces[1].peer].name, "pcap");
	/* a host's address is the one its link to the controller has */
	CHECK_STR(pktgen->address, "10.77.2.2");
	CHECK_STR(fwd->address, "10.77.3.2");
	/* no link to the controller: the first link's */
	CHECK_STR(pcap->address, "10.77.1.2");
	CHECK_STR(ctl->address, "10.77.2.1");
	/* seen from a neighbour: the address on the link between them */
	CHECK_STR(nr_lab_address_from(lab, "pktgen", "fwd"), "10.77.0.2");
	CHECK_STR(nr_lab_address_from(lab, "pcap", "fwd"), "10.77.1.1");
	CHECK_STR(nr_lab_address_from(lab, "pcap", "pktgen"), "10.77.2.2");
	CHECK(nr_lab_address_from(lab, "ctl", "nope") == NULL);
	nr_lab_free(lab);
}

NR_TEST(lab_subnet_and_dir)
{
	struct nr_diag d = { 0 };
	struct nr_lab *lab = load_text("lab: x\ndir: /var/tmp/labx/\nsubnet: 192.168.16.0/20\n"
				       "hosts: {a: , b: }\nlinks: [[a, b], [b, a]]\n", &d);

	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_STR(lab->dir, "/var/tmp/labx");
	CHECK_STR(lab->state, "/var/tmp/labx/state");
	CHECK_STR(lab->hosts[0].ifaces[0].address, "192.168.16.1");
	CHECK_STR(lab->hosts[0].ifaces[1].address, "192.168.17.2");
	CHECK_STR(lab->hosts[1].ifaces[1].name, "eth1");
	CHECK_STR(lab->hosts[0].address, "192.168.16.1");
	nr_lab_free(lab);

	/* a host without links has no address, and needs none without sshd */
	lab = load_text("lab: y\nhosts: {lonely: {}}\n", &d);
	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK(lab->hosts[0].address == NULL);
	CHECK_EQ(lab->n_links, 0);
	nr_lab_free(lab);
}

NR_TEST(lab_name_limits)
{
	struct nr_diag d = { 0 };
	struct nr_lab *lab;

	/* 20 characters each: the longest namespace, "<lab>-<host>", is 41 */
	lab = load_text("lab: abcdefghij0123456789\nhosts: {ABCDEFGHIJ-123456789: }\n", &d);
	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_EQ(strlen(lab->hosts[0].netns), NR_LAB_NETNS_MAX);
	nr_lab_free(lab);
	CHECK_CONTAINS(bad("lab: abcdefghij0123456789X\nhosts: {a: }\n"),
		       "l.yaml:1:6: lab name 'abcdefghij0123456789X' is longer than 20 characters");
	CHECK_CONTAINS(bad("lab: x\nhosts:\n  abcdefghij0123456789X: {}\n"),
		       "l.yaml:3:3: host name 'abcdefghij0123456789X' is longer than 20");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a_b: }\n"),
		       "l.yaml:2:9: host name 'a_b' may hold only letters, digits and '-'");
	CHECK_CONTAINS(bad("lab: -x\nhosts: {a: }\n"), "l.yaml:1:6: lab name '-x' must not start with '-'");
	CHECK_CONTAINS(bad("lab: 'a b'\nhosts: {a: }\n"), "l.yaml:1:6: lab name 'a b' may hold only");
	CHECK_CONTAINS(bad("lab: ''\nhosts: {a: }\n"), "l.yaml:1:6: lab name must not be empty");
}

NR_TEST(lab_bad_files)
{
	CHECK_CONTAINS(bad(""), "l.yaml:1:1: the lab file is empty");
	CHECK_CONTAINS(bad("- a\n"), "l.yaml:1:1: 'the lab file' must be a mapping");
	CHECK_CONTAINS(bad("hosts: {a: }\n"), "l.yaml:1:1: missing 'lab:'");
	CHECK_CONTAINS(bad("lab: x\nhostz: {a: }\n"),
		       "l.yaml:2:1: unknown key 'hostz' in the lab file (did you mean 'hosts'?)");
	CHECK_CONTAINS(bad("lab: x\n"), "l.yaml:1:1: missing 'hosts:'");
	CHECK_CONTAINS(bad("lab: x\nhosts: [a, b]\n"), "l.yaml:2:8: 'hosts' must be a mapping");
	CHECK_CONTAINS(bad("lab: x\nhosts: {}\n"), "l.yaml:2:8: 'hosts' is empty");
	CHECK_CONTAINS(bad("lab: [x]\nhosts: {a: }\n"), "l.yaml:1:6: 'lab' must be a single value");
	CHECK_CONTAINS(bad("lab: x\nhosts:\n  a: {sshd: yes}\n"),
		       "l.yaml:3:13: 'sshd' must be true or false, not 'yes'");
	CHECK_CONTAINS(bad("lab: x\nhosts:\n  a: {forwrd: true}\n"),
		       "l.yaml:3:7: unknown key 'forwrd' in host 'a' (did you mean 'forward'?)");
	CHECK_CONTAINS(bad("lab: x\nhosts:\n  a: 3\n"), "l.yaml:3:6: 'a' must be a mapping");
	CHECK_CONTAINS(bad("lab: x\nhosts:\n  a: {controller: true}\n  b: {controller: true}\n"),
		       "l.yaml:4:3: more than one host has controller: true");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: {sshd: true}}\n"),
		       "l.yaml:2:9: host 'a' has sshd: true but no link to reach it by");
	CHECK_CONTAINS(bad("lab: x\nsubnet: 10.77.0.1/16\nhosts: {a: }\n"),
		       "l.yaml:2:9: 'subnet' must be an IPv4 network from /8 to /24");
	CHECK_CONTAINS(bad("lab: x\nsubnet: 10.77.0.0/25\nhosts: {a: }\n"), "l.yaml:2:9: 'subnet'");
	CHECK_CONTAINS(bad("lab: x\nsubnet: 10.77.0/16\nhosts: {a: }\n"), "l.yaml:2:9: 'subnet'");
	CHECK_CONTAINS(bad("lab: x\nsubnet: 10.277.0.0/16\nhosts: {a: }\n"), "l.yaml:2:9: 'subnet'");
	CHECK_CONTAINS(bad("lab: x\nsubnet: 10.77.0.0/24\nhosts: {a: , b: }\nlinks: [[a, b], [a, b]]\n"),
		       "l.yaml:4:8: 2 links need 2 /24 networks; the subnet has 1");
	CHECK_CONTAINS(bad("lab: x\ndir: tmp/x\nhosts: {a: }\n"),
		       "l.yaml:2:6: 'dir' must be an absolute path, not 'tmp/x'");
	CHECK_CONTAINS(bad("lab: x\ndir: /\nhosts: {a: }\n"), "l.yaml:2:6: 'dir' must not be '/'");
	CHECK_CONTAINS(bad("lab: x\ndir: '/tmp/a b'\nhosts: {a: }\n"), "l.yaml:2:6: 'dir' must not hold blanks");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks: {a: b}\n"), "l.yaml:3:8: 'links' must be a list");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - [a, b, a]\n"),
		       "l.yaml:4:5: a link is a list of two hosts, [a, b], not 3 items");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - [a, c]\n"),
		       "l.yaml:4:9: link end 'c' is not a host of this lab");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - [a, a]\n"),
		       "l.yaml:4:9: a link joins two different hosts, not 'a' to itself");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - {a: a}\n"),
		       "l.yaml:4:5: a link needs both 'a' and 'b'");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - {a: a, b: b, mtu: 10}\n"),
		       "l.yaml:4:23: 'mtu' must be a whole number from 68 to 65535, not '10'");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - {a: a, b: b, mut: 1500}\n"),
		       "l.yaml:4:18: unknown key 'mut' in a link (did you mean 'mtu'?)");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , b: }\nlinks:\n  - a\n"),
		       "l.yaml:4:5: a link is [a, b] or {a:, b:, mtu:, netem:}, not a value");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: , a: }\n"), "l.yaml:2");
	CHECK_CONTAINS(bad("lab: x\nhosts: {a: [\n"), "l.yaml:");
}

NR_TEST(lab_load_file)
{
	struct nr_diag d = { 0 };
	struct nr_lab *lab = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/examples/lab-3hosts.yaml", nr_test_top());
	CHECK_OK(nr_lab_load(path, &lab, &d));
	CHECK_STR(lab->path, path);
	CHECK_EQ(lab->n_hosts, 4);
	CHECK(nr_lab_host(lab, "fwd")->forward);
	nr_lab_free(lab);
	CHECK(nr_lab_load("does-not-exist.yaml", &lab, &d) == NR_ECONFIG);
	CHECK_CONTAINS(d.msg, "does-not-exist.yaml: cannot read");
}

/* The routes a host got, one "DEST via VIA dev IF" per line. */
static char *routes_of(const struct nr_lab *lab, const char *host)
{
	const struct nr_lab_host *h = nr_lab_host(lab, host);
	struct nr_buf b = NR_BUF_INIT;
	size_t i;

	for (i = 0; i < h->n_routes; i++)
		nr_buf_addf(&b, "%s via %s dev %s\n", h->routes[i].dest, h->routes[i].via,
			    h->ifaces[h->routes[i].iface].name);
	return nr_buf_detach(&b, NULL);
}

NR_TEST(lab_forward_gives_routes_through_the_forwarder)
{
	struct nr_diag d = { 0 };
	struct nr_lab *lab = load_text(good, &d);
	char *r;

	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	/* fwd (links 0, 1, 3) forwards: its neighbours reach its other links through it */
	r = routes_of(lab, "pktgen");
	CHECK_STR(r, "10.77.1.0/24 via 10.77.0.2 dev eth0\n10.77.3.0/24 via 10.77.0.2 dev eth0\n");
	free(r);
	r = routes_of(lab, "pcap");
	CHECK_STR(r, "10.77.0.0/24 via 10.77.1.1 dev eth0\n10.77.3.0/24 via 10.77.1.1 dev eth0\n");
	free(r);
	/* ctl is on link 3 itself: no route to it, and its way to links 0 and 1 is its eth1 */
	r = routes_of(lab, "ctl");
	CHECK_STR(r, "10.77.0.0/24 via 10.77.3.2 dev eth1\n10.77.1.0/24 via 10.77.3.2 dev eth1\n");
	free(r);
	/* the forwarder itself and a lab without one: none */
	CHECK_EQ(nr_lab_host(lab, "fwd")->n_routes, 0);
	nr_lab_free(lab);
	lab = load_text("lab: x\nhosts: {a: , b: , c: }\nlinks: [[a, b], [b, c]]\n", &d);
	CHECK(lab);
	CHECK_EQ(nr_lab_host(lab, "a")->n_routes + nr_lab_host(lab, "c")->n_routes, 0);
	nr_lab_free(lab);
	/* two forwarders offering one destination: the first keeps it */
	lab = load_text("lab: x\nhosts: {a: , f1: {forward: true}, f2: {forward: true}, c: }\n"
			"links: [[a, f1], [a, f2], [f1, c], [f2, c]]\n", &d);
	CHECK(lab);
	r = routes_of(lab, "a");
	CHECK_STR(r, "10.77.2.0/24 via 10.77.0.2 dev eth0\n10.77.3.0/24 via 10.77.1.2 dev eth1\n");
	free(r);
	nr_lab_free(lab);
}

NR_TEST(lab_netem_settings)
{
	struct nr_diag d = { 0 };
	struct nr_strvec args = NR_STRVEC_INIT;
	struct nr_lab *lab = load_text("lab: x\nhosts: {a: , b: }\nlinks:\n"
				       "  - {a: a, b: b, netem: {delay: 1ms, jitter: 100us, loss: 0.1%,\n"
				       "     duplicate: 1%, corrupt: 0.01%, reorder: 25%, rate: 1gbit, limit: 5000}}\n"
				       "  - [a, b]\n", &d);
	const struct nr_lab_netem *n;
	size_t i;
	char *joined;
	struct nr_buf b = NR_BUF_INIT;

	if (!lab)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	n = &lab->links[0].netem;
	CHECK(n->set && !lab->links[1].netem.set);
	CHECK_EQ(n->delay_us, 1000);
	CHECK_EQ(n->jitter_us, 100);
	CHECK_NEAR(n->loss, 0.1, 1e-12);
	CHECK_NEAR(n->reorder, 25, 1e-12);
	CHECK_EQ(n->rate_bps, 1000000000);
	CHECK_EQ(n->limit, 5000);
	nr_lab_netem_args(n, &args);
	for (i = 0; i < args.n; i++)
		nr_buf_addf(&b, "%s%s", i ? " " : "", args.v[i]);
	joined = nr_buf_detach(&b, NULL);
	CHECK_STR(joined, "limit 5000 delay 1000us 100us loss 0.1% duplicate 1% corrupt 0.01% "
			  "reorder 25% rate 1000000000bit");
	free(joined);
	nr_strvec_clear(&args);
	nr_lab_netem_args(&lab->links[1].netem, &args);
	CHECK_EQ(args.n, 0);
	nr_strvec_clear(&args);
	nr_lab_free(lab);
}

NR_TEST(lab_netem_bad_settings)
{
#define L "lab: x\nhosts: {a: , b: }\nlinks:\n  - {a: a, b: b, netem: "
	CHECK_CONTAINS(bad(L "{}}\n"), "l.yaml:4:25: 'netem' needs a setting");
	CHECK_CONTAINS(bad(L "1ms}\n"), "l.yaml:4:25: 'netem' must be a mapping");
	CHECK_CONTAINS(bad(L "{dealy: 1ms}}\n"), "l.yaml:4:26: unknown key 'dealy' in netem (did you mean 'delay'?)");
	CHECK_CONTAINS(bad(L "{loss: 0.1}}\n"), "l.yaml:4:32: netem 'loss' must be a percentage from 0% to 100% such as 0.1%, not '0.1'");
	CHECK_CONTAINS(bad(L "{loss: 101%}}\n"), "l.yaml:4:32: netem 'loss'");
	CHECK_CONTAINS(bad(L "{duplicate: -1%}}\n"), "l.yaml:4:37: netem 'duplicate'");
	CHECK_CONTAINS(bad(L "{reorder: 25%}}\n"), "l.yaml:4:26: netem 'reorder' needs a 'delay'");
	CHECK_CONTAINS(bad(L "{jitter: 1ms}}\n"), "l.yaml:4:26: netem 'jitter' varies a delay");
	CHECK_CONTAINS(bad(L "{delay: 2m}}\n"), "l.yaml:4:26: netem delays are at most 60s");
	CHECK_CONTAINS(bad(L "{delay: soon}}\n"), "l.yaml:4:33");
	CHECK_CONTAINS(bad(L "{rate: 1G}}\n"), "l.yaml:4:32: netem 'rate' must be a bit rate from 8bit to 1tbit such as 1gbit, 100mbit or 64kbit, not '1G'");
	CHECK_CONTAINS(bad(L "{rate: 2tbit}}\n"), "l.yaml:4:32: netem 'rate'");
	CHECK_CONTAINS(bad(L "{rate: 4bit}}\n"), "l.yaml:4:32: netem 'rate'");
	CHECK_CONTAINS(bad(L "{limit: 0}}\n"), "l.yaml:4:33");
#undef L
}
