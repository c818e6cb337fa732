/*
 * The forwarder on AF_XDP (Documentation/networking/af_xdp.rst): an XDP
 * program on each receiving interface redirects every frame into an
 * AF_XDP socket (an XSKMAP keyed by receive queue), whose UMEM the
 * forwarder reads; frames are copied into the sending socket's UMEM and
 * leave through its transmit ring.
 *
 * No libbpf or libxdp: the program is five instructions, loaded with
 * bpf(2), and attached with a BPF link, so that it goes when the
 * forwarder's process does, however it ends. Native mode only (a driver
 * with XDP, veth among them), copy mode (no zero-copy on veth), queue 0
 * (a veth has one). Anything this kernel, driver or process cannot do is
 * NR_EUNSUPPORTED with the reason.
 *
 * Not the default: on veth here it forwarded fewer frames than AF_PACKET
 * with sendmmsg at the same rates, losing some at 300k frames/s where
 * AF_PACKET lost none (docs/pkt.md). Copy mode pays an skb per frame on
 * the way out, as sendmmsg does, and its receive ring is the smaller.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "pkt/pkt_int.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define FRAME_SIZE 2048u  /* XDP_UMEM_DEFAULT_CHUNK_SIZE */
#define FRAMES 32768u     /* per socket: half to receive into, half to send from */
#define RING 16384u       /* descriptors per ring */
#define XDP_MAX_FRAME 1792u /* a chunk less the kernel's headroom (256) */

/* A ring of descriptors (or of UMEM addresses) shared with the kernel. */
struct ring {
	uint32_t *producer, *consumer, *flags;
	void *descs;
	uint32_t size, mask;
	uint32_t cached_prod, cached_cons;
	void *map;
	size_t map_len;
};

struct xsk {
	int fd;
	int ifindex;
	uint8_t *umem;
	struct ring fill, comp, rx, tx;
	uint64_t *free;    /* UMEM addresses of the sending half not in flight */
	uint32_t n_free;
	uint32_t outstanding; /* frames on the transmit ring or in the kernel */
	struct nr_pkt_counters *c;
};

struct xfwd {
	const struct nr_pkt_fwd_opts *o;
	int map_fd[2], prog_fd, link_fd[2];
	struct xsk x[2];   /* in, out */
	struct nr_pkt_fwd_result *res;
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int unsupported(struct nr_diag *d, const char *what, int err)
{
	return nr_diagf(d, NR_EUNSUPPORTED, "%s: %s", what, strerror(err));
}

/* bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS): an empty slot passes the frame on */
static int load_prog(struct xfwd *w, int map_fd, struct nr_diag *d)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, rx_queue_index) },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[4096];
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	a.license = (uint64_t)(uintptr_t)"Dual BSD/GPL";
	a.expected_attach_type = BPF_XDP;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	w->prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (w->prog_fd < 0)
		return unsupported(d, "loading the XDP program", errno);
	return 0;
}

static int make_map(int *ret, struct nr_diag *d)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_XSKMAP;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	*ret = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (*ret < 0)
		return unsupported(d, "creating the XSKMAP (bpf)", errno);
	return 0;
}

/* Native mode, through a link: detached when its fd closes, with the process. */
static int attach(struct xfwd *w, int ifindex, const char *ifname, int *ret, struct nr_diag *d)
{
	union bpf_attr a;
	char what[64];

	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)w->prog_fd;
	a.link_create.target_ifindex = (uint32_t)ifindex;
	a.link_create.attach_type = BPF_XDP;
	a.link_create.flags = XDP_FLAGS_DRV_MODE;
	*ret = (int)sys_bpf(BPF_LINK_CREATE, &a);
	if (*ret < 0) {
		snprintf(what, sizeof(what), "native XDP on %s", ifname);
		return unsupported(d, what, errno);
	}
	return 0;
}

static int map_ring(struct xsk *x, struct ring *r, const struct xdp_ring_offset *off,
		    uint64_t pgoff, size_t desc_size, uint32_t size, struct nr_diag *d)
{
	r->map_len = off->desc + (size_t)size * desc_size;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd,
		      (off_t)pgoff);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return unsupported(d, "mapping an AF_XDP ring", errno);
	}
	r->producer = (uint32_t *)((uint8_t *)r->map + off->producer);
	r->consumer = (uint32_t *)((uint8_t *)r->map + off->consumer);
	r->flags = (uint32_t *)((uint8_t *)r->map + off->flags);
	r->descs = (uint8_t *)r->map + off->desc;
	r->size = size;
	r->mask = size - 1;
	return 0;
}

static int xsk_open(struct xsk *x, const struct nr__pkt_if *ifc, struct nr_diag *d)
{
	struct xdp_umem_reg reg;
	struct xdp_mmap_offsets off;
	struct sockaddr_xdp sa;
	socklen_t len = sizeof(off);
	uint32_t ring = RING, i;
	int rc;

	x->ifindex = ifc->index;
	x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		return unsupported(d, "an AF_XDP socket", errno);
	x->umem = mmap(NULL, (size_t)FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		return nr_diagf(d, -errno, "AF_XDP memory: %s", strerror(errno));
	}
	memset(&reg, 0, sizeof(reg));
	reg.addr = (uint64_t)(uintptr_t)x->umem;
	reg.len = (uint64_t)FRAMES * FRAME_SIZE;
	reg.chunk_size = FRAME_SIZE;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) < 0)
		return unsupported(d, "registering AF_XDP memory", errno);
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) < 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) < 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) < 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_TX_RING, &ring, sizeof(ring)) < 0)
		return unsupported(d, "AF_XDP rings", errno);
	if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len) < 0)
		return unsupported(d, "AF_XDP ring offsets", errno);
	if ((rc = map_ring(x, &x->fill, &off.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(uint64_t), RING, d)) < 0 ||
	    (rc = map_ring(x, &x->comp, &off.cr, XDP_UMEM_PGOFF_COMPLETION_RING, sizeof(uint64_t), RING, d)) < 0 ||
	    (rc = map_ring(x, &x->rx, &off.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc), RING, d)) < 0 ||
	    (rc = map_ring(x, &x->tx, &off.tx, XDP_PGOFF_TX_RING, sizeof(struct xdp_desc), RING, d)) < 0)
		return rc;
	/* the first half receives: all of it to the kernel now; the second half sends */
	for (i = 0; i < FRAMES / 2 && i < RING; i++)
		((uint64_t *)x->fill.descs)[i] = (uint64_t)i * FRAME_SIZE;
	__atomic_store_n(x->fill.producer, i, __ATOMIC_RELEASE);
	x->fill.cached_prod = i;
	x->free = calloc(FRAMES / 2, sizeof(*x->free));
	if (!x->free)
		return nr_diagf(d, -ENOMEM, "out of memory");
	for (i = 0; i < FRAMES / 2; i++)
		x->free[i] = (uint64_t)(FRAMES / 2 + i) * FRAME_SIZE;
	x->n_free = FRAMES / 2;
	memset(&sa, 0, sizeof(sa));
	sa.sxdp_family = AF_XDP;
	sa.sxdp_ifindex = (uint32_t)ifc->index;
	sa.sxdp_queue_id = 0;
	sa.sxdp_flags = XDP_COPY;
	if (bind(x->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		char what[64];

		snprintf(what, sizeof(what), "binding AF_XDP to %s", ifc->name);
		return unsupported(d, what, errno);
	}
	return 0;
}

static void ring_unmap(struct ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

static void xsk_close(struct xsk *x)
{
	ring_unmap(&x->fill);
	ring_unmap(&x->comp);
	ring_unmap(&x->rx);
	ring_unmap(&x->tx);
	if (x->fd > 0)
		close(x->fd);
	if (x->umem)
		munmap(x->umem, (size_t)FRAMES * FRAME_SIZE);
	free(x->free);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

static int map_put(int map_fd, int xsk_fd, struct nr_diag *d)
{
	union bpf_attr a;
	uint32_t key = 0, val = (uint32_t)xsk_fd;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)&val;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
		return unsupported(d, "putting the socket in the XSKMAP", errno);
	return 0;
}

/* Sending frames whose transmission completed are free again. */
static void reap(struct xsk *x)
{
	uint32_t prod = __atomic_load_n(x->comp.producer, __ATOMIC_ACQUIRE);
	uint32_t cons = x->comp.cached_cons;

	while (cons != prod) {
		x->free[x->n_free++] = ((uint64_t *)x->comp.descs)[cons & x->comp.mask];
		x->outstanding--;
		x->c->tx_packets++;
		cons++;
	}
	x->comp.cached_cons = cons;
	__atomic_store_n(x->comp.consumer, cons, __ATOMIC_RELEASE);
}

/*
 * Copy mode sends only when told to, and a bounded batch per call (32
 * frames before Linux 6.6): the forwarder tells it after every batch.
 */
static void kick(struct xsk *x)
{
	while (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The frames on in's receive ring leave through out: how many were read. */
static uint32_t forward(struct xfwd *w, struct xsk *in, struct xsk *out)
{
	uint32_t prod = __atomic_load_n(in->rx.producer, __ATOMIC_ACQUIRE);
	uint32_t cons = in->rx.cached_cons, n = 0, tprod = out->tx.cached_prod;
	uint32_t fprod = in->fill.cached_prod;

	reap(out);
	while (cons != prod) {
		const struct xdp_desc *dsc = &((struct xdp_desc *)in->rx.descs)[cons & in->rx.mask];
		uint32_t tcons = __atomic_load_n(out->tx.consumer, __ATOMIC_ACQUIRE);

		if (!out->n_free || tprod - tcons >= out->tx.size) {
			/* all sending frames in flight: let them go, then take back what is done */
			__atomic_store_n(out->tx.producer, tprod, __ATOMIC_RELEASE);
			out->tx.cached_prod = tprod;
			kick(out);
			reap(out);
			if (!out->n_free || tprod - __atomic_load_n(out->tx.consumer, __ATOMIC_ACQUIRE) >= out->tx.size) {
				struct pollfd p = { .fd = out->fd, .events = POLLOUT };

				if (w->o->stop && *w->o->stop)
					break;
				poll(&p, 1, 1);
			}
			continue;
		}
		{
			uint64_t addr = out->free[--out->n_free];
			struct xdp_desc *t = &((struct xdp_desc *)out->tx.descs)[tprod & out->tx.mask];

			memcpy(out->umem + addr, in->umem + dsc->addr, dsc->len);
			t->addr = addr;
			t->len = dsc->len;
			tprod++;
			out->outstanding++;
			if (tprod - out->tx.cached_prod >= w->o->batch) {
				out->tx.cached_prod = tprod;
				__atomic_store_n(out->tx.producer, tprod, __ATOMIC_RELEASE);
				kick(out);
			}
		}
		in->c->rx_packets++;
		in->c->rx_bytes += dsc->len;
		out->c->tx_bytes += dsc->len;
		/* the receiving frame goes straight back to the kernel */
		((uint64_t *)in->fill.descs)[fprod & in->fill.mask] = dsc->addr & ~(uint64_t)(FRAME_SIZE - 1);
		fprod++;
		cons++;
		n++;
	}
	in->rx.cached_cons = cons;
	__atomic_store_n(in->rx.consumer, cons, __ATOMIC_RELEASE);
	in->fill.cached_prod = fprod;
	__atomic_store_n(in->fill.producer, fprod, __ATOMIC_RELEASE);
	out->tx.cached_prod = tprod;
	__atomic_store_n(out->tx.producer, tprod, __ATOMIC_RELEASE);
	if (n)
		kick(out);
	return n;
}

static void read_drops(struct xsk *x)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0)
		x->c->rx_dropped = st.rx_dropped + st.rx_ring_full + st.rx_invalid_descs;
}

static void xfwd_close(struct xfwd *w)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		if (w->link_fd[i] >= 0)
			close(w->link_fd[i]);
		if (w->map_fd[i] >= 0)
			close(w->map_fd[i]);
		xsk_close(&w->x[i]);
	}
	if (w->prog_fd >= 0)
		close(w->prog_fd);
}

int nr__pkt_fwd_xdp(const struct nr_pkt_fwd_opts *o, struct nr_pkt_fwd_result *ret,
		    struct nr_diag *d)
{
	struct nr_pkt_fwd_result res;
	struct xfwd w = { .o = o, .prog_fd = -1, .map_fd = { -1, -1 }, .link_fd = { -1, -1 },
			  .res = &res };
	struct nr__pkt_if ifc[2];
	struct nr__pkt_ticker tick;
	const char *names[2] = { o->in, o->out };
	int64_t t0, now, end;
	size_t i, n_dirs = o->bidirectional ? 2 : 1;
	int rc;

	memset(&res, 0, sizeof(res));
	res.method = NR_PKT_XDP;
	w.x[0].fd = w.x[1].fd = -1;
	if ((rc = nr__pkt_if_get(o->in, &ifc[0], d)) < 0 || (rc = nr__pkt_if_get(o->out, &ifc[1], d)) < 0)
		return rc;
	for (i = 0; i < 2; i++)
		if ((size_t)ifc[i].mtu + NR_PKT_ETH_HDR > XDP_MAX_FRAME)
			return nr_diagf(d, NR_EUNSUPPORTED, "%s's MTU of %d is above what fits an AF_XDP frame of %u bytes",
					ifc[i].name, ifc[i].mtu, XDP_MAX_FRAME);
	if ((rc = make_map(&w.map_fd[0], d)) < 0)
		goto out;
	if ((rc = load_prog(&w, w.map_fd[0], d)) < 0)
		goto out;
	for (i = 0; i < 2; i++) {
		w.x[i].c = &res.c[i];
		if ((rc = xsk_open(&w.x[i], &ifc[i], d)) < 0)
			goto out;
	}
	if ((rc = map_put(w.map_fd[0], w.x[0].fd, d)) < 0 ||
	    (rc = attach(&w, ifc[0].index, ifc[0].name, &w.link_fd[0], d)) < 0)
		goto out;
	if (o->bidirectional) {
		/* a program of its own on OUT: one map per program's interface */
		int prog0 = w.prog_fd;

		if ((rc = make_map(&w.map_fd[1], d)) < 0)
			goto out;
		w.prog_fd = -1;
		rc = load_prog(&w, w.map_fd[1], d);
		if (rc == 0 && (rc = map_put(w.map_fd[1], w.x[1].fd, d)) == 0)
			rc = attach(&w, ifc[1].index, ifc[1].name, &w.link_fd[1], d);
		close(w.prog_fd);
		w.prog_fd = prog0;
		if (rc < 0)
			goto out;
	}
	t0 = nr_mono_us();
	end = o->duration_us ? t0 + o->duration_us : INT64_MAX;
	nr__pkt_ticker_init(&tick, o->tick, o->tick_ctx, t0);
	if (o->ready)
		o->ready(o->tick_ctx, "xdp");
	while (!(o->stop && *o->stop)) {
		uint32_t n = 0;

		now = nr_mono_us();
		if (now >= end)
			break;
		if (tick.fn && now >= tick.next_us)
			for (i = 0; i < n_dirs; i++)
				read_drops(&w.x[i]);
		nr__pkt_ticker_poll(&tick, now, names, res.c, 2);
		n += forward(&w, &w.x[0], &w.x[1]);
		if (o->bidirectional)
			n += forward(&w, &w.x[1], &w.x[0]);
		if (!n) {
			struct pollfd p[2] = { { .fd = w.x[0].fd, .events = POLLIN },
					       { .fd = w.x[1].fd, .events = POLLIN } };

			/* what is still in flight finishes meanwhile */
			for (i = 0; i < 2; i++)
				if (w.x[i].outstanding) {
					kick(&w.x[i]);
					reap(&w.x[i]);
				}
			poll(p, (nfds_t)n_dirs, w.x[0].outstanding || w.x[1].outstanding ? 1 : 100);
		}
	}
	/* the last frames on their way out */
	for (i = 0; i < 2; i++) {
		int tries;

		for (tries = 0; w.x[i].outstanding && tries < 100; tries++) {
			kick(&w.x[i]);
			reap(&w.x[i]);
			if (w.x[i].outstanding)
				usleep(1000);
		}
		read_drops(&w.x[i]);
	}
	res.forwarded = res.c[0].tx_packets + res.c[1].tx_packets;
	res.dropped = res.c[0].rx_packets + res.c[1].rx_packets - res.forwarded;
	res.duration_us = nr_mono_us() - t0;
	*ret = res;
	rc = 0;
out:
	xfwd_close(&w);
	return rc;
}
