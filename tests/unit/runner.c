/*
 * The unit test runner: each test in a forked child, with a timeout, in its
 * own temporary directory. Output of a passing test is discarded; a
 * failing one's is shown. The last line is "N passed, N failed, N skipped"
 * and the exit status is 1 when anything failed.
 *
 *   test-unit [-n] [-j] [SUBSTRING...]
 *     -n  run in this process, one after another (for valgrind and gdb)
 *     -l  list the tests
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 2048
#define EXIT_SKIP 77

struct test {
	const char *name;
	nr_test_fn fn;
	int timeout_s;
};

static struct test tests[MAX_TESTS];
static int ntests;
static char test_dir[PATH_MAX];
static char top_dir[PATH_MAX];
static bool in_process;

void nr_test_register(const char *name, nr_test_fn fn, int timeout_s)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	tests[ntests].timeout_s = timeout_s;
	ntests++;
}

void nr_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);
}

void nr_test_skip(const char *why)
{
	fprintf(stderr, "%s\n", why);
	fflush(NULL);
	_exit(EXIT_SKIP);
}

const char *nr_test_dir(void)
{
	return test_dir;
}

const char *nr_test_top(void)
{
	return top_dir;
}

const char *nr_test_fixture(const char *rel)
{
	static char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%.*s/tests/fixtures/%s", (int)(PATH_MAX - 1), top_dir, rel);
	return path;
}

static int cmp_test(const void *a, const void *b)
{
	return strcmp(((const struct test *)a)->name, ((const struct test *)b)->name);
}

static void rm_rf(const char *dir)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static bool selected(const char *name, int argc, char **argv)
{
	int i, any = 0;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (strstr(name, argv[i]))
			return true;
	}
	return !any;
}

/* Run one test in a child; returns 0 pass, 1 fail, 2 skip. */
static int run_one(const struct test *t, char **ret_output)
{
	char tmpl[] = "/tmp/netrig-test.XXXXXX";
	int pfd[2], status = 0, timed_out = 0;
	size_t len = 0, cap = 4096;
	char *out = NULL; /* the parent's only: a child that held it would leak it */
	struct timespec start, now;
	pid_t pid;

	if (!mkdtemp(tmpl) || pipe2(pfd, O_CLOEXEC) < 0) {
		perror("test setup");
		exit(2);
	}
	snprintf(test_dir, sizeof(test_dir), "%s", tmpl);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (chdir(test_dir) < 0)
			_exit(2);
		setvbuf(stdout, NULL, _IONBF, 0);
		t->fn();
		fflush(NULL);
		_exit(0);
	}
	close(pfd[1]);
	out = malloc(cap);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long elapsed_ms;
		int n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed_ms >= t->timeout_s * 1000L) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		n = poll(&p, 1, (int)(t->timeout_s * 1000L - elapsed_ms));
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			ssize_t k;

			if (len + 4096 > cap) {
				cap *= 2;
				out = realloc(out, cap);
			}
			k = read(pfd[0], out + len, cap - len - 1);
			if (k <= 0)
				break; /* EOF: the child and all it left are gone */
			len += (size_t)k;
		}
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	kill(-pid, SIGKILL); /* anything of its group still around */
	out[len] = '\0';
	rm_rf(test_dir);
	*ret_output = out;
	if (timed_out) {
		*ret_output = realloc(out, len + 64);
		snprintf(*ret_output + len, 64, "timed out after %d s\n", t->timeout_s);
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP)
		return 2;
	if (WIFSIGNALED(status)) {
		*ret_output = realloc(out, len + 64);
		snprintf(*ret_output + len, 64, "killed by signal %d\n", WTERMSIG(status));
	}
	return 1;
}

int main(int argc, char **argv)
{
	int i, passed = 0, failed = 0, skipped = 0;
	const char *top = getenv("NETRIG_TOP");

	if (top)
		snprintf(top_dir, sizeof(top_dir), "%s", top);
	else if (!getcwd(top_dir, sizeof(top_dir)))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	qsort(tests, (size_t)ntests, sizeof(tests[0]), cmp_test);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n"))
			in_process = true;
		if (!strcmp(argv[i], "-l")) {
			int k;

			for (k = 0; k < ntests; k++)
				printf("%s\n", tests[k].name);
			return 0;
		}
	}
	for (i = 0; i < ntests; i++) {
		const struct test *t = &tests[i];
		char *out = NULL;
		int r;

		if (!selected(t->name, argc - 1, argv + 1))
			continue;
		if (in_process) {
			/* as in a child: a scratch working directory of its own */
			char tmpl[] = "/tmp/netrig-test.XXXXXX";

			if (!mkdtemp(tmpl) || chdir(tmpl) < 0)
				return 2;
			snprintf(test_dir, sizeof(test_dir), "%s", tmpl);
			t->fn();
			if (chdir(top_dir) < 0)
				return 2;
			rm_rf(test_dir);
			printf("ok %s\n", t->name);
			passed++;
			continue;
		}
		r = run_one(t, &out);
		if (r == 0) {
			printf("ok %s\n", t->name);
			passed++;
		} else if (r == 2) {
			char *nl = strchr(out, '\n');

			if (nl)
				*nl = '\0';
			printf("skip %s: %s\n", t->name, out);
			skipped++;
		} else {
			printf("FAIL %s\n%s", t->name, out);
			failed++;
		}
		free(out);
		fflush(stdout);
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
