/*
 * A machine's description kept between runs, and what makes it stale.
 *
 * Reading /proc and /sys for the whole description costs 1.3 ms and more
 * here; a worker that stores it with every job's run would pay that per
 * job, and one that read it once at its start (as it did) kept a
 * description that an `ip link set mtu` or a sysctl had long made false.
 * So the description is read again only when something it holds may have
 * changed:
 *
 * - the kernel said so: an interface or an address was added, removed or
 *   changed (rtnetlink's link and address groups: mtu, operstate, carrier
 *   and with it speed and duplex, names, addresses), or so many things
 *   happened that its messages overflowed;
 * - one of the values that can be changed at run time reads differently
 *   (nr_sysinfo_watched below: the hostname, the network sysctls, the CPUs
 *   online, the governor, the clocksource, the huge pages), a dozen small
 *   reads;
 * - it is older than max_age: what has no cheap signal (memory hot-plug,
 *   os-release after an upgrade) is right again within that.
 *
 * What needs a reboot to change (kernel, CPU model, caches, DMI) needs no
 * watching.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "sysinfo/sysinfo.h"
#include "sysinfo/sysinfo_int.h"

struct nr_sysinfo_memo {
	char *root;          /* "" this machine, else a tree (tests) */
	int64_t max_age_us;
	int nl_fd;           /* rtnetlink link and address events; -1: none (a tree, or refused) */
	char *json;          /* the description; NULL: none yet, or none to be had */
	char *watched;       /* the run-time values when it was read */
	int64_t read_mono_us;
	long collections;
};

/* The values that can change while the machine runs, with no event to say so. */
static const char *const watched_files[] = {
	"/proc/sys/kernel/hostname",
	"/proc/sys/net/ipv4/tcp_congestion_control",
	"/proc/sys/net/core/rmem_max",
	"/proc/sys/net/core/wmem_max",
	"/proc/sys/net/ipv4/tcp_rmem",
	"/proc/sys/net/ipv4/tcp_wmem",
	"/proc/sys/net/core/busy_poll",
	"/proc/sys/net/core/busy_read",
	"/proc/sys/vm/nr_hugepages",
	"/sys/devices/system/node/online",
	"/sys/devices/system/clocksource/clocksource0/current_clocksource",
};

/* The watched values as one text (an unreadable file is "-"). */
static char *read_watched(const char *root)
{
	struct nr_buf b = NR_BUF_INIT;
	char *online = nr__sysinfo_read_line(root, "/sys/devices/system/cpu/online"), *v;
	long cpu = online ? strtol(online, NULL, 10) : 0;
	size_t i;

	for (i = 0; i < sizeof(watched_files) / sizeof(watched_files[0]); i++) {
		v = nr__sysinfo_read_line(root, "%s", watched_files[i]);
		nr_buf_addf(&b, "%s\n", v ? v : "-");
		free(v);
	}
	/* the governor is the first online CPU's, as nr_sysinfo_collect reads it */
	v = nr__sysinfo_read_line(root, "/sys/devices/system/cpu/cpu%ld/cpufreq/scaling_governor",
				  cpu >= 0 ? cpu : 0);
	nr_buf_addf(&b, "%s\n%s\n", online ? online : "-", v ? v : "-");
	free(v);
	free(online);
	return nr_buf_detach(&b, NULL);
}

/* Listen to this network namespace's interface and address changes; -1 when refused. */
static int open_netlink(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read every waiting message; true when there was one, or some were lost (ENOBUFS). */
static bool drain(int fd)
{
	char buf[8192];
	bool any = false;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			any = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			any = true;
			continue;
		}
		return any;
	}
}

struct nr_sysinfo_memo *nr_sysinfo_memo_new(const char *root, int64_t max_age_us)
{
	struct nr_sysinfo_memo *c = nr_xcalloc(1, sizeof(*c));

	c->root = nr_xstrdup(root ? root : "");
	c->max_age_us = max_age_us;
	/* a tree has no kernel to tell of its interfaces */
	c->nl_fd = c->root[0] ? -1 : open_netlink();
	return c;
}

static bool stale(struct nr_sysinfo_memo *c, char **ret_watched)
{
	bool events = c->nl_fd >= 0 && drain(c->nl_fd);
	char *now = read_watched(c->root);
	bool old = nr_mono_us() - c->read_mono_us >= c->max_age_us;
	/* without the kernel's word, every look reads the description again */
	bool deaf = c->nl_fd < 0 && !c->root[0];

	*ret_watched = now;
	return !c->json || events || deaf || old || strcmp(now, c->watched);
}

const char *nr_sysinfo_memo_json(struct nr_sysinfo_memo *c)
{
	struct nr_sysinfo *si = NULL;
	char *watched = NULL;
	int r;

	if (c->watched && !stale(c, &watched)) {
		free(watched);
		return c->json;
	}
	free(watched);
	/* what happens from here on is news to the next look */
	if (c->nl_fd >= 0)
		drain(c->nl_fd);
	free(c->watched);
	c->watched = read_watched(c->root);
	c->read_mono_us = nr_mono_us();
	free(c->json);
	c->json = NULL;
	r = c->root[0] ? nr_sysinfo_collect_at(c->root, &si, NULL) : nr_sysinfo_collect(&si, NULL);
	if (r == 0) {
		c->json = nr_sysinfo_to_json(si);
		nr_sysinfo_free(si);
	}
	c->collections++;
	return c->json;
}

long nr_sysinfo_memo_collections(const struct nr_sysinfo_memo *c)
{
	return c->collections;
}

void nr_sysinfo_memo_free(struct nr_sysinfo_memo *c)
{
	if (!c)
		return;
	if (c->nl_fd >= 0)
		close(c->nl_fd);
	free(c->root);
	free(c->json);
	free(c->watched);
	free(c);
}
