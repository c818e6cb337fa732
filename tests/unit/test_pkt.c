/*
 * The packet tools' pure parts: ixy-pktgen's frame against the sample
 * hexdump and pcap (tests/fixtures/pkt/), the pcap and pcapng reader and
 * the pcap writer (byte orders, magics, cut-short and empty files), and
 * ixy-ci's check rules with each failing rule's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "pkt/pkt.h"
#include "test.h"

/* ---- helpers ---- */

/* The frames of the hexdump fixture: "# seq_num = N ..." then "0000  01 02 ..." lines. */
static size_t read_hexdump(uint8_t frames[][64], uint32_t *seqs, size_t max)
{
	struct nr_buf b = NR_BUF_INIT;
	char *line, *save = NULL;
	size_t n = 0, len = 0;

	CHECK_OK(nr_buf_read_file(&b, nr_test_fixture("pkt/ixy-pktgen-frame.hexdump.txt")));
	for (line = strtok_r(b.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long v;
		char *p, *end;

		if (line[0] == '#') {
			CHECK(n < max);
			p = strstr(line, "seq_num = ");
			CHECK(p);
			seqs[n++] = (uint32_t)strtoul(p + 10, NULL, 10);
			len = 0;
			continue;
		}
		p = line + 4; /* after the offset */
		for (;;) {
			v = strtoul(p, &end, 16);
			if (end == p)
				break;
			CHECK(len < 64);
			frames[n - 1][len++] = (uint8_t)v;
			p = end;
		}
		if (len == 60 || len == 64)
			CHECK_EQ(len, 60);
	}
	nr_buf_release(&b);
	return n;
}

static void frame(uint8_t *buf, size_t size, uint32_t seq)
{
	struct nr_pkt_template t;

	nr_pkt_template_ixy(&t, size);
	nr_pkt_frame_build(&t, buf);
	nr_pkt_frame_set_seq(buf, size, seq);
}

static struct nr_buf slurp(const char *rel)
{
	struct nr_buf b = NR_BUF_INIT;

	CHECK_OK(nr_buf_read_file(&b, nr_test_fixture(rel)));
	return b;
}

/* ---- frames ---- */

NR_TEST(pkt_frame_matches_ixy_hexdump)
{
	uint8_t want[4][64], got[64];
	uint32_t seqs[4];
	size_t i, n = read_hexdump(want, seqs, 4);

	CHECK_EQ(n, 3);
	CHECK_EQ(seqs[2], 0x01020304);
	for (i = 0; i < n; i++) {
		frame(got, 60, seqs[i]);
		if (memcmp(got, want[i], 60)) {
			size_t k;

			for (k = 0; k < 60 && got[k] == want[i][k]; k++)
				;
			nr_test_fail(__FILE__, __LINE__, "frame %zu differs at byte %zu: %02x, ixy %02x",
				     i, k, got[k], want[i][k]);
		}
	}
	/* the IPv4 checksum is computed, not copied: ixy's 0x66bd */
	CHECK_EQ(got[24], 0x66);
	CHECK_EQ(got[25], 0xbd);
}

NR_TEST(pkt_frame_larger_sizes_as_ixy_with_that_size)
{
	static const size_t sizes[] = { 61, 64, 128, 1500, 9000 };
	uint8_t *buf = nr_xmalloc(NR_PKT_MAX_SIZE);
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(sizes); i++) {
		size_t s = sizes[i];
		struct nr_pkt_udp_view v;
		uint32_t sum = 0;
		size_t k;

		frame(buf, s, 0xdeadbeef);
		CHECK_EQ(buf[16] << 8 | buf[17], s - 14);    /* IPv4 total length */
		CHECK_EQ(buf[38] << 8 | buf[39], s - 34);    /* UDP length */
		CHECK_EQ(nr_pkt_udp_len(s), s - 34);
		for (k = 14; k < 34; k += 2)                 /* the header checksums to 0xffff */
			sum += (uint32_t)(buf[k] << 8 | buf[k + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		CHECK_EQ(sum, 0xffff);
		CHECK(!memcmp(buf + 42, "ixy", 3));
		for (k = 45; k < s - 4; k++)
			CHECK_EQ(buf[k], 0);
		CHECK_EQ(buf[s - 4], 0xef);
		CHECK_EQ(buf[s - 1], 0xde);
		CHECK_EQ(nr_pkt_frame_udp(buf, s, &v), NR_PKT_UDP);
		CHECK_EQ(v.udp_len, s - 34);
		CHECK_EQ(v.payload_len, s - 42);
	}
	free(buf);
}

NR_TEST(pkt_frame_views)
{
	uint8_t f[128], g[128];
	struct nr_pkt_udp_view v;

	frame(f, 60, 7);
	CHECK_EQ(nr_pkt_frame_udp(f, 60, &v), NR_PKT_UDP);
	CHECK_EQ(v.udp_len, 26);
	CHECK(!memcmp(v.payload, "ixy", 3));
	/* padding after the IP total length is no payload */
	memset(g, 0, sizeof(g));
	memcpy(g, f, 60);
	CHECK_EQ(nr_pkt_frame_udp(g, 100, &v), NR_PKT_UDP);
	CHECK_EQ(v.payload_len, 18);
	/* cut short: every header */
	CHECK_EQ(nr_pkt_frame_udp(f, 10, &v), NR_PKT_BAD);
	CHECK_CONTAINS(v.why, "Ethernet");
	CHECK_EQ(nr_pkt_frame_udp(f, 30, &v), NR_PKT_BAD);
	CHECK_CONTAINS(v.why, "IPv4");
	CHECK_EQ(nr_pkt_frame_udp(f, 38, &v), NR_PKT_BAD);
	CHECK_CONTAINS(v.why, "UDP");
	/* a wrong IP version, an impossible header length */
	memcpy(g, f, 60);
	g[14] = 0x65;
	CHECK_EQ(nr_pkt_frame_udp(g, 60, &v), NR_PKT_BAD);
	g[14] = 0x44;
	CHECK_EQ(nr_pkt_frame_udp(g, 60, &v), NR_PKT_BAD);
	/* not UDP: ARP, TCP, a later fragment */
	memcpy(g, f, 60);
	g[12] = 0x08;
	g[13] = 0x06;
	CHECK_EQ(nr_pkt_frame_udp(g, 60, &v), NR_PKT_OTHER);
	memcpy(g, f, 60);
	g[23] = 6;
	CHECK_EQ(nr_pkt_frame_udp(g, 60, &v), NR_PKT_OTHER);
	memcpy(g, f, 60);
	g[21] = 1;
	CHECK_EQ(nr_pkt_frame_udp(g, 60, &v), NR_PKT_OTHER);
	/* behind a VLAN tag */
	memcpy(g, f, 12);
	g[12] = 0x81;
	g[13] = 0x00;
	g[14] = 0x00;
	g[15] = 0x05;
	memcpy(g + 16, f + 12, 48);
	CHECK_EQ(nr_pkt_frame_udp(g, 64, &v), NR_PKT_UDP);
	CHECK_EQ(v.udp_len, 26);
	/* UDP over IPv6 is UDP to ixy-ci too */
	memset(g, 0, sizeof(g));
	memcpy(g, f, 12);
	g[12] = 0x86;
	g[13] = 0xdd;
	g[14] = 0x60;
	g[19] = 26;  /* payload length */
	g[20] = 17;  /* next header: UDP */
	memcpy(g + 54, f + 34, 26);
	CHECK_EQ(nr_pkt_frame_udp(g, 80, &v), NR_PKT_UDP);
	CHECK_EQ(v.udp_len, 26);
	CHECK(!memcmp(v.payload, "ixy", 3));
	CHECK_EQ(nr_pkt_frame_udp(g, 50, &v), NR_PKT_BAD);
}

NR_TEST(pkt_parse_addresses)
{
	uint8_t mac[6];
	uint32_t ip;

	CHECK_OK(nr_pkt_parse_mac("02:0a:FF:00:10:9b", mac));
	CHECK(mac[0] == 2 && mac[1] == 0x0a && mac[2] == 0xff && mac[5] == 0x9b);
	CHECK_OK(nr_pkt_parse_mac("02-0a-ff-00-10-9b", mac));
	CHECK(nr_pkt_parse_mac("02:0a:ff:00:10", mac) < 0);
	CHECK(nr_pkt_parse_mac("02:0a:ff:00:10:9b:", mac) < 0);
	CHECK(nr_pkt_parse_mac("2:0a:ff:00:10:9b", mac) < 0);
	CHECK(nr_pkt_parse_mac("", mac) < 0);
	CHECK_OK(nr_pkt_parse_ipv4("10.77.1.2", &ip));
	CHECK_EQ(ip, 0x0a4d0102u);
	CHECK(nr_pkt_parse_ipv4("10.77.1", &ip) < 0);
	CHECK(nr_pkt_parse_ipv4("10.77.1.256", &ip) < 0);
	CHECK(nr_pkt_parse_ipv4("10.77.1.2.3", &ip) < 0);
	CHECK(nr_pkt_parse_ipv4("1234.1.1.1", &ip) < 0);
	CHECK(nr_pkt_parse_ipv4("a.b.c.d", &ip) < 0);
}

/* ---- pcap files ---- */

/* The sample: 16 frames, seq 0..15, at 0x6553f100 s + 10 us x i. */
static void expect_sample(struct nr_pkt_reader *r, bool ns_exact)
{
	struct nr_pkt_record rec;
	struct nr_diag d = { 0 };
	uint8_t want[60];
	int i, rc;

	for (i = 0; i < 16; i++) {
		rc = nr_pkt_reader_next(r, &rec, &d);
		if (rc != 1)
			nr_test_fail(__FILE__, __LINE__, "record %d: %d %s", i, rc, d.msg);
		CHECK_EQ(rec.caplen, 60);
		CHECK_EQ(rec.origlen, 60);
		frame(want, 60, (uint32_t)i);
		CHECK(!memcmp(rec.data, want, 60));
		CHECK_EQ(rec.ts_ns, 0x6553f100LL * 1000000000 + i * 10000 + (ns_exact ? i : 0));
	}
	CHECK_EQ(nr_pkt_reader_next(r, &rec, &d), 0);
	CHECK_EQ(r->records, 16);
}

static void put32(uint8_t *p, uint32_t v, bool be)
{
	if (be)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v, bool be)
{
	if (be)
		v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

/* The sample rewritten: big-endian and/or with the nanosecond magic (ns fraction i*10000+i). */
static void rewrite(const struct nr_buf *in, struct nr_buf *out, bool be, bool ns)
{
	uint32_t v;
	size_t off = 24;
	int i = 0;

	nr_buf_reset(out);
	nr_buf_add(out, in->buf, in->len);
	put32((uint8_t *)out->buf, ns ? NR_PKT_PCAP_MAGIC_NS : NR_PKT_PCAP_MAGIC, be);
	put16((uint8_t *)out->buf + 4, 2, be);
	put16((uint8_t *)out->buf + 6, 4, be);
	put32((uint8_t *)out->buf + 16, 65535, be);
	put32((uint8_t *)out->buf + 20, 1, be);
	while (off < in->len) {
		uint32_t f[4];

		memcpy(f, in->buf + off, 16);
		if (ns)
			f[1] = f[1] * 1000 + (uint32_t)i;
		for (v = 0; v < 4; v++)
			put32((uint8_t *)out->buf + off + v * 4, f[v], be);
		off += 16 + f[2];
		i++;
	}
}

NR_TEST(pkt_pcap_reads_the_sample_in_every_order_and_magic)
{
	struct nr_buf in = slurp("pkt/ixy-pktgen-16pkts.pcap"), b = NR_BUF_INIT;
	struct nr_pkt_reader r;
	struct nr_diag d = { 0 };
	int be, ns;

	CHECK_OK(nr_pkt_reader_open(&r, nr_test_fixture("pkt/ixy-pktgen-16pkts.pcap"), &d));
	CHECK(!r.swapped && !r.nanosecond);
	CHECK_EQ(r.format, NR_PKT_FILE_PCAP);
	CHECK_EQ(r.version_major, 2);
	CHECK_EQ(r.version_minor, 4);
	CHECK_EQ(r.snaplen, 65535);
	CHECK_EQ(r.linktype, 1);
	expect_sample(&r, false);
	nr_pkt_reader_close(&r);
	for (be = 0; be < 2; be++)
		for (ns = 0; ns < 2; ns++) {
			rewrite(&in, &b, be, ns);
			if (nr_pkt_reader_open_mem(&r, b.buf, b.len, "x.pcap", &d) < 0)
				nr_test_fail(__FILE__, __LINE__, "be %d ns %d: %s", be, ns, d.msg);
			CHECK_EQ(r.swapped, be == 1);
			CHECK_EQ(r.nanosecond, ns == 1);
			expect_sample(&r, ns);
			nr_pkt_reader_close(&r);
		}
	nr_buf_release(&in);
	nr_buf_release(&b);
}

/* The message of opening (or reading to the end of) `len` bytes, which must fail. */
static const char *bad_file(const void *data, size_t len)
{
	static struct nr_diag d;
	struct nr_pkt_reader r;
	struct nr_pkt_record rec;
	int rc;

	nr_diag_clear(&d);
	rc = nr_pkt_reader_open_mem(&r, data, len, "x.pcap", &d);
	if (rc == 0) {
		while ((rc = nr_pkt_reader_next(&r, &rec, &d)) > 0)
			;
		nr_pkt_reader_close(&r);
	}
	if (rc == 0)
		nr_test_fail(__FILE__, __LINE__, "a bad file of %zu bytes was read", len);
	CHECK_EQ(rc, NR_EPARSE);
	CHECK(!strncmp(d.msg, "x.pcap: ", 8));
	return d.msg;
}

NR_TEST(pkt_pcap_bad_files_get_clear_errors)
{
	struct nr_buf in = slurp("pkt/ixy-pktgen-16pkts.pcap"), b = NR_BUF_INIT;
	size_t cut;

	CHECK_CONTAINS(bad_file("", 0), "empty file");
	CHECK_CONTAINS(bad_file(in.buf, 10), "cut short in the pcap header (10 of 24 bytes)");
	CHECK_CONTAINS(bad_file(in.buf, 2), "cut short in the pcap header");
	/* cut inside record 3's header, then inside its frame */
	cut = 24 + 2 * 76 + 8;
	CHECK_CONTAINS(bad_file(in.buf, cut), "cut short in the header of record 3");
	cut = 24 + 2 * 76 + 16 + 30;
	CHECK_CONTAINS(bad_file(in.buf, cut), "cut short in the frame of record 3");
	/* every length from the header on: never a crash, a clean end only at record boundaries */
	for (cut = 0; cut < in.len; cut++) {
		struct nr_pkt_reader r;
		struct nr_pkt_record rec;
		int rc = nr_pkt_reader_open_mem(&r, in.buf, cut, "x.pcap", NULL);

		if (rc == 0) {
			while ((rc = nr_pkt_reader_next(&r, &rec, NULL)) > 0)
				;
			nr_pkt_reader_close(&r);
		}
		CHECK_EQ(rc == 0, cut >= 24 && (cut - 24) % 76 == 0);
	}
	/* a foreign magic, a record claiming a megabyte, a link type, a version */
	nr_buf_add(&b, "GIF89a..................", 24);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "not a pcap or pcapng file (magic 47 49 46 38)");
	nr_buf_reset(&b);
	nr_buf_add(&b, in.buf, in.len);
	put32((uint8_t *)b.buf + 24 + 8, 1u << 20, false);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "record 1 (at byte 24) claims 1048576 bytes");
	nr_buf_reset(&b);
	nr_buf_add(&b, in.buf, in.len);
	put32((uint8_t *)b.buf + 20, 113, false);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "link type 113 (Linux cooked");
	nr_buf_reset(&b);
	nr_buf_add(&b, in.buf, in.len);
	put16((uint8_t *)b.buf + 4, 1, false);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "pcap version 1.4 is not supported");
	nr_buf_reset(&b);
	nr_buf_add(&b, in.buf, in.len);
	put32((uint8_t *)b.buf, 0xa1b2cd34u, false);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "modified (Kuznetzov) pcap");
	nr_buf_release(&in);
	nr_buf_release(&b);
}

NR_TEST(pkt_pcap_writer_writes_ixy_pcap_byte_for_byte)
{
	struct nr_buf in = slurp("pkt/ixy-pktgen-16pkts.pcap"), out = NR_BUF_INIT;
	struct nr_pkt_writer w;
	struct nr_diag d = { 0 };
	uint8_t f[60];
	int i;

	CHECK_OK(nr_pkt_writer_open(&w, "w.pcap", &d));
	/* the header is on disk at once: an empty capture is a valid file */
	CHECK_OK(nr_buf_read_file(&out, "w.pcap"));
	CHECK_EQ(out.len, 24);
	CHECK(!memcmp(out.buf, in.buf, 24));
	for (i = 0; i < 16; i++) {
		frame(f, 60, (uint32_t)i);
		CHECK_OK(nr_pkt_writer_add(&w, 0x6553f100LL * 1000000000 + i * 10000 + 999, f, 60, 60, &d));
	}
	CHECK_OK(nr_pkt_writer_close(&w, &d));
	nr_buf_reset(&out);
	CHECK_OK(nr_buf_read_file(&out, "w.pcap"));
	CHECK_EQ(out.len, in.len);
	CHECK(!memcmp(out.buf, in.buf, in.len));
	/* a frame beyond the snaplen is cut to it, its length kept */
	{
		uint8_t *big = nr_xcalloc(1, 70000);
		struct nr_pkt_reader r;
		struct nr_pkt_record rec;

		CHECK_OK(nr_pkt_writer_open(&w, "big.pcap", &d));
		CHECK_OK(nr_pkt_writer_add(&w, 1, big, 70000, 70000, &d));
		CHECK_OK(nr_pkt_writer_close(&w, &d));
		CHECK_OK(nr_pkt_reader_open(&r, "big.pcap", &d));
		CHECK_EQ(nr_pkt_reader_next(&r, &rec, &d), 1);
		CHECK_EQ(rec.caplen, 65535);
		CHECK_EQ(rec.origlen, 70000);
		nr_pkt_reader_close(&r);
		free(big);
	}
	CHECK(nr_pkt_writer_open(&w, "no/such/dir/x.pcap", &d) < 0);
	CHECK_CONTAINS(d.msg, "no/such/dir/x.pcap: cannot create");
	nr_buf_release(&in);
	nr_buf_release(&out);
}

/* pcapng blocks, in either byte order */
static void ng_block(struct nr_buf *b, uint32_t type, const void *body, size_t len, bool be)
{
	uint8_t h[8], pad[4] = { 0 };
	uint32_t total = (uint32_t)(12 + ((len + 3) & ~(size_t)3));

	put32(h, type, be);
	put32(h + 4, total, be);
	nr_buf_add(b, h, 8);
	nr_buf_add(b, body, len);
	nr_buf_add(b, pad, ((len + 3) & ~(size_t)3) - len);
	put32(h, total, be);
	nr_buf_add(b, h, 4);
}

static void ng_section(struct nr_buf *b, bool be, int tsresol)
{
	uint8_t shb[16], idb[16];

	put32(shb, 0x1a2b3c4d, be);
	put16(shb + 4, 1, be);
	put16(shb + 6, 0, be);
	memset(shb + 8, 0xff, 8); /* section length: unknown */
	ng_block(b, 0x0a0d0d0a, shb, 16, be);
	put16(idb, 1, be);
	put16(idb + 2, 0, be);
	put32(idb + 4, 65535, be);
	put16(idb + 8, 9, be);  /* if_tsresol */
	put16(idb + 10, 1, be);
	idb[12] = (uint8_t)tsresol;
	idb[13] = idb[14] = idb[15] = 0;
	ng_block(b, 1, idb, tsresol >= 0 ? 16 : 8, be);
}

static void ng_epb(struct nr_buf *b, bool be, uint64_t ticks, uint32_t seq)
{
	uint8_t body[20 + 60];

	put32(body, 0, be);
	put32(body + 4, (uint32_t)(ticks >> 32), be);
	put32(body + 8, (uint32_t)ticks, be);
	put32(body + 12, 60, be);
	put32(body + 16, 60, be);
	frame(body + 20, 60, seq);
	ng_block(b, 6, body, sizeof(body), be);
}

NR_TEST(pkt_pcapng_reads_sections_blocks_and_resolutions)
{
	struct nr_buf b = NR_BUF_INIT;
	struct nr_pkt_reader r;
	struct nr_pkt_record rec;
	struct nr_diag d = { 0 };
	uint8_t spb[4 + 60], want[60];
	int be, i;

	for (be = 0; be < 2; be++) {
		nr_buf_reset(&b);
		/* section 1: nanoseconds; a statistics block between frames is skipped */
		ng_section(&b, be, 9);
		ng_epb(&b, be, 1700000000123456789ull, 0);
		ng_block(&b, 5, "\0\0\0\0\0\0\0\0\0\0\0\0", 12, be);
		ng_epb(&b, be, 1700000000123456790ull, 1);
		/* section 2 in the other byte order, default microseconds, a simple packet */
		ng_section(&b, !be, -1);
		ng_epb(&b, !be, 1700000000123456ull, 2);
		put32(spb, 60, !be);
		frame(spb + 4, 60, 3);
		ng_block(&b, 3, spb, sizeof(spb), !be);
		if (nr_pkt_reader_open_mem(&r, b.buf, b.len, "x.pcapng", &d) < 0)
			nr_test_fail(__FILE__, __LINE__, "%s", d.msg);
		CHECK_EQ(r.format, NR_PKT_FILE_PCAPNG);
		for (i = 0; i < 4; i++) {
			if (nr_pkt_reader_next(&r, &rec, &d) != 1)
				nr_test_fail(__FILE__, __LINE__, "record %d: %s", i, d.msg);
			frame(want, 60, (uint32_t)i);
			CHECK_EQ(rec.caplen, 60);
			CHECK(!memcmp(rec.data, want, 60));
			if (i < 2)
				CHECK_EQ(rec.ts_ns, 1700000000123456789LL + i);
			else if (i == 2)
				CHECK_EQ(rec.ts_ns, 1700000000123456000LL);
		}
		CHECK_EQ(nr_pkt_reader_next(&r, &rec, &d), 0);
		CHECK_EQ(r.linktype, 1);
		nr_pkt_reader_close(&r);
		/* cut anywhere inside the last block: an error, never a crash */
		CHECK_CONTAINS(bad_file(b.buf, b.len - 3), "cut short");
	}
	/* a non-Ethernet interface */
	nr_buf_reset(&b);
	ng_section(&b, false, 6);
	put16((uint8_t *)b.buf + 28 + 8, 113, false);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "link type 113");
	/* a packet naming an interface never described */
	nr_buf_reset(&b);
	ng_section(&b, false, 6);
	ng_epb(&b, false, 0, 0);
	put32((uint8_t *)b.buf + b.len - 4 - 60 - 20, 3, false);
	CHECK_CONTAINS(bad_file(b.buf, b.len), "names interface 3");
	nr_buf_release(&b);
}

/* ---- the check ---- */

struct feed {
	struct nr_pkt_checker *c;
	uint8_t f[NR_PKT_MAX_SIZE];
	size_t size;
	int64_t ts;
};

static void feed_init(struct feed *fd, uint64_t sent, size_t gen_size, size_t check_size)
{
	struct nr_pkt_check_opts o = { .sent = sent, .size = check_size };

	fd->c = nr_pkt_checker_new(&o);
	fd->size = gen_size;
	fd->ts = 1000000000;
}

static void feed_seq(struct feed *fd, uint32_t seq)
{
	frame(fd->f, fd->size, seq);
	nr_pkt_checker_add(fd->c, fd->ts, fd->f, fd->size, fd->size);
	fd->ts += 1000;
}

static void feed_raw(struct feed *fd, const uint8_t *f, size_t len)
{
	nr_pkt_checker_add(fd->c, fd->ts, f, len, len);
}

static void feed_range(struct feed *fd, uint32_t from, uint32_t to)
{
	uint32_t s;

	for (s = from; s < to; s++)
		feed_seq(fd, s);
}

static struct nr_pkt_check finish(struct feed *fd)
{
	struct nr_pkt_check r;

	nr_pkt_checker_finish(fd->c, &r);
	return r;
}

NR_TEST(pkt_check_passes_the_sample_as_ixy_ci_does)
{
	struct nr_pkt_check_opts o = { .sent = 16 };
	struct nr_pkt_check r;
	struct nr_diag d = { 0 };

	CHECK_OK(nr_pkt_check_file(nr_test_fixture("pkt/ixy-pktgen-16pkts.pcap"), &o, &r, &d));
	CHECK_EQ(r.rule, NR_PKT_RULE_PASS);
	CHECK_STR(r.message, "");
	CHECK_EQ(r.udp, 16);
	CHECK_EQ(r.first_seq, 0);
	CHECK_EQ(r.last_seq, 15);
	CHECK_EQ(r.lost + r.duplicates + r.reordered, 0);
	o.sent = 17;
	CHECK_OK(nr_pkt_check_file(nr_test_fixture("pkt/ixy-pktgen-16pkts.pcap"), &o, &r, &d));
	CHECK_EQ(r.rule, NR_PKT_RULE_COUNT);
	CHECK_STR(r.message, "Incorrect packet count: expected: 17 actual: 16");
	/* files that cannot be read are errors, not verdicts */
	CHECK(nr_pkt_check_file("missing.pcap", &o, &r, &d) < 0);
	CHECK_CONTAINS(d.msg, "missing.pcap: No such file");
}

NR_TEST(pkt_check_rule_count)
{
	struct feed fd;
	struct nr_pkt_check r;

	feed_init(&fd, 100, 60, 0);
	feed_range(&fd, 0, 99);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_COUNT);
	CHECK_STR(r.message, "Incorrect packet count: expected: 100 actual: 99");
	/* too many fails too, even when they are all distinct */
	feed_init(&fd, 100, 60, 0);
	feed_range(&fd, 0, 101);
	CHECK_EQ(finish(&fd).rule, NR_PKT_RULE_COUNT);
	/* frames that are not UDP do not count */
	feed_init(&fd, 3, 60, 0);
	feed_range(&fd, 0, 3);
	frame(fd.f, 60, 9);
	fd.f[23] = 6; /* TCP */
	feed_raw(&fd, fd.f, 60);
	fd.f[12] = 0x86;
	fd.f[13] = 0xdd; /* IPv6 without UDP in next header... */
	fd.f[14] = 0x60;
	fd.f[20] = 58;   /* ...ICMPv6 */
	feed_raw(&fd, fd.f, 60);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_PASS);
	CHECK_EQ(r.ignored, 2);
	CHECK_EQ(r.frames, 5);
}

NR_TEST(pkt_check_rule_max_seq_bounds)
{
	struct feed fd;
	struct nr_pkt_check r;

	/* N-1 and 2N pass; N-2 and 2N+1 fail */
	feed_init(&fd, 10, 60, 0);
	feed_range(&fd, 0, 10);
	CHECK_EQ(finish(&fd).rule, NR_PKT_RULE_PASS);
	feed_init(&fd, 10, 60, 0);
	feed_range(&fd, 0, 9);
	feed_seq(&fd, 20);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_PASS);
	CHECK_EQ(r.lost, 11);
	CHECK_NEAR(r.loss_percent, 11.0 / 21 * 100, 1e-9);
	feed_init(&fd, 10, 60, 0);
	feed_range(&fd, 0, 9);
	feed_seq(&fd, 21);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_MAX_SEQ);
	CHECK_STR(r.message, "Bad sequence number: expected 10 packets but max sequence number was 21 (allowed 9 to 20)");
	/* 0..8 and a duplicate: max 8 < N-1, found before the duplicate (ixy-ci's order) */
	feed_init(&fd, 10, 60, 0);
	feed_range(&fd, 0, 9);
	feed_seq(&fd, 4);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_MAX_SEQ);
	CHECK_CONTAINS(r.message, "max sequence number was 8");
	CHECK_EQ(r.duplicates, 1);
	/* N = 1: max 0 passes (no underflow of N-1) */
	feed_init(&fd, 1, 60, 0);
	feed_seq(&fd, 0);
	CHECK_EQ(finish(&fd).rule, NR_PKT_RULE_PASS);
}

NR_TEST(pkt_check_rule_duplicate)
{
	struct feed fd;
	struct nr_pkt_check r;

	feed_init(&fd, 10, 60, 0);
	feed_range(&fd, 0, 8);
	feed_seq(&fd, 9);
	feed_seq(&fd, 9);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_DUPLICATE);
	CHECK_STR(r.message, "Some sequence number occured more than once (1 duplicate frames)");
	CHECK_EQ(r.duplicates, 1);
	CHECK_EQ(r.unique, 9);
	CHECK_EQ(r.lost, 1);          /* 8 never came */
	CHECK_EQ(r.reordered, 0);     /* a duplicate is not counted twice */
}

NR_TEST(pkt_check_rule_malformed)
{
	struct feed fd;
	struct nr_pkt_check r;

	/* a wrong UDP length */
	feed_init(&fd, 3, 60, 0);
	feed_range(&fd, 0, 2);
	frame(fd.f, 60, 2);
	fd.f[39] = 30;
	feed_raw(&fd, fd.f, 60);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_MALFORMED);
	CHECK_CONTAINS(r.message, "Malformed UDP packet (invalid length or missing \"ixy\"): frame 3, UDP length 30, not 26: 01 02 03 04 05 06");
	CHECK_EQ(r.malformed, 1);
	CHECK_EQ(r.udp, 2); /* a malformed frame is not counted */
	/* no "ixy"; the first bad frame is the verdict, later ones only counted */
	feed_init(&fd, 3, 60, 0);
	frame(fd.f, 60, 0);
	fd.f[44] = 'z';
	feed_raw(&fd, fd.f, 60);
	feed_raw(&fd, fd.f, 30); /* and a frame cut inside its IPv4 header */
	feed_range(&fd, 1, 3);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_MALFORMED);
	CHECK_CONTAINS(r.message, "frame 1, payload does not start with \"ixy\"");
	CHECK_EQ(r.malformed, 2);
	/* larger frames: malformed unless the check is told their size */
	feed_init(&fd, 2, 1500, 0);
	feed_range(&fd, 0, 2);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_MALFORMED);
	CHECK_CONTAINS(r.message, "UDP length 1466, not 26 (frames of another size? give --size)");
	feed_init(&fd, 2, 1500, 1500);
	feed_range(&fd, 0, 2);
	CHECK_EQ(finish(&fd).rule, NR_PKT_RULE_PASS);
	/* ixy-ci's rule is on the UDP length: 60-byte frames fail a --size 64 check */
	feed_init(&fd, 2, 60, 64);
	feed_range(&fd, 0, 2);
	CHECK_CONTAINS(finish(&fd).message, "UDP length 26, not 30");
}

NR_TEST(pkt_check_rule_frame)
{
	struct feed fd;
	struct nr_pkt_check r;

	feed_init(&fd, 2, 60, 0);
	frame(fd.f, 60, 0);
	feed_raw(&fd, fd.f, 36); /* cut inside the UDP header */
	feed_range(&fd, 0, 2);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_FRAME);
	CHECK_CONTAINS(r.message, "Failed to parse ethernet frame: UDP header cut short; frame 1: 01 02");
	/* an ixy frame the capture cut (snaplen): its number is not there */
	feed_init(&fd, 1, 60, 0);
	frame(fd.f, 60, 0);
	feed_raw(&fd, fd.f, 50);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_FRAME);
	CHECK_CONTAINS(r.message, "UDP payload cut short by the capture");
}

NR_TEST(pkt_check_measures_loss_duplicates_reordering)
{
	static const uint32_t seq[] = { 0, 1, 2, 5, 3, 4, 6, 8, 9, 1, 7 };
	struct feed fd;
	struct nr_pkt_check r;
	size_t i;

	feed_init(&fd, NR_ARRAY_SIZE(seq), 60, 0);
	for (i = 0; i < NR_ARRAY_SIZE(seq); i++)
		feed_seq(&fd, seq[i]);
	r = finish(&fd);
	CHECK_EQ(r.udp, 11);
	CHECK_EQ(r.unique, 10);
	CHECK_EQ(r.duplicates, 1);      /* the second 1 */
	CHECK_EQ(r.reordered, 3);       /* 3, 4 (after 5) and 7 (after 8, 9) */
	/* RFC 4737 extent: 3 at index 4 and 4 at 5 came after 5 at 3 (1, 2); 7 at 10 after 8 at 7 (3) */
	CHECK_EQ(r.reorder_extent_max, 3);
	CHECK_EQ(r.lost, 0);
	CHECK_EQ(r.first_seq, 0);
	CHECK_EQ(r.last_seq, 7);
	CHECK_EQ(r.min_seq, 0);
	CHECK_EQ(r.max_seq, 9);
	CHECK_EQ(r.rule, NR_PKT_RULE_MAX_SEQ); /* 11 frames, max 9 < N-1 */
	/* loss counts the gaps below the highest number; the start need not be 0 */
	feed_init(&fd, 3, 60, 0);
	feed_seq(&fd, 2);
	feed_seq(&fd, 4);
	feed_seq(&fd, 5);
	r = finish(&fd);
	CHECK_EQ(r.lost, 3);            /* 0, 1, 3 */
	CHECK_NEAR(r.loss_percent, 50.0, 1e-9);
	CHECK_EQ(r.first_seq, 2);
	CHECK_EQ(r.rule, NR_PKT_RULE_PASS); /* 2 <= 5 <= 6 */
	/* an empty capture: count fails, nothing else is made up */
	feed_init(&fd, 5, 60, 0);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_COUNT);
	CHECK_EQ(r.lost, 0);
	CHECK_STR(r.message, "Incorrect packet count: expected: 5 actual: 0");
}

NR_TEST(pkt_check_rule_order_on_request)
{
	static const uint32_t seq[] = { 0, 1, 3, 2, 4 };
	struct nr_pkt_check_opts o = { .sent = 5, .in_order = true };
	struct nr_pkt_checker *c;
	struct nr_pkt_check r;
	struct feed fd;
	uint8_t f[60];
	size_t i;

	/* by default reordering is reported, not failed (ixy-ci disabled the rule) */
	feed_init(&fd, 5, 60, 0);
	for (i = 0; i < NR_ARRAY_SIZE(seq); i++)
		feed_seq(&fd, seq[i]);
	r = finish(&fd);
	CHECK_EQ(r.rule, NR_PKT_RULE_PASS);
	CHECK_EQ(r.reordered, 1);
	c = nr_pkt_checker_new(&o);
	for (i = 0; i < NR_ARRAY_SIZE(seq); i++) {
		frame(f, 60, seq[i]);
		nr_pkt_checker_add(c, 0, f, 60, 60);
	}
	nr_pkt_checker_finish(c, &r);
	CHECK_EQ(r.rule, NR_PKT_RULE_ORDER);
	CHECK_STR(r.message, "Wrong packet order: last sequence number was 3 and now encountered 2 (frame 4)");
	CHECK_STR(nr_pkt_rule_name(r.rule), "order");
	/* a duplicate is out of order too, as it was for ixy-ci */
	c = nr_pkt_checker_new(&o);
	for (i = 0; i < 3; i++) {
		frame(f, 60, i == 2 ? 1 : (uint32_t)i);
		nr_pkt_checker_add(c, 0, f, 60, 60);
	}
	nr_pkt_checker_finish(c, &r);
	CHECK_EQ(r.rule, NR_PKT_RULE_ORDER);
}

NR_TEST(pkt_check_names_and_methods)
{
	enum nr_pkt_method m;

	CHECK_STR(nr_pkt_rule_name(NR_PKT_RULE_MAX_SEQ), "max_seq");
	CHECK_STR(nr_pkt_rule_name(NR_PKT_RULE_PASS), "pass");
	CHECK_OK(nr_pkt_method_parse("sendmmsg", &m));
	CHECK_EQ(m, NR_PKT_SENDMMSG);
	CHECK(nr_pkt_method_parse("dpdk", &m) < 0);
}
