/*
 * netrig hosts clean CAMPAIGN: remove what netrig keeps on the campaign's
 * hosts between runs (the agent it copied to ssh hosts, issue 14).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "campaign/campaign.h"
#include "cmd/cmd.h"
#include "runner/runner.h"

#define NAME "hosts"

extern const struct nr_cmd nr_cmd_hosts;

static void said(void *ctx, const char *host, int removed, const char *error)
{
	(void)ctx;
	if (error) {
		char *shown = nr_str_escaped(error); /* the far side's words */

		fprintf(stderr, "netrig hosts: %s\n", shown);
		free(shown);
		return;
	}
	printf("%s: removed %d agent%s\n", host, removed, removed == 1 ? "" : "s");
}

static int run(const struct nr_global *g, int argc, char **argv)
{
	struct nr_campaign *c = NULL;
	struct nr_diag d = { 0 };
	int failed;

	(void)g;
	if (argc != 3 || strcmp(argv[1], "clean") != 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "usage: netrig %s", nr_cmd_hosts.usage);
	if (nr_campaign_load(argv[2], NULL, &c, &d) < 0)
		return nr_cmd_error(NAME, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	failed = nr_runner_clean_hosts(c, said, NULL);
	nr_campaign_free(c);
	return failed ? NR_EXIT_INFRA : NR_EXIT_OK;
}

const struct nr_cmd nr_cmd_hosts = {
	.name = NAME,
	.summary = "remove what netrig keeps on a campaign's hosts (the agent)",
	.usage = "hosts clean CAMPAIGN\n"
		 "\n"
		 "  clean   remove the netrig-agent copies netrig made on the campaign's ssh\n"
		 "          hosts (in the ssh user's ~/.netrig); exit 3 when a host fails\n",
	.run = run,
};
