/*
 * The agent's job wrapper (exec_wrap.c): the sh wrapper's contract, run
 * in a forked child whose stdin is a pipe this test holds, as ssh's would be.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "exec/exec.h"
#include "test.h"

/* A wrapper running argv as job "j" of state directory nr_test_dir(); *ret_in: its stdin. */
static pid_t wrap_start(char *const *argv, int tenths, int *ret_in)
{
	struct nr_wrap_spec spec = { .dir = nr_test_dir(), .job = "j", .cgroup = "",
				     .grace_tenths = tenths, .argv = argv };
	int p[2];
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct nr_diag d = { 0 };
		int status = 0;

		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		nr_exec_wrap(&spec, &status, &d);
		_exit(status);
	}
	close(p[0]);
	*ret_in = p[1];
	return pid;
}

static int wait_status(pid_t pid)
{
	int ws;

	CHECK_EQ(waitpid(pid, &ws, 0), pid);
	return ws;
}

static char *path_in(const char *name)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", nr_test_dir(), name);
	return p;
}

/* The number in file `name` of the test directory, once the file has one (5 s at most). */
static long number_in(const char *name)
{
	int64_t end = nr_mono_us() + 5000000;
	long v = -1;

	while (v < 0 && nr_mono_us() < end) {
		FILE *f = fopen(path_in(name), "r");

		if (f) {
			if (fscanf(f, "%ld", &v) != 1)
				v = -1;
			fclose(f);
		}
		if (v < 0)
			usleep(10000);
	}
	return v;
}

/* Whether process pid is gone (or a zombie) within 3 s. */
static bool gone(pid_t pid)
{
	int64_t end = nr_mono_us() + 3000000;
	char p[64], buf[512], *s;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	while (nr_mono_us() < end) {
		FILE *f = fopen(p, "r");

		if (!f)
			return true;
		s = fgets(buf, sizeof(buf), f);
		fclose(f);
		s = s ? strrchr(s, ')') : NULL;
		if (!s || s[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

NR_TEST(exec_wrap_status_pidfile)
{
	char script[512];
	char *argv[] = { "sh", "-c", script, NULL };
	struct nr_buf seen = NR_BUF_INIT;
	char want[64];
	pid_t pid;
	int in, ws;

	/* the pidfile while it runs, and the command's stdin */
	snprintf(script, sizeof(script), "cat %s/j.pid > %s/seen; readlink /proc/self/fd/0 >> %s/seen; exit 7",
		 nr_test_dir(), nr_test_dir(), nr_test_dir());
	pid = wrap_start(argv, 10, &in);
	ws = wait_status(pid);
	close(in);
	CHECK(WIFEXITED(ws));
	CHECK_EQ(WEXITSTATUS(ws), 7);
	CHECK_OK(nr_buf_read_file(&seen, path_in("seen")));
	/* "PID START CGROUP": this wrapper, no cgroup */
	snprintf(want, sizeof(want), "%d ", (int)pid);
	CHECK(!strncmp(seen.buf, want, strlen(want)));
	CHECK(strchr(seen.buf + strlen(want), ' ') != NULL);
	CHECK_CONTAINS(seen.buf, " \n/dev/null\n");
	CHECK(access(path_in("j.pid"), F_OK) < 0);
	nr_buf_release(&seen);
}

/* A script without "#!" runs under sh, as it does under the sh wrapper. */
NR_TEST(exec_wrap_script_without_shebang)
{
	char *argv[] = { path_in("plain-script"), NULL };
	int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0755);
	int in, ws;

	CHECK(fd >= 0 && write(fd, "exit 5\n", 7) == 7);
	close(fd);
	ws = wait_status(wrap_start(argv, 10, &in));
	close(in);
	CHECK(WIFEXITED(ws));
	CHECK_EQ(WEXITSTATUS(ws), 5);
}

/* A signal's end is reported as a shell does: 128 + the signal. */
NR_TEST(exec_wrap_signal_status)
{
	char *argv[] = { "sh", "-c", "kill -USR1 $$", NULL };
	int in, ws = wait_status(wrap_start(argv, 10, &in));

	close(in);
	CHECK(WIFEXITED(ws));
	CHECK_EQ(WEXITSTATUS(ws), 128 + SIGUSR1);
}

/* What the command leaves in its group when it ends is ended with it. */
NR_TEST(exec_wrap_ends_group)
{
	char script[256];
	char *argv[] = { "sh", "-c", script, NULL };
	int in, ws;
	long bg;

	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s/bg", nr_test_dir());
	ws = wait_status(wrap_start(argv, 10, &in));
	close(in);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	bg = number_in("bg");
	CHECK(bg > 0);
	CHECK(gone((pid_t)bg));
}

/*
 * The end of its input (netrig gone): SIGTERM, SIGKILL after the grace
 * for a command that ignores it, pidfile removed; the wrapper ends too.
 */
NR_TEST(exec_wrap_input_end)
{
	char script[256];
	char *argv[] = { "sh", "-c", script, NULL };
	int64_t t0;
	pid_t pid;
	int in, ws;
	long cmd;

	snprintf(script, sizeof(script), "trap '' TERM; echo $$ > %s/cmd; while :; do sleep 1; done",
		 nr_test_dir());
	pid = wrap_start(argv, 3, &in);
	cmd = number_in("cmd");
	CHECK(cmd > 0);
	CHECK(access(path_in("j.pid"), F_OK) == 0);
	t0 = nr_mono_us();
	close(in);
	ws = wait_status(pid);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	/* the grace, 0.3 s, and not much more */
	CHECK_INT(nr_mono_us() - t0, >=, 250000);
	CHECK_INT(nr_mono_us() - t0, <, 3000000);
	CHECK(gone((pid_t)cmd));
	CHECK(access(path_in("j.pid"), F_OK) < 0);
}

/* A line "now" ends it at once, without the grace; other lines do nothing. */
NR_TEST(exec_wrap_now)
{
	char script[256];
	char *argv[] = { "sh", "-c", script, NULL };
	int64_t t0;
	pid_t pid;
	int in, ws;
	long cmd;

	snprintf(script, sizeof(script), "trap '' TERM; echo $$ > %s/cmd; while :; do sleep 1; done",
		 nr_test_dir());
	pid = wrap_start(argv, 600, &in);
	cmd = number_in("cmd");
	CHECK(cmd > 0);
	CHECK(write(in, "later\nno", 8) == 8);
	usleep(200000);
	CHECK(!gone((pid_t)cmd) || !"ended on a line that is not \"now\"");
	t0 = nr_mono_us();
	CHECK(write(in, "w\nnow\n", 6) == 6);
	ws = wait_status(pid);
	close(in);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	CHECK_INT(nr_mono_us() - t0, <, 3000000);
	CHECK(gone((pid_t)cmd));
}

/* What cannot run: the marker's text and a shell's status, nothing started. */
NR_TEST(exec_wrap_cannot_run)
{
	static const struct {
		const char *prog;
		int status;
		const char *why;
	} cases[] = {
		{ "netrig-no-such-prog", 127, "netrig-no-such-prog: not found" },
		{ "/nonexistent/x", 127, "/nonexistent/x: not found" },
		{ "/", 126, "/: Is a directory" },
		{ "@NOEXEC@", 126, "@NOEXEC@: Permission denied" },
	};
	char noexec[4096], want[4200];
	size_t i;
	int fd;

	snprintf(noexec, sizeof(noexec), "%s", path_in("noexec"));
	fd = open(noexec, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, "echo ran\n", 9) == 9);
	close(fd);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ne = !strcmp(cases[i].prog, "@NOEXEC@");
		char *argv[] = { ne ? noexec : (char *)cases[i].prog, NULL };
		struct nr_wrap_spec spec = { .dir = nr_test_dir(), .job = "j", .argv = argv };
		struct nr_diag d = { 0 };
		int status = 0;

		CHECK(nr_exec_wrap(&spec, &status, &d) < 0);
		CHECK_EQ(status, cases[i].status);
		snprintf(want, sizeof(want), "%s%s", ne ? noexec : cases[i].prog,
			 strchr(cases[i].why, ':'));
		CHECK_STR(nr_diag_msg(&d), want);
		CHECK(access(path_in("j.pid"), F_OK) < 0);
	}
}

/* No pidfile, no job: 125 (netrig reads the job as failed, nothing runs untracked). */
NR_TEST(exec_wrap_no_state)
{
	char *argv[] = { "sh", "-c", "echo ran > /dev/null", NULL };
	struct nr_wrap_spec spec = { .dir = "/nonexistent/netrig-state", .job = "j", .grouped = true,
				     .argv = argv };
	struct nr_diag d = { 0 };
	int status = 0;

	CHECK(nr_exec_wrap(&spec, &status, &d) < 0);
	CHECK_EQ(status, 125);
	CHECK_CONTAINS(nr_diag_msg(&d), "/nonexistent/netrig-state/j.pid");
}
