#include "cmd/cmd.h"

#include <string.h>

/* one extern per subcommand, in the order of the table */
extern const struct nr_cmd nr_cmd_ab;
extern const struct nr_cmd nr_cmd_bench;
extern const struct nr_cmd nr_cmd_changes;
extern const struct nr_cmd nr_cmd_compare;
extern const struct nr_cmd nr_cmd_db;
extern const struct nr_cmd nr_cmd_hosts;
extern const struct nr_cmd nr_cmd_job;
extern const struct nr_cmd nr_cmd_lab;
extern const struct nr_cmd nr_cmd_log;
extern const struct nr_cmd nr_cmd_parse;
extern const struct nr_cmd nr_cmd_pkt;
extern const struct nr_cmd nr_cmd_plan;
extern const struct nr_cmd nr_cmd_push;
extern const struct nr_cmd nr_cmd_report;
extern const struct nr_cmd nr_cmd_results;
extern const struct nr_cmd nr_cmd_run;
extern const struct nr_cmd nr_cmd_serve;
extern const struct nr_cmd nr_cmd_status;
extern const struct nr_cmd nr_cmd_sysinfo;
extern const struct nr_cmd nr_cmd_token;
extern const struct nr_cmd nr_cmd_user;
extern const struct nr_cmd nr_cmd_worker;

/* Sorted by name. */
const struct nr_cmd *const nr_cmds[] = {
	&nr_cmd_ab,
	&nr_cmd_bench,
	&nr_cmd_changes,
	&nr_cmd_compare,
	&nr_cmd_db,
	&nr_cmd_hosts,
	&nr_cmd_job,
	&nr_cmd_lab,
	&nr_cmd_log,
	&nr_cmd_parse,
	&nr_cmd_pkt,
	&nr_cmd_plan,
	&nr_cmd_push,
	&nr_cmd_report,
	&nr_cmd_results,
	&nr_cmd_run,
	&nr_cmd_serve,
	&nr_cmd_status,
	&nr_cmd_sysinfo,
	&nr_cmd_token,
	&nr_cmd_user,
	&nr_cmd_worker,
	NULL,
};

const struct nr_cmd *nr_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; nr_cmds[i]; i++)
		if (!strcmp(nr_cmds[i]->name, name))
			return nr_cmds[i];
	return NULL;
}
