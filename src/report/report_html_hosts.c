/*
 * The hosts section of the HTML report: each host's sysinfo JSON
 * (docs/sysinfo.md) read with jansson. A value the JSON lacks is left
 * out, so a machine that could not read its frequencies shows no "?".
 * The host-pair probes stored in the descriptions ("probes") are shown
 * after the hosts, here and in the markdown report.
 */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "base/num.h"
#include "report/report.h"
#include "report/report_int.h"

#define MAX_HOSTS 64
#define MAX_NICS 64

static void esc(struct nr_buf *out, const char *s)
{
	nr_report_xml_escape(out, s ? s : "");
}

static void add_value(struct nr_buf *out, double v, const char *unit)
{
	char b[64];

	esc(out, nr_fmt_value(b, sizeof(b), v, unit));
}

/* A member by a dotted path ("cpu.model"), or NULL. */
static json_t *jget(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && json_is_object(o)) {
		dot = strchr(path, '.');
		if (!dot)
			return json_object_get(o, path);
		if ((size_t)(dot - path) >= sizeof(key))
			return NULL;
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return NULL;
}

static void add_jval(struct nr_buf *out, json_t *v)
{
	if (json_is_string(v))
		esc(out, json_string_value(v));
	else if (json_is_integer(v))
		nr_buf_addf(out, "%lld", (long long)json_integer_value(v));
	else
		nr_buf_adds(out, "?");
}

static void add_jstr(struct nr_buf *out, json_t *o, const char *path)
{
	add_jval(out, jget(o, path));
}

static void add_bytes(struct nr_buf *out, json_t *v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double x;
	size_t u = 0;

	if (!json_is_integer(v)) {
		nr_buf_adds(out, "?");
		return;
	}
	x = (double)json_integer_value(v);
	while (x >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		x /= 1024;
		u++;
	}
	nr_buf_addf(out, u ? "%.1f %s" : "%.0f %s", x, units[u]);
}

enum {
	SPACE = 1, /* joined to the part before by a space, not a comma */
	BYTES = 2, /* an integer number of bytes, shown in KiB, MiB, ... */
};

/*
 * One piece of a line: "prefix value suffix", left out when value is
 * unknown. The joining is the line's, never the prefix's: ", " before a
 * part, or " " with SPACE, and nothing before the first part shown (so an
 * unknown first field leaves no stray comma or blank).
 */
struct part {
	const char *prefix;
	json_t *v;
	const char *suffix;
	int flags;
};

static bool known(json_t *v)
{
	return json_is_string(v) ? *json_string_value(v) != '\0' : json_is_integer(v);
}

/*
 * A <dt>/<dd> line of the known parts, or nothing. The parts are counted,
 * not ended by an empty one: an unknown first value must not hide the rest.
 */
static void row(struct nr_buf *out, const char *name, const struct part *parts, size_t n)
{
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct part *p = &parts[i];

		if (!known(p->v))
			continue;
		if (!any)
			nr_buf_addf(out, "<dt>%s</dt><dd>", name);
		else
			nr_buf_adds(out, p->flags & SPACE ? " " : ", ");
		any = true;
		if (p->prefix)
			nr_buf_adds(out, p->prefix + strspn(p->prefix, " "));
		if (p->flags & BYTES)
			add_bytes(out, p->v);
		else
			add_jval(out, p->v);
		if (p->suffix)
			nr_buf_adds(out, p->suffix);
	}
	if (any)
		nr_buf_adds(out, "</dd>\n");
}

#define ROW(out, name, ...) \
	row(out, name, (const struct part[]){ __VA_ARGS__ }, \
	    sizeof((const struct part[]){ __VA_ARGS__ }) / sizeof(struct part))

static void add_nics(struct nr_buf *out, json_t *nics)
{
	size_t i, k;

	if (!json_is_array(nics) || !json_array_size(nics))
		return;
	nr_buf_adds(out, "<table><thead><tr><th>NIC</th><th>state</th><th class=\"num\">MTU</th>"
			 "<th class=\"num\">speed</th><th>driver</th><th class=\"num\">queues rx/tx</th>"
			 "<th>MAC</th><th>addresses</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < json_array_size(nics) && i < MAX_NICS; i++) {
		json_t *nic = json_array_get(nics, i), *addrs = jget(nic, "addrs"), *sp = jget(nic, "speed_mbps");

		nr_buf_adds(out, "<tr><td>");
		add_jstr(out, nic, "name");
		nr_buf_adds(out, "</td><td>");
		add_jstr(out, nic, "operstate");
		nr_buf_adds(out, "</td><td class=\"num\">");
		add_jstr(out, nic, "mtu");
		nr_buf_adds(out, "</td><td class=\"num\">");
		if (json_is_integer(sp))
			add_value(out, (double)json_integer_value(sp) * 1e6, "bit/s");
		else
			nr_buf_adds(out, "&#8211;");
		nr_buf_adds(out, "</td><td>");
		add_jstr(out, nic, "driver");
		nr_buf_adds(out, "</td><td class=\"num\">");
		add_jstr(out, nic, "rx_queues");
		nr_buf_adds(out, "/");
		add_jstr(out, nic, "tx_queues");
		nr_buf_adds(out, "</td><td><code>");
		add_jstr(out, nic, "mac");
		nr_buf_adds(out, "</code></td><td>");
		for (k = 0; json_is_array(addrs) && k < json_array_size(addrs) && k < 32; k++) {
			json_t *a = json_array_get(addrs, k);

			nr_buf_adds(out, k ? "<br><code>" : "<code>");
			add_jstr(out, a, "address");
			nr_buf_adds(out, "/");
			add_jstr(out, a, "prefix_len");
			nr_buf_adds(out, "</code>");
		}
		nr_buf_adds(out, "</td></tr>\n");
	}
	nr_buf_adds(out, "</tbody></table>\n");
	if (json_array_size(nics) > MAX_NICS)
		nr_buf_addf(out, "<p class=\"note\">%zu more interfaces are not listed.</p>\n",
			    json_array_size(nics) - MAX_NICS);
}

static void add_host(struct nr_buf *out, const struct nr_host_rec *h)
{
	json_error_t jerr;
	json_t *si, *sysctl;

	nr_buf_adds(out, "<div class=\"host\">\n<h3>");
	esc(out, h->name);
	nr_buf_adds(out, " <small class=\"note\">");
	esc(out, h->transport);
	if (h->address) {
		nr_buf_adds(out, ", ");
		esc(out, h->address);
	}
	nr_buf_adds(out, "</small></h3>\n");
	if (!h->sysinfo) {
		nr_buf_adds(out, "<p class=\"note\">No system information was collected.</p>\n</div>\n");
		return;
	}
	si = json_loads(h->sysinfo, 0, &jerr);
	if (!json_is_object(si)) {
		nr_buf_adds(out, "<p class=\"note\">The stored system information is not a JSON object (");
		esc(out, si ? "wrong type" : jerr.text);
		nr_buf_adds(out, ").</p>\n</div>\n");
		json_decref(si);
		return;
	}
	sysctl = jget(si, "net.sysctl");
	nr_buf_adds(out, "<dl class=\"kv\">\n");
	ROW(out, "hostname", { NULL, jget(si, "hostname"), NULL, 0 });
	ROW(out, "CPU", { NULL, jget(si, "cpu.model"), NULL, 0 },
			{ "(", jget(si, "cpu.vendor"), ")", SPACE });
	ROW(out, "topology", { NULL, jget(si, "cpu.sockets"), " sockets", 0 },
			     { NULL, jget(si, "cpu.cores"), " cores", 0 },
			     { NULL, jget(si, "cpu.threads"), " threads", 0 },
			     { NULL, jget(si, "cpu.numa_nodes"), " NUMA nodes", 0 });
	ROW(out, "frequency", { "base ", jget(si, "cpu.base_mhz"), " MHz", 0 },
			      { "max ", jget(si, "cpu.max_mhz"), " MHz", 0 },
			      { "governor ", jget(si, "cpu.governor"), NULL, 0 });
	ROW(out, "memory", { NULL, jget(si, "memory.total_bytes"), NULL, BYTES },
			   { "huge pages ", jget(si, "memory.hugepages_total"), NULL, 0 });
	ROW(out, "kernel", { NULL, jget(si, "kernel.sysname"), NULL, SPACE },
			   { NULL, jget(si, "kernel.release"), NULL, SPACE },
			   { NULL, jget(si, "kernel.machine"), NULL, SPACE });
	ROW(out, "OS", { NULL, jget(si, "os.pretty_name"), NULL, 0 });
	ROW(out, "platform", { NULL, jget(si, "platform.dmi_sys_vendor"), NULL, SPACE },
			     { NULL, jget(si, "platform.dmi_product_name"), NULL, SPACE },
			     { "clocksource ", jget(si, "platform.clocksource"), NULL, 0 });
	/* sysctl names hold dots: not a path */
	ROW(out, "TCP", { "congestion control ", json_object_get(sysctl, "net.ipv4.tcp_congestion_control"), NULL, 0 },
			{ "rmem_max ", json_object_get(sysctl, "net.core.rmem_max"), NULL, BYTES },
			{ "wmem_max ", json_object_get(sysctl, "net.core.wmem_max"), NULL, BYTES });
	nr_buf_adds(out, "</dl>\n");
	add_nics(out, jget(si, "net.nics"));
	nr_buf_adds(out, "</div>\n");
	json_decref(si);
}

/* One host-pair probe (runner_probe.c), its strings borrowed from the host's JSON. */
struct probe {
	const char *from, *to, *address, *time, *error; /* error: NULL when it passed */
	double tps, p50_us, p99_us;
};

typedef void probe_fn(struct nr_buf *out, const struct probe *p, bool first);

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Each probe of the run's hosts to fn, in the order stored; how many. */
static size_t each_probe(const struct nr_report_run *r, struct nr_buf *out, probe_fn *fn)
{
	size_t i, k, n = 0;

	for (i = 0; i < r->n_hosts && i < MAX_HOSTS; i++) {
		json_t *si = r->hosts[i].sysinfo ? json_loads(r->hosts[i].sysinfo, 0, NULL) : NULL;
		json_t *probes = json_object_get(si, "probes");

		for (k = 0; json_is_array(probes) && k < json_array_size(probes) && k < MAX_HOSTS; k++) {
			json_t *e = json_array_get(probes, k);
			struct probe p = {
				.from = jstr(e, "from"), .to = jstr(e, "to"), .address = jstr(e, "address"),
				.time = jstr(e, "time"), .error = jstr(e, "error"),
				.tps = json_number_value(json_object_get(e, "transactions_per_s")),
				.p50_us = json_number_value(json_object_get(e, "latency_p50_us")),
				.p99_us = json_number_value(json_object_get(e, "latency_p99_us")),
			};

			if (!json_is_object(e))
				continue;
			if (!p.error && strcmp(jstr(e, "status") ? jstr(e, "status") : "", "passed"))
				p.error = "no result";
			fn(out, &p, n++ == 0);
		}
		json_decref(si);
	}
	return n;
}

static void html_probe(struct nr_buf *out, const struct probe *p, bool first)
{
	if (first)
		nr_buf_adds(out, "<h3>Host pairs</h3>\n<p class=\"note\">A short tcp_rr between the hosts "
				 "of each pair before the first case (<code>probe:</code>).</p>\n"
				 "<table><thead><tr><th>from</th><th>to</th><th>address</th>"
				 "<th class=\"num\">transactions/s</th><th class=\"num\">p50</th>"
				 "<th class=\"num\">p99</th><th>when</th></tr></thead>\n<tbody>\n");
	nr_buf_adds(out, "<tr><td>");
	esc(out, p->from);
	nr_buf_adds(out, "</td><td>");
	esc(out, p->to);
	nr_buf_adds(out, "</td><td><code>");
	esc(out, p->address);
	nr_buf_adds(out, "</code></td>");
	if (p->error) {
		nr_buf_adds(out, "<td colspan=\"3\">failed: ");
		esc(out, p->error);
		nr_buf_adds(out, "</td>");
	} else {
		nr_buf_adds(out, "<td class=\"num\">");
		add_value(out, p->tps, "1/s");
		nr_buf_adds(out, "</td><td class=\"num\">");
		add_value(out, p->p50_us, "us");
		nr_buf_adds(out, "</td><td class=\"num\">");
		add_value(out, p->p99_us, "us");
		nr_buf_adds(out, "</td>");
	}
	nr_buf_adds(out, "<td>");
	esc(out, p->time);
	nr_buf_adds(out, "</td></tr>\n");
}

static void md_probe(struct nr_buf *out, const struct probe *p, bool first)
{
	char b[64];

	if (first)
		nr_buf_adds(out, "### Host pairs\n\n| from | to | address | transactions/s | p50 | p99 | when |\n"
				 "|---|---|---|---:|---:|---:|---|\n");
	nr_buf_adds(out, "| ");
	nr__report_md_text(out, p->from ? p->from : "");
	nr_buf_adds(out, " | ");
	nr__report_md_text(out, p->to ? p->to : "");
	nr_buf_adds(out, " | ");
	nr__report_md_code(out, p->address ? p->address : "", true);
	if (p->error) {
		nr_buf_adds(out, " | failed: ");
		nr__report_md_text(out, p->error);
		nr_buf_adds(out, " | | ");
	} else {
		nr_buf_addf(out, " | %s", nr_fmt_value(b, sizeof(b), p->tps, "1/s"));
		nr_buf_addf(out, " | %s", nr_fmt_value(b, sizeof(b), p->p50_us, "us"));
		nr_buf_addf(out, " | %s", nr_fmt_value(b, sizeof(b), p->p99_us, "us"));
	}
	nr_buf_adds(out, " | ");
	nr__report_md_code(out, p->time ? p->time : "", true);
	nr_buf_adds(out, " |\n");
}

void nr__report_probes_md(const struct nr_report_run *r, struct nr_buf *out)
{
	if (each_probe(r, out, md_probe))
		nr_buf_adds(out, "\n");
}

void nr__report_html_hosts(struct nr_buf *out, const struct nr_report_run *r)
{
	size_t i;

	nr_buf_adds(out, "<section id=\"hosts\">\n<h2>Hosts</h2>\n");
	if (!r->n_hosts)
		nr_buf_adds(out, "<p>No hosts are recorded for this run.</p>\n");
	for (i = 0; i < r->n_hosts && i < MAX_HOSTS; i++)
		add_host(out, &r->hosts[i]);
	if (r->n_hosts > MAX_HOSTS)
		nr_buf_addf(out, "<p class=\"note\">%zu more hosts are not shown.</p>\n", r->n_hosts - MAX_HOSTS);
	if (each_probe(r, out, html_probe))
		nr_buf_adds(out, "</tbody></table>\n");
	nr_buf_adds(out, "</section>\n");
}
