/*
 * Libraries loaded on first use (libpq, libcurl, libmicrohttpd,
 * libcrypto): their functions are defined under their own names
 * (lazy_libs.c), and the first call of one opens the library and looks
 * the function up. netrig
 * is not linked against them, so a process that never uses PostgreSQL, a
 * URL or the server (a `netrig run` into SQLite, every e2e step) does not
 * map, relocate and page in them and the two dozen libraries they bring
 * (GnuTLS, Kerberos, LDAP, ...): two thirds of its start-up.
 *
 * The other side of it: a machine without one of them (libpq5 not
 * installed) runs netrig until the first call. So each entry point asks
 * nr_lazy_ready before it calls a function of the library (the PostgreSQL
 * store's connect, every libcurl user, the server's start), and a
 * library that is missing is an error like any other failure there, with
 * the Debian package to install in its message. nr_lazy_sym's abort is
 * left for a call that no entry point checked: a bug.
 */
#ifndef NR_BASE_LAZY_H
#define NR_BASE_LAZY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/err.h"

struct nr_lazy_lib {
	const char *soname;  /* as Debian's runtime package installs it: "libpq.so.5" */
	const char *package; /* that package, for messages: "libpq5" */
	const char *use;     /* for messages: "netrig needs it for PostgreSQL databases" */
	void *handle;        /* under the loader's lock; NULL until the first call */
	atomic_bool ready;   /* nr_lazy_ready found every function of it */
};

/* The four, as lazy_libs.c defines them. */
extern struct nr_lazy_lib nr_lazy_libpq, nr_lazy_libcurl, nr_lazy_libmicrohttpd,
	nr_lazy_libcrypto;

/*
 * Whether lib loads and has every function netrig calls in it (each of
 * lazy_libs.c's table), opening it if it is not open yet: 0, or NR_ENOLIB
 * with a message in *d naming the library, the function missing if it
 * was one, what needs it and the Debian package to install. Any thread;
 * once it said 0 it answers from a flag. Call it before the first
 * function of lib that an entry point uses.
 */
int nr_lazy_ready(struct nr_lazy_lib *lib, struct nr_diag *d);

/* lazy_libs.c's table of the functions it defines, ended by a NULL name. */
struct nr__lazy_fn {
	struct nr_lazy_lib *lib;
	const char *name;
};
extern const struct nr__lazy_fn nr__lazy_fns[];

/* nr_lazy_ready over the functions of lib in fns, a table like nr__lazy_fns: for tests. */
int nr__lazy_ready_fns(struct nr_lazy_lib *lib, const struct nr__lazy_fn *fns,
		       struct nr_diag *d);

/*
 * The address of `name` in lib, opening lib on the first call; cached in
 * *cache (one per function, any thread). A library or function that is
 * not there aborts with a message, as running out of memory does: the
 * entry point that led here did not ask nr_lazy_ready first.
 */
void *nr_lazy_sym(struct nr_lazy_lib *lib, const char *name, _Atomic(void *) *cache);

/*
 * nr_lazy_ready of every library lazy_libs.c defines functions of: 0, or
 * -1 with the first message ("libpq.so.5 has no PQexec, ...") in
 * *ret_missing (static). For a test that the sonames and names are right.
 */
int nr_lazy_check(const char **ret_missing);

#endif
