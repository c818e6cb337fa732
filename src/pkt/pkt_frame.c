/*
 * Frame layout: ixy-pktgen's frame (emmericp/ixy src/app/ixy-pktgen.c,
 * `pkt_data[]`, sample in tests/fixtures/pkt/) and the view of a frame
 * ixy-ci's check takes (ixy-languages/ixy-ci src/pcap_tester.rs, which
 * slices frames with etherparse: Ethernet II, 802.1Q tags, IPv4 or IPv6,
 * then UDP).
 */
#include <string.h>

#include "base/num.h"
#include "base/str.h"
#include "pkt/pkt.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define IPPROTO_UDP_ 17

static const uint8_t ixy_dst[6] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
static const uint8_t ixy_src[6] = { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10 };

void nr_pkt_template_ixy(struct nr_pkt_template *t, size_t size)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->dst_mac, ixy_dst, 6);
	memcpy(t->src_mac, ixy_src, 6);
	t->src_ip = 0x0a000001; /* 10.0.0.1 */
	t->dst_ip = 0x0a000002; /* 10.0.0.2 */
	t->src_port = 42;
	t->dst_port = 1337;
	t->size = size;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* RFC 1071: the ones' complement of the ones' complement sum of 16-bit words. */
static unsigned ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

void nr_pkt_frame_build(const struct nr_pkt_template *t, uint8_t *frame)
{
	uint8_t *ip = frame + NR_PKT_ETH_HDR, *udp = ip + NR_PKT_IP_HDR;

	memset(frame, 0, t->size);
	memcpy(frame, t->dst_mac, 6);
	memcpy(frame + 6, t->src_mac, 6);
	put16(frame + 12, ETH_P_IPV4);
	ip[0] = 0x45;                          /* version 4, header 5 words */
	put16(ip + 2, (unsigned)(t->size - NR_PKT_ETH_HDR)); /* total length */
	ip[8] = 64;                            /* TTL */
	ip[9] = IPPROTO_UDP_;
	put32(ip + 12, t->src_ip);
	put32(ip + 16, t->dst_ip);
	put16(ip + 10, ip_checksum(ip, NR_PKT_IP_HDR));
	put16(udp, t->src_port);
	put16(udp + 2, t->dst_port);
	put16(udp + 4, nr_pkt_udp_len(t->size));
	/* UDP checksum 0: none, as ixy (valid for UDP over IPv4) */
	memcpy(udp + NR_PKT_UDP_HDR, "ixy", 3);
}

int nr_pkt_parse_mac(const char *s, uint8_t ret[6])
{
	uint8_t mac[6];
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = nr_hex_digit(s[0]);
		lo = hi < 0 ? -1 : nr_hex_digit(s[1]);
		if (lo < 0)
			return NR_EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return NR_EINVAL;
			s++;
		}
	}
	if (*s)
		return NR_EINVAL;
	memcpy(ret, mac, 6);
	return 0;
}

int nr_pkt_parse_ipv4(const char *s, uint32_t *ret)
{
	uint32_t a = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char part[4];
		size_t n = 0;
		int64_t v;

		while (s[n] >= '0' && s[n] <= '9' && n < 3) {
			part[n] = s[n];
			n++;
		}
		if (n == 0 || (s[n] >= '0' && s[n] <= '9'))
			return NR_EINVAL;
		part[n] = '\0';
		if (nr_parse_i64(part, 0, 255, &v) < 0)
			return NR_EINVAL;
		a = a << 8 | (uint32_t)v;
		s += n;
		if (i < 3 && *s++ != '.')
			return NR_EINVAL;
	}
	if (*s)
		return NR_EINVAL;
	*ret = a;
	return 0;
}

static enum nr_pkt_kind bad(struct nr_pkt_udp_view *v, const char *why)
{
	v->why = why;
	return NR_PKT_BAD;
}

/*
 * UDP at `udp` with `avail` captured bytes after it. The payload is what
 * the UDP length says, cut to what was captured (etherparse slices by the
 * IP payload length, which for these frames is the same).
 */
static enum nr_pkt_kind udp_view(const uint8_t *udp, size_t avail, struct nr_pkt_udp_view *v)
{
	size_t n;

	if (avail < NR_PKT_UDP_HDR)
		return bad(v, "UDP header cut short");
	v->udp_len = get16(udp + 4);
	n = v->udp_len >= NR_PKT_UDP_HDR ? v->udp_len - NR_PKT_UDP_HDR : 0;
	if (n > avail - NR_PKT_UDP_HDR)
		n = avail - NR_PKT_UDP_HDR;
	v->payload = udp + NR_PKT_UDP_HDR;
	v->payload_len = n;
	return NR_PKT_UDP;
}

enum nr_pkt_kind nr_pkt_frame_udp(const uint8_t *frame, size_t len, struct nr_pkt_udp_view *v)
{
	size_t off = 12, ihl;
	unsigned type;
	int tags = 0;

	memset(v, 0, sizeof(*v));
	if (len < NR_PKT_ETH_HDR)
		return bad(v, "shorter than an Ethernet header");
	type = get16(frame + off);
	/* up to two VLAN tags, as etherparse reads them */
	while ((type == ETH_P_VLAN || type == ETH_P_QINQ) && tags < 2) {
		if (len < off + 6)
			return bad(v, "VLAN tag cut short");
		off += 4;
		type = get16(frame + off);
		tags++;
	}
	off += 2;
	if (type == ETH_P_IPV4) {
		const uint8_t *ip = frame + off;
		unsigned total, frag;

		if (len < off + NR_PKT_IP_HDR)
			return bad(v, "IPv4 header cut short");
		if (ip[0] >> 4 != 4)
			return bad(v, "IPv4 header with another version");
		ihl = (size_t)(ip[0] & 15) * 4;
		if (ihl < NR_PKT_IP_HDR)
			return bad(v, "IPv4 header length below 20");
		if (len < off + ihl)
			return bad(v, "IPv4 options cut short");
		total = get16(ip + 2);
		if (total < ihl)
			return bad(v, "IPv4 total length below its header length");
		frag = get16(ip + 6) & 0x1fff;
		/* a later fragment carries no UDP header: not a UDP frame to look into */
		if (ip[9] != IPPROTO_UDP_ || frag != 0)
			return NR_PKT_OTHER;
		{
			size_t avail = len - off - ihl;

			if (avail > total - ihl)
				avail = total - ihl; /* Ethernet padding is no payload */
			return udp_view(ip + ihl, avail, v);
		}
	}
	if (type == ETH_P_IPV6) {
		const uint8_t *ip = frame + off;
		size_t avail;

		if (len < off + 40)
			return bad(v, "IPv6 header cut short");
		if (ip[0] >> 4 != 6)
			return bad(v, "IPv6 header with another version");
		/* extension headers are not followed: such frames are not ixy's */
		if (ip[6] != IPPROTO_UDP_)
			return NR_PKT_OTHER;
		avail = len - off - 40;
		if (avail > get16(ip + 4))
			avail = get16(ip + 4);
		return udp_view(ip + 40, avail, v);
	}
	return NR_PKT_OTHER;
}
