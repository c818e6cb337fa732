/*
 * Capture files: classic libpcap (read in either byte order, with the
 * microsecond magic 0xa1b2c3d4 or the nanosecond one 0xa1b23c4d, as
 * tcpdump, tshark -F pcap and ixy-pcap write them) and pcapng (what
 * tshark and dumpcap write unless told otherwise), read record by record;
 * and a classic libpcap writer laid out as ixy-pcap's (emmericp/ixy
 * src/app/ixy-pcap.c). Formats: the tcpdump.org pcap(5) page and the
 * IETF draft "PCAP Capture File Format" for pcap; draft-ietf-opsawg-pcapng
 * for pcapng (blocks SHB, IDB, EPB, SPB and the obsolete PB; the rest is
 * skipped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "pkt/pkt.h"

#define PCAP_HDR 24
#define PCAP_REC_HDR 16
#define PCAPNG_BOM 0x1a2b3c4du
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34u
#define WRITER_BUF (1u << 20)
/* pcapng blocks beyond packets (name resolution, comments) are small; one larger is corrupt */
#define BLOCK_MAX (NR_PKT_RECORD_MAX + 4096)

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint32_t rd32(const struct nr_pkt_reader *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swapped ? swap32(v) : v;
}

static unsigned rd16(const struct nr_pkt_reader *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swapped ? __builtin_bswap16(v) : v;
}

/* Exactly n bytes into buf: 1, 0 at a clean end of file (nothing read), or -(bytes read + 1). */
static long long read_exact(struct nr_pkt_reader *r, void *buf, size_t n)
{
	size_t got = fread(buf, 1, n, r->f);

	r->offset += got;
	if (got == n)
		return 1;
	return got == 0 ? 0 : -(long long)got - 1;
}

static void reserve(struct nr_pkt_reader *r, size_t n)
{
	if (n > r->cap) {
		r->buf = nr_xrealloc(r->buf, n);
		r->cap = n;
	}
}

static const char *linktype_name(uint32_t lt)
{
	switch (lt) {
	case 0: return " (BSD loopback)";
	case 101: return " (raw IP)";
	case 113: return " (Linux cooked, as 'tcpdump -i any' writes)";
	case 276: return " (Linux cooked v2)";
	case 127: return " (802.11 radiotap)";
	default: return "";
	}
}

/* `what`: "" for a pcap file, "interface N: " for a pcapng one */
static int check_linktype(struct nr_pkt_reader *r, const char *what, uint32_t lt,
			  struct nr_diag *d)
{
	/* the upper bits may carry FCS information (pcap draft, LinkType field) */
	lt &= 0x03ffffff;
	if (lt != NR_PKT_LINKTYPE_ETHERNET)
		return nr_diagf(d, NR_EPARSE, "%s: %slink type %u%s is not Ethernet (1): capture on one Ethernet interface",
				r->name, what, lt, linktype_name(lt));
	return 0;
}

static int open_pcap(struct nr_pkt_reader *r, const uint8_t *h, struct nr_diag *d)
{
	r->format = NR_PKT_FILE_PCAP;
	r->version_major = rd16(r, h + 4);
	r->version_minor = rd16(r, h + 6);
	r->snaplen = rd32(r, h + 16);
	r->linktype = rd32(r, h + 20);
	if (r->version_major != 2)
		return nr_diagf(d, NR_EPARSE, "%s: pcap version %u.%u is not supported (2.4 is)",
				r->name, r->version_major, r->version_minor);
	return check_linktype(r, "", r->linktype, d);
}

/* The byte order of a section from its header's byte-order magic. */
static int section_order(struct nr_pkt_reader *r, const uint8_t *bom, struct nr_diag *d)
{
	uint32_t v;

	memcpy(&v, bom, 4);
	if (v == PCAPNG_BOM)
		r->swapped = false;
	else if (swap32(v) == PCAPNG_BOM)
		r->swapped = true;
	else
		return nr_diagf(d, NR_EPARSE, "%s: pcapng section header at offset %llu has no byte-order magic",
				r->name, (unsigned long long)(r->offset - 12));
	return 0;
}

static int opened(struct nr_pkt_reader *r, struct nr_diag *d)
{
	uint8_t h[PCAP_HDR];
	uint32_t magic;
	long long got = read_exact(r, h, PCAP_HDR);

	if (got == 0)
		return nr_diagf(d, NR_EPARSE, "%s: empty file (no pcap header): did the capture start?", r->name);
	if (got < 0 && -got - 1 < 4)
		return nr_diagf(d, NR_EPARSE, "%s: cut short in the pcap header (%lld of 24 bytes)",
				r->name, -got - 1);
	memcpy(&magic, h, 4);
	if (magic == NR_PKT_PCAPNG_SHB) {
		/* pcapng: block type, length, byte-order magic; the rest is read as blocks */
		if (got < 0 && -got - 1 < 12)
			return nr_diagf(d, NR_EPARSE, "%s: cut short in the pcapng section header", r->name);
		r->format = NR_PKT_FILE_PCAPNG;
		if (fseek(r->f, 0, SEEK_SET) < 0)
			return nr_diagf(d, -errno, "%s: %s", r->name, strerror(errno));
		r->offset = 0;
		return 0;
	}
	if (magic == NR_PKT_PCAP_MAGIC || magic == NR_PKT_PCAP_MAGIC_NS) {
		r->swapped = false;
	} else if (swap32(magic) == NR_PKT_PCAP_MAGIC || swap32(magic) == NR_PKT_PCAP_MAGIC_NS) {
		r->swapped = true;
		magic = swap32(magic);
	} else if (magic == PCAP_MAGIC_KUZNETZOV || swap32(magic) == PCAP_MAGIC_KUZNETZOV) {
		return nr_diagf(d, NR_EPARSE, "%s: a modified (Kuznetzov) pcap file is not supported: convert it with 'editcap -F pcap'",
				r->name);
	} else {
		return nr_diagf(d, NR_EPARSE, "%s: not a pcap or pcapng file (magic %02x %02x %02x %02x)",
				r->name, h[0], h[1], h[2], h[3]);
	}
	if (got < 0)
		return nr_diagf(d, NR_EPARSE, "%s: cut short in the pcap header (%lld of 24 bytes)",
				r->name, -got - 1);
	r->nanosecond = magic == NR_PKT_PCAP_MAGIC_NS;
	return open_pcap(r, h, d);
}

static int open_common(struct nr_pkt_reader *r, FILE *f, const char *name, struct nr_diag *d)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->f = f;
	r->name = nr_xstrdup(name);
	rc = opened(r, d);
	if (rc < 0)
		nr_pkt_reader_close(r);
	return rc;
}

int nr_pkt_reader_open(struct nr_pkt_reader *r, const char *path, struct nr_diag *d)
{
	FILE *f = fopen(path, "rbe");

	if (!f)
		return nr_diagf(d, -errno, "%s: %s", path, strerror(errno));
	return open_common(r, f, path, d);
}

int nr_pkt_reader_open_mem(struct nr_pkt_reader *r, const void *data, size_t len,
			   const char *name, struct nr_diag *d)
{
	/* fmemopen refuses a size of 0: an empty file is an empty stream */
	FILE *f = len ? fmemopen((void *)data, len, "rb") : fopen("/dev/null", "rbe");

	if (!f)
		return nr_diagf(d, -errno, "%s: %s", name, strerror(errno));
	return open_common(r, f, name, d);
}

void nr_pkt_reader_close(struct nr_pkt_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->name);
	free(r->buf);
	free(r->if_linktype);
	free(r->if_tps);
	memset(r, 0, sizeof(*r));
}

static int cut_short(struct nr_pkt_reader *r, const char *what, struct nr_diag *d)
{
	return nr_diagf(d, NR_EPARSE, "%s: cut short in %s of record %llu (at byte %llu): the capture did not finish writing",
			r->name, what, (unsigned long long)r->records + 1,
			(unsigned long long)r->offset);
}

static int next_pcap(struct nr_pkt_reader *r, struct nr_pkt_record *ret, struct nr_diag *d)
{
	uint8_t h[PCAP_REC_HDR];
	uint32_t sec, frac, caplen, origlen;
	long long got = read_exact(r, h, PCAP_REC_HDR);

	if (got == 0)
		return 0;
	if (got < 0)
		return cut_short(r, "the header", d);
	sec = rd32(r, h);
	frac = rd32(r, h + 4);
	caplen = rd32(r, h + 8);
	origlen = rd32(r, h + 12);
	if (caplen > NR_PKT_RECORD_MAX)
		return nr_diagf(d, NR_EPARSE, "%s: record %llu (at byte %llu) claims %u bytes, more than %u: a corrupt file",
				r->name, (unsigned long long)r->records + 1,
				(unsigned long long)r->offset - PCAP_REC_HDR, caplen, NR_PKT_RECORD_MAX);
	reserve(r, caplen ? caplen : 1);
	if (caplen && read_exact(r, r->buf, caplen) != 1)
		return cut_short(r, "the frame", d);
	ret->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (r->nanosecond ? 1 : 1000);
	ret->caplen = caplen;
	ret->origlen = origlen;
	ret->data = r->buf;
	r->records++;
	return 1;
}

/* if_tsresol: 10^-n, or 2^-n with the high bit set (pcapng draft, IDB options). */
static uint64_t tsresol_tps(unsigned v)
{
	uint64_t tps = 1;
	unsigned i, n = v & 0x7f;

	if (v & 0x80)
		return n < 63 ? (uint64_t)1 << n : 0;
	for (i = 0; i < n; i++) {
		if (tps > UINT64_MAX / 10)
			return 0;
		tps *= 10;
	}
	return tps;
}

static int read_idb(struct nr_pkt_reader *r, const uint8_t *body, size_t len, struct nr_diag *d)
{
	uint32_t lt;
	uint64_t tps = 1000000;
	size_t off = 8;
	char what[40];
	int rc;

	if (len < 8)
		return nr_diagf(d, NR_EPARSE, "%s: interface description block cut short", r->name);
	lt = rd16(r, body);
	snprintf(what, sizeof(what), "interface %zu: ", r->n_ifs);
	if ((rc = check_linktype(r, what, lt, d)) < 0)
		return rc;
	/* options: code, length, value padded to 4 bytes */
	while (off + 4 <= len) {
		unsigned code = rd16(r, body + off), olen = rd16(r, body + off + 2);

		if (code == 0 || off + 4 + olen > len)
			break;
		if (code == 9 && olen >= 1) {
			tps = tsresol_tps(body[off + 4]);
			if (!tps)
				return nr_diagf(d, NR_EPARSE, "%s: interface %zu: time stamp resolution %u out of range",
						r->name, r->n_ifs, body[off + 4]);
		}
		off += 4 + ((olen + 3u) & ~3u);
	}
	NR_GROW(r->if_linktype, r->n_ifs + 1, r->cap_ifs);
	r->if_tps = nr_xrealloc(r->if_tps, r->cap_ifs * sizeof(*r->if_tps));
	r->if_linktype[r->n_ifs] = lt;
	r->if_tps[r->n_ifs] = tps;
	if (r->n_ifs == 0) {
		r->linktype = lt;
		r->snaplen = rd32(r, body + 4);
	}
	r->n_ifs++;
	return 0;
}

static int64_t ticks_ns(uint64_t ticks, uint64_t tps)
{
	unsigned __int128 ns = (unsigned __int128)ticks * 1000000000u / tps;

	return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

static int packet_of(struct nr_pkt_reader *r, uint32_t ifid, uint64_t ts, uint32_t caplen,
		     uint32_t origlen, const uint8_t *data, size_t room, struct nr_pkt_record *ret,
		     struct nr_diag *d)
{
	if (ifid >= r->n_ifs)
		return nr_diagf(d, NR_EPARSE, "%s: record %llu names interface %u, which no block described",
				r->name, (unsigned long long)r->records + 1, ifid);
	if (caplen > room)
		return nr_diagf(d, NR_EPARSE, "%s: record %llu claims %u bytes, more than its block holds",
				r->name, (unsigned long long)r->records + 1, caplen);
	ret->ts_ns = ticks_ns(ts, r->if_tps[ifid]);
	ret->caplen = caplen;
	ret->origlen = origlen;
	ret->data = data;
	r->records++;
	return 1;
}

static int next_pcapng(struct nr_pkt_reader *r, struct nr_pkt_record *ret, struct nr_diag *d)
{
	for (;;) {
		uint8_t h[8];
		uint32_t type, len;
		const uint8_t *b;
		size_t blen;
		long long got = read_exact(r, h, 8);
		int rc;

		if (got == 0)
			return 0;
		if (got < 0)
			return cut_short(r, "the block header", d);
		memcpy(&type, h, 4);
		if (type == NR_PKT_PCAPNG_SHB) {
			/* a new section: its own byte order and interfaces */
			uint8_t bom[4];

			if (read_exact(r, bom, 4) != 1)
				return cut_short(r, "a section header", d);
			if ((rc = section_order(r, bom, d)) < 0)
				return rc;
			r->n_ifs = 0;
			len = rd32(r, h + 4);
			if (len < 28 || len % 4 || len > BLOCK_MAX)
				return nr_diagf(d, NR_EPARSE, "%s: section header block of %u bytes: a corrupt file",
						r->name, len);
			reserve(r, len);
			if (read_exact(r, r->buf, len - 12) != 1)
				return cut_short(r, "a section header", d);
			continue;
		}
		if (r->offset == 8)
			return nr_diagf(d, NR_EPARSE, "%s: pcapng file without a section header", r->name);
		type = rd32(r, h);
		len = rd32(r, h + 4);
		if (len < 12 || len % 4 || len > BLOCK_MAX)
			return nr_diagf(d, NR_EPARSE, "%s: block of type %u at byte %llu has length %u: a corrupt file",
					r->name, type, (unsigned long long)r->offset - 8, len);
		reserve(r, len);
		if (read_exact(r, r->buf, len - 8) != 1)
			return cut_short(r, "a block", d);
		b = r->buf;
		blen = len - 12; /* the body, without the trailing length */
		switch (type) {
		case 1: /* interface description */
			if ((rc = read_idb(r, b, blen, d)) < 0)
				return rc;
			break;
		case 6: /* enhanced packet */
			if (blen < 20)
				return cut_short(r, "an enhanced packet block", d);
			return packet_of(r, rd32(r, b), (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8),
					 rd32(r, b + 12), rd32(r, b + 16), b + 20, blen - 20, ret, d);
		case 3: { /* simple packet: interface 0, no time stamp */
			uint32_t orig, cap;

			if (blen < 4)
				return cut_short(r, "a simple packet block", d);
			orig = rd32(r, b);
			cap = orig;
			if (r->n_ifs && r->snaplen && cap > r->snaplen)
				cap = r->snaplen;
			if (cap > blen - 4)
				cap = (uint32_t)(blen - 4);
			return packet_of(r, 0, 0, cap, orig, b + 4, blen - 4, ret, d);
		}
		case 2: /* the obsolete packet block */
			if (blen < 20)
				return cut_short(r, "a packet block", d);
			return packet_of(r, rd16(r, b), (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8),
					 rd32(r, b + 12), rd32(r, b + 16), b + 20, blen - 20, ret, d);
		default: /* statistics, name resolution, decryption secrets, custom: not frames */
			break;
		}
	}
}

int nr_pkt_reader_next(struct nr_pkt_reader *r, struct nr_pkt_record *ret, struct nr_diag *d)
{
	if (r->format == NR_PKT_FILE_PCAPNG)
		return next_pcapng(r, ret, d);
	return next_pcap(r, ret, d);
}

/* ---- writer ---- */

static void put32n(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* this machine's byte order, as ixy-pcap writes */
}

static void put16n(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

int nr_pkt_writer_open(struct nr_pkt_writer *w, const char *path, struct nr_diag *d)
{
	uint8_t *h;

	memset(w, 0, sizeof(*w));
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return nr_diagf(d, -errno, "%s: cannot create: %s", path, strerror(errno));
	w->path = nr_xstrdup(path);
	w->cap = WRITER_BUF;
	w->buf = nr_xmalloc(w->cap);
	h = w->buf;
	put32n(h, NR_PKT_PCAP_MAGIC);
	put16n(h + 4, 2);
	put16n(h + 6, 4);
	put32n(h + 8, 0);  /* thiszone: UTC */
	put32n(h + 12, 0); /* sigfigs */
	put32n(h + 16, NR_PKT_SNAPLEN);
	put32n(h + 20, NR_PKT_LINKTYPE_ETHERNET);
	w->len = PCAP_HDR;
	/* the header goes out at once: a capture that gets nothing still leaves a valid, empty file */
	return nr_pkt_writer_flush(w, d);
}

int nr_pkt_writer_flush(struct nr_pkt_writer *w, struct nr_diag *d)
{
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nr_diagf(d, -errno, "%s: cannot write: %s", w->path, strerror(errno));
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

int nr_pkt_writer_add(struct nr_pkt_writer *w, int64_t ts_ns, const uint8_t *data,
		      uint32_t caplen, uint32_t origlen, struct nr_diag *d)
{
	uint8_t *p;
	int rc;

	if (caplen > NR_PKT_SNAPLEN)
		caplen = NR_PKT_SNAPLEN;
	if (w->len + PCAP_REC_HDR + caplen > w->cap && (rc = nr_pkt_writer_flush(w, d)) < 0)
		return rc;
	p = w->buf + w->len;
	put32n(p, (uint32_t)(ts_ns / 1000000000));
	put32n(p + 4, (uint32_t)(ts_ns % 1000000000 / 1000));
	put32n(p + 8, caplen);
	put32n(p + 12, origlen);
	memcpy(p + PCAP_REC_HDR, data, caplen);
	w->len += PCAP_REC_HDR + caplen;
	w->records++;
	return 0;
}

int nr_pkt_writer_close(struct nr_pkt_writer *w, struct nr_diag *d)
{
	int rc = 0;

	if (w->fd >= 0) {
		rc = nr_pkt_writer_flush(w, d);
		if (close(w->fd) < 0 && rc == 0)
			rc = nr_diagf(d, -errno, "%s: cannot write: %s", w->path, strerror(errno));
	}
	free(w->buf);
	free(w->path);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	return rc;
}
