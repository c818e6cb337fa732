/*
 * `parse: netperf`: netperf's three output shapes.
 * - omni `-k SELECTORS`: "THROUGHPUT=9413.08" lines;
 * - omni `-o SELECTORS`: a banner, a line of column titles ("Throughput,
 *   Throughput Units,50th Percentile Latency Microseconds,...") and a line
 *   of values;
 * - classic TCP_STREAM / TCP_MAERTS / UDP_STREAM / TCP_RR / UDP_RR / TCP_CRR
 *   tables, with or without the CPU columns of -c -C.
 * netperf prints -1 for what it could not measure (retransmissions on a
 * platform without them): such values are noted, not stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "parse/parse_tool.h"

/* Omni output selectors, their -o column titles and their metrics. */
static const struct sel {
	const char *key, *title, *metric, *unit;
} sels[] = {
	{ "THROUGHPUT", "Throughput", NULL, NULL }, /* unit from THROUGHPUT_UNITS */
	{ "THROUGHPUT_CONFID", "Throughput Confidence Width (%)", "throughput_confidence_percent", "%" },
	{ "CONFIDENCE_ITERATION", "Confidence Iterations Run", "confidence_iterations", "count" },
	{ "MEAN_LATENCY", "Mean Latency Microseconds", "latency_avg_us", "us" },
	{ "STDDEV_LATENCY", "Stddev Latency Microseconds", "latency_stddev_us", "us" },
	{ "MIN_LATENCY", "Minimum Latency Microseconds", "latency_min_us", "us" },
	{ "MAX_LATENCY", "Maximum Latency Microseconds", "latency_max_us", "us" },
	{ "P50_LATENCY", "50th Percentile Latency Microseconds", "latency_p50_us", "us" },
	{ "P90_LATENCY", "90th Percentile Latency Microseconds", "latency_p90_us", "us" },
	{ "P99_LATENCY", "99th Percentile Latency Microseconds", "latency_p99_us", "us" },
	{ "LOCAL_CPU_UTIL", "Local CPU Util %", "local_cpu_percent", "%" },
	{ "REMOTE_CPU_UTIL", "Remote CPU Util %", "remote_cpu_percent", "%" },
	{ "LOCAL_SD", "Local Service Demand", NULL, NULL },   /* unit from SD_UNITS */
	{ "REMOTE_SD", "Remote Service Demand", NULL, NULL },
	{ "LOCAL_TRANSPORT_RETRANS", "Local Transport Retransmissions", "retransmits", "count" },
	{ "REMOTE_TRANSPORT_RETRANS", "Remote Transport Retransmissions", "remote_retransmits", "count" },
	{ "TRANSPORT_MSS", "Transport MSS bytes", "mss_bytes", "B" },
	{ "ELAPSED_TIME", "Elapsed Time (sec)", "duration_us", "s" },
	{ "TRANSACTION_RATE", "Transaction Rate Tran/s", "transactions_per_s", "1/s" },
	{ "THROUGHPUT_UNITS", "Throughput Units", NULL, NULL },
	{ "SD_UNITS", "Service Demand Units", NULL, NULL },
};

/* One selector's value as printed. */
struct kv {
	const struct sel *sel;
	char *value;
	size_t lineno;
};

struct ctx {
	struct nr_sample_set *set;
	struct nr_diag *d;
	struct kv *v;
	size_t n, cap;
	bool rr; /* the banner said REQUEST/RESPONSE */
	struct nr_buf unmeasured; /* JSON strings: selectors printed as -1 */
};

static const struct sel *sel_by_key(const char *k)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(sels); i++)
		if (!strcmp(sels[i].key, k))
			return &sels[i];
	return NULL;
}

static const struct sel *sel_by_title(const char *t)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(sels); i++)
		if (!strcmp(sels[i].title, t))
			return &sels[i];
	return NULL;
}

static void put(struct ctx *c, const struct sel *s, const char *value, size_t lineno)
{
	NR_GROW(c->v, c->n + 1, c->cap);
	c->v[c->n].sel = s;
	c->v[c->n].value = nr_xstrdup(value);
	c->v[c->n].lineno = lineno;
	c->n++;
}

static const char *value_of(struct ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].sel->key, key))
			return c->v[i].value;
	return NULL;
}

/* Turn the collected selectors into samples. */
static int omni_samples(struct ctx *c)
{
	const char *tu = value_of(c, "THROUGHPUT_UNITS"), *sdu = value_of(c, "SD_UNITS");
	size_t i;

	if (!tu) {
		/* netperf's defaults: Trans/s for request/response, -f m otherwise */
		tu = c->rr ? "Trans/s" : "10^6bits/s";
		nr__parse_note_str(c->set, "throughput_units", "not printed; netperf's default assumed");
	}
	for (i = 0; i < c->n; i++) {
		const struct kv *k = &c->v[i];
		const char *metric = k->sel->metric, *unit = k->sel->unit;
		bool per_tr = sdu && strstr(sdu, "Tr");
		char name[96];
		double x;

		if (!strcmp(k->sel->key, "THROUGHPUT")) {
			bool trans = strstr(tu, "Trans") || strstr(tu, "Tran/s");

			metric = trans ? "transactions_per_s" : "throughput_bps";
			unit = trans ? "1/s" : tu;
		} else if (!strcmp(k->sel->key, "LOCAL_SD") || !strcmp(k->sel->key, "REMOTE_SD")) {
			snprintf(name, sizeof(name), "%s_%s", k->sel->key[0] == 'L' ? "local" : "remote",
				 per_tr ? "service_demand_us_per_transaction" : "service_demand_ns_per_B");
			metric = name;
			unit = per_tr ? "us" : (sdu ? sdu : "us/KB");
		}
		if (!metric)
			continue;
		if (nr_parse_double(k->value, &x) < 0)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: %s: expected a number, found '%s'",
					k->lineno, k->sel->key, k->value);
		if (x == -1) {
			/* netperf's "not measured" */
			nr_buf_addf(&c->unmeasured, "%s\"%s\"", c->unmeasured.len ? ", " : "",
				    k->sel->key);
			continue;
		}
		if (nr__parse_add(c->set, metric, x, unit, -1, k->lineno, c->d) < 0)
			return NR_EPARSE;
	}
	if (c->unmeasured.len) {
		struct nr_buf list = NR_BUF_INIT;

		nr_buf_addf(&list, "[%s]", c->unmeasured.buf);
		nr__parse_note_raw(c->set, "not_measured", list.buf);
		nr_buf_release(&list);
	}
	return 0;
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

/* Numbers of a classic table row; 0 when the line is not all numbers. */
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

static int add(struct ctx *c, const char *metric, double v, const char *unit, size_t lineno)
{
	return nr__parse_add(c->set, metric, v, unit, -1, lineno, c->d);
}

/* Classic tables: find the units in the header, then read the rows. */
static int classic(struct ctx *c, struct nr__parse_lines *l, const char *banner)
{
	bool udp_stream = strstr(banner, "UDP STREAM") != NULL;
	bool rr = strstr(banner, "REQUEST/RESPONSE") || strstr(banner, "Request/Response");
	char unit[32] = "10^6bits/s", sd_unit[16] = "us/KB";
	size_t rows = 0, n;
	double v[16];
	char *s;
	int r = 0;

	while ((s = nr__parse_lines_next(l))) {
		char *u = strstr(s, "bits/s");

		if (!u)
			u = strstr(s, "Bytes/s");
		if (u) {
			char *b = u, *e = u + strcspn(u, " \t");

			while (b > s && b[-1] != ' ' && b[-1] != '\t')
				b--;
			snprintf(unit, sizeof(unit), "%.*s", (int)(e - b), b);
		}
		if (strstr(s, "us/Tr"))
			snprintf(sd_unit, sizeof(sd_unit), "us/Tr");
		n = numbers(s, v, NR_ARRAY_SIZE(v));
		if (!n)
			continue;
		if (rr && n >= 6) {
			r = add(c, "transactions_per_s", v[5], "1/s", l->lineno);
			if (!r)
				r = add(c, "duration_us", v[4], "s", l->lineno);
			if (!r && n >= 10) {
				bool tr = !strcmp(sd_unit, "us/Tr");

				r = add(c, "local_cpu_percent", v[6], "%", l->lineno);
				if (!r)
					r = add(c, "remote_cpu_percent", v[7], "%", l->lineno);
				if (!r)
					r = add(c, tr ? "local_service_demand_us_per_transaction"
						      : "local_service_demand_ns_per_B",
						v[8], tr ? "us" : sd_unit, l->lineno);
				if (!r)
					r = add(c, tr ? "remote_service_demand_us_per_transaction"
						      : "remote_service_demand_ns_per_B",
						v[9], tr ? "us" : sd_unit, l->lineno);
			}
			rows++;
		} else if (udp_stream && rows == 0 && n >= 6) {
			r = add(c, "sender_throughput_bps", v[5], unit, l->lineno);
			if (!r)
				r = add(c, "sent_messages", v[3], "count", l->lineno);
			if (!r)
				r = add(c, "duration_us", v[2], "s", l->lineno);
			rows++;
		} else if (udp_stream && rows == 1 && n >= 4) {
			r = add(c, "throughput_bps", v[3], unit, l->lineno);
			if (!r)
				r = add(c, "received_messages", v[2], "count", l->lineno);
			rows++;
		} else if (!rr && !udp_stream && n >= 5 && rows == 0) {
			r = add(c, "throughput_bps", v[4], unit, l->lineno);
			if (!r)
				r = add(c, "duration_us", v[3], "s", l->lineno);
			if (!r && n >= 9) {
				r = add(c, "local_cpu_percent", v[5], "%", l->lineno);
				if (!r)
					r = add(c, "remote_cpu_percent", v[6], "%", l->lineno);
				if (!r)
					r = add(c, "local_service_demand_ns_per_B", v[7], sd_unit,
						l->lineno);
				if (!r)
					r = add(c, "remote_service_demand_ns_per_B", v[8], sd_unit,
						l->lineno);
			}
			rows++;
		}
		if (r < 0)
			return r;
	}
	if (udp_stream && rows == 1)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected the receiving side's row of "
				"the UDP_STREAM table", l->lineno);
	return 0;
}

static bool is_error(const char *s)
{
	return nr__parse_after(s, "netperf: ") || nr__parse_after(s, "send_omni: ") ||
	       strstr(s, "establish control") || strstr(s, "establish_control") ||
	       strstr(s, "are you sure there is a netserver");
}

enum shape { S_CLASSIC, S_KEYVAL, S_CSV };

/* Which of the three shapes: -k lines, -o titles, else a classic table. */
static enum shape shape_of(struct nr_slice in, bool *ret_rr)
{
	enum shape sh = S_CLASSIC;
	struct nr__parse_lines l;
	char *s;

	*ret_rr = false;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		size_t k = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");

		if (strstr(s, " TEST from ") || strstr(s, " TEST to "))
			*ret_rr = strstr(s, "REQUEST/RESPONSE") || strstr(s, "Request/Response");
		if (k > 0 && s[k] == '=' && sh == S_CLASSIC)
			sh = S_KEYVAL;
		else if (strchr(s, ',') && strstr(s, "Throughput") && sh == S_CLASSIC)
			sh = S_CSV;
	}
	nr__parse_lines_release(&l);
	return sh;
}

static int parse_netperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			 struct nr_sample_set *set, struct nr_diag *d)
{
	struct ctx c = { .set = set, .d = d, .unmeasured = NR_BUF_INIT };
	enum shape sh = shape_of(in, &c.rr);
	struct nr__parse_lines l;
	size_t before = set->n, i;
	char *s, *titles = NULL, *banner = NULL;
	size_t titles_line = 0;
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		char *eq = strchr(s, '=');

		if (is_error(s)) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: netperf reported an error: %s",
				     l.lineno, s);
			goto out;
		}
		if (sh == S_CLASSIC && (strstr(s, " TEST from ") || strstr(s, " TEST to "))) {
			banner = nr_xstrdup(s);
			r = classic(&c, &l, banner);
			goto out;
		}
		if (sh == S_KEYVAL && eq && eq > s) {
			/* -k: "SELECTOR=value" */
			const struct sel *sl;

			*eq = '\0';
			sl = sel_by_key(trim(s));
			if (sl)
				put(&c, sl, trim(eq + 1), l.lineno);
			continue;
		}
		if (sh != S_CSV || !strchr(s, ','))
			continue;
		if (!titles) {
			titles = nr_xstrdup(s);
			titles_line = l.lineno;
			continue;
		}
		{
			char *t[64], *v[64];
			size_t nt = split_commas(titles, t, 64), nv = split_commas(s, v, 64);

			if (nt != nv) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: expected %zu comma-separated "
					     "values under the titles of line %zu, found %zu",
					     l.lineno, nt, titles_line, nv);
				goto out;
			}
			for (i = 0; i < nt; i++) {
				const struct sel *sl = sel_by_title(t[i]);

				if (sl)
					put(&c, sl, v[i], l.lineno);
			}
			free(titles);
			titles = NULL;
			break; /* one row: netperf prints one result per run */
		}
	}
	if (titles) {
		r = nr_diagf(d, NR_EPARSE, "line %zu: expected a line of values under the "
			     "column titles of line %zu", l.lineno, titles_line);
		goto out;
	}
	if (sh != S_CLASSIC)
		r = omni_samples(&c);
out:
	if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected netperf's -k, -o or "
			     "classic table output)", l.lineno ? l.lineno : 1);
	for (i = 0; i < c.n; i++)
		free(c.v[i].value);
	free(c.v);
	free(titles);
	free(banner);
	nr_buf_release(&c.unmeasured);
	nr__parse_lines_release(&l);
	return r;
}

static int parse_netperf(const struct nr_parse_spec *spec, struct nr_slice in,
			  struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_netperf_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_netperf = {
	.name = "netperf",
	.summary = "netperf classic tables, omni -o CSV or -k keyval output",
	.needs_sources = false,
	.parse = parse_netperf,
};
