/*
 * `parse: secnetperf`: MsQuic's secnetperf console output (client or
 * server, with or without -trimout), the older formats its docs still
 * show, and the HdrHistogram table that -extraOutputFile writes.
 *
 * Lines read (msquic src/perf/lib/PerfClient.cpp and samples/secnetperf):
 *   Result: Upload N kbps.                 Result: N HPS
 *   Result: Download N bytes @ R kbps (T ms).   (per stream; also the
 *     older "  Upload: N bytes @ R kbps (T ms).")
 *   Result: N RPS[, Latency,us 0th: a, 50th: b, ..., Max: m]
 *   Result: N RPS, Min: a, Max: b, 50th: c, ..., StdErr: e   (-test:RPS era)
 *   Completed N connections and M streams!   Error: ...
 *   Connection Statistics: / Stream Timings (flow blocked): / Connection
 *     TLS Info: blocks of "  Name   value [us]"
 *   App Main returning status N
 * The full latency curve of an -extraOutputFile table is kept in the
 * notes as {"latency_curve": {"Values": [...], "Percentiles": [...]}}, the
 * shape microsoft/netperf stores.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

enum block { B_NONE, B_CONN_STATS, B_STREAM_TIMINGS, B_TLS, B_HDR };

struct ctx {
	struct nr_sample_set *set;
	struct nr_diag *d;
	size_t lineno;
	enum block block;
	/* per-stream lines: summed when no aggregate line comes */
	const char *stream_dir; /* "upload" or "download" */
	double stream_kbps, stream_bytes;
	size_t streams;
	struct nr_buf stream_notes;
	bool aggregate;
	/* HdrHistogram table */
	double *hv, *hp;
	size_t hn, hcap;
	struct nr_buf tls;
	const char *format; /* which of secnetperf's output generations */
	size_t command_line, started_line; /* where "> secnetperf ..." and "Started!" were */
};

static int expected(struct ctx *c, const char *what)
{
	return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %s", c->lineno, what);
}

static int add(struct ctx *c, const char *metric, double v, const char *unit)
{
	return nr__parse_add(c->set, metric, v, unit, -1, c->lineno, c->d);
}

/* "N bytes @ R kbps (T ms)." after "Upload:"/"Download:" */
static int per_stream(struct ctx *c, const char *p, const char *dir)
{
	double bytes, kbps, ms;

	if (nr__parse_number(&p, &bytes) < 0 || !(p = strstr(p, "bytes @")))
		return expected(c, "N bytes @ R kbps (T ms)");
	p += 7;
	if (nr__parse_number(&p, &kbps) < 0 || !(p = strstr(p, "kbps (")))
		return expected(c, "N bytes @ R kbps (T ms)");
	p += 6;
	if (nr__parse_number(&p, &ms) < 0)
		return expected(c, "N bytes @ R kbps (T ms)");
	if (!c->format)
		c->format = "per-stream lines";
	c->stream_dir = dir;
	c->stream_kbps += kbps;
	c->stream_bytes += bytes;
	nr_buf_addf(&c->stream_notes, "%s{\"bytes\": %.17g, \"kbps\": %.17g, \"ms\": %.17g}",
		    c->streams ? ", " : "", bytes, kbps, ms);
	c->streams++;
	return 0;
}

/* "0th: 39, 50th: 44, ..., Max: 7567" and the older "Min: a, Max: b, 50th: ..." */
static int latency_list(struct ctx *c, const char *p)
{
	while (*p) {
		const char *colon;
		char name[64];
		double pct, v;

		p = nr__parse_skip_blanks(p);
		colon = strchr(p, ':');
		if (!colon)
			break;
		if (!strncmp(p, "Max:", 4)) {
			snprintf(name, sizeof(name), "latency_max_us");
		} else if (!strncmp(p, "Min:", 4)) {
			snprintf(name, sizeof(name), "latency_min_us");
		} else if (!strncmp(p, "StdErr:", 7)) {
			snprintf(name, sizeof(name), "latency_stderr_us");
		} else {
			const char *q = p;

			if (nr__parse_number(&q, &pct) < 0 || strncmp(q, "th:", 3) || pct < 0 ||
			    pct > 100)
				return expected(c, "'<N>th: value' in the latency list");
			nr_metric_percentile_name(name, sizeof(name), pct);
		}
		p = colon + 1;
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "a number in the latency list");
		if (add(c, name, v, "us") < 0)
			return NR_EPARSE;
		p = nr__parse_skip_blanks(p);
		if (*p == ',')
			p++;
		else
			break;
	}
	return 0;
}

static int result(struct ctx *c, const char *p)
{
	const char *q;
	double v;

	if ((q = nr__parse_after(p, "Upload ")) || (q = nr__parse_after(p, "Download "))) {
		const char *dir = *p == 'U' ? "upload" : "download";
		const char *after = q;

		if (nr__parse_number(&after, &v) < 0)
			return expected(c, "Result: Upload|Download N kbps.");
		after = nr__parse_skip_blanks(after);
		if (nr__parse_after(after, "bytes @"))
			return per_stream(c, q, dir);
		if (!nr__parse_after(after, "kbps"))
			return expected(c, "Result: Upload|Download N kbps.");
		c->aggregate = true;
		c->format = "aggregate Upload/Download line (-ptput:1)";
		nr__parse_note_str(c->set, "direction", dir);
		return add(c, "throughput_bps", v, "kbps");
	}
	q = p;
	if (nr__parse_number(&q, &v) < 0)
		return expected(c, "a number after 'Result:'");
	q = nr__parse_skip_blanks(q);
	if (nr__parse_after(q, "HPS")) {
		c->format = "HPS";
		return add(c, "handshakes_per_s", v, "hps");
	}
	if (!nr__parse_after(q, "RPS"))
		return expected(c, "N RPS or N HPS after 'Result:'");
	if (add(c, "requests_per_s", v, "rps") < 0)
		return NR_EPARSE;
	q += 3;
	/* "RPS, Latency,us 0th: ..." (secnetperf since its 2023 rewrite) or
	 * "RPS, Min: a, Max: b, 50th: ..., StdErr: e" (the -test:RPS era) */
	c->format = strstr(q, "Latency,us") ? "RPS with a Latency,us percentile list"
		    : strstr(q, "StdErr") ? "RPS with Min/Max/StdErr (the -test:RPS era)"
					  : "RPS without latency";
	if (*q == ',')
		q++;
	q = nr__parse_skip_blanks(q);
	if (nr__parse_after(q, "Latency,us"))
		q += 10;
	return latency_list(c, q);
}

static const struct {
	const char *name, *metric, *unit;
} conn_stats[] = {
	{ "RTT", "rtt_us", "us" },
	{ "MinRTT", "min_rtt_us", "us" },
	{ "EcnCapable", "ecn_capable", "" },
	{ "SendTotalPackets", "sent_packets", "count" },
	{ "SendSuspectedLostPackets", "suspected_lost_packets", "count" },
	{ "SendSpuriousLostPackets", "spurious_lost_packets", "count" },
	{ "SendCongestionCount", "congestion_events", "count" },
	{ "SendEcnCongestionCount", "ecn_congestion_events", "count" },
	{ "RecvTotalPackets", "received_packets", "count" },
	{ "RecvReorderedPackets", "reordered_packets", "count" },
	{ "RecvDroppedPackets", "dropped_packets", "count" },
	{ "RecvDuplicatePackets", "duplicate_packets", "count" },
	{ "RecvDecryptionFailures", "decryption_failures", "count" },
};

/* "  Name   value [us]" inside a block; a line not indented ends it. */
static int block_line(struct ctx *c, const char *s)
{
	char name[64], metric[96];
	const char *p = nr__parse_skip_blanks(s);
	size_t n = strcspn(p, " \t:"), i;
	double v;

	if (n == 0 || n >= sizeof(name))
		return expected(c, "'  Name  value' in a statistics block");
	memcpy(name, p, n);
	name[n] = '\0';
	p = nr__parse_skip_blanks(p + n);
	if (*p == ':')
		p = nr__parse_skip_blanks(p + 1);
	if (c->block == B_TLS) {
		/* identifiers (0x1302), not measurements: kept as facts */
		if (c->tls.len)
			nr_buf_adds(&c->tls, ", ");
		nr__parse_json_string(&c->tls, name);
		nr_buf_adds(&c->tls, ": ");
		nr__parse_json_string(&c->tls, p);
		return 0;
	}
	if (nr__parse_number(&p, &v) < 0)
		return expected(c, "a number in a statistics block");
	p = nr__parse_skip_blanks(p);
	if (c->block == B_STREAM_TIMINGS) {
		for (i = 0; name[i]; i++)
			name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
		snprintf(metric, sizeof(metric), "%s_flow_blocked_us", name);
		return add(c, metric, v, *p ? p : "us");
	}
	for (i = 0; i < NR_ARRAY_SIZE(conn_stats); i++)
		if (!strcmp(name, conn_stats[i].name))
			return add(c, conn_stats[i].metric, v, *p ? p : conn_stats[i].unit);
	/* a statistic newer than this parser: kept in the raw output only */
	nr__parse_note_str(c->set, "unknown_statistic", name);
	return 0;
}

/* "      56.000     0.000000            7         1.00" */
static int hdr_row(struct ctx *c, const char *s)
{
	const char *p = s;
	double v, pct;

	if (nr__parse_number(&p, &v) < 0 || nr__parse_number(&p, &pct) < 0 || pct < 0 || pct > 1)
		return expected(c, "'Value Percentile TotalCount' row");
	NR_GROW(c->hv, c->hn + 1, c->hcap);
	c->hp = nr_xrealloc(c->hp, c->hcap * sizeof(*c->hp));
	c->hv[c->hn] = v;
	c->hp[c->hn] = pct;
	c->hn++;
	return 0;
}

/* "#[Mean    =       70.086, StdDeviation   =       36.703]" */
static int hdr_footer(struct ctx *c, const char *s)
{
	static const struct {
		const char *label, *metric, *unit;
	} map[] = {
		{ "Mean", "latency_avg_us", "us" },
		{ "StdDeviation", "latency_stddev_us", "us" },
		{ "Max", "latency_max_us", "us" },
		{ "Total count", "observations", "count" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(map); i++) {
		const char *q = strstr(s, map[i].label);
		double v;

		if (!q)
			continue;
		q = strchr(q, '=');
		if (!q)
			return expected(c, "'Name = value' in the histogram footer");
		q++;
		if (nr__parse_number(&q, &v) < 0)
			return expected(c, "a number in the histogram footer");
		if (add(c, map[i].metric, v, map[i].unit) < 0)
			return NR_EPARSE;
	}
	return 0;
}

/* Standard percentiles from the table, and the whole curve as a note. */
static int hdr_finish(struct ctx *c)
{
	static const double want[] = { 50, 90, 99, 99.9, 99.99, 99.999, 99.9999 };
	struct nr_buf curve = NR_BUF_INIT;
	size_t i, k = 0;
	int r = 0;

	if (!c->hn)
		return 0;
	r = nr__parse_add(c->set, "latency_min_us", c->hv[0], "us", -1, c->lineno, c->d);
	for (i = 0; i < NR_ARRAY_SIZE(want) && r == 0; i++) {
		char name[64];

		/* the first row at or past the percentile, as HdrHistogram reads it */
		while (k < c->hn && c->hp[k] * 100 < want[i] - 1e-9)
			k++;
		if (k == c->hn)
			break;
		nr_metric_percentile_name(name, sizeof(name), want[i]);
		r = nr__parse_add(c->set, name, c->hv[k], "us", -1, c->lineno, c->d);
	}
	nr_buf_adds(&curve, "{\"Values\": [");
	for (i = 0; i < c->hn; i++)
		nr_buf_addf(&curve, "%s%.17g", i ? ", " : "", c->hv[i]);
	nr_buf_adds(&curve, "], \"Percentiles\": [");
	for (i = 0; i < c->hn; i++)
		nr_buf_addf(&curve, "%s%.17g", i ? ", " : "", c->hp[i]);
	nr_buf_adds(&curve, "]}");
	nr__parse_note_raw(c->set, "latency_curve", curve.buf);
	nr_buf_release(&curve);
	return r;
}

static int line(struct ctx *c, const char *s)
{
	const char *p;
	double v;

	if (c->block == B_HDR) {
		if (!*nr__parse_skip_blanks(s))
			return 0;
		if (s[0] == '#')
			return hdr_footer(c, s);
		return hdr_row(c, s);
	}
	if (c->block != B_NONE && (s[0] == ' ' || s[0] == '\t') && *nr__parse_skip_blanks(s))
		return block_line(c, s);
	c->block = B_NONE;
	if ((p = nr__parse_after(s, "> ")) && strstr(p, "secnetperf")) {
		if (c->command_line)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: a second secnetperf command (the "
					"first is on line %zu): two runs in one output", c->lineno,
					c->command_line);
		c->command_line = c->lineno;
		nr__parse_note_str(c->set, "command", p);
		return 0;
	}
	if (!strcmp(s, "Started!")) {
		if (c->started_line)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: secnetperf started a second time "
					"(first on line %zu): two runs in one output", c->lineno,
					c->started_line);
		c->started_line = c->lineno;
		return 0;
	}
	if (strstr(s, "core dumped") || strstr(s, "Segmentation fault"))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: the process crashed: %s", c->lineno, s);
	if (!strcmp(s, "Connection Statistics:"))
		c->block = B_CONN_STATS;
	else if (!strcmp(s, "Stream Timings (flow blocked):"))
		c->block = B_STREAM_TIMINGS;
	else if (!strcmp(s, "Connection TLS Info:"))
		c->block = B_TLS;
	if (c->block != B_NONE)
		return 0;
	p = nr__parse_skip_blanks(s);
	if (nr__parse_after(p, "Value") && strstr(p, "Percentile") && strstr(p, "TotalCount")) {
		c->block = B_HDR;
		return 0;
	}
	if ((p = nr__parse_after(s, "Result: ")))
		return result(c, p);
	s = nr__parse_skip_blanks(s);
	if ((p = nr__parse_after(s, "Upload: ")))
		return per_stream(c, p, "upload");
	if ((p = nr__parse_after(s, "Download: ")))
		return per_stream(c, p, "download");
	if ((p = nr__parse_after(s, "Error:")))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: secnetperf reported an error:%s",
				c->lineno, p);
	if (strstr(s, "Failed To Start") || strstr(s, "failed to start"))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: secnetperf could not start the test: %s",
				c->lineno, s);
	if (nr__parse_after(s, "No connections or streams completed"))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: %s", c->lineno, s);
	if ((p = nr__parse_after(s, "Completed "))) {
		double v2;

		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "Completed N connections|streams");
		p = nr__parse_skip_blanks(p);
		if (nr__parse_after(p, "connections and ")) {
			p += 16;
			if (nr__parse_number(&p, &v2) < 0)
				return expected(c, "Completed N connections and M streams!");
			if (add(c, "connections", v, "count") < 0)
				return NR_EPARSE;
			return add(c, "streams", v2, "count");
		}
		return add(c, nr__parse_after(p, "streams") ? "streams" : "connections", v, "count");
	}
	if ((p = nr__parse_after(s, "App Main returning status "))) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "App Main returning status N");
		if (v != 0)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: secnetperf ended with status %g",
					c->lineno, v);
		return 0;
	}
	return 0;
}

static int parse_secnetperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			    struct nr_sample_set *set, struct nr_diag *d)
{
	struct ctx c = { .set = set, .d = d, .stream_notes = NR_BUF_INIT, .tls = NR_BUF_INIT };
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
	if (r == 0 && c.streams) {
		struct nr_buf list = NR_BUF_INIT;

		nr_buf_addf(&list, "[%s]", c.stream_notes.buf);
		nr__parse_note_raw(set, "streams", list.buf);
		nr_buf_release(&list);
		if (!c.aggregate) {
			/* secnetperf's own aggregate is this sum (msquic #5034) */
			nr__parse_note_str(set, "direction", c.stream_dir);
			r = add(&c, "throughput_bps", c.stream_kbps, "kbps");
		}
		if (r == 0)
			r = add(&c, !strcmp(c.stream_dir, "upload") ? "sent_bytes" : "received_bytes",
				c.stream_bytes, "B");
		if (r == 0 && !nr_sample_find(set, "streams"))
			r = add(&c, "streams", (double)c.streams, "count");
	}
	if (r == 0)
		r = hdr_finish(&c);
	if (c.hn && !c.format)
		c.format = "HdrHistogram table (-extraOutputFile)";
	if (set->n > before && c.format)
		nr__parse_note_str(set, "format", c.format);
	if (r == 0 && c.tls.len) {
		struct nr_buf obj = NR_BUF_INIT;

		nr_buf_addf(&obj, "{%s}", c.tls.buf);
		nr__parse_note_raw(set, "tls", obj.buf);
		nr_buf_release(&obj);
	}
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected a 'Result:' line; servers "
			     "print none, QUIC servers print statistics with -stats:1)",
			     l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	nr_buf_release(&c.stream_notes);
	nr_buf_release(&c.tls);
	free(c.hv);
	free(c.hp);
	return r;
}

static int parse_secnetperf(const struct nr_parse_spec *spec, struct nr_slice in,
			     struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_secnetperf_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_secnetperf = {
	.name = "secnetperf",
	.summary = "MsQuic secnetperf console output and -extraOutputFile tables",
	.needs_sources = false,
	.parse = parse_secnetperf,
};
