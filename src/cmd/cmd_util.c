/*
 * What every subcommand shares to speak to the user, apart from the table
 * of commands (cmd.c), so that the agent (agent_main.c) links its two
 * commands without the others.
 */
#include "cmd/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/str.h"

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

int nr_cmd_usage(const struct nr_cmd *cmd, FILE *to, int status)
{
	fprintf(to, "usage: netrig %s\n", cmd->usage_build ? cmd->usage_build() : cmd->usage);
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
