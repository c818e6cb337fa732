/*
 * `variants:`: two sides of an A/B comparison measured in one run. Each
 * variant gives the templates of every test values ({variant.NAME}) and
 * environment, and may have a build command; every case runs once per
 * variant, and the runner interleaves the two (ABBA), so the comparison
 * of the variants is paired and the machine's drift cancels out.
 *
 *   variants:
 *     base: {values: {bin: ./old/netrig}, build: make -C old}
 *     cand: {values: {bin: ./new/netrig}, env: {MALLOC_ARENA_MAX: "2"}}
 *
 * Each test is copied once per variant (nr_campaign.variant_tests), the
 * copy's roles having the variant's env over their own, so the runner
 * runs a variant's case as it runs any case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "yaml/yaml.h"


static const char *const variant_keys[] = {
	"description", "values", "env", "build", "build_timeout",
};

static int load_values(struct loader *l, const struct nr_ynode *n, struct nr_variant *v)
{
	size_t i, j;
	int r;

	if (nr_ynode_is_null(n))
		return 0;
	if ((r = want_kind(l, n, NR_Y_MAP, "values")) < 0)
		return r;
	v->values = nr_xcalloc(n->n + 1, sizeof(*v->values));
	for (i = 0; i < n->n; i++) {
		const struct nr_ynode *key = n->keys[i], *x = n->items[i];
		struct nr_variant_value *val = &v->values[v->n_values++];

		val->name = nr_xstrdup(key->scalar);
		val->pos = nr__campaign_pos_of(key);
		if (!nr__campaign_valid_name(val->name, ""))
			return fail(l, key, "value name '%s' of variant '%s' may hold only letters, digits and '_'",
				    val->name, v->name);
		if (x->kind == NR_Y_SCALAR && !nr_ynode_is_null(x)) {
			nr_strvec_push(&val->words, x->scalar);
			continue;
		}
		if (x->kind != NR_Y_SEQ)
			return fail(l, x, "value '%s' of variant '%s' must be a single value or a list of words",
				    val->name, v->name);
		val->list = true;
		for (j = 0; j < x->n; j++) {
			if (x->items[j]->kind != NR_Y_SCALAR)
				return fail(l, x->items[j], "the words of value '%s' of variant '%s' must be single values",
					    val->name, v->name);
			nr_strvec_push(&val->words, x->items[j]->scalar);
		}
	}
	return 0;
}

static int load_variant(struct loader *l, const struct nr_ynode *key, const struct nr_ynode *n,
			struct nr_variant *v)
{
	const struct nr_ynode *x;
	int r;

	v->name = nr_xstrdup(key->scalar);
	v->pos = nr__campaign_pos_of(key);
	v->build_timeout_us = DEFAULT_BUILD_TIMEOUT_US;
	if (!nr__campaign_valid_name(v->name, "-."))
		return fail(l, key, "variant name '%s' may hold only letters, digits, '_', '-', '.'",
			    v->name);
	if (nr_ynode_is_null(n))
		return 0;
	{
		char where[300];

		snprintf(where, sizeof(where), "variant '%s'", v->name);
		if ((r = want_kind(l, n, NR_Y_MAP, v->name)) < 0 ||
		    (r = check_keys(l, n, variant_keys, NR_ARRAY_SIZE(variant_keys), where)) < 0)
			return r;
	}
	if ((x = nr_ynode_get(n, "values")) && (r = load_values(l, x, v)) < 0)
		return r;
	if ((r = nr__campaign_get_kv(l, n, "env", &v->env, true)) < 0)
		return r;
	if ((x = nr_ynode_get(n, "build")) && !nr_ynode_is_null(x) &&
	    (r = nr__campaign_get_argv(l, x, "build", &v->build)) < 0)
		return r;
	if ((r = get_duration(l, n, "build_timeout", 1, &v->build_timeout_us)) < 0)
		return r;
	if (r > 0 && !v->build.n)
		return fail(l, key_node(n, "build_timeout"), "'build_timeout' goes with 'build'");
	return 0;
}

int nr__campaign_load_variants(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n)
{
	size_t i;
	int r;

	if ((r = want_kind(l, n, NR_Y_MAP, "variants")) < 0)
		return r;
	/*
	 * Two: a baseline (the first) and a candidate. Each case's repeats
	 * pair one of each, and the comparison is of the pairs' ratios.
	 */
	if (n->n != NR_VARIANTS)
		return fail(l, n, "'variants' needs exactly %d variants, the baseline first, not %zu",
			    NR_VARIANTS, n->n);
	c->variants = nr_xcalloc(n->n, sizeof(*c->variants));
	for (i = 0; i < n->n; i++) {
		if ((r = load_variant(l, n->keys[i], n->items[i], &c->variants[c->n_variants++])) < 0)
			return r;
	}
	return 0;
}

/* Where variant v's `env` value `name` was written, for messages. */
static const struct nr_ynode *env_node(const struct nr_ynode *variants, const struct nr_variant *v,
				       const char *name)
{
	const struct nr_ynode *vn = nr_ynode_get(variants, v->name);
	const struct nr_ynode *env = vn ? nr_ynode_get(vn, "env") : NULL;

	return env ? nr__campaign_value_node(env, name) : variants;
}

int nr__campaign_variant_tests(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n)
{
	size_t v, i, j, k, bad = 0;
	struct nr_diag d2 = { 0 };

	if (!c->n_variants)
		return 0;
	/* a build runs once per variant and host, for no case in particular:
	 * its templates know the variant, never a case's parameters */
	for (v = 0; v < c->n_variants; v++) {
		const struct nr_variant *var = &c->variants[v];
		struct nr_test dummy = { .name = "build", .variant = var };

		if (var->build.n && nr_template_check_argv(&var->build, c, &dummy, &bad, &d2) < 0) {
			const struct nr_ynode *vn = nr_ynode_get(n, var->name);

			return fail(l, nr__campaign_value_node(vn, "build"), "%s in 'build' of variant '%s'",
				    d2.msg, var->name);
		}
	}
	c->variant_tests = nr_xcalloc(c->n_variants * c->n_tests + 1, sizeof(*c->variant_tests));
	for (v = 0; v < c->n_variants; v++) {
		const struct nr_variant *var = &c->variants[v];

		for (i = 0; i < c->n_tests; i++) {
			const struct nr_test *t = &c->tests[i];
			struct nr_test *vt = &c->variant_tests[v * c->n_tests + i];

			*vt = *t;
			vt->variant = var;
			vt->roles = nr_xcalloc(t->n_roles + 1, sizeof(*vt->roles));
			for (j = 0; j < t->n_roles; j++) {
				struct nr_role *role = &vt->roles[j];

				*role = t->roles[j];
				memset(&role->env, 0, sizeof(role->env));
				for (k = 0; k < t->roles[j].env.keys.n; k++)
					nr_kv_set(&role->env, t->roles[j].env.keys.v[k],
						  t->roles[j].env.vals.v[k]);
				/* the variant's env over the test's: it is what differs */
				for (k = 0; k < var->env.keys.n; k++)
					nr_kv_set(&role->env, var->env.keys.v[k], var->env.vals.v[k]);
			}
			for (k = 0; k < var->env.keys.n; k++) {
				if (nr_template_check(var->env.vals.v[k], c, t, &d2) < 0)
					return fail(l, env_node(n, var, var->env.keys.v[k]),
						    "%s in 'env' %s of variant '%s' (test '%s')", d2.msg,
						    var->env.keys.v[k], var->name, t->name);
			}
		}
	}
	return 0;
}

void nr__campaign_variants_free(struct nr_campaign *c)
{
	size_t v, i, j;

	for (v = 0; c->variant_tests && v < c->n_variants; v++)
		for (i = 0; i < c->n_tests; i++) {
			struct nr_test *vt = &c->variant_tests[v * c->n_tests + i];

			for (j = 0; vt->roles && j < vt->n_roles; j++)
				nr_kv_clear(&vt->roles[j].env);
			free(vt->roles);
		}
	free(c->variant_tests);
	for (v = 0; v < c->n_variants; v++) {
		struct nr_variant *var = &c->variants[v];

		for (i = 0; i < var->n_values; i++) {
			free(var->values[i].name);
			nr_strvec_clear(&var->values[i].words);
		}
		free(var->values);
		nr_kv_clear(&var->env);
		nr_strvec_clear(&var->build);
		free(var->name);
	}
	free(c->variants);
}

const struct nr_variant *nr_campaign_variant(const struct nr_campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_variants; i++)
		if (!strcmp(c->variants[i].name, name))
			return &c->variants[i];
	return NULL;
}

const struct nr_test *nr_campaign_case_test(const struct nr_campaign *c,
					    const struct nr_case_plan *cp)
{
	if (cp->instances)
		return cp->instances;
	if (cp->variant >= 0 && c->variant_tests)
		return &c->variant_tests[(size_t)cp->variant * c->n_tests + cp->test];
	return &c->tests[cp->test];
}
