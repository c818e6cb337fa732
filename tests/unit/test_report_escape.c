/*
 * Issue 11 items 4 and 5: one set of hostile strings through every report
 * format and every place a value from outside lands (campaign name, test,
 * case key, metric, role, error, reason, commit, branch, labels, hosts,
 * comparison context, hardware class). Each format must stay what it is:
 * no control character reaches a terminal, markdown rows keep their cells
 * and gain no heading or link, XML stays well-formed, CSV rows keep their
 * fields, JSON parses and keeps the text, HTML holds no markup of ours but ours.
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "report/report.h"
#include "test.h"

/* Markdown, HTML and XML syntax, terminal escapes, C1 CSI, quotes, a tab, a CR, newlines. */
#define HOSTILE                                                                        \
	"a|b|c `t` ``d`` \n# HEADING\n[click](http://evil.example) ![i](http://evil.example/i.png) " \
	"<script>alert(1)</script> ]]> <!-- c --> \"q\" 'a' & &amp; \r"                  \
	"\033]0;TITLE\007\033[2J\033[31mfake all passed\033[0m \xc2\x9b" "1m \t*em* _u_ ~~s~~ $x$ \\ end"

static const char hostile[] = HOSTILE;
/* a cell a spreadsheet would run, then the rest; and a stderr tail that is not UTF-8 */
static const char hostile_error[] = "=cmd|' /C calc'!A0 " HOSTILE " \xff\xfe broken";
static const char hostile_key[] = "t|x/v=a|b`c`<script>x</script>[l](http://evil.example)";

struct fixture {
	struct nr_run_rec run;
	struct nr_case_rec cases[2];
	struct nr_sample_row samples[4];
	struct nr_result_row *results;
	size_t n_results;
	struct nr_host_rec host;
	struct nr_run_rec base;
	struct nr_series_cmp cmpv[2];
	struct nr_comparison cmp;
	struct nr_change change;
	struct nr_changes changes;
	struct nr_report_run r;
	char *long_reason;
};

static void fixture_init(struct fixture *f)
{
	struct nr_buf reason = NR_BUF_INIT;
	struct nr_series id = { .test = "t|x", .key = (char *)hostile_key, .role = "r|`x`",
				.metric = "m|<b>", .unit = "us", .better = NR_BETTER_LOWER };
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 200; i++)
		nr_buf_adds(&reason, hostile); /* very long: about 30 KB */
	f->long_reason = nr_buf_detach(&reason, NULL);
	f->run = (struct nr_run_rec){ .campaign = (char *)hostile, .commit = (char *)"c0|`\n# x\033[2J",
				      .branch = (char *)hostile, .status = NR_RUN_FAILED,
				      .reason = f->long_reason, .labels = "{\"k|\\u001b\": \"v\\n# h\"}",
				      .controller = (char *)hostile, .version = "0.1",
				      .started_us = 1795000000000000, .finished_us = 1795000000053600,
				      .n_cases = 2, .n_failed = 1, .n_passed = 1 };
	snprintf(f->run.id, sizeof(f->run.id), "%s", "01a2015f-0000-7000-8000-000000000006");
	snprintf(f->run.short_id, sizeof(f->run.short_id), "%s", "01a2015f-0000-7000-8000-000000000006");
	for (i = 0; i < 2; i++)
		f->cases[i] = (struct nr_case_rec){
			.ordinal = (int64_t)i + 1, .test = "t|x", .key = (char *)hostile_key,
			.params = "{\"v\": \"a|b\\n# h\\u001b[2J\"}", .status = i ? NR_CASE_FAILED : NR_CASE_PASSED,
			.repeats = 2, .repeats_done = 2 - (int)i, .attempts = 2 + (int)i,
			.started_us = 1795000000000000, .finished_us = 1795000000053600,
			.hosts = "{\"r|x\": \"local\"}", .error = i ? (char *)hostile_error : NULL };
	for (i = 0; i < 4; i++) {
		f->samples[i].id = id;
		f->samples[i].repeat = (int)i;
		f->samples[i].interval = -1;
		f->samples[i].value = 10 + (double)i;
	}
	nr_report_aggregate(f->samples, 4, &f->results, &f->n_results);
	f->host = (struct nr_host_rec){ .name = (char *)hostile, .transport = "ssh",
					.address = (char *)hostile,
					.sysinfo = "{\"hostname\": \"h|\\u001b[2J\\n# x\", \"cpu\": {\"model\": \"<script>\"}}" };
	f->base = (struct nr_run_rec){ .commit = (char *)hostile };
	snprintf(f->base.id, sizeof(f->base.id), "%s", "01a2015f-0000-7000-8000-000000000005");
	snprintf(f->base.short_id, sizeof(f->base.short_id), "%s", "01a2015f-0000-7000-8000-000000000005");
	f->cmpv[0] = (struct nr_series_cmp){ .id = id, .presence = NR_IN_BOTH,
					     .r = { .n_base = 3, .n_cand = 3, .median_base = 10,
						    .median_cand = 13, .change = 0.3, .p_value = 0.01, .p_adjusted = 0.02, .tested = true,
						    .noise = 0.05, .detectable = 0.2, .repeats_needed = 9,
						    .ci_low = 0.2, .ci_high = 0.4,
						    .outcome = NR_OUTCOME_REGRESSION,
						    .severity = NR_SEVERITY_CRITICAL },
					     .context = (char *)hostile };
	f->cmpv[1] = (struct nr_series_cmp){ .id = id, .presence = NR_ONLY_BASE, .context = (char *)hostile };
	f->cmp = (struct nr_comparison){ .cand = f->run, .base = &f->base, .n_base = 1, .v = f->cmpv,
					 .n = 2, .counts = { 1, 0, 0, 0, 0 }, .only_base = 1,
					 .cand_class = (char *)hostile, .base_class = (char *)hostile,
					 .class_differs = true, .cand_failed_cases = 1 };
	f->change = (struct nr_change){ .id = id, .cp = { .index = 3, .mean_before = 10, .mean_after = 13,
							  .rel_change = 0.3, .p_value = 1e-6 },
					.commit = (char *)hostile, .regression = true };
	f->changes = (struct nr_changes){ .v = &f->change, .n = 1, .series = 1, .runs = 6 };
	f->r = (struct nr_report_run){ .run = &f->run, .cases = f->cases, .n_cases = 2,
				       .results = f->results, .n_results = f->n_results,
				       .samples = f->samples, .n_samples = 4, .hosts = &f->host,
				       .n_hosts = 1, .changes = &f->changes, .cmp = &f->cmp };
}

static void fixture_release(struct fixture *f)
{
	free(f->results);
	free(f->long_reason);
}

/* No byte a terminal acts on: C0 but newline, DEL, C1 (as UTF-8 or alone). */
static void check_terminal_safe(const char *what, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) ||
		    (*p >= 0x80 && *p < 0xa0 && (p == (const unsigned char *)s || p[-1] < 0xc0)))
			nr_test_fail(__FILE__, __LINE__, "%s: byte 0x%02x at %zu: \"%.60s\"", what, *p,
				     (size_t)(p - (const unsigned char *)s), (const char *)p);
}

/* '|' not written as "\|": the cell separators of a markdown table row. */
static size_t md_pipes(const char *line, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
	return n;
}

/*
 * Every table keeps one cell count from its header to its last row; no line
 * starts a heading but ours; no link, image, HTML or math is left unescaped.
 */
static void check_markdown(const char *what, const char *md)
{
	const char *line = md, *p;
	size_t want = 0;

	check_terminal_safe(what, md);
	while (*line) {
		size_t len = strcspn(line, "\n");

		if (*line == '|') {
			size_t n = md_pipes(line, len);

			if (!want)
				want = n;
			if (n != want)
				nr_test_fail(__FILE__, __LINE__, "%s: a row with %zu '|', its table %zu: \"%.*s\"",
					     what, n, want, (int)(len > 200 ? 200 : len), line);
		} else {
			want = 0;
		}
		if (*line == '#' && strncmp(line, "## netrig", 9) && strncmp(line, "### ", 4) &&
		    strncmp(line, "#### ", 5))
			nr_test_fail(__FILE__, __LINE__, "%s: a heading that is not ours: \"%.*s\"", what,
				     (int)len, line);
		line += len + (line[len] == '\n');
	}
	/* outside code spans, '[', '<' and '$' are literal text (escaped), but for our tags */
	for (p = md; *p; p++) {
		size_t n;

		if (*p == '`' && (p == md || p[-1] != '\\')) {
			const char *q = p + (n = strspn(p, "`"));

			/* the span ends at the next run of exactly n backticks */
			while ((q = strchr(q, '`')) && strspn(q, "`") != n)
				q += strspn(q, "`");
			if (q) {
				if (memchr(p, '\n', (size_t)(q - p)))
					nr_test_fail(__FILE__, __LINE__, "%s: a code span over lines", what);
				p = q + n - 1;
				continue;
			}
			p += n - 1;
			continue;
		}
		if (!strchr("[<$", *p) || (p > md && p[-1] == '\\'))
			continue;
		if (!strncmp(p, "<details>", 9) || !strncmp(p, "<summary>", 9) ||
		    !strncmp(p, "</details>", 10) || !strncmp(p, "</summary>", 10))
			continue;
		nr_test_fail(__FILE__, __LINE__, "%s: unescaped '%c' outside code: \"%.40s\"", what, *p, p);
	}
}

/*
 * Well-formed enough for XML 1.0: tags balanced, attribute values quoted
 * without '<' or a raw line break, '&' only in references, no control
 * character but newline between elements. (tests/e2e/t720 parses the real
 * output with Python's XML parser.)
 */
static void check_xml(const char *what, const char *x)
{
	char stack[32][64];
	size_t depth = 0;
	const char *p = x;

	check_terminal_safe(what, x);
	if (strncmp(p, "<?xml ", 6))
		nr_test_fail(__FILE__, __LINE__, "%s: no XML declaration", what);
	p = strstr(p, "?>") + 2;
	while (*p) {
		if (*p == '&') {
			size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz#0123456789");

			if (p[1 + n] != ';' || !n)
				nr_test_fail(__FILE__, __LINE__, "%s: a bare '&': \"%.30s\"", what, p);
			p += n + 2;
		} else if (*p == '>' && p[-1] == ']' && p[-2] == ']') {
			nr_test_fail(__FILE__, __LINE__, "%s: ']]>' in text", what);
		} else if (*p != '<') {
			p++;
		} else if (p[1] == '/') {
			size_t n = strcspn(p + 2, ">");

			if (!depth || strlen(stack[depth - 1]) != n || strncmp(stack[depth - 1], p + 2, n))
				nr_test_fail(__FILE__, __LINE__, "%s: </%.*s> closes <%s>", what, (int)n, p + 2,
					     depth ? stack[depth - 1] : "nothing");
			depth--;
			p += n + 3;
		} else {
			size_t n = strcspn(p + 1, " />");
			bool empty;

			if (!n || depth == 32)
				nr_test_fail(__FILE__, __LINE__, "%s: a bad tag at \"%.30s\"", what, p);
			snprintf(stack[depth], sizeof(stack[0]), "%.*s", (int)n, p + 1);
			p += n + 1;
			for (;;) { /* attributes */
				while (*p == ' ')
					p++;
				if (*p == '>' || (p[0] == '/' && p[1] == '>'))
					break;
				p += strcspn(p, "=");
				if (p[0] != '=' || p[1] != '"')
					nr_test_fail(__FILE__, __LINE__, "%s: an unquoted attribute in <%s>", what,
						     stack[depth]);
				p += 2;
				while (*p != '"') {
					if (!*p || *p == '<' || *p == '\n' || *p == '\r' || *p == '\t')
						nr_test_fail(__FILE__, __LINE__, "%s: 0x%02x in an attribute of <%s>",
							     what, (unsigned char)*p, stack[depth]);
					if (*p == '&' && !strchr(p, ';'))
						nr_test_fail(__FILE__, __LINE__, "%s: a bare '&' in <%s>", what, stack[depth]);
					p++;
				}
				p++;
			}
			empty = *p == '/';
			p += empty ? 2 : 1;
			depth += !empty;
		}
	}
	if (depth)
		nr_test_fail(__FILE__, __LINE__, "%s: <%s> is not closed", what, stack[depth - 1]);
}

/* RFC 4180 rows of a CSV section: each holds `fields` fields; returns the rows. */
static size_t check_csv(const char *what, const char *csv, size_t fields)
{
	const char *p = csv;
	size_t rows = 0;

	while (*p && !(p[0] == '\r' && p[1] == '\n')) { /* a blank line ends the section */
		size_t n = 0;

		for (;;) {
			if (*p == '"') {
				for (p++; *p && !(p[0] == '"' && p[1] != '"'); p += p[0] == '"' ? 2 : 1)
					;
				if (*p != '"')
					nr_test_fail(__FILE__, __LINE__, "%s: an unterminated quote", what);
				p++;
			} else {
				p += strcspn(p, ",\r\n\"");
				if (*p == '"')
					nr_test_fail(__FILE__, __LINE__, "%s: a quote inside a field", what);
			}
			n++;
			if (*p != ',')
				break;
			p++;
		}
		if (p[0] != '\r' || p[1] != '\n')
			nr_test_fail(__FILE__, __LINE__, "%s: row %zu ends with 0x%02x, not CRLF", what, rows + 1,
				     (unsigned char)*p);
		p += 2;
		if (n != fields)
			nr_test_fail(__FILE__, __LINE__, "%s: row %zu has %zu fields, not %zu", what, rows + 1, n,
				     fields);
		rows++;
	}
	return rows;
}

/* check_terminal_safe, with CSV's CRLF and the tabs a field may hold */
static void check_csv_bytes(const char *what, const char *csv)
{
	struct nr_buf b = NR_BUF_INIT;
	const char *p;

	for (p = csv; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n') && *p != '\t')
			nr_buf_addch(&b, *p);
	check_terminal_safe(what, b.buf);
	nr_buf_release(&b);
}

NR_TEST(report_hostile_text_in_every_format)
{
	struct fixture *f = nr_xcalloc(1, sizeof(*f));
	struct nr_buf out = NR_BUF_INIT;
	json_t *j;
	const char *s, *p;

	fixture_init(f);

	/* terminal text: the run line, the sheet, results, comparison, change points */
	nr_report_run(&f->r, NR_REPORT_TEXT, &out);
	check_terminal_safe("report text", out.buf);
	CHECK_CONTAINS(out.buf, "%1B]0;TITLE%07%1B[2J%1B[31mfake all passed");
	CHECK(!strstr(out.buf, "\n# HEADING"));
	nr_buf_reset(&out);
	nr_report_status(&f->run, f->cases, 2, NR_REPORT_TEXT, &out);
	check_terminal_safe("status text", out.buf);
	for (s = out.buf, p = out.buf; (p = strchr(p, '\n')); p++)
		s++;
	CHECK_EQ(s - out.buf, 3); /* the header and one line per case */
	nr_buf_reset(&out);
	nr_report_run_line(&f->run, &out);
	check_terminal_safe("run line", out.buf);
	CHECK_EQ(strchr(out.buf, '\n') - out.buf, (long long)out.len - 1);
	nr_buf_reset(&out);
	nr_report_comparison(&f->cmp, NR_REPORT_TEXT, &out);
	check_terminal_safe("compare text", out.buf);
	nr_buf_reset(&out);
	nr_report_changes(&f->changes, NR_REPORT_TEXT, &out);
	check_terminal_safe("changes text", out.buf);

	/* markdown: the run's report holds the comparison and the change points */
	nr_buf_reset(&out);
	nr_report_run(&f->r, NR_REPORT_MD, &out);
	check_markdown("report md", out.buf);
	CHECK_CONTAINS(out.buf, "## netrig: a\\|b\\|c \\`t\\` \\`\\`d\\`\\`  \\# HEADING \\[click\\]\\(http://evil.example\\)");
	CHECK_CONTAINS(out.buf, "\\<script\\>alert\\(1\\)\\</script\\>");
	CHECK_CONTAINS(out.buf, "| `` t\\|x/v=a\\|b`c`<script>x</script>[l](http://evil.example) `` |");
	nr_buf_reset(&out);
	nr_report_comparison(&f->cmp, NR_REPORT_MD, &out);
	check_markdown("compare md", out.buf);
	nr_buf_reset(&out);
	nr_report_changes(&f->changes, NR_REPORT_MD, &out);
	check_markdown("changes md", out.buf);

	/* JUnit XML */
	nr_buf_reset(&out);
	nr_report_run(&f->r, NR_REPORT_JUNIT, &out);
	check_xml("report junit", out.buf);
	CHECK_CONTAINS(out.buf, "message=\"=cmd|&apos; /C calc&apos;!A0 a|b|c `t` ``d`` &#10;# HEADING&#10;");
	CHECK_CONTAINS(out.buf, "]]&gt;");
	nr_buf_reset(&out);
	nr_report_comparison(&f->cmp, NR_REPORT_JUNIT, &out);
	check_xml("compare junit", out.buf);

	/* CSV: the sheet (14 fields), the results (13), the samples (9) */
	nr_buf_reset(&out);
	nr_report_run(&f->r, NR_REPORT_CSV, &out);
	check_csv_bytes("report csv", out.buf);
	s = out.buf;
	CHECK_EQ(check_csv("status csv", s, 14), 3);
	s = strstr(s, "\r\n\r\n") + 4;
	CHECK_EQ(check_csv("results csv", s, 13), 2);
	s = strstr(s, "\r\n\r\n") + 4;
	CHECK_EQ(check_csv("samples csv", s, 9), 5);
	CHECK_CONTAINS(out.buf, ",\"'=cmd|' /C calc'!A0 a|b|c"); /* no formula */
	CHECK_CONTAINS(out.buf, ",10,"); /* numbers stay numbers */

	/* JSON parses and keeps the text; bytes that are not UTF-8 are kept escaped */
	nr_buf_reset(&out);
	nr_report_run(&f->r, NR_REPORT_JSON, &out);
	j = json_loads(out.buf, 0, NULL);
	CHECK(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "campaign")), hostile);
	CHECK_STR(json_string_value(json_object_get(j, "branch")), hostile);
	CHECK_CONTAINS(json_string_value(json_object_get(json_array_get(json_object_get(j, "cases"), 1), "error")),
		       "fake all passed%1B[0m %C2%9B1m \t*em* _u_ ~~s~~ $x$ \\ end %FF%FE broken");
	json_decref(j);
	nr_buf_reset(&out);
	nr_report_status(&f->run, f->cases, 2, NR_REPORT_JSON, &out);
	j = json_loads(out.buf, 0, NULL);
	CHECK(j != NULL && json_is_string(json_object_get(json_array_get(json_object_get(j, "cases"), 1), "error")));
	json_decref(j);
	nr_buf_reset(&out);
	nr_report_comparison(&f->cmp, NR_REPORT_JSON, &out);
	j = json_loads(out.buf, 0, NULL);
	CHECK(j != NULL);
	json_decref(j);

	/* HTML: only our own script; no comment, image or link of theirs */
	nr_buf_reset(&out);
	nr_report_html(&f->r, &out);
	check_terminal_safe("html", out.buf);
	CHECK(strstr(out.buf, "<script") == strstr(out.buf, "<script>\ndocument."));
	CHECK(strstr(strstr(out.buf, "<script") + 1, "<script") == NULL);
	CHECK(!strstr(out.buf, "<!-- c"));
	CHECK(!strstr(out.buf, "<img") && !strstr(out.buf, "href=\"http"));
	CHECK_CONTAINS(out.buf, "a|b|c `t` ``d`` &#10;# HEADING&#10;[click](http://evil.example)");

	nr_buf_release(&out);
	fixture_release(f);
	free(f);
}
