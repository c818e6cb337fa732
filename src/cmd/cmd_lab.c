/*
 * netrig lab up|down|status|exec LAB.yaml: build, remove, show and enter
 * a lab of network namespaces on this machine (docs/lab.md).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cmd/cmd.h"
#include "lab/lab.h"

extern const struct nr_cmd nr_cmd_lab;

static int lab_error(const struct nr_diag *d)
{
	int code = d->code;

	/* a mistake in the file is bad usage; anything else is the machine */
	return nr_cmd_error("lab", code == NR_ECONFIG || code == NR_EPARSE ? NR_EXIT_USAGE
									    : NR_EXIT_INFRA,
			    "%s", nr_diag_msg(d));
}

static int do_up(const struct nr_global *g, const struct nr_lab *lab)
{
	enum nr_lab_up_result res;
	struct nr_diag d = { 0 };
	int64_t t0 = nr_mono_us();
	size_t i, n_sshd = 0;

	if (nr_lab_up(lab, &res, &d) < 0)
		return lab_error(&d);
	for (i = 0; i < lab->n_hosts; i++)
		n_sshd += lab->hosts[i].sshd;
	if (g->quiet)
		return NR_EXIT_OK;
	if (res == NR_LAB_ALREADY_UP) {
		printf("lab %s is already up; nothing changed\n", lab->name);
		return NR_EXIT_OK;
	}
	if (res == NR_LAB_REBUILT)
		printf("lab %s: found a partial lab (a crashed up?); removed it and built anew\n",
		       lab->name);
	printf("lab %s is up: %zu namespaces, %zu links, %zu sshd in %.0f ms\n", lab->name,
	       lab->n_hosts, lab->n_links, n_sshd, (double)(nr_mono_us() - t0) / 1000.0);
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];

		printf("  %-12s netns %-20s address %-15s%s%s%s\n", h->name, h->netns,
		       h->address ? h->address : "-", h->sshd ? " sshd" : "",
		       h->forward ? " forward" : "", h->controller ? " controller" : "");
	}
	if (n_sshd)
		printf("ssh config: %s\n", lab->ssh_config);
	return NR_EXIT_OK;
}

static int do_down(const struct nr_global *g, const struct nr_lab *lab)
{
	struct nr_lab_down_report rep;
	struct nr_diag d = { 0 };

	if (nr_lab_down(lab, &rep, &d) < 0)
		return lab_error(&d);
	if (g->quiet)
		return NR_EXIT_OK;
	if (!rep.namespaces && !rep.processes)
		printf("lab %s: nothing of it was up\n", lab->name);
	else
		printf("lab %s is down: %zu namespaces deleted, %zu processes ended\n", lab->name,
		       rep.namespaces, rep.processes);
	if (!rep.dir)
		printf("lab %s: %s kept: it holds files the lab did not write\n", lab->name,
		       lab->dir);
	return NR_EXIT_OK;
}

static void status_text(const struct nr_lab *lab, const struct nr_lab_status *st)
{
	size_t i, j;

	printf("lab %s: %s (dir %s%s)\n", lab->name, st->up ? "up" : "not up", lab->dir,
	       st->dir ? "" : ", absent");
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		const struct nr_lab_host_status *hs = &st->hosts[i];

		printf("  %s: netns %s %s, %zu processes\n", h->name, h->netns,
		       hs->netns ? "exists" : "absent", hs->processes);
		for (j = 0; j < h->n_ifaces; j++) {
			const struct nr_lab_iface_status *f = &hs->ifaces[j];

			printf("    %-6s -> %-12s %s/%d %s", h->ifaces[j].name,
			       lab->hosts[h->ifaces[j].peer].name, h->ifaces[j].address,
			       h->ifaces[j].prefix, !f->exists ? "absent" : f->up ? "up" : "down");
			if (f->exists)
				printf(" mtu %d%s", f->mtu, f->has_address ? "" : ", address missing");
			if (lab->links[h->ifaces[j].link].netem.set)
				printf(", netem %s", f->netem ? "on" : "missing");
			printf("\n");
		}
		for (j = 0; j < h->n_routes; j++)
			printf("    route %s via %s dev %s\n", h->routes[j].dest, h->routes[j].via,
			       h->ifaces[h->routes[j].iface].name);
		if (h->n_routes && hs->routes != h->n_routes)
			printf("    %zu of %zu routes in place\n", hs->routes, h->n_routes);
		if (h->sshd && hs->sshd_pid)
			printf("    sshd pid %d %s\n", (int)hs->sshd_pid,
			       !hs->sshd_running ? "not running" :
			       hs->sshd_listening ? "listening on port 22" : "running, not listening");
		else if (h->sshd)
			printf("    sshd not started\n");
	}
}

static void status_json(const struct nr_lab *lab, const struct nr_lab_status *st)
{
	json_t *o = json_object(), *hosts = json_array();
	size_t i, j;
	char *s;

	json_object_set_new(o, "lab", json_string(lab->name));
	json_object_set_new(o, "up", json_boolean(st->up));
	json_object_set_new(o, "dir", json_string(lab->dir));
	json_object_set_new(o, "dir_exists", json_boolean(st->dir));
	json_object_set_new(o, "ssh_config", json_string(lab->ssh_config));
	for (i = 0; i < lab->n_hosts; i++) {
		const struct nr_lab_host *h = &lab->hosts[i];
		const struct nr_lab_host_status *hs = &st->hosts[i];
		json_t *ho = json_object(), *ifs = json_array();

		json_object_set_new(ho, "name", json_string(h->name));
		json_object_set_new(ho, "netns", json_string(h->netns));
		json_object_set_new(ho, "netns_exists", json_boolean(hs->netns));
		json_object_set_new(ho, "address", h->address ? json_string(h->address) : json_null());
		json_object_set_new(ho, "forward", json_boolean(h->forward));
		json_object_set_new(ho, "controller", json_boolean(h->controller));
		json_object_set_new(ho, "processes", json_integer((json_int_t)hs->processes));
		for (j = 0; j < h->n_ifaces; j++) {
			const struct nr_lab_iface_status *f = &hs->ifaces[j];
			json_t *fo = json_object();

			json_object_set_new(fo, "name", json_string(h->ifaces[j].name));
			json_object_set_new(fo, "peer", json_string(lab->hosts[h->ifaces[j].peer].name));
			json_object_set_new(fo, "address", json_string(h->ifaces[j].address));
			json_object_set_new(fo, "prefix", json_integer(h->ifaces[j].prefix));
			json_object_set_new(fo, "exists", json_boolean(f->exists));
			json_object_set_new(fo, "up", json_boolean(f->up));
			json_object_set_new(fo, "has_address", json_boolean(f->has_address));
			json_object_set_new(fo, "mtu", json_integer(f->mtu));
			if (lab->links[h->ifaces[j].link].netem.set)
				json_object_set_new(fo, "netem", json_boolean(f->netem));
			json_array_append_new(ifs, fo);
		}
		json_object_set_new(ho, "interfaces", ifs);
		{
			json_t *ro = json_array();

			for (j = 0; j < h->n_routes; j++)
				json_array_append_new(ro, json_pack("{s:s, s:s, s:s}", "dest",
								    h->routes[j].dest, "via", h->routes[j].via,
								    "dev", h->ifaces[h->routes[j].iface].name));
			json_object_set_new(ho, "routes", ro);
			json_object_set_new(ho, "routes_in_place", json_integer((json_int_t)hs->routes));
		}
		if (h->sshd) {
			json_t *so = json_object();

			json_object_set_new(so, "pid", hs->sshd_pid ? json_integer(hs->sshd_pid) : json_null());
			json_object_set_new(so, "running", json_boolean(hs->sshd_running));
			json_object_set_new(so, "listening", json_boolean(hs->sshd_listening));
			json_object_set_new(so, "port", json_integer(h->ssh.port));
			json_object_set_new(so, "user", json_string(h->ssh.user));
			json_object_set_new(so, "identity", json_string(h->ssh.identity));
			json_object_set_new(so, "known_hosts", json_string(h->ssh.known_hosts));
			json_object_set_new(so, "log", json_string(h->ssh.log));
			json_object_set_new(ho, "sshd", so);
		} else {
			json_object_set_new(ho, "sshd", json_null());
		}
		json_array_append_new(hosts, ho);
	}
	json_object_set_new(o, "hosts", hosts);
	s = json_dumps(o, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static int do_status(const struct nr_lab *lab, bool json)
{
	struct nr_lab_status st;
	struct nr_diag d = { 0 };
	bool up;

	if (nr_lab_status(lab, &st, &d) < 0)
		return lab_error(&d);
	if (json)
		status_json(lab, &st);
	else
		status_text(lab, &st);
	up = st.up;
	nr_lab_status_release(&st);
	/* like `systemctl is-active`: scripts may ask with the exit status */
	return up ? NR_EXIT_OK : NR_EXIT_FAIL;
}

static int run_lab(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nr_lab *lab = NULL;
	struct nr_diag d = { 0 };
	const char *action;
	bool json = false;
	int opt, status;

	if (argc < 2)
		return nr_cmd_usage(&nr_cmd_lab, stderr, NR_EXIT_USAGE);
	action = argv[1];
	if (!strcmp(action, "-h") || !strcmp(action, "--help"))
		return nr_cmd_usage(&nr_cmd_lab, stdout, NR_EXIT_OK);
	argc--;
	argv++;
	optind = 1;
	/* "+": stop at the first word, so `exec LAB HOST -- cmd -x` keeps cmd's options */
	while ((opt = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_lab, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_lab, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return nr_cmd_error("lab", NR_EXIT_USAGE, "%s: which lab file?", action);
	if (strcmp(action, "up") && strcmp(action, "down") && strcmp(action, "status") &&
	    strcmp(action, "exec"))
		return nr_cmd_error("lab", NR_EXIT_USAGE,
				    "unknown action '%s' (up, down, status or exec)", action);
	if (strcmp(action, "exec") && optind + 1 != argc)
		return nr_cmd_error("lab", NR_EXIT_USAGE, "%s takes one lab file", action);
	if (nr_lab_load(argv[optind], &lab, &d) < 0)
		return lab_error(&d);
	if (!strcmp(action, "up")) {
		status = do_up(g, lab);
	} else if (!strcmp(action, "down")) {
		status = do_down(g, lab);
	} else if (!strcmp(action, "status")) {
		status = do_status(lab, json);
	} else {
		const char *host = optind + 1 < argc ? argv[optind + 1] : NULL;
		int cmd = optind + 2;

		if (cmd < argc && !strcmp(argv[cmd], "--"))
			cmd++;
		if (!host || cmd >= argc) {
			status = nr_cmd_error("lab", NR_EXIT_USAGE, "exec LAB.yaml HOST -- COMMAND...");
		} else {
			fflush(NULL);
			nr_lab_exec(lab, host, argv + cmd, &d);
			/* only a failure comes back; 127 as a shell says "cannot run" */
			status = nr_cmd_error("lab", d.code == NR_ENOTFOUND ? NR_EXIT_USAGE : 127,
					      "%s", nr_diag_msg(&d));
		}
	}
	nr_lab_free(lab);
	return status;
}

const struct nr_cmd nr_cmd_lab = {
	.name = "lab",
	.summary = "build a lab of network namespaces (and sshd) on this machine",
	.usage = "lab up|down|status [--json] LAB.yaml\n"
		 "       netrig lab exec LAB.yaml HOST -- COMMAND [ARG...]\n"
		 "\n"
		 "  up      create the lab's namespaces, veth links and addresses, start sshd\n"
		 "          where `sshd: true`; does nothing when the lab is up already\n"
		 "  down    end what up started, delete the namespaces and the lab's state\n"
		 "  status  show what exists (exit 0 when the lab is up, 1 otherwise)\n"
		 "  exec    run COMMAND inside HOST's namespace\n"
		 "  --json  status as JSON",
	.run = run_lab,
};
