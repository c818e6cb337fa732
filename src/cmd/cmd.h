/*
 * Subcommands, after tmux's cmd_entry and git's builtin table: one file
 * each (cmd_<name>.c), one const struct, one sorted table in cmd.c.
 * Only main.c and this folder print to the user or exit.
 */
#ifndef NR_CMD_H
#define NR_CMD_H

#include <stdbool.h>
#include <stdio.h>

/* Exit statuses (DESIGN.md). */
enum {
	NR_EXIT_OK = 0,        /* all passed, no regression */
	NR_EXIT_FAIL = 1,      /* a test failed or a regression was found */
	NR_EXIT_USAGE = 2,     /* bad usage or bad campaign */
	NR_EXIT_INFRA = 3,     /* hosts unreachable, breaker tripped, store broken */
	NR_EXIT_INTR = 130,    /* interrupted; the run is resumable */
};

/* Options every subcommand sees, parsed by main.c. */
struct nr_global {
	const char *db_path; /* --db, or NETRIG_DB, or "netrig.db" */
	int verbose;         /* -v count */
	int quiet;           /* -q */
	const char *argv0;
};

struct nr_cmd {
	const char *name;
	const char *summary; /* one line, for `netrig help` */
	const char *usage;   /* the synopsis and options, for `netrig help NAME` */
	/* or, when they are assembled once at run time (bench: from the workload recipe), their builder */
	const char *(*usage_build)(void);
	/* argv[0] is the subcommand's name. Returns the process exit status. */
	int (*run)(const struct nr_global *g, int argc, char **argv);
};

const struct nr_cmd *nr_cmd_find(const char *name);
/* The sorted table, NULL-terminated. */
extern const struct nr_cmd *const nr_cmds[];

/* Print "netrig NAME: " and the message to stderr; returns `status`. */
int nr_cmd_error(const char *name, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct nr_buf;
/*
 * Write out to FILE (standard output for NULL or "-"). 0, or NR_EXIT_INFRA
 * after a message naming the file.
 */
int nr_cmd_write_out(const char *name, const char *file, const struct nr_buf *out);

struct nr_strvec;
/* A loader's warnings (a campaign's), one line each on stderr, escaped. */
void nr_cmd_warnings(const struct nr_strvec *w);

/* Print the usage of cmd to `to` and return `status`. */
int nr_cmd_usage(const struct nr_cmd *cmd, FILE *to, int status);

struct nr_campaign;
struct nr_runner_opts;
struct nr_select;

/*
 * The options that choose cases (`run`, `plan`): --test PATTERN, --set
 * PARAM=VALUE and --from TEST, for getopt_long tables (their values are
 * NR_CMD_OPT_*), and the one help text for them.
 */
enum { NR_CMD_OPT_TEST = 't', NR_CMD_OPT_SET = 0x101, NR_CMD_OPT_FROM = 0x102 };
#define NR_CMD_SELECT_OPTIONS                                                   \
	{ "test", required_argument, NULL, NR_CMD_OPT_TEST },                   \
	{ "set", required_argument, NULL, NR_CMD_OPT_SET },                     \
	{ "from", required_argument, NULL, NR_CMD_OPT_FROM }
#define NR_CMD_SELECT_HELP                                                                      \
	"  --test PATTERN  only the tests (or, with a '/', case keys) PATTERN matches ('*', '?',\n" \
	"                  [...]); a leading '-' leaves them out (repeatable)\n"                   \
	"  --set P=V       matrix parameter P takes value V: one of its values narrows it,\n"    \
	"                  another replaces them (repeatable; several V for one P: those)\n"     \
	"  --from TEST     start at the first case of this test (or with this key)\n"
/*
 * One of those options into sel: 1 when opt was one (0 when not), or the
 * exit status 2 after a message for a bad --set (negated: -2).
 */
int nr_cmd_select_opt(const char *name, int opt, const char *arg, struct nr_select *sel);
/* sel's --set applied to c: 0, or exit status 2 after the message (naming the file). */
int nr_cmd_select_apply(struct nr_campaign *c, const struct nr_select *sel);

/*
 * What `netrig run` does with a loaded campaign (cmd_run.c), for the
 * commands that make one (`netrig ab`): run c, or with resume its latest
 * unfinished run (resume_run: that run); progress on stderr, the results
 * table unless quiet or !table, the summary line on stdout, errors as
 * "netrig NAME: ...". Returns the exit status of `netrig run`; ret_run_id
 * (37 bytes) the run, "" when none.
 */
int nr_cmd_run_campaign(const char *name, const struct nr_global *g, const struct nr_campaign *c,
			bool resume, const char *resume_run, struct nr_runner_opts *o, const char *db,
			bool quiet, bool table, char *ret_run_id);

/*
 * What `netrig run --push URL` does after its run (cmd_push.c): send run
 * run_id of db to the server (token from NETRIG_TOKEN), printing its URL,
 * or saying that it stays local. Returns push's exit status.
 */
int nr_cmd_push_run(const char *name, const char *db, const char *run_id, const char *server,
		    bool outputs);

#endif
