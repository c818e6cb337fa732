/*
 * Packet tools (`netrig pkt gen|fwd|pcap|check`, docs/pkt.md): what
 * ixy-ci does to a packet-processing application, on Linux interfaces.
 *
 * A generator sends sequence-numbered frames laid out exactly as
 * ixy-pktgen's; a forwarder passes them from one interface to another; a
 * capture writes what arrives into a classic libpcap file; the check
 * applies ixy-ci's rules to that file and measures loss, duplicates and
 * reordering. Frames go through AF_PACKET sockets with PACKET_MMAP rings
 * (TPACKET_V3 to receive, sendmmsg or a TPACKET_V2 ring to send), or
 * AF_XDP when asked and the kernel and driver allow it.
 *
 * Files by concern: pkt_frame.c (layout), pkt_pcap.c (the file formats),
 * pkt_check.c (the rules), pkt_sock.c (sockets and rings), pkt_gen.c,
 * pkt_fwd.c, pkt_cap.c (the three loops). Nothing here prints; the loops
 * report through a callback once a second and return their counters.
 */
#ifndef NR_PKT_H
#define NR_PKT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * The lines `pkt fwd` and `pkt pcap` print once they are in place: a
 * `workload: packet_pipeline` role is ready when a line starts with its
 * own (campaign_pipeline.c waits for "^" the same string).
 */
#define NR_PKT_READY_FWD "forwarding "
#define NR_PKT_READY_PCAP "capturing "

/* ---- frames ---- */

#define NR_PKT_MIN_SIZE 60   /* ixy-pktgen's PKT_SIZE: the shortest Ethernet frame without FCS */
#define NR_PKT_MAX_SIZE 9000 /* a jumbo frame */
#define NR_PKT_ETH_HDR 14
#define NR_PKT_IP_HDR 20
#define NR_PKT_UDP_HDR 8
/*
 * Every byte of an Ethernet frame on a wire beside the frame itself: FCS
 * (4), preamble and SFD (8), inter-frame gap (12). ixy's Mbit/s lines
 * count them (its NIC byte counters include the FCS, and it adds 20), so
 * 60-byte frames at 14.88 Mpps read as 10000 Mbit/s.
 */
#define NR_PKT_WIRE_EXTRA 24

/* The fields of a generated frame; nr_pkt_template_ixy() gives ixy-pktgen's. */
struct nr_pkt_template {
	uint8_t dst_mac[6];  /* 01:02:03:04:05:06 */
	uint8_t src_mac[6];  /* 10:10:10:10:10:10 */
	uint32_t src_ip;     /* host byte order; 10.0.0.1 */
	uint32_t dst_ip;     /* 10.0.0.2 */
	uint16_t src_port;   /* 42 */
	uint16_t dst_port;   /* 1337 */
	size_t size;         /* frame bytes without FCS, NR_PKT_MIN_SIZE..NR_PKT_MAX_SIZE */
};

/* ixy-pktgen's frame of `size` bytes (60 is ixy's own). */
void nr_pkt_template_ixy(struct nr_pkt_template *t, size_t size);

/* The UDP length of a frame of `size` bytes: size - 34 (26 for 60). */
static inline unsigned nr_pkt_udp_len(size_t size)
{
	return (unsigned)(size - NR_PKT_ETH_HDR - NR_PKT_IP_HDR);
}

/*
 * Write t's frame with sequence number 0 into frame (t->size bytes): as
 * ixy-pktgen's template, IPv4 total length size - 14, UDP length size -
 * 34, UDP checksum 0 (none), payload "ixy" then zeros; the IPv4 header
 * checksum computed. The sequence number is the frame's last 4 bytes.
 */
void nr_pkt_frame_build(const struct nr_pkt_template *t, uint8_t *frame);

/* Set the sequence number: little-endian u32 in the last 4 bytes (ixy writes host order on x86). */
static inline void nr_pkt_frame_set_seq(uint8_t *frame, size_t size, uint32_t seq)
{
	frame[size - 4] = (uint8_t)seq;
	frame[size - 3] = (uint8_t)(seq >> 8);
	frame[size - 2] = (uint8_t)(seq >> 16);
	frame[size - 1] = (uint8_t)(seq >> 24);
}

/* "01:02:03:04:05:06" (also with '-'); NR_EINVAL otherwise. */
int nr_pkt_parse_mac(const char *s, uint8_t ret[6]);
/* Dotted IPv4 into host byte order; NR_EINVAL otherwise. */
int nr_pkt_parse_ipv4(const char *s, uint32_t *ret);

/* What a frame is, as ixy-ci's check sees it (etherparse's SlicedPacket). */
enum nr_pkt_kind {
	NR_PKT_OTHER = 0, /* not UDP (ARP, ICMP, TCP, IPv6 neighbour discovery...): ignored */
	NR_PKT_UDP,       /* UDP over IPv4 or IPv6, optionally behind VLAN tags */
	NR_PKT_BAD,       /* a header the frame claims is cut short or impossible */
};

struct nr_pkt_udp_view {
	unsigned udp_len;       /* the UDP header's length field */
	const uint8_t *payload; /* after the UDP header */
	size_t payload_len;     /* udp_len - 8, or less when the capture is shorter */
	const char *why;        /* NR_PKT_BAD: what is wrong, for messages */
};

/* Classify `len` captured bytes; *ret filled for NR_PKT_UDP and (why) NR_PKT_BAD. */
enum nr_pkt_kind nr_pkt_frame_udp(const uint8_t *frame, size_t len, struct nr_pkt_udp_view *ret);

/* ---- pcap files ---- */

#define NR_PKT_PCAP_MAGIC 0xa1b2c3d4u    /* microsecond time stamps */
#define NR_PKT_PCAP_MAGIC_NS 0xa1b23c4du /* nanosecond time stamps */
#define NR_PKT_PCAPNG_SHB 0x0a0d0d0au    /* a pcapng section header block */
#define NR_PKT_SNAPLEN 65535
#define NR_PKT_LINKTYPE_ETHERNET 1
/* A record larger than this is taken for a corrupt file, not allocated. */
#define NR_PKT_RECORD_MAX (256u * 1024)

struct nr_pkt_record {
	int64_t ts_ns;       /* time stamp since the epoch, in nanoseconds */
	uint32_t caplen;     /* bytes in data */
	uint32_t origlen;    /* bytes the frame had on the wire */
	const uint8_t *data; /* valid until the next call */
};

enum nr_pkt_file_format {
	NR_PKT_FILE_PCAP,    /* classic libpcap */
	NR_PKT_FILE_PCAPNG,  /* pcapng (tshark's and dumpcap's default) */
};

/* A pcap or pcapng file, read record by record (the file is never held whole). */
struct nr_pkt_reader {
	void *f;             /* FILE *, opened here */
	char *name;          /* for messages */
	enum nr_pkt_file_format format;
	bool swapped;        /* written in the other byte order */
	bool nanosecond;     /* pcap: the nanosecond magic */
	unsigned version_major, version_minor; /* pcap */
	uint32_t snaplen;    /* pcap; pcapng: of the first interface */
	uint32_t linktype;   /* pcap; pcapng: of the first interface */
	uint64_t records;    /* read so far */
	uint64_t offset;     /* bytes read so far */
	uint8_t *buf;        /* the current record (or block) */
	size_t cap;
	/* pcapng: per interface of the current section, its link type and ticks per second */
	uint32_t *if_linktype;
	uint64_t *if_tps;
	size_t n_ifs, cap_ifs;
};

/*
 * Open `path` and read its header. Errors (NR_EPARSE, or -errno, message
 * in d naming the file): an empty file, one cut short in its header, a
 * magic that is neither pcap's (either byte order, micro- or nanosecond)
 * nor pcapng's, a link type that is not Ethernet.
 */
int nr_pkt_reader_open(struct nr_pkt_reader *r, const char *path, struct nr_diag *d);
/* The same over `len` bytes in memory (tests, fuzzing); `name` names it in messages. */
int nr_pkt_reader_open_mem(struct nr_pkt_reader *r, const void *data, size_t len,
			   const char *name, struct nr_diag *d);
/*
 * The next frame: 1 and *ret, 0 at the end of the file, NR_EPARSE for a
 * record cut short or impossible (naming its number and offset).
 */
int nr_pkt_reader_next(struct nr_pkt_reader *r, struct nr_pkt_record *ret, struct nr_diag *d);
void nr_pkt_reader_close(struct nr_pkt_reader *r);

/*
 * A classic libpcap file as ixy-pcap writes it: magic 0xa1b2c3d4 in this
 * machine's byte order, version 2.4, thiszone 0, sigfigs 0, snaplen 65535,
 * link type 1 (Ethernet), microsecond time stamps. Records are buffered
 * and written out at least by nr_pkt_writer_flush().
 */
struct nr_pkt_writer {
	int fd;
	char *path;
	uint8_t *buf;
	size_t len, cap;
	uint64_t records;
};

int nr_pkt_writer_open(struct nr_pkt_writer *w, const char *path, struct nr_diag *d);
/* Append one frame; caplen is cut to the snaplen. */
int nr_pkt_writer_add(struct nr_pkt_writer *w, int64_t ts_ns, const uint8_t *data,
		      uint32_t caplen, uint32_t origlen, struct nr_diag *d);
int nr_pkt_writer_flush(struct nr_pkt_writer *w, struct nr_diag *d);
/* Flush and close; the writer is released either way. */
int nr_pkt_writer_close(struct nr_pkt_writer *w, struct nr_diag *d);

/* ---- the check ---- */

/*
 * The rules in ixy-ci's order (ixy-languages/ixy-ci src/pcap_tester.rs);
 * the first that fails is the verdict.
 */
enum nr_pkt_rule {
	NR_PKT_RULE_PASS = 0,
	NR_PKT_RULE_FRAME,     /* a frame that cannot be parsed (ixy-ci's EtherParse) */
	NR_PKT_RULE_MALFORMED, /* a UDP frame whose length is wrong or whose payload lacks "ixy" */
	NR_PKT_RULE_ORDER,     /* with in_order: a number not above the one before (ixy-ci's earlier rule) */
	NR_PKT_RULE_COUNT,     /* UDP frames != N */
	NR_PKT_RULE_MAX_SEQ,   /* not N-1 <= max sequence <= 2N */
	NR_PKT_RULE_DUPLICATE, /* a sequence number more than once */
};

/* "pass", "frame", "malformed", "order", "count", "max_seq", "duplicate" */
const char *nr_pkt_rule_name(enum nr_pkt_rule r);

struct nr_pkt_check_opts {
	uint64_t sent;   /* N: the frames the capture was told to take (ixy-ci's PCAP_N), >= 1 */
	size_t size;     /* frame size the generator used (0: 60, ixy's): UDP length size - 34 */
	/*
	 * Also ixy-ci's ordering rule, which it disabled because OpenStack
	 * reordered: every number above the one before, checked frame by
	 * frame like the malformed rule.
	 */
	bool in_order;
};

struct nr_pkt_check {
	enum nr_pkt_rule rule;   /* the first rule that failed, or PASS */
	char message[512];       /* its message (ixy-ci's words), "" on PASS */
	uint64_t frames;         /* records in the file */
	uint64_t udp;            /* well-formed ixy frames: ixy-ci's count */
	uint64_t ignored;        /* frames that are not UDP */
	uint64_t malformed;      /* UDP frames with the wrong length or payload, and unparsable ones */
	uint64_t unique;         /* distinct sequence numbers */
	uint64_t duplicates;     /* frames whose sequence number came before */
	/*
	 * Frames that arrived after one with a higher sequence number
	 * (duplicates excluded), and the largest reordering extent among them
	 * (RFC 4737: how many frames earlier the first later-numbered one
	 * arrived).
	 */
	uint64_t reordered;
	uint64_t reorder_extent_max;
	/* sequence numbers 0..max_seq that never arrived: the generator starts at 0 */
	uint64_t lost;
	double loss_percent;     /* lost / (max_seq + 1) * 100 */
	uint32_t first_seq, last_seq; /* in file order */
	uint32_t min_seq, max_seq;
	int64_t first_ts_ns, last_ts_ns; /* of the first and last ixy frame */
	uint64_t bytes;          /* frame bytes of the ixy frames (as on the wire, without FCS) */
};

/*
 * Check a pcap or pcapng file. 0 when the file could be read to its end
 * (the verdict is in ret->rule, with its message), NR_EPARSE or -errno
 * with a message in d when it could not (then nothing is judged).
 */
int nr_pkt_check_file(const char *path, const struct nr_pkt_check_opts *o,
		      struct nr_pkt_check *ret, struct nr_diag *d);

/* The same, frame by frame, for callers holding the frames (tests). */
struct nr_pkt_checker;
struct nr_pkt_checker *nr_pkt_checker_new(const struct nr_pkt_check_opts *o);
void nr_pkt_checker_add(struct nr_pkt_checker *c, int64_t ts_ns, const uint8_t *frame,
			size_t caplen, size_t origlen);
/* Judge what was added; the checker is freed. */
void nr_pkt_checker_finish(struct nr_pkt_checker *c, struct nr_pkt_check *ret);

/* ---- the loops: generator, forwarder, capture ---- */

enum nr_pkt_method {
	NR_PKT_AUTO = 0,    /* the best that works here (see each loop) */
	NR_PKT_TX_RING,     /* AF_PACKET, PACKET_MMAP TPACKET_V2 transmit ring */
	NR_PKT_SENDMMSG,    /* AF_PACKET, sendmmsg() of a batch */
	NR_PKT_XDP,         /* AF_XDP (fwd, only when asked), native mode, copy */
};

/* "auto", "tx_ring", "sendmmsg", "xdp"; NULL otherwise */
const char *nr_pkt_method_name(enum nr_pkt_method m);
int nr_pkt_method_parse(const char *s, enum nr_pkt_method *ret);

/* Counters of one interface, as the loops keep them. */
struct nr_pkt_counters {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_dropped; /* frames the kernel dropped for a full receive ring (PACKET_STATISTICS) */
	uint64_t tx_errors;  /* frames the kernel refused to send */
	uint64_t tx_dropped; /* fwd: frames dropped for a full transmit queue or ring */
};

/* Called about once a second with the counters so far, per interface. */
typedef void nr_pkt_tick_fn(void *ctx, int64_t now_us, const char *const *ifnames,
			    const struct nr_pkt_counters *c, size_t n);

struct nr_pkt_gen_opts {
	const char *ifname;
	struct nr_pkt_template frame;
	uint64_t count;       /* frames to send; 0: no limit (then duration bounds it) */
	double rate;          /* frames per second; 0: as fast as possible */
	unsigned batch;       /* frames per system call, 1..NR_PKT_BATCH_MAX */
	int64_t duration_us;  /* 0: no limit (then count bounds it) */
	uint32_t first_seq;   /* 0, as ixy */
	enum nr_pkt_method method;   /* AUTO: sendmmsg (measured faster on veth) */
	bool qdisc_bypass;    /* PACKET_QDISC_BYPASS: skip the interface's qdisc (and a netem on it) */
	const volatile sig_atomic_t *stop; /* set (by a signal handler): end now */
	nr_pkt_tick_fn *tick;
	void *tick_ctx;
	/* called once the socket is ready, before the first frame */
	void (*ready)(void *ctx, const char *method);
};

#define NR_PKT_BATCH_MAX 1024

struct nr_pkt_gen_result {
	struct nr_pkt_counters c;
	uint64_t sent;        /* frames handed to the kernel */
	uint32_t next_seq;    /* the sequence number the next frame would carry */
	int64_t duration_us;  /* first frame to last send */
	bool stopped;         /* by *stop, not by count or duration */
	enum nr_pkt_method method;
};

int nr_pkt_gen(const struct nr_pkt_gen_opts *o, struct nr_pkt_gen_result *ret,
	       struct nr_diag *d);

struct nr_pkt_fwd_opts {
	const char *in, *out;
	bool bidirectional;   /* also out -> in */
	enum nr_pkt_method method;   /* AUTO: sendmmsg; or tx_ring, sendmmsg, xdp */
	unsigned batch;       /* frames per transmit, 1..NR_PKT_BATCH_MAX */
	int64_t duration_us;  /* 0: until *stop */
	const volatile sig_atomic_t *stop;
	nr_pkt_tick_fn *tick;
	void *tick_ctx;
	/* once forwarding has started */
	void (*ready)(void *ctx, const char *method);
};

struct nr_pkt_fwd_result {
	struct nr_pkt_counters c[2]; /* in, out */
	uint64_t forwarded;   /* frames sent on, both directions */
	uint64_t dropped;     /* frames received and not sent on (too big, send failed) */
	int64_t duration_us;
	enum nr_pkt_method method;
};

int nr_pkt_fwd(const struct nr_pkt_fwd_opts *o, struct nr_pkt_fwd_result *ret,
	       struct nr_diag *d);

struct nr_pkt_cap_opts {
	const char *ifname;
	const char *path;     /* the pcap file */
	uint64_t count;       /* N: end once N frames counted */
	bool count_all;       /* count every frame (ixy-pcap); default: UDP frames, as the check does */
	int64_t timeout_us;   /* end then (ixy-ci's PCAP_TIMEOUT, 15 s) */
	const volatile sig_atomic_t *stop;
	nr_pkt_tick_fn *tick;
	void *tick_ctx;
	void (*ready)(void *ctx); /* once frames are being captured */
};

enum nr_pkt_cap_end {
	NR_PKT_CAP_COUNT,     /* N frames */
	NR_PKT_CAP_TIMEOUT,   /* the timeout passed first */
	NR_PKT_CAP_STOPPED,   /* *stop */
};

struct nr_pkt_cap_result {
	struct nr_pkt_counters c;
	uint64_t counted;     /* frames counted toward N */
	uint64_t written;     /* frames in the file (counted and not) */
	int64_t duration_us;
	enum nr_pkt_cap_end end;
};

int nr_pkt_cap(const struct nr_pkt_cap_opts *o, struct nr_pkt_cap_result *ret,
	       struct nr_diag *d);

#endif
