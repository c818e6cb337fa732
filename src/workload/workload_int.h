/*
 * Inside the workload module: flows (one thread each), the state they
 * share with the main thread, the meter that samples their counters, and
 * socket and CPU helpers. Not for use outside src/workload/.
 */
#ifndef NR_WORKLOAD_INT_H
#define NR_WORKLOAD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "workload/workload.h"

struct json_t;

#define NR__WL_UDP_MAGIC 0x4e524231u /* "NRB1" */
#define NR__WL_UDP_FIN 1u
#define NR__WL_UDP_HELLO 2u /* reverse: tells the server where a flow is */
/* How often blocked workers look at the stop flag. */
#define NR__WL_POLL_US 50000
/* Receivers give up waiting for the end of a stream this long after it. */
#define NR__WL_DRAIN_US 2000000
/* A UDP request without an answer after this long is counted as lost. */
#define NR__WL_UDP_RR_TIMEOUT_US 200000

/* Written by the main thread, read by workers (relaxed atomics). */
struct nr__wl_shared {
	const struct nr_wl_params *p;
	int stop;            /* end now */
	int measuring;       /* past the warm-up: record latencies */
	int64_t start_us;    /* when the test began (monotonic) */
	int64_t deadline_us; /* senders and rr clients stop starting work here */
	int64_t drain_us;    /* receivers stop waiting for the end here; 0: not yet */
};

enum nr__wl_role {
	NR__WL_STREAM_SEND,
	NR__WL_STREAM_RECV,
	NR__WL_UDP_STREAM_RECV, /* one socket, every flow (server) */
	NR__WL_RR_CLIENT,
	NR__WL_RR_SERVER,       /* TCP: one connection; UDP: the shared socket */
	NR__WL_CRR_CLIENT,
	NR__WL_CRR_SERVER,      /* accepts on the shared listener */
};

/* Per-flow UDP receive state, RFC 3550 jitter. */
struct nr__wl_udp_rx {
	uint64_t received;
	uint64_t next_seq;  /* one past the highest sequence seen */
	uint64_t reordered; /* arrived after a later one */
	int64_t last_transit_us;
	double jitter_us;
	bool fin, any;
};

struct nr__wl_flow {
	struct nr__wl_shared *sh;
	enum nr__wl_role role;
	unsigned id;
	int fd;        /* owned unless shared_fd */
	bool shared_fd; /* fd belongs to someone else (listener, UDP socket) */
	int pin_cpu;   /* -1: not pinned */
	struct sockaddr_storage peer; /* crr client: the server's data address;
				       * reverse UDP sender: the client's flow */
	socklen_t peer_len;
	pthread_t thread;
	bool started;
	int done; /* set by the worker as it ends (relaxed atomic) */

	/* Counters: written by the worker, read by the main thread. */
	uint64_t bytes;        /* received (receivers) or sent (senders) */
	uint64_t transactions; /* rr/crr completed */
	int64_t last_us;       /* last data received / transaction completed */

	/* Valid after the join. */
	int cpu;               /* CPU the worker last ran on */
	int err;
	char errmsg[200];
	uint64_t packets_sent; /* UDP senders */
	uint64_t lost;         /* udp_rr requests without an answer */
	uint32_t retransmits;  /* TCP senders, from TCP_INFO */
	uint32_t rtt_us;       /* smoothed RTT from TCP_INFO */
	bool have_tcpi;
	struct nr_wl_hist *hist;     /* rr/crr clients: latency (corrected) */
	struct nr_wl_hist *hist_unc; /* open loop: from the actual send */
	struct nr__wl_udp_rx *udp;   /* UDP stream receiver: one per flow id */
	unsigned n_udp;
	struct nr__wl_flow **group;  /* the flows this one's thread loops over */
	unsigned n_group;
};

/* Create the flow's buffers (before the clock runs); start / join its thread. */
void nr__wl_flow_prepare(struct nr__wl_flow *f);
int nr__wl_flow_start(struct nr__wl_flow *f, struct nr_diag *d);
/*
 * Start n flows: a thread each, or, when 0 < threads < n and the role
 * allows it, `threads` event loops sharing them (workload_loop.c).
 */
int nr__wl_flows_start(struct nr__wl_flow *f, unsigned n, unsigned threads, struct nr_diag *d);
bool nr__wl_loopable(const struct nr_wl_params *p, enum nr__wl_role role);
void nr__wl_flow_join(struct nr__wl_flow *f);
/* Free buffers, close owned fds. */
void nr__wl_flow_release(struct nr__wl_flow *f);

/* The workers, one per role (workload_stream.c, workload_rr.c). */
void nr__wl_stream_send(struct nr__wl_flow *f);
void nr__wl_stream_recv(struct nr__wl_flow *f);
void nr__wl_udp_stream_recv(struct nr__wl_flow *f);
void nr__wl_rr_client(struct nr__wl_flow *f);
void nr__wl_rr_server(struct nr__wl_flow *f);
void nr__wl_crr_client(struct nr__wl_flow *f);
void nr__wl_crr_server(struct nr__wl_flow *f);
/*
 * Receive batching for TCP stream receivers (SO_RCVLOWAT). A receiver
 * woken for every segment costs the sending side a wake-up each time (an
 * inter-processor interrupt, a VM exit on a VM), and on loopback and veth
 * the sender's CPU is the bottleneck. Auto mode follows the rate: the
 * mark is 200 us of data, at most 512 KiB, none for slow streams, so a
 * read never waits long and interval series stay smooth.
 */
struct nr__wl_lowat {
	int fd;
	int mode; /* the rcvlowat parameter */
	int cur;  /* the mark set now */
	int64_t since_us;
	uint64_t since_bytes;
};
/* Stream receivers read this much at once: at least the largest mark. */
#define NR__WL_RECV_SIZE (512 * 1024)
void nr__wl_lowat_init(struct nr__wl_lowat *lw, int fd, const struct nr_wl_params *p,
		       int64_t now_us);
/* After a read: bytes received so far. */
void nr__wl_lowat_update(struct nr__wl_lowat *lw, uint64_t bytes, int64_t now_us);
/* A UDP stream datagram's header into buf (NR_WL_UDP_HDR bytes). */
void nr__wl_udp_hdr(char *buf, uint32_t flow, uint64_t seq, int64_t send_us, uint32_t flags);
/* Read a header; false when buf is not one of ours. */
bool nr__wl_udp_hdr_read(const char *buf, size_t len, uint32_t *ret_flow, uint32_t *ret_flags);
/* Record an error of the flow (first one wins). */
void nr__wl_flow_fail(struct nr__wl_flow *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Monotonic nanoseconds: latencies need better than microseconds. */
int64_t nr__wl_now_ns(void);
void nr__wl_sleep_until_ns(int64_t t_ns);
/* Should a blocked worker give up? (stop, or past the drain deadline) */
bool nr__wl_should_quit(const struct nr__wl_flow *f);

/* Relaxed atomics for the counters and flags. */
#define NR__LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define NR__STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* ---- sockets ---- */

/* Socket options of p (buffers, nodelay, busy poll, congestion) on fd. */
int nr__wl_sockopts(int fd, const struct nr_wl_params *p, bool tcp, struct nr_diag *d);
/* SO_RCVTIMEO and SO_SNDTIMEO. */
void nr__wl_timeouts(int fd, int64_t us);
/* Connect with a timeout; fd is left blocking. */
int nr__wl_connect(int fd, const struct sockaddr *sa, socklen_t len, int64_t timeout_us,
		   struct nr_diag *d);
/* Accept one connection, waiting up to timeout_us; CLOEXEC. */
int nr__wl_accept(int lfd, int64_t timeout_us, struct sockaddr_storage *ret_peer,
		  struct nr_diag *d);
bool nr__wl_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
uint16_t nr__wl_port_of(const struct sockaddr_storage *sa);
void nr__wl_set_port(struct sockaddr_storage *sa, uint16_t port);

/* ---- CPU ---- */

int nr__wl_pin(int cpu, struct nr_diag *d);
/* The kernel's clock source ("tsc", "kvm-clock"), or "unknown". */
void nr__wl_clocksource(char *buf, size_t size);

/* ---- the meter: samples counters at the warm-up mark and every interval ---- */

struct nr__wl_interval {
	int64_t start_us, end_us; /* since the end of the warm-up */
	uint64_t bytes, transactions;
};

struct nr__wl_meter {
	int64_t start_us;
	int64_t omit_at_us; /* when the warm-up mark was taken; 0 before */
	uint64_t omit_bytes, omit_tx;
	struct rusage omit_ru;
	int64_t next_us;    /* next tick */
	uint64_t last_bytes, last_tx;
	int64_t last_us;
	struct nr__wl_interval *iv;
	size_t n_iv, cap_iv;
	/* set by nr__wl_meter_end */
	int64_t end_us;        /* the last data or transaction */
	int64_t cpu_window_us; /* from the warm-up mark to the end sample */
	struct rusage end_ru;
};

void nr__wl_meter_start(struct nr__wl_meter *m, struct nr__wl_shared *sh, int64_t now);
/* Take the samples that are due; returns the time of the next one. */
int64_t nr__wl_meter_tick(struct nr__wl_meter *m, struct nr__wl_shared *sh,
			  struct nr__wl_flow *f, unsigned n, int64_t now);
/* After the join: the end of the window (last data) and CPU use. */
void nr__wl_meter_end(struct nr__wl_meter *m, struct nr__wl_shared *sh,
		      struct nr__wl_flow *f, unsigned n);
void nr__wl_meter_release(struct nr__wl_meter *m);

/*
 * One side's measures as a JSON object (docs/bench-json.md, "client" and
 * "server"): what its flows saw, CPU use and placement.
 */
struct json_t *nr__wl_side_report(const struct nr__wl_meter *m, struct nr__wl_flow *f,
				  unsigned n, const char *role);

#endif
