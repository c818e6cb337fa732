/*
 * The built-in workloads' recipe: the ready line of `bench serve` and the
 * bench options with their help (workload.h). `netrig bench` prints the
 * line, builds its long options and usage from the table and sets each
 * option here; the campaign loader waits for the line and writes the
 * options: all read them here, so none can drift.
 */
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "workload/workload.h"

/* In the order of the usage text. */
const struct nr_wl_option nr_wl_options[] = {
	{ NR_WL_OPT_DURATION, "duration", "--duration", "DUR", "measured time (default 10s)" },
	{ NR_WL_OPT_OMIT, "omit", "--omit", "DUR", "warm-up left out of every measure (default 1s)" },
	{ NR_WL_OPT_INTERVAL, "interval", "--interval", "DUR", "per-interval series (default none)" },
	{ NR_WL_OPT_SIZE, "size", "--size", "N", "stream: bytes per write / datagram (1M; UDP 1400)" },
	{ NR_WL_OPT_REQUEST, "request", "--request", "N", "rr/crr request bytes (1; UDP 16)" },
	{ NR_WL_OPT_RESPONSE, "response", "--response", "N", "rr/crr response bytes (as --request)" },
	{ NR_WL_OPT_FLOWS, "flows", "--flows", "N", "connections (1)" },
	{ NR_WL_OPT_THREADS, "threads", "--threads", "N",
	  "TCP stream/rr: N epoll loops share the flows on each\n"
	  "end (default: a thread per flow)" },
	{ NR_WL_OPT_BURST, "burst", "--burst", "K", "rr: transactions in flight per flow (1)" },
	{ NR_WL_OPT_RATE, "rate", "--rate", "R",
	  "stream: offered bit/s in total (2G, 100M, unlimited);\n"
	  "rr: transactions/s in total, open loop (20000/s)" },
	{ NR_WL_OPT_REVERSE, "reverse", "--reverse", NULL, "stream: the server sends" },
	{ NR_WL_OPT_NODELAY, "nodelay", "--nodelay", NULL, "TCP_NODELAY (default on for rr and crr)" },
	{ NR_WL_OPT_SNDBUF, "sndbuf", "--sndbuf", "N", "SO_SNDBUF: socket send buffer bytes" },
	{ NR_WL_OPT_RCVBUF, "rcvbuf", "--rcvbuf", "N", "SO_RCVBUF: socket receive buffer bytes" },
	{ NR_WL_OPT_BUSY_POLL, "busy_poll", "--busy-poll", "US",
	  "SO_BUSY_POLL (the kernel polls the device queue)" },
	{ NR_WL_OPT_SPIN, "spin", "--spin", NULL,
	  "rr: both ends wait by polling their sockets instead\n"
	  "of sleeping (lowest latency, a busy CPU per flow)" },
	{ NR_WL_OPT_RCVLOWAT, "rcvlowat", "--rcvlowat", "auto|off|N",
	  "TCP stream receivers wake per N bytes (SO_RCVLOWAT;\n"
	  "auto: 200 us of data at the current rate, <= 512K)" },
	{ NR_WL_OPT_CONGESTION, "congestion", "--congestion", "NAME",
	  "TCP congestion control (e.g. cubic, bbr)" },
	{ NR_WL_OPT_CPU, "cpu", "--cpu", "LIST",
	  "pin the client's flows (0 or 0,1: flow i on LIST[i % n])" },
	{ NR_WL_OPT_SERVER_CPU, "server_cpu", "--server-cpu", "LIST", "pin the server's flows" },
};
const size_t nr_wl_n_options = NR_ARRAY_SIZE(nr_wl_options);

const struct nr_wl_option *nr_wl_option_find(const char *name)
{
	size_t i;

	for (i = 0; i < nr_wl_n_options; i++)
		if (!strcmp(nr_wl_options[i].name, name))
			return &nr_wl_options[i];
	return NULL;
}

/* "2G", "100M", "1.5Gbit/s", "100Mbps" (bit/s, decimal as iperf3's -b), "20000/s", "20k", "unlimited" or 0. */
static int parse_rate(const char *s, double *ret)
{
	static const char *const units[] = { "bit/s", "bps", "/s", NULL };

	return nr_parse_rate(s, units, ret);
}

static int parse_size(const char *s, uint64_t max, uint64_t *ret)
{
	return nr_parse_size(s, ret) < 0 || *ret > max ? -1 : 0;
}

int nr_wl_option_set(const struct nr_wl_option *o, const char *value, struct nr_wl_params *p,
		     uint32_t *seen, struct nr_diag *d)
{
	bool on = !strcmp(value, "true");
	uint64_t u = 0;
	int64_t v = 0;
	int r = 0;

	if (nr_wl_option_is_switch(o) && !on && strcmp(value, "false"))
		return nr_diagf(d, NR_EINVAL, "%s takes true or false, not '%s'", o->flag, value);
	switch (o->id) {
	case NR_WL_OPT_DURATION:
	case NR_WL_OPT_OMIT:
	case NR_WL_OPT_INTERVAL:
		if ((r = nr_parse_duration_us(value, &v)) < 0 || v < 0)
			break;
		*(o->id == NR_WL_OPT_DURATION ? &p->duration_us
		  : o->id == NR_WL_OPT_OMIT ? &p->omit_us : &p->interval_us) = v;
		break;
	case NR_WL_OPT_SIZE:
		r = parse_size(value, 64u << 20, &p->size);
		break;
	case NR_WL_OPT_REQUEST:
		if ((r = parse_size(value, 16u << 20, &p->request)) == 0 &&
		    !(*seen & (1u << NR_WL_OPT_RESPONSE)))
			p->response = p->request;
		break;
	case NR_WL_OPT_RESPONSE:
		r = parse_size(value, 16u << 20, &p->response);
		break;
	case NR_WL_OPT_FLOWS:
	case NR_WL_OPT_BURST:
		if ((r = nr_parse_i64(value, 1, 1024, &v)) == 0)
			*(o->id == NR_WL_OPT_FLOWS ? &p->flows : &p->burst) = (unsigned)v;
		break;
	case NR_WL_OPT_THREADS:
		if ((r = nr_parse_i64(value, 0, 1024, &v)) == 0)
			p->threads = (unsigned)v;
		break;
	case NR_WL_OPT_RATE:
		r = parse_rate(value, &p->rate);
		break;
	case NR_WL_OPT_REVERSE:
		p->reverse = on;
		break;
	case NR_WL_OPT_NODELAY:
		p->nodelay = on;
		break;
	case NR_WL_OPT_SPIN:
		p->spin = on;
		break;
	case NR_WL_OPT_SNDBUF:
	case NR_WL_OPT_RCVBUF:
		if ((r = parse_size(value, INT32_MAX, &u)) == 0)
			*(o->id == NR_WL_OPT_SNDBUF ? &p->sndbuf : &p->rcvbuf) = (int)u;
		break;
	case NR_WL_OPT_BUSY_POLL:
		if ((r = nr_parse_i64(value, 0, 1000000, &v)) == 0)
			p->busy_poll_us = (int)v;
		break;
	case NR_WL_OPT_RCVLOWAT:
		if (!strcmp(value, "auto"))
			p->rcvlowat = NR_WL_LOWAT_AUTO;
		else if (!strcmp(value, "off"))
			p->rcvlowat = 0;
		else if ((r = parse_size(value, INT32_MAX, &u)) == 0)
			p->rcvlowat = (int)u;
		break;
	case NR_WL_OPT_CONGESTION:
		if (strlen(value) >= sizeof(p->cc))
			r = -1;
		else
			memcpy(p->cc, value, strlen(value) + 1);
		break;
	case NR_WL_OPT_CPU:
	case NR_WL_OPT_SERVER_CPU:
		/* its own message names what is wrong in the list */
		if ((r = o->id == NR_WL_OPT_CPU
				 ? nr_wl_parse_cpus(value, p->client_cpus, &p->n_client_cpus, d)
				 : nr_wl_parse_cpus(value, p->server_cpus, &p->n_server_cpus, d)) < 0)
			return r;
		break;
	}
	if (r < 0 || v < 0)
		return nr_diagf(d, NR_EINVAL, "bad %s '%s'", o->flag, value);
	*seen |= 1u << o->id;
	return 0;
}

/* Where every option's help starts: "  --duration DUR       measured time ..." */
#define HELP_COLUMN 23

void nr_wl_options_usage(struct nr_buf *out)
{
	size_t i;

	for (i = 0; i < nr_wl_n_options; i++) {
		const struct nr_wl_option *o = &nr_wl_options[i];
		size_t start = out->len;
		const char *h, *nl;

		if (nr_wl_option_is_switch(o))
			nr_buf_addf(out, "  %s / --no-%s", o->flag, o->flag + 2);
		else
			nr_buf_addf(out, "  %s %s", o->flag, o->arg);
		do
			nr_buf_adds(out, " ");
		while (out->len - start < HELP_COLUMN || out->buf[out->len - 2] != ' ');
		for (h = o->help; (nl = strchr(h, '\n')); h = nl + 1)
			nr_buf_addf(out, "%.*s\n%*s", (int)(nl - h), h, HELP_COLUMN, "");
		nr_buf_addf(out, "%s\n", h);
	}
}
