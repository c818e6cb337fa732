/*
 * netrig job submit|list|show|cancel: the queue that `netrig worker`
 * takes jobs from.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "cmd/cmd.h"
#include "store/store.h"
#include "worker/worker.h"

extern const struct nr_cmd nr_cmd_job;

/* "K=V" with a non-empty K, split at the first '=' */
static bool is_kv(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq && eq != arg;
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	json_decref(j);
	return s;
}

static void kv_put(json_t *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *k = nr_xstrndup(arg, (size_t)(eq - arg));

	json_object_set_new(obj, k, json_string(eq + 1));
	free(k);
}

/* Who asked: $USER (or the uid) at this machine. */
static char *requester(void)
{
	char host[256] = "";
	const char *user = getenv("USER");
	char uid[32];

	if (!user || !*user) {
		snprintf(uid, sizeof(uid), "uid%u", (unsigned)getuid());
		user = uid;
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	return nr_xasprintf("%s@%s", user, host[0] ? host : "?");
}

/*
 * The repository form of submit (--repo, --path, --commit, --branch) into
 * job: checked for its shape here; the campaign itself is read by the
 * worker from its checkout (a campaign that does not load fails the job).
 */
static int submit_repo(struct nr_job_rec *job, const char *repo, const char *path,
		       const char *commit, const char *branch, int n_args, char **ret_repo,
		       char **ret_name)
{
	struct nr_diag d = { 0 };
	const char *base;
	size_t len;

	if (n_args != 0)
		return nr_cmd_error("job submit", NR_EXIT_USAGE,
				    "a campaign file or --repo, --path and --commit, not both");
	if (!repo || !path || !commit)
		return nr_cmd_error("job submit", NR_EXIT_USAGE,
				    "the repository form wants --repo, --path and --commit");
	if (nr_store_job_check_repo(repo, path, commit, branch, &d) < 0)
		return nr_cmd_error("job submit", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	/* a local repository by its absolute path: the worker may run elsewhere */
	*ret_repo = strstr(repo, "://") || strchr(repo, '@') ? NULL : realpath(repo, NULL);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	len = strlen(base);
	if (nr_ends_with(base, ".yaml") || nr_ends_with(base, ".yml"))
		len -= nr_ends_with(base, ".yaml") ? 5 : 4;
	*ret_name = nr_xstrndup(base, len ? len : strlen(base));
	nr_uuid_v7(job->id);
	job->campaign = *ret_name;
	job->repo = (char *)(*ret_repo ? *ret_repo : repo);
	job->repo_path = (char *)path;
	job->repo_commit = (char *)commit;
	job->repo_branch = (char *)branch;
	return NR_EXIT_OK;
}

static int job_submit(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "test", required_argument, NULL, 't' },
		{ "set", required_argument, NULL, 's' },
		{ "needs", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, 'l' },
		{ "requester", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "repo", required_argument, NULL, 'R' },
		{ "path", required_argument, NULL, 'P' },
		{ "commit", required_argument, NULL, 'C' },
		{ "branch", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const char *repo = NULL, *repo_path = NULL, *commit = NULL, *branch = NULL;
	char *repo_abs = NULL, *repo_name = NULL;
	json_t *tests = json_array(), *sets = json_object(), *needs = json_array(),
	       *labels = json_object();
	struct nr_job_rec job = { 0 };
	struct nr_campaign *c = NULL;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	const char *db = g->db_path, *who = NULL;
	char *path = NULL, *who_owned = NULL;
	bool quiet = g->quiet;
	int opt, status = NR_EXIT_OK;

	optind = 0; /* getopt_long starts afresh: argv[0] is the action */
	while ((opt = getopt_long(argc, argv, "d:t:s:n:l:r:qR:P:C:B:", opts, NULL)) != -1) {
		const char *what = opt == 's' ? "--set" : opt == 'n' ? "--needs" : "--label";

		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 't':
			json_array_append_new(tests, json_string(optarg));
			break;
		case 's':
		case 'n':
		case 'l':
			if (!is_kv(optarg)) {
				status = nr_cmd_error("job submit", NR_EXIT_USAGE, "%s wants K=V, not '%s'",
						      what, optarg);
				goto out;
			}
			if (opt == 'n')
				json_array_append_new(needs, json_string(optarg));
			else
				kv_put(opt == 's' ? sets : labels, optarg);
			break;
		case 'r':
			who = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'R':
			repo = optarg;
			break;
		case 'P':
			repo_path = optarg;
			break;
		case 'C':
			commit = optarg;
			break;
		case 'B':
			branch = optarg;
			break;
		default:
			status = nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
			goto out;
		}
	}
	if (repo || repo_path || commit || branch) {
		status = submit_repo(&job, repo, repo_path, commit, branch, argc - optind, &repo_abs,
				     &repo_name);
		if (status != NR_EXIT_OK)
			goto out;
		job.tests = dump(tests);
		job.overrides = dump(sets);
		job.needs = dump(needs);
		job.labels = dump(labels);
		tests = sets = needs = labels = NULL;
		goto add;
	}
	if (optind + 1 != argc) {
		status = nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
		goto out;
	}
	/* a job that cannot load would fail on every worker: refused here, where its author is */
	if (nr_campaign_load(argv[optind], NULL, &c, &d) < 0) {
		fprintf(stderr, "%s\n", nr_diag_msg(&d));
		status = NR_EXIT_USAGE;
		goto out;
	}
	path = realpath(argv[optind], NULL);
	nr_uuid_v7(job.id);
	job.campaign = c->name;
	job.campaign_path = path ? path : c->path;
	job.config = c->text;
	job.tests = dump(tests);
	job.overrides = dump(sets);
	job.needs = dump(needs);
	job.labels = dump(labels);
	tests = sets = needs = labels = NULL;
	{
		/* a selection that plans no case would fail on every worker: refused here */
		struct nr_select sel = { 0 };

		if (nr_select_from_job(job.tests, job.overrides, &sel, &d) < 0 ||
		    nr_select_check(c, &sel, &d) < 0)
			status = NR_EXIT_USAGE;
		nr_select_clear(&sel);
		if (status != NR_EXIT_OK) {
			fprintf(stderr, "%s\n", nr_diag_msg(&d));
			goto out;
		}
	}
add:
	job.requester = (char *)(who ? who : (who_owned = requester()));
	job.created_us = nr_wall_us();
	if (nr_store_open(db, &st, &d) < 0 || nr_store_job_add(st, &job, &d) < 0) {
		status = nr_cmd_error("job submit", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		goto out;
	}
	if (quiet)
		printf("%s\n", job.id);
	else
		printf("job %s queued: campaign %s\n", job.id, job.campaign);
out:
	free(repo_abs);
	free(repo_name);
	json_decref(tests);
	json_decref(sets);
	json_decref(needs);
	json_decref(labels);
	free(job.tests);
	free(job.overrides);
	free(job.needs);
	free(job.labels);
	free(who_owned);
	free(path);
	nr_store_close(st);
	nr_campaign_free(c);
	return status;
}

static const char *when(char *buf, size_t size, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!us)
		return "-";
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* "K=V,K=V" from a JSON array of strings or an object of them */
static char *flat(const char *json)
{
	json_t *j = json_loads(json ? json : "null", 0, NULL);
	struct nr_buf b = NR_BUF_INIT;
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_array(j))
		json_array_foreach(j, i, v)
			nr_buf_addf(&b, "%s%s", b.len ? "," : "", json_string_value(v));
	else if (json_is_object(j))
		json_object_foreach(j, k, v)
			nr_buf_addf(&b, "%s%s=%s", b.len ? "," : "", k, json_string_value(v));
	json_decref(j);
	if (!b.len)
		nr_buf_adds(&b, "-");
	return nr_buf_detach(&b, NULL);
}

static int open_existing(const char *name, const char *db, struct nr_store **st)
{
	struct nr_diag d = { 0 };

	if (nr_store_open_existing(db, st, &d) < 0)
		return nr_cmd_error(name, NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	return 0;
}

static int job_list(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = g->db_path;
	enum nr_job_status status = NR_JOB_UNKNOWN; /* every job */
	struct nr_job_rec *v = NULL;
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	size_t n = 0, i;
	int opt, r;

	optind = 0; /* getopt_long starts afresh: argv[0] is the action */
	while ((opt = getopt_long(argc, argv, "d:s:", opts, NULL)) != -1) {
		if (opt == 'd')
			db = optarg;
		else if (opt == 's' && nr_job_status_parse(optarg, &status) < 0)
			return nr_cmd_error("job list", NR_EXIT_USAGE,
					    "--status takes queued, running, done, failed or cancelled,"
					    " not '%s'", optarg);
		else if (opt != 's')
			return nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
	}
	if (optind != argc)
		return nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
	if ((r = open_existing("job list", db, &st)) != 0)
		return r;
	if (nr_store_jobs_list(st, status, 0, &v, &n, &d) < 0) {
		nr_store_close(st);
		return nr_cmd_error("job list", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
	}
	printf("%-8s  %-9s  %-20s  %5s  %-8s  %-19s  %s\n", "job", "status", "campaign", "tries",
	       "run", "created (UTC)", "needs");
	for (i = 0; i < n; i++) {
		char *name = nr_str_escaped(v[i].campaign), *needs = flat(v[i].needs), t[32];

		printf("%-8.8s  %-9s  %-20s  %5d  %-8.8s  %-19s  %s\n", v[i].id,
		       nr_job_status_name(v[i].status), name,
		       v[i].tries, v[i].run_id[0] ? v[i].run_id : "-",
		       when(t, sizeof(t), v[i].created_us), needs);
		free(name);
		free(needs);
	}
	nr_jobs_free(v, n);
	nr_store_close(st);
	return NR_EXIT_OK;
}

static int job_show(const struct nr_global *g, int argc, char **argv, bool cancel)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = cancel ? "job cancel" : "job show", *db = g->db_path;
	struct nr_job_rec j = { 0 };
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	char *who = NULL;
	int opt, r, status = NR_EXIT_OK;

	optind = 0; /* getopt_long starts afresh: argv[0] is the action */
	while ((opt = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (opt != 'd')
			return nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
		db = optarg;
	}
	if (optind + 1 != argc)
		return nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
	if ((r = open_existing(name, db, &st)) != 0)
		return r;
	if ((r = nr_store_job_get(st, argv[optind], &j, &d)) < 0) {
		status = nr_cmd_error(name, r == NR_ENOTFOUND || r == NR_EAMBIGUOUS ? NR_EXIT_USAGE
										    : NR_EXIT_INFRA,
				      "%s", nr_diag_msg(&d));
		goto out;
	}
	if (cancel) {
		who = requester();
		r = nr_store_job_cancel(st, j.id, who, nr_wall_us(), &d);
		if (r == -EBUSY)
			status = nr_cmd_error(name, NR_EXIT_FAIL, "job %s has ended already (%s)", j.id,
					      nr_job_status_name(j.status));
		else if (r < 0)
			status = nr_cmd_error(name, NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
		else
			printf("job %s cancelled%s\n", j.id,
			       j.status != NR_JOB_RUNNING ? ""
							       : " (its worker stops at its next lease renewal)");
		goto out;
	}
	{
		char t1[32], t2[32], t3[32], t4[32];
		char *tests = flat(j.tests), *sets = flat(j.overrides), *needs = flat(j.needs),
		     *labels = flat(j.labels), *camp = nr_str_escaped(j.campaign);

		printf("job        %s\nstatus     %s\ncampaign   %s\n", j.id,
		       nr_job_status_name(j.status), camp);
		if (j.config)
			printf("file       %s\n", j.campaign_path ? j.campaign_path : "-");
		else
			printf("repository %s %s at %s\n", j.repo, j.repo_path, j.repo_commit);
		if (j.config && j.repo_commit)
			printf("commit     %s\n", j.repo_commit);
		if (j.repo_branch)
			printf("branch     %s\n", j.repo_branch);
		if (j.origin) {
			char *o = nr_str_escaped(j.origin);

			printf("origin     %s (reported: %s)\n", o, j.reported ? j.reported : "nothing yet");
			free(o);
		}
		if (j.cancelled_by)
			printf("cancelled  by %s\n", j.cancelled_by);
		printf("tests      %s\nset        %s\nneeds      %s\nlabels     %s\n", tests, sets,
		       needs, labels);
		printf("requester  %s\ncreated    %s\nstarted    %s\nfinished   %s\n",
		       j.requester ? j.requester : "-", when(t1, sizeof(t1), j.created_us),
		       when(t2, sizeof(t2), j.started_us), when(t3, sizeof(t3), j.finished_us));
		printf("worker     %s\nlease      %s\ntries      %d (%d failed in a row)\nrun        %s\n",
		       j.worker ? j.worker : "-", when(t4, sizeof(t4), j.lease_until_us), j.tries,
		       j.failures, j.run_id[0] ? j.run_id : "-");
		if (j.reasons) {
			/* a line each, escaped (they hold roles' and servers' words) */
			const char *p = j.reasons;

			printf("reasons\n");
			while (*p) {
				size_t len = strcspn(p, "\n");
				char *line = nr_xstrndup(p, len), *shown = nr_str_escaped(line);

				printf("  %s\n", shown);
				free(shown);
				free(line);
				p += len + (p[len] == '\n');
			}
		}
		free(tests);
		free(sets);
		free(needs);
		free(labels);
		free(camp);
	}
out:
	free(who);
	nr_job_rec_release(&j);
	nr_store_close(st);
	return status;
}

static int run_job_cmd(const struct nr_global *g, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "submit"))
		return job_submit(g, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return job_list(g, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return job_show(g, argc - 1, argv + 1, false);
	if (!strcmp(sub, "cancel"))
		return job_show(g, argc - 1, argv + 1, true);
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help"))
		return nr_cmd_usage(&nr_cmd_job, stdout, NR_EXIT_OK);
	return nr_cmd_usage(&nr_cmd_job, stderr, NR_EXIT_USAGE);
}

const struct nr_cmd nr_cmd_job = {
	.name = "job",
	.summary = "queue campaigns for workers (netrig worker), list, show and cancel jobs",
	.usage = "job submit CAMPAIGN.yaml [--db URL] [--test NAME]... [--set K=V]...\n"
		 "                  [--needs K=V]... [--label K=V]... [--requester WHO] [-q]\n"
		 "       netrig job submit --repo URL|PATH --path FILE --commit SHA [--branch B]\n"
		 "                  [--test NAME]... [--set K=V]... [--needs K=V]... [--label K=V]...\n"
		 "       netrig job list [--db URL] [--status queued|running|done|failed|cancelled]\n"
		 "       netrig job show JOB [--db URL]\n"
		 "       netrig job cancel JOB [--db URL]\n"
		 "\n"
		 "  --test PATTERN  the tests (or case keys) to run, as run --test takes them\n"
		 "                  (repeatable)\n"
		 "  --set K=V       matrix parameter K takes value V, as run --set (checked\n"
		 "                  against the campaign here; one value per K)\n"
		 "  --needs K=V     only a worker that offers K=V takes the job (repeatable)\n"
		 "  --label K=V     a label of the job's run (repeatable); the run also gets job=ID\n"
		 "  -q              print only the job's id\n"
		 "  --repo, --path, --commit, --branch: the campaign is FILE in the repository\n"
		 "                  at commit SHA; the worker checks it out (its --test and --set\n"
		 "                  are checked there)\n"
		 "\n"
		 "The job holds the campaign file's text: edits after submit do not change it.\n"
		 "JOB is an id or a unique prefix. Exit status: 0, 1 cancel of a job that\n"
		 "ended, 2 bad usage or campaign, 3 store failure.",
	.run = run_job_cmd,
};
