/*
 * The server's config file: from the YAML tree to struct
 * nr_serve_config, every mistake "file:line:column: ..." as campaign
 * files report theirs.
 *
 *   listen: 127.0.0.1:8080
 *   public_url: https://perf.example.org
 *   tls_cert: cert.pem          # both or neither; relative to this file
 *   tls_key: key.pem
 *   read: public                # or token: reading needs a read token
 *   threads: 4
 *   limits: {body: 64M, json_depth: 64, requests_per_minute: 600}
 *   repositories:
 *     OWNER/REPO: {secret: "...", push_branches: [main], campaign: nightly.yaml,
 *                  allowed_users: [alice], command: "/netrig test"}
 */
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/lazy.h"
#include "base/mem.h"
#include "base/num.h"
#include "serve/serve.h"
#include "store/store.h"
#include "yaml/yaml.h"

#define fail(r, at, ...) nr_yread_fail(r, at, __VA_ARGS__)

void nr_serve_config_init(struct nr_serve_config *c)
{
	memset(c, 0, sizeof(*c));
	c->public_read = true;
	c->body_max = NR_SERVE_DEFAULT_BODY_MAX;
	c->json_depth = NR_SERVE_DEFAULT_JSON_DEPTH;
	c->rate_per_minute = NR_SERVE_DEFAULT_RATE;
	c->threads = NR_SERVE_DEFAULT_THREADS;
}

/* A path the file names, relative to the file's directory. */
static char *beside(const char *file, const char *path)
{
	char *copy, *r;

	if (path[0] == '/')
		return nr_xstrdup(path);
	copy = nr_xstrdup(file);
	r = nr_xasprintf("%s/%s", dirname(copy), path);
	free(copy);
	return r;
}

/* A file the config names must be there and readable: found now, not at the first request. */
static int file_at(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		   char **ret)
{
	const struct nr_ynode *at = nr_yread_key_node(map, key);
	char *s = NULL, *path;
	int k;

	if ((k = nr_yread_str(r, map, key, &s)) <= 0)
		return k;
	path = beside(r->file, s);
	free(s);
	if (access(path, R_OK) < 0) {
		k = fail(r, at, "'%s': cannot read %s", key, path);
		free(path);
		return k;
	}
	*ret = path;
	return 1;
}

/* A list of plain strings under key, into v. */
static int str_list(const struct nr_yread *r, const struct nr_ynode *map, const char *key,
		    struct nr_strvec *v)
{
	const struct nr_ynode *n = nr_ynode_get(map, key);
	size_t i;
	int k;

	if (!n)
		return 0;
	if ((k = nr_yread_want(r, n, NR_Y_SEQ, key)) < 0)
		return k;
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->kind != NR_Y_SCALAR || nr_ynode_is_null(n->items[i]))
			return fail(r, n->items[i], "'%s' wants a list of names", key);
		nr_strvec_push(v, n->items[i]->scalar);
	}
	return 0;
}

static int load_repo(const struct nr_yread *r, const struct nr_ynode *key,
		     const struct nr_ynode *val, struct nr_serve_repo *repo)
{
	static const char *const keys[] = { "secret", "push_branches", "campaign", "allowed_users",
					    "command", "campaign_in_repo", "clone" };
	const char *slash = strchr(key->scalar, '/');
	int k;

	repo->name = nr_xstrdup(key->scalar);
	if (!slash || slash == key->scalar || !slash[1] || strchr(slash + 1, '/'))
		return fail(r, key, "a repository is named OWNER/REPO, not '%s'", key->scalar);
	if ((k = nr_yread_want(r, val, NR_Y_MAP, key->scalar)) < 0 ||
	    (k = nr_yread_check_keys(r, val, keys, NR_ARRAY_SIZE(keys), key->scalar)) < 0)
		return k;
	if ((k = nr_yread_str(r, val, "secret", &repo->secret)) < 0)
		return k;
	if (k == 0 || !repo->secret[0])
		return fail(r, key, "repository %s needs a 'secret' (its webhook's)", key->scalar);
	if ((k = str_list(r, val, "push_branches", &repo->push_branches)) < 0 ||
	    (k = str_list(r, val, "allowed_users", &repo->allowed_users)) < 0 ||
	    (k = nr_yread_str(r, val, "command", &repo->command)) < 0)
		return k;
	if (!repo->command)
		repo->command = nr_xstrdup("/netrig test");
	if (!repo->command[0])
		return fail(r, nr_yread_key_node(val, "command"), "'command' is empty");
	if ((k = nr_yread_str(r, val, "campaign_in_repo", &repo->campaign_in_repo)) < 0 ||
	    (k = nr_yread_str(r, val, "clone", &repo->clone)) < 0)
		return k;
	if (!repo->clone)
		repo->clone = nr_xasprintf("https://github.com/%s.git", key->scalar);
	if (file_at(r, val, "campaign", &repo->campaign) < 0)
		return NR_ECONFIG;
	if (!repo->campaign == !repo->campaign_in_repo)
		return fail(r, key, "repository %s wants one of 'campaign' (a file beside this one) and"
			    " 'campaign_in_repo' (a path in the repository)", key->scalar);
	if (repo->campaign_in_repo) {
		struct nr_diag why = { 0 };

		if (nr_store_job_check_repo(repo->clone, repo->campaign_in_repo, "0000000", NULL,
					    &why) < 0)
			return fail(r, key, "repository %s: %s", key->scalar, nr_diag_msg(&why));
	}
	return 0;
}

/* github: {api: URL, token_file: PATH} */
static int load_github(const struct nr_yread *r, const struct nr_ynode *map,
		       struct nr_serve_config *c)
{
	static const char *const keys[] = { "api", "token_file" };
	char *file = NULL;
	struct nr_buf tok = NR_BUF_INIT;
	int k;

	if ((k = nr_yread_want(r, map, NR_Y_MAP, "github")) < 0 ||
	    (k = nr_yread_check_keys(r, map, keys, NR_ARRAY_SIZE(keys), "github")) < 0 ||
	    (k = nr_yread_str(r, map, "api", &c->github_api)) < 0 ||
	    (k = file_at(r, map, "token_file", &file)) < 0)
		return k;
	if (c->github_api && !nr_starts_with(c->github_api, "http://") &&
	    !nr_starts_with(c->github_api, "https://"))
		return fail(r, nr_yread_key_node(map, "api"), "'api' wants an http:// or https:// URL");
	if (file) {
		k = nr_buf_read_file(&tok, file);
		free(file);
		if (k < 0) {
			nr_buf_release(&tok);
			return fail(r, nr_yread_key_node(map, "token_file"), "cannot read the token file");
		}
		/* the token is its first line; the file is never quoted in a message */
		tok.len = strcspn(tok.buf, "\r\n");
		tok.buf[tok.len] = '\0';
		c->github_token = tok.len ? nr_xstrdup(tok.buf) : NULL;
		OPENSSL_cleanse(tok.buf, tok.cap);
		nr_buf_release(&tok);
		if (!c->github_token)
			return fail(r, nr_yread_key_node(map, "token_file"), "the token file is empty");
	}
	return 0;
}

static int load_limits(const struct nr_yread *r, const struct nr_ynode *map,
		       struct nr_serve_config *c)
{
	static const char *const keys[] = { "body", "json_depth", "requests_per_minute" };
	int64_t v;
	int k;

	if ((k = nr_yread_want(r, map, NR_Y_MAP, "limits")) < 0 ||
	    (k = nr_yread_check_keys(r, map, keys, NR_ARRAY_SIZE(keys), "limits")) < 0 ||
	    (k = nr_yread_size(r, map, "body", &c->body_max)) < 0)
		return k;
	if (c->body_max < 1024 || c->body_max > (size_t)1 << 32)
		return fail(r, nr_yread_key_node(map, "body"), "'body' wants 1K to 4G");
	if ((k = nr_yread_int(r, map, "json_depth", 4, 1000, &v)) < 0)
		return k;
	if (k)
		c->json_depth = (size_t)v;
	if ((k = nr_yread_int(r, map, "requests_per_minute", 0, 1000000, &v)) < 0)
		return k;
	if (k)
		c->rate_per_minute = (unsigned)v;
	return 0;
}

static int load_root(const struct nr_yread *r, const struct nr_ynode *root,
		     struct nr_serve_config *c)
{
	static const char *const keys[] = { "listen", "public_url", "tls_cert", "tls_key", "read",
					    "threads", "limits", "repositories", "github", "campaigns" };
	const struct nr_ynode *n;
	char *read = NULL;
	int64_t v;
	size_t i;
	int k;

	if (!root || nr_ynode_is_null(root))
		return 0;
	if ((k = nr_yread_want(r, root, NR_Y_MAP, "the server config")) < 0 ||
	    (k = nr_yread_check_keys(r, root, keys, NR_ARRAY_SIZE(keys), "the server config")) < 0 ||
	    (k = nr_yread_str(r, root, "listen", &c->listen)) < 0 ||
	    (k = nr_yread_str(r, root, "public_url", &c->public_url)) < 0 ||
	    (k = file_at(r, root, "tls_cert", &c->tls_cert)) < 0 ||
	    (k = file_at(r, root, "tls_key", &c->tls_key)) < 0)
		return k;
	if (!c->tls_cert != !c->tls_key)
		return fail(r, nr_yread_key_node(root, c->tls_cert ? "tls_cert" : "tls_key"),
			    "TLS wants both 'tls_cert' and 'tls_key'");
	if (c->public_url && !nr_starts_with(c->public_url, "http://") &&
	    !nr_starts_with(c->public_url, "https://"))
		return fail(r, nr_yread_key_node(root, "public_url"),
			    "'public_url' wants an http:// or https:// URL");
	if ((k = nr_yread_str(r, root, "read", &read)) < 0)
		return k;
	if (k) {
		c->public_read = !strcmp(read, "public");
		if (!c->public_read && strcmp(read, "token") != 0)
			k = fail(r, nr_yread_key_node(root, "read"),
				 "'read' is public or token, not '%s'", read);
		free(read);
		if (k < 0)
			return k;
	}
	if ((k = nr_yread_int(r, root, "threads", 1, 256, &v)) < 0)
		return k;
	if (k)
		c->threads = (unsigned)v;
	if ((n = nr_ynode_get(root, "limits")) != NULL && (k = load_limits(r, n, c)) < 0)
		return k;
	if ((n = nr_ynode_get(root, "github")) != NULL && (k = load_github(r, n, c)) < 0)
		return k;
	if ((k = str_list(r, root, "campaigns", &c->campaigns)) < 0)
		return k;
	for (i = 0; i < c->campaigns.n; i++) {
		char *path = beside(r->file, c->campaigns.v[i]);

		if (access(path, R_OK) < 0) {
			k = fail(r, nr_ynode_get(root, "campaigns")->items[i], "cannot read %s", path);
			free(path);
			return k;
		}
		free(c->campaigns.v[i]);
		c->campaigns.v[i] = path;
	}
	if ((n = nr_ynode_get(root, "repositories")) == NULL || nr_ynode_is_null(n))
		return 0;
	if ((k = nr_yread_want(r, n, NR_Y_MAP, "repositories")) < 0)
		return k;
	c->repos = nr_xcalloc(n->n + 1, sizeof(*c->repos));
	for (i = 0; i < n->n; i++) {
		c->n_repos++;
		if ((k = load_repo(r, n->keys[i], n->items[i], &c->repos[i])) < 0)
			return k;
	}
	return 0;
}

int nr_serve_config_load(const char *path, struct nr_serve_config *c, struct nr_diag *d)
{
	struct nr_yread r = { .file = path, .d = d };
	struct nr_buf buf = NR_BUF_INIT;
	struct nr_ydoc *doc = NULL;
	int k;

	nr_serve_config_init(c);
	/* a GitHub token read here is wiped with OPENSSL_cleanse (serve needs libcrypto anyway) */
	if ((k = nr_lazy_ready(&nr_lazy_libcrypto, d)) < 0)
		return k;
	if ((k = nr_buf_read_file(&buf, path)) < 0) {
		k = nr_diag_set(d, NR_ECONFIG, "%s: cannot read: %s", path, nr_strerror(k));
		goto out;
	}
	if (memchr(buf.buf, '\0', buf.len)) {
		k = nr_diag_set(d, NR_ECONFIG, "%s: not a text file", path);
		goto out;
	}
	if ((k = nr_ydoc_parse(path, buf.buf, buf.len, &doc, d)) < 0) {
		k = NR_ECONFIG;
		goto out;
	}
	k = load_root(&r, doc->root, c);
	if (k == 0) {
		const char *env = getenv("NETRIG_GITHUB_TOKEN");

		c->file = nr_xstrdup(path);
		if (!c->github_token && env && *env)
			c->github_token = nr_xstrdup(env);
		if (!c->github_api)
			c->github_api = nr_xstrdup("https://api.github.com");
	}
out:
	if (k < 0) {
		nr_serve_config_release(c);
		nr_serve_config_init(c);
	}
	nr_ydoc_free(doc);
	nr_buf_release(&buf);
	return k < 0 ? NR_ECONFIG : 0;
}

void nr_serve_config_release(struct nr_serve_config *c)
{
	size_t i;

	for (i = 0; i < c->n_repos; i++) {
		struct nr_serve_repo *p = &c->repos[i];

		free(p->name);
		free(p->secret);
		nr_strvec_clear(&p->push_branches);
		free(p->campaign);
		free(p->campaign_in_repo);
		free(p->clone);
		nr_strvec_clear(&p->allowed_users);
		free(p->command);
	}
	free(c->repos);
	nr_strvec_clear(&c->campaigns);
	free(c->github_api);
	if (c->github_token)
		OPENSSL_cleanse(c->github_token, strlen(c->github_token));
	free(c->github_token);
	free(c->file);
	free(c->listen);
	free(c->public_url);
	free(c->tls_cert);
	free(c->tls_key);
	memset(c, 0, sizeof(*c));
}
