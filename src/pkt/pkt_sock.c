/*
 * AF_PACKET sockets with PACKET_MMAP rings (Documentation/networking/
 * packet_mmap.rst in the kernel): a TPACKET_V3 receive ring, whose blocks
 * the kernel hands over whole (one wake-up per block, not per frame), and
 * a TPACKET_V2 transmit ring, whose slots are marked and sent with one
 * send() for many frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/clock.h"
#include "pkt/pkt_int.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

/*
 * Receive ring: 128 blocks of 256 KiB, up to 2,000 small frames each. A
 * block is handed over full or when it times out, so at a given rate the
 * ring holds blocks x min(frames per block, rate x timeout) frames: many
 * smaller blocks hold more than few large ones.
 */
#define RX_BLOCK_SIZE (256u << 10)
#define RX_BLOCKS 128
#define RX_FRAME_SIZE 2048 /* only for the kernel's arithmetic: V3 frames are packed */
/* A block is handed over when full or after this long (ms), so a trickle is not held back. */
#define RX_RETIRE_MS 2
/* Transmit ring: at most this many bytes, and this many slots. */
#define TX_RING_BYTES (16u << 20)
#define TX_SLOTS_MAX 4096u

int nr__pkt_if_get(const char *name, struct nr__pkt_if *ret, struct nr_diag *d)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if (strlen(name) >= sizeof(ifr.ifr_name) || !*name)
		return nr_diagf(d, NR_EINVAL, "'%s' is not an interface name", name);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nr_diagf(d, -errno, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, name, strlen(name));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		rc = nr_diagf(d, -errno, "interface %s: %s", name, errno == ENODEV ?
			      "no such interface here (in this network namespace)" : strerror(errno));
		goto out;
	}
	ret->index = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		rc = nr_diagf(d, -errno, "interface %s: MTU: %s", name, strerror(errno));
		goto out;
	}
	ret->mtu = ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		rc = nr_diagf(d, -errno, "interface %s: flags: %s", name, strerror(errno));
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP))
		rc = nr_diagf(d, NR_EINVAL, "interface %s is down", name);
out:
	close(fd);
	return rc;
}

static int bind_if(int fd, const struct nr__pkt_if *ifc, unsigned short proto, struct nr_diag *d)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = ifc->index;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return nr_diagf(d, -errno, "binding to %s: %s", ifc->name, strerror(errno));
	return 0;
}

static int packet_socket(const char *ifname, struct nr_diag *d)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return nr_diagf(d, -errno, "AF_PACKET socket for %s: %s%s", ifname, strerror(errno),
				errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
	return fd;
}

int nr__pkt_rx_open(struct nr__pkt_rx *rx, const struct nr__pkt_if *ifc, struct nr_diag *d)
{
	struct tpacket_req3 req;
	struct packet_mreq mr;
	int v = TPACKET_V3, one = 1, rc;

	memset(rx, 0, sizeof(*rx));
	/* protocol 0: nothing arrives until bind names ETH_P_ALL, after the ring is there */
	rx->fd = packet_socket(ifc->name, d);
	if (rx->fd < 0)
		return rx->fd;
	if (setsockopt(rx->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		rc = nr_diagf(d, -errno, "%s: TPACKET_V3: %s", ifc->name, strerror(errno));
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = RX_BLOCK_SIZE;
	req.tp_block_nr = RX_BLOCKS;
	req.tp_frame_size = RX_FRAME_SIZE;
	req.tp_frame_nr = RX_BLOCK_SIZE / RX_FRAME_SIZE * RX_BLOCKS;
	req.tp_retire_blk_tov = RX_RETIRE_MS;
	if (setsockopt(rx->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		rc = nr_diagf(d, -errno, "%s: receive ring: %s", ifc->name, strerror(errno));
		goto fail;
	}
	rx->block_size = req.tp_block_size;
	rx->n_blocks = req.tp_block_nr;
	rx->map_len = (size_t)rx->block_size * rx->n_blocks;
	rx->map = mmap(NULL, rx->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       rx->fd, 0);
	if (rx->map == MAP_FAILED) {
		rx->map = NULL;
		rc = nr_diagf(d, -errno, "%s: mapping the receive ring: %s", ifc->name, strerror(errno));
		goto fail;
	}
	/* frames this host sends (fwd's own, in both directions) must not come back in */
	rx->ignore_outgoing = setsockopt(rx->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
					 sizeof(one)) == 0;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifc->index;
	mr.mr_type = PACKET_MR_PROMISC;
	/* veth passes every frame up anyway; a NIC filters by MAC without this */
	if (setsockopt(rx->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		rc = nr_diagf(d, -errno, "%s: promiscuous mode: %s", ifc->name, strerror(errno));
		goto fail;
	}
	if ((rc = bind_if(rx->fd, ifc, ETH_P_ALL, d)) < 0)
		goto fail;
	return 0;
fail:
	nr__pkt_rx_close(rx);
	return rc;
}

void nr__pkt_rx_close(struct nr__pkt_rx *rx)
{
	if (rx->map)
		munmap(rx->map, rx->map_len);
	if (rx->fd > 0)
		close(rx->fd);
	memset(rx, 0, sizeof(*rx));
	rx->fd = -1;
}

size_t nr__pkt_rx_block(struct nr__pkt_rx *rx, struct nr__pkt_frame *f, size_t max)
{
	struct tpacket_block_desc *b = (void *)(rx->map + (size_t)rx->cur * rx->block_size);
	struct tpacket3_hdr *h;
	size_t i, n;

	if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return 0;
	n = b->hdr.bh1.num_pkts;
	if (n > max)
		n = max;
	h = (void *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
	for (i = 0; i < n; i++) {
		const struct sockaddr_ll *sll =
			(const void *)((uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));

		f[i].data = (const uint8_t *)h + h->tp_mac;
		f[i].caplen = h->tp_snaplen;
		f[i].len = h->tp_len;
		f[i].ts_ns = (int64_t)h->tp_sec * 1000000000 + h->tp_nsec;
		f[i].outgoing = sll->sll_pkttype == PACKET_OUTGOING;
		h = (void *)((uint8_t *)h + h->tp_next_offset);
	}
	/* a block with no frame (retired empty) is handed back by the caller like any other */
	return n ? n : (nr__pkt_rx_release(rx), 0);
}

void nr__pkt_rx_release(struct nr__pkt_rx *rx)
{
	struct tpacket_block_desc *b = (void *)(rx->map + (size_t)rx->cur * rx->block_size);

	__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	rx->cur = (rx->cur + 1) % rx->n_blocks;
}

void nr__pkt_rx_stats(struct nr__pkt_rx *rx)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(rx->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		rx->drops += st.tp_drops;
}

static unsigned pow2_at_least(size_t n)
{
	unsigned v = 64;

	while (v < n)
		v <<= 1;
	return v;
}

int nr__pkt_tx_open(struct nr__pkt_tx *tx, const struct nr__pkt_if *ifc, bool ring,
		    size_t max_frame, bool qdisc_bypass, struct nr_diag *d)
{
	struct tpacket_req req;
	int v = TPACKET_V2, one = 1, rc;
	unsigned block;

	memset(tx, 0, sizeof(*tx));
	tx->ring = ring;
	tx->max_frame = max_frame;
	if (max_frame > (size_t)ifc->mtu + NR_PKT_ETH_HDR)
		return nr_diagf(d, NR_EINVAL, "frames of %zu bytes do not fit %s's MTU of %d (they need %zu)",
				max_frame, ifc->name, ifc->mtu, max_frame - NR_PKT_ETH_HDR);
	tx->fd = packet_socket(ifc->name, d);
	if (tx->fd < 0)
		return tx->fd;
	if (qdisc_bypass &&
	    setsockopt(tx->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
		rc = nr_diagf(d, -errno, "%s: PACKET_QDISC_BYPASS: %s", ifc->name, strerror(errno));
		goto fail;
	}
	if (ring) {
		if (setsockopt(tx->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
			rc = nr_diagf(d, -errno, "%s: TPACKET_V2: %s", ifc->name, strerror(errno));
			goto fail;
		}
		tx->data_off = TPACKET_ALIGN(sizeof(struct tpacket2_hdr));
		tx->frame_size = pow2_at_least(tx->data_off + max_frame);
		tx->n_frames = TX_RING_BYTES / tx->frame_size;
		if (tx->n_frames > TX_SLOTS_MAX)
			tx->n_frames = TX_SLOTS_MAX;
		block = tx->frame_size < 65536 ? 65536 : tx->frame_size;
		memset(&req, 0, sizeof(req));
		req.tp_block_size = block;
		req.tp_frame_size = tx->frame_size;
		req.tp_block_nr = tx->n_frames * tx->frame_size / block;
		req.tp_frame_nr = req.tp_block_nr * (block / tx->frame_size);
		tx->n_frames = req.tp_frame_nr;
		if (setsockopt(tx->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
			rc = nr_diagf(d, -errno, "%s: transmit ring: %s", ifc->name, strerror(errno));
			goto fail;
		}
		tx->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
		tx->map = mmap(NULL, tx->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			       tx->fd, 0);
		if (tx->map == MAP_FAILED) {
			tx->map = NULL;
			rc = nr_diagf(d, -errno, "%s: mapping the transmit ring: %s", ifc->name,
				      strerror(errno));
			goto fail;
		}
	}
	if ((rc = bind_if(tx->fd, ifc, 0, d)) < 0)
		goto fail;
	return 0;
fail:
	nr__pkt_tx_close(tx);
	return rc;
}

void nr__pkt_tx_close(struct nr__pkt_tx *tx)
{
	if (tx->map)
		munmap(tx->map, tx->map_len);
	if (tx->fd > 0)
		close(tx->fd);
	memset(tx, 0, sizeof(*tx));
	tx->fd = -1;
}

uint8_t *nr__pkt_tx_slot(struct nr__pkt_tx *tx)
{
	struct tpacket2_hdr *h = (void *)(tx->map + (size_t)tx->cur * tx->frame_size);
	unsigned st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

	/* TP_STATUS_WRONG_FORMAT frames were counted by the kick that met them */
	if (st != TP_STATUS_AVAILABLE && st != TP_STATUS_WRONG_FORMAT)
		return NULL;
	return (uint8_t *)h + tx->data_off;
}

void nr__pkt_tx_commit(struct nr__pkt_tx *tx, uint8_t *slot, size_t len)
{
	struct tpacket2_hdr *h = (void *)(slot - tx->data_off);

	h->tp_len = (uint32_t)len;
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	tx->cur = (tx->cur + 1) % tx->n_frames;
	tx->pending++;
}

int nr__pkt_tx_kick(struct nr__pkt_tx *tx, uint64_t *ret_sent, uint64_t *ret_errors)
{
	unsigned i, k, bad = 0;
	ssize_t n;
	int err = 0;

	if (!tx->pending)
		return 0;
	do
		n = send(tx->fd, NULL, 0, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno;
	/*
	 * The kernel marks a frame it refused TP_STATUS_WRONG_FORMAT only
	 * with PACKET_LOSS set; without it the send fails. Either way look at
	 * the slots just sent to count what went.
	 */
	for (i = 0, k = (tx->cur + tx->n_frames - tx->pending) % tx->n_frames; i < tx->pending;
	     i++, k = (k + 1) % tx->n_frames) {
		struct tpacket2_hdr *h = (void *)(tx->map + (size_t)k * tx->frame_size);
		unsigned st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

		if (st == TP_STATUS_SEND_REQUEST || st == TP_STATUS_WRONG_FORMAT) {
			/* not taken: give the slot back, count the frame as refused */
			__atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
			bad++;
		}
	}
	*ret_sent += tx->pending - bad;
	*ret_errors += bad;
	tx->pending = 0;
	if (n < 0 && bad == 0)
		return -err;
	return 0;
}

int nr__pkt_tx_sendmmsg(struct nr__pkt_tx *tx, struct mmsghdr *msgs, unsigned n)
{
	int r;

	do
		r = sendmmsg(tx->fd, msgs, n, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

void nr__pkt_ticker_init(struct nr__pkt_ticker *t, nr_pkt_tick_fn *fn, void *ctx, int64_t now_us)
{
	t->fn = fn;
	t->ctx = ctx;
	t->next_us = now_us + 1000000;
}

void nr__pkt_ticker_poll(struct nr__pkt_ticker *t, int64_t now_us, const char *const *ifnames,
			 const struct nr_pkt_counters *c, size_t n)
{
	if (!t->fn || now_us < t->next_us)
		return;
	t->fn(t->ctx, now_us, ifnames, c, n);
	/* on the second, not a second after this call: the lines do not drift */
	while (t->next_us <= now_us)
		t->next_us += 1000000;
}
