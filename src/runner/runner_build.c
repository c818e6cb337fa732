/*
 * A test's `build:` (ixy-ci's build steps): its commands, in order, on
 * each host the test's roles use, once per test and host in a session,
 * before the test's first case there; stored and judged as a variant's
 * build is (runner_variant.c): attempts of the case that needed them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "runner/runner_internal.h"

/* The env of the first role of t on host h: the test's, as that host's roles see it. */
static const struct nr_kv *host_env(const struct nr_test *t, const struct nr_case_plan *cp,
				    const struct nr_host *h)
{
	size_t i;

	for (i = 0; i < t->n_roles; i++)
		if (cp->hosts[i] == h)
			return &t->roles[i].env;
	return NULL;
}

int nr__build_attempt(struct nr__session *s, size_t idx, struct nr__build *b,
		      struct nr__attempt *ret_at)
{
	struct nr_case_rec *c = &s->cases[idx];

	b->cp = s->plan.cases[idx];
	b->host = nr_campaign_host(s->c, b->role.host);
	b->cp.hosts = &b->host;
	*ret_at = (struct nr__attempt){
		.c = s->c, .hosts = &s->hosts,
		.ordinal = c->ordinal, .t = &b->t, .cp = &b->cp, .run_id = s->run->id,
		.repeat = -1, .number = c->attempts + 1, .cancel_fd = s->o->cancel_fd,
	};
	nr__runner_attempt(ret_at);
	if (ret_at->interrupted) {
		nr__runner_attempt_release(ret_at);
		return NR_EINTR;
	}
	c->attempts++;
	return 0;
}

/* One build command on one host as an attempt of case idx; true when it passed. */
static bool build_one(struct nr__session *s, size_t idx, const struct nr_test *t,
		      const struct nr_host *host, size_t k, char **ret_error, int *ret,
		      struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	struct nr__build b;
	struct nr__attempt at;
	bool passed;

	nr__build_init(&b, &t->builds[k], host_env(t, &s->plan.cases[idx], host), t->build_timeout_us, t->variant, host,
		       t);
	b.t.name = t->name; /* {test} in a build is the test's */
	if ((*ret = nr__build_attempt(s, idx, &b, &at)) < 0)
		return false;
	passed = at.outcome == NR_ATTEMPT_PASSED;
	if (!passed) {
		*ret_error = nr_xasprintf("the build of test %s on host %s failed at command %zu of %zu "
					  "(netrig log '%s' shows it): %s", t->name, host->name,
					  k + 1, t->n_builds, c->key, at.error.buf);
		free(c->error);
		c->error = nr_xstrdup(*ret_error);
	}
	*ret = nr__case_save_attempt(s, idx, &at, false, d);
	nr__runner_attempt_release(&at);
	return passed && *ret == 0;
}

bool nr__case_build_test(struct nr__session *s, size_t idx, int *ret, struct nr_diag *d)
{
	struct nr_case_rec *c = &s->cases[idx];
	const struct nr_case_plan *cp = &s->plan.cases[idx];
	const struct nr_test *t = nr_campaign_case_test(s->c, cp);
	size_t i, k;

	*ret = 0;
	if (!t->n_builds)
		return true;
	for (i = 0; i < t->n_roles; i++) {
		const struct nr_host *host = cp->hosts[i];
		size_t slot = cp->test * s->c->n_hosts + (size_t)(host - s->c->hosts);

		if (s->test_built[slot] > 0)
			continue;
		if (s->test_built[slot] < 0) {
			free(c->error);
			c->error = nr_xstrdup(s->test_build_errors[slot]);
			return false;
		}
		for (k = 0; k < t->n_builds; k++) {
			if (build_one(s, idx, t, host, k, &s->test_build_errors[slot], ret, d))
				continue;
			if (*ret == NR_EINTR)
				return false;
			s->test_built[slot] = -1;
			return false;
		}
		s->test_built[slot] = 1;
	}
	return true;
}
