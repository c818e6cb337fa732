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
static void set_outcome(struct nr__attempt *at, const char *outcome, const char *fmt, ...)
{
	va_list ap;

	if (at->outcome && strcmp(at->outcome, NR_ATTEMPT_PASSED) != 0)
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

/* mkdir -p: every missing level of path (a test's workdir may be "a/b/{case}"). */
static int make_dirs(const char *path)
{
	char *p = nr_xstrdup(path), *slash = p;
	int r = 0;

	while (r == 0 && (slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			r = -errno;
		*slash = '/';
	}
	if (r == 0 && mkdir(p, 0777) < 0 && errno != EEXIST)
		r = -errno;
	free(p);
	return r;
}

/*
 * Where an ssh role runs: the test's workdir there (absolute, or relative
 * to the host's workdir, else to the ssh user's home), else the host's.
 */
static char *remote_workdir(const char *test_wd, const struct nr_host *host, bool *ret_make)
{
	*ret_make = test_wd != NULL;
	if (!test_wd)
		return host->workdir ? nr_xstrdup(host->workdir) : NULL;
	if (test_wd[0] == '/' || !host->workdir)
		return nr_xstrdup(test_wd);
	return nr_xasprintf("%s/%s", host->workdir, test_wd);
}

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

	if (!strcmp(role->parse.stream, "stderr")) {
		in = nr_slice_of(rr->proc.err.buf, rr->proc.err.len);
	} else if (!strcmp(role->parse.stream, "both")) {
		nr_buf_add(&both, rr->proc.out.buf, rr->proc.out.len);
		nr_buf_add(&both, rr->proc.err.buf, rr->proc.err.len);
		in = nr_slice_of(both.buf, both.len);
	} else {
		in = nr_slice_of(rr->proc.out.buf, rr->proc.out.len);
	}
	if (nr_parse_run(&role->parse, in, &rr->samples, &d) < 0) {
		const struct nr_buf *b = !strcmp(role->parse.stream, "stderr") ? &rr->proc.err
										: &rr->proc.out;

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

void nr__runner_attempt(struct nr__attempt *at)
{
	const struct nr_test *t = at->t;
	struct nr_proc **procs = nr_xcalloc(t->n_roles, sizeof(*procs));
	struct nr_tmpl_ctx tc = { 0 };
	struct mains_wait mw = { at, 0 };
	struct nr_cgroup *cg = NULL;
	char *workdir = NULL, *test_wd = NULL, desc[80];
	int64_t deadline;
	size_t i, n_started = 0;
	int port = 0, r;

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
	if ((r = nr_free_port(&port)) < 0) {
		set_outcome(at, NR_ATTEMPT_ERROR, "no free port: %s", nr_strerror(r));
		goto finish;
	}
	tc.campaign = at->c;
	tc.test = t;
	tc.value_idx = at->cp->value_idx;
	tc.repeat = at->repeat;
	tc.attempt = at->number;
	tc.port = port;
	tc.run_id = at->run_id;
	tc.case_key = at->cp->key;
	tc.role_hosts = at->cp->hosts;
	tc.workdir = at->c->dir;
	tc.netrig = self_path();
	if (t->workdir) {
		struct nr_diag d = { 0 };
		char *w;

		if (nr_template_expand(t->workdir, &tc, &w, &d) < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "workdir: %s", nr_diag_msg(&d));
			goto finish;
		}
		test_wd = w;
		workdir = w[0] == '/' ? nr_xstrdup(w) : nr_xasprintf("%s/%s", at->c->dir, w);
		/*
		 * Per-case directories are new: every level is made here for roles
		 * on this machine (an error shows when one starts), on the far side
		 * for ssh roles.
		 */
		for (i = 0; i < t->n_roles; i++)
			if (at->roles[i].host->transport != NR_TRANSPORT_SSH) {
				make_dirs(workdir);
				break;
			}
		tc.workdir = workdir;
	}
	if (at->cgroup) {
		char name[64];

		/* a cgroup per attempt: what its roles start stays inside, however it forks */
		snprintf(name, sizeof(name), "%lld.%d", (long long)at->ordinal, at->number);
		if (nr_cgroup_new(at->cgroup, name, &cg, NULL) < 0)
			cg = NULL;
	}
	for (i = 0; i < t->n_roles; i++) {
		struct nr__role_run *rr = &at->roles[i];
		struct nr_strvec argv = NR_STRVEC_INIT, env = NR_STRVEC_INIT;
		struct nr_exec_spec spec = { 0 };
		struct nr_diag d = { 0 };
		struct ready_wait w = { .rr = rr };

		const struct nr_target *target = &at->targets[rr->host - at->c->hosts];
		struct nr_strvec remote = NR_STRVEC_INIT;
		struct nr_ssh_cmd cmd = { 0 };

		/* another machine has its own netrig, found in its PATH */
		tc.netrig = target->kind == NR_TARGET_SSH ? "netrig" : self_path();
		/* an instance of a counted role: its number, and a port of its own */
		tc.instance = rr->role->instance;
		tc.instance_port = 0;
		if (rr->role->instance && (r = nr_free_port(&tc.instance_port)) < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "no free port: %s", nr_strerror(r));
			break;
		}
		if (target->kind == NR_TARGET_SSH) {
			rr->workdir = remote_workdir(test_wd, rr->host, &cmd.make_workdir);
			tc.workdir = rr->workdir ? rr->workdir : workdir ? workdir : at->c->dir;
		} else {
			tc.workdir = workdir ? workdir : at->c->dir;
		}
		r = expand_role(&tc, rr->role, &argv, &env, &d);
		if (r == 0 && target->kind == NR_TARGET_SSH) {
			/* the environment and working directory apply on the far side */
			nr__hosts_connect(at->hosts, rr->host);
			rr->state = nr__hosts_state(at->hosts, rr->host, &d);
			if (!rr->state)
				r = NR_EEXEC;
		}
		if (r == 0 && target->kind == NR_TARGET_SSH) {
			rr->job = nr_xasprintf("%lld.%d.%s", (long long)at->ordinal, at->number,
					       rr->role->name);
			cmd.argv = argv.v;
			cmd.env = env.v;
			cmd.workdir = rr->workdir;
			cmd.state = rr->state;
			cmd.job = rr->job;
			cmd.grace_us = t->kill_grace_us;
			nr_ssh_command_argv(target, &cmd, &remote);
			spec.argv = remote.v;
			/* the far side ends the job when this pipe closes: when we are done, or gone */
			spec.stdin_pipe = true;
		} else if (r == 0) {
			spec.argv = argv.v;
			spec.env = env.v;
			spec.workdir = tc.workdir;
			spec.netns = target->kind == NR_TARGET_NETNS ? target->netns : NULL;
		}
		if (r == 0) {
			spec.output_limit = t->output_limit;
			spec.cgroup = cg;
			r = nr_proc_start(&spec, &rr->proc, &d);
		}
		nr_strvec_clear(&argv);
		nr_strvec_clear(&env);
		nr_strvec_clear(&remote);
		w.target = target;
		if (r < 0) {
			set_outcome(at, NR_ATTEMPT_ERROR, "role %s: %s", rr->role->name, nr_diag_msg(&d));
			break;
		}
		rr->started = true;
		procs[n_started++] = &rr->proc;
		if (rr->role->ready.kind == NR_READY_NONE)
			continue;
		if (rr->role->ready.kind == NR_READY_PORT) {
			char *ps = NULL;
			int64_t pv = 0;

			if (nr_template_expand(rr->role->ready.port, &tc, &ps, &d) < 0 ||
			    nr_parse_i64(ps, 1, 65535, &pv) < 0) {
				set_outcome(at, NR_ATTEMPT_ERROR, "role %s: ready.port '%s' is not a port",
					    rr->role->name, ps ? ps : rr->role->ready.port);
				free(ps);
				break;
			}
			free(ps);
			w.port = (int)pv;
		} else if (rr->role->ready.kind == NR_READY_REGEX) {
			regcomp(&w.re, rr->role->ready.regex, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
			w.have_re = true;
		} else {
			w.not_before_us = nr_mono_us() + rr->role->ready.delay_us;
		}
		{
			int64_t ready_deadline = nr_mono_us() + rr->role->ready.timeout_us;

			r = nr_proc_pump(procs, n_started,
					 ready_deadline < deadline ? ready_deadline : deadline,
					 rr->role->ready.kind == NR_READY_REGEX ? 0
					 : target->kind == NR_TARGET_SSH	 ? 100000
									 : 5000,
					 at->cancel_fd, is_ready, &w);
		}
		if (w.have_re)
			regfree(&w.re);
		if (r == NR_EINTR) {
			at->interrupted = true;
			break;
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
			break;
		}
		if (rr->proc.exited) {
			struct nr_buf m = NR_BUF_INIT;

			nr_buf_addf(&m, "role %s ended before it was ready (%s)", rr->role->name,
				    nr_proc_describe(&rr->proc, desc, sizeof(desc)));
			add_tail(&m, &rr->proc);
			set_outcome(at, NR_ATTEMPT_ERROR, "%s", m.buf);
			nr_buf_release(&m);
			break;
		}
	}
	tc.workdir = workdir ? workdir : at->c->dir; /* collect paths are read as on this machine */
	if (!strcmp(at->outcome, NR_ATTEMPT_PASSED) && !at->interrupted) {
		mw.n = t->n_roles;
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
	for (i = 0; i < t->n_roles && !at->interrupted; i++) {
		struct nr__role_run *rr = &at->roles[i];

		if (!rr->started || !rr->proc.exited)
			continue;
		if (nr_proc_exit_code(&rr->proc) != 0) {
			struct nr_buf m = NR_BUF_INIT;

			nr_buf_addf(&m, "role %s: %s", rr->role->name,
				    nr_proc_describe(&rr->proc, desc, sizeof(desc)));
			add_tail(&m, &rr->proc);
			set_outcome(at, NR_ATTEMPT_FAILED, "%s", m.buf);
			nr_buf_release(&m);
			if (rr->role->main && !at->exit_code) {
				at->exit_code = nr_proc_exit_code(&rr->proc);
				at->signal = nr_proc_signal(&rr->proc);
			}
		}
	}
	/* the far side first: ssh without a terminal leaves remote processes running */
	for (i = 0; i < t->n_roles; i++) {
		struct nr__role_run *rr = &at->roles[i];
		struct nr_diag d = { 0 };

		/* a role whose ssh client ended cleaned up after itself (unless ssh itself failed) */
		if (rr->started && rr->job &&
		    (!rr->proc.exited || nr_proc_exit_code(&rr->proc) == 255) &&
		    nr_ssh_kill_job(&at->targets[rr->host - at->c->hosts], rr->state, rr->job,
				    &rr->proc, t->kill_grace_us, &d) < 0)
			set_outcome(at, NR_ATTEMPT_ERROR, "role %s: %s", rr->role->name, nr_diag_msg(&d));
	}
	nr_proc_stop_in(procs, n_started, cg, t->kill_grace_us);
	tc.instance = tc.instance_port = 0;
	if (!at->interrupted)
		collect_files(at, &tc);
	if (!strcmp(at->outcome, NR_ATTEMPT_PASSED) && !at->interrupted)
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
