/*
 * The runner's view of hosts: how to reach each (a target, with shared
 * ssh connections), whether it is up (health checks, restarts), and
 * moving files to and from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "runner/runner_internal.h"

/* This program's path, for {netrig} in commands on this machine. */
static const char *self_path(void)
{
	static char path[4096];

	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (n <= 0)
			snprintf(path, sizeof(path), "netrig");
		else
			path[n] = '\0';
	}
	return path;
}

void nr__hosts_init(struct nr__hosts *h, const struct nr_campaign *c, const char *run_id,
		    const struct nr_cgroup *cgroup)
{
	static const struct nr_target_ops *const by_transport[] = {
		[NR_TRANSPORT_LOCAL] = &nr_target_local_ops,
		[NR_TRANSPORT_NETNS] = &nr_target_netns_ops,
		[NR_TRANSPORT_SSH] = &nr_target_ssh_ops,
	};
	size_t i;

	memset(h, 0, sizeof(*h));
	h->c = c;
	h->run_id = nr_xstrdup(run_id);
	h->targets = nr_xcalloc(c->n_hosts + 1, sizeof(*h->targets));
	h->here = (struct nr_target){ .ops = &nr_target_local_ops, .name = "local",
				      .workdir = c->dir, .netrig = self_path() };
	for (i = 0; i < c->n_hosts; i++) {
		const struct nr_host *host = &c->hosts[i];
		struct nr_target *t = &h->targets[i];

		t->ops = by_transport[host->transport];
		t->name = host->name;
		t->netns = host->netns;
		t->address = host->address;
		t->user = host->user;
		t->port = host->port;
		t->identity = host->identity;
		t->jump = host->jump;
		t->ssh_options = host->ssh_options.n ? host->ssh_options.v : NULL;
		/* another machine: its login's directory unless the host names one */
		t->workdir = t->ops->remote ? host->workdir : c->dir;
		/* another machine has its own netrig, found in its PATH */
		t->netrig = t->ops->remote ? "netrig" : self_path();
		t->run_id = h->run_id;
		t->cgroup = cgroup;
	}
}

void nr__hosts_release(struct nr__hosts *h)
{
	size_t i;

	if (!h->targets)
		return;
	for (i = 0; i < h->c->n_hosts; i++)
		nr_target_close(&h->targets[i]);
	free(h->run_id);
	free(h->targets);
	memset(h, 0, sizeof(*h));
}

/* Pass on what the target has to tell. */
static void pass_note(struct nr__hosts *h, struct nr_target *t, const char *kind)
{
	if (!t->note)
		return;
	if (h->note)
		h->note(h->note_ctx, kind, t->name, t->note);
	free(t->note);
	t->note = NULL;
}

int nr__hosts_open(struct nr__hosts *h, const struct nr_host *host, struct nr_diag *d)
{
	struct nr_target *t = nr__hosts_target(h, host);
	int r = nr_target_open(t, d);

	pass_note(h, t, "guard");
	return r;
}

int nr__hosts_agent(struct nr__hosts *h, const struct nr_host *host, struct nr_diag *d)
{
	struct nr_target *t = nr__hosts_target(h, host);
	int r = nr_target_open(t, d);

	pass_note(h, t, "guard");
	if (r == 0)
		r = nr_target_agent(t, d);
	pass_note(h, t, "agent");
	return r;
}

struct nr_target *nr__hosts_target(const struct nr__hosts *h, const struct nr_host *host)
{
	return &h->targets[host - h->c->hosts];
}

size_t nr__hosts_keep(const struct nr__hosts *h, pid_t *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; h->targets && i < h->c->n_hosts && n < max; i++)
		n += nr_target_keep_pids(&h->targets[i], out + n, max - n);
	return n;
}

struct health_run {
	struct nr__health_result *ret;
	nr__health_step_fn *on_step;
	void *ctx;
};

/* One step of the checks: told now (so it is stamped when it happened), and logged. */
static void __attribute__((format(printf, 3, 4)))
step(struct health_run *hr, const char *kind, const char *fmt, ...)
{
	struct nr_buf line = NR_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	nr_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	if (hr->on_step)
		hr->on_step(hr->ctx, kind, line.buf);
	nr_buf_addf(&hr->ret->log, "%s\n", line.buf);
	nr_buf_release(&line);
}

/* One round of checks. */
static bool check_once(struct nr__hosts *h, const struct nr_host *host, struct health_run *hr)
{
	struct nr__health_result *ret = hr->ret;
	const struct nr_health *hc = &h->c->health;
	struct nr_target *t = nr__hosts_target(h, host);
	struct nr_diag d = { 0 };

	if (hc->ping) {
		ret->pings++;
		if (nr_target_reach(t, hc->timeout_us, &d) < 0) {
			step(hr, "health", "ping %s: %s", host->name, nr_diag_msg(&d));
			return false;
		}
	}
	if (hc->ssh && t->ops->login) {
		ret->ssh_checks++;
		if (t->ops->login(t, hc->timeout_us, &d) < 0) {
			step(hr, "health", "ssh check %s: %s", host->name, nr_diag_msg(&d));
			return false;
		}
	}
	return true;
}

static void restart_and_wait(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
			     struct health_run *hr);

static bool cancelled_within(int cancel_fd, int64_t us)
{
	struct pollfd p = { .fd = cancel_fd, .events = POLLIN };

	if (cancel_fd < 0) {
		usleep((useconds_t)us);
		return false;
	}
	return poll(&p, 1, (int)(us / 1000)) == 1;
}

void nr__health_check(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
		      nr__health_step_fn *on_step, void *ctx, struct nr__health_result *ret)
{
	const struct nr_health *hc = &h->c->health;
	struct health_run hr = { ret, on_step, ctx };
	int round;

	memset(ret, 0, sizeof(*ret));
	nr_buf_init(&ret->log, 64 << 10);
	ret->ok = true;
	if (!nr__hosts_target(h, host)->ops->checked || hc->when == NR_HEALTH_NEVER)
		return;
	for (round = 0; round <= hc->retries; round++) {
		if (round && cancelled_within(cancel_fd, hc->interval_us))
			break;
		if (check_once(h, host, &hr))
			return;
	}
	if (!host->restart.n) {
		ret->ok = false;
		return;
	}
	restart_and_wait(h, host, cancel_fd, &hr);
}

void nr__host_restart(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
		      nr__health_step_fn *on_step, void *ctx, struct nr__health_result *ret)
{
	struct health_run hr = { ret, on_step, ctx };

	memset(ret, 0, sizeof(*ret));
	nr_buf_init(&ret->log, 64 << 10);
	ret->ok = true;
	if (host->restart.n)
		restart_and_wait(h, host, cancel_fd, &hr);
}

int nr__peer_ping(struct nr__hosts *h, const struct nr_host *from, const struct nr_host *to,
		  struct nr_diag *d)
{
	const struct nr_health *hc = &h->c->health;
	/* iputils' ping: one echo, -W the seconds to wait for it (at least 1) */
	char wait_s[24];
	char *argv[] = { "ping", "-c", "1", "-W", wait_s, "-n", NULL, NULL };
	struct nr_buf out = NR_BUF_INIT;
	const char *addr = NULL;
	int code = -1, r;

	snprintf(wait_s, sizeof(wait_s), "%lld",
		 (long long)(hc->timeout_us >= 1000000 ? hc->timeout_us / 1000000 : 1));
	/* over the address from reaches to by (a data address, the shared lab link) */
	if ((r = nr_campaign_peer_address(h->c, NULL, from, to, NULL, &addr, d)) < 0 ||
	    (r = nr__hosts_open(h, from, d)) < 0)
		return r;
	argv[6] = (char *)addr;
	r = nr_target_run(nr__hosts_target(h, from), argv, hc->timeout_us + 10000000, 4096, &code,
			  &out, &out, d);
	if ((r == 0 && code == 127) || r == -ENOENT) {
		r = nr_diagf(d, NR_EEXEC, "%s: ping: not found (health.peers runs it on each host)",
			     from->name);
	} else if (r == 0 && code != 0) {
		size_t end = out.len;
		const char *last;

		/* ping's last line says why (100% packet loss, Network is unreachable) */
		while (end && out.buf[end - 1] == '\n')
			end--;
		out.buf[end] = '\0';
		last = strrchr(out.buf, '\n') ? strrchr(out.buf, '\n') + 1 : out.len ? out.buf : "no answer";
		r = nr_diagf(d, NR_EEXEC, "%s cannot reach its peer %s at %s: %s", from->name, to->name,
			     addr, last);
	} else if (r < 0) {
		char why[NR_DIAG_MAX];

		snprintf(why, sizeof(why), "%s", nr_diag_msg(d));
		r = nr_diagf(d, r, "%s cannot ping its peer %s at %s: %s", from->name, to->name,
			     addr, why);
	}
	nr_buf_release(&out);
	return r;
}

/* The host is down (or must be restarted first): run its restart command, then wait for it. */
static void restart_and_wait(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
			     struct health_run *hr)
{
	const struct nr_health *hc = &h->c->health;
	struct nr__health_result *ret = hr->ret;
	int64_t deadline;

	{
		struct nr_target local = { .ops = &nr_target_local_ops, .name = "restart" };
		struct nr_diag d = { 0 };
		int code = -1;

		step(hr, "restart", "restart %s: running %s", host->name, host->restart.v[0]);
		if (nr_target_run(&local, host->restart.v, host->restart_timeout_us, 65536, &code, NULL,
				  NULL, &d) < 0 || code != 0)
			step(hr, "restart", "restart %s: %s", host->name,
			     d.msg[0] ? d.msg : "the command failed");
	}
	deadline = nr_mono_us() + host->restart_timeout_us;
	while (nr_mono_us() < deadline) {
		if (host->transport == NR_TRANSPORT_LOCAL || check_once(h, host, hr)) {
			step(hr, "restart", "restart %s: back after the restart", host->name);
			return;
		}
		if (cancelled_within(cancel_fd, hc->interval_us))
			break;
	}
	step(hr, "restart", "restart %s: not back within %.0f s", host->name,
	     (double)host->restart_timeout_us / 1e6);
	ret->ok = false;
}

/* Uploads: nr_target_copy_to (a tar stream; nothing but tar needed on the far side). */
int nr__upload(const struct nr__hosts *h, const struct nr_test *t, struct nr_diag *d)
{
	size_t i;
	int r;

	for (i = 0; i < t->n_uploads; i++) {
		const struct nr_upload *u = &t->uploads[i];
		const struct nr_host *host = nr_campaign_host(h->c, u->host);
		char *from = u->from[0] == '/' ? nr_xstrdup(u->from)
					       : nr_xasprintf("%s/%s", h->c->dir, u->from);

		r = nr_target_copy_to(nr__hosts_target(h, host), from, u->to, d);
		free(from);
		if (r < 0)
			return nr_diagf(d, r, "upload %s", u->from);
	}
	return 0;
}

int nr__collect_file(const struct nr__hosts *h, const struct nr_host *host, const char *path,
		     size_t limit, struct nr_buf *out, struct nr_diag *d)
{
	return nr_target_read_file(nr__hosts_target(h, host), path, limit, out, d);
}

int nr_runner_clean_hosts(const struct nr_campaign *c, nr_runner_clean_fn *each, void *ctx)
{
	struct nr__hosts h;
	size_t i;
	int failed = 0;

	nr__hosts_init(&h, c, "clean", NULL);
	for (i = 0; i < c->n_hosts; i++) {
		struct nr_target *t = &h.targets[i];
		struct nr_diag d = { 0 };
		int removed = 0;

		if (!t->ops->clean)
			continue;
		nr_target_connect(t);
		if (t->ops->clean(t, &removed, &d) < 0) {
			failed++;
			each(ctx, t->name, 0, nr_diag_msg(&d));
		} else {
			each(ctx, t->name, removed, NULL);
		}
	}
	nr__hosts_release(&h);
	return failed;
}
