#include "base/hash.h"

#include <openssl/evp.h>
#include <stdio.h>

void nr_sha256_hex(const void *data, size_t n, char out[NR_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[NR_SHA256_HEX_LEN] = '\0';
}
