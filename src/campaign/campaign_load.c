/*
 * Campaign files: from the YAML tree to struct nr_campaign, checking
 * everything on the way so that nothing runs from a file with a mistake.
 * Every message starts "file:line:column:" and names the key.
 *
 * This file reads the campaign as a whole (its keys, hosts, lab, health
 * checks, notifications) and frees it; campaign_test.c reads a test,
 * campaign_workload.c expands a built-in workload into roles and
 * campaign_thresholds.c reads the verdicts' thresholds, campaign_limits.c
 * the absolute limits.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "lab/lab_model.h"
#include "yaml/yaml.h"

/* The value of `key` in map, for messages about the value; the map when absent. */
const struct nr_ynode *nr__campaign_value_node(const struct nr_ynode *map, const char *key)
{
	const struct nr_ynode *v = nr_ynode_get(map, key);

	return v ? v : map;
}

struct nr_pos nr__campaign_pos_of(const struct nr_ynode *n)
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
static bool env_name(const char *s)
{
	return (*s < '0' || *s > '9') && nr__campaign_valid_name(s, "");
}

/*
 * A mapping of NAME: value into kv (merging over what kv holds). `env`:
 * the names are environment variables; else labels, whose names must not
 * be empty nor hold '=' (a selector is label:NAME=VALUE).
 */
int nr__campaign_get_kv(struct loader *l, const struct nr_ynode *map, const char *key,
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
int nr__campaign_get_argv(struct loader *l, const struct nr_ynode *n, const char *key,
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

bool nr__campaign_valid_name(const char *s, const char *extra)
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
	"workdir", "restart", "restart_timeout", "labels", "optional", "addresses",
};

static int load_host(struct loader *l, const struct nr_ynode *key,
		     const struct nr_ynode *n, struct nr_host *h)
{
	char *transport = NULL;
	int64_t port = 0;
	int r;

	h->name = nr_xstrdup(key->scalar);
	h->pos = nr__campaign_pos_of(key);
	if (!nr__campaign_valid_name(h->name, "-."))
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
	    (r = get_duration(l, n, "restart_timeout", 1, &h->restart_timeout_us)) < 0 ||
	    (r = get_bool(l, n, "optional", &h->optional)) < 0 ||
	    (r = nr__campaign_get_kv(l, n, "labels", &h->labels, false)) < 0 ||
	    (r = nr__campaign_get_kv(l, n, "addresses", &h->addresses, false)) < 0)
		goto out;
	h->port = (int)port;
	if (nr_ynode_get(n, "restart") &&
	    (r = nr__campaign_get_argv(l, nr_ynode_get(n, "restart"), "restart", &h->restart)) < 0)
		goto out;
	if (nr_ynode_get(n, "ssh_options")) {
		const struct nr_ynode *o = nr_ynode_get(n, "ssh_options");

		if ((r = want_kind(l, o, NR_Y_SEQ, "ssh_options")) < 0 ||
		    (r = nr__campaign_get_argv(l, o, "ssh_options", &h->ssh_options)) < 0)
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
		r = fail(l, nr__campaign_value_node(n, "transport"),
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
		for (j = 0; j < lh->n_ifaces; j++) {
			const char *net = c->lab->links[lh->ifaces[j].link].network;

			/* the campaign's own `addresses:` win; else the first link of a network */
			if (net && !nr_kv_get(&h->addresses, net))
				nr_kv_set(&h->addresses, net, lh->ifaces[j].address);
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

int nr__campaign_check_host(struct loader *l, const struct nr_campaign *c,
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

/* ---- the campaign ---- */

const char *const nr__campaign_defaults_keys[] = {
	"host", "repeat", "retries", "timeout", "kill_grace", "output_limit", "env",
	"workdir", "parse", "network", "probe",
};
const size_t nr__campaign_n_defaults_keys = NR_ARRAY_SIZE(nr__campaign_defaults_keys);

static const char *const campaign_keys[] = {
	"campaign", "description", "hosts", "defaults", "tests", "labels",
	"stop_after_failures", "health", "notify", "thresholds", "limits", "lab", "variants",
	"restart_first",
};

static int load_health(struct loader *l, const struct nr_ynode *n, struct nr_health *h)
{
	static const char *const keys[] = { "when", "ping", "ssh", "peers", "retries", "interval",
					    "timeout" };
	char *when = NULL;
	int64_t v;
	int r;

	if ((r = want_kind(l, n, NR_Y_MAP, "health")) < 0 ||
	    (r = check_keys(l, n, keys, NR_ARRAY_SIZE(keys), "'health'")) < 0 ||
	    (r = get_str(l, n, "when", &when)) < 0 ||
	    (r = get_bool(l, n, "ping", &h->ping)) < 0 ||
	    (r = get_bool(l, n, "ssh", &h->ssh)) < 0 ||
	    (r = get_bool(l, n, "peers", &h->peers)) < 0 ||
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
		r = fail(l, nr__campaign_value_node(n, "when"), "'when' must be case, test, once or never, not '%s'",
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
	    (r = nr__campaign_get_argv(l, nr_ynode_get(n, "command"), "command", &no->command)) < 0)
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
	    (r = nr__campaign_get_kv(l, root, "labels", &c->labels, false)) < 0)
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
	if ((r = get_bool(l, root, "restart_first", &c->restart_first)) < 0)
		return r;
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
	    (r = nr__campaign_add_threshold(l, c, NULL, NULL, nr_ynode_get(root, "thresholds"))) < 0)
		return r;
	if (nr_ynode_get(root, "limits") &&
	    (r = nr__campaign_add_limits(l, c, NULL, nr_ynode_get(root, "limits"))) < 0)
		return r;
	if (nr_ynode_get(root, "variants") &&
	    (r = nr__campaign_load_variants(l, c, nr_ynode_get(root, "variants"))) < 0)
		return r;
	defaults = nr_ynode_get(root, "defaults");
	if (defaults && nr_ynode_is_null(defaults))
		defaults = NULL;
	if (defaults &&
	    ((r = want_kind(l, defaults, NR_Y_MAP, "defaults")) < 0 ||
	     (r = check_keys(l, defaults, nr__campaign_defaults_keys, nr__campaign_n_defaults_keys, "'defaults'")) < 0))
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
		r = nr__campaign_load_test(l, c, tests->items[i], defaults, &c->tests[c->n_tests++]);
		if (r < 0)
			return r;
		for (j = 0; j < i; j++)
			if (!strcmp(c->tests[j].name, c->tests[i].name))
				return fail(l, tests->items[i], "two tests are named '%s' (the first at line %d)",
					    c->tests[i].name, c->tests[j].pos.line);
	}
	if ((r = nr__campaign_check_limits(l, c)) < 0)
		return r;
	return nr__campaign_variant_tests(l, c, nr_ynode_get(root, "variants"));
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

static void role_release(struct nr_role *r)
{
	free(r->name);
	free(r->host);
	free(r->count);
	nr_strvec_clear(&r->hosts);
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
		nr_kv_clear(&h->labels);
		nr_kv_clear(&h->addresses);
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
		for (j = 0; j < t->n_builds; j++)
			nr_strvec_clear(&t->builds[j]);
		free(t->builds);
		free(t->name);
		free(t->workdir);
		free(t->workload);
		free(t->network);
	}
	nr__campaign_variants_free(c);
	for (i = 0; i < c->n_thresholds; i++) {
		free(c->thresholds[i].test);
		free(c->thresholds[i].metric);
	}
	free(c->thresholds);
	for (i = 0; i < c->n_limits; i++)
		nr__campaign_limit_release(&c->limits[i]);
	free(c->limits);
	nr_strvec_clear(&c->warnings);
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

