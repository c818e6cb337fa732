/*
 * A job's repository checked out at its commit (issue 15's "repository +
 * path + commit" form): one clone per repository under the worker's
 * directory, kept between jobs (a fetch brings what is new), checked out
 * detached at the commit and cleaned, so that the campaign, its build
 * steps and the files it names are the commit's.
 *
 * git runs through argv vectors (exec.h), never a shell; the repository
 * and path were checked by nr_store_job_check_repo, and "--" stands before
 * every argument that comes from the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/mem.h"
#include "exec/exec.h"
#include "worker/worker.h"

#define GIT_TIMEOUT_US (600 * 1000000LL)
/* clones of one repository that workers sharing a directory may hold at once */
#define CLONES_MAX 8

static char *const git_env[] = { "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true",
				  "GIT_CONFIG_NOSYSTEM=1", NULL };

/* Run git with argv (after "git -c protocol.ext.allow=never") in dir; 0 or NR_EEXEC with its stderr. */
static int git(const char *dir, const char *const *args, struct nr_buf *out, struct nr_diag *d)
{
	const char *argv[16] = { "git", "-c", "protocol.ext.allow=never", NULL };
	struct nr_exec_spec spec = { .env = git_env, .workdir = dir, .output_limit = 64 << 10 };
	struct nr_buf err = NR_BUF_INIT;
	size_t n = 3, i;
	int code = -1, r;

	for (i = 0; args[i] && n < NR_ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	spec.argv = (char *const *)argv;
	r = nr_exec_run(&spec, GIT_TIMEOUT_US, &code, out, &err, d);
	if (r == 0 && code != 0) {
		char *msg = nr_str_escaped(err.len ? err.buf : "");

		if (strlen(msg) > 400)
			msg[400] = '\0';
		r = nr_diagf(d, NR_EEXEC, "git %s: exit %d: %s", args[0], code, msg);
		free(msg);
	} else if (r < 0) {
		char *why = nr_xstrdup(nr_diag_msg(d));

		r = nr_diagf(d, r, "git %s: %s", args[0], why);
		free(why);
	}
	nr_buf_release(&err);
	return r;
}

static int mkdir_p(const char *path)
{
	char *p = nr_xstrdup(path), *s;
	int r = 0;

	for (s = p + 1; *s && r == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			r = -errno;
		*s = '/';
	}
	if (r == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		r = -errno;
	free(p);
	return r;
}

/* A clone directory of repo's that no other worker holds: its lock's fd in *ret_lock. */
static int take_clone(const char *dir, const char *repo, char **ret_path, int *ret_lock,
		      struct nr_diag *d)
{
	char hash[NR_SHA256_HEX_LEN + 1], *path, *lock;
	int k, fd;

	nr_sha256_hex(repo, strlen(repo), hash);
	hash[16] = '\0';
	for (k = 0; k < CLONES_MAX; k++) {
		path = k ? nr_xasprintf("%s/%s-%d", dir, hash, k) : nr_xasprintf("%s/%s", dir, hash);
		lock = nr_xasprintf("%s.lock", path);
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(lock);
		if (fd < 0) {
			int r = nr_diagf(d, -errno, "%s.lock: %s", path, strerror(errno));

			free(path);
			return r;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			*ret_path = path;
			*ret_lock = fd;
			return 0;
		}
		close(fd);
		free(path);
	}
	return nr_diagf(d, -EBUSY, "%d clones of %s are in use in %s", CLONES_MAX, repo, dir);
}

int nr_worker_checkout(const char *dir, const struct nr_job_rec *job, char **ret_campaign,
		       char **ret_checkout, int *ret_lock, struct nr_diag *d)
{
	char *clone = NULL, *campaign = NULL, *real = NULL, *real_clone = NULL, *want = NULL;
	struct stat sb;
	int lock = -1, r;

	if ((r = nr_store_job_check_repo(job->repo, job->repo_path, job->repo_commit,
					 job->repo_branch, d)) < 0)
		return r;
	if ((r = mkdir_p(dir)) < 0)
		return nr_diagf(d, r, "the worker's directory %s: %s", dir, strerror(-r));
	if ((r = take_clone(dir, job->repo, &clone, &lock, d)) < 0)
		return r;
	if (stat(clone, &sb) < 0) {
		const char *args[] = { "clone", "--quiet", "--no-checkout", "--", job->repo, clone, NULL };

		if ((r = git(NULL, args, NULL, d)) < 0)
			goto out;
	} else {
		/* every branch and pull request head: the commit is usually on one of them */
		const char *args[] = { "fetch", "--quiet", "--force", "origin",
				       "+refs/heads/*:refs/remotes/origin/*", NULL };

		if ((r = git(clone, args, NULL, d)) < 0)
			goto out;
	}
	want = nr_xasprintf("%s^{commit}", job->repo_commit);
	{
		const char *has[] = { "cat-file", "-e", want, NULL };
		const char *fetch[] = { "fetch", "--quiet", "origin", job->repo_commit, NULL };

		/* a commit on no branch (a pull request's from a fork): asked for by name */
		if (git(clone, has, NULL, NULL) < 0 && git(clone, fetch, NULL, NULL) < 0) {
			r = nr_diagf(d, NR_EINVAL, "commit %s is not in %s", job->repo_commit, job->repo);
			goto out;
		}
	}
	{
		const char *checkout[] = { "checkout", "--quiet", "--force", "--detach", want, NULL };
		const char *clean[] = { "clean", "-q", "-ffdx", NULL };

		if ((r = git(clone, checkout, NULL, d)) < 0 || (r = git(clone, clean, NULL, d)) < 0)
			goto out;
	}
	campaign = nr_xasprintf("%s/%s", clone, job->repo_path);
	real = realpath(campaign, NULL);
	real_clone = realpath(clone, NULL);
	if (!real || !real_clone) {
		r = nr_diagf(d, NR_EINVAL, "%s has no %s at %s", job->repo, job->repo_path,
			     job->repo_commit);
		goto out;
	}
	/* a symbolic link in the repository must not lead the campaign out of it */
	if (strncmp(real, real_clone, strlen(real_clone)) != 0 || real[strlen(real_clone)] != '/') {
		r = nr_diagf(d, NR_EINVAL, "%s in %s leads out of the repository", job->repo_path,
			     job->repo);
		goto out;
	}
	*ret_campaign = campaign;
	*ret_checkout = clone;
	*ret_lock = lock;
	campaign = clone = NULL;
	lock = -1;
out:
	if (lock >= 0)
		close(lock);
	free(want);
	free(real);
	free(real_clone);
	free(campaign);
	free(clone);
	return r;
}
