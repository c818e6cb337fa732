/*
 * The agent session (exec_serve.c and its framing, exec_frame.c): frames
 * read whole however the bytes arrive, a length past the limit refused;
 * the far side run in a forked child whose stdin and stdout are this
 * test's pipes, as the session's ssh channel would be: output, exit
 * status and the "cannot run" line per role, and at the end of its input
 * every role it carries ended at once.
 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "exec/exec.h"
#include "exec/exec_frame.h"
#include "test.h"

NR_TEST(exec_frame_partial_and_limit)
{
	struct nr_buf rd = NR_BUF_INIT;
	struct nr_frame fr;
	size_t used = 0, i;
	int p[2];
	char big[10000];

	memset(big, 'x', sizeof(big));
	CHECK(pipe(p) == 0);
	CHECK_OK(nr__frame_send(p[1], NR_FRAME_OUT, 7, "hello", 5));
	CHECK_OK(nr__frame_send(p[1], NR_FRAME_ERR, 0x01020304, big, sizeof(big)));
	close(p[1]);
	/* byte by byte: no frame before its last byte */
	for (i = 0; i < NR_FRAME_HEAD + 5; i++) {
		char c;

		CHECK_EQ(nr__frame_next(&rd, &fr, &used), 0);
		CHECK_EQ(read(p[0], &c, 1), 1);
		nr_buf_add(&rd, &c, 1);
	}
	CHECK_EQ(nr__frame_next(&rd, &fr, &used), 1);
	CHECK_EQ(fr.type, NR_FRAME_OUT);
	CHECK_EQ(fr.id, 7);
	CHECK_EQ(fr.len, 5);
	CHECK(!memcmp(fr.data, "hello", 5));
	nr__frame_drop(&rd, used);
	while (nr__frame_fill(&rd, p[0]) > 0)
		;
	CHECK_EQ(nr__frame_next(&rd, &fr, &used), 1);
	CHECK_EQ(fr.id, 0x01020304);
	CHECK_EQ(fr.len, sizeof(big));
	CHECK(!memcmp(fr.data, big, sizeof(big)));
	nr__frame_drop(&rd, used);
	CHECK_EQ(rd.len, 0);
	/* a length past NR_FRAME_MAX: refused, not waited for */
	nr_buf_add(&rd, "O\0\0\0\1\x7f\xff\xff\xff", NR_FRAME_HEAD);
	CHECK_EQ(nr__frame_next(&rd, &fr, &used), -EPROTO);
	close(p[0]);
	nr_buf_release(&rd);
}

struct far {
	pid_t pid;
	int in, out;
	struct nr_buf rd;
};

static void far_start(struct far *f)
{
	int in[2], out[2];

	CHECK(pipe(in) == 0 && pipe(out) == 0);
	f->pid = fork();
	CHECK(f->pid >= 0);
	if (f->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		_exit(nr_exec_serve(NULL) < 0 ? 1 : 0);
	}
	close(in[0]);
	close(out[1]);
	f->in = in[1];
	f->out = out[0];
	nr_buf_init(&f->rd, 0);
}

/* The next frame from the far side (10 s at most): its type, 0 at its end. */
static char far_next(struct far *f, struct nr_frame *fr, struct nr_buf *copy)
{
	int64_t deadline = nr_mono_us() + 10000000;
	size_t used;

	for (;;) {
		struct pollfd pf = { .fd = f->out, .events = POLLIN };

		if (nr__frame_next(&f->rd, fr, &used) == 1) {
			nr_buf_reset(copy);
			nr_buf_add(copy, fr->data, fr->len);
			nr__frame_drop(&f->rd, used);
			fr->data = copy->buf;
			return fr->type;
		}
		if (nr_mono_us() > deadline || poll(&pf, 1, 100) < 0)
			return 0;
		if (pf.revents && nr__frame_fill(&f->rd, f->out) <= 0)
			return 0;
	}
}

/* START id: fields for a role running argv (a NULL-terminated list) in nr_test_dir(). */
static void far_role(struct far *f, uint32_t id, const char *job, char *const *argv)
{
	struct nr_buf req = NR_BUF_INIT;
	const char *fields[] = { nr_test_dir(), job, "", "5", "", "", "0" };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		nr_buf_add(&req, fields[i], strlen(fields[i]) + 1);
	for (i = 0; argv[i]; i++)
		nr_buf_add(&req, argv[i], strlen(argv[i]) + 1);
	CHECK_OK(nr__frame_send(f->in, NR_FRAME_START, id, req.buf, req.len));
	nr_buf_release(&req);
}

/* Frames of role id until its EXIT: stdout and stderr gathered, its status. */
static int far_wait(struct far *f, uint32_t id, struct nr_buf *out, struct nr_buf *err)
{
	struct nr_buf copy = NR_BUF_INIT;
	struct nr_frame fr;
	int status = -1;
	char t;

	while ((t = far_next(f, &fr, &copy)) != 0) {
		const unsigned char *u = (const unsigned char *)fr.data;

		if (fr.id != id)
			continue;
		if (t == NR_FRAME_OUT)
			nr_buf_add(out, fr.data, fr.len);
		else if (t == NR_FRAME_ERR)
			nr_buf_add(err, fr.data, fr.len);
		else if (t == NR_FRAME_EXIT && fr.len == 4) {
			status = (int)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3]);
			break;
		}
	}
	nr_buf_release(&copy);
	return status;
}

/* pid runs (is there and no zombie: a killed process whose parent died waits for init). */
static bool running(long pid)
{
	char path[64], buf[512], *rp;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

NR_TEST(exec_serve_roles)
{
	struct far f;
	struct nr_buf out = NR_BUF_INIT, err = NR_BUF_INIT, copy = NR_BUF_INIT, pidtext = NR_BUF_INIT;
	struct nr_frame fr;
	char script[512], pidfile[512];
	char *status_argv[] = { "sh", "-c", "printf out; printf err >&2; exit 3", NULL };
	char *missing_argv[] = { "netrig-no-such-program", NULL };
	char *sig_argv[] = { "sh", "-c", "kill -USR1 $$", NULL };
	char *hang_argv[] = { "sh", "-c", script, NULL };
	int ws;
	long pid = 0;

	far_start(&f);
	CHECK_EQ(far_next(&f, &fr, &copy), NR_FRAME_HELLO);
	far_role(&f, 1, "a", status_argv);
	CHECK_EQ(far_wait(&f, 1, &out, &err), 3);
	CHECK_STR(out.buf, "out");
	CHECK_STR(err.buf, "err");
	nr_buf_reset(&err);
	far_role(&f, 2, "b", missing_argv);
	CHECK_EQ(far_wait(&f, 2, &out, &err), 127);
	CHECK_STR(err.buf, NR_EXEC_FAILED_MARK "netrig-no-such-program: not found\n");
	far_role(&f, 3, "c", sig_argv);
	CHECK_EQ(far_wait(&f, 3, &out, &err), 128 + SIGUSR1);

	/* a role that ignores SIGTERM, running when the session's input ends */
	snprintf(pidfile, sizeof(pidfile), "%s/hang.pid", nr_test_dir());
	snprintf(script, sizeof(script), "trap '' TERM; echo $$ > %s.tmp; mv %s.tmp %s; exec sleep 60",
		 pidfile, pidfile, pidfile);
	far_role(&f, 4, "d", hang_argv);
	for (int i = 0; i < 500 && nr_buf_read_file(&pidtext, pidfile) < 0; i++)
		usleep(10000);
	CHECK(sscanf(pidtext.buf, "%ld", &pid) == 1 && pid > 0);
	CHECK(running(pid));
	close(f.in);
	/* at once, not after the role's grace: the session waits for its roles, then ends */
	CHECK_EQ(waitpid(f.pid, &ws, 0), f.pid);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	/*
	 * The session SIGKILLed the role's group as it ended; the kill lands
	 * when the role next runs, which on a busy machine is a moment later
	 * (this failed 7 times in 8 under load): gone within 2 s, well inside
	 * the 15 s a role is otherwise given.
	 */
	for (int i = 0; i < 200 && running(pid); i++)
		usleep(10000);
	CHECK(!running(pid));
	close(f.out);
	nr_buf_release(&f.rd);
	nr_buf_release(&out);
	nr_buf_release(&err);
	nr_buf_release(&copy);
	nr_buf_release(&pidtext);
}
