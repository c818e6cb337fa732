#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/clock.h"
#include "exec/exec.h"
#include "test.h"

static int run_to_end(char *const *argv, size_t limit, int64_t timeout_us, struct nr_proc *p)
{
	struct nr_exec_spec spec = { .argv = argv, .output_limit = limit };
	struct nr_proc *procs[1] = { p };
	int r;

	CHECK_OK(nr_proc_start(&spec, p, NULL));
	r = nr_proc_pump(procs, 1, nr_mono_us() + timeout_us, 0, -1, NULL, NULL);
	return r;
}

/* Running (not gone, not a zombie waiting for a parent to collect it). */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static bool exited(void *ctx)
{
	struct nr_proc *p = ctx;

	return p->exited && p->out_fd < 0 && p->err_fd < 0;
}

NR_TEST(exec_exit_code_and_output)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct nr_exec_spec spec = { .argv = argv };
	struct nr_proc p, *procs[1] = { &p };
	char desc[64];

	CHECK_OK(nr_proc_start(&spec, &p, NULL));
	CHECK_OK(nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p));
	CHECK_EQ(nr_proc_exit_code(&p), 3);
	CHECK_STR(p.out.buf, "out\n");
	CHECK_STR(p.err.buf, "err\n");
	CHECK_STR(nr_proc_describe(&p, desc, sizeof(desc)), "exit 3");
	nr_proc_release(&p);
}

NR_TEST(exec_missing_command_is_an_error)
{
	char *argv[] = { "/nonexistent/netrig-no-such-tool", NULL };
	struct nr_exec_spec spec = { .argv = argv };
	struct nr_diag d = { 0 };
	struct nr_proc p;

	CHECK(nr_proc_start(&spec, &p, &d) == NR_EEXEC);
	CHECK_CONTAINS(d.msg, "No such file");
}

NR_TEST(exec_arguments_stay_literal)
{
	char *argv[] = { "printf", "[%s]", "a b; touch pwned $(id)", NULL };
	struct nr_exec_spec spec = { .argv = argv };
	struct nr_proc p, *procs[1] = { &p };

	CHECK_OK(nr_proc_start(&spec, &p, NULL));
	CHECK_OK(nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p));
	CHECK_STR(p.out.buf, "[a b; touch pwned $(id)]");
	CHECK(access("pwned", F_OK) != 0);
	nr_proc_release(&p);
}

NR_TEST(exec_env_and_workdir)
{
	char *argv[] = { "sh", "-c", "echo $NR_X; pwd", NULL };
	char *env[] = { "NR_X=hello world", NULL };
	struct nr_exec_spec spec = { .argv = argv, .env = env, .workdir = "/" };
	struct nr_proc p, *procs[1] = { &p };

	CHECK_OK(nr_proc_start(&spec, &p, NULL));
	CHECK_OK(nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p));
	CHECK_STR(p.out.buf, "hello world\n/\n");
	nr_proc_release(&p);
}

NR_TEST(exec_output_limit)
{
	char *argv[] = { "sh", "-c", "head -c 100000 /dev/zero", NULL };
	struct nr_proc p;
	struct nr_proc *procs[1] = { &p };

	run_to_end(argv, 1000, 5000000, &p);
	nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p);
	CHECK_EQ(p.out.len, 1000);
	CHECK_EQ(p.out.dropped, 99000);
	nr_proc_release(&p);
}

/* A timeout ends the whole group: the grandchild too. */
NR_TEST(exec_timeout_kills_grandchildren)
{
	char *argv[] = { "sh", "-c", "sleep 30 & echo $!; wait", NULL };
	struct nr_proc p;
	struct nr_proc *procs[1] = { &p };
	int64_t t0 = nr_mono_us();
	long grandchild;
	char *end;

	CHECK(run_to_end(argv, 0, 300000, &p) == NR_ETIMEOUT);
	grandchild = strtol(p.out.buf, &end, 10);
	CHECK(grandchild > 0);
	CHECK(alive((pid_t)grandchild));
	nr_proc_stop(procs, 1, 500000);
	CHECK(p.exited);
	CHECK(p.stopped_by_us);
	CHECK_EQ(nr_proc_signal(&p), SIGTERM);
	nr_proc_release(&p);
	/* the grandchild was in the group: it got the signal too */
	for (int i = 0; i < 100 && alive((pid_t)grandchild); i++)
		usleep(10000);
	CHECK(!alive((pid_t)grandchild));
	CHECK(nr_mono_us() - t0 < 5000000);
}

/* A process that ignores SIGTERM gets SIGKILL after the grace period. */
NR_TEST(exec_sigkill_after_grace)
{
	char *argv[] = { "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done", NULL };
	struct nr_exec_spec spec = { .argv = argv };
	struct nr_proc p, *procs[1] = { &p };

	CHECK_OK(nr_proc_start(&spec, &p, NULL));
	while (!strstr(p.out.buf, "ready"))
		CHECK_OK(nr_proc_pump(procs, 1, nr_mono_us() + 50000, 0, -1, NULL, NULL) == NR_ETIMEOUT ? 0 : 0);
	nr_proc_stop(procs, 1, 200000);
	CHECK(p.exited);
	CHECK_EQ(nr_proc_signal(&p), SIGKILL);
	nr_proc_release(&p);
}

NR_TEST(exec_cancel_fd_interrupts)
{
	char *argv[] = { "sleep", "10", NULL };
	struct nr_exec_spec spec = { .argv = argv };
	struct nr_proc p, *procs[1] = { &p };
	int pfd[2];

	CHECK(pipe(pfd) == 0);
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK_OK(nr_proc_start(&spec, &p, NULL));
	CHECK(nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, pfd[0], NULL, NULL) == NR_EINTR);
	nr_proc_stop(procs, 1, 100000);
	nr_proc_release(&p);
}

NR_TEST(exec_port_listening_without_connecting)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int port, fd;

	CHECK_OK(nr_free_port(&port));
	CHECK(!nr_port_listening(getpid(), port));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(!nr_port_listening(getpid(), port));
	CHECK(listen(fd, 1) == 0);
	CHECK(nr_port_listening(getpid(), port));
	close(fd);
}

NR_TEST(exec_reap_orphans_of_a_subreaper)
{
	char *argv[] = { "sh", "-c", "setsid sleep 30 >/dev/null 2>&1 & echo $!", NULL };
	struct nr_exec_spec spec = { .argv = argv };
	struct nr_proc p, *procs[1] = { &p };
	long orphan;

	nr_exec_become_subreaper();
	CHECK_OK(nr_proc_start(&spec, &p, NULL));
	CHECK_OK(nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p));
	orphan = strtol(p.out.buf, NULL, 10);
	nr_proc_release(&p);
	CHECK(orphan > 0 && alive((pid_t)orphan));
	CHECK(nr_exec_reap_orphans(NULL, 0) >= 1);
	CHECK(!alive((pid_t)orphan));
}
