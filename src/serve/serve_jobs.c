/*
 * The jobs API of netrig serve (docs/serve.md): queue a campaign for the
 * workers (one the config names, or a campaign in a configured repository
 * at a commit), list, show and cancel jobs. Every job records the user
 * whose token asked. A body is checked whole before anything is stored:
 * a wrong type, an unknown key, a campaign the server does not know or a
 * --set it does not take is a 4xx and stores nothing.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "serve/serve_int.h"

#define API "/api/v1"
#define JOBS API "/jobs"
/* a job's lists and strings: enough for any real use, small enough for a row */
#define ITEMS_MAX 64
#define JOBS_LIMIT_DEFAULT 100 /* GET /api/v1/jobs: the newest N, as the runs' list */
#define JOBS_LIMIT_MAX 1000
#define STRING_MAX 256

const char *nr__serve_jobs_body_scope(const char *method, const char *path)
{
	if (strcmp(method, "POST") != 0)
		return NULL;
	if (!strcmp(path, "/github/webhook"))
		return NR__SERVE_NO_TOKEN;
	if (!strcmp(path, JOBS) ||
	    (nr_starts_with(path, JOBS "/") && nr_ends_with(path, "/cancel")))
		return NR_SCOPE_TRIGGER;
	return NULL;
}

/* The deepest nesting under j (1 for a scalar), counted up to limit + 1. */
static size_t depth(json_t *j, size_t limit)
{
	size_t max = 0, k, i;
	const char *key;
	json_t *v;

	if (!limit)
		return 1;
	if (json_is_array(j))
		json_array_foreach(j, i, v)
			if ((k = depth(v, limit - 1)) > max)
				max = k;
	if (json_is_object(j))
		json_object_foreach(j, key, v)
			if ((k = depth(v, limit - 1)) > max)
				max = k;
	return max + 1;
}

int nr__serve_body_json(struct nr__serve_req *q, json_t **ret)
{
	json_error_t e;
	json_t *doc;

	if (!q->body.len)
		return nr__serve_fail(q, 400, "an empty body: JSON wanted");
	doc = json_loadb(q->body.buf, q->body.len, JSON_REJECT_DUPLICATES, &e);
	if (!doc)
		return nr__serve_fail(q, 400, "not JSON: line %d: %s", e.line, e.text);
	if (depth(doc, q->srv->cfg->json_depth) > q->srv->cfg->json_depth) {
		json_decref(doc);
		return nr__serve_fail(q, 400, "JSON nested deeper than %zu", q->srv->cfg->json_depth);
	}
	*ret = doc;
	return 0;
}

#define jstr nr__serve_jstr

/* Stored JSON text (the job's tests, set, needs, labels) as JSON; null when it is not. */
static json_t *jtext(const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;

	return v ? v : json_null();
}

static json_t *jtime(int64_t us)
{
	return us ? json_integer((json_int_t)us) : json_null();
}

json_t *nr__serve_job_json(const struct nr_job_rec *j, const char *base)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(j->id));
	json_object_set_new(o, "status", json_string(nr_job_status_name(j->status)));
	json_object_set_new(o, "campaign", jstr(j->campaign));
	if (!j->config) {
		json_object_set_new(o, "repository", jstr(j->repo));
		json_object_set_new(o, "path", jstr(j->repo_path));
	}
	json_object_set_new(o, "commit", jstr(j->repo_commit));
	json_object_set_new(o, "branch", jstr(j->repo_branch));
	json_object_set_new(o, "tests", jtext(j->tests));
	json_object_set_new(o, "set", jtext(j->overrides));
	json_object_set_new(o, "needs", jtext(j->needs));
	json_object_set_new(o, "labels", jtext(j->labels));
	json_object_set_new(o, "user", jstr(j->requester));
	json_object_set_new(o, "worker", jstr(j->worker));
	json_object_set_new(o, "tries", json_integer(j->tries));
	json_object_set_new(o, "reasons", jstr(j->reasons));
	json_object_set_new(o, "cancelled_by", jstr(j->cancelled_by));
	json_object_set_new(o, "origin", jtext(j->origin));
	json_object_set_new(o, "reported", jstr(j->reported));
	json_object_set_new(o, "created_us", jtime(j->created_us));
	json_object_set_new(o, "started_us", jtime(j->started_us));
	json_object_set_new(o, "finished_us", jtime(j->finished_us));
	json_object_set_new(o, "run", j->run_id[0] ? json_string(j->run_id) : json_null());
	if (j->run_id[0] && base)
		json_object_set_new(o, "run_url", json_sprintf("%s/runs/%s", base, j->run_id));
	if (base)
		json_object_set_new(o, "url", json_sprintf("%s" JOBS "/%s", base, j->id));
	return o;
}

/* A job id, or a prefix of one, in a path. */
static bool job_id_ok(const char *s, size_t n)
{
	return n >= 4 && n <= NR_UUID_LEN && strspn(s, "0123456789abcdef-") >= n;
}

/* ---- POST /api/v1/jobs ---- */

int nr__serve_job_add(struct nr__serve_req *q, struct nr_job_rec *job)
{
	struct nr_diag d = { 0 };
	int r;

	nr_uuid_v7(job->id);
	job->created_us = nr_wall_us();
	if (nr__serve_store(q) < 0)
		return -1;
	if ((r = nr_store_job_add(q->st, job, &d)) < 0) {
		nr__serve_store_fail(q, r, &d);
		return -1;
	}
	return 0;
}

/* A short string of the body (non-empty, no control bytes), or NULL. */
static const char *short_str(json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n = s ? json_string_length(v) : 0;

	if (!s || !n || n > STRING_MAX || strlen(s) != n)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return NULL;
	return s;
}

/* body[key], if there, an array of at most ITEMS_MAX short strings (K=V ones when kv). */
static int str_array(struct nr__serve_req *q, json_t *body, const char *key, bool kv, json_t **ret)
{
	json_t *a = json_object_get(body, key), *v;
	size_t i;

	*ret = NULL;
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > ITEMS_MAX)
		return nr__serve_fail(q, 422, "'%s' wants a list of up to %d strings", key, ITEMS_MAX);
	json_array_foreach(a, i, v) {
		const char *s = short_str(v);

		if (!s || (kv && (!strchr(s, '=') || s[0] == '=')))
			return nr__serve_fail(q, 422, "'%s' wants %s of 1 to %d characters", key,
					      kv ? "K=V strings" : "strings", STRING_MAX);
	}
	*ret = a;
	return 0;
}

/* body[key], if there, an object of at most ITEMS_MAX short strings. */
static int str_object(struct nr__serve_req *q, json_t *body, const char *key, json_t **ret)
{
	json_t *o = json_object_get(body, key), *v;
	const char *k;

	*ret = NULL;
	if (!o)
		return 0;
	if (!json_is_object(o) || json_object_size(o) > ITEMS_MAX)
		return nr__serve_fail(q, 422, "'%s' wants an object of up to %d strings", key, ITEMS_MAX);
	json_object_foreach(o, k, v) {
		if (!*k || strlen(k) > STRING_MAX || strchr(k, '=') || !short_str(v))
			return nr__serve_fail(q, 422, "'%s' wants names (without '=') with strings of 1"
					      " to %d characters", key, STRING_MAX);
	}
	*ret = o;
	return 0;
}

static char *dump(json_t *j, const char *empty)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : nr_xstrdup(empty);
}

/* The configured campaign named name (loaded; free it), or NULL. */
static struct nr_campaign *configured_campaign(const struct nr_serve_config *c, const char *name,
					       struct nr_serve *s)
{
	struct nr_campaign *camp = NULL;
	size_t i, n = c->campaigns.n + c->n_repos;

	for (i = 0; i < n; i++) {
		const char *path = i < c->campaigns.n ? c->campaigns.v[i]
						      : c->repos[i - c->campaigns.n].campaign;
		struct nr_diag d = { 0 };

		if (!path)
			continue;
		if (nr_campaign_load(path, NULL, &camp, &d) < 0) {
			/* the file changed under the server since it was read: the admin's to see */
			nr__serve_logf(s, "campaign %s: %s", path, nr_diag_msg(&d));
			continue;
		}
		if (!strcmp(camp->name, name))
			return camp;
		nr_campaign_free(camp);
		camp = NULL;
	}
	return NULL;
}

/* tests and set checked against the campaign as `netrig job submit` checks them. */
static int check_selection(struct nr__serve_req *q, struct nr_campaign *c, const char *tests,
			   const char *sets)
{
	struct nr_select sel = { 0 };
	struct nr_diag d = { 0 };
	int r;

	r = nr_select_from_job(tests, sets, &sel, &d);
	if (r == 0)
		r = nr_select_check(c, &sel, &d);
	nr_select_clear(&sel);
	return r < 0 ? nr__serve_fail(q, 422, "%s", nr_diag_msg(&d)) : 0;
}

static void jobs_post(struct nr__serve_req *q)
{
	static const char *const keys[] = { "campaign", "repository", "path", "commit", "branch",
					    "tests", "set", "needs", "labels" };
	const struct nr_serve_config *cfg = q->srv->cfg;
	json_t *body = NULL, *tests, *sets, *needs, *labels;
	struct nr_job_rec job = { 0 };
	struct nr_campaign *camp = NULL;
	struct nr_diag d = { 0 };
	const char *name, *repo_name, *k;
	char *base = NULL, *name_owned = NULL;
	json_t *v;
	size_t i;

	if (nr__serve_body_json(q, &body) < 0)
		return;
	if (!json_is_object(body)) {
		nr__serve_fail(q, 422, "a job is a JSON object");
		goto out;
	}
	json_object_foreach(body, k, v) {
		for (i = 0; i < NR_ARRAY_SIZE(keys) && strcmp(keys[i], k); i++)
			;
		if (i == NR_ARRAY_SIZE(keys)) {
			nr__serve_fail(q, 422, "unknown key '%.64s'", k);
			goto out;
		}
	}
	if (str_array(q, body, "tests", false, &tests) < 0 || str_object(q, body, "set", &sets) < 0 ||
	    str_array(q, body, "needs", true, &needs) < 0 || str_object(q, body, "labels", &labels) < 0)
		goto out;
	/* the stored form, which the worker reads back */
	job.tests = dump(tests, "[]");
	job.overrides = dump(sets, "{}");
	name = short_str(json_object_get(body, "campaign"));
	repo_name = short_str(json_object_get(body, "repository"));
	if (!name == !repo_name) {
		nr__serve_fail(q, 422, "a job names a 'campaign' of this server, or a 'repository' with"
			       " 'path' and 'commit'");
		goto out;
	}
	if (name) {
		if (json_object_get(body, "path") || json_object_get(body, "commit") ||
		    json_object_get(body, "branch")) {
			nr__serve_fail(q, 422, "'path', 'commit' and 'branch' go with 'repository'");
			goto out;
		}
		if (!(camp = configured_campaign(cfg, name, q->srv))) {
			nr__serve_fail(q, 422, "no campaign '%s' on this server", name);
			goto out;
		}
		if (check_selection(q, camp, job.tests, job.overrides) < 0)
			goto out;
		job.campaign = camp->name;
		job.campaign_path = camp->path;
		job.config = camp->text;
	} else {
		const struct nr_serve_repo *repo = NULL;
		const char *path = short_str(json_object_get(body, "path"));
		const char *commit = short_str(json_object_get(body, "commit"));
		json_t *branch = json_object_get(body, "branch");

		/* only a repository the config names: a trigger token runs no one else's code */
		for (i = 0; i < cfg->n_repos && !repo; i++)
			if (!strcmp(cfg->repos[i].name, repo_name))
				repo = &cfg->repos[i];
		if (!repo) {
			nr__serve_fail(q, 422, "no repository '%s' on this server", repo_name);
			goto out;
		}
		if (branch && !short_str(branch)) {
			nr__serve_fail(q, 422, "'branch' wants a string");
			goto out;
		}
		if (nr_store_job_check_repo(repo->clone, path ? path : "", commit ? commit : "",
					    json_string_value(branch), &d) < 0) {
			nr__serve_fail(q, 422, "%s", nr_diag_msg(&d));
			goto out;
		}
		name_owned = nr_xstrdup(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		if (nr_ends_with(name_owned, ".yaml"))
			name_owned[strlen(name_owned) - 5] = '\0';
		job.campaign = name_owned;
		job.repo = repo->clone;
		job.repo_path = (char *)path;
		job.repo_commit = (char *)commit;
		job.repo_branch = (char *)json_string_value(branch);
	}
	job.needs = dump(needs, "[]");
	job.labels = dump(labels, "{}");
	job.requester = q->user;
	if (nr__serve_job_add(q, &job) < 0)
		goto out;
	base = nr__serve_base_url(q);
	q->location = nr_xasprintf("%s" JOBS "/%s", base, job.id);
	nr__serve_logf(q->srv, "job %s queued by %s: campaign %s", job.id, q->user, job.campaign);
	job.status = NR_JOB_QUEUED;
	nr__serve_json_doc(q, 201, nr__serve_job_json(&job, base));
out:
	free(job.tests);
	free(job.overrides);
	free(job.needs);
	free(job.labels);
	free(name_owned);
	free(base);
	nr_campaign_free(camp);
	json_decref(body);
}

/* ---- GET /api/v1/jobs[?status=S], GET /api/v1/jobs/ID, POST /api/v1/jobs/ID/cancel ---- */

static void jobs_list(struct nr__serve_req *q)
{
	const char *arg = nr__serve_arg(q, "status"), *limit_s = nr__serve_arg(q, "limit");
	enum nr_job_status status = NR_JOB_UNKNOWN;
	uint64_t limit = JOBS_LIMIT_DEFAULT;
	struct nr_job_rec *v = NULL;
	struct nr_diag d = { 0 };
	json_t *list;
	char *base;
	size_t n = 0, i;
	int r;

	if (arg && nr_job_status_parse(arg, &status) < 0) {
		nr__serve_fail(q, 400, "status is queued, running, done, failed or cancelled");
		return;
	}
	if (limit_s && (nr_parse_u64(limit_s, JOBS_LIMIT_MAX, &limit) < 0 || !limit)) {
		nr__serve_fail(q, 400, "limit wants 1 to %d", JOBS_LIMIT_MAX);
		return;
	}
	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_jobs_list(q->st, status, (size_t)limit, &v, &n, &d)) < 0) {
		nr__serve_store_fail(q, r, &d);
		return;
	}
	base = nr__serve_base_url(q);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, nr__serve_job_json(&v[i], base));
	nr__serve_json_doc(q, 200, json_pack("{s:o}", "jobs", list));
	free(base);
	nr_jobs_free(v, n);
}

static void job_get(struct nr__serve_req *q, const char *id, bool cancel)
{
	struct nr_job_rec j = { 0 };
	struct nr_diag d = { 0 };
	char *base = NULL;
	int r;

	if (nr__serve_store(q) < 0)
		return;
	if ((r = nr_store_job_get(q->st, id, &j, &d)) < 0) {
		nr__serve_store_fail(q, r, &d);
		return;
	}
	if (cancel) {
		r = nr_store_job_cancel(q->st, j.id, q->user, nr_wall_us(), &d);
		if (r == -EBUSY) {
			nr__serve_fail(q, 409, "job %s has ended already (%s)", j.id,
				       nr_job_status_name(j.status));
			goto out;
		}
		if (r < 0) {
			nr__serve_store_fail(q, r, &d);
			goto out;
		}
		nr__serve_logf(q->srv, "job %s cancelled by %s", j.id, q->user);
		nr_job_rec_release(&j);
		if ((r = nr_store_job_get(q->st, id, &j, &d)) < 0) {
			nr__serve_store_fail(q, r, &d);
			goto out;
		}
	}
	base = nr__serve_base_url(q);
	nr__serve_json_doc(q, 200, nr__serve_job_json(&j, base));
out:
	free(base);
	nr_job_rec_release(&j);
}

bool nr__serve_jobs_route(struct nr__serve_req *q)
{
	const char *p = q->path, *id = p + strlen(JOBS "/");
	bool post = !strcmp(q->method, "POST");
	bool get = !strcmp(q->method, "GET") || !strcmp(q->method, "HEAD");
	size_t n;

	if (post && !strcmp(p, "/github/webhook")) {
		nr__serve_github_webhook(q);
		return true;
	}
	if (strcmp(p, JOBS) != 0 && !nr_starts_with(p, JOBS "/"))
		return false;
	if (!strcmp(p, JOBS)) {
		if (post)
			jobs_post(q);
		else if (get && nr__serve_auth_read(q) == 0)
			jobs_list(q);
		return post || get;
	}
	n = strcspn(id, "/");
	if (!job_id_ok(id, n) || (id[n] && strcmp(id + n, "/cancel") != 0)) {
		nr__serve_fail(q, 404, "no such route");
		return true;
	}
	if (post && id[n]) {
		char *sel = nr_xstrndup(id, n);

		job_get(q, sel, true);
		free(sel);
	} else if (get && !id[n]) {
		if (nr__serve_auth_read(q) == 0)
			job_get(q, id, false);
	} else {
		nr__serve_fail(q, 405, "method not allowed");
	}
	return true;
}
