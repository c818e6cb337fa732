/*
 * Campaign files: from the YAML tree to struct nr_campaign, checking
 * everything on the way so that nothing runs from a file with a mistake.
 * Every message starts "file:line:column:" and names the key.
 */
#include <libgen.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "lab/lab.h"
#include "yaml/yaml.h"

#define DEFAULT_TIMEOUT_US (300 * 1000000LL)
#define DEFAULT_KILL_GRACE_US (2 * 1000000LL)
#define DEFAULT_READY_TIMEOUT_US (30 * 1000000LL)
#define DEFAULT_OUTPUT_LIMIT ((size_t)16 << 20)

struct loader {
	struct nr_yread yr;
	bool has_lab; /* the campaign has a lab: its hosts may leave addresses to it */
};

/* The shared readers (yaml_read.c) on this loader's file and diag. */
#define fail(l, at, ...) nr_yread_fail(&(l)->yr, at, __VA_ARGS__)
#define check_keys(l, map, allowed, n, where) nr_yread_check_keys(&(l)->yr, map, allowed, n, where)
#define want_kind(l, n, kind, key) nr_yread_want(&(l)->yr, n, kind, key)
#define key_node(map, key) nr_yread_key_node(map, key)
#define scalar_at(l, map, key, ret) nr_yread_scalar(&(l)->yr, map, key, ret)
#define get_str(l, map, key, ret) nr_yread_str(&(l)->yr, map, key, ret)
#define get_int(l, map, key, min, max, ret) nr_yread_int(&(l)->yr, map, key, min, max, ret)
#define get_duration(l, map, key, min, ret) nr_yread_duration(&(l)->yr, map, key, min, ret)
#define get_size(l, map, key, ret) nr_yread_size(&(l)->yr, map, key, ret)
#define get_bool(l, map, key, ret) nr_yread_bool(&(l)->yr, map, key, ret)

/* The value of `key` in map, for messages about the value; the map when absent. */
static const struct nr_ynode *value_node(const struct nr_ynode *map, const char *key)
{
	const struct nr_ynode *v = nr_ynode_get(map, key);

	return v ? v : map;
}

static struct nr_pos pos_of(const struct nr_ynode *n)
{
	struct nr_pos p = { n->line, n->column };
	return p;
}

/*
 * An environment variable's name: POSIX forbids '=' and NUL and an empty
 * name; netrig asks for what POSIX calls portable (letters, digits, '_',
 * not starting with a digit), which every shell can set and read, so a
 * name works the same locally, in a namespace and through ssh.
 */
static bool valid_name(const char *s, const char *extra);

static bool env_name(const char *s)
{
	return (*s < '0' || *s > '9') && valid_name(s, "");
}

/*
 * A mapping of NAME: value into kv (merging over what kv holds). `env`:
 * the names are environment variables; else labels, whose names must not
 * be empty nor hold '=' (a selector is label:NAME=VALUE).
 */
static int get_kv(struct loader *l, const struct nr_ynode *map, const char *key,
		  struct nr_kv *kv, bool env)
{
	const struct nr_ynode *n = nr_ynode_get(map, key);
	size_t i;
	int r;

	if (!n || nr_ynode_is_null(n))
		return 0;
	r = want_kind(l, n, NR_Y_MAP, key);
	if (r < 0)
		return r;
	for (i = 0; i < n->n; i++) {
		const char *name = n->keys[i]->scalar;

		if (env && !env_name(name))
			return fail(l, n->keys[i], "'%s' name '%s' must be letters, digits and '_', not starting with a digit",
				    key, name);
		if (!env && (!*name || strchr(name, '=')))
			return fail(l, n->keys[i], "'%s' name '%s' must not be empty nor hold '='", key, name);
		if (n->items[i]->kind != NR_Y_SCALAR)
			return fail(l, n->items[i], "'%s.%s' must be a single value", key, name);
		nr_kv_set(kv, name, n->items[i]->scalar);
	}
	return 1;
}

/* `run:` as a list of words, or a string split like a shell would (no shell runs it). */
static int get_argv(struct loader *l, const struct nr_ynode *n, const char *key,
		    struct nr_strvec *ret)
{
	struct nr_diag d2 = { 0 };
	size_t i;

	if (n->kind == NR_Y_SCALAR) {
		if (nr_split_words(n->scalar, ret, &d2) < 0)
			return fail(l, n, "'%s': %s", key, d2.msg);
	} else if (n->kind == NR_Y_SEQ) {
		for (i = 0; i < n->n; i++) {
			if (n->items[i]->kind != NR_Y_SCALAR)
				return fail(l, n->items[i], "'%s' items must be single values", key);
			nr_strvec_push(ret, n->items[i]->scalar);
		}
	} else {
		return fail(l, n, "'%s' must be a command line or a list of words", key);
	}
	if (ret->n == 0)
		return fail(l, n, "'%s' is empty", key);
	return 0;
}

static bool valid_name(const char *s, const char *extra)
{
	const char *p;

	if (!*s)
		return false;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || strchr(extra, *p)))
			return false;
	return true;
}

/* ---- hosts ---- */

static const char *const host_keys[] = {
	"transport", "address", "netns", "user", "port", "identity", "jump", "ssh_options",
	"workdir", "restart", "restart_timeout",
};

static int load_host(struct loader *l, const struct nr_ynode *key,
		     const struct nr_ynode *n, struct nr_host *h)
{
	char *transport = NULL;
	int64_t port = 0;
	int r;

	h->name = nr_xstrdup(key->scalar);
	h->pos = pos_of(key);
	if (!valid_name(h->name, "-."))
		return fail(l, key, "host name '%s' may hold only letters, digits, '_', '-', '.'",
			    h->name);
	if (nr_ynode_is_null(n))
		goto defaults;
	if ((r = want_kind(l, n, NR_Y_MAP, h->name)) < 0 ||
	    (r = check_keys(l, n, host_keys, NR_ARRAY_SIZE(host_keys), "a host")) < 0 ||
	    (r = get_str(l, n, "transport", &transport)) < 0 ||
	    (r = get_str(l, n, "address", &h->address)) < 0 ||
	    (r = get_str(l, n, "netns", &h->netns)) < 0 ||
	    (r = get_str(l, n, "user", &h->user)) < 0 ||
	    (r = get_int(l, n, "port", 1, 65535, &port)) < 0 ||
	    (r = get_str(l, n, "identity", &h->identity)) < 0 ||
	    (r = get_str(l, n, "jump", &h->jump)) < 0 ||
	    (r = get_str(l, n, "workdir", &h->workdir)) < 0 ||
	    (r = get_duration(l, n, "restart_timeout", 1, &h->restart_timeout_us)) < 0)
		goto out;
	h->port = (int)port;
	if (nr_ynode_get(n, "restart") &&
	    (r = get_argv(l, nr_ynode_get(n, "restart"), "restart", &h->restart)) < 0)
		goto out;
	if (nr_ynode_get(n, "ssh_options")) {
		const struct nr_ynode *o = nr_ynode_get(n, "ssh_options");

		if ((r = want_kind(l, o, NR_Y_SEQ, "ssh_options")) < 0 ||
		    (r = get_argv(l, o, "ssh_options", &h->ssh_options)) < 0)
			goto out;
	}
defaults:
	if (!h->restart_timeout_us)
		h->restart_timeout_us = 120 * 1000000LL;
	if (!transport || !strcmp(transport, "local")) {
		h->transport = NR_TRANSPORT_LOCAL;
	} else if (!strcmp(transport, "netns")) {
		h->transport = NR_TRANSPORT_NETNS;
		if (!h->netns && !l->has_lab) {
			r = fail(l, n, "host '%s' has transport netns but no 'netns' key", h->name);
			goto out;
		}
	} else if (!strcmp(transport, "ssh")) {
		h->transport = NR_TRANSPORT_SSH;
		if (!h->address && !l->has_lab) {
			r = fail(l, n, "host '%s' has transport ssh but no 'address' key", h->name);
			goto out;
		}
	} else {
		r = fail(l, value_node(n, "transport"),
			 "'transport' of host '%s' must be local, netns or ssh, not '%s'",
			 h->name, transport);
		goto out;
	}
	if (!h->address)
		h->address = nr_xstrdup("127.0.0.1");
	r = 0;
out:
	free(transport);
	return r;
}

static int load_hosts(struct loader *l, const struct nr_ynode *root, struct nr_campaign *c)
{
	const struct nr_ynode *n = nr_ynode_get(root, "hosts");
	bool have_local = false;
	size_t i;
	int r;

	if (n && !nr_ynode_is_null(n)) {
		if ((r = want_kind(l, n, NR_Y_MAP, "hosts")) < 0)
			return r;
		c->hosts = nr_xcalloc(n->n + 1, sizeof(*c->hosts));
		for (i = 0; i < n->n; i++) {
			r = load_host(l, n->keys[i], n->items[i], &c->hosts[c->n_hosts++]);
			if (r < 0)
				return r;
			if (!strcmp(n->keys[i]->scalar, "local"))
				have_local = true;
		}
	} else {
		c->hosts = nr_xcalloc(1, sizeof(*c->hosts));
	}
	if (!have_local) {
		/* every campaign can run on this machine without saying so */
		struct nr_host *h = &c->hosts[c->n_hosts++];

		h->name = nr_xstrdup("local");
		h->transport = NR_TRANSPORT_LOCAL;
		h->address = nr_xstrdup("127.0.0.1");
	}
	return 0;
}

/*
 * `lab: FILE`: every host of the lab is a host of the campaign. One the
 * campaign does not name is reached in its namespace; one it names takes
 * what it leaves out from the lab: `transport: ssh` goes through the lab's
 * sshd (address as seen from the lab's controller host, root, the lab's key
 * and known_hosts).
 */
static int load_lab(struct loader *l, const struct nr_ynode *root, struct nr_campaign *c)
{
	const struct nr_ynode *n = nr_ynode_get(root, "lab");
	const struct nr_lab_host *ctl = NULL;
	struct nr_diag d2 = { 0 };
	char *path;
	size_t i, j;
	int r;

	if (!n)
		return 0;
	if ((r = want_kind(l, n, NR_Y_SCALAR, "lab")) < 0)
		return r;
	path = n->scalar[0] == '/' ? nr_xstrdup(n->scalar) : nr_xasprintf("%s/%s", c->dir, n->scalar);
	r = nr_lab_load(path, &c->lab, &d2);
	free(path);
	if (r < 0)
		return fail(l, n, "lab: %s", d2.msg);
	for (i = 0; i < c->lab->n_hosts; i++)
		if (c->lab->hosts[i].controller)
			ctl = &c->lab->hosts[i];
	for (i = 0; i < c->lab->n_hosts; i++) {
		const struct nr_lab_host *lh = &c->lab->hosts[i];
		struct nr_host *h = NULL;
		const char *addr = ctl && ctl != lh ? nr_lab_address_from(c->lab, ctl->name, lh->name) : NULL;

		for (j = 0; j < c->n_hosts; j++)
			if (!strcmp(c->hosts[j].name, lh->name))
				h = &c->hosts[j];
		if (!h) {
			c->hosts = nr_xrealloc(c->hosts, (c->n_hosts + 1) * sizeof(*c->hosts));
			h = &c->hosts[c->n_hosts++];
			memset(h, 0, sizeof(*h));
			h->name = nr_xstrdup(lh->name);
			h->transport = NR_TRANSPORT_NETNS;
			h->restart_timeout_us = 120 * 1000000LL;
		} else if (h->transport == NR_TRANSPORT_SSH && !lh->sshd) {
			return fail(l, n, "host '%s' uses ssh, but the lab starts no sshd on it (sshd: true)",
				    lh->name);
		}
		if (h->transport == NR_TRANSPORT_NETNS && !h->netns)
			h->netns = nr_xstrdup(lh->netns);
		if (!h->address || !strcmp(h->address, "127.0.0.1")) {
			free(h->address);
			h->address = nr_xstrdup(addr ? addr : lh->address);
		}
		if (h->transport == NR_TRANSPORT_SSH) {
			if (!h->user)
				h->user = nr_xstrdup(lh->ssh.user);
			if (!h->identity)
				h->identity = nr_xstrdup(lh->ssh.identity);
			if (!h->ssh_options.n)
				nr_lab_ssh_options(lh, &h->ssh_options);
		}
	}
	return 0;
}

static int check_host(struct loader *l, const struct nr_campaign *c,
		      const struct nr_ynode *at, const char *name)
{
	const char **names;
	const char *guess;
	size_t i;
	int r;

	if (nr_campaign_host(c, name))
		return 0;
	names = nr_xcalloc(c->n_hosts, sizeof(*names));
	for (i = 0; i < c->n_hosts; i++)
		names[i] = c->hosts[i].name;
	guess = nr_did_you_mean(name, names, c->n_hosts);
	if (guess)
		r = fail(l, at, "unknown host '%s' (did you mean '%s'?)", name, guess);
	else
		r = fail(l, at, "unknown host '%s': define it under 'hosts:'", name);
	free(names);
	return r;
}

/* ---- parse ---- */

static const char *source_key(const struct nr_parser *p)
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
	const char *src = source_key(p);
	const char *allowed[5] = { "unit", "better", "optional", src };
	char *better = NULL;
	int r;

	m->name = nr_xstrdup(key->scalar);
	if (!valid_name(m->name, ".-"))
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
		r = fail(l, value_node(n, "better"), "'better' must be higher, lower or none, not '%s'",
			 better);
		goto out;
	}
	if (m->unit) {
		double f;
		const char *canon;

		if (nr_unit_canonical(m->unit, &f, &canon) < 0) {
			r = fail(l, value_node(n, "unit"), "unknown unit '%s' for metric '%s'",
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
	spec->stream = nr_xstrdup("stdout");
	if (n->kind != NR_Y_MAP)
		goto check;
	if ((r = get_str(l, n, "stream", &spec->stream)) < 0)
		return r;
	if (strcmp(spec->stream, "stdout") && strcmp(spec->stream, "stderr") &&
	    strcmp(spec->stream, "both"))
		return fail(l, value_node(n, "stream"),
			    "'stream' must be stdout, stderr or both, not '%s'", spec->stream);
	metrics = nr_ynode_get(n, "metrics");
	if (metrics && metrics->kind == NR_Y_SEQ && !source_key(spec->parser)) {
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
			    spec->parser->name, source_key(spec->parser));
	return 0;
}

/* ---- tests ---- */

static const char *const test_keys[] = {
	"name", "description", "run", "host", "roles", "matrix", "generate", "count",
	"seed", "repeat", "retries", "timeout", "kill_grace", "output_limit", "env",
	"workdir", "parse", "workload", "options", "upload", "collect", "thresholds",
};

static const char *const defaults_keys[] = {
	"host", "repeat", "retries", "timeout", "kill_grace", "output_limit", "env",
	"workdir", "parse",
};

static const char *const role_keys[] = {
	"name", "host", "run", "env", "ready", "main", "parse",
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

		rd->port_pos = pos_of(pn);
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

/* "10%" or 0.1 -> 0.1 */
static int get_ratio(struct loader *l, const struct nr_ynode *map, const char *key, double *ret)
{
	const struct nr_ynode *n;
	int r = scalar_at(l, map, key, &n);
	double v;

	if (r <= 0)
		return r;
	if (nr_parse_ratio(n->scalar, &v) < 0 || v > 10)
		return fail(l, n, "'%s' must be a percentage such as 10%% (or a ratio such as 0.1), not '%s'",
			    key, n->scalar);
	*ret = v;
	return 1;
}

static int add_threshold(struct loader *l, struct nr_campaign *c, const char *test,
			 const char *metric, const struct nr_ynode *n)
{
	static const char *const keys[] = { "warning", "critical", "metrics" };
	struct nr_threshold th = { test ? nr_xstrdup(test) : NULL, metric ? nr_xstrdup(metric) : NULL,
				   -1, -1 };
	const struct nr_ynode *m;
	size_t i;
	int r;

	if ((r = want_kind(l, n, NR_Y_MAP, "thresholds")) < 0 ||
	    (r = check_keys(l, n, keys, metric ? 2 : 3, "'thresholds'")) < 0 ||
	    (r = get_ratio(l, n, "warning", &th.warning)) < 0 ||
	    (r = get_ratio(l, n, "critical", &th.critical)) < 0) {
		free(th.test);
		free(th.metric);
		return r;
	}
	if (th.warning >= 0 && th.critical >= 0 && th.critical < th.warning) {
		free(th.test);
		free(th.metric);
		return fail(l, n, "'critical' must not be below 'warning'");
	}
	c->thresholds = nr_xrealloc(c->thresholds, (c->n_thresholds + 1) * sizeof(th));
	c->thresholds[c->n_thresholds++] = th;
	m = metric ? NULL : nr_ynode_get(n, "metrics");
	if (!m)
		return 0;
	if ((r = want_kind(l, m, NR_Y_MAP, "metrics")) < 0)
		return r;
	for (i = 0; i < m->n; i++)
		if ((r = add_threshold(l, c, test, m->keys[i]->scalar, m->items[i])) < 0)
			return r;
	return 0;
}

void nr_campaign_thresholds(const struct nr_campaign *c, const char *test, const char *metric,
			    double *warning, double *critical)
{
	int best_w = -1, best_c = -1;
	size_t i;

	/* specificity: 3 test+metric, 2 test, 1 metric, 0 campaign */
	for (i = 0; c && i < c->n_thresholds; i++) {
		const struct nr_threshold *t = &c->thresholds[i];
		int spec;

		if ((t->test && (!test || strcmp(t->test, test))) ||
		    (t->metric && (!metric || strcmp(t->metric, metric))))
			continue;
		spec = (t->test ? 2 : 0) + (t->metric ? 1 : 0);
		if (t->warning >= 0 && spec > best_w) {
			best_w = spec;
			*warning = t->warning;
		}
		if (t->critical >= 0 && spec > best_c) {
			best_c = spec;
			*critical = t->critical;
		}
	}
}

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
		if ((r = check_host(l, c, key_node(u, "host"), up->host)) < 0)
			return r;
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
			return fail(l, value_node(u, "role"), "collect names role '%s', which test '%s' does not have",
				    co->role, t->name);
		if (nr_template_check(co->path, c, t, &d2) < 0)
			return fail(l, value_node(u, "path"), "%s in 'path'", d2.msg);
	}
	return 0;
}

/*
 * Built-in workloads: `workload: tcp_rr` is a recipe for two roles, run
 * like any others: a server (`netrig bench serve`, on the host named
 * "server" when there is one) and a client (`netrig bench tcp_rr --json`,
 * on "client", else local) whose output the `netrig` parser reads. Matrix
 * parameters and `options:` named after bench options become options.
 */
static const char *const workloads[] = {
	"tcp_stream", "udp_stream", "tcp_rr", "udp_rr", "tcp_crr",
};

/* bench options that take a value, and those that are switches */
static const char *const bench_value_opts[] = {
	"duration", "omit", "interval", "size", "request", "response", "flows", "threads",
	"burst", "rate", "sndbuf", "rcvbuf", "busy_poll", "rcvlowat", "congestion", "cpu",
	"server_cpu",
};
static const char *const bench_flag_opts[] = { "reverse", "nodelay", "spin" };

static bool in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* "--busy-poll" from "busy_poll" */
static char *option_flag(const char *name)
{
	char *f = nr_xasprintf("--%s", name), *p;

	for (p = f; *p; p++)
		if (*p == '_')
			*p = '-';
	return f;
}

static void push_option(struct nr_strvec *argv, const char *name, const char *value)
{
	if (in_list(name, bench_flag_opts, NR_ARRAY_SIZE(bench_flag_opts))) {
		/* a switch: true/false (or the values a matrix lists) decide */
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
			nr_strvec_push_owned(argv, option_flag(name));
		else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
			nr_strvec_push_owned(argv, nr_xasprintf("--no-%s", name));
		return; /* options: only true and false make sense for a switch */
	}
	nr_strvec_push_owned(argv, option_flag(name));
	nr_strvec_push(argv, value);
}

static int load_workload(struct loader *l, const struct nr_campaign *c, const struct nr_ynode *n,
			 struct nr_test *t, const struct nr_kv *env)
{
	const struct nr_ynode *opts = nr_ynode_get(n, "options");
	const char *server_host = nr_campaign_host(c, "server") ? "server" : "local";
	const char *client_host = nr_campaign_host(c, "client") ? "client" : "local";
	const struct nr_host *sh = nr_campaign_host(c, server_host);
	struct nr_role *srv, *cli;
	size_t i;
	int r;

	if (!in_list(t->workload, workloads, NR_ARRAY_SIZE(workloads))) {
		const char *guess = nr_did_you_mean(t->workload, workloads, NR_ARRAY_SIZE(workloads));

		return fail(l, value_node(n, "workload"), "unknown workload '%s'%s%s%s (tcp_stream, udp_stream, tcp_rr, udp_rr, tcp_crr)",
			    t->workload, guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
	}
	if (!nr_parser_find("netrig"))
		return fail(l, key_node(n, "workload"), "this build has no 'netrig' parser for workloads");
	t->roles = nr_xcalloc(2, sizeof(*t->roles));
	t->n_roles = 2;
	srv = &t->roles[0];
	cli = &t->roles[1];
	srv->name = nr_xstrdup("server");
	srv->host = nr_xstrdup(server_host);
	srv->pos = pos_of(n);
	srv->ready.kind = NR_READY_REGEX;
	srv->ready.regex = nr_xstrdup("^listening on ");
	srv->ready.timeout_us = DEFAULT_READY_TIMEOUT_US;
	nr_strvec_push(&srv->argv, "{netrig}");
	nr_strvec_push(&srv->argv, "bench");
	nr_strvec_push(&srv->argv, "serve");
	nr_strvec_push(&srv->argv, "--listen");
	/* on this machine only loopback; elsewhere the address the client is given */
	nr_strvec_push(&srv->argv, sh->transport == NR_TRANSPORT_LOCAL ? "127.0.0.1:{port}"
								     : "{host.server.address}:{port}");
	nr_strvec_push(&srv->argv, "--one-off");
	nr_strvec_push(&srv->argv, "--lifetime");
	nr_strvec_push_owned(&srv->argv, nr_xasprintf("%llds", (long long)(t->timeout_us / 1000000 + 1)));
	cli->name = nr_xstrdup("client");
	cli->host = nr_xstrdup(client_host);
	cli->main = true;
	cli->pos = pos_of(n);
	nr_strvec_push(&cli->argv, "{netrig}");
	nr_strvec_push(&cli->argv, "bench");
	nr_strvec_push(&cli->argv, t->workload);
	nr_strvec_push(&cli->argv, "--to");
	nr_strvec_push(&cli->argv, sh->transport == NR_TRANSPORT_LOCAL ? "127.0.0.1:{port}"
								     : "{host.server.address}:{port}");
	nr_strvec_push(&cli->argv, "--json");
	if (opts) {
		if ((r = want_kind(l, opts, NR_Y_MAP, "options")) < 0)
			return r;
		for (i = 0; i < opts->n; i++) {
			const char *k = opts->keys[i]->scalar;
			const char *all[NR_ARRAY_SIZE(bench_value_opts) + NR_ARRAY_SIZE(bench_flag_opts)];
			size_t m = 0, j;

			if (!in_list(k, bench_value_opts, NR_ARRAY_SIZE(bench_value_opts)) &&
			    !in_list(k, bench_flag_opts, NR_ARRAY_SIZE(bench_flag_opts))) {
				const char *guess;

				for (j = 0; j < NR_ARRAY_SIZE(bench_value_opts); j++)
					all[m++] = bench_value_opts[j];
				for (j = 0; j < NR_ARRAY_SIZE(bench_flag_opts); j++)
					all[m++] = bench_flag_opts[j];
				guess = nr_did_you_mean(k, all, m);
				return fail(l, opts->keys[i], "'%s' is not an option of netrig bench%s%s%s", k,
					    guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
			}
			if (opts->items[i]->kind != NR_Y_SCALAR)
				return fail(l, opts->items[i], "option '%s' must be a single value", k);
			push_option(&cli->argv, k, opts->items[i]->scalar);
		}
	}
	for (i = 0; i < t->n_params; i++) {
		const char *k = t->params[i].name;
		char *ref;

		if (!in_list(k, bench_value_opts, NR_ARRAY_SIZE(bench_value_opts)) &&
		    !in_list(k, bench_flag_opts, NR_ARRAY_SIZE(bench_flag_opts)))
			continue; /* a dimension of its own (a label, or for other templates) */
		if (in_list(k, bench_flag_opts, NR_ARRAY_SIZE(bench_flag_opts))) {
			/* a switch in a matrix: "--reverse" or "--no-reverse" per case */
			size_t v;

			for (v = 0; v < t->params[i].values.n; v++) {
				const char *x = t->params[i].values.v[v];

				if (strcmp(x, "true") && strcmp(x, "false"))
					return fail(l, n, "matrix parameter '%s' takes true and false", k);
			}
			{
				char *flag = option_flag(k);

				nr_strvec_push_owned(&cli->argv, nr_xasprintf("{?%s:%s}", k, flag));
				free(flag);
			}
			continue;
		}
		ref = nr_xasprintf("{%s}", k);
		push_option(&cli->argv, k, ref);
		free(ref);
	}
	for (i = 0; i < env->keys.n; i++) {
		nr_kv_set(&srv->env, env->keys.v[i], env->vals.v[i]);
		nr_kv_set(&cli->env, env->keys.v[i], env->vals.v[i]);
	}
	cli->parse.parser = nr_parser_find("netrig");
	cli->parse.stream = nr_xstrdup("stdout");
	cli->has_parse = true;
	return 0;
}

/* Values a test inherits from `defaults:`. */
struct test_defaults {
	const struct nr_ynode *map;
};

static int load_role(struct loader *l, const struct nr_campaign *c, struct nr_test *t,
		     const struct nr_ynode *n, const char *default_host,
		     const struct nr_kv *env, struct nr_role *role)
{
	const struct nr_ynode *run, *x;
	size_t i;
	int r;

	role->pos = pos_of(n);
	if ((r = want_kind(l, n, NR_Y_MAP, "roles")) < 0 ||
	    (r = check_keys(l, n, role_keys, NR_ARRAY_SIZE(role_keys), "a role")) < 0 ||
	    (r = get_str(l, n, "name", &role->name)) < 0 ||
	    (r = get_str(l, n, "host", &role->host)) < 0 ||
	    (r = get_bool(l, n, "main", &role->main)) < 0)
		return r;
	if (!role->name)
		return fail(l, n, "a role of test '%s' has no 'name'", t->name);
	if (!valid_name(role->name, "-."))
		return fail(l, value_node(n, "name"), "role name '%s' may hold only letters, digits, '_', '-', '.'",
			    role->name);
	if (!role->host)
		role->host = nr_xstrdup(default_host);
	if ((r = check_host(l, c, key_node(n, "host"), role->host)) < 0)
		return r;
	run = nr_ynode_get(n, "run");
	if (!run)
		return fail(l, n, "role '%s' of test '%s' has no 'run'", role->name, t->name);
	if ((r = get_argv(l, run, "run", &role->argv)) < 0)
		return r;
	for (i = 0; i < env->keys.n; i++)
		nr_kv_set(&role->env, env->keys.v[i], env->vals.v[i]);
	if ((r = get_kv(l, n, "env", &role->env, true)) < 0)
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
		p->pos = pos_of(key);
		if (!valid_name(p->name, ""))
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

static int load_test(struct loader *l, struct nr_campaign *c, const struct nr_ynode *n,
		     const struct nr_ynode *defaults, struct nr_test *t)
{
	const struct nr_ynode *src, *x, *run, *roles, *parse;
	char *generate = NULL, *host = NULL;
	struct nr_kv env = { 0 };
	int64_t v;
	size_t i, j;
	int r;

	t->pos = pos_of(n);
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
	if (!valid_name(t->name, "-.")) {
		r = fail(l, value_node(n, "name"), "test name '%s' may hold only letters, digits, '_', '-', '.'",
			 t->name);
		goto out;
	}
	if ((x = pick(n, defaults, "repeat", &src)) && (r = get_int(l, src, "repeat", 1, 100000, &v)) > 0)
		t->repeat = (int)v;
	if (r < 0)
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
	if (!host)
		host = nr_xstrdup("local");
	if ((r = check_host(l, c, key_node(src, "host"), host)) < 0)
		goto out;
	/* env: defaults first, then the test's own */
	if (defaults && (r = get_kv(l, defaults, "env", &env, true)) < 0)
		goto out;
	if ((r = get_kv(l, n, "env", &env, true)) < 0)
		goto out;
	if ((r = get_str(l, n, "workload", &t->workload)) < 0)
		goto out;
	t->matrix_pos = pos_of(key_node(n, "matrix"));
	if ((x = nr_ynode_get(n, "matrix")) && (r = load_matrix(l, x, t)) < 0)
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
		t->count_pos = pos_of(nr_ynode_get(n, "count"));
		if ((r = get_int(l, n, "seed", 0, INT64_MAX, &v)) < 0)
			goto out;
		if (r > 0)
			t->seed = (uint64_t)v;
	} else {
		r = fail(l, value_node(n, "generate"), "'generate' must be all or random, not '%s'", generate);
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
		if ((r = load_workload(l, c, n, t, &env)) < 0)
			goto out;
		goto roles_done;
	}
	if (nr_ynode_get(n, "options")) {
		r = fail(l, key_node(n, "options"), "'options' goes with 'workload'");
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
		role->main = true;
		role->pos = pos_of(run);
		if ((r = get_argv(l, run, "run", &role->argv)) < 0)
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
			r = load_role(l, c, t, roles->items[i], host, &env, &t->roles[t->n_roles++]);
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
	if ((x = nr_ynode_get(n, "thresholds")) && (r = add_threshold(l, c, t->name, NULL, x)) < 0)
		goto out;
	/* every template must refer to something that exists */
	for (i = 0; i < t->n_roles; i++) {
		const struct nr_role *role = &t->roles[i];
		struct nr_diag d2 = { 0 };
		const struct nr_ynode *at = run ? run : roles ? roles->items[i] : n;

		for (j = 0; j < role->argv.n; j++)
			if (nr_template_check(role->argv.v[j], c, t, &d2) < 0) {
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
			r = fail(l, value_node(n, "workdir"), "%s in 'workdir'", d2.msg);
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

static const char *const campaign_keys[] = {
	"campaign", "description", "hosts", "defaults", "tests", "labels",
	"stop_after_failures", "health", "notify", "thresholds", "lab",
};

static int load_health(struct loader *l, const struct nr_ynode *n, struct nr_health *h)
{
	static const char *const keys[] = { "when", "ping", "ssh", "retries", "interval", "timeout" };
	char *when = NULL;
	int64_t v;
	int r;

	if ((r = want_kind(l, n, NR_Y_MAP, "health")) < 0 ||
	    (r = check_keys(l, n, keys, NR_ARRAY_SIZE(keys), "'health'")) < 0 ||
	    (r = get_str(l, n, "when", &when)) < 0 ||
	    (r = get_bool(l, n, "ping", &h->ping)) < 0 ||
	    (r = get_bool(l, n, "ssh", &h->ssh)) < 0 ||
	    (r = get_duration(l, n, "interval", 0, &h->interval_us)) < 0 ||
	    (r = get_duration(l, n, "timeout", 1, &h->timeout_us)) < 0 ||
	    (r = get_int(l, n, "retries", 0, 1000, &v)) < 0)
		goto out;
	if (r > 0)
		h->retries = (int)v;
	r = 0;
	if (!when || !strcmp(when, "case"))
		h->when = NR_HEALTH_CASE;
	else if (!strcmp(when, "test"))
		h->when = NR_HEALTH_TEST;
	else if (!strcmp(when, "once"))
		h->when = NR_HEALTH_ONCE;
	else if (!strcmp(when, "never"))
		h->when = NR_HEALTH_NEVER;
	else
		r = fail(l, value_node(n, "when"), "'when' must be case, test, once or never, not '%s'",
			 when);
out:
	free(when);
	return r;
}

static int load_notify(struct loader *l, const struct nr_ynode *n, struct nr_notify *no)
{
	static const char *const keys[] = { "url", "command", "on" };
	const struct nr_ynode *on;
	size_t i;
	int r;

	if ((r = want_kind(l, n, NR_Y_MAP, "notify")) < 0 ||
	    (r = check_keys(l, n, keys, NR_ARRAY_SIZE(keys), "'notify'")) < 0 ||
	    (r = get_str(l, n, "url", &no->url)) < 0)
		return r;
	if (no->url && strncmp(no->url, "http://", 7) && strncmp(no->url, "https://", 8))
		return fail(l, nr_ynode_get(n, "url"), "'url' must start with http:// or https://");
	if (nr_ynode_get(n, "command") &&
	    (r = get_argv(l, nr_ynode_get(n, "command"), "command", &no->command)) < 0)
		return r;
	if (!no->url && !no->command.n)
		return fail(l, n, "'notify' needs a 'url' or a 'command'");
	on = nr_ynode_get(n, "on");
	if (!on) {
		no->on = NR_NOTIFY_FAILURE | NR_NOTIFY_BREAKER | NR_NOTIFY_FINISH;
		return 0;
	}
	if ((r = want_kind(l, on, NR_Y_SEQ, "on")) < 0)
		return r;
	for (i = 0; i < on->n; i++) {
		const char *e = on->items[i]->kind == NR_Y_SCALAR ? on->items[i]->scalar : "";

		if (!strcmp(e, "failure"))
			no->on |= NR_NOTIFY_FAILURE;
		else if (!strcmp(e, "breaker"))
			no->on |= NR_NOTIFY_BREAKER;
		else if (!strcmp(e, "finish"))
			no->on |= NR_NOTIFY_FINISH;
		else
			return fail(l, on->items[i], "'on' takes failure, breaker and finish, not '%s'", e);
	}
	return 0;
}

static int load_root(struct loader *l, const struct nr_ynode *root, struct nr_campaign *c)
{
	const struct nr_ynode *tests, *defaults;
	int64_t v;
	size_t i, j;
	int r;

	if (!root)
		return fail(l, NULL, "the file is empty: a campaign needs 'tests'");
	if ((r = want_kind(l, root, NR_Y_MAP, "the campaign")) < 0 ||
	    (r = check_keys(l, root, campaign_keys, NR_ARRAY_SIZE(campaign_keys), "the campaign")) < 0 ||
	    (r = get_str(l, root, "campaign", &c->name)) < 0 ||
	    (r = get_kv(l, root, "labels", &c->labels, false)) < 0)
		return r;
	if (c->name && nr_ynode_is_null(nr_ynode_get(root, "campaign"))) {
		/* "campaign:" or "campaign: ~": named after the file, as when absent */
		free(c->name);
		c->name = NULL;
	} else if (c->name && !c->name[0]) {
		return fail(l, nr_ynode_get(root, "campaign"),
			    "'campaign' is empty: give the campaign a name");
	}
	if ((r = get_int(l, root, "stop_after_failures", 0, INT32_MAX, &v)) < 0)
		return r;
	if (r > 0)
		c->stop_after_failures = (int)v;
	if (!c->name) {
		char *copy = nr_xstrdup(l->yr.file), *base = basename(copy), *dot;

		dot = strrchr(base, '.');
		if (dot && dot != base)
			*dot = '\0';
		c->name = nr_xstrdup(base);
		free(copy);
	}
	l->has_lab = nr_ynode_get(root, "lab") != NULL;
	if ((r = load_hosts(l, root, c)) < 0 || (r = load_lab(l, root, c)) < 0)
		return r;
	for (i = 0; i < c->n_hosts; i++)
		if ((c->hosts[i].transport == NR_TRANSPORT_SSH && !c->hosts[i].address) ||
		    (c->hosts[i].transport == NR_TRANSPORT_NETNS && !c->hosts[i].netns))
			return fail(l, key_node(nr_ynode_get(root, "hosts"), c->hosts[i].name),
				    "host '%s' is not in the lab and has no %s", c->hosts[i].name,
				    c->hosts[i].transport == NR_TRANSPORT_SSH ? "'address'" : "'netns'");
	c->health = (struct nr_health){ .when = NR_HEALTH_CASE, .ping = true, .ssh = true,
					.retries = 2, .interval_us = 1000000, .timeout_us = 5000000 };
	if (nr_ynode_get(root, "health") && (r = load_health(l, nr_ynode_get(root, "health"), &c->health)) < 0)
		return r;
	if (nr_ynode_get(root, "notify") && (r = load_notify(l, nr_ynode_get(root, "notify"), &c->notify)) < 0)
		return r;
	if (nr_ynode_get(root, "thresholds") &&
	    (r = add_threshold(l, c, NULL, NULL, nr_ynode_get(root, "thresholds"))) < 0)
		return r;
	defaults = nr_ynode_get(root, "defaults");
	if (defaults && nr_ynode_is_null(defaults))
		defaults = NULL;
	if (defaults &&
	    ((r = want_kind(l, defaults, NR_Y_MAP, "defaults")) < 0 ||
	     (r = check_keys(l, defaults, defaults_keys, NR_ARRAY_SIZE(defaults_keys), "'defaults'")) < 0))
		return r;
	tests = nr_ynode_get(root, "tests");
	if (!tests)
		return fail(l, root, "a campaign needs 'tests'");
	if ((r = want_kind(l, tests, NR_Y_SEQ, "tests")) < 0)
		return r;
	if (tests->n == 0)
		return fail(l, tests, "'tests' is empty");
	c->tests = nr_xcalloc(tests->n, sizeof(*c->tests));
	for (i = 0; i < tests->n; i++) {
		r = load_test(l, c, tests->items[i], defaults, &c->tests[c->n_tests++]);
		if (r < 0)
			return r;
		for (j = 0; j < i; j++)
			if (!strcmp(c->tests[j].name, c->tests[i].name))
				return fail(l, tests->items[i], "two tests are named '%s' (the first at line %d)",
					    c->tests[i].name, c->tests[j].pos.line);
	}
	return 0;
}

int nr_campaign_load(const char *path, const char *text, struct nr_campaign **ret,
		     struct nr_diag *d)
{
	struct nr_campaign *c = nr_xcalloc(1, sizeof(*c));
	struct nr_buf buf = NR_BUF_INIT;
	struct nr_ydoc *doc = NULL;
	struct loader l = { .yr = { .file = path, .d = d } };
	char *copy, *dir;
	int r;

	c->path = nr_xstrdup(path);
	copy = nr_xstrdup(path);
	/*
	 * Absolute: {workdir} is read by commands that run inside it, where a
	 * path relative to our own directory would name something else.
	 */
	dir = dirname(copy);
	c->dir = realpath(dir, NULL);
	if (!c->dir)
		c->dir = nr_xstrdup(dir); /* a stored copy's folder may be gone */
	free(copy);
	if (text) {
		nr_buf_adds(&buf, text);
	} else if ((r = nr_buf_read_file(&buf, path)) < 0) {
		r = nr_diag_set(d, NR_ECONFIG, "%s: cannot read: %s", path, nr_strerror(r));
		goto out;
	}
	if (memchr(buf.buf, '\0', buf.len)) {
		r = nr_diag_set(d, NR_ECONFIG, "%s: not a text file", path);
		goto out;
	}
	c->text = nr_buf_detach(&buf, NULL);
	nr_sha256_hex(c->text, strlen(c->text), c->hash);
	if ((r = nr_ydoc_parse(path, c->text, strlen(c->text), &doc, d)) < 0)
		goto out;
	r = load_root(&l, doc->root, c);
out:
	nr_ydoc_free(doc);
	nr_buf_release(&buf);
	if (r < 0) {
		nr_campaign_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/*
 * Only what a comparison needs of a stored campaign: its name and the
 * `thresholds:` of the campaign and of each test. Nothing outside the
 * text is read (no lab file, no workdir), so a run compared on another
 * machine, or after its lab file moved, is judged by the thresholds it
 * ran with.
 */
int nr_campaign_load_thresholds(const char *path, const char *text, struct nr_campaign **ret,
				struct nr_diag *d)
{
	struct nr_campaign *c = nr_xcalloc(1, sizeof(*c));
	struct loader l = { .yr = { .file = path, .d = d } };
	const struct nr_ynode *root, *tests, *x;
	struct nr_ydoc *doc = NULL;
	size_t i;
	int r;

	c->path = nr_xstrdup(path);
	c->text = nr_xstrdup(text);
	if ((r = nr_ydoc_parse(path, c->text, strlen(c->text), &doc, d)) < 0)
		goto out;
	root = doc->root;
	if (!root) {
		r = fail(&l, NULL, "the file is empty: a campaign needs 'tests'");
		goto out;
	}
	if ((r = want_kind(&l, root, NR_Y_MAP, "the campaign")) < 0 ||
	    (r = get_str(&l, root, "campaign", &c->name)) < 0)
		goto out;
	if ((x = nr_ynode_get(root, "thresholds")) && (r = add_threshold(&l, c, NULL, NULL, x)) < 0)
		goto out;
	tests = nr_ynode_get(root, "tests");
	for (i = 0; tests && tests->kind == NR_Y_SEQ && i < tests->n; i++) {
		const struct nr_ynode *t = tests->items[i];
		char *name = NULL;

		if (t->kind != NR_Y_MAP || !(x = nr_ynode_get(t, "thresholds")))
			continue;
		if ((r = get_str(&l, t, "name", &name)) < 0)
			goto out;
		if (!name) {
			r = fail(&l, t, "a test has no 'name'");
			goto out;
		}
		r = add_threshold(&l, c, name, NULL, x);
		free(name);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	nr_ydoc_free(doc);
	if (r < 0) {
		nr_campaign_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

static void role_release(struct nr_role *r)
{
	free(r->name);
	free(r->host);
	nr_strvec_clear(&r->argv);
	nr_kv_clear(&r->env);
	free(r->ready.port);
	free(r->ready.regex);
	nr_parse_spec_release(&r->parse);
}

void nr_campaign_free(struct nr_campaign *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->n_hosts; i++) {
		struct nr_host *h = &c->hosts[i];

		free(h->name);
		free(h->address);
		free(h->netns);
		free(h->user);
		free(h->identity);
		free(h->jump);
		free(h->workdir);
		nr_strvec_clear(&h->ssh_options);
		nr_strvec_clear(&h->restart);
	}
	free(c->hosts);
	for (i = 0; i < c->n_tests; i++) {
		struct nr_test *t = &c->tests[i];

		for (j = 0; j < t->n_roles; j++)
			role_release(&t->roles[j]);
		free(t->roles);
		for (j = 0; j < t->n_params; j++) {
			free(t->params[j].name);
			nr_strvec_clear(&t->params[j].values);
		}
		free(t->params);
		for (j = 0; j < t->n_uploads; j++) {
			free(t->uploads[j].host);
			free(t->uploads[j].from);
			free(t->uploads[j].to);
		}
		free(t->uploads);
		for (j = 0; j < t->n_collects; j++) {
			free(t->collects[j].role);
			free(t->collects[j].path);
		}
		free(t->collects);
		free(t->name);
		free(t->workdir);
		free(t->workload);
	}
	for (i = 0; i < c->n_thresholds; i++) {
		free(c->thresholds[i].test);
		free(c->thresholds[i].metric);
	}
	free(c->thresholds);
	nr_lab_free(c->lab);
	free(c->notify.url);
	nr_strvec_clear(&c->notify.command);
	free(c->tests);
	nr_kv_clear(&c->labels);
	free(c->name);
	free(c->path);
	free(c->dir);
	free(c->text);
	free(c);
}

const struct nr_host *nr_campaign_host(const struct nr_campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_hosts; i++)
		if (!strcmp(c->hosts[i].name, name))
			return &c->hosts[i];
	return NULL;
}

const char *nr_transport_name(enum nr_transport t)
{
	switch (t) {
	case NR_TRANSPORT_NETNS:
		return "netns";
	case NR_TRANSPORT_SSH:
		return "ssh";
	default:
		return "local";
	}
}

void nr_kv_set(struct nr_kv *kv, const char *key, const char *val)
{
	size_t i;

	if (nr_strset_find(&kv->index, key, &i)) {
		free(kv->vals.v[i]);
		kv->vals.v[i] = nr_xstrdup(val);
		return;
	}
	nr_strvec_push(&kv->keys, key);
	nr_strvec_push(&kv->vals, val);
	nr_strset_add(&kv->index, kv->keys.v[kv->keys.n - 1], kv->keys.n - 1, NULL);
}

const char *nr_kv_get(const struct nr_kv *kv, const char *key)
{
	size_t i;

	return nr_strset_find(&kv->index, key, &i) ? kv->vals.v[i] : NULL;
}

void nr_kv_clear(struct nr_kv *kv)
{
	nr_strvec_clear(&kv->keys);
	nr_strvec_clear(&kv->vals);
	nr_strset_release(&kv->index);
}
