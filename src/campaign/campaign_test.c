/*
 * A test of a campaign: its keys (with what `defaults:` gives), roles,
 * readiness, matrix, parsers, uploads and collected files, and the check
 * that every template refers to something that exists.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "yaml/yaml.h"

/* ---- parse ---- */

const char *nr__campaign_source_key(const struct nr_parser *p)
{
	if (!strcmp(p->name, "json"))
		return "pointer";
	if (!strcmp(p->name, "regex"))
		return "regex";
	if (!strcmp(p->name, "keyvalue"))
		return "key";
	return NULL;
}

static int load_metric(struct loader *l, const struct nr_parser *p,
		       const struct nr_ynode *key, const struct nr_ynode *n,
		       struct nr_metric_decl *m)
{
	const char *src = nr__campaign_source_key(p);
	const char *allowed[5] = { "unit", "better", "optional", src };
	char *better = NULL;
	int r;

	m->name = nr_xstrdup(key->scalar);
	if (!nr__campaign_valid_name(m->name, ".-"))
		return fail(l, key, "metric name '%s' may hold only letters, digits, '_', '-', '.'",
			    m->name);
	if (nr_ynode_is_null(n))
		goto check;
	if (n->kind == NR_Y_SCALAR && src) {
		/* shorthand: "name: /json/pointer" */
		m->source = nr_xstrdup(n->scalar);
		goto check;
	}
	if ((r = want_kind(l, n, NR_Y_MAP, m->name)) < 0 ||
	    (r = check_keys(l, n, allowed, src ? 4 : 3, "a metric")) < 0 ||
	    (src && (r = get_str(l, n, src, &m->source)) < 0) ||
	    (r = get_str(l, n, "unit", &m->unit)) < 0 ||
	    (r = get_str(l, n, "better", &better)) < 0 ||
	    (r = get_bool(l, n, "optional", &m->optional)) < 0)
		goto out;
	if (better && nr_better_parse(better, &m->better) < 0) {
		r = fail(l, nr__campaign_value_node(n, "better"), "'better' must be higher, lower or none, not '%s'",
			 better);
		goto out;
	}
	if (m->unit) {
		double f;
		const char *canon;

		if (nr_unit_canonical(m->unit, &f, &canon) < 0) {
			r = fail(l, nr__campaign_value_node(n, "unit"), "unknown unit '%s' for metric '%s'",
				 m->unit, m->name);
			goto out;
		}
	}
check:
	if (p->needs_sources && !m->source && strcmp(p->name, "keyvalue") != 0) {
		r = fail(l, key, "metric '%s' needs '%s' for parse format %s", m->name, src,
			 p->name);
		goto out;
	}
	if (!strcmp(p->name, "json") && m->source && m->source[0] && m->source[0] != '/') {
		r = fail(l, key, "'pointer' of metric '%s' must start with '/' (a JSON pointer)",
			 m->name);
		goto out;
	}
	if (!strcmp(p->name, "regex") && m->source) {
		/* parse_regex compiles it the same way, but only after the case ran */
		regex_t re;

		if (regcomp(&re, m->source, REG_EXTENDED | REG_NEWLINE) != 0) {
			r = fail(l, key, "'regex' of metric '%s' is not a valid regular expression",
				 m->name);
			goto out;
		}
		regfree(&re);
	}
	r = 0;
out:
	free(better);
	return r;
}

static int load_parse(struct loader *l, const struct nr_ynode *n, struct nr_parse_spec *spec)
{
	static const char *const keys[] = { "format", "stream", "metrics" };
	const struct nr_ynode *fmt = n, *metrics;
	size_t i;
	int r;

	if (n->kind == NR_Y_MAP) {
		if ((r = check_keys(l, n, keys, NR_ARRAY_SIZE(keys), "'parse'")) < 0)
			return r;
		fmt = nr_ynode_get(n, "format");
		if (!fmt)
			return fail(l, n, "'parse' needs a 'format' (a parser name)");
	}
	if ((r = want_kind(l, fmt, NR_Y_SCALAR, "format")) < 0)
		return r;
	spec->parser = nr_parser_find(fmt->scalar);
	if (!spec->parser) {
		const char *names[64];
		const char *guess;
		size_t k;

		for (k = 0; nr_parsers[k] && k < NR_ARRAY_SIZE(names); k++)
			names[k] = nr_parsers[k]->name;
		guess = nr_did_you_mean(fmt->scalar, names, k);
		if (guess)
			return fail(l, fmt, "unknown parser '%s' (did you mean '%s'?)",
				    fmt->scalar, guess);
		{
			struct nr_buf all = NR_BUF_INIT;
			int r2;

			for (k = 0; nr_parsers[k]; k++)
				nr_buf_addf(&all, "%s%s", k ? ", " : "", nr_parsers[k]->name);
			r2 = fail(l, fmt, "unknown parser '%s' (the parsers: %s)", fmt->scalar, all.buf);
			nr_buf_release(&all);
			return r2;
		}
	}
	spec->stream = NR_STREAM_STDOUT;
	if (n->kind != NR_Y_MAP)
		goto check;
	{
		char *stream = NULL;

		if ((r = get_str(l, n, "stream", &stream)) < 0)
			return r;
		if (stream && nr_stream_parse(stream, &spec->stream) < 0)
			r = fail(l, nr__campaign_value_node(n, "stream"),
				 "'stream' must be stdout, stderr or both, not '%s'", stream);
		free(stream);
		if (r < 0)
			return r;
	}
	metrics = nr_ynode_get(n, "metrics");
	if (metrics && metrics->kind == NR_Y_SEQ && !nr__campaign_source_key(spec->parser)) {
		/* a tool parser: the list of metrics that must be present */
		spec->metrics = nr_xcalloc(metrics->n + 1, sizeof(*spec->metrics));
		for (i = 0; i < metrics->n; i++) {
			if ((r = want_kind(l, metrics->items[i], NR_Y_SCALAR, "metrics")) < 0)
				return r;
			spec->metrics[spec->n_metrics++].name = nr_xstrdup(metrics->items[i]->scalar);
		}
	} else if (metrics) {
		if ((r = want_kind(l, metrics, NR_Y_MAP, "metrics")) < 0)
			return r;
		spec->metrics = nr_xcalloc(metrics->n + 1, sizeof(*spec->metrics));
		for (i = 0; i < metrics->n; i++) {
			r = load_metric(l, spec->parser, metrics->keys[i], metrics->items[i],
					&spec->metrics[spec->n_metrics++]);
			if (r < 0)
				return r;
		}
	}
check:
	if (spec->parser->needs_sources && spec->n_metrics == 0)
		return fail(l, n, "parse format %s needs 'metrics': name -> %s",
			    spec->parser->name, nr__campaign_source_key(spec->parser));
	return 0;
}

/* ---- tests ---- */

static const char *const test_keys[] = {
	"name", "description", "run", "host", "roles", "matrix", "generate", "count",
	"seed", "repeat", "retries", "timeout", "kill_grace", "output_limit", "env",
	"workdir", "parse", "workload", "options", "upload", "collect", "thresholds", "limits",
	"commands", "build", "build_timeout",
	"network", "probe",
};

static const char *const role_keys[] = {
	"name", "host", "run", "env", "ready", "main", "parse", "count", "hosts",
};

static const char *const ready_keys[] = { "port", "regex", "delay", "timeout" };

static int load_ready(struct loader *l, const struct nr_ynode *n, struct nr_ready *rd)
{
	int found = 0, r;

	rd->timeout_us = DEFAULT_READY_TIMEOUT_US;
	if ((r = want_kind(l, n, NR_Y_MAP, "ready")) < 0 ||
	    (r = check_keys(l, n, ready_keys, NR_ARRAY_SIZE(ready_keys), "'ready'")) < 0 ||
	    (r = get_duration(l, n, "timeout", 1, &rd->timeout_us)) < 0)
		return r;
	if ((r = get_str(l, n, "port", &rd->port)) < 0)
		return r;
	if (r > 0) {
		const struct nr_ynode *pn = nr_ynode_get(n, "port");
		int64_t port;

		rd->port_pos = nr__campaign_pos_of(pn);
		/* a template is checked per case when the plan is made */
		if (!strchr(rd->port, '{') && nr_parse_i64(rd->port, 1, 65535, &port) < 0)
			return fail(l, pn, "'port' must be a TCP port from 1 to 65535 (or a template such as \"{port}\"), not '%s'",
				    rd->port);
		rd->kind = NR_READY_PORT;
		found++;
	}
	if ((r = get_str(l, n, "regex", &rd->regex)) < 0)
		return r;
	if (r > 0) {
		regex_t re;

		if (regcomp(&re, rd->regex, REG_EXTENDED | REG_NOSUB) != 0)
			return fail(l, nr_ynode_get(n, "regex"), "'regex' is not a valid regular expression");
		regfree(&re);
		rd->kind = NR_READY_REGEX;
		found++;
	}
	if ((r = get_duration(l, n, "delay", 0, &rd->delay_us)) < 0)
		return r;
	if (r > 0) {
		rd->kind = NR_READY_DELAY;
		found++;
	}
	if (found != 1)
		return fail(l, n, "'ready' needs exactly one of port, regex or delay");
	return 0;
}

int nr__campaign_load_ready(struct loader *l, const struct nr_ynode *n, struct nr_ready *rd)
{
	return load_ready(l, n, rd);
}

/* "10%" or 0.1 -> 0.1 */
static int load_uploads(struct loader *l, const struct nr_campaign *c, const struct nr_ynode *n,
			struct nr_test *t)
{
	static const char *const keys[] = { "host", "from", "to" };
	size_t i;
	int r;

	if ((r = want_kind(l, n, NR_Y_SEQ, "upload")) < 0)
		return r;
	t->uploads = nr_xcalloc(n->n + 1, sizeof(*t->uploads));
	for (i = 0; i < n->n; i++) {
		const struct nr_ynode *u = n->items[i];
		struct nr_upload *up = &t->uploads[t->n_uploads++];

		if ((r = want_kind(l, u, NR_Y_MAP, "upload")) < 0 ||
		    (r = check_keys(l, u, keys, NR_ARRAY_SIZE(keys), "an upload")) < 0 ||
		    (r = get_str(l, u, "host", &up->host)) < 0 ||
		    (r = get_str(l, u, "from", &up->from)) < 0 ||
		    (r = get_str(l, u, "to", &up->to)) < 0)
			return r;
		if (!up->host || !up->from || !up->to)
			return fail(l, u, "an upload needs 'host', 'from' and 'to'");
		if ((r = nr__campaign_check_host(l, c, key_node(u, "host"), up->host)) < 0)
			return r;
	}
	return 0;
}

/*
 * `build:` (ixy-ci's build steps): one command, or a list of commands,
 * each a string split like `run:` or a list of words. Unlike a variant's
 * `build`, a list here is a list of commands. Their templates know no
 * matrix parameter: they run for no case in particular.
 */
static int load_builds(struct loader *l, const struct nr_campaign *c, const struct nr_ynode *n,
		       struct nr_test *t)
{
	const struct nr_ynode *b = nr_ynode_get(n, "build");
	struct nr_test only_name = { .name = t->name };
	struct nr_diag d2 = { 0 };
	size_t i, n_cmds, bad;
	int r;

	t->build_timeout_us = DEFAULT_BUILD_TIMEOUT_US;
	if ((r = get_duration(l, n, "build_timeout", 1, &t->build_timeout_us)) < 0)
		return r;
	if (!b || nr_ynode_is_null(b)) {
		if (r > 0)
			return fail(l, key_node(n, "build_timeout"), "'build_timeout' goes with 'build'");
		return 0;
	}
	n_cmds = b->kind == NR_Y_SEQ ? b->n : 1;
	if (n_cmds == 0)
		return fail(l, b, "'build' is empty");
	t->builds = nr_xcalloc(n_cmds, sizeof(*t->builds));
	for (i = 0; i < n_cmds; i++) {
		const struct nr_ynode *cmd = b->kind == NR_Y_SEQ ? b->items[i] : b;

		/* an empty command is refused there */
		if ((r = nr__campaign_get_argv(l, cmd, "build", &t->builds[t->n_builds++])) < 0)
			return r;
		if (nr_template_check_argv(&t->builds[i], c, &only_name, &bad, &d2) < 0)
			return fail(l, cmd, "%s in 'build' (a build runs for no case: no matrix parameter)",
				    d2.msg);
	}
	return 0;
}

static int load_collects(struct loader *l, const struct nr_campaign *c, const struct nr_ynode *n,
			 struct nr_test *t)
{
	static const char *const keys[] = { "role", "path" };
	size_t i, j;
	int r;

	if ((r = want_kind(l, n, NR_Y_SEQ, "collect")) < 0)
		return r;
	t->collects = nr_xcalloc(n->n + 1, sizeof(*t->collects));
	for (i = 0; i < n->n; i++) {
		const struct nr_ynode *u = n->items[i];
		struct nr_collect *co = &t->collects[t->n_collects++];
		struct nr_diag d2 = { 0 };

		if ((r = want_kind(l, u, NR_Y_MAP, "collect")) < 0 ||
		    (r = check_keys(l, u, keys, NR_ARRAY_SIZE(keys), "a collect")) < 0 ||
		    (r = get_str(l, u, "role", &co->role)) < 0 ||
		    (r = get_str(l, u, "path", &co->path)) < 0)
			return r;
		if (!co->path)
			return fail(l, u, "a collect needs 'path'");
		if (!co->role)
			co->role = nr_xstrdup(t->roles[t->n_roles - 1].name);
		for (j = 0; j < t->n_roles; j++)
			if (!strcmp(t->roles[j].name, co->role))
				break;
		if (j == t->n_roles)
			return fail(l, nr__campaign_value_node(u, "role"), "collect names role '%s', which test '%s' does not have",
				    co->role, t->name);
		if (t->roles[j].count || t->roles[j].hosts.n)
			return fail(l, nr__campaign_value_node(u, "role"), "collect names role '%s', which has instances ('count' or 'hosts'): collect from a role without",
				    co->role);
		if (nr_template_check(co->path, c, t, &d2) < 0)
			return fail(l, nr__campaign_value_node(u, "path"), "%s in 'path'", d2.msg);
	}
	return 0;
}

/*
 * A role's (or test's) host: a host of the campaign, or a template over the
 * test's matrix ("{env}"), checked here for what it refers to and resolved
 * in each case by the plan (which names an unknown host there).
 */
static int check_host_ref(struct loader *l, const struct nr_campaign *c, const struct nr_test *t,
			  const struct nr_ynode *at, const char *host)
{
	struct nr_diag d2 = { 0 };

	if (!strchr(host, '{'))
		return nr__campaign_check_host(l, c, at, host);
	if (nr_template_check(host, c, t, &d2) < 0)
		return fail(l, at, "%s in 'host'", d2.msg);
	return 0;
}

/*
 * `count` and `hosts` of a role: the count a number from 1 to
 * NR_ROLE_MAX_COUNT or a template over the matrix (checked per case by the
 * plan), the hosts a list of the campaign's hosts, instead of `host`.
 */
static int load_count(struct loader *l, const struct nr_campaign *c, const struct nr_test *t,
		      const struct nr_ynode *n, struct nr_role *role)
{
	const struct nr_ynode *hn = nr_ynode_get(n, "hosts");
	struct nr_diag d2 = { 0 };
	size_t i;
	int r;

	if ((r = get_str(l, n, "count", &role->count)) < 0)
		return r;
	if (role->count) {
		int64_t v;

		role->count_pos = nr__campaign_pos_of(nr_ynode_get(n, "count"));
		if (strchr(role->count, '{')) {
			if (nr_template_check(role->count, c, t, &d2) < 0)
				return fail(l, nr_ynode_get(n, "count"), "%s in 'count'", d2.msg);
		} else if (nr_parse_i64(role->count, 1, NR_ROLE_MAX_COUNT, &v) < 0) {
			return fail(l, nr_ynode_get(n, "count"), "'count' of role '%s' must be a number from 1 to %d or a template over the matrix, not '%s'",
				    role->name, NR_ROLE_MAX_COUNT, role->count);
		}
	}
	if (!hn)
		return 0;
	if (nr_ynode_get(n, "host"))
		return fail(l, key_node(n, "hosts"), "role '%s' has both 'host' and 'hosts': use one", role->name);
	if ((r = want_kind(l, hn, NR_Y_SEQ, "hosts")) < 0)
		return r;
	if (!hn->n)
		return fail(l, hn, "'hosts' of role '%s' is empty", role->name);
	for (i = 0; i < hn->n; i++) {
		if (hn->items[i]->kind != NR_Y_SCALAR)
			return fail(l, hn->items[i], "'hosts' of role '%s' holds host names", role->name);
		if ((r = nr__campaign_check_host(l, c, hn->items[i], hn->items[i]->scalar)) < 0)
			return r;
		nr_strvec_push(&role->hosts, hn->items[i]->scalar);
	}
	return 0;
}

static int load_role(struct loader *l, const struct nr_campaign *c, struct nr_test *t,
		     const struct nr_ynode *n, const char *default_host, struct nr_pos default_pos,
		     const struct nr_kv *env, struct nr_role *role)
{
	const struct nr_ynode *run, *x;
	size_t i;
	int r;

	role->pos = nr__campaign_pos_of(n);
	if ((r = want_kind(l, n, NR_Y_MAP, "roles")) < 0 ||
	    (r = check_keys(l, n, role_keys, NR_ARRAY_SIZE(role_keys), "a role")) < 0 ||
	    (r = get_str(l, n, "name", &role->name)) < 0 ||
	    (r = get_str(l, n, "host", &role->host)) < 0 ||
	    (r = get_bool(l, n, "main", &role->main)) < 0)
		return r;
	if (!role->name)
		return fail(l, n, "a role of test '%s' has no 'name'", t->name);
	if (!nr__campaign_valid_name(role->name, "-."))
		return fail(l, nr__campaign_value_node(n, "name"), "role name '%s' may hold only letters, digits, '_', '-', '.'",
			    role->name);
	role->host_pos = nr_ynode_get(n, "host") ? nr__campaign_pos_of(nr_ynode_get(n, "host"))
						  : default_pos;
	if ((r = load_count(l, c, t, n, role)) < 0)
		return r;
	if (!role->host)
		role->host = nr_xstrdup(role->hosts.n ? role->hosts.v[0] : default_host);
	else if ((r = check_host_ref(l, c, t, key_node(n, "host"), role->host)) < 0)
		return r;
	run = nr_ynode_get(n, "run");
	if (!run)
		return fail(l, n, "role '%s' of test '%s' has no 'run'", role->name, t->name);
	if ((r = nr__campaign_get_argv(l, run, "run", &role->argv)) < 0)
		return r;
	for (i = 0; i < env->keys.n; i++)
		nr_kv_set(&role->env, env->keys.v[i], env->vals.v[i]);
	if ((r = nr__campaign_get_kv(l, n, "env", &role->env, true)) < 0)
		return r;
	x = nr_ynode_get(n, "ready");
	if (x && (r = load_ready(l, x, &role->ready)) < 0)
		return r;
	x = nr_ynode_get(n, "parse");
	if (x) {
		if ((r = load_parse(l, x, &role->parse)) < 0)
			return r;
		role->has_parse = true;
	}
	return 0;
}

static int load_matrix(struct loader *l, const struct nr_ynode *n, struct nr_test *t)
{
	static const char *const reserved[] = {
		"repeat", "attempt", "port", "workdir", "run", "case", "test", "host",
	};
	struct nr_strset seen = NR_STRSET_INIT;
	size_t i, j, k;
	int r;

	if (nr_ynode_is_null(n))
		return 0;
	if ((r = want_kind(l, n, NR_Y_MAP, "matrix")) < 0)
		return r;
	t->params = nr_xcalloc(n->n + 1, sizeof(*t->params));
	for (i = 0; i < n->n; i++) {
		const struct nr_ynode *key = n->keys[i], *vals = n->items[i];
		struct nr_param *p = &t->params[t->n_params++];

		p->name = nr_xstrdup(key->scalar);
		p->pos = nr__campaign_pos_of(key);
		if (!nr__campaign_valid_name(p->name, ""))
			return fail(l, key, "matrix parameter '%s' may hold only letters, digits and '_'",
				    p->name);
		for (k = 0; k < NR_ARRAY_SIZE(reserved); k++)
			if (!strcmp(p->name, reserved[k]))
				return fail(l, key, "'%s' is a reserved name; call the parameter something else",
					    p->name);
		if (vals->kind == NR_Y_SCALAR && !nr_ynode_is_null(vals)) {
			nr_strvec_push(&p->values, vals->scalar);
			continue;
		}
		if (vals->kind != NR_Y_SEQ || vals->n == 0)
			return fail(l, vals->kind == NR_Y_SEQ ? vals : key,
				    "matrix parameter '%s' is empty: give it a list of values", p->name);
		/* hashed: comparing each value with every other took 47 s for 200,000 */
		for (j = 0; j < vals->n; j++) {
			if (vals->items[j]->kind != NR_Y_SCALAR) {
				r = fail(l, vals->items[j], "values of matrix parameter '%s' must be single values",
					 p->name);
				break;
			}
			if (!nr_strset_add(&seen, vals->items[j]->scalar, j, &k)) {
				r = fail(l, vals->items[j], "matrix parameter '%s' lists '%s' twice (first at line %d)",
					 p->name, vals->items[j]->scalar, vals->items[k]->line);
				break;
			}
			nr_strvec_push(&p->values, vals->items[j]->scalar);
		}
		nr_strset_release(&seen);
		if (r < 0)
			return r;
	}
	return 0;
}

int nr__campaign_load_repeat(struct loader *l, const struct nr_ynode *map,
			     const struct nr_ynode *x, struct nr_test *t)
{
	static const char *const keys[] = { "min", "max", "until" };
	char *until = NULL;
	int64_t lo = 0, hi = 0;
	int r;

	if (x->kind != NR_Y_MAP) {
		r = get_int(l, map, "repeat", 1, 100000, &hi);
		if (r > 0)
			t->repeat = (int)hi;
		return r < 0 ? r : 0;
	}
	if ((r = check_keys(l, x, keys, NR_ARRAY_SIZE(keys), "'repeat'")) < 0 ||
	    (r = get_int(l, x, "min", 2, NR_ADAPTIVE_MAX, &lo)) < 0 ||
	    (r = get_int(l, x, "max", 2, NR_ADAPTIVE_MAX, &hi)) < 0 ||
	    (r = get_str(l, x, "until", &until)) < 0)
		goto out;
	if (!lo || !hi || !until) {
		r = fail(l, x, "adaptive 'repeat' needs 'min', 'max' and 'until' (repeat: {min: 3, "
			 "max: 20, until: clear}), or give a number of repeats");
		goto out;
	}
	if (hi < lo) {
		r = fail(l, nr__campaign_value_node(x, "max"),
			 "'max' of 'repeat' (%lld) is below its 'min' (%lld)", (long long)hi, (long long)lo);
		goto out;
	}
	if (strcmp(until, "clear") != 0) {
		r = fail(l, nr__campaign_value_node(x, "until"),
			 "'until' of 'repeat' must be clear (stop once the comparison with the baseline "
			 "is decided), not '%s'", until);
		goto out;
	}
	t->repeat_min = (int)lo;
	t->repeat = (int)hi;
	r = 0;
out:
	free(until);
	return r;
}

/* The value of `key` in the test, else in defaults. */
static const struct nr_ynode *pick(const struct nr_ynode *test, const struct nr_ynode *defaults,
				   const char *key, const struct nr_ynode **ret_map)
{
	const struct nr_ynode *n = nr_ynode_get(test, key);

	*ret_map = test;
	if (!n && defaults) {
		n = nr_ynode_get(defaults, key);
		*ret_map = defaults;
	}
	return n;
}

int nr__campaign_load_test(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n,
			   const struct nr_ynode *defaults, struct nr_test *t)
{
	const struct nr_ynode *src, *x, *run, *roles, *parse, *host_node, *host_key;
	char *generate = NULL, *host = NULL;
	struct nr_kv env = { 0 };
	int64_t v;
	size_t i, j;
	int r;

	t->pos = nr__campaign_pos_of(n);
	t->repeat = 1;
	t->timeout_us = DEFAULT_TIMEOUT_US;
	t->kill_grace_us = DEFAULT_KILL_GRACE_US;
	t->output_limit = DEFAULT_OUTPUT_LIMIT;
	t->seed = 1;
	if ((r = want_kind(l, n, NR_Y_MAP, "tests")) < 0 ||
	    (r = get_str(l, n, "name", &t->name)) < 0)
		goto out;
	if (!t->name) {
		r = check_keys(l, n, test_keys, NR_ARRAY_SIZE(test_keys), "a test");
		if (r == 0)
			r = fail(l, n, "a test has no 'name'");
		goto out;
	}
	{
		char where[300];

		snprintf(where, sizeof(where), "test '%s'", t->name);
		if ((r = check_keys(l, n, test_keys, NR_ARRAY_SIZE(test_keys), where)) < 0)
			goto out;
	}
	if (!nr__campaign_valid_name(t->name, "-.")) {
		r = fail(l, nr__campaign_value_node(n, "name"), "test name '%s' may hold only letters, digits, '_', '-', '.'",
			 t->name);
		goto out;
	}
	if ((x = pick(n, defaults, "repeat", &src)) && (r = nr__campaign_load_repeat(l, src, x, t)) < 0)
		goto out;
	if ((x = pick(n, defaults, "retries", &src)) && (r = get_int(l, src, "retries", 0, 1000, &v)) > 0)
		t->retries = (int)v;
	if (r < 0)
		goto out;
	if ((x = pick(n, defaults, "timeout", &src)) && (r = get_duration(l, src, "timeout", 1, &t->timeout_us)) < 0)
		goto out;
	if ((x = pick(n, defaults, "kill_grace", &src)) &&
	    (r = get_duration(l, src, "kill_grace", 0, &t->kill_grace_us)) < 0)
		goto out;
	if ((x = pick(n, defaults, "output_limit", &src)) &&
	    (r = get_size(l, src, "output_limit", &t->output_limit)) < 0)
		goto out;
	if ((x = pick(n, defaults, "workdir", &src)) && (r = get_str(l, src, "workdir", &t->workdir)) < 0)
		goto out;
	if ((x = pick(n, defaults, "host", &src)) && (r = get_str(l, src, "host", &host)) < 0)
		goto out;
	host_node = nr__campaign_value_node(src, "host");
	host_key = key_node(src, "host");
	if ((x = pick(n, defaults, "network", &src))) {
		if ((r = get_str(l, src, "network", &t->network)) < 0)
			goto out;
		t->network_pos = nr__campaign_pos_of(nr__campaign_value_node(src, "network"));
	}
	if (!host)
		host = nr_xstrdup("local");
	/* env: defaults first, then the test's own */
	if (defaults && (r = nr__campaign_get_kv(l, defaults, "env", &env, true)) < 0)
		goto out;
	if ((r = nr__campaign_get_kv(l, n, "env", &env, true)) < 0)
		goto out;
	if ((r = get_str(l, n, "workload", &t->workload)) < 0)
		goto out;
	t->matrix_pos = nr__campaign_pos_of(key_node(n, "matrix"));
	if ((x = nr_ynode_get(n, "matrix")) && (r = load_matrix(l, x, t)) < 0)
		goto out;
	/* with variants, {variant} and the case key's variant= are the variant's */
	for (i = 0; c->n_variants && i < t->n_params; i++)
		if (!strcmp(t->params[i].name, "variant")) {
			r = fail(l, key_node(x, "variant"), "'variant' is the name of the case's variant "
				 "in a campaign with 'variants': call the parameter something else");
			goto out;
		}
	/* after the matrix: a host may be a template over it */
	if ((r = check_host_ref(l, c, t, host_key, host)) < 0)
		goto out;
	if ((r = get_str(l, n, "generate", &generate)) < 0)
		goto out;
	if (!generate || !strcmp(generate, "all")) {
		t->generate = NR_GENERATE_ALL;
		if (nr_ynode_get(n, "count")) {
			r = fail(l, key_node(n, "count"), "'count' needs 'generate: random'");
			goto out;
		}
	} else if (!strcmp(generate, "random")) {
		t->generate = NR_GENERATE_RANDOM;
		if ((r = get_int(l, n, "count", 1, NR_PLAN_MAX_CASES, &v)) < 0)
			goto out;
		if (r == 0) {
			r = fail(l, key_node(n, "generate"), "'generate: random' needs 'count'");
			goto out;
		}
		t->count = (uint64_t)v;
		t->count_pos = nr__campaign_pos_of(nr_ynode_get(n, "count"));
		if ((r = get_int(l, n, "seed", 0, INT64_MAX, &v)) < 0)
			goto out;
		if (r > 0)
			t->seed = (uint64_t)v;
	} else {
		r = fail(l, nr__campaign_value_node(n, "generate"), "'generate' must be all or random, not '%s'", generate);
		goto out;
	}
	run = nr_ynode_get(n, "run");
	roles = nr_ynode_get(n, "roles");
	parse = pick(n, defaults, "parse", &src);
	if (t->workload) {
		if (run || roles) {
			r = fail(l, key_node(n, run ? "run" : "roles"),
				 "test '%s' has a 'workload': it makes its own roles (no 'run' or 'roles')", t->name);
			goto out;
		}
		if ((r = nr__campaign_load_workload(l, c, n, t, &env)) < 0)
			goto out;
		goto roles_done;
	}
	if (nr_ynode_get(n, "options") || nr_ynode_get(n, "commands")) {
		r = fail(l, key_node(n, nr_ynode_get(n, "options") ? "options" : "commands"),
			 "'%s' goes with 'workload'", nr_ynode_get(n, "options") ? "options" : "commands");
		goto out;
	}
	if (!!run == !!roles) {
		r = fail(l, run ? key_node(n, "roles") : n,
			 run ? "test '%s' has both 'run' and 'roles': use one"
			     : "test '%s' needs 'run' (a command) or 'roles'", t->name);
		goto out;
	}
	if (run) {
		/* one role, "main", on the test's host */
		struct nr_role *role;

		t->roles = nr_xcalloc(1, sizeof(*t->roles));
		t->n_roles = 1;
		role = &t->roles[0];
		role->name = nr_xstrdup("main");
		role->host = nr_xstrdup(host);
		role->host_pos = nr__campaign_pos_of(host_node);
		role->main = true;
		role->pos = nr__campaign_pos_of(run);
		if ((r = nr__campaign_get_argv(l, run, "run", &role->argv)) < 0)
			goto out;
		for (i = 0; i < env.keys.n; i++)
			nr_kv_set(&role->env, env.keys.v[i], env.vals.v[i]);
	} else {
		bool any_main = false;

		if ((r = want_kind(l, roles, NR_Y_SEQ, "roles")) < 0)
			goto out;
		if (roles->n == 0) {
			r = fail(l, roles, "'roles' of test '%s' is empty", t->name);
			goto out;
		}
		t->roles = nr_xcalloc(roles->n, sizeof(*t->roles));
		for (i = 0; i < roles->n; i++) {
			r = load_role(l, c, t, roles->items[i], host, nr__campaign_pos_of(host_node), &env,
				      &t->roles[t->n_roles++]);
			if (r < 0)
				goto out;
			for (j = 0; j < i; j++)
				if (!strcmp(t->roles[j].name, t->roles[i].name)) {
					r = fail(l, roles->items[i], "test '%s' has two roles named '%s'",
						 t->name, t->roles[i].name);
					goto out;
				}
			any_main |= t->roles[i].main;
		}
		if (!any_main)
			t->roles[t->n_roles - 1].main = true; /* the last role, as a client is */
	}
roles_done:
	if (parse) {
		/* a test-level parser reads each main role without its own */
		for (i = 0; i < t->n_roles; i++) {
			if (!t->roles[i].main || t->roles[i].has_parse)
				continue;
			if ((r = load_parse(l, parse, &t->roles[i].parse)) < 0)
				goto out;
			t->roles[i].has_parse = true;
		}
	}
	if ((x = nr_ynode_get(n, "upload")) && (r = load_uploads(l, c, x, t)) < 0)
		goto out;
	if ((x = nr_ynode_get(n, "collect")) && (r = load_collects(l, c, x, t)) < 0)
		goto out;
	if ((r = load_builds(l, c, n, t)) < 0)
		goto out;
	if ((x = nr_ynode_get(n, "thresholds")) && (r = nr__campaign_add_threshold(l, c, t->name, NULL, x)) < 0)
		goto out;
	if ((x = nr_ynode_get(n, "limits")) && (r = nr__campaign_add_limits(l, c, t->name, x)) < 0)
		goto out;
	if ((x = pick(n, defaults, "probe", &src)) && (r = nr__campaign_load_probe(l, src, t)) < 0)
		goto out;
	/* every template must refer to something that exists */
	for (i = 0; i < t->n_roles; i++) {
		const struct nr_role *role = &t->roles[i];
		struct nr_diag d2 = { 0 };
		const struct nr_ynode *at = run ? run : roles ? roles->items[i] : n;

		if (nr_template_check_argv(&role->argv, c, t, &j, &d2) < 0) {
			r = fail(l, at, "%s in 'run' of role '%s'", d2.msg, role->name);
			goto out;
		}
		for (j = 0; j < role->env.vals.n; j++)
			if (nr_template_check(role->env.vals.v[j], c, t, &d2) < 0) {
				r = fail(l, at, "%s in 'env' %s", d2.msg, role->env.keys.v[j]);
				goto out;
			}
		if (role->ready.port && nr_template_check(role->ready.port, c, t, &d2) < 0) {
			r = fail(l, at, "%s in 'ready.port'", d2.msg);
			goto out;
		}
	}
	if (t->workdir) {
		struct nr_diag d2 = { 0 };

		if (nr_template_check(t->workdir, c, t, &d2) < 0) {
			r = fail(l, nr__campaign_value_node(n, "workdir"), "%s in 'workdir'", d2.msg);
			goto out;
		}
	}
	r = 0;
out:
	free(generate);
	free(host);
	nr_kv_clear(&env);
	return r;
}

