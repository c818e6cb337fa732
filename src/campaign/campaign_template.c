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

static const char *const builtins[] = {
	"repeat", "attempt", "port", "workdir", "run", "case", "test", "netrig",
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

/* "host.NAME.address" -> the host and which field; NULL when not that form. */
static const struct nr_host *host_ref(const struct nr_campaign *c, const char *ref,
				      const char **ret_field, bool *ret_form)
{
	const char *dot;
	char *name;
	const struct nr_host *h;

	*ret_form = false;
	if (strncmp(ref, "host.", 5) != 0)
		return NULL;
	dot = strrchr(ref + 5, '.');
	if (!dot)
		return NULL;
	*ret_form = true;
	*ret_field = dot + 1;
	name = nr_xstrndup(ref + 5, (size_t)(dot - ref - 5));
	h = nr_campaign_host(c, name);
	free(name);
	return h;
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
		if (ref[0] == '?') {
			/* {?NAME:TEXT}: TEXT when parameter NAME is "true", else nothing */
			char *colon = strchr(ref, ':');
			int r;

			if (colon)
				*colon = '\0';
			if (!colon || !find_param(t, ref + 1, &idx)) {
				r = nr_diag_set(d, NR_ECONFIG, "'{%s}' wants {?PARAMETER:TEXT} with a matrix parameter",
						ref);
				free(ref);
				return r;
			}
			if (out && !strcmp(t->params[idx].values.v[ctx->value_idx[idx]], "true"))
				nr_buf_adds(out, colon + 1);
			free(ref);
			continue;
		}
		if (find_param(t, ref, &idx)) {
			known = 1;
			if (out)
				nr_buf_adds(out, t->params[idx].values.v[ctx->value_idx[idx]]);
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
			if (h && (!strcmp(field, "address") || !strcmp(field, "name"))) {
				known = 1;
				if (out)
					nr_buf_adds(out, !strcmp(field, "address") ? h->address : h->name);
			}
		}
		if (!known) {
			const char *names[64];
			const char *guess;
			size_t n = 0;
			int r;

			for (i = 0; i < t->n_params && n < 56; i++)
				names[n++] = t->params[i].name;
			for (i = 0; i < NR_ARRAY_SIZE(builtins); i++)
				names[n++] = builtins[i];
			guess = nr_did_you_mean(ref, names, n);
			if (guess)
				r = nr_diag_set(d, NR_ECONFIG, "unknown reference '{%s}' (did you mean '{%s}'?)",
						ref, guess);
			else
				r = nr_diag_set(d, NR_ECONFIG,
						"unknown reference '{%s}' (a matrix parameter, repeat, attempt, port, workdir, run, case, test or host.NAME.address)",
						ref);
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

int nr_template_expand_argv(const struct nr_strvec *tmpl, const struct nr_tmpl_ctx *ctx,
			    struct nr_strvec *ret, struct nr_diag *d)
{
	size_t i;
	char *s;
	int r;

	for (i = 0; i < tmpl->n; i++) {
		if ((r = nr_template_expand(tmpl->v[i], ctx, &s, d)) < 0)
			return r;
		if (!*s && !strncmp(tmpl->v[i], "{?", 2)) {
			free(s); /* a switch that is off: no argument at all */
			continue;
		}
		nr_strvec_push_owned(ret, s);
	}
	nr_strvec_argv(ret);
	return 0;
}

int nr_template_check(const char *tmpl, const struct nr_campaign *c,
		      const struct nr_test *t, struct nr_diag *d)
{
	return walk(tmpl, c, t, NULL, NULL, d);
}
