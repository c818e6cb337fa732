/* The UDP receiver on hand-made datagrams, and the meter on made-up counters. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "test.h"
#include "workload/workload_int.h"

NR_TEST(workload_udp_receiver_counts)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	static const uint64_t seqs[] = { 0, 1, 3, 2, 5, 6, 4 };
	struct nr_wl_params p;
	struct nr__wl_shared sh = { 0 };
	struct nr__wl_flow f;
	char dg[100];
	int rx, tx;
	size_t i;

	nr_wl_params_default(&p, NR_WL_UDP_STREAM);
	p.flows = 2;
	p.size = sizeof(dg);
	sh.p = &p;
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(bind(rx, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(rx, (struct sockaddr *)&sa, &len) == 0);
	CHECK(connect(tx, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	memset(dg, 0, sizeof(dg));
	/* flow 0 out of order; flow 1 in order; a hello, a stranger, a short one */
	for (i = 0; i < NR_ARRAY_SIZE(seqs); i++) {
		nr__wl_udp_hdr(dg, 0, seqs[i], nr_mono_us(), 0);
		CHECK(send(tx, dg, sizeof(dg), 0) == sizeof(dg));
		nr__wl_udp_hdr(dg, 1, i, nr_mono_us(), 0);
		CHECK(send(tx, dg, sizeof(dg), 0) == sizeof(dg));
	}
	nr__wl_udp_hdr(dg, 0, 0, nr_mono_us(), NR__WL_UDP_HELLO);
	CHECK(send(tx, dg, sizeof(dg), 0) == sizeof(dg));
	nr__wl_udp_hdr(dg, 7, 0, nr_mono_us(), 0); /* no such flow */
	CHECK(send(tx, dg, sizeof(dg), 0) == sizeof(dg));
	CHECK(send(tx, "short", 5, 0) == 5);
	nr__wl_udp_hdr(dg, 0, 7, nr_mono_us(), NR__WL_UDP_FIN);
	CHECK(send(tx, dg, NR_WL_UDP_HDR, 0) == NR_WL_UDP_HDR);
	nr__wl_udp_hdr(dg, 1, 7, nr_mono_us(), NR__WL_UDP_FIN);
	CHECK(send(tx, dg, NR_WL_UDP_HDR, 0) == NR_WL_UDP_HDR);

	memset(&f, 0, sizeof(f));
	f.sh = &sh;
	f.role = NR__WL_UDP_STREAM_RECV;
	f.fd = rx;
	f.shared_fd = true;
	f.pin_cpu = -1;
	sh.drain_us = nr_mono_us() + 5000000; /* ends on the two ends of stream first */
	nr__wl_timeouts(rx, NR__WL_POLL_US);
	nr__wl_flow_prepare(&f);
	nr__wl_udp_stream_recv(&f);
	CHECK_EQ(f.err, 0);
	CHECK_EQ(f.udp[0].received, 7);
	CHECK_EQ(f.udp[0].next_seq, 7);
	CHECK_EQ(f.udp[0].reordered, 2); /* 2 after 3, 4 after 6 */
	CHECK_EQ(f.udp[1].received, 7);
	CHECK_EQ(f.udp[1].reordered, 0);
	CHECK(f.udp[0].fin && f.udp[1].fin);
	CHECK_EQ(f.bytes, 14 * sizeof(dg));
	CHECK(f.udp[1].jitter_us >= 0);
	nr__wl_flow_release(&f);
	close(rx);
	close(tx);
}

/* The meter: warm-up mark, interval series, the window's end at the last data. */
NR_TEST(workload_meter_intervals)
{
	struct nr_wl_params p;
	struct nr__wl_shared sh = { 0 };
	struct nr__wl_flow f[2];
	struct nr__wl_meter m;
	int64_t t0 = nr_mono_us() - 10000000, next;

	nr_wl_params_default(&p, NR_WL_TCP_STREAM);
	p.omit_us = 1000000;
	p.interval_us = 500000;
	sh.p = &p;
	memset(f, 0, sizeof(f));
	f[0].sh = f[1].sh = &sh;
	nr__wl_meter_start(&m, &sh, t0);
	CHECK_EQ(nr__wl_meter_tick(&m, &sh, f, 2, t0 + 10), t0 + 1000000);
	CHECK_EQ(sh.measuring, 0);
	f[0].bytes = 1000;
	f[1].bytes = 500;
	/* the warm-up mark, a little late */
	next = nr__wl_meter_tick(&m, &sh, f, 2, t0 + 1000100);
	CHECK_EQ(sh.measuring, 1);
	CHECK_EQ(m.omit_bytes, 1500);
	CHECK_EQ(next, t0 + 1500100);
	f[0].bytes += 2000;
	nr__wl_meter_tick(&m, &sh, f, 2, t0 + 1500100);
	f[1].bytes += 4000;
	nr__wl_meter_tick(&m, &sh, f, 2, t0 + 2000100);
	CHECK_EQ(m.n_iv, 2);
	CHECK_EQ(m.iv[0].start_us, 0);
	CHECK_EQ(m.iv[0].end_us, 500000);
	CHECK_EQ(m.iv[0].bytes, 2000);
	CHECK_EQ(m.iv[1].bytes, 4000);
	/* the last data came 0.3 s after the last tick: a partial interval is kept */
	f[0].last_us = t0 + 2300100;
	f[1].last_us = t0 + 2200000;
	f[0].bytes += 600;
	nr__wl_meter_end(&m, &sh, f, 2);
	CHECK_EQ(m.end_us, t0 + 2300100);
	CHECK_EQ(m.n_iv, 3);
	CHECK_EQ(m.iv[2].end_us - m.iv[2].start_us, 300000);
	CHECK_EQ(m.iv[2].bytes, 600);
	nr__wl_meter_release(&m);
}
