#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/mem.h"
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

static char *escaped(const char *s, size_t len, const char *also, unsigned flags)
{
	struct nr_buf b = NR_BUF_INIT;

	nr_str_escape(&b, s, len, also, flags);
	return nr_buf_detach(&b, NULL);
}

#define CHECK_ESC(in, also, flags, want)                                       \
	do {                                                                   \
		char *got_ = escaped(in, sizeof(in) - 1, also, flags);         \
		CHECK_STR(got_, want);                                         \
		free(got_);                                                    \
	} while (0)

/* Issue 11 item 4: what a role writes cannot drive the terminal it is shown on. */
NR_TEST(escape_control_characters_of_every_kind)
{
	char *s;

	CHECK_ESC("\033]0;TITLE\007\033[2J\033[31mfake all passed", NULL, 0,
		  "%1B]0;TITLE%07%1B[2J%1B[31mfake all passed");
	CHECK_ESC("a\nb\tc\rd\r\ne\x7f", NULL, 0, "a%0Ab%09c%0Dd%0D%0Ae%7F");
	/* multi-line text keeps its lines, not a lone CR that rewrites one */
	CHECK_ESC("a\nb\tc\rd\r\ne\x7f", NULL, NR_ESC_LINES, "a\nb\tc%0Dd\r\ne%7F");
	/* C1 controls (U+009B is CSI to some terminals), noncharacters, broken UTF-8 */
	CHECK_ESC("x\xc2\x9b" "31m\xc2\x85y", NULL, 0, "x%C2%9B31m%C2%85y");
	CHECK_ESC("\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbd", NULL, 0, "%EF%BF%BE%EF%BF%BF\xef\xbf\xbd");
	CHECK_ESC("\x9b" "2J \xff \xc0\xaf \xed\xa0\x80 \xe2\x82", NULL, 0,
		  "%9B2J %FF %C0%AF %ED%A0%80 %E2%82");
	/* text stays text: UTF-8, quotes, percent signs */
	CHECK_ESC("naïve ✓ 100% 'q' \"d\" 😀", NULL, 0, "naïve ✓ 100% 'q' \"d\" 😀");
	/* NUL bytes in a length-given buffer */
	CHECK_ESC("a\0b", NULL, 0, "a%00b");
	/* case keys escape their structure the same way */
	CHECK_ESC("a,b=c%d\033", "%,=", 0, "a%2Cb%3Dc%25d%1B");
	s = nr_str_escaped(NULL);
	CHECK_STR(s, "");
	free(s);
	CHECK_EQ(nr_utf8_len("\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF */
	CHECK_EQ(nr_utf8_len("\xf4\x90\x80\x80", 4), 0); /* past it */
	CHECK_EQ(nr_utf8_len("\xe0\x80\x80", 3), 0);     /* overlong */
}

/* The double that strtod (C locale) reads from s, or NR_EINVAL as nr_parse_double says it. */
static int strtod_says(const char *s, double *ret)
{
	char *end;

	*ret = strtod(s, &end);
	return *s && end != s && !*end ? 0 : NR_EINVAL;
}

/*
 * nr_parse_double reads plain decimals without strtod (Clinger's fast
 * path): every one it takes, to the bit what strtod reads, over the class
 * (signs, leading zeros, a point first or last, 1 to 25 digits, up to 24
 * after the point: the fast path's limits and past them), and what is no
 * number refused as before.
 */
NR_TEST(parse_double_is_strtod_to_the_bit)
{
	static const char *const fixed[] = {
		"0", "-0", "+0", "0.0", "-0.0", ".5", "5.", "+.5", "-.5", "0.1", "0.3", "1.5",
		"9007199254740992", "9007199254740993", "-9007199254740993.0", "0.9007199254740993",
		"123456789012345.6", "1234567890123456789", "12345678901234567890",
		"0.0000000000000000000001", "0.00000000000000000000001", "1e5", "1.5E-3",
		"4.35", "2.675", "0.000001", "999999999999999.9", "00000000000000000000001.5",
	};
	static const char *const bad[] = { ".", "-", "+", "1.2.3", "1..2", "--1", "1-", "5 ", "1e", "" };
	struct nr_rng rng;
	char s[64];
	double want, got;
	size_t i, n;

	for (i = 0; i < NR_ARRAY_SIZE(fixed); i++) {
		CHECK_OK(strtod_says(fixed[i], &want));
		CHECK_OK(nr_parse_double(fixed[i], &got));
		if (memcmp(&want, &got, sizeof(got)))
			nr_test_fail(__FILE__, __LINE__, "'%s': %.17g, strtod %.17g", fixed[i], got, want);
	}
	for (i = 0; i < NR_ARRAY_SIZE(bad); i++)
		CHECK(nr_parse_double(bad[i], &got) == NR_EINVAL);
	nr_rng_seed(&rng, 15);
	for (i = 0; i < 200000; i++) {
		size_t before = 1 + nr_rng_below(&rng, 17), after = nr_rng_below(&rng, 25), k;

		n = 0;
		k = nr_rng_below(&rng, 4);
		if (k == 1)
			s[n++] = '-';
		else if (k == 2)
			s[n++] = '+';
		for (k = 0; k < before; k++)
			s[n++] = (char)('0' + (k == 0 && i % 3 == 0 ? 0 : nr_rng_below(&rng, 10))); /* a leading 0 */
		if (after || i % 7 == 0)
			s[n++] = '.';
		for (k = 0; k < after; k++)
			s[n++] = (char)('0' + nr_rng_below(&rng, 10));
		s[n] = '\0';
		CHECK_OK(strtod_says(s, &want));
		CHECK_OK(nr_parse_double(s, &got));
		if (memcmp(&want, &got, sizeof(got)))
			nr_test_fail(__FILE__, __LINE__, "'%s': %.17g, strtod %.17g", s, got, want);
	}
}

NR_TEST(strset_finds_duplicates_with_their_ids)
{
	struct nr_strset set = NR_STRSET_INIT;
	char names[1000][8];
	size_t i, id = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(names[i], sizeof(names[i]), "n%zu", i % 700);
		if (i < 700)
			CHECK(nr_strset_add(&set, names[i], i, &id));
		else {
			CHECK(!nr_strset_add(&set, names[i], i, &id));
			CHECK_EQ(id, i - 700);
		}
	}
	CHECK_EQ(set.n, 700);
	CHECK(nr_strset_find(&set, "n699", &id));
	CHECK_EQ(id, 699);
	CHECK(!nr_strset_find(&set, "n700", NULL));
	nr_strset_release(&set);
	CHECK(!nr_strset_find(&set, "n1", NULL));
}

/* Reserved room is room: n strings go in without the table growing, and what was there stays. */
NR_TEST(strset_reserve_makes_room_once)
{
	struct nr_strset set = NR_STRSET_INIT;
	char names[1000][8];
	size_t i, id = 0, cap;

	for (i = 0; i < 1000; i++)
		snprintf(names[i], sizeof(names[i]), "k%zu", i);
	for (i = 0; i < 10; i++)
		CHECK(nr_strset_add(&set, names[i], i, NULL));
	nr_strset_reserve(&set, 1000);
	cap = set.cap;
	CHECK(cap >= 2000);
	CHECK_EQ(set.n, 10);
	for (i = 0; i < 10; i++) {
		CHECK(nr_strset_find(&set, names[i], &id));
		CHECK_EQ(id, i);
	}
	for (i = 10; i < 1000; i++)
		CHECK(nr_strset_add(&set, names[i], i, NULL));
	CHECK_EQ(set.cap, cap); /* not grown */
	CHECK(!nr_strset_add(&set, names[999], 5, &id));
	CHECK_EQ(id, 999);
	nr_strset_reserve(&set, 10); /* less than there is: nothing changes */
	CHECK_EQ(set.cap, cap);
	CHECK(nr_strset_find(&set, "k500", &id));
	CHECK_EQ(id, 500);
	nr_strset_release(&set);
	/* on an empty set */
	nr_strset_reserve(&set, 3);
	CHECK(set.cap >= 6);
	CHECK(!nr_strset_find(&set, "k1", NULL));
	CHECK(nr_strset_add(&set, "k1", 1, NULL));
	nr_strset_release(&set);
}

/* Issue 11 item 19: a 53.6 ms case was "0s" in the HTML report; one formatter for every duration. */
NR_TEST(durations_for_people)
{
	char b[40];

	CHECK_STR(nr_fmt_duration(b, sizeof(b), 53600), "53.6 ms");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 40), "40.0 us");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 1500000), "1.50 s");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 59940000), "59.9 s");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 59960000), "1m 00s");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 754000000), "12m 34s");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 7530000000LL), "2h 05m");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), 0), "0 s");
	CHECK_STR(nr_fmt_duration(b, sizeof(b), -5), "0 s");
}

NR_TEST(hex_both_ways_and_sha256_known_values)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	unsigned char back[6] = { 0 };
	char text[2 * sizeof(bytes) + 1], digest[NR_SHA256_HEX_LEN + 1];

	nr_hex_encode(bytes, sizeof(bytes), text);
	CHECK_STR(text, "00017f80abff");
	CHECK_OK(nr_hex_decode("00017F80aBfF", sizeof(back), back));
	CHECK(memcmp(back, bytes, sizeof(bytes)) == 0);
	CHECK_EQ(nr_hex_decode("00017f80abf", sizeof(back), back), NR_EPARSE); /* one short: NUL */
	CHECK_EQ(nr_hex_decode("0g", 1, back), NR_EPARSE);
	CHECK_EQ(nr_hex_decode(" 1", 1, back), NR_EPARSE);
	CHECK_EQ(nr_hex_decode("-1", 1, back), NR_EPARSE);
	CHECK_EQ(nr_hex_digit('f'), 15);
	CHECK_EQ(nr_hex_digit('G'), -1);
	CHECK_EQ(nr_hex_digit('/'), -1);
	CHECK_EQ(nr_hex_digit(':'), -1);
	CHECK_EQ(nr_hex_digit('@'), -1);
	CHECK_EQ(nr_hex_digit('`'), -1);
	/* FIPS 180-2's examples */
	nr_sha256_hex("abc", 3, digest);
	CHECK_STR(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	nr_sha256_hex("", 0, digest);
	CHECK_STR(digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* two blocks, the length in the second */
	nr_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, digest);
	CHECK_STR(digest, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/*
 * netrig's SHA-256 (base/hash.c) against OpenSSL's over every length from
 * 0 to 300 bytes (each way the padding falls: in the last block, across
 * into another, exactly at a block's end) and a million bytes (FIPS's
 * third example).
 */
NR_TEST(sha256_as_openssl_for_every_length)
{
	void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	int (*digest_fn)(const void *, size_t, unsigned char *, unsigned int *, const void *,
			 void *);
	const void *(*sha256_fn)(void);
	unsigned char data[300], md[64];
	char got[NR_SHA256_HEX_LEN + 1], want[NR_SHA256_HEX_LEN + 1];
	char *million = nr_xmalloc(1000000);
	unsigned int len = 0;
	size_t n;

	if (!lib)
		NR_SKIP("no libcrypto.so.3 to compare with");
	*(void **)&digest_fn = dlsym(lib, "EVP_Digest");
	*(void **)&sha256_fn = dlsym(lib, "EVP_sha256");
	CHECK(digest_fn && sha256_fn);
	for (n = 0; n < sizeof(data); n++)
		data[n] = (unsigned char)(n * 131 + 7);
	for (n = 0; n <= sizeof(data); n++) {
		CHECK(digest_fn(data, n, md, &len, sha256_fn(), NULL) == 1 && len == 32);
		nr_hex_encode(md, 32, want);
		nr_sha256_hex(data, n, got);
		if (strcmp(got, want))
			nr_test_fail(__FILE__, __LINE__, "%zu bytes: %s, OpenSSL %s", n, got, want);
	}
	memset(million, 'a', 1000000);
	nr_sha256_hex(million, 1000000, got);
	CHECK_STR(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
	dlclose(lib);
}
