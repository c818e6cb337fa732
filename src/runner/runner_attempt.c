/*
 * One attempt: start the roles in order, each waiting until the one before
 * is ready; wait for the main roles to end (or the timeout); stop the
 * rest; judge the exit statuses; parse the main roles' output.
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "runner/runner_internal.h"

#define STDERR_TAIL 300

__attribute__((format(printf, 3, 4)))
static void set_outcome(struct nr__attempt *at, enum nr_attempt_outcome outcome, const char *fmt,
			...)
{
	va_list ap;

	if (at->outcome && at->outcome != NR_ATTEMPT_PASSED)
		return; /* the first failure is the one to report */
	at->outcome = outcome;
	nr_buf_reset(&at->error);
	va_start(ap, fmt);
	nr_buf_vaddf(&at->error, fmt, ap);
	va_end(ap);
}

/* The last line of a role's stderr (or stdout), to put in failure messages. */
static void add_tail(struct nr_buf *msg, const struct nr_proc *p)
{
	const struct nr_buf *b = p->err.len ? &p->err : &p->out;
	size_t end = b->len, start;

	while (end > 0 && (b->buf[end - 1] == '\n' || b->buf[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0 && b->buf[start - 1] != '\n')
		start--;
	if (end - start > STDERR_TAIL)
		start = end - STDERR_TAIL;
	if (end > start)
		nr_buf_addf(msg, ": %.*s", (int)(end - start), b->buf + start);
}

/*
 * A role whose program could not be run on its host: "role R: HOST:
 * PROGRAM: not found" into msg (not the far side's wrapper's words), and true.
 */
static bool cannot_run(struct nr_buf *msg, const struct nr__role_run *rr)
{
	char why[512];

	if (!nr_proc_exec_failure(&rr->proc, why, sizeof(why)))
		return false;
	nr_buf_addf(msg, "role %s: %s: %s", rr->role->name, rr->host->name, why);
	return true;
}

struct ready_wait {
	struct nr__role_run *rr;
	const struct nr_target *target;
	regex_t re;
	bool have_re;
	int port;
	int64_t not_before_us;
};

static bool is_ready(void *ctx)
{
	struct ready_wait *w = ctx;
	struct nr_proc *p = &w->rr->proc;

	if (p->exited)
		return true; /* judged by the caller */
	switch (w->rr->role->ready.kind) {
	case NR_READY_PORT:
		return nr_target_port_listening(w->target, p->pid, w->port);
	case NR_READY_REGEX:
		/* the output is NUL-terminated; look at both streams */
		return regexec(&w->re, p->out.buf, 0, NULL, 0) == 0 ||
		       regexec(&w->re, p->err.buf, 0, NULL, 0) == 0;
	case NR_READY_DELAY:
		return nr_mono_us() >= w->not_before_us;
	default:
		return true;
	}
}

struct mains_wait {
	struct nr__attempt *at;
	size_t n;
};

static bool mains_done(void *ctx)
{
	struct mains_wait *w = ctx;
	size_t i;

	/*
	 * A main role has ended when its process has exited, even if a child
	 * it left in the background still holds its stdout: everything the
	 * role wrote is in the pipe by then, and nr_proc_stop() reads the
	 * pipes to the end after stopping the group. Waiting for end of file
	 * would let such a child hold the case until its timeout.
	 */
	for (i = 0; i < w->n; i++) {
		const struct nr__role_run *rr = &w->at->roles[i];

		if (rr->started && rr->role->main && !rr->proc.exited)
			return false;
	}
	return true;
}

/* Expand a role's argv and env templates. */
static int expand_role(const struct nr_tmpl_ctx *tc, const struct nr_role *role,
		       struct nr_strvec *argv, struct nr_strvec *env, struct nr_diag *d)
{
	size_t i;
	char *s;
	int r;

	if ((r = nr_template_expand_argv(&role->argv, tc, argv, d)) < 0)
		return r;
	for (i = 0; i < role->env.keys.n; i++) {
		if ((r = nr_template_expand(role->env.vals.v[i], tc, &s, d)) < 0)
			return r;
		nr_strvec_push_owned(env, nr_xasprintf("%s=%s", role->env.keys.v[i], s));
		free(s);
	}
	nr_strvec_argv(argv);
	nr_strvec_argv(env);
	return 0;
}

static void parse_role(struct nr__attempt *at, struct nr__role_run *rr)
{
	const struct nr_role *role = rr->role;
	struct nr_diag d = { 0 };
	struct nr_buf both = NR_BUF_INIT;
	struct nr_slice in;

	if (role->parse.stream == NR_STREAM_STDERR) {
		in = nr_slice_of(rr->proc.err.buf, rr->proc.err.len);
	} else if (role->parse.stream == NR_STREAM_BOTH) {
		nr_buf_add(&both, rr->proc.out.buf, rr->proc.out.len);
		nr_buf_add(&both, rr->proc.err.buf, rr->proc.err.len);
		in = nr_slice_of(both.buf, both.len);
	} else {
		in = nr_slice_of(rr->proc.out.buf, rr->proc.out.len);
	}
	if (nr_parse_run(&role->parse, in, &rr->samples, &d) < 0) {
		const struct nr_buf *b =
			role->parse.stream == NR_STREAM_STDERR ? &rr->proc.err : &rr->proc.out;

		set_outcome(at, NR_ATTEMPT_PARSE_ERROR, "role %s: %s%s", role->name, nr_diag_msg(&d),
			    b->dropped ? " (the output was cut at the output limit)" : "");
	}
	nr_buf_release(&both);
}

/* Read back the files the test collects; a missing file fails the attempt. */
static void collect_files(struct nr__attempt *at, const struct nr_tmpl_ctx *tc)
{
	const struct nr_test *t = at->t;
	size_t i, j;

	if (!t->n_collects)
		return;
	at->collected = nr_xcalloc(t->n_collects, sizeof(*at->collected));
	for (i = 0; i < t->n_collects; i++) {
		const struct nr_collect *co = &t->collects[i];
		struct nr__collected *out = &at->collected[at->n_collected];
		const struct nr_host *host = NULL;
		struct nr_diag d = { 0 };
		char *path = NULL;

		for (j = 0; j < t->n_roles; j++)
			if (!strcmp(t->roles[j].name, co->role))
				host = at->roles[j].host;
		if (!host || nr_template_expand(co->path, tc, &path, &d) < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "collect %s: %s", co->path, nr_diag_msg(&d));
			continue;
		}
		if (nr__collect_file(at->hosts, host, path, t->output_limit, &out->data, &d) < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "%s", nr_diag_msg(&d));
			nr_buf_release(&out->data);
			free(path);
			continue;
		}
		out->role = nr_xstrdup(co->role);
		out->host = nr_xstrdup(host->name);
		out->stream = nr_xasprintf("file:%s", path);
		at->n_collected++;
		free(path);
	}
}

/* The readiness a role waits for, set up in w; false (the attempt's outcome set) when it cannot be. */
static bool ready_setup(struct nr__attempt *at, struct nr__role_run *rr,
			const struct nr_tmpl_ctx *tc, struct ready_wait *w)
{
	const struct nr_ready *rd = &rr->role->ready;

	if (rd->kind == NR_READY_PORT) {
		char *ps = NULL;
		int64_t pv = 0;

		if (nr_template_expand(rd->port, tc, &ps, NULL) < 0 || nr_parse_i64(ps, 1, 65535, &pv) < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "role %s: ready.port '%s' is not a port",
				    rr->role->name, ps ? ps : rd->port);
			free(ps);
			return false;
		}
		free(ps);
		w->port = (int)pv;
	} else if (rd->kind == NR_READY_REGEX) {
		regcomp(&w->re, rd->regex, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		w->have_re = true;
	} else {
		w->not_before_us = nr_mono_us() + rd->delay_us;
	}
	return true;
}

/* Wait until a started role is ready; false (the outcome set) when the attempt cannot go on. */
static bool wait_ready(struct nr__attempt *at, struct nr__role_run *rr,
		       const struct nr_target *target, const struct nr_tmpl_ctx *tc,
		       struct nr_proc **procs, size_t n_started, int64_t deadline)
{
	const struct nr_test *t = at->t;
	struct ready_wait w = { .rr = rr, .target = target };
	int64_t ready_deadline;
	char desc[80];
	int r;

	if (rr->role->ready.kind == NR_READY_NONE)
		return true;
	if (!ready_setup(at, rr, tc, &w))
		return false;
	ready_deadline = nr_mono_us() + rr->role->ready.timeout_us;
	r = nr_proc_pump(procs, n_started, ready_deadline < deadline ? ready_deadline : deadline,
			 rr->role->ready.kind == NR_READY_REGEX ? 0 : target->ops->ready_poll_us,
			 at->cancel_fd, is_ready, &w);
	if (w.have_re)
		regfree(&w.re);
	if (r == NR_EINTR) {
		at->interrupted = true;
		return false;
	}
	if (r == NR_ETIMEOUT) {
		/* name the limit that ran out: the test's timeout or ready.timeout */
		if (nr_mono_us() >= deadline)
			set_outcome(at, NR_ATTEMPT_TIMEOUT,
				    "timed out after %.1f s waiting for role %s to be ready",
				    (double)t->timeout_us / 1e6, rr->role->name);
		else
			set_outcome(at, NR_ATTEMPT_ERROR, "role %s was not ready within %.1f s",
				    rr->role->name, (double)rr->role->ready.timeout_us / 1e6);
		return false;
	}
	if (rr->proc.exited) {
		struct nr_buf m = NR_BUF_INIT;

		if (!cannot_run(&m, rr)) {
			nr_buf_addf(&m, "role %s ended before it was ready (%s)", rr->role->name,
				    nr_proc_describe(&rr->proc, desc, sizeof(desc)));
			add_tail(&m, &rr->proc);
		}
		set_outcome(at, NR_ATTEMPT_ERROR, "%s", m.buf);
		nr_buf_release(&m);
		return false;
	}
	return true;
}

/* Whether a role's commands or environment name `ref` ("{netrig}", "{port}"). */
static bool role_uses(const struct nr_role *role, const char *ref)
{
	size_t i;

	for (i = 0; i < role->argv.n; i++)
		if (strstr(role->argv.v[i], ref))
			return true;
	for (i = 0; i < role->env.vals.n; i++)
		if (strstr(role->env.vals.v[i], ref))
			return true;
	return role->ready.port && strstr(role->ready.port, ref);
}

/*
 * {port}: a port free on this machine and on every host whose roles use
 * it (a netns host's and another machine's ports are their own), a few
 * tries at most.
 */
static int pick_port(struct nr__attempt *at, int *ret)
{
	const struct nr_test *t = at->t;
	int tries, port = 0, r = 0;
	size_t i, j;

	for (tries = 0; tries < 20; tries++) {
		bool ok = true;

		if ((r = nr_free_port(&port)) < 0)
			return r;
		for (i = 0; ok && i < t->n_roles; i++) {
			struct nr_target *tg = nr__hosts_target(at->hosts, at->roles[i].host);

			for (j = 0; j < i; j++)
				if (at->roles[j].host == at->roles[i].host && role_uses(&t->roles[j], "{port}"))
					break;
			if (j < i || !tg->ops->own_ports || !role_uses(&t->roles[i], "{port}"))
				continue; /* asked already, or nothing to ask */
			nr_target_connect(tg);
			ok = nr_target_port_free(tg, port);
		}
		if (ok) {
			*ret = port;
			return 0;
		}
	}
	return -EADDRINUSE; /* every port tried is taken on some host */
}

/* Start a role as a job on its host; false (the outcome set) when it could not start. */
static bool start_role(struct nr__attempt *at, struct nr__role_run *rr, struct nr_tmpl_ctx *tc,
		       const char *test_wd, const struct nr_cgroup *cg)
{
	const struct nr_test *t = at->t;
	struct nr_target *target = nr__hosts_target(at->hosts, rr->host);
	struct nr_strvec argv = NR_STRVEC_INIT, env = NR_STRVEC_INIT;
	struct nr_job job = { .grace_us = t->kill_grace_us, .output_limit = t->output_limit,
			      .cgroup = cg };
	struct nr_diag d = { 0 };
	int r;

	rr->workdir = nr_target_workdir(target, test_wd, &job.make_workdir);
	rr->job = nr_xasprintf("%lld.%d.%s", (long long)at->ordinal, at->number, rr->role->name);
	r = role_uses(rr->role, "{netrig}") ? nr__hosts_agent(at->hosts, rr->host, &d)
				  : nr__hosts_open(at->hosts, rr->host, &d);
	/* an instance of a counted role: its number, and a port of its own */
	tc->instance = rr->role->instance;
	tc->instance_port = 0;
	if (r == 0 && rr->role->instance && (r = nr_free_port(&tc->instance_port)) < 0)
		nr_diag_set(&d, r, "no free port: %s", nr_strerror(r));
	tc->host = rr->host;
	tc->netrig = target->netrig;
	tc->workdir = rr->workdir ? rr->workdir : at->c->dir;
	if (r == 0)
		r = expand_role(tc, rr->role, &argv, &env, &d);
	if (r == 0) {
		job.argv = argv.v;
		job.env = env.v;
		job.workdir = rr->workdir;
		job.name = rr->job;
		r = nr_target_start(target, &job, &rr->proc, &d);
	}
	nr_strvec_clear(&argv);
	nr_strvec_clear(&env);
	if (r < 0) {
		set_outcome(at, NR_ATTEMPT_ERROR, "role %s: %s", rr->role->name, nr_diag_msg(&d));
		return false;
	}
	rr->started = true;
	return true;
}

/* Judge the roles that ended by themselves: a non-zero exit fails the attempt. */
static void judge_exits(struct nr__attempt *at)
{
	char desc[80];
	size_t i;

	for (i = 0; i < at->t->n_roles; i++) {
		struct nr__role_run *rr = &at->roles[i];
		struct nr_buf m = NR_BUF_INIT;

		if (!rr->started || !rr->proc.exited || nr_proc_exit_code(&rr->proc) == 0)
			continue;
		if (!cannot_run(&m, rr)) {
			nr_buf_addf(&m, "role %s: %s", rr->role->name,
				    nr_proc_describe(&rr->proc, desc, sizeof(desc)));
			add_tail(&m, &rr->proc);
		}
		set_outcome(at, NR_ATTEMPT_FAILED, "%s", m.buf);
		nr_buf_release(&m);
		if (rr->role->main && !at->exit_code) {
			at->exit_code = nr_proc_exit_code(&rr->proc);
			at->signal = nr_proc_signal(&rr->proc);
		}
	}
}

/* End every role: on its host first (ssh without a terminal leaves remote processes), then here. */
static void stop_roles(struct nr__attempt *at, struct nr_proc **procs, size_t n_started,
		       const struct nr_cgroup *cg)
{
	size_t i;

	for (i = 0; i < at->t->n_roles; i++) {
		struct nr__role_run *rr = &at->roles[i];
		struct nr_job job = { .name = rr->job, .grace_us = at->t->kill_grace_us };
		struct nr_diag d = { 0 };

		if (rr->started &&
		    nr_target_stop(nr__hosts_target(at->hosts, rr->host), &job, &rr->proc, &d) < 0)
			set_outcome(at, NR_ATTEMPT_ERROR, "role %s: %s", rr->role->name, nr_diag_msg(&d));
	}
	nr_proc_stop_in(procs, n_started, cg, at->t->kill_grace_us);
}

/* The attempt's own cgroup below the run's: what its roles start stays inside, however it forks. */
static struct nr_cgroup *attempt_cgroup(const struct nr__attempt *at)
{
	struct nr_cgroup *cg = NULL;
	char name[64];

	if (!at->cgroup)
		return NULL;
	snprintf(name, sizeof(name), "%lld.%d", (long long)at->ordinal, at->number);
	return nr_cgroup_new(at->cgroup, name, &cg, NULL) < 0 ? NULL : cg;
}

void nr__runner_attempt(struct nr__attempt *at)
{
	const struct nr_test *t = at->t;
	const struct nr_target *here = &at->hosts->here;
	struct nr_proc **procs = nr_xcalloc(t->n_roles, sizeof(*procs));
	struct nr_tmpl_ctx tc = {
		.campaign = at->c, .test = t, .value_idx = at->cp->value_idx, .repeat = at->repeat,
		.attempt = at->number, .run_id = at->run_id, .case_key = at->cp->key,
		.role_hosts = at->cp->hosts, .workdir = at->c->dir, .netrig = here->netrig,
	};
	struct mains_wait mw = { at, t->n_roles };
	struct nr_cgroup *cg = NULL;
	char *workdir = NULL, *test_wd = NULL;
	int64_t deadline;
	size_t i, n_started = 0;
	int r;

	at->roles = nr_xcalloc(t->n_roles, sizeof(*at->roles));
	nr_buf_init(&at->error, 0);
	at->outcome = NR_ATTEMPT_PASSED;
	at->started_us = nr_wall_us();
	deadline = nr_mono_us() + t->timeout_us;
	for (i = 0; i < t->n_roles; i++) {
		at->roles[i].role = &t->roles[i];
		at->roles[i].host = at->cp->hosts[i]; /* the case's: a host template resolved */
		at->roles[i].samples = (struct nr_sample_set)NR_SAMPLE_SET_INIT;
	}
	if ((r = pick_port(at, &tc.port)) < 0) {
		set_outcome(at, NR_ATTEMPT_ERROR, "no free port: %s", nr_strerror(r));
		goto finish;
	}
	if (t->workdir) {
		struct nr_diag d = { 0 };
		bool make;

		if (nr_template_expand(t->workdir, &tc, &test_wd, &d) < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "workdir: %s", nr_diag_msg(&d));
			goto finish;
		}
		/* per-case directories are new: each job's host makes every level */
		workdir = nr_target_workdir(here, test_wd, &make);
	}
	cg = attempt_cgroup(at);
	for (i = 0; i < t->n_roles; i++) {
		struct nr__role_run *rr = &at->roles[i];

		if (!start_role(at, rr, &tc, test_wd, cg))
			break;
		procs[n_started++] = &rr->proc;
		if (!wait_ready(at, rr, nr__hosts_target(at->hosts, rr->host), &tc, procs, n_started,
				deadline))
			break;
	}
	/* collect paths are read as on this machine */
	tc.workdir = workdir ? workdir : at->c->dir;
	tc.host = NULL;
	tc.netrig = here->netrig;
	if (at->outcome == NR_ATTEMPT_PASSED && !at->interrupted) {
		r = nr_proc_pump(procs, n_started, deadline, 0, at->cancel_fd, mains_done, &mw);
		if (r == NR_EINTR)
			at->interrupted = true;
		else if (r == NR_ETIMEOUT)
			set_outcome(at, NR_ATTEMPT_TIMEOUT, "timed out after %.1f s",
				    (double)t->timeout_us / 1e6);
		else if (r < 0)
			set_outcome(at, NR_ATTEMPT_ERROR, "waiting: %s", nr_strerror(r));
	}
	/* judge before stopping: a role that ended by itself is its own verdict */
	if (!at->interrupted)
		judge_exits(at);
	stop_roles(at, procs, n_started, cg);
	tc.instance = tc.instance_port = 0;
	if (!at->interrupted)
		collect_files(at, &tc);
	if (at->outcome == NR_ATTEMPT_PASSED && !at->interrupted)
		for (i = 0; i < t->n_roles; i++)
			if (at->roles[i].started && at->roles[i].role->has_parse)
				parse_role(at, &at->roles[i]);
finish:
	/* reap ours first, so that whatever is left over is found as an orphan */
	for (i = 0; i < t->n_roles; i++)
		if (at->roles[i].started)
			nr_proc_reap(&at->roles[i].proc);
	/* what left its group is still in the attempt's cgroup: it ends here */
	nr_cgroup_free(cg);
	{
		pid_t keep[64];

		nr_exec_reap_orphans(keep, nr__hosts_keep(at->hosts, keep, NR_ARRAY_SIZE(keep)));
	}
	at->finished_us = nr_wall_us();
	free(procs);
	free(workdir);
	free(test_wd);
}

void nr__runner_attempt_release(struct nr__attempt *at)
{
	size_t i;

	for (i = 0; i < at->n_collected; i++) {
		free(at->collected[i].role);
		free(at->collected[i].host);
		free(at->collected[i].stream);
		nr_buf_release(&at->collected[i].data);
	}
	free(at->collected);
	for (i = 0; at->roles && i < at->t->n_roles; i++) {
		if (at->roles[i].started)
			nr_proc_release(&at->roles[i].proc);
		free(at->roles[i].job);
		free(at->roles[i].workdir);
		nr_sample_set_release(&at->roles[i].samples);
	}
	free(at->roles);
	at->roles = NULL;
	nr_buf_release(&at->error);
}
