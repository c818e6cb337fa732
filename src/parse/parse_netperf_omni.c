/*
 * netperf's omni output: -k (SELECTOR=value lines), -o (a line of titles,
 * a line of comma-separated values) and -O (four lines of titles over
 * fixed-width columns, nettest_omni.c print_omni_human()). The three carry
 * the same selectors; their titles are those of nettest_omni.c
 * set_output_elt(), joined with spaces ("Throughput Confidence Width (%)").
 * Selectors are collected, then turned into samples at the end, when
 * THROUGHPUT_UNITS, SD_UNITS and DIRECTION are known.
 */
#include "parse/parse_netperf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"

enum how {
	H_PLAIN,    /* a number in `unit` */
	H_RATE,     /* THROUGHPUT: unit from THROUGHPUT_UNITS */
	H_SIDE,     /* LOCAL_SEND_THROUGHPUT ...: THROUGHPUT_UNITS, Trans/s -> 10^6bits/s */
	H_CPU,      /* a CPU utilisation: -1 not measured */
	H_SD,       /* a service demand: unit from SD_UNITS */
	H_LATENCY,  /* histogram latency: per transaction (RR) or per send()/recv() call */
	H_RR,       /* meaningful on request/response tests only */
	H_CONFID,   /* a confidence width: -1 when -i/-I were not given */
	H_TEXT,     /* a fact kept in the notes */
	H_UNITS,    /* THROUGHPUT_UNITS, SD_UNITS: read by the others */
};

static const struct sel {
	const char *key, *title, *metric, *unit;
	enum how how;
} sels[] = {
	{ "THROUGHPUT", "Throughput", "", NULL, H_RATE },
	{ "THROUGHPUT_UNITS", "Throughput Units", NULL, NULL, H_UNITS },
	{ "LOCAL_SEND_THROUGHPUT", "Local Send Throughput", "local_send_", NULL, H_SIDE },
	{ "LOCAL_RECV_THROUGHPUT", "Local Recv Throughput", "local_recv_", NULL, H_SIDE },
	{ "REMOTE_SEND_THROUGHPUT", "Remote Send Throughput", "remote_send_", NULL, H_SIDE },
	{ "REMOTE_RECV_THROUGHPUT", "Remote Recv Throughput", "remote_recv_", NULL, H_SIDE },
	{ "ELAPSED_TIME", "Elapsed Time (sec)", "duration_us", "s", H_PLAIN },
	{ "THROUGHPUT_CONFID", "Throughput Confidence Width (%)", "throughput_confidence_percent",
	  "%", H_CONFID },
	{ "LOCAL_CPU_CONFID", "Local CPU Confidence Width (%)", "local_cpu_confidence_percent", "%",
	  H_CONFID },
	{ "REMOTE_CPU_CONFID", "Remote CPU Confidence Width (%)", "remote_cpu_confidence_percent",
	  "%", H_CONFID },
	{ "CONFIDENCE_ITERATION", "Confidence Iterations Run", "confidence_iterations", "count",
	  H_PLAIN },
	{ "MEAN_LATENCY", "Mean Latency Microseconds", "latency_avg_us", "us", H_LATENCY },
	{ "STDDEV_LATENCY", "Stddev Latency Microseconds", "latency_stddev_us", "us", H_LATENCY },
	{ "MIN_LATENCY", "Minimum Latency Microseconds", "latency_min_us", "us", H_LATENCY },
	{ "MAX_LATENCY", "Maximum Latency Microseconds", "latency_max_us", "us", H_LATENCY },
	{ "P50_LATENCY", "50th Percentile Latency Microseconds", "latency_p50_us", "us", H_LATENCY },
	{ "P90_LATENCY", "90th Percentile Latency Microseconds", "latency_p90_us", "us", H_LATENCY },
	{ "P99_LATENCY", "99th Percentile Latency Microseconds", "latency_p99_us", "us", H_LATENCY },
	{ "RT_LATENCY", "Round Trip Latency usec/tran", "roundtrip_latency_avg_us", "us", H_RR },
	{ "TRANSACTION_RATE", "Transaction Rate Tran/s", "transactions_per_s", "1/s", H_RR },
	{ "LOCAL_CPU_UTIL", "Local CPU Util %", "local_cpu_percent", "%", H_CPU },
	{ "REMOTE_CPU_UTIL", "Remote CPU Util %", "remote_cpu_percent", "%", H_CPU },
	{ "LOCAL_SD", "Local Service Demand", "local_service_demand_", NULL, H_SD },
	{ "REMOTE_SD", "Remote Service Demand", "remote_service_demand_", NULL, H_SD },
	{ "SD_UNITS", "Service Demand Units", NULL, NULL, H_UNITS },
	{ "LOCAL_TRANSPORT_RETRANS", "Local Transport Retransmissions", "retransmits", "count",
	  H_CPU },
	{ "REMOTE_TRANSPORT_RETRANS", "Remote Transport Retransmissions", "remote_retransmits",
	  "count", H_CPU },
	{ "TRANSPORT_MSS", "Transport MSS bytes", "mss_bytes", "B", H_PLAIN },
	{ "LOCAL_BYTES_SENT", "Local Bytes Sent", "sent_bytes", "B", H_PLAIN },
	{ "LOCAL_BYTES_RECVD", "Local Bytes Received", "received_bytes", "B", H_PLAIN },
	{ "REMOTE_BYTES_SENT", "Remote Bytes Sent", "remote_sent_bytes", "B", H_PLAIN },
	{ "REMOTE_BYTES_RECVD", "Remote Bytes Received", "remote_received_bytes", "B", H_PLAIN },
	{ "PROTOCOL", "Protocol", "protocol", NULL, H_TEXT },
	{ "DIRECTION", "Direction", "direction", NULL, H_TEXT },
};

static const struct sel *sel_of(const char *key)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(sels); i++)
		if (!strcmp(sels[i].key, key) || !strcmp(sels[i].title, key))
			return &sels[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	s = (char *)nr__parse_skip_blanks(s);
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int put(struct nr__parse_np *c, const char *key, const char *value, size_t lineno)
{
	size_t i;

	for (i = 0; i < c->nkv; i++)
		if (!strcmp(c->kv[i].key, key))
			return nr_diagf(c->d, NR_EPARSE, "line %zu: %s appears a second time (line "
					"%zu): two runs in one output?", lineno, key,
					c->kv[i].lineno);
	NR_GROW(c->kv, c->nkv + 1, c->kvcap);
	c->kv[c->nkv].key = nr_xstrdup(key);
	c->kv[c->nkv].value = nr_xstrdup(value);
	c->kv[c->nkv].lineno = lineno;
	c->nkv++;
	return 0;
}

static const struct nr__parse_np_kv *get(const struct nr__parse_np *c, const char *key)
{
	const struct sel *want = sel_of(key);
	size_t i;

	for (i = 0; i < c->nkv; i++)
		if (sel_of(c->kv[i].key) == want)
			return &c->kv[i];
	return NULL;
}

/* ---- the three shapes -------------------------------------------------- */

/* Split on commas in place. */
static size_t split_commas(char *s, char **out, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *comma = strchr(s, ',');

		if (comma)
			*comma = '\0';
		out[n++] = trim(s);
		if (!comma)
			break;
		s = comma + 1;
	}
	return n;
}

static int csv_line(struct nr__parse_np *c, char *s)
{
	char *t[128], *v[128];
	size_t nt, nv, i;
	int r = 0;

	if (!*nr__parse_skip_blanks(s))
		return 0;
	if (!c->titles) {
		if (c->nkv)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: a second line after the row of "
					"values (two runs in one output?)", c->l.lineno);
		c->titles = nr_xstrdup(s);
		c->titles_line = c->l.lineno;
		return 0;
	}
	nt = split_commas(c->titles, t, NR_ARRAY_SIZE(t));
	nv = split_commas(s, v, NR_ARRAY_SIZE(v));
	if (nt != nv)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %zu comma-separated values "
				"under the titles of line %zu, found %zu", c->l.lineno, nt,
				c->titles_line, nv);
	for (i = 0; i < nt && r == 0; i++)
		r = put(c, t[i], v[i], c->l.lineno);
	free(c->titles);
	c->titles = NULL;
	return r;
}

static int keyval_line(struct nr__parse_np *c, char *s)
{
	char *eq = strchr(s, '=');

	if (!*nr__parse_skip_blanks(s))
		return 0;
	if (!eq || eq == s || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789[]") != (size_t)(eq - s))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected SELECTOR=value (netperf -k)",
				c->l.lineno);
	*eq = '\0';
	return put(c, s, eq + 1, c->l.lineno);
}

/* Is column p blank in every line? */
static bool blank_at(char *const *lines, size_t n, size_t p)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (p < strlen(lines[k]) && lines[k][p] != ' ')
			return false;
	return true;
}

/* Text of line `s` in columns [from, to), trimmed, appended to b. */
static void column_text(struct nr_buf *b, const char *s, size_t from, size_t to)
{
	size_t n = strlen(s), e;

	if (from >= n)
		return;
	e = to < n ? to : n;
	while (from < e && s[from] == ' ')
		from++;
	while (e > from && s[e - 1] == ' ')
		e--;
	if (e == from)
		return;
	if (b->len)
		nr_buf_addch(b, ' ');
	nr_buf_add(b, s + from, e - from);
}

/*
 * -O: print_omni_human() pads every column to its widest line plus one
 * space, titles and values alike, so a column starts where some line has
 * text after a position blank in all five.
 */
static int human_block(struct nr__parse_np *c, char *values)
{
	char *lines[5];
	size_t width = 0, p, k, start = 0;
	int r = 0;

	for (k = 0; k < 4; k++)
		lines[k] = c->human[k];
	lines[4] = values;
	for (k = 0; k < 5; k++)
		if (strlen(lines[k]) > width)
			width = strlen(lines[k]);
	for (p = 1; p <= width && r == 0; p++) {
		struct nr_buf title = NR_BUF_INIT, value = NR_BUF_INIT;

		if (p < width && !(blank_at(lines, 5, p - 1) && !blank_at(lines, 5, p)))
			continue;
		for (k = 0; k < 4; k++)
			column_text(&title, lines[k], start, p);
		column_text(&value, values, start, p);
		if (title.len && !value.len)
			r = nr_diagf(c->d, NR_EPARSE, "line %zu: no value under the column '%s'",
				     c->l.lineno, title.buf);
		else if (title.len)
			r = put(c, title.buf, value.buf, c->l.lineno);
		else if (value.len)
			r = nr_diagf(c->d, NR_EPARSE, "line %zu: a value '%s' under no title",
				     c->l.lineno, value.buf);
		nr_buf_release(&title);
		nr_buf_release(&value);
		start = p;
	}
	for (k = 0; k < 4; k++) {
		free(c->human[k]);
		c->human[k] = NULL;
	}
	c->nhuman = 0;
	return r;
}

static int human_line(struct nr__parse_np *c, char *s)
{
	if (c->nhuman == 0 && !*nr__parse_skip_blanks(s))
		return 0; /* between blocks */
	if (c->nhuman < 4) {
		if (c->nhuman == 0)
			c->human_line = c->l.lineno;
		c->human[c->nhuman++] = nr_xstrdup(s);
		return 0;
	}
	return human_block(c, s);
}

int nr__parse_netperf_omni_line(struct nr__parse_np *c, char *s)
{
	switch (c->shape) {
	case NR__NP_KEYVAL:
		return keyval_line(c, s);
	case NR__NP_CSV:
		return csv_line(c, s);
	case NR__NP_HUMAN:
		return human_line(c, s);
	default:
		return NR_EPARSE;
	}
}

/* ---- samples ------------------------------------------------------------ */

static bool not_a_number(const char *v)
{
	/* printf's spellings of what netperf could not compute */
	return strstr(v, "nan") || strstr(v, "NaN") || strstr(v, "inf") || strstr(v, "Inf");
}

static int number(struct nr__parse_np *c, const struct nr__parse_np_kv *kv, double *ret)
{
	if (nr_parse_double(kv->value, ret) < 0)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: %s: expected a number, found '%s'",
				kv->lineno, kv->key, kv->value);
	return 0;
}

static void skip(struct nr__parse_np *c, const char *key, const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "%s: %s", key, why);
	nr__parse_netperf_skip(c, what);
}

/* NETPERF_INTERIM_RESULT[i], NETPERF_UNITS[i], NETPERF_INTERVAL[i] (-k with -D) */
static int keyval_interim(struct nr__parse_np *c)
{
	int64_t i;
	int r = 0;

	for (i = 0; r == 0; i++) {
		char k[64];
		const struct nr__parse_np_kv *res = NULL, *unit = NULL, *ivl = NULL;
		size_t j;
		double v, secs;

		for (j = 0; j < c->nkv; j++) {
			snprintf(k, sizeof(k), "NETPERF_INTERIM_RESULT[%lld]", (long long)i);
			if (!strcmp(c->kv[j].key, k))
				res = &c->kv[j];
			snprintf(k, sizeof(k), "NETPERF_UNITS[%lld]", (long long)i);
			if (!strcmp(c->kv[j].key, k))
				unit = &c->kv[j];
			snprintf(k, sizeof(k), "NETPERF_INTERVAL[%lld]", (long long)i);
			if (!strcmp(c->kv[j].key, k))
				ivl = &c->kv[j];
		}
		if (!res && !unit && !ivl)
			break;
		if (!res || !unit || !ivl)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: interim result %lld lacks its "
					"value, unit or interval (cut short?)",
					(res ? res : unit ? unit : ivl)->lineno, (long long)i);
		r = number(c, res, &v);
		if (!r)
			r = number(c, ivl, &secs);
		if (!r)
			r = nr__parse_netperf_add_rate(c, "", v, unit->value, c->interim, res->lineno);
		if (!r)
			r = nr__parse_add(c->set, "duration_us", secs, "s", c->interim, ivl->lineno,
					  c->d);
		c->interim++;
	}
	return r;
}

static int one(struct nr__parse_np *c, const struct nr__parse_np_kv *kv, const char *tu,
	       const char *sdu, bool trans_stored)
{
	const struct sel *s = sel_of(kv->key);
	char metric[96];
	double v;
	int r;

	if (!s) {
		if (strncmp(kv->key, "NETPERF_", 8))
			nr__parse_netperf_skip(c, kv->key);
		return 0;
	}
	if (s->how == H_UNITS)
		return 0;
	if (s->how == H_TEXT) {
		nr__parse_note_str(c->set, s->metric, kv->value);
		return 0;
	}
	if (not_a_number(kv->value)) {
		skip(c, kv->key, "not a number");
		return 0;
	}
	r = number(c, kv, &v);
	if (r < 0)
		return r;
	switch (s->how) {
	case H_RATE:
	case H_SIDE:
		if (!tu)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: %s without THROUGHPUT_UNITS: "
					"its unit depends on -f; add THROUGHPUT_UNITS to the "
					"selectors", kv->lineno, kv->key);
		/* the per-side rates are computed with 'x' turned into 'm'
		 * (nettest_omni.c, before calc_thruput of local_send_thruput) */
		if (s->how == H_SIDE && !strncmp(tu, "Trans", 5))
			tu = "10^6bits/s";
		return nr__parse_netperf_add_rate(c, s->metric, v, tu, -1, kv->lineno);
	case H_CPU:
		return nr__parse_netperf_add_cpu(c, s->metric, v, 1, s->unit, kv->lineno);
	case H_CONFID:
		if (v == -1) {
			skip(c, kv->key, "not measured (-1: no -i/-I)");
			return 0;
		}
		/* -o and -k print no warning when the width is missed (the
		 * classic tables print "!!! WARNING"): say it here */
		if (s->metric[0] == 't' && c->conf_width > 0 && v > c->conf_width)
			nr__parse_note_str(c->set, "confidence", "not achieved (the width is "
					   "larger than -I asked for)");
		return nr__parse_add(c->set, s->metric, v, s->unit, -1, kv->lineno, c->d);
	case H_SD: {
		bool per_tran;
		double f;

		if (!sdu) /* nettest_omni.c: sd_str follows libfmt */
			sdu = tu && !strncmp(tu, "Trans", 5) ? "usec/Tran" : tu ? "usec/KB" : NULL;
		if (!sdu || nr__parse_netperf_sd_unit(sdu, &per_tran, &f) < 0)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: %s: no service demand unit (add "
					"SD_UNITS and THROUGHPUT_UNITS)", kv->lineno, kv->key);
		snprintf(metric, sizeof(metric), "%s%s", s->metric,
			 per_tran ? "us_per_transaction" : "ns_per_B");
		return nr__parse_netperf_add_cpu(c, metric, v, f, sdu, kv->lineno);
	}
	case H_LATENCY:
		if (v == -1) {
			skip(c, kv->key, "not measured (-1)");
			return 0;
		}
		/* a stream test's histogram times send() or recv() calls */
		snprintf(metric, sizeof(metric), "%s%s", c->rr ? "" : "syscall_", s->metric);
		return nr__parse_add(c->set, metric, v, s->unit, -1, kv->lineno, c->d);
	case H_RR:
		if (!c->rr) {
			skip(c, kv->key, "not a request/response test (netperf's placeholder)");
			return 0;
		}
		if (trans_stored && !strcmp(s->metric, "transactions_per_s")) {
			skip(c, kv->key, "the same rate as THROUGHPUT");
			return 0;
		}
		if (v == -1) {
			skip(c, kv->key, "not measured (-1)");
			return 0;
		}
		return nr__parse_add(c->set, s->metric, v, s->unit, -1, kv->lineno, c->d);
	default:
		return nr__parse_add(c->set, s->metric, v, s->unit, -1, kv->lineno, c->d);
	}
}

int nr__parse_netperf_omni_finish(struct nr__parse_np *c)
{
	const struct nr__parse_np_kv *tu = get(c, "THROUGHPUT_UNITS"), *sdu = get(c, "SD_UNITS");
	const struct nr__parse_np_kv *dir = get(c, "DIRECTION");
	bool trans;
	size_t i;
	int r = 0;

	if (c->shape == NR__NP_CSV && c->titles)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected a line of values under the "
				"titles of line %zu (cut short?)", c->l.lineno, c->titles_line);
	if (c->shape == NR__NP_HUMAN && c->nhuman)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected four lines of titles and a "
				"line of values from line %zu (cut short?)", c->l.lineno,
				c->human_line);
	trans = tu && !strncmp(tu->value, "Trans", 5);
	if ((dir && strchr(dir->value, '|')) || trans)
		c->rr = true;
	r = keyval_interim(c);
	for (i = 0; i < c->nkv && r == 0; i++)
		r = one(c, &c->kv[i], tu ? tu->value : NULL, sdu ? sdu->value : NULL,
			trans && get(c, "THROUGHPUT"));
	return r;
}

void nr__parse_netperf_omni_release(struct nr__parse_np *c)
{
	size_t i;

	for (i = 0; i < c->nkv; i++) {
		free(c->kv[i].key);
		free(c->kv[i].value);
	}
	free(c->kv);
	free(c->titles);
	for (i = 0; i < 4; i++)
		free(c->human[i]);
}
