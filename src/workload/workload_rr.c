/*
 * Request/response workers. A closed-loop flow with one transaction in
 * flight blocks in recv (one syscall per direction, the cheapest way to
 * wait); with --burst or an open-loop --rate, the flow keeps a ring of
 * outstanding requests and waits with ppoll until a response is readable
 * or the next request is due. Latency is a full round trip, measured
 * with CLOCK_MONOTONIC in nanoseconds.
 *
 * With --spin every wait is a loop of non-blocking reads (or, pipelined,
 * of polls with no timeout) on both ends: no thread ever sleeps, so no
 * wake-up of an idle CPU is in the round trip, at the price of a busy CPU
 * per flow.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "workload/workload_int.h"

struct pending {
	uint64_t seq;
	int64_t due_ns;  /* when it was meant to be sent (open loop) */
	int64_t sent_ns; /* when it was sent */
	bool done;       /* UDP: answered, waiting for older ones */
};

static bool is_udp(const struct nr__wl_flow *f)
{
	return f->sh->p->kind == NR_WL_UDP_RR;
}

/* recv's flags: spinning reads never block */
static int wait_flags(const struct nr__wl_flow *f)
{
	return f->sh->p->spin ? MSG_DONTWAIT : 0;
}

/* Send all of buf; 0, or -errno (stop requested: -EINTR). */
static int send_all(struct nr__wl_flow *f, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(f->fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS) {
			if (nr__wl_should_quit(f))
				return -EINTR;
			continue;
		}
		return -errno;
	}
	return 0;
}

/* Receive exactly len bytes (TCP); 0, -ECONNRESET at EOF, -errno. */
static int recv_all(struct nr__wl_flow *f, char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = recv(f->fd, buf + off, len - off, wait_flags(f));

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EAGAIN || errno == EINTR) {
			if (nr__wl_should_quit(f))
				return -EINTR;
			continue;
		}
		return -errno;
	}
	return 0;
}

static void record(struct nr__wl_flow *f, int64_t done_ns, int64_t due_ns, int64_t sent_ns,
		   uint64_t *tx)
{
	(*tx)++;
	NR__STORE(f->transactions, *tx);
	NR__STORE(f->last_us, done_ns / 1000);
	if (!NR__LOAD(f->sh->measuring))
		return;
	nr_wl_hist_record(f->hist, (uint64_t)(done_ns - due_ns));
	if (f->hist_unc)
		nr_wl_hist_record(f->hist_unc, (uint64_t)(done_ns - sent_ns));
}

static void fail_io(struct nr__wl_flow *f, int r, const char *what)
{
	if (r == -EINTR)
		return; /* asked to stop */
	nr__wl_flow_fail(f, r, "flow %u: %s: %s", f->id, what,
			 r == -ECONNRESET ? "connection closed by the peer" : strerror(-r));
}

/*
 * Wait for the answer to request `seq` sent at t1_ns: 1 when it came, 0
 * when it is overdue (lost), -1 to end the flow (stop or an error).
 */
static int udp_wait(struct nr__wl_flow *f, char *resp, uint64_t seq, int64_t t1_ns)
{
	for (;;) {
		ssize_t n = recv(f->fd, resp, (size_t)f->sh->p->response, wait_flags(f));
		uint64_t got;

		if (n >= 8) {
			memcpy(&got, resp, sizeof(got));
			if (got == seq)
				return 1;
			continue; /* a late answer to a request counted lost */
		}
		if (n >= 0)
			continue;
		if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED) {
			fail_io(f, -errno, "recv");
			return -1;
		}
		if (errno == ECONNREFUSED) {
			fail_io(f, -errno, "recv (the server's UDP port is closed)");
			return -1;
		}
		if (NR__LOAD(f->sh->stop))
			return -1;
		if (nr__wl_now_ns() - t1_ns > NR__WL_UDP_RR_TIMEOUT_US * 1000LL)
			return 0;
	}
}

/* One transaction in flight, blocking: the fast path. */
static void rr_closed(struct nr__wl_flow *f, char *req, char *resp)
{
	const struct nr_wl_params *p = f->sh->p;
	int64_t deadline_ns = f->sh->deadline_us * 1000;
	uint64_t seq = 0, tx = 0;
	bool udp = is_udp(f);

	for (;;) {
		int64_t t1 = nr__wl_now_ns(), t2;
		int r;

		if (t1 >= deadline_ns || NR__LOAD(f->sh->stop))
			break;
		if (udp)
			memcpy(req, &seq, sizeof(seq));
		r = send_all(f, req, (size_t)p->request);
		if (r < 0) {
			fail_io(f, r, "send");
			break;
		}
		if (!udp) {
			r = recv_all(f, resp, (size_t)p->response);
			if (r < 0) {
				fail_io(f, r, "recv");
				break;
			}
		} else {
			r = udp_wait(f, resp, seq, t1);
			if (r < 0)
				break;
			if (r == 0) {
				f->lost++;
				seq++;
				continue;
			}
		}
		seq++;
		t2 = nr__wl_now_ns();
		record(f, t2, t1, t1, &tx);
	}
}

/*
 * Several transactions in flight (--burst) or requests on a schedule
 * (--rate). The ring holds at most `cap` outstanding requests; in open
 * loop a full ring delays sends, which the latency from the intended
 * time then shows (coordinated omission).
 */
static void rr_pipelined(struct nr__wl_flow *f, char *req, char *resp)
{
	const struct nr_wl_params *p = f->sh->p;
	int64_t deadline_ns = f->sh->deadline_us * 1000;
	bool udp = is_udp(f), open_loop = p->rate > 0;
	size_t cap = open_loop ? 4096 : p->burst, head = 0, n_out = 0;
	struct pending *ring = nr_xcalloc(cap, sizeof(*ring));
	double gap_ns = open_loop ? 1e9 / (p->rate / p->flows) : 0;
	int64_t next_due = f->sh->start_us * 1000, end_wait_ns = 0;
	uint64_t seq = 0, tx = 0, rx_bytes = 0;
	size_t bufsize = udp ? (size_t)p->response : (size_t)p->response * 16;
	char *rbuf = bufsize > p->response ? nr_xmalloc(bufsize) : resp;
	int r;

	for (;;) {
		int64_t now = nr__wl_now_ns(), wait_ns;
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		struct timespec ts;

		if (NR__LOAD(f->sh->stop))
			break;
		if (now >= deadline_ns) {
			/* collect what is outstanding, for a bounded time */
			if (!n_out)
				break;
			if (!end_wait_ns)
				end_wait_ns = now + 1000000000LL;
			if (now >= end_wait_ns)
				break;
		}
		while (now < deadline_ns && n_out < cap && (!open_loop || next_due <= now)) {
			struct pending *e = &ring[(head + n_out) % cap];

			if (udp)
				memcpy(req, &seq, sizeof(seq));
			/* timed before the send: the answer may come before send returns */
			e->sent_ns = nr__wl_now_ns();
			r = send_all(f, req, (size_t)p->request);
			if (r < 0) {
				fail_io(f, r, "send");
				goto out;
			}
			e->seq = seq++;
			e->done = false;
			e->due_ns = open_loop ? next_due : e->sent_ns;
			n_out++;
			if (open_loop)
				next_due = f->sh->start_us * 1000 + (int64_t)((double)seq * gap_ns);
			now = nr__wl_now_ns();
		}
		if (udp) {
			/* drop requests whose answers are overdue */
			while (n_out && (ring[head].done ||
					 now - ring[head].sent_ns > NR__WL_UDP_RR_TIMEOUT_US * 1000LL)) {
				f->lost += !ring[head].done;
				head = (head + 1) % cap;
				n_out--;
			}
		}
		wait_ns = p->spin ? 0 : 50000000; /* look at the stop flag now and then */
		if (open_loop && now < deadline_ns && n_out < cap && next_due - now < wait_ns)
			wait_ns = next_due - now > 0 ? next_due - now : 0;
		if (!n_out && !open_loop)
			continue;
		ts.tv_sec = wait_ns / 1000000000;
		ts.tv_nsec = wait_ns % 1000000000;
		if (ppoll(&pfd, 1, &ts, NULL) <= 0)
			continue;
		for (;;) {
			ssize_t n = recv(f->fd, rbuf, bufsize, MSG_DONTWAIT);
			int64_t done;

			if (n == 0 && !udp) {
				fail_io(f, -ECONNRESET, "recv");
				goto out;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				fail_io(f, -errno, "recv");
				goto out;
			}
			done = nr__wl_now_ns();
			if (udp) {
				uint64_t got;

				if (n < 8)
					continue;
				memcpy(&got, rbuf, sizeof(got));
				/*
				 * Server threads share one socket, so answers may
				 * come back out of order: sequence numbers are
				 * consecutive, so got - head's is the slot.
				 */
				if (n_out && got >= ring[head].seq && got - ring[head].seq < n_out) {
					struct pending *e = &ring[(head + (got - ring[head].seq)) % cap];

					if (!e->done) {
						e->done = true;
						record(f, done, e->due_ns, e->sent_ns, &tx);
					}
				}
				while (n_out && ring[head].done) {
					head = (head + 1) % cap;
					n_out--;
				}
				continue;
			}
			rx_bytes += (uint64_t)n;
			while (rx_bytes >= p->response && n_out) {
				rx_bytes -= p->response;
				record(f, done, ring[head].due_ns, ring[head].sent_ns, &tx);
				head = (head + 1) % cap;
				n_out--;
			}
		}
	}
out:
	if (rbuf != resp)
		free(rbuf);
	free(ring);
}

void nr__wl_rr_client(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	char *req = nr_xcalloc(1, (size_t)p->request);
	char *resp = nr_xcalloc(1, (size_t)p->response);

	if (p->burst == 1 && p->rate <= 0)
		rr_closed(f, req, resp);
	else
		rr_pipelined(f, req, resp);
	free(req);
	free(resp);
}

/* Answer every complete request with a response; several at once in burst mode. */
static void rr_server_tcp(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	size_t bufsize = p->request > 65536 ? (size_t)p->request : 65536;
	char *buf = nr_xmalloc(bufsize), *resp = nr_xcalloc(1, (size_t)p->response);
	uint64_t pending = 0, tx = 0;

	for (;;) {
		ssize_t n = recv(f->fd, buf, bufsize, wait_flags(f));
		uint64_t k;

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				if (nr__wl_should_quit(f))
					break;
				continue;
			}
			if (errno != ECONNRESET)
				fail_io(f, -errno, "recv");
			break;
		}
		pending += (uint64_t)n;
		k = pending / p->request;
		pending %= p->request;
		while (k--) {
			int r = send_all(f, resp, (size_t)p->response);

			if (r < 0) {
				if (r != -EPIPE && r != -ECONNRESET)
					fail_io(f, r, "send");
				goto out;
			}
			tx++;
			NR__STORE(f->transactions, tx);
		}
	}
out:
	free(buf);
	free(resp);
}

/* Threads share one UDP socket; the kernel wakes one reader per datagram. */
static void rr_server_udp(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	char *buf = nr_xmalloc(65536), *resp = nr_xcalloc(1, (size_t)p->response);
	uint64_t tx = 0;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(f->fd, buf, 65536, wait_flags(f), (struct sockaddr *)&peer,
				     &len);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) {
				if (nr__wl_should_quit(f))
					break;
				continue;
			}
			fail_io(f, -errno, "recvfrom");
			break;
		}
		if (n < 8)
			continue;
		memcpy(resp, buf, 8); /* the sequence number */
		if (sendto(f->fd, resp, (size_t)p->response, 0, (struct sockaddr *)&peer, len) >= 0) {
			tx++;
			NR__STORE(f->transactions, tx);
		}
	}
	free(buf);
	free(resp);
}

void nr__wl_rr_server(struct nr__wl_flow *f)
{
	if (is_udp(f))
		rr_server_udp(f);
	else
		rr_server_tcp(f);
}

/*
 * connect, request, response, close. The server closes first, so the
 * TIME_WAIT state stays on its side and the client does not run out of
 * ephemeral ports within a test.
 */
void nr__wl_crr_client(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	int64_t deadline_ns = f->sh->deadline_us * 1000;
	char *req = nr_xcalloc(1, (size_t)p->request), *resp = nr_xcalloc(1, (size_t)p->response);
	uint64_t tx = 0;

	for (;;) {
		int64_t t1 = nr__wl_now_ns();
		struct nr_diag d = { 0 };
		char c;
		int r;

		if (t1 >= deadline_ns || NR__LOAD(f->sh->stop))
			break;
		f->fd = socket(f->peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (f->fd < 0) {
			nr__wl_flow_fail(f, -errno, "flow %u: socket: %s", f->id, strerror(errno));
			break;
		}
		nr__wl_timeouts(f->fd, NR__WL_POLL_US);
		r = nr__wl_sockopts(f->fd, p, true, &d);
		if (r == 0)
			r = nr__wl_connect(f->fd, (struct sockaddr *)&f->peer, f->peer_len, 2000000, &d);
		if (r < 0) {
			nr__wl_flow_fail(f, r, "flow %u: connect: %s", f->id, nr_diag_msg(&d));
			break;
		}
		r = send_all(f, req, (size_t)p->request);
		if (r == 0)
			r = recv_all(f, resp, (size_t)p->response);
		if (r == 0) {
			/* wait for the server's close */
			r = recv_all(f, &c, 1);
			r = r == -ECONNRESET ? 0 : (r == 0 ? -EPROTO : r);
		}
		close(f->fd);
		f->fd = -1;
		if (r < 0) {
			fail_io(f, r, "transaction");
			break;
		}
		record(f, nr__wl_now_ns(), t1, t1, &tx);
	}
	free(req);
	free(resp);
}

void nr__wl_crr_server(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	char *req = nr_xcalloc(1, (size_t)p->request), *resp = nr_xcalloc(1, (size_t)p->response);
	int lfd = f->fd;
	uint64_t tx = 0;

	for (;;) {
		struct nr_diag d = { 0 };
		int fd, r;

		if (NR__LOAD(f->sh->stop))
			break;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				continue; /* SO_RCVTIMEO on the listener: look at stop */
			nr__wl_flow_fail(f, -errno, "accept: %s", strerror(errno));
			break;
		}
		nr__wl_timeouts(fd, NR__WL_POLL_US);
		nr__wl_sockopts(fd, p, true, &d);
		f->fd = fd;
		r = recv_all(f, req, (size_t)p->request);
		if (r == 0)
			r = send_all(f, resp, (size_t)p->response);
		f->fd = lfd;
		close(fd);
		if (r == 0) {
			tx++;
			NR__STORE(f->transactions, tx);
		}
	}
	f->fd = lfd;
	free(req);
	free(resp);
}
