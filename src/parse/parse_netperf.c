/*
 * `parse: netperf`: netperf 2.4 to 2.7 output in its shapes.
 * - the classic tables of TCP_STREAM, TCP_MAERTS, TCP_SENDFILE, UDP_STREAM
 *   (migrated, and the non-migrated "UDP UNIDIRECTIONAL SEND TEST" of
 *   nettest_bsd.c), TCP_RR, UDP_RR, TCP_CRR: -v 1 (the default) and -v 2
 *   (the extra tables: round-trip latency and per-direction throughput of
 *   RR tests, bytes and MSS of stream tests, histograms), with or without
 *   the CPU columns of -c -C, with the confidence warning of -i/-I and the
 *   interim results of -D, in every -f unit;
 * - omni -k (SELECTOR=value), -o (CSV) and -O (columns), here in
 *   parse_netperf_omni.c.
 * netperf prints no version. What tells its builds apart is the banner: a
 * "MIGRATED" test ran through nettest_omni.c (2.5 and later, built with
 * omni, the default), one without is nettest_bsd.c (before 2.5, or
 * --enable-omni=no); the shape read is named in the notes.
 * Refused, each with its line: -v 0 and -P 0 output (a bare number, no
 * titles, no unit), -f u ("Usec": microseconds per byte, not a rate), a
 * row shorter or longer than its titles say (a cut row), a row the tables
 * do not explain, a second banner (two runs), netperf's own errors.
 * netperf prints -1 for what it did not measure: noted, not stored.
 */
#include "parse/parse_netperf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"

/* ---- units ----------------------------------------------------------- */

/*
 * netperf's -f letters, as netlib.c defines them (2.4 to 2.7 alike):
 * format_units() names them, calc_thruput_interval() (and its _omni twin)
 * computes them from bytes moved:
 *   'k' "10^3bits": bytes / (1000/8)        'K' "KBytes": bytes / 1024
 *   'm' "10^6bits": bytes / (10^6/8)        'M' "MBytes": bytes / 2^20
 *   'g' "10^9bits": bytes / (10^9/8)        'G' "GBytes": bytes / 2^30
 *   'b' "10^0bits": bytes / 1.0 -- bytes, not bits, whatever the name says
 *   'B' "Bytes":    bytes / 1.0             'x' "Trans": transactions
 *   'u' "Usec": 10^6 / (units per second): not a rate, refused.
 * A byte rate is stored as bits: x 8.
 */
static const struct np_unit {
	const char *name;
	enum nr__parse_np_kind kind;
	double factor; /* to bit/s (NR__NP_BITS) or 1/s */
} np_units[] = {
	{ "10^0bits", NR__NP_BITS, 8 },
	{ "10^3bits", NR__NP_BITS, 1e3 },
	{ "10^6bits", NR__NP_BITS, 1e6 },
	{ "10^9bits", NR__NP_BITS, 1e9 },
	{ "Bytes", NR__NP_BITS, 8 },
	{ "KBytes", NR__NP_BITS, 8 * 1024.0 },
	{ "MBytes", NR__NP_BITS, 8 * 1048576.0 },
	{ "GBytes", NR__NP_BITS, 8 * 1073741824.0 },
	{ "Trans", NR__NP_TRANS, 1 },
};

int nr__parse_netperf_rate_unit(const char *printed, struct nr__parse_np_rate *ret)
{
	char name[32];
	size_t n = 0, i;

	/* "MBytes  /s" -> "MBytes/s": the titles pad the name to 8 columns */
	for (; *printed && n + 1 < sizeof(name); printed++)
		if (*printed != ' ' && *printed != '\t')
			name[n++] = *printed;
	name[n] = '\0';
	if (n >= 4 && !strcmp(name + n - 4, "/sec"))
		name[n - 4] = '\0';
	else if (n >= 2 && !strcmp(name + n - 2, "/s"))
		name[n - 2] = '\0';
	for (i = 0; i < NR_ARRAY_SIZE(np_units); i++) {
		if (!strcmp(name, np_units[i].name)) {
			ret->kind = np_units[i].kind;
			ret->factor = np_units[i].factor;
			return 0;
		}
	}
	return NR_EINVAL;
}

/*
 * Service demand: CPU microseconds per unit of work (netlib.c
 * calc_service_demand_internal()), per KB of 1024 bytes
 * (calc_service_demand_fmt(): unit_divisor 1024.0) or per transaction
 * ('x'). "us/.." in the classic titles, "usec/.." in omni's SD_UNITS
 * (nettest_omni.c: sd_str).
 */
int nr__parse_netperf_sd_unit(const char *printed, bool *ret_per_tran, double *ret_factor)
{
	if (!strcmp(printed, "us/KB") || !strcmp(printed, "usec/KB")) {
		*ret_per_tran = false;
		*ret_factor = 1000 / 1024.0; /* us per 1024 B -> ns per B */
		return 0;
	}
	if (!strcmp(printed, "us/Tr") || !strcmp(printed, "usec/Tran")) {
		*ret_per_tran = true;
		*ret_factor = 1;
		return 0;
	}
	return NR_EINVAL;
}

/* ---- helpers shared with parse_netperf_omni.c ------------------------ */

void nr__parse_netperf_skip(struct nr__parse_np *c, const char *what)
{
	if (c->skipped.len)
		nr_buf_adds(&c->skipped, ", ");
	nr__parse_json_string(&c->skipped, what);
}

int nr__parse_netperf_add_rate(struct nr__parse_np *c, const char *prefix, double value,
			       const char *unit, int64_t interval, size_t lineno)
{
	struct nr__parse_np_rate u;
	char metric[64], printed[32];
	size_t n = 0;

	/* "MBytes  /s": the padding is layout, not part of the unit */
	for (; *unit && n + 1 < sizeof(printed); unit++)
		if (*unit != ' ' && *unit != '\t')
			printed[n++] = *unit;
	printed[n] = '\0';
	unit = printed;
	if (nr__parse_netperf_rate_unit(unit, &u) < 0) {
		if (!strncmp(unit, "Usec", 4))
			return nr_diagf(c->d, NR_EPARSE, "line %zu: netperf -f u prints microseconds "
					"per byte moved, not a rate (netlib.c calc_thruput_interval); "
					"run without -f u", lineno);
		return nr_diagf(c->d, NR_EPARSE, "line %zu: '%s' is not one of netperf's -f units",
				lineno, unit);
	}
	if (u.kind == NR__NP_TRANS)
		snprintf(metric, sizeof(metric), "%stransactions_per_s", prefix);
	else
		snprintf(metric, sizeof(metric), "%sthroughput_bps", prefix);
	return nr__parse_add_scaled(c->set, metric, value, u.factor, unit, interval, lineno, c->d);
}

int nr__parse_netperf_add_cpu(struct nr__parse_np *c, const char *metric, double value,
			      double factor, const char *unit, size_t lineno)
{
	char what[96];

	if (value == -1) {
		snprintf(what, sizeof(what), "%s: not measured (-1)", metric);
		nr__parse_netperf_skip(c, what);
		return 0;
	}
	if (value < 0) {
		/* a CPU rate calibration gone wrong prints -3429.75 % */
		snprintf(what, sizeof(what), "%s: %g is not plausible", metric, value);
		nr__parse_netperf_skip(c, what);
		return 0;
	}
	return nr__parse_add_scaled(c->set, metric, value, factor, unit, -1, lineno, c->d);
}

/* ---- lines every shape may hold -------------------------------------- */

/*
 * netperf's complaints: "netperf: ...", "establish control: are you sure
 * there is a netserver ...", and its functions' "udp_send: data send
 * error: ...", "alloc_sendfile_buf_ring: specified file too small.",
 * "resolve_host: could not resolve host"; no result line starts with a
 * lower-case word and a colon.
 */
static bool is_error(const char *s)
{
	const char *p = s;

	if (strstr(s, "establish control") || strstr(s, "establish_control") ||
	    strstr(s, "are you sure there is a netserver") ||
	    nr__parse_after(s, "The test you requested") || strstr(s, "invalid option --"))
		return true;
	if (!(*p >= 'a' && *p <= 'z'))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	return p[0] == ':' && p[1] == ' ';
}

/* "MIGRATED TCP STREAM TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to ..." */
static bool is_banner(const char *s)
{
	return strstr(s, " TEST from ") || strstr(s, " TEST to ");
}

static enum nr__parse_np_test test_of(const char *banner, bool *ret_rr)
{
	*ret_rr = strstr(banner, "REQUEST/RESPONSE") || strstr(banner, "Request/Response") ||
		  strstr(banner, "Send|Recv");
	if (*ret_rr)
		return NR__NP_RR;
	if (strstr(banner, "UDP STREAM TEST") || strstr(banner, "UDP UNIDIRECTIONAL SEND TEST"))
		return NR__NP_UDP_STREAM;
	if (strstr(banner, "MAERTS TEST"))
		return NR__NP_MAERTS;
	if (strstr(banner, "STREAM TEST") || strstr(banner, "SENDFILE TEST"))
		return NR__NP_STREAM;
	if (strstr(banner, "OMNI "))
		return NR__NP_OMNI;
	return NR__NP_UNKNOWN;
}

static void note_banner(struct nr__parse_np *c, const char *s)
{
	const char *t = strstr(s, " TEST ");
	const char *conf = strstr(s, "% conf.");
	char test[96];

	snprintf(test, sizeof(test), "%.*s", (int)(t ? t - s : 0), s);
	nr__parse_note_str(c->set, "netperf_test", test);
	if (conf) {
		/* ": +/-2.500% @ 99% conf." -- what -I asked for */
		const char *b = strstr(s, "+/-");
		char ask[64];

		if (b && b < conf) {
			const char *p = b + 3;
			double half;

			snprintf(ask, sizeof(ask), "%.*s", (int)(conf + 1 - b), b);
			nr__parse_note_str(c->set, "confidence_requested", ask);
			if (nr__parse_number(&p, &half) == 0)
				c->conf_width = 2 * half;
		}
	}
}

/* "Interim result: 25425.52 10^6bits/s over 1.25 seconds ending at ..." (-D) */
static int interim(struct nr__parse_np *c, const char *p)
{
	const char *over;
	char unit[32];
	double v, secs;
	size_t lineno = c->l.lineno;
	int r;

	if (nr__parse_number(&p, &v) < 0)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected 'Interim result: N UNIT over "
				"T seconds'", lineno);
	p = nr__parse_skip_blanks(p);
	over = strstr(p, " over ");
	if (!over || (size_t)(over - p) >= sizeof(unit))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected 'Interim result: N UNIT over "
				"T seconds'", lineno);
	snprintf(unit, sizeof(unit), "%.*s", (int)(over - p), p);
	p = over + 6;
	if (nr__parse_number(&p, &secs) < 0)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected 'over T seconds'", lineno);
	r = nr__parse_netperf_add_rate(c, "", v, unit, c->interim, lineno);
	if (r == 0)
		r = nr__parse_add(c->set, "duration_us", secs, "s", c->interim, lineno, c->d);
	c->interim++;
	return r;
}

/* ---- classic tables -------------------------------------------------- */

/* The numbers of a row; 0 when the line is not all numbers. */
static size_t numbers(const char *s, double *v, size_t max)
{
	size_t n = 0;

	s = nr__parse_skip_blanks(s);
	while (*s) {
		if (n == max || nr__parse_number(&s, &v[n]) < 0 || (*s && *s != ' ' && *s != '\t'))
			return 0;
		n++;
		s = nr__parse_skip_blanks(s);
	}
	return n;
}

/* Where the classic tables are. */
enum stage {
	ST_MAIN,  /* titles, then the main row */
	ST_ROW2,  /* RR: the remote socket sizes; UDP_STREAM: the receiving side */
	ST_EXTRA, /* -v 2 tables, histograms */
};

struct classic {
	enum stage stage;
	struct nr_buf titles; /* the current table's title lines */
	bool numeric_last;    /* the line before was a row */
	bool cpu;             /* the titles announce CPU columns */
	bool per_tran;        /* service demand per transaction */
	double sd_factor;
	char sd_unit[16];
	bool trans;           /* the main rate is Trans/s */
	double rate;          /* the main rate as printed */
	bool in_hist;
	/* -i/-I: the warning's confidence widths */
	bool conf_seen;
	double conf_cpu[2];
};

/* The throughput unit in a table's titles: "<name>/sec", "<name>  /s". */
static int title_unit(const struct classic *t, char *out, size_t size)
{
	const char *s = t->titles.buf ? t->titles.buf : "";
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(np_units); i++) {
		const char *p = s;
		size_t n = strlen(np_units[i].name);

		while ((p = strstr(p, np_units[i].name))) {
			const char *q = nr__parse_skip_blanks(p + n);

			if ((p == s || p[-1] == ' ' || p[-1] == '\n') && *q == '/') {
				q += strcspn(q, " \t\n");
				snprintf(out, size, "%.*s", (int)(q - p), p);
				return 0;
			}
			p += n;
		}
	}
	/* RR -c -C with -f: "Time    10^6bits local" (nettest_omni.c cpu_title_tput) */
	if (strstr(s, "Tput")) {
		const char *p = strstr(s, "\nSend ");
		const char *q = p ? strstr(p, " Time ") : NULL;

		if (q) {
			q = nr__parse_skip_blanks(q + 6);
			snprintf(out, size, "%.*s", (int)strcspn(q, " \t\n"), q);
			return 0;
		}
	}
	if (strstr(s, "Usec"))
		return snprintf(out, size, "Usec"), 0;
	return NR_ENOTFOUND;
}

static int expect_count(struct nr__parse_np *c, size_t n, size_t want, size_t want_cpu, bool cpu)
{
	size_t w = cpu ? want_cpu : want;

	if (n == w)
		return 0;
	return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %zu numbers under these titles%s, "
			"found %zu (a row cut short, or not netperf's)", c->l.lineno, w,
			cpu ? " (with the CPU columns of -c -C)" : "", n);
}

static int add_sd(struct nr__parse_np *c, struct classic *t, const char *side, double v)
{
	char metric[64];

	snprintf(metric, sizeof(metric), "%s_service_demand_%s", side,
		 t->per_tran ? "us_per_transaction" : "ns_per_B");
	return nr__parse_netperf_add_cpu(c, metric, v, t->sd_factor, t->sd_unit, c->l.lineno);
}

static int add_cpu_pair(struct nr__parse_np *c, struct classic *t, const double *v)
{
	int r = nr__parse_netperf_add_cpu(c, "local_cpu_percent", v[0], 1, "%", c->l.lineno);

	if (!r)
		r = nr__parse_netperf_add_cpu(c, "remote_cpu_percent", v[1], 1, "%", c->l.lineno);
	if (!r)
		r = add_sd(c, t, "local", v[2]);
	if (!r)
		r = add_sd(c, t, "remote", v[3]);
	return r;
}

static int main_row(struct nr__parse_np *c, struct classic *t, const double *v, size_t n)
{
	const char *s = t->titles.buf ? t->titles.buf : "";
	char unit[32];
	size_t ln = c->l.lineno;
	int r;

	if (c->test == NR__NP_UNKNOWN || c->test == NR__NP_OMNI)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: a table of a netperf test this parser "
				"does not read (its banner names neither a STREAM, MAERTS, "
				"SENDFILE nor a REQUEST/RESPONSE test)", ln);
	t->cpu = strstr(s, "Utilization") || strstr(s, "S.dem") ||
		 (c->test == NR__NP_UDP_STREAM && strstr(s, "CPU"));
	t->per_tran = strstr(s, "us/Tr") != NULL;
	t->sd_factor = t->per_tran ? 1 : 1000 / 1024.0;
	snprintf(t->sd_unit, sizeof(t->sd_unit), "%s", t->per_tran ? "us/Tr" : "us/KB");
	if (c->test == NR__NP_RR && strstr(s, "Trans.") && !strstr(s, "Throughput")) {
		snprintf(unit, sizeof(unit), "Trans/s");
	} else if (title_unit(t, unit, sizeof(unit)) < 0) {
		return nr_diagf(c->d, NR_EPARSE, "line %zu: no throughput unit in the titles above "
				"this row", ln);
	}
	t->trans = !strncmp(unit, "Trans", 5);
	switch (c->test) {
	case NR__NP_STREAM:
	case NR__NP_MAERTS:
		/* Recv Send Send / Socket Socket Message Elapsed Throughput [CPU x4] */
		if ((r = expect_count(c, n, 5, 9, t->cpu)) < 0)
			return r;
		t->rate = v[4];
		r = nr__parse_netperf_add_rate(c, "", v[4], unit, -1, ln);
		if (!r)
			r = nr__parse_add(c->set, "duration_us", v[3], "s", -1, ln, c->d);
		if (!r && t->cpu)
			r = add_cpu_pair(c, t, v + 5);
		t->stage = ST_EXTRA;
		return r;
	case NR__NP_UDP_STREAM:
		/* Socket Message Elapsed Okay Errors Throughput [CPU SD], local side */
		if ((r = expect_count(c, n, 6, 8, t->cpu)) < 0)
			return r;
		r = nr__parse_netperf_add_rate(c, "sender_", v[5], unit, -1, ln);
		if (!r)
			r = nr__parse_add(c->set, "sent_messages", v[3], "count", -1, ln, c->d);
		if (!r)
			r = nr__parse_add(c->set, "send_errors", v[4], "count", -1, ln, c->d);
		if (!r)
			r = nr__parse_add(c->set, "duration_us", v[2], "s", -1, ln, c->d);
		if (!r && t->cpu)
			r = nr__parse_netperf_add_cpu(c, "local_cpu_percent", v[6], 1, "%", ln);
		if (!r && t->cpu)
			r = add_sd(c, t, "local", v[7]);
		t->stage = ST_ROW2;
		return r;
	case NR__NP_RR:
		/* Send Recv Request Resp. Elapsed Rate|Throughput [CPU x4] */
		if ((r = expect_count(c, n, 6, 10, t->cpu)) < 0)
			return r;
		t->rate = v[5];
		r = nr__parse_netperf_add_rate(c, "", v[5], unit, -1, ln);
		if (!r)
			r = nr__parse_add(c->set, "duration_us", v[4], "s", -1, ln, c->d);
		if (!r && t->cpu)
			r = add_cpu_pair(c, t, v + 6);
		if (!r && !t->trans)
			nr__parse_note_str(c->set, "throughput", "request plus response bytes per "
					   "second (netperf -f on a request/response test)");
		t->stage = ST_ROW2;
		return r;
	default:
		return NR_EPARSE;
	}
}

static int second_row(struct nr__parse_np *c, struct classic *t, const double *v, size_t n)
{
	size_t ln = c->l.lineno;
	char unit[32];
	int r;

	t->stage = ST_EXTRA;
	if (c->test == NR__NP_RR) {
		/* the remote socket sizes */
		return n == 2 ? 0 : nr_diagf(c->d, NR_EPARSE, "line %zu: expected the remote "
					     "socket sizes (2 numbers), found %zu", ln, n);
	}
	/* UDP_STREAM, the receiving side: Socket Elapsed Okay Throughput [CPU SD] */
	if ((r = expect_count(c, n, 4, 6, t->cpu)) < 0)
		return r;
	if (title_unit(t, unit, sizeof(unit)) < 0)
		return NR_EPARSE; /* the main row found it */
	r = nr__parse_netperf_add_rate(c, "", v[3], unit, -1, ln);
	if (!r)
		r = nr__parse_add(c->set, "received_messages", v[2], "count", -1, ln, c->d);
	if (!r && t->cpu)
		r = nr__parse_netperf_add_cpu(c, "remote_cpu_percent", v[4], 1, "%", ln);
	if (!r && t->cpu)
		r = add_sd(c, t, "remote", v[5]);
	return r;
}

/* The -v 2 tables after the main one. */
static int extra_row(struct nr__parse_np *c, struct classic *t, const double *v, size_t n)
{
	const char *s = t->titles.buf ? t->titles.buf : "";
	size_t ln = c->l.lineno;
	char unit[32];
	int r;

	if (strstr(s, "RoundTrip") && n == 8) {
		/* Alignment x2, Offset x2, RoundTrip Latency usec/Tran, Trans Rate,
		 * Throughput Outbound, Inbound (nettest_omni.c ksink_fmt of send_tcp_rr) */
		r = nr__parse_add(c->set, "roundtrip_latency_avg_us", v[4], "us", -1, ln, c->d);
		if (r < 0)
			return r;
		if (t->trans) {
			/* the same rate twice, %.2f and %.3f (with -i the table
			 * holds the mean of the iterations, so no check then) */
			double diff = v[5] - t->rate;

			if (!t->conf_seen && !c->confidence && (diff > 0.006 || diff < -0.006))
				return nr_diagf(c->d, NR_EPARSE, "line %zu: transaction rate %g differs "
						"from the table's %g (two runs in one output?)", ln,
						v[5], t->rate);
		} else {
			r = nr__parse_add(c->set, "transactions_per_s", v[5], "1/s", -1, ln, c->d);
			if (r < 0)
				return r;
		}
		/* libfmt 'x' becomes 'm' for these two (nettest_omni.c send_tcp_rr) */
		if (title_unit(t, unit, sizeof(unit)) < 0)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: no unit in the titles of the "
					"Outbound/Inbound columns", ln);
		r = nr__parse_netperf_add_rate(c, "outbound_", v[6], unit, -1, ln);
		if (!r)
			r = nr__parse_netperf_add_rate(c, "inbound_", v[7], unit, -1, ln);
		return r;
	}
	if (strstr(s, "Xfered") && n == 9) {
		/* Alignment x2, Offset x2, Bytes Xfered, per send|recv, count, per, count */
		return nr__parse_add(c->set, c->test == NR__NP_MAERTS ? "received_bytes" : "sent_bytes",
				     v[4], "B", -1, ln, c->d);
	}
	if (strstr(s, "Alignment") && n == 4)
		return 0; /* buffer alignments and offsets: settings */
	if (strstr(s, "Segment") && n == 1)
		return nr__parse_add(c->set, "mss_bytes", v[0], "B", -1, ln, c->d);
	return nr_diagf(c->d, NR_EPARSE, "line %zu: a row of %zu numbers netperf's tables do not "
			"explain here (two runs in one output?)", ln, n);
}

/* "!!! Confidence intervals: Throughput      :  6.8%" and the CPU lines */
static int confidence(struct nr__parse_np *c, struct classic *t, const char *s)
{
	static const char *const what[] = { "Throughput", "Local CPU util", "Remote CPU util" };
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(what); i++) {
		const char *p = strstr(s, what[i]);
		double v;

		if (!p)
			continue;
		p = strchr(p, ':');
		if (!p || (p++, nr__parse_number(&p, &v) < 0))
			return nr_diagf(c->d, NR_EPARSE, "line %zu: expected '%s : N%%'",
					c->l.lineno, what[i]);
		if (i == 0) {
			t->conf_seen = true;
			nr__parse_note_str(c->set, "confidence", "not achieved (netperf's warning)");
			/* the width netlib.c display_confidence() prints and omni's
			 * THROUGHPUT_CONFID holds: 100 * (interval - result_confid) */
			return nr__parse_add(c->set, "throughput_confidence_percent", v, "%", -1,
					     c->l.lineno, c->d);
		}
		t->conf_cpu[i - 1] = v;
	}
	return 0;
}

static int classic_line(struct nr__parse_np *c, struct classic *t, const char *s)
{
	double v[16];
	size_t n;

	if (!*nr__parse_skip_blanks(s)) {
		t->in_hist = false;
		return 0;
	}
	if (nr__parse_after(s, "Histogram of")) {
		t->in_hist = true;
		return 0;
	}
	if (t->in_hist || strchr(s, ':')) {
		const char *p = nr__parse_after(s, "HIST_TOTAL:");
		double total;

		if (p && nr__parse_number(&p, &total) == 0)
			nr__parse_note_num(c->set, "histogram_total", total);
		return 0;
	}
	n = numbers(s, v, NR_ARRAY_SIZE(v));
	if (!n) {
		if (t->numeric_last)
			nr_buf_reset(&t->titles);
		nr_buf_adds(&t->titles, s);
		nr_buf_addch(&t->titles, '\n');
		t->numeric_last = false;
		return 0;
	}
	t->numeric_last = true;
	switch (t->stage) {
	case ST_MAIN:
		if (!t->titles.len)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: a bare result without titles or "
					"unit (netperf -v 0 or -P 0): not stored; run with the "
					"titles, or with -- -k THROUGHPUT,THROUGHPUT_UNITS",
					c->l.lineno);
		return main_row(c, t, v, n);
	case ST_ROW2:
		return second_row(c, t, v, n);
	default:
		return extra_row(c, t, v, n);
	}
}

static int classic_finish(struct nr__parse_np *c, struct classic *t)
{
	if (t->stage == ST_MAIN)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: the output ends before the table's "
				"row of results (cut short?)", c->l.lineno);
	if (t->stage == ST_ROW2)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: the output ends before the table's "
				"second row (%s; cut short?)", c->l.lineno,
				c->test == NR__NP_RR ? "the remote socket sizes"
						     : "the receiving side");
	if (t->conf_seen && t->cpu) {
		int r = nr__parse_add(c->set, "local_cpu_confidence_percent", t->conf_cpu[0], "%",
				      -1, c->l.lineno, c->d);

		if (r == 0)
			r = nr__parse_add(c->set, "remote_cpu_confidence_percent", t->conf_cpu[1],
					  "%", -1, c->l.lineno, c->d);
		return r;
	}
	return 0;
}

/* ---- the whole output ------------------------------------------------- */

/* Which shape a line starts; NONE: not yet (prompt, command line, tcpi_ dump). */
/* -v 0 with -c: "%6.3f %c" (service demand, CPU method letter) */
static bool is_bare_sd(const char *s)
{
	const char *p = s;
	double v;

	if (nr__parse_number(&p, &v) < 0)
		return false;
	p = nr__parse_skip_blanks(p);
	return *p >= 'A' && *p <= 'Z' && !*nr__parse_skip_blanks(p + 1);
}

static enum nr__parse_np_shape shape_of(const char *s)
{
	size_t k = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
	double v[16];

	if (k > 0 && (s[k] == '=' || s[k] == '['))
		return NR__NP_KEYVAL;
	if (nr__parse_after(s, "Recv ") || nr__parse_after(s, "Local /Remote") ||
	    nr__parse_after(s, "Socket  Message") || numbers(s, v, NR_ARRAY_SIZE(v)))
		return NR__NP_CLASSIC;
	if (strchr(s, ',') && (*s < '0' || *s > '9'))
		return NR__NP_CSV;
	return NR__NP_NONE;
}

static const char *shape_name(enum nr__parse_np_shape sh, bool migrated)
{
	switch (sh) {
	case NR__NP_CLASSIC:
		return migrated ? "classic table, migrated to omni (netperf 2.5 or later)"
				: "classic table of nettest_bsd.c (before 2.5, or built without omni)";
	case NR__NP_KEYVAL:
		return "omni -k";
	case NR__NP_CSV:
		return "omni -o";
	case NR__NP_HUMAN:
		return "omni -O";
	default:
		return "none";
	}
}

static int parse_netperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			       struct nr_sample_set *set, struct nr_diag *d)
{
	struct nr__parse_np c = { .set = set, .d = d, .skipped = NR_BUF_INIT };
	struct classic t = { .titles = NR_BUF_INIT };
	size_t before = set->n;
	bool migrated = false;
	char *s, last[160] = "";
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&c.l, in);
	while (r == 0 && (s = nr__parse_lines_next(&c.l))) {
		const char *p;

		if (*nr__parse_skip_blanks(s))
			snprintf(last, sizeof(last), "%s", nr__parse_skip_blanks(s));
		if (is_error(nr__parse_skip_blanks(s))) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: netperf reported an error: %s",
				     c.l.lineno, nr__parse_skip_blanks(s));
			break;
		}
		if (is_banner(s)) {
			if (c.banner_line) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: a second test banner (the first "
					     "is on line %zu): two runs in one output", c.l.lineno,
					     c.banner_line);
				break;
			}
			c.banner_line = c.l.lineno;
			c.test = test_of(s, &c.rr);
			c.confidence = strstr(s, "% conf.") != NULL;
			migrated = nr__parse_after(s, "MIGRATED ") != NULL;
			note_banner(&c, s);
			continue;
		}
		if ((p = nr__parse_after(s, "Interim result:"))) {
			r = interim(&c, p);
			continue;
		}
		if (nr__parse_after(s, "!!!")) {
			r = confidence(&c, &t, s);
			continue;
		}
		if (c.shape == NR__NP_NONE) {
			enum nr__parse_np_shape sh = shape_of(s);

			if (!*nr__parse_skip_blanks(s))
				continue;
			if (sh == NR__NP_NONE && is_bare_sd(s)) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: a bare service demand without "
					     "titles or unit (netperf -v 0 with -c or -C): not stored",
					     c.l.lineno);
				break;
			}
			if (sh == NR__NP_NONE && *s >= '0' && *s <= '9' && strchr(s, ',')) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: values without their titles "
					     "(netperf -P 0 with -o): not stored; run without -P 0",
					     c.l.lineno);
				break;
			}
			/* before a banner, only -P 0 output: -k lines or a bare row;
			 * anything else is a prompt or the command line */
			if (!c.banner_line && sh == NR__NP_CSV)
				sh = NR__NP_NONE;
			if (sh == NR__NP_NONE) {
				if (!c.banner_line)
					continue;
				if (!strncmp(s, "tcpi_", 5) || !strncmp(s, "tpci_", 5))
					continue; /* DUMP_TCP_INFO=1 prints tcp_info first */
				sh = NR__NP_HUMAN; /* -O: titles of selectors */
			}
			c.shape = sh;
			nr__parse_note_str(set, "netperf_output", shape_name(sh, migrated));
		}
		if (c.shape == NR__NP_CLASSIC)
			r = classic_line(&c, &t, s);
		else
			r = nr__parse_netperf_omni_line(&c, s);
	}
	if (r == 0 && c.shape == NR__NP_CLASSIC)
		r = classic_finish(&c, &t);
	else if (r == 0 && c.shape != NR__NP_NONE)
		r = nr__parse_netperf_omni_finish(&c);
	if (c.skipped.len) {
		struct nr_buf list = NR_BUF_INIT;

		nr_buf_addf(&list, "[%s]", c.skipped.buf);
		nr__parse_note_raw(set, "not_stored", list.buf);
		nr_buf_release(&list);
	}
	if (r == 0 && set->n == before && c.banner_line && c.shape == NR__NP_NONE)
		r = nr_diagf(d, NR_EPARSE, "line %zu: the output ends after netperf's banner "
			     "(line %zu): no results (cut short, or netperf failed: see its "
			     "stderr)", c.l.lineno, c.banner_line);
	else if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected netperf's tables or its "
			     "-k, -o or -O output)%s%s%s", c.l.lineno ? c.l.lineno : 1,
			     *last ? "; the last line: '" : "", last, *last ? "'" : "");
	nr__parse_netperf_omni_release(&c);
	nr_buf_release(&t.titles);
	nr_buf_release(&c.skipped);
	nr__parse_lines_release(&c.l);
	return r;
}

static int parse_netperf(const struct nr_parse_spec *spec, struct nr_slice in,
			 struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_netperf_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_netperf = {
	.name = "netperf",
	.summary = "netperf 2.4-2.7: classic tables (migrated or not), omni -k, -o and -O",
	.needs_sources = false,
	.parse = parse_netperf,
};
