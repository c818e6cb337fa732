/*
 * The scheduler: a run's cases in plan order, attempts with retries, the
 * breaker, interruption, and resuming from what the store holds.
 */
#include <errno.h>
#include <poll.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/pid.h"
#include "notify/notify.h"
#include "runner/runner_internal.h"
#include "version.h"


/*
 * Notify (webhook and/or command) when the campaign asks for this event.
 * A failing notification is noted, never fatal.
 */
static void notify(struct nr__session *s, unsigned event, const char *name, const char *text)
{
	const struct nr_notify *no = &s->c->notify;
	struct nr_diag d = { 0 };

	if (!(no->on & event))
		return;
	if (no->url && nr_notify_webhook(no->url, name, text, s->run->id, 10000000, &d) < 0)
		nr__note(s, NULL, NULL, "notify", nr_diag_msg(&d));
	nr_diag_clear(&d);
	if (no->command.n &&
	    nr_notify_command(no->command.v, name, text, s->run->id, 30000000, &d) < 0)
		nr__note(s, NULL, NULL, "notify", nr_diag_msg(&d));
}

static void emit(struct nr__session *s, enum nr_event_kind kind, const struct nr_case_rec *c,
		 const struct nr_attempt_rec *a, const char *msg)
{
	struct nr_event ev = {
		.kind = kind, .run = s->run, .c = c, .a = a, .msg = msg, .total = s->n,
		.done = s->done, .passed = s->passed, .failed = s->failed,
		.elapsed_us = nr_mono_us() - s->started_mono,
		.case_avg_us = s->cases_this_session
				       ? s->case_time_us / (int64_t)s->cases_this_session : 0,
	};

	if (s->o->on_event)
		s->o->on_event(s->o->ctx, &ev);
}

void nr__note(struct nr__session *s, const struct nr_case_rec *c, const char *host,
	      const char *kind, const char *msg)
{
	struct nr_event_rec ev = { 0 };
	char *line;

	nr_uuid_v7(ev.id);
	memcpy(ev.run_id, s->run->id, sizeof(ev.run_id));
	if (c)
		memcpy(ev.case_id, c->id, sizeof(ev.case_id));
	ev.time_us = nr_wall_us();
	ev.host = (char *)host;
	ev.kind = (char *)kind;
	ev.message = (char *)msg;
	nr_store_event_add(s->st, &ev, NULL);
	line = nr_xasprintf("%s: %s", kind, msg);
	emit(s, NR_EV_NOTE, c, NULL, line);
	free(line);
}

static char *hosts_json(const struct nr_test *t, const struct nr_case_plan *cp)
{
	json_t *o = json_object();
	char *s;
	size_t i;

	for (i = 0; i < t->n_roles; i++)
		json_object_set_new(o, t->roles[i].name, json_string(cp->hosts[i]->name));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Labels as the JSON object stored with a run or host: kv's, then extra's over them. */
static char *labels_json(const struct nr_kv *kv, const struct nr_kv *extra)
{
	json_t *o = json_object();
	char *s;
	size_t i;

	for (i = 0; i < kv->keys.n; i++)
		json_object_set_new(o, kv->keys.v[i], json_string(kv->vals.v[i]));
	for (i = 0; extra && i < extra->keys.n; i++)
		json_object_set_new(o, extra->keys.v[i], json_string(extra->vals.v[i]));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? nr_xstrdup(v) : NULL;
}

/*
 * Whether the user asked to stop: the fd turns readable and stays so (it is
 * never read), so every later check, and nr_proc_pump, sees it too.
 */
static bool is_cancel(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) == 1;
}

/* Outputs of every started role, for the store. */
static size_t collect_outputs(const struct nr__attempt *at, struct nr_output_in *outs)
{
	size_t i, n = 0;

	for (i = 0; i < at->t->n_roles; i++) {
		const struct nr__role_run *rr = &at->roles[i];

		if (!rr->started)
			continue;
		outs[n++] = (struct nr_output_in){
			.role = rr->role->name, .host = rr->host->name,
			.stream = nr_stream_name(NR_STREAM_STDOUT),
			.data = nr_slice_of(rr->proc.out.buf, rr->proc.out.len),
			.dropped = rr->proc.out.dropped,
		};
		outs[n++] = (struct nr_output_in){
			.role = rr->role->name, .host = rr->host->name,
			.stream = nr_stream_name(NR_STREAM_STDERR),
			.data = nr_slice_of(rr->proc.err.buf, rr->proc.err.len),
			.dropped = rr->proc.err.dropped,
		};
	}
	return n;
}

/* Failed attempts already made for `repeat` of a case (after a resume). */
int nr__case_failures_so_far(struct nr__session *s, const struct nr_case_rec *c, int repeat)
{
	struct nr_attempt_rec *v = NULL;
	size_t n = 0, i;
	int k = 0;

	if (c->attempts == 0 || nr_store_attempts_list(s->st, c->id, &v, &n, NULL) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].repeat == repeat && !v[i].superseded &&
		    v[i].outcome != NR_ATTEMPT_PASSED)
			k++;
	nr_attempts_free(v, n);
	return k;
}

static void add_failing_host(struct nr__session *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->failing_hosts.n; i++)
		if (!strcmp(s->failing_hosts.v[i], name))
			return;
	nr_strvec_push(&s->failing_hosts, name);
}

struct health_ctx {
	struct nr__session *s;
	const struct nr_case_rec *c;
	const char *host;
};

/* Each step of a health check is an event, stored when it happens. */
static void health_step(void *ctx, const char *kind, const char *line)
{
	struct health_ctx *h = ctx;

	nr__note(h->s, h->c, h->host, kind, line);
}

/*
 * `health.peers`: from each host of the case, a ping of every other host
 * of the case (what its roles will talk to), counted with the case's
 * pings. false, with the case's error naming both hosts, at the first that
 * fails.
 */
static bool check_peers(struct nr__session *s, const struct nr_case_plan *cp,
			const struct nr_test *t, struct nr_case_rec *c)
{
	size_t i, j, k;

	for (i = 0; i < t->n_roles; i++) {
		for (k = 0; k < i; k++)
			if (cp->hosts[k] == cp->hosts[i])
				break;
		if (k < i)
			continue; /* this host pinged its peers already */
		for (j = 0; j < t->n_roles; j++) {
			struct nr_diag d = { 0 };

			if (cp->hosts[j] == cp->hosts[i])
				continue;
			for (k = 0; k < j; k++)
				if (cp->hosts[k] == cp->hosts[j])
					break;
			if (k < j)
				continue;
			c->ping_count++;
			if (nr__peer_ping(&s->hosts, cp->hosts[i], cp->hosts[j], &d) < 0) {
				nr__note(s, c, cp->hosts[i]->name, "health", nr_diag_msg(&d));
				set_str(&c->error, nr_diag_msg(&d));
				add_failing_host(s, cp->hosts[i]->name);
				return false;
			}
		}
	}
	return true;
}

/*
 * restart_first (AutoPerf restarts every machine before a campaign): each
 * host with a restart command is restarted and waited for, its steps the
 * run's events. One that does not come back is noted; its cases then fail
 * their health checks.
 */
static void restart_first(struct nr__session *s)
{
	size_t i;

	for (i = 0; i < s->c->n_hosts && !is_cancel(s->o->cancel_fd); i++) {
		const struct nr_host *host = &s->c->hosts[i];
		struct nr__health_result hr;

		if (!host->restart.n)
			continue;
		nr__host_restart(&s->hosts, host, s->o->cancel_fd, health_step,
				 &(struct health_ctx){ s, NULL, host->name }, &hr);
		nr_buf_release(&hr.log);
	}
}

/*
 * Before a case: health checks of the hosts it uses (as often as the
 * campaign says), and the test's uploads once per session. false (with
 * the case's error set) when a host is down or an upload failed.
 */
bool nr__case_prepare_hosts(struct nr__session *s, size_t idx, struct nr_case_rec *c)
{
	const struct nr_case_plan *cp = &s->plan.cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, cp);
	const struct nr_health *hc = &s->c->health;
	bool check, ok = true;
	size_t i, j;

	check = hc->when == NR_HEALTH_CASE || (hc->when == NR_HEALTH_TEST && !s->checked[cp->test]) ||
		(hc->when == NR_HEALTH_ONCE && !s->checked_once);
	for (i = 0; check && i < t->n_roles; i++) {
		const struct nr_host *host = cp->hosts[i];
		struct nr__health_result hr;

		for (j = 0; j < i; j++)
			if (cp->hosts[j] == host)
				break;
		if (j < i)
			continue; /* checked already for an earlier role */
		nr__health_check(&s->hosts, host, s->o->cancel_fd, health_step,
				 &(struct health_ctx){ s, c, host->name }, &hr);
		c->ping_count += hr.pings;
		c->ssh_check_count += hr.ssh_checks;
		if (!hr.ok) {
			/* the last thing the checks said names the cause */
			size_t end = hr.log.len, start;
			char *err;

			while (end && hr.log.buf[end - 1] == '\n')
				end--;
			start = end;
			while (start && hr.log.buf[start - 1] != '\n')
				start--;
			err = nr_xasprintf("host %s unreachable%s%.*s", host->name, end > start ? ": " : "",
					   (int)(end - start), hr.log.buf + start);

			set_str(&c->error, err);
			free(err);
			add_failing_host(s, host->name);
			ok = false;
		}
		nr_buf_release(&hr.log);
		if (!ok)
			break;
	}
	if (ok && check && hc->peers && !check_peers(s, cp, t, c))
		ok = false;
	if (check) {
		s->checked[cp->test] = true;
		s->checked_once = true;
	}
	if (ok && !s->uploaded[cp->test] && t->n_uploads) {
		struct nr_diag d = { 0 };

		if (nr__upload(&s->hosts, t, &d) < 0) {
			set_str(&c->error, nr_diag_msg(&d));
			nr__note(s, c, NULL, "upload", nr_diag_msg(&d));
			return false;
		}
		s->uploaded[cp->test] = true;
	}
	return ok;
}

/* The case is under way: marked running in the store, the user told. */
int nr__case_start(struct nr__session *s, size_t idx, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, &s->plan.cases[idx]);
	int r;

	if (!c->started_us)
		c->started_us = nr_wall_us();
	c->status = NR_CASE_RUNNING;
	if (!c->hosts)
		c->hosts = hosts_json(t, &s->plan.cases[idx]);
	if ((r = nr_store_case_update(s->st, c, d)) < 0)
		return r;
	emit(s, NR_EV_CASE_START, c, NULL, NULL);
	return 0;
}

/* The case fails without (more) attempts, for `why`. */
int nr__case_fail(struct nr__session *s, size_t idx, const char *why, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];

	c->status = NR_CASE_FAILED;
	if (why)
		set_str(&c->error, why);
	c->finished_us = nr_wall_us();
	return nr_store_case_update(s->st, c, d);
}

/*
 * Store attempt `at` of case idx with what it produced, the case as it
 * stands after it, in one transaction.
 */
int nr__case_save_attempt(struct nr__session *s, size_t idx, struct nr__attempt *at, bool passed,
			struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	const struct nr_test *t = at->t;
	struct nr_attempt_rec a = { 0 };
	struct nr_output_in *outs;
	struct nr_role_samples *rs;
	size_t n_outs, n_rs = 0, i;
	int r;

	nr_uuid_v7(a.id);
	memcpy(a.case_id, c->id, sizeof(a.case_id));
	a.number = at->number;
	a.repeat = at->repeat;
	a.outcome = at->outcome;
	a.exit_code = at->exit_code;
	a.signal = at->signal;
	a.started_us = at->started_us;
	a.finished_us = at->finished_us;
	a.error = at->error.len ? at->error.buf : NULL;
	outs = nr_xcalloc(2 * t->n_roles + at->n_collected + 1, sizeof(*outs));
	rs = nr_xcalloc(t->n_roles + 1, sizeof(*rs));
	n_outs = collect_outputs(at, outs);
	for (i = 0; i < at->n_collected; i++)
		outs[n_outs++] = (struct nr_output_in){
			.role = at->collected[i].role, .host = at->collected[i].host,
			.stream = at->collected[i].stream,
			.data = nr_slice_of(at->collected[i].data.buf, at->collected[i].data.len),
			.dropped = at->collected[i].data.dropped,
		};
	for (i = 0; passed && i < t->n_roles; i++)
		if (at->roles[i].started && at->roles[i].samples.n)
			rs[n_rs++] = (struct nr_role_samples){ t->roles[i].name, &at->roles[i].samples };
	r = nr_store_attempt_save(s->st, c, &a, outs, n_outs, rs, n_rs, d);
	emit(s, NR_EV_ATTEMPT_END, c, &a, NULL);
	free(outs);
	free(rs);
	return r;
}

/*
 * Attempts of case idx until it has `until` repeats done or has failed
 * (*failures: this repeat's failed attempts so far, against the test's
 * retries). Returns 0, NR_EINTR when interrupted (the case is pending
 * again, its finished repeats kept), or a store error.
 */
int nr__case_attempts(struct nr__session *s, size_t idx, int until, int *failures,
			struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	const struct nr_case_plan *cp = &s->plan.cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, cp);
	struct nr__tally tally = { .repeats = c->repeats, .retries = t->retries };
	enum nr__next next;
	int r;

	while (c->repeats_done < until && c->status != NR_CASE_FAILED) {
		struct nr__attempt at = {
			.c = s->c, .hosts = &s->hosts,
			.ordinal = c->ordinal, .t = t, .cp = cp, .run_id = s->run->id,
			.repeat = c->repeats_done, .number = c->attempts + 1,
			.cancel_fd = s->o->cancel_fd, .cgroup = s->cgroup,
		};
		bool passed;

		nr__runner_attempt(&at);
		if (at.interrupted) {
			/* the attempt in flight is dropped; the case resumes at this repeat */
			nr__runner_attempt_release(&at);
			c->status = NR_CASE_PENDING;
			return NR_EINTR;
		}
		passed = at.outcome == NR_ATTEMPT_PASSED;
		c->attempts++;
		if (passed)
			nr__adaptive_add(s, idx, &at); /* before the count moves: it is this repeat's */
		tally.repeats_done = c->repeats_done;
		tally.failures = *failures;
		next = nr__decide_after_attempt(&tally, passed);
		c->repeats_done = tally.repeats_done;
		*failures = tally.failures;
		if (!passed)
			set_str(&c->error, at.error.buf);
		if (next == NR__CASE_FAILED || next == NR__CASE_PASSED) {
			c->status = next == NR__CASE_PASSED ? NR_CASE_PASSED : NR_CASE_FAILED;
			if (next == NR__CASE_PASSED)
				set_str(&c->error, NULL);
			c->finished_us = nr_wall_us();
		}
		r = nr__case_save_attempt(s, idx, &at, passed, d);
		nr__runner_attempt_release(&at);
		if (r < 0) {
			/* not stored: the case is as the store has it, pending again */
			c->status = NR_CASE_PENDING;
			return r;
		}
		if (is_cancel(s->o->cancel_fd) && c->status != NR_CASE_PASSED &&
		    c->status != NR_CASE_FAILED) {
			c->status = NR_CASE_PENDING;
			return NR_EINTR;
		}
	}
	return 0;
}

/*
 * A case that uses an optional host (netperf's [UNRELIABLE] environments):
 * its failure is reported but fails neither the run nor counts for the
 * breaker.
 */
static bool case_optional(const struct nr__session *s, size_t idx)
{
	const struct nr_case_plan *cp = &s->plan.cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, cp);
	size_t k;

	for (k = 0; k < t->n_roles; k++)
		if (cp->hosts[k]->optional)
			return true;
	return false;
}

/* A case has ended (passed or failed): the counts, the breaker's, notifications. */
void nr__case_end(struct nr__session *s, size_t idx, int64_t took_us)
{
	struct nr_case_rec *c = &s->cases[idx];

	s->done++;
	s->cases_this_session++;
	s->case_time_us += took_us;
	if (c->status == NR_CASE_PASSED) {
		s->passed++;
		s->consecutive_failures = 0;
		nr_strvec_clear(&s->failing_hosts);
	} else {
		char *text = nr_xasprintf("netrig %s: case %s failed: %s", s->c->name, c->key,
					  c->error ? c->error : "?");

		s->failed++;
		if (case_optional(s, idx))
			s->failed_optional++;
		else
			s->consecutive_failures++;
		notify(s, NR_NOTIFY_FAILURE, "failure", text);
		free(text);
	}
	emit(s, NR_EV_CASE_END, c, NULL, NULL);
}

/*
 * Run the remaining repeats of one case. Returns 0, NR_EINTR when
 * interrupted, or a store error.
 */
static int run_case(struct nr__session *s, size_t idx, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	int64_t t0 = nr_mono_us();
	int failures, r;

	if ((r = nr__case_start(s, idx, d)) < 0)
		return r;
	if (!nr__case_prepare_hosts(s, idx, c)) {
		/* a host is down: the case fails without an attempt */
		if ((r = nr__case_fail(s, idx, NULL, d)) < 0)
			return r;
	} else if (!nr__case_build_test(s, idx, &r, d)) {
		if (r == NR_EINTR) {
			c->status = NR_CASE_PENDING;
		}
		if (r < 0)
			return r;
		if ((r = nr__case_fail(s, idx, NULL, d)) < 0)
			return r;
	} else {
		failures = nr__case_failures_so_far(s, c, c->repeats_done);
		if (nr_campaign_case_test(s->c, &s->plan.cases[idx])->repeat_min)
			r = nr__adaptive_case(s, idx, &failures, d);
		else
			r = nr__case_attempts(s, idx, c->repeats, &failures, d);
		if (r < 0)
			return r;
	}
	nr__case_end(s, idx, nr_mono_us() - t0);
	return 0;
}

static void finish_summary(struct nr__session *s, struct nr_run_summary *ret)
{
	size_t i;

	memset(ret, 0, sizeof(*ret));
	memcpy(ret->run_id, s->run->id, sizeof(ret->run_id));
	ret->status = s->run->status;
	snprintf(ret->reason, sizeof(ret->reason), "%s", s->run->reason ? s->run->reason : "");
	ret->total = s->n;
	ret->failed_optional = s->failed_optional;
	for (i = 0; i < s->n; i++) {
		if (s->cases[i].status == NR_CASE_PASSED)
			ret->passed++;
		else if (s->cases[i].status == NR_CASE_FAILED)
			ret->failed++;
		else
			ret->pending++;
	}
}

static void host_note(void *ctx, const char *kind, const char *host, const char *msg)
{
	nr__note(ctx, NULL, host, kind, msg);
}

/*
 * The guard and the run's cgroup, before anything of the run starts (the
 * hosts' shared connections included, so that a --resume after a kill -9
 * of netrig and its guard ends them). What to tell waits in early_notes.
 */
static void start_guard(struct nr__session *s, const char *run_id)
{
	/* named after the run: one a killed session left is ended first */
	char name[64];
	struct nr_diag d2 = { 0 };

	nr_exec_become_subreaper();
	nr_exec_guard_start();
	snprintf(name, sizeof(name), "netrig.%s", run_id);
	if (nr_cgroup_open_run(name, &s->cgroup, &d2) < 0) {
		char *msg = nr_xasprintf("no cgroup for the run here (%s): processes that leave "
					 "their process group end with their case only while "
					 "netrig runs, not if it is killed",
					 nr_diag_msg(&d2));

		nr_strvec_push(&s->early_notes, "guard");
		nr_strvec_push(&s->early_notes, "");
		nr_strvec_push_owned(&s->early_notes, msg);
	}
}

/* The loop shared by a new run and a resumed one. */
static int drive(struct nr__session *s, struct nr_run_summary *ret, struct nr_diag *d)
{
	size_t i, j;
	int r = 0;

	s->started_mono = nr_mono_us();
	/* a new run's hosts were opened to describe them (describe_hosts): their connections are kept */
	if (!s->hosts.targets) {
		start_guard(s, s->run->id);
		nr__hosts_init(&s->hosts, s->c, s->run->id, s->cgroup);
	}
	s->hosts.note = host_note;
	s->hosts.note_ctx = s;
	for (i = 0; i + 2 < s->early_notes.n; i += 3)
		nr__note(s, NULL, s->early_notes.v[i + 1][0] ? s->early_notes.v[i + 1] : NULL,
		     s->early_notes.v[i], s->early_notes.v[i + 2]);
	nr_strvec_clear(&s->early_notes);
	if (s->resumed) {
		/* end what a killed session left on each host before anything runs */
		for (i = 0; i < s->c->n_hosts; i++) {
			struct nr_diag d2 = { 0 };

			if (nr__hosts_open(&s->hosts, &s->c->hosts[i], &d2) < 0)
				nr__note(s, NULL, s->c->hosts[i].name, "guard", nr_diag_msg(&d2));
		}
	}
	if (s->c->restart_first)
		restart_first(s);
	s->uploaded = nr_xcalloc(s->c->n_tests + 1, sizeof(bool));
	s->checked = nr_xcalloc(s->c->n_tests + 1, sizeof(bool));
	s->built = nr_xcalloc(s->c->n_variants * s->c->n_hosts + 1, sizeof(*s->built));
	s->build_errors = nr_xcalloc(s->c->n_variants * s->c->n_hosts + 1, sizeof(*s->build_errors));
	s->test_built = nr_xcalloc(s->c->n_tests * s->c->n_hosts + 1, sizeof(*s->test_built));
	s->test_build_errors = nr_xcalloc(s->c->n_tests * s->c->n_hosts + 1,
					  sizeof(*s->test_build_errors));
	for (i = 0; i < s->n; i++) {
		if (s->cases[i].status == NR_CASE_PASSED)
			s->passed++, s->done++;
		else if (s->cases[i].status == NR_CASE_FAILED)
			s->failed++, s->done++, s->failed_optional += case_optional(s, i);
	}
	emit(s, NR_EV_RUN_START, NULL, NULL, NULL);
	for (i = 0; i < s->n; i++) {
		enum nr_case_status st = s->cases[i].status;

		if (nr_case_status_final(st))
			continue;
		if (is_cancel(s->o->cancel_fd)) {
			r = NR_EINTR;
			break;
		}
		j = nr__runner_partner(s, i);
		if (j == SIZE_MAX)
			r = run_case(s, i, d);
		else
			r = nr__runner_pair(s, i < j ? i : j, i < j ? j : i, d);
		if (r < 0)
			break;
		if (nr__decide_breaker(s->consecutive_failures, s->c->stop_after_failures)) {
			char reason[512];

			struct nr_buf hosts = NR_BUF_INIT;
			size_t k;

			for (k = 0; k < s->failing_hosts.n; k++)
				nr_buf_addf(&hosts, "%s%s", k ? ", " : "", s->failing_hosts.v[k]);
			snprintf(reason, sizeof(reason),
				 "stopped after %d failed cases in a row (stop_after_failures)%s%s; last error: %s",
				 s->consecutive_failures, hosts.len ? "; failing hosts: " : "", hosts.buf,
				 s->cases[i].error ? s->cases[i].error : "?");
			nr_buf_release(&hosts);
			s->run->status = NR_RUN_STOPPED;
			set_str(&s->run->reason, reason);
			nr__note(s, NULL, NULL, "breaker", reason);
			notify(s, NR_NOTIFY_BREAKER, "breaker", reason);
			break;
		}
	}
	if (r == NR_EINTR) {
		s->run->status = NR_RUN_INTERRUPTED;
		set_str(&s->run->reason, "interrupted; 'netrig run --resume' continues it");
		r = 0;
	} else if (r < 0) {
		/* a store error: the run stops, resumable, if the store still takes this write */
		char *reason = nr_xasprintf("the store failed: %s; 'netrig run --resume' continues"
					    " the run", nr_diag_msg(d));

		s->run->status = NR_RUN_STOPPED;
		set_str(&s->run->reason, reason);
		free(reason);
	} else if (s->run->status != NR_RUN_STOPPED) {
		bool failed = s->failed > s->failed_optional;
		char *why = s->failed_optional
				    ? nr_xasprintf("%zu case%s on optional hosts failed%s", s->failed_optional,
						   s->failed_optional == 1 ? "" : "s",
						   failed ? ", and others" : " (they do not fail the run)")
				    : NULL;

		s->run->status = failed ? NR_RUN_FAILED : NR_RUN_PASSED;
		set_str(&s->run->reason, why ? why : failed ? "some cases failed" : NULL);
		free(why);
	}
	s->run->pid = 0;
	set_str(&s->run->pid_start, NULL);
	s->run->finished_us = nr_run_status_final(s->run->status) ? nr_wall_us() : 0;
	{
		struct nr_diag d2 = { 0 };
		int r2 = nr_store_run_update(s->st, s->run, &d2);

		if (r == 0 && r2 < 0) {
			r = r2;
			nr_diag_set(d, r2, "%s", d2.msg);
		} else if (r < 0 && r2 == 0) {
			nr_diag_set(d, r, "%s", s->run->reason); /* what failed, and how to go on */
		} else if (r2 < 0) {
			/*
			 * The store takes no write at all: the run stays 'running' in it,
			 * with this process as its controller, which 'status' then sees gone.
			 */
			char first[NR_DIAG_MAX];

			snprintf(first, sizeof(first), "%s", nr_diag_msg(d));
			nr_diag_set(d, r, "%s; the run could not be marked stopped either (%s): 'netrig"
					  " status' shows it running with its controller gone, and"
					  " 'netrig run --resume' continues it", first, d2.msg);
		}
	}
	finish_summary(s, ret);
	{
		char *text = nr_xasprintf("netrig %s: run %s %s: %zu cases, %zu passed, %zu failed, %zu not run%s%s",
					  s->c->name, s->run->short_id,
					  nr_run_status_name(s->run->status), ret->total,
					  ret->passed, ret->failed, ret->pending,
					  s->run->reason ? "; " : "", s->run->reason ? s->run->reason : "");

		notify(s, NR_NOTIFY_FINISH, "finish", text);
		free(text);
	}
	nr__hosts_release(&s->hosts);
	nr_cgroup_free(s->cgroup);
	s->cgroup = NULL;
	free(s->uploaded);
	free(s->checked);
	s->uploaded = s->checked = NULL;
	for (i = 0; i < s->c->n_variants * s->c->n_hosts; i++)
		free(s->build_errors[i]);
	free(s->build_errors);
	free(s->built);
	s->build_errors = NULL;
	s->built = NULL;
	for (i = 0; i < s->c->n_tests * s->c->n_hosts; i++)
		free(s->test_build_errors[i]);
	free(s->test_build_errors);
	free(s->test_built);
	s->test_build_errors = NULL;
	s->test_built = NULL;
	nr_strvec_clear(&s->failing_hosts);
	emit(s, NR_EV_RUN_END, NULL, NULL, NULL);
	return r;
}

static void session_release(struct nr__session *s)
{
	nr__adaptive_release(s);
	free(s->baseline_run);
	s->baseline_run = NULL;
	nr_plan_release(&s->plan);
	nr_strvec_clear(&s->early_notes);
	nr__hosts_release(&s->hosts); /* when the run ended before drive() did it */
	nr_cgroup_free(s->cgroup);
	s->cgroup = NULL;
	nr_cases_free(s->cases, s->n);
}

/* This process's identity (base/pid.h), kept with the run so a reader can tell it is alive. */
static char *self_identity(void)
{
	char buf[128];

	return nr_pid_identity((int)getpid(), buf, sizeof(buf)) == 0 ? nr_xstrdup(buf) : NULL;
}

static char *controller_name(void)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		return nr_xstrdup("unknown");
	host[sizeof(host) - 1] = '\0';
	return nr_xstrdup(host);
}

/*
 * Each host's own description where it is not this machine's (a netns
 * host's interfaces, another machine's all of it), in place of the
 * controller's. A host that cannot say keeps none: a host that is down
 * is the health checks' to report, as they do for every case.
 */
static void describe_hosts(const struct nr_campaign *c, const char *run_id,
			   struct nr_host_rec *recs, struct nr__session *s)
{
	struct nr__hosts *h = &s->hosts;
	size_t i;

	/* the guard first: it must know the connections' processes and directories */
	start_guard(s, run_id);
	/* the session's hosts: the connections made here serve the run */
	nr__hosts_init(h, c, run_id, s->cgroup);
	for (i = 0; i < c->n_hosts; i++) {
		struct nr_target *t = &h->targets[i];
		struct nr_diag d = { 0 };
		char *json = NULL;

		if (!t->ops->sysinfo)
			continue;
		free(recs[i].sysinfo);
		recs[i].sysinfo = NULL;
		if (t->ops->sysinfo(t, &json, &d) == 0)
			recs[i].sysinfo = json;
		if (t->note) {
			nr_strvec_push(&s->early_notes, "agent");
			nr_strvec_push(&s->early_notes, t->name);
			nr_strvec_push(&s->early_notes, t->note);
		}
		free(t->note);
		t->note = NULL;
	}
	nr__probe_hosts(h, &s->plan, s->cgroup, s->o->cancel_fd, recs, &s->early_notes);
}

int nr_runner_run(struct nr_store *st, const struct nr_campaign *c,
		  const struct nr_runner_opts *o, struct nr_run_summary *ret,
		  struct nr_diag *d)
{
	struct nr__session s = { .st = st, .c = c, .o = o };
	struct nr_run_rec run = { 0 };
	struct nr_host_rec *hosts;
	size_t i;
	int r;

	if ((r = nr_plan_build(c, o->select, &s.plan, d)) < 0)
		return r;
	if (o->baseline) {
		struct nr_run_rec *base = NULL;
		size_t n_base = 0;

		r = nr_store_runs_select(st, o->baseline, c->name, 1, &base, &n_base, d);
		if (r < 0) {
			session_release(&s);
			return r;
		}
		s.baseline_run = nr_xstrdup(base[0].id);
		nr_runs_free(base, n_base);
	}
	if (o->run_id && o->run_id[0])
		snprintf(run.id, sizeof(run.id), "%s", o->run_id);
	else
		nr_uuid_v7(run.id);
	run.options = nr_select_to_json(o->select);
	run.campaign = nr_xstrdup(c->name);
	/*
	 * Absolute, so that a resume from another directory finds the
	 * campaign's directory (relative workdirs) where the run started.
	 */
	run.campaign_path = realpath(c->path, NULL);
	if (!run.campaign_path)
		run.campaign_path = nr_xstrdup(c->path);
	run.config = nr_xstrdup(c->text);
	run.config_hash = nr_xstrdup(c->hash);
	if (o->commit || o->branch) {
		run.commit = o->commit ? nr_xstrdup(o->commit) : NULL;
		run.branch = o->branch ? nr_xstrdup(o->branch) : NULL;
	}
	if (!o->commit || !o->branch) {
		char *commit = NULL, *branch = NULL;

		if (o->git_cache)
			nr_runner_git_cached(o->git_cache, o->git_dir ? o->git_dir : ".", &commit, &branch);
		else
			nr_runner_detect_git(o->git_dir ? o->git_dir : ".", &commit, &branch);
		if (!run.commit)
			run.commit = commit;
		else
			free(commit);
		if (!run.branch)
			run.branch = branch;
		else
			free(branch);
	}
	{
		struct nr_kv labels = { 0 };
		size_t k;

		for (k = 0; k < o->labels.keys.n; k++)
			nr_kv_set(&labels, o->labels.keys.v[k], o->labels.vals.v[k]);
		if (s.baseline_run)
			nr_kv_set(&labels, NR_RUNNER_BASELINE_LABEL, s.baseline_run);
		run.labels = labels_json(&c->labels, &labels);
		nr_kv_clear(&labels);
	}
	run.status = NR_RUN_RUNNING;
	run.controller = controller_name();
	run.version = nr_xstrdup(NR_VERSION);
	run.pid = (int)getpid();
	run.pid_start = self_identity();
	run.started_us = nr_wall_us();
	hosts = nr_xcalloc(c->n_hosts, sizeof(*hosts));
	for (i = 0; i < c->n_hosts; i++) {
		nr_uuid_v7(hosts[i].id);
		hosts[i].name = nr_xstrdup(c->hosts[i].name);
		hosts[i].transport = nr_xstrdup(nr_transport_name(c->hosts[i].transport));
		hosts[i].address = nr_xstrdup(c->hosts[i].address);
		hosts[i].labels = c->hosts[i].labels.keys.n ? labels_json(&c->hosts[i].labels, NULL) : NULL;
		hosts[i].optional = c->hosts[i].optional;
		if (o->sysinfo_json)
			hosts[i].sysinfo = nr_xstrdup(o->sysinfo_json);
	}
	describe_hosts(c, run.id, hosts, &s);
	s.n = s.plan.n;
	s.cases = nr_xcalloc(s.n + 1, sizeof(*s.cases));
	for (i = 0; i < s.n; i++) {
		const struct nr_test *t = nr_campaign_case_test(c, &s.plan.cases[i]);
		struct nr_case_rec *cr = &s.cases[i];

		nr_uuid_v7(cr->id);
		memcpy(cr->run_id, run.id, sizeof(cr->run_id));
		cr->ordinal = (int64_t)i + 1;
		cr->test = nr_xstrdup(t->name);
		cr->key = nr_xstrdup(s.plan.cases[i].key);
		cr->params = nr_case_params_json(t, s.plan.cases[i].value_idx,
						 t->variant ? t->variant->name : NULL);
		cr->status = NR_CASE_PENDING;
		cr->repeats = t->repeat;
	}
	r = nr_store_run_create(st, &run, hosts, c->n_hosts, s.cases, s.n, d);
	nr_hosts_free(hosts, c->n_hosts);
	if (r == 0) {
		struct nr_run_rec stored = { 0 };

		/* the id's short form among the store's runs, for messages */
		snprintf(run.short_id, sizeof(run.short_id), "%.8s", run.id);
		if (nr_store_run_get(st, run.id, &stored, NULL) == 0)
			memcpy(run.short_id, stored.short_id, sizeof(run.short_id));
		nr_run_rec_release(&stored);
		s.run = &run;
		r = drive(&s, ret, d);
	}
	nr_run_rec_release(&run);
	session_release(&s);
	return r;
}

int nr_runner_resume(struct nr_store *st, const char *name, const char *run_id,
		     const struct nr_runner_opts *o, struct nr_run_summary *ret,
		     struct nr_diag *d)
{
	struct nr__session s = { .st = st, .o = o };
	struct nr_run_rec run = { 0 }, was = { 0 };
	struct nr_campaign *c = NULL;
	struct nr_case_rec *stored = NULL;
	struct nr_select sel = { 0 };
	bool *take = NULL; /* --rerun: the cases to run again */
	size_t n_stored = 0, i, j;
	int r;

	if (run_id)
		r = nr_store_run_get(st, run_id, &run, d);
	else if (o->rerun.n)
		r = nr__runner_latest_run(st, name, &run, d);
	else
		r = nr_store_run_resumable(st, name, &run, d);
	if (r < 0)
		goto out;
	if (!o->rerun.n && nr_run_status_final(run.status)) {
		r = nr_diagf(d, NR_EINVAL, "run %s has finished (%s): nothing to resume", run.short_id,
			     nr_run_status_name(run.status));
		goto out;
	}
	/* a status a newer netrig wrote: what it means is not this one's to guess */
	if (run.status == NR_RUN_UNKNOWN) {
		r = nr_diagf(d, NR_EINVAL, "run %s has a status this netrig does not know (written by"
				 " a newer one?): it is left as it is", run.short_id);
		goto out;
	}
	if (run.controller_state == NR_CONTROLLER_ALIVE && run.pid != (int)getpid()) {
		r = nr_diagf(d, NR_EINVAL, "run %s is still running (pid %d)", run.short_id, run.pid);
		goto out;
	}
	/* the campaign as it was when the run started, not as the file is now */
	if ((r = nr_campaign_load(run.campaign_path, run.config, &c, d)) < 0)
		goto out;
	/* and with the cases it chose: the same --set values, so the same keys */
	if ((r = nr_select_from_json(run.options, &sel, d)) < 0 ||
	    (r = nr_campaign_apply_set(c, &sel, d)) < 0)
		goto out;
	if ((r = nr_store_cases_list(st, run.id, &stored, &n_stored, d)) < 0)
		goto out;
	if ((r = nr_plan_build(c, &sel, &s.plan, d)) < 0)
		goto out;
	/* the session owns the stored cases; line the plan up with them by key */
	s.cases = stored;
	s.n = n_stored;
	stored = NULL;
	n_stored = 0;
	{
		struct nr_case_plan *ordered = nr_xcalloc(s.n + 1, sizeof(*ordered));
		bool *used = nr_xcalloc(s.plan.n + 1, sizeof(*used));
		size_t matched = 0;

		for (i = 0; i < s.n && r == 0; i++) {
			for (j = 0; j < s.plan.n; j++)
				if (!used[j] && !strcmp(s.plan.cases[j].key, s.cases[i].key))
					break;
			if (j == s.plan.n) {
				r = nr_diagf(d, NR_ECONFIG, "stored case '%s' is not in the campaign's plan",
					     s.cases[i].key);
				break;
			}
			used[j] = true;
			ordered[matched++] = s.plan.cases[j];
		}
		for (j = 0; j < s.plan.n; j++)
			if (!used[j]) {
				free(s.plan.cases[j].value_idx);
				free(s.plan.cases[j].key);
				free(s.plan.cases[j].hosts);
			}
		free(s.plan.cases);
		free(used);
		s.plan.cases = ordered;
		s.plan.n = matched;
		if (r < 0)
			goto out;
	}
	s.c = c;
	s.run = &run;
	s.resumed = true;
	{
		/* adaptive cases look at the baseline the run started with */
		json_t *labels = run.labels ? json_loads(run.labels, 0, NULL) : NULL;
		const char *base = json_string_value(json_object_get(labels, NR_RUNNER_BASELINE_LABEL));

		if (base)
			s.baseline_run = nr_xstrdup(base);
		json_decref(labels);
	}
	if (o->rerun.n) {
		take = nr_xcalloc(s.n + 1, sizeof(*take));
		if ((r = nr__rerun_choose(&s, take, d)) < 0)
			goto out;
	}
	/* take the run over only if no other process did since it was read */
	memcpy(was.id, run.id, sizeof(was.id));
	was.status = run.status;
	was.pid = run.pid;
	was.pid_start = run.pid_start;
	run.status = NR_RUN_RUNNING;
	run.pid_start = self_identity();
	set_str(&run.reason, NULL);
	free(run.controller);
	run.controller = controller_name();
	run.pid = (int)getpid();
	was.finished_us = run.finished_us;
	run.finished_us = 0;
	r = nr_store_run_claim(st, &was, &run, d);
	if (r == -EBUSY)
		r = nr_diagf(d, NR_EINVAL, "run %s was resumed by another netrig just now:"
				 " 'netrig status %s' shows it", run.short_id, run.short_id);
	if (r < 0)
		goto out;
	/* once the run is this process's: nobody else writes its cases now */
	if (take && (r = nr__rerun_mark(&s, take, d)) < 0) {
		/* nothing was marked (one transaction): the run is let go as it was */
		run.status = was.status;
		run.pid = 0;
		set_str(&run.pid_start, NULL);
		run.finished_us = was.finished_us;
		nr_store_run_update(st, &run, NULL);
		goto out;
	}
	r = drive(&s, ret, d);
out:
	free(take);
	nr_select_clear(&sel);
	nr_cases_free(stored, n_stored);
	session_release(&s);
	nr_campaign_free(c);
	nr_run_rec_release(&run);
	free(was.pid_start);
	return r;
}
