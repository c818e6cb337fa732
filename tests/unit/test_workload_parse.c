/* `parse: netrig` on recorded outputs of `netrig bench --json` (fixtures). */
#include "base/buf.h"
#include "parse/parse.h"
#include "test.h"

/* Samples as "metric value unit" lines, interval samples as metric[i]. */
static void render(const struct nr_sample_set *set, struct nr_buf *out)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct nr_sample *s = &set->v[i];

		if (s->interval >= 0)
			nr_buf_addf(out, "%s[%lld] %.10g %s\n", s->metric, (long long)s->interval,
				    s->value, s->unit);
		else
			nr_buf_addf(out, "%s %.10g %s\n", s->metric, s->value, s->unit);
	}
}

static void check_case(const char *name)
{
	struct nr_parse_spec spec = { .parser = nr_parser_find("netrig") };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_buf in = NR_BUF_INIT, want = NR_BUF_INIT, got = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	char path[64];

	CHECK(spec.parser);
	snprintf(path, sizeof(path), "netrig/%s.out", name);
	CHECK_OK(nr_buf_read_file(&in, nr_test_fixture(path)));
	snprintf(path, sizeof(path), "netrig/%s.expect", name);
	CHECK_OK(nr_buf_read_file(&want, nr_test_fixture(path)));
	if (nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, &d) < 0)
		nr_test_fail(__FILE__, __LINE__, "%s: %s", name, nr_diag_msg(&d));
	render(&set, &got);
	CHECK_STR(got.buf, want.buf);
	nr_sample_set_release(&set);
	nr_buf_release(&in);
	nr_buf_release(&want);
	nr_buf_release(&got);
}

NR_TEST(workload_parse_netrig_fixtures)
{
	struct nr_parse_spec spec = { .parser = nr_parser_find("netrig") };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_buf in = NR_BUF_INIT;
	const struct nr_sample *s;

	check_case("tcp_rr");
	check_case("tcp_rr_open_loop");
	check_case("tcp_crr");
	check_case("tcp_stream");
	check_case("udp_stream");
	/* better-direction and notes */
	CHECK_OK(nr_buf_read_file(&in, nr_test_fixture("netrig/tcp_rr.out")));
	CHECK_OK(nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, NULL));
	s = nr_sample_find(&set, "latency_p99_us");
	CHECK(s && s->better == NR_BETTER_LOWER);
	s = nr_sample_find(&set, "transactions_per_s");
	CHECK(s && s->better == NR_BETTER_HIGHER);
	CHECK_CONTAINS(set.notes.buf, "half_round_trip_p50_us");
	nr_sample_set_release(&set);
	nr_buf_release(&in);
}

NR_TEST(workload_parse_netrig_rejects)
{
	static const char *const bad[] = {
		"",
		"{\"results\":{}}",
		"{\"netrig_bench\":2,\"results\":{}}",
		"{\"netrig_bench\":1,\"error\":\"cannot connect\"}",
		"{\"netrig_bench\":1}",
		"{\"netrig_bench\":1,\"results\":{\"x\":{\"value\":\"1\",\"unit\":\"us\"}}}",
		"{\"netrig_bench\":1,\"results\":{},\"test\":\"tcp_stream\",\"intervals\":[{}]}",
		"{\"netrig_bench\":1,\"results\":{\"x\":{\"value\":1,\"unit\":\"us\",",
	};
	struct nr_parse_spec spec = { .parser = nr_parser_find("netrig") };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nr_sample_set set = NR_SAMPLE_SET_INIT;
		struct nr_diag d = { 0 };

		if (nr_parse_run(&spec, nr_slice_str(bad[i]), &set, &d) >= 0)
			nr_test_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
		CHECK(nr_diag_msg(&d)[0]);
		nr_sample_set_release(&set);
	}
}

NR_TEST(workload_parse_netrig_error_document)
{
	static const char doc[] = "{\"netrig_bench\": 1, \"test\": \"tcp_rr\", \"server_address\": "
				  "\"127.0.0.1:1\", \"error\": \"cannot connect to 127.0.0.1:1\"}\n";
	struct nr_parse_spec spec = { .parser = nr_parser_find("netrig") };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_diag d = { 0 };

	CHECK(nr_parse_run(&spec, nr_slice_str(doc), &set, &d) < 0);
	CHECK_CONTAINS(nr_diag_msg(&d), "the test failed: cannot connect to 127.0.0.1:1");
	CHECK_EQ(set.n, 0);
	nr_sample_set_release(&set);
}
