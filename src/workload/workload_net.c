/*
 * Socket helpers (after Redis's anet.c): addresses, options, connect and
 * accept with timeouts. Every descriptor is CLOEXEC.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/num.h"
#include "workload/workload_int.h"

int nr_wl_addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *ret,
		     unsigned *ret_len, struct nr_diag *d)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *res = NULL;
	int64_t pv = default_port;
	size_t hlen;
	int r;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return nr_diagf(d, NR_EINVAL, "'%s': missing ']'", s);
		hlen = (size_t)(end - s - 1);
		if (hlen >= sizeof(host))
			return nr_diagf(d, NR_EINVAL, "'%s': host too long", s);
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return nr_diagf(d, NR_EINVAL, "'%s': expected ':PORT' after ']'", s);
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (hlen >= sizeof(host))
			return nr_diagf(d, NR_EINVAL, "'%s': host too long", s);
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	if (colon && nr_parse_i64(colon + 1, 0, 65535, &pv) < 0)
		return nr_diagf(d, NR_EINVAL, "'%s': bad port", s);
	if (!host[0])
		return nr_diagf(d, NR_EINVAL, "'%s': missing host", s);
	snprintf(port, sizeof(port), "%d", (int)pv);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return nr_diagf(d, NR_EINVAL, "'%s': %s", host, gai_strerror(r));
	memset(ret, 0, sizeof(*ret));
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = (unsigned)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

char *nr_wl_addr_fmt(const struct sockaddr_storage *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(a->sin_port));
	}
	return buf;
}

uint16_t nr__wl_port_of(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

void nr__wl_set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)sa)->sin_port = htons(port);
}

bool nr__wl_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

int nr__wl_sockopts(int fd, const struct nr_wl_params *p, bool tcp, struct nr_diag *d)
{
	int one = 1;

	/*
	 * The plain options are capped at net.core.[rw]mem_max; the FORCE
	 * ones (CAP_NET_ADMIN) give what was asked for where allowed.
	 */
	if (p->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &p->sndbuf, sizeof(int)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &p->sndbuf, sizeof(int)) < 0)
		return nr_diagf(d, -errno, "SO_SNDBUF: %s", strerror(errno));
	if (p->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &p->rcvbuf, sizeof(int)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &p->rcvbuf, sizeof(int)) < 0)
		return nr_diagf(d, -errno, "SO_RCVBUF: %s", strerror(errno));
	if (p->busy_poll_us &&
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &p->busy_poll_us, sizeof(int)) < 0)
		return nr_diagf(d, -errno, "SO_BUSY_POLL: %s (needs CAP_NET_ADMIN to raise it)",
				strerror(errno));
	if (!tcp)
		return 0;
	if (p->nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return nr_diagf(d, -errno, "TCP_NODELAY: %s", strerror(errno));
	if (p->cc[0] &&
	    setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, p->cc, (socklen_t)strlen(p->cc)) < 0)
		return nr_diagf(d, -errno, "congestion control '%s': %s (see "
				"net.ipv4.tcp_available_congestion_control)", p->cc, strerror(errno));
	return 0;
}

void nr__wl_timeouts(int fd, int64_t us)
{
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int nr__wl_connect(int fd, const struct sockaddr *sa, socklen_t len, int64_t timeout_us,
		   struct nr_diag *d)
{
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t elen = sizeof(err);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	r = connect(fd, sa, len);
	if (r < 0 && errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	if (r < 0) {
		do
			r = poll(&pfd, 1, (int)(timeout_us / 1000));
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			err = ETIMEDOUT;
			goto out;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	}
out:
	fcntl(fd, F_SETFL, flags);
	if (err)
		return nr_diagf(d, -err, "%s", strerror(err));
	return 0;
}

int nr__wl_accept(int lfd, int64_t timeout_us, struct sockaddr_storage *ret_peer,
		  struct nr_diag *d)
{
	int64_t deadline = nr_mono_us() + timeout_us;

	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		socklen_t len = sizeof(*ret_peer);
		int64_t left = deadline - nr_mono_us();
		int fd;

		if (left <= 0)
			return nr_diagf(d, NR_ETIMEOUT, "no connection within %lld ms",
					(long long)(timeout_us / 1000));
		if (poll(&pfd, 1, (int)((left + 999) / 1000)) <= 0)
			continue;
		fd = accept4(lfd, (struct sockaddr *)ret_peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			/* data sockets are blocking with timeouts */
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			return fd;
		}
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			return nr_diagf(d, -errno, "accept: %s", strerror(errno));
	}
}
