/* Internal to runner/: one attempt of a case. */
#ifndef NR_RUNNER_INTERNAL_H
#define NR_RUNNER_INTERNAL_H

#include "exec/exec.h"
#include "runner/runner.h"

/* ---- hosts: targets, health, uploads, notifications (runner_hosts.c) ---- */

struct nr__hosts {
	const struct nr_campaign *c;
	struct nr_target *targets; /* c->n_hosts */
	char **control_paths;      /* per host: its shared connection's socket (ssh hosts) */
	struct nr_proc *masters;   /* per host: the "ssh -M -N" keeping that connection */
	bool *master_up;
	char *control_dir;         /* a private directory for the sockets; NULL without ssh hosts */
	char *run_id;
	const struct nr_cgroup *cgroup; /* the run's, for the masters; NULL: none */
	struct nr_ssh_state *states; /* per ssh host: the run's state there, once opened */
	bool *state_open;
	/* something the user should know about a host (no cgroup there); may be NULL */
	void (*note)(void *ctx, const char *host, const char *msg);
	void *note_ctx;
};

struct nr__role_run {
	const struct nr_role *role;
	const struct nr_host *host;
	bool started;
	struct nr_proc proc;
	char *job; /* ssh roles: the job's name in the run's state on the host */
	char *workdir; /* ssh roles: where it runs there, or NULL */
	const struct nr_ssh_state *state; /* ssh roles: that state */
	struct nr_sample_set samples;
};

struct nr__attempt {
	/* in */
	const struct nr_campaign *c;
	const struct nr_target *targets; /* one per campaign host, same order */
	struct nr__hosts *hosts;
	int64_t ordinal;                 /* the case's, for remote pidfile names */
	const struct nr_test *t;
	const struct nr_case_plan *cp;
	const char *run_id;
	int repeat, number;
	int cancel_fd;
	const struct nr_cgroup *cgroup;  /* the run's: each attempt gets one below it; NULL: none */
	/* out */
	struct nr__role_run *roles; /* t->n_roles */
	const char *outcome;        /* NR_ATTEMPT_* */
	int exit_code, signal;
	int64_t started_us, finished_us; /* real time */
	struct nr_buf error;
	bool interrupted;
	struct nr__collected *collected;
	size_t n_collected;
};

/* The files an attempt collected from its roles' hosts. */
struct nr__collected {
	char *role, *host, *stream; /* stream: "file:PATH" */
	struct nr_buf data;
};

/* Run one attempt; fills `at`. Never fails as a function: failures are outcomes. */
void nr__runner_attempt(struct nr__attempt *at);
void nr__runner_attempt_release(struct nr__attempt *at);

/*
 * First removes the control directories a killed controller of this run
 * left here. `cgroup` (the run's, or NULL) holds the shared connections.
 */
void nr__hosts_init(struct nr__hosts *h, const struct nr_campaign *c, const char *run_id,
		    const struct nr_cgroup *cgroup);
/* Ends what is left of the run on each ssh host, removes its state there, closes the connections. */
void nr__hosts_release(struct nr__hosts *h);
/*
 * The run's state on an ssh host (nr_ssh_state_open, once per session,
 * which first ends what a killed session of the run left there); NULL with
 * the reason in d when it cannot be had.
 */
const struct nr_ssh_state *nr__hosts_state(struct nr__hosts *h, const struct nr_host *host,
					   struct nr_diag *d);
const struct nr_target *nr__hosts_target(const struct nr__hosts *h, const struct nr_host *host);
/*
 * Make sure an ssh host's shared connection is up (starting it when it is
 * not); other hosts need nothing. Failure is not fatal: commands then
 * connect on their own, and fail in their own words if the host is down.
 */
void nr__hosts_connect(struct nr__hosts *h, const struct nr_host *host);
/* The pids of the shared connections, which the orphan reaper must spare. */
size_t nr__hosts_keep(const struct nr__hosts *h, pid_t *out, size_t max);

/* A health-check verdict for one host. */
struct nr__health_result {
	int pings, ssh_checks; /* checks made */
	bool ok;
	struct nr_buf log;     /* what happened, one line per step */
};

/*
 * Told of each step of a health check as it happens: `kind` is "health"
 * for a failed ping or ssh check, "restart" for the restart and the wait.
 */
typedef void nr__health_step_fn(void *ctx, const char *kind, const char *line);

/*
 * Check `host` (ping, then an ssh login for ssh hosts), with the campaign's
 * retries; when it stays down and has a restart command, run it and wait
 * for the host to come back. Local hosts pass without checks. Each step
 * goes to on_step (if not NULL) when it happens, and into ret->log.
 */
void nr__health_check(struct nr__hosts *h, const struct nr_host *host, int cancel_fd,
		      nr__health_step_fn *on_step, void *ctx, struct nr__health_result *ret);

/* Copy a test's uploads to their hosts. */
int nr__upload(const struct nr__hosts *h, const struct nr_test *t, struct nr_diag *d);

/* Read a file from a host (bounded by limit). */
int nr__collect_file(const struct nr__hosts *h, const struct nr_host *host, const char *path,
		     size_t limit, struct nr_buf *out, struct nr_diag *d);

#endif
