/*
 * The generator: ixy-pktgen's frames (pkt_frame.c), sequence numbers
 * counting up from 0, sent through a PACKET_MMAP transmit ring or with
 * sendmmsg(), in batches, at a rate held by the clock.
 *
 * The rate is a schedule, not a sleep per frame: frame k is due at
 * start + k / rate, and each turn sends what is due by now (at most a
 * batch), then sleeps until the next frame's absolute due time. A late
 * wake-up sends more at once instead of drifting; a rate the machine
 * cannot reach gives back-to-back batches, and the result tells how far
 * it fell short.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>

#include "base/mem.h"
#include "pkt/pkt_int.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

	/* EINTR: a signal came; the caller looks at *stop */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

const char *nr_pkt_method_name(enum nr_pkt_method m)
{
	switch (m) {
	case NR_PKT_AUTO: return "auto";
	case NR_PKT_TX_RING: return "tx_ring";
	case NR_PKT_SENDMMSG: return "sendmmsg";
	case NR_PKT_XDP: return "xdp";
	}
	return NULL;
}

int nr_pkt_method_parse(const char *s, enum nr_pkt_method *ret)
{
	static const enum nr_pkt_method all[] = { NR_PKT_AUTO, NR_PKT_TX_RING, NR_PKT_SENDMMSG,
						  NR_PKT_XDP };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, nr_pkt_method_name(all[i]))) {
			*ret = all[i];
			return 0;
		}
	return NR_EINVAL;
}

struct gen {
	const struct nr_pkt_gen_opts *o;
	struct nr__pkt_tx tx;
	uint8_t *tmpl;
	/* sendmmsg: one frame buffer per batch slot */
	uint8_t *bufs;
	struct iovec *iov;
	struct mmsghdr *msgs;
	uint32_t seq;
	uint64_t numbered; /* frames given a sequence number: sent, or refused by the kernel */
	struct nr_pkt_gen_result res;
};

/* Up to n frames through the ring: how many went out (or were refused). */
static int send_ring(struct gen *g, unsigned n, struct nr_diag *d)
{
	size_t size = g->o->frame.size;
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		uint8_t *slot = nr__pkt_tx_slot(&g->tx);

		if (!slot) {
			/* every slot waits for the kernel (a qdisc holds them): send, then wait for room */
			if ((rc = nr__pkt_tx_kick(&g->tx, &g->res.sent, &g->res.c.tx_errors)) < 0)
				return nr_diagf(d, rc, "%s: sending: %s", g->o->ifname, strerror(-rc));
			slot = nr__pkt_tx_slot(&g->tx);
			if (!slot) {
				struct pollfd p = { .fd = g->tx.fd, .events = POLLOUT };

				poll(&p, 1, 1);
				break;
			}
		}
		/* the slots hold the template since the start: only the number changes */
		nr_pkt_frame_set_seq(slot, size, g->seq++);
		g->numbered++;
		nr__pkt_tx_commit(&g->tx, slot, size);
	}
	rc = nr__pkt_tx_kick(&g->tx, &g->res.sent, &g->res.c.tx_errors);
	if (rc < 0)
		return nr_diagf(d, rc, "%s: sending: %s", g->o->ifname, strerror(-rc));
	return 0;
}

static int send_mmsg(struct gen *g, unsigned n, struct nr_diag *d)
{
	size_t size = g->o->frame.size;
	unsigned i;
	int r;

	for (i = 0; i < n; i++)
		nr_pkt_frame_set_seq(g->bufs + (size_t)i * size, size, g->seq + i);
	r = nr__pkt_tx_sendmmsg(&g->tx, g->msgs, n);
	if (r == -ENOBUFS || r == -EAGAIN) {
		/* the device queue is full: nothing went, the same numbers go next turn */
		g->res.c.tx_errors++;
		return 0;
	}
	if (r < 0)
		return nr_diagf(d, r, "%s: sendmmsg: %s", g->o->ifname, strerror(-r));
	g->seq += (uint32_t)r;
	g->numbered += (uint64_t)r;
	g->res.sent += (uint64_t)r;
	return 0;
}

static int setup(struct gen *g, struct nr_diag *d)
{
	const struct nr_pkt_gen_opts *o = g->o;
	struct nr__pkt_if ifc;
	size_t i, size = o->frame.size;
	int rc;

	if (size < NR_PKT_MIN_SIZE || size > NR_PKT_MAX_SIZE)
		return nr_diagf(d, NR_EINVAL, "frame size %zu is not %d to %d", size, NR_PKT_MIN_SIZE,
				NR_PKT_MAX_SIZE);
	if (o->batch < 1 || o->batch > NR_PKT_BATCH_MAX)
		return nr_diagf(d, NR_EINVAL, "batch %u is not 1 to %d", o->batch, NR_PKT_BATCH_MAX);
	if (o->method == NR_PKT_XDP)
		return nr_diagf(d, NR_EUNSUPPORTED, "the generator sends with tx_ring or sendmmsg, not xdp");
	if ((rc = nr__pkt_if_get(o->ifname, &ifc, d)) < 0)
		return rc;
	/*
	 * sendmmsg unless the ring is asked for: on veth it sent 10-60 % more
	 * frames a second than the ring at 60, 1500 and 9000 bytes (the
	 * ring's frames leave as page fragments the receiving side then
	 * pulls into a linear buffer; sendmmsg copies them once; docs/pkt.md).
	 */
	g->res.method = o->method == NR_PKT_TX_RING ? NR_PKT_TX_RING : NR_PKT_SENDMMSG;
	rc = nr__pkt_tx_open(&g->tx, &ifc, g->res.method == NR_PKT_TX_RING, size, o->qdisc_bypass, d);
	if (rc < 0)
		return rc;
	g->tmpl = nr_xmalloc(size);
	nr_pkt_frame_build(&o->frame, g->tmpl);
	if (g->tx.ring) {
		for (i = 0; i < g->tx.n_frames; i++)
			memcpy(g->tx.map + i * g->tx.frame_size + g->tx.data_off, g->tmpl, size);
		return 0;
	}
	g->bufs = nr_xmalloc(size * o->batch);
	g->iov = nr_xcalloc(o->batch, sizeof(*g->iov));
	g->msgs = nr_xcalloc(o->batch, sizeof(*g->msgs));
	for (i = 0; i < o->batch; i++) {
		memcpy(g->bufs + i * size, g->tmpl, size);
		g->iov[i].iov_base = g->bufs + i * size;
		g->iov[i].iov_len = size;
		g->msgs[i].msg_hdr.msg_iov = &g->iov[i];
		g->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

int nr_pkt_gen(const struct nr_pkt_gen_opts *o, struct nr_pkt_gen_result *ret,
	       struct nr_diag *d)
{
	struct gen g = { .o = o, .seq = o->first_seq };
	struct nr__pkt_ticker tick;
	const char *names[1] = { o->ifname };
	int64_t t0, now, end, last;
	int rc;

	g.tx.fd = -1;
	if ((rc = setup(&g, d)) < 0)
		goto out;
	/* a sleep ends within a microsecond of its time, not the default 50 us later */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (o->ready)
		o->ready(o->tick_ctx, nr_pkt_method_name(g.res.method));
	t0 = last = mono_ns();
	end = o->duration_us ? t0 + o->duration_us * 1000 : INT64_MAX;
	nr__pkt_ticker_init(&tick, o->tick, o->tick_ctx, t0 / 1000);
	for (;;) {
		uint64_t want = o->batch, done = g.numbered;

		if (o->stop && *o->stop) {
			g.res.stopped = true;
			break;
		}
		now = mono_ns();
		if (now >= end)
			break;
		if (o->count) {
			if (done >= o->count)
				break;
			if (want > o->count - done)
				want = o->count - done;
		}
		if (o->rate > 0) {
			/* frames due by now on the schedule, less those already out */
			double due = (double)(now - t0) * 1e-9 * o->rate + 1 - (double)done;

			if (due < 1) {
				int64_t next = t0 + (int64_t)((double)done / o->rate * 1e9);

				sleep_until_ns(next < end ? next : end);
				continue;
			}
			if ((double)want > due)
				want = (uint64_t)due;
		}
		rc = g.tx.ring ? send_ring(&g, (unsigned)want, d) : send_mmsg(&g, (unsigned)want, d);
		if (rc < 0)
			goto out;
		last = mono_ns();
		g.res.c.tx_packets = g.res.sent;
		g.res.c.tx_bytes = g.res.sent * o->frame.size;
		nr__pkt_ticker_poll(&tick, last / 1000, names, &g.res.c, 1);
	}
	g.res.c.tx_packets = g.res.sent;
	g.res.c.tx_bytes = g.res.sent * o->frame.size;
	g.res.duration_us = (last - t0) / 1000;
	g.res.next_seq = g.seq;
	*ret = g.res;
out:
	nr__pkt_tx_close(&g.tx);
	free(g.tmpl);
	free(g.bufs);
	free(g.iov);
	free(g.msgs);
	return rc;
}
