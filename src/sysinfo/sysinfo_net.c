/*
 * Network interfaces of a machine's description: /sys/class/net for each
 * interface's link, driver and queues, getifaddrs(3) for its addresses.
 */
#include "sysinfo/sysinfo.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/str.h"
#include "sysinfo/sysinfo_int.h"

static int cmp_nic(const void *a, const void *b)
{
	const struct nr_sysinfo_nic *x = a, *y = b;

	/* eth2 before eth10 */
	return strverscmp(x->name, y->name);
}

static int64_t count_queues(const char *root, const char *nic, const char *prefix)
{
	char *path = nr__sysinfo_path(root, "/sys/class/net/%s/queues", nic);
	DIR *dir = opendir(path);
	struct dirent *de;
	int64_t n = 0;

	free(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (nr_starts_with(de->d_name, prefix))
			n++;
	closedir(dir);
	return n;
}

static char *nic_driver(const char *root, const char *nic)
{
	char *dev = nr__sysinfo_path(root, "/sys/class/net/%s/device", nic);
	char *link = nr__sysinfo_path(root, "/sys/class/net/%s/device/driver", nic);
	char target[4096], *base, *driver = NULL;
	struct stat st;
	ssize_t n;

	/* no bus device behind it: lo, veth, bridge, tun, ... */
	if (lstat(dev, &st) < 0) {
		if (errno == ENOENT)
			driver = nr_xstrdup("virtual");
		goto out;
	}
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		goto out;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (*base)
		driver = nr_xstrdup(base);
out:
	free(dev);
	free(link);
	return driver;
}

static void collect_nic(struct nr_sysinfo_nic *nic, const char *root)
{
	const char *name = nic->name;
	int64_t speed;
	char *duplex;

	nic->mac = nr__sysinfo_read_line(root, "/sys/class/net/%s/address", name);
	nic->mtu = nr__sysinfo_read_i64(root, "/sys/class/net/%s/mtu", name);
	nic->operstate = nr__sysinfo_read_line(root, "/sys/class/net/%s/operstate", name);
	/*
	 * Reading speed fails with EINVAL when the link has none (lo, a down
	 * link); drivers that do not know say -1 (SPEED_UNKNOWN), which some
	 * print unsigned.
	 */
	speed = nr__sysinfo_read_i64(root, "/sys/class/net/%s/speed", name);
	nic->speed_mbps = speed >= 0 && speed < INT32_MAX ? speed : -1;
	duplex = nr__sysinfo_read_line(root, "/sys/class/net/%s/duplex", name);
	if (duplex && (!strcmp(duplex, "full") || !strcmp(duplex, "half")))
		nic->duplex = duplex;
	else
		free(duplex);
	nic->driver = nic_driver(root, name);
	nic->rx_queues = count_queues(root, name, "rx-");
	nic->tx_queues = count_queues(root, name, "tx-");
}

void nr__sysinfo_collect_nics(struct nr_sysinfo *si, const char *root)
{
	char *path = nr__sysinfo_path(root, "/sys/class/net");
	DIR *dir = opendir(path);
	struct dirent *de;
	size_t cap = 0, i;
	char *rel;
	bool dir_ok;

	free(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		/* bonding adds a plain file, bonding_masters, beside the links */
		rel = nr_xasprintf("/sys/class/net/%s", de->d_name);
		dir_ok = nr__sysinfo_is_dir(root, rel);
		free(rel);
		if (!dir_ok)
			continue;
		NR_GROW(si->nics, si->n_nics + 1, cap);
		memset(&si->nics[si->n_nics], 0, sizeof(si->nics[0]));
		si->nics[si->n_nics++].name = nr_xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(si->nics, si->n_nics, sizeof(*si->nics), cmp_nic);
	for (i = 0; i < si->n_nics; i++)
		collect_nic(&si->nics[i], root);
}

static struct nr_sysinfo_nic *find_nic(struct nr_sysinfo *si, const char *name)
{
	size_t i, n = strcspn(name, ":");

	for (i = 0; i < si->n_nics; i++)
		if (!strcmp(si->nics[i].name, name))
			return &si->nics[i];
	/* an IPv4 alias label, "eth0:1", belongs to eth0 */
	for (i = 0; i < si->n_nics; i++)
		if (strlen(si->nics[i].name) == n && !strncmp(si->nics[i].name, name, n))
			return &si->nics[i];
	return NULL;
}

/* The netmask's family is not always set: take the address's. */
static int prefix_len(int family, const struct sockaddr *mask)
{
	const unsigned char *p;
	size_t n, i;
	int bits = 0;

	if (!mask)
		return -1;
	if (family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		n = 16;
	}
	for (i = 0; i < n; i++)
		bits += __builtin_popcount(p[i]);
	return bits;
}

int nr_sysinfo_collect_addrs(struct nr_sysinfo *si, struct nr_diag *d)
{
	struct ifaddrs *ifa = NULL, *it;
	struct nr_sysinfo_nic *nic;
	struct nr_sysinfo_addr a;
	const void *src;

	if (getifaddrs(&ifa) < 0) {
		int e = errno;

		return nr_diagf(d, -e, "getifaddrs: %s", strerror(e));
	}
	for (it = ifa; it; it = it->ifa_next) {
		if (!it->ifa_addr || !it->ifa_name)
			continue;
		if (it->ifa_addr->sa_family == AF_INET)
			src = &((const struct sockaddr_in *)it->ifa_addr)->sin_addr;
		else if (it->ifa_addr->sa_family == AF_INET6)
			src = &((const struct sockaddr_in6 *)it->ifa_addr)->sin6_addr;
		else
			continue;
		nic = find_nic(si, it->ifa_name);
		if (!nic)
			continue;
		memset(&a, 0, sizeof(a));
		a.family = it->ifa_addr->sa_family;
		if (!inet_ntop(a.family, src, a.addr, sizeof(a.addr)))
			continue;
		a.prefix_len = prefix_len(a.family, it->ifa_netmask);
		NR_GROW(nic->addrs, nic->n_addrs + 1, nic->cap_addrs);
		nic->addrs[nic->n_addrs++] = a;
	}
	freeifaddrs(ifa);
	si->addrs_known = true;
	return 0;
}
