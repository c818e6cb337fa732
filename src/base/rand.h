/*
 * Deterministic random numbers for plans (xoshiro256**, seeded through
 * splitmix64 so any 64-bit seed is fine), and UUIDs for stored ids.
 */
#ifndef NR_BASE_RAND_H
#define NR_BASE_RAND_H

#include <stddef.h>
#include <stdint.h>

struct nr_rng {
	uint64_t s[4];
};

void nr_rng_seed(struct nr_rng *rng, uint64_t seed);
uint64_t nr_rng_next(struct nr_rng *rng);
/* Uniform in [0, n), without modulo bias; n > 0. */
uint64_t nr_rng_below(struct nr_rng *rng, uint64_t n);
/* Uniform in [0, 1). */
double nr_rng_double(struct nr_rng *rng);

/* Bytes from the kernel's generator (getrandom). */
void nr_random_bytes(void *buf, size_t n);

#define NR_UUID_LEN 36
/*
 * A version 7 UUID (time-ordered, random below the millisecond) as text in
 * out[NR_UUID_LEN + 1]. Time order keeps SQLite's b-trees append-only and
 * makes ids of one environment sort by creation.
 */
void nr_uuid_v7(char out[NR_UUID_LEN + 1]);

#endif
