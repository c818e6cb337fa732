/*
 * A run's commit and branch from git, and a cache of them for a process
 * that starts many runs from one directory (a worker): two git processes
 * per run cost tens of milliseconds where fork+exec is slow, most of a
 * queued job's overhead.
 *
 * The cache holds while the files git reads for the answer are as they
 * were: the .git entries from the directory up to the repository (or up
 * to / when there is none), the repository's HEAD, the ref HEAD names and
 * packed-refs. A commit, a checkout, a reset, pack-refs or a new
 * repository each rewrite one of them (git replaces a ref file by renaming
 * a new one over it: a new inode). Where the layout is not one this
 * reads (GIT_DIR and friends set, reftable, an unreadable .git file, an
 * answer git could not give), nothing is kept and git is asked each time.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "runner/runner.h"
#include "runner/runner_internal.h"

/*
 * The commit and the branch by two git processes started at once: each
 * costs milliseconds of fork, exec and start-up where those are slow, and
 * neither needs the other's answer, so the run waits for the slower only.
 */
void nr_runner_detect_git(const char *dir, char **ret_commit, char **ret_branch)
{
	char *commit_argv[] = { "git", "rev-parse", "--verify", "-q", "HEAD", NULL };
	char *branch_argv[] = { "git", "symbolic-ref", "-q", "--short", "HEAD", NULL };
	char **argvs[2] = { commit_argv, branch_argv };
	char **rets[2] = { ret_commit, ret_branch };
	struct nr_proc procs[2], *started[2];
	bool ok[2] = { false, false };
	size_t n = 0;
	int k;

	for (k = 0; k < 2; k++) {
		struct nr_exec_spec spec = { .argv = argvs[k], .workdir = dir, .output_limit = 4096 };

		*rets[k] = NULL;
		if (nr_proc_start(&spec, &procs[k], NULL) == 0) {
			ok[k] = true;
			started[n++] = &procs[k];
		}
	}
	if (n) {
		(void)nr_proc_pump(started, n, nr_mono_us() + 5000000, 0, -1, NULL, NULL);
		nr_proc_stop(started, n, 200000); /* ends what is left; reads the pipes to the end */
	}
	for (k = 0; k < 2; k++) {
		struct nr_proc *p = &procs[k];

		if (!ok[k])
			continue;
		if (p->exited && nr_proc_exit_code(p) == 0 && p->out.len) {
			p->out.buf[strcspn(p->out.buf, "\r\n")] = '\0';
			if (p->out.buf[0])
				*rets[k] = nr_xstrdup(p->out.buf);
		}
		nr_proc_release(p);
	}
}

/* One line of the stamp: path, and what a rewrite of it changes; "-" when absent. */
static bool stamp_path(struct nr_buf *b, const char *path)
{
	struct stat s;

	if (stat(path, &s) < 0) {
		nr_buf_addf(b, "%s -\n", path);
		return false;
	}
	nr_buf_addf(b, "%s %o %lu %lu %lld", path, (unsigned)s.st_mode, (unsigned long)s.st_ino,
		    (unsigned long)s.st_uid, (long long)s.st_size);
	/* a directory's times move with every file made in it (git's index): its identity is enough */
	if (!S_ISDIR(s.st_mode))
		nr_buf_addf(b, " %lld.%09ld %lld.%09ld", (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec,
			    (long long)s.st_ctim.tv_sec, s.st_ctim.tv_nsec);
	nr_buf_adds(b, "\n");
	return true;
}

/* A small text file's first line, without its newline; NULL when unreadable. */
static char *first_line(const char *path)
{
	struct nr_buf b = NR_BUF_INIT;
	char *s = NULL;

	b.limit = 4096;
	if (nr_buf_read_file(&b, path) == 0 && b.len && !b.dropped) {
		b.buf[strcspn(b.buf, "\r\n")] = '\0';
		s = nr_xstrdup(b.buf);
	}
	nr_buf_release(&b);
	return s;
}

/* p relative to base, unless absolute. */
static char *under(const char *base, const char *p)
{
	return p[0] == '/' ? nr_xstrdup(p) : nr_xasprintf("%s/%s", base, p);
}

/*
 * What the answer for dir depends on, as text to compare; NULL when this
 * cannot tell (then nothing is cached).
 */
static char *git_stamp(const char *dir, bool *ret_in_repo)
{
	static const char *const env[] = { "GIT_DIR", "GIT_COMMON_DIR", "GIT_WORK_TREE",
					   "GIT_CEILING_DIRECTORIES",
					   "GIT_DISCOVERY_ACROSS_FILESYSTEM" };
	struct nr_buf b = NR_BUF_INIT;
	char *abs = NULL, *top = NULL, *gitdir = NULL, *common = NULL, *line = NULL, *path = NULL;
	struct stat s;
	bool ok = false;
	size_t i;

	*ret_in_repo = false;
	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		if (getenv(env[i]))
			return NULL;
	if (!(abs = realpath(dir, NULL)))
		return NULL;
	/* git's discovery: the first .git from dir upwards */
	for (;;) {
		char *slash;

		free(path);
		path = nr_xasprintf("%s/.git", strcmp(abs, "/") ? abs : "");
		if (stamp_path(&b, path)) {
			top = abs;
			abs = NULL;
			break;
		}
		if (!strcmp(abs, "/"))
			break;
		slash = strrchr(abs, '/');
		if (slash == abs)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!top) {
		ok = true; /* no repository: the absent .git entries are the stamp */
		goto out;
	}
	*ret_in_repo = true;
	if (stat(path, &s) < 0)
		goto out;
	if (S_ISDIR(s.st_mode)) {
		gitdir = nr_xstrdup(path);
	} else {
		/* a worktree's or submodule's .git file: "gitdir: PATH" */
		line = first_line(path);
		if (!line || strncmp(line, "gitdir: ", 8))
			goto out;
		gitdir = under(top, line + 8);
		free(line);
		line = NULL;
	}
	free(path);
	path = nr_xasprintf("%s/commondir", gitdir);
	if (stamp_path(&b, path)) {
		if (!(line = first_line(path)))
			goto out;
		common = under(gitdir, line);
		free(line);
		line = NULL;
	} else {
		common = nr_xstrdup(gitdir);
	}
	free(path);
	path = nr_xasprintf("%s/reftable", common);
	if (stat(path, &s) == 0)
		goto out; /* refs this does not read */
	free(path);
	path = nr_xasprintf("%s/HEAD", gitdir);
	stamp_path(&b, path);
	if (!(line = first_line(path)))
		goto out;
	nr_buf_addf(&b, "HEAD %s\n", line);
	if (!strncmp(line, "ref: ", 5)) {
		const char *ref = line + 5;

		if (strncmp(ref, "refs/", 5) || strstr(ref, ".."))
			goto out;
		free(path);
		path = nr_xasprintf("%s/%s", common, ref);
		stamp_path(&b, path);
	}
	free(path);
	path = nr_xasprintf("%s/packed-refs", common);
	stamp_path(&b, path);
	ok = true;
out:
	free(abs);
	free(top);
	free(gitdir);
	free(common);
	free(line);
	free(path);
	if (!ok) {
		nr_buf_release(&b);
		return NULL;
	}
	return nr_buf_detach(&b, NULL);
}

void nr_runner_git_cache_clear(struct nr_runner_git_cache *gc)
{
	free(gc->dir);
	free(gc->stamp);
	free(gc->commit);
	free(gc->branch);
	gc->dir = gc->stamp = gc->commit = gc->branch = NULL;
}

void nr_runner_git_cached(struct nr_runner_git_cache *gc, const char *dir, char **ret_commit,
			  char **ret_branch)
{
	bool in_repo;
	char *stamp = git_stamp(dir, &in_repo);

	if (stamp && gc->stamp && gc->dir && !strcmp(gc->dir, dir) && !strcmp(gc->stamp, stamp)) {
		free(stamp);
		*ret_commit = gc->commit ? nr_xstrdup(gc->commit) : NULL;
		*ret_branch = gc->branch ? nr_xstrdup(gc->branch) : NULL;
		return;
	}
	nr_runner_git_cache_clear(gc);
	nr_runner_detect_git(dir, ret_commit, ret_branch);
	gc->detections++;
	/*
	 * Inside a repository git said nothing at all (not installed, a
	 * directory it does not trust): that may change with nothing here.
	 */
	if (in_repo && !*ret_commit && !*ret_branch) {
		free(stamp);
		return;
	}
	gc->dir = nr_xstrdup(dir);
	gc->stamp = stamp;
	gc->commit = *ret_commit ? nr_xstrdup(*ret_commit) : NULL;
	gc->branch = *ret_branch ? nr_xstrdup(*ret_branch) : NULL;
}
