#include "cmd/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "campaign/campaign.h"

/* one extern per subcommand, in the order of the table */
extern const struct nr_cmd nr_cmd_ab;
extern const struct nr_cmd nr_cmd_bench;
extern const struct nr_cmd nr_cmd_changes;
extern const struct nr_cmd nr_cmd_compare;
extern const struct nr_cmd nr_cmd_db;
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

int nr_cmd_error(const char *name, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "netrig %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

void nr_cmd_warnings(const struct nr_strvec *w)
{
	size_t i;

	for (i = 0; w && i < w->n; i++) {
		char *shown = nr_str_escaped(w->v[i]); /* they quote the campaign */

		fprintf(stderr, "%s\n", shown);
		free(shown);
	}
}

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

int nr_cmd_usage(const struct nr_cmd *cmd, FILE *to, int status)
{
	fprintf(to, "usage: netrig %s\n", cmd->usage);
	return status;
}

int nr_cmd_write_out(const char *name, const char *file, const struct nr_buf *out)
{
	FILE *f;

	if (!file || !strcmp(file, "-")) {
		fwrite(out->buf, 1, out->len, stdout);
		return 0;
	}
	f = fopen(file, "w");
	if (!f || fwrite(out->buf, 1, out->len, f) != out->len || fclose(f) != 0) {
		if (f)
			fclose(f);
		return nr_cmd_error(name, NR_EXIT_INFRA, "cannot write %s", file);
	}
	return 0;
}
