/*
 * "{name}" references in commands, environment values and readiness
 * ports. Expansion works on one argv element at a time, so whatever a
 * value holds (spaces, quotes, ';', "$(...)") it stays one literal
 * argument: no shell ever sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "campaign/campaign.h"
#include "lab/lab_model.h"

static const char *const builtins[] = {
	"repeat", "attempt", "port", "workdir", "run", "case", "test", "netrig", "instance",
	"instance_port",
};

static const struct nr_param *find_param(const struct nr_test *t, const char *name,
					 size_t *ret_idx)
{
	size_t i;

	for (i = 0; i < t->n_params; i++) {
		if (!strcmp(t->params[i].name, name)) {
			*ret_idx = i;
			return &t->params[i];
		}
	}
	return NULL;
}

/*
 * "host.NAME.FIELD" -> the host (the longest name that fits: names may
 * hold dots) and FIELD; NULL when no host fits. *ret_form: ref is of that
 * form at all.
 */
static const struct nr_host *host_ref(const struct nr_campaign *c, const char *ref,
				      const char **ret_field, bool *ret_form)
{
	const struct nr_host *best = NULL;
	size_t i, best_len = 0;

	*ret_form = !strncmp(ref, "host.", 5) && strchr(ref + 5, '.');
	if (!*ret_form)
		return NULL;
	for (i = 0; i < c->n_hosts; i++) {
		size_t n = strlen(c->hosts[i].name);

		if (n > best_len && !strncmp(ref + 5, c->hosts[i].name, n) && ref[5 + n] == '.') {
			best = &c->hosts[i];
			best_len = n;
		}
	}
	if (best)
		*ret_field = ref + 5 + best_len + 1;
	return best;
}

/*
 * A host field: 1 when `field` is one (its value added to out when
 * expanding), 0 when not, NR_ECONFIG when it names an address that the
 * role's host cannot reach. In check mode (out NULL) reachability is
 * checked only when ctx names the role's host.
 */
static int host_field(const struct nr_campaign *c, const struct nr_test *t,
		      const struct nr_tmpl_ctx *ctx, const struct nr_host *h, const char *field,
		      struct nr_buf *out, struct nr_diag *d)
{
	const struct nr_host *from = ctx ? ctx->host : NULL;
	const char *network = NULL, *addr = NULL;
	int r;

	if (!strcmp(field, "name") || !strcmp(field, "control")) {
		if (out)
			nr_buf_adds(out, !strcmp(field, "name") ? h->name : h->address);
		return 1;
	}
	if (strncmp(field, "address", 7) != 0)
		return 0;
	if (field[7] == '.') {
		network = field + 8;
		if (!*network)
			return 0;
	} else if (field[7] == '@') {
		from = nr_campaign_host(c, field + 8);
		if (!from)
			return nr_diag_set(d, NR_ECONFIG, "'{host.%s.%s}' names a host that is not defined",
					   h->name, field);
	} else if (field[7]) {
		return 0;
	}
	if (!out && !network && field[7] != '@' && !(ctx && ctx->host))
		return 1; /* reachability is the plan's check, which knows the role's host */
	if ((r = nr_campaign_peer_address(c, t, from, h, network, &addr, d)) < 0)
		return r;
	if (out)
		nr_buf_adds(out, addr);
	return 1;
}

/*
 * {role.NAME.host} and {role.NAME.address}: the host role NAME of the test
 * runs on in this case (its host template resolved, from ctx->role_hosts),
 * for a role whose host is a matrix axis. 1 when ref is one (its value
 * added to out), 0 when it is not of the form, NR_ECONFIG for an unknown
 * role or field.
 */
static int role_ref(const char *ref, const struct nr_campaign *c, const struct nr_test *t,
		    const struct nr_tmpl_ctx *ctx, struct nr_buf *out, struct nr_diag *d)
{
	const char *dot, *field;
	const struct nr_host *h = NULL;
	size_t k;

	if (strncmp(ref, "role.", 5) != 0 || !(dot = strrchr(ref + 5, '.')))
		return 0;
	field = dot + 1;
	for (k = 0; k < t->n_roles; k++)
		if (strlen(t->roles[k].name) == (size_t)(dot - ref - 5) &&
		    !strncmp(t->roles[k].name, ref + 5, (size_t)(dot - ref - 5)))
			break;
	if (k == t->n_roles)
		return nr_diag_set(d, NR_ECONFIG, "'{%s}' names a role that test '%s' does not have", ref,
				   t->name);
	if (strcmp(field, "host") && strcmp(field, "address"))
		return nr_diag_set(d, NR_ECONFIG, "'{%s}': a role gives only .host and .address", ref);
	if (!out)
		return 1;
	if (ctx->role_hosts)
		h = ctx->role_hosts[k];
	else if (!strchr(t->roles[k].host, '{'))
		h = nr_campaign_host(c, t->roles[k].host);
	if (!h) /* a template not resolved (the plan's listing of commands): as written */
		nr_buf_addf(out, "{%s}", ref);
	else
		nr_buf_adds(out, !strcmp(field, "address") ? h->address : h->name);
	return 1;
}

static const struct nr_variant_value *variant_value(const struct nr_variant *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n_values; i++)
		if (!strcmp(v->values[i].name, name))
			return &v->values[i];
	return NULL;
}

/*
 * {variant} and {variant.NAME}: 1 when ref is one (its value added to
 * out when expanding, from the test's variant), 0 when it is not,
 * NR_ECONFIG with a message when it names nothing every variant has. A
 * list value is refused here: only a whole argument may be one
 * (nr_template_expand_argv).
 */
static int variant_ref(const char *ref, const struct nr_campaign *c, const struct nr_test *t,
		       struct nr_buf *out, struct nr_diag *d)
{
	const struct nr_variant_value *val;
	const char *name;
	size_t i;

	if (strcmp(ref, "variant") && strncmp(ref, "variant.", 8))
		return 0;
	if (!c->n_variants)
		return nr_diag_set(d, NR_ECONFIG, "'{%s}' needs 'variants:' in the campaign", ref);
	if (!strcmp(ref, "variant")) {
		if (out)
			nr_buf_adds(out, t->variant ? t->variant->name : "");
		return 1;
	}
	name = ref + 8;
	for (i = 0; i < c->n_variants; i++) {
		const struct nr_variant *v = &c->variants[i];

		val = variant_value(v, name);
		if (!val) {
			const char *names[64];
			const char *guess;
			size_t k, n = 0;

			for (k = 0; k < v->n_values && n < NR_ARRAY_SIZE(names); k++)
				names[n++] = v->values[k].name;
			guess = nr_did_you_mean(name, names, n);
			return nr_diag_set(d, NR_ECONFIG, "variant '%s' has no value '%s'%s%s%s", v->name,
					   name, guess ? " (did you mean '{variant." : "",
					   guess ? guess : "", guess ? "}'?)" : "");
		}
		if (val->list)
			return nr_diag_set(d, NR_ECONFIG, "'{%s}' is a list in variant '%s': a list can "
					   "only be a whole argument of a command", ref, v->name);
	}
	if (out) {
		if (!t->variant || !(val = variant_value(t->variant, name)))
			return nr_diag_set(d, NR_ECONFIG, "'{%s}' outside a variant", ref);
		nr_buf_adds(out, val->words.v[0]);
	}
	return 1;
}

/*
 * {iface.HOST.PEER}, {iface.HOST.PEER.address}, {iface.HOST.PEER.mac}:
 * the lab interface of HOST on its link to PEER (the lab decides the
 * names, addresses and MACs before anything is up). 1 when ref is one
 * (the value added to out), 0 when it is not, NR_ECONFIG with a message
 * when it names nothing.
 */
static int iface_ref(const char *ref, const struct nr_campaign *c, struct nr_buf *out,
		     struct nr_diag *d)
{
	const struct nr_lab_host *h, *p;
	struct nr_strvec w = NR_STRVEC_INIT;
	const char *field;
	size_t i;
	int r = 1;

	if (strncmp(ref, "iface.", 6))
		return 0;
	{
		const char *q = ref + 6, *dot;

		while ((dot = strchr(q, '.')) != NULL && w.n < 4) {
			nr_strvec_push_owned(&w, nr_xstrndup(q, (size_t)(dot - q)));
			q = dot + 1;
		}
		nr_strvec_push(&w, q);
	}
	field = w.n == 3 ? w.v[2] : "name";
	if (w.n < 2 || w.n > 3 || (strcmp(field, "name") && strcmp(field, "address") &&
				   strcmp(field, "mac"))) {
		r = nr_diag_set(d, NR_ECONFIG, "'{%s}' wants {iface.HOST.PEER} or {iface.HOST.PEER.address} "
				"or {iface.HOST.PEER.mac}", ref);
		goto out;
	}
	if (!c->lab) {
		r = nr_diag_set(d, NR_ECONFIG, "'{%s}' needs a lab ('lab:' in the campaign)", ref);
		goto out;
	}
	h = nr_lab_host(c->lab, w.v[0]);
	p = nr_lab_host(c->lab, w.v[1]);
	if (!h || !p) {
		r = nr_diag_set(d, NR_ECONFIG, "'{%s}': the lab has no host '%s'", ref,
				h ? w.v[1] : w.v[0]);
		goto out;
	}
	for (i = 0; i < h->n_ifaces; i++)
		if (&c->lab->hosts[h->ifaces[i].peer] == p)
			break;
	if (i == h->n_ifaces) {
		r = nr_diag_set(d, NR_ECONFIG, "'{%s}': the lab has no link between %s and %s", ref,
				w.v[0], w.v[1]);
		goto out;
	}
	if (out)
		nr_buf_adds(out, !strcmp(field, "address") ? h->ifaces[i].address
				 : !strcmp(field, "mac")   ? h->ifaces[i].mac
							   : h->ifaces[i].name);
out:
	nr_strvec_clear(&w);
	return r;
}

/*
 * Walk tmpl; for each reference call resolve(). With out == NULL only
 * checks. Returns 0 or NR_ECONFIG with a message.
 */
static int walk(const char *tmpl, const struct nr_campaign *c, const struct nr_test *t,
		const struct nr_tmpl_ctx *ctx, struct nr_buf *out, struct nr_diag *d)
{
	const char *p = tmpl;

	while (*p) {
		const char *end;
		char *ref;
		size_t i, idx;
		int known = 0;

		if (p[0] == '{' && p[1] == '{') {
			if (out)
				nr_buf_addch(out, '{');
			p += 2;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			if (out)
				nr_buf_addch(out, '}');
			p += 2;
			continue;
		}
		if (*p != '{') {
			if (out)
				nr_buf_addch(out, *p);
			p++;
			continue;
		}
		end = strchr(p, '}');
		if (!end)
			return nr_diag_set(d, NR_ECONFIG, "'{' without '}' (write '{{' for a brace)");
		ref = nr_xstrndup(p + 1, (size_t)(end - p - 1));
		p = end + 1;
		if (ref[0] == '?' || ref[0] == '!') {
			/* {?NAME:TEXT}: TEXT when parameter NAME is "true", else
			 * nothing; {!NAME:TEXT} the other way round, so a switch in
			 * a matrix can say both "--x" and "--no-x" */
			char *colon = strchr(ref, ':');
			bool on;
			int r;

			if (colon)
				*colon = '\0';
			if (!colon || !find_param(t, ref + 1, &idx)) {
				r = nr_diag_set(d, NR_ECONFIG, "'{%s}' wants {%cPARAMETER:TEXT} with a matrix parameter",
						ref, ref[0]);
				free(ref);
				return r;
			}
			if (out) { /* else only checked: no case, no value */
				on = !strcmp(t->params[idx].values.v[ctx->value_idx[idx]], "true");
				if (on == (ref[0] == '?'))
					nr_buf_adds(out, colon + 1);
			}
			free(ref);
			continue;
		}
		if (find_param(t, ref, &idx)) {
			known = 1;
			if (out)
				nr_buf_adds(out, t->params[idx].values.v[ctx->value_idx[idx]]);
		} else if ((known = variant_ref(ref, c, t, out, d)) != 0 ||
			   (known = iface_ref(ref, c, out, d)) != 0 ||
			   (known = role_ref(ref, c, t, ctx, out, d)) != 0) {
			if (known < 0) {
				free(ref);
				return known;
			}
		} else {
			for (i = 0; i < NR_ARRAY_SIZE(builtins); i++)
				if (!strcmp(ref, builtins[i]))
					break;
			if (i < NR_ARRAY_SIZE(builtins)) {
				known = 1;
				if (!out)
					;
				else if (!strcmp(ref, "repeat"))
					nr_buf_addf(out, "%d", ctx->repeat);
				else if (!strcmp(ref, "attempt"))
					nr_buf_addf(out, "%d", ctx->attempt);
				else if (!strcmp(ref, "port"))
					nr_buf_addf(out, ctx->port > 0 ? "%d" : "{port}", ctx->port);
				else if (!strcmp(ref, "workdir"))
					nr_buf_adds(out, ctx->workdir ? ctx->workdir : ".");
				else if (!strcmp(ref, "run"))
					nr_buf_adds(out, ctx->run_id ? ctx->run_id : "");
				else if (!strcmp(ref, "case"))
					nr_buf_adds(out, ctx->case_key ? ctx->case_key : "");
				else if (!strcmp(ref, "test"))
					nr_buf_adds(out, t->name);
				else if (!strcmp(ref, "netrig"))
					nr_buf_adds(out, ctx->netrig ? ctx->netrig : "netrig");
				else if (!strcmp(ref, "instance"))
					nr_buf_addf(out, "%d", ctx->instance > 0 ? ctx->instance : 1);
				else if (!strcmp(ref, "instance_port") && ctx->instance_port > 0)
					nr_buf_addf(out, "%d", ctx->instance_port);
				else if (!strcmp(ref, "instance_port"))
					nr_buf_addf(out, ctx->port > 0 ? "%d" : "{port}", ctx->port);
			}
		}
		if (!known) {
			const char *field = NULL;
			bool form;
			const struct nr_host *h = host_ref(c, ref, &field, &form);

			if (form && !h) {
				int r = nr_diag_set(d, NR_ECONFIG, "'{%s}' names a host that is not defined", ref);

				free(ref);
				return r;
			}
			if (h && (known = host_field(c, t, ctx, h, field, out, d)) < 0) {
				free(ref);
				return known;
			}
		}
		if (!known) {
			const char *names[80];
			char *vnames[16] = { 0 };
			const char *guess;
			size_t n = 0, nv = 0;
			int r;

			for (i = 0; i < t->n_params && n < 56; i++)
				names[n++] = t->params[i].name;
			for (i = 0; i < NR_ARRAY_SIZE(builtins); i++)
				names[n++] = builtins[i];
			if (c->n_variants) {
				names[n++] = "variant";
				for (i = 0; i < c->variants[0].n_values && nv < NR_ARRAY_SIZE(vnames); i++) {
					vnames[nv] = nr_xasprintf("variant.%s", c->variants[0].values[i].name);
					names[n++] = vnames[nv++];
				}
			}
			guess = nr_did_you_mean(ref, names, n);
			if (guess)
				r = nr_diag_set(d, NR_ECONFIG, "unknown reference '{%s}' (did you mean '{%s}'?)",
						ref, guess);
			else
				r = nr_diag_set(d, NR_ECONFIG,
						"unknown reference '{%s}' (a matrix parameter, repeat, attempt, port, workdir, run, case, test, host.NAME.address[.NETWORK|@HOST] host.NAME.control, role.NAME.host or iface.HOST.PEER)",
						ref);
			for (i = 0; i < nv; i++)
				free(vnames[i]);
			free(ref);
			return r;
		}
		free(ref);
	}
	return 0;
}

int nr_template_expand(const char *tmpl, const struct nr_tmpl_ctx *ctx, char **ret,
		       struct nr_diag *d)
{
	struct nr_buf out = NR_BUF_INIT;
	int r = walk(tmpl, ctx->campaign, ctx->test, ctx, &out, d);

	if (r < 0) {
		nr_buf_release(&out);
		return r;
	}
	*ret = nr_buf_detach(&out, NULL);
	return 0;
}

/*
 * An argument that is exactly "{variant.NAME}" where some variant's
 * value is a list: the value of variant v (NULL: any), else NULL.
 */
static const struct nr_variant_value *whole_list(const char *arg, const struct nr_campaign *c,
						 const struct nr_variant *v)
{
	const struct nr_variant_value *val = NULL;
	size_t len = strlen(arg), i;
	char *name;

	if (!c->n_variants || len < 11 || strncmp(arg, "{variant.", 9) || arg[len - 1] != '}' ||
	    strchr(arg + 9, '{') || strchr(arg + 9, '}') != arg + len - 1)
		return NULL;
	name = nr_xstrndup(arg + 9, len - 10);
	for (i = 0; i < c->n_variants; i++) {
		const struct nr_variant_value *x = variant_value(&c->variants[i], name);

		if (x && x->list)
			val = v ? variant_value(v, name) : x;
	}
	free(name);
	return val;
}

int nr_template_expand_argv(const struct nr_strvec *tmpl, const struct nr_tmpl_ctx *ctx,
			    struct nr_strvec *ret, struct nr_diag *d)
{
	const struct nr_variant_value *val;
	size_t i, k;
	char *s;
	int r;

	for (i = 0; i < tmpl->n; i++) {
		if (ctx->test->variant &&
		    (val = whole_list(tmpl->v[i], ctx->campaign, ctx->test->variant))) {
			/* a list: its words, each an argument of its own */
			for (k = 0; k < val->words.n; k++)
				nr_strvec_push(ret, val->words.v[k]);
			continue;
		}
		if ((r = nr_template_expand(tmpl->v[i], ctx, &s, d)) < 0)
			return r;
		if (!*s && (!strncmp(tmpl->v[i], "{?", 2) || !strncmp(tmpl->v[i], "{!", 2))) {
			free(s); /* a switch that is off: no argument at all */
			continue;
		}
		nr_strvec_push_owned(ret, s);
	}
	nr_strvec_argv(ret);
	return 0;
}

int nr_template_check_role(const struct nr_campaign *c, const struct nr_test *t,
			   const struct nr_role *role, struct nr_diag *d)
{
	struct nr_tmpl_ctx ctx = { .campaign = c, .test = t, .host = nr_campaign_host(c, role->host) };
	size_t i;
	int r;

	if (!ctx.host)
		return 0; /* a host only a case's values name: checked when it runs */
	for (i = 0; i < role->argv.n; i++)
		if (!whole_list(role->argv.v[i], c, NULL) &&
		    (r = walk(role->argv.v[i], c, t, &ctx, NULL, d)) < 0)
			return r;
	for (i = 0; i < role->env.vals.n; i++)
		if ((r = walk(role->env.vals.v[i], c, t, &ctx, NULL, d)) < 0)
			return r;
	return 0;
}

int nr_template_check(const char *tmpl, const struct nr_campaign *c,
		      const struct nr_test *t, struct nr_diag *d)
{
	return walk(tmpl, c, t, NULL, NULL, d);
}

int nr_template_check_argv(const struct nr_strvec *tmpl, const struct nr_campaign *c,
			   const struct nr_test *t, size_t *ret_bad, struct nr_diag *d)
{
	size_t i;
	int r;

	for (i = 0; i < tmpl->n; i++) {
		if (whole_list(tmpl->v[i], c, NULL)) {
			/* every variant must have it (a scalar elsewhere is one word) */
			char *name = nr_xstrndup(tmpl->v[i] + 1, strlen(tmpl->v[i]) - 2);
			size_t k;

			for (k = 0; k < c->n_variants; k++) {
				const char *vn = name + 8;

				if (!variant_value(&c->variants[k], vn)) {
					*ret_bad = i;
					r = nr_diag_set(d, NR_ECONFIG, "variant '%s' has no value '%s'",
							c->variants[k].name, vn);
					free(name);
					return r;
				}
			}
			free(name);
			continue;
		}
		if ((r = walk(tmpl->v[i], c, t, NULL, NULL, d)) < 0) {
			*ret_bad = i;
			return r;
		}
	}
	return 0;
}
