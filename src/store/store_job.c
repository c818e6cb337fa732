/*
 * The job queue's face: nr_store_job_* dispatched to the backend (each
 * claims in its own way), and the job record's lifetime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_backend.h"

/*
 * As store_backend.h's RETURN_RETRIED, but a lease lost (-EBUSY) or no job
 * (NR_ENOTFOUND) is an answer, not a lost connection: not tried again.
 */
#define RETURN_JOB_RETRIED(st, d, call)                                                      \
	do {                                                                             \
		int r_ = (call);                                                         \
		if (r_ < 0 && r_ != -EBUSY && r_ != NR_ENOTFOUND && (st)->ops->reconnect && \
		    (st)->ops->reconnect((st), (d)))                                     \
			r_ = (call);                                                     \
		return r_;                                                               \
	} while (0)

int nr_store_job_add(struct nr_store *st, const struct nr_job_rec *job, struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->job_add(st, job, d));
}

int nr_store_job_claim(struct nr_store *st, const char *worker, const char *offers,
		       int64_t now_us, int64_t lease_us, struct nr_job_rec *ret,
		       struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->job_claim(st, worker, offers, now_us, lease_us, ret, d));
}

int nr_store_job_update(struct nr_store *st, const struct nr_job_rec *job, const char *worker,
			struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->job_update(st, job, worker, d));
}

int nr_store_job_cancel(struct nr_store *st, const char *id, const char *who, int64_t now_us,
			struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->job_cancel(st, id, who, now_us, d));
}

int nr_store_jobs_to_report(struct nr_store *st, size_t max, struct nr_job_rec **ret,
			    size_t *ret_n, struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->jobs_to_report(st, max, ret, ret_n, d));
}

int nr_store_job_reported(struct nr_store *st, const char *id, const char *what, int64_t now_us,
			  struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->job_reported(st, id, what, now_us, d));
}

int nr_store_jobs_list(struct nr_store *st, enum nr_job_status status, size_t limit,
		       struct nr_job_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	const char *name = status ? nr_job_status_name(status) : NULL;

	RETURN_JOB_RETRIED(st, d, st->ops->jobs_list(st, name, NULL, limit, ret, ret_n, d));
}

int nr_store_jobs_count(struct nr_store *st, int64_t by_status[NR_JOB_STATUS_N + 1],
			struct nr_diag *d)
{
	RETURN_JOB_RETRIED(st, d, st->ops->jobs_count(st, by_status, d));
}

int nr_store_job_get(struct nr_store *st, const char *selector, struct nr_job_rec *ret,
		     struct nr_diag *d)
{
	struct nr_job_rec *v = NULL;
	char *like;
	size_t n = 0;
	int r;

	if (!selector || !*selector)
		return nr_diagf(d, NR_EINVAL, "no job id given");
	like = nr__store_like_prefix(selector);
	r = st->ops->jobs_list(st, NULL, like, 2, &v, &n, d); /* 2: enough to see it ambiguous */
	if (r < 0 && st->ops->reconnect && st->ops->reconnect(st, d))
		r = st->ops->jobs_list(st, NULL, like, 2, &v, &n, d);
	free(like);
	if (r < 0)
		return r;
	if (n == 1) {
		*ret = v[0]; /* its strings move to *ret */
		free(v);
		return 0;
	}
	if (n == 0)
		r = nr_diagf(d, NR_ENOTFOUND, "no job matches '%s'", selector);
	else
		r = nr_diagf(d, NR_EAMBIGUOUS, "job '%s' is ambiguous: give more of its id", selector);
	nr_jobs_free(v, n);
	return r;
}

static char *dup_or_null(const char *s)
{
	return s ? nr_xstrdup(s) : NULL;
}

static int64_t num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

void nr__store_job_read(struct nr_job_rec *j, const char *const col[NR__STORE_JOB_NCOLS])
{
	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", col[0] ? col[0] : "");
	j->campaign = dup_or_null(col[1]);
	j->campaign_path = dup_or_null(col[2]);
	j->config = dup_or_null(col[3]);
	j->repo = dup_or_null(col[4]);
	j->repo_path = dup_or_null(col[5]);
	j->repo_commit = dup_or_null(col[6]);
	j->tests = dup_or_null(col[7] ? col[7] : "[]");
	j->overrides = dup_or_null(col[8] ? col[8] : "{}");
	j->needs = dup_or_null(col[9] ? col[9] : "[]");
	j->labels = dup_or_null(col[10] ? col[10] : "{}");
	j->requester = dup_or_null(col[11]);
	j->status = nr_job_status_of(col[12]);
	j->worker = dup_or_null(col[13]);
	j->lease_until_us = num(col[14]);
	j->tries = (int)num(col[15]);
	j->failures = (int)num(col[16]);
	j->reasons = dup_or_null(col[17]);
	snprintf(j->run_id, sizeof(j->run_id), "%s", col[18] ? col[18] : "");
	j->created_us = num(col[19]);
	j->started_us = num(col[20]);
	j->finished_us = num(col[21]);
	j->repo_branch = dup_or_null(col[22]);
	j->origin = dup_or_null(col[23]);
	j->cancelled_by = dup_or_null(col[24]);
	j->reported = dup_or_null(col[25]);
	j->reported_us = num(col[26]);
}

void nr_job_rec_release(struct nr_job_rec *j)
{
	free(j->campaign);
	free(j->campaign_path);
	free(j->config);
	free(j->repo);
	free(j->repo_path);
	free(j->repo_commit);
	free(j->repo_branch);
	free(j->origin);
	free(j->cancelled_by);
	free(j->reported);
	free(j->tests);
	free(j->overrides);
	free(j->needs);
	free(j->labels);
	free(j->requester);
	free(j->worker);
	free(j->reasons);
	memset(j, 0, sizeof(*j));
}

void nr_jobs_free(struct nr_job_rec *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		nr_job_rec_release(&v[i]);
	free(v);
}

/* Whether s is n hex digits, lower case, with min <= n <= max. */
static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n >= min && n <= max && strspn(s, "0123456789abcdef") == n;
}

int nr_store_job_check_repo(const char *repo, const char *path, const char *commit,
			    const char *branch, struct nr_diag *d)
{
	const char *p;

	/* what git is given as an argument must never read as one of its options */
	if (!repo || !*repo || repo[0] == '-' || strlen(repo) > 1024 || strpbrk(repo, "\n\r"))
		return nr_diagf(d, NR_EINVAL, "a repository is a URL or a path (up to 1024 bytes)");
	if (strstr(repo, "::"))
		return nr_diagf(d, NR_EINVAL, "repository '%s': git's transport helpers (X::) are not"
			       " taken", repo);
	if (!path || !*path || path[0] == '/' || strlen(path) > 1024 || strpbrk(path, "\n\r\\"))
		return nr_diagf(d, NR_EINVAL, "the campaign's path in the repository is relative"
			       " (up to 1024 bytes)");
	for (p = path; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
			return nr_diagf(d, NR_EINVAL, "path '%s' leaves the repository", path);
	if (!is_hex(commit, 7, 64))
		return nr_diagf(d, NR_EINVAL, "commit '%s': 7 to 64 lower-case hex digits", commit ? commit : "");
	if (branch && (!*branch || branch[0] == '-' || strlen(branch) > 255 ||
		       strpbrk(branch, " ~^:?*[\\\n\r") || strstr(branch, "..")))
		return nr_diagf(d, NR_EINVAL, "branch '%s' is not a branch name", branch);
	return 0;
}
