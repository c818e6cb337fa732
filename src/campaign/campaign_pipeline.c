/*
 * `workload: packet_pipeline`: ixy-ci's test of a packet-processing
 * application (issue 17, docs/pkt.md) as three roles on the hosts pktgen,
 * fwd and pcap of a lab, started pcap -> fwd -> pktgen, each ready before
 * the next. The pcap role is `netrig pkt check FILE --sent N --json --
 * CAPTURE...`: check removes FILE, runs the capture, and judges FILE by
 * ixy-ci's rules when the capture ends, so its JSON is the attempt's
 * samples and a failed rule fails the attempt with check's words. FILE is
 * collected and stored with the attempt.
 *
 * Each of the three commands is netrig's own tool unless `commands:` gives
 * the application's, following ixy-ci's contract (`pktgen IFACE`, `fwd
 * IFACE IFACE`, `pcap IFACE FILE N`) with {iface.HOST.PEER} for the
 * interfaces and {pcap_file} and {frames} for pcap's arguments; `fwd:
 * none` leaves the forwarding to the kernel (a lab host with `forward:
 * true`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "pkt/pkt.h"
#include "yaml/yaml.h"

#define PIPELINE_FRAMES 10000                       /* ixy-ci's */
#define PIPELINE_CAPTURE_TIMEOUT_US (15 * 1000000LL) /* ixy-ci's PCAP_TIMEOUT */
#define PIPELINE_READY_DELAY_US 1000000LL           /* a command without a ready line */
/*
 * gen's rate when none is given: every frame is counted (gen sends N, so
 * one lost fails the check), and a three-namespace chain here lost
 * nothing at 100k frames/s and 15-22 % at 200k (shared/lab/NOTES.md);
 * half of that leaves room for a busy machine.
 */
#define PIPELINE_RATE "50k"

static const char *const pipeline_hosts[] = { "pcap", "fwd", "pktgen" };
static const char *const pipeline_opts[] = { "frames", "rate", "size", "capture_timeout" };

/*
 * The value of option `name`: "{name}" when the matrix has it, else what
 * `options:` gives, else `dflt` (NULL: none). Malloc'ed or NULL.
 */
static char *option_value(const struct nr_test *t, const struct nr_ynode *opts, const char *name,
			  const char *dflt)
{
	const struct nr_ynode *v = opts ? nr_ynode_get(opts, name) : NULL;
	size_t i;

	for (i = 0; i < t->n_params; i++)
		if (!strcmp(t->params[i].name, name))
			return nr_xasprintf("{%s}", name);
	if (v && v->kind == NR_Y_SCALAR)
		return nr_xstrdup(v->scalar);
	return dflt ? nr_xstrdup(dflt) : NULL;
}

/* netrig's own command for role `name` (the lab's interfaces, the options). */
static void own_command(const char *name, const char *file, const char *frames,
			const char *rate, const char *size, int64_t timeout_us, bool kernel_fwd,
			struct nr_strvec *argv)
{
	if (!strcmp(name, "pcap")) {
		nr_strvec_push(argv, "{netrig}");
		nr_strvec_push(argv, "pkt");
		nr_strvec_push(argv, "pcap");
		nr_strvec_push(argv, "{iface.pcap.fwd}");
		nr_strvec_push(argv, file);
		nr_strvec_push(argv, frames);
		nr_strvec_push(argv, "--timeout");
		nr_strvec_push_owned(argv, nr_xasprintf("%lldms", (long long)(timeout_us / 1000)));
	} else if (!strcmp(name, "fwd")) {
		nr_strvec_push(argv, "{netrig}");
		nr_strvec_push(argv, "pkt");
		nr_strvec_push(argv, "fwd");
		nr_strvec_push(argv, "{iface.fwd.pktgen}");
		nr_strvec_push(argv, "{iface.fwd.pcap}");
		/* bounded as every load is; the attempt stops it when pcap ends */
		nr_strvec_push(argv, "--duration");
		nr_strvec_push_owned(argv, nr_xasprintf("%llds", (long long)(timeout_us / 1000000 + 5)));
	} else {
		nr_strvec_push(argv, "{netrig}");
		nr_strvec_push(argv, "pkt");
		nr_strvec_push(argv, "gen");
		nr_strvec_push(argv, "{iface.pktgen.fwd}");
		nr_strvec_push(argv, "--count");
		nr_strvec_push(argv, frames);
		nr_strvec_push(argv, "--rate");
		nr_strvec_push(argv, rate);
		if (size) {
			nr_strvec_push(argv, "--size");
			nr_strvec_push(argv, size);
		}
		if (kernel_fwd) {
			/* routed, not bridged: to fwd's MAC and pcap's address behind it */
			nr_strvec_push(argv, "--dst-mac");
			nr_strvec_push(argv, "{iface.fwd.pktgen.mac}");
			nr_strvec_push(argv, "--src-ip");
			nr_strvec_push(argv, "{iface.pktgen.fwd.address}");
			nr_strvec_push(argv, "--dst-ip");
			nr_strvec_push(argv, "{iface.pcap.fwd.address}");
		}
	}
}

/* {pcap_file} and {frames} in a third-party command: what it is told */
static void substitute(struct nr_strvec *argv, const char *file, const char *frames)
{
	size_t i;

	for (i = 0; i < argv->n; i++) {
		const char *with = !strcmp(argv->v[i], "{pcap_file}") ? file
				   : !strcmp(argv->v[i], "{frames}") ? frames : NULL;

		if (with) {
			free(argv->v[i]);
			argv->v[i] = nr_xstrdup(with);
		}
	}
}

int nr__campaign_load_pipeline(struct loader *l, const struct nr_campaign *c,
			       const struct nr_ynode *n, struct nr_test *t, const struct nr_kv *env)
{
	static const char *const command_keys[] = { "pktgen", "fwd", "pcap" };
	static const char *const command_map_keys[] = { "run", "ready" };
	const struct nr_ynode *opts = nr_ynode_get(n, "options");
	const struct nr_ynode *cmds = nr_ynode_get(n, "commands"), *x;
	char *frames = NULL, *rate = NULL, *size = NULL, *file = NULL;
	int64_t timeout_us = PIPELINE_CAPTURE_TIMEOUT_US;
	bool kernel_fwd = false;
	size_t i, j;
	int r;

	for (i = 0; i < NR_ARRAY_SIZE(pipeline_hosts); i++)
		if (!nr_campaign_host(c, pipeline_hosts[i]))
			return fail(l, nr__campaign_value_node(n, "workload"),
				    "packet_pipeline runs on hosts pktgen, fwd and pcap (a lab with links "
				    "[pktgen, fwd] and [fwd, pcap]); this campaign has no host '%s'",
				    pipeline_hosts[i]);
	if (nr_ynode_get(n, "collect"))
		return fail(l, key_node(n, "collect"), "packet_pipeline collects its capture itself "
			    "(netrig log shows it as file:...%s.pcap)", t->name);
	if (opts) {
		if ((r = want_kind(l, opts, NR_Y_MAP, "options")) < 0 ||
		    (r = check_keys(l, opts, pipeline_opts, NR_ARRAY_SIZE(pipeline_opts),
				    "options of packet_pipeline")) < 0 ||
		    (r = get_duration(l, opts, "capture_timeout", 1, &timeout_us)) < 0)
			return r;
		for (i = 0; i < opts->n; i++)
			if (opts->items[i]->kind != NR_Y_SCALAR)
				return fail(l, opts->items[i], "option '%s' must be a single value",
					    opts->keys[i]->scalar);
	}
	if (cmds) {
		if ((r = want_kind(l, cmds, NR_Y_MAP, "commands")) < 0 ||
		    (r = check_keys(l, cmds, command_keys, NR_ARRAY_SIZE(command_keys),
				    "commands of packet_pipeline")) < 0)
			return r;
		x = nr_ynode_get(cmds, "fwd");
		kernel_fwd = x && x->kind == NR_Y_SCALAR && !strcmp(x->scalar, "none");
	}
	frames = option_value(t, opts, "frames", NULL);
	if (!frames)
		frames = nr_xasprintf("%d", PIPELINE_FRAMES);
	else if (!strchr(frames, '{')) {
		uint64_t v;

		if (nr_parse_u64(frames, UINT32_MAX, &v) < 0 || v == 0) {
			r = fail(l, nr_ynode_get(opts, "frames"), "'frames' must be a whole number from 1, not '%s'",
				 frames);
			goto out;
		}
	}
	rate = option_value(t, opts, "rate", PIPELINE_RATE);
	size = option_value(t, opts, "size", NULL);
	file = nr_xasprintf("{workdir}/%s.pcap", t->name);
	t->roles = nr_xcalloc(NR_ARRAY_SIZE(pipeline_hosts), sizeof(*t->roles));
	for (i = 0; i < NR_ARRAY_SIZE(pipeline_hosts); i++) {
		const char *name = pipeline_hosts[i];
		const struct nr_ynode *cn = cmds ? nr_ynode_get(cmds, name) : NULL;
		struct nr_role *role = &t->roles[t->n_roles];
		struct nr_strvec cmd = NR_STRVEC_INIT;

		if (!strcmp(name, "fwd") && kernel_fwd)
			continue; /* the kernel forwards: no role on fwd */
		role->name = nr_xstrdup(name);
		role->host = nr_xstrdup(name);
		role->pos = nr__campaign_pos_of(cn ? cn : n);
		role->ready.timeout_us = DEFAULT_READY_TIMEOUT_US;
		t->n_roles++;
		if (cn) {
			/* the application's command: a command, or {run, ready} */
			const struct nr_ynode *run = cn, *ready = NULL;

			if (cn->kind == NR_Y_MAP) {
				if ((r = check_keys(l, cn, command_map_keys, NR_ARRAY_SIZE(command_map_keys),
						    "a command of packet_pipeline")) < 0)
					goto out;
				run = nr_ynode_get(cn, "run");
				ready = nr_ynode_get(cn, "ready");
				if (!run) {
					r = fail(l, cn, "command '%s' needs 'run'", name);
					goto out;
				}
			}
			/* an empty one is refused there; `fwd: none` lets the kernel forward */
			if ((r = nr__campaign_get_argv(l, run, name, &cmd)) < 0)
				goto out;
			substitute(&cmd, file, frames);
			if (ready) {
				if ((r = nr__campaign_load_ready(l, ready, &role->ready)) < 0)
					goto out;
			} else if (strcmp(name, "pktgen")) {
				/* nothing says when a third party's tool is in place */
				role->ready.kind = NR_READY_DELAY;
				role->ready.delay_us = PIPELINE_READY_DELAY_US;
			}
		} else {
			own_command(name, file, frames, rate, size, timeout_us, kernel_fwd, &cmd);
			if (strcmp(name, "pktgen")) {
				role->ready.kind = NR_READY_REGEX;
				/* the lines the tools print (pkt.h: none holds a metacharacter) */
				role->ready.regex = nr_xstrdup(!strcmp(name, "pcap") ? "^" NR_PKT_READY_PCAP
										     : "^" NR_PKT_READY_FWD);
			}
		}
		if (!strcmp(name, "pcap")) {
			/* check around the capture: it runs it, then judges its file */
			nr_strvec_push(&role->argv, "{netrig}");
			nr_strvec_push(&role->argv, "pkt");
			nr_strvec_push(&role->argv, "check");
			nr_strvec_push(&role->argv, file);
			nr_strvec_push(&role->argv, "--sent");
			nr_strvec_push(&role->argv, frames);
			if (size) {
				nr_strvec_push(&role->argv, "--size");
				nr_strvec_push(&role->argv, size);
			}
			nr_strvec_push(&role->argv, "--json");
			nr_strvec_push(&role->argv, "--");
			role->main = true; /* the attempt ends with the capture */
			role->parse.parser = nr_parser_find("netrig");
			role->parse.stream = NR_STREAM_STDOUT;
			role->has_parse = true;
		}
		for (j = 0; j < cmd.n; j++)
			nr_strvec_push(&role->argv, cmd.v[j]);
		nr_strvec_clear(&cmd);
		for (j = 0; j < env->keys.n; j++)
			nr_kv_set(&role->env, env->keys.v[j], env->vals.v[j]);
	}
	t->collects = nr_xcalloc(1, sizeof(*t->collects));
	t->collects[0].role = nr_xstrdup("pcap");
	t->collects[0].path = nr_xstrdup(file);
	t->n_collects = 1;
	r = 0;
out:
	free(frames);
	free(rate);
	free(size);
	free(file);
	return r;
}
