/*
 * `parse: sockperf`: the client's output of `sockperf ping-pong`,
 * `under-load` and `throughput`, from sockperf 1.x to 3.10.
 *
 * sockperf colours some of its lines with ANSI escapes (removed while
 * splitting lines), exits 0 on failure ("sockperf: ERROR: ..."), and
 * reports half the round trip unless run with --full-rtt: which one it was
 * is kept in the notes ("latency": "half round trip").
 *
 * The shapes it has printed (src/client.cpp, client_statistics() and
 * stream_statistics(), at the tags named):
 * - 1.x/2.x: "[including warmup] RunTime=..."; "====> avg-lat=";
 *   "# dropped packets = ..."; percentiles 99.99 ... 25.00;
 * - 3.0-3.5: "[Valid Duration] RunTime=..."; "====> avg-lat=%7.3lf
 *   (std-dev=%.3lf)"; "# dropped messages = ..."; always half the round trip;
 * - 3.6-3.7: "====> avg-latency=" or, with --full-rtt, "====> avg-rtt=";
 *   "Summary: Latency is" or "Summary: Round trip is";
 * - 3.8-3.10: the avg line goes on "(std-dev=..., mean-ad=..., ...)".
 * A latency block runs from the avg line to "<MIN> observation"; the
 * throughput block from "Total of N messages" to "Summary: BandWidth".
 * A block that stops before its last line is a cut output: a failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

/*
 * sockperf's own units (src/client.cpp, stream_statistics(), 3.5 to
 * 3.10): MBps = msg/s x msg-size / 1024 / 1024 and "Mbps" = MBps x 8, so
 * one printed "Mbps" is 2^20 bit/s, not 10^6. With --giga-size it prints
 * MBps / 1000 as "GBps" and MBps x 8 / 1000 as "Gbps": 1000 x 2^20 bit/s.
 * Latencies are TicksDuration::toDecimalUsec(): microseconds.
 */
#define SOCKPERF_MBPS_BITS 1048576.0
#define SOCKPERF_GBPS_BITS (1000.0 * 1048576.0)

struct ctx {
	struct nr_sample_set *set;
	struct nr_diag *d;
	size_t lineno;
	int server;        /* index of the server whose statistics follow */
	bool have_avg;     /* the avg line seen: "Summary: Latency is" repeats it */
	double avg;        /* its value, to check the Summary line against */
	size_t lat_open;   /* line of an avg line whose block has not ended, or 0 */
	size_t tp_open;    /* line of "Total of N messages" before its BandWidth, or 0 */
	double msg_rate;   /* "Message Rate is N [msg/sec]", or -1 */
	double msg_size;   /* from the NOTE line ("using msg-size=N"), or -1 */
	const char *rtt;   /* "half round trip" or "full round trip" */
	const char *shape; /* which avg line: "avg-lat", "avg-latency", ... */
	char version[48];  /* "3.7-no.git" from "== version #3.7-no.git ==" */
	bool long_avg;     /* the avg line goes on after std-dev (3.8 and later) */
	size_t prefixed;   /* first line with "sockperf: " after other text, or 0 */
};

/* Add a metric, qualified by the server's index past the first one. */
static int add_scaled(struct ctx *c, const char *metric, double v, double factor,
		      const char *unit)
{
	char name[96];

	if (c->server > 0)
		snprintf(name, sizeof(name), "server%d_%s", c->server, metric);
	else
		snprintf(name, sizeof(name), "%s", metric);
	if (factor != 1)
		return nr__parse_add_scaled(c->set, name, v, factor, unit, -1, c->lineno, c->d);
	return nr__parse_add(c->set, name, v, unit, -1, c->lineno, c->d);
}

static int add(struct ctx *c, const char *metric, double v, const char *unit)
{
	return add_scaled(c, metric, v, 1, unit);
}

static int expected(struct ctx *c, const char *what)
{
	return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %s", c->lineno, what);
}

/*
 * "Key=12.5 unit; Key=3" as printed after [Valid Duration] and [Total Run].
 * The valid duration is the measurement; the total run (warm-up included)
 * is kept in the notes ("total_run", by the names sockperf prints).
 */
static int run_stats(struct ctx *c, const char *p, bool valid)
{
	struct nr_buf js = NR_BUF_INIT;
	int r = 0;

	while (*p) {
		const char *eq = strchr(p, '='), *end;
		double v;

		if (!eq)
			break;
		end = eq + 1;
		if (nr__parse_number(&end, &v) < 0) {
			r = expected(c, "a number after '='");
			break;
		}
		if (valid && !strncmp(p, "RunTime", 7)) {
			r = add(c, "duration_us", v, "sec");
		} else if (valid && !strncmp(p, "SentMessages", 12)) {
			r = add(c, "sent_messages", v, "count");
		} else if (valid && !strncmp(p, "ReceivedMessages", 16)) {
			r = add(c, "received_messages", v, "count");
		} else if (!valid && !strncmp(p, "Warm up time", 12)) {
			nr__parse_note_num(c->set, "warmup_ms", v);
		} else if (!valid && (size_t)(eq - p) < 32) {
			char key[32];

			snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
			nr_buf_adds(&js, js.len ? ", " : "{");
			nr__parse_json_string(&js, key);
			nr_buf_addf(&js, ": %.15g", v);
		}
		if (r < 0)
			break;
		p = strchr(end, ';');
		if (!p)
			break;
		p = nr__parse_skip_blanks(p + 1);
	}
	if (r == 0 && js.len) {
		nr_buf_addch(&js, '}');
		nr__parse_note_raw(c->set, "total_run", js.buf);
	}
	nr_buf_release(&js);
	return r < 0 ? r : 0;
}

/*
 * The end of a server's latency block ("<MIN> observation", a new server,
 * or the end of the output): nothing may be left open.
 */
static int close_blocks(struct ctx *c, const char *where)
{
	if (c->lat_open)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: the latency statistics that start "
				"on line %zu end %s, before their \"<MIN> observation\" line "
				"(cut short?)", c->lineno, c->lat_open, where);
	if (c->tp_open)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: the throughput summary that starts "
				"on line %zu ends %s, before its \"Summary: BandWidth\" line "
				"(cut short?)", c->lineno, c->tp_open, where);
	return 0;
}

/*
 * The rest of a 3.8+ avg line, after std-dev (client.cpp,
 * client_statistics()): ", mean-ad=%.3lf, median-ad=%.3lf, siqr=%.3lf,
 * cv=%.3lf, std-error=%.3lf, %.1lf%% ci=[%.3lf, %.3lf])", all in usec but
 * cv (std-dev / avg). std-error is stored as latency_stderr_us; the others
 * have no catalogue name and go to the notes ("latency_spread", by the
 * names sockperf prints) rather than being dropped.
 */
static int spread(struct ctx *c, const char *q)
{
	struct nr_buf js = NR_BUF_INIT;
	char key[64];
	int r = 0;

	while (r == 0 && (q = nr__parse_skip_blanks(q)) && *q == ',') {
		const char *name = nr__parse_skip_blanks(q + 1), *eq = strchr(name, '=');
		double v, hi;

		if (!eq || eq == name || (size_t)(eq - name) >= 32) {
			r = expected(c, "name=N after the avg line's ','");
			break;
		}
		q = eq + 1;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - name), name);
		if (*q == '[') { /* "99.0% ci=[24.417, 24.725]" */
			q++;
			if (nr__parse_number(&q, &v) < 0 || *(q = nr__parse_skip_blanks(q)) != ',' ||
			    (q = nr__parse_skip_blanks(q + 1), nr__parse_number(&q, &hi) < 0) ||
			    *q != ']') {
				r = expected(c, "ci=[N, N]");
				break;
			}
			q++;
			nr_buf_adds(&js, js.len ? ", " : "{");
			nr__parse_json_string(&js, key);
			nr_buf_addf(&js, ": [%.15g, %.15g]", v, hi);
			continue;
		}
		if (nr__parse_number(&q, &v) < 0) {
			r = expected(c, "name=N after the avg line's ','");
			break;
		}
		if (!strcmp(key, "std-error")) {
			r = add(c, "latency_stderr_us", v, "usec");
			continue;
		}
		nr_buf_adds(&js, js.len ? ", " : "{");
		nr__parse_json_string(&js, key);
		nr_buf_addf(&js, ": %.15g", v);
	}
	c->long_avg = c->long_avg || js.len;
	if (r == 0 && js.len) {
		nr_buf_addch(&js, '}');
		if (c->server > 0)
			snprintf(key, sizeof(key), "server%d_latency_spread", c->server);
		else
			snprintf(key, sizeof(key), "latency_spread");
		nr__parse_note_raw(c->set, key, js.buf);
	}
	nr_buf_release(&js);
	return r < 0 ? r : 0;
}

/* "====> avg-latency=19.801 (std-dev=58.638[, mean-ad=...])" after "avg-" */
static int avg_line(struct ctx *c, const char *p)
{
	const char *q;
	double v;
	int r;

	if (c->have_avg && (r = close_blocks(c, "at a second avg line")) < 0)
		return r;
	if (c->have_avg)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: a second avg line for one server "
				"(two runs in one output?)", c->lineno);
	q = strchr(p, '=');
	if (!q)
		return expected(c, "avg-latency=N");
	q++;
	if (nr__parse_number(&q, &v) < 0 || add(c, "latency_avg_us", v, "usec") < 0)
		return expected(c, "avg-latency=N");
	c->have_avg = true;
	c->avg = v;
	if (!c->lat_open)
		c->lat_open = c->lineno;
	q = strstr(q, "std-dev=");
	if (q) {
		q += 8;
		if (nr__parse_number(&q, &v) < 0 || add(c, "latency_stddev_us", v, "usec") < 0)
			return expected(c, "std-dev=N");
		return spread(c, q);
	}
	return 0;
}

/*
 * "# dropped messages = 0; # duplicated messages = 0; # out-of-order
 * messages = 0" (3.x), "# dropped packets = 0; ..." (1.x, 2.x).
 */
static int drops(struct ctx *c, const char *p)
{
	static const struct {
		const char *label, *metric;
	} map[] = {
		{ "dropped messages", "dropped_messages" },
		{ "duplicated messages", "duplicate_messages" },
		{ "out-of-order messages", "out_of_order_messages" },
		{ "dropped packets", "dropped_packets" },
		{ "duplicated packets", "duplicate_packets" },
		{ "out-of-order packets", "reordered_packets" },
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

/*
 * "Summary: BandWidth is 0.267 MBps (2.136 Mbps)", or with --giga-size
 * "0.179 GBps (1.430 Gbps)". sockperf 3.5 to 3.7 print MBps as "%.9f GBps
 * (%.9f Gbps)" with --increase_output_precision (a mislabel fixed in 3.8):
 * nine decimals with "GBps" mean MBps.
 */
static int bandwidth(struct ctx *c, const char *p)
{
	const char *q = p, *dot;
	double bytes, bits, factor;
	bool giga;
	int decimals = 0;

	if (nr__parse_number(&q, &bytes) < 0)
		return expected(c, "BandWidth is X MBps (Y Mbps)");
	dot = strchr(p, '.');
	if (dot && dot < q)
		decimals = (int)(q - dot - 1);
	q = nr__parse_skip_blanks(q);
	if (!strncmp(q, "MBps", 4))
		giga = false;
	else if (!strncmp(q, "GBps", 4))
		giga = decimals != 9;
	else
		return expected(c, "BandWidth is X MBps (Y Mbps)");
	if (!giga && !strncmp(q, "GBps", 4))
		nr__parse_note_str(c->set, "bandwidth_label", "MBps printed as GBps "
				   "(--increase_output_precision, sockperf <= 3.7)");
	q = strchr(q, '(');
	if (!q)
		return expected(c, "BandWidth is X MBps (Y Mbps)");
	q++;
	if (nr__parse_number(&q, &bits) < 0 ||
	    (strncmp(nr__parse_skip_blanks(q), "Mbps", 4) &&
	     strncmp(nr__parse_skip_blanks(q), "Gbps", 4)))
		return expected(c, "BandWidth is X MBps (Y Mbps)");
	/* one number printed twice (x 8), each rounded to its last decimal */
	if (fabs(bits - bytes * 8) > 9 * (decimals == 9 ? 5e-10 : 5e-4) + 1e-9 * fabs(bits))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: %g %s and %g bits/s do not agree "
				"(the bit rate should be 8 times the byte rate)", c->lineno,
				bytes, giga ? "GBps" : "MBps", bits);
	factor = giga ? SOCKPERF_GBPS_BITS : SOCKPERF_MBPS_BITS;
	/* with the message size known, the rate must be msg/s x size / 2^20 */
	if (c->msg_rate >= 0 && c->msg_size > 0) {
		double want = c->msg_rate * c->msg_size / 1048576.0 / (giga ? 1000 : 1);

		if (fabs(want - bytes) > 0.0005 + 1e-6 * want)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: BandWidth %g does not fit "
					"%g msg/s of %g bytes (%g): the parts of this output "
					"disagree", c->lineno, bytes, c->msg_rate, c->msg_size,
					want);
	}
	c->tp_open = 0;
	return add_scaled(c, "throughput_bps", bits, factor, giga ? "Gbps" : "Mbps");
}

/*
 * "NOTE: test was performed, using msg-size=14. ..." ("using average
 * msg-size=N (+/-R)" with --msg-size-range: no one size to check against).
 */
static void note_line(struct ctx *c, const char *p)
{
	const char *q = strstr(p, "using msg-size=");
	double v;

	if (!q)
		return;
	q += 15;
	if (nr__parse_number(&q, &v) == 0 && v > 0)
		c->msg_size = v;
}

static void version_line(struct ctx *c, const char *s)
{
	const char *p = strstr(s, "== version #"), *e;

	if (!p)
		return;
	p += 12;
	e = strstr(p, " ==");
	if (!e || e == p || (size_t)(e - p) >= sizeof(c->version))
		return;
	memcpy(c->version, p, (size_t)(e - p));
	c->version[e - p] = '\0';
}

static int summary_latency(struct ctx *c, const char *p)
{
	double v;

	if (nr__parse_number(&p, &v) < 0)
		return expected(c, "Summary: Latency is N usec");
	if (!c->have_avg)
		return add(c, "latency_avg_us", v, "usec");
	/* both print one variable with %.3lf */
	if (fabs(v - c->avg) > 0.0015)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: the summary says %g usec but the "
				"avg line says %g: the parts of this output disagree",
				c->lineno, v, c->avg);
	return 0;
}

static int line(struct ctx *c, const char *s)
{
	const char *p;
	double v, v2;
	int r;

	p = nr__parse_after(s, "sockperf: ");
	if (!p) {
		/* "sockperf[CLIENT] send on:sockperf: ..." is sockperf's own */
		if (!c->prefixed && strstr(s, "sockperf: ") && strncmp(s, "sockperf", 8))
			c->prefixed = c->lineno;
		return 0;
	}
	if ((p = nr__parse_after(s + 10, "ERROR:")) || (p = nr__parse_after(s + 10, "ERROR ")))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: sockperf reported an error:%s",
				c->lineno, p);
	s += 10;
	if (strstr(s, "== version #")) {
		version_line(c, s);
		return 0;
	}
	if (nr__parse_after(s, "No valid observations found"))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: sockperf found no valid observations "
				"(the test was too short for its warm-up)", c->lineno);
	if ((p = nr__parse_after(s, "========= Printing statistics for Server No:"))) {
		if ((r = close_blocks(c, "at the next server's statistics")) < 0)
			return r;
		if (nr__parse_number(&p, &v) < 0 || v < 0 || v > 1e6)
			return expected(c, "a server number");
		c->server = (int)v;
		c->have_avg = false;
		c->lat_open = c->lineno;
		return 0;
	}
	if ((p = nr__parse_after(s, "[Valid Duration] "))) {
		if (!c->lat_open)
			c->lat_open = c->lineno;
		return run_stats(c, p, true);
	}
	if ((p = nr__parse_after(s, "[Total Run] ")) ||
	    (p = nr__parse_after(s, "[including warmup] ")))
		return run_stats(c, p, false);
	if ((p = nr__parse_after(s, "====> avg-latency"))) {
		c->rtt = "half round trip";
		c->shape = "avg-latency";
		return avg_line(c, p);
	}
	if ((p = nr__parse_after(s, "====> avg-rtt"))) {
		c->rtt = "full round trip";
		c->shape = "avg-rtt";
		return avg_line(c, p);
	}
	if ((p = nr__parse_after(s, "====> avg-lat"))) {
		/* <= 3.5: always half the round trip (pLat = rtt / 2) */
		c->rtt = "half round trip";
		c->shape = "avg-lat";
		return avg_line(c, p);
	}
	if (nr__parse_after(s, "# dropped "))
		return drops(c, s);
	if ((p = nr__parse_after(s, "Summary: Latency is ")) ||
	    (p = nr__parse_after(s, "Summary: Round trip is "))) {
		c->rtt = s[9] == 'L' ? "half round trip" : "full round trip";
		return summary_latency(c, p);
	}
	if ((p = nr__parse_after(s, "Summary: Latency of burst of ")) ||
	    (p = nr__parse_after(s, "Summary: Round trip of burst of "))) {
		/* "... of burst of 4 messages is 21.227 usec" */
		p = strstr(p, " is ");
		if (!p)
			return expected(c, "Summary: Latency of burst of N messages is X usec");
		nr__parse_note_str(c->set, "burst", "latency of a burst of messages");
		return summary_latency(c, p + 4);
	}
	if ((p = nr__parse_after(s, "Total ")) && strstr(p, "observations")) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "Total N observations");
		if (!c->lat_open)
			c->lat_open = c->lineno;
		return add(c, "observations", v, "count");
	}
	if ((p = nr__parse_after(s, "---> <MAX> observation =")))
		return nr__parse_number(&p, &v) < 0 ? expected(c, "<MAX> observation = N")
						   : add(c, "latency_max_us", v, "usec");
	if ((p = nr__parse_after(s, "---> <MIN> observation ="))) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "<MIN> observation = N");
		c->lat_open = 0;
		return add(c, "latency_min_us", v, "usec");
	}
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
		c->tp_open = c->lineno;
		if (!c->shape)
			c->shape = "throughput";
		if (add(c, "sent_messages", v, "count") < 0 ||
		    add(c, "duration_us", v2, "sec") < 0)
			return NR_EPARSE;
		return 0;
	}
	if (nr__parse_after(s, "NOTE: ")) {
		note_line(c, s);
		return 0;
	}
	if ((p = nr__parse_after(s, "Summary: Message Rate is "))) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "Message Rate is N [msg/sec]");
		c->msg_rate = v;
		return add(c, "messages_per_s", v, "msg/sec");
	}
	if ((p = nr__parse_after(s, "Summary: BandWidth is ")))
		return bandwidth(c, p);
	return 0;
}

static void note_format(struct ctx *c)
{
	char buf[96];
	const char *v = *c->version ? c->version : NULL;

	if (!c->shape && !c->version[0])
		return;
	if (c->version[0])
		nr__parse_note_str(c->set, "version", c->version);
	if (!c->shape)
		return;
	if (!strcmp(c->shape, "throughput"))
		snprintf(buf, sizeof(buf), "sockperf %s (throughput)", v ? v : "");
	else if (!strcmp(c->shape, "avg-lat"))
		snprintf(buf, sizeof(buf), "sockperf %s (avg-lat)", v ? v : "<= 3.5");
	else
		snprintf(buf, sizeof(buf), "sockperf %s (%s)",
			 v ? v : c->long_avg ? ">= 3.8" : ">= 3.6", c->shape);
	nr__parse_note_str(c->set, "format", buf);
}

static int parse_sockperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			  struct nr_sample_set *set, struct nr_diag *d)
{
	struct ctx c = { .set = set, .d = d, .msg_rate = -1, .msg_size = -1 };
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
	if (r == 0) {
		c.lineno = l.lineno;
		r = close_blocks(&c, "with the output");
	}
	note_format(&c);
	if (c.rtt)
		nr__parse_note_str(set, "latency", c.rtt);
	if (r == 0 && set->n == before && c.prefixed)
		r = nr_diagf(d, NR_EPARSE, "line %zu: \"sockperf: \" is not at the start of the "
			     "line: remove what was put in front of sockperf's own output (a "
			     "logger's prefix?)", c.prefixed);
	else if (r == 0 && set->n == before)
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
