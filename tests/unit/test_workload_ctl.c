/*
 * The control protocol: framing, parameters, addresses, and a server that
 * keeps serving (without leaking descriptors) whatever clients do.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "test.h"
#include "workload/workload.h"

NR_TEST(workload_ctl_framing)
{
	struct nr_wl_ctl *c = nr_xmalloc(sizeof(*c));
	struct nr_diag d = { 0 };
	const char *line;
	char *big;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	nr_wl_ctl_init(c, sv[0]);
	CHECK(write(sv[1], "{\"a\":1}\n{\"b\"", 12) == 12);
	CHECK_EQ(nr_wl_ctl_read(c, &line, &d), 1);
	CHECK_STR(line, "{\"a\":1}");
	CHECK_EQ(nr_wl_ctl_next(c, &line, &d), 0); /* half a message */
	CHECK(write(sv[1], ":2}\n", 4) == 4);
	CHECK_EQ(nr_wl_ctl_wait(c, 1000000, &line, &d), 1);
	CHECK_STR(line, "{\"b\":2}");
	/* sending checks the limit too */
	big = nr_xmalloc(NR_WL_CTL_MAX + 10);
	memset(big, 'x', NR_WL_CTL_MAX + 9);
	big[NR_WL_CTL_MAX + 9] = '\0';
	CHECK_EQ(nr_wl_ctl_send(sv[1], big, 1000000, &d), NR_ETOOBIG);
	/* an oversized message: no newline within the limit */
	{
		size_t off = 0;

		while (off < NR_WL_CTL_MAX + 9) {
			ssize_t n = write(sv[1], big + off, NR_WL_CTL_MAX + 9 - off);
			int r;

			CHECK(n > 0);
			off += (size_t)n;
			r = nr_wl_ctl_read(c, &line, &d);
			if (r == NR_ETOOBIG)
				break;
			CHECK_EQ(r, 0);
		}
		while (nr_wl_ctl_read(c, &line, &d) == 0)
			;
	}
	CHECK_EQ(nr_wl_ctl_next(c, &line, &d), NR_ETOOBIG);
	CHECK_CONTAINS(nr_diag_msg(&d), "longer than");
	/* end of stream */
	nr_wl_ctl_init(c, sv[0]);
	close(sv[1]);
	nr_diag_clear(&d);
	while (recv(sv[0], big, NR_WL_CTL_MAX, MSG_DONTWAIT) > 0)
		;
	CHECK_EQ(nr_wl_ctl_read(c, &line, &d), -ECONNRESET);
	close(sv[0]);
	free(big);
	free(c);
}

NR_TEST(workload_params_json_roundtrip)
{
	struct nr_wl_params p, q;
	struct nr_diag d = { 0 };
	json_t *o;
	char *s;

	nr_wl_params_default(&p, NR_WL_UDP_RR);
	p.flows = 3;
	p.threads = 2;
	p.burst = 4;
	p.rate = 12345.5;
	p.request = 100;
	p.response = 2000;
	p.interval_us = 250000;
	p.n_server_cpus = 2;
	p.server_cpus[0] = 1;
	p.server_cpus[1] = 0;
	memcpy(p.cc, "cubic", 6);
	p.spin = true;
	p.rcvlowat = 65536;
	s = nr_wl_params_to_json(&p);
	o = json_loads(s, 0, NULL);
	CHECK(o);
	CHECK_OK(nr_wl_params_from_json(o, &q, &d));
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	json_decref(o);
	free(s);
	/* bad values are refused with the parameter's name */
	o = json_pack("{s:s, s:i}", "test", "tcp_rr", "flows", 100000);
	CHECK_EQ(nr_wl_params_from_json(o, &q, &d), NR_EPROTO);
	CHECK_CONTAINS(nr_diag_msg(&d), "flows");
	json_decref(o);
	o = json_pack("{s:s}", "test", "sctp_rr");
	CHECK(nr_wl_params_from_json(o, &q, NULL) < 0);
	json_decref(o);
	o = json_pack("{s:s, s:i}", "test", "udp_rr", "request_bytes", 2);
	CHECK(nr_wl_params_from_json(o, &q, NULL) < 0);
	json_decref(o);
	/* defaults: rcvlowat follows the rate, nobody spins */
	o = json_pack("{s:s}", "test", "tcp_stream");
	CHECK_OK(nr_wl_params_from_json(o, &q, &d));
	CHECK_EQ(q.rcvlowat, NR_WL_LOWAT_AUTO);
	CHECK(!q.spin);
	json_decref(o);
	o = json_pack("{s:s, s:i}", "test", "tcp_stream", "rcvlowat_bytes", -2);
	CHECK_EQ(nr_wl_params_from_json(o, &q, &d), NR_EPROTO);
	CHECK_CONTAINS(nr_diag_msg(&d), "rcvlowat_bytes");
	json_decref(o);
	/* spinning is for request/response */
	o = json_pack("{s:s, s:b}", "test", "tcp_crr", "spin", 1);
	CHECK_EQ(nr_wl_params_from_json(o, &q, &d), NR_EINVAL);
	CHECK_CONTAINS(nr_diag_msg(&d), "spin applies to tcp_rr and udp_rr");
	json_decref(o);
	/* a parameter this end does not know is refused, not ignored */
	o = json_pack("{s:s, s:b}", "test", "tcp_rr", "zerocopy", 1);
	CHECK_EQ(nr_wl_params_from_json(o, &q, &d), NR_EPROTO);
	CHECK_CONTAINS(nr_diag_msg(&d), "unknown parameter 'zerocopy'");
	json_decref(o);
}

NR_TEST(workload_addr_parse)
{
	struct sockaddr_storage sa;
	struct nr_diag d = { 0 };
	unsigned len;
	char buf[80];

	CHECK_OK(nr_wl_addr_parse("127.0.0.1:5201", 1, &sa, &len, &d));
	CHECK_STR(nr_wl_addr_fmt(&sa, buf, sizeof(buf)), "127.0.0.1:5201");
	CHECK_OK(nr_wl_addr_parse("127.0.0.1", 7, &sa, &len, &d));
	CHECK_STR(nr_wl_addr_fmt(&sa, buf, sizeof(buf)), "127.0.0.1:7");
	CHECK_OK(nr_wl_addr_parse("[::1]:80", 1, &sa, &len, &d));
	CHECK_STR(nr_wl_addr_fmt(&sa, buf, sizeof(buf)), "[::1]:80");
	CHECK_OK(nr_wl_addr_parse("::1", 9, &sa, &len, &d));
	CHECK_STR(nr_wl_addr_fmt(&sa, buf, sizeof(buf)), "[::1]:9");
	CHECK(nr_wl_addr_parse("127.0.0.1:70000", 1, &sa, &len, &d) < 0);
	CHECK(nr_wl_addr_parse(":80", 1, &sa, &len, &d) < 0);
	CHECK(nr_wl_addr_parse("[::1", 1, &sa, &len, &d) < 0);
}

/* ---- a server in a thread of the test --------------------------------- */

struct harness {
	struct nr_wl_server *s;
	pthread_t thread;
	int stop_fd;
	char addr[80];
	pthread_mutex_t lock;
	struct nr_buf log;
	int rc;
};

static void collect(void *arg, const char *msg)
{
	struct harness *h = arg;

	pthread_mutex_lock(&h->lock);
	nr_buf_adds(&h->log, msg);
	nr_buf_addch(&h->log, '\n');
	pthread_mutex_unlock(&h->lock);
}

static void *server_main(void *arg)
{
	struct harness *h = arg;

	h->rc = nr_wl_server_run(h->s, NULL);
	return NULL;
}

static void start_server_n(struct harness *h, unsigned max_tests)
{
	struct nr_wl_server_opts o = { .listen = "127.0.0.1:0", .lifetime_us = 60000000,
				       .idle_timeout_us = 1000000, .max_tests = max_tests };
	struct nr_diag d = { 0 };

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->log = (struct nr_buf)NR_BUF_INIT;
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	o.stop_fd = h->stop_fd;
	o.log = collect;
	o.log_arg = h;
	CHECK_OK(nr_wl_server_open(&o, &h->s, h->addr, sizeof(h->addr), &d));
	CHECK(pthread_create(&h->thread, NULL, server_main, h) == 0);
}

static void start_server(struct harness *h)
{
	start_server_n(h, 1);
}

static void stop_server(struct harness *h)
{
	uint64_t one = 1;

	CHECK(write(h->stop_fd, &one, sizeof(one)) == sizeof(one));
	pthread_join(h->thread, NULL);
	CHECK_EQ(h->rc, 0);
	nr_wl_server_free(h->s);
	close(h->stop_fd);
	nr_buf_release(&h->log);
}

static bool log_has(struct harness *h, const char *what)
{
	bool found;
	int i;

	/* the server logs after it has answered; give it a moment */
	for (i = 0; i < 200; i++) {
		pthread_mutex_lock(&h->lock);
		found = strstr(h->log.buf, what) != NULL;
		pthread_mutex_unlock(&h->lock);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}

/* A raw control connection. */
static int dial(struct harness *h)
{
	struct sockaddr_storage sa;
	unsigned len;
	int fd;

	CHECK_OK(nr_wl_addr_parse(h->addr, 0, &sa, &len, NULL));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, len) == 0);
	return fd;
}

/* Send raw bytes, return the server's next message (static buffer). */
static const char *exchange(int fd, const char *raw, size_t len)
{
	static struct nr_wl_ctl c;
	struct nr_diag d = { 0 };
	const char *line = NULL;

	if (len)
		CHECK(send(fd, raw, len, MSG_NOSIGNAL) == (ssize_t)len);
	nr_wl_ctl_init(&c, fd);
	if (nr_wl_ctl_wait(&c, 5000000, &line, &d) != 1)
		return nr_diag_msg(&d);
	return line;
}

/* One short real test through the public client: the server still works. */
static void good_test(struct harness *h, enum nr_wl_kind kind)
{
	struct nr_wl_params p;
	struct nr_buf json = NR_BUF_INIT, text = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	int r;

	nr_wl_params_default(&p, kind);
	p.duration_us = 100000;
	p.omit_us = 0;
	r = nr_wl_client_run(h->addr, &p, &json, &text, &d);
	if (r < 0)
		nr_test_fail(__FILE__, __LINE__, "client: %s", nr_diag_msg(&d));
	CHECK_CONTAINS(json.buf, "\"results\"");
	nr_buf_release(&json);
	nr_buf_release(&text);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CHECK(dir);
	while ((e = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

static const char start_v2[] =
	"{\"type\":\"start\",\"version\":2,\"params\":{\"test\":\"tcp_rr\"}}\n";
static const char start_rr[] =
	"{\"type\":\"start\",\"version\":1,\"params\":{\"test\":\"tcp_rr\",\"duration_us\":"
	"5000000,\"omit_us\":0}}\n";

NR_TEST(workload_server_version_mismatch)
{
	struct harness h;
	int fd;

	start_server(&h);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, start_v2, strlen(start_v2)), "version 2 not supported");
	close(fd);
	good_test(&h, NR_WL_TCP_RR);
	stop_server(&h);
}

NR_TEST(workload_server_malformed_and_oversized)
{
	static const char bad_flows[] =
		"{\"type\":\"start\",\"version\":1,\"params\":{\"test\":\"tcp_rr\",\"flows\":-1}}\n";
	struct harness h;
	char *big;
	int fd;

	start_server(&h);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, "{\"type\": start}\n", 16), "malformed control message");
	close(fd);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, "[1,2]\n", 6), "not a JSON object");
	close(fd);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, "{\"type\":\"go\",\"version\":1}\n", 26), "message, got");
	close(fd);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, bad_flows, strlen(bad_flows)), "bad parameters");
	close(fd);
	/* more than the limit without a newline */
	big = nr_xmalloc(NR_WL_CTL_MAX + 100);
	memset(big, ' ', NR_WL_CTL_MAX + 100);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, big, NR_WL_CTL_MAX + 100), "longer than");
	close(fd);
	free(big);
	/* silence: the handshake times out (1 s here) */
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, "", 0), "no message from the client");
	close(fd);
	good_test(&h, NR_WL_UDP_RR);
	stop_server(&h);
}

/* Start a tcp_rr test by hand and vanish once it runs. */
static void vanish_mid_test(struct harness *h)
{
	struct sockaddr_storage sa;
	const char *line;
	unsigned len;
	json_t *o;
	int fd, dfd;

	fd = dial(h);
	line = exchange(fd, start_rr, strlen(start_rr));
	o = json_loads(line, 0, NULL);
	CHECK(json_is_integer(json_object_get(o, "data_port")));
	CHECK_OK(nr_wl_addr_parse(h->addr, 0, &sa, &len, NULL));
	((struct sockaddr_in *)&sa)->sin_port =
		htons((uint16_t)json_integer_value(json_object_get(o, "data_port")));
	json_decref(o);
	dfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(dfd, (struct sockaddr *)&sa, len) == 0);
	CHECK_CONTAINS(exchange(fd, "{\"type\":\"go\"}\n", 14), "running");
	CHECK(send(dfd, "x", 1, 0) == 1);
	close(dfd);
	close(fd);
}

NR_TEST(workload_server_client_vanishes)
{
	struct harness h;

	start_server(&h);
	vanish_mid_test(&h);
	CHECK(log_has(&h, "went away during the test"));
	good_test(&h, NR_WL_TCP_STREAM);
	stop_server(&h);
}

struct bg {
	struct harness *h;
	int r;
	char msg[NR_DIAG_MAX];
};

static void *bg_test(void *arg)
{
	struct bg *b = arg;
	struct nr_wl_params p;
	struct nr_buf json = NR_BUF_INIT, text = NR_BUF_INIT;
	struct nr_diag d = { 0 };

	nr_wl_params_default(&p, NR_WL_TCP_RR);
	p.duration_us = 2000000; /* long enough for a loaded machine to see it running */
	p.omit_us = 0;
	b->r = nr_wl_client_run(b->h->addr, &p, &json, &text, &d);
	snprintf(b->msg, sizeof(b->msg), "%s", nr_diag_msg(&d));
	nr_buf_release(&json);
	nr_buf_release(&text);
	return NULL;
}

NR_TEST(workload_server_second_client_turned_away)
{
	struct harness h;
	struct bg b = { 0 };
	pthread_t t;
	int fd;

	start_server(&h);
	b.h = &h;
	CHECK(pthread_create(&t, NULL, bg_test, &b) == 0);
	CHECK(log_has(&h, "running")); /* the first test is under way */
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, start_rr, strlen(start_rr)), "server busy");
	close(fd);
	pthread_join(t, NULL);
	if (b.r < 0)
		nr_test_fail(__FILE__, __LINE__, "the first test failed: %s", b.msg);
	CHECK(log_has(&h, "turned away"));
	stop_server(&h);
}

NR_TEST(workload_client_cannot_connect)
{
	struct nr_wl_params p;
	struct nr_buf json = NR_BUF_INIT, text = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	struct harness h;
	char addr[80];

	/* a port that was just free: listen, learn it, close */
	start_server(&h);
	memcpy(addr, h.addr, sizeof(addr));
	stop_server(&h);
	nr_wl_params_default(&p, NR_WL_TCP_RR);
	CHECK(nr_wl_client_run(addr, &p, &json, &text, &d) < 0);
	CHECK_CONTAINS(nr_diag_msg(&d), "cannot connect to");
	CHECK_CONTAINS(nr_diag_msg(&d), "refused");
}

NR_TEST_T(workload_server_no_fd_leak, 60)
{
	struct harness h;
	int before, i, fd;

	start_server(&h);
	before = count_fds();
	for (i = 0; i < 8; i++) {
		static const enum nr_wl_kind kinds[] = { NR_WL_TCP_STREAM, NR_WL_UDP_STREAM,
							 NR_WL_TCP_RR, NR_WL_UDP_RR,
							 NR_WL_TCP_CRR };

		good_test(&h, kinds[i % 5]);
		fd = dial(&h);
		CHECK_CONTAINS(exchange(fd, start_v2, strlen(start_v2)), "not supported");
		close(fd);
		fd = dial(&h);
		CHECK_CONTAINS(exchange(fd, "nonsense\n", 9), "malformed");
		close(fd);
		vanish_mid_test(&h);
	}
	/* the server may still be cleaning up after the last client */
	for (i = 0; i < 100 && count_fds() != before; i++)
		usleep(20000);
	CHECK_EQ(count_fds(), before);
	stop_server(&h);
}

/* A fake server of another protocol version: the client says so. */
static void *fake_v2(void *arg)
{
	int lfd = *(int *)arg, fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	static const char reply[] = "{\"type\":\"ready\",\"version\":2,\"data_port\":9}\n";
	char buf[4096];

	if (fd < 0)
		return NULL;
	if (recv(fd, buf, sizeof(buf), 0) > 0)
		send(fd, reply, strlen(reply), MSG_NOSIGNAL);
	recv(fd, buf, sizeof(buf), 0); /* until the client hangs up */
	close(fd);
	return NULL;
}

NR_TEST(workload_client_version_mismatch)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct nr_wl_params p;
	struct nr_buf json = NR_BUF_INIT, text = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	char addr[64];
	pthread_t t;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&sa, &len) == 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
	CHECK(pthread_create(&t, NULL, fake_v2, &lfd) == 0);
	nr_wl_params_default(&p, NR_WL_TCP_RR);
	CHECK(nr_wl_client_run(addr, &p, &json, &text, &d) == NR_EPROTO);
	CHECK_CONTAINS(nr_diag_msg(&d), "speaks control protocol version 2");
	pthread_join(t, NULL);
	close(lfd);
}

/* Up to --max-tests tests at once; one more is turned away. */
NR_TEST(workload_server_concurrent_tests)
{
	struct harness h;
	struct bg b[2] = { { 0 }, { 0 } };
	pthread_t t[2];
	unsigned tests, failed;
	int i, fd;

	start_server_n(&h, 2);
	for (i = 0; i < 2; i++) {
		b[i].h = &h;
		CHECK(pthread_create(&t[i], NULL, bg_test, &b[i]) == 0);
	}
	/* both under way */
	for (i = 0; i < 300; i++) {
		pthread_mutex_lock(&h.lock);
		fd = strstr(h.log.buf, " running\n") &&
		     strstr(strstr(h.log.buf, " running\n") + 1, " running\n");
		pthread_mutex_unlock(&h.lock);
		if (fd)
			break;
		usleep(10000);
	}
	CHECK(fd);
	fd = dial(&h);
	CHECK_CONTAINS(exchange(fd, start_rr, strlen(start_rr)), "server busy");
	close(fd);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (b[i].r < 0)
			nr_test_fail(__FILE__, __LINE__, "test %d failed: %s", i, b[i].msg);
	}
	nr_wl_server_counts(h.s, &tests, &failed);
	CHECK_EQ(tests, 2);
	CHECK_EQ(failed, 0);
	stop_server(&h);
}
