/*
 * Shared inside src/pkt/ only: AF_PACKET sockets with their rings, and
 * the once-a-second ticker the loops share.
 */
#ifndef NR_PKT_INT_H
#define NR_PKT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pkt/pkt.h"

/* An interface by name: its index, MTU and whether it is up. */
struct nr__pkt_if {
	char name[16];
	int index;
	int mtu;
};

int nr__pkt_if_get(const char *name, struct nr__pkt_if *ret, struct nr_diag *d);

/*
 * A TPACKET_V3 receive ring on one interface, bound to every protocol,
 * in promiscuous mode, blind to the frames sent from this host
 * (PACKET_IGNORE_OUTGOING, else filtered by packet type).
 */
struct nr__pkt_rx {
	int fd;
	uint8_t *map;
	size_t map_len;
	unsigned block_size, n_blocks, cur;
	bool ignore_outgoing; /* the kernel filters them; else the loops skip PACKET_OUTGOING */
	uint64_t drops;       /* PACKET_STATISTICS tp_drops, summed (reading resets them) */
};

int nr__pkt_rx_open(struct nr__pkt_rx *rx, const struct nr__pkt_if *ifc, struct nr_diag *d);
void nr__pkt_rx_close(struct nr__pkt_rx *rx);

/* One received frame, pointing into the ring. */
struct nr__pkt_frame {
	const uint8_t *data;
	uint32_t caplen, len;
	int64_t ts_ns;
	bool outgoing;
};

/*
 * The frames of the next block the kernel handed over, at most `max`
 * into f: how many (0 when no block is ready). The block stays ours
 * until nr__pkt_rx_release(); frames are valid until then.
 */
size_t nr__pkt_rx_block(struct nr__pkt_rx *rx, struct nr__pkt_frame *f, size_t max);
void nr__pkt_rx_release(struct nr__pkt_rx *rx);
/* Frames in the current block, for sizing the array given to nr__pkt_rx_block(). */
#define NR__PKT_RX_FRAMES_MAX 16384
/* Read and sum PACKET_STATISTICS' drops. */
void nr__pkt_rx_stats(struct nr__pkt_rx *rx);

/*
 * A sending socket: with a TPACKET_V2 transmit ring (`ring`), or plain
 * for sendmmsg(). Bound to the interface with protocol 0, so it receives
 * nothing.
 */
struct nr__pkt_tx {
	int fd;
	bool ring;
	uint8_t *map;
	size_t map_len;
	unsigned frame_size, n_frames, cur;
	unsigned data_off;   /* where a frame's bytes start in its slot */
	unsigned pending;    /* slots marked for sending since the last kick */
	size_t max_frame;    /* the largest frame the slots hold */
};

int nr__pkt_tx_open(struct nr__pkt_tx *tx, const struct nr__pkt_if *ifc, bool ring,
		    size_t max_frame, bool qdisc_bypass, struct nr_diag *d);
void nr__pkt_tx_close(struct nr__pkt_tx *tx);
/*
 * The next free slot of the ring to write a frame of up to max_frame
 * bytes into, or NULL when every slot still waits for the kernel (then
 * kick and try again).
 */
uint8_t *nr__pkt_tx_slot(struct nr__pkt_tx *tx);
/* Mark the slot nr__pkt_tx_slot() gave as a frame of len bytes to send. */
void nr__pkt_tx_commit(struct nr__pkt_tx *tx, uint8_t *slot, size_t len);
/*
 * Have the kernel send the committed slots (blocking until it took them
 * all). The frames sent and those it refused are added to *ret_sent and
 * *ret_errors. -errno for an error of the socket itself.
 */
int nr__pkt_tx_kick(struct nr__pkt_tx *tx, uint64_t *ret_sent, uint64_t *ret_errors);
/* sendmmsg() of n frames: how many the kernel took, or -errno when none. */
int nr__pkt_tx_sendmmsg(struct nr__pkt_tx *tx, struct mmsghdr *msgs, unsigned n);

/*
 * The forwarder on AF_XDP (pkt_xdp.c). NR_EUNSUPPORTED with the reason in
 * d when the kernel, the driver or the rights do not allow it here; other
 * errors are the forwarder's.
 */
int nr__pkt_fwd_xdp(const struct nr_pkt_fwd_opts *o, struct nr_pkt_fwd_result *ret,
		    struct nr_diag *d);

/* Calls o's tick callback once a second. */
struct nr__pkt_ticker {
	int64_t next_us;
	nr_pkt_tick_fn *fn;
	void *ctx;
};

void nr__pkt_ticker_init(struct nr__pkt_ticker *t, nr_pkt_tick_fn *fn, void *ctx, int64_t now_us);
void nr__pkt_ticker_poll(struct nr__pkt_ticker *t, int64_t now_us, const char *const *ifnames,
			 const struct nr_pkt_counters *c, size_t n);

#endif
