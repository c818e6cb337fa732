/*
 * The capture: a TPACKET_V3 receive ring on one interface into a classic
 * libpcap file, until N frames or a timeout (ixy-ci gives ixy-pcap 15 s,
 * its PCAP_TIMEOUT). The file is flushed after every block of frames, so
 * whatever ended the capture, what was taken is in the file.
 *
 * By default only the frames the check counts (UDP) count toward N, and
 * the others (ARP, IPv6 neighbour discovery a fresh namespace sends) are
 * written but not counted: with ixy-pcap's way (count_all) a router
 * solicitation at the wrong moment turns into "Incorrect packet count".
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "pkt/pkt_int.h"

int nr_pkt_cap(const struct nr_pkt_cap_opts *o, struct nr_pkt_cap_result *ret,
	       struct nr_diag *d)
{
	struct nr_pkt_cap_result res;
	struct nr__pkt_if ifc;
	struct nr__pkt_rx rx;
	struct nr_pkt_writer w;
	struct nr__pkt_ticker tick;
	struct nr__pkt_frame *f = NULL;
	const char *names[1] = { o->ifname };
	int64_t t0, now, end;
	int rc;

	memset(&res, 0, sizeof(res));
	rx.fd = -1;
	w.fd = -1;
	if (o->count < 1)
		return nr_diagf(d, NR_EINVAL, "a capture needs N of at least 1 frame");
	if ((rc = nr__pkt_if_get(o->ifname, &ifc, d)) < 0)
		return rc;
	if ((rc = nr__pkt_rx_open(&rx, &ifc, d)) < 0)
		return rc;
	if ((rc = nr_pkt_writer_open(&w, o->path, d)) < 0)
		goto out;
	f = nr_xmalloc(NR__PKT_RX_FRAMES_MAX * sizeof(*f));
	t0 = nr_mono_us();
	end = o->timeout_us > 0 ? t0 + o->timeout_us : INT64_MAX;
	nr__pkt_ticker_init(&tick, o->tick, o->tick_ctx, t0);
	if (o->ready)
		o->ready(o->tick_ctx);
	res.end = NR_PKT_CAP_COUNT;
	while (res.counted < o->count) {
		size_t i, n;

		now = nr_mono_us();
		if (o->stop && *o->stop) {
			res.end = NR_PKT_CAP_STOPPED;
			break;
		}
		if (now >= end) {
			res.end = NR_PKT_CAP_TIMEOUT;
			break;
		}
		if (tick.fn && now >= tick.next_us) {
			nr__pkt_rx_stats(&rx);
			res.c.rx_dropped = rx.drops;
		}
		nr__pkt_ticker_poll(&tick, now, names, &res.c, 1);
		n = nr__pkt_rx_block(&rx, f, NR__PKT_RX_FRAMES_MAX);
		if (n == 0) {
			struct pollfd p = { .fd = rx.fd, .events = POLLIN | POLLERR };
			int64_t wait_ms = (end - now) / 1000 + 1;

			poll(&p, 1, wait_ms < 100 ? (int)wait_ms : 100);
			continue;
		}
		for (i = 0; i < n && res.counted < o->count; i++) {
			struct nr_pkt_udp_view v;

			if (f[i].outgoing)
				continue;
			res.c.rx_packets++;
			res.c.rx_bytes += f[i].len;
			if (o->count_all || nr_pkt_frame_udp(f[i].data, f[i].caplen, &v) == NR_PKT_UDP)
				res.counted++;
			rc = nr_pkt_writer_add(&w, f[i].ts_ns, f[i].data, f[i].caplen, f[i].len, d);
			if (rc < 0)
				goto out;
			res.written++;
		}
		nr__pkt_rx_release(&rx);
		if ((rc = nr_pkt_writer_flush(&w, d)) < 0)
			goto out;
	}
	res.duration_us = nr_mono_us() - t0;
	nr__pkt_rx_stats(&rx);
	res.c.rx_dropped = rx.drops;
	rc = nr_pkt_writer_close(&w, d);
	if (rc == 0)
		*ret = res;
out:
	if (w.fd >= 0)
		nr_pkt_writer_close(&w, NULL);
	nr__pkt_rx_close(&rx);
	free(f);
	return rc;
}
