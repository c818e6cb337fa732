/*
 * Absolute limits: `limits:` of the campaign and of its tests, each a
 * metric -> {min, max, severity} in human units ("50ms", "9 Gbit/s"),
 * converted to the canonical unit of what was written; the bounds that
 * hold for a test and metric; and, once the tests are loaded, the check
 * that a limit's unit is the kind its metric comes in.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/str.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "yaml/yaml.h"

/* A message (owned, freed here) at a position kept from the tree. */
static int fail_pos(struct loader *l, struct nr_pos pos, char *msg)
{
	struct nr_ynode at = { .line = pos.line, .column = pos.column };
	int r = fail(l, &at, "%s", msg);

	free(msg);
	return r;
}

static int get_bound(struct loader *l, const struct nr_ynode *map, const char *key,
		     const char *metric, struct nr_limit_bound *b)
{
	const struct nr_ynode *n;
	const char *unit, *canon;
	double v, factor;
	int r = scalar_at(l, map, key, &n);

	if (r <= 0)
		return r;
	r = nr_parse_quantity(n->scalar, &v, &unit);
	if (r == -ERANGE)
		return fail(l, n, "'%s' of the limit on '%s' must be a finite number, not '%s'", key,
			    metric, n->scalar);
	if (r < 0)
		return fail(l, n, "'%s' of the limit on '%s' must be a number with an optional unit "
			    "(50ms, 9 Gbit/s, 2000 MB/s, 1%%), not '%s'", key, metric, n->scalar);
	if (*unit) {
		/* metrics come only in units netrig knows (parse.h), so must a limit */
		if (nr_unit_canonical(unit, &factor, &canon) < 0)
			return fail(l, n, "unknown unit '%s' in '%s' of the limit on '%s' (units: "
				    "ns, us, ms, s; bit/s, Mbit/s, Gbit/s, MB/s; B, KiB, MB; %%; "
				    "1/s, Mpps; count)", unit, key, metric);
		v *= factor;
		if (!isfinite(v))
			return fail(l, n, "'%s' of the limit on '%s' is not a finite number in %s: '%s'",
				    key, metric, canon, n->scalar);
		b->unit = nr_xstrdup(canon);
	}
	b->set = true;
	b->value = v;
	b->text = nr_xstrdup(n->scalar);
	b->pos = nr__campaign_pos_of(n);
	return 1;
}

static bool same_unit(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void bound_release(struct nr_limit_bound *b)
{
	free(b->unit);
	free(b->text);
}

void nr__campaign_limit_release(struct nr_limit *lim)
{
	free(lim->test);
	free(lim->metric);
	bound_release(&lim->min);
	bound_release(&lim->max);
}

static int load_limit(struct loader *l, const char *test, const struct nr_ynode *key,
		      const struct nr_ynode *n, struct nr_limit *lim)
{
	static const char *const keys[] = { "min", "max", "severity" };
	const char *metric = key->scalar;
	char *severity = NULL;
	int r;

	lim->test = test ? nr_xstrdup(test) : NULL;
	lim->metric = nr_xstrdup(metric);
	lim->pos = nr__campaign_pos_of(key);
	if (!nr__campaign_valid_name(metric, ".-"))
		return fail(l, key, "metric name '%s' may hold only letters, digits, '_', '-', '.'",
			    metric);
	if (!strcmp(metric, "metrics") && n->kind == NR_Y_MAP && !nr_ynode_get(n, "min") &&
	    !nr_ynode_get(n, "max"))
		return fail(l, key, "'limits' takes metric names directly, not under 'metrics': "
			    "limits: {latency_p99_us: {max: 50ms}}");
	if ((r = want_kind(l, n, NR_Y_MAP, metric)) < 0 ||
	    (r = check_keys(l, n, keys, NR_ARRAY_SIZE(keys), "a limit")) < 0 ||
	    (r = get_bound(l, n, "min", metric, &lim->min)) < 0 ||
	    (r = get_bound(l, n, "max", metric, &lim->max)) < 0 ||
	    (r = get_str(l, n, "severity", &severity)) < 0)
		goto out;
	r = 0;
	if (!lim->min.set && !lim->max.set) {
		r = fail(l, n, "the limit on '%s' needs 'min', 'max' or both", metric);
	} else if (severity && strcmp(severity, "warning") && strcmp(severity, "critical")) {
		r = fail(l, nr__campaign_value_node(n, "severity"),
			 "'severity' of a limit must be warning or critical, not '%s'", severity);
	} else if (lim->min.set && lim->max.set && !same_unit(lim->min.unit, lim->max.unit) &&
		   (lim->min.unit || lim->max.unit)) {
		r = fail(l, nr__campaign_value_node(n, "max"),
			 "'min' and 'max' of the limit on '%s' are in different units ('%s', '%s')",
			 metric, lim->min.text, lim->max.text);
	} else if (lim->min.set && lim->max.set && lim->min.value > lim->max.value) {
		r = fail(l, nr__campaign_value_node(n, "max"),
			 "'min' of the limit on '%s' (%s) is above its 'max' (%s)", metric,
			 lim->min.text, lim->max.text);
	}
	lim->min.warning = lim->max.warning = severity && !strcmp(severity, "warning");
out:
	free(severity);
	return r;
}

int nr__campaign_add_limits(struct loader *l, struct nr_campaign *c, const char *test,
			    const struct nr_ynode *n)
{
	size_t i;
	int r;

	if (nr_ynode_is_null(n))
		return 0;
	if ((r = want_kind(l, n, NR_Y_MAP, "limits")) < 0)
		return r;
	for (i = 0; i < n->n; i++) {
		struct nr_limit lim = { 0 };

		r = load_limit(l, test, n->keys[i], n->items[i], &lim);
		if (r < 0) {
			nr__campaign_limit_release(&lim);
			return r;
		}
		c->limits = nr_xrealloc(c->limits, (c->n_limits + 1) * sizeof(lim));
		c->limits[c->n_limits++] = lim;
	}
	return 0;
}

void nr_campaign_limits(const struct nr_campaign *c, const char *test, const char *metric,
			const struct nr_limit_bound **ret_min, const struct nr_limit_bound **ret_max)
{
	int best_min = -1, best_max = -1;
	size_t i;

	*ret_min = *ret_max = NULL;
	/* specificity: 1 the test's, 0 the campaign's; min and max each on their own */
	for (i = 0; c && metric && i < c->n_limits; i++) {
		const struct nr_limit *lim = &c->limits[i];
		int spec = lim->test ? 1 : 0;

		if (strcmp(lim->metric, metric) || (lim->test && (!test || strcmp(lim->test, test))))
			continue;
		if (lim->min.set && spec > best_min) {
			best_min = spec;
			*ret_min = &lim->min;
		}
		if (lim->max.set && spec > best_max) {
			best_max = spec;
			*ret_max = &lim->max;
		}
	}
}

/* ---- the check against the tests' parsers (full load only) ---- */

enum produce {
	NOT_PRODUCED,
	PRODUCED,   /* in `unit` ("" for a plain number) */
	MAY_PRODUCE /* keyvalue without declared metrics: any key, as a plain number */
};

/*
 * Whether role's parser can give `metric`, and in which unit: a declared
 * metric in its declared unit (canonical when netrig knows it), a tool
 * parser's in the catalogue's.
 */
static enum produce role_produces(const struct nr_role *role, const char *metric,
				  const char **ret_unit)
{
	const struct nr_parse_spec *p = &role->parse;
	const struct nr_metric_info *info;
	size_t i;

	if (!role->has_parse || !p->parser)
		return NOT_PRODUCED;
	if (nr__campaign_source_key(p->parser)) {
		for (i = 0; i < p->n_metrics; i++) {
			const char *canon;
			double f;

			if (strcmp(p->metrics[i].name, metric))
				continue;
			if (!p->metrics[i].unit)
				*ret_unit = "";
			else if (nr_unit_canonical(p->metrics[i].unit, &f, &canon) == 0)
				*ret_unit = canon;
			else
				*ret_unit = p->metrics[i].unit;
			return PRODUCED;
		}
		if (!strcmp(p->parser->name, "keyvalue") && !p->n_metrics) {
			*ret_unit = "";
			return MAY_PRODUCE;
		}
		return NOT_PRODUCED;
	}
	info = nr_metric_lookup(metric);
	if (!info)
		return NOT_PRODUCED;
	*ret_unit = info->unit;
	return PRODUCED;
}

static const char *unit_kind(const char *unit)
{
	static const struct {
		const char *unit, *kind;
	} kinds[] = {
		{ "bit/s", "a bit rate" }, { "us", "a time" },	{ "B", "a size" },
		{ "%", "a percentage" },   { "1/s", "a rate" }, { "ns/B", "a CPU cost per byte" },
		{ "count", "a count" },	   { "", "a plain number" },
	};
	size_t i;

	for (i = 0; i < NR_ARRAY_SIZE(kinds); i++)
		if (!strcmp(unit, kinds[i].unit))
			return kinds[i].kind;
	return "a unit netrig does not know";
}

static int check_bound_unit(struct loader *l, const struct nr_limit *lim,
			    const struct nr_limit_bound *b, const char *key, const struct nr_test *t,
			    const char *unit)
{
	if (!b->set || !b->unit || !strcmp(b->unit, unit))
		return 0;
	if (!*unit)
		return fail_pos(l, b->pos, nr_xasprintf(
			"'%s' of the limit on '%s' is '%s', %s, but test '%s' gives the metric as a "
			"plain number: write the limit as one, or declare the metric's 'unit' under "
			"'parse: metrics:'", key, lim->metric, b->text, unit_kind(b->unit), t->name));
	return fail_pos(l, b->pos, nr_xasprintf(
		"'%s' of the limit on '%s' is '%s', %s, but test '%s' gives the metric in %s, %s",
		key, lim->metric, b->text, unit_kind(b->unit), t->name, unit, unit_kind(unit)));
}

/* The metrics test t's parsers name, for "did you mean" (catalogue ones when a tool parses). */
static void known_names(const struct nr_test *t, const char **names, size_t max, size_t *n)
{
	static const char *const percentiles[] = { "latency_p50_us", "latency_p90_us",
						   "latency_p99_us", "latency_p99_9_us" };
	size_t i, j;
	bool tool = false;

	for (i = 0; i < t->n_roles; i++) {
		const struct nr_parse_spec *p = &t->roles[i].parse;

		if (!t->roles[i].has_parse || !p->parser)
			continue;
		if (!nr__campaign_source_key(p->parser))
			tool = true;
		for (j = 0; j < p->n_metrics && *n < max; j++)
			names[(*n)++] = p->metrics[j].name;
	}
	for (i = 0; tool && i < nr_metric_catalogue_len && *n < max; i++)
		names[(*n)++] = nr_metric_catalogue[i].name;
	/* the catalogue holds percentiles as a pattern: the usual ones by name */
	for (i = 0; tool && i < NR_ARRAY_SIZE(percentiles) && *n < max; i++)
		names[(*n)++] = percentiles[i];
}

static const struct nr_test *find_test(const struct nr_campaign *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_tests; i++)
		if (!strcmp(c->tests[i].name, name))
			return &c->tests[i];
	return NULL;
}

static void warn_unproduced(struct loader *l, struct nr_campaign *c, const struct nr_limit *lim,
			    const struct nr_test *only)
{
	const char *names[512];
	const char *guess;
	size_t n = 0, i;
	char *msg;

	for (i = 0; i < c->n_tests; i++)
		if (!only || only == &c->tests[i])
			known_names(&c->tests[i], names, NR_ARRAY_SIZE(names), &n);
	guess = nr_did_you_mean(lim->metric, names, n);
	msg = nr_xasprintf("%s:%d:%d: warning: the limit on '%s' checks nothing: no parser of %s%s%s "
			   "gives that metric%s%s%s",
			   l->yr.file, lim->pos.line, lim->pos.column, lim->metric,
			   only ? "test '" : "any test", only ? only->name : "", only ? "'" : "",
			   guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
	nr_strvec_push_owned(&c->warnings, msg);
}

/*
 * The bounds that hold for test t and metric m must leave room: min <= max
 * where they are in one unit (a plain number is in the metric's `unit`).
 */
static int check_room(struct loader *l, const struct nr_campaign *c, const struct nr_test *t,
		      const char *metric, const char *unit)
{
	const struct nr_limit_bound *lo, *hi;

	nr_campaign_limits(c, t->name, metric, &lo, &hi);
	if (!lo || !hi || !same_unit(lo->unit ? lo->unit : unit, hi->unit ? hi->unit : unit) ||
	    lo->value <= hi->value)
		return 0;
	/* placed at the later of the two: the one written to narrow the other */
	return fail_pos(l, lo->pos.line > hi->pos.line ? lo->pos : hi->pos, nr_xasprintf(
		"the limits on '%s' leave nothing for test '%s': min '%s' (line %d) is above "
		"max '%s' (line %d)", metric, t->name, lo->text, lo->pos.line, hi->text,
		hi->pos.line));
}

int nr__campaign_check_limits(struct loader *l, struct nr_campaign *c)
{
	size_t i, j, k;
	int r;

	for (i = 0; i < c->n_limits; i++) {
		const struct nr_limit *lim = &c->limits[i];
		bool any = false, maybe = false;

		for (j = 0; j < c->n_tests; j++) {
			const struct nr_test *t = &c->tests[j];
			bool here = false;

			if (lim->test && strcmp(lim->test, t->name))
				continue;
			for (k = 0; k < t->n_roles; k++) {
				const char *unit = NULL;
				enum produce p = role_produces(&t->roles[k], lim->metric, &unit);

				if (p == NOT_PRODUCED)
					continue;
				/*
				 * keyvalue without declared metrics gives any key as a
				 * plain number: a test's own limit with a unit cannot
				 * be meant for anything else, a campaign's may be
				 */
				if (p == MAY_PRODUCE) {
					maybe = true;
					if (!lim->test)
						continue;
				}
				here = true;
				if ((r = check_bound_unit(l, lim, &lim->min, "min", t, unit)) < 0 ||
				    (r = check_bound_unit(l, lim, &lim->max, "max", t, unit)) < 0 ||
				    (r = check_room(l, c, t, lim->metric, unit)) < 0)
					return r;
			}
			any |= here;
		}
		if (!any && !maybe)
			warn_unproduced(l, c, lim, lim->test ? find_test(c, lim->test) : NULL);
	}
	return 0;
}
