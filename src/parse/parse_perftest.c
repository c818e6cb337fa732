/*
 * `parse: perftest`: RTI Perftest output, publisher (latency) or
 * subscriber (throughput) side, in its three formats:
 * - CSV (the default since 3.1): titled blocks "Intervals One-Way Latency
 *   for N Bytes:", "One-way Latency Summary:", "Interval Throughput for N
 *   Bytes:", "Throughput Summary:", each a column header then rows;
 * - JSON (-outputFormat json): {"perftest": [{"length", "intervals",
 *   "summary"}, ...]};
 * - legacy (before 3.1, and -outputFormat legacy): "Length: N Latency:
 *   Ave X us ...", "Packets: N Packets/s: N ...".
 *
 * What real files do (samples/rtiperftest): latency units us, μs or ns;
 * "Length (Bytes)" or "Sample Size (Bytes)"; "Ave" or "Avg"; a std so wide
 * it touches the comma; stderr status and licence lines in between; a head
 * cut mid-row (rows before any header are read by their column count, a
 * partial row is skipped and counted); the subscriber printing all-zero
 * intervals after the publishers stopped (dropped from the series and
 * counted in the notes); "No samples have been received" (a failure).
 *
 * Columns are read by their header's names, so optional ones (CPU,
 * serialization) and reordering do no harm. With several data lengths
 * (-scan), every metric is qualified by its length: "b1024_throughput_bps".
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

enum kind { K_NONE, K_LAT_INT, K_LAT_SUM, K_TP_INT, K_TP_SUM };

/* A sample waiting until all lengths are known (see qualify). */
struct item {
	char metric[64];
	char unit[16];
	double value;
	int64_t interval;
	long length;
	size_t lineno;
};

#define MAX_COLS 32

struct ctx {
	struct nr_sample_set *set;
	struct nr_diag *d;
	size_t lineno;
	struct item *v;
	size_t n, cap;
	/* the current CSV block */
	enum kind kind;
	long length;     /* data length of the block, -1: unknown */
	long title_len;  /* the length the block's title (or, for a summary, the
			  * interval section's title) announces; -1: none */
	size_t title_line;
	int ncols;       /* 0: no column header yet */
	char cols[MAX_COLS][48];
	char units[MAX_COLS][16];
	int64_t row;     /* interval index within the block */
	/* the last interval block, so that a repeated title continues it */
	enum kind last_kind;
	long last_length;
	int64_t last_row;
	long last_title_len; /* title_len of the last interval block */
	size_t last_title_line;
	size_t block_start; /* first item of the current interval block */
	size_t last_live;   /* items of the block up to the last non-zero row */
	int64_t zero_rows;  /* all-zero rows since the last live one */
	int64_t zero_dropped;
	size_t partial;     /* rows skipped at a cut head */
	/* legacy */
	int64_t legacy_lat_row, legacy_tp_row;
	bool legacy, csv;
	bool headless;              /* rows read by their count, no titles */
	struct nr_buf cols_skipped; /* JSON strings: columns not stored */
	struct nr_buf json_skipped; /* JSON keys read but not stored */
	long lengths[64];
	size_t nlengths;
};

/* A data length perftest can send (its -dataLen stops far below 2^31). */
static bool length_ok(double v)
{
	return v >= 0 && v <= 2147483648.0;
}

static int expected(struct ctx *c, const char *what)
{
	return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %s", c->lineno, what);
}

static void seen_length(struct ctx *c, long len)
{
	size_t i;

	if (len < 0)
		return;
	for (i = 0; i < c->nlengths; i++)
		if (c->lengths[i] == len)
			return;
	if (c->nlengths < NR_ARRAY_SIZE(c->lengths))
		c->lengths[c->nlengths++] = len;
}

static void push(struct ctx *c, const char *metric, double v, const char *unit,
		 int64_t interval)
{
	struct item *it;

	NR_GROW(c->v, c->n + 1, c->cap);
	it = &c->v[c->n++];
	snprintf(it->metric, sizeof(it->metric), "%s", metric);
	snprintf(it->unit, sizeof(it->unit), "%s", unit);
	it->value = v;
	it->interval = interval;
	it->length = c->length;
	it->lineno = c->lineno;
	seen_length(c, c->length);
}

/* End an interval block: trailing all-zero throughput rows are not data. */
static void end_block(struct ctx *c)
{
	if (c->kind == K_TP_INT && c->zero_rows > 0) {
		c->n = c->last_live;
		c->zero_dropped += c->zero_rows;
		c->row -= c->zero_rows;
	}
	if (c->kind == K_LAT_INT || c->kind == K_TP_INT) {
		c->last_kind = c->kind;
		c->last_length = c->length;
		c->last_row = c->row;
		c->last_title_len = c->title_len;
		c->last_title_line = c->title_line;
	}
	c->kind = K_NONE;
	c->ncols = 0;
	c->zero_rows = 0;
}

static void start_block(struct ctx *c, enum kind k, long length)
{
	bool summary = k == K_LAT_SUM || k == K_TP_SUM;

	end_block(c);
	c->kind = k;
	c->length = length;
	/* a summary answers for the interval section before it */
	c->title_len = summary ? c->last_title_len : length;
	c->title_line = summary ? c->last_title_line : c->lineno;
	/* a title printed again (files show repeated headers) continues the
	 * series instead of starting it over at interval 0 */
	c->row = k == c->last_kind && length == c->last_length ? c->last_row : 0;
	c->block_start = c->last_live = c->n;
}

/* ---- CSV ------------------------------------------------------------ */

/* "Latency (μs)" -> name "Latency", unit "μs" */
static void split_col(const char *s, char *name, size_t nsize, char *unit, size_t usize)
{
	const char *open = strchr(s, '(');
	size_t n = open ? (size_t)(open - s) : strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	snprintf(name, nsize, "%.*s", (int)n, s);
	unit[0] = '\0';
	if (open) {
		const char *close = strchr(open, ')');

		snprintf(unit, usize, "%.*s",
			 (int)(close ? (size_t)(close - open - 1) : strlen(open + 1)), open + 1);
	}
}

/* Split a CSV line into trimmed fields (in place); returns the count. */
static int fields(char *s, char **out, int max)
{
	int n = 0;

	for (;;) {
		char *comma = strchr(s, ','), *e;

		if (comma)
			*comma = '\0';
		s = (char *)nr__parse_skip_blanks(s);
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (n == max)
			return max + 1;
		out[n++] = s;
		if (!comma)
			return n;
		s = comma + 1;
	}
}

static const char *col_metric(enum kind k, const char *name, const char *unit, char *buf,
			      size_t size);

/* A column of running values (Ave, Min ... so far) each interval repeats. */
static bool running_col(enum kind k, const char *name)
{
	static const char *const lat[] = { "Ave", "Avg", "Std", "Min", "Max" };
	static const char *const tp[] = { "Total Samples", "Ave Samples/s", "Avg Samples/s",
					  "Ave Mbps", "Avg Mbps" };
	size_t i;

	for (i = 0; k == K_LAT_INT && i < NR_ARRAY_SIZE(lat); i++)
		if (!strcmp(name, lat[i]))
			return true;
	for (i = 0; k == K_TP_INT && i < NR_ARRAY_SIZE(tp); i++)
		if (!strcmp(name, tp[i]))
			return true;
	return false;
}

static void skip_col(struct ctx *c, const char *name)
{
	struct nr_buf q = NR_BUF_INIT;

	nr__parse_json_string(&q, name);
	if (!strstr(c->cols_skipped.len ? c->cols_skipped.buf : "", q.buf)) {
		if (c->cols_skipped.len)
			nr_buf_adds(&c->cols_skipped, ", ");
		nr_buf_adds(&c->cols_skipped, q.buf);
	}
	nr_buf_release(&q);
}

static int header(struct ctx *c, char *s)
{
	char *f[MAX_COLS + 1];
	int n = fields(s, f, MAX_COLS), i;

	if (n > MAX_COLS)
		return expected(c, "at most 32 columns");
	for (i = 0; i < n; i++) {
		char buf[64];

		split_col(f[i], c->cols[i], sizeof(c->cols[i]), c->units[i], sizeof(c->units[i]));
		if (i > 0 && !col_metric(c->kind, c->cols[i], c->units[i], buf, sizeof(buf)) &&
		    !running_col(c->kind, c->cols[i]))
			skip_col(c, c->cols[i]);
	}
	c->ncols = n;
	return 0;
}

/* The metric of column `name` in a block of kind k; NULL: not kept. */
static const char *col_metric(enum kind k, const char *name, const char *unit, char *buf,
			      size_t size)
{
	bool avg = !strncmp(name, "Ave", 3) || !strncmp(name, "Avg", 3);
	double pct;
	const char *p;

	/* "CPU (%)" (4.x), "CPU %" (the 3.1 design) */
	if (!strcmp(name, "CPU") || !strcmp(name, "CPU %"))
		return "cpu_percent";
	switch (k) {
	case K_LAT_INT:
		return !strcmp(name, "Latency") ? "latency_us" : NULL;
	case K_LAT_SUM:
		if (!strcmp(name, "Ave") || !strcmp(name, "Avg"))
			return "latency_avg_us";
		if (!strcmp(name, "Std"))
			return "latency_stddev_us";
		if (!strcmp(name, "Min"))
			return "latency_min_us";
		if (!strcmp(name, "Max"))
			return "latency_max_us";
		if (!strcmp(name, "Serialization"))
			return "serialization_us";
		if (!strcmp(name, "Deserialization"))
			return "deserialization_us";
		if (!strcmp(name, "Total"))
			return "total_serialization_us";
		p = name;
		if (nr__parse_number(&p, &pct) == 0 && !strcmp(p, "%") && pct > 0 && pct <= 100) {
			nr_metric_percentile_name(buf, size, pct);
			return buf;
		}
		return NULL;
	case K_TP_INT:
		if (!strcmp(name, "Samples/s"))
			return "samples_per_s";
		if (!strcmp(name, "Mbps"))
			return "throughput_bps";
		if (!strcmp(name, "Lost Samples"))
			return !strcmp(unit, "%") ? "loss_percent" : "lost_samples";
		return NULL; /* Total Samples, Avg ...: running totals of these */
	case K_TP_SUM:
		if (!strcmp(name, "Total Samples"))
			return "samples";
		if (avg && strstr(name, "Samples/s"))
			return "samples_per_s";
		if (avg && strstr(name, "Mbps"))
			return "throughput_bps";
		if (!strcmp(name, "Lost Samples"))
			return !strcmp(unit, "%") ? "loss_percent" : "lost_samples";
		return NULL;
	default:
		return NULL;
	}
}

static const char *col_unit(const char *metric, const char *unit)
{
	size_t n = strlen(metric);

	if (*unit)
		return unit;
	if (n > 8 && !strcmp(metric + n - 8, "_percent"))
		return "%";
	if (!strcmp(metric, "samples_per_s"))
		return "1/s";
	if (!strcmp(metric, "throughput_bps"))
		return "Mbps";
	return "count";
}

static bool all_numbers(char **f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const char *p = f[i];
		double v;

		if (nr__parse_number(&p, &v) < 0 || *p)
			return false;
	}
	return true;
}

static int row(struct ctx *c, char **f, int n)
{
	bool interval = c->kind == K_LAT_INT || c->kind == K_TP_INT;
	double samples_s = -1, mbps = -1;
	int i;

	if (n != c->ncols)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %d columns, found %d",
				c->lineno, c->ncols, n);
	for (i = 0; i < n; i++) {
		const char *p = f[i], *m;
		char buf[64];
		double v;

		if (nr__parse_number(&p, &v) < 0 || *p)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: column %d (%s): expected a number, "
					"found '%s'", c->lineno, i + 1, c->cols[i], f[i]);
		if (i == 0 && (!strcmp(c->cols[0], "Length") || !strcmp(c->cols[0], "Sample Size"))) {
			if (!length_ok(v))
				return expected(c, "a data length from 0 to 2^31 bytes");
			/* Every row repeats its data length; one that differs from
			 * its section's title is refused rather than filed under
			 * either length: which of the two is right cannot be told,
			 * and a summary would land in the wrong series. */
			if (c->title_len >= 0 && (long)v != c->title_len)
				return nr_diagf(c->d, NR_EPARSE, "line %zu: a row for %ld bytes in the "
						"section for %ld bytes (line %zu): rows that contradict "
						"their section are refused", c->lineno, (long)v,
						c->title_len, c->title_line);
			if (interval && c->title_len < 0 && c->length >= 0 && (long)v != c->length) {
				/* no titles (-noOutputHeaders): a new length is a new series */
				c->row = 0;
				c->block_start = c->last_live = c->n;
				c->zero_rows = 0;
			}
			c->length = (long)v;
			continue;
		}
		m = col_metric(c->kind, c->cols[i], c->units[i], buf, sizeof(buf));
		if (!m)
			continue;
		if (!strcmp(m, "samples_per_s"))
			samples_s = v;
		if (!strcmp(m, "throughput_bps"))
			mbps = v;
		push(c, m, v, col_unit(m, c->units[i]), interval ? c->row : -1);
	}
	if (c->kind == K_TP_INT) {
		if (samples_s == 0 && mbps == 0) {
			c->zero_rows++;
		} else {
			c->zero_rows = 0;
			c->last_live = c->n;
		}
	}
	if (interval)
		c->row++;
	return 0;
}

/*
 * Which table a column header starts when no title came before it: 4.x
 * prints the summary's title only when it printed intervals
 * (PerftestPrinter.cxx: `if (_printIntervals)`), so -noPrintIntervals
 * output is a bare summary header.
 */
static enum kind header_kind(const char *s)
{
	char buf[1024], *f[MAX_COLS + 1];
	bool total = false, rate = false, lat = false, pct = false;
	int n, i;

	snprintf(buf, sizeof(buf), "%s", s);
	n = fields(buf, f, MAX_COLS);
	for (i = 0; i < n && i < MAX_COLS; i++) {
		lat |= !strncmp(f[i], "Latency", 7);
		pct |= !strncmp(f[i], "50%", 3) || !strncmp(f[i], "Std", 3);
		total |= !strcmp(f[i], "Total Samples");
		rate |= !strcmp(f[i], "Samples/s");
	}
	if (lat)
		return K_LAT_INT;
	if (pct)
		return K_LAT_SUM;
	return rate || !total ? K_TP_INT : K_TP_SUM;
}

/*
 * Rows without titles (-noOutputHeaders, or a head cut off) that a
 * subscriber printed: 8 columns (9 with CPU) are an interval, 6 (7) the
 * summary, by PerftestCSVPrinter's formats; another count is refused.
 */
static int headless_switch(struct ctx *c, int n)
{
	static const char *const sum[] = { "Sample Size (Bytes)", "Total Samples",
					   "Avg Samples/s", "Avg Mbps", "Lost Samples",
					   "Lost Samples (%)", "CPU (%)" };
	static const char *const tp[] = { "Length (Bytes)", "Total Samples", "Samples/s",
					  "Avg Samples/s", "Mbps", "Avg Mbps", "Lost Samples",
					  "Lost Samples (%)", "CPU (%)" };
	bool to_sum = c->kind == K_TP_INT && n == c->ncols - 2;
	bool to_int = c->kind == K_TP_SUM && n == c->ncols + 2;
	int i;

	if (!to_sum && !to_int)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected %d columns, found %d",
				c->lineno, c->ncols, n);
	/* a header of another section before it (a cut or mixed output) may count more */
	if (n > (int)(to_sum ? NR_ARRAY_SIZE(sum) : NR_ARRAY_SIZE(tp)))
		return nr_diagf(c->d, NR_EPARSE, "line %zu: %d columns without titles, more than a %s row has",
				c->lineno, n, to_sum ? "throughput summary" : "throughput interval");
	start_block(c, to_sum ? K_TP_SUM : K_TP_INT, -1);
	for (i = 0; i < n; i++)
		split_col(to_sum ? sum[i] : tp[i], c->cols[i], sizeof(c->cols[i]), c->units[i],
			  sizeof(c->units[i]));
	c->ncols = n;
	return 0;
}

/* "... for 1024 Bytes:" */
static long title_length(const char *s)
{
	const char *p = strstr(s, " for ");
	double v;

	if (!p)
		return -1;
	p += 5;
	if (nr__parse_number(&p, &v) < 0 || !length_ok(v))
		return -1;
	return (long)v;
}

static int csv_line(struct ctx *c, char *s)
{
	char *f[MAX_COLS + 1];
	int n;

	if (strstr(s, "Latency for ") && (nr__parse_after(s, "Intervals One-Way") ||
					  nr__parse_after(s, "Intervals One-way"))) {
		start_block(c, K_LAT_INT, title_length(s));
		return 0;
	}
	if (nr__parse_after(s, "Interval Throughput for ")) {
		start_block(c, K_TP_INT, title_length(s));
		return 0;
	}
	if (nr__parse_after(s, "One-way Latency Summary:") ||
	    nr__parse_after(s, "One-Way Latency Summary:")) {
		start_block(c, K_LAT_SUM, c->length);
		return 0;
	}
	if (nr__parse_after(s, "Throughput Summary:")) {
		start_block(c, K_TP_SUM, c->length);
		return 0;
	}
	if (nr__parse_after(s, "Length (Bytes)") || nr__parse_after(s, "Sample Size (Bytes)")) {
		c->csv = true;
		if (c->kind == K_NONE)
			start_block(c, header_kind(s), -1);
		return header(c, s);
	}
	if (!*s)
		return 0;
	n = fields(s, f, MAX_COLS);
	if (n > MAX_COLS || n < 2 || !all_numbers(f, 1)) {
		if (c->ncols)
			end_block(c); /* status and licence lines end a block */
		return 0;
	}
	if (!all_numbers(f, n) && c->ncols)
		return nr_diagf(c->d, NR_EPARSE, "line %zu: expected a row of %d numbers "
				"(a cut or garbled row)", c->lineno, c->ncols);
	if (!c->ncols) {
		/* a row before any header: the head was cut off */
		if (c->kind == K_NONE && (n == 8 || n == 9) && all_numbers(f, n)) {
			static const char *const tp[] = { "Length (Bytes)", "Total Samples",
							  "Samples/s", "Avg Samples/s", "Mbps",
							  "Avg Mbps", "Lost Samples",
							  "Lost Samples (%)", "CPU (%)" };
			int i;

			start_block(c, K_TP_INT, -1);
			c->csv = true;
			c->headless = true;
			for (i = 0; i < n; i++)
				split_col(tp[i], c->cols[i], sizeof(c->cols[i]), c->units[i],
					  sizeof(c->units[i]));
			c->ncols = n;
			nr__parse_note_str(c->set, "headless_rows", "read as throughput intervals");
		} else {
			c->partial++;
			return 0;
		}
	}
	if (c->headless && n != c->ncols && all_numbers(f, n)) {
		int r = headless_switch(c, n);

		if (r < 0)
			return r;
	}
	return row(c, f, n);
}

/* ---- legacy --------------------------------------------------------- */

/* The number after the word `label` in s ("Ave    100 us"), and its unit. */
static int after_label(const char *s, const char *label, double *v, char *unit, size_t usize)
{
	const char *p = s;
	size_t n = strlen(label);

	for (;;) {
		p = strstr(p, label);
		if (!p)
			return NR_ENOTFOUND;
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == ':'))
			break;
		p += n;
	}
	p += n;
	if (*p == ':')
		p++;
	if (nr__parse_number(&p, v) < 0)
		return NR_EINVAL;
	p = nr__parse_skip_blanks(p);
	if (unit) {
		size_t u = strcspn(p, " \t");

		if (u >= usize || (u && ((*p >= '0' && *p <= '9') || *p == '(')))
			u = 0;
		snprintf(unit, usize, "%.*s", (int)u, p);
	}
	return 0;
}

/* "Lost: 0 (0.00%)" */
static int lost(struct ctx *c, const char *s, int64_t interval)
{
	const char *p = strstr(s, "Lost:");
	double v, pct;

	if (!p)
		return 0;
	p += 5;
	if (nr__parse_number(&p, &v) < 0)
		return expected(c, "Lost: N (P%)");
	push(c, "lost_samples", v, "count", interval);
	p = nr__parse_skip_blanks(p);
	if (*p == '(') {
		p++;
		if (nr__parse_number(&p, &pct) < 0)
			return expected(c, "Lost: N (P%)");
		push(c, "loss_percent", pct, "%", interval);
	}
	return 0;
}

static int legacy_line(struct ctx *c, const char *s)
{
	static const char *const lat_labels[][2] = {
		{ "Ave", "latency_avg_us" },	  { "Std", "latency_stddev_us" },
		{ "Min", "latency_min_us" },	  { "Max", "latency_max_us" },
		{ "50%", "latency_p50_us" },	  { "90%", "latency_p90_us" },
		{ "99%", "latency_p99_us" },	  { "99.99%", "latency_p99_99_us" },
		{ "99.9999%", "latency_p99_9999_us" },
	};
	char unit[16];
	const char *p;
	double v;
	size_t i;

	if ((p = nr__parse_after(s, "********** New data length is "))) {
		if (nr__parse_number(&p, &v) < 0 || !length_ok(v))
			return expected(c, "New data length is N");
		c->length = (long)v;
		c->title_len = (long)v;
		c->title_line = c->lineno;
		c->legacy_lat_row = c->legacy_tp_row = 0;
		return 0;
	}
	if ((p = nr__parse_after(s, "Serialization/Deserialization:"))) {
		/* "%0.3f us / %0.3f us / TOTAL: %0.3f us" (PerftestLegacyPrinter) */
		static const char *const ser[] = { "serialization_us", "deserialization_us",
						   "total_serialization_us" };
		size_t k;

		for (k = 0; k < NR_ARRAY_SIZE(ser); k++) {
			if (k == 2 && p && (p = strstr(p, "TOTAL:")))
				p += 6;
			if (!p || nr__parse_number(&p, &v) < 0)
				return expected(c, "Serialization/Deserialization: a us / b us / TOTAL: "
						"c us");
			push(c, ser[k], v, "us", -1);
			if (k < 2 && (p = strchr(p, '/')))
				p++;
		}
		return 0;
	}
	if ((p = nr__parse_after(s, "Length:"))) {
		if (nr__parse_number(&p, &v) < 0 || !length_ok(v))
			return expected(c, "Length: N (0 to 2^31 bytes)");
		if (c->title_len >= 0 && (long)v != c->title_len)
			return nr_diagf(c->d, NR_EPARSE, "line %zu: a summary for %ld bytes after "
					"\"New data length is %ld\" (line %zu): rows that contradict "
					"their section are refused", c->lineno, (long)v, c->title_len,
					c->title_line);
		c->length = (long)v;
		if (strstr(p, "Latency:")) {
			for (i = 0; i < NR_ARRAY_SIZE(lat_labels); i++) {
				int r = after_label(p, lat_labels[i][0], &v, unit, sizeof(unit));

				if (r == NR_ENOTFOUND)
					continue;
				if (r < 0)
					return expected(c, "a number after each latency label");
				push(c, lat_labels[i][1], v, unit, -1);
			}
			if (after_label(p, "CPU", &v, NULL, 0) == 0)
				push(c, "cpu_percent", v, "%", -1);
			c->legacy_lat_row = 0;
			return 0;
		}
		if (strstr(p, "Packets:")) {
			if (after_label(p, "Packets:", &v, NULL, 0) == 0)
				push(c, "samples", v, "count", -1);
			if (after_label(p, "Packets/s(ave):", &v, NULL, 0) == 0)
				push(c, "samples_per_s", v, "1/s", -1);
			if (after_label(p, "Mbps(ave):", &v, NULL, 0) == 0)
				push(c, "throughput_bps", v, "Mbps", -1);
			if (after_label(p, "CPU", &v, NULL, 0) == 0)
				push(c, "cpu_percent", v, "%", -1);
			c->legacy_tp_row = 0;
			return lost(c, p, -1);
		}
		return 0;
	}
	/* "One-Way Latency:" (4.x), "One way Latency:" (3.0) */
	if ((p = nr__parse_after(s, "One-Way Latency:")) || (p = nr__parse_after(s, "One way Latency:"))) {
		if (nr__parse_number(&p, &v) < 0)
			return expected(c, "One-Way Latency: N us");
		p = nr__parse_skip_blanks(p);
		snprintf(unit, sizeof(unit), "%.*s", (int)strcspn(p, " \t"), p);
		push(c, "latency_us", v, unit, c->legacy_lat_row);
		/* " CPU %1.2f (%%)" (PerftestLegacyPrinter); "CPU:" read too */
		if (after_label(s, "CPU", &v, NULL, 0) == 0)
			push(c, "cpu_percent", v, "%", c->legacy_lat_row);
		c->legacy_lat_row++;
		return 0;
	}
	if (nr__parse_after(s, "Packets:") && strstr(s, "Packets/s:")) {
		int64_t i64 = c->legacy_tp_row++;

		if (after_label(s, "Packets/s:", &v, NULL, 0) == 0)
			push(c, "samples_per_s", v, "1/s", i64);
		if (after_label(s, "Mbps:", &v, NULL, 0) == 0)
			push(c, "throughput_bps", v, "Mbps", i64);
		if (after_label(s, "CPU", &v, NULL, 0) == 0)
			push(c, "cpu_percent", v, "%", i64);
		return lost(c, s, i64);
	}
	return 0;
}

/* ---- JSON ----------------------------------------------------------- */

/*
 * The keys of -outputFormat json (PerftestPrinter.cxx, PerftestJSONPrinter)
 * and their metrics. Spellings changed while the format was designed: the
 * 3.1 design document (srcDoc/designDocuments/280-ouput-format.md) prints
 * "cpu", "packets/s_ave", "mbps_ave", "lost_percent" in the summary where
 * released 4.x prints "CPU", "packets/sAve", "mbpsAve", "lostPercent";
 * both are read. NULL metric: a key known and deliberately not stored
 * (the running averages each interval repeats).
 */
static const struct jkey {
	const char *key, *metric, *unit;
} j_lat_iv[] = {
	{ "latency", "latency_us", "us" }, { "CPU", "cpu_percent", "%" },
	{ "cpu", "cpu_percent", "%" },     { "latency_ave", NULL, NULL },
	{ "latency_std", NULL, NULL },     { "latency_min", NULL, NULL },
	{ "latency_max", NULL, NULL },
}, j_tp_iv[] = {
	{ "packets/s", "samples_per_s", "1/s" }, { "mbps", "throughput_bps", "Mbps" },
	{ "lost", "lost_samples", "count" },     { "lost_percent", "loss_percent", "%" },
	{ "CPU", "cpu_percent", "%" },           { "cpu", "cpu_percent", "%" },
	{ "length", NULL, NULL },                { "packets", NULL, NULL },
	{ "packets/s_ave", NULL, NULL },         { "mbps_ave", NULL, NULL },
}, j_sum[] = {
	{ "latency_ave", "latency_avg_us", "us" },    { "latency_std", "latency_stddev_us", "us" },
	{ "latency_min", "latency_min_us", "us" },    { "latency_max", "latency_max_us", "us" },
	{ "latency_50", "latency_p50_us", "us" },     { "latency_90", "latency_p90_us", "us" },
	{ "latency_99", "latency_p99_us", "us" },     { "latency_99.99", "latency_p99_99_us", "us" },
	{ "latency_99.9999", "latency_p99_9999_us", "us" },
	{ "serialize", "serialization_us", "us" },    { "deserialize", "deserialization_us", "us" },
	{ "total_s", "total_serialization_us", "us" },
	{ "packets", "samples", "count" },
	{ "packets/sAve", "samples_per_s", "1/s" },   { "packets/s_ave", "samples_per_s", "1/s" },
	{ "mbpsAve", "throughput_bps", "Mbps" },      { "mbps_ave", "throughput_bps", "Mbps" },
	{ "lost", "lost_samples", "count" },
	{ "lostPercent", "loss_percent", "%" },       { "lost_percent", "loss_percent", "%" },
	{ "CPU", "cpu_percent", "%" },                { "cpu", "cpu_percent", "%" },
};

static void json_skip(struct ctx *c, const char *where, const char *key)
{
	struct nr_buf b = NR_BUF_INIT;

	nr_buf_addf(&b, "%s.%s", where, key);
	if (c->json_skipped.len)
		nr_buf_adds(&c->json_skipped, ", ");
	nr__parse_json_string(&c->json_skipped, b.buf);
	nr_buf_release(&b);
}

/* Push every known numeric key of object o; note the unknown ones. */
static int json_obj(struct ctx *c, json_t *o, const struct jkey *keys, size_t nkeys,
		    int64_t interval, const char *where)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return nr_diagf(c->d, NR_EPARSE, "%s: expected an object", where);
	json_object_foreach(o, k, v) {
		size_t i;

		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i].key, k))
				break;
		if (i == nkeys) {
			json_skip(c, where, k);
			continue;
		}
		if (!keys[i].metric)
			continue;
		if (!json_is_number(v))
			return nr_diagf(c->d, NR_EPARSE, "%s.%s: expected a number", where, k);
		push(c, keys[i].metric, json_number_value(v), keys[i].unit, interval);
	}
	return 0;
}

static int json_entry(struct ctx *c, json_t *t, size_t i)
{
	json_t *ivs = json_object_get(t, "intervals"), *iv, *len = json_object_get(t, "length");
	json_t *sum = json_object_get(t, "summary");
	char where[96];
	const char *k;
	json_t *v;
	size_t j;
	int r;

	if (!json_is_integer(len) || !length_ok((double)json_integer_value(len)))
		return nr_diagf(c->d, NR_EPARSE, "perftest[%zu]: expected \"length\": a data length "
				"from 0 to 2^31 bytes", i);
	c->length = (long)json_integer_value(len);
	json_object_foreach(t, k, v)
		if (strcmp(k, "length") && strcmp(k, "intervals") && strcmp(k, "summary")) {
			snprintf(where, sizeof(where), "perftest[%zu]", i);
			json_skip(c, where, k);
		}
	c->block_start = c->last_live = c->n;
	c->zero_rows = 0;
	json_array_foreach(ivs, j, iv) {
		json_t *il = json_object_get(iv, "length");
		bool lat = json_object_get(iv, "latency") != NULL;

		snprintf(where, sizeof(where), "perftest[%zu].intervals[%zu]", i, j);
		if (il && (!json_is_integer(il) || json_integer_value(il) != c->length))
			return nr_diagf(c->d, NR_EPARSE, "%s: a length other than its entry's %ld bytes: "
					"rows that contradict their section are refused", where,
					c->length);
		r = lat ? json_obj(c, iv, j_lat_iv, NR_ARRAY_SIZE(j_lat_iv), (int64_t)j, where)
			: json_obj(c, iv, j_tp_iv, NR_ARRAY_SIZE(j_tp_iv), (int64_t)j, where);
		if (r < 0)
			return r;
		if (lat)
			continue;
		if (json_number_value(json_object_get(iv, "packets/s")) == 0 &&
		    json_number_value(json_object_get(iv, "mbps")) == 0) {
			c->zero_rows++;
		} else {
			c->zero_rows = 0;
			c->last_live = c->n;
		}
	}
	c->kind = K_TP_INT;
	end_block(c);
	if (!sum)
		return 0;
	snprintf(where, sizeof(where), "perftest[%zu].summary", i);
	return json_obj(c, sum, j_sum, NR_ARRAY_SIZE(j_sum), -1, where);
}

static int json_doc(struct ctx *c, struct nr_slice in)
{
	json_error_t err;
	json_t *root, *arr, *t;
	size_t i;
	int r = 0;

	root = json_loadb(in.ptr, in.len, JSON_DISABLE_EOF_CHECK, &err);
	if (!root)
		return nr_diagf(c->d, NR_EPARSE, "line %d, column %d: %s", err.line, err.column,
				err.text);
	arr = json_object_get(root, "perftest");
	if (!json_is_array(arr)) {
		json_decref(root);
		return nr_diagf(c->d, NR_EPARSE, "line 1: expected {\"perftest\": [...]}");
	}
	json_array_foreach(arr, i, t) {
		r = json_entry(c, t, i);
		if (r < 0)
			break;
	}
	json_decref(root);
	return r;
}

/* ---- the whole output ------------------------------------------------ */

static int emit(struct ctx *c)
{
	bool qualify = c->nlengths > 1;
	size_t i;
	int r;

	for (i = 0; i < c->n; i++) {
		const struct item *it = &c->v[i];
		char name[96];

		if (qualify && it->length >= 0)
			snprintf(name, sizeof(name), "b%ld_%s", it->length, it->metric);
		else
			snprintf(name, sizeof(name), "%s", it->metric);
		r = nr__parse_add(c->set, name, it->value, it->unit, it->interval, it->lineno, c->d);
		if (r < 0)
			return r;
	}
	if (c->nlengths == 1)
		return nr__parse_add(c->set, "sample_bytes", (double)c->lengths[0], "B", -1, c->lineno,
			       c->d);
	return 0;
}

static int parse_perftest_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			  struct nr_sample_set *set, struct nr_diag *d)
{
	struct ctx c = { .set = set, .d = d, .length = -1, .title_len = -1, .last_title_len = -1,
			 .json_skipped = NR_BUF_INIT, .cols_skipped = NR_BUF_INIT };
	struct nr__parse_lines l;
	size_t before = set->n, i = 0;
	bool json = false;
	char *s;
	int r = 0;

	(void)spec;
	if (in.len >= 3 && !memcmp(in.ptr, "\xef\xbb\xbf", 3))
		i = 3; /* a UTF-8 byte order mark */
	while (i < in.len && (in.ptr[i] == ' ' || in.ptr[i] == '\n' || in.ptr[i] == '\r' ||
			      in.ptr[i] == '\t'))
		i++;
	nr__parse_lines_init(&l, in);
	if (i < in.len && in.ptr[i] == '{') {
		json = true;
		r = json_doc(&c, nr_slice_of(in.ptr + i, in.len - i));
	} else {
		while ((s = nr__parse_lines_next(&l))) {
			const char *p;

			c.lineno = l.lineno;
			/* "RTI Perftest 3.3.0 22373c6 (HEAD) (RTI Connext DDS 6.1.0)" */
			if ((p = nr__parse_after(s, "RTI Perftest ")) && *p >= '0' && *p <= '9') {
				char v[32];

				snprintf(v, sizeof(v), "%.*s", (int)strcspn(p, " \t"), p);
				nr__parse_note_str(set, "perftest_version", v);
			}
			if (strstr(s, "No samples have been received") ||
			    strstr(s, "No Pong samples have been received")) {
				r = nr_diagf(d, NR_EPARSE, "line %zu: %s", c.lineno, s);
				break;
			}
			r = legacy_line(&c, s);
			if (r == 0)
				r = csv_line(&c, s);
			if (r < 0)
				break;
		}
		end_block(&c);
	}
	if (r == 0)
		r = emit(&c);
	if (set->n > before)
		nr__parse_note_str(set, "format", json ? "json (-outputFormat json)"
					    : c.csv ? "csv (3.1 and later)"
						    : "legacy (before 3.1, or -outputFormat legacy)");
	if (c.cols_skipped.len) {
		struct nr_buf list = NR_BUF_INIT;

		nr_buf_addf(&list, "[%s]", c.cols_skipped.buf);
		nr__parse_note_raw(set, "columns_not_stored", list.buf);
		nr_buf_release(&list);
	}
	if (c.json_skipped.len) {
		struct nr_buf list = NR_BUF_INIT;

		nr_buf_addf(&list, "[%s]", c.json_skipped.buf);
		nr__parse_note_raw(set, "json_keys_not_stored", list.buf);
		nr_buf_release(&list);
	}
	if (c.zero_dropped)
		nr__parse_note_num(set, "trailing_zero_intervals_dropped", (double)c.zero_dropped);
	if (c.partial)
		nr__parse_note_num(set, "partial_rows_skipped", (double)c.partial);
	if (r == 0 && set->n == before && c.partial)
		r = nr_diagf(d, NR_EPARSE, "line %zu: %zu rows without column titles "
			     "(-noOutputHeaders, or a cut head) and none that tells which column "
			     "is which: not stored", l.lineno ? l.lineno : 1, c.partial);
	else if (r == 0 && set->n == before)
		r = nr_diagf(d, NR_EPARSE, "line %zu: no results (expected perftest's latency or "
			     "throughput lines)", l.lineno ? l.lineno : 1);
	nr__parse_lines_release(&l);
	nr_buf_release(&c.json_skipped);
	nr_buf_release(&c.cols_skipped);
	free(c.v);
	return r;
}

static int parse_perftest(const struct nr_parse_spec *spec, struct nr_slice in,
			   struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_perftest_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_perftest = {
	.name = "perftest",
	.summary = "RTI Perftest output (CSV, JSON or legacy; publisher or subscriber)",
	.needs_sources = false,
	.parse = parse_perftest,
};
