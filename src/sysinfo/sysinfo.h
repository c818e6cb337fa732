/*
 * A machine's hardware and network description, read from /proc, /sys
 * and system calls only (no lscpu, ip or ethtool), stored with each run's
 * hosts and printed by `netrig sysinfo`.
 *
 * Every field may be unknown, and an unreadable field is never an error:
 * strings are then NULL, numbers -1 (every real value is >= 0), and the
 * JSON form has null. Keys of the JSON form are listed in docs/sysinfo.md.
 */
#ifndef NR_SYSINFO_H
#define NR_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* One kind of CPU cache (L1d, L1i, L2, L3), summed over the machine. */
struct nr_sysinfo_cache {
	char name[8];        /* "L1d", "L1i", "L2", "L3" */
	int level;           /* 1, 2, 3, ... */
	char type[16];       /* "Data", "Instruction" or "Unified" */
	int64_t size_bytes;  /* one instance, as the first online CPU sees it */
	int64_t instances;   /* distinct caches (those shared by CPUs count once) */
	int64_t total_bytes; /* the sum of every distinct instance's size */
};

struct nr_sysinfo_addr {
	int family;      /* AF_INET or AF_INET6 */
	char addr[64];   /* text form, "127.0.0.1", "fe80::1" */
	int prefix_len;  /* bits of the netmask, -1 when there is none */
};

/* One network interface of /sys/class/net. */
struct nr_sysinfo_nic {
	char *name;
	char *mac;          /* "02:fc:00:00:00:01" */
	int64_t mtu;        /* bytes */
	char *operstate;    /* "up", "down", "unknown", ... as the kernel says */
	int64_t speed_mbps; /* Mb/s; -1 when the link reports none (lo, virtio) */
	char *duplex;       /* "full" or "half"; NULL when unknown */
	/*
	 * The kernel driver (basename of device/driver); "virtual" when the
	 * interface has no bus device behind it (lo, veth, bridges, tun).
	 */
	char *driver;
	int64_t rx_queues;  /* count of queues/rx-* */
	int64_t tx_queues;  /* count of queues/tx-* */
	struct nr_sysinfo_addr *addrs; /* owned; see nr_sysinfo.addrs_known */
	size_t n_addrs;
	size_t cap_addrs;
};

struct nr_sysinfo {
	/* Identity */
	char *hostname;
	char *os_pretty_name;   /* /etc/os-release PRETTY_NAME */
	char *os_id;            /* ID, "debian" */
	char *os_version_id;    /* VERSION_ID, "12" */
	char *kernel_sysname;   /* "Linux" */
	char *kernel_release;   /* "6.1.0-18-amd64" */
	char *kernel_version;   /* "#1 SMP PREEMPT_DYNAMIC Debian ..." */
	char *kernel_machine;   /* "x86_64"; from uname(2) only */
	char *kernel_cmdline;   /* /proc/cmdline, the boot-time command line */

	/* CPU */
	char *cpu_model;        /* "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" */
	char *cpu_vendor;       /* "GenuineIntel", "AuthenticAMD" */
	int64_t sockets;        /* distinct physical packages of online CPUs */
	int64_t cores;          /* distinct (package, core) of online CPUs */
	int64_t threads;        /* online logical CPUs */
	char *cpus_online;      /* the kernel's list, "0-15" or "0-3,8-11" */
	int64_t base_mhz;       /* cpufreq base_frequency, MHz */
	int64_t max_mhz;        /* cpufreq cpuinfo_max_freq, MHz */
	char *cpu_governor;     /* scaling_governor of the first online CPU */
	struct nr_sysinfo_cache *caches; /* owned, sorted by level, d before i */
	size_t n_caches;
	int64_t numa_nodes;     /* online NUMA nodes */

	/* Memory */
	int64_t mem_total_bytes;     /* MemTotal */
	int64_t hugepages_total;     /* HugePages_Total, pages of the default size */
	int64_t hugepage_size_bytes; /* Hugepagesize, the default huge page size */

	/* Platform */
	char *clocksource;      /* current_clocksource, "tsc", "kvm-clock" */
	int hypervisor;         /* cpuinfo has the "hypervisor" flag: 1, 0, -1 unknown */
	char *dmi_product_name; /* /sys/class/dmi/id/product_name, "KVM", "m5.large" */
	char *dmi_sys_vendor;   /* /sys/class/dmi/id/sys_vendor, "QEMU", "Amazon EC2" */

	/* Network sysctls that change benchmark results */
	char *tcp_congestion_control; /* net.ipv4.tcp_congestion_control */
	int64_t rmem_max_bytes;       /* net.core.rmem_max */
	int64_t wmem_max_bytes;       /* net.core.wmem_max */
	int64_t tcp_rmem_bytes[3];    /* net.ipv4.tcp_rmem: min, default, max */
	int64_t tcp_wmem_bytes[3];    /* net.ipv4.tcp_wmem: min, default, max */
	int64_t busy_poll_us;         /* net.core.busy_poll, microseconds */
	int64_t busy_read_us;         /* net.core.busy_read, microseconds */

	/* Interfaces, sorted by name */
	struct nr_sysinfo_nic *nics; /* owned */
	size_t n_nics;
	/*
	 * Whether the nics' addresses were collected (getifaddrs cannot read
	 * a fake tree): when false, every nic's address list is unknown, not
	 * empty.
	 */
	bool addrs_known;
};

/*
 * Describe this machine: everything nr_sysinfo_collect_at("") reads, plus
 * uname(2) and the interfaces' addresses. Returns 0 and a new description
 * in *ret (nr_sysinfo_free it); fields that cannot be read are unknown.
 * Fails (negative, message in d) only when /proc and /sys are both missing.
 */
int nr_sysinfo_collect(struct nr_sysinfo **ret, struct nr_diag *d);

/*
 * Like nr_sysinfo_collect, from files only, with `root` put in front of
 * every path ("/proc/cpuinfo" is read as root + "/proc/cpuinfo"), so tests
 * can use a fake tree. NULL or "" is the real machine. Leaves
 * kernel_machine and the addresses unknown.
 */
int nr_sysinfo_collect_at(const char *root, struct nr_sysinfo **ret,
			  struct nr_diag *d);

/*
 * Fill in the addresses of si's nics (IPv4 and IPv6, with prefix length)
 * with getifaddrs(3), and set addrs_known. Addresses of interfaces that are
 * not in si->nics are ignored. Returns 0, or -errno with a message in d
 * (si is unchanged then).
 */
int nr_sysinfo_collect_addrs(struct nr_sysinfo *si, struct nr_diag *d);

void nr_sysinfo_free(struct nr_sysinfo *si);

/*
 * This machine's description (as JSON) kept between runs, read again
 * only when something it holds may have changed: an interface or address
 * event from the kernel, a run-time tunable that reads differently (the
 * hostname, network sysctls, CPUs online, governor, clocksource, huge
 * pages), or an age over max_age_us (sysinfo_memo.c has the reasons).
 * root: as nr_sysinfo_collect_at; NULL or "" is this machine (its
 * network namespace's interfaces), a tree is watched through its files
 * only.
 */
struct nr_sysinfo_memo;
struct nr_sysinfo_memo *nr_sysinfo_memo_new(const char *root, int64_t max_age_us);
/*
 * The description, collected again first when it may be stale; NULL when
 * the machine cannot be described. Borrowed until the next call or
 * nr_sysinfo_memo_free.
 */
const char *nr_sysinfo_memo_json(struct nr_sysinfo_memo *c);
/* How many times it was collected (a test's witness). */
long nr_sysinfo_memo_collections(const struct nr_sysinfo_memo *c);
void nr_sysinfo_memo_free(struct nr_sysinfo_memo *c);

/*
 * The description as compact JSON (docs/sysinfo.md), malloc'ed; free() it.
 * Unknown fields are null. Bytes that are not UTF-8 become '?'.
 */
char *nr_sysinfo_to_json(const struct nr_sysinfo *si);

/*
 * The description for people, aligned and short, appended to out; "?"
 * marks an unknown value. Returns 0.
 */
int nr_sysinfo_format_text(const struct nr_sysinfo *si, struct nr_buf *out);

#endif
