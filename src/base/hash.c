#include "base/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"

void nr_sha256_hex(const void *data, size_t n, char out[NR_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) || len != 32)
		abort(); /* only without memory: the digest itself cannot fail */
	nr_hex_encode(md, 32, out);
}

uint64_t nr_hash_fnv1a(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static size_t slot_of(const struct nr_strset *set, const char *s)
{
	size_t i = (size_t)nr_hash_fnv1a(s, strlen(s)) & (set->cap - 1);

	while (set->keys[i] && strcmp(set->keys[i], s) != 0)
		i = (i + 1) & (set->cap - 1);
	return i;
}

/* Move the set into a table of cap slots (a power of two, more than twice its strings). */
static void rehash(struct nr_strset *set, size_t cap)
{
	struct nr_strset bigger = { 0 };
	size_t i;

	bigger.cap = cap;
	bigger.keys = nr_xcalloc(bigger.cap, sizeof(*bigger.keys));
	bigger.ids = nr_xcalloc(bigger.cap, sizeof(*bigger.ids));
	for (i = 0; i < set->cap; i++) {
		if (set->keys[i]) {
			size_t j = slot_of(&bigger, set->keys[i]);

			bigger.keys[j] = set->keys[i];
			bigger.ids[j] = set->ids[i];
		}
	}
	bigger.n = set->n;
	nr_strset_release(set);
	*set = bigger;
}

void nr_strset_reserve(struct nr_strset *set, size_t n)
{
	size_t cap = set->cap ? set->cap : 16;

	/* at most half full, as nr_strset_add keeps it */
	while (cap / 2 < n)
		cap *= 2;
	if (cap > set->cap)
		rehash(set, cap);
}

bool nr_strset_add(struct nr_strset *set, const char *s, size_t id, size_t *ret_id)
{
	size_t i;

	/* at most half full: probes stay short */
	if (2 * (set->n + 1) > set->cap)
		rehash(set, set->cap ? 2 * set->cap : 16);
	i = slot_of(set, s);
	if (set->keys[i]) {
		if (ret_id)
			*ret_id = set->ids[i];
		return false;
	}
	set->keys[i] = s;
	set->ids[i] = id;
	set->n++;
	return true;
}

bool nr_strset_find(const struct nr_strset *set, const char *s, size_t *ret_id)
{
	size_t i;

	if (!set->cap)
		return false;
	i = slot_of(set, s);
	if (!set->keys[i])
		return false;
	if (ret_id)
		*ret_id = set->ids[i];
	return true;
}

void nr_strset_release(struct nr_strset *set)
{
	free(set->keys);
	free(set->ids);
	set->keys = NULL;
	set->ids = NULL;
	set->cap = 0;
	set->n = 0;
}
