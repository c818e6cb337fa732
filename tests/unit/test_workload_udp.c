/* The UDP stream receiver on hand-made datagrams: sequence, reordering, filtering. */
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
