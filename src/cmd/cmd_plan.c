/*
 * netrig plan CAMPAIGN: validate the campaign and list its cases without
 * running anything.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "base/mem.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "cmd/cmd.h"
#include "compare/compare.h"

static void print_commands(const struct nr_campaign *c, const struct nr_test *t,
			   const struct nr_case_plan *cp)
{
	struct nr_tmpl_ctx ctx = {
		.campaign = c, .test = t, .value_idx = cp->value_idx, .attempt = 1,
		.workdir = t->workdir ? t->workdir : c->dir, .case_key = cp->key,
		.role_hosts = cp->hosts,
	};
	size_t i, j;

	for (i = 0; i < t->n_roles; i++) {
		const struct nr_role *role = &t->roles[i];
		struct nr_buf line = NR_BUF_INIT;
		struct nr_strvec argv = NR_STRVEC_INIT;
		char *shown;

		ctx.netrig = "netrig";
		ctx.instance = role->instance;
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
		printf("      %s@%s%s%s: %s\n", role->name, cp->hosts[i]->name,
		       cp->hosts[i]->optional ? " (optional)" : "", role->main ? " (main)" : "", shown);
		free(shown);
		nr_buf_release(&line);
	}
}

extern const struct nr_cmd nr_cmd_plan;

static void pct(char *b, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, 100 * v < 9.95 ? "%.1f%%" : "%.0f%%", 100 * v);
}

/*
 * --power: per planned series, its noise in past runs and what a
 * comparison with the planned repeats can detect (docs/analysis.md,
 * "What a series can detect").
 */
static int print_power(const struct nr_campaign *c, const struct nr_plan *plan, const char *db)
{
	const struct nr_analysis_compare_params defaults = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	struct nr_power_case *cases = nr_xcalloc(plan->n + 1, sizeof(*cases));
	struct nr_power_opts o = { .campaign = c->name, .camp = c, .threshold = defaults.threshold,
				   .cases = cases, .n_cases = plan->n, .alpha = defaults.alpha,
				   .power = defaults.power, .min_repeats = defaults.min_repeats };
	struct nr_power_plan pp = { 0 };
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	char *shown = nr_store_location_shown(db);
	size_t i, known = 0, blind = 0;
	int status = NR_EXIT_OK;

	for (i = 0; i < plan->n; i++) {
		const struct nr_test *t = &c->tests[plan->cases[i].test];

		cases[i] = (struct nr_power_case){ .key = plan->cases[i].key, .test = t->name,
						   .repeats = (size_t)t->repeat };
	}
	/* no database yet is no history, not an error (a file or a server's) */
	if (nr_store_open_existing(db, &st, &d) < 0 && d.code != NR_ENOTFOUND) {
		status = nr_cmd_error("plan", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	nr_diag_clear(&d);
	if (nr_compare_power_plan(st, &o, &pp, &d) < 0) {
		status = nr_cmd_error("plan", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	for (i = 0; i < pp.n; i++)
		known += isfinite(pp.v[i].detectable);
	printf("power of campaign %s: %zu series in a comparison, at most %g %% chance of any false "
	       "regression, changes found %g %% of the time\n",
	       c->name, pp.family, 100 * o.alpha, 100 * o.power);
	if (!st)
		printf("no history: %s does not exist, so nothing is known of the noise yet; run the "
		       "campaign once with at least 2 repeats a case\n", shown);
	else if (!known)
		printf("no history: %s holds no finished run of %s with at least 2 repeats of a case\n",
		       shown, c->name);
	else
		printf("noise: sd of one repeat within a run, from the last runs of each series in %s\n",
		       shown);
	printf("%-40s %-22s %5s %7s %7s %8s %s\n", "case", "metric", "runs", "noise", "repeats",
	       "detects", "repeats for threshold");
	for (i = 0; i < pp.n; i++) {
		const struct nr_power_series *s = &pp.v[i];
		char noise[16], det[16], t[16], need[48];

		pct(noise, sizeof(noise), s->noise);
		pct(det, sizeof(det), s->detectable);
		pct(t, sizeof(t), s->threshold);
		if (s->no_history || !isfinite(s->detectable))
			snprintf(need, sizeof(need), "%s", s->no_history ? "no history" : "no estimate");
		else if (s->repeats_needed > NR_ANALYSIS_REPEATS_CAP)
			snprintf(need, sizeof(need), "more than %d for %s", NR_ANALYSIS_REPEATS_CAP, t);
		else
			snprintf(need, sizeof(need), "%zu for %s", s->repeats_needed, t);
		printf("%-40s %-22s %5zu %7s %7zu %8s %s\n", s->id.key, s->id.metric ? s->id.metric : "-",
		       s->runs, noise, s->repeats, det, need);
		blind += isfinite(s->detectable) && s->detectable > s->threshold;
	}
	if (blind)
		printf("%zu series cannot detect a change of their threshold with the planned repeats\n",
		       blind);
out:
	nr_power_plan_release(&pp);
	nr_store_close(st);
	free(shown);
	free(cases);
	return status;
}

static int run_plan(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		NR_CMD_SELECT_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "commands", no_argument, NULL, 'c' },
		{ "power", no_argument, NULL, 'p' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_select sel = { 0 };
	struct nr_campaign *c = NULL;
	struct nr_plan plan = { 0 };
	struct nr_diag d = { 0 };
	int opt, json = 0, commands = g->verbose > 0, power = 0, status = NR_EXIT_OK;
	const char *db = g->db_path;
	size_t i, n_tests;
	char *name;

	while ((opt = getopt_long(argc, argv, "t:jcpd:h", opts, NULL)) != -1) {
		int k = nr_cmd_select_opt("plan", opt, optarg, &sel);

		if (k < 0) {
			nr_select_clear(&sel);
			return -k;
		}
		if (k > 0)
			continue;
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'c':
			commands = 1;
			break;
		case 'p':
			power = 1;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_plan, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_plan, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc) {
		nr_select_clear(&sel);
		return nr_cmd_usage(&nr_cmd_plan, stderr, NR_EXIT_USAGE);
	}
	if (nr_campaign_load(argv[optind], NULL, &c, &d) < 0) {
		fprintf(stderr, "%s\n", nr_diag_msg(&d));
		status = NR_EXIT_USAGE;
		goto out;
	}
	if ((status = nr_cmd_select_apply(c, &sel)) != 0)
		goto out;
	if (nr_plan_build(c, &sel, &plan, &d) < 0) {
		fprintf(stderr, "%s\n", nr_diag_msg(&d));
		status = NR_EXIT_USAGE;
		goto out;
	}
	nr_cmd_warnings(&c->warnings);
	if (power) {
		status = print_power(c, &plan, db);
		goto out;
	}
	/* the tests that are planned: all, or those --test picked (each once) */
	n_tests = 0;
	for (i = 0; i < plan.n; i++)
		n_tests += i == 0 || plan.cases[i].test != plan.cases[i - 1].test;
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < plan.n; i++) {
			const struct nr_test *t = nr_campaign_case_test(c, &plan.cases[i]);
			char *params = nr_case_params_json(t, plan.cases[i].value_idx,
							   t->variant ? t->variant->name : NULL);
			json_t *o = json_object();

			json_object_set_new(o, "ordinal", json_integer((json_int_t)i + 1));
			json_object_set_new(o, "test", json_string(t->name));
			json_object_set_new(o, "key", json_string(plan.cases[i].key));
			json_object_set_new(o, "params", json_loads(params, 0, NULL));
			json_object_set_new(o, "repeat", json_integer(t->repeat));
			if (t->repeat_min)
				json_object_set_new(o, "repeat_min", json_integer(t->repeat_min));
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
		const struct nr_test *t = nr_campaign_case_test(c, &plan.cases[i]);

		if (t->repeat_min)
			printf("%5zu  %s  (x%d..%d until clear)\n", i + 1, plan.cases[i].key,
			       t->repeat_min, t->repeat);
		else
			printf("%5zu  %s  (x%d)\n", i + 1, plan.cases[i].key, t->repeat);
		if (commands)
			print_commands(c, t, &plan.cases[i]);
	}
out:
	nr_plan_release(&plan);
	nr_campaign_free(c);
	nr_select_clear(&sel);
	return status;
}

const struct nr_cmd nr_cmd_plan = {
	.name = "plan",
	.summary = "list the cases of a campaign without running them",
	.usage = "plan CAMPAIGN.yaml [--test PATTERN]... [--set P=V]... [--from TEST] [--commands]\n"
		 "                   [--json]\n"
		 "       netrig plan CAMPAIGN.yaml --power [--test PATTERN]... [--db PATH]\n"
		 "\n"
		 NR_CMD_SELECT_HELP
		 "  --commands    show each role's command line with the case's values\n"
		 "  --json        the cases as JSON\n"
		 "  --power       what comparisons of this plan can detect: per series its noise\n"
		 "                in the stored history (the repeats of its last 10 runs), the\n"
		 "                change found 80 % of the time with the planned repeats, and\n"
		 "                the repeats needed for its threshold (docs/analysis.md)",
	.run = run_plan,
};
