/*
 * Host-pair probes (`probe:` of a test, issue 14): the gRPC performance
 * database describes a pair of machines with a quick TCP request/response
 * rate between them beside each machine's own description. Before the
 * first case, for every pair the plan's probing tests use (the host of
 * their role `client`, the host of their role `server`, the address the
 * client reaches the server by), netrig runs its own tcp_rr once: `bench
 * serve` on the server's host listening on that address, port 0, and
 * `bench tcp_rr --json` on the client's host against the address it
 * prints (the workload recipe's ready line). The result, or why there is
 * none, goes into the client host's description under "probes"
 * (docs/sysinfo.md), so it is stored, merged and served with the run's
 * hosts. A probe never fails the run: the cases run whatever it found.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "runner/runner_internal.h"
#include "workload/workload.h"

/* Longer than any server takes to print its line, short enough not to hold a run up. */
#define READY_TIMEOUT_US (15 * 1000000LL)
#define GRACE_US 1000000
#define OUTPUT_LIMIT (256 << 10)

struct pair {
	const struct nr_host *from, *to;
	const char *address; /* NULL: none (why in error) */
	char *error;
	int64_t duration_us;
};

/* "server", or an instance of a counted role "server#2". */
static bool role_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(name, want, n) && (name[n] == '\0' || name[n] == '#');
}

static const struct nr_host *role_host(const struct nr_test *t, const struct nr_case_plan *cp,
				       const char *want)
{
	size_t i;

	for (i = 0; i < t->n_roles; i++)
		if (role_is(t->roles[i].name, want))
			return cp->hosts[i];
	return NULL;
}

/* The pairs of the plan's probing tests, each once, in the order of their first case. */
static size_t find_pairs(const struct nr_campaign *c, const struct nr_plan *plan, struct pair **ret)
{
	struct pair *v = NULL;
	size_t i, k, n = 0;

	for (i = 0; i < plan->n; i++) {
		const struct nr_test *t = nr_campaign_case_test(c, &plan->cases[i]);
		struct pair p = { 0 };
		struct nr_diag d = { 0 };

		if (!t->probe_us)
			continue;
		p.from = role_host(t, &plan->cases[i], "client");
		p.to = role_host(t, &plan->cases[i], "server");
		if (!p.from || !p.to)
			continue; /* the loader requires both; a counted role may have none here */
		p.duration_us = t->probe_us;
		/* a server on this machine listens on loopback, as the workload recipe's does */
		if (p.to->transport == NR_TRANSPORT_LOCAL)
			p.address = "127.0.0.1";
		else if (nr_campaign_peer_address(c, t, p.from, p.to, NULL, &p.address, &d) < 0)
			p.address = NULL;
		for (k = 0; k < n; k++)
			if (v[k].from == p.from && v[k].to == p.to &&
			    (v[k].address && p.address ? !strcmp(v[k].address, p.address)
						       : v[k].address == p.address))
				break;
		if (k < n)
			continue;
		if (!p.address)
			p.error = nr_xstrdup(d.msg[0] ? d.msg : "no address");
		v = nr_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = p;
	}
	*ret = v;
	return n;
}

/* The server's ready line is complete, or it ended. */
static bool server_ready(void *ctx)
{
	const struct nr_proc *p = ctx;
	const char *line = strstr(p->out.buf, NR_WL_READY_PREFIX);

	return p->exited || (line && (line == p->out.buf || line[-1] == '\n') && strchr(line, '\n'));
}

/* The last non-empty line of text into buf. */
static const char *last_line(const struct nr_buf *text, char *buf, size_t size)
{
	size_t end = text->len, start;

	while (end && (text->buf[end - 1] == '\n' || text->buf[end - 1] == '\r'))
		end--;
	start = end;
	while (start && text->buf[start - 1] != '\n')
		start--;
	snprintf(buf, size, "%.*s", (int)(end - start), text->buf + start);
	return buf;
}

static void set_num(json_t *entry, const char *key, json_t *results, const char *metric)
{
	json_t *v = json_object_get(json_object_get(results, metric), "value");

	if (json_is_number(v))
		json_object_set_new(entry, key, json_real(json_number_value(v)));
}

/*
 * The client's run read into entry: its numbers, or the reason it has
 * none. 0, or -1 with the reason in why.
 */
static int read_client(json_t *entry, int code, const struct nr_buf *out, const struct nr_buf *err,
		       char *why, size_t size)
{
	json_t *doc = json_loads(out->buf, 0, NULL), *results = json_object_get(doc, "results");
	json_t *time = json_object_get(doc, "time");
	int r = 0;

	if (json_is_string(time))
		json_object_set(entry, "time", time);
	if (code == 0 && json_is_object(results) &&
	    json_is_number(json_object_get(json_object_get(results, "transactions_per_s"), "value"))) {
		set_num(entry, "transactions_per_s", results, "transactions_per_s");
		set_num(entry, "latency_p50_us", results, "latency_p50_us");
		set_num(entry, "latency_p99_us", results, "latency_p99_us");
	} else {
		/* bench's error document names the reason; else its last words */
		if (json_is_string(json_object_get(doc, "error")))
			snprintf(why, size, "%s", json_string_value(json_object_get(doc, "error")));
		else if (err->len)
			last_line(err, why, size);
		else
			snprintf(why, size, "netrig bench tcp_rr exited %d without a result", code);
		r = -1;
	}
	json_decref(doc);
	return r;
}

/* Run one probe; its result or failure into entry. */
static void probe_one(struct nr__hosts *h, const struct pair *p, size_t number,
		      const struct nr_cgroup *cg, int cancel_fd, json_t *entry)
{
	struct nr_target *server = nr__hosts_target(h, p->to), *client = nr__hosts_target(h, p->from);
	char listen[300], lifetime[32], duration[32], why[NR_DIAG_MAX] = "", to[300];
	char *name = nr_xasprintf("probe.%zu.server", number);
	struct nr_job job = { .grace_us = GRACE_US, .output_limit = OUTPUT_LIMIT, .cgroup = cg,
			      .name = name };
	struct nr_proc proc = { .pid = 0 }, *procs[] = { &proc };
	struct nr_buf out = NR_BUF_INIT, err = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	bool started = false;
	const char *line;
	char *wd = NULL;
	int code = -1, r;

	snprintf(listen, sizeof(listen), strchr(p->address, ':') ? "[%s]:0" : "%s:0", p->address);
	/* the server outlives a client that never comes by little */
	snprintf(lifetime, sizeof(lifetime), "%llds", (long long)(p->duration_us / 1000000 + 30));
	snprintf(duration, sizeof(duration), "%lldus", (long long)p->duration_us);
	if ((r = nr__hosts_agent(h, p->to, &d)) < 0 || (r = nr__hosts_agent(h, p->from, &d)) < 0)
		goto out;
	{
		char *argv[] = { (char *)server->netrig, "bench", "serve", "--listen", listen, "--one-off",
				 "--lifetime", lifetime, NULL };

		wd = nr_target_workdir(server, NULL, &job.make_workdir);
		job.argv = argv;
		job.workdir = wd;
		if ((r = nr_target_start(server, &job, &proc, &d)) < 0)
			goto out;
	}
	started = true;
	r = nr_proc_pump(procs, 1, nr_mono_us() + READY_TIMEOUT_US, 0, cancel_fd, server_ready, &proc);
	line = strstr(proc.out.buf, NR_WL_READY_PREFIX);
	if (r < 0 || proc.exited || !line) {
		char desc[80];

		r = nr_diagf(&d, NR_EEXEC, "the server on %s %s: %s", p->to->name,
			     r == NR_ETIMEOUT ? "printed no ready line" : r == NR_EINTR ? "was interrupted"
			     : nr_proc_describe(&proc, desc, sizeof(desc)),
			     last_line(&proc.err, why, sizeof(why)));
		goto out;
	}
	/* the address it listens on, as it printed it: "10.0.0.2:43567" or "[fd00::2]:43567" */
	line += strlen(NR_WL_READY_PREFIX);
	snprintf(to, sizeof(to), "%.*s", (int)strcspn(line, "\r\n"), line);
	{
		char *argv[] = { (char *)client->netrig, "bench", "tcp_rr", "--to", to, "--duration",
				 duration, "--omit", "0", "--json", NULL };

		r = nr_target_run(client, argv, p->duration_us + READY_TIMEOUT_US, OUTPUT_LIMIT, &code,
				  &out, &err, &d);
	}
	if (r < 0)
		goto out;
	if (read_client(entry, code, &out, &err, why, sizeof(why)) < 0)
		r = nr_diagf(&d, NR_EEXEC, "%s", why);
out:
	if (started) {
		struct nr_diag d2 = { 0 };

		nr_target_stop(server, &job, &proc, &d2);
		nr_proc_stop_in(procs, 1, cg, GRACE_US);
		nr_proc_release(&proc);
	}
	if (r < 0) {
		json_object_set_new(entry, "status", json_string("failed"));
		json_object_set_new(entry, "error", json_string(nr_diag_msg(&d)));
	} else {
		json_object_set_new(entry, "status", json_string("passed"));
	}
	nr_buf_release(&out);
	nr_buf_release(&err);
	free(wd);
	free(name);
}

/* entry appended to the "probes" of a host's description (made when it has none). */
static void add_to_host(struct nr_host_rec *rec, json_t *entry)
{
	json_t *si = rec->sysinfo ? json_loads(rec->sysinfo, 0, NULL) : NULL, *probes;

	if (!json_is_object(si)) {
		/* a description that is not an object is left for the report to say so */
		if (rec->sysinfo) {
			json_decref(si);
			return;
		}
		si = json_object();
	}
	probes = json_object_get(si, "probes");
	if (!json_is_array(probes)) {
		probes = json_array();
		json_object_set_new(si, "probes", probes);
	}
	json_array_append(probes, entry);
	free(rec->sysinfo);
	/* ten digits: enough for any measure, without binary fractions' tails */
	rec->sysinfo = json_dumps(si, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(si);
}

void nr__probe_hosts(struct nr__hosts *h, const struct nr_plan *plan, const struct nr_cgroup *cg,
		     int cancel_fd, struct nr_host_rec *recs, struct nr_strvec *notes)
{
	struct pair *pairs = NULL;
	size_t n = find_pairs(h->c, plan, &pairs), i;

	for (i = 0; i < n; i++) {
		const struct pair *p = &pairs[i];
		json_t *entry = json_object(), *x;
		char when[40];

		json_object_set_new(entry, "test", json_string("tcp_rr"));
		json_object_set_new(entry, "from", json_string(p->from->name));
		json_object_set_new(entry, "to", json_string(p->to->name));
		json_object_set_new(entry, "address", p->address ? json_string(p->address) : json_null());
		json_object_set_new(entry, "duration_s", json_real((double)p->duration_us / 1e6));
		json_object_set_new(entry, "time", json_string(nr_fmt_time(when, sizeof(when), nr_wall_us())));
		if (p->error) {
			json_object_set_new(entry, "status", json_string("failed"));
			json_object_set_new(entry, "error", json_string(p->error));
		} else {
			probe_one(h, p, i + 1, cg, cancel_fd, entry);
		}
		add_to_host(&recs[p->from - h->c->hosts], entry);
		nr_strvec_push(notes, "probe");
		nr_strvec_push(notes, p->from->name);
		x = json_object_get(entry, "error");
		if (json_is_string(x))
			nr_strvec_push_owned(notes, nr_xasprintf("tcp_rr probe to %s at %s failed: %s",
								 p->to->name, p->address ? p->address : "?",
								 json_string_value(x)));
		else
			nr_strvec_push_owned(notes, nr_xasprintf(
				"tcp_rr probe to %s at %s: %.0f transactions/s, p50 %.1f us, p99 %.1f us",
				p->to->name, p->address,
				json_number_value(json_object_get(entry, "transactions_per_s")),
				json_number_value(json_object_get(entry, "latency_p50_us")),
				json_number_value(json_object_get(entry, "latency_p99_us"))));
		json_decref(entry);
		free(pairs[i].error);
	}
	free(pairs);
}
