/*
 * Built-in workloads as roles: `workload: tcp_rr` is a recipe for two
 * roles, run like any others: a server (`netrig bench serve`, on the host
 * named "server" when there is one) and a client (`netrig bench tcp_rr
 * --json`, on "client", else local) whose output the `netrig` parser
 * reads. Matrix parameters and `options:` named after bench options become
 * options. The workloads, their options and the server's ready line are
 * workload.h's recipe, the one `netrig bench` reads too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "workload/workload.h"
#include "yaml/yaml.h"

static void push_option(struct nr_strvec *argv, const struct nr_wl_option *o, const char *value)
{
	if (nr_wl_option_is_switch(o)) {
		/* a switch: true/false (or the values a matrix lists) decide */
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
			nr_strvec_push(argv, o->flag);
		else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
			nr_strvec_push_owned(argv, nr_xasprintf("--no-%s", o->flag + 2));
		return; /* options: only true and false make sense for a switch */
	}
	nr_strvec_push(argv, o->flag);
	nr_strvec_push(argv, value);
}

int nr__campaign_load_workload(struct loader *l, const struct nr_campaign *c,
			       const struct nr_ynode *n, struct nr_test *t, const struct nr_kv *env)
{
	const struct nr_ynode *opts = nr_ynode_get(n, "options");
	const char *server_host = nr_campaign_host(c, "server") ? "server" : "local";
	const char *client_host = nr_campaign_host(c, "client") ? "client" : "local";
	const struct nr_host *sh = nr_campaign_host(c, server_host);
	const char *names[NR_WL_N_KINDS + 1]; /* and packet_pipeline */
	struct nr_role *srv, *cli;
	enum nr_wl_kind kind;
	size_t i;
	int r;

	if (!strcmp(t->workload, "packet_pipeline"))
		return nr__campaign_load_pipeline(l, c, n, t, env);
	if (nr_ynode_get(n, "commands"))
		return fail(l, key_node(n, "commands"), "'commands' goes with workload packet_pipeline");
	if (nr_wl_kind_parse(t->workload, &kind) < 0) {
		struct nr_buf all = NR_BUF_INIT;
		const char *guess;

		for (i = 0; i < NR_WL_N_KINDS; i++) {
			names[i] = nr_wl_kind_name((enum nr_wl_kind)i);
			nr_buf_addf(&all, "%s, ", names[i]);
		}
		names[NR_WL_N_KINDS] = "packet_pipeline";
		nr_buf_adds(&all, names[NR_WL_N_KINDS]);
		guess = nr_did_you_mean(t->workload, names, NR_WL_N_KINDS + 1);
		r = fail(l, nr__campaign_value_node(n, "workload"), "unknown workload '%s'%s%s%s (%s)",
			 t->workload, guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "",
			 all.buf);
		nr_buf_release(&all);
		return r;
	}
	if (!nr_parser_find("netrig"))
		return fail(l, key_node(n, "workload"), "this build has no 'netrig' parser for workloads");
	t->roles = nr_xcalloc(2, sizeof(*t->roles));
	t->n_roles = 2;
	srv = &t->roles[0];
	cli = &t->roles[1];
	srv->name = nr_xstrdup("server");
	srv->host = nr_xstrdup(server_host);
	srv->pos = nr__campaign_pos_of(n);
	srv->host_pos = srv->pos;
	srv->ready.kind = NR_READY_REGEX;
	srv->ready.regex = nr_xstrdup(NR_WL_READY_REGEX);
	srv->ready.timeout_us = DEFAULT_READY_TIMEOUT_US;
	nr_strvec_push(&srv->argv, "{netrig}");
	nr_strvec_push(&srv->argv, "bench");
	nr_strvec_push(&srv->argv, "serve");
	nr_strvec_push(&srv->argv, "--listen");
	/* on this machine only loopback; elsewhere the address the client reaches it by */
	nr_strvec_push_owned(&srv->argv, sh->transport == NR_TRANSPORT_LOCAL
						 ? nr_xstrdup("127.0.0.1:{port}")
						 : nr_xasprintf("{host.server.address@%s}:{port}",
								client_host));
	nr_strvec_push(&srv->argv, "--one-off");
	nr_strvec_push(&srv->argv, "--lifetime");
	nr_strvec_push_owned(&srv->argv, nr_xasprintf("%llds", (long long)(t->timeout_us / 1000000 + 1)));
	cli->name = nr_xstrdup("client");
	cli->host = nr_xstrdup(client_host);
	cli->main = true;
	cli->pos = nr__campaign_pos_of(n);
	cli->host_pos = cli->pos;
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
			const struct nr_wl_option *o = nr_wl_option_find(k);
			size_t j;

			if (!o) {
				const char **opt_names = nr_xcalloc(nr_wl_n_options, sizeof(*opt_names));
				const char *guess;

				for (j = 0; j < nr_wl_n_options; j++)
					opt_names[j] = nr_wl_options[j].name;
				guess = nr_did_you_mean(k, opt_names, nr_wl_n_options);
				free(opt_names);
				return fail(l, opts->keys[i], "'%s' is not an option of netrig bench%s%s%s", k,
					    guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
			}
			if (opts->items[i]->kind != NR_Y_SCALAR)
				return fail(l, opts->items[i], "option '%s' must be a single value", k);
			push_option(&cli->argv, o, opts->items[i]->scalar);
		}
	}
	for (i = 0; i < t->n_params; i++) {
		const char *k = t->params[i].name;
		const struct nr_wl_option *o = nr_wl_option_find(k);
		char *ref;

		if (!o)
			continue; /* a dimension of its own (a label, or for other templates) */
		if (nr_wl_option_is_switch(o)) {
			/* a switch in a matrix: "--reverse" or "--no-reverse" per case */
			size_t v;

			for (v = 0; v < t->params[i].values.n; v++) {
				const char *x = t->params[i].values.v[v];

				if (strcmp(x, "true") && strcmp(x, "false"))
					return fail(l, n, "matrix parameter '%s' takes true and false", k);
			}
			nr_strvec_push_owned(&cli->argv, nr_xasprintf("{?%s:%s}", k, o->flag));
			nr_strvec_push_owned(&cli->argv, nr_xasprintf("{!%s:--no-%s}", k, o->flag + 2));
			continue;
		}
		ref = nr_xasprintf("{%s}", k);
		push_option(&cli->argv, o, ref);
		free(ref);
	}
	for (i = 0; i < env->keys.n; i++) {
		nr_kv_set(&srv->env, env->keys.v[i], env->vals.v[i]);
		nr_kv_set(&cli->env, env->keys.v[i], env->vals.v[i]);
	}
	cli->parse.parser = nr_parser_find("netrig");
	cli->parse.stream = NR_STREAM_STDOUT;
	cli->has_parse = true;
	return 0;
}

/* A probe is a quick look at the path, not a measurement: at most this long. */
#define PROBE_MAX_US (60 * 1000000LL)
#define PROBE_DEFAULT_US 1000000

int nr__campaign_load_probe(struct loader *l, const struct nr_ynode *map, struct nr_test *t)
{
	static const char *const keys[] = { "tcp_rr" };
	const struct nr_ynode *n = nr_ynode_get(map, "probe");
	bool on = false, server = false, client = false;
	size_t i;
	int r;

	if (n->kind == NR_Y_MAP) {
		t->probe_us = PROBE_DEFAULT_US;
		if ((r = check_keys(l, n, keys, NR_ARRAY_SIZE(keys), "'probe'")) < 0 ||
		    (r = get_duration(l, n, "tcp_rr", 1, &t->probe_us)) < 0)
			return r;
		if (t->probe_us > PROBE_MAX_US)
			return fail(l, nr__campaign_value_node(n, "tcp_rr"),
				    "a probe runs at most 60s, not '%s'", nr_ynode_get(n, "tcp_rr")->scalar);
	} else {
		if ((r = get_bool(l, map, "probe", &on)) < 0)
			return r;
		t->probe_us = on ? PROBE_DEFAULT_US : 0;
	}
	if (!t->probe_us)
		return 0;
	for (i = 0; i < t->n_roles; i++) {
		server |= !strcmp(t->roles[i].name, "server");
		client |= !strcmp(t->roles[i].name, "client");
	}
	if (!server || !client)
		return fail(l, key_node(map, "probe"), "'probe' runs between the hosts of the roles "
			    "'server' and 'client', and test '%s' has no %s (a built-in workload has both)",
			    t->name, server ? "'client'" : "'server'");
	return 0;
}
