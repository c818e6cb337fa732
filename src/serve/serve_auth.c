/*
 * Tokens: made from 32 random bytes, shown once, stored as their SHA-256;
 * checked by finding the row by the token's id and comparing the hash in
 * constant time (CRYPTO_memcmp), so that neither a database lookup by
 * secret nor an early-exit compare tells an attacker how much of a guess
 * was right.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/rand.h"
#include "base/str.h"
#include "serve/serve.h"
#include "store/store.h"

#define PREFIX "nrt_"

bool nr_serve_scope_valid(const char *scope)
{
	return scope && (!strcmp(scope, NR_SCOPE_PUSH) || !strcmp(scope, NR_SCOPE_TRIGGER) ||
			 !strcmp(scope, NR_SCOPE_READ) || !strcmp(scope, NR_SCOPE_ADMIN));
}

int nr_serve_token_create(struct nr_store *st, const char *user, const char *scope,
			  int64_t expires_us, char *ret_token, char *ret_id, struct nr_diag *d)
{
	unsigned char id_bytes[NR_TOKEN_ID_LEN / 2], secret[32];
	struct nr_token_rec t = { 0 };
	char token[NR_SERVE_TOKEN_LEN + 1], secret_hex[65];
	int r;

	if (!nr_serve_scope_valid(scope))
		return nr_diagf(d, NR_EINVAL, "scope '%s': push, trigger, read or admin", scope);
	nr_random_bytes(id_bytes, sizeof(id_bytes));
	nr_random_bytes(secret, sizeof(secret));
	nr_hex_encode(id_bytes, sizeof(id_bytes), t.id);
	nr_hex_encode(secret, sizeof(secret), secret_hex);
	snprintf(token, sizeof(token), PREFIX "%s_%s", t.id, secret_hex);
	nr_sha256_hex(token, strlen(token), t.hash);
	t.user = (char *)user;
	t.scope = (char *)scope;
	t.created_us = nr_wall_us();
	t.expires_us = expires_us;
	r = nr_store_token_add(st, &t, d);
	if (r == 0) {
		memcpy(ret_token, token, sizeof(token));
		memcpy(ret_id, t.id, sizeof(t.id));
	}
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(secret_hex, sizeof(secret_hex));
	return r;
}

/* The token of "Bearer TOKEN" if it has a token's shape; its id into id. */
static const char *token_of(const char *authorization, char *id)
{
	const char *t;
	size_t i;

	if (!authorization || strncmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	t = authorization + 7;
	if (strlen(t) != NR_SERVE_TOKEN_LEN || strncmp(t, PREFIX, 4) != 0 || t[20] != '_')
		return NULL;
	for (i = 4; i < NR_SERVE_TOKEN_LEN; i++)
		if (i != 20 && !strchr("0123456789abcdef", t[i]))
			return NULL;
	memcpy(id, t + 4, NR_TOKEN_ID_LEN);
	id[NR_TOKEN_ID_LEN] = '\0';
	return t;
}

enum nr_serve_auth nr_serve_token_check(struct nr_store *st, const char *authorization,
					const char *scope, int64_t now_us, char **ret_user,
					char *ret_id, struct nr_diag *d)
{
	struct nr_token_rec t = { 0 };
	char id[NR_TOKEN_ID_LEN + 1], hash[NR_SHA256_HEX_LEN + 1];
	const char *token;
	enum nr_serve_auth a;
	int r;

	if (!authorization || !*authorization)
		return NR_AUTH_MISSING;
	if (!(token = token_of(authorization, id)))
		return NR_AUTH_INVALID;
	r = nr_store_token_get(st, id, &t, d);
	if (r == NR_ENOTFOUND)
		return NR_AUTH_INVALID;
	if (r < 0)
		return NR_AUTH_ERROR;
	nr_sha256_hex(token, strlen(token), hash);
	if (strlen(t.hash) != NR_SHA256_HEX_LEN ||
	    CRYPTO_memcmp(hash, t.hash, NR_SHA256_HEX_LEN) != 0)
		a = NR_AUTH_INVALID;
	else if (t.revoked_us)
		a = NR_AUTH_REVOKED;
	else if (t.expires_us && now_us >= t.expires_us)
		a = NR_AUTH_EXPIRED;
	/* who may push or trigger may read what there is */
	else if (strcmp(t.scope, scope) != 0 && strcmp(t.scope, NR_SCOPE_ADMIN) != 0 &&
		 strcmp(scope, NR_SCOPE_READ) != 0)
		a = NR_AUTH_SCOPE;
	else
		a = NR_AUTH_OK;
	if (a == NR_AUTH_OK) {
		*ret_user = t.user;
		t.user = NULL;
		memcpy(ret_id, id, sizeof(id));
	}
	nr_token_rec_release(&t);
	return a;
}
