/*
 * The runner's cache of a directory's commit and branch (runner_git.c):
 * kept while the repository is as it was, asked again after each kind of
 * change that moves them, and always what git itself says.
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "exec/exec.h"
#include "runner/runner.h"
#include "test.h"

/* git ARGS... in dir, which must succeed. */
static void git_in(const char *dir, ...)
{
	char *argv[16] = { "git", "-c", "user.name=t", "-c", "user.email=t@example.org",
			   "-c", "init.defaultBranch=main", NULL };
	struct nr_exec_spec spec = { .argv = argv, .workdir = dir, .output_limit = 65536 };
	struct nr_buf out = NR_BUF_INIT;
	int n = 7, code = -1;
	va_list ap;

	va_start(ap, dir);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	CHECK_OK(nr_exec_run(&spec, 20000000, &code, &out, NULL, NULL));
	if (code != 0)
		nr_test_fail(__FILE__, __LINE__, "git %s %s: exit %d: %s", argv[7], argv[8] ? argv[8] : "",
			     code, out.buf ? out.buf : "");
	nr_buf_release(&out);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/*
 * Ask the cache about dir: its answer must be git's own, and git must have
 * been asked again exactly when `refreshed` says.
 */
static void expect(struct nr_runner_git_cache *gc, const char *dir, bool refreshed, int line)
{
	char *commit = NULL, *branch = NULL, *want_commit = NULL, *want_branch = NULL;
	long before = gc->detections;

	nr_runner_git_cached(gc, dir, &commit, &branch);
	nr_runner_detect_git(dir, &want_commit, &want_branch);
	if (!same(commit, want_commit) || !same(branch, want_branch))
		nr_test_fail(__FILE__, line, "cached %s %s, git says %s %s", commit ? commit : "-",
			     branch ? branch : "-", want_commit ? want_commit : "-",
			     want_branch ? want_branch : "-");
	if (gc->detections != before + (refreshed ? 1 : 0))
		nr_test_fail(__FILE__, line, "git asked %ld times, expected %d", gc->detections - before,
			     refreshed ? 1 : 0);
	free(commit);
	free(branch);
	free(want_commit);
	free(want_branch);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f);
	fputs(text, f);
	fclose(f);
}

NR_TEST_T(runner_git_cache_follows_the_repository, 120)
{
	struct nr_runner_git_cache gc = { 0 };
	char *argv[] = { "git", "--version", NULL };
	struct nr_exec_spec spec = { .argv = argv, .output_limit = 4096 };
	int code = -1;

	if (nr_exec_run(&spec, 5000000, &code, NULL, NULL, NULL) < 0 || code != 0)
		NR_SKIP("no git here");
	/* an empty test directory under /tmp: no repository above it either */
	CHECK_OK(mkdir("w", 0755));
	CHECK_OK(mkdir("w/sub", 0755));
	expect(&gc, "w/sub", true, __LINE__);
	expect(&gc, "w/sub", false, __LINE__);
	/* a repository made above the directory */
	git_in("w", "init", "-q", NULL);
	expect(&gc, "w/sub", true, __LINE__);
	expect(&gc, "w/sub", false, __LINE__);
	write_file("w/sub/f", "1");
	git_in("w", "add", "sub/f", NULL);
	git_in("w", "commit", "-q", "-m", "one", NULL);
	expect(&gc, "w/sub", true, __LINE__);
	expect(&gc, "w/sub", false, __LINE__);
	/* work that moves no ref: kept */
	write_file("w/sub/f", "2");
	git_in("w", "add", "sub/f", NULL);
	git_in("w", "status", "--short", NULL);
	expect(&gc, "w/sub", false, __LINE__);
	git_in("w", "commit", "-q", "-m", "two", NULL);
	expect(&gc, "w/sub", true, __LINE__);
	/* another directory: its own answer */
	expect(&gc, "w", true, __LINE__);
	expect(&gc, "w", false, __LINE__);
	git_in("w", "checkout", "-q", "-b", "other", NULL);
	expect(&gc, "w", true, __LINE__);
	git_in("w", "reset", "-q", "--hard", "HEAD~1", NULL);
	expect(&gc, "w", true, __LINE__);
	/* the ref moves into packed-refs, then a commit writes it loose again */
	git_in("w", "pack-refs", "--all", NULL);
	expect(&gc, "w", true, __LINE__);
	expect(&gc, "w", false, __LINE__);
	git_in("w", "commit", "-q", "--allow-empty", "-m", "three", NULL);
	expect(&gc, "w", true, __LINE__);
	git_in("w", "update-ref", "refs/heads/other", "main", NULL);
	expect(&gc, "w", true, __LINE__);
	git_in("w", "checkout", "-q", "--detach", NULL);
	expect(&gc, "w", true, __LINE__);
	git_in("w", "checkout", "-q", "main", NULL);
	expect(&gc, "w", true, __LINE__);
	/* a linked worktree: HEAD of its own, refs shared with the main one */
	git_in("w", "worktree", "add", "-q", "-b", "wtb", "../wt", NULL);
	expect(&gc, "wt", true, __LINE__);
	expect(&gc, "wt", false, __LINE__);
	git_in("wt", "commit", "-q", "--allow-empty", "-m", "in the worktree", NULL);
	expect(&gc, "wt", true, __LINE__);
	git_in("w", "update-ref", "refs/heads/wtb", "main", NULL);
	expect(&gc, "wt", true, __LINE__);
	nr_runner_git_cache_clear(&gc);
	CHECK(!gc.stamp && !gc.commit);
}

/* git rev-parse HEAD in dir, which must succeed: the commit, allocated. */
static char *head_of(const char *dir)
{
	char *argv[] = { "git", "rev-parse", "HEAD", NULL };
	struct nr_exec_spec spec = { .argv = argv, .workdir = dir, .output_limit = 4096 };
	struct nr_buf out = NR_BUF_INIT;
	int code = -1;
	char *s;

	CHECK_OK(nr_exec_run(&spec, 20000000, &code, &out, NULL, NULL));
	CHECK(code == 0 && out.len > 40);
	s = nr_xstrndup(out.buf, 40);
	nr_buf_release(&out);
	return s;
}

/* What detect_git says in dir: commit (NULL: none) and branch (NULL: none). */
static void expect_git(const char *dir, const char *commit, const char *branch, int line)
{
	char *c = NULL, *b = NULL;

	nr_runner_detect_git(dir, &c, &b);
	if (!same(c, commit) || !same(b, branch))
		nr_test_fail(__FILE__, line, "%s: commit %s branch %s, expected %s %s", dir, c ? c : "-",
			     b ? b : "-", commit ? commit : "-", branch ? branch : "-");
	free(c);
	free(b);
}

/* The two answers, each in every state a directory can be in (they are asked at once). */
NR_TEST_T(runner_git_detects_commit_and_branch, 60)
{
	char *argv[] = { "git", "--version", NULL };
	struct nr_exec_spec spec = { .argv = argv, .output_limit = 4096 };
	char *head;
	int code = -1;

	if (nr_exec_run(&spec, 5000000, &code, NULL, NULL, NULL) < 0 || code != 0)
		NR_SKIP("no git here");
	CHECK_OK(mkdir("g", 0755));
	expect_git("g", NULL, NULL, __LINE__);          /* no repository */
	expect_git("no-such-dir", NULL, NULL, __LINE__); /* git cannot start there */
	git_in("g", "init", "-q", NULL);
	expect_git("g", NULL, "main", __LINE__); /* a branch without a commit yet */
	git_in("g", "commit", "-q", "--allow-empty", "-m", "one", NULL);
	head = head_of("g");
	expect_git("g", head, "main", __LINE__);
	git_in("g", "checkout", "-q", "-b", "feature/x", NULL);
	expect_git("g", head, "feature/x", __LINE__);
	git_in("g", "checkout", "-q", "--detach", NULL);
	expect_git("g", head, NULL, __LINE__); /* detached: a commit, no branch */
	free(head);
}
