/*
 * Collecting a machine's description from /proc, /sys and system calls.
 *
 * Every reader here treats a missing or odd file as "unknown" and goes on:
 * kernels, architectures, containers and VMs each leave out different
 * files, and a description with holes is worth more than none.
 */
#include "sysinfo/sysinfo.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "sysinfo/sysinfo_int.h"

#define SMALL_FILE_MAX NR__SYSINFO_SMALL_FILE_MAX
/* /proc/cpuinfo grows with the CPUs: about 1.5K each. */
#define CPUINFO_MAX (8 * 1024 * 1024)
/* The kernel's own limit on CPU numbers is below this (NR_CPUS). */
#define CPU_MAX 16384

/* ---- reading files under a root ---------------------------------------- */

static char *vpath(const char *root, const char *fmt, va_list ap)
{
	struct nr_buf p = NR_BUF_INIT;

	nr_buf_adds(&p, root);
	nr_buf_vaddf(&p, fmt, ap);
	return nr_buf_detach(&p, NULL);
}

char *nr__sysinfo_path(const char *root, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = vpath(root, fmt, ap);
	va_end(ap);
	return p;
}

/* The whole file into b (emptied first, at most `limit` bytes); -errno. */
static __attribute__((format(printf, 4, 5))) int
read_file(struct nr_buf *b, size_t limit, const char *root, const char *fmt, ...)
{
	va_list ap;
	char *path;
	int r;

	va_start(ap, fmt);
	path = vpath(root, fmt, ap);
	va_end(ap);
	nr_buf_release(b);
	b->limit = limit;
	r = nr_buf_read_file(b, path);
	free(path);
	return r;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static char *vread_line(const char *root, const char *fmt, va_list ap)
{
	struct nr_buf b = NR_BUF_INIT;
	char *path = vpath(root, fmt, ap), *nl, *s = NULL;

	b.limit = SMALL_FILE_MAX;
	if (nr_buf_read_file(&b, path) < 0)
		goto out;
	nl = strchr(b.buf, '\n');
	if (nl)
		*nl = '\0';
	trim_end(b.buf);
	if (b.buf[0])
		s = nr_xstrdup(b.buf);
out:
	nr_buf_release(&b);
	free(path);
	return s;
}

char *nr__sysinfo_read_line(const char *root, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vread_line(root, fmt, ap);
	va_end(ap);
	return s;
}

int64_t nr__sysinfo_read_i64(const char *root, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int64_t v = -1;

	va_start(ap, fmt);
	s = vread_line(root, fmt, ap);
	va_end(ap);
	if (s && nr_parse_i64(s, 0, INT64_MAX, &v) < 0)
		v = -1;
	free(s);
	return v;
}

bool nr__sysinfo_is_dir(const char *root, const char *rel)
{
	char *path = nr__sysinfo_path(root, "%s", rel);
	struct stat st;
	bool yes = !stat(path, &st) && S_ISDIR(st.st_mode);

	free(path);
	return yes;
}

/* ---- CPU lists ("0-3,8,10-11") ------------------------------------------ */

/*
 * The CPUs (or nodes) of a kernel list, ascending as the kernel writes
 * them. Returns the count, or -1 (and *ret NULL) when s is not a list.
 */
static int64_t parse_list(const char *s, int **ret)
{
	int *v = NULL;
	size_t n = 0, cap = 0;
	char *dup = nr_xstrdup(s), *save = NULL, *tok, *dash;
	int64_t lo, hi, i;

	*ret = NULL;
	trim_end(dup);
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		dash = strchr(tok, '-');
		if (dash)
			*dash = '\0';
		if (nr_parse_i64(tok, 0, CPU_MAX - 1, &lo) < 0)
			goto bad;
		hi = lo;
		if (dash && nr_parse_i64(dash + 1, lo, CPU_MAX - 1, &hi) < 0)
			goto bad;
		for (i = lo; i <= hi; i++) {
			NR_GROW(v, n + 1, cap);
			v[n++] = (int)i;
		}
	}
	free(dup);
	*ret = v;
	return (int64_t)n;
bad:
	free(dup);
	free(v);
	return -1;
}

/* ---- /proc/cpuinfo -------------------------------------------------------- */

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\t'))
			return true;
		p += n;
	}
	return false;
}

/*
 * Model, vendor and the hypervisor flag. The first value of each key wins;
 * other architectures name the model and vendor differently, hence the
 * alternatives (arm: "CPU implementer", powerpc: "cpu", mips: "cpu model").
 */
static void collect_cpuinfo(struct nr_sysinfo *si, const char *root)
{
	static const char *const model_keys[] = { "model name", "Processor",
						  "cpu model", "cpu" };
	static const char *const vendor_keys[] = { "vendor_id", "CPU implementer" };
	struct nr_buf b = NR_BUF_INIT;
	size_t model_rank = NR_ARRAY_SIZE(model_keys);
	size_t vendor_rank = NR_ARRAY_SIZE(vendor_keys);
	char *line, *next, *colon, *val;
	size_t i;

	if (read_file(&b, CPUINFO_MAX, root, "/proc/cpuinfo") < 0)
		goto out;
	for (line = b.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		trim_end(line);
		val = colon + 1;
		val += strspn(val, " \t");
		trim_end(val);
		for (i = 0; i < model_rank; i++) {
			if (!strcmp(line, model_keys[i]) && *val) {
				free(si->cpu_model);
				si->cpu_model = nr_xstrdup(val);
				model_rank = i;
			}
		}
		for (i = 0; i < vendor_rank; i++) {
			if (!strcmp(line, vendor_keys[i]) && *val) {
				free(si->cpu_vendor);
				si->cpu_vendor = nr_xstrdup(val);
				vendor_rank = i;
			}
		}
		if (si->hypervisor < 0 && !strcmp(line, "flags"))
			si->hypervisor = has_word(val, "hypervisor");
	}
out:
	nr_buf_release(&b);
}

/* ---- topology and caches ------------------------------------------------ */

struct core_id {
	int64_t package;
	int64_t core;
};

static int cmp_core(const void *a, const void *b)
{
	const struct core_id *x = a, *y = b;

	if (x->package != y->package)
		return x->package < y->package ? -1 : 1;
	if (x->core != y->core)
		return x->core < y->core ? -1 : 1;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

static int cmp_cache(const void *a, const void *b)
{
	const struct nr_sysinfo_cache *x = a, *y = b;

	if (x->level != y->level)
		return x->level - y->level;
	/* "Data" < "Instruction" < "Unified", as lscpu lists them */
	return strcmp(x->type, y->type);
}

static struct nr_sysinfo_cache *find_cache(struct nr_sysinfo *si, int level,
					   const char *type)
{
	size_t i;

	for (i = 0; i < si->n_caches; i++)
		if (si->caches[i].level == level && !strcmp(si->caches[i].type, type))
			return &si->caches[i];
	return NULL;
}

/*
 * One cpuN/cache/indexM. A cache shared by several CPUs appears under each
 * of them; `seen` holds "level type shared_cpu_list" of the instances
 * already counted so each is counted once.
 */
static void add_cache(struct nr_sysinfo *si, size_t *cap, const char *root,
		      int cpu, const char *index, struct nr_strvec *seen)
{
	char *dir = nr_xasprintf("/sys/devices/system/cpu/cpu%d/cache/%s", cpu, index);
	char *type = nr__sysinfo_read_line(root, "%s/type", dir);
	char *size = nr__sysinfo_read_line(root, "%s/size", dir);
	char *shared = nr__sysinfo_read_line(root, "%s/shared_cpu_list", dir);
	int64_t level = nr__sysinfo_read_i64(root, "%s/level", dir);
	struct nr_sysinfo_cache *c;
	uint64_t bytes = 0;
	char *key = NULL;
	size_t i;

	if (level < 1 || level > 9 || !type || strlen(type) >= sizeof(c->type))
		goto out;
	if (size && nr_parse_size(size, &bytes) < 0)
		bytes = 0;
	/* without a shared list, the instance is this CPU's own */
	key = shared ? nr_xasprintf("%d %s %s", (int)level, type, shared)
		     : nr_xasprintf("%d %s cpu%d", (int)level, type, cpu);
	for (i = 0; i < seen->n; i++)
		if (!strcmp(seen->v[i], key))
			goto out;
	nr_strvec_push(seen, key);

	c = find_cache(si, (int)level, type);
	if (!c) {
		NR_GROW(si->caches, si->n_caches + 1, *cap);
		c = &si->caches[si->n_caches++];
		memset(c, 0, sizeof(*c));
		c->level = (int)level;
		snprintf(c->type, sizeof(c->type), "%s", type);
		snprintf(c->name, sizeof(c->name), "L%d%s", c->level,
			 !strcmp(type, "Data") ? "d" :
			 !strcmp(type, "Instruction") ? "i" : "");
		c->size_bytes = bytes ? (int64_t)bytes : -1;
		c->total_bytes = 0;
	}
	c->instances++;
	if (bytes && c->total_bytes >= 0)
		c->total_bytes += (int64_t)bytes;
	else
		c->total_bytes = -1; /* one unknown size makes the sum unknown */
out:
	free(dir);
	free(key);
	free(type);
	free(size);
	free(shared);
}

static void collect_caches(struct nr_sysinfo *si, const char *root, int cpu,
			   struct nr_strvec *seen, size_t *cap)
{
	char *path = nr__sysinfo_path(root, "/sys/devices/system/cpu/cpu%d/cache", cpu);
	struct nr_strvec names = NR_STRVEC_INIT;
	DIR *dir = opendir(path);
	struct dirent *de;
	size_t i;

	if (!dir)
		goto out;
	while ((de = readdir(dir)))
		if (nr_starts_with(de->d_name, "index"))
			nr_strvec_push(&names, de->d_name);
	closedir(dir);
	for (i = 0; i < names.n; i++)
		add_cache(si, cap, root, cpu, names.v[i], seen);
out:
	nr_strvec_clear(&names);
	free(path);
}

/*
 * CPU numbers from the cpuN directories, for kernels without an online
 * list: the present CPUs, the best guess at the online ones.
 */
static int64_t list_cpu_dirs(const char *root, int **ret)
{
	char *path = nr__sysinfo_path(root, "/sys/devices/system/cpu");
	DIR *dir = opendir(path);
	struct dirent *de;
	int *v = NULL;
	size_t n = 0, cap = 0;
	int64_t cpu;

	free(path);
	*ret = NULL;
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (!nr_starts_with(de->d_name, "cpu") ||
		    nr_parse_i64(de->d_name + 3, 0, CPU_MAX - 1, &cpu) < 0)
			continue;
		NR_GROW(v, n + 1, cap);
		v[n++] = (int)cpu;
	}
	closedir(dir);
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_int);
	*ret = v;
	return (int64_t)n;
}

static void collect_topology(struct nr_sysinfo *si, const char *root)
{
	struct nr_strvec seen = NR_STRVEC_INIT;
	struct core_id *cores = NULL;
	int64_t *packages = NULL;
	int *cpus = NULL;
	int64_t n_cpus, i, n_cores = 0, n_packages = 0;
	size_t cache_cap = 0;
	bool topo_known = true;
	char *dir;

	si->cpus_online = nr__sysinfo_read_line(root, "/sys/devices/system/cpu/online");
	n_cpus = si->cpus_online ? parse_list(si->cpus_online, &cpus) : -1;
	if (n_cpus <= 0) {
		free(cpus);
		n_cpus = list_cpu_dirs(root, &cpus);
	}
	if (n_cpus <= 0)
		goto out;
	si->threads = n_cpus;

	cores = nr_xcalloc((size_t)n_cpus, sizeof(*cores));
	packages = nr_xcalloc((size_t)n_cpus, sizeof(*packages));
	for (i = 0; i < n_cpus; i++) {
		dir = nr_xasprintf("/sys/devices/system/cpu/cpu%d", cpus[i]);
		cores[i].package = nr__sysinfo_read_i64(root, "%s/topology/physical_package_id",
							dir);
		cores[i].core = nr__sysinfo_read_i64(root, "%s/topology/core_id", dir);
		free(dir);
		if (cores[i].package < 0 || cores[i].core < 0)
			topo_known = false;
		packages[i] = cores[i].package;
		collect_caches(si, root, cpus[i], &seen, &cache_cap);
	}
	if (topo_known) {
		qsort(cores, (size_t)n_cpus, sizeof(*cores), cmp_core);
		qsort(packages, (size_t)n_cpus, sizeof(*packages), cmp_i64);
		for (i = 0; i < n_cpus; i++) {
			if (!i || cmp_core(&cores[i - 1], &cores[i]))
				n_cores++;
			if (!i || packages[i - 1] != packages[i])
				n_packages++;
		}
		si->cores = n_cores;
		si->sockets = n_packages;
	}
	/* none: a tree (a container, a test) without cache directories; qsort wants an array */
	if (si->n_caches)
		qsort(si->caches, si->n_caches, sizeof(*si->caches), cmp_cache);

	/* frequencies and governor: the first online CPU speaks for all */
	dir = nr_xasprintf("/sys/devices/system/cpu/cpu%d/cpufreq", cpus[0]);
	si->base_mhz = nr__sysinfo_read_i64(root, "%s/base_frequency", dir);
	si->max_mhz = nr__sysinfo_read_i64(root, "%s/cpuinfo_max_freq", dir);
	if (si->base_mhz >= 0)
		si->base_mhz /= 1000; /* the files are in kHz */
	if (si->max_mhz >= 0)
		si->max_mhz /= 1000;
	si->cpu_governor = nr__sysinfo_read_line(root, "%s/scaling_governor", dir);
	free(dir);
out:
	nr_strvec_clear(&seen);
	free(cores);
	free(packages);
	free(cpus);
}

/* ---- memory, OS, kernel, platform, sysctls -------------------------------- */

static void collect_meminfo(struct nr_sysinfo *si, const char *root)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "MemTotal", offsetof(struct nr_sysinfo, mem_total_bytes) },
		{ "HugePages_Total", offsetof(struct nr_sysinfo, hugepages_total) },
		{ "Hugepagesize", offsetof(struct nr_sysinfo, hugepage_size_bytes) },
	};
	struct nr_buf b = NR_BUF_INIT;
	char *line, *next, *colon, *val, *unit;
	int64_t v;
	size_t i;

	if (read_file(&b, SMALL_FILE_MAX, root, "/proc/meminfo") < 0)
		goto out;
	for (line = b.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		val = colon + 1;
		val += strspn(val, " \t");
		trim_end(val);
		unit = strchr(val, ' ');
		if (unit)
			*unit++ = '\0';
		for (i = 0; i < NR_ARRAY_SIZE(keys); i++) {
			if (strcmp(line, keys[i].key) ||
			    nr_parse_i64(val, 0, INT64_MAX / 1024, &v) < 0)
				continue;
			if (unit && !strcmp(unit, "kB"))
				v *= 1024;
			*(int64_t *)((char *)si + keys[i].off) = v;
		}
	}
out:
	nr_buf_release(&b);
}

/*
 * One os-release value: KEY="quoted \"text\"", KEY='text' or KEY=word
 * (the shell-like syntax os-release(5) allows, without expansions).
 */
static char *os_release_value(const char *v)
{
	struct nr_buf out = NR_BUF_INIT;
	char q = 0;

	if (*v == '"' || *v == '\'')
		q = *v++;
	for (; *v && *v != q; v++) {
		if (!q && (*v == ' ' || *v == '\t'))
			break;
		if (q == '"' && *v == '\\' && v[1])
			v++;
		nr_buf_addch(&out, *v);
	}
	if (!out.len) {
		nr_buf_release(&out);
		return NULL;
	}
	return nr_buf_detach(&out, NULL);
}

static void collect_os_release(struct nr_sysinfo *si, const char *root)
{
	struct nr_buf b = NR_BUF_INIT;
	char *line, *next, **field;

	/* os-release(5): /etc first, /usr/lib as the fallback */
	if (read_file(&b, SMALL_FILE_MAX, root, "/etc/os-release") < 0 &&
	    read_file(&b, SMALL_FILE_MAX, root, "/usr/lib/os-release") < 0)
		goto out;
	for (line = b.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (nr_starts_with(line, "PRETTY_NAME="))
			field = &si->os_pretty_name;
		else if (nr_starts_with(line, "ID="))
			field = &si->os_id;
		else if (nr_starts_with(line, "VERSION_ID="))
			field = &si->os_version_id;
		else
			continue;
		free(*field);
		*field = os_release_value(strchr(line, '=') + 1);
	}
out:
	nr_buf_release(&b);
}

/* "4096\t131072\t6291456": min, default, max; all -1 unless all three parse. */
static void read_triple(int64_t v[3], const char *root, const char *rel)
{
	char *s = nr__sysinfo_read_line(root, "%s", rel), *p, *end;
	int64_t t[3];
	int i;

	v[0] = v[1] = v[2] = -1;
	if (!s)
		return;
	p = s;
	for (i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		end = p + strcspn(p, " \t");
		if (*end)
			*end++ = '\0';
		if (nr_parse_i64(p, 0, INT64_MAX, &t[i]) < 0)
			goto out;
		p = end;
	}
	if (*p)
		goto out;
	memcpy(v, t, sizeof(t));
out:
	free(s);
}

/* The length of the list in a file like node/online; -1 when unreadable. */
static int64_t count_list(const char *root, const char *rel)
{
	char *s = nr__sysinfo_read_line(root, "%s", rel);
	int64_t n = -1;
	int *v = NULL;

	if (s)
		n = parse_list(s, &v);
	free(v);
	free(s);
	return n;
}

static void collect_system(struct nr_sysinfo *si, const char *root)
{
	si->hostname = nr__sysinfo_read_line(root, "/proc/sys/kernel/hostname");
	si->kernel_sysname = nr__sysinfo_read_line(root, "/proc/sys/kernel/ostype");
	si->kernel_release = nr__sysinfo_read_line(root, "/proc/sys/kernel/osrelease");
	si->kernel_version = nr__sysinfo_read_line(root, "/proc/sys/kernel/version");
	si->kernel_cmdline = nr__sysinfo_read_line(root, "/proc/cmdline");
	si->clocksource = nr__sysinfo_read_line(root,
		"/sys/devices/system/clocksource/clocksource0/current_clocksource");
	si->dmi_product_name = nr__sysinfo_read_line(root, "/sys/class/dmi/id/product_name");
	si->dmi_sys_vendor = nr__sysinfo_read_line(root, "/sys/class/dmi/id/sys_vendor");
	si->numa_nodes = count_list(root, "/sys/devices/system/node/online");
	si->tcp_congestion_control = nr__sysinfo_read_line(root,
		"/proc/sys/net/ipv4/tcp_congestion_control");
	si->rmem_max_bytes = nr__sysinfo_read_i64(root, "/proc/sys/net/core/rmem_max");
	si->wmem_max_bytes = nr__sysinfo_read_i64(root, "/proc/sys/net/core/wmem_max");
	read_triple(si->tcp_rmem_bytes, root, "/proc/sys/net/ipv4/tcp_rmem");
	read_triple(si->tcp_wmem_bytes, root, "/proc/sys/net/ipv4/tcp_wmem");
	si->busy_poll_us = nr__sysinfo_read_i64(root, "/proc/sys/net/core/busy_poll");
	si->busy_read_us = nr__sysinfo_read_i64(root, "/proc/sys/net/core/busy_read");
}

/* ---- the whole ------------------------------------------------------------ */

int nr_sysinfo_collect_at(const char *root, struct nr_sysinfo **ret,
			  struct nr_diag *d)
{
	struct nr_sysinfo *si;

	if (!root)
		root = "";
	if (!nr__sysinfo_is_dir(root, "/proc") && !nr__sysinfo_is_dir(root, "/sys"))
		return nr_diagf(d, -ENOENT, "no %s/proc or %s/sys to read",
				root, root);
	si = nr_xcalloc(1, sizeof(*si));
	si->sockets = si->cores = si->threads = -1;
	si->base_mhz = si->max_mhz = -1;
	si->mem_total_bytes = si->hugepages_total = si->hugepage_size_bytes = -1;
	si->hypervisor = -1;

	collect_cpuinfo(si, root);
	collect_topology(si, root);
	collect_meminfo(si, root);
	collect_os_release(si, root);
	collect_system(si, root);
	nr__sysinfo_collect_nics(si, root);
	*ret = si;
	return 0;
}

static void replace_if_unknown(char **field, const char *value)
{
	if (!*field && value[0])
		*field = nr_xstrdup(value);
}

int nr_sysinfo_collect(struct nr_sysinfo **ret, struct nr_diag *d)
{
	struct nr_sysinfo *si;
	struct utsname u;
	int r;

	r = nr_sysinfo_collect_at("", &si, d);
	if (r < 0)
		return r;
	if (!uname(&u)) {
		replace_if_unknown(&si->kernel_machine, u.machine);
		replace_if_unknown(&si->kernel_sysname, u.sysname);
		replace_if_unknown(&si->kernel_release, u.release);
		replace_if_unknown(&si->kernel_version, u.version);
		replace_if_unknown(&si->hostname, u.nodename);
	}
	/* addresses are one more field: unknown when unreadable, not an error */
	(void)nr_sysinfo_collect_addrs(si, NULL);
	*ret = si;
	return 0;
}

void nr_sysinfo_free(struct nr_sysinfo *si)
{
	size_t i;

	if (!si)
		return;
	for (i = 0; i < si->n_nics; i++) {
		free(si->nics[i].name);
		free(si->nics[i].mac);
		free(si->nics[i].operstate);
		free(si->nics[i].duplex);
		free(si->nics[i].driver);
		free(si->nics[i].addrs);
	}
	free(si->nics);
	free(si->caches);
	free(si->hostname);
	free(si->os_pretty_name);
	free(si->os_id);
	free(si->os_version_id);
	free(si->kernel_sysname);
	free(si->kernel_release);
	free(si->kernel_version);
	free(si->kernel_machine);
	free(si->kernel_cmdline);
	free(si->cpu_model);
	free(si->cpu_vendor);
	free(si->cpus_online);
	free(si->cpu_governor);
	free(si->clocksource);
	free(si->dmi_product_name);
	free(si->dmi_sys_vendor);
	free(si->tcp_congestion_control);
	free(si);
}
