/*
 * Many flows on few threads (neper-style, `--threads N`): each thread
 * runs an epoll loop over its share of the flows with non-blocking
 * sockets. Used for TCP streams and closed-loop TCP request/response;
 * the other workloads (UDP, crr, open loop) keep a thread per flow.
 * With one flow per thread the blocking workers are used instead: they
 * wait with one system call where a loop needs two.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/rand.h"
#include "workload/workload_int.h"

#define ZEROS 65536 /* what rr writes come from */

/* Per-flow state of a looped flow. */
struct lflow {
	struct nr__wl_flow *f;
	bool finished;
	bool want_out;    /* EPOLLOUT registered */
	uint64_t bytes, tx;
	uint64_t tx_left; /* bytes queued for writing (rr) */
	uint64_t rx_acc;  /* bytes of the current request/response read so far */
	int64_t *ring;    /* rr client: send times of outstanding requests */
	unsigned head, n_out;
	struct nr__wl_lowat lw; /* stream receivers */
};

struct loop {
	int ep;
	char *sbuf;  /* stream sender's data */
	char *rbuf;  /* everyone's reads */
	size_t rsize;
	char *zeros; /* rr writes */
};

bool nr__wl_loopable(const struct nr_wl_params *p, enum nr__wl_role role)
{
	switch (role) {
	case NR__WL_STREAM_SEND:
		return p->kind == NR_WL_TCP_STREAM && p->rate <= 0;
	case NR__WL_STREAM_RECV:
		return p->kind == NR_WL_TCP_STREAM;
	case NR__WL_RR_CLIENT:
		return p->kind == NR_WL_TCP_RR && p->rate <= 0;
	case NR__WL_RR_SERVER:
		return p->kind == NR_WL_TCP_RR;
	default:
		return false;
	}
}

static void set_out(struct loop *lp, struct lflow *l, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = l };

	if (l->want_out == on)
		return;
	l->want_out = on;
	epoll_ctl(lp->ep, EPOLL_CTL_MOD, l->f->fd, &ev);
}

static void finish(struct loop *lp, struct lflow *l)
{
	struct nr__wl_flow *f = l->f;

	if (l->finished)
		return;
	l->finished = true;
	epoll_ctl(lp->ep, EPOLL_CTL_DEL, f->fd, NULL);
	if (f->role == NR__WL_STREAM_SEND) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (getsockopt(f->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
			f->retransmits = ti.tcpi_total_retrans;
			f->rtt_us = ti.tcpi_rtt;
			f->have_tcpi = true;
		}
		shutdown(f->fd, SHUT_WR);
	}
	f->cpu = sched_getcpu();
	NR__STORE(f->done, 1);
}

static void io_error(struct loop *lp, struct lflow *l, const char *what)
{
	if (errno != ECONNRESET && errno != EPIPE)
		nr__wl_flow_fail(l->f, -errno, "flow %u: %s: %s", l->f->id, what, strerror(errno));
	else if (l->f->role == NR__WL_RR_CLIENT || l->f->role == NR__WL_STREAM_SEND)
		nr__wl_flow_fail(l->f, -errno, "flow %u: %s: connection closed by the peer",
				 l->f->id, what);
	finish(lp, l);
}

/* Write what rr has queued; false when the flow ended. */
static bool flush(struct loop *lp, struct lflow *l)
{
	while (l->tx_left) {
		size_t n = l->tx_left < ZEROS ? (size_t)l->tx_left : ZEROS;
		ssize_t k = send(l->f->fd, lp->zeros, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			io_error(lp, l, "send");
			return false;
		}
		l->tx_left -= (uint64_t)k;
	}
	set_out(lp, l, l->tx_left > 0);
	return true;
}

static void stream_send(struct loop *lp, struct lflow *l, int64_t now_us)
{
	struct nr__wl_flow *f = l->f;
	size_t size = (size_t)f->sh->p->size;
	int i;

	/* a few writes per turn, so that flows of a thread share it */
	for (i = 0; i < 4; i++) {
		ssize_t n;

		if (now_us >= f->sh->deadline_us) {
			finish(lp, l);
			return;
		}
		n = send(f->fd, lp->sbuf, size, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				io_error(lp, l, "send");
			return;
		}
		l->bytes += (uint64_t)n;
		NR__STORE(f->bytes, l->bytes);
		now_us = nr_mono_us();
	}
}

static void stream_recv(struct loop *lp, struct lflow *l)
{
	int i;

	for (i = 0; i < 8; i++) {
		ssize_t n = recv(l->f->fd, lp->rbuf, lp->rsize, MSG_DONTWAIT);

		if (n > 0) {
			int64_t now = nr_mono_us();

			l->bytes += (uint64_t)n;
			NR__STORE(l->f->bytes, l->bytes);
			NR__STORE(l->f->last_us, now);
			nr__wl_lowat_update(&l->lw, l->bytes, now);
			continue;
		}
		if (n == 0)
			finish(lp, l);
		else if (errno != EAGAIN && errno != EINTR)
			io_error(lp, l, "recv");
		return;
	}
}

static void queue_request(struct lflow *l, int64_t now_ns)
{
	unsigned burst = l->f->sh->p->burst;

	l->ring[(l->head + l->n_out) % burst] = now_ns;
	l->n_out++;
	l->tx_left += l->f->sh->p->request;
}

static void rr_client(struct loop *lp, struct lflow *l)
{
	struct nr__wl_flow *f = l->f;
	const struct nr_wl_params *p = f->sh->p;
	int64_t deadline_ns = f->sh->deadline_us * 1000;

	for (;;) {
		ssize_t n = recv(f->fd, lp->rbuf, lp->rsize, MSG_DONTWAIT);
		int64_t now;

		if (n == 0) {
			errno = ECONNRESET;
			io_error(lp, l, "recv");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				io_error(lp, l, "recv");
				return;
			}
			break;
		}
		now = nr__wl_now_ns();
		l->rx_acc += (uint64_t)n;
		while (l->rx_acc >= p->response && l->n_out) {
			int64_t sent = l->ring[l->head];

			l->rx_acc -= p->response;
			l->head = (l->head + 1) % p->burst;
			l->n_out--;
			l->tx++;
			NR__STORE(f->transactions, l->tx);
			NR__STORE(f->last_us, now / 1000);
			if (NR__LOAD(f->sh->measuring))
				nr_wl_hist_record(f->hist, (uint64_t)(now - sent));
			if (now < deadline_ns)
				queue_request(l, now);
		}
	}
	if (!flush(lp, l))
		return;
	if (!l->n_out && nr__wl_now_ns() >= deadline_ns)
		finish(lp, l);
}

static void rr_server(struct loop *lp, struct lflow *l)
{
	struct nr__wl_flow *f = l->f;
	const struct nr_wl_params *p = f->sh->p;

	for (;;) {
		ssize_t n = recv(f->fd, lp->rbuf, lp->rsize, MSG_DONTWAIT);
		uint64_t k;

		if (n == 0) {
			finish(lp, l);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				io_error(lp, l, "recv");
				return;
			}
			break;
		}
		l->rx_acc += (uint64_t)n;
		k = l->rx_acc / p->request;
		l->rx_acc %= p->request;
		l->tx_left += k * p->response;
		l->tx += k;
		NR__STORE(f->transactions, l->tx);
	}
	flush(lp, l);
}

static void *loop_main(void *arg)
{
	struct nr__wl_flow *leader = arg;
	const struct nr_wl_params *p = leader->sh->p;
	unsigned n = leader->n_group, i, active = n;
	struct lflow *ls = nr_xcalloc(n, sizeof(*ls));
	struct loop lp = { .ep = -1 };
	struct nr_diag d = { 0 };

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (nr__wl_pin(leader->pin_cpu, &d) < 0) {
		for (i = 0; i < n; i++) {
			nr__wl_flow_fail(leader->group[i], d.code, "flow %u: %s", leader->group[i]->id,
					 nr_diag_msg(&d));
			NR__STORE(leader->group[i]->done, 1);
		}
		free(ls);
		return NULL;
	}
	lp.ep = epoll_create1(EPOLL_CLOEXEC);
	lp.rsize = NR__WL_RECV_SIZE;
	lp.rbuf = nr_xmalloc(lp.rsize);
	lp.zeros = nr_xcalloc(1, ZEROS);
	if (leader->role == NR__WL_STREAM_SEND) {
		lp.sbuf = nr_xmalloc((size_t)p->size);
		nr_random_bytes(lp.sbuf, (size_t)p->size);
	}
	for (i = 0; i < n; i++) {
		struct lflow *l = &ls[i];
		struct epoll_event ev = { .data.ptr = l };

		l->f = leader->group[i];
		fcntl(l->f->fd, F_SETFL, fcntl(l->f->fd, F_GETFL) | O_NONBLOCK);
		if (l->f->role == NR__WL_STREAM_RECV)
			nr__wl_lowat_init(&l->lw, l->f->fd, p, nr_mono_us());
		ev.events = l->f->role == NR__WL_STREAM_SEND ? EPOLLOUT : EPOLLIN;
		l->want_out = ev.events == EPOLLOUT;
		if (epoll_ctl(lp.ep, EPOLL_CTL_ADD, l->f->fd, &ev) < 0) {
			io_error(&lp, l, "epoll_ctl");
			active--;
			continue;
		}
		if (l->f->role == NR__WL_RR_CLIENT) {
			unsigned k;

			l->ring = nr_xcalloc(p->burst, sizeof(*l->ring));
			for (k = 0; k < p->burst; k++)
				queue_request(l, nr__wl_now_ns());
			if (!flush(&lp, l))
				active--;
		}
	}
	while (active) {
		struct epoll_event evs[64];
		int64_t now = nr_mono_us(), wait = NR__WL_POLL_US;
		int k, j;

		if (NR__LOAD(leader->sh->stop))
			break;
		for (i = 0; i < n; i++) {
			struct lflow *l = &ls[i];

			if (l->finished)
				continue;
			/* senders end at the deadline even when their socket is full */
			if (l->f->role == NR__WL_STREAM_SEND && now >= l->f->sh->deadline_us)
				finish(&lp, l);
			/* rr clients collect answers for a second at most after it */
			else if (l->f->role == NR__WL_RR_CLIENT &&
				 now >= l->f->sh->deadline_us + 1000000)
				finish(&lp, l);
			else if ((l->f->role == NR__WL_STREAM_RECV || l->f->role == NR__WL_RR_SERVER) &&
				 nr__wl_should_quit(l->f))
				finish(&lp, l);
			if (l->finished)
				active--;
		}
		if (!active)
			break;
		if (leader->sh->deadline_us > now && leader->sh->deadline_us - now < wait)
			wait = leader->sh->deadline_us - now;
		k = epoll_wait(lp.ep, evs, 64, p->spin ? 0 : (int)((wait + 999) / 1000));
		for (j = 0; j < k; j++) {
			struct lflow *l = evs[j].data.ptr;

			if (l->finished)
				continue;
			switch (l->f->role) {
			case NR__WL_STREAM_SEND:
				stream_send(&lp, l, nr_mono_us());
				break;
			case NR__WL_STREAM_RECV:
				stream_recv(&lp, l);
				break;
			case NR__WL_RR_CLIENT:
				rr_client(&lp, l);
				break;
			default:
				if (evs[j].events & EPOLLIN)
					rr_server(&lp, l);
				else
					flush(&lp, l);
				break;
			}
			if (l->finished)
				active--;
		}
	}
	for (i = 0; i < n; i++) {
		finish(&lp, &ls[i]);
		free(ls[i].ring);
	}
	close(lp.ep);
	free(lp.rbuf);
	free(lp.sbuf);
	free(lp.zeros);
	free(ls);
	return NULL;
}

int nr__wl_flows_start(struct nr__wl_flow *f, unsigned n, unsigned threads, struct nr_diag *d)
{
	unsigned i, g;
	int r;

	if (!threads || threads >= n || !nr__wl_loopable(f[0].sh->p, f[0].role)) {
		for (i = 0; i < n; i++) {
			r = nr__wl_flow_start(&f[i], d);
			if (r < 0)
				return r;
		}
		return 0;
	}
	for (i = 0; i < n; i++)
		nr__wl_flow_prepare(&f[i]);
	/* flow g leads group g: flows g, g + threads, ...; pinned as flow g is */
	for (g = 0; g < threads; g++) {
		struct nr__wl_flow *leader = &f[g];

		leader->group = nr_xcalloc(n / threads + 1, sizeof(*leader->group));
		for (i = g; i < n; i += threads)
			leader->group[leader->n_group++] = &f[i];
		r = pthread_create(&leader->thread, NULL, loop_main, leader);
		if (r)
			return nr_diagf(d, -r, "cannot start a thread: %s", strerror(r));
		leader->started = true;
	}
	return 0;
}
