/*
 * The control protocol: newline-terminated JSON objects on one TCP
 * connection, each at most NR_WL_CTL_MAX bytes, and the test parameters
 * they carry. Messages (docs/bench-json.md has the fields):
 *
 *   client -> server  {"type":"start","version":1,"test":..,"params":{..}}
 *   server -> client  {"type":"ready","data_port":P} | {"type":"error",..}
 *   client -> server  {"type":"go"}      once its flows are connected
 *   server -> client  {"type":"running"}
 *   client -> server  {"type":"stop",..} once it has finished
 *   server -> client  {"type":"result",..} (the server's measures)
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "workload/workload.h"

static const char *const kind_names[] = {
	[NR_WL_TCP_STREAM] = "tcp_stream",
	[NR_WL_UDP_STREAM] = "udp_stream",
	[NR_WL_TCP_RR] = "tcp_rr",
	[NR_WL_UDP_RR] = "udp_rr",
	[NR_WL_TCP_CRR] = "tcp_crr",
};

const char *nr_wl_kind_name(enum nr_wl_kind k)
{
	if ((unsigned)k >= NR_ARRAY_SIZE(kind_names))
		return NULL;
	return kind_names[k];
}

int nr_wl_kind_parse(const char *s, enum nr_wl_kind *ret)
{
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(kind_names); i++) {
		if (!strcmp(s, kind_names[i])) {
			*ret = (enum nr_wl_kind)i;
			return 0;
		}
	}
	return NR_EINVAL;
}

void nr_wl_params_default(struct nr_wl_params *p, enum nr_wl_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->duration_us = 10 * 1000000LL;
	p->omit_us = 1000000;
	p->flows = 1;
	p->burst = 1;
	/*
	 * 1 MiB writes rather than iperf3's 128 KiB: fewer system calls per
	 * byte measurably raised single-flow loopback throughput here.
	 */
	p->size = kind == NR_WL_UDP_STREAM ? 1400 : 1024 * 1024;
	p->request = kind == NR_WL_UDP_RR ? 16 : 1;
	p->response = p->request;
	p->nodelay = kind == NR_WL_TCP_RR || kind == NR_WL_TCP_CRR;
	p->rcvlowat = NR_WL_LOWAT_AUTO;
}

int nr_wl_params_check(const struct nr_wl_params *p, struct nr_diag *d)
{
	bool udp = p->kind == NR_WL_UDP_STREAM || p->kind == NR_WL_UDP_RR;

	if (!nr_wl_kind_name(p->kind))
		return nr_diagf(d, NR_EINVAL, "unknown test kind %d", (int)p->kind);
	if (p->duration_us <= 0 || p->duration_us > 24 * 3600 * 1000000LL)
		return nr_diagf(d, NR_EINVAL, "duration must be between 1 us and 24 h");
	if (p->omit_us < 0 || p->omit_us > 3600 * 1000000LL)
		return nr_diagf(d, NR_EINVAL, "omit must be between 0 and 1 h");
	if (p->interval_us < 0 || (p->interval_us && p->interval_us < 10000))
		return nr_diagf(d, NR_EINVAL, "interval must be 0 (none) or at least 10 ms");
	if (p->flows < 1 || p->flows > NR_WL_MAX_FLOWS)
		return nr_diagf(d, NR_EINVAL, "flows must be between 1 and %d", NR_WL_MAX_FLOWS);
	if (p->threads > NR_WL_MAX_FLOWS)
		return nr_diagf(d, NR_EINVAL, "threads must be between 0 (one per flow) and %d",
				NR_WL_MAX_FLOWS);
	if (p->burst < 1 || p->burst > 1024)
		return nr_diagf(d, NR_EINVAL, "burst must be between 1 and 1024");
	if (!(p->rate >= 0) || p->rate > 1e13)
		return nr_diagf(d, NR_EINVAL, "rate must be 0 (unlimited) or a positive number");
	if (p->kind == NR_WL_UDP_STREAM && (p->size < NR_WL_UDP_HDR || p->size > 65507))
		return nr_diagf(d, NR_EINVAL, "udp_stream size must be between %d and 65507 bytes",
				NR_WL_UDP_HDR);
	if (p->kind == NR_WL_TCP_STREAM && (p->size < 1 || p->size > (64u << 20)))
		return nr_diagf(d, NR_EINVAL, "tcp_stream size must be between 1 B and 64 MiB");
	if (udp && p->kind == NR_WL_UDP_RR &&
	    (p->request < 8 || p->response < 8 || p->request > 65507 || p->response > 65507))
		return nr_diagf(d, NR_EINVAL, "udp_rr request and response must be between 8 "
				"bytes (the sequence number) and 65507");
	if (!udp && (p->kind == NR_WL_TCP_RR || p->kind == NR_WL_TCP_CRR) &&
	    (p->request < 1 || p->response < 1 || p->request > (16u << 20) ||
	     p->response > (16u << 20)))
		return nr_diagf(d, NR_EINVAL, "request and response must be between 1 B and 16 MiB");
	/* buffers are per flow on both ends: bound what a client can make a server allocate */
	if ((double)p->flows * (double)(p->kind == NR_WL_TCP_STREAM || p->kind == NR_WL_UDP_STREAM
					? p->size : p->request + p->response) > (double)(1u << 30))
		return nr_diagf(d, NR_EINVAL, "flows x buffer sizes exceed 1 GiB");
	if (p->kind == NR_WL_TCP_CRR && p->burst != 1)
		return nr_diagf(d, NR_EINVAL, "tcp_crr does not take --burst");
	if (p->reverse && p->kind != NR_WL_TCP_STREAM && p->kind != NR_WL_UDP_STREAM)
		return nr_diagf(d, NR_EINVAL, "--reverse applies to streams only");
	if (p->rcvlowat < NR_WL_LOWAT_AUTO)
		return nr_diagf(d, NR_EINVAL, "rcvlowat must be auto, off or a size");
	if (p->spin && p->kind != NR_WL_TCP_RR && p->kind != NR_WL_UDP_RR)
		return nr_diagf(d, NR_EINVAL, "spin applies to tcp_rr and udp_rr only");
	if (p->sndbuf < 0 || p->rcvbuf < 0 || p->busy_poll_us < 0)
		return nr_diagf(d, NR_EINVAL, "buffer sizes and busy-poll must not be negative");
	if (memchr(p->cc, '\0', sizeof(p->cc)) == NULL)
		return nr_diagf(d, NR_EINVAL, "congestion control name too long");
	return 0;
}

int nr_wl_parse_cpus(const char *s, int *cpus, unsigned *ret_n, struct nr_diag *d)
{
	unsigned n = 0;
	const char *p = s;

	while (*p) {
		char tmp[16];
		size_t len = strcspn(p, ",");
		int64_t v;

		if (len == 0 || len >= sizeof(tmp) || n == NR_WL_MAX_CPUS)
			return nr_diagf(d, NR_EINVAL, "bad CPU list '%s' (e.g. 0 or 0,1; at most %d)",
					s, NR_WL_MAX_CPUS);
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		if (nr_parse_i64(tmp, 0, 4095, &v) < 0)
			return nr_diagf(d, NR_EINVAL, "bad CPU number '%s' in '%s'", tmp, s);
		cpus[n++] = (int)v;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!n)
		return nr_diagf(d, NR_EINVAL, "empty CPU list");
	*ret_n = n;
	return 0;
}

/* ---- parameters as JSON --------------------------------------------- */

static json_t *cpus_json(const int *cpus, unsigned n)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(cpus[i]));
	return a;
}

char *nr_wl_params_to_json(const struct nr_wl_params *p)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "test", json_string(nr_wl_kind_name(p->kind)));
	json_object_set_new(o, "duration_us", json_integer(p->duration_us));
	json_object_set_new(o, "omit_us", json_integer(p->omit_us));
	json_object_set_new(o, "interval_us", json_integer(p->interval_us));
	json_object_set_new(o, "size_bytes", json_integer((json_int_t)p->size));
	json_object_set_new(o, "request_bytes", json_integer((json_int_t)p->request));
	json_object_set_new(o, "response_bytes", json_integer((json_int_t)p->response));
	json_object_set_new(o, "flows", json_integer(p->flows));
	json_object_set_new(o, "threads", json_integer(p->threads));
	json_object_set_new(o, "burst", json_integer(p->burst));
	json_object_set_new(o, "rate", json_real(p->rate));
	json_object_set_new(o, "reverse", json_boolean(p->reverse));
	json_object_set_new(o, "nodelay", json_boolean(p->nodelay));
	json_object_set_new(o, "sndbuf_bytes", json_integer(p->sndbuf));
	json_object_set_new(o, "rcvbuf_bytes", json_integer(p->rcvbuf));
	json_object_set_new(o, "busy_poll_us", json_integer(p->busy_poll_us));
	json_object_set_new(o, "rcvlowat_bytes", json_integer(p->rcvlowat));
	json_object_set_new(o, "spin", json_boolean(p->spin));
	json_object_set_new(o, "congestion", json_string(p->cc));
	json_object_set_new(o, "client_cpus", cpus_json(p->client_cpus, p->n_client_cpus));
	json_object_set_new(o, "server_cpus", cpus_json(p->server_cpus, p->n_server_cpus));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		abort();
	return s;
}

static int get_int(const json_t *o, const char *key, int64_t min, int64_t max,
		   int64_t *ret, struct nr_diag *d)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0; /* absent: keep the default */
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return nr_diagf(d, NR_EPROTO, "parameter %s: expected an integer in [%lld, %lld]",
				key, (long long)min, (long long)max);
	*ret = json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *o, const char *key, bool *ret, struct nr_diag *d)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return nr_diagf(d, NR_EPROTO, "parameter %s: expected true or false", key);
	*ret = json_is_true(v);
	return 0;
}

static int get_cpus(const json_t *o, const char *key, int *cpus, unsigned *ret_n,
		    struct nr_diag *d)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > NR_WL_MAX_CPUS)
		return nr_diagf(d, NR_EPROTO, "parameter %s: expected an array of at most %d CPUs",
				key, NR_WL_MAX_CPUS);
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 4095)
			return nr_diagf(d, NR_EPROTO, "parameter %s: bad CPU number", key);
		cpus[i] = (int)json_integer_value(v);
	}
	*ret_n = (unsigned)json_array_size(a);
	return 0;
}

/* What nr_wl_params_to_json writes; anything else is refused, not ignored. */
static const char *const param_keys[] = {
	"test", "duration_us", "omit_us", "interval_us", "size_bytes", "request_bytes",
	"response_bytes", "flows", "threads", "burst", "rate", "reverse", "nodelay",
	"sndbuf_bytes", "rcvbuf_bytes", "busy_poll_us", "rcvlowat_bytes", "spin",
	"congestion", "client_cpus", "server_cpus",
};

static bool known_param(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(param_keys) / sizeof(param_keys[0]); i++)
		if (!strcmp(key, param_keys[i]))
			return true;
	return false;
}

int nr_wl_params_from_json(const struct json_t *obj, struct nr_wl_params *ret,
			   struct nr_diag *d)
{
	const json_t *o = (const json_t *)obj;
	struct nr_wl_params p;
	enum nr_wl_kind kind;
	const char *key;
	json_t *v;
	int64_t x;
	int r;

	if (!json_is_object(o))
		return nr_diagf(d, NR_EPROTO, "params: expected an object");
	json_object_foreach((json_t *)o, key, v)
		if (!known_param(key))
			/* a newer client's option would silently not apply */
			return nr_diagf(d, NR_EPROTO, "params: unknown parameter '%s' (a newer "
					"netrig client?)", key);
	v = json_object_get(o, "test");
	if (!json_is_string(v) || nr_wl_kind_parse(json_string_value(v), &kind) < 0)
		return nr_diagf(d, NR_EPROTO, "params: unknown or missing test");
	nr_wl_params_default(&p, kind);
#define INT_FIELD(key, field, min, max)                                \
	do {                                                           \
		x = (int64_t)p.field;                                  \
		r = get_int(o, key, min, max, &x, d);                  \
		if (r < 0)                                             \
			return r;                                      \
		p.field = x;                                           \
	} while (0)
	INT_FIELD("duration_us", duration_us, 1, INT64_MAX / 4);
	INT_FIELD("omit_us", omit_us, 0, INT64_MAX / 4);
	INT_FIELD("interval_us", interval_us, 0, INT64_MAX / 4);
	INT_FIELD("size_bytes", size, 1, 1LL << 32);
	INT_FIELD("request_bytes", request, 1, 1LL << 32);
	INT_FIELD("response_bytes", response, 1, 1LL << 32);
	INT_FIELD("flows", flows, 1, NR_WL_MAX_FLOWS);
	INT_FIELD("threads", threads, 0, NR_WL_MAX_FLOWS);
	INT_FIELD("burst", burst, 1, 1024);
	INT_FIELD("sndbuf_bytes", sndbuf, 0, INT32_MAX);
	INT_FIELD("rcvbuf_bytes", rcvbuf, 0, INT32_MAX);
	INT_FIELD("busy_poll_us", busy_poll_us, 0, INT32_MAX);
	INT_FIELD("rcvlowat_bytes", rcvlowat, NR_WL_LOWAT_AUTO, INT32_MAX);
#undef INT_FIELD
	v = json_object_get(o, "rate");
	if (v) {
		if (!json_is_number(v))
			return nr_diagf(d, NR_EPROTO, "parameter rate: expected a number");
		p.rate = json_number_value(v);
	}
	if ((r = get_bool(o, "reverse", &p.reverse, d)) < 0 ||
	    (r = get_bool(o, "nodelay", &p.nodelay, d)) < 0 ||
	    (r = get_bool(o, "spin", &p.spin, d)) < 0 ||
	    (r = get_cpus(o, "client_cpus", p.client_cpus, &p.n_client_cpus, d)) < 0 ||
	    (r = get_cpus(o, "server_cpus", p.server_cpus, &p.n_server_cpus, d)) < 0)
		return r;
	v = json_object_get(o, "congestion");
	if (v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(p.cc))
			return nr_diagf(d, NR_EPROTO, "parameter congestion: expected a short string");
		memcpy(p.cc, json_string_value(v), strlen(json_string_value(v)) + 1);
	}
	r = nr_wl_params_check(&p, d);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

/* ---- framing ---------------------------------------------------------- */

void nr_wl_ctl_init(struct nr_wl_ctl *c, int fd)
{
	c->fd = fd;
	c->len = 0;
	c->taken = 0;
}

int nr_wl_ctl_next(struct nr_wl_ctl *c, const char **ret_line, struct nr_diag *d)
{
	char *nl;

	if (c->taken) {
		memmove(c->buf, c->buf + c->taken, c->len - c->taken);
		c->len -= c->taken;
		c->taken = 0;
	}
	nl = memchr(c->buf, '\n', c->len);
	if (nl) {
		*nl = '\0';
		c->taken = (size_t)(nl - c->buf) + 1;
		*ret_line = c->buf;
		return 1;
	}
	if (c->len == sizeof(c->buf))
		return nr_diagf(d, NR_ETOOBIG, "control message longer than %d bytes",
				NR_WL_CTL_MAX);
	return 0;
}

int nr_wl_ctl_read(struct nr_wl_ctl *c, const char **ret_line, struct nr_diag *d)
{
	ssize_t n;
	int r;

	r = nr_wl_ctl_next(c, ret_line, d);
	if (r != 0)
		return r;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return nr_diagf(d, -errno, "control connection: %s", strerror(errno));
	}
	if (n == 0)
		return nr_diagf(d, -ECONNRESET, "control connection closed by the peer");
	c->len += (size_t)n;
	return nr_wl_ctl_next(c, ret_line, d);
}

int nr_wl_ctl_wait(struct nr_wl_ctl *c, int64_t timeout_us, const char **ret_line,
		   struct nr_diag *d)
{
	int64_t deadline = nr_mono_us() + timeout_us;
	int r;

	r = nr_wl_ctl_next(c, ret_line, d);
	while (r == 0) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int64_t left = deadline - nr_mono_us();

		if (left <= 0)
			return nr_diagf(d, NR_ETIMEOUT, "no control message within %lld ms",
					(long long)(timeout_us / 1000));
		if (poll(&pfd, 1, (int)((left + 999) / 1000)) < 0 && errno != EINTR)
			return nr_diagf(d, -errno, "poll: %s", strerror(errno));
		if (pfd.revents)
			r = nr_wl_ctl_read(c, ret_line, d);
	}
	return r;
}

int nr_wl_ctl_send(int fd, const char *json, int64_t timeout_us, struct nr_diag *d)
{
	size_t len = strlen(json), off = 0;
	int64_t deadline = nr_mono_us() + timeout_us;
	char *msg;
	int r = 0;

	if (len + 1 > NR_WL_CTL_MAX)
		return nr_diagf(d, NR_ETOOBIG, "control message of %zu bytes is too long", len);
	msg = nr_xmalloc(len + 1);
	memcpy(msg, json, len);
	msg[len++] = '\n';
	while (off < len) {
		ssize_t n = send(fd, msg + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - nr_mono_us();

			if (left <= 0) {
				r = nr_diagf(d, NR_ETIMEOUT, "control connection: send timed out");
				break;
			}
			poll(&pfd, 1, (int)((left + 999) / 1000));
			continue;
		}
		r = nr_diagf(d, n < 0 ? -errno : -EPIPE, "control connection: %s",
			     n < 0 ? strerror(errno) : "closed");
		break;
	}
	free(msg);
	return r;
}
