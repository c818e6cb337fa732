/*
 * netrig-agent wrap: a role on an ssh host under the agent (exec_wrap.c);
 * only the agent has it, netrig runs it there (exec_ssh.c). Its argv is
 * the sh wrapper's: MODE DIR JOB CGROUP TENTHS CMD...
 */
#include <stdint.h>
#include <stdio.h>

#include "base/num.h"
#include "cmd/cmd.h"
#include "exec/exec.h"

static int run(const struct nr_global *g, int argc, char **argv);

const struct nr_cmd nr_cmd_wrap = {
	.name = "wrap",
	.summary = "run a role's command as a job on this host (netrig runs it over ssh)",
	.usage = "wrap MODE DIR JOB CGROUP TENTHS CMD [ARG...]\n"
		 "\n"
		 "  MODE     g: this process leads its process group already; - : make one\n"
		 "  DIR      the run's state directory here (DIR/JOB.pid while it runs)\n"
		 "  CGROUP   the job's cgroup slot, or \"\" for none\n"
		 "  TENTHS   grace from SIGTERM to SIGKILL when standard input ends",
	.run = run,
};

static int run(const struct nr_global *g, int argc, char **argv)
{
	struct nr_wrap_spec spec = { 0 };
	struct nr_diag d = { 0 };
	int64_t tenths;
	int status = 125;

	(void)g;
	if (argc < 7 || !argv[2][0] || !argv[3][0] || nr_parse_i64(argv[5], 0, 1000000, &tenths) < 0)
		return nr_cmd_usage(&nr_cmd_wrap, stderr, NR_EXIT_USAGE);
	spec.grouped = argv[1][0] == 'g';
	spec.dir = argv[2];
	spec.job = argv[3];
	spec.cgroup = argv[4];
	spec.grace_tenths = (int)tenths;
	spec.argv = argv + 6;
	if (nr_exec_wrap(&spec, &status, &d) < 0) {
		if (status == 126 || status == 127)
			/* the line nr_proc_exec_failure reads, as the sh wrapper's nrno */
			fprintf(stderr, NR_EXEC_FAILED_MARK "%s\n", nr_diag_msg(&d));
		else
			nr_cmd_error("wrap", status, "%s", nr_diag_msg(&d));
	}
	return status;
}
