/* netrig serve: its config file, and tokens made and checked (both backends). */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hash.h"
#include "serve/serve.h"
#include "store/store.h"
#include "test.h"
#include "testdb.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f);
	fputs(text, f);
	fclose(f);
}

NR_TEST(serve_config_reads_every_key)
{
	struct nr_serve_config c;
	struct nr_diag d = { 0 };

	write_file("cert.pem", "x");
	write_file("key.pem", "x");
	write_file("nightly.yaml", "campaign: n\n");
	write_file("s.yaml", "listen: 127.0.0.1:9\npublic_url: https://perf.example.org/\n"
			     "tls_cert: cert.pem\ntls_key: key.pem\nread: token\nthreads: 2\n"
			     "limits: {body: 1M, json_depth: 10, requests_per_minute: 5}\n"
			     "repositories:\n  me/repo: {secret: s3cret, push_branches: [main],"
			     " campaign: nightly.yaml, allowed_users: [alice]}\n");
	if (nr_serve_config_load("s.yaml", &c, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_STR(c.listen, "127.0.0.1:9");
	CHECK(!c.public_read);
	CHECK_EQ(c.threads, 2);
	CHECK_EQ(c.body_max, 1 << 20);
	CHECK_EQ(c.json_depth, 10);
	CHECK_EQ(c.rate_per_minute, 5);
	CHECK_EQ(c.n_repos, 1);
	CHECK_STR(c.repos[0].secret, "s3cret");
	CHECK_STR(c.repos[0].push_branches.v[0], "main");
	CHECK_STR(c.repos[0].command, "/netrig test");
	CHECK_CONTAINS(c.tls_cert, "cert.pem");
	nr_serve_config_release(&c);
}

NR_TEST(serve_config_reads_github_campaigns_and_the_repository_form)
{
	struct nr_serve_config c;
	struct nr_diag d = { 0 };

	write_file("nightly.yaml", "campaign: n\n");
	write_file("gh-token", "ghp_secret123\nsecond line\n");
	write_file("s.yaml", "github: {api: 'http://127.0.0.1:9/', token_file: gh-token}\n"
			     "campaigns: [nightly.yaml]\n"
			     "repositories:\n  me/repo: {secret: s, campaign_in_repo: ci/n.yaml,"
			     " command: '/bench'}\n"
			     "  me/local: {secret: t, campaign_in_repo: n.yaml, clone: /srv/git/local}\n");
	if (nr_serve_config_load("s.yaml", &c, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
	CHECK_STR(c.github_api, "http://127.0.0.1:9/");
	CHECK_STR(c.github_token, "ghp_secret123");
	CHECK_EQ(c.campaigns.n, 1);
	CHECK_CONTAINS(c.campaigns.v[0], "nightly.yaml");
	CHECK(c.repos[0].campaign == NULL);
	CHECK_STR(c.repos[0].campaign_in_repo, "ci/n.yaml");
	CHECK_STR(c.repos[0].clone, "https://github.com/me/repo.git");
	CHECK_STR(c.repos[0].command, "/bench");
	CHECK_STR(c.repos[1].clone, "/srv/git/local");
	nr_serve_config_release(&c);
	/* a config without github: the public API, and no token */
	write_file("s.yaml", "threads: 1\n");
	CHECK_OK(nr_serve_config_load("s.yaml", &c, &d));
	CHECK_STR(c.github_api, "https://api.github.com");
	nr_serve_config_release(&c);
}

NR_TEST(serve_config_errors_have_positions)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "lisen: 1\n", "s.yaml:1:1: " },
		{ "read: everyone\n", "s.yaml:1:1: 'read' is public or token" },
		{ "threads: 0\n", "s.yaml:1:" },
		{ "limits:\n  body: 12\n", "s.yaml:2:3: 'body' wants 1K to 4G" },
		{ "limits:\n  json_depth: 100000\n", "s.yaml:2:" },
		{ "tls_key: s.yaml\n", "s.yaml:1:1: TLS wants both" },
		{ "tls_cert: nothere.pem\ntls_key: s.yaml\n", "s.yaml:1:1: 'tls_cert': cannot read" },
		{ "public_url: ftp://x\n", "s.yaml:1:1: 'public_url' wants" },
		{ "repositories:\n  norepo: {secret: s}\n", "s.yaml:2:3: a repository is named OWNER/REPO" },
		{ "repositories:\n  a/b: {push_branches: [main]}\n", "s.yaml:2:3: repository a/b needs a 'secret'" },
		{ "repositories:\n  a/b: {secret: s, allowed_users: alice}\n", "s.yaml:2:" },
		{ "repositories:\n  a/b: {secret: s}\n", "s.yaml:2:3: repository a/b wants one of 'campaign'" },
		{ "repositories:\n  a/b: {secret: s, campaign: s.yaml, campaign_in_repo: x.yaml}\n",
		  "s.yaml:2:3: repository a/b wants one of" },
		{ "repositories:\n  a/b: {secret: s, campaign_in_repo: ../x.yaml}\n",
		  "s.yaml:2:3: repository a/b: path '../x.yaml' leaves the repository" },
		{ "repositories:\n  a/b: {secret: s, campaign_in_repo: x.yaml, clone: --upload-pack=x}\n",
		  "s.yaml:2:3: repository a/b: a repository is a URL" },
		{ "repositories:\n  a/b: {secret: s, campaign: s.yaml, command: ''}\n", "s.yaml:2:" },
		{ "github: {api: ftp://x}\n", "s.yaml:1:10: 'api' wants an http" },
		{ "github: {token_file: nothere}\n", "s.yaml:1:10: 'token_file': cannot read" },
		{ "github: {tokenfile: s.yaml}\n", "s.yaml:1:" },
		{ "campaigns: [nothere.yaml]\n", "s.yaml:1:13: cannot read" },
		{ "[1, 2\n", "s.yaml:" },
	};
	struct nr_serve_config c;
	struct nr_diag d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("s.yaml", bad[i].text);
		memset(&d, 0, sizeof(d));
		CHECK_EQ(nr_serve_config_load("s.yaml", &c, &d), NR_ECONFIG);
		CHECK_CONTAINS(d.msg, bad[i].want);
		CHECK(c.repos == NULL && c.listen == NULL);
	}
	CHECK_EQ(nr_serve_config_load("missing.yaml", &c, &d), NR_ECONFIG);
}

NR_STORE_TEST(serve_tokens_checked)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "t"));
	char tok[NR_SERVE_TOKEN_LEN + 1], id[NR_TOKEN_ID_LEN + 1], got_id[NR_TOKEN_ID_LEN + 1];
	char hdr[128], read_tok[NR_SERVE_TOKEN_LEN + 1], admin[NR_SERVE_TOKEN_LEN + 1];
	char *user = NULL;
	struct nr_token_rec t = { 0 };
	int64_t now = nr_wall_us();

	CHECK_OK(nr_store_user_add(st, "alice", NULL));
	CHECK_EQ(nr_serve_token_create(st, "nobody", "push", 0, tok, id, NULL), NR_ENOTFOUND);
	CHECK_EQ(nr_serve_token_create(st, "alice", "root", 0, tok, id, NULL), NR_EINVAL);
	CHECK_OK(nr_serve_token_create(st, "alice", "push", now + 60000000, tok, id, NULL));
	CHECK_EQ(strlen(tok), NR_SERVE_TOKEN_LEN);
	/* the store keeps the hash, never the token */
	CHECK_OK(nr_store_token_get(st, id, &t, NULL));
	{
		char h[NR_SHA256_HEX_LEN + 1];

		nr_sha256_hex(tok, strlen(tok), h);
		CHECK_STR(t.hash, h);
	}
	nr_token_rec_release(&t);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	CHECK_EQ(nr_serve_token_check(st, hdr, "push", now, &user, got_id, NULL), NR_AUTH_OK);
	CHECK_STR(user, "alice");
	CHECK_STR(got_id, id);
	free(user);
	user = NULL;
	CHECK_EQ(nr_serve_token_check(st, hdr, "read", now, &user, got_id, NULL), NR_AUTH_OK);
	free(user);
	user = NULL;
	CHECK_EQ(nr_serve_token_check(st, hdr, "trigger", now, &user, got_id, NULL), NR_AUTH_SCOPE);
	CHECK_EQ(nr_serve_token_check(st, hdr, "push", now + 61000000, &user, got_id, NULL),
		 NR_AUTH_EXPIRED);
	CHECK_EQ(nr_serve_token_check(st, NULL, "push", now, &user, got_id, NULL), NR_AUTH_MISSING);
	CHECK_EQ(nr_serve_token_check(st, tok, "push", now, &user, got_id, NULL), NR_AUTH_INVALID);
	/* every position of the secret matters */
	{
		size_t i;

		for (i = 7 + 21; i < strlen(hdr); i += 9) {
			char saved = hdr[i];

			hdr[i] = saved == 'a' ? 'b' : 'a';
			CHECK_EQ(nr_serve_token_check(st, hdr, "push", now, &user, got_id, NULL),
				 NR_AUTH_INVALID);
			hdr[i] = saved;
		}
	}
	/* a read token may not push; an admin token may */
	CHECK_OK(nr_serve_token_create(st, "alice", "read", 0, read_tok, id, NULL));
	snprintf(hdr, sizeof(hdr), "Bearer %s", read_tok);
	CHECK_EQ(nr_serve_token_check(st, hdr, "push", now, &user, got_id, NULL), NR_AUTH_SCOPE);
	CHECK_OK(nr_serve_token_create(st, "alice", "admin", 0, admin, id, NULL));
	snprintf(hdr, sizeof(hdr), "Bearer %s", admin);
	CHECK_EQ(nr_serve_token_check(st, hdr, "push", now, &user, got_id, NULL), NR_AUTH_OK);
	free(user);
	user = NULL;
	CHECK_OK(nr_store_token_revoke(st, id, NULL));
	CHECK_EQ(nr_serve_token_check(st, hdr, "push", now, &user, got_id, NULL), NR_AUTH_REVOKED);
	CHECK(user == NULL);
	nr_store_close(st);
}

/*
 * A server's tokens found good are believed for NR_SERVE_TOKEN_TRUST_US
 * (monotonic time, given here): a revoke takes effect within it, an
 * expiry and a scope at once, and a wrong secret is never a good one's.
 */
NR_STORE_TEST(serve_tokens_cached_revoked_within_trust)
{
	struct nr_store *st = nr_tdb_open(nr_tdb_new(kind, "t"));
	struct nr_serve_token_cache *c = nr_serve_token_cache_new();
	char tok[NR_SERVE_TOKEN_LEN + 1], id[NR_TOKEN_ID_LEN + 1], got_id[NR_TOKEN_ID_LEN + 1];
	char hdr[128], short_tok[NR_SERVE_TOKEN_LEN + 1], short_id[NR_TOKEN_ID_LEN + 1];
	char *user = NULL;
	const int64_t trust = NR_SERVE_TOKEN_TRUST_US, t0 = 5000000;
	int64_t now = nr_wall_us();
	size_t i;

	CHECK_OK(nr_store_user_add(st, "alice", NULL));
	CHECK_OK(nr_serve_token_create(st, "alice", "push", 0, tok, id, NULL));
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "push", now, t0, &user, got_id, NULL),
		 NR_AUTH_OK);
	CHECK_STR(user, "alice");
	CHECK_STR(got_id, id);
	free(user);
	user = NULL;
	/* believed: the scope still judged at each request */
	CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "trigger", now, t0 + 1, &user, got_id,
					     NULL), NR_AUTH_SCOPE);
	/* the same id with another secret: not the token believed */
	hdr[40] = hdr[40] == 'a' ? 'b' : 'a';
	CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "push", now, t0 + 2, &user, got_id, NULL),
		 NR_AUTH_INVALID);
	hdr[40] = tok[33];
	CHECK_OK(nr_store_token_revoke(st, id, NULL));
	/* revoked: believed until its trust ends, refused from then on, every time */
	CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "push", now, t0 + trust - 1, &user, got_id,
					     NULL), NR_AUTH_OK);
	free(user);
	user = NULL;
	for (i = 0; i < 3; i++)
		CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "push", now, t0 + trust + (int64_t)i,
						     &user, got_id, NULL), NR_AUTH_REVOKED);
	CHECK(user == NULL);
	/* an expiry is judged at each request, believed or not */
	CHECK_OK(nr_serve_token_create(st, "alice", "push", now + 1000, short_tok, short_id, NULL));
	snprintf(hdr, sizeof(hdr), "Bearer %s", short_tok);
	CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "push", now, t0, &user, got_id, NULL),
		 NR_AUTH_OK);
	free(user);
	user = NULL;
	CHECK_EQ(nr_serve_token_check_cached(c, st, hdr, "push", now + 1000, t0 + 1, &user, got_id,
					     NULL), NR_AUTH_EXPIRED);
	/* more tokens than it keeps: each still checked right */
	for (i = 0; i < 40; i++) {
		char more[NR_SERVE_TOKEN_LEN + 1], more_id[NR_TOKEN_ID_LEN + 1], h[128];

		CHECK_OK(nr_serve_token_create(st, "alice", "push", 0, more, more_id, NULL));
		snprintf(h, sizeof(h), "Bearer %s", more);
		CHECK_EQ(nr_serve_token_check_cached(c, st, h, "push", now, t0, &user, got_id, NULL),
			 NR_AUTH_OK);
		CHECK_STR(got_id, more_id);
		free(user);
		user = NULL;
		if (i % 3 == 0)
			CHECK_OK(nr_store_token_revoke(st, more_id, NULL));
		CHECK_EQ(nr_serve_token_check_cached(c, st, h, "push", now, t0 + trust, &user, got_id,
						     NULL), i % 3 == 0 ? NR_AUTH_REVOKED : NR_AUTH_OK);
		free(user);
		user = NULL;
	}
	nr_serve_token_cache_free(c);
	nr_store_close(st);
}
