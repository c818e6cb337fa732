/*
 * netrig sysinfo: this machine's hardware and network description, the
 * one stored with each run's hosts (docs/sysinfo.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "sysinfo/sysinfo.h"

static int run(const struct nr_global *g, int argc, char **argv);

const struct nr_cmd nr_cmd_sysinfo = {
	.name = "sysinfo",
	.summary = "describe this machine's hardware and network",
	.usage = "sysinfo [--json]\n"
		 "\n"
		 "  --json   one line of JSON (keys in docs/sysinfo.md) instead of text",
	.run = run,
};

static int run(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_diag d = { 0 };
	struct nr_buf out = NR_BUF_INIT;
	struct nr_sysinfo *si = NULL;
	char *json;
	int c, json_out = 0, status = NR_EXIT_OK;

	(void)g;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_out = 1;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_sysinfo, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_sysinfo, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return nr_cmd_usage(&nr_cmd_sysinfo, stderr, NR_EXIT_USAGE);
	if (nr_sysinfo_collect(&si, &d) < 0)
		return nr_cmd_error("sysinfo", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
	if (json_out) {
		json = nr_sysinfo_to_json(si);
		nr_buf_adds(&out, json);
		nr_buf_addch(&out, '\n');
		free(json);
	} else {
		nr_sysinfo_format_text(si, &out);
	}
	if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) == EOF)
		status = nr_cmd_error("sysinfo", NR_EXIT_INFRA, "cannot write the output");
	nr_buf_release(&out);
	nr_sysinfo_free(si);
	return status;
}
