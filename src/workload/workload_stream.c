/*
 * Stream workers: a sender (TCP or UDP, as fast as possible or paced to a
 * rate) and receivers. Receivers count bytes and the time of the last
 * data, so the measured window ends with the data rather than with a
 * control message that may overtake it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/rand.h"
#include "workload/workload_int.h"

/* The UDP header, little-endian on the wire via memcpy of fixed-width fields. */
struct udp_hdr {
	uint32_t magic;
	uint32_t flow;
	uint64_t seq;
	int64_t send_us;
	uint32_t flags;
	uint32_t pad;
};

void nr__wl_udp_hdr(char *buf, uint32_t flow, uint64_t seq, int64_t send_us, uint32_t flags)
{
	struct udp_hdr h = { NR__WL_UDP_MAGIC, flow, seq, send_us, flags, 0 };

	memcpy(buf, &h, sizeof(h));
}

bool nr__wl_udp_hdr_read(const char *buf, size_t len, uint32_t *ret_flow, uint32_t *ret_flags)
{
	struct udp_hdr h;

	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != NR__WL_UDP_MAGIC)
		return false;
	*ret_flow = h.flow;
	*ret_flags = h.flags;
	return true;
}

/* send, or sendto the flow's peer when the socket is shared (reverse UDP) */
static ssize_t send_dgram(const struct nr__wl_flow *f, const char *buf, size_t len)
{
	if (f->peer_len)
		return sendto(f->fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)&f->peer,
			      f->peer_len);
	return send(f->fd, buf, len, MSG_NOSIGNAL);
}

#define BATCH 32 /* datagrams per sendmmsg / recvmmsg */

/*
 * UDP: batches of datagrams per system call (sendmmsg). When paced, a
 * batch holds the datagrams that are due, so the average rate follows the
 * schedule exactly and bursts stay short.
 */
static void udp_send(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	size_t size = (size_t)p->size;
	char *bufs = nr_xmalloc(size * BATCH);
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int64_t start_ns = f->sh->start_us * 1000, deadline_ns = f->sh->deadline_us * 1000;
	double gap_ns = p->rate > 0 ? (double)size * 8 / (p->rate / p->flows) * 1e9 : 0;
	uint64_t writes = 0;
	int i;

	nr_random_bytes(bufs, size * BATCH);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs + (size_t)i * size;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (f->peer_len) {
			msgs[i].msg_hdr.msg_name = &f->peer;
			msgs[i].msg_hdr.msg_namelen = f->peer_len;
		}
	}
	for (;;) {
		int64_t now = nr__wl_now_ns();
		int64_t k = BATCH;
		int n;

		if (now >= deadline_ns || NR__LOAD(f->sh->stop))
			break;
		if (gap_ns > 0) {
			k = (int64_t)((double)(now - start_ns) / gap_ns) + 1 - (int64_t)writes;
			if (k <= 0) {
				int64_t due = start_ns + (int64_t)((double)writes * gap_ns);

				nr__wl_sleep_until_ns(due < deadline_ns ? due : deadline_ns);
				continue;
			}
			if (k > BATCH)
				k = BATCH;
		}
		for (i = 0; i < k; i++)
			nr__wl_udp_hdr(iov[i].iov_base, f->id, writes + (uint64_t)i, now / 1000, 0);
		n = sendmmsg(f->fd, msgs, (unsigned)k, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			nr__wl_flow_fail(f, -errno, "flow %u: send: %s%s", f->id, strerror(errno),
					 errno == ECONNREFUSED ? " (the server's port is closed)" : "");
			break;
		}
		writes += (uint64_t)n;
		NR__STORE(f->bytes, writes * size);
	}
	f->packets_sent = writes;
	/* the end marker; three, so one lost datagram does not cost the drain time */
	for (i = 0; i < 3; i++) {
		nr__wl_udp_hdr(bufs, f->id, writes, nr_mono_us(), NR__WL_UDP_FIN);
		send_dgram(f, bufs, NR_WL_UDP_HDR);
	}
	free(bufs);
}

void nr__wl_stream_send(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	size_t size = (size_t)p->size;
	int64_t start_ns = f->sh->start_us * 1000, deadline_ns = f->sh->deadline_us * 1000;
	double gap_ns = 0;
	uint64_t writes = 0, bytes = 0;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	char *buf;

	if (p->kind == NR_WL_UDP_STREAM) {
		udp_send(f);
		return;
	}
	buf = nr_xmalloc(size);
	if (p->rate > 0)
		gap_ns = (double)size * 8 / (p->rate / p->flows) * 1e9;
	nr_random_bytes(buf, size);
	for (;;) {
		int64_t now = nr__wl_now_ns();
		ssize_t n;

		if (now >= deadline_ns || NR__LOAD(f->sh->stop))
			break;
		if (gap_ns > 0) {
			int64_t due = start_ns + (int64_t)((double)writes * gap_ns);

			if (due > now) {
				nr__wl_sleep_until_ns(due < deadline_ns ? due : deadline_ns);
				continue;
			}
		}
		n = send(f->fd, buf, size, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			nr__wl_flow_fail(f, -errno, "flow %u: send: %s", f->id, strerror(errno));
			break;
		}
		writes++;
		bytes += (uint64_t)n;
		NR__STORE(f->bytes, bytes);
	}
	if (getsockopt(f->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		f->retransmits = ti.tcpi_total_retrans;
		f->rtt_us = ti.tcpi_rtt;
		f->have_tcpi = true;
	}
	shutdown(f->fd, SHUT_WR);
	free(buf);
}

#define LOWAT_MAX NR__WL_RECV_SIZE
#define LOWAT_MIN (16 * 1024)  /* below it: wake for every segment */
#define LOWAT_WINDOW_US 200    /* auto: this much data per wake-up */
#define LOWAT_EVERY_US 10000   /* auto: how often the rate is looked at */

static void set_lowat(struct nr__wl_lowat *lw, int v)
{
	if (setsockopt(lw->fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) == 0)
		lw->cur = v;
}

void nr__wl_lowat_init(struct nr__wl_lowat *lw, int fd, const struct nr_wl_params *p,
		       int64_t now_us)
{
	lw->fd = fd;
	lw->mode = p->rcvlowat;
	lw->cur = 1; /* the kernel's default */
	lw->since_us = now_us;
	lw->since_bytes = 0;
	if (lw->mode > 1)
		set_lowat(lw, lw->mode);
}

void nr__wl_lowat_update(struct nr__wl_lowat *lw, uint64_t bytes, int64_t now_us)
{
	int64_t dt = now_us - lw->since_us;
	double want;
	int v;

	if (lw->mode != NR_WL_LOWAT_AUTO || dt < LOWAT_EVERY_US)
		return;
	want = (double)(bytes - lw->since_bytes) / (double)dt * LOWAT_WINDOW_US;
	v = want < LOWAT_MIN ? 1 : want > LOWAT_MAX ? LOWAT_MAX : (int)want;
	lw->since_us = now_us;
	lw->since_bytes = bytes;
	/* a change of a quarter or more, so that noise does not cost system calls */
	if (v == lw->cur || (v > lw->cur * 3 / 4 && v < lw->cur + lw->cur / 4))
		return;
	set_lowat(lw, v);
}

void nr__wl_stream_recv(struct nr__wl_flow *f)
{
	size_t size = NR__WL_RECV_SIZE;
	char *buf = nr_xmalloc(size);
	uint64_t bytes = 0;
	struct nr__wl_lowat lw;

	nr__wl_lowat_init(&lw, f->fd, f->sh->p, nr_mono_us());
	for (;;) {
		ssize_t n = recv(f->fd, buf, size, 0);

		if (n > 0) {
			int64_t now = nr_mono_us();

			bytes += (uint64_t)n;
			NR__STORE(f->bytes, bytes);
			NR__STORE(f->last_us, now);
			nr__wl_lowat_update(&lw, bytes, now);
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN || errno == EINTR) {
			if (nr__wl_should_quit(f))
				break;
			continue;
		}
		nr__wl_flow_fail(f, -errno, "flow %u: recv: %s", f->id, strerror(errno));
		break;
	}
	free(buf);
}

static bool all_fin(const struct nr__wl_flow *f)
{
	unsigned i;

	for (i = 0; i < f->n_udp; i++)
		if (!f->udp[i].fin)
			return false;
	return true;
}

/* The kernel's receive time of a datagram (CLOCK_REALTIME, us), or `fallback`. */
static int64_t rx_time_us(struct msghdr *mh, int64_t fallback)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		}
	}
	return fallback;
}

/*
 * One receiver for every flow of the test (their datagrams name their
 * flow). Batches of datagrams per recvmmsg; each datagram's arrival time
 * comes from the kernel (SO_TIMESTAMPNS), so that batching does not show
 * as jitter. Arrival is on the real-time clock and the send time on the
 * sender's monotonic one: their offset is constant over a test, and
 * jitter only uses differences of transit times.
 */
void nr__wl_udp_stream_recv(struct nr__wl_flow *f)
{
	size_t size = f->sh->p->size > NR_WL_UDP_HDR ? (size_t)f->sh->p->size : NR_WL_UDP_HDR;
	char *bufs = nr_xmalloc(size * BATCH);
	char (*ctl)[CMSG_SPACE(sizeof(struct timespec))] = nr_xmalloc(sizeof(*ctl) * BATCH);
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t bytes = 0;
	bool stamps = false;
	int one = 1, i;

	/* with no kernel time stamps, every arrival is timed by the monotonic clock */
	stamps = setsockopt(f->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) == 0;
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs + (size_t)i * size;
		iov[i].iov_len = size;
	}
	for (;;) {
		bool got = false;
		int64_t now;
		int n;

		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(f->fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) {
				if (nr__wl_should_quit(f))
					break;
				continue;
			}
			nr__wl_flow_fail(f, -errno, "recv: %s", strerror(errno));
			break;
		}
		now = nr_mono_us();
		for (i = 0; i < n; i++) {
			struct nr__wl_udp_rx *st;
			struct udp_hdr h;
			int64_t transit, arrival;

			if (msgs[i].msg_len < sizeof(h))
				continue;
			memcpy(&h, iov[i].iov_base, sizeof(h));
			if (h.magic != NR__WL_UDP_MAGIC || h.flow >= f->n_udp ||
			    (h.flags & NR__WL_UDP_HELLO))
				continue; /* not ours */
			st = &f->udp[h.flow];
			if (h.flags & NR__WL_UDP_FIN) {
				st->fin = true;
				continue;
			}
			bytes += msgs[i].msg_len;
			st->received++;
			if (h.seq >= st->next_seq)
				st->next_seq = h.seq + 1;
			else
				st->reordered++;
			got = true;
			/* RFC 3550 6.4.1: J += (|D| - J) / 16 */
			arrival = stamps ? rx_time_us(&msgs[i].msg_hdr, INT64_MIN) : now;
			if (arrival == INT64_MIN)
				continue; /* clocks must not be mixed */
			transit = arrival - h.send_us;
			if (st->any) {
				int64_t dt = transit - st->last_transit_us;

				st->jitter_us += ((double)(dt < 0 ? -dt : dt) - st->jitter_us) / 16;
			}
			st->last_transit_us = transit;
			st->any = true;
		}
		if (got) {
			NR__STORE(f->bytes, bytes);
			NR__STORE(f->last_us, now);
		}
		if (all_fin(f))
			break;
	}
	free(ctl);
	free(bufs);
}
