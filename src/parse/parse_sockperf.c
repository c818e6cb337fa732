/*
 * `parse: sockperf`: the client's output of `sockperf ping-pong`,
 * `under-load` and `throughput`.
 *
 * sockperf colours three of its lines with ANSI escapes (removed while
 * splitting lines), exits 0 on failure ("sockperf: ERROR: ..."), and
 * reports half the round trip unless run with --full-rtt: which one it
 * was is kept in the notes ("latency": "half round trip").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

struct ctx {
	struct nr_sample_set *set;
	struct nr_diag *d;
	size_t lineno;
	int server;     /* index of the server whose statistics follow */
	bool have_avg;  /* avg-latency seen: "Summary: Latency is" repeats it */
	const char *rtt; /* "half round trip" or "full round trip" */
};

/* Add a metric, qualified by the server's index past the first one. */
static int add(struct ctx *c, const char *metric, double v, const char *unit)
{
	char name[96];

	if (c->server > 0)
		snprintf(name, sizeof(name), "server%d_%s", c->server, metric);
	else
		snprintf(name, sizeof(name), "%s", metric);
	return nr__parse_add(c->set, name, v, unit, -1, c->lineno, c->d);
}

static int expected(struct ctx *c, const char *what)
{
	return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %s", c->lineno, what);
}

/* "Key=12.5 unit; Key=3" as printed after [Valid Duration] and [Total Run]. */
static int run_stats(struct ctx *c, const char *p, bool valid)
{
	while (*p) {
		const char *eq = strchr(p, '='), *end;
		double v;

		if (!eq)
			break;
		end = eq + 1;
		if (nr__parse_number(&end, &v) < 0)
			return expected(c, "a number after '='");
		if (valid && !strncmp(p, "RunTime", 7)) {
			if (add(c, "duration_us", v, "sec") < 0)
				return NR_EPARSE;
		} else if (valid && !strncmp(p, "SentMessages", 12)) {
			if (add(c, "sent_messages", v, "count") < 0)
				return NR_EPARSE;
		} else if (valid && !strncmp(p, "ReceivedMessages", 16)) {
			if (add(c, "received_messages", v, "count") < 0)
				return NR_EPARSE;
		} else if (!valid && !strncmp(p, "Warm up time", 12)) {
			nr__parse_note_num(c->set, "warmup_ms", v);
		}
		p = strchr(end, ';');
		if (!p)
			break;
		p = nr__parse_skip_blanks(p + 1);
	}
	return 0;
}

/* "====> avg-latency=19.801 (std-dev=58.638[, mean-ad=...])" */
static int avg_line(struct ctx *c, const char *p)
{
	const char *q;
	double v;

	q = strchr(p, '=');
	if (!q)
		return expected(c, "avg-latency=N");
	q++;
	if (nr__parse_number(&q, &v) < 0 || add(c, "latency_avg_us", v, "usec") < 0)
		return expected(c, "avg-latency=N");
	c->have_avg = true;
	q = strstr(q, "std-dev=");
	if (q) {
		q += 8;
		if (nr__parse_number(&q, &v) < 0 || add(c, "latency_stddev_us", v, "usec") < 0)
			return expected(c, "std-dev=N");
	}
	return 0;
}

/* "# dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0" */
static int drops(struct ctx *c, const char *p)
{
	static const struct {
		const char *label, *metric;
	} map[] = {
		{ "dropped messages", "dropped_messages" },
		{ "duplicated messages", "duplicate_messages" },
		{ "out-of-order messages", "out_of_order_messages" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(map); i++) {
		const char *q = strstr(p, map[i].label);
		double v;

		if (!q)
			continue;
		q = strchr(q, '=');
		if (!q)
			return expected(c, "'= N' after a message count");
		q++;
		if (nr__parse_number(&q, &v) < 0 || add(c, map[i].metric, v, "count") < 0)
			return expected(c, "a message count");
	}
	return 0;
}

static int line(struct ctx *c, const char *s)
{
	const char *p;
	double v, v2;

	p = nr__parse_after(s, "sockperf: ");
	if (!p)
		return 0;
	if ((p = nr__parse_after(s + 10, "ERROR:")) || (p = nr__parse_after(s + 10, "ERROR ")))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: sockperf reported an error:%s",
				c->lineno, p);
	s += 10;
	if ((p = nr__parse_after(s, "========= Printing statistics for Server No:"))) {
		if (nr__parse_number(&p, &v) < 0 || v < 0 || v > 1e6)
			return expected(c, "a server number");
		c->server = (int)v;
		c->have_avg = false;
		return 0;
	}
	if ((p = nr__parse_after(s, "[Valid Duration] ")))
		return run_stats(c, p, true);
	if ((p = nr__parse_after(s, "[Total Run] ")))
		return run_stats(c, p, false);
	if ((p = nr__parse_after(s, "====> avg-latency"))) {
		c->rtt = "half round trip";
		return avg_line(c, p);
	}
	if ((p = nr__parse_after(s, "====> avg-rtt"))) {
		c->rtt = "full round trip";
		return avg_line(c, p);
	}
	if (nr__parse_after(s, "# dropped messages"))
		return drops(c, s);
	if ((p = nr__parse_after(s, "Summary: Latency is ")) ||
	    (p = nr__parse_after(s, "Summary: Round trip is "))) {
		c->rtt = s[9] == 'L' ? "half round trip" : "full round trip";
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "Summary: Latency is N usec");
		return c->have_avg ? 0 : add(c, "latency_avg_us", v, "usec");
	}
	if ((p = nr__parse_after(s, "Total ")) && strstr(p, "observations")) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "Total N observations");
		return add(c, "observations", v, "count");
	}
	if ((p = nr__parse_after(s, "---> <MAX> observation =")))
		return nr__parse_number(&p, &v) < 0 ? expected(c, "<MAX> observation = N")
						   : add(c, "latency_max_us", v, "usec");
	if ((p = nr__parse_after(s, "---> <MIN> observation =")))
		return nr__parse_number(&p, &v) < 0 ? expected(c, "<MIN> observation = N")
						   : add(c, "latency_min_us", v, "usec");
	if ((p = nr__parse_after(s, "---> percentile "))) {
		char name[64];

		if (nr__parse_number(&p, &v2) < 0 || v2 <= 0 || v2 > 100)
			return expected(c, "percentile P = N");
		p = nr__parse_skip_blanks(p);
		if (*p != '=')
			return expected(c, "'=' after the percentile");
		p++;
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "percentile P = N");
		nr_metric_percentile_name(name, sizeof(name), v2);
		return add(c, name, v, "usec");
	}
	if ((p = nr__parse_after(s, "Total of "))) {
		/* throughput: "Total of 20010 messages sent in 1.000 sec" */
		if (nr__parse_number(&p, &v) < 0 || !(p = strstr(p, " sent in ")))
			return expected(c, "Total of N messages sent in T sec");
		p += 9;
		if (nr__parse_number(&p, &v2) < 0)
			return expected(c, "Total of N messages sent in T sec");
		if (add(c, "sent_messages", v, "count") < 0 ||
		    add(c, "duration_us", v2, "sec") < 0)
			return NR_EPARSE;
		return 0;
	}
	if ((p = nr__parse_after(s, "Summary: Message Rate is "))) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "Message Rate is N [msg/sec]");
		return add(c, "messages_per_s", v, "msg/sec");
	}
	if ((p = nr__parse_after(s, "Summary: BandWidth is "))) {
		/* "0.267 MBps (2.136 Mbps)": the bit rate has more digits */
		const char *q = strchr(p, '(');

		if (!q)
			return expected(c, "BandWidth is X MBps (Y Mbps)");
		q++;
		if (nr__parse_number(&q, &v) < 0 || strncmp(nr__parse_skip_blanks(q), "Mbps", 4))
			return expected(c, "BandWidth is X MBps (Y Mbps)");
		return add(c, "throughput_bps", v, "Mbps");
	}
	return 0;
}

static int parse_sockperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			  struct nr_sample_set *set, struct nr_diag *d)
{
	struct ctx c = { .set = set, .d = d };
	struct nr__parse_lines l;
	size_t before = set->n;
	char *s;
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		c.lineno = l.lineno;
		r = line(&c, s);
		if (r < 0)
			break;
	}
	if (c.rtt)
		nr__parse_note_str(set, "latency", c.rtt);
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected sockperf's "
			     "\"sockperf: Summary:\" lines)", l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	return r;
}

static int parse_sockperf(const struct nr_parse_spec *spec, struct nr_slice in,
			   struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_sockperf_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_sockperf = {
	.name = "sockperf",
	.summary = "sockperf ping-pong, under-load or throughput client output",
	.needs_sources = false,
	.parse = parse_sockperf,
};
