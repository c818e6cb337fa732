/*
 * Lab files: from the YAML tree to struct nr_lab, checked so that `up`
 * never starts building from a file with a mistake. Every message starts
 * "file:line:column:" and names the key, as campaign files' do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "lab/lab_model.h"
#include "yaml/yaml.h"

#define DEFAULT_SUBNET "10.77.0.0/16"

struct loader {
	struct nr_yread yr;
};

/* The shared readers (yaml_read.c) on this loader's file and diag. */
#define fail(l, at, ...) nr_yread_fail(&(l)->yr, at, __VA_ARGS__)
#define check_keys(l, map, allowed, n, where) nr_yread_check_keys(&(l)->yr, map, allowed, n, where)
#define want_kind(l, n, kind, key) nr_yread_want(&(l)->yr, n, kind, key)
#define scalar_at(l, map, key, ret) nr_yread_scalar(&(l)->yr, map, key, ret)
#define get_bool(l, map, key, ret) nr_yread_bool(&(l)->yr, map, key, ret)

/*
 * Names become namespace and file names: letters, digits and '-', not
 * starting with '-' (which `ip` would take for an option).
 */
static int check_name(struct loader *l, const struct nr_ynode *at, const char *what,
		      const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len == 0)
		return fail(l, at, "%s must not be empty", what);
	if (len > max)
		return fail(l, at, "%s '%s' is longer than %zu characters", what, s, max);
	if (s[0] == '-')
		return fail(l, at, "%s '%s' must not start with '-'", what, s);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return fail(l, at, "%s '%s' may hold only letters, digits and '-'",
				    what, s);
	}
	return 0;
}

/* "a.b.c.d/p" with p in 8..24 and no host bits set. */
static int parse_subnet(const char *s, uint32_t *ret_addr, int *ret_prefix)
{
	const char *slash = strchr(s, '/');
	char ip[16];
	uint32_t addr = 0;
	int64_t prefix, octet;
	int i;
	char *p, *dot;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return NR_EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (nr_parse_i64(slash + 1, 8, 24, &prefix) < 0)
		return NR_EINVAL;
	p = ip;
	for (i = 0; i < 4; i++) {
		dot = strchr(p, '.');
		if ((i < 3) != (dot != NULL))
			return NR_EINVAL;
		if (dot)
			*dot = '\0';
		if (nr_parse_i64(p, 0, 255, &octet) < 0)
			return NR_EINVAL;
		addr = addr << 8 | (uint32_t)octet;
		p = dot ? dot + 1 : p;
	}
	if (addr & (0xffffffffu >> prefix))
		return NR_EINVAL;
	*ret_addr = addr;
	*ret_prefix = (int)prefix;
	return 0;
}

static char *fmt_ipv4(uint32_t a)
{
	return nr_xasprintf("%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static int load_host(struct loader *l, struct nr_lab *lab, const struct nr_ynode *key,
		     const struct nr_ynode *val)
{
	static const char *const keys[] = { "sshd", "forward", "controller" };
	struct nr_lab_host *h;
	char where[64];
	size_t i;
	int r;

	r = check_name(l, key, "host name", key->scalar, NR_LAB_HOST_MAX);
	if (r < 0)
		return r;
	for (i = 0; i < lab->n_hosts; i++)
		if (!strcmp(lab->hosts[i].name, key->scalar))
			return fail(l, key, "two hosts are named '%s'", key->scalar);
	NR_GROW(lab->hosts, lab->n_hosts + 1, lab->cap_hosts);
	h = &lab->hosts[lab->n_hosts++];
	memset(h, 0, sizeof(*h));
	h->name = nr_xstrdup(key->scalar);
	h->netns = nr_xasprintf("%s-%s", lab->name, h->name);
	h->line = key->line;
	h->column = key->column;
	if (nr_ynode_is_null(val))
		return 0;
	snprintf(where, sizeof(where), "host '%s'", h->name);
	r = want_kind(l, val, NR_Y_MAP, h->name);
	if (r < 0)
		return r;
	r = check_keys(l, val, keys, NR_ARRAY_SIZE(keys), where);
	if (r < 0)
		return r;
	if ((r = get_bool(l, val, "sshd", &h->sshd)) < 0 ||
	    (r = get_bool(l, val, "forward", &h->forward)) < 0 ||
	    (r = get_bool(l, val, "controller", &h->controller)) < 0)
		return r;
	return 0;
}

static int host_index(struct loader *l, const struct nr_lab *lab, const struct nr_ynode *n,
		      const char *key, size_t *ret)
{
	size_t i;
	int r = want_kind(l, n, NR_Y_SCALAR, key);

	if (r < 0)
		return r;
	for (i = 0; i < lab->n_hosts; i++)
		if (!strcmp(lab->hosts[i].name, n->scalar)) {
			*ret = i;
			return 0;
		}
	return fail(l, n, "link end '%s' is not a host of this lab", n->scalar);
}

/* "0.1%": a percentage from 0 to 100, with its sign (tc reads "0.1" as a ratio in some versions). */
static int netem_percent(struct loader *l, const struct nr_ynode *map, const char *key,
			 double *ret)
{
	const struct nr_ynode *n;
	double v;
	int r = scalar_at(l, map, key, &n);

	if (r <= 0)
		return r;
	if (!nr_ends_with(n->scalar, "%") || nr_parse_ratio(n->scalar, &v) < 0 || v > 1)
		return fail(l, n, "netem '%s' must be a percentage from 0%% to 100%% such as 0.1%%, not '%s'",
			    key, n->scalar);
	*ret = v * 100;
	return 1;
}

/* "1gbit", "100mbit", "64kbit", "1500bit" (tc's bit rates, decimal); 8 bit/s to 1 Tbit/s. */
static int netem_rate(struct loader *l, const struct nr_ynode *n, uint64_t *ret)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "tbit", 1e12 }, { "gbit", 1e9 }, { "mbit", 1e6 }, { "kbit", 1e3 }, { "bit", 1 },
	};
	char num[32];
	size_t i, len = strlen(n->scalar), u;
	double v;

	for (i = 0; i < NR_ARRAY_SIZE(units); i++) {
		u = strlen(units[i].unit);
		if (len <= u || len - u >= sizeof(num) || strcasecmp(n->scalar + len - u, units[i].unit))
			continue;
		memcpy(num, n->scalar, len - u);
		num[len - u] = '\0';
		if (nr_parse_double(num, &v) < 0 || v * units[i].mult < 8 || v * units[i].mult > 1e12)
			break;
		*ret = (uint64_t)(v * units[i].mult + 0.5);
		return 0;
	}
	return fail(l, n, "netem 'rate' must be a bit rate from 8bit to 1tbit such as 1gbit, 100mbit or 64kbit, not '%s'",
		    n->scalar);
}

static int load_netem(struct loader *l, const struct nr_ynode *map, struct nr_lab_netem *ne)
{
	static const char *const keys[] = { "delay", "jitter", "loss", "duplicate", "corrupt",
					    "reorder", "rate", "limit" };
	const struct nr_ynode *n;
	int64_t v;
	int r;

	if ((r = want_kind(l, map, NR_Y_MAP, "netem")) < 0 ||
	    (r = check_keys(l, map, keys, NR_ARRAY_SIZE(keys), "netem")) < 0)
		return r;
	if (map->n == 0)
		return fail(l, map, "'netem' needs a setting: delay, jitter, loss, duplicate, corrupt, reorder, rate or limit");
	ne->set = true;
	/* netem holds a packet at most a few seconds in practice; more is a typo */
	if ((r = nr_yread_duration(&l->yr, map, "delay", 0, &ne->delay_us)) < 0 ||
	    (r = nr_yread_duration(&l->yr, map, "jitter", 0, &ne->jitter_us)) < 0)
		return r;
	if (ne->delay_us > 60000000 || ne->jitter_us > 60000000)
		return fail(l, nr_yread_key_node(map, ne->delay_us > 60000000 ? "delay" : "jitter"),
			    "netem delays are at most 60s");
	if (ne->jitter_us && !ne->delay_us)
		return fail(l, nr_yread_key_node(map, "jitter"), "netem 'jitter' varies a delay: give 'delay' too");
	if ((r = netem_percent(l, map, "loss", &ne->loss)) < 0 ||
	    (r = netem_percent(l, map, "duplicate", &ne->duplicate)) < 0 ||
	    (r = netem_percent(l, map, "corrupt", &ne->corrupt)) < 0 ||
	    (r = netem_percent(l, map, "reorder", &ne->reorder)) < 0)
		return r;
	/* netem reorders by sending some packets at once while the others wait the delay */
	if (ne->reorder > 0 && !ne->delay_us)
		return fail(l, nr_yread_key_node(map, "reorder"),
			    "netem 'reorder' needs a 'delay' (the packets not reordered wait it)");
	if ((r = scalar_at(l, map, "rate", &n)) < 0)
		return r;
	if (r == 1 && (r = netem_rate(l, n, &ne->rate_bps)) < 0)
		return r;
	if ((r = nr_yread_int(&l->yr, map, "limit", 1, 10000000, &v)) < 0)
		return r;
	if (r == 1)
		ne->limit = (uint64_t)v;
	return 0;
}

void nr_lab_netem_args(const struct nr_lab_netem *n, struct nr_strvec *out)
{
	if (!n->set)
		return;
	if (n->limit) {
		nr_strvec_push(out, "limit");
		nr_strvec_push_owned(out, nr_xasprintf("%llu", (unsigned long long)n->limit));
	}
	if (n->delay_us) {
		nr_strvec_push(out, "delay");
		nr_strvec_push_owned(out, nr_xasprintf("%lldus", (long long)n->delay_us));
		if (n->jitter_us)
			nr_strvec_push_owned(out, nr_xasprintf("%lldus", (long long)n->jitter_us));
	}
	{
		const struct { const char *word; double v; } pct[] = {
			{ "loss", n->loss }, { "duplicate", n->duplicate },
			{ "corrupt", n->corrupt }, { "reorder", n->reorder },
		};
		size_t i;

		for (i = 0; i < NR_ARRAY_SIZE(pct); i++)
			if (pct[i].v > 0) {
				nr_strvec_push(out, pct[i].word);
				nr_strvec_push_owned(out, nr_xasprintf("%g%%", pct[i].v));
			}
	}
	if (n->rate_bps) {
		nr_strvec_push(out, "rate");
		nr_strvec_push_owned(out, nr_xasprintf("%llubit", (unsigned long long)n->rate_bps));
	}
}

static int load_link(struct loader *l, struct nr_lab *lab, const struct nr_ynode *item)
{
	static const char *const keys[] = { "a", "b", "mtu", "netem" };
	const struct nr_ynode *a, *b, *mtu, *netem;
	struct nr_lab_link k;
	int64_t v;
	int r;

	memset(&k, 0, sizeof(k));
	k.line = item->line;
	k.column = item->column;
	if (item->kind == NR_Y_SEQ) {
		if (item->n != 2)
			return fail(l, item, "a link is a list of two hosts, [a, b], not %zu items",
				    item->n);
		a = item->items[0];
		b = item->items[1];
	} else if (item->kind == NR_Y_MAP) {
		r = check_keys(l, item, keys, NR_ARRAY_SIZE(keys), "a link");
		if (r < 0)
			return r;
		a = nr_ynode_get(item, "a");
		b = nr_ynode_get(item, "b");
		if (!a || !b)
			return fail(l, item, "a link needs both 'a' and 'b'");
		if ((r = scalar_at(l, item, "mtu", &mtu)) < 0)
			return r;
		if (r == 1) {
			if (nr_parse_i64(mtu->scalar, 68, 65535, &v) < 0)
				return fail(l, mtu, "'mtu' must be a whole number from 68 to 65535, not '%s'",
					    mtu->scalar);
			k.mtu = (int)v;
		}
		netem = nr_ynode_get(item, "netem");
		if (netem && (r = load_netem(l, netem, &k.netem)) < 0)
			return r;
	} else {
		return fail(l, item, "a link is [a, b] or {a:, b:, mtu:, netem:}, not %s",
			    nr_ynode_kind_name(item));
	}
	if ((r = host_index(l, lab, a, "a", &k.a)) < 0 ||
	    (r = host_index(l, lab, b, "b", &k.b)) < 0)
		return r;
	if (k.a == k.b)
		return fail(l, b, "a link joins two different hosts, not '%s' to itself",
			    lab->hosts[k.a].name);
	NR_GROW(lab->links, lab->n_links + 1, lab->cap_links);
	lab->links[lab->n_links++] = k;
	return 0;
}

static void add_iface(struct nr_lab *lab, size_t host, size_t link, size_t peer,
		      uint32_t addr, size_t *ret_if)
{
	struct nr_lab_host *h = &lab->hosts[host];
	struct nr_lab_iface *f;

	NR_GROW(h->ifaces, h->n_ifaces + 1, h->cap_ifaces);
	f = &h->ifaces[h->n_ifaces];
	memset(f, 0, sizeof(*f));
	/* eth<k>: unique in the namespace and short whatever the host names are */
	f->name = nr_xasprintf("eth%zu", h->n_ifaces);
	f->address = fmt_ipv4(addr);
	/* locally administered and unicast; unique in the lab as the address is */
	f->mac = nr_xasprintf("02:00:%02x:%02x:%02x:%02x", addr >> 24, (addr >> 16) & 0xff,
			      (addr >> 8) & 0xff, addr & 0xff);
	f->prefix = 24;
	f->link = link;
	f->peer = peer;
	*ret_if = h->n_ifaces++;
}

/* The interface of host h on link k, or h->n_ifaces. */
static size_t iface_on(const struct nr_lab_host *h, size_t k)
{
	size_t i;

	for (i = 0; i < h->n_ifaces && h->ifaces[i].link != k; i++)
		;
	return i;
}

/*
 * A forwarder's neighbours reach its other links through it: each gets a
 * route to those links' /24s via the forwarder's address on the link they
 * share. One hop only (a chain of forwarders needs more), none where the
 * neighbour is on that link itself, and the first forwarder to offer a
 * destination keeps it.
 */
static void add_routes(struct nr_lab *lab)
{
	size_t f, i, j, r;

	for (f = 0; f < lab->n_hosts; f++) {
		const struct nr_lab_host *fw = &lab->hosts[f];

		if (!fw->forward)
			continue;
		for (i = 0; i < fw->n_ifaces; i++) {
			struct nr_lab_host *nb = &lab->hosts[fw->ifaces[i].peer];

			for (j = 0; j < fw->n_ifaces; j++) {
				size_t k = fw->ifaces[j].link;
				uint32_t net = lab->subnet + ((uint32_t)k << 8);
				char *dest;
				bool have = false;

				if (j == i || iface_on(nb, k) < nb->n_ifaces)
					continue;
				dest = nr_xasprintf("%u.%u.%u.0/24", net >> 24, (net >> 16) & 255,
						    (net >> 8) & 255);
				for (r = 0; r < nb->n_routes && !have; r++)
					have = !strcmp(nb->routes[r].dest, dest);
				if (have) {
					free(dest);
					continue;
				}
				NR_GROW(nb->routes, nb->n_routes + 1, nb->cap_routes);
				nb->routes[nb->n_routes].dest = dest;
				nb->routes[nb->n_routes].via = nr_xstrdup(fw->ifaces[i].address);
				nb->routes[nb->n_routes].iface = iface_on(nb, fw->ifaces[i].link);
				nb->n_routes++;
			}
		}
	}
}

/* Interfaces, addresses, routes, each host's address and its ssh paths. */
static int assign(struct loader *l, struct nr_lab *lab, const struct nr_ynode *links_node)
{
	size_t i, j, ctl = lab->n_hosts;
	uint64_t n_24 = (uint64_t)1 << (24 - lab->prefix);

	if (lab->n_links > n_24)
		return fail(l, links_node, "%zu links need %zu /24 networks; the subnet has %llu",
			    lab->n_links, lab->n_links, (unsigned long long)n_24);
	for (i = 0; i < lab->n_links; i++) {
		struct nr_lab_link *k = &lab->links[i];
		uint32_t net = lab->subnet + ((uint32_t)i << 8);

		add_iface(lab, k->a, i, k->b, net + 1, &k->a_if);
		add_iface(lab, k->b, i, k->a, net + 2, &k->b_if);
	}
	add_routes(lab);
	for (i = 0; i < lab->n_hosts; i++)
		if (lab->hosts[i].controller)
			ctl = i;
	for (i = 0; i < lab->n_hosts; i++) {
		struct nr_lab_host *h = &lab->hosts[i];
		const char *addr = h->n_ifaces ? h->ifaces[0].address : NULL;

		for (j = 0; ctl != i && j < h->n_ifaces; j++)
			if (h->ifaces[j].peer == ctl) {
				addr = h->ifaces[j].address;
				break;
			}
		h->address = addr ? nr_xstrdup(addr) : NULL;
		if (!h->sshd)
			continue;
		if (!h->n_ifaces) {
			struct nr_ynode at = { .line = h->line, .column = h->column };

			return fail(l, &at, "host '%s' has sshd: true but no link to reach it by",
				    h->name);
		}
		h->ssh.port = 22;
		h->ssh.user = nr_xstrdup("root");
		h->ssh.host_key_dir = nr_xasprintf("%s/ssh/%s", lab->dir, h->name);
		h->ssh.config = nr_xasprintf("%s/sshd_config", h->ssh.host_key_dir);
		h->ssh.log = nr_xasprintf("%s/sshd.log", h->ssh.host_key_dir);
		h->ssh.identity = nr_xasprintf("%s/ssh/client_ed25519", lab->dir);
		h->ssh.known_hosts = nr_xasprintf("%s/ssh/known_hosts", lab->dir);
	}
	return 0;
}

static int check_dir(struct loader *l, const struct nr_ynode *at, const char *s)
{
	size_t i, len = strlen(s);

	if (s[0] != '/')
		return fail(l, at, "'dir' must be an absolute path, not '%s'", s);
	if (len > NR_LAB_DIR_MAX)
		return fail(l, at, "'dir' is longer than %d characters", NR_LAB_DIR_MAX);
	if (!strcmp(s, "/"))
		return fail(l, at, "'dir' must not be '/'");
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '\\' || s[i] == 0x7f)
			return fail(l, at, "'dir' must not hold blanks, quotes or control characters");
	return 0;
}

static int load_root(struct loader *l, const struct nr_ynode *root, struct nr_lab *lab)
{
	static const char *const keys[] = { "lab", "dir", "subnet", "hosts", "links" };
	const struct nr_ynode *n = NULL, *hosts, *links;
	struct nr_ynode top = { .line = 1, .column = 1 };
	size_t i, n_ctl = 0;
	int r;

	if (!root)
		return fail(l, NULL, "the lab file is empty");
	if ((r = want_kind(l, root, NR_Y_MAP, "the lab file")) < 0)
		return r;
	if ((r = check_keys(l, root, keys, NR_ARRAY_SIZE(keys), "the lab file")) < 0)
		return r;
	if ((r = scalar_at(l, root, "lab", &n)) < 0)
		return r;
	if (r == 0)
		return fail(l, root, "missing 'lab:' (the lab's name)");
	if ((r = check_name(l, n, "lab name", n->scalar, NR_LAB_NAME_MAX)) < 0)
		return r;
	lab->name = nr_xstrdup(n->scalar);
	if ((r = scalar_at(l, root, "dir", &n)) < 0)
		return r;
	if (r == 1) {
		if ((r = check_dir(l, n, n->scalar)) < 0)
			return r;
		lab->dir = nr_xstrdup(n->scalar);
		/* a trailing slash would double in every path made from it */
		while (strlen(lab->dir) > 1 && nr_ends_with(lab->dir, "/"))
			lab->dir[strlen(lab->dir) - 1] = '\0';
	} else {
		lab->dir = nr_xasprintf("/tmp/netrig-lab-%s", lab->name);
	}
	lab->ssh_config = nr_xasprintf("%s/ssh_config", lab->dir);
	lab->state = nr_xasprintf("%s/state", lab->dir);
	if ((r = scalar_at(l, root, "subnet", &n)) < 0)
		return r;
	if (parse_subnet(r == 1 ? n->scalar : DEFAULT_SUBNET, &lab->subnet, &lab->prefix) < 0)
		return fail(l, n, "'subnet' must be an IPv4 network from /8 to /24 such as 10.77.0.0/16, with no host bits set, not '%s'",
			    n->scalar);

	hosts = nr_ynode_get(root, "hosts");
	if (!hosts)
		return fail(l, root, "missing 'hosts:'");
	if ((r = want_kind(l, hosts, NR_Y_MAP, "hosts")) < 0)
		return r;
	if (hosts->n == 0)
		return fail(l, hosts, "'hosts' is empty");
	for (i = 0; i < hosts->n; i++) {
		r = load_host(l, lab, hosts->keys[i], hosts->items[i]);
		if (r < 0)
			return r;
		if (lab->hosts[i].controller && ++n_ctl > 1)
			return fail(l, hosts->keys[i], "more than one host has controller: true");
	}

	links = nr_ynode_get(root, "links");
	if (links && !nr_ynode_is_null(links)) {
		if ((r = want_kind(l, links, NR_Y_SEQ, "links")) < 0)
			return r;
		for (i = 0; i < links->n; i++)
			if ((r = load_link(l, lab, links->items[i])) < 0)
				return r;
	}
	return assign(l, lab, links ? links : &top);
}

int nr_lab_load_node(const char *file, const struct nr_ynode *map, struct nr_lab **ret,
		     struct nr_diag *d)
{
	struct nr_lab *lab = nr_xcalloc(1, sizeof(*lab));
	struct loader l = { .yr = { .file = file, .d = d } };
	int r;

	lab->path = nr_xstrdup(file);
	r = load_root(&l, map, lab);
	if (r < 0) {
		nr_lab_free(lab);
		return r;
	}
	*ret = lab;
	return 0;
}

int nr_lab_load_text(const char *file, const char *text, struct nr_lab **ret,
		     struct nr_diag *d)
{
	struct nr_ydoc *doc = NULL;
	int r;

	r = nr_ydoc_parse(file, text, strlen(text), &doc, d);
	if (r < 0)
		goto out;
	r = nr_lab_load_node(file, doc->root, ret, d);
out:
	nr_ydoc_free(doc);
	return r;
}

int nr_lab_load(const char *path, struct nr_lab **ret, struct nr_diag *d)
{
	struct nr_buf buf = NR_BUF_INIT;
	int r;

	if ((r = nr_buf_read_file(&buf, path)) < 0) {
		r = nr_diag_set(d, NR_ECONFIG, "%s: cannot read: %s", path, nr_strerror(r));
		goto out;
	}
	if (memchr(buf.buf, '\0', buf.len)) {
		r = nr_diag_set(d, NR_ECONFIG, "%s: not a text file", path);
		goto out;
	}
	r = nr_lab_load_text(path, buf.buf, ret, d);
out:
	nr_buf_release(&buf);
	return r;
}

static void host_release(struct nr_lab_host *h)
{
	size_t i;

	for (i = 0; i < h->n_ifaces; i++) {
		free(h->ifaces[i].name);
		free(h->ifaces[i].address);
		free(h->ifaces[i].mac);
	}
	free(h->ifaces);
	for (i = 0; i < h->n_routes; i++) {
		free(h->routes[i].dest);
		free(h->routes[i].via);
	}
	free(h->routes);
	free(h->name);
	free(h->netns);
	free(h->address);
	free(h->ssh.user);
	free(h->ssh.host_key_dir);
	free(h->ssh.config);
	free(h->ssh.log);
	free(h->ssh.identity);
	free(h->ssh.known_hosts);
}

void nr_lab_free(struct nr_lab *lab)
{
	size_t i;

	if (!lab)
		return;
	for (i = 0; i < lab->n_hosts; i++)
		host_release(&lab->hosts[i]);
	free(lab->hosts);
	free(lab->links);
	free(lab->name);
	free(lab->path);
	free(lab->dir);
	free(lab->ssh_config);
	free(lab->state);
	free(lab);
}

const struct nr_lab_host *nr_lab_host(const struct nr_lab *lab, const char *name)
{
	size_t i;

	for (i = 0; i < lab->n_hosts; i++)
		if (!strcmp(lab->hosts[i].name, name))
			return &lab->hosts[i];
	return NULL;
}

const char *nr_lab_address_from(const struct nr_lab *lab, const char *from, const char *to)
{
	const struct nr_lab_host *f = nr_lab_host(lab, from), *t = nr_lab_host(lab, to);
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; f && i < t->n_ifaces; i++)
		if (&lab->hosts[t->ifaces[i].peer] == f)
			return t->ifaces[i].address;
	return t->address;
}

void nr_lab_ssh_options(const struct nr_lab_host *h, struct nr_strvec *out)
{
	if (!h->sshd)
		return;
	nr_strvec_push_owned(out, nr_xasprintf("IdentityFile=%s", h->ssh.identity));
	nr_strvec_push(out, "IdentitiesOnly=yes");
	nr_strvec_push_owned(out, nr_xasprintf("UserKnownHostsFile=%s", h->ssh.known_hosts));
	nr_strvec_push(out, "StrictHostKeyChecking=accept-new");
	nr_strvec_push(out, "KexAlgorithms=curve25519-sha256");
	nr_strvec_push(out, "BatchMode=yes");
}
