/*
 * The client side of a test: handshake, flows, the timeline (warm-up
 * mark, intervals, end), and the result document that joins both sides'
 * measures (docs/bench-json.md).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "workload/workload_int.h"

struct client {
	const struct nr_wl_params *p;
	char to[80];
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int cfd;
	struct nr_wl_ctl *ctl;
	struct nr__wl_shared sh;
	struct nr__wl_flow *flows;
	unsigned n_flows;
	struct nr__wl_meter m;
};

static int send_obj(int fd, json_t *o, struct nr_diag *d)
{
	char *text = json_dumps(o, JSON_COMPACT);
	int r;

	json_decref(o);
	if (!text)
		return nr_diagf(d, NR_EINVAL, "cannot encode a control message");
	r = nr_wl_ctl_send(fd, text, 5000000, d);
	free(text);
	return r;
}

/* The server's next message, of type `type`; an "error" becomes NR_EEXEC. */
static json_t *receive(struct client *c, const char *type, int64_t timeout_us, int *ret_r,
		       struct nr_diag *d)
{
	const char *line;
	json_error_t err;
	json_t *o, *v;
	int r;

	r = nr_wl_ctl_wait(c->ctl, timeout_us, &line, d);
	if (r < 0) {
		*ret_r = nr_diagf(d, r, "server %s", c->to);
		return NULL;
	}
	o = json_loads(line, 0, &err);
	v = json_object_get(o, "type");
	if (!json_is_string(v)) {
		*ret_r = nr_diagf(d, NR_EPROTO, "server %s sent a malformed control message", c->to);
		json_decref(o);
		return NULL;
	}
	v = json_object_get(o, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) != NR_WL_PROTO_VERSION)) {
		*ret_r = nr_diagf(d, NR_EPROTO, "server %s speaks control protocol version %lld, "
				  "this client %d; use the same netrig version on both ends", c->to,
				  (long long)json_integer_value(v), NR_WL_PROTO_VERSION);
		json_decref(o);
		return NULL;
	}
	v = json_object_get(o, "type");
	if (!strcmp(json_string_value(v), "error")) {
		v = json_object_get(o, "message");
		*ret_r = nr_diagf(d, NR_EEXEC, "server %s: %s", c->to,
				  json_is_string(v) ? json_string_value(v) : "error");
		json_decref(o);
		return NULL;
	}
	if (strcmp(json_string_value(v), type)) {
		*ret_r = nr_diagf(d, NR_EPROTO, "server %s: expected \"%s\", got \"%s\"", c->to,
				  type, json_string_value(v));
		json_decref(o);
		return NULL;
	}
	return o;
}

static int open_flows(struct client *c, uint16_t port, struct nr_diag *d)
{
	const struct nr_wl_params *p = c->p;
	bool udp = p->kind == NR_WL_UDP_STREAM || p->kind == NR_WL_UDP_RR;
	struct sockaddr_storage dsa = c->sa;
	unsigned i;
	int r;

	nr__wl_set_port(&dsa, port);
	c->flows = nr_xcalloc(p->flows, sizeof(*c->flows));
	for (i = 0; i < p->flows; i++) {
		struct nr__wl_flow *f = &c->flows[i];

		f->sh = &c->sh;
		f->id = i;
		f->fd = -1;
		f->pin_cpu = p->n_client_cpus ? p->client_cpus[i % p->n_client_cpus] : -1;
		c->n_flows = i + 1;
		switch (p->kind) {
		case NR_WL_TCP_STREAM:
			f->role = p->reverse ? NR__WL_STREAM_RECV : NR__WL_STREAM_SEND;
			break;
		case NR_WL_UDP_STREAM:
			f->role = p->reverse ? NR__WL_UDP_STREAM_RECV : NR__WL_STREAM_SEND;
			break;
		case NR_WL_TCP_RR:
		case NR_WL_UDP_RR:
			f->role = NR__WL_RR_CLIENT;
			break;
		case NR_WL_TCP_CRR:
			f->role = NR__WL_CRR_CLIENT;
			f->peer = dsa;
			f->peer_len = c->sa_len;
			continue; /* connects per transaction */
		}
		f->fd = socket(dsa.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (f->fd < 0)
			return nr_diagf(d, -errno, "socket: %s", strerror(errno));
		r = nr__wl_sockopts(f->fd, p, !udp, d);
		if (r < 0)
			return r;
		r = nr__wl_connect(f->fd, (struct sockaddr *)&dsa, c->sa_len, 5000000, d);
		if (r < 0)
			return nr_diagf(d, r, "data connection %u to port %u", i + 1, port);
		nr__wl_timeouts(f->fd, NR__WL_POLL_US);
		if (udp && p->reverse) {
			char hello[NR_WL_UDP_HDR];
			int k;

			/* the server learns where to send from these; three, as UDP may lose one */
			nr__wl_udp_hdr(hello, i, 0, nr_mono_us(), NR__WL_UDP_HELLO);
			for (k = 0; k < 3; k++)
				send(f->fd, hello, sizeof(hello), MSG_NOSIGNAL);
		}
	}
	return 0;
}

static bool all_done(struct client *c)
{
	unsigned i;

	for (i = 0; i < c->n_flows; i++)
		if (!NR__LOAD(c->flows[i].done))
			return false;
	return true;
}

/* The test's timeline; a message from the server meanwhile is an error. */
static int run_flows(struct client *c, struct nr_diag *d)
{
	const struct nr_wl_params *p = c->p;
	unsigned i;
	int r;

	c->sh.start_us = nr_mono_us();
	c->sh.deadline_us = c->sh.start_us + p->omit_us + p->duration_us;
	/* receivers (reverse) wait for the sender's end this long at most */
	c->sh.drain_us = c->sh.deadline_us + NR__WL_DRAIN_US;
	nr__wl_meter_start(&c->m, &c->sh, c->sh.start_us);
	r = nr__wl_flows_start(c->flows, c->n_flows, p->threads, d);
	if (r < 0)
		return r;
	for (;;) {
		struct pollfd pfd = { .fd = c->cfd, .events = POLLIN };
		int64_t now = nr_mono_us();
		int64_t next = nr__wl_meter_tick(&c->m, &c->sh, c->flows, c->n_flows, now);
		int64_t until = next < c->sh.deadline_us ? next : c->sh.deadline_us;
		const char *line;

		if (now >= c->sh.deadline_us) {
			if (all_done(c))
				break;
			until = now + 5000; /* flows finish their last transaction */
			if (next < until)
				until = next;
		}
		if (now > c->sh.drain_us + 2000000)
			return nr_diagf(d, NR_ETIMEOUT, "flows did not finish in time");
		if (poll(&pfd, 1, (int)((until - now + 999) / 1000)) > 0) {
			r = nr_wl_ctl_read(c->ctl, &line, d);
			if (r > 0) {
				json_t *o = json_loads(line, 0, NULL);
				json_t *m = json_object_get(o, "message");

				r = nr_diagf(d, NR_EEXEC, "server %s: %s", c->to,
					     json_is_string(m) ? json_string_value(m)
							       : "unexpected message during the test");
				json_decref(o);
				return r;
			}
			if (r < 0)
				return nr_diagf(d, r, "server %s", c->to);
		}
	}
	for (i = 0; i < c->n_flows; i++)
		nr__wl_flow_join(&c->flows[i]);
	nr__wl_meter_end(&c->m, &c->sh, c->flows, c->n_flows);
	for (i = 0; i < c->n_flows; i++)
		if (c->flows[i].err)
			return nr_diagf(d, c->flows[i].err, "%s", c->flows[i].errmsg);
	return 0;
}

/* ---- the result document ------------------------------------------------ */

static void put(json_t *res, const char *name, double v, const char *unit, const char *better)
{
	json_object_set_new(res, name, json_pack("{s:f, s:s, s:s}", "value", isfinite(v) ? v : 0,
						 "unit", unit, "better", better));
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void put_latency(json_t *res, const json_t *lat, const char *prefix)
{
	static const char *const keys[] = { "min", "avg", "p50", "p90", "p99", "p99_9", "max" };
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(keys); i++) {
		char name[64], key[16];

		snprintf(name, sizeof(name), "%s_%s_us", prefix, keys[i]);
		snprintf(key, sizeof(key), "%s_us", keys[i]);
		put(res, name, num(lat, key), "us", "lower");
	}
}

/* CPU time per byte received or per transaction, from a side's report. */
static double cpu_ns(const json_t *side)
{
	return (num(side, "cpu_user_percent") + num(side, "cpu_system_percent")) / 100 *
	       num(side, "cpu_window_us") * 1e3;
}

/*
 * Names follow the metric catalogue of the parse module: a qualifier goes
 * in front (client_cpu_user_percent, sent_packets), percentiles are
 * latency_pN[_M]_us, the mean is latency_avg_us, and crr counts its
 * connections as transactions as neper does.
 */
static json_t *results(const struct nr_wl_params *p, json_t *cl, json_t *sv, json_t *extra)
{
	json_t *res = json_object();
	const char *const sides[2] = { "client", "server" };
	json_t *const side[2] = { cl, sv };
	int i;

	if (p->kind == NR_WL_TCP_STREAM || p->kind == NR_WL_UDP_STREAM) {
		json_t *rx = p->reverse ? cl : sv, *tx = p->reverse ? sv : cl;
		double win = num(rx, "window_us"), bytes = num(rx, "bytes");

		put(res, "throughput_bps", win > 0 ? bytes * 8e6 / win : 0, "bit/s", "higher");
		put(res, "bytes", bytes, "B", "none");
		if (p->kind == NR_WL_TCP_STREAM) {
			put(res, "retransmits", num(tx, "retransmits"), "count", "lower");
			put(res, "rtt_us", num(tx, "rtt_us"), "us", "lower");
		} else {
			double sent = num(tx, "packets_sent"), got = num(rx, "packets_received");
			double lost = sent > got ? sent - got : 0;

			put(res, "sent_packets", sent, "count", "none");
			put(res, "received_packets", got, "count", "none");
			put(res, "lost_packets", lost, "count", "lower");
			put(res, "loss_percent", sent > 0 ? lost * 100 / sent : 0, "%", "lower");
			put(res, "reordered_packets", num(rx, "reordered"), "count", "lower");
			put(res, "jitter_us", num(rx, "jitter_us"), "us", "lower");
		}
		for (i = 0; i < 2; i++) {
			char name[64];

			snprintf(name, sizeof(name), "%s_service_demand_ns_per_B", sides[i]);
			put(res, name, bytes > 0 ? cpu_ns(side[i]) / num(rx, "bytes") *
					   num(rx, "window_us") / num(side[i], "cpu_window_us") : 0,
			    "ns/B", "lower");
		}
	} else {
		double win = num(cl, "window_us"), tx = num(cl, "transactions");
		json_t *lat = json_object_get(cl, "latency");

		put(res, "transactions_per_s", win > 0 ? tx * 1e6 / win : 0, "1/s", "higher");
		put(res, "transactions", tx, "count", "none");
		put_latency(res, lat, "latency");
		if (json_object_get(cl, "latency_uncorrected"))
			put_latency(res, json_object_get(cl, "latency_uncorrected"),
				    "uncorrected_latency");
		if (p->kind == NR_WL_UDP_RR) {
			double lost = num(cl, "lost");

			put(res, "lost_transactions", lost, "count", "lower");
			put(res, "loss_percent", lost + tx > 0 ? lost * 100 / (lost + tx) : 0, "%",
			    "lower");
		}
		for (i = 0; i < 2; i++) {
			char name[64];

			snprintf(name, sizeof(name), "%s_service_demand_us_per_transaction", sides[i]);
			put(res, name, tx > 0 ? cpu_ns(side[i]) / 1e3 / tx * win /
					   num(side[i], "cpu_window_us") : 0, "us", "lower");
		}
		if (p->kind != NR_WL_TCP_CRR) {
			json_object_set_new(extra, "half_round_trip_p50_us",
					    json_real(num(lat, "p50_us") / 2));
			json_object_set_new(extra, "half_round_trip_avg_us",
					    json_real(num(lat, "avg_us") / 2));
		}
	}
	for (i = 0; i < 2; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s_cpu_user_percent", sides[i]);
		put(res, name, num(side[i], "cpu_user_percent"), "%", "lower");
		snprintf(name, sizeof(name), "%s_cpu_system_percent", sides[i]);
		put(res, name, num(side[i], "cpu_system_percent"), "%", "lower");
	}
	return res;
}

static void cpus_text(struct nr_buf *t, const json_t *side)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(side, "cpus"), i, v)
		nr_buf_addf(t, "%s%lld", i ? "," : "", (long long)json_integer_value(v));
}

static void render_text(struct nr_buf *t, const json_t *doc)
{
	const json_t *params = json_object_get(doc, "params");
	bool stream = strstr(json_string_value(json_object_get(doc, "test")), "stream");
	const char *key, *series = stream ? "throughput_bps" : "transactions_per_s";
	const char *unit = stream ? "bit/s" : "1/s";
	char vbuf[64];
	json_t *v;
	size_t i;

	nr_buf_addf(t, "%s to %s: %lld flow(s), %.2f s measured after %.2f s warm-up\n",
		    json_string_value(json_object_get(doc, "test")),
		    json_string_value(json_object_get(doc, "server_address")),
		    (long long)json_integer_value(json_object_get(params, "flows")),
		    num(params, "duration_us") / 1e6, num(params, "omit_us") / 1e6);
	/* four significant digits for people; --json has every digit */
	json_array_foreach(json_object_get(doc, "intervals"), i, v)
		nr_buf_addf(t, "  [%7.2f-%7.2f s] %16s\n", num(v, "start_us") / 1e6,
			    num(v, "end_us") / 1e6,
			    nr_fmt_value_digits(vbuf, sizeof(vbuf), num(v, series), unit, 4));
	json_object_foreach((json_t *)json_object_get(doc, "results"), key, v) {
		nr_buf_addf(t, "  %-42s %16s\n", key,
			    nr_fmt_value_digits(vbuf, sizeof(vbuf), num(v, "value"),
						json_string_value(json_object_get(v, "unit")), 4));
	}
	nr_buf_adds(t, "  cpus: client ");
	cpus_text(t, json_object_get(doc, "client"));
	nr_buf_adds(t, ", server ");
	cpus_text(t, json_object_get(doc, "server"));
	nr_buf_addf(t, "; clock %s (%s)%s%s\n",
		    json_string_value(json_object_get(json_object_get(doc, "clock"), "timer")),
		    json_string_value(json_object_get(json_object_get(doc, "clock"), "clocksource")),
		    json_object_get(doc, "latency_is") ? "; latency is a full round trip" : "",
		    json_is_true(json_object_get(json_object_get(doc, "params"), "spin"))
			    ? "; both ends spinning" : "");
}

static int report(struct client *c, json_t *server_side, int64_t wall_us, struct nr_buf *json,
		  struct nr_buf *text)
{
	const struct nr_wl_params *p = c->p;
	json_t *doc = json_object(), *cl, *extra = json_object(), *clock = json_object();
	json_t *rx;
	char tbuf[40], src[64], *params = nr_wl_params_to_json(p), *out;

	cl = nr__wl_side_report(&c->m, c->flows, c->n_flows, "client");
	nr__wl_clocksource(src, sizeof(src));
	json_object_set_new(doc, "netrig_bench", json_integer(NR_WL_PROTO_VERSION));
	json_object_set_new(doc, "test", json_string(nr_wl_kind_name(p->kind)));
	json_object_set_new(doc, "server_address", json_string(c->to));
	json_object_set_new(doc, "time", json_string(nr_fmt_time(tbuf, sizeof(tbuf), wall_us)));
	json_object_set_new(doc, "params", json_loads(params, 0, NULL));
	json_object_set_new(clock, "timer", json_string("CLOCK_MONOTONIC"));
	json_object_set_new(clock, "clocksource", json_string(src));
	json_object_set_new(doc, "clock", clock);
	if (p->kind != NR_WL_TCP_STREAM && p->kind != NR_WL_UDP_STREAM)
		json_object_set_new(doc, "latency_is", json_string("full round trip"));
	json_object_set_new(doc, "results", results(p, cl, server_side, extra));
	json_object_set_new(doc, "extra", extra);
	rx = (p->kind == NR_WL_TCP_STREAM || p->kind == NR_WL_UDP_STREAM) && !p->reverse
		     ? server_side : cl;
	json_object_set(doc, "intervals", json_object_get(rx, "intervals"));
	json_object_set_new(doc, "client", cl);
	json_object_set(doc, "server", server_side);
	out = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	nr_buf_adds(json, out);
	nr_buf_addch(json, '\n');
	render_text(text, doc);
	free(out);
	free(params);
	json_decref(doc);
	return 0;
}

int nr_wl_client_run(const char *to, const struct nr_wl_params *p, struct nr_buf *json,
		     struct nr_buf *text, struct nr_diag *d)
{
	struct client c;
	unsigned len;
	json_t *o, *v;
	char *params;
	int64_t wall;
	unsigned i;
	int r;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.cfd = -1;
	c.sh.p = p;
	r = nr_wl_params_check(p, d);
	if (r < 0)
		return r;
	r = nr_wl_addr_parse(to, 5201, &c.sa, &len, d);
	if (r < 0)
		return r;
	c.sa_len = len;
	nr_wl_addr_fmt(&c.sa, c.to, sizeof(c.to));
	c.cfd = socket(c.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.cfd < 0)
		return nr_diagf(d, -errno, "socket: %s", strerror(errno));
	c.ctl = nr_xmalloc(sizeof(*c.ctl));
	nr_wl_ctl_init(c.ctl, c.cfd);
	r = nr__wl_connect(c.cfd, (struct sockaddr *)&c.sa, c.sa_len, 5000000, d);
	if (r < 0) {
		r = nr_diagf(d, r, "cannot connect to %s", c.to);
		goto out;
	}
	params = nr_wl_params_to_json(p);
	o = json_pack("{s:s, s:i, s:o}", "type", "start", "version", NR_WL_PROTO_VERSION,
		      "params", json_loads(params, 0, NULL));
	free(params);
	r = send_obj(c.cfd, o, d);
	if (r < 0)
		goto out;
	o = receive(&c, "ready", 10000000, &r, d);
	if (!o)
		goto out;
	v = json_object_get(o, "data_port");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
		json_decref(o);
		r = nr_diagf(d, NR_EPROTO, "server %s: bad data port", c.to);
		goto out;
	}
	r = open_flows(&c, (uint16_t)json_integer_value(v), d);
	json_decref(o);
	if (r < 0)
		goto out;
	r = send_obj(c.cfd, json_pack("{s:s}", "type", "go"), d);
	if (r < 0)
		goto out;
	o = receive(&c, "running", 10000000, &r, d);
	if (!o)
		goto out;
	json_decref(o);
	wall = nr_wall_us();
	r = run_flows(&c, d);
	if (r < 0)
		goto out;
	/* closing the data connections ends the server's rr workers at once */
	for (i = 0; i < c.n_flows; i++) {
		if (c.flows[i].fd >= 0)
			close(c.flows[i].fd);
		c.flows[i].fd = -1;
	}
	r = send_obj(c.cfd, json_pack("{s:s}", "type", "stop"), d);
	if (r < 0)
		goto out;
	o = receive(&c, "result", 15000000, &r, d);
	if (!o)
		goto out;
	v = json_object_get(o, "server");
	if (!json_is_object(v)) {
		json_decref(o);
		r = nr_diagf(d, NR_EPROTO, "server %s: result without the server's side", c.to);
		goto out;
	}
	if (json_array_size(json_object_get(v, "errors"))) {
		r = nr_diagf(d, NR_EEXEC, "server %s: %s", c.to,
			     json_string_value(json_array_get(json_object_get(v, "errors"), 0)));
		json_decref(o);
		goto out;
	}
	r = report(&c, v, wall, json, text);
	json_decref(o);
out:
	NR__STORE(c.sh.stop, 1);
	for (i = 0; i < c.n_flows; i++)
		nr__wl_flow_release(&c.flows[i]);
	free(c.flows);
	nr__wl_meter_release(&c.m);
	free(c.ctl);
	if (c.cfd >= 0)
		close(c.cfd);
	return r;
}
