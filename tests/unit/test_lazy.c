/*
 * The libraries opened on first use (base/lazy.h): every function netrig
 * defines for them is in the library under that name (a wrong soname or
 * a typo would abort the first command that needs it), and a call goes
 * through to the library.
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
