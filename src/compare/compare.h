/*
 * Verdicts over stored results: a candidate run against a baseline, per
 * series (case x role x metric), a run's series against the absolute
 * limits of its campaign, and change points over the history of a
 * campaign. Selects runs and samples from the store, applies the
 * campaign's thresholds and limits, and leaves the statistics to analysis/.
 */
#ifndef NR_COMPARE_H
#define NR_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/analysis.h"
#include "store/store.h"

struct nr_campaign;

struct nr_compare_opts {
	const char *base_sel;   /* a run selector (see nr_store_runs_select) */
	const char *cand_sel;
	size_t baseline_window; /* pool the last N runs the baseline selector names (>= 1) */
	/* defaults; the candidate's campaign may set thresholds per test and metric */
	struct nr_analysis_compare_params params;
	bool params_from_cli;   /* --threshold given: it wins over the campaign */
	bool history;           /* look for change points in each flagged series' history */
	/* compare --variants: only these metrics (NULL or empty: every one) */
	const struct nr_strvec *metrics;
};

/* ---- limits: absolute bounds on a run's series, from its stored campaign ---- */

/* One bound checked on one series (case x role x metric). */
struct nr_limit_check {
	struct nr_series id;
	bool is_max;         /* the bound is a max (else a min) */
	double limit;        /* in limit_unit */
	char *limit_text;    /* as the campaign wrote it: "50ms" */
	char *limit_unit;    /* the unit the limit is in (the series' unless unit_mismatch) */
	double value;        /* the median of the series' repeats, in id.unit */
	double worst;        /* the repeat farthest toward the bound's wrong side */
	size_t n;            /* repeats */
	size_t n_beyond;     /* repeats past the bound */
	bool breached;       /* the median is past the bound, or unit_mismatch */
	/* the limit is in a unit the values are not (a metric that came without
	 * the unit its campaign-wide limit assumed): it cannot be checked, and
	 * counts as breached rather than passing unseen */
	bool unit_mismatch;
	enum nr_analysis_severity severity; /* of a breach: critical, or warning (`severity: warning`) */
	double excess;       /* how far past the bound, in id.unit (> 0 when breached) */
	double excess_rel;   /* excess / |limit|; NaN for a limit of 0 or a unit mismatch */
};

struct nr_limits {
	struct nr_limit_check *v; /* breaches first (critical before warning), then passes; series order within */
	size_t n;
	size_t breached;          /* of them */
	size_t series;            /* series judged (one with a min and a max counts once) */
};

/*
 * Check every summary sample series in rows[0..n) against c's limits (c
 * NULL: none): the median of its repeats against the bounds that hold for
 * its test and metric. Pure: no store, no clock.
 */
void nr_limits_judge(const struct nr_campaign *c, const struct nr_sample_row *rows, size_t n,
		     struct nr_limits *ret);

/*
 * The limits of a run: its samples (rows[0..n) when the caller has them,
 * else read from st) against the limits of the campaign stored with it
 * (its text alone: no lab file is needed, nothing on this machine changes
 * them). NR_ECONFIG / NR_EPARSE when that text does not load, store errors
 * as the store gives them; a message in d.
 */
int nr_compare_limits(struct nr_store *st, const struct nr_run_rec *run,
		      const struct nr_sample_row *rows, size_t n, struct nr_limits *ret,
		      struct nr_diag *d);
void nr_limits_release(struct nr_limits *l);

/* Whether the limits should fail CI: a breach of severity >= fail_on. */
bool nr_limits_fail(const struct nr_limits *l, enum nr_analysis_severity fail_on);

enum nr_presence {
	NR_IN_BOTH,
	NR_ONLY_BASE,
	NR_ONLY_CAND,
};

/*
 * What a paired comparison (A/B variants of one run) shows beside the
 * verdict, which comes from the family test of the per-pair log ratios
 * (so that its false-alarm rate holds): Wilcoxon's signed-rank test of
 * the same log ratios, and a bootstrap interval of the median ratio.
 */
struct nr_paired_extra {
	size_t pairs;             /* complete pairs (repeat i of both variants) */
	size_t unpaired;          /* repeats of one variant without the other's */
	double signed_rank_p;     /* two-sided; NaN when not computed */
	bool signed_rank_exact;
	double ratio_median;      /* median of cand / base over the pairs; NaN: a value <= 0 */
	double ratio_low, ratio_high; /* its bootstrap interval at ci_level */
};

struct nr_series_cmp {
	struct nr_series id;
	enum nr_presence presence;
	double threshold, critical;    /* as applied */
	struct nr_analysis_compare_result r; /* NR_IN_BOTH only */
	char *context;                 /* e.g. "a change point at commit abc123 (+12.0 %)", or NULL */
	struct nr_paired_extra paired; /* a paired comparison's series only */
	/* the adaptive repeats of its test in the candidate's campaign
	 * (repeat: {min, max, until: clear}; 0 0: fixed): judged
	 * sequentially (docs/analysis.md, "Adaptive repeats") */
	int repeat_min, repeat_max;
};

struct nr_comparison {
	struct nr_run_rec cand;
	struct nr_run_rec *base; /* the pooled baseline runs, newest first */
	size_t n_base;
	struct nr_series_cmp *v; /* regressions first, then improvements, noisy, changed, stable */
	size_t n;
	size_t counts[5];        /* by enum nr_analysis_outcome */
	size_t only_base, only_cand;
	size_t cand_failed_cases;/* failed cases of the candidate run */
	bool few_repeats;        /* some series had fewer than min_repeats a side */
	/* the comparison's family-wise level, interval level and the power
	 * the detectable changes are stated at (from the params used) */
	double alpha, ci_level, power;
	/*
	 * The hardware the runs ran on ("Intel Xeon x2, 23.5 GiB" per host
	 * with a description). Baseline runs of the candidate's class are
	 * preferred; when none is, they are compared anyway and this says so.
	 */
	char *cand_class, *base_class;
	bool class_differs;
	/* the candidate's limits (from its stored campaign), checked with or without --threshold */
	struct nr_limits limits;
	/*
	 * A paired comparison (nr_compare_variants): the variants of one
	 * run, cand the run (base too, the same run), the series' keys
	 * without their variant, base the first variant's repeats and cand
	 * the second's, pair by pair.
	 */
	bool paired;
	char *base_variant, *cand_variant;
};

/* A run's host class from its hosts' sysinfo (malloc'ed; "" when none is known). */
char *nr_compare_host_class(struct nr_store *st, const char *run_id);

/*
 * Compare. NR_ENOTFOUND / NR_EAMBIGUOUS when a selector names no run or
 * more than one (ids), with a message.
 */
int nr_compare_runs(struct nr_store *st, const struct nr_compare_opts *o,
		    struct nr_comparison *ret, struct nr_diag *d);
void nr_comparison_release(struct nr_comparison *c);

/*
 * Compare the two variants of run o->cand_sel (NULL: the latest) pair by
 * pair: per series (case without its variant x role x metric) the per-pair
 * log ratios of the second variant to the first, repeat i with repeat i,
 * judged as a family as nr_compare_runs judges (outcomes, thresholds from
 * the stored campaign unless o->params_from_cli, severities, detectable
 * change, repeats needed counted in pairs), with the signed-rank test and
 * the bootstrap interval of the median ratio beside. NR_ENOTFOUND when
 * the run has no variants; NR_ECONFIG when its cases name other than two.
 */
int nr_compare_variants(struct nr_store *st, const struct nr_compare_opts *o,
			struct nr_comparison *ret, struct nr_diag *d);

/* Whether run_id's cases are variants' (its campaign had `variants:`). */
bool nr_compare_run_has_variants(struct nr_store *st, const char *run_id);

/*
 * Whether the comparison should fail CI: a regression, or a breach of the
 * candidate's limits, of severity >= fail_on.
 */
bool nr_comparison_fails(const struct nr_comparison *c, enum nr_analysis_severity fail_on);
/* Only the regressions of that: whether one of severity >= fail_on was found. */
bool nr_comparison_regressed(const struct nr_comparison *c, enum nr_analysis_severity fail_on);

/* ---- power: what a campaign's comparisons can detect, from history ---- */

struct nr_power_case {
	const char *key, *test; /* a planned case */
	size_t repeats;         /* its repeats */
};

struct nr_power_opts {
	const char *campaign;           /* its name in the store */
	const struct nr_campaign *camp; /* per test and metric thresholds, or NULL */
	double threshold;               /* where the campaign sets none */
	const struct nr_power_case *cases;
	size_t n_cases;
	double alpha, power;            /* as the comparison will use them */
	size_t min_repeats;
};

struct nr_power_series {
	struct nr_series id;  /* for a case without history: key and test only */
	size_t repeats;       /* planned, a side */
	double threshold;
	size_t runs;          /* past runs with >= 2 positive repeats that gave the noise */
	double history_df;    /* their pooled degrees of freedom */
	double noise;         /* sd of the log values within a run (relative); NaN: unknown */
	double prior_df;      /* what a comparison would borrow from the metric's other series */
	double detectable;    /* as nr_analysis_compare_result.detectable; NaN: unknown */
	size_t repeats_needed;/* for the threshold; 0 unknown; REPEATS_CAP + 1: more */
	bool no_history;      /* the case never ran */
	bool prior_done;      /* (internal) */
};

struct nr_power_plan {
	struct nr_power_series *v; /* series in store order, then cases without history */
	size_t n;
	size_t family;             /* series a comparison of the plan will judge */
};

/*
 * From the stored history of `o->campaign` (st NULL: none), per series
 * of the planned cases: the noise of one repeat pooled over the within-run
 * repeats of its last 10 runs (log scale), and what a comparison with the
 * planned repeats could detect at o->alpha across the plan's series.
 */
int nr_compare_power_plan(struct nr_store *st, const struct nr_power_opts *o,
			  struct nr_power_plan *ret, struct nr_diag *d);
void nr_power_plan_release(struct nr_power_plan *p);

/* ---- history: one value per run for every series of a campaign ---- */

struct nr_history_series {
	struct nr_series id;
	double *values;   /* n_runs medians of the repeats; NaN where the run lacks it */
	size_t present;   /* values that are not NaN */
};

struct nr_history {
	struct nr_run_rec *runs; /* oldest first, finished runs only */
	size_t n_runs;
	struct nr_history_series *s;
	size_t n;
};

/* The history of a campaign since since_us (0: all), optionally of one test/metric. */
int nr_history_build(struct nr_store *st, const char *campaign, int64_t since_us,
		     const char *test, const char *metric, struct nr_history *ret,
		     struct nr_diag *d);
void nr_history_release(struct nr_history *h);

/* ---- change points over history ---- */

/*
 * The max p-value for change points in netrig's own histories. Otava's
 * 0.001 puts a change point in 4-7 % of 100-run histories of pure noise;
 * 1e-5 in 0.1 %, and still finds every 10 % step (tests/unit/
 * test_analysis.c). `changes --csv` keeps Otava's defaults, to reproduce it.
 */
#define NR_CHANGES_MAX_PVALUE 1e-5

struct nr_change {
	struct nr_series id;
	struct nr_analysis_changepoint cp;
	char run_id[NR_UUID_LEN + 1]; /* the first run after the change */
	char short_id[NR_UUID_LEN + 1]; /* its short form (nr_run_rec.short_id) */
	char *commit;                 /* its commit, or NULL */
	int64_t started_us;
	bool regression;              /* the change goes the metric's bad way */
};

struct nr_changes {
	struct nr_change *v;
	size_t n;
	size_t series;   /* series examined */
	size_t runs;     /* runs in the history */
};

struct nr_changes_opts {
	const char *campaign;  /* required */
	const char *test;      /* NULL: all */
	const char *metric;    /* NULL: all */
	int64_t since_us;      /* 0: all history */
	struct nr_analysis_cp_params params;
};

/* Change points of every series of a campaign's history (one median per run). */
int nr_changes_history(struct nr_store *st, const struct nr_changes_opts *o,
		       struct nr_changes *ret, struct nr_diag *d);

/*
 * Change points of the columns of a CSV file as Otava reads one: a header
 * row; the column named `time_column` (default: the first column) labels
 * points; every other numeric column (or only `column`) is a series. Empty
 * cells are missing values, filled as Otava fills them. key = file name,
 * metric = column name, run_id empty, commit = the time label.
 */
int nr_changes_csv(const char *path, const char *column, const struct nr_analysis_cp_params *p,
		   struct nr_changes *ret, struct nr_diag *d);

void nr_changes_release(struct nr_changes *c);

#endif
