/*
 * The check of a capture: ixy-ci's rules exactly (ixy-languages/ixy-ci
 * src/pcap_tester.rs at e0a030e), in its order, with its words:
 *
 *   1. every frame parses (Ethernet, VLAN, IPv4/IPv6, UDP), else
 *      "Failed to parse ethernet frame";
 *   2. a UDP frame has UDP length 26 and a payload starting "ixy", else
 *      "Malformed UDP packet (invalid length or missing "ixy")"; its
 *      sequence number is the little-endian u32 in the payload's last 4
 *      bytes; frames that are not UDP are ignored;
 *   3. count == N, else "Incorrect packet count: expected: N actual: C";
 *   4. N-1 <= max sequence number <= 2N, else "Bad sequence number";
 *   5. no sequence number twice, else "Some sequence number occured more
 *      than once" (ixy-ci's spelling, kept so a grep for it finds ours);
 *   and on request (in_order) the rule ixy-ci had before 96e4f35 and then
 *   commented out: each number above the one before it, else "Wrong
 *   packet order: last sequence number was L and now encountered S",
 *   checked with the frame rules, in file order.
 *
 * ixy-ci stops at the first bad frame; this check reads on so that its
 * counts (loss, duplicates, reordering) describe the whole file, and
 * reports the first failing rule. What ixy-ci could not report is added:
 * loss, duplicates, reordering (count and RFC 4737 extent), first and
 * last sequence numbers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "pkt/pkt.h"

struct nr_pkt_checker {
	struct nr_pkt_check_opts o;
	struct nr_pkt_check r;
	bool have_frame_rule; /* a frame rule (1 or 2) already failed: keep the first */
	uint32_t *seq;        /* sequence numbers of the ixy frames, in arrival order */
	size_t n, cap;
};

const char *nr_pkt_rule_name(enum nr_pkt_rule r)
{
	switch (r) {
	case NR_PKT_RULE_PASS: return "pass";
	case NR_PKT_RULE_FRAME: return "frame";
	case NR_PKT_RULE_MALFORMED: return "malformed";
	case NR_PKT_RULE_ORDER: return "order";
	case NR_PKT_RULE_COUNT: return "count";
	case NR_PKT_RULE_MAX_SEQ: return "max_seq";
	case NR_PKT_RULE_DUPLICATE: return "duplicate";
	}
	return "?";
}

struct nr_pkt_checker *nr_pkt_checker_new(const struct nr_pkt_check_opts *o)
{
	struct nr_pkt_checker *c = nr_xcalloc(1, sizeof(*c));

	c->o = *o;
	if (!c->o.size)
		c->o.size = NR_PKT_MIN_SIZE;
	return c;
}

/* The first bytes of a frame in hex, as ixy-ci shows the frame (it shows all). */
static void hex_head(char *buf, size_t size, const uint8_t *p, size_t n)
{
	size_t i, off = 0, show = n < 48 ? n : 48;

	buf[0] = '\0';
	for (i = 0; i < show && off + 4 < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%02x", i ? " " : "", p[i]);
	if (show < n && off + 4 < size)
		snprintf(buf + off, size - off, " ...");
}

static void frame_rule(struct nr_pkt_checker *c, enum nr_pkt_rule rule, const uint8_t *frame,
		       size_t len, const char *what)
{
	char hex[160];

	c->r.malformed++;
	if (c->have_frame_rule)
		return;
	c->have_frame_rule = true;
	c->r.rule = rule;
	hex_head(hex, sizeof(hex), frame, len);
	if (rule == NR_PKT_RULE_FRAME)
		snprintf(c->r.message, sizeof(c->r.message),
			 "Failed to parse ethernet frame: %s; frame %" PRIu64 ": %s", what,
			 c->r.frames, hex);
	else
		snprintf(c->r.message, sizeof(c->r.message),
			 "Malformed UDP packet (invalid length or missing \"ixy\"): frame %" PRIu64 ", %s: %s",
			 c->r.frames, what, hex);
}

void nr_pkt_checker_add(struct nr_pkt_checker *c, int64_t ts_ns, const uint8_t *frame,
			size_t caplen, size_t origlen)
{
	struct nr_pkt_udp_view v;
	enum nr_pkt_kind k;
	unsigned want = nr_pkt_udp_len(c->o.size);
	char what[96];
	uint32_t seq;
	const uint8_t *p;

	c->r.frames++;
	k = nr_pkt_frame_udp(frame, caplen, &v);
	if (k == NR_PKT_OTHER) {
		c->r.ignored++;
		return;
	}
	if (k == NR_PKT_BAD) {
		frame_rule(c, NR_PKT_RULE_FRAME, frame, caplen, v.why);
		return;
	}
	if (v.udp_len != want) {
		/* a whole frame of another size, UDP length and all: the generator's --size */
		snprintf(what, sizeof(what), "UDP length %u, not %u%s", v.udp_len, want,
			 v.udp_len + NR_PKT_ETH_HDR + NR_PKT_IP_HDR == origlen && origlen != c->o.size ?
			 " (frames of another size? give --size)" : "");
		frame_rule(c, NR_PKT_RULE_MALFORMED, frame, caplen, what);
		return;
	}
	if (v.payload_len < 3 || memcmp(v.payload, "ixy", 3)) {
		frame_rule(c, NR_PKT_RULE_MALFORMED, frame, caplen, "payload does not start with \"ixy\"");
		return;
	}
	if (v.payload_len < 4 + 3 || v.payload_len != v.udp_len - NR_PKT_UDP_HDR) {
		/* the capture cut the frame: its sequence number is not there */
		frame_rule(c, NR_PKT_RULE_FRAME, frame, caplen, "UDP payload cut short by the capture");
		return;
	}
	p = v.payload + v.payload_len - 4;
	seq = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if (c->o.in_order && c->n > 0 && seq <= c->r.last_seq && !c->have_frame_rule) {
		c->have_frame_rule = true;
		c->r.rule = NR_PKT_RULE_ORDER;
		snprintf(c->r.message, sizeof(c->r.message),
			 "Wrong packet order: last sequence number was %" PRIu32 " and now encountered %" PRIu32
			 " (frame %" PRIu64 ")", c->r.last_seq, seq, c->r.frames);
	}
	if (c->n == 0) {
		c->r.first_seq = c->r.min_seq = c->r.max_seq = seq;
		c->r.first_ts_ns = ts_ns;
	}
	c->r.last_seq = seq;
	c->r.last_ts_ns = ts_ns;
	if (seq < c->r.min_seq)
		c->r.min_seq = seq;
	if (seq > c->r.max_seq)
		c->r.max_seq = seq;
	c->r.bytes += origlen;
	NR_GROW(c->seq, c->n + 1, c->cap);
	c->seq[c->n++] = seq;
}

struct pos_seq {
	uint32_t seq;
	size_t pos; /* arrival index */
};

static int by_seq_then_pos(const void *a, const void *b)
{
	const struct pos_seq *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Duplicates (every arrival of a number after its first), reordering
 * (an arrival below the highest number seen before it) and its RFC 4737
 * extent: i - j for the earliest arrival j with a higher number. The
 * running maximum only grows, so the arrivals where it grew are sorted
 * both by index and by number: j is found by binary search among them.
 */
static void measure(struct nr_pkt_checker *c)
{
	struct pos_seq *ps = nr_xmalloc((c->n ? c->n : 1) * sizeof(*ps));
	bool *dup = nr_xcalloc(c->n ? c->n : 1, sizeof(*dup));
	size_t *rec_pos = nr_xmalloc((c->n ? c->n : 1) * sizeof(*rec_pos));
	uint32_t *rec_seq = nr_xmalloc((c->n ? c->n : 1) * sizeof(*rec_seq));
	size_t i, n_rec = 0;

	for (i = 0; i < c->n; i++) {
		ps[i].seq = c->seq[i];
		ps[i].pos = i;
	}
	qsort(ps, c->n, sizeof(*ps), by_seq_then_pos);
	for (i = 0; i < c->n; i++) {
		if (i > 0 && ps[i].seq == ps[i - 1].seq) {
			dup[ps[i].pos] = true;
			c->r.duplicates++;
		} else {
			c->r.unique++;
		}
	}
	for (i = 0; i < c->n; i++) {
		uint32_t s = c->seq[i];
		size_t lo = 0, hi = n_rec;

		if (dup[i])
			continue;
		if (n_rec == 0 || s > rec_seq[n_rec - 1]) {
			rec_pos[n_rec] = i;
			rec_seq[n_rec++] = s;
			continue;
		}
		c->r.reordered++;
		/* the first record above s */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (rec_seq[mid] > s)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (i - rec_pos[lo] > c->r.reorder_extent_max)
			c->r.reorder_extent_max = i - rec_pos[lo];
	}
	if (c->n) {
		c->r.lost = (uint64_t)c->r.max_seq + 1 - c->r.unique;
		c->r.loss_percent = (double)c->r.lost / ((double)c->r.max_seq + 1) * 100;
	}
	free(ps);
	free(dup);
	free(rec_pos);
	free(rec_seq);
}

void nr_pkt_checker_finish(struct nr_pkt_checker *c, struct nr_pkt_check *ret)
{
	uint64_t n = c->o.sent;

	c->r.udp = c->n;
	measure(c);
	if (c->r.rule != NR_PKT_RULE_PASS)
		goto out;
	if (c->r.udp != n) {
		c->r.rule = NR_PKT_RULE_COUNT;
		snprintf(c->r.message, sizeof(c->r.message),
			 "Incorrect packet count: expected: %" PRIu64 " actual: %" PRIu64, n, c->r.udp);
	} else if ((uint64_t)c->r.max_seq + 1 < n || c->r.max_seq > 2 * n) {
		/* n - 1 <= max written without the subtraction, which underflows for n = 0 */
		c->r.rule = NR_PKT_RULE_MAX_SEQ;
		snprintf(c->r.message, sizeof(c->r.message),
			 "Bad sequence number: expected %" PRIu64 " packets but max sequence number was %" PRIu32
			 " (allowed %" PRIu64 " to %" PRIu64 ")", n, c->r.max_seq, n - 1, 2 * n);
	} else if (c->r.duplicates) {
		c->r.rule = NR_PKT_RULE_DUPLICATE;
		snprintf(c->r.message, sizeof(c->r.message),
			 "Some sequence number occured more than once (%" PRIu64 " duplicate frames)",
			 c->r.duplicates);
	}
out:
	*ret = c->r;
	free(c->seq);
	free(c);
}

int nr_pkt_check_file(const char *path, const struct nr_pkt_check_opts *o,
		      struct nr_pkt_check *ret, struct nr_diag *d)
{
	struct nr_pkt_reader r;
	struct nr_pkt_record rec;
	struct nr_pkt_checker *c;
	int rc;

	rc = nr_pkt_reader_open(&r, path, d);
	if (rc < 0)
		return rc;
	c = nr_pkt_checker_new(o);
	while ((rc = nr_pkt_reader_next(&r, &rec, d)) > 0)
		nr_pkt_checker_add(c, rec.ts_ns, rec.data, rec.caplen, rec.origlen);
	if (rc < 0) {
		struct nr_pkt_check discard;

		nr_pkt_checker_finish(c, &discard);
	} else {
		nr_pkt_checker_finish(c, ret);
	}
	nr_pkt_reader_close(&r);
	return rc;
}
