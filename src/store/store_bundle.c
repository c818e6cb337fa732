/*
 * A run as one bundle (netrig push -> netrig serve), and the store's face
 * for users, tokens, uploads and pushes.
 *
 * A bundle holds a run's rows in every table a merge carries, in the
 * merge's columns (nr__store_tables), so that adding one is a merge: the
 * parsed bundle is a merge source whose export_rows hands its rows to the
 * target backend's import_from, with the rules and the one transaction of
 * `db merge`. Its rows come from outside, so everything is checked before
 * anything is written: types, ids, and that every row belongs to the one
 * run the bundle names.
 *
 *   {"format": "netrig.bundle/1", "schema": 7 (BUNDLE_SCHEMA), "run": ID,
 *    "tables": {"runs": {"columns": "id, campaign, ...", "rows": [[...], ...]}, ...}}
 *
 * Values: TEXT and ID as strings (an ID a UUID), INT integers, REAL
 * numbers, BLOB base64 strings, SQL NULL null.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/jscan.h"
#include "base/mem.h"
#include "store/store_backend.h"

#define BUNDLE_FORMAT "netrig.bundle/1"
/*
 * The version of a bundle's tables and columns (nr__store_tables), which
 * is the schema version that last changed them: 7. Schema 8 changed how
 * samples lie on disk, not their columns (the view samples), so a bundle
 * is the same, and netrigs of schema 7 and 8 push to each other. Raise it
 * (and the schema version's "needs") when the columns change.
 */
#define BUNDLE_SCHEMA 7

/* ---- the store's face for serve ---- */

int nr_store_user_add(struct nr_store *st, const char *name, struct nr_diag *d)
{
	char id[NR_UUID_LEN + 1];

	nr_uuid_v7(id);
	RETURN_RETRIED(st, d, st->ops->user_add(st, id, name, nr_wall_us(), d));
}

int nr_store_token_add(struct nr_store *st, const struct nr_token_rec *t, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->token_add(st, t, d));
}

int nr_store_token_get(struct nr_store *st, const char *id, struct nr_token_rec *ret,
		       struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->token_get(st, id, ret, d));
}

int nr_store_tokens_list(struct nr_store *st, struct nr_token_rec **ret, size_t *ret_n,
			 struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->tokens_list(st, ret, ret_n, d));
}

int nr_store_token_revoke(struct nr_store *st, const char *id, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->token_revoke(st, id, nr_wall_us(), d));
}

int nr_store_upload_owner(struct nr_store *st, const char *run_id, bool *ret_exists,
			  char **ret_user, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->upload_owner(st, run_id, ret_exists, ret_user, d));
}

int nr_store_push_mark(struct nr_store *st, const char *run_id, const char *server,
		       const char *url, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->push_mark(st, run_id, server, url, nr_wall_us(), d));
}

int nr_store_runs_unpushed(struct nr_store *st, const char *server, struct nr_strvec *ret,
			   struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->runs_unpushed(st, server, ret, d));
}

int nr_store_batch_begin(struct nr_store *st, bool *ret_batching, struct nr_diag *d)
{
	int r = 0;

	if (st->ops->batch_begin && (r = st->ops->batch_begin(st, d)) < 0)
		return r;
	*ret_batching = st->ops->batch_begin != NULL;
	return 0;
}

bool nr_store_batches(const struct nr_store *st)
{
	return st->ops->batch_begin != NULL;
}

int nr_store_batch_end(struct nr_store *st, int r, struct nr_diag *d)
{
	return st->ops->batch_end ? st->ops->batch_end(st, r, d) : r;
}

int nr_store_wal_watch(struct nr_store *st, struct nr_store_wal_watch *w, int64_t keep_bytes,
		       bool *ret_watching, struct nr_diag *d)
{
	int r = 0;

	if (st->ops->wal_watch && (r = st->ops->wal_watch(st, w, keep_bytes, d)) < 0)
		return r;
	*ret_watching = st->ops->wal_watch != NULL;
	return 0;
}

int nr_store_wal_checkpoint(struct nr_store *st, bool restart, int wait_ms, int *ret_wal_pages,
			    int *ret_copied, struct nr_diag *d)
{
	if (!st->ops->wal_checkpoint) {
		*ret_wal_pages = *ret_copied = 0;
		return 0;
	}
	return st->ops->wal_checkpoint(st, restart, wait_ms, ret_wal_pages, ret_copied, d);
}

void nr_token_rec_release(struct nr_token_rec *t)
{
	free(t->user);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

void nr_tokens_free(struct nr_token_rec *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		nr_token_rec_release(&v[i]);
	free(v);
}

/* ---- out: a run's rows as JSON ---- */

struct export_ctx {
	const struct nr__store_table *t;
	json_t *rows;
};

static int export_row(void *p, const struct nr__store_value *row, struct nr_diag *d)
{
	struct export_ctx *c = p;
	json_t *a = json_array(), *v;
	struct nr_buf b64 = NR_BUF_INIT;
	size_t i;

	(void)d;
	for (i = 0; i < c->t->n; i++) {
		if (row[i].null) {
			v = json_null();
		} else {
			switch (c->t->kinds[i]) {
			case NR__STORE_INT:
				v = json_integer(row[i].i);
				break;
			case NR__STORE_REAL:
				/* NaN and infinities have no JSON: such a sample is not merged anyway */
				v = isfinite(row[i].f) ? json_real(row[i].f) : json_null();
				break;
			case NR__STORE_BLOB:
				nr_buf_reset(&b64);
				nr_base64_encode(&b64, row[i].p, row[i].len);
				v = json_stringn(b64.buf, b64.len);
				break;
			default:
				/* text that is not UTF-8 (a role's stderr) as netrig shows it */
				v = json_stringn(row[i].p, row[i].len);
				if (!v) {
					char *esc = nr_str_escaped(row[i].p);

					v = json_string(esc);
					free(esc);
				}
			}
		}
		json_array_append_new(a, v);
	}
	nr_buf_release(&b64);
	json_array_append_new(c->rows, a);
	return 0;
}

int nr_store_bundle_export(struct nr_store *st, const char *run_id, bool with_outputs,
			   struct nr_buf *out, struct nr_diag *d)
{
	struct nr_run_rec run = { 0 };
	json_t *doc = NULL, *tables;
	struct export_ctx c;
	char *text;
	size_t i;
	int r;

	if ((r = nr_store_run_get(st, run_id, &run, d)) < 0)
		return r;
	doc = json_object();
	tables = json_object();
	json_object_set_new(doc, "format", json_string(BUNDLE_FORMAT));
	json_object_set_new(doc, "schema", json_integer(BUNDLE_SCHEMA));
	json_object_set_new(doc, "run", json_string(run.id));
	json_object_set_new(doc, "tables", tables);
	for (i = 0; r == 0 && i < nr__store_n_tables; i++) {
		c.t = &nr__store_tables[i];
		if (!c.t->run_filter || (!with_outputs && !strcmp(c.t->name, "outputs")))
			continue;
		c.rows = json_array();
		json_object_set_new(tables, c.t->name,
				    json_pack("{s:s, s:o}", "columns", c.t->columns, "rows", c.rows));
		r = st->ops->export_rows(st, c.t, run.id, export_row, &c, d);
	}
	if (r == 0) {
		text = json_dumps(doc, JSON_COMPACT);
		nr_buf_adds(out, text);
		free(text);
	}
	json_decref(doc);
	nr_run_rec_release(&run);
	return r;
}

/* ---- in: a bundle as a merge source ---- */

struct bundle_table {
	struct nr__store_value *rows; /* n_rows x t->n */
	size_t n_rows;
};

struct nr_bundle {
	struct nr_store base;
	struct bundle_table *tabs; /* one per nr__store_tables[] */
	json_t *doc;               /* the strings rows point into (read by jansson) */
	char *strings;             /* the strings rows point into (read by the scanner) */
	struct nr_strvec blobs;    /* decoded BLOBs (and made rows' strings) rows point into */
	char run_id[NR_UUID_LEN + 1];
};

static int bundle_export_rows(struct nr_store *base, const struct nr__store_table *t,
			      const char *run_id, nr__store_row_fn fn, void *ctx, struct nr_diag *d)
{
	struct nr_bundle *b = (struct nr_bundle *)base;
	const struct bundle_table *bt = &b->tabs[t - nr__store_tables];
	size_t i;
	int r = 0;

	(void)run_id; /* a bundle holds one run */
	for (i = 0; r == 0 && i < bt->n_rows; i++)
		r = fn(ctx, &bt->rows[i * t->n], d);
	return r;
}

static const struct nr_store_ops bundle_ops = {
	.name = "bundle",
	.export_rows = bundle_export_rows,
};

static void bundle_release(struct nr_bundle *b)
{
	size_t i;

	for (i = 0; b->tabs && i < nr__store_n_tables; i++)
		free(b->tabs[i].rows);
	free(b->tabs);
	nr_strvec_clear(&b->blobs);
	json_decref(b->doc);
	free(b->strings);
}

static bool is_uuid(const char *s, size_t len)
{
	size_t i;

	if (len != NR_UUID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return false;
	}
	return true;
}

/*
 * The deepest nesting of arrays and objects in JSON text, counted before
 * a parser recurses into it: a body of a million '[' is refused cheaply.
 */
static size_t json_depth(const char *s, size_t len)
{
	size_t i, depth = 0, max = 0;
	bool in_string = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return max;
}

/* A jansson value as the scanner's. */
static void jvalue_of(json_t *j, struct nr_jvalue *v)
{
	memset(v, 0, sizeof(*v));
	switch (json_typeof(j)) {
	case JSON_OBJECT: v->type = NR_J_OBJECT; break;
	case JSON_ARRAY: v->type = NR_J_ARRAY; break;
	case JSON_TRUE: v->type = NR_J_TRUE; break;
	case JSON_FALSE: v->type = NR_J_FALSE; break;
	case JSON_INTEGER:
		v->type = NR_J_INT;
		v->i = json_integer_value(j);
		break;
	case JSON_REAL:
		v->type = NR_J_REAL;
		v->f = json_real_value(j);
		break;
	case JSON_STRING:
		v->type = NR_J_STRING;
		v->s = json_string_value(j);
		v->len = json_string_length(j);
		break;
	default:
		v->type = NR_J_NULL;
	}
}

/* One value of a row into v, by the column's kind. */
static int read_value(struct nr_bundle *b, const struct nr__store_table *t, size_t col,
		      const struct nr_jvalue *j, struct nr__store_value *v, size_t row,
		      struct nr_diag *d)
{
	const char *name = t->name;
	struct nr_buf blob = NR_BUF_INIT;

	memset(v, 0, sizeof(*v));
	if (j->type == NR_J_NULL) {
		v->null = true;
		return 0;
	}
	switch (t->kinds[col]) {
	case NR__STORE_INT:
		if (j->type != NR_J_INT)
			goto wrong;
		v->i = j->i;
		return 0;
	case NR__STORE_REAL:
		if (j->type != NR_J_INT && j->type != NR_J_REAL)
			goto wrong;
		v->f = j->type == NR_J_INT ? (double)j->i : j->f;
		return 0;
	case NR__STORE_BLOB:
		if (j->type != NR_J_STRING || nr_base64_decode(&blob, j->s, j->len) < 0) {
			nr_buf_release(&blob);
			return nr_diagf(d, NR_EINVAL, "%s row %zu column %zu: not base64", name,
					row + 1, col + 1);
		}
		v->len = blob.len;
		nr_strvec_push_owned(&b->blobs, nr_buf_detach(&blob, NULL));
		v->p = b->blobs.v[b->blobs.n - 1];
		return 0;
	case NR__STORE_ID:
		if (j->type != NR_J_STRING || !is_uuid(j->s, j->len))
			return nr_diagf(d, NR_EINVAL, "%s row %zu column %zu: not a UUID", name,
					row + 1, col + 1);
		v->p = j->s;
		v->len = j->len;
		return 0;
	default:
		if (j->type != NR_J_STRING)
			goto wrong;
		v->p = j->s;
		v->len = j->len;
		return 0;
	}
wrong:
	return nr_diagf(d, NR_EINVAL, "%s row %zu column %zu: %s where %s belongs", name, row + 1,
			col + 1, j->type == NR_J_STRING ? "a string" : j->type == NR_J_OBJECT ? "an object"
			: j->type == NR_J_ARRAY ? "an array"
			: j->type == NR_J_TRUE || j->type == NR_J_FALSE ? "a boolean" : "a number",
			t->kinds[col] == NR__STORE_INT ? "an integer"
			: t->kinds[col] == NR__STORE_REAL ? "a number" : "a string");
}

static int read_table(struct nr_bundle *b, size_t ti, json_t *jt, struct nr_diag *d)
{
	const struct nr__store_table *t = &nr__store_tables[ti];
	struct bundle_table *bt = &b->tabs[ti];
	json_t *cols = json_object_get(jt, "columns"), *rows = json_object_get(jt, "rows"), *row;
	struct nr_jvalue v;
	size_t i, k;
	int r;

	if (!json_is_object(jt) || !json_is_string(cols) || !json_is_array(rows))
		return nr_diagf(d, NR_EINVAL, "table %s: wants {\"columns\": \"...\", \"rows\": [...]}",
				t->name);
	if (strcmp(json_string_value(cols), t->columns) != 0)
		return nr_diagf(d, NR_EINVAL, "table %s: columns \"%.200s\", this netrig's are \"%s\"",
				t->name, json_string_value(cols), t->columns);
	bt->n_rows = json_array_size(rows);
	bt->rows = nr_xcalloc(bt->n_rows * t->n + 1, sizeof(*bt->rows));
	json_array_foreach(rows, i, row) {
		if (!json_is_array(row) || json_array_size(row) != t->n)
			return nr_diagf(d, NR_EINVAL, "%s row %zu: wants an array of %zu values",
					t->name, i + 1, t->n);
		for (k = 0; k < t->n; k++) {
			jvalue_of(json_array_get(row, k), &v);
			if ((r = read_value(b, t, k, &v, &bt->rows[i * t->n + k], i, d)) < 0)
				return r;
		}
	}
	return 0;
}

static const struct bundle_table *tab(const struct nr_bundle *b, const char *name, size_t *ret_i)
{
	size_t i;

	for (i = 0; i < nr__store_n_tables; i++)
		if (!strcmp(nr__store_tables[i].name, name))
			break;
	if (ret_i)
		*ret_i = i;
	return &b->tabs[i];
}

#define CELL(bt, name, row, col) (&(bt)->rows[(row) * nr__store_tables[tab_index(name)].n + (col)])

static size_t tab_index(const char *name)
{
	size_t i;

	for (i = 0; i < nr__store_n_tables && strcmp(nr__store_tables[i].name, name); i++)
		;
	return i;
}

/* Row `row`'s column `col` of table `name` is this run's id, or a fault named `what`. */
static int own_run(const struct nr_bundle *b, const char *name, size_t row, size_t col,
		   struct nr_diag *d)
{
	const struct nr__store_value *v = CELL(tab(b, name, NULL), name, row, col);

	if (v->null || strcmp(v->p, b->run_id) != 0)
		return nr_diagf(d, NR_EINVAL, "%s row %zu belongs to another run than %s", name,
				row + 1, b->run_id);
	return 0;
}

/* Ids unique in the bundle, references only to rows of the bundle: one run, whole. */
static int check_refs(struct nr_bundle *b, struct nr_diag *d)
{
	const struct bundle_table *runs = tab(b, "runs", NULL), *hosts = tab(b, "hosts", NULL),
				  *cases = tab(b, "cases", NULL), *atts = tab(b, "attempts", NULL),
				  *outs = tab(b, "outputs", NULL), *samples = tab(b, "samples", NULL),
				  *events = tab(b, "events", NULL), *metrics = tab(b, "metrics", NULL);
	struct nr_strset case_ids = NR_STRSET_INIT, att_ids = NR_STRSET_INIT, ids = NR_STRSET_INIT;
	struct nr_strset names = NR_STRSET_INIT;
	const struct nr__store_value *v;
	size_t i, at;
	int r = 0;

	if (runs->n_rows != 1 || runs->rows[0].null || strcmp(runs->rows[0].p, b->run_id) != 0) {
		r = nr_diagf(d, NR_EINVAL, "a bundle holds exactly one run, %s", b->run_id);
		goto out;
	}
	for (i = 0; r == 0 && i < hosts->n_rows; i++)
		if ((r = own_run(b, "hosts", i, 1, d)) == 0 &&
		    !nr_strset_add(&ids, CELL(hosts, "hosts", i, 0)->p, i, NULL))
			r = nr_diagf(d, NR_EINVAL, "hosts row %zu: an id twice", i + 1);
	for (i = 0; r == 0 && i < cases->n_rows; i++)
		if ((r = own_run(b, "cases", i, 1, d)) == 0 &&
		    !nr_strset_add(&case_ids, CELL(cases, "cases", i, 0)->p, i, NULL))
			r = nr_diagf(d, NR_EINVAL, "cases row %zu: an id twice", i + 1);
	for (i = 0; r == 0 && i < atts->n_rows; i++) {
		v = CELL(atts, "attempts", i, 1);
		if (v->null || !nr_strset_find(&case_ids, v->p, NULL))
			r = nr_diagf(d, NR_EINVAL, "attempts row %zu: its case is not in the bundle",
				     i + 1);
		else if (!nr_strset_add(&att_ids, CELL(atts, "attempts", i, 0)->p, i, NULL))
			r = nr_diagf(d, NR_EINVAL, "attempts row %zu: an id twice", i + 1);
	}
	for (i = 0; r == 0 && i < outs->n_rows; i++) {
		v = CELL(outs, "outputs", i, 0);
		if (v->null || !nr_strset_find(&att_ids, v->p, NULL))
			r = nr_diagf(d, NR_EINVAL, "outputs row %zu: its attempt is not in the bundle",
				     i + 1);
	}
	for (i = 0; r == 0 && i < samples->n_rows; i++) {
		v = CELL(samples, "samples", i, 0);
		if (v->null || !nr_strset_find(&att_ids, v->p, &at))
			r = nr_diagf(d, NR_EINVAL, "samples row %zu: its attempt is not in the bundle",
				     i + 1);
		else if (CELL(samples, "samples", i, 2)->null ||
			 strcmp(CELL(samples, "samples", i, 2)->p, CELL(atts, "attempts", at, 1)->p))
			r = nr_diagf(d, NR_EINVAL, "samples row %zu: not its attempt's case", i + 1);
	}
	/*
	 * metrics is shared by every run: a bundle may bring only the
	 * metrics its own samples use (the first to bring one names its
	 * unit and direction, as in a merge)
	 */
	for (i = 0; r == 0 && i < samples->n_rows; i++) {
		v = CELL(samples, "samples", i, 5);
		if (!v->null)
			nr_strset_add(&names, v->p, i, NULL);
	}
	for (i = 0; r == 0 && i < metrics->n_rows; i++) {
		v = CELL(metrics, "metrics", i, 0);
		if (v->null || !nr_strset_find(&names, v->p, NULL))
			r = nr_diagf(d, NR_EINVAL, "metrics row %zu: a metric none of its samples has",
				     i + 1);
	}
	for (i = 0; r == 0 && i < events->n_rows; i++) {
		v = CELL(events, "events", i, 2);
		if ((r = own_run(b, "events", i, 1, d)) == 0 && !v->null &&
		    !nr_strset_find(&case_ids, v->p, NULL))
			r = nr_diagf(d, NR_EINVAL, "events row %zu: its case is not in the bundle",
				     i + 1);
	}
out:
	nr_strset_release(&case_ids);
	nr_strset_release(&att_ids);
	nr_strset_release(&ids);
	nr_strset_release(&names);
	return r;
}

/*
 * ---- the scanner's road ----
 *
 * jansson builds a tree of the whole body (an allocation per value) and
 * frees it again: about half of the server's own instructions per
 * upload (callgrind, bench/serve.sh's bundle). A bundle as netrig push
 * writes it is read here instead, value by value, straight into the
 * rows; anything else (another shape, a key twice, a value of the wrong
 * type, an escape the scanner does not take) returns 1, and the bundle
 * is read again through jansson, whose road also says what is wrong. So
 * this road only ever accepts, and only what the other accepts too.
 */

/* Table ti's rows: an array of arrays of t->n scalars each. */
static int scan_rows(struct nr_bundle *b, size_t ti, struct nr_jscan *s)
{
	const struct nr__store_table *t = &nr__store_tables[ti];
	struct bundle_table *bt = &b->tabs[ti];
	struct nr_jvalue v;
	size_t cap = 0, k;

	NR_GROW(bt->rows, 1, cap); /* not NULL: the table was read */
	if (!nr_jscan_punct(s, '['))
		return 1;
	if (nr_jscan_punct(s, ']'))
		return 0;
	do {
		if (!nr_jscan_punct(s, '['))
			return 1;
		NR_GROW(bt->rows, (bt->n_rows + 1) * t->n + 1, cap);
		for (k = 0; k < t->n; k++)
			if ((k && !nr_jscan_punct(s, ',')) || !nr_jscan_value(s, &v) ||
			    v.type == NR_J_OBJECT || v.type == NR_J_ARRAY ||
			    read_value(b, t, k, &v, &bt->rows[bt->n_rows * t->n + k], bt->n_rows,
				       NULL) < 0)
				return 1;
		if (!nr_jscan_punct(s, ']'))
			return 1;
		bt->n_rows++;
	} while (nr_jscan_punct(s, ','));
	return nr_jscan_punct(s, ']') ? 0 : 1;
}

/* "tables": {NAME: {"columns": "...", "rows": [...]}, ...} */
static int scan_tables(struct nr_bundle *b, struct nr_jscan *s)
{
	const char *name, *key, *cols;
	bool has_cols, has_rows;
	size_t len, ti;

	if (!nr_jscan_punct(s, '{'))
		return 1;
	if (nr_jscan_punct(s, '}'))
		return 0;
	do {
		if (!nr_jscan_string(s, &name, &len) || !nr_jscan_punct(s, ':'))
			return 1;
		tab(b, name, &ti);
		if (ti == nr__store_n_tables || !nr__store_tables[ti].run_filter || b->tabs[ti].rows ||
		    !nr_jscan_punct(s, '{'))
			return 1;
		has_cols = has_rows = false;
		do {
			if (!nr_jscan_string(s, &key, &len) || !nr_jscan_punct(s, ':'))
				return 1;
			if (!strcmp(key, "columns") && !has_cols) {
				if (!nr_jscan_string(s, &cols, &len) ||
				    strcmp(cols, nr__store_tables[ti].columns) != 0)
					return 1;
				has_cols = true;
			} else if (!strcmp(key, "rows") && !has_rows) {
				if (scan_rows(b, ti, s) != 0)
					return 1;
				has_rows = true;
			} else {
				return 1;
			}
		} while (nr_jscan_punct(s, ','));
		if (!nr_jscan_punct(s, '}') || !has_cols || !has_rows)
			return 1;
	} while (nr_jscan_punct(s, ','));
	return nr_jscan_punct(s, '}') ? 0 : 1;
}

/* The whole body: 0 read (its references not checked yet), 1 for jansson's road. */
static int bundle_scan(struct nr_bundle *b, struct nr_slice text)
{
	static const char *const keys[] = { "format", "schema", "run", "tables" };
	bool seen[NR_ARRAY_SIZE(keys)] = { false };
	struct nr_jscan s;
	struct nr_jvalue v;
	const char *key;
	size_t len, k;

	b->strings = nr_xmalloc(text.len + 1);
	nr_jscan_init(&s, text.ptr, text.len, b->strings);
	if (!nr_jscan_punct(&s, '{'))
		return 1;
	do {
		if (!nr_jscan_string(&s, &key, &len) || !nr_jscan_punct(&s, ':'))
			return 1;
		for (k = 0; k < NR_ARRAY_SIZE(keys) && strcmp(keys[k], key); k++)
			;
		if (k == NR_ARRAY_SIZE(keys) || seen[k])
			return 1;
		seen[k] = true;
		if (k == 3) {
			if (scan_tables(b, &s) != 0)
				return 1;
			continue;
		}
		if (!nr_jscan_value(&s, &v))
			return 1;
		if (k == 0 && (v.type != NR_J_STRING || strcmp(v.s, BUNDLE_FORMAT) != 0))
			return 1;
		if (k == 1 && (v.type != NR_J_INT || v.i != BUNDLE_SCHEMA))
			return 1;
		if (k == 2) {
			if (v.type != NR_J_STRING || !is_uuid(v.s, v.len))
				return 1;
			snprintf(b->run_id, sizeof(b->run_id), "%s", v.s);
		}
	} while (nr_jscan_punct(&s, ','));
	if (!nr_jscan_punct(&s, '}') || !nr_jscan_end(&s))
		return 1;
	for (k = 0; k < NR_ARRAY_SIZE(keys); k++)
		if (!seen[k])
			return 1;
	return 0;
}

static int bundle_parse(struct nr_bundle *b, struct nr_slice text, size_t max_depth,
			enum nr__bundle_road road, struct nr_diag *d)
{
	json_t *tables, *jt, *fmt, *run;
	json_error_t err;
	const char *name;
	size_t ti;
	int r;

	b->base.ops = &bundle_ops;
	b->tabs = nr_xcalloc(nr__store_n_tables, sizeof(*b->tabs));
	if (json_depth(text.ptr, text.len) > max_depth)
		return nr_diagf(d, NR_EPARSE, "JSON nested deeper than %zu", max_depth);
	if (road != NR__BUNDLE_JANSSON && (r = bundle_scan(b, text)) == 0)
		return check_refs(b, d);
	if (road == NR__BUNDLE_SCANNER)
		return 1;
	/* jansson's road, from the beginning */
	bundle_release(b);
	memset(&b->blobs, 0, sizeof(b->blobs));
	b->doc = NULL;
	b->strings = NULL;
	b->run_id[0] = '\0';
	b->tabs = nr_xcalloc(nr__store_n_tables, sizeof(*b->tabs));
	b->doc = json_loadb(text.ptr, text.len, JSON_REJECT_DUPLICATES, &err);
	if (!b->doc)
		return nr_diagf(d, NR_EPARSE, "not JSON: line %d column %d: %s", err.line, err.column,
				err.text);
	fmt = json_object_get(b->doc, "format");
	run = json_object_get(b->doc, "run");
	tables = json_object_get(b->doc, "tables");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), BUNDLE_FORMAT) != 0)
		return nr_diagf(d, NR_EINVAL, "not a bundle: wants \"format\": \"" BUNDLE_FORMAT "\"");
	if (!json_is_integer(json_object_get(b->doc, "schema")) ||
	    json_integer_value(json_object_get(b->doc, "schema")) != BUNDLE_SCHEMA)
		return nr_diagf(d, NR_EINVAL, "a bundle of schema %d is wanted (this netrig's)",
				BUNDLE_SCHEMA);
	if (!json_is_string(run) || !is_uuid(json_string_value(run), json_string_length(run)))
		return nr_diagf(d, NR_EINVAL, "\"run\" wants the run's id (a UUID)");
	snprintf(b->run_id, sizeof(b->run_id), "%s", json_string_value(run));
	if (!json_is_object(tables))
		return nr_diagf(d, NR_EINVAL, "\"tables\" wants an object");
	json_object_foreach(tables, name, jt) {
		tab(b, name, &ti);
		if (ti == nr__store_n_tables || !nr__store_tables[ti].run_filter)
			return nr_diagf(d, NR_EINVAL, "a bundle has no table '%.100s'", name);
		if ((r = read_table(b, ti, jt, d)) < 0)
			return r;
	}
	return check_refs(b, d);
}

/* A JSON array of the ids (column 0) of table `name`, for id_elsewhere. */
static char *ids_json(const struct nr_bundle *b, const char *name)
{
	const struct bundle_table *bt = tab(b, name, NULL);
	struct nr_buf out = NR_BUF_INIT;
	size_t i;

	nr_buf_addch(&out, '[');
	for (i = 0; i < bt->n_rows; i++) /* UUIDs: nothing to escape */
		nr_buf_addf(&out, "%s\"%s\"", i ? "," : "", CELL(bt, name, i, 0)->p);
	nr_buf_addch(&out, ']');
	return nr_buf_detach(&out, NULL);
}

int nr__store_bundle_read_by(struct nr_slice text, size_t max_depth, enum nr__bundle_road road,
			      struct nr_bundle **ret, struct nr_diag *d)
{
	struct nr_bundle *b = nr_xcalloc(1, sizeof(*b));
	int r = bundle_parse(b, text, max_depth, road, d);

	if (r != 0) {
		nr_bundle_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

int nr_store_bundle_read(struct nr_slice text, size_t max_depth, struct nr_bundle **ret,
			 struct nr_diag *d)
{
	return nr__store_bundle_read_by(text, max_depth, NR__BUNDLE_ANY, ret, d);
}

struct nr_store *nr__store_bundle_source(struct nr_bundle *b)
{
	return &b->base;
}

void nr_bundle_free(struct nr_bundle *b)
{
	if (!b)
		return;
	bundle_release(b);
	free(b);
}

int nr_store_bundle_add(struct nr_store *st, struct nr_bundle *b, const char *user,
			struct nr_bundle_result *ret, struct nr_diag *d)
{
	static const char *const keyed[] = { "hosts", "cases", "attempts", "events" };
	struct nr__store_value upload[3] = { { 0 } };
	struct nr_merge_stats m = { 0 };
	struct bundle_table *up;
	char other[NR_UUID_LEN + 1], *owner = NULL, *ids;
	bool exists = false;
	size_t i, ti;
	int r;

	if ((r = nr_store_upload_owner(st, b->run_id, &exists, &owner, d)) < 0)
		goto out;
	if (exists && (!owner || strcmp(owner, user) != 0)) {
		/* the other user's name is theirs to know: not said */
		r = nr_diagf(d, -EPERM, "run %s is here and was not uploaded by %s", b->run_id, user);
		goto out;
	}
	for (i = 0; i < NR_ARRAY_SIZE(keyed); i++) {
		/* no rows, no id to find elsewhere (a bundle of a run without events): no statement */
		if (!tab(b, keyed[i], NULL)->n_rows)
			continue;
		ids = ids_json(b, keyed[i]);
		r = st->ops->id_elsewhere(st, &nr__store_tables[tab_index(keyed[i])], ids, b->run_id,
					  other, d);
		free(ids);
		if (r < 0)
			goto out;
		if (other[0]) {
			r = nr_diagf(d, -EEXIST, "%s %s belongs to another run here", keyed[i], other);
			goto out;
		}
	}
	/* the upload's own row, made here: who sent it, and when (again for each add) */
	up = (struct bundle_table *)tab(b, "uploads", &ti);
	upload[0].p = b->run_id;
	upload[0].len = strlen(b->run_id);
	upload[1].p = user;
	upload[1].len = strlen(user);
	upload[2].i = nr_wall_us();
	free(up->rows);
	up->rows = nr_xmalloc(sizeof(upload));
	memcpy(up->rows, upload, sizeof(upload));
	up->n_rows = 1;
	if ((r = st->ops->import_from(st, &b->base, &m, d)) < 0)
		goto out;
	snprintf(ret->run_id, sizeof(ret->run_id), "%s", b->run_id);
	ret->added = m;
out:
	free(owner);
	return r;
}

int nr_store_bundle_import(struct nr_store *st, struct nr_slice text, size_t max_depth,
			   const char *user, struct nr_bundle_result *ret, struct nr_diag *d)
{
	struct nr_bundle *b = NULL;
	int r = nr_store_bundle_read(text, max_depth, &b, d);

	if (r == 0)
		r = nr_store_bundle_add(st, b, user, ret, d);
	nr_bundle_free(b);
	return r;
}
