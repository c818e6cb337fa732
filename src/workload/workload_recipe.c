/*
 * The built-in workloads' recipe: the ready line of `bench serve` and the
 * bench options a campaign may set (workload.h). `netrig bench` prints the
 * line and parses the options, the campaign loader waits for the line and
 * writes the options: both read them here, so neither can drift.
 */
#include <string.h>

#include "base/mem.h"
#include "workload/workload.h"

const struct nr_wl_option nr_wl_options[] = {
	{ "duration", "--duration", false },
	{ "omit", "--omit", false },
	{ "interval", "--interval", false },
	{ "size", "--size", false },
	{ "request", "--request", false },
	{ "response", "--response", false },
	{ "flows", "--flows", false },
	{ "threads", "--threads", false },
	{ "burst", "--burst", false },
	{ "rate", "--rate", false },
	{ "sndbuf", "--sndbuf", false },
	{ "rcvbuf", "--rcvbuf", false },
	{ "busy_poll", "--busy-poll", false },
	{ "rcvlowat", "--rcvlowat", false },
	{ "congestion", "--congestion", false },
	{ "cpu", "--cpu", false },
	{ "server_cpu", "--server-cpu", false },
	{ "reverse", "--reverse", true },
	{ "nodelay", "--nodelay", true },
	{ "spin", "--spin", true },
};
const size_t nr_wl_n_options = NR_ARRAY_SIZE(nr_wl_options);

const struct nr_wl_option *nr_wl_option_find(const char *name)
{
	size_t i;

	for (i = 0; i < nr_wl_n_options; i++)
		if (!strcmp(nr_wl_options[i].name, name))
			return &nr_wl_options[i];
	return NULL;
}
