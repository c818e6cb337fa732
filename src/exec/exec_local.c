/*
 * Targets on this machine: local, and netns (a network namespace of this
 * machine, entered with setns(2) before exec). They share this machine's
 * files and process table, so a job is a process group here, ended with
 * the caller's other processes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

/* mkdir -p: every missing level of path (a test's workdir may be "a/b/{case}"). */
static void make_dirs(const char *path)
{
	char *p = nr_xstrdup(path), *slash = p;

	/* a failure shows when the job cannot chdir there */
	while ((slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			break;
		*slash = '/';
	}
	if (!slash)
		mkdir(p, 0777);
	free(p);
}

static int local_start(struct nr_target *t, const struct nr_job *job, struct nr_proc *ret,
		       struct nr_diag *d)
{
	struct nr_exec_spec spec = {
		.argv = job->argv, .env = job->env, .workdir = job->workdir, .netns = t->netns,
		.output_limit = job->output_limit, .cgroup = job->cgroup,
	};

	int r;

	if (job->workdir && job->make_workdir)
		make_dirs(job->workdir);
	r = nr_proc_start(&spec, ret, d);
	/* "HOST: PROGRAM: not found", as on every target */
	return r < 0 ? nr_diagf(d, r, "%s", t->name ? t->name : "local") : 0;
}

static int local_run(const struct nr_target *t, char *const *argv, const char *stdin_path,
		     int64_t timeout_us, size_t limit, int *ret_code, struct nr_buf *out,
		     struct nr_buf *err, struct nr_diag *d)
{
	struct nr_exec_spec spec = { .argv = argv, .netns = t->netns, .output_limit = limit,
				     .stdin_path = stdin_path };
	int r = nr_exec_run(&spec, timeout_us, ret_code, out, err, d);

	if (r == NR_ETIMEOUT)
		nr_diagf(d, r, "%s", t->name ? t->name : "host");
	return r;
}

/* This machine's files: a relative path is from the target's workdir. */
static int local_read_file(const struct nr_target *t, const char *path, size_t limit,
			   struct nr_buf *out, struct nr_diag *d)
{
	char *full = path[0] == '/' || !t->workdir ? nr_xstrdup(path)
						   : nr_xasprintf("%s/%s", t->workdir, path);
	int r;

	nr_buf_init(out, limit);
	r = nr_buf_read_file(out, full);
	free(full);
	return r < 0 ? nr_diagf(d, r, "collect %s: %s", path, nr_strerror(r)) : 0;
}

static bool local_port_listening(const struct nr_target *t, pid_t local_pid, int port)
{
	(void)t;
	return nr_port_listening(local_pid, port);
}

static int netns_reach(const struct nr_target *t, int64_t timeout_us, struct nr_diag *d)
{
	char path[300];

	(void)timeout_us;
	snprintf(path, sizeof(path), "/run/netns/%s", t->netns);
	return access(path, F_OK) == 0 ? 0 : nr_diagf(d, NR_ENOTFOUND, "namespace %s does not exist",
						      t->netns);
}

/*
 * Entered with setns alone, /sys still shows the namespace it was mounted
 * in (the controller's NICs): `ip netns exec` mounts the namespace's own.
 */
static int netns_sysinfo(struct nr_target *t, char **ret_json, struct nr_diag *d)
{
	const struct nr_target here = { .ops = &nr_target_local_ops, .name = t->name };
	char *argv[] = { "ip", "netns", "exec", (char *)t->netns, (char *)t->netrig, "sysinfo",
			 "--json", NULL };

	return nr__target_sysinfo_run(&here, argv, ret_json, d);
}

const struct nr_target_ops nr_target_local_ops = {
	.name = "local",
	.ready_poll_us = 5000,
	.start = local_start,
	.run = local_run,
	.read_file = local_read_file,
	.port_listening = local_port_listening,
};

const struct nr_target_ops nr_target_netns_ops = {
	.name = "netns",
	.checked = true,
	.own_ports = true,
	.ready_poll_us = 5000,
	.start = local_start,
	.run = local_run,
	.read_file = local_read_file,
	.port_listening = local_port_listening,
	.reach = netns_reach,
	.sysinfo = netns_sysinfo,
};
