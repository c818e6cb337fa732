#include "base/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"

/*
 * SHA-256 as FIPS 180-4 (section 6.2) defines it, here rather than from
 * libcrypto: a campaign's hash is taken on every run, and OpenSSL's first
 * digest loads its configuration and providers (5 million instructions),
 * besides libcrypto's own start-up in every process that links it. Tested
 * against FIPS's examples and against OpenSSL over every length up to a
 * few blocks (test_base.c).
 */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* One 64-byte block into the state h. */
static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] +
		     w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void nr_sha256_hex(const void *data, size_t n, char out[NR_SHA256_HEX_LEN + 1])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = data;
	unsigned char last[128] = { 0 }, md[32];
	uint64_t bits = (uint64_t)n * 8;
	size_t i, rest = n % 64, tail;

	for (i = 0; i + 64 <= n; i += 64)
		sha256_block(h, p + i);
	/* the rest, a 1 bit, zeros, and the length in bits: one block or two */
	if (rest)
		memcpy(last, p + n - rest, rest);
	last[rest] = 0x80;
	tail = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[tail - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, last);
	if (tail == 128)
		sha256_block(h, last + 64);
	for (i = 0; i < 32; i++)
		md[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
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
