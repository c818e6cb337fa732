/*
 * Built-in workloads (`netrig bench`): TCP/UDP stream, request/response
 * and connect/request/response, between a client and `netrig bench serve`.
 *
 * The client opens a control connection (TCP, newline-terminated JSON
 * messages, versioned, NR_WL_CTL_MAX bytes at most each), sends the
 * test's parameters, learns a data port the server opened for this test
 * alone, opens its flows, runs the test and receives the server's side of
 * the results. The server runs each test in a thread of its own, one at a
 * time unless told otherwise, and keeps serving whatever a client does
 * (see workload_server.c for the state machine).
 *
 * A flow has a thread of its own with blocking sockets and short timeouts,
 * or with `threads` set, TCP stream and rr flows share a few epoll loops
 * (workload_loop.c); either way the main thread samples their counters
 * (neper-style).
 */
#ifndef NR_WORKLOAD_H
#define NR_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* The control protocol's version; a peer speaking another is refused. */
#define NR_WL_PROTO_VERSION 1
/* Longest control message, newline included. */
#define NR_WL_CTL_MAX (64 * 1024)
#define NR_WL_MAX_FLOWS 256
#define NR_WL_MAX_CPUS 16
/* Tests a server runs at once, at most. */
#define NR_WL_MAX_TESTS 64
/* UDP datagrams carry a header (magic, flow, sequence, send time, flags). */
#define NR_WL_UDP_HDR 32

enum nr_wl_kind {
	NR_WL_TCP_STREAM,
	NR_WL_UDP_STREAM,
	NR_WL_TCP_RR,
	NR_WL_UDP_RR,
	NR_WL_TCP_CRR,
};
/* How many kinds there are (not an enum value: switches over a kind name each one). */
#define NR_WL_N_KINDS (NR_WL_TCP_CRR + 1)

/* "tcp_stream", ... ; NULL for an unknown value. */
const char *nr_wl_kind_name(enum nr_wl_kind k);
int nr_wl_kind_parse(const char *s, enum nr_wl_kind *ret);

/*
 * The recipe of a built-in workload as roles (workload_recipe.c), in one
 * place for `netrig bench`, the campaign loader (`workload: tcp_rr`) and
 * the server: the line `bench serve` prints once it takes tests (a server
 * role is ready when a line starts with it), and the bench options, each
 * with its help text. `netrig bench` builds its long options and its
 * usage from nr_wl_options[] and sets each through nr_wl_option_set; a
 * campaign sets them (matrix parameters or `options:`) by their names
 * there ("busy_poll"), each `--busy-poll VALUE` or a switch (`--reverse` /
 * `--no-reverse`). An option added here is one of all three at once.
 */
#define NR_WL_READY_PREFIX "listening on "
/* NR_WL_READY_PREFIX as the POSIX extended regex of a ready line (it holds no metacharacter). */
#define NR_WL_READY_REGEX "^" NR_WL_READY_PREFIX

/* Which option: nr_wl_option_set switches over it, so a new one must be handled there. */
enum nr_wl_opt {
	NR_WL_OPT_DURATION,
	NR_WL_OPT_OMIT,
	NR_WL_OPT_INTERVAL,
	NR_WL_OPT_SIZE,
	NR_WL_OPT_REQUEST,
	NR_WL_OPT_RESPONSE,
	NR_WL_OPT_FLOWS,
	NR_WL_OPT_THREADS,
	NR_WL_OPT_BURST,
	NR_WL_OPT_RATE,
	NR_WL_OPT_REVERSE,
	NR_WL_OPT_NODELAY,
	NR_WL_OPT_SNDBUF,
	NR_WL_OPT_RCVBUF,
	NR_WL_OPT_BUSY_POLL,
	NR_WL_OPT_SPIN,
	NR_WL_OPT_RCVLOWAT,
	NR_WL_OPT_CONGESTION,
	NR_WL_OPT_CPU,
	NR_WL_OPT_SERVER_CPU,
};

struct nr_wl_option {
	enum nr_wl_opt id;
	const char *name;  /* as a campaign writes it: "busy_poll" */
	const char *flag;  /* on the command line: "--busy-poll" */
	const char *arg;   /* its value in the usage ("US"); NULL: a switch, "--no-" NAME turns it off */
	const char *help;  /* the usage's text for it; lines after the first start with '\n' */
};
extern const struct nr_wl_option nr_wl_options[];
extern const size_t nr_wl_n_options;
/* The option a campaign calls `name`, or NULL. */
const struct nr_wl_option *nr_wl_option_find(const char *name);
static inline bool nr_wl_option_is_switch(const struct nr_wl_option *o)
{
	return !o->arg;
}
struct nr_wl_params;
/*
 * Set option o to `value` in p ("true" or "false" for a switch).
 * *seen holds a bit (1 << id) per option set so far: --request sets the
 * response size too unless --response was given. NR_EINVAL with "bad
 * --FLAG 'VALUE'" (or the reason) in d.
 */
int nr_wl_option_set(const struct nr_wl_option *o, const char *value, struct nr_wl_params *p,
		     uint32_t *seen, struct nr_diag *d);
/*
 * The options' lines of a usage text into out: "  --FLAG ARG", its help
 * from column 23 (two blanks after a longer left part), a help's further
 * lines indented to column 23.
 */
void nr_wl_options_usage(struct nr_buf *out);

/* A test's parameters; both ends see the same values. */
struct nr_wl_params {
	enum nr_wl_kind kind;
	int64_t duration_us; /* measured time, after the warm-up */
	int64_t omit_us;     /* warm-up excluded from every measure */
	int64_t interval_us; /* 0: no per-interval series */
	uint64_t size;       /* stream: bytes per write / per datagram */
	uint64_t request;    /* rr, crr: request bytes */
	uint64_t response;   /* rr, crr: response bytes */
	unsigned flows;      /* connections (UDP: sockets) */
	unsigned threads;    /* 0: a thread per flow; else TCP stream and rr
			      * flows share this many epoll loops (each end) */
	unsigned burst;      /* rr: transactions in flight per flow */
	double rate;         /* stream: offered bit/s in total, rr: transactions/s
			      * in total (open loop); 0: as fast as possible */
	bool reverse;        /* stream: the server sends */
	bool nodelay;        /* TCP_NODELAY */
	int sndbuf, rcvbuf;  /* SO_SNDBUF/SO_RCVBUF bytes, 0: the kernel's */
	int busy_poll_us;    /* SO_BUSY_POLL, 0: off */
	int rcvlowat;        /* TCP stream receivers' SO_RCVLOWAT: NR_WL_LOWAT_AUTO,
			      * 0 (wake for every segment) or bytes */
	bool spin;           /* rr: wait for data by polling the socket, not sleeping */
	char cc[16];         /* TCP congestion control, "" for the default */
	int client_cpus[NR_WL_MAX_CPUS]; /* flow i pinned to cpus[i % n] */
	unsigned n_client_cpus;
	int server_cpus[NR_WL_MAX_CPUS];
	unsigned n_server_cpus;
};

/* rcvlowat: follow the rate (workload_stream.c) */
#define NR_WL_LOWAT_AUTO (-1)

/* Defaults for kind (sizes, durations like iperf3: 10 s after 1 s omitted). */
void nr_wl_params_default(struct nr_wl_params *p, enum nr_wl_kind kind);
/* Range checks across fields; NR_EINVAL with a message. */
int nr_wl_params_check(const struct nr_wl_params *p, struct nr_diag *d);

/* "0,1,3" into cpus; NR_EINVAL with a message. */
int nr_wl_parse_cpus(const char *s, int *cpus, unsigned *ret_n, struct nr_diag *d);

/* ------------------------------------------------------------------ */
/* Log-linear histogram of durations in nanoseconds. */

/*
 * Values below 2^NR_WL_HIST_SUB_BITS are counted exactly; above, each
 * power of two is split into 2^(NR_WL_HIST_SUB_BITS-1) equal buckets, so
 * a bucket is at most 1/128 of its values wide and the reported midpoint
 * is within 0.4 % of any value in it. Recording never allocates.
 */
#define NR_WL_HIST_SUB_BITS 8
#define NR_WL_HIST_MAX_SHIFT 40 /* values up to 2^48 ns (3 days) */
#define NR_WL_HIST_BUCKETS \
	((1u << NR_WL_HIST_SUB_BITS) + NR_WL_HIST_MAX_SHIFT * (1u << (NR_WL_HIST_SUB_BITS - 1)))

struct nr_wl_hist {
	uint64_t count;
	uint64_t min, max; /* exact; min is UINT64_MAX while empty */
	double sum;        /* exact enough for the mean */
	uint64_t buckets[NR_WL_HIST_BUCKETS];
};

void nr_wl_hist_init(struct nr_wl_hist *h);
void nr_wl_hist_record(struct nr_wl_hist *h, uint64_t ns);
void nr_wl_hist_merge(struct nr_wl_hist *into, const struct nr_wl_hist *from);
/*
 * The nearest-rank percentile (the smallest recorded value v such that at
 * least p % of values are <= v), as its bucket's midpoint clamped to
 * [min, max]; 0 for an empty histogram. p in [0, 100].
 */
double nr_wl_hist_percentile(const struct nr_wl_hist *h, double p);
double nr_wl_hist_mean(const struct nr_wl_hist *h);

/* ------------------------------------------------------------------ */
/* Control messages (exposed for tests). */

/*
 * Reads newline-terminated messages from a socket, at most NR_WL_CTL_MAX
 * bytes each, into `line` (NUL-terminated, without the newline).
 */
struct nr_wl_ctl {
	int fd;
	char buf[NR_WL_CTL_MAX];
	size_t len; /* bytes in buf not yet handed out */
	size_t taken; /* bytes of the last message, dropped on the next read */
};

void nr_wl_ctl_init(struct nr_wl_ctl *c, int fd);
/*
 * Next message if one is complete: 1 and *ret_line; 0 when more bytes are
 * needed (after reading what the socket had, without blocking when it is
 * non-blocking); -ECONNRESET at end of stream; NR_ETOOBIG for a message
 * longer than NR_WL_CTL_MAX; -errno on a read error.
 */
int nr_wl_ctl_read(struct nr_wl_ctl *c, const char **ret_line, struct nr_diag *d);
/* A complete message already buffered: like nr_wl_ctl_read, never reads. */
int nr_wl_ctl_next(struct nr_wl_ctl *c, const char **ret_line, struct nr_diag *d);
/* Wait up to timeout_us for one message (c->fd blocking or not). */
int nr_wl_ctl_wait(struct nr_wl_ctl *c, int64_t timeout_us, const char **ret_line,
		   struct nr_diag *d);
/* Send the whole of `json` and a newline (blocks up to timeout_us). */
int nr_wl_ctl_send(int fd, const char *json, int64_t timeout_us, struct nr_diag *d);

/* Parameters to and from their JSON text (the "params" of a start message). */
char *nr_wl_params_to_json(const struct nr_wl_params *p);
struct json_t;
int nr_wl_params_from_json(const struct json_t *obj, struct nr_wl_params *ret,
			   struct nr_diag *d);

/* ------------------------------------------------------------------ */
/* Addresses. */

/*
 * "HOST:PORT", "[V6]:PORT", "HOST" (with default_port) into a socket
 * address; HOST is numeric or a name in /etc/hosts (getaddrinfo).
 */
struct sockaddr_storage;
int nr_wl_addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *ret,
		     unsigned *ret_len, struct nr_diag *d);
/* "127.0.0.1:5201" or "[::1]:5201" into buf. */
char *nr_wl_addr_fmt(const struct sockaddr_storage *sa, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Server. */

struct nr_wl_server_opts {
	const char *listen; /* "ADDR:PORT"; port 0 picks a free one */
	bool one_off;       /* exit after one test (passed or not; a connection
			     * closed without a message is no test) */
	int64_t lifetime_us; /* 0: none; otherwise exit after this long */
	int64_t idle_timeout_us; /* control handshake limit, 0: 5 s */
	/*
	 * Tests at once (0 or 1: one at a time; others are turned away with a
	 * message). With more, each side's CPU numbers include every test
	 * running in the process.
	 */
	unsigned max_tests;
	/* Readable when the server should stop (signalfd, eventfd, pipe), or -1. */
	int stop_fd;
	/* Messages for people (one line, no newline); may be NULL. */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

struct nr_wl_server;

/* Bind and listen; the bound address (with the real port) in ret_addr. */
int nr_wl_server_open(const struct nr_wl_server_opts *o, struct nr_wl_server **ret,
		      char *ret_addr, size_t addr_size, struct nr_diag *d);
/*
 * Serve until stop_fd is readable, the lifetime ends, or after one test
 * with one_off; each test runs in a thread of its own. Failing tests do
 * not end it. Tests still running when it stops are ended, their clients
 * told why. 0, or a negative code when the server itself cannot go on.
 */
int nr_wl_server_run(struct nr_wl_server *s, struct nr_diag *d);
/* Tests served so far, and how many of them ended in an error. */
void nr_wl_server_counts(const struct nr_wl_server *s, unsigned *ret_tests,
			 unsigned *ret_failed);
void nr_wl_server_free(struct nr_wl_server *s);

/* ------------------------------------------------------------------ */
/* Client. */

/*
 * Run one test against the server at `to` ("HOST:PORT"). On success,
 * *json gets the result document (docs/bench-json.md) and *text a
 * human summary. Connection failures and server errors are NR_EEXEC or
 * -errno with a message naming the server.
 */
int nr_wl_client_run(const char *to, const struct nr_wl_params *p,
		     struct nr_buf *json, struct nr_buf *text, struct nr_diag *d);

#endif
