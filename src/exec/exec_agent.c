/*
 * The agent on this machine (agent_main.c, `make netrig-agent`): where it
 * is and what it hashes to, for the copy on other hosts.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/hash.h"
#include "base/mem.h"
#include "exec/exec.h"

/* Large enough for a static build with room to grow; a bigger file is not ours. */
#define AGENT_MAX_BYTES (64u << 20)

void nr_agent_release(struct nr_agent *a)
{
	free(a->path);
	memset(a, 0, sizeof(*a));
}

int nr_agent_find(struct nr_agent *ret, struct nr_diag *d)
{
	const char *env = getenv("NETRIG_AGENT");
	char self[PATH_MAX], *dir, *tried[3] = { 0 };
	struct nr_buf bytes = NR_BUF_INIT;
	struct utsname u;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i, k = 0;
	int r = NR_ENOTFOUND;

	if (env && *env) {
		tried[k++] = nr_xstrdup(env);
	} else if (n > 0) {
		self[n] = '\0';
		dir = strrchr(self, '/');
		*dir = '\0';
		tried[k++] = nr_xasprintf("%s/netrig-agent", self);
		tried[k++] = nr_xasprintf("%s/../lib/netrig/netrig-agent", self);
	}
	for (i = 0; i < k && r < 0; i++) {
		nr_buf_init(&bytes, AGENT_MAX_BYTES);
		if (access(tried[i], X_OK) == 0 && nr_buf_read_file(&bytes, tried[i]) == 0 &&
		    !bytes.dropped && bytes.len > 0) {
			memset(ret, 0, sizeof(*ret));
			ret->path = tried[i];
			tried[i] = NULL;
			ret->bytes = bytes.len;
			nr_sha256_hex(bytes.buf, bytes.len, ret->sha256);
			uname(&u);
			snprintf(ret->machine, sizeof(ret->machine), "%s", u.machine);
			r = 0;
		}
		nr_buf_release(&bytes);
	}
	if (r < 0)
		nr_diagf(d, r, "no netrig-agent (looked for %s%s%s; `make netrig-agent` builds it, "
			 "NETRIG_AGENT names another)", k ? tried[0] : "nothing",
			 k > 1 ? " and " : "", k > 1 ? tried[1] : "");
	for (i = 0; i < k; i++)
		free(tried[i]);
	return r;
}
