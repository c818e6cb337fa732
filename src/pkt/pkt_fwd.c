/*
 * The forwarder, as ixy-fwd: every frame that arrives on IN leaves on
 * OUT unchanged (and OUT to IN with `bidirectional`). A TPACKET_V3 ring
 * receives a block of frames at a time; they go out in batches, copied
 * into a TPACKET_V2 transmit ring (tx_ring) or handed to sendmmsg()
 * straight from the receive ring (sendmmsg), or, when asked, the whole
 * path runs on AF_XDP (pkt_xdp.c).
 *
 * Nothing is dropped on purpose: when the transmit side is full the
 * forwarder waits for it, and the receive ring (tens of thousands of
 * frames) absorbs the wait; what the kernel drops for a full receive
 * ring is counted (PACKET_STATISTICS), as are frames too big for OUT.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "base/clock.h"
#include "base/mem.h"
#include "pkt/pkt_int.h"

struct dir {
	struct nr__pkt_rx rx;
	struct nr__pkt_tx tx;
	struct nr_pkt_counters *cin, *cout;
	size_t max_frame;  /* OUT's MTU + 14 */
};

struct fwd {
	const struct nr_pkt_fwd_opts *o;
	struct dir dir[2];
	size_t n_dirs;
	struct nr__pkt_frame *f;
	struct iovec *iov;
	struct mmsghdr *msgs;
	struct nr_pkt_fwd_result res;
};

static bool stopping(const struct fwd *w)
{
	return w->o->stop && *w->o->stop;
}

static int kick(struct fwd *w, struct dir *dr)
{
	uint64_t sent = 0, bad = 0;
	int rc = nr__pkt_tx_kick(&dr->tx, &sent, &bad);

	w->res.forwarded += sent;
	w->res.dropped += bad;
	dr->cout->tx_packets += sent;
	dr->cout->tx_errors += bad;
	return rc;
}

/* A free transmit slot, waiting for the kernel to send what holds them. */
static uint8_t *wait_slot(struct fwd *w, struct dir *dr)
{
	uint8_t *slot;

	while (!(slot = nr__pkt_tx_slot(&dr->tx)) && !stopping(w)) {
		struct pollfd p = { .fd = dr->tx.fd, .events = POLLOUT };

		if (kick(w, dr) < 0)
			return NULL;
		if (!(slot = nr__pkt_tx_slot(&dr->tx)))
			poll(&p, 1, 1);
		else
			break;
	}
	return slot;
}

static int forward_ring(struct fwd *w, struct dir *dr, size_t n)
{
	unsigned batch = w->o->batch, queued = 0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		const struct nr__pkt_frame *fr = &w->f[i];
		uint8_t *slot;

		if (fr->caplen > dr->max_frame || fr->caplen < fr->len) {
			w->res.dropped++;
			dr->cout->tx_dropped++;
			continue;
		}
		if (!(slot = wait_slot(w, dr))) {
			w->res.dropped += n - i;
			dr->cout->tx_dropped += n - i;
			break;
		}
		memcpy(slot, fr->data, fr->caplen);
		nr__pkt_tx_commit(&dr->tx, slot, fr->caplen);
		dr->cout->tx_bytes += fr->caplen;
		if (++queued == batch) {
			if ((rc = kick(w, dr)) < 0)
				return rc;
			queued = 0;
		}
	}
	return kick(w, dr);
}

static int forward_mmsg(struct fwd *w, struct dir *dr, size_t n)
{
	unsigned batch = w->o->batch, k = 0, off, tries;
	size_t i;
	int r;

	for (i = 0; i <= n; i++) {
		if (i < n) {
			const struct nr__pkt_frame *fr = &w->f[i];

			if (fr->caplen > dr->max_frame || fr->caplen < fr->len) {
				w->res.dropped++;
				dr->cout->tx_dropped++;
				continue;
			}
			w->iov[k].iov_base = (void *)fr->data;
			w->iov[k].iov_len = fr->caplen;
			memset(&w->msgs[k].msg_hdr, 0, sizeof(w->msgs[k].msg_hdr));
			w->msgs[k].msg_hdr.msg_iov = &w->iov[k];
			w->msgs[k].msg_hdr.msg_iovlen = 1;
			k++;
			if (k < batch)
				continue;
		}
		/* send the batch whole: a full queue is waited for, not dropped */
		for (off = 0, tries = 0; off < k && !stopping(w);) {
			r = nr__pkt_tx_sendmmsg(&dr->tx, w->msgs + off, k - off);
			if (r == -ENOBUFS || r == -EAGAIN) {
				struct pollfd p = { .fd = dr->tx.fd, .events = POLLOUT };

				if (++tries > 1000)
					break;
				poll(&p, 1, 1);
				continue;
			}
			if (r < 0)
				return r;
			for (unsigned j = 0; j < (unsigned)r; j++)
				dr->cout->tx_bytes += w->iov[off + j].iov_len;
			off += (unsigned)r;
			w->res.forwarded += (uint64_t)r;
			dr->cout->tx_packets += (uint64_t)r;
		}
		w->res.dropped += k - off;
		dr->cout->tx_dropped += k - off;
		k = 0;
	}
	return 0;
}

static int open_dir(struct fwd *w, struct dir *dr, const struct nr__pkt_if *in,
		    const struct nr__pkt_if *out, struct nr_pkt_counters *cin,
		    struct nr_pkt_counters *cout, struct nr_diag *d)
{
	int rc;

	dr->cin = cin;
	dr->cout = cout;
	dr->max_frame = (size_t)out->mtu + NR_PKT_ETH_HDR;
	if ((rc = nr__pkt_rx_open(&dr->rx, in, d)) < 0)
		return rc;
	return nr__pkt_tx_open(&dr->tx, out, w->res.method == NR_PKT_TX_RING, dr->max_frame, false, d);
}

static void count_rx(struct dir *dr, size_t *n, struct nr__pkt_frame *f)
{
	size_t i, k = 0;

	/* the kernel filters our own frames when it can (PACKET_IGNORE_OUTGOING); else here */
	for (i = 0; i < *n; i++) {
		if (f[i].outgoing)
			continue;
		dr->cin->rx_packets++;
		dr->cin->rx_bytes += f[i].len;
		f[k++] = f[i];
	}
	*n = k;
}

int nr_pkt_fwd(const struct nr_pkt_fwd_opts *o, struct nr_pkt_fwd_result *ret,
	       struct nr_diag *d)
{
	struct fwd w = { .o = o };
	struct nr__pkt_if in, out;
	struct nr__pkt_ticker tick;
	const char *names[2] = { o->in, o->out };
	int64_t t0, now, end;
	size_t i;
	int rc;

	for (i = 0; i < 2; i++) {
		w.dir[i].rx.fd = -1;
		w.dir[i].tx.fd = -1;
	}
	if (o->batch < 1 || o->batch > NR_PKT_BATCH_MAX)
		return nr_diagf(d, NR_EINVAL, "batch %u is not 1 to %d", o->batch, NR_PKT_BATCH_MAX);
	if (!strcmp(o->in, o->out))
		return nr_diagf(d, NR_EINVAL, "IN and OUT are both %s: a forwarder needs two interfaces",
				o->in);
	if ((rc = nr__pkt_if_get(o->in, &in, d)) < 0 || (rc = nr__pkt_if_get(o->out, &out, d)) < 0)
		return rc;
	/*
	 * AF_XDP only when asked: on veth here it lost frames at rates
	 * AF_PACKET forwarded whole (docs/pkt.md, "fwd").
	 */
	if (o->method == NR_PKT_XDP)
		return nr__pkt_fwd_xdp(o, ret, d);
	/* as the generator: sendmmsg straight from the receive ring unless the transmit ring is asked for */
	w.res.method = o->method == NR_PKT_TX_RING ? NR_PKT_TX_RING : NR_PKT_SENDMMSG;
	if ((rc = open_dir(&w, &w.dir[0], &in, &out, &w.res.c[0], &w.res.c[1], d)) < 0)
		goto out;
	w.n_dirs = 1;
	if (o->bidirectional) {
		if ((rc = open_dir(&w, &w.dir[1], &out, &in, &w.res.c[1], &w.res.c[0], d)) < 0)
			goto out;
		w.n_dirs = 2;
	}
	w.f = nr_xmalloc(NR__PKT_RX_FRAMES_MAX * sizeof(*w.f));
	w.iov = nr_xcalloc(o->batch, sizeof(*w.iov));
	w.msgs = nr_xcalloc(o->batch, sizeof(*w.msgs));
	t0 = nr_mono_us();
	end = o->duration_us ? t0 + o->duration_us : INT64_MAX;
	nr__pkt_ticker_init(&tick, o->tick, o->tick_ctx, t0);
	if (o->ready)
		o->ready(o->tick_ctx, nr_pkt_method_name(w.res.method));
	while (!stopping(&w)) {
		bool busy = false;

		now = nr_mono_us();
		if (now >= end)
			break;
		if (tick.fn && now >= tick.next_us)
			for (i = 0; i < w.n_dirs; i++) {
				nr__pkt_rx_stats(&w.dir[i].rx);
				w.dir[i].cin->rx_dropped = w.dir[i].rx.drops;
			}
		nr__pkt_ticker_poll(&tick, now, names, w.res.c, 2);
		for (i = 0; i < w.n_dirs; i++) {
			struct dir *dr = &w.dir[i];
			size_t n = nr__pkt_rx_block(&dr->rx, w.f, NR__PKT_RX_FRAMES_MAX);

			if (!n)
				continue;
			busy = true;
			count_rx(dr, &n, w.f);
			rc = w.res.method == NR_PKT_TX_RING ? forward_ring(&w, dr, n) :
							      forward_mmsg(&w, dr, n);
			nr__pkt_rx_release(&dr->rx);
			if (rc < 0) {
				rc = nr_diagf(d, rc, "sending on %s: %s", i ? o->in : o->out, strerror(-rc));
				goto out;
			}
		}
		if (!busy) {
			struct pollfd p[2];

			for (i = 0; i < w.n_dirs; i++) {
				p[i].fd = w.dir[i].rx.fd;
				p[i].events = POLLIN | POLLERR;
			}
			poll(p, (nfds_t)w.n_dirs, 100);
		}
	}
	for (i = 0; i < w.n_dirs; i++) {
		nr__pkt_rx_stats(&w.dir[i].rx);
		w.dir[i].cin->rx_dropped = w.dir[i].rx.drops;
	}
	w.res.duration_us = nr_mono_us() - t0;
	*ret = w.res;
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		nr__pkt_rx_close(&w.dir[i].rx);
		nr__pkt_tx_close(&w.dir[i].tx);
	}
	free(w.f);
	free(w.iov);
	free(w.msgs);
	return rc;
}
