/*
 * What every target shares: where its jobs run, closing its session, and
 * copying files to it (a tar stream made here, unpacked there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "exec/exec.h"
#include "exec/exec_int.h"

void nr_target_close(struct nr_target *t)
{
	if (t->ops->close)
		t->ops->close(t);
	free(t->note);
	t->note = NULL;
}

char *nr_target_workdir(const struct nr_target *t, const char *test_wd, bool *ret_make)
{
	*ret_make = test_wd != NULL;
	if (!test_wd)
		return t->workdir ? nr_xstrdup(t->workdir) : NULL;
	if (test_wd[0] == '/' || !t->workdir)
		return nr_xstrdup(test_wd);
	return nr_xasprintf("%s/%s", t->workdir, test_wd);
}

void nr__target_note(struct nr_target *t, char *text)
{
	char *both;

	if (!t->note) {
		t->note = text;
		return;
	}
	both = nr_xasprintf("%s; %s", t->note, text);
	free(t->note);
	free(text);
	t->note = both;
}

size_t nr_target_keep_pids(const struct nr_target *t, pid_t *out, size_t max)
{
	size_t n = 0;

	if (t->master_up && n < max)
		out[n++] = t->master.pid;
	if (t->session_up && n < max)
		out[n++] = t->session.pid;
	return n;
}

/* Run argv on t with stdin from a file; the last lines of stderr in *err when it fails. */
static int run_quiet(const struct nr_target *t, char *const *argv, const char *stdin_path,
		     struct nr_buf *err, struct nr_diag *d)
{
	struct nr_buf e = NR_BUF_INIT;
	int code = 0, r = t->ops->run(t, argv, stdin_path, 600 * 1000000LL, 65536, &code, NULL, &e, d);

	if (r == 0 && code != 0) {
		size_t end = e.len;

		while (end && e.buf[end - 1] == '\n')
			end--;
		nr_buf_add(err, e.buf, end);
		r = NR_EEXEC;
	}
	nr_buf_release(&e);
	return r;
}

int nr_target_copy_to(const struct nr_target *t, const char *from, const char *to,
		      struct nr_diag *d)
{
	const struct nr_target here = { .ops = &nr_target_local_ops, .name = "local" };
	char tarfile[] = "/tmp/netrig-upload.XXXXXX";
	char *copy = nr_xstrdup(from), *slash = strrchr(copy, '/');
	struct nr_buf err = NR_BUF_INIT;
	struct nr_diag d2 = { 0 };
	int fd = mkstemp(tarfile), r;

	if (fd < 0) {
		r = nr_diagf(d, NR_EEXEC, "temporary file: %s", strerror(errno));
		goto out;
	}
	close(fd);
	{
		/* the last path element goes into `to` under its own name */
		char *pack[] = { "tar", "-c", "-f", tarfile, "-C",
				 !slash ? "." : slash == copy ? "/" : copy, "--",
				 slash ? slash + 1 : copy, NULL };

		if (slash)
			*slash = '\0';
		r = run_quiet(&here, pack, NULL, &err, &d2);
	}
	if (r == 0) {
		char *unpack[] = { "sh", "-c", "mkdir -p -- \"$1\" && tar -x -f - -C \"$1\"",
				   "netrig-upload", (char *)to, NULL };

		r = run_quiet(t, unpack, tarfile, &err, &d2);
	}
	if (r < 0)
		r = nr_diag_set(d, NR_EEXEC, "copy %s to %s:%s failed%s%s", from, t->name, to,
			     err.len || d2.msg[0] ? ": " : "", err.len ? err.buf : d2.msg);
	unlink(tarfile);
out:
	nr_buf_release(&err);
	free(copy);
	return r;
}

bool nr_target_port_free(const struct nr_target *t, int port)
{
	char *argv[] = { "cat", "/proc/net/tcp", "/proc/net/tcp6", NULL };
	struct nr_buf out = NR_BUF_INIT;
	int code = 0;
	bool used;

	if (!t->ops->own_ports)
		return true;
	if (t->ops->run(t, argv, NULL, 10000000, 4 << 20, &code, &out, NULL, NULL) < 0) {
		nr_buf_release(&out);
		return true;
	}
	used = nr_port_bound_text(out.buf, port);
	nr_buf_release(&out);
	return !used;
}

int nr__target_sysinfo_run(const struct nr_target *t, char *const *argv, char **ret_json,
			   struct nr_diag *d)
{
	struct nr_buf out = NR_BUF_INIT, err = NR_BUF_INIT;
	int code = 0, r = t->ops->run(t, argv, NULL, 60 * 1000000LL, 4 << 20, &code, &out, &err, d);

	if (r == 0 && (code != 0 || out.len == 0 || out.buf[0] != '{')) {
		err.buf[strcspn(err.buf, "\n")] = '\0';
		r = nr_diagf(d, NR_EEXEC, "%s: sysinfo: %s", t->name,
			     err.len ? err.buf : "no description");
	}
	if (r == 0)
		*ret_json = nr_buf_detach(&out, NULL);
	nr_buf_release(&out);
	nr_buf_release(&err);
	return r;
}
