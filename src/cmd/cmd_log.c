/*
 * netrig log CASE-or-ATTEMPT: the raw output of an attempt (or of every
 * attempt of a case), decompressed from the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/str.h"
#include "cmd/cmd.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_log;

static int show_attempt(struct nr_store *st, const struct nr_attempt_rec *a, const char *stream,
			const char *role, bool raw, struct nr_diag *d)
{
	struct nr_output_rec *outs = NULL;
	size_t n = 0, i;
	char when[40];

	if (nr_store_outputs_get(st, a->id, &outs, &n, d) < 0)
		return -1;
	if (!raw) {
		char *error = nr_str_escaped(a->error);

		char what[32];

		/* repeat -1: a variant's build, stored with the first case that needed it */
		if (a->repeat < 0)
			snprintf(what, sizeof(what), "build");
		else
			snprintf(what, sizeof(what), "repeat %d", a->repeat + 1);
		printf("=== attempt %d (%s) %s%s  %s  %s%s%s\n", a->number, what,
		       nr_attempt_outcome_name(a->outcome),
		       a->superseded ? " (superseded: the case was run again)" : "", a->id,
		       nr_fmt_time(when, sizeof(when), a->started_us), a->error ? "\n    " : "", error);
		free(error);
	}
	for (i = 0; i < n; i++) {
		const struct nr_output_rec *o = &outs[i];

		if ((stream && strcmp(stream, o->stream)) || (role && strcmp(role, o->role)))
			continue;
		if (!raw) {
			if (!o->data.len)
				continue;
			printf("--- %s@%s %s (%llu bytes%s)\n", o->role, o->host ? o->host : "?",
			       o->stream, (unsigned long long)o->size,
			       o->dropped ? ", cut at the output limit" : "");
		}
		if (raw) {
			fwrite(o->data.buf, 1, o->data.len, stdout);
		} else if (memchr(o->data.buf, '\0', o->data.len)) {
			/* a capture or another binary file: no use escaped on a terminal */
			printf("[binary: --stream '%s' --raw writes its bytes]\n", o->stream);
		} else {
			/* for people: its lines, not what would drive their terminal */
			struct nr_buf shown = NR_BUF_INIT;

			nr_str_escape(&shown, o->data.buf, o->data.len, NULL, NR_ESC_LINES);
			fwrite(shown.buf, 1, shown.len, stdout);
			nr_buf_release(&shown);
		}
		if (!raw && o->data.len && o->data.buf[o->data.len - 1] != '\n' &&
		    !memchr(o->data.buf, '\0', o->data.len))
			putchar('\n');
		if (!raw && o->dropped)
			printf("[%llu more bytes were not kept]\n", (unsigned long long)o->dropped);
	}
	nr_outputs_free(outs, n);
	return 0;
}

static int run_log(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "run", required_argument, NULL, 'r' },
		{ "stream", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'R' },
		{ "raw", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = g->db_path, *run_sel = NULL, *stream = NULL, *role = NULL;
	enum nr_stream which; /* of a --stream that is not a file */
	char case_id[NR_UUID_LEN + 1], attempt_id[NR_UUID_LEN + 1];
	struct nr_attempt_rec *attempts = NULL;
	struct nr_run_rec run = { 0 };
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	size_t n = 0, i;
	bool raw = false;
	int opt, status = NR_EXIT_OK;

	while ((opt = getopt_long(argc, argv, "d:r:s:R:xh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'r':
			run_sel = optarg;
			break;
		case 's':
			stream = optarg;
			break;
		case 'R':
			role = optarg;
			break;
		case 'x':
			raw = true;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_log, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_log, stderr, NR_EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		return nr_cmd_usage(&nr_cmd_log, stderr, NR_EXIT_USAGE);
	/* a misspelt stream would otherwise show nothing and exit 0 */
	if (stream && strncmp(stream, "file:", 5) &&
	    (nr_stream_parse(stream, &which) < 0 || which == NR_STREAM_BOTH))
		return nr_cmd_error("log", NR_EXIT_USAGE,
				    "--stream must be stdout, stderr or file:PATH (a collected file), not '%s'",
				    stream);
	if (nr_store_open_existing(db, &st, &d) < 0 ||
	    (run_sel && nr_store_run_get(st, run_sel, &run, &d) < 0) ||
	    nr_store_locate(st, argv[optind], run_sel ? run.id : NULL, case_id, attempt_id, &d) < 0) {
		status = nr_cmd_error("log", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
		goto out;
	}
	if (case_id[0] && nr_store_attempts_list(st, case_id, &attempts, &n, &d) < 0) {
		status = nr_cmd_error("log", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((!attempt_id[0] || !strcmp(attempts[i].id, attempt_id)) &&
		    show_attempt(st, &attempts[i], stream, role, raw, &d) < 0) {
			status = nr_cmd_error("log", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
			goto out;
		}
	if (case_id[0] && n == 0)
		printf("case has no attempts yet\n");
out:
	nr_attempts_free(attempts, n);
	nr_run_rec_release(&run);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_log = {
	.name = "log",
	.summary = "show the raw output of a case's attempts, or of one attempt",
	.usage = "log CASE-or-ATTEMPT [--db PATH] [--run RUN] [--role NAME] [--stream stdout|stderr] [--raw]\n"
		 "\n"
		 "CASE is a case key as the status sheet shows it (looked up in the latest\n"
		 "run, or in --run RUN), or a case id; ATTEMPT is an attempt id. Ids may be\n"
		 "shortened to a unique prefix.\n"
		 "  --raw    only the bytes of the output, without headers",
	.run = run_log,
};
