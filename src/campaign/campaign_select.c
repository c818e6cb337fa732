/*
 * Choosing cases from the command line, the way secnetperf's -filter does
 * (microsoft/msquic, scripts/secnetperf.ps1: "-Filter" takes patterns
 * with '*' and '?', several of them, a leading '-' excluding): --test
 * patterns over test names or case keys, and --set PARAM=VALUE narrowing
 * (or overriding) a matrix parameter. Stored with a run as JSON so a
 * resume plans what the run planned.
 */
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"

void nr_select_clear(struct nr_select *s)
{
	nr_strvec_clear(&s->tests);
	nr_strvec_clear(&s->set_params);
	nr_strvec_clear(&s->set_values);
	free(s->from);
	s->from = NULL;
}

bool nr_select_empty(const struct nr_select *s)
{
	return !s || (!s->tests.n && !s->set_params.n && !s->from);
}

int nr_select_add_set(struct nr_select *s, const char *arg, struct nr_diag *d)
{
	const char *eq = strchr(arg, '=');
	char *param;

	if (!eq || eq == arg)
		return nr_diagf(d, NR_EINVAL, "--set wants PARAM=VALUE, not '%s'", arg);
	param = nr_xstrndup(arg, (size_t)(eq - arg));
	nr_strvec_push_owned(&s->set_params, param);
	nr_strvec_push(&s->set_values, eq + 1);
	return 0;
}

bool nr_select_pattern_match(const char *pattern, const char *test, const char *key)
{
	if (pattern[0] == '-')
		pattern++;
	/* a pattern with a '/' is over whole case keys, else over test names */
	if (strchr(pattern, '/'))
		return key && fnmatch(pattern, key, 0) == 0;
	return fnmatch(pattern, test, 0) == 0;
}

/*
 * Whether a case (key NULL: any case of the test, where only patterns over
 * test names can decide) is chosen: by one of the including patterns, or
 * by none when there are none, and by no excluding one.
 */
static bool chosen(const struct nr_select *s, const char *test, const char *key)
{
	bool has_include = false, in = false;
	size_t i;

	for (i = 0; s && i < s->tests.n; i++) {
		const char *p = s->tests.v[i];
		bool over_keys = strchr(p, '/') != NULL;

		if (p[0] == '-') {
			if ((!over_keys || key) && nr_select_pattern_match(p, test, key))
				return false;
			continue;
		}
		has_include = true;
		/* a key pattern may choose some case of any test until the keys are known */
		if (over_keys && !key)
			in = true;
		else if (nr_select_pattern_match(p, test, key))
			in = true;
	}
	return !has_include || in;
}

bool nr_select_test(const struct nr_select *s, const char *test)
{
	return chosen(s, test, NULL);
}

bool nr_select_case(const struct nr_select *s, const char *test, const char *key)
{
	return chosen(s, test, key);
}

/* The values --set gives `param`, in the order given, each once. */
static void set_values_of(const struct nr_select *s, const char *param, struct nr_strvec *ret)
{
	size_t i, j;

	for (i = 0; i < s->set_params.n; i++) {
		if (strcmp(s->set_params.v[i], param))
			continue;
		for (j = 0; j < ret->n; j++)
			if (!strcmp(ret->v[j], s->set_values.v[i]))
				break;
		if (j == ret->n)
			nr_strvec_push(ret, s->set_values.v[i]);
	}
}

int nr_campaign_apply_set(struct nr_campaign *c, const struct nr_select *s, struct nr_diag *d)
{
	size_t i, k, ti;

	if (!s)
		return 0;
	/* every PARAM is a parameter of a test the patterns choose */
	for (i = 0; i < s->set_params.n; i++) {
		bool known = false;

		for (ti = 0; ti < c->n_tests && !known; ti++)
			for (k = 0; k < c->tests[ti].n_params && !known; k++)
				known = nr_select_test(s, c->tests[ti].name) &&
					!strcmp(c->tests[ti].params[k].name, s->set_params.v[i]);
		if (!known)
			return nr_diagf(d, NR_ECONFIG, "%s: --set %s=%s: no test chosen has a matrix "
						       "parameter '%s'",
					c->path, s->set_params.v[i], s->set_values.v[i], s->set_params.v[i]);
	}
	for (ti = 0; ti < c->n_tests; ti++) {
		struct nr_test *t = &c->tests[ti];
		bool changed = false;

		for (k = 0; k < t->n_params; k++) {
			struct nr_strvec vals = NR_STRVEC_INIT;

			set_values_of(s, t->params[k].name, &vals);
			if (!vals.n)
				continue;
			/* the values given, known or not: the variants' copies share this array */
			nr_strvec_clear(&t->params[k].values);
			t->params[k].values = vals;
			changed = true;
		}
		if (changed && t->generate == NR_GENERATE_RANDOM) {
			/* a narrowed matrix may hold fewer combinations than `count` draws */
			uint64_t size = nr_plan_matrix_size(t);

			if (t->count > size)
				t->count = size;
			for (k = 0; k < c->n_variants && c->variant_tests; k++)
				c->variant_tests[k * c->n_tests + ti].count = t->count;
		}
	}
	return 0;
}

int nr_select_from_job(const char *tests, const char *sets, struct nr_select *ret,
		       struct nr_diag *d)
{
	json_t *t = json_loads(tests && *tests ? tests : "[]", 0, NULL);
	json_t *o = json_loads(sets && *sets ? sets : "{}", 0, NULL);
	const char *k;
	json_t *v;
	size_t i;
	int r = 0;

	if (!json_is_array(t) || !json_is_object(o)) {
		r = nr_diagf(d, NR_EINVAL, "the job's tests or overrides are not the JSON they should be");
		goto out;
	}
	json_array_foreach(t, i, v) {
		if (!json_is_string(v)) {
			r = nr_diagf(d, NR_EINVAL, "the job's --test patterns are not all strings");
			goto out;
		}
		nr_strvec_push(&ret->tests, json_string_value(v));
	}
	/* --set as `netrig run --set` takes it: K=V narrows or replaces K's values */
	json_object_foreach(o, k, v) {
		char *arg;

		if (!json_is_string(v)) {
			r = nr_diagf(d, NR_EINVAL, "the job's --set %s is not a string", k);
			goto out;
		}
		arg = nr_xasprintf("%s=%s", k, json_string_value(v));
		r = nr_select_add_set(ret, arg, d);
		free(arg);
		if (r < 0)
			goto out;
	}
out:
	json_decref(t);
	json_decref(o);
	return r;
}

int nr_select_check(struct nr_campaign *c, const struct nr_select *s, struct nr_diag *d)
{
	struct nr_plan plan = { 0 };
	int r;

	if ((r = nr_campaign_apply_set(c, s, d)) < 0)
		return r;
	r = nr_plan_build(c, s, &plan, d);
	nr_plan_release(&plan);
	return r;
}

char *nr_select_to_json(const struct nr_select *s)
{
	json_t *o, *tests, *set;
	char *text;
	size_t i;

	if (nr_select_empty(s))
		return NULL;
	o = json_object();
	tests = json_array();
	set = json_array();
	for (i = 0; i < s->tests.n; i++)
		json_array_append_new(tests, json_string(s->tests.v[i]));
	for (i = 0; i < s->set_params.n; i++)
		json_array_append_new(set, json_pack("[ss]", s->set_params.v[i], s->set_values.v[i]));
	json_object_set_new(o, "test", tests);
	json_object_set_new(o, "set", set);
	if (s->from)
		json_object_set_new(o, "from", json_string(s->from));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

int nr_select_from_json(const char *text, struct nr_select *ret, struct nr_diag *d)
{
	struct nr_select s = { 0 };
	json_t *o, *tests, *set, *v;
	size_t i;
	int r = 0;

	if (!text || !*text)
		return 0;
	o = json_loads(text, 0, NULL);
	if (!o || !json_is_object(o)) {
		r = nr_diagf(d, NR_EPARSE, "the run's stored options are not a JSON object");
		goto out;
	}
	tests = json_object_get(o, "test");
	v = json_object_get(o, "from");
	if (v && !json_is_string(v)) {
		r = nr_diagf(d, NR_EPARSE, "the run's stored --from is not a string");
		goto out;
	}
	if (v)
		s.from = nr_xstrdup(json_string_value(v));
	set = json_object_get(o, "set");
	json_array_foreach(tests, i, v) {
		if (!json_is_string(v)) {
			r = nr_diagf(d, NR_EPARSE, "the run's stored --test patterns are not strings");
			goto out;
		}
		nr_strvec_push(&s.tests, json_string_value(v));
	}
	json_array_foreach(set, i, v) {
		json_t *p = json_array_get(v, 0), *val = json_array_get(v, 1);

		if (!json_is_string(p) || !json_is_string(val)) {
			r = nr_diagf(d, NR_EPARSE, "the run's stored --set values are not [PARAM, VALUE]");
			goto out;
		}
		nr_strvec_push(&s.set_params, json_string_value(p));
		nr_strvec_push(&s.set_values, json_string_value(val));
	}
	*ret = s;
	s = (struct nr_select){ 0 };
out:
	nr_select_clear(&s);
	json_decref(o);
	return r;
}
