/*
 * Speed of the analysis module on synthetic data (bench/analysis.sh runs
 * it; numbers go to docs/analysis-bench.md):
 *
 *   compare        10,000 series x 5 repeats a side in one comparison, as
 *                  `netrig compare` makes it: nr_analysis_compare_family()
 *                  (evidence, shared variance prior, moderated t, Holm,
 *                  interval, verdict, detectable change, repeats needed)
 *   changepoints   1,000 series x 500 points (windowed E-divisive, window
 *                  50, Otava's p 0.001, min segment 3)
 *
 *   analysis-bench [-r ROUNDS]   best and median of ROUNDS timings (5)
 *
 * The data is generated before the clock starts; only the calls into
 * src/analysis/ are timed. Goal: <= 1 s each on the 2-vCPU lab machine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/rand.h"

#define CMP_SERIES 10000
#define CMP_REPEATS 5
#define CP_SERIES 1000
#define CP_POINTS 500

static double gauss(struct nr_rng *rng)
{
	double u = nr_rng_double(rng), v = nr_rng_double(rng);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* CPU time of this thread: the lab machines are shared, and wall time
 * there also counts other tenants' turns on the two CPUs. */
static int64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* One timing of one comparison of all series (wall, and CPU in
 * *ret_cpu); counts outcomes into out[]. */
static int64_t time_compare(const double *base, const double *cand, int out[5],
			    int64_t *ret_cpu)
{
	struct nr_analysis_series *in = nr_xcalloc(CMP_SERIES, sizeof(*in));
	struct nr_analysis_compare_result *res = nr_xcalloc(CMP_SERIES, sizeof(*res));
	int64_t t0, c0, wall;
	size_t s;

	for (s = 0; s < CMP_SERIES; s++)
		in[s] = (struct nr_analysis_series){ .base = base + s * CMP_REPEATS,
						     .cand = cand + s * CMP_REPEATS,
						     .nb = CMP_REPEATS, .nc = CMP_REPEATS,
						     .better = NR_BETTER_HIGHER, .threshold = 0.10,
						     .critical = 0.20 };
	t0 = nr_mono_us();
	c0 = cpu_us();
	if (nr_analysis_compare_family(in, CMP_SERIES, NULL, res) < 0)
		abort();
	*ret_cpu = cpu_us() - c0;
	wall = nr_mono_us() - t0;
	memset(out, 0, 5 * sizeof(*out));
	for (s = 0; s < CMP_SERIES; s++)
		out[res[s].outcome]++;
	free(in);
	free(res);
	return wall;
}

static int64_t time_changepoints(const double *v, size_t *ret_points, int64_t *ret_cpu)
{
	int64_t t0 = nr_mono_us(), c0 = cpu_us();
	size_t s, total = 0;

	for (s = 0; s < CP_SERIES; s++) {
		struct nr_analysis_changepoint *cp;
		size_t n;

		if (nr_analysis_changepoints(v + s * CP_POINTS, CP_POINTS, NULL, &cp, &n) < 0)
			abort();
		total += n;
		nr_analysis_changepoints_free(cp);
	}
	*ret_points = total;
	*ret_cpu = cpu_us() - c0;
	return nr_mono_us() - t0;
}

static void report(const char *what, int64_t *t, int64_t *c, int rounds, const char *extra)
{
	qsort(t, (size_t)rounds, sizeof(*t), cmp_i64);
	qsort(c, (size_t)rounds, sizeof(*c), cmp_i64);
	printf("| %s | %.3f | %.3f | %.3f | %.3f | %s |\n", what, (double)c[0] / 1e6,
	       (double)c[rounds / 2] / 1e6, (double)t[0] / 1e6, (double)t[rounds / 2] / 1e6,
	       extra);
}

int main(int argc, char **argv)
{
	double *base, *cand, *hist;
	int64_t tc[64], tp[64], cc[64], cp[64];
	struct nr_rng rng;
	int rounds = 5, i, out[5];
	size_t s, k, points = 0;
	char extra[256];

	if (argc == 3 && !strcmp(argv[1], "-r")) {
		uint64_t r;

		if (nr_parse_u64(argv[2], 64, &r) < 0 || r == 0) {
			fprintf(stderr, "analysis-bench: -r takes 1..64\n");
			return 2;
		}
		rounds = (int)r;
	} else if (argc != 1) {
		fprintf(stderr, "usage: analysis-bench [-r ROUNDS]\n");
		return 2;
	}

	/* compare: 1 in 10 series has a real 15 % drop, CV 1-10 % */
	nr_rng_seed(&rng, 1);
	base = nr_xmalloc(CMP_SERIES * CMP_REPEATS * sizeof(*base));
	cand = nr_xmalloc(CMP_SERIES * CMP_REPEATS * sizeof(*cand));
	for (s = 0; s < CMP_SERIES; s++) {
		double mu = 1000 * exp(gauss(&rng)), cv = 0.01 * (double)(1 + s % 10);
		double f = s % 10 == 0 ? 0.85 : 1.0;

		for (k = 0; k < CMP_REPEATS; k++) {
			base[s * CMP_REPEATS + k] = mu * (1 + cv * gauss(&rng));
			cand[s * CMP_REPEATS + k] = mu * f * (1 + cv * gauss(&rng));
		}
	}
	/* histories: a 10 % step at a random run in half of them, CV 3 % */
	hist = nr_xmalloc(CP_SERIES * CP_POINTS * sizeof(*hist));
	for (s = 0; s < CP_SERIES; s++) {
		size_t at = s % 2 ? 50 + nr_rng_below(&rng, 400) : CP_POINTS;
		double mu = 1000 * exp(gauss(&rng));

		for (k = 0; k < CP_POINTS; k++)
			hist[s * CP_POINTS + k] = (k < at ? mu : 0.9 * mu) * (1 + 0.03 * gauss(&rng));
	}

	for (i = 0; i < rounds; i++) {
		tc[i] = time_compare(base, cand, out, &cc[i]);
		tp[i] = time_changepoints(hist, &points, &cp[i]);
	}
	printf("| benchmark | CPU best (s) | CPU median (s) | wall best (s) | wall median (s) | result |\n"
	       "|---|---|---|---|---|---|\n");
	snprintf(extra, sizeof(extra), "%d regression, %d noisy, %d stable",
		 out[NR_OUTCOME_REGRESSION], out[NR_OUTCOME_NOISY], out[NR_OUTCOME_STABLE]);
	report("compare 10,000 series x 5 repeats", tc, cc, rounds, extra);
	snprintf(extra, sizeof(extra), "%zu change points (500 steps planted)", points);
	report("change points 1,000 series x 500 points", tp, cp, rounds, extra);
	free(base);
	free(cand);
	free(hist);
	return 0;
}
