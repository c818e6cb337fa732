#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/num.h"
#include "base/rand.h"
#include "base/str.h"
#include "test.h"

NR_TEST(buf_limit_counts_dropped)
{
	struct nr_buf b;

	nr_buf_init(&b, 5);
	nr_buf_adds(&b, "abc");
	nr_buf_adds(&b, "defgh");
	CHECK_STR(b.buf, "abcde");
	CHECK_EQ(b.dropped, 3);
	CHECK(nr_buf_truncated(&b));
	nr_buf_release(&b);
	CHECK_STR(b.buf, "");
}

NR_TEST(buf_addf_large)
{
	struct nr_buf b = NR_BUF_INIT;
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nr_buf_addf(&b, "<%s>", big);
	CHECK_EQ(b.len, 1001);
	CHECK(b.buf[0] == '<' && b.buf[1000] == '>');
	nr_buf_release(&b);
}

NR_TEST(num_parse)
{
	int64_t v, us;
	uint64_t sz;
	double d;

	CHECK_OK(nr_parse_i64("42", 0, 100, &v));
	CHECK_EQ(v, 42);
	CHECK(nr_parse_i64("101", 0, 100, &v) == NR_EINVAL);
	CHECK(nr_parse_i64("4x", 0, 100, &v) == NR_EINVAL);
	CHECK(nr_parse_i64("", 0, 100, &v) == NR_EINVAL);
	CHECK_OK(nr_parse_double("1.5e3", &d));
	CHECK_NEAR(d, 1500, 0);
	CHECK_OK(nr_parse_duration_us("10s", &us));
	CHECK_EQ(us, 10000000);
	CHECK_OK(nr_parse_duration_us("250ms", &us));
	CHECK_EQ(us, 250000);
	CHECK_OK(nr_parse_duration_us("1.5", &us));
	CHECK_EQ(us, 1500000);
	CHECK_OK(nr_parse_duration_us("2m", &us));
	CHECK_EQ(us, 120000000);
	CHECK(nr_parse_duration_us("-1s", &us) == NR_EINVAL);
	CHECK(nr_parse_duration_us("3 parsecs", &us) == NR_EINVAL);
	CHECK_OK(nr_parse_size("128K", &sz));
	CHECK_EQ(sz, 131072);
	CHECK_OK(nr_parse_size("16MiB", &sz));
	CHECK_EQ(sz, 16777216);
	CHECK_OK(nr_parse_size("1400", &sz));
	CHECK_EQ(sz, 1400);
	CHECK(nr_parse_size("1.3", &sz) == NR_EINVAL);
	CHECK_OK(nr_parse_ratio("10%", &d));
	CHECK_NEAR(d, 0.10, 1e-15);
	CHECK_OK(nr_parse_ratio("0.25", &d));
	CHECK_NEAR(d, 0.25, 0);
	CHECK(nr_parse_ratio("-5%", &d) == NR_EINVAL);
	CHECK(nr_parse_ratio("%", &d) == NR_EINVAL);
	CHECK(nr_parse_ratio("ten", &d) == NR_EINVAL);
}

NR_TEST(split_words_like_a_shell)
{
	struct nr_strvec sv = NR_STRVEC_INIT;
	struct nr_diag d = { 0 };

	CHECK_OK(nr_split_words("  iperf3 -c 'a b' \"x\\\"y\" z\\ w $(rm) ;", &sv, &d));
	CHECK_EQ(sv.n, 7);
	CHECK_STR(sv.v[0], "iperf3");
	CHECK_STR(sv.v[2], "a b");
	CHECK_STR(sv.v[3], "x\"y");
	CHECK_STR(sv.v[4], "z w");
	CHECK_STR(sv.v[5], "$(rm)");
	CHECK_STR(sv.v[6], ";");
	CHECK(sv.v[7] == NULL);
	nr_strvec_clear(&sv);
	CHECK(nr_split_words("a 'b", &sv, &d) == NR_EPARSE);
	CHECK_CONTAINS(d.msg, "unterminated");
}

NR_TEST(did_you_mean)
{
	static const char *const keys[] = { "timeout", "retries", "repeat", "matrix" };

	CHECK_STR(nr_did_you_mean("retires", keys, 4), "retries");
	CHECK_STR(nr_did_you_mean("timout", keys, 4), "timeout");
	CHECK(nr_did_you_mean("zzzzzzzz", keys, 4) == NULL);
}

NR_TEST(rng_deterministic_and_uuid_v7)
{
	struct nr_rng a, b;
	char u1[NR_UUID_LEN + 1], u2[NR_UUID_LEN + 1];
	int i;

	nr_rng_seed(&a, 7);
	nr_rng_seed(&b, 7);
	for (i = 0; i < 100; i++)
		CHECK(nr_rng_next(&a) == nr_rng_next(&b));
	for (i = 0; i < 1000; i++)
		CHECK(nr_rng_below(&a, 3) < 3);
	nr_uuid_v7(u1);
	nr_uuid_v7(u2);
	CHECK_EQ(strlen(u1), 36);
	CHECK(u1[14] == '7');
	CHECK(strcmp(u1, u2) != 0);
}

NR_TEST(diag_prepends_context)
{
	struct nr_diag d = { 0 };

	CHECK(nr_diagf(&d, NR_EPARSE, "inner %d", 1) == NR_EPARSE);
	nr_diagf(&d, NR_EPARSE, "outer");
	CHECK_STR(d.msg, "outer: inner 1");
	CHECK_STR(nr_strerror(NR_ETIMEOUT), "timed out");
}

NR_TEST(values_for_people)
{
	char b[64];

	CHECK_STR(nr_fmt_value(b, sizeof(b), 2.48e10, "bit/s"), "24.8 Gbit/s");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 9.999e8, "bit/s"), "1.00 Gbit/s");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 999.7e6, "bit/s"), "1.00 Gbit/s");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 960e6, "bit/s"), "960 Mbit/s");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 12.34, "us"), "12.3 us");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 1500, "us"), "1.50 ms");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 45200, "1/s"), "45.2 k/s");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 7, ""), "7");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 1.5, "%"), "1.5 %");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 99.96, "us"), "100 us");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 9.996, "us"), "10.0 us");
	CHECK_STR(nr_fmt_value(b, sizeof(b), 138928, "count"), "138928");
	/* more digits where a bench's text wants them */
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 499771429.886, "bit/s", 4), "499.8 Mbit/s");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 68.352, "us", 4), "68.35 us");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 8.0512, "us", 4), "8.051 us");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 999.96, "us", 4), "1.000 ms");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 9999.7, "1/s", 4), "10.00 k/s");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 124877200, "B", 4), "124.9 MB");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 11.5423, "ns/B", 4), "11.54 ns/B");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 0.0312, "%", 4), "0.0312 %");
	CHECK_STR(nr_fmt_value_digits(b, sizeof(b), 2.4, "bit/s", 0), "2 bit/s");
}
