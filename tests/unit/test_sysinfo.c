/*
 * sysinfo against the fake trees of tests/fixtures/sysinfo/ (every field),
 * against small trees made in the test's directory (odd and missing
 * files), and against this machine (sanity only).
 */
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/mem.h"
#include "sysinfo/sysinfo.h"
#include "test.h"

static struct nr_sysinfo *collect_fixture(const char *name)
{
	struct nr_diag d = { 0 };
	struct nr_sysinfo *si = NULL;
	char *rel = nr_xasprintf("sysinfo/%s", name);
	int r = nr_sysinfo_collect_at(nr_test_fixture(rel), &si, &d);

	if (r < 0)
		nr_test_fail(__FILE__, __LINE__, "collect %s: %s", name, nr_diag_msg(&d));
	free(rel);
	return si;
}

static const struct nr_sysinfo_nic *nic_named(const struct nr_sysinfo *si,
					      const char *name)
{
	size_t i;

	for (i = 0; i < si->n_nics; i++)
		if (!strcmp(si->nics[i].name, name))
			return &si->nics[i];
	nr_test_fail(__FILE__, __LINE__, "no nic %s", name);
}

/*
 * A fresh directory for a fake tree, inside the test's own directory (which
 * the runner removes even when a CHECK fails), but under /tmp with
 * `test-unit -n`, where the test's directory is the top of the repository.
 */
static char *scratch_tree(void)
{
	const char *base = strcmp(nr_test_dir(), nr_test_top()) ? nr_test_dir() : "/tmp";
	char *dir = nr_xasprintf("%s/netrig-sysinfo.XXXXXX", base);

	if (!mkdtemp(dir))
		nr_test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void scratch_free(char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Write `text` to root/rel, making the folders. */
static void put(const char *root, const char *rel, const char *text)
{
	char *path = nr_xasprintf("%s/%s", root, rel), *p;
	FILE *f;

	for (p = strchr(path + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			nr_test_fail(__FILE__, __LINE__, "mkdir %s", path);
		*p = '/';
	}
	f = fopen(path, "w");
	CHECK(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static json_t *to_json(const struct nr_sysinfo *si)
{
	char *text = nr_sysinfo_to_json(si);
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (!j)
		nr_test_fail(__FILE__, __LINE__, "bad JSON (%s): %s", err.text, text);
	/* compact: one line */
	CHECK(!strchr(text, '\n'));
	free(text);
	return j;
}

/* The value at a dotted path of objects ("cpu.model"); NULL if absent. */
static json_t *at(json_t *j, const char *path)
{
	char *dup = nr_xstrdup(path), *p = dup, *dot;

	while (j && p) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		j = json_object_get(j, p);
		p = dot ? dot + 1 : NULL;
	}
	free(dup);
	return j;
}

NR_TEST(sysinfo_two_socket)
{
	struct nr_sysinfo *si = collect_fixture("two-socket");
	const struct nr_sysinfo_nic *n;
	const struct nr_sysinfo_cache *c;

	CHECK_STR(si->hostname, "bench-a");
	CHECK_STR(si->os_pretty_name, "Ubuntu 22.04.4 LTS");
	CHECK_STR(si->os_id, "ubuntu");
	CHECK_STR(si->os_version_id, "22.04");
	CHECK_STR(si->kernel_sysname, "Linux");
	CHECK_STR(si->kernel_release, "5.15.0-105-generic");
	CHECK_STR(si->kernel_version, "#115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024");
	CHECK(!si->kernel_machine); /* uname only */
	CHECK_STR(si->kernel_cmdline,
		  "BOOT_IMAGE=/vmlinuz-5.15.0-105-generic ro quiet isolcpus=3,7 nohz_full=3,7");

	CHECK_STR(si->cpu_model, "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz");
	CHECK_STR(si->cpu_vendor, "GenuineIntel");
	CHECK_EQ(si->sockets, 2);
	CHECK_EQ(si->cores, 4);
	CHECK_EQ(si->threads, 8); /* cpu8 is present but offline */
	CHECK_STR(si->cpus_online, "0-7");
	CHECK_EQ(si->base_mhz, 2000);
	CHECK_EQ(si->max_mhz, 3200);
	CHECK_STR(si->cpu_governor, "performance");
	CHECK_EQ(si->numa_nodes, 2);

	CHECK_EQ(si->n_caches, 4);
	c = &si->caches[0];
	CHECK_STR(c->name, "L1d");
	CHECK_EQ(c->level, 1);
	CHECK_STR(c->type, "Data");
	CHECK_EQ(c->size_bytes, 48 * 1024);
	CHECK_EQ(c->instances, 4); /* one per core, shared by two threads */
	CHECK_EQ(c->total_bytes, 4 * 48 * 1024);
	c = &si->caches[1];
	CHECK_STR(c->name, "L1i");
	CHECK_STR(c->type, "Instruction");
	CHECK_EQ(c->size_bytes, 32 * 1024);
	CHECK_EQ(c->instances, 4);
	CHECK_EQ(c->total_bytes, 4 * 32 * 1024);
	c = &si->caches[2];
	CHECK_STR(c->name, "L2");
	CHECK_EQ(c->level, 2);
	CHECK_STR(c->type, "Unified");
	CHECK_EQ(c->size_bytes, 1280 * 1024);
	CHECK_EQ(c->instances, 4);
	CHECK_EQ(c->total_bytes, 4 * 1280 * 1024);
	c = &si->caches[3];
	CHECK_STR(c->name, "L3");
	CHECK_EQ(c->size_bytes, 48 * 1024 * 1024);
	CHECK_EQ(c->instances, 2); /* one per socket */
	CHECK_EQ(c->total_bytes, 96LL * 1024 * 1024);

	CHECK_EQ(si->mem_total_bytes, 263845376LL * 1024);
	CHECK_EQ(si->hugepages_total, 1024);
	CHECK_EQ(si->hugepage_size_bytes, 2 * 1024 * 1024);
	CHECK_STR(si->clocksource, "tsc");
	CHECK_EQ(si->hypervisor, 0);
	CHECK_STR(si->dmi_product_name, "PowerEdge R650");
	CHECK_STR(si->dmi_sys_vendor, "Dell Inc.");

	CHECK_STR(si->tcp_congestion_control, "cubic");
	CHECK_EQ(si->rmem_max_bytes, 134217728);
	CHECK_EQ(si->wmem_max_bytes, 134217728);
	CHECK_EQ(si->tcp_rmem_bytes[0], 4096);
	CHECK_EQ(si->tcp_rmem_bytes[1], 87380);
	CHECK_EQ(si->tcp_rmem_bytes[2], 134217728);
	CHECK_EQ(si->tcp_wmem_bytes[0], 4096);
	CHECK_EQ(si->tcp_wmem_bytes[1], 65536);
	CHECK_EQ(si->tcp_wmem_bytes[2], 134217728);
	CHECK_EQ(si->busy_poll_us, 50);
	CHECK_EQ(si->busy_read_us, 50);

	/* sorted with numbers in names compared as numbers; bonding_masters skipped */
	CHECK_EQ(si->n_nics, 5);
	CHECK_STR(si->nics[0].name, "eno1");
	CHECK_STR(si->nics[1].name, "ens2f0");
	CHECK_STR(si->nics[2].name, "ens10f0");
	CHECK_STR(si->nics[3].name, "lo");
	CHECK_STR(si->nics[4].name, "veth0");
	CHECK(!si->addrs_known);

	n = nic_named(si, "eno1");
	CHECK_STR(n->mac, "b0:7b:25:00:00:01");
	CHECK_EQ(n->mtu, 1500);
	CHECK_STR(n->operstate, "up");
	CHECK_EQ(n->speed_mbps, 1000);
	CHECK_STR(n->duplex, "full");
	CHECK_STR(n->driver, "tg3");
	CHECK_EQ(n->rx_queues, 4);
	CHECK_EQ(n->tx_queues, 4);
	CHECK_EQ(n->n_addrs, 0);

	n = nic_named(si, "ens2f0");
	CHECK_STR(n->mac, "b4:96:91:00:00:10");
	CHECK_EQ(n->mtu, 9000);
	CHECK_STR(n->operstate, "up");
	CHECK_EQ(n->speed_mbps, 25000);
	CHECK_STR(n->duplex, "full");
	CHECK_STR(n->driver, "ice");
	CHECK_EQ(n->rx_queues, 8);
	CHECK_EQ(n->tx_queues, 8);

	n = nic_named(si, "ens10f0"); /* link down: speed -1, duplex unknown */
	CHECK_STR(n->operstate, "down");
	CHECK_EQ(n->speed_mbps, -1);
	CHECK(!n->duplex);
	CHECK_STR(n->driver, "ice");

	n = nic_named(si, "lo"); /* no speed or duplex files, no device */
	CHECK_STR(n->mac, "00:00:00:00:00:00");
	CHECK_EQ(n->mtu, 65536);
	CHECK_STR(n->operstate, "unknown");
	CHECK_EQ(n->speed_mbps, -1);
	CHECK(!n->duplex);
	CHECK_STR(n->driver, "virtual");
	CHECK_EQ(n->rx_queues, 1);
	CHECK_EQ(n->tx_queues, 1);

	n = nic_named(si, "veth0");
	CHECK_EQ(n->speed_mbps, 10000);
	CHECK_STR(n->duplex, "full");
	CHECK_STR(n->driver, "virtual");
	nr_sysinfo_free(si);
}

NR_TEST(sysinfo_small_vm)
{
	struct nr_sysinfo *si = collect_fixture("small-vm");
	const struct nr_sysinfo_nic *n;

	CHECK_STR(si->hostname, "vm-small");
	/* /usr/lib/os-release, single-quoted and bare values */
	CHECK_STR(si->os_pretty_name, "Debian GNU/Linux 12 (bookworm)");
	CHECK_STR(si->os_id, "debian");
	CHECK_STR(si->os_version_id, "12");
	CHECK_STR(si->kernel_sysname, "Linux");
	CHECK_STR(si->kernel_release, "6.1.0-18-cloud-amd64");
	CHECK(!si->kernel_version);
	CHECK(!si->kernel_cmdline);

	CHECK_STR(si->cpu_model, "AMD EPYC 7B13");
	CHECK_STR(si->cpu_vendor, "AuthenticAMD");
	/* no online list: the cpuN folders count */
	CHECK(!si->cpus_online);
	CHECK_EQ(si->threads, 2);
	CHECK_EQ(si->cores, 1);
	CHECK_EQ(si->sockets, 1);
	CHECK_EQ(si->base_mhz, -1);
	CHECK_EQ(si->max_mhz, -1);
	CHECK(!si->cpu_governor);
	CHECK_EQ(si->numa_nodes, -1);

	CHECK_EQ(si->n_caches, 4);
	CHECK_STR(si->caches[0].name, "L1d");
	CHECK_EQ(si->caches[0].instances, 2);
	CHECK_EQ(si->caches[0].total_bytes, 64 * 1024);
	CHECK_STR(si->caches[1].name, "L1i");
	CHECK_EQ(si->caches[1].instances, 2);
	CHECK_STR(si->caches[2].name, "L2");
	CHECK_EQ(si->caches[2].size_bytes, 512 * 1024);
	CHECK_EQ(si->caches[2].instances, 1);
	CHECK_STR(si->caches[3].name, "L3");
	CHECK_EQ(si->caches[3].size_bytes, 32 * 1024 * 1024);
	CHECK_EQ(si->caches[3].instances, 1);
	CHECK_EQ(si->caches[3].total_bytes, 32 * 1024 * 1024);

	CHECK_EQ(si->mem_total_bytes, 8148012LL * 1024);
	CHECK_EQ(si->hugepages_total, 0);
	CHECK_EQ(si->hugepage_size_bytes, 2 * 1024 * 1024);
	CHECK_STR(si->clocksource, "kvm-clock");
	CHECK_EQ(si->hypervisor, 1);
	CHECK_STR(si->dmi_product_name, "Google Compute Engine");
	CHECK_STR(si->dmi_sys_vendor, "Google");

	CHECK_STR(si->tcp_congestion_control, "bbr");
	CHECK_EQ(si->rmem_max_bytes, 212992);
	CHECK_EQ(si->wmem_max_bytes, -1);    /* not a number */
	CHECK_EQ(si->tcp_rmem_bytes[2], 6291456);
	CHECK_EQ(si->tcp_wmem_bytes[0], -1); /* two numbers, not three */
	CHECK_EQ(si->tcp_wmem_bytes[2], -1);
	CHECK_EQ(si->busy_poll_us, -1);      /* missing */
	CHECK_EQ(si->busy_read_us, -1);

	CHECK_EQ(si->n_nics, 2);
	n = nic_named(si, "ens4");
	CHECK_STR(n->mac, "42:01:0a:80:00:02");
	CHECK_EQ(n->mtu, 1460);
	CHECK_STR(n->operstate, "up");
	CHECK_EQ(n->speed_mbps, -1);
	CHECK(!n->duplex);
	CHECK_STR(n->driver, "virtio_net");
	CHECK_EQ(n->rx_queues, 2);
	CHECK_EQ(n->tx_queues, 2);
	nr_sysinfo_free(si);
}

NR_TEST(sysinfo_json_two_socket)
{
	static const char *const top[] = { "schema", "hostname", "os", "kernel",
					   "cpu", "memory", "platform", "net" };
	struct nr_sysinfo *si = collect_fixture("two-socket");
	json_t *j = to_json(si), *v;
	size_t i;

	CHECK_EQ(json_object_size(j), NR_ARRAY_SIZE(top));
	for (i = 0; i < NR_ARRAY_SIZE(top); i++)
		CHECK(json_object_get(j, top[i]));
	CHECK_EQ(json_integer_value(at(j, "schema")), 1);
	CHECK_STR(json_string_value(at(j, "hostname")), "bench-a");
	CHECK_STR(json_string_value(at(j, "os.pretty_name")), "Ubuntu 22.04.4 LTS");
	CHECK_STR(json_string_value(at(j, "os.id")), "ubuntu");
	CHECK_STR(json_string_value(at(j, "os.version_id")), "22.04");
	CHECK_STR(json_string_value(at(j, "kernel.release")), "5.15.0-105-generic");
	CHECK(json_is_null(at(j, "kernel.machine")));
	CHECK_STR(json_string_value(at(j, "cpu.model")),
		  "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz");
	CHECK_EQ(json_integer_value(at(j, "cpu.sockets")), 2);
	CHECK_EQ(json_integer_value(at(j, "cpu.cores")), 4);
	CHECK_EQ(json_integer_value(at(j, "cpu.threads")), 8);
	CHECK_STR(json_string_value(at(j, "cpu.online")), "0-7");
	CHECK_EQ(json_integer_value(at(j, "cpu.base_mhz")), 2000);
	CHECK_EQ(json_integer_value(at(j, "cpu.max_mhz")), 3200);
	CHECK_STR(json_string_value(at(j, "cpu.governor")), "performance");
	CHECK_EQ(json_integer_value(at(j, "cpu.numa_nodes")), 2);
	v = at(j, "cpu.caches");
	CHECK_EQ(json_array_size(v), 4);
	CHECK_STR(json_string_value(json_object_get(json_array_get(v, 3), "name")), "L3");
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(v, 3), "instances")), 2);
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(v, 3), "size_bytes")),
		 48 * 1024 * 1024);
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(v, 3), "total_bytes")),
		 96LL * 1024 * 1024);
	CHECK_EQ(json_integer_value(at(j, "memory.total_bytes")), 263845376LL * 1024);
	CHECK_EQ(json_integer_value(at(j, "memory.hugepages_total")), 1024);
	CHECK_EQ(json_integer_value(at(j, "memory.hugepage_size_bytes")), 2097152);
	CHECK_STR(json_string_value(at(j, "platform.clocksource")), "tsc");
	CHECK(json_is_false(at(j, "platform.hypervisor")));
	CHECK_STR(json_string_value(at(j, "platform.dmi_product_name")), "PowerEdge R650");
	CHECK_STR(json_string_value(at(j, "platform.dmi_sys_vendor")), "Dell Inc.");

	v = at(j, "net.sysctl");
	CHECK_STR(json_string_value(json_object_get(v, "net.ipv4.tcp_congestion_control")),
		  "cubic");
	CHECK_EQ(json_integer_value(json_object_get(v, "net.core.rmem_max")), 134217728);
	CHECK_EQ(json_integer_value(json_object_get(v, "net.core.wmem_max")), 134217728);
	CHECK_EQ(json_integer_value(json_array_get(json_object_get(v, "net.ipv4.tcp_rmem"), 1)),
		 87380);
	CHECK_EQ(json_integer_value(json_array_get(json_object_get(v, "net.ipv4.tcp_wmem"), 2)),
		 134217728);
	CHECK_EQ(json_integer_value(json_object_get(v, "net.core.busy_poll")), 50);
	CHECK_EQ(json_integer_value(json_object_get(v, "net.core.busy_read")), 50);

	v = at(j, "net.nics");
	CHECK_EQ(json_array_size(v), 5);
	v = json_array_get(v, 1);
	CHECK_STR(json_string_value(json_object_get(v, "name")), "ens2f0");
	CHECK_STR(json_string_value(json_object_get(v, "mac")), "b4:96:91:00:00:10");
	CHECK_EQ(json_integer_value(json_object_get(v, "mtu")), 9000);
	CHECK_STR(json_string_value(json_object_get(v, "operstate")), "up");
	CHECK_EQ(json_integer_value(json_object_get(v, "speed_mbps")), 25000);
	CHECK_STR(json_string_value(json_object_get(v, "duplex")), "full");
	CHECK_STR(json_string_value(json_object_get(v, "driver")), "ice");
	CHECK_EQ(json_integer_value(json_object_get(v, "rx_queues")), 8);
	CHECK_EQ(json_integer_value(json_object_get(v, "tx_queues")), 8);
	/* not collected from a fake tree: unknown, not empty */
	CHECK(json_is_null(json_object_get(v, "addrs")));
	json_decref(j);
	nr_sysinfo_free(si);
}

NR_TEST(sysinfo_json_unknowns_are_null)
{
	struct nr_sysinfo *si = collect_fixture("small-vm");
	json_t *j = to_json(si), *sys = at(j, "net.sysctl"), *nic;

	CHECK(json_is_null(at(j, "kernel.version")));
	CHECK(json_is_null(at(j, "kernel.cmdline")));
	CHECK(json_is_null(at(j, "cpu.online")));
	CHECK(json_is_null(at(j, "cpu.base_mhz")));
	CHECK(json_is_null(at(j, "cpu.max_mhz")));
	CHECK(json_is_null(at(j, "cpu.governor")));
	CHECK(json_is_null(at(j, "cpu.numa_nodes")));
	CHECK(json_is_true(at(j, "platform.hypervisor")));
	CHECK(json_is_null(json_object_get(sys, "net.core.wmem_max")));
	CHECK(json_is_null(json_object_get(sys, "net.ipv4.tcp_wmem")));
	CHECK(json_is_null(json_object_get(sys, "net.core.busy_poll")));
	nic = json_array_get(at(j, "net.nics"), 0);
	CHECK_STR(json_string_value(json_object_get(nic, "name")), "ens4");
	CHECK(json_is_null(json_object_get(nic, "speed_mbps")));
	CHECK(json_is_null(json_object_get(nic, "duplex")));
	json_decref(j);
	nr_sysinfo_free(si);
}

NR_TEST(sysinfo_text_two_socket)
{
	struct nr_sysinfo *si = collect_fixture("two-socket");
	struct nr_buf out = NR_BUF_INIT;
	const char *a, *b;

	CHECK_OK(nr_sysinfo_format_text(si, &out));
	CHECK_CONTAINS(out.buf, "host       bench-a\n");
	CHECK_CONTAINS(out.buf, "cpu        Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz (GenuineIntel)\n");
	CHECK_CONTAINS(out.buf, "2 sockets, 4 cores, 8 threads (online 0-7), 2 NUMA nodes\n");
	CHECK_CONTAINS(out.buf, "base 2000 MHz, max 3200 MHz, governor performance\n");
	CHECK_CONTAINS(out.buf, "L1d 48K x4, L1i 32K x4, L2 1.2M x4, L3 48M x2\n");
	CHECK_CONTAINS(out.buf, "memory     251.6G, huge pages 1024 x 2M\n");
	CHECK_CONTAINS(out.buf, "hypervisor no, Dell Inc. PowerEdge R650\n");
	CHECK_CONTAINS(out.buf, "tcp_rmem   4096 87380 134217728\n");
	/* the table's columns line up */
	CHECK_CONTAINS(out.buf, "  ens2f0   up       9000   25G    full    ice      8/8    b4:96:91:00:00:10\n");
	CHECK_CONTAINS(out.buf, "  lo       unknown  65536  -      -       virtual  1/1    00:00:00:00:00:00\n");
	a = strstr(out.buf, "ens2f0 ");
	b = strstr(out.buf, "ens10f0 ");
	CHECK(a && b && a < b);
	nr_buf_release(&out);
	nr_sysinfo_free(si);
}

NR_TEST(sysinfo_missing_root_fails)
{
	struct nr_diag d = { 0 };
	struct nr_sysinfo *si = NULL;

	CHECK_EQ(nr_sysinfo_collect_at("/nonexistent-netrig", &si, &d), -ENOENT);
	CHECK(!si);
	CHECK_CONTAINS(nr_diag_msg(&d), "/nonexistent-netrig/proc");
}

/* A tree with nothing in it: every field unknown, and no crash. */
NR_TEST(sysinfo_empty_tree)
{
	struct nr_sysinfo *si = NULL;
	struct nr_buf out = NR_BUF_INIT;
	char *root = scratch_tree(), *proc = nr_xasprintf("%s/proc", root);
	json_t *j;

	CHECK(mkdir(proc, 0755) == 0);
	CHECK_OK(nr_sysinfo_collect_at(root, &si, NULL));
	CHECK(!si->hostname && !si->cpu_model && !si->os_id && !si->clocksource);
	CHECK_EQ(si->threads, -1);
	CHECK_EQ(si->cores, -1);
	CHECK_EQ(si->sockets, -1);
	CHECK_EQ(si->mem_total_bytes, -1);
	CHECK_EQ(si->hypervisor, -1);
	CHECK_EQ(si->n_caches, 0);
	CHECK_EQ(si->n_nics, 0);
	j = to_json(si);
	CHECK(json_is_null(at(j, "cpu.model")));
	CHECK(json_is_null(at(j, "cpu.threads")));
	CHECK(json_is_null(at(j, "memory.total_bytes")));
	CHECK(json_is_null(at(j, "platform.hypervisor")));
	CHECK_EQ(json_array_size(at(j, "cpu.caches")), 0);
	CHECK_EQ(json_array_size(at(j, "net.nics")), 0);
	json_decref(j);
	CHECK_OK(nr_sysinfo_format_text(si, &out));
	CHECK_CONTAINS(out.buf, "cpu        ?\n");
	nr_buf_release(&out);
	nr_sysinfo_free(si);
	free(proc);
	scratch_free(root);
}

/*
 * CPUs online with no cache directories (a container's or a test's tree):
 * no caches, and no qsort of a NULL array (UBSan saw one).
 */
NR_TEST(sysinfo_cpus_without_caches)
{
	struct nr_sysinfo *si = NULL;
	char *root = scratch_tree();

	put(root, "sys/devices/system/cpu/online", "0\n");
	put(root, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
	CHECK_OK(nr_sysinfo_collect_at(root, &si, NULL));
	CHECK_EQ(si->threads, 1);
	CHECK_EQ(si->n_caches, 0);
	CHECK_STR(si->cpu_governor, "powersave");
	nr_sysinfo_free(si);
	scratch_free(root);
}

NR_TEST(sysinfo_odd_values)
{
	struct nr_sysinfo *si = NULL;
	char *root = scratch_tree();
	json_t *j;

	/* escapes in os-release; a non-UTF-8 DMI string; a lone cpu list */
	put(root, "etc/os-release", "# comment\nPRETTY_NAME=\"A \\\"quoted\\\" name\"\n"
			      "ID=arch # comment\nVERSION_ID=\n");
	put(root, "sys/class/dmi/id/product_name", "Caf\xe9 Box\n");
	put(root, "sys/devices/system/cpu/online", "3\n");
	put(root, "sys/devices/system/cpu/cpu3/topology/physical_package_id", "0\n");
	put(root, "sys/devices/system/cpu/cpu3/topology/core_id", "7\n");
	/* unreadable sizes make the sum unknown, not wrong */
	put(root, "sys/devices/system/cpu/cpu3/cache/index0/level", "1\n");
	put(root, "sys/devices/system/cpu/cpu3/cache/index0/type", "Data\n");
	put(root, "sys/devices/system/cpu/cpu3/cache/index0/size", "lots\n");
	put(root, "proc/cpuinfo", "processor\t: 3\nflags\t\t: fpu hypervisor_x\n");
	put(root, "sys/class/net/x0/speed", "4294967295\n");
	CHECK_OK(nr_sysinfo_collect_at(root, &si, NULL));
	CHECK_STR(si->os_pretty_name, "A \"quoted\" name");
	CHECK_STR(si->os_id, "arch");
	CHECK(!si->os_version_id);
	CHECK_EQ(si->threads, 1);
	CHECK_EQ(si->cores, 1);
	CHECK_EQ(si->sockets, 1);
	CHECK_EQ(si->n_caches, 1);
	CHECK_EQ(si->caches[0].instances, 1);
	CHECK_EQ(si->caches[0].size_bytes, -1);
	CHECK_EQ(si->caches[0].total_bytes, -1);
	CHECK_EQ(si->hypervisor, 0); /* a word, not a prefix */
	CHECK_EQ(si->n_nics, 1);
	CHECK_EQ(si->nics[0].speed_mbps, -1); /* SPEED_UNKNOWN printed unsigned */
	CHECK(!si->nics[0].driver || !strcmp(si->nics[0].driver, "virtual"));
	CHECK_EQ(si->nics[0].rx_queues, -1);
	j = to_json(si);
	CHECK_STR(json_string_value(at(j, "platform.dmi_product_name")), "Caf? Box");
	json_decref(j);
	nr_sysinfo_free(si);
	scratch_free(root);
}

NR_TEST(sysinfo_this_machine)
{
	struct nr_diag d = { 0 };
	struct nr_sysinfo *si = NULL;
	const struct nr_sysinfo_nic *lo;
	bool loopback = false;
	json_t *j;
	size_t i;

	if (nr_sysinfo_collect(&si, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "collect: %s", nr_diag_msg(&d));
	CHECK(si->threads >= 1);
	CHECK(si->cores >= 1 && si->cores <= si->threads);
	CHECK(si->sockets >= 1 && si->sockets <= si->cores);
	CHECK(si->mem_total_bytes > 0);
	CHECK(si->hostname && si->hostname[0]);
	CHECK_STR(si->kernel_sysname, "Linux");
	CHECK(si->kernel_release && si->kernel_machine);
	CHECK(si->cpu_model);
	CHECK(si->addrs_known);
	lo = nic_named(si, "lo");
	CHECK_STR(lo->driver, "virtual");
	CHECK_EQ(lo->mtu > 0, 1);
	for (i = 0; i < lo->n_addrs; i++)
		if (lo->addrs[i].family == AF_INET &&
		    !strcmp(lo->addrs[i].addr, "127.0.0.1") && lo->addrs[i].prefix_len == 8)
			loopback = true;
	CHECK(loopback);
	j = to_json(si);
	CHECK(json_is_array(json_object_get(json_array_get(at(j, "net.nics"), 0), "addrs")));
	json_decref(j);
	nr_sysinfo_free(si);
}
