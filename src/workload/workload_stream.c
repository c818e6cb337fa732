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

void nr__wl_stream_send(struct nr__wl_flow *f)
{
	const struct nr_wl_params *p = f->sh->p;
	bool udp = p->kind == NR_WL_UDP_STREAM;
	size_t size = (size_t)p->size;
	char *buf = nr_xmalloc(size);
	int64_t start_ns = f->sh->start_us * 1000, deadline_ns = f->sh->deadline_us * 1000;
	double gap_ns = 0;
	uint64_t writes = 0, bytes = 0;

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
		if (udp) {
			nr__wl_udp_hdr(buf, f->id, writes, now / 1000, 0);
			n = send_dgram(f, buf, size);
		} else {
			n = send(f->fd, buf, size, MSG_NOSIGNAL);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			nr__wl_flow_fail(f, -errno, "flow %u: send: %s%s", f->id, strerror(errno),
					 errno == ECONNREFUSED ? " (the server's port is closed)" : "");
			break;
		}
		writes++;
		bytes += (uint64_t)n;
		NR__STORE(f->bytes, bytes);
	}
	if (udp) {
		int i;

		f->packets_sent = writes;
		/* the end marker; three, so one lost datagram does not cost the drain time */
		for (i = 0; i < 3; i++) {
			nr__wl_udp_hdr(buf, f->id, writes, nr_mono_us(), NR__WL_UDP_FIN);
			send_dgram(f, buf, NR_WL_UDP_HDR);
		}
	} else {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (getsockopt(f->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
			f->retransmits = ti.tcpi_total_retrans;
			f->rtt_us = ti.tcpi_rtt;
			f->have_tcpi = true;
		}
		shutdown(f->fd, SHUT_WR);
	}
	free(buf);
}

void nr__wl_stream_recv(struct nr__wl_flow *f)
{
	size_t size = 256 * 1024;
	char *buf = nr_xmalloc(size);
	uint64_t bytes = 0;

	for (;;) {
		ssize_t n = recv(f->fd, buf, size, 0);

		if (n > 0) {
			bytes += (uint64_t)n;
			NR__STORE(f->bytes, bytes);
			NR__STORE(f->last_us, nr_mono_us());
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

void nr__wl_udp_stream_recv(struct nr__wl_flow *f)
{
	char *buf = nr_xmalloc(65536);
	uint64_t bytes = 0;

	for (;;) {
		ssize_t n = recv(f->fd, buf, 65536, 0);
		struct nr__wl_udp_rx *st;
		struct udp_hdr h;
		int64_t now, transit;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) {
				if (nr__wl_should_quit(f))
					break;
				continue;
			}
			nr__wl_flow_fail(f, -errno, "recv: %s", strerror(errno));
			break;
		}
		if ((size_t)n < sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		if (h.magic != NR__WL_UDP_MAGIC || h.flow >= f->n_udp)
			continue; /* not ours */
		if (h.flags & NR__WL_UDP_HELLO)
			continue;
		st = &f->udp[h.flow];
		now = nr_mono_us();
		if (h.flags & NR__WL_UDP_FIN) {
			st->fin = true;
			if (all_fin(f))
				break;
			continue;
		}
		bytes += (uint64_t)n;
		NR__STORE(f->bytes, bytes);
		NR__STORE(f->last_us, now);
		st->received++;
		if (h.seq >= st->next_seq)
			st->next_seq = h.seq + 1;
		else
			st->reordered++;
		/* RFC 3550 6.4.1: J += (|D| - J) / 16; clock offsets cancel in D */
		transit = now - h.send_us;
		if (st->any) {
			int64_t dt = transit - st->last_transit_us;

			st->jitter_us += ((double)(dt < 0 ? -dt : dt) - st->jitter_us) / 16;
		}
		st->last_transit_us = transit;
		st->any = true;
	}
	free(buf);
}
