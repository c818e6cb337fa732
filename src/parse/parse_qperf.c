/*
 * `parse: qperf`: qperf's client output (0.4.x), plain, -v/-vv/-vu, and
 * loops (-oo Var:Init:Last:Incr):
 *
 *   tcp_lat:
 *       latency        =    15 us
 *       msg_rate       =  66.7 K/sec
 *       msg_size       =     1 bytes          (-vu, -vv: a setting)
 *       loc_cpus_used  =    77 % cpus
 *   udp_bw:
 *       send_bw         =  3.72 GB/sec
 *       recv_bw         =  3.66 GB/sec
 *
 * Every metric is qualified by its test's name (tcp_lat_latency_avg_us,
 * udp_bw_throughput_bps), so one run of several tests stays apart.
 *
 * A loop prints the same test once per value of its variable. When the
 * output names that value (-vu or -vv print the settings used) each
 * repetition is qualified by it as perftest's data lengths are: msg_size
 * 64 gives b64_tcp_lat_latency_avg_us, another variable V with value N
 * gives vN_... ("time" 3: time3_tcp_lat_...). A plain loop does not print
 * the value: its repetitions are qualified loop1_, loop2_, ... in order
 * and the notes say so. One test name printed twice with the same value
 * is two runs in one output: a failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

/*
 * qperf's units (src/qperf.c, view_band(), view_rate(), view_time(),
 * view_cost(), view_size(), view_long(), view_cpus()): every prefix is
 * decimal (value /= 1000 per step) except sizes that are exact multiples
 * of 1024, printed "4 KiB (4,096)"; costs are per decimal GB; "-ub"
 * prints bits/sec. Factors to the catalogue units (bit/s, 1/s, us, ns/B,
 * B, %, count).
 */
static const struct qunit {
	const char *name;
	double factor;
} qunits[] = {
	{ "bytes/sec", 8 }, { "KB/sec", 8e3 }, { "MB/sec", 8e6 }, { "GB/sec", 8e9 },
	{ "TB/sec", 8e12 },
	{ "bits/sec", 1 }, { "Kb/sec", 1e3 }, { "Mb/sec", 1e6 }, { "Gb/sec", 1e9 },
	{ "Tb/sec", 1e12 },
	{ "/sec", 1 }, { "K/sec", 1e3 }, { "M/sec", 1e6 }, { "G/sec", 1e9 }, { "T/sec", 1e12 },
	{ "ns", 1e-3 }, { "us", 1 }, { "ms", 1e3 }, { "sec", 1e6 },
	{ "ns/GB", 1e-9 }, { "us/GB", 1e-6 }, { "ms/GB", 1e-3 }, { "sec/GB", 1 },
	{ "bytes", 1 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 }, { "TB", 1e12 },
	{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
	{ "TiB", 1099511627776.0 },
	{ "% cpus", 1 },
	{ "", 1 }, { "thousand", 1e3 }, { "million", 1e6 }, { "billion", 1e9 },
	{ "trillion", 1e12 },
};

/*
 * The results qperf prints (src/qperf.c, show_info(), show_rest(): every
 * view_*() of type 'a', 's', 't', 'T' or 'S'); the other names are the
 * settings (show_used(), type 'u'). A result with no catalogue name
 * (interrupt and I/O-wait CPU, CPU time, error and completion-queue
 * counts) goes to the notes ("not_stored") with its printed value, never
 * dropped silently.
 */
static const struct {
	const char *key, *metric; /* metric NULL: noted, not stored */
} keys[] = {
	{ "latency", "latency_avg_us" },
	{ "bw", "throughput_bps" },
	{ "send_bw", "sender_throughput_bps" },
	{ "recv_bw", "throughput_bps" },
	{ "msg_rate", "messages_per_s" },
	{ "send_cost", "send_service_demand_ns_per_B" },
	{ "recv_cost", "recv_service_demand_ns_per_B" },
	{ "loc_cost", "local_service_demand_ns_per_B" },
	{ "rem_cost", "remote_service_demand_ns_per_B" },
	{ "send_bytes", "sent_bytes" },
	{ "recv_bytes", "received_bytes" },
	{ "send_msgs", "sent_messages" },
	{ "recv_msgs", "received_messages" },
	/* -vvs with a test that both sends and receives on each side (tcp_lat) */
	{ "loc_send_bytes", "local_sent_bytes" },
	{ "loc_recv_bytes", "local_received_bytes" },
	{ "loc_send_msgs", "local_sent_messages" },
	{ "loc_recv_msgs", "local_received_messages" },
	{ "rem_send_bytes", "remote_sent_bytes" },
	{ "rem_recv_bytes", "remote_received_bytes" },
	{ "rem_send_msgs", "remote_sent_messages" },
	{ "rem_recv_msgs", "remote_received_messages" },
	{ "send_errors", NULL }, { "recv_errors", NULL },
	{ "loc_send_errors", NULL }, { "loc_recv_errors", NULL },
	{ "rem_send_errors", NULL }, { "rem_recv_errors", NULL },
	{ "send_max_cqe", NULL }, { "recv_max_cqe", NULL },
	{ "loc_max_cqe", NULL }, { "rem_max_cqe", NULL },
#define QPERF_SIDE(side, name)                                                   \
	{ side "_cpus_used", name "_cpu_percent" },                              \
	{ side "_cpus_user", name "_cpu_user_percent" },                         \
	{ side "_cpus_kernel", name "_cpu_system_percent" },                     \
	{ side "_cpus_intr", NULL }, { side "_cpus_iowait", NULL },              \
	{ side "_real_time", name "_duration_us" }, { side "_cpu_time", NULL }
	QPERF_SIDE("loc", "local"),
	QPERF_SIDE("rem", "remote"),
	QPERF_SIDE("send", "send"),
	QPERF_SIDE("recv", "recv"),
#undef QPERF_SIDE
};

struct entry {
	char key[32];
	char val[64]; /* the text after '=', blanks trimmed */
	size_t lineno;
};

struct block {
	char test[32];
	size_t lineno; /* of the "test:" line */
	struct entry *e;
	size_t n, cap;
	char qual[48]; /* "b64_", "loop3_", or "" */
};

static int find_key(const char *key)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].key, key))
			return (int)i;
	return -1;
}

/* "1.77 GB/sec", "30,941 ", "4 KiB (4,096)": the number (commas dropped) and its unit. */
static int value_of(const char *text, double *ret_v, const char **ret_unit)
{
	char num[64];
	const char *p = nr__parse_skip_blanks(text), *q;
	size_t n = 0, i;
	double v;

	for (; *p && n + 1 < sizeof(num) && (strchr("0123456789.-+eE", *p) || *p == ','); p++)
		if (*p != ',')
			num[n++] = *p;
	num[n] = '\0';
	q = num;
	if (!n || nr__parse_number(&q, &v) < 0 || *q)
		return NR_EINVAL;
	p = nr__parse_skip_blanks(p);
	for (i = 0; i < NR_ARRAY_SIZE(qunits); i++) {
		size_t len = strlen(qunits[i].name);

		if (!strncmp(p, qunits[i].name, len) &&
		    (!p[len] || p[len] == ' ' || (len == 0 && !*p))) {
			*ret_v = v;
			*ret_unit = qunits[i].name;
			return 0;
		}
	}
	return NR_EINVAL;
}

static double factor_of(const char *unit)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(qunits); i++)
		if (!strcmp(qunits[i].name, unit))
			return qunits[i].factor;
	return NAN;
}

/* The value of setting `key` in `b` as an integer (msg_size in bytes), or -1. */
static double setting(const struct block *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		const char *paren;
		const char *unit;
		double v;

		if (strcmp(b->e[i].key, key))
			continue;
		paren = strchr(b->e[i].val, '(');
		if (paren && value_of(paren + 1, &v, &unit) == 0)
			return v; /* "4 KiB (4,096)": the exact count */
		if (value_of(b->e[i].val, &v, &unit) < 0 || isnan(factor_of(unit)))
			return -1;
		return round(v * factor_of(unit));
	}
	return -1;
}

/*
 * The qualifiers of a test printed more than once (a loop): by the first
 * setting whose value differs between its repetitions, else by position.
 */
static int qualify(struct block *b, size_t n, const char *test, struct nr_buf *loops,
		   struct nr_diag *d)
{
	size_t idx[1024], k = 0, i, j, e;
	const char *var = NULL;

	for (i = 0; i < n && k < NR_ARRAY_SIZE(idx); i++)
		if (!strcmp(b[i].test, test))
			idx[k++] = i;
	if (k == NR_ARRAY_SIZE(idx))
		return nr_diagf(d, NR_EPARSE, "line %zu: %s repeated more than %zu times",
				b[idx[k - 1]].lineno, test, k);
	if (k < 2)
		return 0;
	for (e = 0; e < b[idx[0]].n && !var; e++) {
		const char *key = b[idx[0]].e[e].key;

		if (find_key(key) >= 0 || setting(&b[idx[0]], key) < 0)
			continue;
		for (j = 1; j < k; j++)
			if (setting(&b[idx[j]], key) != setting(&b[idx[0]], key))
				var = key;
	}
	for (j = 0; j < k; j++) {
		struct block *x = &b[idx[j]];

		if (!var)
			snprintf(x->qual, sizeof(x->qual), "loop%zu_", j + 1);
		else if (!strcmp(var, "msg_size"))
			snprintf(x->qual, sizeof(x->qual), "b%.0f_", setting(x, var));
		else
			snprintf(x->qual, sizeof(x->qual), "%.20s%.0f_", var, setting(x, var));
		for (i = 0; i < j; i++)
			if (!strcmp(b[idx[i]].qual, x->qual))
				return nr_diagf(d, NR_EPARSE, "line %zu: %s with %s %.0f a second "
						"time (line %zu): two runs in one output?",
						x->lineno, test, var, setting(x, var),
						b[idx[i]].lineno);
	}
	{
		char note[160];

		snprintf(note, sizeof(note), "%zu repetitions of %s qualified by %s", k, test,
			 var ? var : "their order (the loop variable was not printed: "
				     "run qperf with -vu)");
		nr_buf_adds(loops, loops->len ? ", " : "[");
		nr__parse_json_string(loops, note);
	}
	return 0;
}

/* Store one block's results; those without a catalogue name go to `not_stored`. */
static int emit(const struct block *b, struct nr_sample_set *set, struct nr_buf *not_stored,
		struct nr_diag *d)
{
	size_t i, results = 0;

	for (i = 0; i < b->n; i++) {
		int k = find_key(b->e[i].key);
		char metric[160];
		const char *unit;
		double v;
		int r;

		if (k < 0)
			continue;
		if (value_of(b->e[i].val, &v, &unit) < 0)
			return nr_diagf(d, NR_EPARSE, "line %zu: %s: expected a number and a qperf "
					"unit, found '%s'", b->e[i].lineno, b->e[i].key, b->e[i].val);
		results++;
		if (!keys[k].metric) {
			snprintf(metric, sizeof(metric), "%s%s_%s", b->qual, b->test, b->e[i].key);
			nr_buf_adds(not_stored, not_stored->len ? ", " : "{");
			nr__parse_json_string(not_stored, metric);
			nr_buf_adds(not_stored, ": ");
			nr__parse_json_string(not_stored, b->e[i].val);
			continue;
		}
		snprintf(metric, sizeof(metric), "%s%s_%s", b->qual, b->test, keys[k].metric);
		/* "% cpus" is percent of one CPU; a unit is one word where it is kept */
		r = nr__parse_add_scaled(set, metric, v, factor_of(unit),
					 !*unit ? "count" : !strcmp(unit, "% cpus") ? "%" : unit,
					 -1, b->e[i].lineno, d);
		if (r < 0)
			return r;
	}
	if (!results)
		return nr_diagf(d, NR_EPARSE, "line %zu: %s: no result line follows (cut short?)",
				b->lineno, b->test);
	return 0;
}

static void blocks_free(struct block *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(b[i].e);
	free(b);
}

static int parse_qperf_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
		       struct nr_sample_set *set, struct nr_diag *d)
{
	struct block *b = NULL;
	size_t n = 0, cap = 0, i;
	struct nr__parse_lines l;
	char *s, version[32] = "";
	struct nr_buf loops = NR_BUF_INIT, not_stored = NR_BUF_INIT;
	bool conf = false;
	int r = 0;

	(void)spec;
	nr__parse_lines_init(&l, in);
	while ((s = nr__parse_lines_next(&l))) {
		size_t len = strlen(s);
		const char *p, *eq;
		struct entry *e;

		if (nr__parse_after(s, "qperf: ")) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: qperf reported an error: %s", l.lineno,
				     s + 7);
			goto out;
		}
		if (len && s[0] != ' ' && s[0] != '\t' && s[len - 1] == ':' &&
		    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == len - 1) {
			if (len - 1 >= sizeof(b->test)) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: test name too long", l.lineno);
				goto out;
			}
			/* "conf:" prints the nodes, not a test */
			conf = !strcmp(s, "conf:");
			if (conf)
				continue;
			NR_GROW(b, n + 1, cap);
			memset(&b[n], 0, sizeof(b[n]));
			memcpy(b[n].test, s, len - 1);
			b[n].lineno = l.lineno;
			n++;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || (s[0] != ' ' && s[0] != '\t'))
			continue;
		p = nr__parse_skip_blanks(s);
		len = (size_t)(eq - p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!len || len >= sizeof(b->e->key))
			continue;
		if (conf) {
			if (len == 9 && !strncmp(p, "loc_qperf", 9))
				snprintf(version, sizeof(version), "%s", nr__parse_skip_blanks(eq + 1));
			continue;
		}
		if (!n) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: expected a 'test_name:' line before "
				     "'%.*s ='", l.lineno, (int)len, p);
			goto out;
		}
		NR_GROW(b[n - 1].e, b[n - 1].n + 1, b[n - 1].cap);
		e = &b[n - 1].e[b[n - 1].n++];
		memcpy(e->key, p, len);
		e->key[len] = '\0';
		snprintf(e->val, sizeof(e->val), "%s", nr__parse_skip_blanks(eq + 1));
		len = strlen(e->val);
		while (len && e->val[len - 1] == ' ')
			e->val[--len] = '\0';
		e->lineno = l.lineno;
	}
	if (!n) {
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected 'test:' and "
			     "'    name = value unit' lines)", l.lineno ? l.lineno : 1);
		goto out;
	}
	for (i = 0; i < n && r == 0; i++) {
		size_t j;

		for (j = 0; j < i && strcmp(b[j].test, b[i].test); j++)
			;
		if (j == i) /* each test name once */
			r = qualify(b, n, b[i].test, &loops, d);
	}
	if (r == 0 && loops.len) {
		nr_buf_addch(&loops, ']');
		nr__parse_note_raw(set, "loops", loops.buf);
	}
	for (i = 0; i < n && r == 0; i++)
		r = emit(&b[i], set, &not_stored, d);
	if (not_stored.len) {
		nr_buf_addch(&not_stored, '}');
		nr__parse_note_raw(set, "not_stored", not_stored.buf);
	}
	if (*version)
		nr__parse_note_str(set, "version", version);
out:
	nr_buf_release(&loops);
	nr_buf_release(&not_stored);
	blocks_free(b, n);
	nr__parse_lines_release(&l);
	return r;
}

static int parse_qperf(const struct nr_parse_spec *spec, struct nr_slice in,
		        struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_qperf_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_qperf = {
	.name = "qperf",
	.summary = "qperf client output (plain, -v, -vv, -vu, -oo loops)",
	.needs_sources = false,
	.parse = parse_qperf,
};
