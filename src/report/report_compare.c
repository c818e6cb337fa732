/* Comparisons and change points, for people and for CI. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "report/report.h"
#include "report/report_int.h"

static const char *outcome_of(const struct nr_series_cmp *s)
{
	if (s->presence == NR_ONLY_BASE)
		return "missing";
	if (s->presence == NR_ONLY_CAND)
		return "new";
	return nr_analysis_outcome_name(s->r.outcome);
}

static void fmt_pct(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else if (isinf(v))
		snprintf(b, n, "%sinf", v > 0 ? "+" : "-");
	else
		snprintf(b, n, "%+.1f%%", 100 * v);
}

static void fmt_p(char *b, size_t n, double p)
{
	if (isnan(p))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.3g", p);
}

/* "+12.0% [+9.1, +15.0]": the estimate and its interval. */
static void fmt_change(char *b, size_t n, const struct nr_series_cmp *s)
{
	char est[24];

	fmt_pct(est, sizeof(est), s->r.change);
	if (isfinite(s->r.ci_low) && isfinite(s->r.ci_high))
		snprintf(b, n, "%s [%+.1f, %+.1f]", est, 100 * s->r.ci_low, 100 * s->r.ci_high);
	else
		snprintf(b, n, "%s", est);
}

/* Unsigned percentage with a precision that suits its size, or "-". */
static void fmt_rel(char *b, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, 100 * v < 9.95 ? "%.1f%%" : "%.0f%%", 100 * v);
}

static void fmt_need(char *b, size_t n, const struct nr_series_cmp *s)
{
	if (!s->r.repeats_needed)
		snprintf(b, n, "-");
	else if (s->r.repeats_needed > NR_ANALYSIS_REPEATS_CAP)
		snprintf(b, n, ">%d", NR_ANALYSIS_REPEATS_CAP);
	else
		snprintf(b, n, "%zu", s->r.repeats_needed);
}

/* A series judged on both sides with a test, whose design cannot find a
 * change of its threshold's size: worth a sentence. */
static bool blind(const struct nr_series_cmp *s)
{
	return s->presence == NR_IN_BOTH && s->r.tested && isfinite(s->r.detectable) &&
	       s->r.detectable > s->threshold;
}

/*
 * "noise 8.0 %, 5 repeats: changes under 28 % cannot be told from noise;
 * 34 repeats would detect 10 %" (docs/analysis.md, "What a series can
 * detect").
 */
static void detect_sentence(const struct nr_series_cmp *s, struct nr_buf *out)
{
	const struct nr_analysis_compare_result *x = &s->r;
	char noise[16], det[16], t[16];

	fmt_rel(noise, sizeof(noise), x->noise);
	fmt_rel(det, sizeof(det), x->detectable);
	fmt_rel(t, sizeof(t), s->threshold);
	nr_buf_addf(out, "noise %s, ", noise);
	if (s->paired.pairs)
		nr_buf_addf(out, "%zu pairs", s->paired.pairs);
	else if (x->n_base == x->n_cand)
		nr_buf_addf(out, "%zu repeats", x->n_cand);
	else
		nr_buf_addf(out, "%zu baseline and %zu candidate repeats", x->n_base, x->n_cand);
	nr_buf_addf(out, ": changes under %s cannot be told from noise", det);
	if (x->repeats_needed > NR_ANALYSIS_REPEATS_CAP)
		nr_buf_addf(out, "; more than %d %s would be needed for %s", NR_ANALYSIS_REPEATS_CAP,
			    s->paired.pairs ? "pairs" : "repeats a side", t);
	else if (x->repeats_needed)
		nr_buf_addf(out, "; %zu %s would detect %s", x->repeats_needed,
			    s->paired.pairs ? "pairs" : "repeats", t);
}

/* A paired series' extra evidence: signed-rank p and the median ratio with its interval. */
static void fmt_sr(char *b, size_t n, const struct nr_series_cmp *s)
{
	if (isnan(s->paired.signed_rank_p))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.3g%s", s->paired.signed_rank_p, s->paired.signed_rank_exact ? "" : "~");
}

static void fmt_ratio(char *b, size_t n, const struct nr_series_cmp *s)
{
	if (!isfinite(s->paired.ratio_median))
		snprintf(b, n, "-");
	else if (isfinite(s->paired.ratio_low) && isfinite(s->paired.ratio_high))
		snprintf(b, n, "%.3f [%.3f, %.3f]", s->paired.ratio_median, s->paired.ratio_low,
			 s->paired.ratio_high);
	else
		snprintf(b, n, "%.3f", s->paired.ratio_median);
}

/* What the last column says besides severity. */
static const char *row_note(const struct nr_series_cmp *s)
{
	if (s->presence != NR_IN_BOTH)
		return "";
	if (s->r.invalid)
		return "non-finite values";
	if (s->r.below_threshold)
		return "real, below threshold";
	if (s->r.few_repeats)
		return "few repeats: no test";
	return s->r.severity ? nr_analysis_severity_name(s->r.severity) : "";
}

static void summary_line(const struct nr_comparison *c, struct nr_buf *out)
{
	nr_buf_addf(out, "%zu regression%s, %zu improvement%s, %zu noisy, %zu changed, %zu stable",
		    c->counts[NR_OUTCOME_REGRESSION], c->counts[NR_OUTCOME_REGRESSION] == 1 ? "" : "s",
		    c->counts[NR_OUTCOME_IMPROVEMENT], c->counts[NR_OUTCOME_IMPROVEMENT] == 1 ? "" : "s",
		    c->counts[NR_OUTCOME_NOISY], c->counts[NR_OUTCOME_CHANGED],
		    c->counts[NR_OUTCOME_STABLE]);
	if (c->only_base || c->only_cand)
		nr_buf_addf(out, "; %zu only in the baseline, %zu only in the candidate", c->only_base,
			    c->only_cand);
}

/* A commit given on the command line may hold anything: its first 12 bytes, escaped. */
static void add_commit(struct nr_buf *out, const char *commit)
{
	nr_str_escape(out, commit, strnlen(commit, 12), NULL, 0);
}

static void base_desc(const struct nr_comparison *c, struct nr_buf *out)
{
	nr_buf_addf(out, "%s", c->base[0].short_id);
	if (c->n_base > 1)
		nr_buf_addf(out, " and %zu earlier run%s pooled", c->n_base - 1, c->n_base > 2 ? "s" : "");
	if (c->base[0].commit) {
		nr_buf_adds(out, " (commit ");
		add_commit(out, c->base[0].commit);
		nr_buf_addch(out, ')');
	}
}

/* What the legend adds for the series of adaptive tests (docs/analysis.md, "Adaptive repeats"). */
static void legend_sequential(const struct nr_comparison *c, struct nr_buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->v[i].presence == NR_IN_BOTH && c->v[i].r.sequential;
	if (n)
		nr_buf_addf(out, "; adaptive repeats (%zu series): each judged alone at the level its "
				 "last look spends of its case's share of %g %% (O'Brien-Fleming), the "
				 "interval at that level, p adj = p x alpha / level",
			    n, 100 * c->alpha);
}

/* The line that says what the numbers of a comparison mean. */
static void legend(const struct nr_comparison *c, struct nr_buf *out)
{
	size_t i, tested = 0;

	for (i = 0; i < c->n; i++)
		tested += c->v[i].presence == NR_IN_BOTH && c->v[i].r.tested;
	if (c->paired) {
		nr_buf_addf(out, "paired: the t-test of the per-pair log ratios decides, at most %g %% "
				 "chance of any false regression in these %zu series (Holm-adjusted p); "
				 "interval %g %%; noise: the relative sd of one pair's ratio; detects: the "
				 "change found %g %% of the time with these pairs; need: pairs to find a "
				 "change of the threshold; sr p (~: normal approximation) and the median "
				 "ratio's bootstrap interval are shown as evidence, not used for the verdict",
			    100 * c->alpha, tested, 100 * c->ci_level, 100 * c->power);
		legend_sequential(c, out);
		return;
	}
	nr_buf_addf(out, "at most %g %% chance of any false regression in these %zu series "
			 "(Holm-adjusted p); interval %g %%; noise: the relative sd of one repeat; "
			 "detects: the change found %g %% of the time with these repeats; "
			 "need: repeats a side to find a change of the threshold",
		    100 * c->alpha, tested, 100 * c->ci_level, 100 * c->power);
	legend_sequential(c, out);
}

/* "variant cand against variant base of run 01a24535 (commit ...), 10 pairs a series (ABBA)" */
static void paired_desc(const struct nr_comparison *c, bool md, struct nr_buf *out)
{
	size_t i, lo = SIZE_MAX, hi = 0;

	for (i = 0; i < c->n; i++) {
		size_t k = c->v[i].paired.pairs;

		if (c->v[i].presence != NR_IN_BOTH)
			continue;
		lo = k < lo ? k : lo;
		hi = k > hi ? k : hi;
	}
	nr_buf_adds(out, "variant ");
	if (md)
		nr__report_md_code(out, c->cand_variant, false);
	else
		nr_str_escape(out, c->cand_variant, strlen(c->cand_variant), NULL, 0);
	nr_buf_adds(out, " against variant ");
	if (md)
		nr__report_md_code(out, c->base_variant, false);
	else
		nr_str_escape(out, c->base_variant, strlen(c->base_variant), NULL, 0);
	nr_buf_addf(out, md ? " of run `%s`" : " of run %s", c->cand.short_id);
	if (c->cand.commit) {
		nr_buf_adds(out, " (commit ");
		if (md) {
			char commit[13];

			snprintf(commit, sizeof(commit), "%s", c->cand.commit);
			nr__report_md_code(out, commit, false);
		} else {
			add_commit(out, c->cand.commit);
		}
		nr_buf_addch(out, ')');
	}
	if (lo == hi)
		nr_buf_addf(out, ", %zu pairs a series", lo);
	else if (lo != SIZE_MAX)
		nr_buf_addf(out, ", %zu to %zu pairs a series", lo, hi);
	nr_buf_adds(out, " (ABBA in one run)");
}

static void text_report(const struct nr_comparison *c, struct nr_buf *out)
{
	size_t i;

	if (c->paired) {
		nr_buf_adds(out, "paired comparison: ");
		paired_desc(c, false, out);
	} else {
		nr_buf_addf(out, "candidate %s", c->cand.short_id);
		if (c->cand.commit) {
			nr_buf_adds(out, " (commit ");
			add_commit(out, c->cand.commit);
			nr_buf_addch(out, ')');
		}
		nr_buf_adds(out, " vs baseline ");
		base_desc(c, out);
	}
	nr_buf_addch(out, '\n');
	nr_buf_addf(out, "%-12s %-40s %-22s %12s %12s %-24s %8s %8s %6s %7s %6s", "outcome", "case",
		    "metric", "base", "candidate", "change [interval]", "p", "p adj", "noise",
		    "detects", "need");
	if (c->paired)
		nr_buf_addf(out, " %5s %9s %-27s", "pairs", "sr p", "median ratio [interval]");
	nr_buf_adds(out, " \n");
	for (i = 0; i < c->n; i++) {
		const struct nr_series_cmp *s = &c->v[i];
		char b1[40] = "-", b2[40] = "-", ch[48] = "-", p[24] = "-", pa[24] = "-";
		char noise[16] = "-", det[16] = "-", need[16] = "-";
		char *key = nr_str_escaped(s->id.key), *metric = nr_str_escaped(s->id.metric);

		if (s->presence != NR_ONLY_CAND)
			nr_fmt_value(b1, sizeof(b1), s->r.median_base, s->id.unit);
		if (s->presence != NR_ONLY_BASE)
			nr_fmt_value(b2, sizeof(b2), s->r.median_cand, s->id.unit);
		if (s->presence == NR_IN_BOTH) {
			fmt_change(ch, sizeof(ch), s);
			fmt_p(p, sizeof(p), s->r.p_value);
			fmt_p(pa, sizeof(pa), s->r.p_adjusted);
			fmt_rel(noise, sizeof(noise), s->r.noise);
			fmt_rel(det, sizeof(det), s->r.detectable);
			fmt_need(need, sizeof(need), s);
		}
		nr_buf_addf(out, "%-12s %-40s %-22s %12s %12s %-24s %8s %8s %6s %7s %6s", outcome_of(s),
			    key, metric, b1, b2, ch, p, pa, noise, det, need);
		if (c->paired) {
			char sr[24] = "-", ratio[64] = "-";

			if (s->presence == NR_IN_BOTH) {
				fmt_sr(sr, sizeof(sr), s);
				fmt_ratio(ratio, sizeof(ratio), s);
			}
			nr_buf_addf(out, " %5zu %9s %-27s", s->paired.pairs, sr, ratio);
		}
		nr_buf_addf(out, " %s\n", row_note(s));
		if (blind(s) && s->r.outcome != NR_OUTCOME_REGRESSION) {
			nr_buf_addf(out, "%13s", "");
			detect_sentence(s, out);
			nr_buf_addch(out, '\n');
		}
		free(key);
		free(metric);
		if (s->context) {
			nr_buf_addf(out, "%13s", "");
			nr_str_escape(out, s->context, strlen(s->context), NULL, 0);
			nr_buf_addch(out, '\n');
		}
	}
	summary_line(c, out);
	nr_buf_addch(out, '\n');
	legend(c, out);
	nr_buf_addch(out, '\n');
	if (c->limits.n)
		nr_report_limits(&c->limits, c->cand.id, NR_REPORT_TEXT, out);
	if (c->few_repeats)
		nr_buf_adds(out, "note: some series have fewer than 3 repeats a side: judged by the threshold alone, no significance test\n");
	if (c->class_differs) {
		char *base = nr_str_escaped(*c->base_class ? c->base_class : "unknown");
		char *cand = nr_str_escaped(*c->cand_class ? c->cand_class : "unknown");

		nr_buf_addf(out, "note: the baseline ran on other hardware (%s) than the candidate (%s)\n",
			    base, cand);
		free(base);
		free(cand);
	}
	if (c->cand_failed_cases)
		nr_buf_addf(out, "note: %zu case%s of the %s failed\n", c->cand_failed_cases,
			    c->cand_failed_cases == 1 ? "" : "s", c->paired ? "run" : "candidate");
}

static void md_row(const struct nr_comparison *c, const struct nr_series_cmp *s,
		   struct nr_buf *out)
{
	char b1[40] = "-", b2[40] = "-", ch[48] = "-", p[24] = "-", pa[24] = "-";
	char noise[16] = "-", det[16] = "-", need[16] = "-";

	if (s->presence != NR_ONLY_CAND)
		nr_fmt_value(b1, sizeof(b1), s->r.median_base, s->id.unit);
	if (s->presence != NR_ONLY_BASE)
		nr_fmt_value(b2, sizeof(b2), s->r.median_cand, s->id.unit);
	if (s->presence == NR_IN_BOTH) {
		fmt_change(ch, sizeof(ch), s);
		fmt_p(p, sizeof(p), s->r.p_value);
		fmt_p(pa, sizeof(pa), s->r.p_adjusted);
		fmt_rel(noise, sizeof(noise), s->r.noise);
		fmt_rel(det, sizeof(det), s->r.detectable);
		fmt_need(need, sizeof(need), s);
	}
	nr_buf_adds(out, "| ");
	nr__report_md_code(out, s->id.key, true);
	nr_buf_adds(out, " | ");
	nr__report_md_text(out, s->id.metric);
	if (strcmp(s->id.role, "main")) {
		nr_buf_adds(out, " @");
		nr__report_md_text(out, s->id.role);
	}
	nr_buf_addf(out, " | %s | %s | ", b1, b2);
	nr__report_md_text(out, ch); /* its interval's brackets are not a link */
	nr_buf_addf(out, " | %s | %s | %s | %s | %s | ", p, pa, noise, det, need);
	if (c->paired) {
		char sr[24] = "-", ratio[64] = "-";

		if (s->presence == NR_IN_BOTH) {
			fmt_sr(sr, sizeof(sr), s);
			fmt_ratio(ratio, sizeof(ratio), s);
		}
		nr_buf_addf(out, "%zu | %s | ", s->paired.pairs, sr);
		nr__report_md_text(out, ratio);
		nr_buf_adds(out, " | ");
	}
	nr_buf_addf(out, "%s |\n", row_note(s));
	if (s->context) {
		nr_buf_adds(out, "| | ");
		nr__report_md_text(out, s->context);
		nr_buf_adds(out, " | | | | | | | | | |\n");
	}
}

static void md_section(const struct nr_comparison *c, const char *heading, const char *title,
		       const char *outcome, bool collapsed, struct nr_buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += !strcmp(outcome_of(&c->v[i]), outcome);
	if (!n)
		return;
	if (collapsed)
		nr_buf_addf(out, "<details><summary>%s (%zu)</summary>\n\n", title, n);
	else
		nr_buf_addf(out, "%s %s (%zu)\n\n", heading, title, n);
	nr_buf_adds(out, "| case | metric | baseline | candidate | change \\[interval\\] | p | p adj "
			 "| noise | detects | need |");
	nr_buf_adds(out, c->paired ? " pairs | sr p | median ratio \\[interval\\] | note |\n"
				     "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
				   : " note |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (i = 0; i < c->n; i++)
		if (!strcmp(outcome_of(&c->v[i]), outcome))
			md_row(c, &c->v[i], out);
	nr_buf_adds(out, collapsed ? "\n</details>\n\n" : "\n");
}

/* The series that cannot detect their threshold, one sentence each. */
static void md_blind(const struct nr_comparison *c, struct nr_buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += blind(&c->v[i]);
	if (!n)
		return;
	nr_buf_addf(out, "<details><summary>%zu series cannot detect a change of their threshold "
			 "at this noise and these repeats</summary>\n\n", n);
	for (i = 0; i < c->n; i++) {
		if (!blind(&c->v[i]))
			continue;
		nr_buf_adds(out, "- ");
		nr__report_md_code(out, c->v[i].id.key, false);
		nr_buf_addch(out, ' ');
		nr__report_md_text(out, c->v[i].id.metric);
		nr_buf_adds(out, ": ");
		detect_sentence(&c->v[i], out);
		nr_buf_addch(out, '\n');
	}
	nr_buf_adds(out, "\n</details>\n\n");
}

void nr__report_comparison_md_body(const struct nr_comparison *c, const char *heading,
				   struct nr_buf *out)
{
	struct nr_buf base = NR_BUF_INIT;

	if (c->paired) {
		nr_buf_adds(out, "Paired comparison: ");
		paired_desc(c, true, out);
		nr_buf_adds(out, ": ");
		summary_line(c, out);
		nr_buf_adds(out, ".\n\n");
		goto sections;
	}
	nr_buf_addf(out, "Candidate `%s`", c->cand.short_id);
	if (c->cand.commit) {
		char commit[13];

		snprintf(commit, sizeof(commit), "%s", c->cand.commit);
		nr_buf_adds(out, " (commit ");
		nr__report_md_code(out, commit, false);
		nr_buf_addch(out, ')');
	}
	nr_buf_adds(out, " against baseline ");
	base_desc(c, &base);
	nr__report_md_code(out, base.buf, false);
	nr_buf_release(&base);
	nr_buf_adds(out, ": ");
	summary_line(c, out);
	nr_buf_adds(out, ".\n\n");
sections:
	md_section(c, heading, "Regressions", "regression", false, out);
	md_section(c, heading, "Improvements", "improvement", false, out);
	md_section(c, heading, "Noisy (no significant change, a change of the threshold not ruled out)",
		   "noisy", false, out);
	md_section(c, heading, "Changed (informational metrics)", "changed", false, out);
	md_section(c, heading, "Only in the baseline", "missing", false, out);
	md_section(c, heading, "Only in the candidate", "new", false, out);
	md_section(c, heading, "Stable", "stable", true, out);
	md_blind(c, out);
	nr_buf_adds(out, "> ");
	legend(c, out);
	nr_buf_adds(out, ".\n\n");
	if (c->few_repeats)
		nr_buf_adds(out, "> Some series have fewer than 3 repeats a side: judged by the threshold alone.\n\n");
	if (c->class_differs) {
		nr_buf_adds(out, "> The baseline ran on other hardware (");
		nr__report_md_text(out, *c->base_class ? c->base_class : "unknown");
		nr_buf_adds(out, ") than the candidate (");
		nr__report_md_text(out, *c->cand_class ? c->cand_class : "unknown");
		nr_buf_adds(out, ").\n\n");
	}
	if (c->cand_failed_cases)
		nr_buf_addf(out, "> %zu case%s of the %s run failed: `netrig status %s`.\n\n",
			    c->cand_failed_cases, c->cand_failed_cases == 1 ? "" : "s",
			    c->paired ? "compared" : "candidate", c->cand.short_id);
}

static void md_report(const struct nr_comparison *c, struct nr_buf *out)
{
	nr_buf_adds(out, "## netrig: ");
	nr__report_md_text(out, c->cand.campaign);
	bool reg = nr_comparison_regressed(c, NR_SEVERITY_WARNING);
	bool lim = nr_limits_fail(&c->limits, NR_SEVERITY_WARNING);

	nr_buf_addf(out, " %s\n\n", reg && lim ? ":x: regressions found, limits breached"
				     : reg     ? ":x: regressions found"
				     : lim     ? ":x: limits breached"
					       : ":white_check_mark: no regression");
	nr__report_limits_md(&c->limits, "###", out);
	nr__report_comparison_md_body(c, "###", out);
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void json_report(const struct nr_comparison *c, struct nr_buf *out)
{
	json_t *root = json_object(), *series = json_array(), *counts = json_object(), *base = json_array();
	char *s;
	size_t i;

	json_object_set_new(root, "schema", json_string("netrig.compare/2"));
	json_object_set_new(root, "candidate", json_string(c->cand.id));
	json_object_set_new(root, "candidate_commit", nr__report_jstr(c->cand.commit));
	for (i = 0; i < c->n_base; i++)
		json_array_append_new(base, json_string(c->base[i].id));
	json_object_set_new(root, "baseline", base);
	json_object_set_new(root, "alpha", json_real(c->alpha));
	json_object_set_new(root, "ci_level", json_real(c->ci_level));
	json_object_set_new(root, "power", json_real(c->power));
	json_object_set_new(root, "fails", json_boolean(nr_comparison_fails(c, NR_SEVERITY_WARNING)));
	for (i = 0; i < 5; i++)
		json_object_set_new(counts, nr_analysis_outcome_name(i), json_integer((json_int_t)c->counts[i]));
	json_object_set_new(counts, "only_baseline", json_integer((json_int_t)c->only_base));
	json_object_set_new(counts, "only_candidate", json_integer((json_int_t)c->only_cand));
	json_object_set_new(root, "counts", counts);
	json_object_set_new(root, "candidate_failed_cases", json_integer((json_int_t)c->cand_failed_cases));
	json_object_set_new(root, "candidate_host_class", nr__report_jstr(c->cand_class ? c->cand_class : ""));
	json_object_set_new(root, "baseline_host_class", nr__report_jstr(c->base_class ? c->base_class : ""));
	json_object_set_new(root, "host_class_differs", json_boolean(c->class_differs));
	json_object_set_new(root, "paired", json_boolean(c->paired));
	if (c->paired) {
		json_object_set_new(root, "base_variant", nr__report_jstr(c->base_variant));
		json_object_set_new(root, "cand_variant", nr__report_jstr(c->cand_variant));
	}
	for (i = 0; i < c->n; i++) {
		const struct nr_series_cmp *x = &c->v[i];
		const struct nr_analysis_compare_result *r = &x->r;
		json_t *o = json_object();

		nr__report_json_series(o, &x->id);
		json_object_set_new(o, "outcome", json_string(outcome_of(x)));
		json_object_set_new(o, "threshold", json_real(x->threshold));
		json_object_set_new(o, "critical", json_real(x->critical));
		if (x->presence == NR_IN_BOTH) {
			json_object_set_new(o, "severity", json_string(nr_analysis_severity_name(r->severity)));
			json_object_set_new(o, "n_baseline", json_integer((json_int_t)r->n_base));
			json_object_set_new(o, "n_candidate", json_integer((json_int_t)r->n_cand));
			json_object_set_new(o, "median_baseline", num_or_null(r->median_base));
			json_object_set_new(o, "median_candidate", num_or_null(r->median_cand));
			json_object_set_new(o, "median_change", num_or_null(r->median_change));
			json_object_set_new(o, "change", num_or_null(r->change));
			json_object_set_new(o, "ci_low", num_or_null(r->ci_low));
			json_object_set_new(o, "ci_high", num_or_null(r->ci_high));
			json_object_set_new(o, "p_value", num_or_null(r->p_value));
			json_object_set_new(o, "p_adjusted", num_or_null(r->p_adjusted));
			json_object_set_new(o, "family", json_integer((json_int_t)r->family));
			json_object_set_new(o, "significant", json_boolean(r->significant));
			json_object_set_new(o, "below_threshold", json_boolean(r->below_threshold));
			json_object_set_new(o, "noise", num_or_null(r->noise));
			json_object_set_new(o, "df", num_or_null(r->df));
			json_object_set_new(o, "prior_df", num_or_null(r->tested ? r->prior_df : NAN));
			json_object_set_new(o, "detectable", num_or_null(r->detectable));
			json_object_set_new(o, "repeats_needed",
					    r->repeats_needed ? json_integer((json_int_t)r->repeats_needed)
							      : json_null());
			json_object_set_new(o, "log_scale", json_boolean(r->log_scale));
			json_object_set_new(o, "tested", json_boolean(r->tested));
			json_object_set_new(o, "few_repeats", json_boolean(r->few_repeats));
			json_object_set_new(o, "sequential", json_boolean(r->sequential));
			json_object_set_new(o, "seq_level", num_or_null(r->seq_level));
			json_object_set_new(o, "invalid", json_boolean(r->invalid));
		}
		if (c->paired) {
			json_object_set_new(o, "pairs", json_integer((json_int_t)x->paired.pairs));
			json_object_set_new(o, "unpaired", json_integer((json_int_t)x->paired.unpaired));
		}
		if (c->paired && x->presence == NR_IN_BOTH) {
			json_object_set_new(o, "signed_rank_p", num_or_null(x->paired.signed_rank_p));
			json_object_set_new(o, "signed_rank_exact", json_boolean(x->paired.signed_rank_exact));
			json_object_set_new(o, "median_ratio", num_or_null(x->paired.ratio_median));
			json_object_set_new(o, "median_ratio_low", num_or_null(x->paired.ratio_low));
			json_object_set_new(o, "median_ratio_high", num_or_null(x->paired.ratio_high));
		}
		if (x->context)
			json_object_set_new(o, "context", nr__report_jstr(x->context));
		json_array_append_new(series, o);
	}
	json_object_set_new(root, "series", series);
	json_object_set_new(root, "limits", nr__report_limits_json(&c->limits));
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	nr_buf_adds(out, s);
	nr_buf_addch(out, '\n');
	free(s);
	json_decref(root);
}

void nr__report_regression_message(const struct nr_series_cmp *s, struct nr_buf *out)
{
	char b1[40], b2[40], ch[48], p[24], pa[24];

	nr_fmt_value(b1, sizeof(b1), s->r.median_base, s->id.unit);
	nr_fmt_value(b2, sizeof(b2), s->r.median_cand, s->id.unit);
	fmt_change(ch, sizeof(ch), s);
	fmt_p(p, sizeof(p), s->r.p_value);
	fmt_p(pa, sizeof(pa), s->r.p_adjusted);
	nr_buf_addf(out, "%s regression: %s -> %s (%s, p %s, adjusted %s)",
		    nr_analysis_severity_name(s->r.severity), b1, b2, ch, p, pa);
}

static int cmp_test_name(const void *a, const void *b)
{
	const struct nr_series_cmp *const *x = a, *const *y = b;
	int c = strcmp((*x)->id.test, (*y)->id.test);

	return c ? c : strcmp((*x)->id.key, (*y)->id.key);
}

/* Breached limits on series id. */
static size_t limit_breaches(const struct nr_limits *l, const struct nr_series *id)
{
	size_t i, n = 0;

	for (i = 0; i < l->n && l->v[i].breached; i++)
		n += !nr_series_order(&l->v[i].id, id);
	return n;
}

/* "; paired: 10 pairs, signed-rank p 0.002, median ratio 1.051 [1.032, 1.070]" (XML-safe: numbers only) */
static void paired_note(const struct nr_series_cmp *s, struct nr_buf *out)
{
	char sr[24], ratio[64];

	fmt_sr(sr, sizeof(sr), s);
	fmt_ratio(ratio, sizeof(ratio), s);
	nr_buf_addf(out, "; paired: %zu pairs, signed-rank p %s, median ratio %s", s->paired.pairs, sr,
		    ratio);
}

/* One series as a JUnit testcase: a failure for a regression, its verdict otherwise. */
static void junit_case(const struct nr_comparison *c, const struct nr_series_cmp *s,
		       struct nr_buf *out)
{
	nr_buf_adds(out, "    <testcase classname=\"");
	nr_report_xml_escape(out, s->id.key);
	nr_buf_adds(out, "\" name=\"");
	nr_report_xml_escape(out, s->id.metric);
	if (strcmp(s->id.role, "main")) {
		nr_buf_adds(out, " @");
		nr_report_xml_escape(out, s->id.role);
	}
	nr_buf_adds(out, "\">");
	if (limit_breaches(&c->limits, &s->id)) {
		size_t ignored = 0;

		nr_buf_adds(out, "\n      ");
		nr__report_limits_junit(&c->limits, &s->id, out, &ignored);
	}
	if (s->presence != NR_IN_BOTH || s->r.outcome != NR_OUTCOME_REGRESSION) {
		nr_buf_adds(out, "\n      <system-out>");
		nr_report_xml_escape(out, outcome_of(s));
		if (s->presence == NR_IN_BOTH && s->r.tested)
			nr_buf_addf(out, " (p %.3g, adjusted %.3g)", s->r.p_value, s->r.p_adjusted);
		if (c->paired && s->presence == NR_IN_BOTH)
			paired_note(s, out);
		if (blind(s)) {
			struct nr_buf why = NR_BUF_INIT;

			detect_sentence(s, &why);
			nr_buf_adds(out, "; ");
			nr_report_xml_escape(out, why.buf);
			nr_buf_release(&why);
		}
		nr_buf_adds(out, "</system-out>\n    </testcase>\n");
		return;
	}
	nr_buf_adds(out, "\n      <failure type=\"regression\" message=\"");
	{
		struct nr_buf msg = NR_BUF_INIT;

		nr__report_regression_message(s, &msg);
		nr_report_xml_escape(out, msg.buf);
		nr_buf_release(&msg);
	}
	nr_buf_adds(out, "\">");
	nr_report_xml_escape(out, s->context ? s->context : "");
	if (c->paired)
		paired_note(s, out);
	nr_buf_adds(out, "</failure>\n    </testcase>\n");
}

void nr__report_paired_junit_cases(const struct nr_comparison *c, struct nr_buf *out)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		junit_case(c, &c->v[i], out);
}

static void junit_report(const struct nr_comparison *c, struct nr_buf *out)
{
	const struct nr_series_cmp **v = nr_xcalloc(c->n + 1, sizeof(*v));
	size_t i, j, failures = 0;

	for (i = 0; i < c->n; i++) {
		v[i] = &c->v[i];
		failures += v[i]->presence == NR_IN_BOTH && v[i]->r.outcome == NR_OUTCOME_REGRESSION;
	}
	failures += c->limits.breached;
	if (c->n)
		qsort(v, c->n, sizeof(*v), cmp_test_name);
	nr_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	nr_buf_addf(out, "<testsuites name=\"netrig ");
	nr_report_xml_escape(out, c->cand.campaign);
	if (c->paired) {
		nr_buf_adds(out, " (paired: variant ");
		nr_report_xml_escape(out, c->cand_variant);
		nr_buf_adds(out, " against ");
		nr_report_xml_escape(out, c->base_variant);
		nr_buf_adds(out, ")");
	}
	nr_buf_addf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", c->n, failures);
	for (i = 0; i < c->n;) {
		size_t end = i, nf = 0;

		while (end < c->n && !strcmp(v[end]->id.test, v[i]->id.test)) {
			nf += v[end]->presence == NR_IN_BOTH && v[end]->r.outcome == NR_OUTCOME_REGRESSION;
			nf += limit_breaches(&c->limits, &v[end]->id);
			end++;
		}
		nr_buf_adds(out, "  <testsuite name=\"");
		nr_report_xml_escape(out, v[i]->id.test);
		nr_buf_addf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", end - i, nf);
		for (j = i; j < end; j++)
			junit_case(c, v[j], out);
		nr_buf_adds(out, "  </testsuite>\n");
		i = end;
	}
	nr_buf_adds(out, "</testsuites>\n");
	free(v);
}

void nr_report_comparison(const struct nr_comparison *c, enum nr_report_format fmt,
			  struct nr_buf *out)
{
	switch (fmt) {
	case NR_REPORT_MD:
		md_report(c, out);
		break;
	case NR_REPORT_JSON:
		json_report(c, out);
		break;
	case NR_REPORT_JUNIT:
		junit_report(c, out);
		break;
	default:
		text_report(c, out);
	}
}

/* A change point's levels before and after, and its change, formatted. */
static void change_cells(const struct nr_change *x, char b1[40], char b2[40], char ch[24])
{
	nr_fmt_value(b1, 40, x->cp.mean_before, x->id.unit);
	nr_fmt_value(b2, 40, x->cp.mean_after, x->id.unit);
	fmt_pct(ch, 24, x->cp.rel_change);
}

void nr__report_changes_md(const struct nr_changes *c, const char *heading, struct nr_buf *out)
{
	size_t i;

	nr_buf_addf(out, "%s %zu change point%s in %zu series over %zu runs\n\n", heading, c->n,
		    c->n == 1 ? "" : "s", c->series, c->runs);
	if (c->n)
		nr_buf_adds(out, "| case | metric | at | commit | before | after | change | p |\n"
				 "|---|---|---:|---|---:|---:|---:|---:|\n");
	for (i = 0; i < c->n; i++) {
		const struct nr_change *x = &c->v[i];
		char b1[40], b2[40], ch[24];

		char commit[13];

		change_cells(x, b1, b2, ch);
		snprintf(commit, sizeof(commit), "%s", x->commit ? x->commit : "");
		nr_buf_adds(out, "| ");
		nr__report_md_code(out, x->id.key, true);
		nr_buf_adds(out, " | ");
		nr__report_md_text(out, x->id.metric);
		nr_buf_addf(out, " | %zu | ", x->cp.index);
		nr__report_md_text(out, commit);
		nr_buf_addf(out, " | %s | %s | %s%s | %.2g |\n", b1, b2, ch,
			    x->regression ? " :x:" : "", x->cp.p_value);
	}
}

void nr_report_changes(const struct nr_changes *c, enum nr_report_format fmt, struct nr_buf *out)
{
	size_t i;

	if (fmt == NR_REPORT_JSON) {
		json_t *root = json_object(), *arr = json_array();
		char *s;

		json_object_set_new(root, "schema", json_string("netrig.changes/1"));
		json_object_set_new(root, "series", json_integer((json_int_t)c->series));
		json_object_set_new(root, "runs", json_integer((json_int_t)c->runs));
		for (i = 0; i < c->n; i++) {
			const struct nr_change *x = &c->v[i];
			json_t *o = json_object();

			json_object_set_new(o, "test", nr__report_jstr(x->id.test));
			json_object_set_new(o, "case", nr__report_jstr(x->id.key));
			json_object_set_new(o, "role", nr__report_jstr(x->id.role));
			json_object_set_new(o, "metric", nr__report_jstr(x->id.metric));
			json_object_set_new(o, "index", json_integer((json_int_t)x->cp.index));
			json_object_set_new(o, "run", x->run_id[0] ? json_string(x->run_id) : json_null());
			json_object_set_new(o, "commit", nr__report_jstr(x->commit));
			json_object_set_new(o, "mean_before", num_or_null(x->cp.mean_before));
			json_object_set_new(o, "mean_after", num_or_null(x->cp.mean_after));
			json_object_set_new(o, "change", num_or_null(x->cp.rel_change));
			json_object_set_new(o, "magnitude", num_or_null(x->cp.magnitude));
			json_object_set_new(o, "p_value", num_or_null(x->cp.p_value));
			json_object_set_new(o, "regression", json_boolean(x->regression));
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "changes", arr);
		s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		nr_buf_adds(out, s);
		nr_buf_addch(out, '\n');
		free(s);
		json_decref(root);
		return;
	}
	if (fmt == NR_REPORT_MD) {
		nr__report_changes_md(c, "## netrig:", out);
		return;
	}
	nr_buf_addf(out, "%zu change point%s in %zu series over %zu runs\n", c->n, c->n == 1 ? "" : "s",
		    c->series, c->runs);
	for (i = 0; i < c->n; i++) {
		const struct nr_change *x = &c->v[i];
		char b1[40], b2[40], ch[24];

		change_cells(x, b1, b2, ch);
		char *key = nr_str_escaped(x->id.key), *metric = nr_str_escaped(x->id.metric);
		struct nr_buf at = NR_BUF_INIT;

		add_commit(&at, x->commit ? x->commit : x->short_id);
		nr_buf_addf(out, "%-40s %-20s at %-5zu %-14s %12s -> %-12s %8s  p %-9.2g%s\n",
			    key, metric, x->cp.index, at.buf, b1, b2, ch,
			    x->cp.p_value, x->regression ? "  regression" : "");
		free(key);
		free(metric);
		nr_buf_release(&at);
	}
}
