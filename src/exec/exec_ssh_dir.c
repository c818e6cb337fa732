/*
 * The private directories of ssh's shared connections (and the agent
 * session's socket beside them): made per host and run, watched by the
 * guard, removed at the end, and those a killed controller of the same
 * run left found again and removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/str.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

/* The file in a control directory naming the run it serves. */
#define CONTROL_MARK "run"

/*
 * A private directory (mode 0700, /tmp/netrig-ssh.XXXXXX) for a shared
 * connection's socket, marked with the run's id and the host's name, and
 * watched by the guard, which removes it if we die. *ret is the caller's.
 */
int nr__ssh_control_dir_new(const char *mark_text, char **ret, struct nr_diag *d)
{
	char tmpl[] = "/tmp/netrig-ssh.XXXXXX";
	char *mark;
	FILE *f;

	/* mode 0700: nobody else can use our connections */
	if (!mkdtemp(tmpl))
		return nr_diagf(d, -errno, "control directory: %s", strerror(errno));
	mark = nr_xasprintf("%s/" CONTROL_MARK, tmpl);
	f = fopen(mark, "wxe");
	if (f) {
		fprintf(f, "%s\n", mark_text);
		fclose(f);
	}
	free(mark);
	nr_exec_guard_dir(tmpl, true);
	*ret = nr_xstrdup(tmpl);
	return 0;
}

/* Remove it (the socket is gone after "-O exit") and free the string. NULL: nothing. */
void nr__ssh_control_dir_remove(char *dir)
{
	if (!dir)
		return;
	nr__exec_remove_dir(dir);
	nr_exec_guard_dir(dir, false);
	free(dir);
}

/*
 * Remove the control directories a killed controller of this run left
 * for this host (ours by uid, real directories, marked with mark_text).
 * How many.
 */
int nr__ssh_control_dir_sweep(const char *mark_text)
{
	DIR *tmp = opendir("/tmp");
	struct dirent *de;
	int n = 0;

	if (!tmp)
		return 0;
	while ((de = readdir(tmp)) != NULL) {
		char path[PATH_MAX], mark[128];
		struct stat st;
		ssize_t got;
		int fd;

		if (!nr_starts_with(de->d_name, "netrig-ssh."))
			continue;
		snprintf(path, sizeof(path), "/tmp/%s", de->d_name);
		/* ours, a real directory (lstat: a planted link is not followed) */
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		snprintf(path, sizeof(path), "/tmp/%s/" CONTROL_MARK, de->d_name);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		got = read(fd, mark, sizeof(mark) - 1);
		close(fd);
		if (got <= 0)
			continue;
		mark[got] = '\0';
		mark[strcspn(mark, "\n")] = '\0';
		if (strcmp(mark, mark_text) != 0)
			continue;
		snprintf(path, sizeof(path), "/tmp/%s", de->d_name);
		nr__exec_remove_dir(path);
		n++;
	}
	closedir(tmp);
	return n;
}
