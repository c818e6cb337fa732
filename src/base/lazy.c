#include "base/lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* One lock for every library: taken only on a function's first call. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* dlsym's answer, or NULL with the reason in *why (static storage). */
static void *find(struct nr_lazy_lib *lib, const char *name, const char **why)
{
	void *p = NULL;

	pthread_mutex_lock(&lock);
	/* NOW: a missing symbol is found here, not in the middle of a query */
	if (!lib->handle)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle)
		*why = dlerror();
	else if (!(p = dlsym(lib->handle, name)))
		*why = dlerror();
	pthread_mutex_unlock(&lock);
	return p;
}

void *nr_lazy_sym(struct nr_lazy_lib *lib, const char *name, _Atomic(void *) *cache)
{
	void *p = atomic_load_explicit(cache, memory_order_acquire);
	const char *why = NULL;

	if (p)
		return p;
	if (!(p = find(lib, name, &why))) {
		fprintf(stderr, "netrig: cannot load %s from %s: %s\n", name, lib->soname,
			why ? why : "not found");
		abort();
	}
	atomic_store_explicit(cache, p, memory_order_release);
	return p;
}

int nr_lazy_check(const char **ret_missing)
{
	static char msg[256];
	size_t i;

	for (i = 0; nr__lazy_fns[i].name; i++) {
		const char *why = NULL;

		if (!find(nr__lazy_fns[i].lib, nr__lazy_fns[i].name, &why)) {
			snprintf(msg, sizeof(msg), "%s: %s: %s", nr__lazy_fns[i].lib->soname,
				 nr__lazy_fns[i].name, why ? why : "not found");
			*ret_missing = msg;
			return -1;
		}
	}
	return 0;
}
