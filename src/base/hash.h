/* Hashes (SHA-256, FNV-1a), and a set of strings. */
#ifndef NR_BASE_HASH_H
#define NR_BASE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NR_SHA256_HEX_LEN 64
void nr_sha256_hex(const void *data, size_t n, char out[NR_SHA256_HEX_LEN + 1]);

/* FNV-1a, 64 bits: for hash tables, not for anything an attacker must not collide. */
uint64_t nr_hash_fnv1a(const void *data, size_t n);

/*
 * A set of strings with an id each (an index, a line): open addressing, so
 * checking n values for duplicates costs O(n), not O(n^2). The strings are
 * borrowed and must outlive the set.
 */
struct nr_strset {
	const char **keys;
	size_t *ids;
	size_t cap, n;
};

#define NR_STRSET_INIT { 0 }

/*
 * Add s with `id`: true when it was not there; false, with the id it was
 * added with in *ret_id (when not NULL), when an equal string is there already.
 */
bool nr_strset_add(struct nr_strset *set, const char *s, size_t id, size_t *ret_id);
/*
 * Room for n strings in all without growing (each growth hashes every
 * string again into a table twice the size): for a caller that knows
 * about how many will come.
 */
void nr_strset_reserve(struct nr_strset *set, size_t n);
/* Whether s is in the set; its id in *ret_id (when not NULL) if so. */
bool nr_strset_find(const struct nr_strset *set, const char *s, size_t *ret_id);
void nr_strset_release(struct nr_strset *set);

#endif
