/*
 * netrig's unit test runner (tests/unit/runner.c).
 *
 *   NR_TEST(name) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *
 * Each test runs in a forked child with a timeout and its own temporary
 * directory as the working directory; a failed CHECK ends that child.
 * NR_SKIP("why") ends it as skipped. Registration happens at load time, so
 * a new test file needs no list edited.
 */
#ifndef NR_TEST_H
#define NR_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*nr_test_fn)(void);

void nr_test_register(const char *name, nr_test_fn fn, int timeout_s);
void nr_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void nr_test_skip(const char *why) __attribute__((noreturn));
/* The test's own temporary directory (also its working directory). */
const char *nr_test_dir(void);
/* Path of a file under tests/fixtures/ (static buffer, for this test). */
const char *nr_test_fixture(const char *rel);
/* Absolute path of the repository's top directory. */
const char *nr_test_top(void);

#define NR_TEST_T(name, timeout_s)                                      \
	static void test_##name(void);                                  \
	__attribute__((constructor)) static void register_##name(void) \
	{                                                               \
		nr_test_register(#name, test_##name, timeout_s);        \
	}                                                               \
	static void test_##name(void)

#define NR_TEST(name) NR_TEST_T(name, 30)

#define NR_SKIP(why) nr_test_skip(why)

#define CHECK(cond)                                                     \
	do {                                                            \
		if (!(cond))                                            \
			nr_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_INT(a, op, b)                                                   \
	do {                                                                  \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (!(a_ op b_))                                              \
			nr_test_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", \
				     #a, #op, #b, a_, b_);                    \
	} while (0)

#define CHECK_EQ(a, b) CHECK_INT(a, ==, b)

/* r must be 0 (or >= 0); prints nr_strerror otherwise. */
#define CHECK_OK(expr)                                                      \
	do {                                                                \
		int r_ = (expr);                                            \
		if (r_ < 0)                                                 \
			nr_test_fail(__FILE__, __LINE__, "%s returned %d", #expr, r_); \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (!a_ || !b_ || strcmp(a_, b_))                             \
			nr_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", \
				     #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                           \
	do {                                                                  \
		const char *h_ = (hay), *n_ = (needle);                       \
		if (!h_ || !strstr(h_, n_))                                   \
			nr_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
				     h_ ? h_ : "(null)", n_);                 \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                  \
	do {                                                                   \
		double a_ = (a), b_ = (b), t_ = (tol);                         \
		if (!(a_ - b_ <= t_ && b_ - a_ <= t_))                         \
			nr_test_fail(__FILE__, __LINE__, "%s ~ %s: %.17g vs %.17g (tol %g)", \
				     #a, #b, a_, b_, t_);                      \
	} while (0)

#endif
