/*
 * Thresholds of the verdicts: `thresholds:` of the campaign, of its tests
 * and of their metrics, and the most specific one for a test and metric.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/num.h"
#include "campaign/campaign.h"
#include "campaign/campaign_int.h"
#include "yaml/yaml.h"

static int get_ratio(struct loader *l, const struct nr_ynode *map, const char *key, double *ret)
{
	const struct nr_ynode *n;
	int r = scalar_at(l, map, key, &n);
	double v;

	if (r <= 0)
		return r;
	if (nr_parse_ratio(n->scalar, &v) < 0 || v > 10)
		return fail(l, n, "'%s' must be a percentage such as 10%% (or a ratio such as 0.1), not '%s'",
			    key, n->scalar);
	*ret = v;
	return 1;
}

int nr__campaign_add_threshold(struct loader *l, struct nr_campaign *c, const char *test,
			       const char *metric, const struct nr_ynode *n)
{
	static const char *const keys[] = { "warning", "critical", "metrics" };
	struct nr_threshold th = { test ? nr_xstrdup(test) : NULL, metric ? nr_xstrdup(metric) : NULL,
				   -1, -1 };
	const struct nr_ynode *m;
	size_t i;
	int r;

	if ((r = want_kind(l, n, NR_Y_MAP, "thresholds")) < 0 ||
	    (r = check_keys(l, n, keys, metric ? 2 : 3, "'thresholds'")) < 0 ||
	    (r = get_ratio(l, n, "warning", &th.warning)) < 0 ||
	    (r = get_ratio(l, n, "critical", &th.critical)) < 0) {
		free(th.test);
		free(th.metric);
		return r;
	}
	if (th.warning >= 0 && th.critical >= 0 && th.critical < th.warning) {
		free(th.test);
		free(th.metric);
		return fail(l, n, "'critical' must not be below 'warning'");
	}
	c->thresholds = nr_xrealloc(c->thresholds, (c->n_thresholds + 1) * sizeof(th));
	c->thresholds[c->n_thresholds++] = th;
	m = metric ? NULL : nr_ynode_get(n, "metrics");
	if (!m)
		return 0;
	if ((r = want_kind(l, m, NR_Y_MAP, "metrics")) < 0)
		return r;
	for (i = 0; i < m->n; i++)
		if ((r = nr__campaign_add_threshold(l, c, test, m->keys[i]->scalar, m->items[i])) < 0)
			return r;
	return 0;
}

void nr_campaign_thresholds(const struct nr_campaign *c, const char *test, const char *metric,
			    double *warning, double *critical)
{
	int best_w = -1, best_c = -1;
	size_t i;

	/* specificity: 3 test+metric, 2 test, 1 metric, 0 campaign */
	for (i = 0; c && i < c->n_thresholds; i++) {
		const struct nr_threshold *t = &c->thresholds[i];
		int spec;

		if ((t->test && (!test || strcmp(t->test, test))) ||
		    (t->metric && (!metric || strcmp(t->metric, metric))))
			continue;
		spec = (t->test ? 2 : 0) + (t->metric ? 1 : 0);
		if (t->warning >= 0 && spec > best_w) {
			best_w = spec;
			*warning = t->warning;
		}
		if (t->critical >= 0 && spec > best_c) {
			best_c = spec;
			*critical = t->critical;
		}
	}
}

/*
 * Only what the verdicts need of a stored campaign: its name, and the
 * `thresholds:` and `limits:` of the campaign and of each test. Nothing
 * outside the text is read (no lab file, no workdir), so a run judged on
 * another machine, or after its lab file moved, is judged by the
 * thresholds and limits it ran with.
 */
int nr_campaign_load_thresholds(const char *path, const char *text, struct nr_campaign **ret,
				struct nr_diag *d)
{
	struct nr_campaign *c = nr_xcalloc(1, sizeof(*c));
	struct loader l = { .yr = { .file = path, .d = d } };
	const struct nr_ynode *root, *tests, *x, *defaults;
	struct nr_ydoc *doc = NULL;
	size_t i;
	int r;

	c->path = nr_xstrdup(path);
	c->text = nr_xstrdup(text);
	if ((r = nr_ydoc_parse(path, c->text, strlen(c->text), &doc, d)) < 0)
		goto out;
	root = doc->root;
	if (!root) {
		r = fail(&l, NULL, "the file is empty: a campaign needs 'tests'");
		goto out;
	}
	if ((r = want_kind(&l, root, NR_Y_MAP, "the campaign")) < 0 ||
	    (r = get_str(&l, root, "campaign", &c->name)) < 0)
		goto out;
	if ((x = nr_ynode_get(root, "thresholds")) && (r = nr__campaign_add_threshold(&l, c, NULL, NULL, x)) < 0)
		goto out;
	if ((x = nr_ynode_get(root, "limits")) && (r = nr__campaign_add_limits(&l, c, NULL, x)) < 0)
		goto out;
	tests = nr_ynode_get(root, "tests");
	defaults = nr_ynode_get(root, "defaults");
	if (defaults && defaults->kind != NR_Y_MAP)
		defaults = NULL;
	if (tests && tests->kind == NR_Y_SEQ)
		c->tests = nr_xcalloc(tests->n + 1, sizeof(*c->tests));
	for (i = 0; tests && tests->kind == NR_Y_SEQ && i < tests->n; i++) {
		const struct nr_ynode *t = tests->items[i];
		char *name = NULL;

		const struct nr_ynode *lim, *rep;

		if (t->kind != NR_Y_MAP)
			continue;
		/* adaptive repeats: compare judges those tests' series sequentially */
		rep = nr_ynode_get(t, "repeat");
		if (!rep && defaults)
			rep = nr_ynode_get(defaults, "repeat");
		if (rep && rep->kind == NR_Y_MAP) {
			struct nr_test *ct = &c->tests[c->n_tests];

			if ((r = nr__campaign_load_repeat(&l, nr_ynode_get(t, "repeat") ? t : defaults,
							  rep, ct)) < 0 ||
			    (r = get_str(&l, t, "name", &ct->name)) < 0)
				goto out;
			if (ct->name)
				c->n_tests++;
		}
		x = nr_ynode_get(t, "thresholds");
		lim = nr_ynode_get(t, "limits");
		if (!x && !lim)
			continue;
		if ((r = get_str(&l, t, "name", &name)) < 0)
			goto out;
		if (!name) {
			r = fail(&l, t, "a test has no 'name'");
			goto out;
		}
		r = 0;
		if (x)
			r = nr__campaign_add_threshold(&l, c, name, NULL, x);
		if (r == 0 && lim)
			r = nr__campaign_add_limits(&l, c, name, lim);
		free(name);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	nr_ydoc_free(doc);
	if (r < 0) {
		nr_campaign_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

