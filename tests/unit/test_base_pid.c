#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/pid.h"
#include "test.h"

NR_TEST(pid_identity_tells_a_process_from_its_successor)
{
	char me[96], again[96], child[96];
	pid_t pid;
	int status;

	CHECK_OK(nr_pid_identity((int)getpid(), me, sizeof(me)));
	CHECK_OK(nr_pid_identity((int)getpid(), again, sizeof(again)));
	CHECK_STR(me, again);
	CHECK(strchr(me, ':') != NULL);
	CHECK(nr_pid_is((int)getpid(), me));
	CHECK(nr_pid_start_ticks((int)getpid()) > 0);
	/* the parent is another process, started earlier */
	CHECK(!nr_pid_is((int)getppid(), me));
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_OK(nr_pid_identity((int)pid, child, sizeof(child)));
	CHECK(nr_pid_is((int)pid, child));
	CHECK(!nr_pid_is((int)pid, me));
	/* a zombie is not alive, a reaped one is gone */
	kill(pid, SIGKILL);
	while (!nr_pid_start_ticks((int)pid) || nr_pid_is((int)pid, child))
		usleep(1000);
	CHECK(!nr_pid_is((int)pid, child));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(!nr_pid_is((int)pid, child));
	CHECK(nr_pid_identity((int)pid, child, sizeof(child)) == -ESRCH);
	CHECK(!nr_pid_is(0, me) && !nr_pid_is(-1, me));
}
