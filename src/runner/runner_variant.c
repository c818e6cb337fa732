/*
 * A/B variants in the runner: the two cases of a combination run pair by
 * pair (ABBA), a cut pair completed on resume, a failed half stopping the
 * other; a variant's build as an attempt of the first case that needs it.
 * The rest of the scheduler is runner.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "runner/runner_internal.h"

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? nr_xstrdup(v) : NULL;
}

int nr__pair_next(int done_a, int done_b, int repeats)
{
	if (done_a >= repeats && done_b >= repeats)
		return -1;
	if (done_a != done_b)
		return done_a < done_b ? 0 : 1;
	/* pair done_a starts: A first in even pairs, B first in odd ones */
	return done_a % 2 == 0 ? 0 : 1;
}

void nr__build_init(struct nr__build *b, const struct nr_strvec *argv, const struct nr_kv *env,
		    int64_t timeout_us, const struct nr_variant *v, const struct nr_host *host,
		    const struct nr_test *of)
{
	memset(b, 0, sizeof(*b));
	b->role.name = "build";
	b->role.host = host->name;
	b->role.argv = *argv;
	if (env)
		b->role.env = *env;
	b->role.main = true;
	b->t.name = "build";
	b->t.roles = &b->role;
	b->t.n_roles = 1;
	b->t.repeat = 1;
	b->t.timeout_us = timeout_us;
	b->t.kill_grace_us = of->kill_grace_us;
	b->t.output_limit = of->output_limit;
	b->t.variant = v;
}

/*
 * The build of the variant of case idx on every host its roles use, once
 * per variant and host in a session, each stored as an attempt of this
 * case (repeat -1, role "build"). false (the case failed, with the
 * build's error) when a build failed, now or earlier in the session.
 * Returns 0 or a negative error (NR_EINTR, the store) in *ret.
 */
static bool build_variant(struct nr__session *s, size_t idx, int *ret, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	const struct nr_case_plan *cp = &s->plan.cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, cp);
	const struct nr_variant *v = t->variant;
	size_t k;

	*ret = 0;
	if (!v || !v->build.n)
		return true;
	for (k = 0; k < t->n_roles; k++) {
		const struct nr_host *host = cp->hosts[k];
		size_t slot = (size_t)cp->variant * s->c->n_hosts + (size_t)(host - s->c->hosts);
		struct nr__build b;
		struct nr__attempt at;
		bool passed;

		if (s->built[slot] > 0)
			continue;
		if (s->built[slot] < 0) {
			set_str(&c->error, s->build_errors[slot]);
			return false;
		}
		nr__build_init(&b, &v->build, &v->env, v->build_timeout_us, v, host, t);
		if ((*ret = nr__build_attempt(s, idx, &b, &at)) < 0)
			return false;
		passed = at.outcome == NR_ATTEMPT_PASSED;
		if (!passed) {
			/* every case of this variant on this host fails with this message */
			s->build_errors[slot] = nr_xasprintf("the build of variant %s on host %s failed "
							     "(netrig log '%s' shows it): %s", v->name,
							     host->name, c->key, at.error.buf);
			set_str(&c->error, s->build_errors[slot]);
		}
		s->built[slot] = passed ? 1 : -1;
		*ret = nr__case_save_attempt(s, idx, &at, false, d);
		nr__runner_attempt_release(&at);
		if (*ret < 0 || !passed)
			return false;
	}
	return true;
}

/* The case of the other variant of case idx's combination, or SIZE_MAX. */
size_t nr__runner_partner(const struct nr__session *s, size_t idx)
{
	const struct nr_case_plan *cp = &s->plan.cases[idx];
	size_t j;

	if (cp->variant < 0)
		return SIZE_MAX;
	/* the plan puts a combination's variants next to each other, the first first */
	j = cp->variant == 0 ? idx + 1 : idx - 1;
	if (j >= s->n || s->plan.cases[j].test != cp->test ||
	    s->plan.cases[j].variant == cp->variant ||
	    memcmp(s->plan.cases[j].value_idx, cp->value_idx,
		   s->c->tests[cp->test].n_params * sizeof(size_t)))
		return SIZE_MAX;
	return j;
}

static bool finished(const struct nr_case_rec *c)
{
	return nr_case_status_final(c->status);
}

/*
 * The two variants of one combination, a (the baseline's case) and b,
 * pair by pair in ABBA order (nr__pair_next), on the same hosts. A pair
 * that an interruption cut after its first half is completed: its other
 * half runs first (a resumed run). When one case fails, the other stops
 * there: failed, unless it has all its repeats. Returns 0, NR_EINTR when
 * interrupted (both pending again, their finished repeats kept), or a
 * store error.
 */
int nr__runner_pair(struct nr__session *s, size_t a, size_t b, struct nr_diag *d)
{
	size_t idx[2] = { a, b }, k;
	struct nr_case_rec *c[2] = { &s->cases[a], &s->cases[b] };
	bool open[2] = { !finished(c[0]), !finished(c[1]) };
	int64_t t0 = nr_mono_us();
	int failures[2] = { 0, 0 }, r = 0, next, target;
	bool adaptive = nr_campaign_case_test(s->c, &s->plan.cases[a])->repeat_min > 0;

	for (k = 0; k < 2; k++)
		if (open[k] && (r = nr__case_start(s, idx[k], d)) < 0)
			return r;
	/* one health check for both: they use the same hosts */
	k = open[0] ? 0 : 1;
	if (!nr__case_prepare_hosts(s, idx[k], c[k])) {
		char *why = nr_xstrdup(c[k]->error ? c[k]->error : "a host is down");

		for (k = 0; k < 2 && r == 0; k++)
			if (open[k])
				r = nr__case_fail(s, idx[k], why, d);
		free(why);
		if (r < 0)
			return r;
		goto ended;
	}
	for (k = 0; k < 2; k++) {
		/* the test's build (both variants share it), then the variant's */
		if (!open[k] || (nr__case_build_test(s, idx[k], &r, d) && build_variant(s, idx[k], &r, d)))
			continue;
		if (r < 0) {
			if (r == NR_EINTR)
				for (k = 0; k < 2; k++)
					if (open[k])
						c[k]->status = NR_CASE_PENDING;
			return r;
		}
		if ((r = nr__case_fail(s, idx[k], NULL, d)) < 0)
			return r;
	}
	for (k = 0; k < 2; k++)
		if (open[k] && !finished(c[k]))
			failures[k] = nr__case_failures_so_far(s, c[k], c[k]->repeats_done);
	/* adaptive: pairs up to target, looked at there, one more pair until decided */
	target = adaptive ? 0 : c[0]->repeats;
	while (c[0]->status != NR_CASE_FAILED && c[1]->status != NR_CASE_FAILED) {
		if (adaptive && (r = nr__adaptive_pair_target(s, a, b, &target, d)) < 0)
			return r;
		if (finished(c[0]) && finished(c[1]))
			break;
		next = nr__pair_next(c[0]->repeats_done, c[1]->repeats_done, target);
		if (next < 0)
			break;
		r = nr__case_attempts(s, idx[next], c[next]->repeats_done + 1, &failures[next], d);
		if (r < 0) {
			for (k = 0; k < 2; k++)
				if (open[k] && !finished(c[k]))
					c[k]->status = NR_CASE_PENDING;
			return r;
		}
	}
	/* a failed half: its partner stops there, its pairs cannot be completed */
	for (k = 0; k < 2; k++) {
		struct nr_case_rec *other = c[1 - k];
		char *why;

		if (c[k]->status != NR_CASE_FAILED || finished(other))
			continue;
		why = nr_xasprintf("stopped: the case of the other variant (%s) failed", c[k]->key);
		r = nr__case_fail(s, idx[1 - k], why, d);
		free(why);
		if (r < 0)
			return r;
	}
ended:
	for (k = 0; k < 2; k++)
		if (open[k])
			nr__case_end(s, idx[k], (nr_mono_us() - t0) / 2);
	return 0;
}
