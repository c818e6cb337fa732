/*
 * Tool parsers against their data fixtures: every tests/fixtures/<tool>/
 * <case>.out is parsed with the parser named <tool> and compared with
 * <case>.expect (format in tests/fixtures/README.md). Also the metric
 * catalogue's own rules.
 */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "parse/parse.h"
#include "test.h"

/* Generic parsers need declared metrics; they are tested elsewhere. */
static bool is_generic(const char *name)
{
	return !strcmp(name, "json") || !strcmp(name, "regex") || !strcmp(name, "keyvalue");
}

static bool near(double a, double b)
{
	double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= 1e-9 * (scale > 1 ? scale : 1);
}

/* One expected sample line: "metric[interval] value unit [orig_value orig_unit]". */
static int check_sample(const struct nr_sample *s, const char *line, struct nr_buf *why)
{
	struct nr_strvec w = NR_STRVEC_INIT;
	char *metric = NULL, *br;
	int64_t interval = -1;
	double value, orig;
	int bad = 0;

	if (nr_split_words(line, &w, NULL) < 0 || (w.n != 3 && w.n != 5)) {
		nr_buf_addf(why, "  bad expect line: %s\n", line);
		bad = 1;
		goto out;
	}
	metric = nr_xstrdup(w.v[0]);
	br = strchr(metric, '[');
	if (br) {
		*br = '\0';
		br[strcspn(br + 1, "]") + 1] = '\0';
		if (nr_parse_i64(br + 1, 0, INT32_MAX, &interval) < 0) {
			nr_buf_addf(why, "  bad interval in: %s\n", line);
			bad = 1;
			goto out;
		}
	}
	if (nr_parse_double(w.v[1], &value) < 0 ||
	    (w.n == 5 && nr_parse_double(w.v[3], &orig) < 0)) {
		nr_buf_addf(why, "  bad number in: %s\n", line);
		bad = 1;
		goto out;
	}
	if (strcmp(s->metric, metric) || s->interval != interval || !near(s->value, value) ||
	    strcmp(s->unit, strcmp(w.v[2], "-") ? w.v[2] : "") ||
	    (w.n == 5 && (!near(s->orig_value, orig) ||
			  strcmp(s->orig_unit, strcmp(w.v[4], "-") ? w.v[4] : "")))) {
		nr_buf_addf(why, "  expected %s\n       got %s[%lld] %.10g %s (%.10g %s)\n", line,
			    s->metric, (long long)s->interval, s->value, s->unit, s->orig_value,
			    s->orig_unit);
		bad = 1;
	}
out:
	free(metric);
	nr_strvec_clear(&w);
	return bad;
}

/* Compare one fixture; appends what differs to *why. Returns 1 if it differs. */
static int check_fixture(const struct nr_parser *p, const char *out_path,
			 const char *expect_path, struct nr_buf *why)
{
	struct nr_buf in = NR_BUF_INIT, ex = NR_BUF_INIT;
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;
	struct nr_parse_spec spec = { .parser = p };
	struct nr_diag d = { 0 };
	const char *want_error = NULL;
	char *line, *save = NULL;
	size_t i = 0;
	int r, bad = 0;

	if (nr_buf_read_file(&in, out_path) < 0 || nr_buf_read_file(&ex, expect_path) < 0) {
		nr_buf_addf(why, "  cannot read %s or its .expect\n", out_path);
		bad = 1;
		goto out;
	}
	r = nr_parse_run(&spec, nr_slice_of(in.buf, in.len), &set, &d);
	for (line = strtok_r(ex.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!*line || *line == '#')
			continue;
		if (!strncmp(line, "!error ", 7)) {
			want_error = line + 7;
			continue;
		}
		if (!strncmp(line, "notes ", 6)) {
			if (!strstr(set.notes.buf, line + 6)) {
				nr_buf_addf(why, "  notes lack %s\n  notes: %s\n", line + 6, set.notes.buf);
				bad = 1;
			}
			continue;
		}
		if (i >= set.n) {
			nr_buf_addf(why, "  expected %s\n       got nothing more\n", line);
			bad = 1;
			continue;
		}
		bad |= check_sample(&set.v[i++], line, why);
	}
	for (; i < set.n; i++) {
		nr_buf_addf(why, "  unexpected %s[%lld] %.10g %s\n", set.v[i].metric,
			    (long long)set.v[i].interval, set.v[i].value, set.v[i].unit);
		bad = 1;
	}
	if (want_error && r >= 0) {
		nr_buf_addf(why, "  expected an error containing '%s', parse succeeded\n", want_error);
		bad = 1;
	} else if (want_error && !strstr(nr_diag_msg(&d), want_error)) {
		nr_buf_addf(why, "  expected an error containing '%s', got '%s'\n", want_error,
			    nr_diag_msg(&d));
		bad = 1;
	} else if (!want_error && r < 0) {
		nr_buf_addf(why, "  parse failed: %s\n", nr_diag_msg(&d));
		bad = 1;
	}
	/* A tool parser's samples are all catalogued, with the catalogue's unit. */
	for (i = 0; i < set.n; i++) {
		const struct nr_metric_info *m = nr_metric_lookup(set.v[i].metric);

		if (!m || strcmp(m->unit, set.v[i].unit) || m->better != set.v[i].better) {
			nr_buf_addf(why, "  %s does not match the catalogue\n", set.v[i].metric);
			bad = 1;
		}
	}
out:
	nr_sample_set_release(&set);
	nr_buf_release(&in);
	nr_buf_release(&ex);
	return bad;
}

NR_TEST(parse_fixtures)
{
	struct nr_buf why = NR_BUF_INIT;
	size_t k, cases = 0, failed = 0;

	for (k = 0; nr_parsers[k]; k++) {
		const struct nr_parser *p = nr_parsers[k];
		char dir[4096];
		struct dirent *e;
		size_t here = 0;
		DIR *dp;

		if (is_generic(p->name))
			continue;
		snprintf(dir, sizeof(dir), "%s", nr_test_fixture(p->name));
		dp = opendir(dir);
		if (!dp) {
			nr_buf_addf(&why, "%s: no fixtures folder %s\n", p->name, dir);
			failed++;
			continue;
		}
		while ((e = readdir(dp))) {
			char out[4500], expect[4600];
			size_t n = strlen(e->d_name);

			if (n < 5 || strcmp(e->d_name + n - 4, ".out"))
				continue;
			snprintf(out, sizeof(out), "%s/%s", dir, e->d_name);
			snprintf(expect, sizeof(expect), "%.*s.expect", (int)(strlen(out) - 4), out);
			here++;
			cases++;
			{
				size_t before = why.len;

				nr_buf_addf(&why, "%s/%s:\n", p->name, e->d_name);
				if (check_fixture(p, out, expect, &why))
					failed++;
				else
					nr_buf_setlen(&why, before);
			}
		}
		closedir(dp);
		if (!here) {
			nr_buf_addf(&why, "%s: no fixtures in %s\n", p->name, dir);
			failed++;
		}
	}
	if (failed) {
		fputs(why.buf, stderr);
		nr_test_fail(__FILE__, __LINE__, "%zu of %zu fixtures differ", failed, cases);
	}
	CHECK(cases > 0);
	nr_buf_release(&why);
}

NR_TEST(parse_metric_catalogue)
{
	char name[64];
	size_t i;

	for (i = 1; i < nr_metric_catalogue_len; i++)
		CHECK(strcmp(nr_metric_catalogue[i - 1].name, nr_metric_catalogue[i].name) < 0);
	for (i = 0; i < nr_metric_catalogue_len; i++) {
		const char *canon;
		double f;

		CHECK_OK(nr_unit_canonical(nr_metric_catalogue[i].unit, &f, &canon));
		CHECK_STR(canon, nr_metric_catalogue[i].unit);
	}
	CHECK(nr_metric_lookup("throughput_bps")->better == NR_BETTER_HIGHER);
	CHECK_STR(nr_metric_lookup("sender_throughput_bps")->name, "throughput_bps");
	CHECK_STR(nr_metric_lookup("tcp_lat_latency_avg_us")->name, "latency_avg_us");
	CHECK(nr_metric_lookup("failed_requests_per_s")->better == NR_BETTER_LOWER);
	CHECK(nr_metric_lookup("successful_requests_per_s")->better == NR_BETTER_HIGHER);
	CHECK(nr_metric_lookup("latency_p99_9_us")->better == NR_BETTER_LOWER);
	CHECK(nr_metric_lookup("udp_latency_p50_us") != NULL);
	CHECK(nr_metric_lookup("latency_p_us") == NULL);
	CHECK(nr_metric_lookup("latency_p9__9_us") == NULL);
	CHECK(nr_metric_lookup("goodness") == NULL);
	CHECK(nr_metric_lookup("") == NULL);
	nr_metric_percentile_name(name, sizeof(name), 99.9999);
	CHECK_STR(name, "latency_p99_9999_us");
	nr_metric_percentile_name(name, sizeof(name), 50);
	CHECK_STR(name, "latency_p50_us");
	nr_metric_percentile_name(name, sizeof(name), 0);
	CHECK_STR(name, "latency_min_us");
}

NR_TEST(parse_add_metric_refuses_nan_and_wrong_units)
{
	struct nr_sample_set set = NR_SAMPLE_SET_INIT;

	CHECK_EQ(nr_sample_add_metric(&set, "throughput_bps", NAN, "bit/s", -1), NR_EINVAL);
	CHECK_EQ(nr_sample_add_metric(&set, "throughput_bps", INFINITY, NULL, -1), NR_EINVAL);
	CHECK_EQ(nr_sample_add_metric(&set, "throughput_bps", 1, "us", -1), NR_EINVAL);
	CHECK_EQ(nr_sample_add_metric(&set, "nonsense", 1, NULL, -1), NR_ENOTFOUND);
	CHECK_EQ(set.n, 0);
	CHECK_OK(nr_sample_add_metric(&set, "jitter_us", 0.5, "ms", 3));
	CHECK_EQ(set.n, 1);
	CHECK_NEAR(set.v[0].value, 500, 1e-9);
	CHECK_STR(set.v[0].unit, "us");
	CHECK_STR(set.v[0].orig_unit, "ms");
	CHECK_EQ(set.v[0].interval, 3);
	CHECK(set.v[0].better == NR_BETTER_LOWER);
	nr_sample_set_release(&set);
}
