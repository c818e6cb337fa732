/*
 * Libraries loaded on first use (libpq, libcurl, libmicrohttpd,
 * libcrypto): their functions are defined under their own names
 * (lazy_libs.c), and the first call of one opens the library and looks
 * the function up. netrig
 * is not linked against them, so a process that never uses PostgreSQL, a
 * URL or the server (a `netrig run` into SQLite, every e2e step) does not
 * map, relocate and page in them and the two dozen libraries they bring
 * (GnuTLS, Kerberos, LDAP, ...): two thirds of its start-up.
 */
#ifndef NR_BASE_LAZY_H
#define NR_BASE_LAZY_H

#include <pthread.h>
#include <stdatomic.h>

struct nr_lazy_lib {
	const char *soname; /* as Debian's runtime package installs it: "libpq.so.5" */
	void *handle;       /* under the loader's lock; NULL until the first call */
};

/*
 * The address of `name` in lib, opening lib on the first call; cached in
 * *cache (one per function, any thread). A library or function that is
 * not there is an installation that netrig cannot run on: it aborts with
 * a message, as running out of memory does.
 */
void *nr_lazy_sym(struct nr_lazy_lib *lib, const char *name, _Atomic(void *) *cache);

/*
 * Look up every function lazy_libs.c defines, without calling one: 0, or
 * -1 with the first that is missing ("libpq.so.5: PQexec: ...") in
 * *ret_missing (static). For a test that the sonames and names are right.
 */
int nr_lazy_check(const char **ret_missing);

/* lazy_libs.c's table of the functions it defines, ended by a NULL name (for nr_lazy_check). */
struct nr__lazy_fn {
	struct nr_lazy_lib *lib;
	const char *name;
};
extern const struct nr__lazy_fn nr__lazy_fns[];

#endif
