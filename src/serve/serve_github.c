/*
 * GitHub's webhooks (POST /github/webhook) and calls to GitHub's API.
 *
 * A delivery is signed: X-Hub-Signature-256 is "sha256=" and the hex
 * HMAC-SHA256 of the raw body keyed with the repository's webhook secret
 * (docs.github.com, "Validating webhook deliveries"). Which repository
 * sent it is in the body, and nothing of the body is to be read before
 * the signature holds; so the signature is checked against every
 * configured repository's secret first (one HMAC each, compared in
 * constant time with CRYPTO_memcmp), and only a body that one of them
 * signed is parsed. It must then name a repository whose secret signed
 * it: a delivery signed with repository A's secret cannot queue a job of
 * repository B.
 *
 * ping -> 200; push to a branch of push_branches -> a job of the commit
 * pushed; issue_comment (created, on a pull request, starting with the
 * repository's command, by one of allowed_users) -> a job of the pull
 * request's head commit (asked of the API); anything else -> 202, nothing
 * done, the reason answered and logged.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "serve/serve_int.h"

#define SIG_PREFIX "sha256="
#define ANSWER_MAX (1 << 20)
#define API_TIMEOUT_MS 15000L

/* ---- the API ---- */

int nr__serve_github_call(const struct nr_serve_config *c, const char *method, const char *path,
			  const char *body, long *ret_status, struct nr_buf *ret_answer,
			  struct nr_diag *d)
{
	struct nr_buf answer, auth = NR_BUF_INIT;
	struct curl_slist *h = NULL;
	char *url = nr_xasprintf("%s%s", c->github_api, path);
	size_t base_len = strlen(c->github_api);
	long status = 0;
	CURLcode rc;
	CURL *curl;
	int r = 0;

	while (base_len && url[base_len - 1] == '/' && path[0] == '/') {
		/* "https://api/" + "/repos/...": one slash */
		memmove(url + base_len - 1, url + base_len, strlen(url + base_len) + 1);
		base_len--;
	}
	nr_buf_init(&answer, ANSWER_MAX);
	if ((r = nr__serve_curl_init(d)) < 0) {
		free(url);
		return r;
	}
	if (!(curl = curl_easy_init())) {
		free(url);
		return nr_diagf(d, -ENOMEM, "libcurl");
	}
	h = curl_slist_append(h, "Accept: application/vnd.github+json");
	h = curl_slist_append(h, "X-GitHub-Api-Version: 2022-11-28");
	if (body)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (c->github_token) {
		nr_buf_addf(&auth, "Authorization: Bearer %s", c->github_token);
		h = curl_slist_append(h, auth.buf);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	nr__serve_curl_setup(curl, API_TIMEOUT_MS, API_TIMEOUT_MS, &answer);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	if (auth.len)
		OPENSSL_cleanse(auth.buf, auth.len);
	nr_buf_release(&auth);
	/* the URL holds no token: it may be in a message */
	if (rc != CURLE_OK)
		r = nr_diagf(d, NR_EPROTO, "%s %s: %s", method, url, curl_easy_strerror(rc));
	else
		*ret_status = status;
	if (r == 0 && ret_answer) {
		nr_buf_release(ret_answer);
		*ret_answer = answer;
		nr_buf_init(&answer, 0);
	}
	nr_buf_release(&answer);
	free(url);
	return r;
}

/* ---- the signature ---- */

/* The 32 bytes of "sha256=HEX" into mac; false when the header is not that. */
static bool signature_of(const char *header, unsigned char mac[32])
{
	if (!header || strncmp(header, SIG_PREFIX, strlen(SIG_PREFIX)) != 0 ||
	    strlen(header) != strlen(SIG_PREFIX) + 64)
		return false;
	return nr_hex_decode(header + strlen(SIG_PREFIX), 32, mac) == 0;
}

/* Whether mac is the HMAC-SHA256 of body under secret (constant time in the bytes compared). */
static bool signed_by(const char *secret, const struct nr_buf *body, const unsigned char mac[32])
{
	unsigned char got[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body->buf,
		  body->len, got, &n) || n != 32)
		return false;
	return CRYPTO_memcmp(got, mac, 32) == 0;
}

/* ---- jobs from deliveries ---- */

static void ignored(struct nr__serve_req *q, const char *repo, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 202: the delivery is good and asks for nothing (the reason answered and logged). */
static void ignored(struct nr__serve_req *q, const char *repo, const char *fmt, ...)
{
	struct nr_buf why = NR_BUF_INIT;
	char *esc;
	va_list ap;

	va_start(ap, fmt);
	nr_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	esc = nr_str_escaped(why.buf);
	nr__serve_logf(q->srv, "webhook of %s ignored: %s", repo, esc);
	nr__serve_json_doc(q, 202, json_pack("{s:s}", "ignored", esc));
	free(esc);
	nr_buf_release(&why);
}

/* What a delivery asks for: a job of the repository's campaign at a commit. */
struct ask {
	const struct nr_serve_repo *repo;
	const char *commit, *branch;
	const char *who;  /* the GitHub user, for the job's requester */
	json_int_t pr;    /* the pull request, 0: none */
	json_int_t comment; /* the comment that asked, 0: none */
};

/* A 40 (SHA-1) or 64 (SHA-256) hex digit commit id. */
static bool commit_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

static void queue(struct nr__serve_req *q, const struct ask *a)
{
	const struct nr_serve_repo *repo = a->repo;
	struct nr_job_rec job = { 0 };
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };
	json_t *origin, *labels;
	char *base = NULL, *name = NULL;

	if (!commit_ok(a->commit) ||
	    (a->branch && nr_store_job_check_repo(repo->clone, "x", a->commit, a->branch, NULL) < 0)) {
		nr__serve_fail(q, 422, "the delivery's commit or branch is not one");
		return;
	}
	if (repo->campaign) {
		/* the file beside the config: its text now, the commit as the run's */
		if (nr_campaign_load(repo->campaign, NULL, &c, &d) < 0) {
			nr__serve_logf(q->srv, "campaign of %s: %s", repo->name, nr_diag_msg(&d));
			nr__serve_fail(q, 500, "the repository's campaign does not load (see the log)");
			return;
		}
		job.campaign = c->name;
		job.campaign_path = c->path;
		job.config = c->text;
	} else {
		const char *slash = strrchr(repo->campaign_in_repo, '/');

		name = nr_xstrdup(slash ? slash + 1 : repo->campaign_in_repo);
		if (nr_ends_with(name, ".yaml"))
			name[strlen(name) - 5] = '\0';
		job.campaign = name;
		job.repo = repo->clone;
		job.repo_path = repo->campaign_in_repo;
	}
	job.repo_commit = (char *)a->commit;
	job.repo_branch = (char *)a->branch;
	origin = json_pack("{s:s, s:s}", "github", repo->name, "sha", a->commit);
	labels = json_pack("{s:s}", "github", repo->name);
	if (a->pr) {
		json_object_set_new(origin, "pr", json_integer(a->pr));
		json_object_set_new(labels, "pr", json_sprintf("%" JSON_INTEGER_FORMAT, a->pr));
	}
	if (a->comment)
		json_object_set_new(origin, "comment", json_integer(a->comment));
	job.origin = json_dumps(origin, JSON_COMPACT | JSON_SORT_KEYS);
	job.labels = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(origin);
	json_decref(labels);
	job.requester = nr_xasprintf("github:%s", a->who ? a->who : "?");
	if (nr__serve_job_add(q, &job) < 0)
		goto out;
	nr__serve_logf(q->srv, "job %s queued by %s: %s at %.12s (pull request %" JSON_INTEGER_FORMAT
		       ")", job.id, job.requester, repo->name, a->commit, a->pr);
	job.status = NR_JOB_QUEUED;
	base = nr__serve_base_url(q);
	nr__serve_json_doc(q, 201, json_pack("{s:o}", "job", nr__serve_job_json(&job, base)));
out:
	free(base);
	free(name);
	free(job.origin);
	free(job.labels);
	free(job.requester);
	nr_campaign_free(c);
}

static const char *str_at(json_t *doc, const char *a, const char *b)
{
	json_t *v = json_object_get(doc, a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

static void on_push(struct nr__serve_req *q, const struct nr_serve_repo *repo, json_t *doc)
{
	const char *ref = str_at(doc, "ref", NULL), *after = str_at(doc, "after", NULL);
	struct ask a = { .repo = repo, .commit = after };
	size_t i;

	if (!ref || !nr_starts_with(ref, "refs/heads/")) {
		ignored(q, repo->name, "a push of %s, not of a branch", ref ? ref : "nothing");
		return;
	}
	a.branch = ref + strlen("refs/heads/");
	if (json_is_true(json_object_get(doc, "deleted"))) {
		ignored(q, repo->name, "branch %s was deleted", a.branch);
		return;
	}
	for (i = 0; i < repo->push_branches.n && strcmp(repo->push_branches.v[i], a.branch); i++)
		;
	if (i == repo->push_branches.n) {
		ignored(q, repo->name, "branch %s is not one of its push_branches", a.branch);
		return;
	}
	a.who = str_at(doc, "sender", "login");
	if (!a.who)
		a.who = str_at(doc, "pusher", "name");
	queue(q, &a);
}

static void on_comment(struct nr__serve_req *q, const struct nr_serve_repo *repo, json_t *doc)
{
	json_t *issue = json_object_get(doc, "issue"), *comment = json_object_get(doc, "comment");
	const char *action = str_at(doc, "action", NULL);
	const char *body = json_string_value(json_object_get(comment, "body"));
	const char *who = json_string_value(json_object_get(json_object_get(comment, "user"), "login"));
	json_int_t pr = json_integer_value(json_object_get(issue, "number"));
	struct nr_buf answer = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	json_t *pull = NULL;
	struct ask a = { .repo = repo, .who = who, .pr = pr };
	char *path;
	long status = 0;
	size_t i;

	if (!action || strcmp(action, "created") != 0) {
		ignored(q, repo->name, "a comment %s, not created", action ? action : "without action");
		return;
	}
	if (!json_object_get(issue, "pull_request") || pr <= 0) {
		ignored(q, repo->name, "a comment on an issue, not on a pull request");
		return;
	}
	if (!body || strncmp(body, repo->command, strlen(repo->command)) != 0) {
		ignored(q, repo->name, "a comment that does not start with '%s'", repo->command);
		return;
	}
	for (i = 0; who && i < repo->allowed_users.n && strcmp(repo->allowed_users.v[i], who); i++)
		;
	if (!who || i == repo->allowed_users.n) {
		ignored(q, repo->name, "%s may not start runs (not in allowed_users)", who ? who : "?");
		return;
	}
	a.comment = json_integer_value(json_object_get(comment, "id"));
	/* the comment names the pull request; its head commit is the API's to say */
	path = nr_xasprintf("/repos/%s/pulls/%" JSON_INTEGER_FORMAT, repo->name, pr);
	if (nr__serve_github_call(q->srv->cfg, "GET", path, NULL, &status, &answer, &d) < 0 ||
	    status != 200) {
		nr__serve_logf(q->srv, "webhook of %s: GET %s: %s%ld", repo->name, path,
			       status ? "status " : nr_diag_msg(&d), status);
		nr__serve_fail(q, 502, "the GitHub API did not give pull request %" JSON_INTEGER_FORMAT,
			       pr);
		goto out;
	}
	pull = json_loadb(answer.buf, answer.len, 0, NULL);
	a.commit = str_at(json_object_get(pull, "head"), "sha", NULL);
	a.branch = str_at(json_object_get(pull, "head"), "ref", NULL);
	queue(q, &a);
out:
	json_decref(pull);
	nr_buf_release(&answer);
	free(path);
}

void nr__serve_github_webhook(struct nr__serve_req *q)
{
	const struct nr_serve_config *cfg = q->srv->cfg;
	const char *event = nr__serve_header(q, "X-GitHub-Event");
	const char *sig = nr__serve_header(q, "X-Hub-Signature-256");
	const struct nr_serve_repo *repo = NULL;
	unsigned char mac[32];
	bool *ok = NULL, any = false;
	const char *name;
	json_t *doc = NULL;
	size_t i;

	if (!cfg->n_repos) {
		nr__serve_fail(q, 404, "no repositories are configured for webhooks");
		return;
	}
	if (!sig) {
		nr__serve_fail(q, 401, "X-Hub-Signature-256 is missing");
		return;
	}
	if (!signature_of(sig, mac)) {
		nr__serve_fail(q, 401, "X-Hub-Signature-256 is not sha256=HEX");
		return;
	}
	/* every secret, so that how long this takes does not tell which one nearly matched */
	ok = nr_xcalloc(cfg->n_repos, sizeof(*ok));
	for (i = 0; i < cfg->n_repos; i++)
		if ((ok[i] = signed_by(cfg->repos[i].secret, &q->body, mac)))
			any = true;
	if (!any) {
		nr__serve_logf(q->srv, "webhook refused: no configured repository's secret signed it");
		nr__serve_fail(q, 401, "the signature is not of any configured repository's secret");
		goto out;
	}
	/* signed: now the body may be read */
	if (nr__serve_body_json(q, &doc) < 0)
		goto out;
	name = str_at(doc, "repository", "full_name");
	for (i = 0; name && i < cfg->n_repos && !repo; i++)
		if (ok[i] && !strcmp(cfg->repos[i].name, name))
			repo = &cfg->repos[i];
	if (!repo) {
		nr__serve_fail(q, 403, "the delivery is not of a repository whose secret signed it");
		goto out;
	}
	if (!event) {
		nr__serve_fail(q, 400, "X-GitHub-Event is missing");
		goto out;
	}
	if (!strcmp(event, "ping"))
		nr__serve_json_doc(q, 200, json_pack("{s:b, s:s}", "ok", 1, "repository", repo->name));
	else if (!strcmp(event, "push"))
		on_push(q, repo, doc);
	else if (!strcmp(event, "issue_comment"))
		on_comment(q, repo, doc);
	else
		ignored(q, repo->name, "event %.64s is not one netrig acts on", event);
out:
	json_decref(doc);
	free(ok);
}
