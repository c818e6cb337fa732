/*
 * CPU placement and the clock: pinning a worker, and naming the kernel's
 * clock source so results say what they were timed with.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workload/workload_int.h"

int nr__wl_pin(int cpu, struct nr_diag *d)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	if (cpu >= CPU_SETSIZE)
		return nr_diagf(d, NR_EINVAL, "CPU %d out of range", cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* pid 0 is the calling thread */
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return nr_diagf(d, -errno, "cannot pin to CPU %d: %s", cpu, strerror(errno));
	return 0;
}

void nr__wl_clocksource(char *buf, size_t size)
{
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		      O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(buf, size, "unknown");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}
