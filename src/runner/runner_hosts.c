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
#include "net/net.h"
#include "runner/runner_internal.h"

void nr__hosts_init(struct nr__hosts *h, const struct nr_campaign *c, const char *run_id,
		    const struct nr_cgroup *cgroup)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	h->c = c;
	h->run_id = nr_xstrdup(run_id);
	h->cgroup = cgroup;
	h->targets = nr_xcalloc(c->n_hosts + 1, sizeof(*h->targets));
	h->control_paths = nr_xcalloc(c->n_hosts + 1, sizeof(*h->control_paths));
	h->masters = nr_xcalloc(c->n_hosts + 1, sizeof(*h->masters));
	h->master_up = nr_xcalloc(c->n_hosts + 1, sizeof(*h->master_up));
	h->states = nr_xcalloc(c->n_hosts + 1, sizeof(*h->states));
	h->state_open = nr_xcalloc(c->n_hosts + 1, sizeof(*h->state_open));
	for (i = 0; i < c->n_hosts; i++) {
		const struct nr_host *host = &c->hosts[i];
		struct nr_target *t = &h->targets[i];

		t->name = host->name;
		switch (host->transport) {
		case NR_TRANSPORT_NETNS:
			t->kind = NR_TARGET_NETNS;
			t->netns = host->netns;
			break;
		case NR_TRANSPORT_SSH:
			t->kind = NR_TARGET_SSH;
			t->address = host->address;
			t->user = host->user;
			t->port = host->port;
			t->identity = host->identity;
			t->jump = host->jump;
			t->ssh_options = host->ssh_options.n ? host->ssh_options.v : NULL;
			if (!h->control_dir) {
				/* a killed controller of this run may have left its own */
				nr_ssh_control_dir_sweep(run_id);
				nr_ssh_control_dir_new(run_id, &h->control_dir, NULL);
			}
			if (h->control_dir) {
				/* host names are short and safe in paths; sockets need < 108 bytes */
				h->control_paths[i] = nr_xasprintf("%s/%s", h->control_dir, host->name);
				t->control_path = h->control_paths[i];
			}
			break;
		default:
			t->kind = NR_TARGET_LOCAL;
		}
	}
}

void nr__hosts_release(struct nr__hosts *h)
{
	size_t i;

	if (!h->targets)
		return;
	for (i = 0; i < h->c->n_hosts; i++) {
		if (h->state_open[i]) {
			/* the far side first, while the shared connection is there */
			nr_ssh_state_close(&h->targets[i], &h->states[i], NULL);
			nr_ssh_state_release(&h->states[i]);
		}
		if (h->master_up[i]) {
			struct nr_proc *procs[1] = { &h->masters[i] };

			nr_ssh_close(&h->targets[i]);
			nr_proc_stop(procs, 1, 500000);
			nr_proc_release(&h->masters[i]);
		}
		free(h->control_paths[i]);
	}
	free(h->control_paths);
	free(h->masters);
	free(h->master_up);
	free(h->states);
	free(h->state_open);
	/* sockets are gone after "-O exit"; anything left is ours to remove */
	nr_ssh_control_dir_remove(h->control_dir);
	free(h->run_id);
	free(h->targets);
	memset(h, 0, sizeof(*h));
}

const struct nr_ssh_state *nr__hosts_state(struct nr__hosts *h, const struct nr_host *host,
					   struct nr_diag *d)
{
	size_t i = (size_t)(host - h->c->hosts);
	const struct nr_target *t = &h->targets[i];

	if (t->kind != NR_TARGET_SSH) {
		nr_diagf(d, NR_EINVAL, "host %s is not an ssh host", host->name);
		return NULL;
	}
	if (h->state_open[i])
		return &h->states[i];
	nr__hosts_connect(h, host);
	if (nr_ssh_state_open(t, h->run_id, &h->states[i], d) < 0)
		return NULL;
	h->state_open[i] = true;
	if (!h->states[i].cgroup && h->note) {
		char *msg = nr_xasprintf("no cgroup for the run on %s (%s): processes that leave their "
					 "process group there are not ended with their case",
					 host->name, h->states[i].no_cgroup ? h->states[i].no_cgroup : "?");

		h->note(h->note_ctx, host->name, msg);
		free(msg);
	}
	return &h->states[i];
}

const struct nr_target *nr__hosts_target(const struct nr__hosts *h, const struct nr_host *host)
{
	return &h->targets[host - h->c->hosts];
}

void nr__hosts_connect(struct nr__hosts *h, const struct nr_host *host)
{
	size_t i = (size_t)(host - h->c->hosts);
	const struct nr_target *t = &h->targets[i];

	if (t->kind != NR_TARGET_SSH || !t->control_path)
		return;
	if (h->master_up[i]) {
		struct nr_proc *procs[1] = { &h->masters[i] };

		/* still there? (a reboot or a network cut ends it) */
		nr_proc_pump(procs, 1, nr_mono_us(), 0, -1, NULL, NULL);
		if (!h->masters[i].exited && access(t->control_path, F_OK) == 0)
			return;
		nr_proc_stop(procs, 1, 200000);
		nr_proc_release(&h->masters[i]);
		h->master_up[i] = false;
	}
	if (nr_ssh_master_start(t, h->cgroup, 15000000, &h->masters[i], NULL) == 0)
		h->master_up[i] = true;
}

size_t nr__hosts_keep(const struct nr__hosts *h, pid_t *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; h->targets && i < h->c->n_hosts && n < max; i++)
		if (h->master_up[i])
			out[n++] = h->masters[i].pid;
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
	const struct nr_target *t = nr__hosts_target(h, host);
	struct nr_diag d = { 0 };
	int r;

	if (hc->ping) {
		ret->pings++;
		if (host->transport == NR_TRANSPORT_NETNS) {
			char path[300];

			snprintf(path, sizeof(path), "/run/netns/%s", host->netns);
			r = access(path, F_OK) == 0 ? 0 : nr_diagf(&d, NR_ENOTFOUND,
								    "namespace %s does not exist",
								    host->netns);
		} else {
			r = nr_net_ping(host->address, hc->timeout_us, &d);
			if (r == NR_EUNSUPPORTED) {
				/* no ICMP for us: is the ssh port answering? */
				nr_diag_clear(&d);
				r = nr_net_tcp_connect(host->address, host->port ? host->port : 22,
						       hc->timeout_us, &d);
			}
		}
		if (r < 0) {
			step(hr, "health", "ping %s: %s", host->name, nr_diag_msg(&d));
			return false;
		}
	}
	if (hc->ssh && host->transport == NR_TRANSPORT_SSH) {
		char *argv[] = { "true", NULL };
		struct nr_buf err = NR_BUF_INIT;
		int code = -1;

		nr__hosts_connect(h, host);
		ret->ssh_checks++;
		r = nr_target_run(t, argv, hc->timeout_us + 10000000, 4096, &code, NULL, &err, &d);
		if (r < 0 || code != 0) {
			err.buf[strcspn(err.buf, "\n")] = '\0';
			step(hr, "health", "ssh check %s: %s", host->name,
			     r < 0 ? nr_diag_msg(&d) : err.len ? err.buf : "login failed");
			nr_buf_release(&err);
			return false;
		}
		nr_buf_release(&err);
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
	if (host->transport == NR_TRANSPORT_LOCAL || hc->when == NR_HEALTH_NEVER)
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
	int code = -1, r;

	snprintf(wait_s, sizeof(wait_s), "%lld",
		 (long long)(hc->timeout_us >= 1000000 ? hc->timeout_us / 1000000 : 1));
	argv[6] = to->address;
	nr__hosts_connect(h, from);
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
			     to->address, last);
	} else if (r < 0) {
		char why[NR_DIAG_MAX];

		snprintf(why, sizeof(why), "%s", nr_diag_msg(d));
		r = nr_diagf(d, r, "%s cannot ping its peer %s at %s: %s", from->name, to->name,
			     to->address, why);
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
		struct nr_target local = { .kind = NR_TARGET_LOCAL, .name = "restart" };
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

/* Run argv here, with stdin from a file; the last line of stderr in *err when it fails. */
static int run_local(char *const *argv, const char *stdin_path, int64_t timeout_us,
		     struct nr_buf *err, struct nr_diag *d)
{
	struct nr_exec_spec spec = { .argv = argv, .output_limit = 65536, .stdin_path = stdin_path };
	struct nr_buf e = NR_BUF_INIT;
	int code = 0, r = nr_exec_run(&spec, timeout_us, &code, NULL, &e, d);

	if (r == 0 && code != 0) {
		size_t end = e.len;

		while (end && e.buf[end - 1] == '\n')
			end--;
		nr_buf_add(err, e.buf, end);
		r = NR_EEXEC;
	}
	nr_buf_release(&e);
	return r;
}

/*
 * Uploads are a tar stream: made here into a temporary file, unpacked on
 * the host by `tar -x` with the file as ssh's standard input. That needs
 * nothing on the far side but tar (no scp or sftp subsystem).
 */
int nr__upload(const struct nr__hosts *h, const struct nr_test *t, struct nr_diag *d)
{
	size_t i;

	for (i = 0; i < t->n_uploads; i++) {
		const struct nr_upload *u = &t->uploads[i];
		const struct nr_host *host = nr_campaign_host(h->c, u->host);
		const struct nr_target *tg = nr__hosts_target(h, host);
		char tarfile[] = "/tmp/netrig-upload.XXXXXX";
		char *from = u->from[0] == '/' ? nr_xstrdup(u->from)
					       : nr_xasprintf("%s/%s", h->c->dir, u->from);
		char *copy = nr_xstrdup(from), *slash = strrchr(copy, '/');
		struct nr_buf err = NR_BUF_INIT;
		int fd = mkstemp(tarfile), r;

		if (fd < 0) {
			r = nr_diagf(d, NR_EEXEC, "upload: temporary file: %s", strerror(errno));
			goto next;
		}
		close(fd);
		*slash = '\0';
		{
			/* the last path element goes into `to` under its own name */
			char *pack[] = { "tar", "-c", "-f", tarfile, "-C", copy[0] ? copy : "/", "--",
					 slash + 1, NULL };

			r = run_local(pack, NULL, 600 * 1000000LL, &err, d);
		}
		if (r == 0) {
			char *unpack[] = { "sh", "-c", "mkdir -p -- \"$1\" && tar -x -f - -C \"$1\"",
					   "netrig-upload", u->to, NULL };
			struct nr_strvec argv = NR_STRVEC_INIT;

			if (tg->kind == NR_TARGET_SSH) {
				struct nr_ssh_cmd cmd = { .argv = unpack };

				nr_ssh_command_argv(tg, &cmd, &argv);
				r = run_local(argv.v, tarfile, 600 * 1000000LL, &err, d);
			} else {
				/* local and netns hosts share this machine's files */
				r = run_local(unpack, tarfile, 600 * 1000000LL, &err, d);
			}
			nr_strvec_clear(&argv);
		}
		if (r < 0)
			r = nr_diagf(d, NR_EEXEC, "upload %s to %s:%s failed%s%s", u->from, host->name, u->to,
				     err.len ? ": " : "", err.buf);
		unlink(tarfile);
next:
		nr_buf_release(&err);
		free(copy);
		free(from);
		if (r < 0)
			return r;
	}
	return 0;
}

int nr__collect_file(const struct nr__hosts *h, const struct nr_host *host, const char *path,
		     size_t limit, struct nr_buf *out, struct nr_diag *d)
{
	const struct nr_target *tg = nr__hosts_target(h, host);
	char *argv[] = { "cat", "--", (char *)path, NULL };
	struct nr_buf err = NR_BUF_INIT;
	int code = -1, r;

	if (tg->kind != NR_TARGET_SSH) {
		/* netns hosts share this machine's files */
		char *full = path[0] == '/' ? nr_xstrdup(path) : nr_xasprintf("%s/%s", h->c->dir, path);

		nr_buf_init(out, limit);
		r = nr_buf_read_file(out, full);
		free(full);
		return r < 0 ? nr_diagf(d, r, "collect %s: %s", path, nr_strerror(r)) : 0;
	}
	nr_buf_init(out, limit);
	r = nr_target_run(tg, argv, 600 * 1000000LL, limit, &code, out, &err, d);
	if (r == 0 && code != 0) {
		err.buf[strcspn(err.buf, "\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "collect %s from %s: %s", path, host->name,
			     err.len ? err.buf : "failed");
	}
	nr_buf_release(&err);
	return r;
}
