/*
 * Loaders of YAML files with a schema (campaigns, labs) share these: typed
 * getters and key checks whose every message names file:line:column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "yaml/yaml.h"

int nr_yread_fail(const struct nr_yread *r, const struct nr_ynode *at, const char *fmt, ...)
{
	struct nr_buf shown = NR_BUF_INIT;
	char msg[NR_DIAG_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the message quotes the file's values ("\e[2J" is one): it goes to a terminal */
	nr_str_escape(&shown, msg, strlen(msg), NULL, 0);
	rc = nr_diag_set(r->d, NR_ECONFIG, "%s:%d:%d: %s", r->file, at ? at->line : 1,
			 at ? at->column : 1, shown.buf);
	nr_buf_release(&shown);
	return rc;
}

const struct nr_ynode *nr_yread_key_node(const struct nr_ynode *map, const char *key)
{
	size_t i;

	for (i = 0; map && map->kind == NR_Y_MAP && i < map->n; i++)
		if (!strcmp(map->keys[i]->scalar, key))
			return map->keys[i];
	return map;
}

int nr_yread_check_keys(const struct nr_yread *r, const struct nr_ynode *map,
			const char *const *allowed, size_t n, const char *where)
{
	size_t i, j;

	for (i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->scalar;
		const char *guess;

		for (j = 0; j < n; j++)
			if (!strcmp(k, allowed[j]))
				break;
		if (j < n)
			continue;
		guess = nr_did_you_mean(k, allowed, n);
		if (guess)
			return nr_yread_fail(r, map->keys[i], "unknown key '%s' in %s (did you mean '%s'?)",
					     k, where, guess);
		return nr_yread_fail(r, map->keys[i], "unknown key '%s' in %s", k, where);
	}
	return 0;
}

int nr_yread_want(const struct nr_yread *r, const struct nr_ynode *n, enum nr_ynode_kind kind,
		  const char *key)
{
	static const char *const names[] = { "a single value", "a list", "a mapping" };

	if (n->kind == kind)
		return 0;
	return nr_yread_fail(r, n, "'%s' must be %s, not %s", key, names[kind], nr_ynode_kind_name(n));
}

int nr_yread_scalar(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		    const struct nr_ynode **ret)
{
	const struct nr_ynode *n = nr_ynode_get(map, key);
	int rc;

	if (!n)
		return 0;
	rc = nr_yread_want(r, n, NR_Y_SCALAR, key);
	if (rc < 0)
		return rc;
	*ret = n;
	return 1;
}

int nr_yread_str(const struct nr_yread *r, const struct nr_ynode *map, const char *key, char **ret)
{
	const struct nr_ynode *n;
	int rc = nr_yread_scalar(r, map, key, &n);

	if (rc <= 0)
		return rc;
	free(*ret);
	*ret = nr_xstrdup(n->scalar);
	return 1;
}

int nr_yread_int(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		 int64_t min, int64_t max, int64_t *ret)
{
	const struct nr_ynode *n;
	int rc = nr_yread_scalar(r, map, key, &n);

	if (rc <= 0)
		return rc;
	if (nr_parse_i64(n->scalar, min, max, ret) < 0)
		return nr_yread_fail(r, n, "'%s' must be a whole number from %lld to %lld, not '%s'",
				     key, (long long)min, (long long)max, n->scalar);
	return 1;
}

int nr_yread_duration(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		      int64_t min_us, int64_t *ret_us)
{
	const struct nr_ynode *n;
	int64_t v;
	int rc = nr_yread_scalar(r, map, key, &n);

	if (rc <= 0)
		return rc;
	if (nr_parse_duration_us(n->scalar, &v) < 0)
		return nr_yread_fail(r, n, "'%s' must be a duration such as 30s, 500ms or 2m, not '%s'",
				     key, n->scalar);
	if (v < min_us)
		return nr_yread_fail(r, n, "'%s' must be more than zero, not '%s'", key, n->scalar);
	if (v > NR_YREAD_MAX_DURATION_US)
		return nr_yread_fail(r, n, "'%s' must be at most 30 days, not '%s'", key, n->scalar);
	*ret_us = v;
	return 1;
}

int nr_yread_size(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		  size_t *ret)
{
	const struct nr_ynode *n;
	uint64_t v;
	int rc = nr_yread_scalar(r, map, key, &n);

	if (rc <= 0)
		return rc;
	if (nr_parse_size(n->scalar, &v) < 0 || v == 0 || v > ((uint64_t)1 << 32))
		return nr_yread_fail(r, n, "'%s' must be a size such as 64K or 16M (at most 4G), not '%s'",
				     key, n->scalar);
	*ret = (size_t)v;
	return 1;
}

int nr_yread_bool(const struct nr_yread *r, const struct nr_ynode *map, const char *key, bool *ret)
{
	const struct nr_ynode *n;
	int rc = nr_yread_scalar(r, map, key, &n);

	if (rc <= 0)
		return rc;
	if (!strcmp(n->scalar, "true"))
		*ret = true;
	else if (!strcmp(n->scalar, "false"))
		*ret = false;
	else
		return nr_yread_fail(r, n, "'%s' must be true or false, not '%s'", key, n->scalar);
	return 1;
}
