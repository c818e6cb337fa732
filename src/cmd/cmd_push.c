/*
 * netrig push: send runs to a netrig serve (one bundle each); what
 * `netrig run --push URL` does at the end of a run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cmd/cmd.h"
#include "serve/serve.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_push;

/* One run to the server: its URL on stdout, or why not on stderr; an exit status. */
static int push_one(const char *name, struct nr_store *st, const char *run_id, const char *server,
		    const char *token, bool outputs)
{
	struct nr_diag d = { 0 };
	char *url = NULL;
	int r;

	r = nr_serve_push(st, run_id, server, token, outputs, &url, &d);
	if (r == 0) {
		printf("run %s: %s\n", run_id, url);
		free(url);
		return NR_EXIT_OK;
	}
	if (r == -ECONNREFUSED || r == NR_ETIMEOUT || r == NR_EPROTO || r == NR_ENOLIB)
		return nr_cmd_error(name, NR_EXIT_INFRA, "run %s kept local, not pushed: %s (netrig"
				    " push --all-unpushed --server URL sends it later)", run_id,
				    nr_diag_msg(&d));
	return nr_cmd_error(name, r == NR_ESTORE ? NR_EXIT_INFRA : NR_EXIT_USAGE,
			    "run %s not pushed: %s", run_id, nr_diag_msg(&d));
}

int nr_cmd_push_run(const char *name, const char *db, const char *run_id, const char *server,
		    bool outputs)
{
	const char *token = getenv("NETRIG_TOKEN");
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	int status;

	if (!token || !*token)
		return nr_cmd_error(name, NR_EXIT_USAGE, "run %s kept local, not pushed: set NETRIG_TOKEN"
				    " to a push token (netrig token create)", run_id);
	if (nr_store_open_existing(db, &st, &d) < 0)
		return nr_cmd_error(name, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	status = push_one(name, st, run_id, server, token, outputs);
	nr_store_close(st);
	return status;
}

static int run_push(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "all-unpushed", no_argument, NULL, 'a' },
		{ "outputs", no_argument, NULL, 'o' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = getenv("NETRIG_SERVER"), *token = getenv("NETRIG_TOKEN");
	const char *bundle_file = NULL;
	struct nr_buf bundle = NR_BUF_INIT;
	struct nr_run_rec run = { 0 };
	struct nr_strvec ids = { 0 };
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	bool all = false, outputs = false;
	char *key = NULL;
	int opt, status = NR_EXIT_OK, s;
	size_t i;

	while ((opt = getopt_long(argc, argv, "s:aob:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'o':
			outputs = true;
			break;
		case 'b':
			bundle_file = optarg;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_push, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_push, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind > 1 || (all && optind < argc))
		return nr_cmd_usage(&nr_cmd_push, stderr, NR_EXIT_USAGE);
	if (bundle_file && !all) {
		/* the bundle as it would be sent, into a file: nothing is sent */
		if (nr_store_open_existing(g->db_path, &st, &d) < 0 ||
		    nr_store_run_get(st, optind < argc ? argv[optind] : NULL, &run, &d) < 0 ||
		    nr_store_bundle_export(st, run.id, outputs, &bundle, &d) < 0)
			status = nr_cmd_error("push", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		else
			status = nr_cmd_write_out("push", bundle_file, &bundle);
		goto out;
	}
	if (!server || !*server)
		return nr_cmd_error("push", NR_EXIT_USAGE, "--server URL wanted (or NETRIG_SERVER)");
	if (strncmp(server, "http://", 7) && strncmp(server, "https://", 8))
		return nr_cmd_error("push", NR_EXIT_USAGE, "--server wants an http:// or https:// URL");
	if (!token || !*token)
		return nr_cmd_error("push", NR_EXIT_USAGE, "set NETRIG_TOKEN to a push token"
				    " (netrig token create on the server)");
	if (nr_store_open_existing(g->db_path, &st, &d) < 0)
		return nr_cmd_error("push", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	if (all) {
		key = nr_serve_server_key(server);
		if (nr_store_runs_unpushed(st, key, &ids, &d) < 0) {
			status = nr_cmd_error("push", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
			goto out;
		}
		if (!ids.n)
			fprintf(stderr, "netrig push: every finished run went to %s already\n", key);
	} else {
		if (nr_store_run_get(st, optind < argc ? argv[optind] : NULL, &run, &d) < 0) {
			status = nr_cmd_error("push", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
			goto out;
		}
		nr_strvec_push(&ids, run.id);
	}
	for (i = 0; i < ids.n; i++) {
		s = push_one("push", st, ids.v[i], server, token, outputs);
		if (s > status)
			status = s;
		/* an unreachable server will not be reached by the next run either */
		if (s == NR_EXIT_INFRA)
			break;
	}
out:
	nr_buf_release(&bundle);
	free(key);
	nr_strvec_clear(&ids);
	nr_run_rec_release(&run);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_push = {
	.name = "push",
	.summary = "send runs to a netrig serve",
	.usage = "push [RUN] --server URL [--outputs]\n"
		 "       netrig push --all-unpushed --server URL [--outputs]\n"
		 "       netrig push [RUN] --bundle FILE [--outputs]\n"
		 "\n"
		 "Sends a run (default: the latest) as one bundle: the run, its hosts with\n"
		 "their sysinfo, cases, attempts and samples, and with --outputs the raw\n"
		 "outputs (compressed, as stored). The token comes from NETRIG_TOKEN (a push\n"
		 "token), the server also from NETRIG_SERVER. Pushing a run again adds nothing.\n"
		 "The run's URL on the server is printed. A server that cannot be reached\n"
		 "leaves the run local and says so; --all-unpushed sends every finished run\n"
		 "this database has not sent to that server yet. --bundle writes the bundle\n"
		 "to FILE (- for standard output) instead of sending it (docs/serve.md).\n"
		 "Exit status: 0 pushed, 2 bad usage or refused by the server (token, bundle),\n"
		 "3 the server could not be reached (the run stays local).",
	.run = run_push,
};
