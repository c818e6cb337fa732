/*
 * `netrig bench serve`: one listening socket for control connections;
 * each test in a thread of its own, up to max_tests at once (default one).
 * A test goes
 *
 *   start -> ready (data port) -> go -> running -> stop -> result
 *
 * and whatever the client does instead (a message of another version, a
 * malformed or oversized one, silence, going away) ends that test with a
 * message, never the server. The main thread keeps the listener, turns a
 * client beyond max_tests away with a message, and ends running tests
 * (through quit_fd) when the server stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "workload/workload_int.h"

/* A test's thread. */
struct slot {
	pthread_t thread;
	bool used;
	int done; /* set by the thread as it ends (relaxed atomic) */
	struct nr_wl_server *s;
	int cfd;
};

struct nr_wl_server {
	struct nr_wl_server_opts o;
	int lfd;
	int quit_fd;    /* eventfd: running tests must end (the server stops) */
	int done_fd;    /* eventfd: a test's thread has ended */
	int64_t end_us; /* end of the lifetime, INT64_MAX for none */
	unsigned tests, failed; /* relaxed atomics: tests' threads count */
	unsigned max_tests, running;
	struct slot slots[NR_WL_MAX_TESTS];
};

/* One test in progress. */
struct test {
	struct nr_wl_server *s;
	int cfd;
	char peer[64];
	struct sockaddr_storage peer_sa;
	struct nr_wl_ctl *ctl;
	struct nr_wl_params p;
	struct nr__wl_shared sh;
	int dfd; /* data listener (TCP) or socket (UDP) */
	struct nr__wl_flow *flows;
	unsigned n_flows;
	struct nr__wl_meter m;
	bool metering;
	bool counted; /* the client sent something: this counts as a test */
};

static void say(struct nr_wl_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct nr_wl_server *s, const char *fmt, ...)
{
	char msg[NR_DIAG_MAX + 256];
	va_list ap;

	if (!s->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_arg, msg);
}

/* A message from a JSON object (consumed); errors are the caller's to report. */
static int send_obj(int fd, json_t *o, struct nr_diag *d)
{
	char *text = json_dumps(o, JSON_COMPACT);
	int r;

	json_decref(o);
	if (!text)
		return nr_diagf(d, NR_EINVAL, "cannot encode a control message");
	r = nr_wl_ctl_send(fd, text, 2000000, d);
	free(text);
	return r;
}

static void send_error(int fd, const char *msg)
{
	json_t *o = json_pack("{s:s, s:i, s:s}", "type", "error", "version",
			      NR_WL_PROTO_VERSION, "message", msg);

	send_obj(fd, o, NULL); /* best effort: the peer may be gone */
}

int nr_wl_server_open(const struct nr_wl_server_opts *o, struct nr_wl_server **ret,
		      char *ret_addr, size_t addr_size, struct nr_diag *d)
{
	struct sockaddr_storage sa;
	socklen_t len;
	unsigned alen;
	int fd, one = 1, r;
	struct nr_wl_server *s;

	r = nr_wl_addr_parse(o->listen ? o->listen : "0.0.0.0:5201", 5201, &sa, &alen, d);
	if (r < 0)
		return r;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nr_diagf(d, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, alen) < 0 || listen(fd, 64) < 0) {
		r = nr_diagf(d, -errno, "cannot listen on %s: %s", o->listen, strerror(errno));
		close(fd);
		return r;
	}
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	nr_wl_addr_fmt(&sa, ret_addr, addr_size);
	s = nr_xcalloc(1, sizeof(*s));
	s->o = *o;
	s->lfd = fd;
	s->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->max_tests = o->one_off || o->max_tests < 1 ? 1 : o->max_tests;
	if (s->max_tests > NR_WL_MAX_TESTS)
		s->max_tests = NR_WL_MAX_TESTS;
	s->end_us = o->lifetime_us > 0 ? nr_mono_us() + o->lifetime_us : INT64_MAX;
	if (s->o.idle_timeout_us <= 0)
		s->o.idle_timeout_us = 5000000;
	*ret = s;
	return 0;
}

void nr_wl_server_counts(const struct nr_wl_server *s, unsigned *ret_tests,
			 unsigned *ret_failed)
{
	*ret_tests = NR__LOAD(s->tests);
	*ret_failed = NR__LOAD(s->failed);
}

void nr_wl_server_free(struct nr_wl_server *s)
{
	if (!s)
		return;
	close(s->lfd);
	close(s->quit_fd);
	close(s->done_fd);
	free(s);
}

/* A client that came while the server is full: told so, and closed. */
static void turn_away(struct nr_wl_server *s, int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char who[64], msg[256];

	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
		sa.ss_family = AF_UNSPEC;
	nr_wl_addr_fmt(&sa, who, sizeof(who));
	snprintf(msg, sizeof(msg), "server busy: %u test(s) running, the most it runs at once "
		 "(--max-tests); try again later", s->running);
	send_error(fd, msg);
	close(fd);
	say(s, "turned away %s: %u test(s) running", who, s->running);
}

/*
 * Wait for the next control message until deadline, sampling the meter
 * meanwhile. 1 and *ret_line; NR_ETIMEOUT; NR_EINTR when the server is to
 * stop; other errors from nr_wl_ctl_read.
 */
static int pump(struct test *t, int64_t deadline, const char **ret_line, struct nr_diag *d)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = t->cfd, .events = POLLIN },
			{ .fd = t->s->quit_fd, .events = POLLIN },
		};
		int64_t now, until;
		int r;

		r = nr_wl_ctl_next(t->ctl, ret_line, d);
		if (r != 0)
			return r;
		now = nr_mono_us();
		until = deadline;
		if (t->metering) {
			int64_t next = nr__wl_meter_tick(&t->m, &t->sh, t->flows, t->n_flows, now);

			if (next < until)
				until = next;
		}
		if (now >= t->s->end_us)
			return nr_diagf(d, NR_EINTR, "the server's lifetime ended");
		if (now >= deadline)
			return nr_diagf(d, NR_ETIMEOUT, "no message from the client in time");
		if (t->s->end_us < until)
			until = t->s->end_us;
		r = poll(pfd, 2, (int)((until - now + 999) / 1000));
		if (r < 0 && errno != EINTR)
			return nr_diagf(d, -errno, "poll: %s", strerror(errno));
		if (r <= 0)
			continue;
		if (pfd[1].revents)
			return nr_diagf(d, NR_EINTR, "the server is stopping");
		if (pfd[0].revents) {
			r = nr_wl_ctl_read(t->ctl, ret_line, d);
			if (r != 0)
				return r;
		}
	}
}

/* Parse a message and check its type; the object, or NULL with a message. */
static json_t *expect(const char *line, const char *type, struct nr_diag *d)
{
	json_error_t err;
	json_t *o = json_loads(line, 0, &err), *v;

	if (!o) {
		nr_diagf(d, NR_EPROTO, "malformed control message: %s (column %d)", err.text,
			 err.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		nr_diagf(d, NR_EPROTO, "malformed control message: not a JSON object");
		goto bad;
	}
	v = json_object_get(o, "version");
	if (v && !json_is_integer(v)) {
		nr_diagf(d, NR_EPROTO, "malformed control message: \"version\" is not a number");
		goto bad;
	}
	if (v && json_integer_value(v) != NR_WL_PROTO_VERSION) {
		nr_diagf(d, NR_EPROTO, "control protocol version %lld not supported (this side "
			 "speaks version %d); use the same netrig version on both ends",
			 (long long)json_integer_value(v), NR_WL_PROTO_VERSION);
		goto bad;
	}
	v = json_object_get(o, "type");
	if (!json_is_string(v)) {
		nr_diagf(d, NR_EPROTO, "malformed control message: no \"type\"");
		goto bad;
	}
	if (strcmp(json_string_value(v), type)) {
		nr_diagf(d, NR_EPROTO, "expected a \"%s\" message, got \"%s\"", type,
			 json_string_value(v));
		goto bad;
	}
	return o;
bad:
	json_decref(o);
	return NULL;
}

static int open_data(struct test *t, struct nr_diag *d)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	bool udp = t->p.kind == NR_WL_UDP_STREAM || t->p.kind == NR_WL_UDP_RR;
	int fd, r;

	/* the address the client reached us at, any port */
	if (getsockname(t->cfd, (struct sockaddr *)&sa, &len) < 0)
		return nr_diagf(d, -errno, "getsockname: %s", strerror(errno));
	nr__wl_set_port(&sa, 0);
	fd = socket(sa.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nr_diagf(d, -errno, "socket: %s", strerror(errno));
	t->dfd = fd;
	r = nr__wl_sockopts(fd, &t->p, !udp, d);
	if (r < 0)
		return r;
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		return nr_diagf(d, -errno, "bind: %s", strerror(errno));
	if (!udp && listen(fd, t->p.kind == NR_WL_TCP_CRR ? 1024 : 64) < 0)
		return nr_diagf(d, -errno, "listen: %s", strerror(errno));
	nr__wl_timeouts(fd, NR__WL_POLL_US);
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	return nr__wl_port_of(&sa);
}

static void flow_init(struct test *t, struct nr__wl_flow *f, unsigned id, enum nr__wl_role role,
		      int fd, bool shared)
{
	memset(f, 0, sizeof(*f));
	f->sh = &t->sh;
	f->role = role;
	f->id = id;
	f->fd = fd;
	f->shared_fd = shared;
	f->pin_cpu = t->p.n_server_cpus ? t->p.server_cpus[id % t->p.n_server_cpus] : -1;
}

/*
 * Reverse UDP: each client flow says hello from its socket; the server's
 * senders share the data socket and send to those addresses.
 */
static int udp_hellos(struct test *t, struct nr_diag *d)
{
	int64_t deadline = nr_mono_us() + 3000000;
	unsigned n = t->p.flows, seen = 0;
	char buf[NR_WL_UDP_HDR];

	while (seen < n) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		ssize_t k = recvfrom(t->dfd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&peer,
				     &len);
		uint32_t flow, flags;

		if (nr_mono_us() > deadline)
			return nr_diagf(d, NR_ETIMEOUT, "heard from %u of %u UDP flows", seen, n);
		if (k < 0 || !nr__wl_udp_hdr_read(buf, (size_t)k < sizeof(buf) ? (size_t)k : sizeof(buf),
						  &flow, &flags) ||
		    !(flags & NR__WL_UDP_HELLO) || flow >= n || !nr__wl_same_host(&peer, &t->peer_sa) ||
		    t->flows[flow].peer_len)
			continue;
		flow_init(t, &t->flows[flow], flow, NR__WL_STREAM_SEND, t->dfd, true);
		t->flows[flow].peer = peer;
		t->flows[flow].peer_len = len;
		seen++;
	}
	t->n_flows = n;
	return 0;
}

/* Accept the client's data connections and make the flows. */
static int make_flows(struct test *t, struct nr_diag *d)
{
	const struct nr_wl_params *p = &t->p;
	unsigned i, n = p->flows;
	int r;

	t->flows = nr_xcalloc(n, sizeof(*t->flows));
	for (i = 0; i < n; i++)
		t->flows[i].fd = -1;
	switch (p->kind) {
	case NR_WL_UDP_STREAM:
		if (p->reverse)
			return udp_hellos(t, d);
		t->n_flows = 1;
		flow_init(t, &t->flows[0], 0, NR__WL_UDP_STREAM_RECV, t->dfd, true);
		return 0;
	case NR_WL_UDP_RR:
	case NR_WL_TCP_CRR:
		for (i = 0; i < n; i++)
			flow_init(t, &t->flows[i], i,
				  p->kind == NR_WL_UDP_RR ? NR__WL_RR_SERVER : NR__WL_CRR_SERVER,
				  t->dfd, true);
		t->n_flows = n;
		return 0;
	default:
		break;
	}
	for (i = 0; i < n; i++) {
		struct sockaddr_storage peer;
		enum nr__wl_role role;
		int fd = nr__wl_accept(t->dfd, 5000000, &peer, d);

		if (fd < 0)
			return nr_diagf(d, fd, "data connection %u of %u", i + 1, n);
		if (!nr__wl_same_host(&peer, &t->peer_sa)) {
			close(fd); /* not from our client */
			i--;
			continue;
		}
		r = nr__wl_sockopts(fd, p, true, d);
		if (r < 0) {
			close(fd);
			return r;
		}
		nr__wl_timeouts(fd, NR__WL_POLL_US);
		if (p->kind == NR_WL_TCP_RR)
			role = NR__WL_RR_SERVER;
		else
			role = p->reverse ? NR__WL_STREAM_SEND : NR__WL_STREAM_RECV;
		flow_init(t, &t->flows[i], i, role, fd, false);
		t->n_flows = i + 1;
	}
	return 0;
}

static void end_flows(struct test *t, bool abort_now)
{
	unsigned i;
	bool udp_stream = t->p.kind == NR_WL_UDP_STREAM;

	if (abort_now) {
		NR__STORE(t->sh.stop, 1);
	} else {
		/* receivers read what is still on its way; the others stop now */
		NR__STORE(t->sh.drain_us, nr_mono_us() + (udp_stream ? 300000 : NR__WL_DRAIN_US));
		if (t->p.kind != NR_WL_TCP_STREAM && !udp_stream)
			NR__STORE(t->sh.stop, 1);
	}
	for (i = 0; i < t->n_flows; i++)
		nr__wl_flow_join(&t->flows[i]);
}

static int run_test(struct test *t, struct nr_diag *d)
{
	const char *line;
	json_t *o;
	int r, port;

	r = pump(t, nr_mono_us() + t->s->o.idle_timeout_us, &line, d);
	if (r < 0)
		return r;
	/* a test from here on; a connection that says nothing (a probe) is none */
	t->counted = true;
	__atomic_add_fetch(&t->s->tests, 1, __ATOMIC_RELAXED);
	o = expect(line, "start", d);
	if (!o)
		return NR_EPROTO;
	if (!json_object_get(o, "version")) {
		json_decref(o);
		return nr_diagf(d, NR_EPROTO, "start message without a protocol version");
	}
	r = nr_wl_params_from_json(json_object_get(o, "params"), &t->p, d);
	json_decref(o);
	if (r < 0)
		return nr_diagf(d, r, "bad parameters");
	t->sh.p = &t->p;
	port = open_data(t, d);
	if (port < 0)
		return port;
	r = send_obj(t->cfd, json_pack("{s:s, s:i, s:i}", "type", "ready", "version",
				       NR_WL_PROTO_VERSION, "data_port", port), d);
	if (r < 0)
		return r;
	r = pump(t, nr_mono_us() + 10000000, &line, d);
	if (r < 0)
		return r;
	o = expect(line, "go", d);
	if (!o)
		return NR_EPROTO;
	json_decref(o);
	r = make_flows(t, d);
	if (r < 0)
		return r;
	t->sh.start_us = nr_mono_us();
	t->sh.deadline_us = t->sh.start_us + t->p.omit_us + t->p.duration_us;
	nr__wl_meter_start(&t->m, &t->sh, t->sh.start_us);
	t->metering = true;
	r = nr__wl_flows_start(t->flows, t->n_flows, t->p.threads, d);
	if (r < 0)
		return r;
	r = send_obj(t->cfd, json_pack("{s:s}", "type", "running"), d);
	if (r < 0)
		return r;
	say(t->s, "test %s for %s running", nr_wl_kind_name(t->p.kind), t->peer);
	/* generous: the client ends the test, this only bounds a stuck one */
	r = pump(t, t->sh.deadline_us + 30000000, &line, d);
	if (r < 0)
		return r;
	o = expect(line, "stop", d);
	if (!o)
		return NR_EPROTO;
	json_decref(o);
	end_flows(t, false);
	t->metering = false;
	nr__wl_meter_end(&t->m, &t->sh, t->flows, t->n_flows);
	o = json_pack("{s:s, s:o}", "type", "result", "server",
		      nr__wl_side_report(&t->m, t->flows, t->n_flows, "server"));
	return send_obj(t->cfd, o, d);
}

static void serve(struct nr_wl_server *s, int cfd)
{
	struct test t;
	struct nr_diag d = { 0 };
	socklen_t len = sizeof(t.peer_sa);
	unsigned i;
	int r;

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.cfd = cfd;
	t.dfd = -1;
	t.ctl = nr_xmalloc(sizeof(*t.ctl));
	nr_wl_ctl_init(t.ctl, cfd);
	getpeername(cfd, (struct sockaddr *)&t.peer_sa, &len);
	nr_wl_addr_fmt(&t.peer_sa, t.peer, sizeof(t.peer));
	r = run_test(&t, &d);
	if (r < 0) {
		if (t.counted)
			__atomic_add_fetch(&s->failed, 1, __ATOMIC_RELAXED);
		if (r == -ECONNRESET || r == -EPIPE)
			say(s, "client %s went away during the test: %s; test aborted", t.peer,
			      nr_diag_msg(&d));
		else
			say(s, "test for %s failed: %s", t.peer, nr_diag_msg(&d));
		if (r != -ECONNRESET && r != -EPIPE)
			send_error(cfd, nr_diag_msg(&d));
	} else {
		say(s, "test %s for %s done", nr_wl_kind_name(t.p.kind), t.peer);
	}
	end_flows(&t, true);
	for (i = 0; i < t.n_flows; i++)
		nr__wl_flow_release(&t.flows[i]);
	free(t.flows);
	nr__wl_meter_release(&t.m);
	if (t.dfd >= 0)
		close(t.dfd);
	free(t.ctl);
	close(cfd);
}

static void *slot_main(void *arg)
{
	struct slot *sl = arg;
	uint64_t one = 1;

	serve(sl->s, sl->cfd);
	NR__STORE(sl->done, 1);
	/* a failed write only delays the join: the main thread looks every second */
	(void)!write(sl->s->done_fd, &one, sizeof(one));
	return NULL;
}

/* Join the threads of tests that have ended. */
static void reap(struct nr_wl_server *s)
{
	uint64_t n;
	unsigned i;

	(void)!read(s->done_fd, &n, sizeof(n)); /* EAGAIN: nothing pending */
	for (i = 0; i < NR_WL_MAX_TESTS; i++) {
		if (s->slots[i].used && NR__LOAD(s->slots[i].done)) {
			pthread_join(s->slots[i].thread, NULL);
			s->slots[i].used = false;
			s->running--;
		}
	}
}

/*
 * At the limit, wait a moment for a slot: a test whose client has just
 * gone may still be tidying up, and its successor should not be refused.
 */
static bool wait_for_slot(struct nr_wl_server *s)
{
	int64_t until = nr_mono_us() + 1000000;

	for (;;) {
		struct pollfd pfd = { .fd = s->done_fd, .events = POLLIN };
		int64_t now = nr_mono_us();

		reap(s);
		if (s->running < s->max_tests)
			return true;
		if (now >= until)
			return false;
		poll(&pfd, 1, (int)((until - now + 999) / 1000));
	}
}

static void start_test(struct nr_wl_server *s, int fd)
{
	struct slot *sl = NULL;
	unsigned i;
	int r;

	if (!wait_for_slot(s)) {
		turn_away(s, fd);
		return;
	}
	for (i = 0; i < NR_WL_MAX_TESTS && !sl; i++)
		if (!s->slots[i].used)
			sl = &s->slots[i];
	sl->s = s;
	sl->cfd = fd;
	sl->done = 0;
	r = pthread_create(&sl->thread, NULL, slot_main, sl);
	if (r) {
		say(s, "cannot start a thread: %s", strerror(r));
		send_error(fd, "server cannot start a thread");
		close(fd);
		return;
	}
	sl->used = true;
	s->running++;
}

int nr_wl_server_run(struct nr_wl_server *s, struct nr_diag *d)
{
	uint64_t one = 1;
	int r = 0;

	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = s->lfd, .events = POLLIN },
			{ .fd = s->done_fd, .events = POLLIN },
			{ .fd = s->o.stop_fd, .events = POLLIN },
		};
		int64_t now = nr_mono_us(), wait_ms = 1000;
		int n, fd;

		reap(s);
		/* one-off: done once a test (not a silent probe) has ended */
		if (s->o.one_off && NR__LOAD(s->tests) > 0 && !s->running)
			break;
		if (now >= s->end_us) {
			say(s, "lifetime ended; exiting");
			break;
		}
		if (s->end_us - now < wait_ms * 1000)
			wait_ms = (s->end_us - now + 999) / 1000;
		n = poll(pfd, s->o.stop_fd >= 0 ? 3 : 2, (int)wait_ms);
		if (n < 0 && errno != EINTR) {
			r = nr_diagf(d, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (s->o.stop_fd >= 0 && pfd[2].revents)
			break;
		if (!pfd[0].revents)
			continue;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
				/* the connection stays queued: wait a little rather than spin */
				say(s, "accept: %s", strerror(errno));
				poll(NULL, 0, 100);
			}
			continue;
		}
		start_test(s, fd);
	}
	/* running tests end now, their clients told why */
	if (write(s->quit_fd, &one, sizeof(one)) < 0)
		r = r ? r : nr_diagf(d, -errno, "eventfd: %s", strerror(errno));
	while (s->running) {
		struct pollfd pfd = { .fd = s->done_fd, .events = POLLIN };

		poll(&pfd, 1, 100);
		reap(s);
	}
	return r;
}
