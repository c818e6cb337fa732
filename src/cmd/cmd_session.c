/*
 * netrig-agent session, mux, relay: the agent session that carries every
 * role of a run on an ssh host (exec_session.c). Only the agent has them;
 * netrig runs `session` on the far side and `mux` and `relay` here.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "exec/exec.h"

static int run_session(const struct nr_global *g, int argc, char **argv);
static int run_mux(const struct nr_global *g, int argc, char **argv);
static int run_relay(const struct nr_global *g, int argc, char **argv);

const struct nr_cmd nr_cmd_session = {
	.name = "session",
	.summary = "serve a run's roles on this host over standard input and output (netrig runs it over ssh)",
	.usage = "session",
	.run = run_session,
};

const struct nr_cmd nr_cmd_mux = {
	.name = "mux",
	.summary = "hold an agent session for the relays that connect to SOCK (netrig runs it)",
	.usage = "mux SOCK SSH [ARG...]",
	.run = run_mux,
};

const struct nr_cmd nr_cmd_relay = {
	.name = "relay",
	.summary = "one role through an agent session, as a process of its own (netrig runs it)",
	.usage = "relay SOCK HOST DIR JOB CGROUP TENTHS WORKDIR MAKE NENV [ENV...] CMD [ARG...]",
	.run = run_relay,
};

static int run_session(const struct nr_global *g, int argc, char **argv)
{
	struct nr_diag d = { 0 };

	(void)g;
	(void)argv;
	if (argc != 1)
		return nr_cmd_usage(&nr_cmd_session, stderr, NR_EXIT_USAGE);
	if (nr_exec_serve(&d) < 0)
		return nr_cmd_error("session", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
	return NR_EXIT_OK;
}

static int run_mux(const struct nr_global *g, int argc, char **argv)
{
	struct nr_diag d = { 0 };
	int r;

	(void)g;
	if (argc < 3 || !argv[1][0])
		return nr_cmd_usage(&nr_cmd_mux, stderr, NR_EXIT_USAGE);
	r = nr_exec_mux(argv[1], argv + 2, &d);
	if (r < 0)
		return nr_cmd_error("mux", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
	return r;
}

static int run_relay(const struct nr_global *g, int argc, char **argv)
{
	(void)g;
	/* SOCK HOST and the eight fields up to a command */
	if (argc < 11 || !argv[1][0])
		return nr_cmd_usage(&nr_cmd_relay, stderr, NR_EXIT_USAGE);
	return nr_exec_relay(argv[1], argv[2], argv + 3);
}
