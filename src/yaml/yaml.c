#include "yaml/yaml.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/mem.h"
#include "base/num.h"

#define MAX_DEPTH 64

struct anchor {
	char *name;
	struct nr_ynode *node;
};

struct builder {
	struct nr_ydoc *doc;
	struct nr_ynode *stack[MAX_DEPTH];
	/* a mapping's children arrive as key, value, key, value: the key
	 * waits here, per depth, until its value comes */
	struct nr_ynode *pending[MAX_DEPTH];
	int depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	struct nr_diag *d;
	const char *text; /* the input, for the marks' offsets */
	size_t len;
};

static struct nr_ynode *new_node(struct builder *b, enum nr_ynode_kind kind,
				 const struct fy_mark *m)
{
	struct nr_ynode *n = nr_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = m ? m->line + 1 : 0;
	n->column = m ? m->column + 1 : 0;
	NR_GROW(b->doc->all, b->doc->n_all + 1, b->doc->cap_all);
	b->doc->all[b->doc->n_all++] = n;
	return n;
}

static void push_item(struct nr_ynode *parent, struct nr_ynode *key,
		      struct nr_ynode *item)
{
	size_t old_cap = parent->cap;

	NR_GROW(parent->items, parent->n + 1, parent->cap);
	if (parent->kind == NR_Y_MAP) {
		/* keys grow in step with items (only then: a realloc may copy every time) */
		if (parent->cap != old_cap)
			parent->keys = nr_xrealloc(parent->keys, parent->cap * sizeof(*parent->keys));
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = item;
}

static void add_anchor(struct builder *b, struct fy_token *tok, struct nr_ynode *n)
{
	size_t len;
	const char *name;

	if (!tok)
		return;
	name = fy_token_get_text(tok, &len);
	if (!name)
		return;
	NR_GROW(b->anchors, b->n_anchors + 1, b->cap_anchors);
	b->anchors[b->n_anchors].name = nr_xstrndup(name, len);
	b->anchors[b->n_anchors].node = n;
	b->n_anchors++;
}

static struct nr_ynode *find_anchor(struct builder *b, struct fy_token *tok)
{
	size_t len, i;
	const char *name = fy_token_get_text(tok, &len);

	/* the latest definition of a name wins, as YAML says */
	for (i = b->n_anchors; name && i-- > 0;)
		if (strlen(b->anchors[i].name) == len && !memcmp(b->anchors[i].name, name, len))
			return b->anchors[i].node;
	return NULL;
}

static int attach(struct builder *b, struct nr_ynode *n)
{
	struct nr_ynode *parent;

	if (b->depth == 0) {
		if (!b->doc->root)
			b->doc->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->kind == NR_Y_SEQ) {
		push_item(parent, NULL, n);
	} else if (!b->pending[b->depth - 1]) {
		if (n->kind != NR_Y_SCALAR)
			return nr_diag_set(b->d, NR_EPARSE,
					   "%s:%d:%d: a mapping key must be a plain value",
					   b->doc->file, n->line, n->column);
		b->pending[b->depth - 1] = n;
	} else {
		push_item(parent, b->pending[b->depth - 1], n);
		b->pending[b->depth - 1] = NULL;
	}
	return 0;
}

/* Expand "<<: *anchor" (or a list of them) into the mapping; explicit keys win. */
static void merge_keys(struct nr_ynode *map)
{
	size_t i = 0;

	while (i < map->n) {
		struct nr_ynode *src = map->items[i];
		struct nr_ynode **srcs = &src;
		size_t n_srcs = 1, s;

		if (strcmp(map->keys[i]->scalar, "<<") != 0 || map->keys[i]->quoted) {
			i++;
			continue;
		}
		if (src->kind == NR_Y_SEQ) {
			srcs = src->items;
			n_srcs = src->n;
		}
		memmove(&map->keys[i], &map->keys[i + 1], (map->n - i - 1) * sizeof(*map->keys));
		memmove(&map->items[i], &map->items[i + 1], (map->n - i - 1) * sizeof(*map->items));
		map->n--;
		for (s = 0; s < n_srcs; s++) {
			size_t k;

			if (srcs[s]->kind != NR_Y_MAP)
				continue;
			for (k = 0; k < srcs[s]->n; k++)
				if (!nr_ynode_get(map, srcs[s]->keys[k]->scalar))
					push_item(map, srcs[s]->keys[k], srcs[s]->items[k]);
		}
	}
}

/* Hashed: comparing every key with every other made 50,000 keys take 15 s. */
static int check_duplicates(struct builder *b, const struct nr_ynode *map)
{
	struct nr_strset seen = NR_STRSET_INIT;
	size_t i, j;
	int r = 0;

	for (i = 0; i < map->n && r == 0; i++)
		if (!nr_strset_add(&seen, map->keys[i]->scalar, i, &j))
			r = nr_diag_set(b->d, NR_EPARSE, "%s:%d:%d: duplicate key '%s' (first at line %d)",
					b->doc->file, map->keys[i]->line, map->keys[i]->column,
					map->keys[i]->scalar, map->keys[j]->line);
	nr_strset_release(&seen);
	return r;
}

/*
 * libfyaml writes "name:line:col: error: message" through its diag output
 * (its collected-error list stays empty for parser errors); keep the first.
 */
struct first_error {
	int line, column;
	char msg[256];
};

static void diag_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct first_error *fe = user;
	char text[512];
	const char *err, *p;
	int col = 0, line = 0, mul = 1;

	(void)diag;
	if (fe->msg[0] || len >= sizeof(text))
		return;
	memcpy(text, buf, len);
	text[len] = '\0';
	err = strstr(text, ": error: ");
	if (!err)
		return;
	/* walk back over ":line:col" */
	for (p = err - 1; p > text && *p >= '0' && *p <= '9'; p--, mul *= 10)
		col += (*p - '0') * mul;
	if (p <= text || *p != ':')
		return;
	for (p--, mul = 1; p > text && *p >= '0' && *p <= '9'; p--, mul *= 10)
		line += (*p - '0') * mul;
	fe->line = line;
	fe->column = col;
	snprintf(fe->msg, sizeof(fe->msg), "%s", err + 9);
	fe->msg[strcspn(fe->msg, "\n")] = '\0';
}

static int syntax_error(struct builder *b, const struct first_error *fe)
{
	if (fe->msg[0])
		return nr_diag_set(b->d, NR_EPARSE, "%s:%d:%d: %s", b->doc->file, fe->line,
				   fe->column, fe->msg);
	return nr_diag_set(b->d, NR_EPARSE, "%s: not valid YAML", b->doc->file);
}

static int handle(struct builder *b, struct fy_event *ev)
{
	const struct fy_mark *m = fy_event_start_mark(ev);
	struct nr_ynode *n;
	const char *text;
	size_t len;
	int r;

	switch (ev->type) {
	case FYET_SCALAR:
		n = new_node(b, NR_Y_SCALAR, m);
		text = fy_token_get_text(ev->scalar.value, &len);
		n->scalar = nr_xstrndup(text ? text : "", text ? len : 0);
		n->quoted = fy_token_scalar_style(ev->scalar.value) != FYSS_PLAIN;
		/* a quoted scalar's mark is its first character: name the quote,
		 * where the value starts for the reader */
		if (n->quoted && m && m->input_pos > 0 && m->input_pos <= b->len &&
		    (b->text[m->input_pos - 1] == '"' || b->text[m->input_pos - 1] == '\''))
			n->column--;
		/* "\0" in a quoted scalar: a C string would silently end there */
		if (text && memchr(text, '\0', len))
			return nr_diag_set(b->d, NR_EPARSE, "%s:%d:%d: a value holds a NUL character",
					   b->doc->file, n->line, n->column);
		add_anchor(b, ev->scalar.anchor, n);
		return attach(b, n);
	case FYET_ALIAS:
		n = find_anchor(b, ev->alias.anchor);
		if (!n)
			return nr_diag_set(b->d, NR_EPARSE, "%s:%d:%d: unknown alias",
					   b->doc->file, m ? m->line + 1 : 0,
					   m ? m->column + 1 : 0);
		return attach(b, n);
	case FYET_SEQUENCE_START:
	case FYET_MAPPING_START:
		if (b->depth == MAX_DEPTH)
			return nr_diag_set(b->d, NR_EPARSE, "%s:%d:%d: nested too deeply",
					   b->doc->file, m ? m->line + 1 : 0,
					   m ? m->column + 1 : 0);
		n = new_node(b, ev->type == FYET_MAPPING_START ? NR_Y_MAP : NR_Y_SEQ, m);
		add_anchor(b, ev->type == FYET_MAPPING_START ? ev->mapping_start.anchor
							     : ev->sequence_start.anchor, n);
		r = attach(b, n);
		if (r < 0)
			return r;
		b->pending[b->depth] = NULL;
		b->stack[b->depth++] = n;
		return 0;
	case FYET_SEQUENCE_END:
	case FYET_MAPPING_END:
		n = b->stack[--b->depth];
		if (n->kind == NR_Y_MAP) {
			merge_keys(n);
			return check_duplicates(b, n);
		}
		return 0;
	default:
		return 0;
	}
}

int nr_ydoc_parse(const char *file, const char *text, size_t len,
		  struct nr_ydoc **ret, struct nr_diag *d)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag;
	struct fy_parser *fyp = NULL;
	struct fy_parse_cfg cfg;
	struct builder b = { 0 };
	struct fy_event *ev;
	struct first_error fe = { 0 };
	int r = 0, docs = 0;
	size_t i;

	b.doc = nr_xcalloc(1, sizeof(*b.doc));
	b.doc->file = nr_xstrdup(file);
	b.d = d;
	b.text = text;
	b.len = len;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_output;
	dcfg.user = &fe;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2;
	cfg.diag = diag;
	fyp = diag ? fy_parser_create(&cfg) : NULL;
	if (!fyp || fy_parser_set_string(fyp, text, len) != 0) {
		r = nr_diag_set(d, NR_EPARSE, "%s: cannot start the YAML parser", file);
		goto out;
	}
	while ((ev = fy_parser_parse(fyp)) != NULL) {
		if (ev->type == FYET_DOCUMENT_START && ++docs > 1) {
			const struct fy_mark *m = fy_event_start_mark(ev);

			r = nr_diag_set(d, NR_EPARSE,
					"%s:%d:%d: only one YAML document is allowed",
					file, m ? m->line + 1 : 0, m ? m->column + 1 : 0);
		}
		if (r == 0)
			r = handle(&b, ev);
		fy_parser_event_free(fyp, ev);
		if (r < 0)
			break;
	}
	if (r == 0 && fy_parser_get_stream_error(fyp))
		r = syntax_error(&b, &fe);
out:
	for (i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (fyp)
		fy_parser_destroy(fyp);
	if (diag)
		fy_diag_destroy(diag);
	if (r < 0) {
		nr_ydoc_free(b.doc);
		return r;
	}
	*ret = b.doc;
	return 0;
}

void nr_ydoc_free(struct nr_ydoc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->n_all; i++) {
		free(doc->all[i]->scalar);
		free(doc->all[i]->items);
		free(doc->all[i]->keys);
		free(doc->all[i]);
	}
	free(doc->all);
	free(doc->file);
	free(doc);
}

struct nr_ynode *nr_ynode_get(const struct nr_ynode *map, const char *key)
{
	size_t i;

	if (!map || map->kind != NR_Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->scalar, key))
			return map->items[i];
	return NULL;
}

bool nr_ynode_is_null(const struct nr_ynode *n)
{
	return n && n->kind == NR_Y_SCALAR && !n->quoted &&
	       (!n->scalar[0] || !strcmp(n->scalar, "~") || !strcmp(n->scalar, "null") ||
		!strcmp(n->scalar, "Null") || !strcmp(n->scalar, "NULL"));
}

const char *nr_ynode_kind_name(const struct nr_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case NR_Y_SCALAR:
		return "a value";
	case NR_Y_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}
