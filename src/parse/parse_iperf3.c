/*
 * `parse: iperf3`: the output of `iperf3 -J` (TCP, UDP, -P, -R, --bidir)
 * and of `iperf3 --json-stream` (one {"event", "data"} object a line).
 *
 * What iperf3 gets wrong and this parser must survive:
 * - `nan`, `-nan`, `inf` as bare JSON values (iperf3 issue #1405): they are
 *   replaced by null before jansson sees them, and a null where a number
 *   belongs is noted, never stored as a number;
 * - text after the JSON document, e.g. "iperf3: interrupt - ..." (#1143):
 *   ignored, its size noted;
 * - files cut short (#613): a parse failure naming the line;
 * - exit status 0 with an "error" key: a failure, with whatever samples
 *   came before it;
 * - two documents in one file (--logfile appends; a server without -1
 *   prints one per test): a failure naming the line the second starts on;
 * - versions: before 3.7 no sum carries "sender" (this side's role and -R
 *   say who sent), before 3.11 a UDP test has only end.sum (the sender's
 *   rate with the receiver's jitter and loss). Which shape was read is in
 *   the notes ("format": "iperf3 3.6 (no sender flag)").
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "parse/parse_tool.h"

struct ctx {
	struct nr_sample_set *set;
	struct nr_diag *d;
	size_t nulls;         /* null (once nan/inf) where a number belongs */
	struct nr_buf null_at; /* JSON array text of their names */
	/*
	 * Whether this side sent the data: the client without -R, the server
	 * with -R. iperf3 >= 3.7 says so in every sum ("sender": true); older
	 * ones do not, so it is worked out from the role and -R.
	 */
	bool this_sends;
	bool sender_flag;     /* the output carries "sender" flags (>= 3.7) */
	bool udp_sum_only;    /* UDP results only in end.sum (< 3.11) */
	bool rtt_zero;        /* sending streams whose RTTs were all 0 */
	bool server;          /* this output is the server's (-s) */
	int vmaj, vmin;       /* "iperf 3.1.3": 3, 1; -1 when not printed */
	const char *packets_note; /* what a UDP "packets" count was read as */
	bool other_side_zero; /* a 0-byte sum beside a non-zero one, left out */
};

/*
 * Copy `in` with every bare nan/inf token outside strings replaced by
 * null. Returns the number of replacements.
 */
static size_t denan(struct nr_slice in, struct nr_buf *out)
{
	static const char *const bad[] = { "-Infinity", "Infinity", "-infinity", "infinity",
					   "-nan", "-NaN", "nan", "NaN", "-inf", "inf" };
	size_t i = 0, n = 0, k;
	bool str = false;

	while (i < in.len) {
		char c = in.ptr[i];

		if (str) {
			if (c == '\\' && i + 1 < in.len) {
				nr_buf_add(out, in.ptr + i, 2);
				i += 2;
				continue;
			}
			if (c == '"')
				str = false;
			nr_buf_addch(out, c);
			i++;
			continue;
		}
		if (c == '"') {
			str = true;
			nr_buf_addch(out, c);
			i++;
			continue;
		}
		for (k = 0; k < NR_ARRAY_SIZE(bad); k++) {
			size_t len = strlen(bad[k]);

			if (len <= in.len - i && !memcmp(in.ptr + i, bad[k], len) &&
			    (i + len == in.len ||
			     !((in.ptr[i + len] >= 'a' && in.ptr[i + len] <= 'z') ||
			       (in.ptr[i + len] >= 'A' && in.ptr[i + len] <= 'Z'))))
				break;
		}
		if (k < NR_ARRAY_SIZE(bad)) {
			nr_buf_adds(out, "null");
			i += strlen(bad[k]);
			n++;
			continue;
		}
		nr_buf_addch(out, c);
		i++;
	}
	return n;
}

/*
 * Add obj[key] as `metric` in `unit`: absent is fine (older iperf3s lack
 * fields), null is noted, anything else but a number is an error.
 */
static int num(struct ctx *c, json_t *obj, const char *key, const char *metric,
	       const char *unit, int64_t interval)
{
	json_t *v = json_object_get(obj, key);
	int r;

	if (!v)
		return 0;
	if (json_is_null(v)) {
		c->nulls++;
		nr_buf_addf(&c->null_at, "%s\"%s\"", c->null_at.len ? ", " : "", metric);
		return 0;
	}
	if (!json_is_number(v))
		return nr_diagf(c->d, NR_EPARSE, "\"%s\" of %s is not a number", key, metric);
	r = nr_sample_add_metric(c->set, metric, json_number_value(v), unit, interval);
	if (r < 0)
		return nr_diagf(c->d, NR_EPARSE, "%s: cannot store %g %s", metric,
				json_number_value(v), unit);
	return 0;
}

/*
 * The receiving side's "packets" is not what it received: iperf3 counts
 * the highest sequence number seen (iperf_udp.c, iperf_udp_recv():
 * sp->packet_count = pcount), so it includes the datagrams lost on the
 * way, and lost_percent = lost_packets / packets. What arrived is packets
 * - lost_packets (a test with 92 % loss stored 12 times what arrived).
 */
static int received_packets(struct ctx *c, json_t *sum, const char *metric)
{
	json_t *pk = json_object_get(sum, "packets"), *lost = json_object_get(sum, "lost_packets");
	double v;

	if (!json_is_number(pk) || !json_is_number(lost))
		return num(c, sum, "packets", metric, "count", -1);
	v = json_number_value(pk) - json_number_value(lost);
	if (v < 0)
		return nr_diagf(c->d, NR_EPARSE, "%s: %g lost of %g packets: the parts of this "
				"output disagree", metric, json_number_value(lost),
				json_number_value(pk));
	c->packets_note = "received = packets - lost_packets (iperf3 counts the highest "
			  "sequence number seen)";
	if (nr_sample_add_metric(c->set, metric, v, "count", -1) < 0)
		return nr_diagf(c->d, NR_EPARSE, "%s: cannot store %g", metric, v);
	return 0;
}

/* One end-of-test sum: `pre` names the direction ("", "reverse_"). */
static int end_sum(struct ctx *c, json_t *sum, bool sent, const char *pre, bool udp)
{
	char m[96];
	int r = 0;

	if (!json_is_object(sum))
		return 0;
	snprintf(m, sizeof(m), "%s%s", pre, sent ? "sender_throughput_bps" : "throughput_bps");
	r = num(c, sum, "bits_per_second", m, "bit/s", -1);
	snprintf(m, sizeof(m), "%s%s", pre, sent ? "sent_bytes" : "received_bytes");
	if (!r)
		r = num(c, sum, "bytes", m, "B", -1);
	if (!r && sent && !udp) {
		snprintf(m, sizeof(m), "%sretransmits", pre);
		r = num(c, sum, "retransmits", m, "count", -1);
	}
	if (!r && udp && sent) {
		snprintf(m, sizeof(m), "%ssent_packets", pre);
		r = num(c, sum, "packets", m, "count", -1);
	}
	if (!r && udp && !sent) {
		snprintf(m, sizeof(m), "%sreceived_packets", pre);
		r = received_packets(c, sum, m);
	}
	if (!r && udp && !sent) {
		snprintf(m, sizeof(m), "%sjitter_us", pre);
		r = num(c, sum, "jitter_ms", m, "ms", -1);
		snprintf(m, sizeof(m), "%slost_packets", pre);
		if (!r)
			r = num(c, sum, "lost_packets", m, "count", -1);
		snprintf(m, sizeof(m), "%sloss_percent", pre);
		if (!r)
			r = num(c, sum, "lost_percent", m, "%", -1);
	}
	return r;
}

/* `sum` moved 0 bytes while `other` moved some: noted, not stored. */
static bool zero_beside(struct ctx *c, json_t *sum, json_t *other)
{
	json_t *b = json_object_get(sum, "bytes"), *o = json_object_get(other, "bytes");

	if (!json_is_number(b) || json_number_value(b) != 0 || !json_is_number(o) ||
	    json_number_value(o) <= 0)
		return false;
	c->other_side_zero = true;
	return true;
}

/*
 * Whose count end.sum's "packets" is, before iperf3 3.11 (iperf_api.c,
 * iperf_print_results()): up to 3.1 the sender takes the receiver's
 * count over when the results are exchanged (sp->packet_count = pcount),
 * so it is the receiver's on both sides; from 3.2 on it is the sender's
 * when known ("sender_packet_count ? sender_packet_count :
 * receiver_packet_count"), which a receiving server before 3.7 does not
 * know yet when it writes its JSON. 1: the sender's, 0: the receiver's,
 * -1: cannot tell (no version printed).
 */
static int udp_sum_packets_are_senders(const struct ctx *c)
{
	if (c->vmaj < 0)
		return -1;
	if (c->vmaj == 3 && c->vmin < 2)
		return 0;
	if (c->vmaj == 3 && c->vmin < 7 && c->server && !c->this_sends)
		return 0;
	return 1;
}

/* end.sum of a UDP test before iperf3 3.11 (see end_of_test). */
static int udp_sum(struct ctx *c, json_t *sum)
{
	int r, senders = udp_sum_packets_are_senders(c);

	if (!json_is_object(sum))
		return 0;
	r = num(c, sum, "bits_per_second", "sender_throughput_bps", "bit/s", -1);
	if (!r)
		r = num(c, sum, "bytes", "sent_bytes", "B", -1);
	if (!r && senders == 1)
		r = num(c, sum, "packets", "sent_packets", "count", -1);
	if (!r && senders == 0)
		r = received_packets(c, sum, "received_packets");
	if (senders < 0 && json_object_get(sum, "packets"))
		c->packets_note = "not stored: without a version, end.sum's packets may be the "
				  "sender's or the receiver's count";
	if (!r)
		r = num(c, sum, "jitter_ms", "jitter_us", "ms", -1);
	if (!r)
		r = num(c, sum, "lost_packets", "lost_packets", "count", -1);
	if (!r)
		r = num(c, sum, "lost_percent", "loss_percent", "%", -1);
	return r;
}

/* Mean, smallest and largest RTT over the streams this side sent (us). */
static int rtt(struct ctx *c, json_t *streams)
{
	double sum = 0, lo = INFINITY, hi = -INFINITY;
	size_t i, n = 0;
	json_t *s;
	int r;

	json_array_foreach(streams, i, s) {
		json_t *snd = json_object_get(s, "sender");
		json_t *mean = json_object_get(snd, "mean_rtt");
		json_t *mn = json_object_get(snd, "min_rtt"), *mx = json_object_get(snd, "max_rtt");

		json_t *flag = json_object_get(snd, "sender");

		/*
		 * Only this side's sending streams measured an RTT: in -R and
		 * --bidir the remote ones carry zeros, not measurements. iperf3
		 * < 3.7 has no "sender" flag here (it came with --bidir, 3.7):
		 * the role and -R tell (3.6 lost these RTTs before).
		 */
		if ((flag ? !json_is_true(flag) : !c->this_sends) || !json_is_number(mean) ||
		    !json_is_number(mn) || !json_is_number(mx))
			continue;
		/* all zero: no tcp_info on that system, not a 0 us round trip */
		if (json_number_value(mx) <= 0) {
			c->rtt_zero = true;
			continue;
		}
		sum += json_number_value(mean);
		lo = fmin(lo, json_number_value(mn));
		hi = fmax(hi, json_number_value(mx));
		n++;
	}
	if (!n)
		return 0;
	r = nr_sample_add_metric(c->set, "mean_rtt_us", sum / (double)n, "us", -1);
	if (!r)
		r = nr_sample_add_metric(c->set, "min_rtt_us", lo, "us", -1);
	if (!r)
		r = nr_sample_add_metric(c->set, "max_rtt_us", hi, "us", -1);
	return r < 0 ? nr_diagf(c->d, NR_EPARSE, "stream RTTs are not numbers") : 0;
}

/*
 * One interval sum. The rate an interval shows is the one this side saw:
 * what it sent (sender_throughput_bps[i]) or what it received
 * (throughput_bps[i]), as the end-of-test sums are named.
 */
static int interval_sum(struct ctx *c, json_t *sum, const char *pre, bool sends, int64_t idx)
{
	json_t *flag = json_object_get(sum, "sender");
	char m[96];
	int r;

	if (!sum)
		return 0;
	if (flag)
		sends = json_is_true(flag);
	snprintf(m, sizeof(m), "%s%s", pre, sends ? "sender_throughput_bps" : "throughput_bps");
	r = num(c, sum, "bits_per_second", m, "bit/s", idx);
	snprintf(m, sizeof(m), "%sretransmits", pre);
	if (!r)
		r = num(c, sum, "retransmits", m, "count", idx);
	return r;
}

static int one_interval(struct ctx *c, json_t *iv, int64_t idx)
{
	int r;

	r = interval_sum(c, json_object_get(iv, "sum"), "", c->this_sends, idx);
	if (!r)
		r = interval_sum(c, json_object_get(iv, "sum_bidir_reverse"), "reverse_",
				 !c->this_sends, idx);
	return r;
}

static bool omitted(json_t *iv)
{
	return json_is_true(json_object_get(json_object_get(iv, "sum"), "omitted"));
}

static int intervals(struct ctx *c, json_t *arr)
{
	size_t i, skipped = 0;
	int64_t idx = 0;
	json_t *iv;
	int r;

	json_array_foreach(arr, i, iv) {
		if (omitted(iv)) {
			skipped++; /* -O warm-up: not part of the measurement */
			continue;
		}
		r = one_interval(c, iv, idx++);
		if (r < 0)
			return nr_diagf(c->d, r, "interval %zu", i);
	}
	if (skipped)
		nr__parse_note_num(c->set, "omitted_intervals", (double)skipped);
	return 0;
}

static int end_of_test(struct ctx *c, json_t *start, json_t *end)
{
	json_t *ts = json_object_get(start, "test_start"), *cpu;
	const char *proto = json_string_value(json_object_get(ts, "protocol"));
	bool udp = proto ? !strcmp(proto, "UDP") : false;
	int r;

	if (!proto && json_object_get(json_object_get(end, "sum"), "jitter_ms"))
		udp = true;
	if (json_object_get(end, "sum_sent") || json_object_get(end, "sum_received")) {
		json_t *snt = json_object_get(end, "sum_sent"), *rcv = json_object_get(end, "sum_received");

		/*
		 * TCP moves as many bytes as it receives: a 0-byte sum beside
		 * a non-zero one is the other side's, never sent over (an
		 * iperf3 3.6 server writes its JSON before the exchange), not
		 * a measurement.
		 */
		if (!udp && zero_beside(c, snt, rcv))
			snt = NULL;
		if (!udp && zero_beside(c, rcv, snt))
			rcv = NULL;
		r = end_sum(c, snt, true, "", udp);
		if (!r)
			r = end_sum(c, rcv, false, "", udp);
	} else {
		/*
		 * iperf3 < 3.11: UDP results only in end.sum, whose bytes and
		 * rate are the sender's (total_sent in iperf_print_results())
		 * and whose jitter and loss are the receiver's; read as a
		 * received rate it was 20 % high in a lossy test.
		 */
		c->udp_sum_only = true;
		r = udp_sum(c, json_object_get(end, "sum"));
	}
	if (!r)
		r = end_sum(c, json_object_get(end, "sum_sent_bidir_reverse"), true, "reverse_", udp);
	if (!r)
		r = end_sum(c, json_object_get(end, "sum_received_bidir_reverse"), false, "reverse_",
			    udp);
	if (!r)
		r = rtt(c, json_object_get(end, "streams"));
	cpu = json_object_get(end, "cpu_utilization_percent");
	if (!r)
		r = num(c, cpu, "host_total", "local_cpu_percent", "%", -1);
	if (!r)
		r = num(c, cpu, "host_user", "local_cpu_user_percent", "%", -1);
	if (!r)
		r = num(c, cpu, "host_system", "local_cpu_system_percent", "%", -1);
	/* all three exactly 0: the peer's figures were never sent over (a
	 * server's output), not a process that used no CPU */
	if (json_is_number(json_object_get(cpu, "remote_total")) &&
	    json_number_value(json_object_get(cpu, "remote_total")) == 0 &&
	    json_number_value(json_object_get(cpu, "remote_user")) == 0 &&
	    json_number_value(json_object_get(cpu, "remote_system")) == 0) {
		nr__parse_note_str(c->set, "remote_cpu", "not measured (all zero)");
		cpu = NULL;
	}
	if (!r)
		r = num(c, cpu, "remote_total", "remote_cpu_percent", "%", -1);
	if (!r)
		r = num(c, cpu, "remote_user", "remote_cpu_user_percent", "%", -1);
	if (!r)
		r = num(c, cpu, "remote_system", "remote_cpu_system_percent", "%", -1);
	if (proto)
		nr__parse_note_str(c->set, "protocol", proto);
	if (json_is_integer(json_object_get(ts, "num_streams")))
		nr__parse_note_num(c->set, "streams",
			     (double)json_integer_value(json_object_get(ts, "num_streams")));
	if (json_is_true(json_object_get(ts, "bidir")) ||
	    json_integer_value(json_object_get(ts, "bidir")) ||
	    json_object_get(end, "sum_sent_bidir_reverse"))
		nr__parse_note_str(c->set, "direction", "bidir");
	else if (json_integer_value(json_object_get(ts, "reverse")))
		nr__parse_note_str(c->set, "direction", "reverse");
	if (json_is_string(json_object_get(start, "version")))
		nr__parse_note_str(c->set, "version",
				   json_string_value(json_object_get(start, "version")));
	return r;
}

/*
 * Which side wrote this output and whether it sent the data; whether this
 * iperf3 marks its sums with "sender" (3.7 and later).
 */
static void find_side(struct ctx *c, json_t *doc)
{
	json_t *start = json_object_get(doc, "start"), *end = json_object_get(doc, "end");
	json_t *ts = json_object_get(start, "test_start"), *rev = json_object_get(ts, "reverse");
	json_t *ivs = json_object_get(doc, "intervals");
	bool server = !json_object_get(start, "connecting_to") &&
		      json_object_get(start, "accepted_connection");
	bool reverse = json_is_true(rev) || json_integer_value(rev) != 0;

	c->this_sends = server ? reverse : !reverse;
	c->server = server;
	c->vmaj = c->vmin = -1;
	{
		const char *v = json_string_value(json_object_get(start, "version"));
		int maj, min;

		if (v && sscanf(v, "iperf %d.%d", &maj, &min) == 2) {
			c->vmaj = maj;
			c->vmin = min;
		}
	}
	c->sender_flag =
		json_object_get(json_object_get(end, "sum_sent"), "sender") ||
		json_object_get(json_object_get(end, "sum"), "sender") ||
		json_object_get(json_object_get(json_array_get(ivs, 0), "sum"), "sender") ||
		json_object_get(json_object_get(json_array_get(json_object_get(end, "streams"), 0),
						"sender"), "sender");
}

/* "format": "iperf3 3.6 (no sender flag, server side)" */
static void note_format(struct ctx *c, json_t *doc, bool json_stream)
{
	json_t *start = json_object_get(doc, "start");
	const char *v = json_string_value(json_object_get(start, "version"));
	struct nr_buf b = NR_BUF_INIT, parts = NR_BUF_INIT;

	if (v && !strncmp(v, "iperf ", 6))
		v += 6;
	if (json_stream)
		nr_buf_adds(&parts, ", --json-stream");
	if (!c->sender_flag)
		nr_buf_adds(&parts, ", no sender flag");
	if (c->udp_sum_only)
		nr_buf_adds(&parts, ", UDP end.sum only");
	if (!json_object_get(start, "connecting_to") && json_object_get(start, "accepted_connection"))
		nr_buf_adds(&parts, ", server side");
	nr_buf_addf(&b, "iperf3 %s", v ? v : "(version not printed)");
	if (parts.len)
		nr_buf_addf(&b, " (%s)", parts.buf + 2);
	nr__parse_note_str(c->set, "format", b.buf);
	if (c->other_side_zero)
		nr__parse_note_str(c->set, "not_measured", "the other side's 0-byte sum "
				   "(not sent over before this output was written)");
	if (c->rtt_zero)
		nr__parse_note_str(c->set, "rtt", "not measured (all zero)");
	if (c->packets_note)
		nr__parse_note_str(c->set, "packets", c->packets_note);
	nr_buf_release(&b);
	nr_buf_release(&parts);
}

/* Read one JSON value at text+*off; *off moves past it. */
static json_t *load_at(const struct nr_buf *text, size_t *off, struct nr_diag *d)
{
	json_error_t err;
	json_t *v;

	v = json_loadb(text->buf + *off, text->len - *off, JSON_DISABLE_EOF_CHECK, &err);
	if (!v) {
		/* err.line counts from *off; name the line of the original input */
		size_t line = nr_parse_line_of(nr_slice_of(text->buf, text->len), *off) +
			      (err.line > 0 ? (size_t)err.line - 1 : 0);
		bool eof = strstr(err.text, "end of file") || strstr(err.text, "premature") ||
			   strstr(err.text, "end of input");

		nr_diagf(d, NR_EPARSE, "line %zu, column %d: %s%s", line, err.column, err.text,
			 eof ? " (the output ends inside the JSON document: truncated?)" : "");
		return NULL;
	}
	*off += err.position;
	return v;
}

static size_t skip_space(const struct nr_buf *t, size_t off)
{
	while (off < t->len && (t->buf[off] == ' ' || t->buf[off] == '\n' ||
				t->buf[off] == '\r' || t->buf[off] == '\t'))
		off++;
	return off;
}

/* --json-stream: gather its events into one -J-shaped document. */
static int stream(json_t *first, const struct nr_buf *text, size_t *off, json_t *doc,
		  struct nr_diag *d)
{
	json_t *ivs = json_array(), *ev = json_incref(first);
	int r = 0;

	json_object_set_new(doc, "intervals", ivs);
	for (;;) {
		const char *name = json_string_value(json_object_get(ev, "event"));
		json_t *data = json_object_get(ev, "data");

		if (!name) {
			r = nr_diagf(d, NR_EPARSE, "line %zu: expected an {\"event\": ...} object",
				     nr_parse_line_of(nr_slice_of(text->buf, text->len), *off));
		} else if (!strcmp(name, "start") || !strcmp(name, "end")) {
			json_object_set(doc, name, data);
		} else if (!strcmp(name, "interval")) {
			json_array_append(ivs, data);
		} else if (!strcmp(name, "error")) {
			json_object_set(doc, "error", data);
		}
		/* other events (server_output_text, ...) carry no samples */
		json_decref(ev);
		ev = NULL;
		if (r < 0)
			break;
		*off = skip_space(text, *off);
		if (*off >= text->len || text->buf[*off] != '{')
			break;
		ev = load_at(text, off, d);
		if (!ev) {
			r = NR_EPARSE;
			break;
		}
	}
	return r;
}

static int parse_iperf3_fresh(const struct nr_parse_spec *spec, struct nr_slice in,
			struct nr_sample_set *set, struct nr_diag *d)
{
	struct nr_buf text = NR_BUF_INIT;
	struct ctx c = { .set = set, .d = d, .null_at = NR_BUF_INIT };
	json_t *doc = NULL, *first = NULL, *err;
	size_t off = 0, nans;
	int r = 0;

	(void)spec;
	nans = denan(in, &text);
	while (off < text.len && text.buf[off] != '{')
		off++;
	if (off >= text.len) {
		r = nr_diagf(d, NR_EPARSE, "line %zu: expected iperf3's JSON (-J) output, found %s",
			     nr_parse_line_of(in, in.len ? in.len - 1 : 0),
			     in.len ? "no '{'" : "nothing");
		goto out;
	}
	if (off)
		nr__parse_note_num(set, "leading_text_bytes", (double)off);
	first = load_at(&text, &off, d);
	if (!first) {
		r = NR_EPARSE;
		goto out;
	}
	if (!json_is_object(first)) {
		r = nr_diagf(d, NR_EPARSE, "expected a JSON object");
		goto out;
	}
	if (json_object_get(first, "event")) {
		doc = json_object();
		r = stream(first, &text, &off, doc, d);
		if (r < 0)
			goto out;
	} else {
		doc = json_incref(first);
	}
	off = skip_space(&text, off);
	if (off < text.len && text.buf[off] == '{') {
		/*
		 * A second document: two runs in one file (--logfile appends,
		 * a server without -1 prints one per test). Storing the first
		 * would hide the second, so neither is taken.
		 */
		size_t at = off;
		json_t *second = load_at(&text, &off, NULL);
		bool same = second && json_equal(second, doc);

		json_decref(second);
		r = nr_diagf(d, NR_EPARSE, "line %zu: a second JSON document starts here "
			     "(two runs in one output%s); split the file", nr_parse_line_of(
				     nr_slice_of(text.buf, text.len), at),
			     same ? ", the second identical to the first" : "");
		goto out;
	}
	if (off < text.len)
		nr__parse_note_num(set, "trailing_text_bytes", (double)(text.len - off));
	if (nans)
		nr__parse_note_num(set, "nan_values", (double)nans);
	find_side(&c, doc);
	r = intervals(&c, json_object_get(doc, "intervals"));
	if (r < 0)
		goto out;
	err = json_object_get(doc, "error");
	if (err) {
		/* the key is written last (or is the last event): its last mention */
		const char *at = NULL, *p = text.buf;

		while ((p = memmem(p, text.len - (size_t)(p - text.buf), "\"error\"", 7))) {
			at = p;
			p += 7;
		}
		r = nr_diagf(d, NR_EPARSE, "line %zu: reported an error: %s",
			     nr_parse_line_of(nr_slice_of(text.buf, text.len),
					      at ? (size_t)(at - text.buf) : text.len),
			     json_is_string(err) ? json_string_value(err) : "(not a string)");
		goto out;
	}
	if (!json_is_object(json_object_get(doc, "end")) ||
	    !json_object_size(json_object_get(doc, "end"))) {
		r = nr_diagf(d, NR_EPARSE, "line %zu: no end-of-test results (\"end\" is %s)",
			     nr_parse_line_of(in, in.len ? in.len - 1 : 0),
			     json_object_get(doc, "end") ? "empty" : "missing");
		goto out;
	}
	r = end_of_test(&c, json_object_get(doc, "start"), json_object_get(doc, "end"));
	if (r == 0)
		note_format(&c, doc, json_object_get(first, "event") != NULL);
out:
	if (c.nulls) {
		struct nr_buf list = NR_BUF_INIT;

		nr_buf_addf(&list, "[%s]", c.null_at.buf);
		nr__parse_note_raw(set, "null_metrics", list.buf);
		nr_buf_release(&list);
	}
	json_decref(first);
	json_decref(doc);
	nr_buf_release(&text);
	nr_buf_release(&c.null_at);
	return r;
}

static int parse_iperf3(const struct nr_parse_spec *spec, struct nr_slice in,
			 struct nr_sample_set *set, struct nr_diag *d)
{
	return nr__parse_fresh(parse_iperf3_fresh, spec, in, set, d);
}

const struct nr_parser nr_parser_iperf3 = {
	.name = "iperf3",
	.summary = "iperf3 -J or --json-stream output",
	.needs_sources = false,
	.parse = parse_iperf3,
};
