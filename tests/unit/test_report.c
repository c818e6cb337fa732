#include "report/report.h"
#include "test.h"

NR_TEST(report_aggregate_median_min_max)
{
	struct nr_sample_row rows[5];
	struct nr_result_row *res;
	size_t n, i;
	double v[] = { 3, 1, 2, 10, 20 };

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 5; i++) {
		snprintf(rows[i].case_id, sizeof(rows[i].case_id), "%s", i < 3 ? "c1" : "c2");
		rows[i].id.test = "t";
		rows[i].id.key = i < 3 ? "t/a=1" : "t/a=2";
		rows[i].id.role = "main";
		rows[i].id.metric = "m";
		rows[i].id.unit = "us";
		rows[i].interval = -1;
		rows[i].value = v[i];
	}
	nr_report_aggregate(rows, 5, &res, &n);
	CHECK_EQ(n, 2);
	CHECK_NEAR(res[0].median, 2, 0);
	CHECK_NEAR(res[0].min, 1, 0);
	CHECK_NEAR(res[0].max, 3, 0);
	CHECK_EQ(res[0].n, 3);
	CHECK_NEAR(res[1].median, 15, 0);
	CHECK_NEAR(res[1].stddev, 7.0710678118654755, 1e-12);
	free(res);
}

NR_TEST(report_csv_quotes_fields)
{
	struct nr_run_rec run = { .campaign = "c", .status = "passed" };
	struct nr_case_rec c = { .ordinal = 1, .test = "t", .key = "t/v=a%2Cb",
				 .status = "failed", .repeats = 1, .params = "{\"v\":\"a,b\"}",
				 .error = "role main: exit 1: say \"no\"" };
	struct nr_buf out = NR_BUF_INIT;

	nr_report_status(&run, &c, 1, NR_REPORT_CSV, &out);
	CHECK_CONTAINS(out.buf, "ordinal,test,case,status,");
	CHECK_CONTAINS(out.buf, "\"{\"\"v\"\":\"\"a,b\"\"}\"");
	CHECK_CONTAINS(out.buf, "\"role main: exit 1: say \"\"no\"\"\"\r\n");
	nr_buf_release(&out);
}
