/*
 * netrig serve: the results service (issue 16). An HTTP server
 * (libmicrohttpd, its thread pool, TLS through its GnuTLS support) in
 * front of a store: authenticated uploads of runs (bundles, merged as
 * `db merge` merges), a JSON read API over runs, comparisons, histories
 * and change points. Tokens (scopes push, trigger, read, admin) are kept
 * in the store as their SHA-256 only. Also the client side: a run sent
 * to a server with libcurl (netrig push, netrig run --push).
 *
 * Nothing here prints: the server hands its log lines to a callback.
 * Every store access goes through store.h.
 */
#ifndef NR_SERVE_H
#define NR_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"

struct nr_store;

/* ---- the server's config file (serve_config.c) ---- */

/* A repository whose webhooks queue jobs (POST /github/webhook). */
struct nr_serve_repo {
	char *name;   /* OWNER/REPO */
	char *secret; /* the webhook's HMAC key: never logged */
	struct nr_strvec push_branches;
	/*
	 * What a webhook runs: campaign, a file beside the config (the job
	 * holds its text), or campaign_in_repo, a path in the repository that
	 * the worker checks out at the commit. One of them.
	 */
	char *campaign;
	char *campaign_in_repo;
	char *clone;    /* where workers clone it from (default https://github.com/OWNER/REPO.git) */
	struct nr_strvec allowed_users;
	char *command;  /* the comment that triggers a run: "/netrig test" */
};

#define NR_SERVE_DEFAULT_BODY_MAX (64u << 20)
#define NR_SERVE_DEFAULT_JSON_DEPTH 64
#define NR_SERVE_DEFAULT_RATE 600 /* requests a minute per token */
#define NR_SERVE_DEFAULT_THREADS 4

struct nr_serve_config {
	char *file;         /* where it was read from, NULL: defaults */
	char *listen;       /* ADDR:PORT, or NULL (then --listen) */
	char *public_url;   /* how clients reach the server, for the URLs it answers; NULL: from Host */
	char *tls_cert, *tls_key; /* PEM files, both or neither */
	bool public_read;   /* read: public (default) or token */
	size_t body_max;    /* bytes of a request body */
	size_t json_depth;  /* nesting of a JSON body */
	unsigned rate_per_minute; /* requests per token and minute (0: no limit) */
	unsigned threads;   /* the thread pool's size */
	struct nr_serve_repo *repos;
	size_t n_repos;
	/* campaign files (beside the config) that POST /api/v1/jobs may queue by name */
	struct nr_strvec campaigns;
	/* the GitHub API the results are posted back to */
	char *github_api;   /* base URL (default https://api.github.com) */
	char *github_token; /* from github.token_file or NETRIG_GITHUB_TOKEN; never logged; NULL: none */
};

/* The defaults, as an empty file gives them. */
void nr_serve_config_init(struct nr_serve_config *c);
/*
 * Read a server config (YAML). NR_ECONFIG with "file:line:column: ..." for
 * a mistake, as campaign files say them; *c is left as init made it then.
 */
int nr_serve_config_load(const char *path, struct nr_serve_config *c, struct nr_diag *d);
void nr_serve_config_release(struct nr_serve_config *c);

/* ---- tokens (serve_auth.c) ---- */

/* "nrt_" + id (16 hex) + "_" + 64 hex of secret */
#define NR_SERVE_TOKEN_LEN (4 + 16 + 1 + 64)

/* Whether `scope` is one of push, trigger, read, admin. */
bool nr_serve_scope_valid(const char *scope);
/*
 * A new token for user `user` with `scope`, valid until expires_us (real
 * time; 0: never): stored as its SHA-256, the token itself in ret_token
 * (NR_SERVE_TOKEN_LEN + 1 bytes; shown once, never kept) and its id in
 * ret_id. NR_ENOTFOUND for no such user.
 */
int nr_serve_token_create(struct nr_store *st, const char *user, const char *scope,
			  int64_t expires_us, char *ret_token, char *ret_id, struct nr_diag *d);

/* Why a token was refused: the HTTP status that goes with it. */
enum nr_serve_auth {
	NR_AUTH_OK = 0,
	NR_AUTH_MISSING,   /* 401 */
	NR_AUTH_INVALID,   /* 401: malformed, unknown, wrong secret */
	NR_AUTH_EXPIRED,   /* 401 */
	NR_AUTH_REVOKED,   /* 401 */
	NR_AUTH_SCOPE,     /* 403 */
	NR_AUTH_ERROR,     /* 500: the store failed */
};

/*
 * Check an Authorization header's value ("Bearer TOKEN", or NULL) for
 * `scope` (admin tokens may do everything, every token may read) at time
 * now_us. The hash is
 * compared in constant time. On NR_AUTH_OK *ret_user (free it) and
 * ret_id (the token's id, for rate limits) are written.
 */
enum nr_serve_auth nr_serve_token_check(struct nr_store *st, const char *authorization,
					const char *scope, int64_t now_us, char **ret_user,
					char *ret_id, struct nr_diag *d);

/*
 * A server's few tokens found good lately (by their SHA-256), believed
 * again for NR_SERVE_TOKEN_TRUST_US (monotonic time) without the store:
 * a token revoked meanwhile is refused within that time; expiry and
 * scope are judged at every request.
 */
#define NR_SERVE_TOKEN_TRUST_US 1000000
struct nr_serve_token_cache;
struct nr_serve_token_cache *nr_serve_token_cache_new(void);
void nr_serve_token_cache_free(struct nr_serve_token_cache *c);
/* nr_serve_token_check through c (NULL: none) at monotonic time mono_us. */
enum nr_serve_auth nr_serve_token_check_cached(struct nr_serve_token_cache *c,
					       struct nr_store *st, const char *authorization,
					       const char *scope, int64_t now_us, int64_t mono_us,
					       char **ret_user, char *ret_id, struct nr_diag *d);

/* ---- the server (serve_http.c) ---- */

struct nr_serve;

/* A log line (an access line, a store error): no token, hash or secret is in it. */
typedef void (*nr_serve_log_fn)(void *ctx, const char *line);

/*
 * Start serving store `db` on `listen` (ADDR:PORT; port 0 picks a free
 * one) with config c (borrowed until nr_serve_stop). Returns at once; the
 * thread pool answers. NR_EINVAL for a bad address or TLS files, -errno
 * when the port cannot be bound, NR_ESTORE when the store cannot be opened.
 */
int nr_serve_start(const struct nr_serve_config *c, const char *listen, const char *db,
		   nr_serve_log_fn log, void *log_ctx, struct nr_serve **ret, struct nr_diag *d);
/* The port it listens on. */
unsigned nr_serve_port(const struct nr_serve *s);
/*
 * Stop taking connections, let the requests in flight finish (for up to
 * drain_us), stop and free. NULL does nothing.
 */
void nr_serve_stop(struct nr_serve *s, int64_t drain_us);

/* ---- the client (serve_client.c) ---- */

/*
 * Send run `run_id` of st to the server at base URL `server` with
 * `token` as one bundle (raw outputs too when with_outputs), and
 * remember in st that it went there. *ret_url (free it): the run's URL on
 * the server. NR_ETIMEOUT / -ECONNREFUSED / NR_EPROTO when the server
 * cannot be reached or answers with something else than a run (the run
 * stays local, unmarked); -EACCES for a token the server refuses;
 * NR_EINVAL for a bundle it refuses; all with the server's message.
 */
int nr_serve_push(struct nr_store *st, const char *run_id, const char *server, const char *token,
		  bool with_outputs, char **ret_url, struct nr_diag *d);
/* The server's base URL as the pushes table keeps it (no trailing '/'); free it. */
char *nr_serve_server_key(const char *server);

#endif
