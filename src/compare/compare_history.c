/*
 * Change points over history: one value per run (the median of its
 * repeats) for every series of a campaign, or the columns of a CSV file.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "compare/compare.h"

static void add_change(struct nr_changes *ch, size_t *cap, const struct nr_series *id,
		       const struct nr_analysis_changepoint *cp, const struct nr_run_rec *run)
{
	struct nr_change *c;

	NR_GROW(ch->v, ch->n + 1, *cap);
	c = &ch->v[ch->n++];
	memset(c, 0, sizeof(*c));
	nr_series_copy(&c->id, id);
	c->cp = *cp;
	if (run) {
		memcpy(c->run_id, run->id, sizeof(c->run_id));
		memcpy(c->short_id, run->short_id, sizeof(c->short_id));
		c->commit = run->commit ? nr_xstrdup(run->commit) : NULL;
		c->started_us = run->started_us;
	}
	c->regression = (id->better == NR_BETTER_HIGHER && cp->rel_change < 0) ||
			(id->better == NR_BETTER_LOWER && cp->rel_change > 0);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct nr_run_rec *)a)->id, ((const struct nr_run_rec *)b)->id);
}

struct keyed_row {
	const struct nr_sample_row *row;
	size_t run; /* index in time order */
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed_row *x = a, *y = b;
	int c = nr_series_order(&x->row->id, &y->row->id);

	if (!c)
		c = (x->run > y->run) - (x->run < y->run);
	return c;
}

int nr_history_build(struct nr_store *st, const char *campaign, int64_t since_us,
		     const char *test, const char *metric, struct nr_history *ret,
		     struct nr_diag *d)
{
	struct nr_history h = { 0 };
	struct nr_run_rec *by_id = NULL;
	struct nr_sample_row *rows = NULL;
	struct keyed_row *kr = NULL;
	size_t n_rows = 0, n_kr = 0, cap = 0, i, k;
	double *one = NULL;
	int r;

	struct nr_run_filter f = { .campaign = campaign, .since_us = since_us };

	r = nr_store_runs_find(st, &f, &h.runs, &h.n_runs, d);
	if (r == 0 && !h.n_runs) {
		free(h.runs);
		*ret = (struct nr_history){ 0 };
		return 0;
	}
	if (r < 0 || (r = nr_store_samples_history(st, campaign, since_us, &rows, &n_rows, d)) < 0)
		goto out;
	/* oldest first, finished runs only */
	for (i = 0, k = 0; i < h.n_runs; i++) {
		if (h.runs[i].status == NR_RUN_RUNNING) {
			nr_run_rec_release(&h.runs[i]);
			continue;
		}
		h.runs[k++] = h.runs[i];
	}
	h.n_runs = k;
	for (i = 0; i < h.n_runs / 2; i++) {
		struct nr_run_rec t = h.runs[i];

		h.runs[i] = h.runs[h.n_runs - 1 - i];
		h.runs[h.n_runs - 1 - i] = t;
	}
	/* run id -> time index, by binary search over a sorted copy */
	by_id = nr_xcalloc(h.n_runs + 1, sizeof(*by_id));
	memcpy(by_id, h.runs, h.n_runs * sizeof(*h.runs));
	for (i = 0; i < h.n_runs; i++)
		by_id[i].pid = (int)i; /* this private copy keeps the time index in pid */
	qsort(by_id, h.n_runs, sizeof(*by_id), cmp_id);
	kr = nr_xcalloc(n_rows + 1, sizeof(*kr));
	for (i = 0; i < n_rows; i++) {
		struct nr_run_rec probe, *hit;

		if ((test && strcmp(rows[i].id.test, test)) ||
		    (metric && strcmp(rows[i].id.metric, metric)))
			continue;
		memcpy(probe.id, rows[i].run_id, sizeof(probe.id));
		hit = bsearch(&probe, by_id, h.n_runs, sizeof(*by_id), cmp_id);
		if (!hit)
			continue;
		kr[n_kr].row = &rows[i];
		kr[n_kr].run = (size_t)hit->pid;
		n_kr++;
	}
	if (n_kr)
		qsort(kr, n_kr, sizeof(*kr), cmp_keyed);
	one = nr_xcalloc(n_kr + 1, sizeof(*one));
	for (i = 0; i < n_kr;) {
		const struct nr_sample_row *first = kr[i].row;
		struct nr_history_series *s;
		size_t j = i;

		NR_GROW(h.s, h.n + 1, cap);
		s = &h.s[h.n++];
		memset(s, 0, sizeof(*s));
		nr_series_copy(&s->id, &first->id);
		s->values = nr_xcalloc(h.n_runs + 1, sizeof(double));
		for (k = 0; k < h.n_runs; k++)
			s->values[k] = NAN;
		/* one series: rows i..j, grouped by run */
		while (j < n_kr && !nr_series_order(&kr[j].row->id, &first->id)) {
			size_t run = kr[j].run, m = 0;

			while (j < n_kr && kr[j].run == run &&
			       !nr_series_order(&kr[j].row->id, &first->id))
				one[m++] = kr[j++].row->value;
			s->values[run] = nr_analysis_median(one, m);
			s->present++;
		}
		i = j;
	}
	*ret = h;
	memset(&h, 0, sizeof(h));
out:
	free(one);
	free(kr);
	free(by_id);
	nr_sample_rows_free(rows, n_rows);
	nr_history_release(&h);
	return r;
}

void nr_history_release(struct nr_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		nr_series_release(&h->s[i].id);
		free(h->s[i].values);
	}
	free(h->s);
	nr_runs_free(h->runs, h->n_runs);
	memset(h, 0, sizeof(*h));
}

int nr_changes_history(struct nr_store *st, const struct nr_changes_opts *o,
		       struct nr_changes *ret, struct nr_diag *d)
{
	struct nr_changes ch = { 0 };
	struct nr_history h = { 0 };
	size_t cap = 0, i, p;
	double *vals;
	int r;

	r = nr_history_build(st, o->campaign, o->since_us, o->test, o->metric, &h, d);
	if (r < 0)
		return r;
	vals = nr_xcalloc(h.n_runs + 1, sizeof(*vals));
	ch.runs = h.n_runs;
	for (i = 0; i < h.n; i++) {
		const struct nr_history_series *s = &h.s[i];
		struct nr_analysis_changepoint *cps = NULL;
		size_t n_cp = 0;

		ch.series++;
		if (s->present < 2 * (o->params.min_segment ? o->params.min_segment : 1))
			continue;
		memcpy(vals, s->values, h.n_runs * sizeof(*vals));
		nr_analysis_fill_missing(vals, h.n_runs);
		if (nr_analysis_changepoints(vals, h.n_runs, &o->params, &cps, &n_cp) == 0)
			for (p = 0; p < n_cp; p++)
				add_change(&ch, &cap, &s->id, &cps[p], &h.runs[cps[p].index]);
		nr_analysis_changepoints_free(cps);
	}
	free(vals);
	nr_history_release(&h);
	*ret = ch;
	return 0;
}

/* ---- CSV, as Otava reads it ---- */

/* Split one CSV line (RFC 4180 quoting) into fields. */
static void csv_split(const char *line, size_t len, struct nr_strvec *out)
{
	struct nr_buf f = NR_BUF_INIT;
	size_t i = 0;
	int quoted = 0;

	nr_strvec_clear(out);
	for (;;) {
		char c = i < len ? line[i] : '\0';

		if (i >= len || (!quoted && c == ',')) {
			/* trim the spaces people put after commas */
			size_t a = 0, b = f.len;

			while (a < b && f.buf[a] == ' ')
				a++;
			while (b > a && f.buf[b - 1] == ' ')
				b--;
			nr_strvec_push_owned(out, nr_xstrndup(f.buf + a, b - a));
			nr_buf_reset(&f);
			if (i >= len)
				break;
		} else if (c == '"') {
			if (quoted && i + 1 < len && line[i + 1] == '"') {
				nr_buf_addch(&f, '"');
				i++;
			} else {
				quoted = !quoted;
			}
		} else if (c != '\r') {
			nr_buf_addch(&f, c);
		}
		i++;
	}
	nr_buf_release(&f);
}

int nr_changes_csv(const char *path, const char *column, const struct nr_analysis_cp_params *p,
		   struct nr_changes *ret, struct nr_diag *d)
{
	struct nr_buf text = NR_BUF_INIT;
	struct nr_strvec head = NR_STRVEC_INIT, fields = NR_STRVEC_INIT, labels = NR_STRVEC_INIT;
	struct nr_changes ch = { 0 };
	double **cols = NULL;
	size_t n_rows = 0, rows_cap = 0, cap = 0, c, pos = 0, line_no = 1;
	int r;

	if ((r = nr_buf_read_file(&text, path)) < 0) {
		r = nr_diagf(d, r, "%s: %s", path, nr_strerror(r));
		goto out;
	}
	while (pos < text.len) {
		const char *nl = memchr(text.buf + pos, '\n', text.len - pos);
		size_t len = nl ? (size_t)(nl - text.buf - pos) : text.len - pos;

		csv_split(text.buf + pos, len, head.n ? &fields : &head);
		pos += len + 1;
		if (!head.n || (head.n == 1 && !head.v[0][0])) {
			nr_strvec_clear(&head);
			line_no++;
			continue;
		}
		if (!cols) {
			cols = nr_xcalloc(head.n, sizeof(*cols));
			line_no++;
			continue;
		}
		line_no++;
		if (fields.n == 1 && !fields.v[0][0])
			continue; /* a blank line */
		if (fields.n != head.n) {
			r = nr_diagf(d, NR_EPARSE, "%s:%zu: %zu fields, the header has %zu", path,
				     line_no - 1, fields.n, head.n);
			goto out;
		}
		if (n_rows + 1 > rows_cap) {
			rows_cap = rows_cap ? 2 * rows_cap : 64;
			for (c = 0; c < head.n; c++)
				cols[c] = nr_xrealloc(cols[c], rows_cap * sizeof(double));
		}
		nr_strvec_push(&labels, fields.v[0]);
		for (c = 0; c < head.n; c++) {
			double v;

			cols[c][n_rows] = nr_parse_double(fields.v[c], &v) == 0 ? v : NAN;
		}
		n_rows++;
	}
	if (!cols) {
		r = nr_diagf(d, NR_EPARSE, "%s: no header line", path);
		goto out;
	}
	if (column) {
		for (c = 1; c < head.n; c++)
			if (!strcmp(head.v[c], column))
				break;
		if (c == head.n) {
			r = nr_diagf(d, NR_ENOTFOUND, "%s: no column '%s'", path, column);
			goto out;
		}
	}
	for (c = 1; c < head.n; c++) {
		struct nr_analysis_changepoint *cps = NULL;
		struct nr_series id = { 0 };
		size_t n_cp = 0, k, valid = 0;

		if (column && strcmp(head.v[c], column))
			continue;
		for (k = 0; k < n_rows; k++)
			valid += !isnan(cols[c][k]);
		if (!valid)
			continue; /* a text column */
		nr_analysis_fill_missing(cols[c], n_rows);
		ch.series++;
		if ((r = nr_analysis_changepoints(cols[c], n_rows, p, &cps, &n_cp)) < 0) {
			r = nr_diagf(d, r, "%s: column %s", path, head.v[c]);
			goto out;
		}
		id.test = (char *)path;
		id.key = (char *)path;
		id.role = "";
		id.metric = head.v[c];
		id.unit = "";
		for (k = 0; k < n_cp; k++) {
			add_change(&ch, &cap, &id, &cps[k], NULL);
			ch.v[ch.n - 1].commit = nr_xstrdup(labels.v[cps[k].index]);
		}
		nr_analysis_changepoints_free(cps);
	}
	ch.runs = n_rows;
	*ret = ch;
	memset(&ch, 0, sizeof(ch));
	r = 0;
out:
	for (c = 0; cols && c < head.n; c++)
		free(cols[c]);
	free(cols);
	nr_strvec_clear(&head);
	nr_strvec_clear(&fields);
	nr_strvec_clear(&labels);
	nr_buf_release(&text);
	nr_changes_release(&ch);
	return r;
}

void nr_changes_release(struct nr_changes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		nr_series_release(&c->v[i].id);
		free(c->v[i].commit);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}
