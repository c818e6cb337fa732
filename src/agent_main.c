/*
 * netrig-agent: the part of netrig that runs on the far side of an ssh
 * host (`netrig bench`, `netrig sysinfo`, `wrap`, the job wrapper of
 * every role there: exec_wrap.c, and `session`, which serves a run's roles
 * there over one ssh session: exec_serve.c), and its local half (`mux`,
 * `relay`: exec_relay.c), linked statically so that a
 * host needs nothing installed but a Linux kernel of the same
 * architecture. netrig copies it there under a name holding its content
 * hash (exec_ssh.c) and runs it where a role says {netrig}.
 *
 * Static glibc cannot load NSS modules of another glibc: host names in
 * addresses are resolved from /etc/hosts at best; campaigns give the
 * agent numeric addresses (as labs and `addresses:` do).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "version.h"

extern const struct nr_cmd nr_cmd_bench;
extern const struct nr_cmd nr_cmd_sysinfo;
extern const struct nr_cmd nr_cmd_wrap;
extern const struct nr_cmd nr_cmd_session;
extern const struct nr_cmd nr_cmd_mux;
extern const struct nr_cmd nr_cmd_relay;

int main(int argc, char **argv)
{
	static const struct nr_cmd *const cmds[] = { &nr_cmd_bench, &nr_cmd_sysinfo, &nr_cmd_wrap,
						     &nr_cmd_session, &nr_cmd_mux, &nr_cmd_relay };
	struct nr_global g = { .db_path = "netrig.db", .argv0 = argv[0] };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("netrig-agent %s\n", NR_VERSION);
		return NR_EXIT_OK;
	}
	for (i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i]->name))
			return cmds[i]->run(&g, argc - 1, argv + 1);
	fprintf(stderr, "netrig-agent: %s%s%s (it runs only: bench, sysinfo, wrap, session, mux, relay)\n",
		argc >= 2 ? "'" : "no command", argc >= 2 ? argv[1] : "",
		argc >= 2 ? "' is not a command here" : "");
	return NR_EXIT_USAGE;
}
