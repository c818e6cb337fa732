/*
 * Tokens: made from 32 random bytes, shown once, stored as their SHA-256;
 * checked by finding the row by the token's id and comparing the hash in
 * constant time (CRYPTO_memcmp), so that neither a database lookup by
 * secret nor an early-exit compare tells an attacker how much of a guess
 * was right.
 */
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/lazy.h"
#include "base/mem.h"
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
	/* the token is wiped with OPENSSL_cleanse */
	if ((r = nr_lazy_ready(&nr_lazy_libcrypto, d)) < 0)
		return r;
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

/*
 * Tokens found good lately. A server checks the token of every request;
 * in the store that is a read of the tokens and users tables through a
 * pool handle whose page cache the last upload's COMMIT made stale (6
 * preads a request, a twentieth of an upload's CPU time). So a token
 * found good is believed again, for NR_SERVE_TOKEN_TRUST_US, without the
 * store: found by its SHA-256 (compared in constant time, as in the
 * store), its expiry and scope checked at every request from what the
 * store said, so an expired token is refused at once; a revoke (netrig
 * token revoke, another process) takes effect within that time. Only
 * good tokens are kept, a few: a refused one is asked of the store each
 * time.
 */
#define CACHE_N 16

struct nr_serve_token_cache {
	pthread_mutex_t lock;
	struct {
		char hash[NR_SHA256_HEX_LEN + 1];
		char id[NR_TOKEN_ID_LEN + 1];
		char scope[16];
		char *user; /* NULL: a free slot */
		int64_t expires_us;
		int64_t until_mono_us; /* believed until then */
	} v[CACHE_N];
};

struct nr_serve_token_cache *nr_serve_token_cache_new(void)
{
	struct nr_serve_token_cache *c = nr_xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void nr_serve_token_cache_free(struct nr_serve_token_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < CACHE_N; i++)
		free(c->v[i].user);
	pthread_mutex_destroy(&c->lock);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* The token t found (hash its hash) for `scope` at now_us. */
static enum nr_serve_auth judge(const struct nr_token_rec *t, const char *hash, const char *scope,
				int64_t now_us)
{
	if (strlen(t->hash) != NR_SHA256_HEX_LEN ||
	    CRYPTO_memcmp(hash, t->hash, NR_SHA256_HEX_LEN) != 0)
		return NR_AUTH_INVALID;
	if (t->revoked_us)
		return NR_AUTH_REVOKED;
	if (t->expires_us && now_us >= t->expires_us)
		return NR_AUTH_EXPIRED;
	/* who may push or trigger may read what there is */
	if (strcmp(t->scope, scope) != 0 && strcmp(t->scope, NR_SCOPE_ADMIN) != 0 &&
	    strcmp(scope, NR_SCOPE_READ) != 0)
		return NR_AUTH_SCOPE;
	return NR_AUTH_OK;
}

/* Under c's lock: the token of this hash believed at mono_us into t (user copied), or false. */
static bool cache_find(struct nr_serve_token_cache *c, const char *hash, int64_t mono_us,
		       struct nr_token_rec *t, char *scope)
{
	size_t i;

	for (i = 0; i < CACHE_N; i++) {
		if (!c->v[i].user || mono_us >= c->v[i].until_mono_us ||
		    CRYPTO_memcmp(c->v[i].hash, hash, NR_SHA256_HEX_LEN) != 0)
			continue;
		memcpy(t->hash, c->v[i].hash, sizeof(t->hash));
		memcpy(t->id, c->v[i].id, sizeof(t->id));
		memcpy(scope, c->v[i].scope, sizeof(c->v[i].scope));
		t->scope = scope;
		t->user = nr_xstrdup(c->v[i].user);
		t->expires_us = c->v[i].expires_us;
		return true;
	}
	return false;
}

/* Under c's lock: keep t, found good at mono_us (in its own slot, a stale one, or the oldest). */
static void cache_keep(struct nr_serve_token_cache *c, const struct nr_token_rec *t,
		       int64_t mono_us)
{
	size_t i, k = 0;

	for (i = 0; i < CACHE_N; i++) {
		if (c->v[i].user && !strcmp(c->v[i].id, t->id)) {
			k = i;
			break;
		}
		if (!c->v[i].user || c->v[i].until_mono_us < c->v[k].until_mono_us)
			k = i;
	}
	free(c->v[k].user);
	c->v[k].user = nr_xstrdup(t->user);
	memcpy(c->v[k].hash, t->hash, sizeof(c->v[k].hash));
	memcpy(c->v[k].id, t->id, sizeof(c->v[k].id));
	snprintf(c->v[k].scope, sizeof(c->v[k].scope), "%s", t->scope);
	c->v[k].expires_us = t->expires_us;
	c->v[k].until_mono_us = mono_us + NR_SERVE_TOKEN_TRUST_US;
}

enum nr_serve_auth nr_serve_token_check_cached(struct nr_serve_token_cache *c,
					       struct nr_store *st, const char *authorization,
					       const char *scope, int64_t now_us, int64_t mono_us,
					       char **ret_user, char *ret_id, struct nr_diag *d)
{
	struct nr_token_rec t = { 0 };
	char id[NR_TOKEN_ID_LEN + 1], hash[NR_SHA256_HEX_LEN + 1], kept_scope[16];
	const char *token;
	enum nr_serve_auth a;
	bool hit = false;
	int r;

	if (!authorization || !*authorization)
		return NR_AUTH_MISSING;
	if (!(token = token_of(authorization, id)))
		return NR_AUTH_INVALID;
	nr_sha256_hex(token, strlen(token), hash);
	if (c) {
		pthread_mutex_lock(&c->lock);
		hit = cache_find(c, hash, mono_us, &t, kept_scope);
		pthread_mutex_unlock(&c->lock);
	}
	if (!hit) {
		r = nr_store_token_get(st, id, &t, d);
		if (r == NR_ENOTFOUND)
			return NR_AUTH_INVALID;
		if (r < 0)
			return NR_AUTH_ERROR;
	}
	a = judge(&t, hash, scope, now_us);
	/* a token of another scope is good too: what it may do is judged at each request */
	if (c && !hit && (a == NR_AUTH_OK || a == NR_AUTH_SCOPE)) {
		pthread_mutex_lock(&c->lock);
		cache_keep(c, &t, mono_us);
		pthread_mutex_unlock(&c->lock);
	}
	if (a == NR_AUTH_OK) {
		*ret_user = t.user;
		t.user = NULL;
		memcpy(ret_id, id, sizeof(id));
	}
	if (hit) {
		free(t.user);
		OPENSSL_cleanse(&t, sizeof(t));
	} else {
		nr_token_rec_release(&t);
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	return a;
}

enum nr_serve_auth nr_serve_token_check(struct nr_store *st, const char *authorization,
					const char *scope, int64_t now_us, char **ret_user,
					char *ret_id, struct nr_diag *d)
{
	return nr_serve_token_check_cached(NULL, st, authorization, scope, now_us, 0, ret_user,
					   ret_id, d);
}
