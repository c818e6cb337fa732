/* Hashes (OpenSSL libcrypto). */
#ifndef NR_BASE_HASH_H
#define NR_BASE_HASH_H

#include <stddef.h>

#define NR_SHA256_HEX_LEN 64
void nr_sha256_hex(const void *data, size_t n, char out[NR_SHA256_HEX_LEN + 1]);

#endif
