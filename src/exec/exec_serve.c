/*
 * The far side of an agent session (`netrig-agent session`, exec_session.c):
 * one process per host per run, started once over the shared ssh
 * connection, that starts every role's process on request and sends its
 * output and exit back over its standard output, framed (exec_frame.h).
 * A role then costs no ssh session, no login shell and no exec of the
 * agent: one fork of this small static process and the fork and exec of
 * the command.
 *
 * Each role runs under a keeper: a fork of this process that is
 * `netrig-agent wrap` (nr_exec_wrap) for that one role, so the contract
 * is the wrapper's to the letter (process group, pidfile, cgroup slot,
 * "cannot run" line, 128 + N after signal N), and its standard input is a
 * pipe from here that says when the role must end: closed, it ends with
 * its grace (its controller is gone); "now", at once. This loop never
 * waits for a role to end, so one role's grace never stalls the others'
 * output. At the end of our own input (the session is gone: netrig ended
 * it, or was killed, or the connection dropped) every role ends at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "exec/exec.h"
#include "exec/exec_frame.h"
#include "exec/exec_int.h"

/* After its keeper ended, how long a role's pipes may stay open (a daemon that kept them). */
#define DRAIN_US 1000000LL
/* How long roles have to end once the session is gone. */
#define END_ALL_US 15000000LL

struct role {
	uint32_t id;
	pid_t pid;             /* the keeper: leads the role's process group */
	int pidfd;             /* -1: none (an old kernel: polled) */
	int in, out, err;      /* -1 once closed */
	int tenths;            /* its grace */
	int64_t term_at_us;    /* TERM sent: "now" due then; 0: not asked */
	bool reaped;
	int status;
	int64_t reaped_us;
};

struct serve {
	struct role *roles;
	size_t n, cap;
	bool input_ended;
};

/* The keeper (a fork: this process has one thread): the role under nr_exec_wrap. */
static void __attribute__((noreturn)) keeper(char **f, size_t n, int in, int out, int err)
{
	struct nr_wrap_spec spec = { 0 };
	struct nr_diag d = { 0 };
	char line[4200];
	int64_t tenths = 0, nenv = 0, i;
	int status = 125;

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(125);
	/*
	 * Not exec'd: close what this process holds of the other roles (a
	 * keeper with another's input pipe would keep that role from seeing
	 * its end).
	 */
	nr__exec_close_fds(3, -1);
	signal(SIGPIPE, SIG_DFL);
	/* fields: DIR JOB SLOT TENTHS WORKDIR MAKE NENV ENV... ARGV... */
	if (n < 8 || nr_parse_i64(f[3], 0, 1000000, &tenths) < 0 ||
	    nr_parse_i64(f[6], 0, (int64_t)(n - 8), &nenv) < 0)
		_exit(125);
	if (f[4][0]) {
		if (f[5][0] && nr__exec_mkdir_p(f[4]) < 0 && errno != EEXIST) {
			snprintf(line, sizeof(line), "mkdir: %s: %s\n", f[4], strerror(errno));
			nr__frame_write_all(2, line, strlen(line));
			_exit(1);
		}
		if (chdir(f[4]) < 0) {
			/* as the per-role session's `cd` reports it */
			snprintf(line, sizeof(line), "cd: %s: %s\n", f[4], strerror(errno));
			nr__frame_write_all(2, line, strlen(line));
			_exit(2);
		}
	}
	for (i = 0; i < nenv; i++) {
		char *eq = strchr(f[7 + i], '=');

		if (eq) {
			*eq = '\0';
			setenv(f[7 + i], eq + 1, 1);
		}
	}
	spec.dir = f[0];
	spec.job = f[1];
	spec.cgroup = f[2];
	spec.grace_tenths = (int)tenths;
	spec.argv = f + 7 + nenv;
	if (nr_exec_wrap(&spec, &status, &d) < 0) {
		/* the line nr_proc_exec_failure reads (cmd_wrap.c's) */
		snprintf(line, sizeof(line), "%s%s\n", status == 126 || status == 127 ?
			 NR_EXEC_FAILED_MARK : "netrig-agent: wrap: ", nr_diag_msg(&d));
		nr__frame_write_all(2, line, strlen(line));
	}
	_exit(status);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* START: the fields (each NUL-terminated) into a keeper. */
static void role_start(struct serve *s, uint32_t id, const char *data, uint32_t len)
{
	char *copy = nr_xmalloc((size_t)len + 1), **f;
	int inp[2], outp[2], errp[2];
	size_t n = 0, i;
	struct role *r;
	pid_t pid;

	memcpy(copy, data, len);
	copy[len] = '\0';
	for (i = 0; i < len; i++)
		n += copy[i] == '\0';
	f = nr_xcalloc(n + 1, sizeof(*f));
	for (i = 0, n = 0; i < len; i += strlen(copy + i) + 1)
		f[n++] = copy + i;
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		int e = errno;
		char st[4] = { 0, 0, 0, 125 };
		char msg[128];

		snprintf(msg, sizeof(msg), "netrig-agent: session: pipe: %s\n", strerror(e));
		nr__frame_send(1, NR_FRAME_ERR, id, msg, strlen(msg));
		nr__frame_send(1, NR_FRAME_EXIT, id, st, 4);
		goto out;
	}
	pid = fork();
	if (pid == 0)
		keeper(f, n, inp[0], outp[1], errp[1]);
	close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	NR_GROW(s->roles, s->n + 1, s->cap);
	r = &s->roles[s->n++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->pid = pid;
	r->in = inp[1];
	r->out = outp[0];
	r->err = errp[0];
	r->tenths = 10;
	if (n > 3) {
		int64_t t;

		if (nr_parse_i64(f[3], 0, 1000000, &t) == 0)
			r->tenths = (int)t;
	}
	r->pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	if (pid < 0) {
		/* no keeper: the role ends now, status 125 */
		r->reaped = true;
		r->status = 125;
		r->reaped_us = nr_mono_us();
		close_fd(&r->out);
		close_fd(&r->err);
	}
out:
	free(f);
	free(copy);
}

static struct role *role_find(struct serve *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->roles[i].id == id)
			return &s->roles[i];
	return NULL;
}

/* Tell a keeper to end its role at once. */
static void role_now(struct role *r)
{
	if (r->in >= 0 && write(r->in, "now\n", 4) != 4) {
		/* it is gone already: its end is seen through its pid */
	}
	close_fd(&r->in);
}

static void on_frame(struct serve *s, const struct nr_frame *fr)
{
	struct role *r = fr->type == NR_FRAME_START ? NULL : role_find(s, fr->id);

	switch (fr->type) {
	case NR_FRAME_START:
		if (!role_find(s, fr->id))
			role_start(s, fr->id, fr->data, fr->len);
		break;
	case NR_FRAME_TERM:
		/* as the kill script: SIGTERM to the group, the rest after the grace */
		if (r && !r->reaped) {
			kill(-r->pid, SIGTERM);
			r->term_at_us = nr_mono_us() + (int64_t)r->tenths * 100000;
		}
		break;
	case NR_FRAME_NOW:
		if (r)
			role_now(r);
		break;
	case NR_FRAME_CLOSE:
		if (r)
			close_fd(&r->in);
		break;
	default:
		break;
	}
}

/* The session is gone: every role ends at once. */
static void end_all(struct serve *s)
{
	size_t i;

	s->input_ended = true;
	for (i = 0; i < s->n; i++)
		role_now(&s->roles[i]);
}

/* Pass what a role's pipe has on; at its end close it. */
static void role_read(struct serve *s, struct role *r, int *fd, char type)
{
	char buf[65536];
	ssize_t n;

	do
		n = read(*fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	if (!s->input_ended && nr__frame_send(1, type, r->id, buf, (size_t)n) < 0)
		end_all(s);
}

/* Collect exits; send EXIT for roles whose output is all passed on; forget them. */
static void roles_tend(struct serve *s)
{
	int64_t now = nr_mono_us();
	size_t i = 0;
	int ws;

	while (i < s->n) {
		struct role *r = &s->roles[i];

		if (!r->reaped && waitpid(r->pid, &ws, WNOHANG) == r->pid) {
			r->reaped = true;
			r->status = nr__exec_shell_status(ws);
			r->reaped_us = now;
		}
		if (!r->reaped && r->term_at_us && now >= r->term_at_us) {
			r->term_at_us = 0;
			role_now(r);
		}
		if (!r->reaped || ((r->out >= 0 || r->err >= 0) && now < r->reaped_us + DRAIN_US)) {
			i++;
			continue;
		}
		if (!s->input_ended) {
			char st[4] = { (char)(r->status >> 24), (char)(r->status >> 16),
				       (char)(r->status >> 8), (char)r->status };

			if (nr__frame_send(1, NR_FRAME_EXIT, r->id, st, 4) < 0)
				end_all(s);
		}
		close_fd(&r->in);
		close_fd(&r->out);
		close_fd(&r->err);
		close_fd(&r->pidfd);
		s->roles[i] = s->roles[--s->n];
	}
}

int nr_exec_serve(struct nr_diag *d)
{
	struct serve s = { 0 };
	struct nr_buf rd = NR_BUF_INIT;
	struct pollfd *pf = NULL;
	size_t pf_cap = 0;
	int64_t end_by = 0;
	int r = 0;

	(void)d;
	signal(SIGPIPE, SIG_IGN);
	if (nr__frame_send(1, NR_FRAME_HELLO, 0, "netrig-agent session 1", 22) < 0)
		return 0;
	for (;;) {
		size_t n = 0, i;
		int64_t now = nr_mono_us(), wake = -1;
		bool polled = false;

		if (s.input_ended && (!s.n || now >= end_by))
			break;
		NR_GROW(pf, 1 + 3 * s.n, pf_cap);
		pf[n++] = (struct pollfd){ .fd = s.input_ended ? -1 : 0, .events = POLLIN };
		for (i = 0; i < s.n; i++) {
			struct role *ro = &s.roles[i];

			pf[n++] = (struct pollfd){ .fd = ro->out, .events = POLLIN };
			pf[n++] = (struct pollfd){ .fd = ro->err, .events = POLLIN };
			pf[n++] = (struct pollfd){ .fd = ro->reaped ? -1 : ro->pidfd, .events = POLLIN };
			if (!ro->reaped && ro->pidfd < 0)
				polled = true;
			if (ro->reaped)
				wake = wake < 0 || ro->reaped_us + DRAIN_US < wake ? ro->reaped_us + DRAIN_US : wake;
			if (!ro->reaped && ro->term_at_us)
				wake = wake < 0 || ro->term_at_us < wake ? ro->term_at_us : wake;
		}
		if (s.input_ended)
			wake = wake < 0 || end_by < wake ? end_by : wake;
		{
			int ms = wake < 0 ? -1 : wake <= now ? 0 : (int)((wake - now) / 1000) + 1;

			if (polled && (ms < 0 || ms > 50))
				ms = 50;
			if (poll(pf, n, ms) < 0 && errno != EINTR) {
				r = -errno;
				break;
			}
		}
		if (pf[0].revents) {
			int got = nr__frame_fill(&rd, 0);
			struct nr_frame fr;
			size_t used, off = 0;

			if (got == 0 || (got < 0 && got != -EAGAIN)) {
				end_all(&s);
				end_by = nr_mono_us() + END_ALL_US;
			}
			while (got > 0) {
				struct nr_buf view = rd;
				int k;

				view.buf += off;
				view.len -= off;
				if ((k = nr__frame_next(&view, &fr, &used)) <= 0) {
					if (k < 0) {
						/* not our peer: end as if it were gone */
						end_all(&s);
						end_by = nr_mono_us() + END_ALL_US;
					}
					break;
				}
				on_frame(&s, &fr);
				off += used;
			}
			if (off)
				nr__frame_drop(&rd, off);
		}
		/* pf[] follows the roles as they were when polled: roles only grew since */
		for (i = 0; i * 3 + 1 < n && i < s.n; i++) {
			struct role *ro = &s.roles[i];

			if (pf[1 + i * 3].revents && ro->out >= 0)
				role_read(&s, ro, &ro->out, NR_FRAME_OUT);
			if (pf[2 + i * 3].revents && ro->err >= 0)
				role_read(&s, ro, &ro->err, NR_FRAME_ERR);
		}
		roles_tend(&s);
	}
	for (size_t i = 0; i < s.n; i++) {
		/* what would not end in END_ALL_US: its group, at least */
		kill(-s.roles[i].pid, SIGKILL);
		close_fd(&s.roles[i].out);
		close_fd(&s.roles[i].err);
		close_fd(&s.roles[i].pidfd);
	}
	free(s.roles);
	free(pf);
	nr_buf_release(&rd);
	return r;
}
