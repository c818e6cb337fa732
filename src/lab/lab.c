/*
 * lab up, down, status and exec: namespaces and veths through `ip` (argv
 * vectors run with nr_proc_*), keys through ssh-keygen, sshd started as
 * a daemon whose pid is on disk before it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/pid.h"
#include "base/str.h"
#include "exec/exec.h"
#include "lab/lab.h"
#include "lab/lab_internal.h"

#define SSHD_READY_TIMEOUT_US (5 * 1000000LL)
#define KILL_GRACE_US (2 * 1000000LL)
#define RUN_SSHD "/run/sshd"

static char *netns_path(const struct nr_lab_host *h)
{
	return nr_xasprintf("/run/netns/%s", h->netns);
}

static bool netns_exists(const struct nr_lab_host *h)
{
	char *p = netns_path(h);
	bool ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

static bool any_netem(const struct nr_lab *lab)
{
	size_t i;

	for (i = 0; i < lab->n_links; i++)
		if (lab->links[i].netem.set)
			return true;
	return false;
}

static bool any_sshd(const struct nr_lab *lab)
{
	size_t i;

	for (i = 0; i < lab->n_hosts; i++)
		if (lab->hosts[i].sshd)
			return true;
	return false;
}

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *full;
	bool found = false;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	copy = nr_xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		full = nr_xasprintf("%s/%s", dir, name);
		found = access(full, X_OK) == 0;
		free(full);
	}
	free(copy);
	return found;
}

/* Root and `ip`: all that down needs, even when sshd was uninstalled since up. */
static int check_root_ip(struct nr_diag *d)
{
	if (geteuid() != 0)
		return nr_diagf(d, -EPERM, "a lab needs root (network namespaces)");
	if (!in_path("ip"))
		return nr_diagf(d, NR_ENOTFOUND, "'ip' (iproute2) is not installed");
	return 0;
}

int nr_lab_check_tools(const struct nr_lab *lab, struct nr_diag *d)
{
	if (geteuid() != 0)
		return nr_diagf(d, -EPERM, "building a lab needs root (network namespaces)");
	if (!in_path("ip"))
		return nr_diagf(d, NR_ENOTFOUND, "'ip' (iproute2) is not installed");
	if (any_sshd(lab) && access(NR_LAB_SSHD, X_OK) < 0)
		return nr_diagf(d, NR_ENOTFOUND, "%s is not installed (openssh-server), and hosts have sshd: true",
				NR_LAB_SSHD);
	if (any_sshd(lab) && !in_path("ssh-keygen"))
		return nr_diagf(d, NR_ENOTFOUND, "ssh-keygen is not installed (openssh-client)");
	if (any_netem(lab) && !in_path("tc"))
		return nr_diagf(d, NR_ENOTFOUND, "'tc' (iproute2) is not installed, and links have netem");
	return 0;
}

/* ---- status ---- */

/* One line of `ip -o link show`: "3: eth0@if2: <BROADCAST,UP,LOWER_UP> mtu 1500 ..." */
static void read_links(const char *out, const struct nr_lab_host *h,
		       struct nr_lab_iface_status *st)
{
	struct nr_strvec w = NR_STRVEC_INIT;
	const char *line = out, *end;
	char *text;
	size_t i, j, len;
	int64_t mtu;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		text = nr_xstrndup(line, (size_t)(end - line));
		nr_strvec_clear(&w);
		/* no quotes in ip's output; a stray one only fails this line */
		if (nr_split_words(text, &w, NULL) == 0 && w.n >= 3) {
			len = strcspn(w.v[1], "@:");
			for (i = 0; i < h->n_ifaces; i++) {
				if (strlen(h->ifaces[i].name) != len ||
				    strncmp(w.v[1], h->ifaces[i].name, len))
					continue;
				st[i].exists = true;
				st[i].up = strstr(w.v[2], ",UP") && strstr(w.v[2], "LOWER_UP");
				for (j = 3; j + 1 < w.n; j++) {
					if (!strcmp(w.v[j], "mtu") &&
					    nr_parse_i64(w.v[j + 1], 0, 1 << 20, &mtu) == 0)
						st[i].mtu = (int)mtu;
					if (!strcmp(w.v[j], "link/ether") &&
					    !strcmp(w.v[j + 1], h->ifaces[i].mac))
						st[i].has_mac = true;
				}
			}
		}
		free(text);
	}
	nr_strvec_clear(&w);
}

/* One line of `ip -o -4 addr show`: "3: eth0    inet 10.77.0.1/24 brd ..." */
static void read_addrs(const char *out, const struct nr_lab_host *h,
		       struct nr_lab_iface_status *st)
{
	struct nr_strvec w = NR_STRVEC_INIT;
	const char *line = out, *end;
	char *text, want[40];
	size_t i;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		text = nr_xstrndup(line, (size_t)(end - line));
		nr_strvec_clear(&w);
		if (nr_split_words(text, &w, NULL) == 0 && w.n >= 4 && !strcmp(w.v[2], "inet"))
			for (i = 0; i < h->n_ifaces; i++) {
				snprintf(want, sizeof(want), "%s/%d", h->ifaces[i].address,
					 h->ifaces[i].prefix);
				if (!strcmp(w.v[1], h->ifaces[i].name) && !strcmp(w.v[3], want))
					st[i].has_address = true;
			}
		free(text);
	}
	nr_strvec_clear(&w);
}

/* One line of `ip -4 route show`: "10.77.1.0/24 via 10.77.0.2 dev eth0 ..." */
static size_t read_routes(const char *out, const struct nr_lab_host *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->n_routes; i++) {
		const struct nr_lab_route *r = &h->routes[i];
		char *want = nr_xasprintf("%s via %s dev %s ", r->dest, r->via,
					  h->ifaces[r->iface].name);
		const char *p = out;

		/* at the start of a line */
		while ((p = strstr(p, want)) && p != out && p[-1] != '\n')
			p++;
		n += p != NULL;
		free(want);
	}
	return n;
}

/* `tc qdisc show dev IF`: "qdisc netem 8001: root refcnt 2 limit 1000 delay 1ms" */
static bool has_netem(const char *netns, const char *ifname)
{
	const char *argv[] = { "tc", "qdisc", "show", "dev", ifname, NULL };
	struct nr_buf out = NR_BUF_INIT;
	bool yes = nr__lab_run(netns, argv, &out, NULL) == 0 && strstr(out.buf, "qdisc netem ") &&
		   strstr(out.buf, " root ");

	nr_buf_release(&out);
	return yes;
}

int nr_lab_status(const struct nr_lab *lab, struct nr_lab_status *ret, struct nr_diag *d)
{
	static const char *const link_argv[] = { "ip", "-o", "link", "show", NULL };
	static const char *const addr_argv[] = { "ip", "-o", "-4", "addr", "show", NULL };
	static const char *const route_argv[] = { "ip", "-4", "route", "show", NULL };
	struct nr_lab_status st;
	struct nr__lab_state state;
	struct nr_buf out = NR_BUF_INIT;
	struct stat sb;
	size_t i, j;
	bool up = true;
	int r;

	memset(&st, 0, sizeof(st));
	nr__lab_state_init(&state, lab);
	r = nr__lab_state_read(lab, &state, d);
	if (r < 0)
		goto out;
	st.dir = stat(lab->dir, &sb) == 0 && S_ISDIR(sb.st_mode);
	st.state = state.exists;
	st.n_hosts = lab->n_hosts;
	st.hosts = nr_xcalloc(lab->n_hosts, sizeof(*st.hosts));
	up = state.complete;
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		struct nr_lab_host_status *hs = &st.hosts[i];
		struct nr__pidset pids = { 0 };
		char *nsp;

		hs->ifaces = nr_xcalloc(h->n_ifaces ? h->n_ifaces : 1, sizeof(*hs->ifaces));
		hs->netns = netns_exists(h);
		if (hs->netns) {
			nsp = netns_path(h);
			hs->processes = nr__lab_netns_pids(nsp, &pids);
			nr__pidset_release(&pids);
			free(nsp);
			nr_buf_reset(&out);
			if (nr__lab_run(h->netns, link_argv, &out, NULL) == 0)
				read_links(out.buf, h, hs->ifaces);
			nr_buf_reset(&out);
			if (nr__lab_run(h->netns, addr_argv, &out, NULL) == 0)
				read_addrs(out.buf, h, hs->ifaces);
			nr_buf_reset(&out);
			if (h->n_routes && nr__lab_run(h->netns, route_argv, &out, NULL) == 0)
				hs->routes = read_routes(out.buf, h);
			for (j = 0; j < h->n_ifaces; j++)
				if (lab->links[h->ifaces[j].link].netem.set && hs->ifaces[j].exists)
					hs->ifaces[j].netem = has_netem(h->netns, h->ifaces[j].name);
		}
		up = up && hs->netns && hs->routes == h->n_routes;
		for (j = 0; j < h->n_ifaces; j++) {
			const struct nr_lab_iface_status *f = &hs->ifaces[j];
			const struct nr_lab_link *k = &lab->links[h->ifaces[j].link];

			up = up && f->exists && f->up && f->has_address && f->has_mac &&
			     (!k->mtu || f->mtu == k->mtu) && (!k->netem.set || f->netem);
		}
		hs->sshd_pid = state.sshd_pid[i];
		if (h->sshd && hs->sshd_pid) {
			hs->sshd_running = nr__lab_is_our_sshd(hs->sshd_pid, state.sshd_start[i],
							       h->ssh.config);
			hs->sshd_listening = hs->sshd_running &&
					     nr_port_listening(hs->sshd_pid, h->ssh.port);
		}
		if (h->sshd)
			up = up && hs->sshd_listening && access(h->ssh.identity, R_OK) == 0 &&
			     access(lab->ssh_config, R_OK) == 0;
	}
	st.up = up;
	*ret = st;
	memset(&st, 0, sizeof(st));
out:
	nr_lab_status_release(&st);
	nr__lab_state_release(&state);
	nr_buf_release(&out);
	return r;
}

void nr_lab_status_release(struct nr_lab_status *st)
{
	size_t i;

	for (i = 0; i < st->n_hosts; i++)
		free(st->hosts[i].ifaces);
	free(st->hosts);
	memset(st, 0, sizeof(*st));
}

bool nr_lab_is_up(const struct nr_lab *lab)
{
	struct nr_lab_status st;
	bool up;

	if (nr_lab_status(lab, &st, NULL) < 0)
		return false;
	up = st.up;
	nr_lab_status_release(&st);
	return up;
}

/* ---- down ---- */

static void remove_file(const char *dir, const char *name)
{
	char *p = nr_xasprintf("%s/%s", dir, name);

	unlink(p);
	free(p);
}

/*
 * Only what up writes is removed, file by file, and directories only
 * when empty: `dir:` may name a directory that holds other things.
 */
static bool remove_files(const struct nr_lab *lab, bool keep_dir)
{
	static const char *const host_files[] = {
		"host_ed25519_key", "host_ed25519_key.pub", "sshd_config", "sshd.log",
	};
	static const char *const ssh_files[] = {
		"client_ed25519", "client_ed25519.pub", "authorized_keys", "known_hosts",
	};
	char *ssh = nr_xasprintf("%s/ssh", lab->dir);
	char *home = nr_xasprintf("%s/home", lab->dir);
	size_t i, j;
	bool gone;

	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		char *hd = nr_xasprintf("%s/%s", ssh, h->name);

		for (j = 0; j < NR_ARRAY_SIZE(host_files); j++)
			remove_file(hd, host_files[j]);
		rmdir(hd);
		free(hd);
	}
	for (j = 0; j < NR_ARRAY_SIZE(ssh_files); j++)
		remove_file(ssh, ssh_files[j]);
	rmdir(ssh);
	rmdir(home);
	unlink(lab->ssh_config);
	remove_file(lab->dir, "state.tmp");
	unlink(lab->state);
	gone = keep_dir || rmdir(lab->dir) == 0 || errno == ENOENT;
	free(ssh);
	free(home);
	return gone;
}

/*
 * The body of down, with the lab's lock held (or no directory to lock).
 * keep_dir: up cleaning a partial lab keeps the directory it holds the lock on.
 */
static int down_locked(const struct nr_lab *lab, bool keep_dir,
		       struct nr_lab_down_report *rep, struct nr_diag *d)
{
	static const char *const del_argv[] = { "ip", "netns", "del", NULL, NULL };
	struct nr__lab_state state;
	struct nr__pidset kill = { 0 }, sshds = { 0 };
	const char *argv[NR_ARRAY_SIZE(del_argv)];
	size_t i;
	int r = 0, r2;

	memset(rep, 0, sizeof(*rep));
	nr__lab_state_init(&state, lab);
	/* an unreadable state file must not stop the namespaces from going */
	nr__lab_state_read(lab, &state, NULL);
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		pid_t pid = state.sshd_pid[i];

		if (!h->sshd || !pid || !nr__lab_is_our_sshd(pid, state.sshd_start[i], h->ssh.config))
			continue;
		/* the listener first, so that it starts no new session meanwhile */
		nr__pidset_add(&kill, pid);
		nr__pidset_add(&sshds, pid);
		nr__lab_descendants(pid, &kill);
	}
	for (i = 0; i < lab->n_hosts; i++) {
		char *nsp = netns_path(&lab->hosts[i]);

		nr__lab_netns_pids(nsp, &kill);
		free(nsp);
	}
	rep->processes = nr__lab_kill(&kill, KILL_GRACE_US);
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];

		if (!netns_exists(h))
			continue;
		memcpy(argv, del_argv, sizeof(argv));
		argv[3] = h->netns;
		r2 = nr__lab_run(NULL, argv, NULL, r < 0 ? NULL : d);
		if (r2 < 0 && r == 0)
			r = r2;
		else if (r2 == 0)
			rep->namespaces++;
	}
	if (state.made_run_sshd && !nr__lab_other_sshd_runs(sshds.v, sshds.n) &&
	    rmdir(RUN_SSHD) == 0)
		rep->run_sshd = true;
	if (r == 0)
		rep->dir = remove_files(lab, keep_dir);
	nr__pidset_release(&kill);
	nr__pidset_release(&sshds);
	nr__lab_state_release(&state);
	return r;
}

/* flock on the lab's directory: up and down of one lab never interleave. */
static int lock_dir(const struct nr_lab *lab, bool create, int *ret_fd, struct nr_diag *d)
{
	int fd;

	if (create && mkdir(lab->dir, 0700) < 0 && errno != EEXIST)
		return nr_diagf(d, -errno, "%s: cannot create: %s", lab->dir, strerror(errno));
	fd = open(lab->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !create) {
			*ret_fd = -1;
			return 0;
		}
		return nr_diagf(d, -errno, "%s: %s", lab->dir, strerror(errno));
	}
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;

		close(fd);
		return nr_diagf(d, -e, "%s: cannot lock: %s", lab->dir, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

int nr_lab_down(const struct nr_lab *lab, struct nr_lab_down_report *ret, struct nr_diag *d)
{
	struct nr_lab_down_report rep;
	int fd = -1, r;

	r = check_root_ip(d);
	if (r < 0)
		return r;
	r = lock_dir(lab, false, &fd, d);
	if (r < 0)
		return r;
	r = down_locked(lab, false, &rep, d);
	if (fd >= 0)
		close(fd);
	if (r == 0 && ret)
		*ret = rep;
	return r;
}

/* ---- up ---- */

struct builder {
	const struct nr_lab *lab;
	struct nr__lab_state state;
	struct nr_diag *d;
	size_t host; /* the host whose sshd is being started */
};

/* ip ARGS... in netns, from a NULL-terminated list. */
static int ip(struct builder *b, const char *netns, const char *const *args)
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = "ip";
	while (*args && n + 1 < NR_ARRAY_SIZE(argv))
		argv[n++] = *args++;
	argv[n] = NULL;
	return nr__lab_run(netns, argv, NULL, b->d);
}

/* The link's netem as the root qdisc of both its ends. */
static int add_netem(struct builder *b, const struct nr_lab_link *k)
{
	const struct nr_lab *lab = b->lab;
	struct nr_strvec argv = NR_STRVEC_INIT;
	size_t side;
	int r = 0;

	if (!k->netem.set)
		return 0;
	for (side = 0; side < 2 && r == 0; side++) {
		const struct nr_lab_host *h = &lab->hosts[side ? k->b : k->a];

		nr_strvec_clear(&argv);
		nr_strvec_push(&argv, "tc");
		nr_strvec_push(&argv, "qdisc");
		nr_strvec_push(&argv, "add");
		nr_strvec_push(&argv, "dev");
		nr_strvec_push(&argv, h->ifaces[side ? k->b_if : k->a_if].name);
		nr_strvec_push(&argv, "root");
		nr_strvec_push(&argv, "netem");
		nr_lab_netem_args(&k->netem, &argv);
		r = nr__lab_run(h->netns, (const char *const *)nr_strvec_argv(&argv), NULL, b->d);
		if (r < 0 && strstr(nr_diag_msg(b->d), "qdisc kind is unknown"))
			nr_diagf(b->d, r, "the kernel has no netem (CONFIG_NET_SCH_NETEM, module sch_netem)");
		if (r < 0)
			nr_diagf(b->d, r, "netem on the link %s-%s (%s:%d:%d)", lab->hosts[k->a].name,
				 lab->hosts[k->b].name, lab->path, k->line, k->column);
	}
	nr_strvec_clear(&argv);
	return r;
}

static int build_net(struct builder *b)
{
	const struct nr_lab *lab = b->lab;
	char mtu[16];
	size_t i, j;
	int r;

	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		const char *add[] = { "netns", "add", h->netns, NULL };
		const char *lo[] = { "link", "set", "lo", "up", NULL };
		const char *fwd[] = { "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", NULL };

		if ((r = ip(b, NULL, add)) < 0 || (r = ip(b, h->netns, lo)) < 0)
			return r;
		if (h->forward && (r = nr__lab_run(h->netns, fwd, NULL, b->d)) < 0)
			return r;
	}
	for (i = 0; i < lab->n_links; i++) {
		const struct nr_lab_link *k = &lab->links[i];
		const struct nr_lab_host *ha = &lab->hosts[k->a], *hb = &lab->hosts[k->b];
		const char *a_if = ha->ifaces[k->a_if].name, *b_if = hb->ifaces[k->b_if].name;
		/* made inside a's namespace, the peer moved to b's: the machine's own never sees them */
		const char *veth[] = { "link", "add", a_if, "address", ha->ifaces[k->a_if].mac,
				       "type", "veth", "peer", "name", b_if,
				       "address", hb->ifaces[k->b_if].mac, "netns", hb->netns, NULL };
		const char *set_a[] = { "link", "set", a_if, "mtu", mtu, NULL };
		const char *set_b[] = { "link", "set", b_if, "mtu", mtu, NULL };

		if ((r = ip(b, ha->netns, veth)) < 0)
			return r;
		if (k->mtu) {
			snprintf(mtu, sizeof(mtu), "%d", k->mtu);
			if ((r = ip(b, ha->netns, set_a)) < 0 || (r = ip(b, hb->netns, set_b)) < 0)
				return r;
		}
	}
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];

		for (j = 0; j < h->n_ifaces; j++) {
			char cidr[40];
			const char *addr[] = { "addr", "add", cidr, "dev", h->ifaces[j].name, NULL };
			const char *up[] = { "link", "set", h->ifaces[j].name, "up", NULL };

			snprintf(cidr, sizeof(cidr), "%s/%d", h->ifaces[j].address, h->ifaces[j].prefix);
			if ((r = ip(b, h->netns, addr)) < 0 || (r = ip(b, h->netns, up)) < 0)
				return r;
		}
	}
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];

		for (j = 0; j < h->n_routes; j++) {
			const struct nr_lab_route *rt = &h->routes[j];
			const char *add[] = { "route", "add", rt->dest, "via", rt->via, "dev",
					      h->ifaces[rt->iface].name, NULL };

			if ((r = ip(b, h->netns, add)) < 0)
				return r;
		}
	}
	for (i = 0; i < lab->n_links; i++)
		if ((r = add_netem(b, &lab->links[i])) < 0)
			return r;
	return 0;
}

static int write_file(const char *path, const char *text, mode_t mode, struct nr_diag *d)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), r = 0;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		r = nr_diagf(d, -errno, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

static int mkdir_one(const char *path, struct nr_diag *d)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return nr_diagf(d, -errno, "%s: cannot create: %s", path, strerror(errno));
	return 0;
}

static int keygen(const char *key, const char *comment, struct nr_diag *d)
{
	const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
			       "-f", key, NULL };
	char *pub = nr_xasprintf("%s.pub", key);

	/* ssh-keygen asks before overwriting; a partial lab may have left one */
	unlink(key);
	unlink(pub);
	free(pub);
	return nr__lab_run(NULL, argv, NULL, d);
}

static void sshd_config(struct nr_buf *c, const struct nr_lab *lab, const struct nr_lab_host *h)
{
	size_t j;

	nr_buf_addf(c, "# written by netrig lab up for host %s of lab %s\n", h->name, lab->name);
	nr_buf_addf(c, "Port %d\n", h->ssh.port);
	for (j = 0; j < h->n_ifaces; j++)
		nr_buf_addf(c, "ListenAddress %s\n", h->ifaces[j].address);
	nr_buf_addf(c, "HostKey %s/host_ed25519_key\n", h->ssh.host_key_dir);
	nr_buf_addf(c, "PidFile none\n");
	nr_buf_addf(c, "AuthorizedKeysFile %s/ssh/authorized_keys\n", lab->dir);
	nr_buf_addf(c, "PubkeyAuthentication yes\nPasswordAuthentication no\n"
		       "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
		       "UsePAM no\n");
	/* keys live under /tmp, which is 1777: StrictModes would refuse them */
	nr_buf_addf(c, "StrictModes no\nPrintMotd no\nPrintLastLog no\nLogLevel VERBOSE\n");
	nr_buf_addf(c, "Subsystem sftp internal-sftp\n");
	/* campaigns share connections (ControlMaster) and open many at once */
	nr_buf_addf(c, "MaxSessions 64\nMaxStartups 64:30:128\n");
	/* root's ~/.bashrc may be heavy (about 100 ms a command): a home of the lab's own */
	nr_buf_addf(c, "SetEnv HOME=%s/home\n", lab->dir);
}

static int record_sshd(pid_t pid, void *ctx)
{
	struct builder *b = ctx;

	b->state.sshd_pid[b->host] = pid;
	b->state.sshd_start[b->host] = nr_pid_start_ticks(pid);
	return nr__lab_state_write(b->lab, &b->state, b->d);
}

/* Wait for "Server listening" in the log (sshd -e writes it once it listens). */
static int wait_listening(struct builder *b, const struct nr_lab_host *h, pid_t pid)
{
	int64_t deadline = nr_mono_us() + SSHD_READY_TIMEOUT_US;
	struct nr_buf log = NR_BUF_INIT;
	int r = 0;

	for (;;) {
		nr_buf_reset(&log);
		nr_buf_read_file(&log, h->ssh.log);
		if (strstr(log.buf, "Server listening"))
			break;
		/* our child until this process exits: an early exit shows as a zombie here */
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			r = NR_EEXEC;
		} else if (nr_mono_us() >= deadline) {
			r = NR_ETIMEOUT;
		} else {
			usleep(5000);
			continue;
		}
		/* its own words say why: "Bind to port 22 on 10.77.0.1 failed" */
		while (log.len && (log.buf[log.len - 1] == '\n'))
			nr_buf_setlen(&log, log.len - 1);
		r = nr_diagf(b->d, r, "sshd in %s %s: %s", h->netns,
			     r == NR_ETIMEOUT ? "does not listen after 5 s" : "exited",
			     strrchr(log.buf, '\n') ? strrchr(log.buf, '\n') + 1 : log.buf);
		break;
	}
	nr_buf_release(&log);
	return r;
}

static int build_ssh(struct builder *b)
{
	const struct nr_lab *lab = b->lab;
	struct nr_buf text = NR_BUF_INIT, pub = NR_BUF_INIT;
	char *ssh = nr_xasprintf("%s/ssh", lab->dir), *home = nr_xasprintf("%s/home", lab->dir);
	char *client = nr_xasprintf("%s/client_ed25519", ssh), *file = NULL;
	size_t i, j;
	int r;

	if ((r = mkdir_one(ssh, b->d)) < 0 || (r = mkdir_one(home, b->d)) < 0)
		goto out;
	if ((r = keygen(client, "netrig-lab-client", b->d)) < 0)
		goto out;
	file = nr_xasprintf("%s.pub", client);
	if ((r = nr_buf_read_file(&pub, file)) < 0) {
		r = nr_diagf(b->d, r, "%s: %s", file, nr_strerror(r));
		goto out;
	}
	free(file);
	file = nr_xasprintf("%s/authorized_keys", ssh);
	if ((r = write_file(file, pub.buf, 0600, b->d)) < 0)
		goto out;
	/* known_hosts holds every host key up front, so no first connection is blind */
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		char *comment;

		if (!h->sshd)
			continue;
		if ((r = mkdir_one(h->ssh.host_key_dir, b->d)) < 0)
			goto out;
		free(file);
		file = nr_xasprintf("%s/host_ed25519_key", h->ssh.host_key_dir);
		comment = nr_xasprintf("netrig-lab-%s-%s", lab->name, h->name);
		r = keygen(file, comment, b->d);
		free(comment);
		if (r < 0)
			goto out;
		free(file);
		file = nr_xasprintf("%s/host_ed25519_key.pub", h->ssh.host_key_dir);
		nr_buf_reset(&pub);
		if ((r = nr_buf_read_file(&pub, file)) < 0) {
			r = nr_diagf(b->d, r, "%s: %s", file, nr_strerror(r));
			goto out;
		}
		for (j = 0; j < h->n_ifaces; j++)
			nr_buf_addf(&text, "%s%s", j ? "," : "", h->ifaces[j].address);
		nr_buf_addf(&text, " %s", pub.buf);
		if (!nr_ends_with(text.buf, "\n"))
			nr_buf_addch(&text, '\n');
	}
	free(file);
	file = nr_xasprintf("%s/known_hosts", ssh);
	r = write_file(file, text.buf, 0600, b->d);
out:
	nr_buf_release(&text);
	nr_buf_release(&pub);
	free(ssh);
	free(home);
	free(client);
	free(file);
	return r;
}

static int start_sshds(struct builder *b)
{
	const struct nr_lab *lab = b->lab;
	struct nr_buf conf = NR_BUF_INIT;
	struct stat sb;
	size_t i;
	pid_t pid;
	int r = 0;

	if (stat(RUN_SSHD, &sb) < 0) {
		/* sshd's privilege separation directory; ours to remove at down */
		if (mkdir(RUN_SSHD, 0755) == 0) {
			b->state.made_run_sshd = true;
			if ((r = nr__lab_state_write(lab, &b->state, b->d)) < 0)
				goto out;
		} else if (errno != EEXIST) {
			r = nr_diagf(b->d, -errno, "%s: cannot create: %s", RUN_SSHD, strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		const char *argv[] = { NR_LAB_SSHD, "-D", "-e", "-f", h->ssh.config, NULL };

		if (!h->sshd)
			continue;
		nr_buf_reset(&conf);
		sshd_config(&conf, lab, h);
		if ((r = write_file(h->ssh.config, conf.buf, 0600, b->d)) < 0)
			goto out;
		unlink(h->ssh.log);
		b->host = i;
		r = nr__lab_spawn(h->netns, argv, h->ssh.log, record_sshd, b, &pid, b->d);
		if (r < 0)
			goto out;
	}
	/* all started; now wait for each, so their start-ups overlap */
	for (i = 0; i < lab->n_hosts; i++)
		if (lab->hosts[i].sshd &&
		    (r = wait_listening(b, &lab->hosts[i], b->state.sshd_pid[i])) < 0)
			goto out;
out:
	nr_buf_release(&conf);
	return r;
}

static int write_ssh_config(const struct nr_lab *lab, struct nr_diag *d)
{
	struct nr_buf c = NR_BUF_INIT;
	size_t i;
	int r;

	nr_buf_addf(&c, "# written by netrig lab up for lab %s; use with ssh -F %s HOST\n",
		    lab->name, lab->ssh_config);
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];

		if (!h->sshd)
			continue;
		nr_buf_addf(&c, "\nHost %s %s\n", h->name, h->netns);
		nr_buf_addf(&c, "\tHostName %s\n\tPort %d\n\tUser %s\n", h->address, h->ssh.port,
			    h->ssh.user);
		nr_buf_addf(&c, "\tIdentityFile %s\n\tIdentitiesOnly yes\n", h->ssh.identity);
		nr_buf_addf(&c, "\tUserKnownHostsFile %s\n\tStrictHostKeyChecking accept-new\n",
			    h->ssh.known_hosts);
		nr_buf_addf(&c, "\tKexAlgorithms curve25519-sha256\n\tBatchMode yes\n"
				"\tConnectTimeout 5\n");
	}
	r = write_file(lab->ssh_config, c.buf, 0600, d);
	nr_buf_release(&c);
	return r;
}

/* Whether anything of the lab is there: a namespace or a state file. */
static bool any_left(const struct nr_lab *lab)
{
	size_t i;

	if (access(lab->state, F_OK) == 0)
		return true;
	for (i = 0; i < lab->n_hosts; i++)
		if (netns_exists(&lab->hosts[i]))
			return true;
	return false;
}

int nr_lab_up(const struct nr_lab *lab, enum nr_lab_up_result *ret, struct nr_diag *d)
{
	struct builder b = { .lab = lab, .d = d };
	struct nr_lab_down_report rep;
	enum nr_lab_up_result result = NR_LAB_CREATED;
	int fd = -1, r;

	nr__lab_state_init(&b.state, lab);
	r = nr_lab_check_tools(lab, d);
	if (r < 0)
		goto out;
	r = lock_dir(lab, true, &fd, d);
	if (r < 0)
		goto out;
	if (nr_lab_is_up(lab)) {
		result = NR_LAB_ALREADY_UP;
		goto out;
	}
	if (any_left(lab)) {
		/* a crashed or half-removed lab: cleaning it is simpler and surer than mending it */
		if ((r = down_locked(lab, true, &rep, d)) < 0)
			goto out;
		result = NR_LAB_REBUILT;
	}
	if ((r = nr__lab_state_write(lab, &b.state, d)) < 0)
		goto fail;
	if ((r = build_net(&b)) < 0)
		goto fail;
	if (any_sshd(lab)) {
		if ((r = build_ssh(&b)) < 0 || (r = start_sshds(&b)) < 0 ||
		    (r = write_ssh_config(lab, d)) < 0)
			goto fail;
	}
	b.state.complete = true;
	if ((r = nr__lab_state_write(lab, &b.state, d)) < 0)
		goto fail;
	goto out;
fail:
	/* all or nothing: what was built goes, the message stays */
	down_locked(lab, false, &rep, NULL);
out:
	if (fd >= 0)
		close(fd);
	nr__lab_state_release(&b.state);
	if (r == 0 && ret)
		*ret = result;
	return r;
}

/* ---- exec ---- */

int nr_lab_exec(const struct nr_lab *lab, const char *host, char *const *argv,
		struct nr_diag *d)
{
	const struct nr_lab_host *h = nr_lab_host(lab, host);
	char *path;
	int fd, r, cgroups;

	if (!h)
		return nr_diagf(d, NR_ENOTFOUND, "lab %s has no host '%s'", lab->name, host);
	path = netns_path(h);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return nr_diagf(d, -errno, "namespace %s: %s (is the lab up?)", h->netns,
				strerror(errno));
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	if (r < 0)
		return nr_diagf(d, -errno, "entering %s: %s", h->netns, strerror(errno));
	/*
	 * As `ip netns exec` does: a private mount namespace where /sys is the
	 * namespace's, so /sys/class/net lists its interfaces, not the machine's.
	 */
	if (unshare(CLONE_NEWNS) < 0 || mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return nr_diagf(d, -errno, "private mounts for %s: %s", h->netns, strerror(errno));
	/*
	 * The cgroup hierarchies under /sys/fs/cgroup are not the namespace's
	 * but the machine's: carried over to the new /sys (a copy of that
	 * mount tree, attached again), so that netrig run inside still gives
	 * each case a cgroup. Without them (an old kernel) it falls back.
	 */
	cgroups = open_tree(AT_FDCWD, "/sys/fs/cgroup", OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
	if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL)
		return nr_diagf(d, -errno, "unmounting /sys: %s", strerror(errno));
	if (mount(h->netns, "/sys", "sysfs", 0, NULL) < 0)
		return nr_diagf(d, -errno, "mounting /sys for %s: %s", h->netns, strerror(errno));
	if (cgroups >= 0) {
		move_mount(cgroups, "", AT_FDCWD, "/sys/fs/cgroup", MOVE_MOUNT_F_EMPTY_PATH);
		close(cgroups);
	}
	execvp(argv[0], argv);
	return nr_diagf(d, -errno, "cannot run '%s': %s", argv[0], strerror(errno));
}
