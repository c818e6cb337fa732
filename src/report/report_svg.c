/*
 * Inline SVG charts for the HTML report. Coordinates are in a fixed
 * viewBox that CSS scales to the page width, so the charts need no
 * script and no font metrics beyond a rough width per character.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/num.h"
#include "report/report.h"
#include "report/report_int.h"

#define BAR_W 640.0      /* viewBox width of a matrix chart */
#define BAR_ROW 24.0     /* height of one case's row */
#define BAR_TOP 6.0
#define VALUE_COL 92.0   /* right column with the median as text */
#define CHAR_W 7.2       /* a generous width of a character at 12px */
#define LABEL_MAX 34     /* characters of a case label before it is cut */

#define TR_W 640.0
#define TR_H 230.0
#define TR_LEFT 82.0
#define TR_RIGHT 14.0
#define TR_TOP 30.0
#define TR_BOTTOM 34.0

/* A step of 1, 2 or 5 x 10^k that divides `range` into about `target` parts. */
static double nice_step(double range, int target)
{
	double raw = range / target, p, f;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	p = pow(10, floor(log10(raw)));
	f = raw / p;
	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/* Widen [*lo, *hi] to whole ticks; returns the tick step. */
static double nice_domain(double *lo, double *hi, int target)
{
	double step;

	if (!(*hi > *lo)) {
		double pad = *lo != 0 ? fabs(*lo) * 0.1 : 1;

		*lo -= pad;
		*hi += pad;
	}
	step = nice_step(*hi - *lo, target);
	*lo = floor(*lo / step + 1e-9) * step;
	*hi = ceil(*hi / step - 1e-9) * step;
	if (!(*hi > *lo))
		*hi = *lo + step;
	return step;
}

/* Text of a label cut to `max` characters (UTF-8 aware), escaped. */
static void add_label(struct nr_buf *out, const char *s, size_t max)
{
	struct nr_buf t = NR_BUF_INIT;
	size_t chars = 0, i;

	for (i = 0; s && s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars > max)
			break;
	}
	nr_buf_add(&t, s ? s : "", i);
	if (s && s[i])
		nr_buf_adds(&t, "\xe2\x80\xa6"); /* an ellipsis */
	nr_report_xml_escape(out, t.buf);
	nr_buf_release(&t);
}

static size_t label_chars(const char *s)
{
	size_t chars = 0;

	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			chars++;
	return chars;
}

static void add_value(struct nr_buf *out, double v, const char *unit)
{
	char b[64];

	if (!isfinite(v)) {
		nr_buf_adds(out, "&#8211;"); /* no value: a dash, not "nan" */
		return;
	}
	nr_report_xml_escape(out, nr_fmt_value(b, sizeof(b), v, unit));
}

/* An axis tick: a plain 0 reads better than "0.00 bit/s". */
static void add_tick(struct nr_buf *out, double v, double step, const char *unit)
{
	if (fabs(v) < step * 1e-9)
		nr_buf_addch(out, '0');
	else
		add_value(out, v, unit);
}

void nr__report_svg_bars(struct nr_buf *out, const char *unit,
			 const struct nr__report_bar *bars, size_t n)
{
	double lo = 0, hi = 0, step, label_w = 60, x0, x1, h, base, t;
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct nr__report_bar *b = &bars[i];
		double c = CHAR_W * (double)(label_chars(b->label) < LABEL_MAX ? label_chars(b->label)
									       : LABEL_MAX + 1) + 18;

		if (c > label_w)
			label_w = c;
		if (isfinite(b->lo) && b->lo < lo)
			lo = b->lo;
		if (isfinite(b->median) && b->median < lo)
			lo = b->median;
		if (isfinite(b->hi) && b->hi > hi)
			hi = b->hi;
		if (isfinite(b->median) && b->median > hi)
			hi = b->median;
	}
	if (lo == 0 && hi == 0)
		hi = 1; /* all zero: an axis from 0, not one centred on it */
	step = nice_domain(&lo, &hi, 4);
	x0 = label_w;
	x1 = BAR_W - VALUE_COL;
	h = BAR_TOP + (double)n * BAR_ROW + 28;
#define X(v) (x0 + ((v) - lo) / (hi - lo) * (x1 - x0))
	base = X(lo < 0 && hi > 0 ? 0 : lo < 0 ? hi : lo);
	nr_buf_addf(out, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", BAR_W, h);
	/* grid and ticks first, so the bars are drawn over them */
	for (t = lo, k = 0; t <= hi + step * 1e-6 && k < 20; t += step, k++) {
		double x = X(t), y = BAR_TOP + (double)n * BAR_ROW;

		nr_buf_addf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			    x, BAR_TOP - 2, x, y + 4);
		nr_buf_addf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x,
			    y + 17);
		add_tick(out, t, step, unit);
		nr_buf_adds(out, "</text>\n");
	}
	for (i = 0; i < n; i++) {
		const struct nr__report_bar *b = &bars[i];
		double y = BAR_TOP + (double)i * BAR_ROW, cy = y + BAR_ROW / 2, xm;

		nr_buf_adds(out, "<g><title>");
		nr_report_xml_escape(out, b->title ? b->title : b->label);
		nr_buf_addf(out, ": median ");
		add_value(out, b->median, unit);
		nr_buf_adds(out, ", min ");
		add_value(out, b->lo, unit);
		nr_buf_adds(out, ", max ");
		add_value(out, b->hi, unit);
		nr_buf_addf(out, ", %zu repeats", b->n);
		if (b->verdict)
			nr_buf_addf(out, "; %s against the baseline", b->verdict);
		nr_buf_adds(out, "</title>");
		if (i % 2)
			nr_buf_addf(out, "<rect class=\"band\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\"/>",
				    y, BAR_W, BAR_ROW);
		nr_buf_addf(out, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 8,
			    cy + 4);
		add_label(out, b->label, LABEL_MAX);
		nr_buf_adds(out, "</text>");
		if (isfinite(b->median)) {
			xm = X(b->median);
			nr_buf_addf(out, "<rect class=\"bar%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\"/>",
				    !b->verdict ? "" : !strcmp(b->verdict, "regression") ? " bar-bad" : " bar-good",
				    xm < base ? xm : base, cy - 7, fabs(xm - base) < 1 ? 1 : fabs(xm - base));
		}
		if (isfinite(b->lo) && isfinite(b->hi) && b->hi > b->lo) {
			double a = X(b->lo), z = X(b->hi);

			nr_buf_addf(out, "<path class=\"whisker\" d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\"/>",
				    a, cy, z, a, cy - 5, cy + 5, z, cy - 5, cy + 5);
		}
		for (k = 0; k < b->n_dots; k++)
			if (isfinite(b->dots[k]))
				nr_buf_addf(out, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/>",
					    X(b->dots[k]), cy + (double)((int)(k % 3) - 1) * 3);
		nr_buf_addf(out, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", BAR_W - 4,
			    cy + 4);
		add_value(out, b->median, unit);
		nr_buf_adds(out, "</text></g>\n");
	}
	nr_buf_addf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", base,
		    BAR_TOP - 2, base, BAR_TOP + (double)n * BAR_ROW + 2);
#undef X
	nr_buf_adds(out, "</svg>\n");
}

void nr__report_svg_trend(struct nr_buf *out, const char *unit, const double *values,
			  size_t n, size_t first_run, size_t current,
			  const struct nr__report_mark *marks, size_t n_marks)
{
	double lo = INFINITY, hi = -INFINITY, step, t, x0 = TR_LEFT, x1 = TR_W - TR_RIGHT;
	double y0 = TR_TOP, y1 = TR_H - TR_BOTTOM;
	size_t i, k, xstep;
	bool pen = false;

	for (i = 0; i < n; i++)
		if (isfinite(values[i])) {
			if (values[i] < lo)
				lo = values[i];
			if (values[i] > hi)
				hi = values[i];
		}
	if (!isfinite(lo))
		lo = hi = 0;
	else {
		double pad = (hi - lo) * 0.08;

		lo -= pad;
		hi += pad;
	}
	step = nice_domain(&lo, &hi, 4);
#define X(i) (n > 1 ? x0 + (double)(i) / (double)(n - 1) * (x1 - x0) : (x0 + x1) / 2)
#define Y(v) (y1 - ((v) - lo) / (hi - lo) * (y1 - y0))
	nr_buf_addf(out, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", TR_W, TR_H);
	for (t = lo, k = 0; t <= hi + step * 1e-6 && k < 20; t += step, k++) {
		nr_buf_addf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			    x0, Y(t), x1, Y(t));
		nr_buf_addf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 6,
			    Y(t) + 3.5);
		add_tick(out, t, step, unit);
		nr_buf_adds(out, "</text>\n");
	}
	if (current < n)
		nr_buf_addf(out, "<rect class=\"current\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\"/>\n",
			    X(current) - 6, y0, y1 - y0);
	xstep = n > 8 ? (n + 7) / 8 : 1;
	for (i = 0; i < n; i += xstep) {
		nr_buf_addf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%zu</text>",
			    X(i), y1 + 15, first_run + i);
	}
	nr_buf_addf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">run</text>\n",
		    x1, y1 + 29);
	for (k = 0; k < n_marks; k++) {
		const struct nr__report_mark *m = &marks[k];
		double x = m->index > 0 && m->index < n ? (X(m->index - 1) + X(m->index)) / 2 : X(m->index);

		if (m->index >= n)
			continue;
		nr_buf_addf(out, "<g class=\"%s\"><line class=\"cp\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			    "<text class=\"cplbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			    m->bad ? "cp-bad" : "cp-good", x, y0 - 4, x, y1, x,
			    (k % 2) ? y0 - 17 : y0 - 7);
		add_label(out, m->label, 12);
		nr_buf_adds(out, "</text></g>\n");
	}
	nr_buf_adds(out, "<path class=\"line\" d=\"");
	for (i = 0; i < n; i++) {
		if (!isfinite(values[i]))
			continue;
		nr_buf_addf(out, "%s%.1f %.1f", pen ? "L" : "M", X(i), Y(values[i]));
		pen = true;
	}
	nr_buf_adds(out, "\"/>\n");
	for (i = 0; i < n; i++) {
		if (!isfinite(values[i]) || (n > 120 && i != current))
			continue;
		nr_buf_addf(out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"><title>run %zu: ",
			    i == current ? "pt-cur" : "pt", X(i), Y(values[i]), i == current ? "5" : "2.6",
			    first_run + i);
		add_value(out, values[i], unit);
		nr_buf_adds(out, "</title></circle>");
	}
	nr_buf_addf(out, "\n<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0, y1,
		    x1, y1);
#undef X
#undef Y
	nr_buf_adds(out, "</svg>\n");
}

#define SP_W 120.0
#define SP_H 28.0
#define SP_PAD 3.0

void nr_report_svg_sparkline(struct nr_buf *out, const char *unit, const double *values, size_t n)
{
	double lo = INFINITY, hi = -INFINITY, first = NAN, last = NAN;
	size_t i, last_i = SIZE_MAX;
	bool pen = false;

	for (i = 0; i < n; i++) {
		if (!isfinite(values[i]))
			continue;
		lo = values[i] < lo ? values[i] : lo;
		hi = values[i] > hi ? values[i] : hi;
		if (!isfinite(first))
			first = values[i];
		last = values[i];
		last_i = i;
	}
	if (!(hi > lo)) { /* flat or empty: a line through the middle */
		lo = isfinite(lo) ? lo - 1 : 0;
		hi = lo + 2;
	}
#define X(i) (n > 1 ? SP_PAD + (double)(i) / (double)(n - 1) * (SP_W - 2 * SP_PAD) : SP_W / 2)
#define Y(v) (SP_H - SP_PAD - ((v) - lo) / (hi - lo) * (SP_H - 2 * SP_PAD))
	nr_buf_addf(out, "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", SP_W,
		    SP_H);
	if (last_i == SIZE_MAX) {
		nr_buf_adds(out, "no values</title></svg>");
		return;
	}
	add_value(out, first, unit);
	nr_buf_adds(out, " &#8594; ");
	add_value(out, last, unit);
	nr_buf_addf(out, " over %zu runs</title><path class=\"line\" d=\"", n);
	for (i = 0; i < n; i++) {
		if (!isfinite(values[i]))
			continue;
		nr_buf_addf(out, "%s%.1f %.1f", pen ? "L" : "M", X(i), Y(values[i]));
		pen = true;
	}
	nr_buf_addf(out, "\"/><circle class=\"pt-cur\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/></svg>",
		    X(last_i), Y(last));
#undef X
#undef Y
}

void nr_report_svg_trend(struct nr_buf *out, const char *unit, const double *values, size_t n)
{
	nr__report_svg_trend(out, unit, values, n, 1, n ? n - 1 : SIZE_MAX, NULL, 0);
}
