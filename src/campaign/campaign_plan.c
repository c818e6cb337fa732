/*
 * The plan: each test's matrix expanded into cases. `generate: all` is the
 * full product, first parameter slowest (nested loops in the order
 * written). `generate: random` draws `count` distinct combinations with
 * Floyd's algorithm, so it never builds the product and never repeats.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/rand.h"
#include "campaign/campaign.h"

uint64_t nr_plan_matrix_size(const struct nr_test *t)
{
	uint64_t size = 1;
	size_t i;

	for (i = 0; i < t->n_params; i++) {
		uint64_t k = t->params[i].values.n;

		if (k && size > UINT64_MAX / k)
			return UINT64_MAX;
		size *= k;
	}
	return size;
}

/* Mixed-radix digits of `index`, the last parameter varying fastest. */
static void decode(const struct nr_test *t, uint64_t index, size_t *value_idx)
{
	size_t i = t->n_params;

	while (i-- > 0) {
		uint64_t k = t->params[i].values.n;

		value_idx[i] = (size_t)(index % k);
		index /= k;
	}
}

/*
 * Keys must not be ambiguous: the characters that structure them are
 * escaped, and so is whatever could act on a terminal (the one escaping
 * every output of text from outside uses).
 */
static void add_escaped(struct nr_buf *b, const char *s)
{
	nr_str_escape(b, s, strlen(s), "%,=", 0);
}

static int cmp_param_name(const void *a, const void *b)
{
	const struct nr_param *const *pa = a, *const *pb = b;

	return strcmp((*pa)->name, (*pb)->name);
}

/*
 * The variant comes first, before the parameters sorted by name: the key
 * of a campaign without variants stays what it was, and the variant's
 * part is found (and taken out, nr_case_key_split) without parsing the
 * rest. A matrix parameter may not be called `variant` in a campaign with
 * variants, so "variant=" right after the '/' is always the variant.
 */
#define VARIANT_PREFIX "variant="

char *nr_case_key(const struct nr_test *t, const size_t *value_idx, const char *variant)
{
	struct nr_buf b = NR_BUF_INIT;
	const struct nr_param **sorted;
	size_t i;

	nr_buf_adds(&b, t->name);
	if (variant) {
		nr_buf_adds(&b, "/" VARIANT_PREFIX);
		add_escaped(&b, variant);
	}
	if (!t->n_params)
		return nr_buf_detach(&b, NULL);
	sorted = nr_xcalloc(t->n_params, sizeof(*sorted));
	for (i = 0; i < t->n_params; i++)
		sorted[i] = &t->params[i];
	qsort(sorted, t->n_params, sizeof(*sorted), cmp_param_name);
	nr_buf_addch(&b, variant ? ',' : '/');
	for (i = 0; i < t->n_params; i++) {
		size_t idx = (size_t)(sorted[i] - t->params);

		if (i)
			nr_buf_addch(&b, ',');
		nr_buf_adds(&b, sorted[i]->name);
		nr_buf_addch(&b, '=');
		add_escaped(&b, sorted[i]->values.v[value_idx[idx]]);
	}
	free(sorted);
	return nr_buf_detach(&b, NULL);
}

bool nr_case_key_split(const char *key, char **ret_pair_key, char **ret_variant)
{
	const char *slash = strchr(key, '/'), *v, *end;
	struct nr_buf pair = NR_BUF_INIT;

	/* test names hold no '/'; escaped values no ',' */
	if (!slash || strncmp(slash + 1, VARIANT_PREFIX, strlen(VARIANT_PREFIX)))
		return false;
	v = slash + 1 + strlen(VARIANT_PREFIX);
	end = v + strcspn(v, ",");
	nr_buf_add(&pair, key, (size_t)(slash - key));
	if (*end)
		nr_buf_addf(&pair, "/%s", end + 1);
	*ret_pair_key = nr_buf_detach(&pair, NULL);
	/* variant names are letters, digits, _ - . : never escaped */
	*ret_variant = nr_xstrndup(v, (size_t)(end - v));
	return true;
}

char *nr_case_params_json(const struct nr_test *t, const size_t *value_idx, const char *variant)
{
	json_t *o = json_object();
	char *s;
	size_t i;

	if (variant)
		json_object_set_new(o, "variant", json_string(variant));
	for (i = 0; i < t->n_params; i++)
		json_object_set_new(o, t->params[i].name,
				    json_string(t->params[i].values.v[value_idx[i]]));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s ? s : nr_xstrdup("{}");
}

/*
 * One combination of the matrix: a case, or with variants one case per
 * variant, next to each other, the baseline first (the runner pairs them).
 * Takes idx (value indexes, n_params entries, malloc'ed).
 */
static void add_cases(struct nr_plan *p, size_t *cap, const struct nr_campaign *c,
		      size_t test_idx, const struct nr_test *t, size_t *idx)
{
	size_t v, nv = c->n_variants ? c->n_variants : 1;

	for (v = 0; v < nv; v++) {
		struct nr_case_plan *cp;
		const char *variant = c->n_variants ? c->variants[v].name : NULL;

		NR_GROW(p->cases, p->n + 1, *cap);
		cp = &p->cases[p->n++];
		cp->test = test_idx;
		cp->hosts = NULL; /* resolve_hosts() fills it once the test's cases are known */
		cp->instances = NULL;
		cp->variant = c->n_variants ? (int)v : -1;
		if (v == 0) {
			cp->value_idx = idx;
		} else {
			cp->value_idx = nr_xcalloc(t->n_params + 1, sizeof(size_t));
			memcpy(cp->value_idx, idx, t->n_params * sizeof(size_t));
		}
		cp->key = nr_case_key(t, cp->value_idx, variant);
	}
}

static void add_case(struct nr_plan *p, size_t *cap, const struct nr_campaign *c, size_t test_idx,
		     const struct nr_test *t, uint64_t index)
{
	size_t *idx = nr_xcalloc(t->n_params + 1, sizeof(size_t));

	decode(t, index, idx);
	add_cases(p, cap, c, test_idx, t, idx);
}

/* A small open-addressing set of uint64 for Floyd's algorithm. */
struct u64set {
	uint64_t *slots;
	unsigned char *used;
	size_t cap;
};

static bool u64set_add(struct u64set *s, uint64_t v)
{
	size_t i = (size_t)((v * 0x9e3779b97f4a7c15ULL) >> 7) & (s->cap - 1);

	while (s->used[i]) {
		if (s->slots[i] == v)
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->used[i] = 1;
	s->slots[i] = v;
	return true;
}

/*
 * A random case of a matrix whose product does not fit in a uint64 (it
 * cannot be one index for Floyd's algorithm: the first parameters would
 * never leave their first values). Each parameter is drawn on its own; a
 * combination whose hash was drawn before is drawn again, so the cases
 * stay distinct (a rare hash collision only costs a redraw).
 */
static void add_random_wide(struct nr_plan *p, size_t *cap, const struct nr_campaign *c,
			    size_t test_idx, const struct nr_test *t, struct nr_rng *rng,
			    struct u64set *set)
{
	size_t *idx = nr_xcalloc(t->n_params + 1, sizeof(size_t));
	uint64_t h;
	size_t i;

	do {
		h = 0xcbf29ce484222325ULL; /* FNV-1a over the indices */
		for (i = 0; i < t->n_params; i++) {
			idx[i] = (size_t)nr_rng_below(rng, t->params[i].values.n);
			h = (h ^ (uint64_t)idx[i]) * 0x100000001b3ULL;
		}
	} while (!u64set_add(set, h));
	add_cases(p, cap, c, test_idx, t, idx);
}

/* "12000000", or "about 1.0e30" for a product past what a uint64 holds. */
static const char *magnitude(const struct nr_test *t, char *buf, size_t size)
{
	uint64_t n = nr_plan_matrix_size(t);
	double lg = 0;
	size_t i;
	int e;

	if (n != UINT64_MAX) {
		snprintf(buf, size, "%llu", (unsigned long long)n);
		return buf;
	}
	for (i = 0; i < t->n_params; i++)
		lg += log10((double)t->params[i].values.n);
	e = (int)floor(lg);
	if (pow(10, lg - e) >= 9.95) /* 9.96e30 is written 1.0e31 */
		e++;
	snprintf(buf, size, "about %.1fe%d", pow(10, lg - e), e);
	return buf;
}

/*
 * A ready.port that is a template is known once a case's values are: each
 * case's must be a port. {port} itself is always one (1 stands in for it).
 */
static int check_ports(const struct nr_campaign *c, const struct nr_test *t,
		       const struct nr_plan *p, size_t first, struct nr_diag *d)
{
	size_t i, k;

	for (k = 0; k < t->n_roles; k++) {
		const struct nr_role *role = &t->roles[k];

		if (role->ready.kind != NR_READY_PORT || !strcmp(role->ready.port, "{port}"))
			continue;
		for (i = first; i < p->n; i++) {
			struct nr_tmpl_ctx ctx = {
				.campaign = c, .test = nr_campaign_case_test(c, &p->cases[i]),
				.value_idx = p->cases[i].value_idx,
				.attempt = 1, .port = 1, .case_key = p->cases[i].key,
			};
			char *s = NULL;
			int64_t port;
			int bad = nr_template_expand(role->ready.port, &ctx, &s, NULL) < 0 ||
				  nr_parse_i64(s, 1, 65535, &port) < 0;

			if (bad) {
				char *shown = nr_str_escaped(s ? s : role->ready.port);

				nr_diag_set(d, NR_ECONFIG,
					    "%s:%d:%d: 'ready.port' of role '%s' is '%s' in case %s, not a TCP port from 1 to 65535",
					    c->path, role->ready.port_pos.line, role->ready.port_pos.column,
					    role->name, shown, p->cases[i].key);
				free(shown);
				free(s);
				return NR_ECONFIG;
			}
			free(s);
		}
	}
	return 0;
}

static void case_release(struct nr_case_plan *cp)
{
	size_t k;

	free(cp->value_idx);
	free(cp->key);
	free(cp->hosts);
	for (k = 0; cp->instances && k < cp->instances->n_roles; k++)
		if (cp->instances->roles[k].instance)
			free(cp->instances->roles[k].name);
	if (cp->instances)
		free(cp->instances->roles);
	free(cp->instances);
}

/*
 * The instances of the counted roles of a case (`count`, `hosts`): a copy
 * of its test whose roles are the roles as written, each counted one
 * replaced by NAME#1 .. NAME#N in place, round-robin over its hosts.
 * NR_ECONFIG at the count's file:line:column when a case's count is not a
 * number from 1 to NR_ROLE_MAX_COUNT.
 */
static int expand_instances(const struct nr_campaign *c, struct nr_case_plan *cp, struct nr_diag *d)
{
	const struct nr_test *t = nr_campaign_case_test(c, cp);
	struct nr_test *x;
	size_t k, n = 0, cap = 0;
	bool counted = false;

	for (k = 0; k < t->n_roles; k++)
		counted = counted || t->roles[k].count || t->roles[k].hosts.n;
	if (!counted)
		return 0;
	x = nr_xcalloc(1, sizeof(*x));
	*x = *t;
	x->roles = NULL;
	x->n_roles = 0;
	cp->instances = x; /* released with the case from here on */
	for (k = 0; k < t->n_roles; k++) {
		const struct nr_role *role = &t->roles[k];
		int64_t count = 1, i;

		if (role->count) {
			struct nr_tmpl_ctx ctx = { .campaign = c, .test = t, .value_idx = cp->value_idx,
						   .attempt = 1, .case_key = cp->key };
			char *s = NULL;
			int bad = nr_template_expand(role->count, &ctx, &s, NULL) < 0 ||
				  nr_parse_i64(s, 1, NR_ROLE_MAX_COUNT, &count) < 0;

			if (bad) {
				char *shown = nr_str_escaped(s ? s : role->count);

				nr_diag_set(d, NR_ECONFIG,
					    "%s:%d:%d: 'count' of role '%s' is '%s' in case %s, not a number from 1 to %d",
					    c->path, role->count_pos.line, role->count_pos.column, role->name,
					    shown, cp->key, NR_ROLE_MAX_COUNT);
				free(shown);
				free(s);
				return NR_ECONFIG;
			}
			free(s);
		}
		for (i = 1; i <= count; i++) {
			struct nr_role *inst;

			NR_GROW(x->roles, n + 1, cap);
			inst = &x->roles[n++];
			*inst = *role;
			if (!role->count && !role->hosts.n)
				break; /* a role as written */
			inst->name = nr_xasprintf("%s#%lld", role->name, (long long)i);
			inst->instance = (int)i;
			if (role->hosts.n)
				inst->host = role->hosts.v[(size_t)(i - 1) % role->hosts.n];
		}
		x->n_roles = n; /* what case_release frees, should a later role fail */
	}
	return 0;
}

/*
 * Where each role of each case p->cases[first..] of test t runs: its host,
 * or its host template expanded with the case's values, which must name a
 * host of the campaign (NR_ECONFIG at the template's file:line:column).
 */
static int resolve_hosts(const struct nr_campaign *c, struct nr_plan *p, size_t first,
			 struct nr_diag *d)
{
	size_t i, k;

	for (i = first; i < p->n; i++) {
		struct nr_case_plan *cp = &p->cases[i];
		const struct nr_test *t = nr_campaign_case_test(c, cp);

		cp->hosts = nr_xcalloc(t->n_roles + 1, sizeof(*cp->hosts));
		for (k = 0; k < t->n_roles; k++) {
			const struct nr_role *role = &t->roles[k];
			struct nr_tmpl_ctx ctx = {
				.campaign = c, .test = nr_campaign_case_test(c, cp),
				.value_idx = cp->value_idx, .attempt = 1, .case_key = cp->key,
			};
			char *name = NULL;

			if (!strchr(role->host, '{')) {
				cp->hosts[k] = nr_campaign_host(c, role->host);
				continue;
			}
			if (nr_template_expand(role->host, &ctx, &name, NULL) == 0)
				cp->hosts[k] = nr_campaign_host(c, name);
			if (!cp->hosts[k]) {
				char *shown = nr_str_escaped(name ? name : role->host);

				nr_diag_set(d, NR_ECONFIG,
					    "%s:%d:%d: host '%s' of role '%s' is '%s' in case %s: no such host"
					    " under 'hosts:'%s",
					    c->path, role->host_pos.line, role->host_pos.column, role->host,
					    role->name, shown, cp->key, c->lab ? " or in the lab" : "");
				free(shown);
				free(name);
				return NR_ECONFIG;
			}
			free(name);
		}
	}
	return 0;
}

/*
 * Keep only the cases p->cases[first..] that sel chooses by their keys
 * (patterns over keys; with variants, over the key both variants share),
 * marking in hit[] each pattern that matched one of them.
 */
static void choose_cases(struct nr_plan *p, size_t first, const struct nr_test *t,
			 const struct nr_select *sel, bool *hit)
{
	size_t i, k, kept = first;

	for (i = first; i < p->n; i++) {
		struct nr_case_plan *cp = &p->cases[i];
		char *pair = NULL, *variant = NULL;
		const char *key = cp->key;

		if (nr_case_key_split(cp->key, &pair, &variant))
			key = pair;
		for (k = 0; k < sel->tests.n; k++)
			if (strchr(sel->tests.v[k], '/') &&
			    nr_select_pattern_match(sel->tests.v[k], t->name, key))
				hit[k] = true;
		if (nr_select_case(sel, t->name, key)) {
			p->cases[kept++] = *cp;
		} else {
			case_release(cp);
		}
		free(pair);
		free(variant);
	}
	p->n = kept;
}

/*
 * Every --test pattern matched something; the cases before --from left
 * out; and something is left.
 */
static int check_chosen(const struct nr_campaign *c, const struct nr_select *sel,
			struct nr_plan *p, bool *hit, struct nr_diag *d)
{
	size_t i, ti;

	for (i = 0; i < sel->tests.n; i++) {
		const char *pat = sel->tests.v[i];

		for (ti = 0; ti < c->n_tests && !hit[i] && !strchr(pat, '/'); ti++)
			hit[i] = nr_select_pattern_match(pat, c->tests[ti].name, NULL);
		if (!hit[i])
			return nr_diag_set(d, NR_ECONFIG, "%s: --test '%s' matches no %s", c->path, pat,
					   strchr(pat, '/') ? "case key" : "test name");
	}
	if (sel->from) {
		for (i = 0; i < p->n; i++)
			if (!strcmp(p->cases[i].key, sel->from) ||
			    !strcmp(c->tests[p->cases[i].test].name, sel->from))
				break;
		if (i == p->n)
			return nr_diag_set(d, NR_ECONFIG, "%s: --from '%s' is no test or case key chosen",
					   c->path, sel->from);
		/* with variants, a pair starts with its first variant: i is that one */
		for (ti = 0; ti < i; ti++)
			case_release(&p->cases[ti]);
		memmove(p->cases, p->cases + i, (p->n - i) * sizeof(*p->cases));
		p->n -= i;
	}
	if (!p->n)
		return nr_diag_set(d, NR_ECONFIG, "%s: the --test and --from given leave no case to run",
				   c->path);
	return 0;
}

int nr_plan_build(const struct nr_campaign *c, const struct nr_select *sel,
		  struct nr_plan *ret, struct nr_diag *d)
{
	struct nr_plan p = { 0 };
	bool *hit = nr_xcalloc(sel ? sel->tests.n + 1 : 1, sizeof(*hit));
	size_t cap = 0, ti;
	int r;

	for (ti = 0; ti < c->n_tests; ti++) {
		const struct nr_test *t = &c->tests[ti];
		uint64_t size = nr_plan_matrix_size(t), i;
		size_t first = p.n; /* this test's cases are p.cases[first..] */

		if (!nr_select_test(sel, t->name))
			continue;
		if (t->generate == NR_GENERATE_ALL) {
			if (size > NR_PLAN_MAX_CASES) {
				char mag[64];

				r = nr_diag_set(d, NR_ECONFIG,
						   "%s:%d:%d: the matrix of test '%s' has %s combinations, more than %d: use 'generate: random' with a 'count'",
						   c->path, t->matrix_pos.line, t->matrix_pos.column, t->name,
						   magnitude(t, mag, sizeof(mag)), NR_PLAN_MAX_CASES);
				goto fail;
			}
			for (i = 0; i < size; i++)
				add_case(&p, &cap, c, ti, t, i);
		} else {
			struct nr_rng rng;
			struct u64set set = { 0 };
			uint64_t j;

			if (t->count > size) {
				r = nr_diag_set(d, NR_ECONFIG,
						   "%s:%d:%d: test '%s' asks for count %llu random combinations, but its matrix has only %llu",
						   c->path, t->count_pos.line, t->count_pos.column, t->name,
						   (unsigned long long)t->count, (unsigned long long)size);
				goto fail;
			}
			nr_rng_seed(&rng, t->seed);
			set.cap = 16;
			while (set.cap < t->count * 2)
				set.cap *= 2;
			set.slots = nr_xcalloc(set.cap, sizeof(*set.slots));
			set.used = nr_xcalloc(set.cap, 1);
			/* nr_plan_matrix_size() saturates: the product is larger than this */
			for (j = 0; size == UINT64_MAX && j < t->count; j++)
				add_random_wide(&p, &cap, c, ti, t, &rng, &set);
			/* Floyd: for j in [size-count, size), pick r in [0, j]; take r, or j if r was taken */
			for (j = size - t->count; size != UINT64_MAX && j < size; j++) {
				uint64_t pick = nr_rng_below(&rng, j + 1);

				if (!u64set_add(&set, pick)) {
					u64set_add(&set, j);
					pick = j;
				}
				add_case(&p, &cap, c, ti, t, pick);
			}
			free(set.slots);
			free(set.used);
		}
		if (sel)
			choose_cases(&p, first, t, sel, hit);
		for (i = first; i < p.n; i++)
			if (expand_instances(c, &p.cases[i], d) < 0) {
				r = NR_ECONFIG;
				goto fail;
			}
		if (check_ports(c, t, &p, first, d) < 0 || resolve_hosts(c, &p, first, d) < 0) {
			r = NR_ECONFIG;
			goto fail;
		}
	}
	if (!nr_select_empty(sel) && (r = check_chosen(c, sel, &p, hit, d)) < 0)
		goto fail;
	free(hit);
	*ret = p;
	return 0;
fail:
	free(hit);
	nr_plan_release(&p);
	return r;
}

void nr_plan_release(struct nr_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		case_release(&p->cases[i]);
	free(p->cases);
	p->cases = NULL;
	p->n = 0;
}
