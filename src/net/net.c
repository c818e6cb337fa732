#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"

static int resolve(const char *address, int port, struct sockaddr_storage *ret,
		   socklen_t *ret_len, struct nr_diag *d)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char portstr[16];
	int rc;

	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(address, portstr, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(address, portstr, &hints, &res);
	}
	if (rc != 0 || !res)
		return nr_diagf(d, NR_ENOTFOUND, "%s: %s", address, gai_strerror(rc));
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int nr_net_ping(const char *address, int64_t timeout_us, struct nr_diag *d)
{
	struct sockaddr_storage sa;
	socklen_t len;
	unsigned char pkt[64], reply[1500];
	int64_t deadline = nr_mono_us() + timeout_us;
	int fd, v6, raw = 0, r;
	uint16_t id = (uint16_t)(getpid() ^ (nr_mono_us() & 0xffff));

	if ((r = resolve(address, 0, &sa, &len, d)) < 0)
		return r;
	v6 = sa.ss_family == AF_INET6;
	/* unprivileged ICMP sockets need net.ipv4.ping_group_range; raw ones need root */
	fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0) {
		fd = socket(sa.ss_family, SOCK_RAW | SOCK_CLOEXEC, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		raw = 1;
	}
	if (fd < 0)
		return nr_diagf(d, NR_EUNSUPPORTED, "ICMP not permitted: %s", strerror(errno));
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[4] = (uint8_t)(id >> 8);
	pkt[5] = (uint8_t)id;
	pkt[7] = 1; /* sequence 1 */
	memcpy(pkt + 8, "netrig-health-check", 19);
	if (!v6) {
		uint16_t c = checksum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2); /* the kernel fills it for ICMPv6 and datagram sockets */
	}
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, len) < 0) {
		r = nr_diagf(d, -errno, "ping %s: %s", address, strerror(errno));
		close(fd);
		return r;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - nr_mono_us();
		ssize_t n;
		unsigned char *icmp = reply;

		if (left <= 0 || poll(&p, 1, (int)((left + 999) / 1000)) <= 0) {
			r = nr_diagf(d, NR_ETIMEOUT, "ping %s: no reply within %.1f s", address,
				     (double)timeout_us / 1e6);
			break;
		}
		n = recv(fd, reply, sizeof(reply), 0);
		if (n < 8)
			continue;
		if (raw && !v6) {
			size_t ihl = (size_t)(reply[0] & 0x0f) * 4;

			if ((size_t)n < ihl + 8)
				continue;
			icmp = reply + ihl;
		}
		if (icmp[0] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) &&
		    (!raw || (icmp[4] == (uint8_t)(id >> 8) && icmp[5] == (uint8_t)id))) {
			r = 0;
			break;
		}
	}
	close(fd);
	return r;
}

int nr_net_tcp_connect(const char *address, int port, int64_t timeout_us, struct nr_diag *d)
{
	struct sockaddr_storage sa;
	struct pollfd p;
	socklen_t len;
	int fd, r, err = 0;
	socklen_t elen = sizeof(err);

	if ((r = resolve(address, port, &sa, &len, d)) < 0)
		return r;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nr_diagf(d, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, len) == 0)
		goto ok;
	if (errno != EINPROGRESS) {
		r = nr_diagf(d, -errno, "connect %s:%d: %s", address, port, strerror(errno));
		goto out;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, (int)((timeout_us + 999) / 1000)) <= 0) {
		r = nr_diagf(d, NR_ETIMEOUT, "connect %s:%d: no answer within %.1f s", address, port,
			     (double)timeout_us / 1e6);
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		r = nr_diagf(d, -err, "connect %s:%d: %s", address, port, strerror(err));
		goto out;
	}
ok:
	r = 0;
out:
	close(fd);
	return r;
}
