/*
 * netrig: parse the global options and dispatch to a subcommand.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cmd/cmd.h"
#include "version.h"

static const char usage[] =
	"usage: netrig [--db PATH|URL] [-v] [-q] COMMAND [ARGS]\n"
	"\n"
	"Global options:\n"
	"  --db PATH     results database: an SQLite file, or a PostgreSQL URL\n"
	"                postgres://USER@HOST/DB (default ./netrig.db, or $NETRIG_DB)\n"
	"  -v            more detail on stderr (repeat for more)\n"
	"  -q            only errors on stderr\n"
	"  --version     print the version\n"
	"\n"
	"Commands:\n";

static int help(FILE *to, int status)
{
	size_t i;

	fputs(usage, to);
	for (i = 0; nr_cmds[i]; i++)
		fprintf(to, "  %-10s %s\n", nr_cmds[i]->name, nr_cmds[i]->summary);
	fputs("\n'netrig help COMMAND' or 'netrig COMMAND --help' shows a command's options.\n",
	      to);
	return status;
}

static int not_a_command(const char *name)
{
	fprintf(stderr, "netrig: '%s' is not a command. See 'netrig --help'.\n", name);
	return NR_EXIT_USAGE;
}

/*
 * "--help" anywhere among a command's arguments (before a "--" that hands
 * the rest to another program) asks for its usage: `db runs 3 --help` must
 * not list runs, whatever each command's own parsing does.
 */
static bool asks_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_global g = { 0 };
	const struct nr_cmd *cmd;
	int c;

	nr_mem_keep_freed();
	g.argv0 = argv[0];
	g.db_path = getenv("NETRIG_DB");
	if (!g.db_path || !*g.db_path)
		g.db_path = "netrig.db";
	signal(SIGPIPE, SIG_IGN);
	/* '+': stop at the first non-option, the subcommand's name */
	while ((c = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			g.db_path = optarg;
			break;
		case 'v':
			g.verbose++;
			break;
		case 'q':
			g.quiet = 1;
			break;
		case 'h':
			return help(stdout, NR_EXIT_OK);
		case 'V':
			printf("netrig %s\n", NR_VERSION);
			return NR_EXIT_OK;
		default:
			return help(stderr, NR_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return help(stderr, NR_EXIT_USAGE);
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc)
			return help(stdout, NR_EXIT_OK);
		cmd = nr_cmd_find(argv[optind + 1]);
		if (cmd)
			return nr_cmd_usage(cmd, stdout, NR_EXIT_OK);
		return not_a_command(argv[optind + 1]);
	}
	if (!strcmp(argv[optind], "version")) {
		printf("netrig %s\n", NR_VERSION);
		return NR_EXIT_OK;
	}
	cmd = nr_cmd_find(argv[optind]);
	if (!cmd)
		return not_a_command(argv[optind]);
	if (asks_help(argc - optind - 1, argv + optind + 1))
		return nr_cmd_usage(cmd, stdout, NR_EXIT_OK);
	{
		int first = optind;

		optind = 0; /* the subcommand's getopt_long starts afresh */
		return cmd->run(&g, argc - first, argv + first);
	}
}
