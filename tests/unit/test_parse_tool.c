/*
 * The tool parsers' shared helpers (src/parse/parse_tool.h) and how tool
 * parsers meet nr_parse_run: required metrics, notes as JSON.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "parse/parse.h"
#include "parse/parse_tool.h"
#include "test.h"

NR_TEST(parse_tool_lines_strip_colours_cr_and_nul)
{
	static const char in[] = "a\x1b[2;35mb\x1b[0m\r\n\nc\0d\ne";
	struct nr__parse_lines l;
	char *s;

	nr__parse_lines_init(&l, nr_slice_of(in, sizeof(in) - 1));
	s = nr__parse_lines_next(&l);
	CHECK_STR(s, "ab");
	CHECK_EQ(l.lineno, 1);
	CHECK_STR(nr__parse_lines_next(&l), "");
	CHECK_STR(nr__parse_lines_next(&l), "c d");
	CHECK_STR(nr__parse_lines_next(&l), "e");
	CHECK_EQ(l.lineno, 4);
	CHECK(nr__parse_lines_next(&l) == NULL);
	nr__parse_lines_release(&l);

	nr__parse_lines_init(&l, nr_slice_of("", 0));
	CHECK(nr__parse_lines_next(&l) == NULL);
	nr__parse_lines_release(&l);
	/* an escape cut at the end of the input */
	nr__parse_lines_init(&l, nr_slice_of("x\x1b[2;3", 7));
	CHECK_STR(nr__parse_lines_next(&l), "x");
	nr__parse_lines_release(&l);
}

NR_TEST(parse_tool_scan_number)
{
	const char *p;
	double v;

	p = "  12.5e3 us";
	CHECK_OK(nr__parse_number(&p, &v));
	CHECK_NEAR(v, 12500, 1e-9);
	CHECK_STR(p, " us");
	p = "-0.25,";
	CHECK_OK(nr__parse_number(&p, &v));
	CHECK_NEAR(v, -0.25, 1e-12);
	CHECK_STR(p, ",");
	p = "5e";
	CHECK_OK(nr__parse_number(&p, &v)); /* "e" without digits is not an exponent */
	CHECK_NEAR(v, 5, 0);
	CHECK_STR(p, "e");
	p = "nan";
	CHECK_EQ(nr__parse_number(&p, &v), NR_EINVAL);
	p = "-inf";
	CHECK_EQ(nr__parse_number(&p, &v), NR_EINVAL);
	p = "1e999";
	CHECK_EQ(nr__parse_number(&p, &v), NR_EINVAL);
	p = ".";
	CHECK_EQ(nr__parse_number(&p, &v), NR_EINVAL);
	CHECK_STR(p, ".");
}

NR_TEST(parse_tool_notes_are_json)
{
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	json_t *j;

	nr__parse_note_str(&set, "a\"b", "x\n\xff\xce\xbcs");
	nr__parse_note_num(&set, "n", 2.5);
	nr__parse_note_num(&set, "bad", NAN);
	nr__parse_note_raw(&set, "list", "[1, 2]");
	j = json_loadb(set.notes.buf, set.notes.len, 0, NULL);
	CHECK(json_is_object(j));
	CHECK_STR(json_string_value(json_object_get(j, "a\"b")), "x\n\xef\xbf\xbd\xce\xbcs");
	CHECK_NEAR(json_number_value(json_object_get(j, "n")), 2.5, 0);
	CHECK(json_is_null(json_object_get(j, "bad")));
	CHECK_EQ(json_array_size(json_object_get(j, "list")), 2);
	json_decref(j);
	nr_sample_set_release(&set);
}

NR_TEST(parse_tool_parser_required_metrics)
{
	struct nr_metric_decl m[2] = {
		{ .name = "throughput_bps" },
		{ .name = "latency_p99_us" },
	};
	struct nr_parse_spec spec = { .parser = nr_parser_find("iperf3"), .metrics = m,
				      .n_metrics = 1 };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_buf in = NR_BUF_INIT;
	struct nr_diag d = { 0 };

	CHECK(spec.parser && !spec.parser->needs_sources);
	CHECK_OK(nr_buf_read_file(&in, nr_test_fixture("iperf3/tcp.out")));
	CHECK_OK(nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, &d));
	nr_sample_set_release(&set);
	spec.n_metrics = 2;
	CHECK_EQ(nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, &d), NR_EMISSING);
	CHECK_CONTAINS(nr_diag_msg(&d), "latency_p99_us");
	m[1].optional = true;
	nr_diag_clear(&d);
	nr_sample_set_release(&set);
	CHECK_OK(nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, &d));
	nr_sample_set_release(&set);
	nr_buf_release(&in);
}

NR_TEST(parse_tool_parsers_registered_sorted)
{
	static const char *const tools[] = { "iperf3", "sockperf", "qperf", "secnetperf",
					     "perftest", "grpc-qps", "netperf", "neper" };
	size_t i;

	for (i = 0; nr_parsers[i] && nr_parsers[i + 1]; i++)
		CHECK(strcmp(nr_parsers[i]->name, nr_parsers[i + 1]->name) < 0);
	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		CHECK(nr_parser_find(tools[i]) != NULL);
}

/* Two roles' outputs into one set: each parser checks only its own samples. */
NR_TEST(parse_tool_two_outputs_one_set)
{
	struct nr_parse_spec ip = { .parser = nr_parser_find("iperf3") };
	struct nr_parse_spec sp = { .parser = nr_parser_find("sockperf") };
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_buf a = NR_BUF_INIT, b = NR_BUF_INIT;
	struct nr_diag d = { 0 };
	size_t n1;
	json_t *j;

	CHECK_OK(nr_buf_read_file(&a, nr_test_fixture("iperf3/tcp.out")));
	CHECK_OK(nr_buf_read_file(&b, nr_test_fixture("sockperf/pp-udp.out")));
	CHECK_OK(nr_parse_run(&ip, nr_slice_of(a.buf, a.len), &set, &d));
	n1 = set.n;
	CHECK_OK(nr_parse_run(&ip, nr_slice_of(a.buf, a.len), &set, &d));
	CHECK_EQ(set.n, 2 * n1);
	CHECK_OK(nr_parse_run(&sp, nr_slice_of(b.buf, b.len), &set, &d));
	CHECK(nr_sample_find(&set, "latency_p99_us") != NULL);
	j = json_loadb(set.notes.buf, set.notes.len, 0, NULL);
	CHECK(json_is_object(j));
	CHECK_STR(json_string_value(json_object_get(j, "latency")), "half round trip");
	json_decref(j);
	nr_sample_set_release(&set);
	nr_buf_release(&a);
	nr_buf_release(&b);
}
