/*
 * The runner: executes a campaign's plan against a store. For each case
 * it makes attempts (roles started in order, each waiting for the one
 * before to be ready), parses the main roles' output into samples, and
 * writes each attempt with its case in one transaction. It retries, stops
 * when too many cases fail in a row, and resumes unfinished runs.
 *
 * It prints nothing: progress goes to the caller's callback.
 */
#ifndef NR_RUNNER_H
#define NR_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "store/store.h"

enum nr_event_kind {
	NR_EV_RUN_START,   /* run, total */
	NR_EV_CASE_START,  /* case */
	NR_EV_ATTEMPT_END, /* case, attempt */
	NR_EV_CASE_END,    /* case */
	NR_EV_NOTE,        /* msg: something the user should know */
	NR_EV_RUN_END,     /* run */
};

struct nr_event {
	enum nr_event_kind kind;
	const struct nr_run_rec *run;
	const struct nr_case_rec *c;
	const struct nr_attempt_rec *a;
	const char *msg;
	size_t total;      /* cases in the run */
	size_t done;       /* cases finished, this session and before */
	size_t passed, failed;
	int64_t elapsed_us;   /* since this session started */
	int64_t case_avg_us;  /* mean duration of cases finished this session */
};

/*
 * nr_runner_detect_git's answer for one directory, kept for the next run
 * while the files git reads for it are unchanged (runner_git.c says
 * which). Zeroed to start; nr_runner_git_cache_clear frees it.
 */
struct nr_runner_git_cache {
	char *dir;         /* the directory asked about, as given */
	char *stamp;       /* those files' state; NULL: nothing kept */
	char *commit, *branch;
	long detections;   /* how often git was asked (a test's witness) */
};

struct nr_runner_opts {
	const char *commit, *branch;  /* NULL: detected from git in git_dir */
	const char *git_dir;          /* where commit and branch are detected; NULL: "." */
	/* NULL: git is asked on every run; else the answer is kept here between runs */
	struct nr_runner_git_cache *git_cache;
	struct nr_kv labels;          /* added to (and over) the campaign's labels */
	/* the cases a new run plans (NULL: all; campaign.h, struct nr_select),
	 * its --set already applied to the campaign; stored with the run */
	const struct nr_select *select;
	/* resume: patterns (nr_select's --test form) of cases to run again,
	 * their attempts so far superseded; a finished run may be resumed so */
	struct nr_strvec rerun;
	const char *sysinfo_json;     /* this machine's description, stored with local hosts */
	/*
	 * nr_runner_run: the new run's id (a UUID), chosen by the caller so
	 * that it can be recorded before the run exists (a worker's job);
	 * NULL: a new one.
	 */
	const char *run_id;
	/*
	 * A run selector (nr_store_runs_select, within the campaign): the
	 * baseline the cases of adaptive tests without variants are compared
	 * with while they run. Its id is kept as the run's label baseline_run,
	 * which a resume reads. NULL: none (they run their min repeats).
	 */
	const char *baseline;
	int cancel_fd;                /* readable when the user wants to stop; -1: none */
	void (*on_event)(void *ctx, const struct nr_event *ev);
	void *ctx;
};

struct nr_run_summary {
	char run_id[NR_UUID_LEN + 1];
	enum nr_run_status status;
	size_t total, passed, failed, pending;
	size_t failed_optional; /* of failed: on an optional host (the run may still pass) */
	char reason[256];
};

/* The label a run keeps its adaptive baseline's id under. */
#define NR_RUNNER_BASELINE_LABEL "baseline_run"

/* Run a campaign as a new run. NR_ENOTFOUND when o->baseline names no run of the campaign. */
int nr_runner_run(struct nr_store *st, const struct nr_campaign *c,
		  const struct nr_runner_opts *o, struct nr_run_summary *ret,
		  struct nr_diag *d);

/*
 * Finish the latest unfinished run of campaign `name` (or run `run_id`
 * when not NULL), from the campaign text and selection stored with it;
 * with o->rerun, first make the cases it matches pending again (run
 * `run_id` or the latest run of `name` then, finished or not; NR_ECONFIG
 * when a pattern matches no case of it). NR_ENOTFOUND when
 * there is none; NR_EINVAL when it is still running in a live process, or
 * another process took it over between reading and claiming it. A store
 * error mid-run stops the run (NR_RUN_STOPPED, resumable) and is returned.
 */
int nr_runner_resume(struct nr_store *st, const char *name, const char *run_id,
		     const struct nr_runner_opts *o, struct nr_run_summary *ret,
		     struct nr_diag *d);

/* "git rev-parse HEAD" and the branch in `dir`; NULLs outside a repository. */
void nr_runner_detect_git(const char *dir, char **ret_commit, char **ret_branch);

/*
 * nr_runner_detect_git(dir), from gc while what it depends on is
 * unchanged, else asked again and kept in gc. The caller frees both.
 */
void nr_runner_git_cached(struct nr_runner_git_cache *gc, const char *dir, char **ret_commit,
			  char **ret_branch);
void nr_runner_git_cache_clear(struct nr_runner_git_cache *gc);

/* What `netrig hosts clean` did on one host: files removed, or why it failed (NULL: it did not). */
typedef void nr_runner_clean_fn(void *ctx, const char *host, int removed, const char *error);
/*
 * Remove what netrig keeps on the campaign's hosts between runs (the agent
 * on ssh hosts, exec_ssh.c); each such host's outcome goes to each().
 * Hosts that keep nothing are skipped. Returns how many hosts failed.
 */
int nr_runner_clean_hosts(const struct nr_campaign *c, nr_runner_clean_fn *each, void *ctx);

#endif
