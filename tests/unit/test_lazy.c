/*
 * The libraries opened on first use (base/lazy.h): every function netrig
 * defines for them is in the library under that name (a wrong soname or
 * a typo would abort the first command that needs it), a call goes
 * through to the library, and a library or function that is not there is
 * an error naming it and its Debian package, not an abort.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdbool.h>

#include "base/lazy.h"
#include "test.h"

NR_TEST(lazy_every_function_is_found)
{
	const char *missing = NULL;

	if (nr_lazy_check(&missing) < 0)
		nr_test_fail(__FILE__, __LINE__, "%s", missing);
}

/* Whether soname is in this process already (each test is a fork of a runner that uses none). */
static bool loaded(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);

	if (h)
		dlclose(h); /* NOLOAD took a reference */
	return h != NULL;
}

NR_TEST(lazy_calls_reach_the_libraries)
{
	PQconninfoOption *opts;

	/* not linked: nothing of them is mapped before a first call */
	CHECK(!loaded("libpq.so.5"));
	CHECK(!loaded("libcurl.so.4"));
	CHECK(!loaded("libmicrohttpd.so.12"));
	CHECK(!loaded("libcrypto.so.3"));
	/* a result of each library's own making, not a stub's */
	CHECK_STR(curl_easy_strerror(CURLE_OK), "No error");
	CHECK(PQresultStatus(NULL) == PGRES_FATAL_ERROR);
	CHECK(MHD_is_feature_supported(MHD_FEATURE_MESSAGES) == MHD_YES);
	opts = PQconninfo(NULL);
	CHECK(opts == NULL);
	CHECK(CRYPTO_memcmp("ab", "ac", 2) != 0 && CRYPTO_memcmp("ab", "ab", 2) == 0);
	CHECK(loaded("libpq.so.5") && loaded("libcurl.so.4") && loaded("libmicrohttpd.so.12") &&
	      loaded("libcrypto.so.3"));
}

NR_TEST(lazy_missing_library_is_an_error_with_its_package)
{
	struct nr_lazy_lib lib = { .soname = "libnetrig-missing.so.9",
				   .package = "netrig-missing9", .use = "a test" };
	const struct nr__lazy_fn fns[] = { { &lib, "nr_missing_fn" }, { NULL, NULL } };
	struct nr_diag d = { 0 };

	CHECK_EQ(nr__lazy_ready_fns(&lib, fns, &d), NR_ENOLIB);
	CHECK_EQ(d.code, NR_ENOLIB);
	CHECK_CONTAINS(d.msg, "netrig needs libnetrig-missing.so.9 for a test and cannot load it");
	CHECK_CONTAINS(d.msg, "libnetrig-missing.so.9: cannot open shared object file");
	CHECK_CONTAINS(d.msg, "install Debian's package netrig-missing9");
	/* not taken for ready: asked again, the same answer */
	CHECK(!lib.ready && !lib.handle);
	nr_diag_clear(&d);
	CHECK_EQ(nr__lazy_ready_fns(&lib, fns, &d), NR_ENOLIB);
	CHECK_CONTAINS(d.msg, "netrig-missing9");
}

NR_TEST(lazy_missing_function_is_an_error_naming_it)
{
	/* libc is there in every process; one of its functions is, the other is not */
	struct nr_lazy_lib lib = { .soname = "libc.so.6", .package = "libc6", .use = "a test" };
	struct nr_lazy_lib other = { .soname = "libnetrig-missing.so.9", .package = "x", .use = "y" };
	const struct nr__lazy_fn fns[] = {
		{ &lib, "strlen" },
		{ &other, "not_asked" }, /* another library's: not looked up */
		{ &lib, "nr_no_such_function_in_libc" },
		{ NULL, NULL },
	};
	const struct nr__lazy_fn good[] = { { &lib, "strlen" }, { &other, "x" }, { NULL, NULL } };
	struct nr_diag d = { 0 };

	CHECK_EQ(nr__lazy_ready_fns(&lib, fns, &d), NR_ENOLIB);
	CHECK_CONTAINS(d.msg, "libc.so.6 has no nr_no_such_function_in_libc, which netrig needs"
			      " for a test");
	CHECK_CONTAINS(d.msg, "install or upgrade Debian's package libc6");
	CHECK(!lib.ready);
	CHECK(other.handle == NULL);
	nr_diag_clear(&d);
	CHECK_OK(nr__lazy_ready_fns(&lib, good, &d));
	CHECK(lib.ready);
	/* once ready, it is not looked at again */
	CHECK_OK(nr__lazy_ready_fns(&lib, fns, &d));
}

NR_TEST(lazy_each_library_is_ready_and_named)
{
	struct nr_lazy_lib *libs[] = { &nr_lazy_libpq, &nr_lazy_libcurl, &nr_lazy_libmicrohttpd,
				       &nr_lazy_libcrypto };
	struct nr_diag d = { 0 };
	size_t i;

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		CHECK(libs[i]->package && *libs[i]->package && libs[i]->use && *libs[i]->use);
		CHECK_OK(nr_lazy_ready(libs[i], &d));
		CHECK(libs[i]->ready && loaded(libs[i]->soname));
	}
	CHECK_STR(nr_lazy_libpq.package, "libpq5");
	CHECK_STR(nr_lazy_libcurl.package, "libcurl4");
	CHECK_STR(nr_lazy_libmicrohttpd.package, "libmicrohttpd12");
	CHECK_STR(nr_lazy_libcrypto.package, "libssl3");
}
