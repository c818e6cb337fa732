/*
 * The options that choose a campaign's cases (--test, --set, --from),
 * shared by run and plan; apart from cmd_util.c, so that the agent does
 * not link the campaign module.
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/mem.h"
#include "base/str.h"
#include "campaign/campaign.h"

int nr_cmd_select_opt(const char *name, int opt, const char *arg, struct nr_select *sel)
{
	struct nr_diag d = { 0 };

	switch (opt) {
	case NR_CMD_OPT_TEST:
		nr_strvec_push(&sel->tests, arg);
		return 1;
	case NR_CMD_OPT_SET:
		if (nr_select_add_set(sel, arg, &d) < 0)
			return -nr_cmd_error(name, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		return 1;
	case NR_CMD_OPT_FROM:
		free(sel->from);
		sel->from = nr_xstrdup(arg);
		return 1;
	default:
		return 0;
	}
}

int nr_cmd_select_apply(struct nr_campaign *c, const struct nr_select *sel)
{
	struct nr_diag d = { 0 };

	if (nr_campaign_apply_set(c, sel, &d) < 0) {
		fprintf(stderr, "%s\n", nr_diag_msg(&d));
		return NR_EXIT_USAGE;
	}
	return 0;
}
