#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/pid.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
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
	CHECK_CONTAINS(d.msg, "/nonexistent/netrig-no-such-tool: not found");
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

NR_TEST(exec_proc_start_time)
{
	char path[64], buf[1024], *p;
	unsigned long long want = 0;
	int field;
	FILE *f;

	/* field 22 read the plain way, for a name without blanks */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getpid());
	f = fopen(path, "r");
	CHECK(f != NULL);
	CHECK(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	p = strrchr(buf, ')') + 2;
	for (field = 3; field < 22; field++)
		p = strchr(p, ' ') + 1;
	want = strtoull(p, NULL, 10);
	CHECK(want > 0);
	CHECK(nr_pid_start_ticks(getpid()) == want);
	CHECK(nr_pid_start_ticks(getppid()) != want);
	CHECK(nr_pid_start_ticks(0x3fffffff) == 0);
}

/* mountinfo and /proc/self/cgroup as three kinds of machine show them */
NR_TEST(exec_cgroup_dir_from_mountinfo)
{
	static const char hybrid[] =
		"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
	static const char pure[] =
		"25 22 0:23 / /sys rw,nosuid - sysfs sysfs rw\n"
		"28 25 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
	static const char sub[] = /* a container's view: a subtree mounted, a blank escaped */
		"28 25 0:25 /lxc/c\\0401 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	static const char none[] = "25 22 0:23 / /sys rw - sysfs sysfs rw\n";
	struct {
		const char *mi, *cg, *want;
	} cases[] = {
		{ hybrid, "9:name=systemd:/\n1:cpu:/\n0::/\n", "/sys/fs/cgroup/unified" },
		{ hybrid, "0::/ci/job 7\n", "/sys/fs/cgroup/unified/ci/job 7" },
		{ pure, "0::/user.slice/user-0.slice/session-3.scope\n",
		  "/sys/fs/cgroup/user.slice/user-0.slice/session-3.scope" },
		{ sub, "0::/lxc/c 1/init.scope\n", "/sys/fs/cgroup/init.scope" },
		{ sub, "0::/lxc/c 1\n", "/sys/fs/cgroup" },
		{ sub, "0::/lxc/c 12/x\n", NULL },  /* outside the mounted subtree */
		{ pure, "1:cpu:/\n", NULL },        /* no cgroup v2 for us */
		{ none, "0::/\n", NULL },           /* no cgroup v2 mounted */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *mi = strdup(cases[i].mi), *cg = strdup(cases[i].cg), *got = NULL;
		struct nr_diag d = { 0 };
		int r = nr__cgroup_dir_from(mi, cg, &got, &d);

		if (cases[i].want) {
			CHECK_OK(r);
			CHECK_STR(got, cases[i].want);
		} else {
			CHECK_EQ(r, NR_EUNSUPPORTED);
			CHECK(d.msg[0] != '\0');
		}
		free(got);
		free(mi);
		free(cg);
	}
}

/* A writable cgroup v2 for a test, or a skip that says why not. */
static struct nr_cgroup *test_cgroup(const char *what)
{
	struct nr_cgroup *cg = NULL;
	struct nr_diag d = { 0 };
	char name[64];

	snprintf(name, sizeof(name), "netrig-test.%s.%d", what, (int)getpid());
	if (nr_cgroup_open_run(name, &cg, &d) < 0) {
		static char why[NR_DIAG_MAX + 32];

		snprintf(why, sizeof(why), "no cgroup v2: %s", d.msg);
		NR_SKIP(why);
	}
	return cg;
}

/* Start argv in cg; it prints two pids (its escapers') on its first two lines. */
static void start_escapers(char **argv, struct nr_cgroup *cg, struct nr_proc *p, long *a, long *b)
{
	struct nr_exec_spec spec = { .argv = argv, .cgroup = cg };
	struct nr_proc *procs[1] = { p };
	int64_t deadline = nr_mono_us() + 5000000;
	char *nl, *end;

	CHECK_OK(nr_proc_start(&spec, p, NULL));
	while (!((nl = strchr(p->out.buf, '\n')) && strchr(nl + 1, '\n')) && nr_mono_us() < deadline)
		nr_proc_pump(procs, 1, nr_mono_us() + 50000, 0, -1, NULL, NULL);
	*a = strtol(p->out.buf, &end, 10);
	*b = strtol(end, NULL, 10);
	CHECK(*a > 0 && *b > 0 && alive((pid_t)*a) && alive((pid_t)*b));
}

NR_TEST(exec_cgroup_keeps_what_leaves_the_group)
{
	/*
	 * setsid and a double fork: out of the group, out of reach of
	 * kill(-pgid). Each escaper prints its own pid once it has left the
	 * group ($! would be printed before, and a stop in between would
	 * still reach it).
	 */
	char *argv[] = { "sh", "-c",
			 "setsid sh -c 'echo $$; exec sleep 31 >/dev/null 2>&1' & "
			 "sh -c \"setsid sh -c 'echo \\$\\$; exec sleep 32 >/dev/null 2>&1' &\"",
			 NULL };
	struct nr_cgroup *run = test_cgroup("keep"), *cg = NULL;
	struct nr_proc p, *procs[1] = { &p };
	long a, b;
	char *dir;

	CHECK_OK(nr_cgroup_new(run, "1.1", &cg, NULL));
	start_escapers(argv, cg, &p, &a, &b);
	nr_proc_stop(procs, 1, 100000); /* the group is gone; these are not */
	nr_proc_release(&p);
	CHECK(alive((pid_t)a) && alive((pid_t)b));
	CHECK_OK(nr_cgroup_kill(cg, 5000000));
	CHECK(!alive((pid_t)a) && !alive((pid_t)b));
	dir = strdup(cg->path);
	nr_cgroup_free(cg);
	CHECK(access(dir, F_OK) < 0);
	free(dir);
	dir = strdup(run->path);
	nr_cgroup_free(run);
	CHECK(access(dir, F_OK) < 0);
	free(dir);
}

NR_TEST(exec_stop_in_cgroup_terms_then_kills_escapers)
{
	/*
	 * One escaper ends on SIGTERM, one ignores it; both keep the stdout
	 * pipe open: the grace runs out once, then the cgroup's SIGKILL closes
	 * the pipe at once (with the groups alone, stop waits a second grace).
	 */
	char *argv[] = { "sh", "-c",
			 "setsid sh -c 'echo $$; exec sleep 33' & "
			 "setsid sh -c 'trap \"\" TERM; echo $$; exec sleep 34' & "
			 "exec sleep 35", NULL };
	struct nr_cgroup *run = test_cgroup("stop"), *cg = NULL;
	struct nr_proc p, *procs[1] = { &p };
	long a, b;
	int64_t t0, took;

	nr_exec_become_subreaper(); /* the escapers' zombies stay ours: not alive, still there */
	CHECK_OK(nr_cgroup_new(run, "1.1", &cg, NULL));
	start_escapers(argv, cg, &p, &a, &b);
	t0 = nr_mono_us();
	/* one grace is 3 s, two are 6 s: a busy machine's delays fit between */
	nr_proc_stop_in(procs, 1, cg, 3000000);
	took = nr_mono_us() - t0;
	CHECK(took >= 2900000 && took < 5500000);
	CHECK(!alive((pid_t)a) && !alive((pid_t)b));
	nr_proc_release(&p);
	nr_exec_reap_orphans(NULL, 0);
	nr_cgroup_free(cg);
	nr_cgroup_free(run);
}

/*
 * The guard, in a process of its own that dies without a word: it ends
 * the run's cgroup (escapers and all) and removes it, removes the
 * directories it was given, and signals a group only while its leader is
 * the process it was told of (pid and start time).
 */
NR_TEST(exec_guard_ends_cgroups_and_checks_start_times)
{
	int fds[2];
	pid_t child, leader, impostor;
	long escaper = 0;
	char buf[256] = "", path[600] = "", dir[] = "/tmp/netrig-test-guard.XXXXXX", file[64];
	ssize_t n;
	int i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(file, sizeof(file), "%s/sock", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	/* two group leaders of ours: one told with its start time, one with another */
	leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "36", (char *)NULL);
		_exit(127);
	}
	impostor = fork();
	if (impostor == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "37", (char *)NULL);
		_exit(127);
	}
	CHECK(pipe(fds) == 0);
	child = fork();
	if (child == 0) {
		struct nr_cgroup *run = NULL;
		char *argv[] = { "sh", "-c", "setsid sleep 38 >/dev/null 2>&1 & echo $!", NULL };
		struct nr_exec_spec spec = { .argv = argv };
		struct nr_proc p, *procs[1] = { &p };
		char arg[64], name[64];

		close(fds[0]);
		nr_exec_guard_start();
		snprintf(name, sizeof(name), "netrig-test.guard.%d", (int)getpid());
		if (nr_cgroup_open_run(name, &run, NULL) == 0) {
			spec.cgroup = run;
			if (nr_proc_start(&spec, &p, NULL) == 0)
				nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p);
			dprintf(fds[1], "%s %s", run->path, p.out.buf);
		}
		nr_exec_guard_dir(dir, true);
		snprintf(arg, sizeof(arg), "%d %llu", (int)leader, (unsigned long long)nr_pid_start_ticks(leader));
		nr__exec_guard_tell('+', arg);
		snprintf(arg, sizeof(arg), "%d %llu", (int)impostor,
			 (unsigned long long)nr_pid_start_ticks(impostor) + 1);
		nr__exec_guard_tell('+', arg);
		_exit(0); /* no cleanup: the guard's turn */
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	waitpid(child, NULL, 0);
	if (n > 0) {
		buf[n] = '\0';
		sscanf(buf, "%599s %ld", path, &escaper);
	}
	for (i = 0; i < 250 && (alive(leader) || access(dir, F_OK) == 0); i++)
		usleep(20000);
	CHECK(!alive(leader));
	CHECK(alive(impostor));
	CHECK(access(dir, F_OK) < 0);
	kill(impostor, SIGKILL);
	waitpid(leader, NULL, 0);
	waitpid(impostor, NULL, 0);
	if (!path[0])
		NR_SKIP("no cgroup v2 here: the cgroup part is left out");
	for (i = 0; i < 250 && (alive((pid_t)escaper) || access(path, F_OK) == 0); i++)
		usleep(20000);
	CHECK(escaper > 0 && !alive((pid_t)escaper));
	CHECK(access(path, F_OK) < 0);
}

/* The "0::" line of /proc/self/cgroup text names cg: cg's path ends with it. */
static bool names_cgroup(const char *text, const struct nr_cgroup *cg)
{
	const char *line = text, *end;
	size_t len, plen = strlen(cg->path);

	while (line && strncmp(line, "0::", 3)) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return false;
	line += 3;
	end = strchr(line, '\n');
	len = end ? (size_t)(end - line) : strlen(line);
	return len > 1 && len <= plen && !memcmp(cg->path + plen - len, line, len);
}

/* What the child of nr__exec_clone_into is given, and leaves for us in memory we share. */
struct clone_probe {
	int out_w;
	volatile int done;
};

/*
 * In the child, on its own stack, before any exec: copy /proc/self/cgroup
 * to out_w, mark done, exit. Like child() in exec.c, not instrumented.
 */
static void __attribute__((noreturn, no_sanitize_address)) clone_probe(void *arg)
{
	struct clone_probe *pr = arg;
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(pr->out_w, buf, (size_t)n) != n)
			_exit(2);
	pr->done = 1;
	_exit(fd >= 0 ? 0 : 1);
}

/*
 * clone3 into a cgroup: the child is in it from its first instruction
 * (no exec in between, no move of its own), and shares our memory while
 * we wait for it (what it wrote is there as soon as we return).
 */
NR_TEST(exec_clone_into_cgroup_from_the_first_instruction)
{
	struct nr_cgroup *run = test_cgroup("clone"), *cg = NULL;
	struct clone_probe pr = { .out_w = -1 };
	char text[4096];
	size_t len = 0;
	ssize_t n;
	int fds[2], status = -1;
	pid_t pid;

	CHECK_OK(nr_cgroup_new(run, "1.1", &cg, NULL));
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	pr.out_w = fds[1];
	pid = nr__exec_clone_into(cg->fd, 0, clone_probe, &pr);
	close(fds[1]);
	if (pid == -ENOSYS) {
		close(fds[0]);
		nr_cgroup_free(cg);
		nr_cgroup_free(run);
		NR_SKIP("no clone3 into a cgroup here (kernel, seccomp, valgrind or architecture)");
	}
	CHECK(pid > 0);
	CHECK(pr.done == 1); /* CLONE_VM and CLONE_VFORK: written, and before we went on */
	while (len < sizeof(text) - 1 && (n = read(fds[0], text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(names_cgroup(text, cg));
	nr_cgroup_free(cg);
	nr_cgroup_free(run);
}

/* Commands start on vfork's way (NETRIG_CLONE3=off: the fallback), or clone3's. */
static void clone3_way(bool off)
{
	if (off)
		setenv("NETRIG_CLONE3", "off", 1);
	else
		unsetenv("NETRIG_CLONE3");
}

/* argv (in cg, in the network namespace ns) run to its end: its stdout, or the error in d. */
static int run_in(char **argv, const struct nr_cgroup *cg, const char *ns, const char *workdir,
		  char *out, size_t size, struct nr_diag *d)
{
	struct nr_exec_spec spec = { .argv = argv, .cgroup = cg, .netns = ns, .workdir = workdir };
	struct nr_proc p, *procs[1] = { &p };
	int r = nr_proc_start(&spec, &p, d);

	if (r < 0)
		return r;
	CHECK_OK(nr_proc_pump(procs, 1, nr_mono_us() + 5000000, 0, -1, exited, &p));
	CHECK_EQ(nr_proc_exit_code(&p), 0);
	snprintf(out, size, "%s", p.out.buf ? p.out.buf : "");
	nr_proc_release(&p);
	return 0;
}

/*
 * A command in a cgroup runs inside it, on clone3's way and on vfork's
 * (NETRIG_CLONE3=off: what a kernel or seccomp without clone3 gets); a
 * file without #! runs through /bin/sh (execvpe's ENOEXEC case, which
 * builds sh's argv on the child's stack); a missing program is "not
 * found", a missing workdir is named, on both ways.
 */
NR_TEST(exec_cgroup_start_on_both_ways)
{
	struct nr_cgroup *run = test_cgroup("ways"), *cg = NULL;
	char out[4096], script[600];
	size_t i;
	int fd;

	CHECK_OK(nr_cgroup_new(run, "1.1", &cg, NULL));
	snprintf(script, sizeof(script), "%s/no-shebang", nr_test_dir());
	fd = open(script, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0755);
	CHECK(fd >= 0 && write(fd, "echo script ran\n", 16) == 16);
	close(fd);
	for (i = 0; i < 2; i++) {
		char *cat[] = { "cat", "/proc/self/cgroup", NULL };
		char *sh[] = { script, NULL };
		char *missing[] = { "/nonexistent/netrig-no-such-tool", NULL };
		char *unlisted[] = { "netrig-no-such-tool", NULL };
		char *pwd[] = { "pwd", NULL };
		struct nr_diag d = { 0 };

		clone3_way(i == 1);
		CHECK_OK(run_in(cat, cg, NULL, NULL, out, sizeof(out), NULL));
		CHECK(names_cgroup(out, cg));
		CHECK_OK(run_in(sh, cg, NULL, NULL, out, sizeof(out), NULL));
		CHECK_STR(out, "script ran\n");
		CHECK_OK(run_in(pwd, cg, NULL, "/", out, sizeof(out), NULL));
		CHECK_STR(out, "/\n");
		CHECK_EQ(run_in(missing, cg, NULL, NULL, out, sizeof(out), &d), NR_EEXEC);
		CHECK_CONTAINS(d.msg, "/nonexistent/netrig-no-such-tool: not found");
		memset(&d, 0, sizeof(d));
		CHECK_EQ(run_in(unlisted, cg, NULL, NULL, out, sizeof(out), &d), NR_EEXEC);
		CHECK_CONTAINS(d.msg, "netrig-no-such-tool: not found");
		memset(&d, 0, sizeof(d));
		CHECK_EQ(run_in(pwd, cg, NULL, "/nonexistent/netrig-no-such-dir", out, sizeof(out), &d),
			 NR_EEXEC);
		CHECK_CONTAINS(d.msg, "cannot run 'pwd': workdir '/nonexistent/netrig-no-such-dir'");
	}
	clone3_way(false);
	nr_cgroup_free(cg);
	nr_cgroup_free(run);
}

/*
 * A command in a network namespace: without a cgroup (vfork), and with
 * one on both ways: setns still happens in the child, which is born in
 * (or moves into) its cgroup.
 */
NR_TEST(exec_netns_with_and_without_cgroup)
{
	char *add[] = { "ip", "netns", "add", NULL, NULL }, *del[] = { "ip", "netns", "del", NULL, NULL };
	char *argv[] = { "sh", "-c", "cat /proc/self/cgroup; readlink /proc/self/ns/net", NULL };
	struct nr_cgroup *run = test_cgroup("netns"), *cg = NULL;
	char name[64], path[128], out[4096], want[64];
	struct stat st;
	size_t i;
	int code = -1;

	snprintf(name, sizeof(name), "netrig-test-ns.%d", (int)getpid());
	add[3] = del[3] = name;
	if (nr_exec_run(&(struct nr_exec_spec){ .argv = add }, 5000000, &code, NULL, NULL, NULL) < 0 ||
	    code != 0) {
		nr_cgroup_free(run);
		NR_SKIP("cannot create a network namespace here (ip netns add)");
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	CHECK(stat(path, &st) == 0);
	snprintf(want, sizeof(want), "net:[%lu]\n", (unsigned long)st.st_ino);
	CHECK_OK(run_in(argv, NULL, name, NULL, out, sizeof(out), NULL));
	CHECK(strstr(out, want) != NULL);
	CHECK_OK(nr_cgroup_new(run, "1.1", &cg, NULL));
	for (i = 0; i < 2; i++) {
		clone3_way(i == 1);
		CHECK_OK(run_in(argv, cg, name, NULL, out, sizeof(out), NULL));
		CHECK(names_cgroup(out, cg));
		CHECK(strstr(out, want) != NULL);
	}
	clone3_way(false);
	nr_exec_run(&(struct nr_exec_spec){ .argv = del }, 5000000, &code, NULL, NULL, NULL);
	nr_cgroup_free(cg);
	nr_cgroup_free(run);
}

/* Every descriptor from 3 up is closed but the one kept (close_range, or one by one). */
NR_TEST(exec_close_fds_keeps_one)
{
	int keep, status = -1;
	pid_t pid;

	keep = open("/dev/null", O_RDONLY);
	CHECK(keep >= 3 && dup2(keep, 40) == 40 && dup2(keep, 900) == 900 && dup2(keep, 2000) == 2000);
	pid = fork();
	if (pid == 0) {
		int fd, open_ones = 0;

		nr__exec_close_fds(3, 40);
		for (fd = 3; fd < 4096; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				open_ones += fd == 40 ? 1 : 100;
		_exit(open_ones == 1 && fcntl(0, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(keep);
	close(40);
	close(900);
	close(2000);
}

NR_TEST(exec_port_in_proc_net_tcp_text)
{
	/* /proc/net/tcp as Linux writes it: 9C41 is 40001 listening, 9C43 40003 in TIME_WAIT */
	const char *text =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000:9C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
		"   1: 0100007F:9C43 0100007F:9C41 06 00000000:00000000 03:00000FA0 00000000     0        0 0 3\n";

	CHECK(nr_port_listening_text(text, 40001));
	CHECK(!nr_port_listening_text(text, 40003));
	CHECK(nr_port_bound_text(text, 40001));
	CHECK(nr_port_bound_text(text, 40003));
	CHECK(!nr_port_bound_text(text, 40002));
	/* the remote port of a connection is not a local one */
	CHECK(!nr_port_bound_text("   1: 0100007F:1F90 0100007F:9C42 01 0:0 0:0 0 0 0 0\n", 40002));
	CHECK(!nr_port_bound_text("", 1));
}
