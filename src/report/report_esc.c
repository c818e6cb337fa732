/*
 * Every value goes out escaped for the format it is written in (issue 11
 * items 4 and 5). Text from outside (a role's stderr, a campaign's name, a
 * commit given on the command line) may hold anything: control characters
 * that would drive a terminal, '|' and newlines that would cut a markdown
 * table row, markup, bytes that are not UTF-8. The one escaping of control
 * characters (base/str.h, %XX as in case keys) is the ground each format
 * builds on.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "base/str.h"
#include "report/report.h"
#include "report/report_int.h"

/* Copy s[from..to) through the control-character escaping. */
static void plain(struct nr_buf *out, const char *s, size_t from, size_t to)
{
	nr_str_escape(out, s + from, to - from, NULL, 0);
}

void nr_report_xml_escape(struct nr_buf *out, const char *s)
{
	size_t i, from = 0;

	for (i = 0; s && s[i]; i++) {
		const char *ent;

		switch (s[i]) {
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '&': ent = "&amp;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&apos;"; break;
		/*
		 * As references they survive attribute-value normalization,
		 * which turns a raw newline in an attribute into a space.
		 */
		case '\n': ent = "&#10;"; break;
		case '\r': ent = "&#13;"; break;
		case '\t': ent = "&#9;"; break;
		default: continue;
		}
		plain(out, s, from, i);
		nr_buf_adds(out, ent);
		from = i + 1;
	}
	/* XML 1.0 has no place, not even as a reference, for the other C0 controls */
	if (s)
		plain(out, s, from, i);
}

void nr__report_md_text(struct nr_buf *out, const char *s)
{
	/*
	 * Everything markdown (CommonMark, GitHub's tables) gives a meaning:
	 * emphasis, code, links and images, headings and lists, HTML and
	 * entities, table cells, GitHub's $math$. A backslash makes each
	 * literal; a line break would end a table row or start a block.
	 */
	static const char special[] = "\\`*_{}[]()<>#+-!|~&$";
	size_t i, from = 0;

	for (i = 0; s && s[i]; i++) {
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
			plain(out, s, from, i);
			nr_buf_addch(out, ' ');
		} else if (strchr(special, s[i])) {
			plain(out, s, from, i);
			nr_buf_addch(out, '\\');
			nr_buf_addch(out, s[i]);
		} else {
			continue;
		}
		from = i + 1;
	}
	if (s)
		plain(out, s, from, i);
}

void nr__report_md_code(struct nr_buf *out, const char *s, bool cell)
{
	size_t i, run = 0, longest = 0, from = 0, fence;

	if (!s)
		s = "";
	for (i = 0; s[i]; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	/* a code span ends at a run of backticks as long as its fence */
	fence = longest + 1;
	for (i = 0; i < fence; i++)
		nr_buf_addch(out, '`');
	if (longest)
		nr_buf_addch(out, ' '); /* so a backtick at either end is content */
	for (i = 0; s[i]; i++) {
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
			plain(out, s, from, i);
			nr_buf_addch(out, ' ');
		} else if (s[i] == '|' && cell) {
			/* GitHub splits a table row at '|' before it reads code spans */
			plain(out, s, from, i);
			nr_buf_adds(out, "\\|");
		} else {
			continue;
		}
		from = i + 1;
	}
	plain(out, s, from, i);
	if (longest)
		nr_buf_addch(out, ' ');
	for (i = 0; i < fence; i++)
		nr_buf_addch(out, '`');
}

/* A whole number or a decimal one, as csv_num writes them ("-12", "1.5e-07"). */
static bool is_number(const char *s)
{
	double v;

	return nr_parse_double(s, &v) == 0;
}

void nr__report_csv_field(struct nr_buf *out, const char *s, bool last)
{
	if (!s)
		s = "";
	/*
	 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR
	 * before one) as a formula: such text gets a leading ', as OWASP
	 * advises against CSV injection. Numbers are numbers and stay as they are.
	 */
	if (*s && strchr("=+-@\t\r", *s) && !is_number(s)) {
		nr_buf_adds(out, "\"'");
		goto quoted;
	}
	if (strpbrk(s, ",\"\r\n")) {
		nr_buf_addch(out, '"');
		goto quoted;
	}
	nr_str_escape(out, s, strlen(s), NULL, NR_ESC_LINES);
	nr_buf_adds(out, last ? "\r\n" : ",");
	return;
quoted:
	/* RFC 4180: quotes doubled; newlines may stay inside quotes */
	for (; *s; s++) {
		const char *q = strchr(s, '"');
		size_t n = q ? (size_t)(q - s) : strlen(s);

		nr_str_escape(out, s, n, NULL, NR_ESC_LINES);
		s += n;
		if (!*s)
			break;
		nr_buf_adds(out, "\"\"");
	}
	nr_buf_addch(out, '"');
	nr_buf_adds(out, last ? "\r\n" : ",");
}

json_t *nr__report_jstr(const char *s)
{
	struct nr_buf copy = NR_BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	/* jansson refuses bytes that are not UTF-8: keep the text, escaped */
	nr_str_escape(&copy, s, strlen(s), NULL, NR_ESC_LINES);
	j = json_string(copy.buf);
	nr_buf_release(&copy);
	return j ? j : json_null();
}
