/*
 * A/B variants in the runner: the order of the two halves of each pair
 * (ABBA), and a variant's build as an attempt. The scheduling itself
 * (run_pair) is in runner.c with the rest of the scheduler.
 */
#include <string.h>

#include "runner/runner_internal.h"

int nr__pair_next(int done_a, int done_b, int repeats)
{
	if (done_a >= repeats && done_b >= repeats)
		return -1;
	if (done_a != done_b)
		return done_a < done_b ? 0 : 1;
	/* pair done_a starts: A first in even pairs, B first in odd ones */
	return done_a % 2 == 0 ? 0 : 1;
}

void nr__build_init(struct nr__build *b, const struct nr_variant *v, const struct nr_host *host,
		    const struct nr_test *of)
{
	memset(b, 0, sizeof(*b));
	b->role.name = "build";
	b->role.host = host->name;
	b->role.argv = v->build;
	b->role.env = v->env;
	b->role.main = true;
	b->t.name = "build";
	b->t.roles = &b->role;
	b->t.n_roles = 1;
	b->t.repeat = 1;
	b->t.timeout_us = v->build_timeout_us;
	b->t.kill_grace_us = of->kill_grace_us;
	b->t.output_limit = of->output_limit;
	b->t.variant = v;
}
