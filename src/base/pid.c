#include "base/pid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/num.h"

char *nr_pid_stat_fields(int pid, char *buf, size_t size)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* the name in parentheses may hold spaces and ')': the fields follow the last one */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

uint64_t nr_pid_start_ticks(int pid)
{
	char buf[1024], *p = nr_pid_stat_fields(pid, buf, sizeof(buf));
	uint64_t v = 0;
	int field;

	/* the fields start at 3 (state); the start time is 22 */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return 0;
	p[strcspn(p, " ")] = '\0';
	if (nr_parse_u64(p, UINT64_MAX, &v) < 0)
		return 0;
	return v;
}

int nr_pid_identity(int pid, char *buf, size_t size)
{
	char boot[64] = "";
	uint64_t start = nr_pid_start_ticks(pid);
	ssize_t n;
	int fd;

	if (!start)
		return -ESRCH;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, boot, sizeof(boot) - 1);
		close(fd);
		boot[n > 0 ? n : 0] = '\0';
		boot[strcspn(boot, "\n")] = '\0';
	}
	snprintf(buf, size, "%s:%d:%llu", boot, pid, (unsigned long long)start);
	return 0;
}

bool nr_pid_is(int pid, const char *identity)
{
	char buf[1024], now[96], *p = nr_pid_stat_fields(pid, buf, sizeof(buf));

	if (!p || p[0] == 'Z' || p[0] == 'X')
		return false; /* gone, or a zombie nobody reaped yet */
	return nr_pid_identity(pid, now, sizeof(now)) == 0 && !strcmp(now, identity);
}
