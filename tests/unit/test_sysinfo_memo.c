/*
 * The kept machine description (sysinfo_memo.c): the same text while
 * nothing it holds changed, read again after each kind of change that
 * makes it stale (a watched file of a tree; the kernel's word about an
 * interface, in a network namespace of the test's own; age).
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "sysinfo/sysinfo.h"
#include "test.h"

static void put(const char *path, const char *text)
{
	char *dir = nr_xstrdup(path), *p;
	FILE *f;

	for (p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	free(dir);
	f = fopen(path, "w");
	CHECK(f);
	fprintf(f, "%s\n", text);
	fclose(f);
}

/* nr_sysinfo_memo_json, and whether it read the description again */
static const char *look(struct nr_sysinfo_memo *m, bool want_fresh, int line)
{
	long before = nr_sysinfo_memo_collections(m);
	const char *json = nr_sysinfo_memo_json(m);

	if (!json)
		nr_test_fail(__FILE__, line, "no description");
	if (nr_sysinfo_memo_collections(m) != before + (want_fresh ? 1 : 0))
		nr_test_fail(__FILE__, line, "%s", want_fresh ? "kept where it was stale"
							      : "read again though nothing changed");
	return json;
}

NR_TEST(sysinfo_memo_watched_files)
{
	static const struct {
		const char *file, *value, *shows;
	} changes[] = {
		{ "proc/sys/kernel/hostname", "other-host", "\"other-host\"" },
		{ "proc/sys/net/ipv4/tcp_congestion_control", "bbr", "\"bbr\"" },
		{ "proc/sys/net/core/rmem_max", "4194304", "4194304" },
		{ "proc/sys/net/ipv4/tcp_wmem", "4096 16384 8388608", "8388608" },
		{ "proc/sys/net/core/busy_poll", "50", "50" },
		{ "sys/devices/system/cpu/online", "0-1", "\"0-1\"" },
		{ "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance", "\"performance\"" },
		{ "sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet", "\"hpet\"" },
	};
	struct nr_sysinfo_memo *m;
	char root[4096], path[8192];
	const char *json;
	size_t i;

	snprintf(root, sizeof(root), "%s/tree", nr_test_dir());
	snprintf(path, sizeof(path), "%s/proc/sys/kernel/hostname", root);
	put(path, "a-host");
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/online", root);
	put(path, "0");
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", root);
	put(path, "powersave");
	m = nr_sysinfo_memo_new(root, 3600 * 1000000LL);
	json = look(m, true, __LINE__);
	CHECK_CONTAINS(json, "\"a-host\"");
	look(m, false, __LINE__);
	/* what the description does not hold changes nothing */
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/ip_forward", root);
	put(path, "1");
	look(m, false, __LINE__);
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, changes[i].file);
		put(path, changes[i].value);
		json = look(m, true, __LINE__);
		if (!strstr(json, changes[i].shows))
			nr_test_fail(__FILE__, __LINE__, "%s: %s not in %s", changes[i].file,
				     changes[i].shows, json);
		look(m, false, __LINE__);
	}
	nr_sysinfo_memo_free(m);
	nr_sysinfo_memo_free(NULL);
}

NR_TEST(sysinfo_memo_age)
{
	struct nr_sysinfo_memo *m;
	char root[4096], path[8192];

	snprintf(root, sizeof(root), "%s/tree", nr_test_dir());
	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	put(path, "MemTotal:        1000 kB");
	m = nr_sysinfo_memo_new(root, 3000000);
	CHECK_CONTAINS(look(m, true, __LINE__), "1024000");
	look(m, false, __LINE__);
	/* memory has no watched file: right again once the age is over */
	put(path, "MemTotal:        2000 kB");
	look(m, false, __LINE__);
	usleep(3100000);
	CHECK_CONTAINS(look(m, true, __LINE__), "2048000");
	nr_sysinfo_memo_free(m);
}

/* Bring interface `name` up or down (SIOCSIFFLAGS): the kernel tells rtnetlink. */
static void set_up(const char *name, bool up)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	CHECK(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	CHECK(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	close(fd);
}

NR_TEST(sysinfo_memo_interface_events)
{
	struct nr_sysinfo_memo *m;

	/* a network namespace of this test's own (the test runs in a child of its own) */
	if (unshare(CLONE_NEWNET) < 0)
		NR_SKIP("no network namespace of our own here (needs root)");
	m = nr_sysinfo_memo_new(NULL, 3600 * 1000000LL);
	/* a new namespace's lo is down, without an address */
	CHECK(!strstr(look(m, true, __LINE__), "127.0.0.1"));
	look(m, false, __LINE__);
	set_up("lo", true);
	/* lo up: 127.0.0.1 with it (getifaddrs reads this namespace) */
	CHECK_CONTAINS(look(m, true, __LINE__), "127.0.0.1");
	look(m, false, __LINE__);
	/* down again (the address stays): read again all the same */
	set_up("lo", false);
	look(m, true, __LINE__);
	look(m, false, __LINE__);
	nr_sysinfo_memo_free(m);
}
