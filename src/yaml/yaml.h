/*
 * A YAML (and so JSON) document as a small tree whose every node knows its
 * line and column, for messages like "quick.yaml:12:5: ...". Built from
 * libfyaml's events; anchors and aliases are resolved (an alias shares its
 * anchor's node) and "<<" merge keys are expanded. Used by campaign/ and lab/.
 */
#ifndef NR_YAML_H
#define NR_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

#include "base/err.h"

enum nr_ynode_kind { NR_Y_SCALAR, NR_Y_SEQ, NR_Y_MAP };

struct nr_ynode {
	enum nr_ynode_kind kind;
	int line, column;  /* 1-based */
	char *scalar;      /* NR_Y_SCALAR: the text, NUL-terminated */
	bool quoted;       /* NR_Y_SCALAR: written in quotes (never null/bool/number) */
	/* NR_Y_SEQ: items; NR_Y_MAP: keys[i] -> items[i] */
	struct nr_ynode **items;
	struct nr_ynode **keys;
	size_t n, cap;
};

struct nr_ydoc {
	struct nr_ynode *root; /* NULL for an empty document */
	char *file;            /* the name used in messages */
	/* every node, for freeing: aliases make the tree a DAG */
	struct nr_ynode **all;
	size_t n_all, cap_all;
};

/*
 * Parse `text` (len bytes) named `file` in messages. Only one document is
 * read. NR_EPARSE with "file:line:column: message" in d on a syntax error.
 */
int nr_ydoc_parse(const char *file, const char *text, size_t len,
		  struct nr_ydoc **ret, struct nr_diag *d);
void nr_ydoc_free(struct nr_ydoc *doc);

/* The value of `key` in a mapping, or NULL. */
struct nr_ynode *nr_ynode_get(const struct nr_ynode *map, const char *key);
/* Scalar "null", "~" or empty plain scalar. */
bool nr_ynode_is_null(const struct nr_ynode *n);
const char *nr_ynode_kind_name(const struct nr_ynode *n);

/* ---- reading a schema with positions (yaml_read.c) ---- */

/*
 * Where a loader reports: every message is "file:line:column: message"
 * and goes into d with NR_ECONFIG.
 */
struct nr_yread {
	const char *file;
	struct nr_diag *d;
};

int nr_yread_fail(const struct nr_yread *r, const struct nr_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Every key of map must be one of allowed[]; else "unknown key" with a guess. */
int nr_yread_check_keys(const struct nr_yread *r, const struct nr_ynode *map,
			const char *const *allowed, size_t n, const char *where);
/* n must be of `kind`; else "'key' must be a list, not a value". */
int nr_yread_want(const struct nr_yread *r, const struct nr_ynode *n, enum nr_ynode_kind kind,
		  const char *key);
/* The key node of `key` in map (for positions), or the map itself. */
const struct nr_ynode *nr_yread_key_node(const struct nr_ynode *map, const char *key);

/*
 * Typed values of map[key]: 1 (and *ret written) when there, 0 when the
 * key is absent, negative with a positioned message when it is wrong.
 */
int nr_yread_scalar(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		    const struct nr_ynode **ret);
int nr_yread_str(const struct nr_yread *r, const struct nr_ynode *map, const char *key, char **ret);
int nr_yread_int(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		 int64_t min, int64_t max, int64_t *ret);
/*
 * A duration from min_us (0, or 1 for "more than zero") to
 * NR_YREAD_MAX_DURATION_US: longer is a typo, and deadlines computed from
 * it stay far from overflowing.
 */
#define NR_YREAD_MAX_DURATION_US (30 * 86400 * 1000000LL)
int nr_yread_duration(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		      int64_t min_us, int64_t *ret_us);
int nr_yread_size(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		  size_t *ret);
int nr_yread_bool(const struct nr_yread *r, const struct nr_ynode *map, const char *key, bool *ret);

#endif
