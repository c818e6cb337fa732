/*
 * This machine's half of an agent session (exec_session.c), two small
 * programs of the agent run here:
 *
 * `netrig-agent mux SOCK SSH...` holds the session: it runs SSH (the
 * shared connection's client running `netrig-agent session` on the far
 * side, exec_serve.c), listens on the socket SOCK (in the target's private
 * control directory), and passes frames between each connection on it (a
 * role's relay) and the session, rewriting ids: a connection is a role.
 * At the end of its standard input (netrig closes the session, or is
 * gone) it ends the session; when the session ends, so does it, and every
 * relay sees its connection end.
 *
 * `netrig-agent relay SOCK HOST FIELDS...` is one role as netrig's runner
 * sees every process (struct nr_proc): its pid and process group, its
 * pidfd, its stdout and stderr, its stdin a pipe only netrig writes, and
 * its exit status the role's. It asks the mux to start the role (FIELDS:
 * see exec_serve.c), writes the role's output to its own, and exits with
 * the role's status. SIGTERM to it is SIGTERM to the role's group there
 * (the rest after the role's grace); "now" on its input ends the role at
 * once; the end of its input (netrig is gone) or of the relay (SIGKILL)
 * ends the role with its grace, as the per-role ssh session's end does.
 * When the session is lost it says so, naming the host, and exits 255,
 * as ssh does when its connection is lost.
 *
 * A relay costs here one spawn of this static program per role (the
 * runner's processes stay uniform; a role is no thread or fd of netrig's
 * own to special-case), where a per-role session costs the ssh client's
 * exec, a session on the far side, its login shell and an exec there.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "exec/exec.h"
#include "exec/exec_frame.h"

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* ---- the relay ---- */

/* Bytes for fd 1 or 2 that its pipe would not take yet: netrig reads them when it pumps. */
struct outq {
	int fd;
	struct nr_buf q;
	size_t off;
};

static void outq_put(struct outq *o, const char *data, size_t len)
{
	ssize_t n = 0;

	if (o->q.len == o->off) {
		nr_buf_reset(&o->q);
		o->off = 0;
		do
			n = write(o->fd, data, len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			n = errno == EAGAIN ? 0 : (ssize_t)len; /* netrig is gone: drop it */
	}
	if ((size_t)n < len)
		nr_buf_add(&o->q, data + n, len - (size_t)n);
}

static void outq_flush(struct outq *o, bool block)
{
	while (o->off < o->q.len) {
		ssize_t n = write(o->fd, o->q.buf + o->off, o->q.len - o->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && block) {
			struct pollfd pf = { .fd = o->fd, .events = POLLOUT };

			poll(&pf, 1, -1);
			continue;
		}
		if (n < 0) {
			if (errno != EAGAIN)
				o->off = o->q.len;
			return;
		}
		o->off += (size_t)n;
	}
}

static void say(struct outq *err, const char *fmt, const char *a, const char *b)
{
	char line[512];

	snprintf(line, sizeof(line), fmt, a, b);
	outq_put(err, line, strlen(line));
}

int nr_exec_relay(const char *sock, const char *host, char *const *fields)
{
	struct outq out = { .fd = 1, .q = NR_BUF_INIT }, err = { .fd = 2, .q = NR_BUF_INIT };
	struct nr_buf rd = NR_BUF_INIT, req = NR_BUF_INIT;
	struct sockaddr_un sa;
	struct sigaction act = { .sa_handler = on_term };
	sigset_t block, none;
	bool input = true, termed = false;
	int fd = -1, status = 255, i;

	for (i = 0; fields[i]; i++)
		nr_buf_add(&req, fields[i], strlen(fields[i]) + 1);
	/* SIGTERM only inside ppoll: no wake-up lost between a check and the wait */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGTERM, &act, NULL);
	sigemptyset(&none);
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	fcntl(2, F_SETFL, fcntl(2, F_GETFL) | O_NONBLOCK);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sock_addr(sock, &sa) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		say(&err, "netrig: %s: the agent session there is gone (%s)\n", host, strerror(errno));
		goto out;
	}
	if (nr__frame_send(fd, NR_FRAME_START, 0, req.buf, req.len) < 0) {
		say(&err, "netrig: %s: the agent session there is gone (%s)\n", host, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pf[4] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = input ? 0 : -1, .events = POLLIN },
			{ .fd = out.off < out.q.len ? 1 : -1, .events = POLLOUT },
			{ .fd = err.off < err.q.len ? 2 : -1, .events = POLLOUT },
		};
		struct nr_frame fr;
		size_t used;
		int got;

		if (got_term && !termed) {
			termed = true;
			nr__frame_send(fd, NR_FRAME_TERM, 0, NULL, 0);
		}
		if (ppoll(pf, 4, NULL, &none) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (pf[2].revents)
			outq_flush(&out, false);
		if (pf[3].revents)
			outq_flush(&err, false);
		if (pf[1].revents) {
			char line[256];
			ssize_t n = read(0, line, sizeof(line));

			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				/* netrig is done with it, or gone: the role ends with its grace */
				input = false;
				nr__frame_send(fd, NR_FRAME_CLOSE, 0, NULL, 0);
			} else if (n >= 3 && memmem(line, (size_t)n, "now", 3)) {
				nr__frame_send(fd, NR_FRAME_NOW, 0, NULL, 0);
			}
		}
		if (!pf[0].revents)
			continue;
		got = nr__frame_fill(&rd, fd);
		if (got == 0 || (got < 0 && got != -EAGAIN)) {
			say(&err, "netrig: %s: the agent session there ended before the role did%s\n", host,
			    " (its connection was lost or closed)");
			goto out;
		}
		while (nr__frame_next(&rd, &fr, &used) == 1) {
			const unsigned char *u = (const unsigned char *)fr.data;

			if (fr.type == NR_FRAME_OUT)
				outq_put(&out, fr.data, fr.len);
			else if (fr.type == NR_FRAME_ERR)
				outq_put(&err, fr.data, fr.len);
			else if (fr.type == NR_FRAME_EXIT && fr.len == 4) {
				status = (int)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
					       (uint32_t)u[2] << 8 | u[3]);
				goto out;
			}
			nr__frame_drop(&rd, used);
		}
	}
out:
	/* the role's last bytes before its status */
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
	fcntl(2, F_SETFL, fcntl(2, F_GETFL) & ~O_NONBLOCK);
	outq_flush(&out, true);
	outq_flush(&err, true);
	if (fd >= 0)
		close(fd);
	nr_buf_release(&out.q);
	nr_buf_release(&err.q);
	nr_buf_release(&rd);
	nr_buf_release(&req);
	return status > 255 || status < 0 ? 255 : status;
}

/* ---- the mux ---- */

struct conn {
	int fd;
	uint32_t id;
	bool exited;      /* the far side sent its EXIT: nothing to end there */
	struct nr_buf rd;
};

struct mux {
	struct conn *conns;
	size_t n, cap;
	uint32_t next_id;
	int to_ssh;
};

static void conn_drop(struct mux *m, size_t i)
{
	struct conn *c = &m->conns[i];

	/* its relay is gone (killed): the role ends with its grace */
	if (!c->exited && m->to_ssh >= 0)
		nr__frame_send(m->to_ssh, NR_FRAME_CLOSE, c->id, NULL, 0);
	close(c->fd);
	nr_buf_release(&c->rd);
	m->conns[i] = m->conns[--m->n];
}

/* A relay's frames to the session, with its id. */
static void conn_read(struct mux *m, size_t i)
{
	struct conn *c = &m->conns[i];
	struct nr_frame fr;
	size_t used;
	int got = nr__frame_fill(&c->rd, c->fd);

	if (got == -EAGAIN)
		return;
	if (got <= 0) {
		conn_drop(m, i);
		return;
	}
	while (nr__frame_next(&c->rd, &fr, &used) == 1) {
		nr__frame_set_id(c->rd.buf, c->id);
		if (m->to_ssh >= 0 && nr__frame_write_all(m->to_ssh, c->rd.buf, used) < 0) {
			close(m->to_ssh);
			m->to_ssh = -1;
		}
		nr__frame_drop(&c->rd, used);
	}
}

/* A frame from the session to its role's relay (gone: dropped). */
static void route(struct mux *m, const char *head, size_t used, const struct nr_frame *fr)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct conn *c = &m->conns[i];

		if (c->id != fr->id)
			continue;
		if (fr->type == NR_FRAME_EXIT)
			c->exited = true;
		if (nr__frame_write_all(c->fd, head, used) < 0)
			conn_drop(m, i);
		return;
	}
}

static pid_t spawn_ssh(char *const *argv, int *ret_to, int *ret_from)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*ret_to = in[1];
	*ret_from = out[0];
	return pid;
}

int nr_exec_mux(const char *sock, char *const *ssh_argv, struct nr_diag *d)
{
	struct mux m = { .next_id = 1, .to_ssh = -1 };
	struct nr_buf rd = NR_BUF_INIT;
	struct sockaddr_un sa;
	struct pollfd *pf = NULL;
	size_t pf_cap = 0;
	bool hello = false, input = true;
	int lfd = -1, from = -1, status = 1;
	pid_t ssh;

	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(sock);
	if (lfd < 0 || sock_addr(sock, &sa) < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 128) < 0) {
		status = nr_diagf(d, -errno, "%s: %s", sock, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return status;
	}
	ssh = spawn_ssh(ssh_argv, &m.to_ssh, &from);
	if (ssh < 0) {
		status = nr_diagf(d, -errno, "%s: %s", ssh_argv[0], strerror(errno));
		goto out;
	}
	for (;;) {
		size_t n = 0, i, n_conns = m.n;
		struct nr_frame fr;
		size_t used;
		int got;

		NR_GROW(pf, 3 + m.n, pf_cap);
		pf[n++] = (struct pollfd){ .fd = from, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = input ? 0 : -1, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = hello && input ? lfd : -1, .events = POLLIN };
		for (i = 0; i < m.n; i++)
			pf[n++] = (struct pollfd){ .fd = m.conns[i].fd, .events = POLLIN };
		if (poll(pf, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents) {
			char buf[256];
			ssize_t k = read(0, buf, sizeof(buf));

			if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) {
				/* netrig closes the session: the far side ends every role at once */
				input = false;
				unlink(sock);
				close(m.to_ssh);
				m.to_ssh = -1;
			}
		}
		if (pf[2].revents) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0) {
				NR_GROW(m.conns, m.n + 1, m.cap);
				m.conns[m.n++] = (struct conn){ .fd = c, .id = m.next_id++, .rd = NR_BUF_INIT };
			}
		}
		/* from the last: conn_drop moves the last one into the hole */
		for (i = n_conns; i-- > 0;)
			if (pf[3 + i].revents)
				conn_read(&m, i);
		if (!pf[0].revents)
			continue;
		got = nr__frame_fill(&rd, from);
		if (got == 0 || (got < 0 && got != -EAGAIN)) {
			status = input ? 1 : 0;
			break;
		}
		while (nr__frame_next(&rd, &fr, &used) == 1) {
			if (fr.type == NR_FRAME_HELLO && !hello) {
				hello = true;
				/* netrig waits for this line before it starts a role */
				if (nr__frame_write_all(1, "ready\n", 6) < 0)
					input = false;
			} else {
				route(&m, rd.buf, used, &fr);
			}
			nr__frame_drop(&rd, used);
		}
	}
out:
	unlink(sock);
	if (lfd >= 0)
		close(lfd);
	while (m.n)
		conn_drop(&m, m.n - 1);
	if (m.to_ssh >= 0)
		close(m.to_ssh);
	if (from >= 0)
		close(from);
	if (ssh > 0 && status >= 0) {
		int ws;

		while (waitpid(ssh, &ws, 0) < 0 && errno == EINTR)
			;
		if (status && WIFEXITED(ws) && WEXITSTATUS(ws))
			status = WEXITSTATUS(ws);
	}
	free(m.conns);
	free(pf);
	nr_buf_release(&rd);
	return status;
}
