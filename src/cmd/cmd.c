#include "cmd/cmd.h"

#include <stdarg.h>
#include <string.h>

/* one extern per subcommand, in the order of the table */
extern const struct nr_cmd nr_cmd_parse;

/* Sorted by name. */
const struct nr_cmd *const nr_cmds[] = {
	&nr_cmd_parse,
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

int nr_cmd_usage(const struct nr_cmd *cmd, FILE *to, int status)
{
	fprintf(to, "usage: netrig %s\n", cmd->usage);
	return status;
}
