#include "base/lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* One lock for every library: taken only on a function's first call and by nr_lazy_ready. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Open lib if it is not open yet (under the lock): its handle, or NULL with dlerror() in *why. */
static void *open_locked(struct nr_lazy_lib *lib, const char **why)
{
	/* NOW: a missing symbol is found here, not in the middle of a query */
	if (!lib->handle)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle)
		*why = dlerror();
	return lib->handle;
}

/* dlsym's answer, or NULL with the reason in *why (static storage). */
static void *find(struct nr_lazy_lib *lib, const char *name, const char **why)
{
	void *p = NULL;

	pthread_mutex_lock(&lock);
	if (open_locked(lib, why) && !(p = dlsym(lib->handle, name)))
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
		fprintf(stderr, "netrig: cannot load %s from %s (Debian's package %s): %s\n", name,
			lib->soname, lib->package, why ? why : "not found");
		abort();
	}
	atomic_store_explicit(cache, p, memory_order_release);
	return p;
}

int nr__lazy_ready_fns(struct nr_lazy_lib *lib, const struct nr__lazy_fn *fns,
		       struct nr_diag *d)
{
	const char *why = NULL;
	int r = 0;
	size_t i;

	if (atomic_load_explicit(&lib->ready, memory_order_acquire))
		return 0;
	/* dlerror's text is the thread's own until its next dl call: copied under the lock */
	pthread_mutex_lock(&lock);
	if (!open_locked(lib, &why)) {
		r = nr_diagf(d, NR_ENOLIB, "netrig needs %s for %s and cannot load it (%s): install"
			     " Debian's package %s", lib->soname, lib->use, why ? why : "not found",
			     lib->package);
		goto out;
	}
	for (i = 0; fns[i].name; i++) {
		if (fns[i].lib != lib || dlsym(lib->handle, fns[i].name))
			continue;
		why = dlerror();
		r = nr_diagf(d, NR_ENOLIB, "%s has no %s, which netrig needs for %s (%s): install"
			     " or upgrade Debian's package %s", lib->soname, fns[i].name, lib->use,
			     why ? why : "not found", lib->package);
		goto out;
	}
	atomic_store_explicit(&lib->ready, true, memory_order_release);
out:
	pthread_mutex_unlock(&lock);
	return r;
}

int nr_lazy_ready(struct nr_lazy_lib *lib, struct nr_diag *d)
{
	return nr__lazy_ready_fns(lib, nr__lazy_fns, d);
}

int nr_lazy_check(const char **ret_missing)
{
	static struct nr_diag d;
	size_t i;

	for (i = 0; nr__lazy_fns[i].name; i++) {
		nr_diag_clear(&d);
		if (nr_lazy_ready(nr__lazy_fns[i].lib, &d) < 0) {
			*ret_missing = d.msg;
			return -1;
		}
	}
	return 0;
}
