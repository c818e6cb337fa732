/* The store's face: picks a backend and dispatches; record lifetimes. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/pid.h"
#include "store/store_backend.h"

static const struct nr_store_ops *const backends[] = {
	&nr__store_sqlite_ops,
	&nr__store_pg_ops,
};

const struct nr_store_ops *nr__store_backend_for(const char *location)
{
	size_t i;

	for (i = 0; location && *location && i < NR_ARRAY_SIZE(backends); i++)
		if (backends[i]->accepts(location))
			return backends[i];
	return NULL;
}

static int open_store(const char *location, bool create, struct nr_store **ret, struct nr_diag *d)
{
	const struct nr_store_ops *ops = nr__store_backend_for(location);
	char *shown;
	int r;

	if (!location || !*location)
		return nr_diagf(d, NR_ESTORE, "no database given");
	if (ops)
		return ops->open(location, create, ret, d);
	shown = nr_store_location_shown(location);
	r = nr_diagf(d, NR_ESTORE, "%s: no store backend takes this location", shown);
	free(shown);
	return r;
}

/*
 * A URL's password is the one secret a location can hold: in its user
 * part (scheme://user:PASSWORD@host) or as a parameter (?password=...).
 */
char *nr_store_location_shown(const char *location)
{
	struct nr_buf b = NR_BUF_INIT;
	const char *p = location ? location : "", *scheme = strstr(p, "://"), *auth, *at, *end;
	const char *colon, *q;

	if (!scheme) {
		nr_buf_adds(&b, p);
		return nr_buf_detach(&b, NULL);
	}
	auth = scheme + 3;
	end = auth + strcspn(auth, "/?");
	at = memchr(auth, '@', (size_t)(end - auth));
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon) {
		nr_buf_add(&b, p, (size_t)(colon + 1 - p));
		nr_buf_adds(&b, "***");
		p = at;
	}
	/* each password= parameter of the query part */
	while ((q = strstr(p, "password=")) != NULL) {
		if (q == p || (q[-1] != '?' && q[-1] != '&')) {
			nr_buf_add(&b, p, (size_t)(q + 9 - p));
			p = q + 9;
			continue;
		}
		nr_buf_add(&b, p, (size_t)(q + 9 - p));
		nr_buf_adds(&b, "***");
		p = q + 9 + strcspn(q + 9, "&");
	}
	nr_buf_adds(&b, p);
	return nr_buf_detach(&b, NULL);
}

char *nr__store_like_prefix(const char *p)
{
	struct nr_buf b = NR_BUF_INIT;

	for (; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			nr_buf_addch(&b, '\\');
		nr_buf_addch(&b, *p);
	}
	nr_buf_addch(&b, '%');
	return nr_buf_detach(&b, NULL);
}

int nr_store_open(const char *location, struct nr_store **ret, struct nr_diag *d)
{
	return open_store(location, true, ret, d);
}

int nr_store_open_existing(const char *location, struct nr_store **ret, struct nr_diag *d)
{
	return open_store(location, false, ret, d);
}

void nr_store_close(struct nr_store *st)
{
	if (st)
		st->ops->close(st);
}

int nr_store_opened_version(const struct nr_store *st)
{
	return st->opened_version;
}

int nr_store_run_create(struct nr_store *st, const struct nr_run_rec *run,
			const struct nr_host_rec *hosts, size_t n_hosts,
			const struct nr_case_rec *cases, size_t n_cases, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->run_create(st, run, hosts, n_hosts, cases, n_cases, d));
}

int nr_store_run_update(struct nr_store *st, const struct nr_run_rec *run, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->run_update(st, run, d));
}

int nr_store_run_claim(struct nr_store *st, const struct nr_run_rec *was,
		       const struct nr_run_rec *now, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->run_claim(st, was, now, d));
}

int nr_store_case_update(struct nr_store *st, const struct nr_case_rec *c, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->case_update(st, c, d));
}

int nr_store_attempt_save(struct nr_store *st, const struct nr_case_rec *case_after,
			  const struct nr_attempt_rec *a, const struct nr_output_in *outs,
			  size_t n_outs, const struct nr_role_samples *samples,
			  size_t n_samples, struct nr_diag *d)
{
	RETURN_RETRIED(st, d,
		       st->ops->attempt_save(st, case_after, a, outs, n_outs, samples, n_samples, d));
}

int nr_store_cases_rerun(struct nr_store *st, const char *run_id,
			 const struct nr_case_rec *cases, size_t n, struct nr_diag *d)
{
	return st->ops->cases_rerun(st, run_id, cases, n, d);
}

int nr_store_event_add(struct nr_store *st, const struct nr_event_rec *ev, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->event_add(st, ev, d));
}

int nr_store_events_list(struct nr_store *st, const char *run_id, const char *case_id,
			 struct nr_event_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->events_list(st, run_id, case_id, ret, ret_n, d));
}

int nr_store_run_get(struct nr_store *st, const char *selector, struct nr_run_rec *ret,
		     struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->run_get(st, selector, ret, d));
}

int nr_store_run_resumable(struct nr_store *st, const char *campaign, struct nr_run_rec *ret,
			   struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->run_resumable(st, campaign, ret, d));
}

int nr_store_runs_select(struct nr_store *st, const char *selector, const char *campaign,
			 size_t limit, struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->runs_select(st, selector, campaign, limit, ret, ret_n, d));
}

int nr_store_samples_history(struct nr_store *st, const char *campaign, int64_t since_us,
			     struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->samples_history(st, campaign, since_us, ret, ret_n, d));
}

int nr_store_runs_list(struct nr_store *st, size_t limit, struct nr_run_rec **ret,
		       size_t *ret_n, struct nr_diag *d)
{
	struct nr_run_filter f = { .limit = limit };

	RETURN_RETRIED(st, d, st->ops->runs_find(st, &f, ret, ret_n, d));
}

int nr_store_runs_find(struct nr_store *st, const struct nr_run_filter *f,
		       struct nr_run_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->runs_find(st, f, ret, ret_n, d));
}

int nr_store_runs_count(struct nr_store *st, int64_t by_status[NR_RUN_STATUS_N + 1],
			struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->runs_count(st, by_status, d));
}

int nr_store_hosts_list(struct nr_store *st, const char *run_id, struct nr_host_rec **ret,
			size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->hosts_list(st, run_id, ret, ret_n, d));
}

int nr_store_cases_list(struct nr_store *st, const char *run_id, struct nr_case_rec **ret,
			size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->cases_list(st, run_id, ret, ret_n, d));
}

int nr_store_attempts_list(struct nr_store *st, const char *case_id,
			   struct nr_attempt_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->attempts_list(st, case_id, ret, ret_n, d));
}

int nr_store_outputs_get(struct nr_store *st, const char *attempt_id,
			 struct nr_output_rec **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->outputs_get(st, attempt_id, ret, ret_n, d));
}

int nr_store_samples_list(struct nr_store *st, const char *run_id, bool with_intervals,
			  struct nr_sample_row **ret, size_t *ret_n, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->samples_list(st, run_id, with_intervals, ret, ret_n, d));
}

int nr_store_locate(struct nr_store *st, const char *selector, const char *run_id,
		    char ret_case_id[NR_UUID_LEN + 1], char ret_attempt_id[NR_UUID_LEN + 1],
		    struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->locate(st, selector, run_id, ret_case_id, ret_attempt_id, d));
}

int nr_store_query_json(struct nr_store *st, const char *sql, size_t max_rows,
			struct nr_buf *out, struct nr_diag *d)
{
	RETURN_RETRIED(st, d, st->ops->query_json(st, sql, max_rows, out, d));
}

int nr__store_runs_selected(const char *selector, const char *campaign, struct nr_run_rec **ret,
			    size_t *ret_n, struct nr_diag *d)
{
	if (*ret_n == 0) {
		free(*ret);
		*ret = NULL;
		return nr_diagf(d, NR_ENOTFOUND, "no run matches '%s'%s%s", selector ? selector : "latest",
				campaign ? " in campaign " : "", campaign ? campaign : "");
	}
	if (selector && strcmp(selector, "latest") && !strchr(selector, ':') && *ret_n > 1) {
		nr_runs_free(*ret, *ret_n);
		*ret = NULL;
		return nr_diagf(d, NR_EAMBIGUOUS, "run '%s' is ambiguous: give more of its id", selector);
	}
	return 0;
}

/* ---- compression ---- */

void nr__store_base_release(struct nr_store *st)
{
	ZSTD_freeCCtx(st->zstd);
	st->zstd = NULL;
}

int nr__store_compress(struct nr_store *st, struct nr_slice in, struct nr_buf *out,
		       const char **ret_method)
{
	size_t bound, n;

	if (in.len == 0) {
		*ret_method = "none";
		return 0;
	}
	if (!st->zstd && !(st->zstd = ZSTD_createCCtx()))
		return NR_ESTORE;
	bound = ZSTD_compressBound(in.len);
	nr_buf_grow(out, bound);
	/* what ZSTD_compress does, with a context that keeps its workspace */
	n = ZSTD_compressCCtx(st->zstd, out->buf + out->len, bound, in.ptr, in.len, 3);
	if (ZSTD_isError(n))
		return NR_ESTORE;
	out->len += n;
	*ret_method = "zstd";
	return 0;
}

int nr__store_decompress(const char *method, struct nr_slice in, uint64_t size,
			 struct nr_buf *out, struct nr_diag *d)
{
	size_t n;

	if (!strcmp(method, "none")) {
		nr_buf_add(out, in.ptr, in.len);
		return 0;
	}
	if (strcmp(method, "zstd") != 0)
		return nr_diagf(d, NR_ESTORE, "unknown compression '%s'", method);
	if (size > ((uint64_t)1 << 34))
		return nr_diagf(d, NR_ESTORE, "stored output claims %llu bytes", (unsigned long long)size);
	nr_buf_grow(out, (size_t)size);
	n = ZSTD_decompress(out->buf + out->len, (size_t)size, in.ptr, in.len);
	if (ZSTD_isError(n) || n != size)
		return nr_diagf(d, NR_ESTORE, "stored output does not decompress: %s",
				ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
	out->len += n;
	out->buf[out->len] = '\0';
	return 0;
}

/* ---- records ---- */

/* How many leading characters a and b share. */
static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/*
 * As git abbreviates object names: the shortest prefix that tells this id
 * from its neighbours in id order (so from every id), never shorter than
 * 8 characters. UUIDv7's first 8 hex digits are a timestamp that changes
 * every 65 s, so runs started close together need more of it.
 */
static void short_id(char out[NR_UUID_LEN + 1], const char *id, const char *prev_id,
		     const char *next_id)
{
	size_t n = 8, k;

	if (prev_id && (k = common_prefix(id, prev_id) + 1) > n)
		n = k;
	if (next_id && (k = common_prefix(id, next_id) + 1) > n)
		n = k;
	snprintf(out, NR_UUID_LEN + 1, "%.*s", (int)n, id);
}

void nr__store_run_seen(struct nr_run_rec *r, const char *prev_id, const char *next_id)
{
	char host[256];

	short_id(r->short_id, r->id, prev_id, next_id);
	r->controller_state = NR_CONTROLLER_UNKNOWN;
	if (r->status != NR_RUN_RUNNING)
		return;
	if (gethostname(host, sizeof(host)) < 0 || !r->controller ||
	    strncmp(host, r->controller, sizeof(host)) != 0)
		r->controller_state = NR_CONTROLLER_ELSEWHERE;
	else if (r->pid_start) /* the same process, not one that got its pid later */
		r->controller_state = nr_pid_is(r->pid, r->pid_start) ? NR_CONTROLLER_ALIVE
									: NR_CONTROLLER_GONE;
	else /* written before netrig kept the process's start */
		r->controller_state = r->pid > 0 && nr_pid_start_ticks(r->pid) ? NR_CONTROLLER_ALIVE
									    : NR_CONTROLLER_GONE;
}

const char *nr_run_status_text(const struct nr_run_rec *r, char *buf, size_t size)
{
	int64_t age_s;

	switch (r->controller_state) {
	case NR_CONTROLLER_GONE:
		snprintf(buf, size, "%s (controller gone)", nr_run_status_name(r->status));
		return buf;
	case NR_CONTROLLER_ELSEWHERE:
		age_s = r->heartbeat_us ? (nr_wall_us() - r->heartbeat_us) / 1000000 : -1;
		if (age_s >= 0)
			snprintf(buf, size, "%s (on %s, no heartbeat for %lld s)",
				 nr_run_status_name(r->status),
				 r->controller ? r->controller : "another host", (long long)age_s);
		else
			snprintf(buf, size, "%s (on %s)", nr_run_status_name(r->status),
				 r->controller ? r->controller : "another host");
		return buf;
	default:
		return nr_run_status_name(r->status);
	}
}

void nr_run_rec_release(struct nr_run_rec *r)
{
	free(r->campaign);
	free(r->campaign_path);
	free(r->config);
	free(r->config_hash);
	free(r->commit);
	free(r->branch);
	free(r->labels);
	free(r->reason);
	free(r->controller);
	free(r->version);
	free(r->pid_start);
	free(r->options);
	memset(r, 0, sizeof(*r));
}

void nr_host_rec_release(struct nr_host_rec *h)
{
	free(h->name);
	free(h->transport);
	free(h->address);
	free(h->sysinfo);
	free(h->labels);
	memset(h, 0, sizeof(*h));
}

void nr_case_rec_release(struct nr_case_rec *c)
{
	free(c->test);
	free(c->key);
	free(c->params);
	free(c->hosts);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

void nr_attempt_rec_release(struct nr_attempt_rec *a)
{
	free(a->error);
	memset(a, 0, sizeof(*a));
}

void nr_output_rec_release(struct nr_output_rec *o)
{
	free(o->role);
	free(o->host);
	free(o->stream);
	nr_buf_release(&o->data);
}

static char *dup_or_null(const char *s)
{
	return s ? nr_xstrdup(s) : NULL;
}

void nr_series_copy(struct nr_series *dst, const struct nr_series *src)
{
	dst->test = dup_or_null(src->test);
	dst->key = dup_or_null(src->key);
	dst->role = dup_or_null(src->role);
	dst->metric = dup_or_null(src->metric);
	dst->unit = dup_or_null(src->unit);
	dst->better = src->better;
}

void nr_series_release(struct nr_series *s)
{
	free(s->test);
	free(s->key);
	free(s->role);
	free(s->metric);
	free(s->unit);
	memset(s, 0, sizeof(*s));
}

int nr_series_order(const struct nr_series *a, const struct nr_series *b)
{
	int c = strcmp(a->key, b->key);

	if (!c)
		c = strcmp(a->role, b->role);
	if (!c)
		c = strcmp(a->metric, b->metric);
	return c;
}

void nr_sample_row_release(struct nr_sample_row *s)
{
	nr_series_release(&s->id);
}

void nr_event_rec_release(struct nr_event_rec *e)
{
	free(e->host);
	free(e->kind);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

#define DEFINE_FREE(fn, type, release)               \
	void fn(type *v, size_t n)                   \
	{                                            \
		size_t i;                            \
		for (i = 0; v && i < n; i++)         \
			release(&v[i]);              \
		free(v);                             \
	}

DEFINE_FREE(nr_runs_free, struct nr_run_rec, nr_run_rec_release)
DEFINE_FREE(nr_hosts_free, struct nr_host_rec, nr_host_rec_release)
DEFINE_FREE(nr_cases_free, struct nr_case_rec, nr_case_rec_release)
DEFINE_FREE(nr_attempts_free, struct nr_attempt_rec, nr_attempt_rec_release)
DEFINE_FREE(nr_outputs_free, struct nr_output_rec, nr_output_rec_release)
DEFINE_FREE(nr_sample_rows_free, struct nr_sample_row, nr_sample_row_release)
DEFINE_FREE(nr_events_free, struct nr_event_rec, nr_event_rec_release)
