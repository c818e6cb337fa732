/*
 * netrig plan CAMPAIGN: validate the campaign and list its cases without
 * running anything.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "cmd/cmd.h"

static void print_commands(const struct nr_campaign *c, const struct nr_test *t,
			   const struct nr_case_plan *cp)
{
	struct nr_tmpl_ctx ctx = {
		.campaign = c, .test = t, .value_idx = cp->value_idx, .attempt = 1,
		.workdir = t->workdir ? t->workdir : c->dir, .case_key = cp->key,
	};
	size_t i, j;

	for (i = 0; i < t->n_roles; i++) {
		const struct nr_role *role = &t->roles[i];
		struct nr_buf line = NR_BUF_INIT;
		struct nr_strvec argv = NR_STRVEC_INIT;
		char *shown;

		ctx.netrig = "netrig";
		if (nr_template_expand_argv(&role->argv, &ctx, &argv, NULL) < 0) {
			nr_strvec_clear(&argv);
			for (j = 0; j < role->argv.n; j++)
				nr_strvec_push(&argv, role->argv.v[j]);
		}
		for (j = 0; j < argv.n; j++) {
			if (j)
				nr_buf_addch(&line, ' ');
			nr_shell_quote(&line, argv.v[j]);
		}
		nr_strvec_clear(&argv);
		shown = nr_str_escaped(line.buf); /* a value may hold anything */
		printf("      %s@%s%s: %s\n", role->name, role->host, role->main ? " (main)" : "",
		       shown);
		free(shown);
		nr_buf_release(&line);
	}
}

extern const struct nr_cmd nr_cmd_plan;

static int run_plan(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "test", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "commands", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_strvec only = NR_STRVEC_INIT;
	struct nr_campaign *c = NULL;
	struct nr_plan plan = { 0 };
	struct nr_diag d = { 0 };
	int opt, json = 0, commands = g->verbose > 0, status = NR_EXIT_OK;
	size_t i, n_tests;
	char *name;

	while ((opt = getopt_long(argc, argv, "t:jch", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			nr_strvec_push(&only, optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'c':
			commands = 1;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_plan, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_plan, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc) {
		nr_strvec_clear(&only);
		return nr_cmd_usage(&nr_cmd_plan, stderr, NR_EXIT_USAGE);
	}
	if (nr_campaign_load(argv[optind], NULL, &c, &d) < 0 ||
	    nr_plan_build(c, &only, &plan, &d) < 0) {
		fprintf(stderr, "%s\n", nr_diag_msg(&d));
		status = NR_EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < only.n; i++) {
		size_t k;

		for (k = 0; k < c->n_tests; k++)
			if (!strcmp(c->tests[k].name, only.v[i]))
				break;
		if (k == c->n_tests) {
			status = nr_cmd_error("plan", NR_EXIT_USAGE, "no test named '%s' in %s",
					      only.v[i], c->path);
			goto out;
		}
	}
	/* the tests that are planned: all, or those --test picked (each once) */
	n_tests = 0;
	for (i = 0; i < plan.n; i++)
		n_tests += i == 0 || plan.cases[i].test != plan.cases[i - 1].test;
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < plan.n; i++) {
			const struct nr_test *t = &c->tests[plan.cases[i].test];
			char *params = nr_case_params_json(t, plan.cases[i].value_idx);
			json_t *o = json_object();

			json_object_set_new(o, "ordinal", json_integer((json_int_t)i + 1));
			json_object_set_new(o, "test", json_string(t->name));
			json_object_set_new(o, "key", json_string(plan.cases[i].key));
			json_object_set_new(o, "params", json_loads(params, 0, NULL));
			json_object_set_new(o, "repeat", json_integer(t->repeat));
			json_array_append_new(arr, o);
			free(params);
		}
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(arr);
		goto out;
	}
	name = nr_str_escaped(c->name);
	printf("campaign %s: %zu test%s, %zu case%s\n", name, n_tests, n_tests == 1 ? "" : "s",
	       plan.n, plan.n == 1 ? "" : "s");
	free(name);
	for (i = 0; i < plan.n; i++) {
		const struct nr_test *t = &c->tests[plan.cases[i].test];

		printf("%5zu  %s  (x%d)\n", i + 1, plan.cases[i].key, t->repeat);
		if (commands)
			print_commands(c, t, &plan.cases[i]);
	}
out:
	nr_plan_release(&plan);
	nr_campaign_free(c);
	nr_strvec_clear(&only);
	return status;
}

const struct nr_cmd nr_cmd_plan = {
	.name = "plan",
	.summary = "list the cases of a campaign without running them",
	.usage = "plan CAMPAIGN.yaml [--test NAME]... [--commands] [--json]\n"
		 "\n"
		 "  --test NAME   only this test (repeatable)\n"
		 "  --commands    show each role's command line with the case's values\n"
		 "  --json        the cases as JSON",
	.run = run_plan,
};
