/*
 * netrig's statistics against reference values computed with scipy/numpy
 * (tests/fixtures/stats/gen_reference.py writes the .tsv tables).
 *
 * Tolerances: |got - want| <= REL * |want| + ABS, with REL = 1e-9 and
 * ABS = 1e-15 for distributions and p-values (scipy's own accuracy is
 * about 1e-14 relative; tail values down to 1e-300 are checked relative),
 * and REL = 1e-12 for quantiles, means and deviations.
 */
#include <math.h>
#include <stdbool.h>

#include "analysis/analysis.h"
#include "base/mem.h"
#include "test.h"

#define MAXF 8

struct row {
	char line[65536];
	char *f[MAXF];
	int nf;
};

/* Next data row of f, split at tabs; false at the end. */
static bool next_row(FILE *f, struct row *row)
{
	while (fgets(row->line, sizeof(row->line), f)) {
		char *p = row->line;

		if (p[0] == '#' || p[0] == '\n')
			continue;
		p[strcspn(p, "\n")] = '\0';
		row->nf = 0;
		for (;;) {
			row->f[row->nf++] = p;
			p = strchr(p, '\t');
			if (!p || row->nf == MAXF)
				break;
			*p++ = '\0';
		}
		return true;
	}
	return false;
}

static double num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end)
		nr_test_fail(__FILE__, __LINE__, "bad number \"%s\"", s);
	return v;
}

/* Comma-separated doubles into a heap array. */
static double *list(char *s, size_t *ret_n)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	char *end;

	for (;;) {
		NR_GROW(v, n + 1, cap);
		v[n++] = strtod(s, &end);
		if (end == s)
			nr_test_fail(__FILE__, __LINE__, "bad list at \"%s\"", s);
		if (*end != ',')
			break;
		s = end + 1;
	}
	*ret_n = n;
	return v;
}

static FILE *open_fixture(const char *name)
{
	FILE *f = fopen(nr_test_fixture(name), "r");

	if (!f)
		nr_test_fail(__FILE__, __LINE__, "cannot open %s", name);
	return f;
}

static void near(double got, double want, double rel, double abs_tol, const char *what,
		 int line_no)
{
	if (isnan(want) && isnan(got))
		return;
	if (!(fabs(got - want) <= rel * fabs(want) + abs_tol))
		nr_test_fail(__FILE__, line_no, "%s: got %.17g, want %.17g", what, got, want);
}

#define NEAR(got, want, rel, abs_tol, what) near(got, want, rel, abs_tol, what, __LINE__)

NR_TEST(analysis_ref_t_distribution)
{
	FILE *f = open_fixture("stats/tdist.tsv");
	struct row *row = nr_xmalloc(sizeof(*row));
	int n = 0;

	while (next_row(f, row)) {
		double t = num(row->f[0]), df = num(row->f[1]);
		char what[128];

		snprintf(what, sizeof(what), "t=%g df=%g", t, df);
		NEAR(nr_analysis_t_cdf(t, df), num(row->f[2]), 1e-9, 1e-15, what);
		NEAR(nr_analysis_t_sf(t, df), num(row->f[3]), 1e-9, 1e-15, what);
		n++;
	}
	CHECK_INT(n, >, 400);
	fclose(f);
	free(row);
}

NR_TEST(analysis_ref_normal)
{
	FILE *f = open_fixture("stats/normal.tsv");
	struct row *row = nr_xmalloc(sizeof(*row));
	int n = 0;

	while (next_row(f, row)) {
		double z = num(row->f[0]);

		NEAR(nr_analysis_normal_cdf(z), num(row->f[1]), 1e-9, 1e-15, row->f[0]);
		NEAR(nr_analysis_normal_sf(z), num(row->f[2]), 1e-9, 1e-15, row->f[0]);
		n++;
	}
	CHECK_INT(n, >, 80);
	fclose(f);
	free(row);
}

NR_TEST(analysis_ref_betainc)
{
	FILE *f = open_fixture("stats/betainc.tsv");
	struct row *row = nr_xmalloc(sizeof(*row));
	int n = 0;

	while (next_row(f, row)) {
		double a = num(row->f[0]), b = num(row->f[1]), x = num(row->f[2]);
		char what[128];

		snprintf(what, sizeof(what), "I_%g(%g, %g)", x, a, b);
		NEAR(nr_analysis_betainc(a, b, x), num(row->f[3]), 1e-9, 1e-15, what);
		n++;
	}
	CHECK_INT(n, >, 380);
	fclose(f);
	free(row);
}

NR_TEST(analysis_ref_ttest)
{
	FILE *f = open_fixture("stats/ttest.tsv");
	struct row *row = nr_xmalloc(sizeof(*row));
	int n = 0;

	while (next_row(f, row)) {
		double p = nr_analysis_ttest_pvalue(num(row->f[0]), num(row->f[1]),
						    (size_t)num(row->f[2]), num(row->f[3]),
						    num(row->f[4]), (size_t)num(row->f[5]));

		NEAR(p, num(row->f[6]), 1e-9, 1e-15, row->f[0]);
		n++;
	}
	CHECK_INT(n, >, 150);
	fclose(f);
	free(row);
}

NR_TEST(analysis_ref_mann_whitney)
{
	FILE *f = open_fixture("stats/mwu.tsv");
	struct row *row = nr_xmalloc(sizeof(*row));
	int n = 0, exact = 0, asym = 0, ties = 0;

	while (next_row(f, row)) {
		enum nr_analysis_mwu_method m = NR_MWU_AUTO, used;
		struct nr_analysis_mwu res;
		double *x, *y;
		size_t nx, ny;
		char what[128];

		if (!strcmp(row->f[0], "exact"))
			m = NR_MWU_EXACT;
		else if (!strcmp(row->f[0], "asymptotic"))
			m = NR_MWU_ASYMPTOTIC;
		used = !strcmp(row->f[1], "exact") ? NR_MWU_EXACT : NR_MWU_ASYMPTOTIC;
		x = list(row->f[4], &nx);
		y = list(row->f[5], &ny);
		snprintf(what, sizeof(what), "%s %zu vs %zu, U %s", row->f[0], nx, ny, row->f[2]);
		CHECK_OK(nr_analysis_mwu(x, nx, y, ny, m, &res));
		CHECK_EQ(res.method, used);
		NEAR(res.u, num(row->f[2]), 0, 1e-9, what);
		NEAR(res.p_value, num(row->f[3]), 1e-9, 1e-15, what);
		exact += used == NR_MWU_EXACT;
		asym += used == NR_MWU_ASYMPTOTIC;
		ties += res.ties;
		free(x);
		free(y);
		n++;
	}
	/* the table covers both methods, with and without ties */
	CHECK_INT(exact, >, 50);
	CHECK_INT(asym, >, 100);
	CHECK_INT(ties, >, 50);
	fclose(f);
	free(row);
}

NR_TEST(analysis_ref_quantiles)
{
	FILE *f = open_fixture("stats/quantile.tsv");
	struct row *row = nr_xmalloc(sizeof(*row));
	int n = 0;

	while (next_row(f, row)) {
		size_t nv;
		double *v = list(row->f[3], &nv), want = num(row->f[2]), got;
		const char *what = row->f[0];

		if (!strcmp(what, "quantile"))
			got = nr_analysis_quantile(v, nv, num(row->f[1]));
		else if (!strcmp(what, "median"))
			got = nr_analysis_median(v, nv);
		else if (!strcmp(what, "mean"))
			got = nr_analysis_mean(v, nv);
		else if (!strcmp(what, "stddev"))
			got = nr_analysis_stddev(v, nv);
		else
			got = nr_analysis_mad(v, nv);
		NEAR(got, want, 1e-12, 1e-300, what);
		free(v);
		n++;
	}
	CHECK_INT(n, >, 100);
	fclose(f);
	free(row);
}

NR_TEST(analysis_mwu_min_pvalue)
{
	CHECK_NEAR(nr_analysis_mwu_min_pvalue(3, 3), 0.1, 1e-15);
	CHECK_NEAR(nr_analysis_mwu_min_pvalue(5, 5), 2.0 / 252, 1e-15);
	CHECK_NEAR(nr_analysis_mwu_min_pvalue(1, 1), 1, 0);
	CHECK_NEAR(nr_analysis_mwu_min_pvalue(4, 4), 2.0 / 70, 1e-15);
}
