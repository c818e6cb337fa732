/*
 * The reference generator of bench/pkt.sh where the kernel's pktgen is not
 * to be had: a plain sendmmsg() loop on an AF_PACKET socket, as small as a
 * generator gets, sending ixy-pktgen's 60-byte frame (the bytes of
 * tests/fixtures/pkt/ixy-pktgen-frame.hexdump.txt, written out here so
 * nothing of netrig is in it) with a counting sequence number.
 *
 *   pkt_sendmmsg IFACE SECONDS [BATCH]
 *
 * Prints "sent N frames in S s: R frames/s". Not a test; no netrig code.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024

static const unsigned char ixy_frame[60] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0xbd,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
	0x00, 0x2a, 0x05, 0x39, 0x00, 0x1a, 0x00, 0x00, 'i', 'x', 'y',
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static unsigned char bufs[MAX_BATCH][60];
	static struct iovec iov[MAX_BATCH];
	static struct mmsghdr msgs[MAX_BATCH];
	struct sockaddr_ll sll;
	unsigned long long sent = 0;
	unsigned seq = 0, batch = 64, i;
	double t0, end, t;
	int fd, r;

	if (argc < 3) {
		fprintf(stderr, "usage: %s IFACE SECONDS [BATCH]\n", argv[0]);
		return 2;
	}
	if (argc > 3)
		batch = (unsigned)strtoul(argv[3], NULL, 10);
	if (batch < 1 || batch > MAX_BATCH)
		return 2;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		return 3;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror(argv[1]);
		return 3;
	}
	for (i = 0; i < batch; i++) {
		memcpy(bufs[i], ixy_frame, sizeof(ixy_frame));
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(ixy_frame);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	end = t0 + strtod(argv[2], NULL);
	do {
		for (i = 0; i < batch; i++)
			memcpy(bufs[i] + 56, &(unsigned){ seq + i }, 4); /* little-endian here */
		r = sendmmsg(fd, msgs, batch, 0);
		if (r > 0) {
			sent += (unsigned)r;
			seq += (unsigned)r;
		}
		t = now_s();
	} while (t < end);
	printf("sent %llu frames in %.3f s: %.0f frames/s\n", sent, t - t0, (double)sent / (t - t0));
	close(fd);
	return 0;
}
