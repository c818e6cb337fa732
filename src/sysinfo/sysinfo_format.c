/*
 * A machine's description as JSON (stored with each run's hosts, keys in
 * docs/sysinfo.md) and as aligned text for people.
 */
#include "sysinfo/sysinfo.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/mem.h"

/* Bump when a key changes meaning or goes away; adding keys does not. */
#define SYSINFO_SCHEMA 1

/* ---- JSON ------------------------------------------------------------------ */

/*
 * jansson refuses bytes that are not UTF-8, and a DMI string or a command
 * line may hold any byte: such a value is kept with '?' in place of
 * every non-ASCII byte rather than lost.
 */
static json_t *jstr(const char *s)
{
	json_t *j;
	char *copy, *p;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	copy = nr_xstrdup(s);
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j ? j : json_null();
}

static json_t *jint(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *jtriple(const int64_t v[3])
{
	json_t *a;
	int i;

	if (v[0] < 0)
		return json_null();
	a = json_array();
	for (i = 0; i < 3; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

static json_t *caches_json(const struct nr_sysinfo *si)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < si->n_caches; i++) {
		const struct nr_sysinfo_cache *c = &si->caches[i];

		o = json_object();
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "level", json_integer(c->level));
		json_object_set_new(o, "type", jstr(c->type));
		json_object_set_new(o, "size_bytes", jint(c->size_bytes));
		json_object_set_new(o, "instances", jint(c->instances));
		json_object_set_new(o, "total_bytes", jint(c->total_bytes));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *nic_json(const struct nr_sysinfo *si, const struct nr_sysinfo_nic *n)
{
	json_t *o = json_object(), *addrs, *a;
	size_t i;

	json_object_set_new(o, "name", jstr(n->name));
	json_object_set_new(o, "mac", jstr(n->mac));
	json_object_set_new(o, "mtu", jint(n->mtu));
	json_object_set_new(o, "operstate", jstr(n->operstate));
	json_object_set_new(o, "speed_mbps", jint(n->speed_mbps));
	json_object_set_new(o, "duplex", jstr(n->duplex));
	json_object_set_new(o, "driver", jstr(n->driver));
	json_object_set_new(o, "rx_queues", jint(n->rx_queues));
	json_object_set_new(o, "tx_queues", jint(n->tx_queues));
	if (!si->addrs_known) {
		json_object_set_new(o, "addrs", json_null());
		return o;
	}
	addrs = json_array();
	for (i = 0; i < n->n_addrs; i++) {
		a = json_object();
		json_object_set_new(a, "family", json_string(
			n->addrs[i].family == AF_INET6 ? "inet6" : "inet"));
		json_object_set_new(a, "address", jstr(n->addrs[i].addr));
		json_object_set_new(a, "prefix_len", jint(n->addrs[i].prefix_len));
		json_array_append_new(addrs, a);
	}
	json_object_set_new(o, "addrs", addrs);
	return o;
}

char *nr_sysinfo_to_json(const struct nr_sysinfo *si)
{
	json_t *root = json_object(), *o, *net, *nics;
	char *text;
	size_t i;

	json_object_set_new(root, "schema", json_integer(SYSINFO_SCHEMA));
	json_object_set_new(root, "hostname", jstr(si->hostname));

	o = json_object();
	json_object_set_new(o, "pretty_name", jstr(si->os_pretty_name));
	json_object_set_new(o, "id", jstr(si->os_id));
	json_object_set_new(o, "version_id", jstr(si->os_version_id));
	json_object_set_new(root, "os", o);

	o = json_object();
	json_object_set_new(o, "sysname", jstr(si->kernel_sysname));
	json_object_set_new(o, "release", jstr(si->kernel_release));
	json_object_set_new(o, "version", jstr(si->kernel_version));
	json_object_set_new(o, "machine", jstr(si->kernel_machine));
	json_object_set_new(o, "cmdline", jstr(si->kernel_cmdline));
	json_object_set_new(root, "kernel", o);

	o = json_object();
	json_object_set_new(o, "model", jstr(si->cpu_model));
	json_object_set_new(o, "vendor", jstr(si->cpu_vendor));
	json_object_set_new(o, "sockets", jint(si->sockets));
	json_object_set_new(o, "cores", jint(si->cores));
	json_object_set_new(o, "threads", jint(si->threads));
	json_object_set_new(o, "online", jstr(si->cpus_online));
	json_object_set_new(o, "base_mhz", jint(si->base_mhz));
	json_object_set_new(o, "max_mhz", jint(si->max_mhz));
	json_object_set_new(o, "governor", jstr(si->cpu_governor));
	json_object_set_new(o, "numa_nodes", jint(si->numa_nodes));
	json_object_set_new(o, "caches", caches_json(si));
	json_object_set_new(root, "cpu", o);

	o = json_object();
	json_object_set_new(o, "total_bytes", jint(si->mem_total_bytes));
	json_object_set_new(o, "hugepages_total", jint(si->hugepages_total));
	json_object_set_new(o, "hugepage_size_bytes", jint(si->hugepage_size_bytes));
	json_object_set_new(root, "memory", o);

	o = json_object();
	json_object_set_new(o, "clocksource", jstr(si->clocksource));
	json_object_set_new(o, "hypervisor",
			    si->hypervisor < 0 ? json_null() : json_boolean(si->hypervisor));
	json_object_set_new(o, "dmi_product_name", jstr(si->dmi_product_name));
	json_object_set_new(o, "dmi_sys_vendor", jstr(si->dmi_sys_vendor));
	json_object_set_new(root, "platform", o);

	net = json_object();
	o = json_object();
	json_object_set_new(o, "net.ipv4.tcp_congestion_control",
			    jstr(si->tcp_congestion_control));
	json_object_set_new(o, "net.core.rmem_max", jint(si->rmem_max_bytes));
	json_object_set_new(o, "net.core.wmem_max", jint(si->wmem_max_bytes));
	json_object_set_new(o, "net.ipv4.tcp_rmem", jtriple(si->tcp_rmem_bytes));
	json_object_set_new(o, "net.ipv4.tcp_wmem", jtriple(si->tcp_wmem_bytes));
	json_object_set_new(o, "net.core.busy_poll", jint(si->busy_poll_us));
	json_object_set_new(o, "net.core.busy_read", jint(si->busy_read_us));
	json_object_set_new(net, "sysctl", o);
	nics = json_array();
	for (i = 0; i < si->n_nics; i++)
		json_array_append_new(nics, nic_json(si, &si->nics[i]));
	json_object_set_new(net, "nics", nics);
	json_object_set_new(root, "net", net);

	/* insertion order is kept (jansson >= 2.8): the keys come out as above */
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		nr_xmalloc((size_t)-1); /* jansson fails only without memory */
	return text;
}

/* ---- text ------------------------------------------------------------------ */

/* 49152 -> "48K", 110100480 -> "105M", 25274793984 -> "23.5G" (binary). */
static void add_size(struct nr_buf *out, int64_t bytes)
{
	static const char units[] = "KMGTP";
	int64_t unit = 1024;
	int i;

	if (bytes < 0) {
		nr_buf_adds(out, "?");
		return;
	}
	if (bytes < 1024) {
		nr_buf_addf(out, "%" PRId64 "B", bytes);
		return;
	}
	for (i = 0; i + 1 < (int)sizeof(units) - 1 && bytes / unit >= 1024; i++)
		unit *= 1024;
	if (bytes % unit == 0)
		nr_buf_addf(out, "%" PRId64 "%c", bytes / unit, units[i]);
	else
		nr_buf_addf(out, "%.1f%c", (double)bytes / (double)unit, units[i]);
}

static void add_int(struct nr_buf *out, int64_t v)
{
	if (v < 0)
		nr_buf_adds(out, "?");
	else
		nr_buf_addf(out, "%" PRId64, v);
}

static const char *or_q(const char *s)
{
	return s ? s : "?";
}

static void add_plural(struct nr_buf *out, int64_t n, const char *what)
{
	add_int(out, n);
	nr_buf_addf(out, " %s%s", what, n == 1 ? "" : "s");
}

static void label(struct nr_buf *out, const char *name)
{
	nr_buf_addf(out, "%-11s", name);
}

static void add_triple(struct nr_buf *out, const int64_t v[3])
{
	if (v[0] < 0)
		nr_buf_adds(out, "?");
	else
		nr_buf_addf(out, "%" PRId64 " %" PRId64 " %" PRId64, v[0], v[1], v[2]);
}

/* "eth0  up  1400  10G  full  ixgbe  8/8  aa:bb:..  10.0.0.1/24 fe80::1/64" */
static void add_nics(struct nr_buf *out, const struct nr_sysinfo *si)
{
	enum { NAME, STATE, MTU, SPEED, DUPLEX, DRIVER, QUEUES, MAC, NCOL };
	static const char *const head[NCOL] = { "name", "state", "mtu", "speed",
						"duplex", "driver", "rx/tx", "mac" };
	struct nr_buf *cells = nr_xcalloc((si->n_nics + 1) * NCOL, sizeof(*cells));
	size_t width[NCOL] = { 0 }, i, c, row;
	const struct nr_sysinfo_nic *n;
	struct nr_buf *cell;

	for (c = 0; c < NCOL; c++)
		nr_buf_adds(&cells[c], head[c]);
	for (i = 0; i < si->n_nics; i++) {
		n = &si->nics[i];
		cell = &cells[(i + 1) * NCOL];
		nr_buf_adds(&cell[NAME], n->name);
		nr_buf_adds(&cell[STATE], or_q(n->operstate));
		add_int(&cell[MTU], n->mtu);
		if (n->speed_mbps < 0)
			nr_buf_adds(&cell[SPEED], "-");
		else if (n->speed_mbps >= 1000 && n->speed_mbps % 1000 == 0)
			nr_buf_addf(&cell[SPEED], "%" PRId64 "G", n->speed_mbps / 1000);
		else
			nr_buf_addf(&cell[SPEED], "%" PRId64 "M", n->speed_mbps);
		nr_buf_adds(&cell[DUPLEX], n->duplex ? n->duplex : "-");
		nr_buf_adds(&cell[DRIVER], or_q(n->driver));
		add_int(&cell[QUEUES], n->rx_queues);
		nr_buf_addch(&cell[QUEUES], '/');
		add_int(&cell[QUEUES], n->tx_queues);
		nr_buf_adds(&cell[MAC], n->mac ? n->mac : "-");
	}
	for (row = 0; row <= si->n_nics; row++)
		for (c = 0; c < NCOL; c++)
			if (cells[row * NCOL + c].len > width[c])
				width[c] = cells[row * NCOL + c].len;
	for (row = 0; row <= si->n_nics; row++) {
		nr_buf_adds(out, "  ");
		for (c = 0; c < NCOL; c++)
			nr_buf_addf(out, "%-*s  ", (int)width[c], cells[row * NCOL + c].buf);
		if (row == 0) {
			nr_buf_adds(out, si->addrs_known ? "addresses" : "");
		} else {
			n = &si->nics[row - 1];
			for (i = 0; i < n->n_addrs; i++)
				nr_buf_addf(out, "%s%s/%d", i ? " " : "",
					    n->addrs[i].addr, n->addrs[i].prefix_len);
		}
		/* no trailing blanks */
		while (out->len && out->buf[out->len - 1] == ' ')
			nr_buf_setlen(out, out->len - 1);
		nr_buf_addch(out, '\n');
	}
	for (i = 0; i < (si->n_nics + 1) * NCOL; i++)
		nr_buf_release(&cells[i]);
	free(cells);
}

int nr_sysinfo_format_text(const struct nr_sysinfo *si, struct nr_buf *out)
{
	size_t i;

	label(out, "host");
	nr_buf_addf(out, "%s\n", or_q(si->hostname));
	label(out, "os");
	nr_buf_addf(out, "%s\n", or_q(si->os_pretty_name));
	label(out, "kernel");
	nr_buf_addf(out, "%s %s %s\n", or_q(si->kernel_sysname),
		    or_q(si->kernel_release), or_q(si->kernel_machine));

	label(out, "cpu");
	nr_buf_addf(out, "%s", or_q(si->cpu_model));
	if (si->cpu_vendor)
		nr_buf_addf(out, " (%s)", si->cpu_vendor);
	nr_buf_addch(out, '\n');
	label(out, "topology");
	add_plural(out, si->sockets, "socket");
	nr_buf_adds(out, ", ");
	add_plural(out, si->cores, "core");
	nr_buf_adds(out, ", ");
	add_plural(out, si->threads, "thread");
	nr_buf_addf(out, " (online %s), ", or_q(si->cpus_online));
	add_plural(out, si->numa_nodes, "NUMA node");
	nr_buf_addch(out, '\n');
	label(out, "frequency");
	nr_buf_adds(out, "base ");
	add_int(out, si->base_mhz);
	nr_buf_adds(out, " MHz, max ");
	add_int(out, si->max_mhz);
	nr_buf_addf(out, " MHz, governor %s\n", or_q(si->cpu_governor));
	label(out, "caches");
	for (i = 0; i < si->n_caches; i++) {
		nr_buf_addf(out, "%s%s ", i ? ", " : "", si->caches[i].name);
		add_size(out, si->caches[i].size_bytes);
		nr_buf_addf(out, " x%" PRId64, si->caches[i].instances);
	}
	nr_buf_adds(out, si->n_caches ? "\n" : "?\n");

	label(out, "memory");
	add_size(out, si->mem_total_bytes);
	nr_buf_adds(out, ", huge pages ");
	add_int(out, si->hugepages_total);
	nr_buf_adds(out, " x ");
	add_size(out, si->hugepage_size_bytes);
	nr_buf_addch(out, '\n');
	label(out, "platform");
	nr_buf_addf(out, "clocksource %s, hypervisor %s", or_q(si->clocksource),
		    si->hypervisor < 0 ? "?" : si->hypervisor ? "yes" : "no");
	if (si->dmi_sys_vendor || si->dmi_product_name)
		nr_buf_addf(out, ", %s %s", or_q(si->dmi_sys_vendor),
			    or_q(si->dmi_product_name));
	nr_buf_addch(out, '\n');

	label(out, "tcp");
	nr_buf_addf(out, "%s, rmem_max ", or_q(si->tcp_congestion_control));
	add_size(out, si->rmem_max_bytes);
	nr_buf_adds(out, ", wmem_max ");
	add_size(out, si->wmem_max_bytes);
	nr_buf_adds(out, ", busy_poll ");
	add_int(out, si->busy_poll_us);
	nr_buf_adds(out, " us, busy_read ");
	add_int(out, si->busy_read_us);
	nr_buf_adds(out, " us\n");
	label(out, "tcp_rmem");
	add_triple(out, si->tcp_rmem_bytes);
	nr_buf_addch(out, '\n');
	label(out, "tcp_wmem");
	add_triple(out, si->tcp_wmem_bytes);
	nr_buf_addch(out, '\n');
	label(out, "cmdline");
	nr_buf_addf(out, "%s\n", or_q(si->kernel_cmdline));
	nr_buf_adds(out, "nics\n");
	add_nics(out, si);
	return 0;
}
