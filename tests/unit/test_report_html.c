/*
 * The HTML report from hand-built records: every section present, every
 * tag closed, nothing fetched from outside, data escaped (hostile case
 * keys, errors and sysinfo strings), big runs capped with a note.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "report/report.h"
#include "report/report_int.h"
#include "test.h"

/*
 * Whether every element opened in `html` is closed in order; void
 * elements excepted, the script's text skipped. Returns NULL or what is
 * wrong (static text).
 */
static const char *unbalanced(const char *html, char *why, size_t why_size)
{
	static const char *const voids[] = { "meta", "br", "link", "img", "input", "hr", NULL };
	char stack[256][16];
	size_t depth = 0, i;
	const char *p = html;

	while ((p = strchr(p, '<'))) {
		char name[16];
		size_t n = 0;
		bool closing = false;
		const char *end;

		if (!strncmp(p, "<!", 2)) {
			p = strchr(p, '>');
			if (!p)
				return "unterminated <!";
			continue;
		}
		p++;
		if (*p == '/') {
			closing = true;
			p++;
		}
		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
			if (n + 1 < sizeof(name))
				name[n++] = *p;
			p++;
		}
		name[n] = '\0';
		if (!n) {
			snprintf(why, why_size, "a bare '<' before \"%.20s\"", p);
			return why;
		}
		end = strchr(p, '>');
		if (!end)
			return "unterminated tag";
		if (closing) {
			if (!depth || strcmp(stack[depth - 1], name)) {
				snprintf(why, why_size, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "nothing");
				return why;
			}
			depth--;
		} else if (end[-1] != '/') {
			for (i = 0; voids[i] && strcmp(voids[i], name); i++)
				;
			if (!voids[i]) {
				if (depth == 256)
					return "nested too deep";
				snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
			}
			if (!strcmp(name, "script")) {
				end = strstr(end, "</script>");
				if (!end)
					return "unterminated script";
				end--;
			}
		}
		p = end + 1;
	}
	if (depth) {
		snprintf(why, why_size, "%zu elements left open, the innermost <%s>", depth, stack[depth - 1]);
		return why;
	}
	return NULL;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

#define CHECK_BALANCED(html)                                                        \
	do {                                                                        \
		char why_[160];                                                     \
		const char *w_ = unbalanced(html, why_, sizeof(why_));              \
		if (w_)                                                             \
			nr_test_fail(__FILE__, __LINE__, "unbalanced HTML: %s", w_); \
	} while (0)

static const char hostile_key[] = "tcp/mode=<script>alert(\"k\")</script>,q='x'";
static const char hostile_error[] = "exit 1: <img src=x onerror=alert(1)> & \"quoted\"";
static const char sysinfo[] =
	"{\"schema\":1,\"hostname\":\"bench-\\\"a\\\" & <b>\","
	"\"os\":{\"pretty_name\":\"Debian GNU/Linux 12 (bookworm)\"},"
	"\"kernel\":{\"sysname\":\"Linux\",\"release\":\"6.1.0-18-amd64\",\"machine\":\"x86_64\"},"
	"\"cpu\":{\"model\":\"Xeon <script>evil()</script>\",\"sockets\":2,\"cores\":16,\"threads\":32,"
	"\"numa_nodes\":2,\"base_mhz\":2000,\"max_mhz\":3200,\"governor\":\"performance\"},"
	"\"memory\":{\"total_bytes\":68719476736},"
	"\"platform\":{\"clocksource\":\"tsc\",\"dmi_sys_vendor\":\"QEMU\",\"dmi_product_name\":\"KVM\"},"
	"\"net\":{\"sysctl\":{\"net.ipv4.tcp_congestion_control\":\"bbr\",\"net.core.rmem_max\":134217728},"
	"\"nics\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\",\"mtu\":9000,\"operstate\":\"up\","
	"\"speed_mbps\":25000,\"driver\":\"ice\",\"rx_queues\":8,\"tx_queues\":8,"
	"\"addrs\":[{\"family\":\"inet\",\"address\":\"10.0.0.5\",\"prefix_len\":24},"
	"{\"family\":\"inet6\",\"address\":\"fe80::1\",\"prefix_len\":64}]}]}}";

/* A run of 3 cases x 2 metrics x 3 repeats, 6 runs of history with a step, a baseline. */
struct fixture {
	struct nr_run_rec run;
	struct nr_case_rec cases[3];
	struct nr_sample_row samples[18];
	struct nr_result_row *results;
	size_t n_results;
	struct nr_host_rec hosts[2];
	struct nr_run_rec hruns[6];
	double values[2][6];
	struct nr_history_series series[2];
	struct nr_history history;
	struct nr_change change;
	struct nr_changes changes;
	struct nr_run_rec base;
	struct nr_series_cmp cmpv[3];
	struct nr_comparison cmp;
	struct nr_report_run r;
};

static const char *const keys[3] = { "tcp/mode=a", "tcp/mode=b", hostile_key };

static void fixture_init(struct fixture *f)
{
	int64_t t0 = 1795000000000000; /* 2026-11-19 */
	size_t i, k, j, s = 0;

	memset(f, 0, sizeof(*f));
	f->run = (struct nr_run_rec){ .campaign = "nightly <&>", .commit = "abcdef0123456789",
				      .branch = "main", .status = NR_RUN_UNKNOWN, .controller = "ctl",
				      .version = "0.1", .labels = "{}", .started_us = t0,
				      .finished_us = t0 + 754000000 };
	snprintf(f->run.id, sizeof(f->run.id), "%s", "01a2015f-0000-7000-8000-000000000006");
	for (i = 0; i < 3; i++) {
		f->cases[i] = (struct nr_case_rec){ .ordinal = (int64_t)i + 1, .test = "tcp",
						    .key = (char *)keys[i], .status = i == 2 ? NR_CASE_FAILED : NR_CASE_PASSED,
						    .repeats = 3, .repeats_done = i == 2 ? 2 : 3, .attempts = i == 2 ? 4 : 3,
						    .ping_count = 3, .ssh_check_count = 1, .started_us = t0,
						    .finished_us = t0 + 61000000,
						    .error = i == 2 ? (char *)hostile_error : NULL };
		for (k = 0; k < 2; k++)
			for (j = 0; j < 3; j++) {
				struct nr_sample_row *x = &f->samples[s++];

				x->id.test = "tcp";
				x->id.key = (char *)keys[i];
				x->id.role = "client";
				x->id.metric = k ? "latency_p99" : "throughput";
				x->id.unit = k ? "us" : "bit/s";
				x->id.better = k ? NR_BETTER_LOWER : NR_BETTER_HIGHER;
				x->repeat = (int)j;
				x->interval = -1;
				x->value = k ? 40.0 + (double)i * 10 + (double)j : 9e9 + (double)i * 1e9 + (double)j * 2e8;
			}
	}
	nr_report_aggregate(f->samples, 18, &f->results, &f->n_results);
	f->hosts[0] = (struct nr_host_rec){ .name = "local", .transport = "local", .address = "127.0.0.1",
					    .sysinfo = (char *)sysinfo };
	f->hosts[1] = (struct nr_host_rec){ .name = "peer", .transport = "ssh", .address = "10.0.0.6",
					    .sysinfo = "{not json" };
	for (i = 0; i < 6; i++) {
		snprintf(f->hruns[i].id, sizeof(f->hruns[i].id), "01a2015f-0000-7000-8000-00000000000%zu", i + 1);
		f->values[0][i] = i < 3 ? 10e9 : 8e9;
		f->values[1][i] = i == 1 ? NAN : i < 3 ? 40 : 50;
	}
	f->series[0] = (struct nr_history_series){
		.id = { .test = "tcp", .key = "tcp/mode=a", .role = "client",
			.metric = "throughput", .unit = "bit/s", .better = NR_BETTER_HIGHER },
		.values = f->values[0], .present = 6 };
	f->series[1] = (struct nr_history_series){
		.id = { .test = "tcp", .key = (char *)hostile_key, .role = "client",
			.metric = "latency_p99", .unit = "us", .better = NR_BETTER_LOWER },
		.values = f->values[1], .present = 5 };
	f->history = (struct nr_history){ .runs = f->hruns, .n_runs = 6, .s = f->series, .n = 2 };
	f->change = (struct nr_change){ .id = { .test = "tcp", .key = "tcp/mode=a",
						.role = "client", .metric = "throughput",
						.unit = "bit/s", .better = NR_BETTER_HIGHER },
					.cp = { .index = 3, .n_before = 3, .n_after = 3, .mean_before = 10e9,
						.mean_after = 8e9, .rel_change = -0.2, .magnitude = 0.25,
						.p_value = 1e-6 },
					.commit = "fedcba9876543210", .regression = true };
	memcpy(f->change.run_id, f->hruns[3].id, sizeof(f->change.run_id));
	f->changes = (struct nr_changes){ .v = &f->change, .n = 1, .series = 2, .runs = 6 };
	f->base = (struct nr_run_rec){ .commit = "0123abcd" };
	snprintf(f->base.id, sizeof(f->base.id), "%s", f->hruns[2].id);
	f->cmpv[0] = (struct nr_series_cmp){ .id = { .test = "tcp", .key = "tcp/mode=a",
						     .role = "client", .metric = "throughput",
						     .unit = "bit/s" },
					     .presence = NR_IN_BOTH,
					     .r = { .n_base = 3, .n_cand = 3, .median_base = 10e9,
						    .median_cand = 9e9, .change = -0.1, .gain = -0.1,
						    .ci_low = -0.12, .ci_high = -0.08, .p_value = 0.049,
						    .outcome = NR_OUTCOME_REGRESSION,
						    .severity = NR_SEVERITY_WARNING },
					     .context = "a change point at commit fedcba9 (-20.0 %)" };
	f->cmpv[1] = (struct nr_series_cmp){ .id = { .test = "tcp", .key = (char *)hostile_key,
						     .role = "client", .metric = "latency_p99",
						     .unit = "us" },
					     .presence = NR_IN_BOTH,
					     .r = { .n_base = 3, .n_cand = 3, .median_base = 61, .median_cand = 61.5,
						    .change = 0.008, .p_value = 0.8, .ci_low = NAN,
						    .ci_high = NAN, .outcome = NR_OUTCOME_STABLE } };
	f->cmpv[2] = (struct nr_series_cmp){ .id = { .test = "tcp", .key = "tcp/mode=old",
						     .role = "client", .metric = "throughput",
						     .unit = "bit/s" },
					     .presence = NR_ONLY_BASE };
	f->cmp = (struct nr_comparison){ .base = &f->base, .n_base = 1, .v = f->cmpv, .n = 3,
					 .counts = { 1, 1, 0, 0, 0 }, .only_base = 1 };
	f->r = (struct nr_report_run){ .run = &f->run, .cases = f->cases, .n_cases = 3,
				       .results = f->results, .n_results = f->n_results,
				       .samples = f->samples, .n_samples = 18, .hosts = f->hosts,
				       .n_hosts = 2, .history = &f->history, .changes = &f->changes,
				       .cmp = &f->cmp };
}

NR_TEST(report_html_sections_escaping_and_balance)
{
	struct fixture *f = nr_xcalloc(1, sizeof(*f));
	struct nr_buf out = NR_BUF_INIT;
	const char *h;

	fixture_init(f);
	nr_report_html(&f->r, &out);
	h = out.buf;
	CHECK(!strncmp(h, "<!DOCTYPE html>", 15));
	CHECK_BALANCED(h);
	CHECK(!strstr(h, "http://") && !strstr(h, "https://") && !strstr(h, "url("));
	CHECK(!strstr(h, " src=\"") && !strstr(h, " href=\"/") && !strstr(h, "@import"));
	/* every section, in order */
	CHECK(strstr(h, "<section id=\"summary\">") < strstr(h, "<section id=\"charts\">"));
	CHECK(strstr(h, "<section id=\"charts\">") < strstr(h, "<section id=\"trends\">"));
	CHECK(strstr(h, "<section id=\"trends\">") < strstr(h, "<section id=\"status\">"));
	CHECK(strstr(h, "<section id=\"status\">") < strstr(h, "<section id=\"hosts\">"));
	CHECK(strstr(h, "<h2>Summary</h2>"));
	/* hostile data is text, never markup: the only script is ours */
	CHECK_EQ(count(h, "<script"), 1);
	CHECK(!strstr(h, "<img"));
	CHECK(!strstr(h, "& <b>"));
	CHECK_CONTAINS(h, "mode=&lt;script&gt;alert(&quot;k&quot;)&lt;/script&gt;,q=&apos;x&apos;");
	CHECK_CONTAINS(h, "exit 1: &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;");
	CHECK_CONTAINS(h, "nightly &lt;&amp;&gt;");
	CHECK_CONTAINS(h, "Xeon &lt;script&gt;evil()&lt;/script&gt;");
	CHECK_CONTAINS(h, "bench-&quot;a&quot; &amp; &lt;b&gt;");
	/* summary: counts, status, commit, duration; the regression listed first with its numbers */
	CHECK_CONTAINS(h, "<b>2</b><span>passed</span>");
	CHECK_CONTAINS(h, "<b>1</b><span>failed</span>");
	CHECK_CONTAINS(h, "abcdef0123456789");
	CHECK_CONTAINS(h, "12m 34s");
	CHECK_CONTAINS(h, "<b>1</b><span>regressions</span>");
	CHECK(strstr(h, "b-regression") < strstr(h, "only in the baseline</td>"));
	CHECK(strstr(h, "only in the baseline</td>") < strstr(h, "<summary>1 stable series"));
	CHECK_CONTAINS(h, "10.0 Gbit/s</td>");
	CHECK_CONTAINS(h, "9.00 Gbit/s</td>");
	CHECK_CONTAINS(h, "-10.0 %");
	CHECK_CONTAINS(h, "0.049");
	CHECK_CONTAINS(h, "b-warning");
	CHECK_CONTAINS(h, "a change point at commit fedcba9");
	/* matrix charts: 2 charts of 3 bars with whiskers, unit ticks, the legend says what whiskers are */
	CHECK_EQ(count(h, "<rect class=\"bar"), 6);
	CHECK_EQ(count(h, "<rect class=\"bar bar-bad\""), 1); /* the regression, colored */
	CHECK_CONTAINS(h, "Red bars regressed against the baseline");
	CHECK_EQ(count(h, "<path class=\"whisker\""), 6);
	CHECK_EQ(count(h, "<circle class=\"dot\""), 18);
	CHECK_CONTAINS(h, "whisker: min to max");
	CHECK_CONTAINS(h, "Gbit/s</text>");
	CHECK_CONTAINS(h, ">mode=a</text>");
	/* trends: 2 series, the change point marked and labelled with its commit, this run highlighted */
	CHECK_EQ(count(h, "<path class=\"line\""), 2);
	CHECK_EQ(count(h, "<line class=\"cp\""), 1);
	CHECK_CONTAINS(h, ">fedcba9</text>");
	CHECK_EQ(count(h, "class=\"pt-cur\""), 2);
	CHECK_CONTAINS(h, "p &lt; 0.0001");
	/* status sheet: every case, colored, attempts and checks */
	CHECK_EQ(count(h, "<span class=\"badge b-failed\">failed</span>"), 1);
	CHECK_CONTAINS(h, "data-v=\"2\">2/3</td><td class=\"num\" data-v=\"4\">4</td>");
	/* hosts: the parsed sysinfo; a host whose JSON is broken says so */
	CHECK_CONTAINS(h, "2 sockets, 16 cores, 32 threads");
	CHECK_CONTAINS(h, "64.0 GiB");
	CHECK_CONTAINS(h, "Linux 6.1.0-18-amd64 x86_64");
	CHECK_CONTAINS(h, "Debian GNU/Linux 12 (bookworm)");
	CHECK_CONTAINS(h, "<code>10.0.0.5/24</code>");
	CHECK_CONTAINS(h, "<code>fe80::1/64</code>");
	CHECK_CONTAINS(h, "25.0 Gbit/s");
	CHECK_CONTAINS(h, "congestion control bbr");
	CHECK_CONTAINS(h, "not a JSON object");
	nr_buf_release(&out);
	free(f->results);
	free(f);
}

NR_TEST(report_html_without_history_or_baseline)
{
	struct nr_run_rec run = { .campaign = "c", .status = NR_RUN_RUNNING };
	struct nr_host_rec host = { .name = "local", .transport = "local" };
	struct nr_report_run r = { .run = &run, .hosts = &host, .n_hosts = 1 };
	struct nr_buf out = NR_BUF_INIT;

	nr_report_html(&r, &out);
	CHECK_BALANCED(out.buf);
	CHECK_CONTAINS(out.buf, "<h2>Summary</h2>");
	CHECK_CONTAINS(out.buf, "No results");
	CHECK_CONTAINS(out.buf, "No history to draw");
	CHECK_CONTAINS(out.buf, "The run has no cases");
	CHECK_CONTAINS(out.buf, "No system information was collected");
	CHECK(!strstr(out.buf, "Against the baseline"));
	nr_buf_release(&out);
}

/*
 * A big run: 6,000 cases x 80 metrics would be 480,000 result rows; here
 * 6,000 cases x 2 metrics x 5 repeats in charts of 40 bars, plus 70 more
 * metrics of one case each, and a history of 300 runs of 500 series. The
 * page is capped, says what it left out, stays balanced, and is quick.
 */
NR_TEST_T(report_html_big_run_is_capped, 120)
{
	enum { N_CASES = 6000, N_REP = 5, N_EXTRA = 70, N_RUNS = 300, N_SERIES = 500 };
	struct nr_run_rec run = { .campaign = "big", .status = NR_RUN_UNKNOWN };
	struct nr_case_rec *cases = nr_xcalloc(N_CASES, sizeof(*cases));
	struct nr_sample_row *samples = nr_xcalloc(N_CASES * 2 * N_REP + N_EXTRA, sizeof(*samples));
	struct nr_result_row *results;
	struct nr_run_rec *runs = nr_xcalloc(N_RUNS, sizeof(*runs));
	struct nr_history_series *series = nr_xcalloc(N_SERIES, sizeof(*series));
	double *values = nr_xcalloc((size_t)N_RUNS * N_SERIES, sizeof(*values));
	char (*keys_)[32] = nr_xcalloc(N_CASES, sizeof(*keys_));
	char (*metrics)[16] = nr_xcalloc(N_EXTRA, sizeof(*metrics));
	struct nr_history hist = { .runs = runs, .n_runs = N_RUNS, .s = series, .n = N_SERIES };
	struct nr_report_run r = { .run = &run, .history = &hist };
	struct nr_buf out = NR_BUF_INIT;
	size_t n_samples = 0, n_results, i, k, j;
	int64_t t0;

	snprintf(run.id, sizeof(run.id), "%s", "run-last");
	for (i = 0; i < N_CASES; i++) {
		snprintf(keys_[i], sizeof(keys_[i]), "t/n=%zu", i);
		cases[i] = (struct nr_case_rec){ .ordinal = (int64_t)i + 1, .test = "t", .key = keys_[i],
						 .status = NR_CASE_PASSED, .repeats = N_REP, .repeats_done = N_REP };
		for (k = 0; k < 2; k++)
			for (j = 0; j < N_REP; j++)
				samples[n_samples++] = (struct nr_sample_row){
					.id = { .test = "t", .key = keys_[i], .role = "main",
						.metric = k ? "b" : "a", .unit = "us" },
					.interval = -1, .value = (double)(i % 97 + j) };
	}
	for (i = 0; i < N_EXTRA; i++) {
		snprintf(metrics[i], sizeof(metrics[i]), "m%zu", i);
		samples[n_samples++] = (struct nr_sample_row){
			.id = { .test = "u", .key = "u/x=1", .role = "main", .metric = metrics[i],
				.unit = "" },
			.interval = -1, .value = (double)i };
	}
	for (i = 0; i < N_RUNS; i++)
		snprintf(runs[i].id, sizeof(runs[i].id), "run-%zu", i);
	snprintf(runs[N_RUNS - 1].id, sizeof(runs[0].id), "%s", "run-last");
	for (k = 0; k < N_SERIES; k++) {
		series[k] = (struct nr_history_series){
			.id = { .test = "t", .key = keys_[k], .role = "main", .metric = "a",
				.unit = "us" },
			.values = values + k * N_RUNS, .present = N_RUNS };
		for (i = 0; i < N_RUNS; i++)
			values[k * N_RUNS + i] = (double)(i % 7);
	}
	nr_report_aggregate(samples, n_samples, &results, &n_results);
	CHECK_EQ(n_results, N_CASES * 2 + N_EXTRA);
	r.cases = cases;
	r.n_cases = N_CASES;
	r.samples = samples;
	r.n_samples = n_samples;
	r.results = results;
	r.n_results = n_results;
	t0 = nr_mono_us();
	nr_report_html(&r, &out);
	t0 = nr_mono_us() - t0;
	CHECK_BALANCED(out.buf);
	CHECK_EQ(count(out.buf, "<figure>"), 60 + 24);
	CHECK_EQ(count(out.buf, "<rect class=\"bar\""), 2 * 40 + 58);
	CHECK_CONTAINS(out.buf, "Showing the first 40 of 6000 cases.");
	CHECK_CONTAINS(out.buf, "Only the first 60 charts are drawn; 12 result rows");
	CHECK_CONTAINS(out.buf, "476 more series are left out");
	CHECK_CONTAINS(out.buf, "x: runs 101 to 300 of 300");
	CHECK_CONTAINS(out.buf, "The first 5000 of 6000 cases are listed");
	CHECK_INT(out.len, <, 8 << 20);
	CHECK_INT(t0, <, 3000000); /* 0.12 to 0.23 s on the 2-core box; slack for sanitizers */
	nr_buf_release(&out);
	free(results);
	free(metrics);
	free(keys_);
	free(values);
	free(series);
	free(runs);
	free(samples);
	free(cases);
}

/* Charts of awkward numbers never put "nan" or "inf" into coordinates. */
NR_TEST(report_html_svg_edge_values)
{
	struct nr__report_bar bars[3] = {
		{ .label = "neg", .median = -5, .lo = -7, .hi = -3, .n = 3 },
		{ .label = "zero", .median = 0, .lo = 0, .hi = 0, .n = 1 },
		{ .label = "a very long parameter list, x=1,y=2,z=3,w=4", .median = NAN, .lo = NAN,
		  .hi = NAN, .n = 0 },
	};
	struct nr__report_bar zeros[1] = { { .label = "z", .n = 2 } };
	double trend[5] = { NAN, 3, NAN, 3, INFINITY };
	double one[1] = { 7 };
	struct nr__report_mark mark = { .index = 1, .label = "<c>", .bad = true };
	struct nr__report_mark past_end = { .index = 9, .label = "x" };
	struct nr_buf out = NR_BUF_INIT;

	nr__report_svg_bars(&out, "us", bars, 3);
	nr__report_svg_bars(&out, "bit/s", zeros, 1);
	nr__report_svg_bars(&out, "", NULL, 0);
	nr__report_svg_trend(&out, "us", trend, 5, 1, 3, &mark, 1);
	nr__report_svg_trend(&out, "", one, 1, 4, 0, &past_end, 1);
	nr__report_svg_trend(&out, "", trend, 0, 1, SIZE_MAX, NULL, 0);
	CHECK_BALANCED(out.buf);
	CHECK(!strstr(out.buf, "nan") && !strstr(out.buf, "inf"));
	CHECK_CONTAINS(out.buf, ">-5.00 us</text>");
	CHECK_CONTAINS(out.buf, ">0</text>");
	CHECK_CONTAINS(out.buf, "&lt;c&gt;");
	CHECK_CONTAINS(out.buf, "\xe2\x80\xa6</text>"); /* the long label is cut */
	CHECK_EQ(count(out.buf, "<line class=\"cp\""), 1);
	CHECK_EQ(count(out.buf, "<rect class=\"bar\""), 3);
	nr_buf_release(&out);
}

/*
 * Issue 11 item 19: "CPU AMD EPYC, (AuthenticAMD)" (the joining doubled a
 * separator), and a 53.6 ms case shown as "0s".
 */
NR_TEST(report_html_host_lines_join_and_durations_read)
{
	struct nr_run_rec run = { .campaign = "c", .status = NR_RUN_PASSED, .started_us = 1795000000000000,
				  .finished_us = 1795000000053600 };
	struct nr_case_rec c = { .ordinal = 1, .test = "t", .key = "t", .status = NR_CASE_PASSED, .repeats = 1,
				 .repeats_done = 1, .attempts = 1, .started_us = 1795000000000000,
				 .finished_us = 1795000000053600 };
	struct nr_host_rec hosts[3] = {
		{ .name = "both", .transport = "local",
		  .sysinfo = "{\"cpu\": {\"model\": \"AMD EPYC\", \"vendor\": \"AuthenticAMD\"},"
			     " \"kernel\": {\"release\": \"6.1\", \"machine\": \"x86_64\"}}" },
		{ .name = "vendor", .transport = "local",
		  .sysinfo = "{\"cpu\": {\"model\": \"\", \"vendor\": \"GenuineIntel\"},"
			     " \"memory\": {\"hugepages_total\": 4}}" },
		{ .name = "model", .transport = "local", .sysinfo = "{\"cpu\": {\"model\": \"Xeon\"}}" },
	};
	struct nr_report_run r = { .run = &run, .cases = &c, .n_cases = 1, .hosts = hosts, .n_hosts = 3 };
	struct nr_buf out = NR_BUF_INIT;

	nr_report_html(&r, &out);
	CHECK_BALANCED(out.buf);
	CHECK_CONTAINS(out.buf, "<dt>CPU</dt><dd>AMD EPYC (AuthenticAMD)</dd>");
	CHECK_CONTAINS(out.buf, "<dt>CPU</dt><dd>(GenuineIntel)</dd>");
	CHECK_CONTAINS(out.buf, "<dt>CPU</dt><dd>Xeon</dd>");
	CHECK_CONTAINS(out.buf, "<dt>kernel</dt><dd>6.1 x86_64</dd>");
	CHECK_CONTAINS(out.buf, "<dt>memory</dt><dd>huge pages 4</dd>");
	CHECK(!strstr(out.buf, ", (") && !strstr(out.buf, "<dd> ") && !strstr(out.buf, "<dd>,"));
	/* the run's and the case's 53.6 ms */
	CHECK_CONTAINS(out.buf, "<dt>duration</dt><dd>53.6 ms</dd>");
	CHECK_CONTAINS(out.buf, "data-v=\"53600\">53.6 ms</td>");
	CHECK(!strstr(out.buf, ">0s<"));
	nr_buf_release(&out);
}
