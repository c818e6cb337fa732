/*
 * Trust benchmark (issue 13): can a verdict of `netrig compare` be
 * trusted on a noisy machine? For each setting (noise distribution and
 * level, drift, repeats, 50 series a comparison) it makes thousands of
 * synthetic comparisons with the engine `netrig compare` uses
 * (nr_analysis_compare_family(), one family, one group: 50 series of one
 * metric) and prints, as a markdown table:
 *
 *   - per comparison, how often an A/A comparison (no change anywhere)
 *     fails the gate (any regression), netrig and the oracle;
 *   - per series, how often a true change equal to the threshold (10 %)
 *     is found as a regression, when every series has it and when 5 of
 *     the 50 have it, and a change of twice the threshold;
 *   - the same rates of the oracle (bench/trust_sim.h: Welch t-tests,
 *     Holm-adjusted at the same family-wise level, which is what one
 *     would use knowing the noise is normal), and netrig's ratio to it;
 *   - the median detectable change netrig states for the series.
 *
 *   trust-bench [--aa N] [--det N] [--quick] [--seed S] [--adaptive]
 *   trust-bench --replay BASE.csv CAND.csv
 *   trust-bench --double NOISE CV LEVEL_FILE SERIES
 *   trust-bench --drift-double NOISE CV FACTOR SERIES DRIFT PERIOD
 *
 * --adaptive: only the table of adaptive repeats.
 * --aa N: A/A comparisons per setting (default 2,000: a 1 % rate then
 * has a standard error of 0.22 %); --det N: comparisons per detection
 * column (default 400: 20,000 series when all 50 change, 2,000 when 5
 * do); --quick: 200 and 40, a smoke test. --replay BASE CAND: read two
 * runs' samples (`netrig report --format csv` files), judge them with the
 * engine and print one line per series, so bench/trust.sh can show that
 * `netrig compare` gives the same verdicts on the same data. --double: the
 * test double bench/trust.sh's campaign runs: prints "latency=V", V the
 * series' level (100 (1 + SERIES/100)) times the factor in LEVEL_FILE
 * times one draw of the noise (normal, lognormal or bimodal, as the
 * table's), seeded from the kernel. --drift-double: the same with a
 * FACTOR and a level that drifts with the wall clock, for the A/B check.
 *
 * After the table of comparisons of runs, a second table: A/B variants
 * paired in one run against two separate runs, under drift; a third:
 * adaptive repeats against fixed ones (false fails, detection, pairs used).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/rand.h"
#include "trust_sim.h"

#define SERIES 50
#define THRESHOLD 0.10
#define ALPHA 0.01 /* netrig's default family-wise level */

static const char *noise_name(enum sim_noise n)
{
	return n == SIM_LOGNORMAL ? "lognormal" : n == SIM_BIMODAL ? "bimodal" : "normal";
}

static const char *spread_name(enum sim_spread s)
{
	return s == SIM_MIX ? "mixed /10" : s == SIM_ONE_NOISY ? "one 5x var" : "same";
}

struct rates {
	size_t runs, fails_netrig, fails_oracle;
	size_t series, found_netrig, found_oracle;
	double detectable_sum;
	size_t detectable_n;
};

/*
 * One comparison's verdicts counted: its regressions (returned), the
 * shifted series found, by netrig into *found and by the oracle (when
 * given) into *found_oracle, and the detectable changes stated (when
 * det_sum is given).
 */
static size_t tally(const struct sim_setting *st, const struct nr_analysis_compare_result *res,
		    const bool *oracle, size_t *found, size_t *found_oracle, double *det_sum,
		    size_t *det_n)
{
	size_t i, regressions = 0;

	for (i = 0; i < st->series; i++) {
		bool reg = res[i].outcome == NR_OUTCOME_REGRESSION;

		regressions += reg;
		if (i < st->shifted) {
			*found += reg;
			if (oracle)
				*found_oracle += oracle[i];
		}
		if (det_sum && isfinite(res[i].detectable)) {
			*det_sum += res[i].detectable;
			(*det_n)++;
		}
	}
	return regressions;
}

/* Run `runs` comparisons of setting st and count into *r. */
static void simulate(const struct sim_setting *st, size_t runs, struct nr_rng *rng,
		     struct rates *r)
{
	size_t m = st->series, n = st->repeats, k;
	double *base = nr_xcalloc(m * n, sizeof(*base)), *cand = nr_xcalloc(m * n, sizeof(*cand));
	struct nr_analysis_compare_result *res = nr_xcalloc(m, sizeof(*res));
	bool *oracle = nr_xcalloc(m, sizeof(*oracle));

	memset(r, 0, sizeof(*r));
	for (k = 0; k < runs; k++) {
		size_t fn, fo;

		sim_generate(rng, st, base, cand);
		if (sim_netrig(st, base, cand, res) < 0)
			abort();
		fo = sim_oracle(st, base, cand, ALPHA, oracle);
		fn = tally(st, res, oracle, &r->found_netrig, &r->found_oracle, &r->detectable_sum,
			   &r->detectable_n);
		r->runs++;
		r->fails_netrig += fn > 0;
		r->fails_oracle += fo > 0;
		r->series += st->shifted;
	}
	free(base);
	free(cand);
	free(res);
	free(oracle);
}

static void pct(char *b, size_t size, size_t num, size_t den)
{
	if (!den)
		snprintf(b, size, "-");
	else
		snprintf(b, size, "%.2f %%", 100.0 * (double)num / (double)den);
}

static void ratio(char *b, size_t size, size_t a, size_t o)
{
	if (!o)
		snprintf(b, size, a ? "inf" : "-");
	else
		snprintf(b, size, "%.2f", (double)a / (double)o);
}

static const struct sim_setting settings[] = {
	/* noise, spread, cv, repeats, series, drift */
	{ SIM_NORMAL, SIM_SAME, 0.02, 3, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.02, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 3, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 10, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.02, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.08, 3, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.08, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.08, 10, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.25, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_BIMODAL, SIM_SAME, 0.02, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_BIMODAL, SIM_SAME, 0.08, 3, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_BIMODAL, SIM_SAME, 0.08, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_BIMODAL, SIM_SAME, 0.08, 10, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_MIX, 0.08, 3, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_MIX, 0.08, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_ONE_NOISY, 0.04, 3, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_ONE_NOISY, 0.04, 5, SERIES, 0, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.02, 5, SERIES, 0.01, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.02, 5, SERIES, 0.03, 0, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 5, SERIES, 0.03, 0, 0, THRESHOLD },
};

/* One row of the table: an A/A column and three detection columns. */
static void row(const struct sim_setting *base_setting, size_t aa, size_t det, struct nr_rng *rng)
{
	struct sim_setting st = *base_setting;
	struct rates a, t_all, t_few, t2;
	char b[12][32];

	st.shift = 0;
	st.shifted = 0;
	simulate(&st, aa, rng, &a);
	st.shift = st.threshold;
	st.shifted = st.series;
	simulate(&st, det, rng, &t_all);
	st.shifted = 5;
	simulate(&st, det, rng, &t_few);
	st.shift = 2 * st.threshold;
	st.shifted = st.series;
	simulate(&st, det, rng, &t2);

	pct(b[0], 32, a.fails_netrig, a.runs);
	pct(b[1], 32, a.fails_oracle, a.runs);
	pct(b[2], 32, t_all.found_netrig, t_all.series);
	pct(b[3], 32, t_all.found_oracle, t_all.series);
	ratio(b[4], 32, t_all.found_netrig, t_all.found_oracle);
	pct(b[5], 32, t_few.found_netrig, t_few.series);
	pct(b[6], 32, t_few.found_oracle, t_few.series);
	ratio(b[7], 32, t_few.found_netrig, t_few.found_oracle);
	pct(b[8], 32, t2.found_netrig, t2.series);
	pct(b[9], 32, t2.found_oracle, t2.series);
	ratio(b[10], 32, t2.found_netrig, t2.found_oracle);
	snprintf(b[11], 32, "%.1f %%",
		 a.detectable_n ? 100 * a.detectable_sum / (double)a.detectable_n : NAN);
	printf("| %s | %.0f %% | %s | %.0f %% | %zu | %zu | %s | %s | %zu / %zu / %zu | %s | %s | %s "
	       "| %s | %s | %s | %s | %s | %s | %s |\n",
	       noise_name(st.noise), 100 * st.cv, spread_name(st.spread), 100 * st.drift, st.repeats,
	       a.runs, b[0], b[1], t_all.series, t_few.series, t2.series, b[2], b[3], b[4], b[5], b[6],
	       b[7], b[8], b[9], b[10], b[11]);
	fflush(stdout);
}

/* ---- A/B variants: paired in one run against two separate runs ------------ */

/*
 * A row of the A/B table: A/A comparisons and comparisons with every
 * series shifted, each made twice from the same setting: paired (one
 * run, ABBA, compare --variants) and as two separate runs (compare).
 */
struct ab_rates {
	size_t runs, fails_paired, fails_separate;
	size_t series, found_paired, found_separate, found_oracle;
	double detectable_sum;
	size_t detectable_n;
};

static void ab_simulate(const struct sim_setting *st, size_t runs, struct nr_rng *rng,
			struct ab_rates *r)
{
	size_t m = st->series, n = st->repeats, k;
	double *base = nr_xcalloc(m * n, sizeof(*base)), *cand = nr_xcalloc(m * n, sizeof(*cand));
	struct nr_analysis_compare_result *res = nr_xcalloc(m, sizeof(*res));
	bool *oracle = nr_xcalloc(m, sizeof(*oracle));

	memset(r, 0, sizeof(*r));
	for (k = 0; k < runs; k++) {
		size_t fp, fs;

		sim_generate_paired(rng, st, base, cand);
		if (sim_netrig_paired(st, base, cand, res) < 0)
			abort();
		sim_oracle_paired(st, base, cand, ALPHA, oracle);
		fp = tally(st, res, oracle, &r->found_paired, &r->found_oracle, &r->detectable_sum,
			   &r->detectable_n);
		sim_generate(rng, st, base, cand);
		if (sim_netrig(st, base, cand, res) < 0)
			abort();
		fs = tally(st, res, NULL, &r->found_separate, NULL, NULL, NULL);
		r->runs++;
		r->fails_paired += fp > 0;
		r->fails_separate += fs > 0;
		r->series += st->shifted;
	}
	free(base);
	free(cand);
	free(res);
	free(oracle);
}

/* noise, spread, cv, pairs, series, drift, shift (of the detection columns), -, threshold */
static const struct sim_setting ab_settings[] = {
	/* the case: 5 % at 2 % noise, 15 % drift between runs, 10 pairs */
	{ SIM_NORMAL, SIM_SAME, 0.02, 10, SERIES, 0.15, 0.05, 0, 0.05 },
	{ SIM_NORMAL, SIM_SAME, 0.02, 5, SERIES, 0.15, 0.05, 0, 0.05 },
	{ SIM_NORMAL, SIM_SAME, 0.02, 12, SERIES, 0.15, 0.05, 0, 0.05 },
	{ SIM_NORMAL, SIM_SAME, 0.02, 10, SERIES, 0, 0.05, 0, 0.05 },
	{ SIM_LOGNORMAL, SIM_SAME, 0.02, 10, SERIES, 0.15, 0.05, 0, 0.05 },
	{ SIM_BIMODAL, SIM_SAME, 0.02, 10, SERIES, 0.15, 0.05, 0, 0.05 },
	{ SIM_NORMAL, SIM_SAME, 0.08, 10, SERIES, 0.15, 0.10, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.08, 10, SERIES, 0.15, 0.10, 0, THRESHOLD },
	{ SIM_BIMODAL, SIM_SAME, 0.08, 10, SERIES, 0.15, 0.10, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 10, SERIES, 0, 0.10, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 5, SERIES, 0.15, 0.10, 0, THRESHOLD },
};

static void ab_row(const struct sim_setting *base_setting, size_t aa, size_t det,
		   struct nr_rng *rng)
{
	struct sim_setting st = *base_setting;
	struct ab_rates a, t;
	char b[8][32];

	st.shifted = 0;
	ab_simulate(&st, aa, rng, &a);
	st.shifted = st.series;
	ab_simulate(&st, det, rng, &t);
	pct(b[0], 32, a.fails_paired, a.runs);
	pct(b[1], 32, a.fails_separate, a.runs);
	pct(b[2], 32, t.found_paired, t.series);
	pct(b[3], 32, t.found_separate, t.series);
	pct(b[4], 32, t.found_oracle, t.series);
	ratio(b[5], 32, t.found_paired, t.found_oracle);
	snprintf(b[6], 32, "%.1f %%",
		 a.detectable_n ? 100 * a.detectable_sum / (double)a.detectable_n : NAN);
	pct(b[7], 32, t.fails_paired, t.runs);
	printf("| %s | %.0f %% | %.0f %% | %zu | %.0f %% | %zu | %s | %s | %.0f %% | %zu / %zu | %s "
	       "| %s | %s | %s | %s | %s |\n",
	       noise_name(st.noise), 100 * st.cv, 100 * st.drift, st.repeats, 100 * st.threshold,
	       a.runs, b[0], b[1], 100 * st.shift, t.runs, t.series, b[2], b[3], b[4], b[5], b[7],
	       b[6]);
	fflush(stdout);
}

static void ab_table(size_t aa, size_t det, struct nr_rng *rng)
{
	size_t i;

	printf("\nA/B variants: paired in one run (ABBA, compare --variants: the per-pair log "
	       "ratios through the same family test) against two separate runs of the same "
	       "campaign (compare), under the same drift (a random walk whose sd over one run is "
	       "the drift; the separate runs are one run apart). A/A: share of comparisons "
	       "failing the gate; shift: share of series with that true slowdown found as a "
	       "regression (every series shifted); the paired oracle: paired t-tests on the raw "
	       "differences, Holm at the same level; comparisons finding it: share of the "
	       "shifted comparisons with a regression (the gate fails). %d series a comparison.\n\n",
	       SERIES);
	printf("| noise | CV | drift/run | pairs | threshold | A/A comparisons | A/A fails: paired "
	       "| separate runs | shift | comparisons / series shifted | found: paired | separate runs "
	       "| paired oracle | ratio | comparisons finding it: paired | paired detects |\n"
	       "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NR_ARRAY_SIZE(ab_settings); i++)
		ab_row(&ab_settings[i], aa, det, rng);
}

/* ---- adaptive repeats against fixed ones --------------------------------- */

#define ADAPT_MIN 3
#define ADAPT_MAX 20

struct adapt_rates {
	size_t runs, fails, series, found, pairs;
};

/*
 * `runs` comparisons of setting st as A/B variants: adaptive (repeats
 * ADAPT_MIN..ADAPT_MAX pairs, each of the 50 series a case with its share
 * alpha / 50 spent over its looks) when `fixed` is 0, else `fixed` pairs
 * judged as one family (compare --variants).
 */
static void adapt_simulate(const struct sim_setting *base_setting, size_t fixed, size_t runs,
			   struct nr_rng *rng, const struct nr_analysis_sequential *q,
			   struct adapt_rates *r)
{
	struct sim_setting st = *base_setting;
	size_t m = st.series, k, i;
	double *base, *cand;
	struct nr_analysis_compare_result *res = nr_xcalloc(m, sizeof(*res));

	st.repeats = fixed ? fixed : ADAPT_MAX;
	base = nr_xcalloc(m * st.repeats, sizeof(*base));
	cand = nr_xcalloc(m * st.repeats, sizeof(*cand));
	memset(r, 0, sizeof(*r));
	for (k = 0; k < runs; k++) {
		size_t regressions = 0;

		sim_generate_paired(rng, &st, base, cand);
		if (fixed) {
			if (sim_netrig_paired(&st, base, cand, res) < 0)
				abort();
			r->pairs += m * fixed;
		} else if (sim_netrig_adaptive(&st, base, cand, q, res, &r->pairs) < 0) {
			abort();
		}
		for (i = 0; i < m; i++) {
			bool reg = res[i].outcome == NR_OUTCOME_REGRESSION;

			regressions += reg;
			if (i < st.shifted)
				r->found += reg;
		}
		r->runs++;
		r->fails += regressions > 0;
		r->series += st.shifted;
	}
	free(base);
	free(cand);
	free(res);
}

/* noise, spread, cv, -, series, drift, shift (the detection columns), -, threshold */
static const struct sim_setting adapt_settings[] = {
	{ SIM_NORMAL, SIM_SAME, 0.02, 0, SERIES, 0, THRESHOLD, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.05, 0, SERIES, 0, THRESHOLD, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.08, 0, SERIES, 0, THRESHOLD, 0, THRESHOLD },
	{ SIM_LOGNORMAL, SIM_SAME, 0.08, 0, SERIES, 0, THRESHOLD, 0, THRESHOLD },
	{ SIM_BIMODAL, SIM_SAME, 0.08, 0, SERIES, 0, THRESHOLD, 0, THRESHOLD },
	{ SIM_NORMAL, SIM_SAME, 0.05, 0, SERIES, 0.15, THRESHOLD, 0, THRESHOLD },
};

static void adapt_table(size_t aa, size_t det, struct nr_rng *rng)
{
	static const size_t designs[] = { 0, 5, 10, ADAPT_MAX };
	double levels[ADAPT_MAX - ADAPT_MIN + 1];
	struct nr_analysis_sequential q = { .min = ADAPT_MIN, .max = ADAPT_MAX,
					    .alpha = ALPHA / SERIES, .levels = levels };
	size_t i, j;

	if (nr_analysis_sequential_levels(&q, levels) < 0)
		abort();
	printf("\nAdaptive repeats (repeat: {min: %d, max: %d, until: clear}) against fixed pairs, "
	       "A/B variants, %d series a run (each a case; adaptive: each its share alpha / %d "
	       "spent over its looks, O'Brien-Fleming; fixed: one family, Holm), threshold %.0f %%. "
	       "A/A fails: share of runs with any regression; t found: share of series with a "
	       "true slowdown of the threshold found as a regression (every series shifted); "
	       "pairs: mean pairs a series used.\n\n",
	       ADAPT_MIN, ADAPT_MAX, SERIES, SERIES, 100 * THRESHOLD);
	printf("| noise | CV | drift/run | design | A/A runs | A/A fails | A/A pairs | t runs / series "
	       "| t found | t pairs |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NR_ARRAY_SIZE(adapt_settings); i++) {
		for (j = 0; j < NR_ARRAY_SIZE(designs); j++) {
			struct sim_setting st = adapt_settings[i];
			struct adapt_rates a, t;
			char d[32], b[2][32];

			st.shifted = 0;
			adapt_simulate(&st, designs[j], aa, rng, &q, &a);
			st.shifted = st.series;
			adapt_simulate(&st, designs[j], det, rng, &q, &t);
			if (designs[j])
				snprintf(d, sizeof(d), "fixed %zu", designs[j]);
			else
				snprintf(d, sizeof(d), "adaptive %d..%d", ADAPT_MIN, ADAPT_MAX);
			pct(b[0], 32, a.fails, a.runs);
			pct(b[1], 32, t.found, t.series);
			printf("| %s | %.0f %% | %.0f %% | %s | %zu | %s | %.1f | %zu / %zu | %s | %.1f |\n",
			       noise_name(st.noise), 100 * st.cv, 100 * st.drift, d, a.runs, b[0],
			       (double)a.pairs / (double)(a.runs * st.series), t.runs, t.series, b[1],
			       (double)t.pairs / (double)(t.runs * st.series));
			fflush(stdout);
		}
	}
}

/* ---- replay: the engine's verdicts on two stored runs ---------------------- */

struct sample {
	char *key; /* case,role,metric */
	double value;
};

static int cmp_sample(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->key, ((const struct sample *)b)->key);
}

/*
 * The samples section of `netrig report --format csv`:
 * run,test,case,role,metric,unit,repeat,attempt,value (the case quoted).
 * Only what trust.sh's campaign writes is understood (no commas in keys).
 */
static size_t read_samples(const char *path, struct sample **ret)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	struct sample *v = NULL;
	size_t n = 0, cap = 0;
	bool in = false;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *fld[9], *p = line;
		int k = 0;

		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "run,test,case,role,metric,unit,repeat,attempt,value")) {
			in = true;
			continue;
		}
		if (!in || !*line)
			continue;
		while (k < 9 && p) {
			fld[k++] = p;
			p = strchr(p, ',');
			if (p)
				*p++ = '\0';
		}
		if (k < 9)
			continue;
		NR_GROW(v, n + 1, cap);
		if (nr_parse_double(fld[8], &v[n].value) < 0) {
			fprintf(stderr, "%s: not a number: %s\n", path, fld[8]);
			exit(2);
		}
		v[n].key = nr_xasprintf("%s %s %s", fld[2], fld[3], fld[4]);
		n++;
	}
	fclose(f);
	if (n)
		qsort(v, n, sizeof(*v), cmp_sample);
	*ret = v;
	return n;
}

static int replay(const char *base_path, const char *cand_path)
{
	struct sample *b, *c;
	size_t nb = read_samples(base_path, &b), nc = read_samples(cand_path, &c), i, j, m = 0;
	struct nr_analysis_series *in = nr_xcalloc(nb + 1, sizeof(*in));
	struct nr_analysis_compare_result *res;
	double *bv = nr_xcalloc(nb + 1, sizeof(*bv)), *cv = nr_xcalloc(nc + 1, sizeof(*cv));
	char **keys = nr_xcalloc(nb + 1, sizeof(*keys));

	for (i = j = 0; i < nb;) {
		size_t i0 = i, j0;

		while (i < nb && !strcmp(b[i].key, b[i0].key)) {
			bv[i] = b[i].value;
			i++;
		}
		while (j < nc && strcmp(c[j].key, b[i0].key) < 0)
			j++;
		j0 = j;
		while (j < nc && !strcmp(c[j].key, b[i0].key)) {
			cv[j] = c[j].value;
			j++;
		}
		if (j == j0)
			continue;
		keys[m] = b[i0].key;
		in[m++] = (struct nr_analysis_series){ .base = bv + i0, .nb = i - i0, .cand = cv + j0,
						       .nc = j - j0, .better = NR_BETTER_LOWER,
						       .threshold = THRESHOLD,
						       .critical = 2 * THRESHOLD };
	}
	res = nr_xcalloc(m + 1, sizeof(*res));
	if (nr_analysis_compare_family(in, m, NULL, res) < 0)
		return 2;
	for (i = 0; i < m; i++)
		printf("%s %s %.6g\n", keys[i], nr_analysis_outcome_name(res[i].outcome),
		       res[i].p_adjusted);
	for (i = 0; i < nb; i++)
		free(b[i].key);
	for (i = 0; i < nc; i++)
		free(c[i].key);
	free(b);
	free(c);
	free(bv);
	free(cv);
	free(keys);
	free(in);
	free(res);
	return 0;
}

static int double_main(char **argv)
{
	enum sim_noise noise = !strcmp(argv[0], "lognormal") ? SIM_LOGNORMAL
			       : !strcmp(argv[0], "bimodal") ? SIM_BIMODAL
							     : SIM_NORMAL;
	double cv, level, series;
	char text[64] = "";
	FILE *f = fopen(argv[2], "r");
	struct nr_rng rng;
	uint64_t seed;

	if (nr_parse_double(argv[1], &cv) < 0 || nr_parse_double(argv[3], &series) < 0) {
		fprintf(stderr, "trust-bench --double: CV and SERIES are numbers\n");
		return 2;
	}
	if (f && !fgets(text, sizeof(text), f))
		text[0] = '\0';
	if (f)
		fclose(f);
	text[strcspn(text, "\n")] = '\0';
	if (nr_parse_double(text, &level) < 0) {
		fprintf(stderr, "trust-bench --double: cannot read the level from %s\n", argv[2]);
		return 2;
	}
	nr_random_bytes(&seed, sizeof(seed));
	nr_rng_seed(&rng, seed);
	printf("latency=%.9g\n", 100 * (1 + series / 100) * level * sim_noise_factor(&rng, noise, cv));
	return 0;
}

/* The machine's log speed at wall-clock window k: a normal draw of sd
 * `drift`, the same in every process (seeded by k alone). */
static double window_level(int64_t k, double drift)
{
	struct nr_rng rng;

	nr_rng_seed(&rng, (uint64_t)k * 0x9e3779b97f4a7c15ULL + 0x6e6574726967ULL);
	return drift * sim_gauss(&rng);
}

/*
 * --drift-double: the A/B check's test double. Prints "latency=V", V the
 * series' level 100 (1 + SERIES/100) times FACTOR times the machine's
 * speed at this moment, times one draw of the noise. The speed wanders
 * with the wall clock: its log is a normal draw of sd DRIFT every PERIOD
 * seconds (the same for every process), linear in between. Separate runs
 * (seconds apart) see the machine at levels about DRIFT apart; the two
 * halves of a pair (milliseconds apart) at the same one.
 */
static int drift_double_main(char **argv)
{
	enum sim_noise noise = !strcmp(argv[0], "lognormal") ? SIM_LOGNORMAL
			       : !strcmp(argv[0], "bimodal") ? SIM_BIMODAL
							     : SIM_NORMAL;
	double cv, factor, series, drift, period, t, speed;
	struct timespec now;
	int64_t k;
	struct nr_rng rng;
	uint64_t seed;

	if (nr_parse_double(argv[1], &cv) < 0 || nr_parse_double(argv[2], &factor) < 0 ||
	    nr_parse_double(argv[3], &series) < 0 || nr_parse_double(argv[4], &drift) < 0 ||
	    nr_parse_double(argv[5], &period) < 0 || !(period > 0)) {
		fprintf(stderr, "trust-bench --drift-double: CV FACTOR SERIES DRIFT PERIOD are numbers\n");
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	t = ((double)now.tv_sec + 1e-9 * (double)now.tv_nsec) / period;
	k = (int64_t)floor(t);
	speed = (1 - (t - (double)k)) * window_level(k, drift) + (t - (double)k) * window_level(k + 1, drift);
	nr_random_bytes(&seed, sizeof(seed));
	nr_rng_seed(&rng, seed);
	printf("latency=%.9g\n",
	       100 * (1 + series / 100) * factor * exp(speed) * sim_noise_factor(&rng, noise, cv));
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t aa = 2000, det = 400, seed = 13;
	bool adaptive_only = false;
	struct nr_rng rng;
	size_t i;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			aa = 200;
			det = 40;
		} else if (!strcmp(argv[i], "--adaptive")) {
			adaptive_only = true;
		} else if (!strcmp(argv[i], "--aa") && i + 1 < (size_t)argc) {
			if (nr_parse_u64(argv[++i], 10000000, &aa) < 0 || !aa)
				goto usage;
		} else if (!strcmp(argv[i], "--det") && i + 1 < (size_t)argc) {
			if (nr_parse_u64(argv[++i], 10000000, &det) < 0 || !det)
				goto usage;
		} else if (!strcmp(argv[i], "--seed") && i + 1 < (size_t)argc) {
			if (nr_parse_u64(argv[++i], UINT64_MAX, &seed) < 0)
				goto usage;
		} else if (!strcmp(argv[i], "--replay") && i + 2 < (size_t)argc) {
			return replay(argv[i + 1], argv[i + 2]);
		} else if (!strcmp(argv[i], "--double") && i + 4 < (size_t)argc) {
			return double_main(argv + i + 1);
		} else if (!strcmp(argv[i], "--drift-double") && i + 6 < (size_t)argc) {
			return drift_double_main(argv + i + 1);
		} else {
			goto usage;
		}
	}
	nr_rng_seed(&rng, seed);
	if (adaptive_only) {
		adapt_table((size_t)aa, (size_t)det, &rng);
		return 0;
	}
	printf("%d series a comparison, threshold %.0f %%, family-wise level %.0f %% (netrig's "
	       "defaults); the oracle: Welch t-tests, Holm at the same level.\n"
	       "A/A: share of comparisons failing the gate (any regression). t, 2t: share of "
	       "series with a true change of the threshold (twice it) found as a regression, "
	       "when every series has it (all) or 5 of the 50 do (5/50); ratio = netrig / oracle.\n\n",
	       SERIES, 100 * THRESHOLD, 100 * ALPHA);
	printf("| noise | CV | across series | drift/run | repeats | A/A runs | A/A fails: netrig "
	       "| oracle | series (t all / t 5/50 / 2t) | t all: netrig | oracle | ratio "
	       "| t 5/50: netrig | oracle | ratio | 2t all: netrig | oracle | ratio | netrig detects |\n"
	       "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NR_ARRAY_SIZE(settings); i++)
		row(&settings[i], (size_t)aa, (size_t)det, &rng);

	/*
	 * A/B variants: paired in one run (ABBA) against two separate runs
	 * of the same campaign, under the same drift.
	 */
	ab_table((size_t)aa, (size_t)det, &rng);
	/* adaptive repeats against fixed ones */
	adapt_table((size_t)aa, (size_t)det, &rng);
	return 0;
usage:
	fprintf(stderr, "usage: trust-bench [--aa N] [--det N] [--quick] [--seed S] [--adaptive]\n"
			"       trust-bench --replay BASE.csv CAND.csv\n"
			"       trust-bench --double normal|lognormal|bimodal CV LEVEL_FILE SERIES\n"
			"       trust-bench --drift-double normal|lognormal|bimodal CV FACTOR SERIES DRIFT PERIOD\n");
	return 2;
}
