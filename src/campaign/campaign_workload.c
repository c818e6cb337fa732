/*
 * Built-in workloads as roles (issue 14 moves this recipe into one table
 * that the loader, `netrig bench` and the workload server share).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "yaml/yaml.h"

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

int nr__campaign_load_workload(struct loader *l, const struct nr_campaign *c,
			       const struct nr_ynode *n, struct nr_test *t, const struct nr_kv *env)
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

		return fail(l, nr__campaign_value_node(n, "workload"), "unknown workload '%s'%s%s%s (tcp_stream, udp_stream, tcp_rr, udp_rr, tcp_crr)",
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
	srv->pos = nr__campaign_pos_of(n);
	srv->ready.kind = NR_READY_REGEX;
	srv->ready.regex = nr_xstrdup("^listening on ");
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

