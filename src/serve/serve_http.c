/*
 * The HTTP side of netrig serve: libmicrohttpd's daemon with its own
 * thread pool on a socket bound here (so that a port in use is an errno,
 * and port 0 tells which port it got), requests from the first header to
 * the completion callback, store handles lent to requests, per-token rate
 * limits, JSON errors, access logs.
 *
 * A body is read only for routes that take one, after the token was
 * checked, and never past the configured size: a Content-Length above it
 * is answered 413 before one byte of the body is read; a chunked body that
 * grows past it has the connection closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/lazy.h"
#include "base/mem.h"
#include "base/num.h"
#include "serve/serve_int.h"

/* ---- logs ---- */

void nr__serve_logf(struct nr_serve *s, const char *fmt, ...)
{
	struct nr_buf raw = NR_BUF_INIT, esc = NR_BUF_INIT;
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	nr_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	/* one line whatever came from outside: no newline or terminal control in it */
	nr_str_escape(&esc, raw.buf, raw.len, NULL, 0);
	s->log(s->log_ctx, esc.buf);
	nr_buf_release(&raw);
	nr_buf_release(&esc);
}

/* ---- answers ---- */

const char *nr__serve_arg(struct nr__serve_req *q, const char *key)
{
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *nr__serve_header(struct nr__serve_req *q, const char *key)
{
	return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, key);
}

void nr__serve_json(struct nr__serve_req *q, unsigned status, struct nr_buf *json)
{
	nr_buf_release(&q->out);
	q->out = *json;
	nr_buf_init(json, 0);
	q->status = status;
	q->content_type = "application/json";
}

int nr__serve_fail(struct nr__serve_req *q, unsigned status, const char *fmt, ...)
{
	struct nr_buf msg = NR_BUF_INIT;
	json_t *doc;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	nr_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/* jansson refuses text that is not UTF-8: escape what came from outside first */
	text = nr_str_escaped(msg.buf);
	doc = json_pack("{s:{s:i, s:s}}", "error", "status", (int)status, "message", text);
	free(text);
	text = json_dumps(doc, JSON_COMPACT);
	nr_buf_reset(&q->out);
	nr_buf_adds(&q->out, text);
	nr_buf_addch(&q->out, '\n');
	free(text);
	json_decref(doc);
	nr_buf_release(&msg);
	q->status = status;
	q->content_type = "application/json";
	return -1;
}

/* ---- store handles ---- */

int nr__serve_store(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;

	if (q->st)
		return 0;
	pthread_mutex_lock(&s->pool_lock);
	if (s->n_pool)
		q->st = s->pool[--s->n_pool];
	pthread_mutex_unlock(&s->pool_lock);
	if (!q->st) /* more requests at once than threads: cannot happen with a pool of threads handles */
		return nr__serve_fail(q, 503, "busy: no database handle free");
	return 0;
}

static void store_give_back(struct nr__serve_req *q)
{
	struct nr_serve *s = q->srv;

	if (!q->st)
		return;
	pthread_mutex_lock(&s->pool_lock);
	s->pool[s->n_pool++] = q->st;
	pthread_mutex_unlock(&s->pool_lock);
	q->st = NULL;
}

/* ---- tokens and their rates ---- */

/*
 * A token bucket per token: rate_per_minute requests a minute, as many at
 * once. False when the token has none left; *ret_wait_s then says when.
 */
static bool rate_take(struct nr_serve *s, const char *token_id, unsigned *ret_wait_s)
{
	double per_us = s->cfg->rate_per_minute / 60e6, cap = s->cfg->rate_per_minute;
	int64_t now = nr_mono_us();
	struct nr__serve_rate *r = NULL;
	bool ok;
	size_t i;

	if (!s->cfg->rate_per_minute)
		return true;
	pthread_mutex_lock(&s->rate_lock);
	for (i = 0; i < s->n_rates && !r; i++)
		if (!strcmp(s->rates[i].token_id, token_id))
			r = &s->rates[i];
	if (!r) {
		s->rates = nr__grow(s->rates, sizeof(*s->rates), s->n_rates + 1, &s->cap_rates);
		r = &s->rates[s->n_rates++];
		snprintf(r->token_id, sizeof(r->token_id), "%s", token_id);
		r->tokens = cap;
		r->last_us = now;
	}
	r->tokens += (double)(now - r->last_us) * per_us;
	if (r->tokens > cap)
		r->tokens = cap;
	r->last_us = now;
	ok = r->tokens >= 1;
	if (ok)
		r->tokens -= 1;
	else
		*ret_wait_s = (unsigned)((1 - r->tokens) / per_us / 1e6) + 1;
	pthread_mutex_unlock(&s->rate_lock);
	return ok;
}

int nr__serve_auth(struct nr__serve_req *q, const char *scope)
{
	struct nr_diag d = { 0 };
	enum nr_serve_auth a;
	unsigned wait_s = 0;

	if (q->user)
		return 0;
	if (nr__serve_store(q) < 0)
		return -1;
	a = nr_serve_token_check_cached(q->srv->tokens, q->st,
					nr__serve_header(q, MHD_HTTP_HEADER_AUTHORIZATION), scope,
					nr_wall_us(), nr_mono_us(), &q->user, q->token_id, &d);
	switch (a) {
	case NR_AUTH_OK:
		break;
	case NR_AUTH_MISSING:
		return nr__serve_fail(q, 401, "a token is needed: Authorization: Bearer TOKEN");
	case NR_AUTH_INVALID:
		return nr__serve_fail(q, 401, "the token is not valid");
	case NR_AUTH_EXPIRED:
		return nr__serve_fail(q, 401, "the token has expired");
	case NR_AUTH_REVOKED:
		return nr__serve_fail(q, 401, "the token was revoked");
	case NR_AUTH_SCOPE:
		return nr__serve_fail(q, 403, "the token's scope does not allow this (%s wanted)", scope);
	default:
		nr__serve_logf(q->srv, "store: %s", nr_diag_msg(&d));
		return nr__serve_fail(q, 500, "the database failed");
	}
	if (!rate_take(q->srv, q->token_id, &wait_s)) {
		free(q->user);
		q->user = NULL;
		q->retry_after_s = wait_s;
		return nr__serve_fail(q, 429, "too many requests with this token: again in %u s", wait_s);
	}
	return 0;
}

int nr__serve_auth_read(struct nr__serve_req *q)
{
	return q->srv->cfg->public_read ? 0 : nr__serve_auth(q, NR_SCOPE_READ);
}

/* A Host header that is a plain host[:port], or NULL. */
static const char *plain_host(const char *h)
{
	size_t i;

	if (!h || !*h || strlen(h) > 255)
		return NULL;
	for (i = 0; h[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]", h[i]))
			return NULL;
	return h;
}

char *nr__serve_base_url(struct nr__serve_req *q)
{
	const struct nr_serve_config *c = q->srv->cfg;
	const char *host = plain_host(nr__serve_header(q, MHD_HTTP_HEADER_HOST));

	if (c->public_url) /* without its trailing '/' (nr_serve_start) */
		return nr_xstrdup(q->srv->self_url);
	return nr_xasprintf("%s://%s", c->tls_cert ? "https" : "http",
			    host ? host : "localhost");
}

/* ---- requests ---- */

static enum MHD_Result answer(struct nr__serve_req *q)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char num[32];

	store_give_back(q);
	q->answered = true;
	if (!q->status)
		nr__serve_fail(q, 500, "no answer");
	resp = MHD_create_response_from_buffer(q->out.len, q->out.buf, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, q->content_type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (q->html)
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; img-src data:");
	if (q->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, q->location);
	if (q->retry_after_s) {
		snprintf(num, sizeof(num), "%u", q->retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	ret = MHD_queue_response(q->conn, q->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The first call for a request: headers are in, no body read yet. */
static bool begin(struct nr__serve_req *q)
{
	const char *scope = nr__serve_body_scope(q->method, q->path);
	const char *cl = nr__serve_header(q, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t len = 0;

	if (!strcmp(q->method, "GET") || !strcmp(q->method, "HEAD"))
		return true;
	/* no body is read for a route that takes none */
	if (!scope) {
		nr__serve_fail(q, strcmp(q->method, "POST") ? 405 : 404, "%s",
			       strcmp(q->method, "POST") ? "method not allowed" : "no such route");
		return false;
	}
	if (cl && (nr_parse_u64(cl, UINT64_MAX, &len) < 0 || len > q->srv->cfg->body_max)) {
		nr__serve_fail(q, 413, "the body is larger than %zu bytes", q->srv->cfg->body_max);
		return false;
	}
	/* the webhook's body is checked by its signature, not a token */
	return !*scope || nr__serve_auth(q, scope) == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct nr_serve *s = cls;
	struct nr__serve_req *q = *con_cls;

	(void)version;
	if (!q) {
		q = nr_xcalloc(1, sizeof(*q));
		q->srv = s;
		q->conn = conn;
		q->method = method;
		q->path = nr_xstrdup(url);
		q->start_us = nr_mono_us();
		q->out = (struct nr_buf)NR_BUF_INIT;
		q->body = (struct nr_buf)NR_BUF_INIT;
		atomic_fetch_add(&s->in_flight, 1);
		*con_cls = q;
		if (!begin(q)) {
			q->body_refused = true;
			return answer(q); /* before the body: MHD closes the connection after it */
		}
		if (nr__serve_is_upload(q))
			nr__serve_upload_coming(q);
		store_give_back(q);
		return MHD_YES;
	}
	if (q->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->upload_queued) { /* resumed: its transaction ended (serve_upload.c) */
		nr__serve_runs_posted(q);
		return answer(q);
	}
	if (*upload_data_size) {
		if (q->body.len + *upload_data_size > s->cfg->body_max) {
			/* a chunked body past the limit: no answer can be queued mid-body, so close */
			q->status = 413;
			q->body_refused = true;
			return MHD_NO;
		}
		nr_buf_add(&q->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	nr__serve_route(q);
	/* an upload queued is answered when its connection is resumed */
	return q->upload_queued ? MHD_YES : answer(q);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct nr_serve *s = cls;
	struct nr__serve_req *q = *con_cls;
	int64_t took;

	(void)conn;
	if (!q)
		return;
	nr__serve_upload_gone(q); /* one that never came: its body was cut, or too large */
	/*
	 * an upload written and resumed, its connection closed before its
	 * thread answered (the server stopping): logged with the answer it
	 * had, as one answered and cut off in the sending is
	 */
	if (q->upload_queued) {
		nr__serve_runs_posted(q);
		q->answered = true;
	}
	took = nr_mono_us() - q->start_us;
	atomic_fetch_add(&s->counts.requests[q->status / 100 < 6 ? q->status / 100 : 5], 1);
	atomic_fetch_add(&s->counts.latency_us, (unsigned long long)took);
	nr__serve_logf(s, "%s %s %u %zu %.1fms%s%s%s", q->method, q->path,
		       q->answered ? q->status : 0, q->out.len, (double)took / 1e3,
		       q->user ? " user=" : "", q->user ? q->user : "",
		       toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed)");
	store_give_back(q);
	nr_bundle_free(q->up.b); /* resumed, and the connection closed before its answer */
	nr_buf_release(&q->body);
	nr_buf_release(&q->out);
	free(q->location);
	free(q->user);
	free(q->path);
	free(q);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- the daemon ---- */

/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6) bound and listening, CLOEXEC. */
static int listen_on(const char *where, int *ret_fd, unsigned *ret_port, bool *ret_v6,
		     struct nr_diag *d)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *colon = where ? strrchr(where, ':') : NULL;
	char host[256];
	size_t hl;
	int fd = -1, one = 1, r;

	if (!colon || colon == where || !colon[1])
		return nr_diagf(d, NR_EINVAL, "--listen wants ADDR:PORT, not '%s'", where ? where : "");
	hl = (size_t)(colon - where);
	if (where[0] == '[' && hl >= 2 && where[hl - 1] == ']') {
		where++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return nr_diagf(d, NR_EINVAL, "--listen: address too long");
	memcpy(host, where, hl);
	host[hl] = '\0';
	if ((r = getaddrinfo(host, colon + 1, &hints, &ai)) != 0)
		return nr_diagf(d, NR_EINVAL, "--listen %s:%s: %s", host, colon + 1, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = nr_diagf(d, -errno, "cannot listen on %s:%s: %s", host, colon + 1, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return r;
	}
	*ret_v6 = ai->ai_family == AF_INET6;
	*ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						    : ((struct sockaddr_in *)&ss)->sin_port);
	*ret_fd = fd;
	freeaddrinfo(ai);
	return 0;
}

static void serve_free(struct nr_serve *s)
{
	size_t i;

	nr__serve_upload_stop(s);
	nr__serve_wal_stop(s);
	for (i = 0; i < s->n_pool; i++)
		nr_store_close(s->pool[i]);
	free(s->pool);
	nr_store_close(s->upload_st);
	free(s->rates);
	free(s->db);
	if (s->tls_key)
		memset(s->tls_key, 0, strlen(s->tls_key));
	free(s->tls_key);
	free(s->tls_cert);
	free(s->self_url);
	pthread_mutex_destroy(&s->pool_lock);
	pthread_mutex_destroy(&s->upload_lock);
	pthread_mutex_destroy(&s->queue_lock);
	pthread_cond_destroy(&s->queue_grew);
	pthread_mutex_destroy(&s->rate_lock);
	nr__serve_badges_free(s->badges);
	nr_serve_token_cache_free(s->tokens);
	free(s);
}

static int read_pem(const char *path, char **ret, struct nr_diag *d)
{
	struct nr_buf b = NR_BUF_INIT;
	int r = nr_buf_read_file(&b, path);

	if (r < 0) {
		nr_buf_release(&b);
		return nr_diagf(d, NR_EINVAL, "%s: %s", path, nr_strerror(r));
	}
	*ret = nr_buf_detach(&b, NULL);
	return 0;
}

/*
 * The libraries opened on first use that the server calls (base/lazy.h),
 * asked before anything starts: a missing one is a server that does not
 * start, with its package named, not one that aborts at its first
 * request. libcrypto checks every token and webhook signature (and wipes
 * the token cache), libcurl talks to GitHub for the config's repositories.
 */
static int libraries_ready(const struct nr_serve_config *c, struct nr_diag *d)
{
	int r;

	if ((r = nr_lazy_ready(&nr_lazy_libmicrohttpd, d)) < 0 ||
	    (r = nr_lazy_ready(&nr_lazy_libcrypto, d)) < 0)
		return r;
	if (c->n_repos && (r = nr_lazy_ready(&nr_lazy_libcurl, d)) < 0)
		return r;
	return 0;
}

int nr_serve_start(const struct nr_serve_config *c, const char *listen, const char *db,
		   nr_serve_log_fn log, void *log_ctx, struct nr_serve **ret, struct nr_diag *d)
{
	struct nr_serve *s;
	/* uploads wait for their COMMIT suspended (serve_upload.c) */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	bool v6 = false;
	size_t i;
	int fd = -1, r;

	if ((r = libraries_ready(c, d)) < 0)
		return r;
	s = nr_xcalloc(1, sizeof(*s));
	s->cfg = c;
	s->db = nr_xstrdup(db);
	s->log = log;
	s->log_ctx = log_ctx;
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_mutex_init(&s->upload_lock, NULL);
	pthread_mutex_init(&s->queue_lock, NULL);
	nr__serve_upload_init(s);
	s->queue_tail = &s->queue;
	pthread_mutex_init(&s->rate_lock, NULL);
	s->badges = nr__serve_badges_new();
	s->tokens = nr_serve_token_cache_new();
	/* jansson's hash seed, once, before threads use it */
	json_object_seed(0);
	/* a handle per pool thread: a request holds one from start to answer */
	s->pool = nr_xcalloc(c->threads, sizeof(*s->pool));
	for (i = 0; i < c->threads; i++) {
		if ((r = nr_store_open(db, &s->pool[i], d)) < 0)
			goto fail;
		s->n_pool++;
	}
	if ((r = nr_store_open(db, &s->upload_st, d)) == 0)
		s->gather = nr_store_batches(s->upload_st);
	if (r < 0 || (r = nr__serve_wal_start(s, d)) < 0 || (r = nr__serve_upload_start(s, d)) < 0)
		goto fail;
	if (c->tls_cert) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			r = nr_diagf(d, NR_EINVAL, "this libmicrohttpd has no TLS");
			goto fail;
		}
		if ((r = read_pem(c->tls_cert, &s->tls_cert, d)) < 0 ||
		    (r = read_pem(c->tls_key, &s->tls_key, d)) < 0)
			goto fail;
		flags |= MHD_USE_TLS;
	}
	if ((r = listen_on(listen, &fd, &s->port, &v6, d)) < 0)
		goto fail;
	if (v6)
		flags |= MHD_USE_IPv6;
	s->mhd = c->tls_cert
		? MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_THREAD_POOL_SIZE, c->threads,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				   MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
				   MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
				   MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert, MHD_OPTION_END)
		: MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_THREAD_POOL_SIZE, c->threads,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				   MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
				   MHD_OPTION_END);
	if (!s->mhd) {
		close(fd);
		r = nr_diagf(d, NR_EINVAL, "libmicrohttpd did not start%s",
			     c->tls_cert ? " (are tls_cert and tls_key a PEM certificate and its key?)" : "");
		goto fail;
	}
	if (c->public_url) {
		size_t len = strlen(c->public_url);

		while (len && c->public_url[len - 1] == '/')
			len--;
		s->self_url = nr_xstrndup(c->public_url, len);
	} else {
		/* listen_on took "ADDR:PORT": the address as given, the port as bound */
		s->self_url = nr_xasprintf("%s://%.*s:%u", c->tls_cert ? "https" : "http",
					   (int)(strrchr(listen, ':') - listen), listen, s->port);
	}
	if ((r = nr__serve_reporter_start(s, d)) < 0) {
		MHD_stop_daemon(s->mhd);
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	serve_free(s);
	return r;
}

unsigned nr_serve_port(const struct nr_serve *s)
{
	return s->port;
}

void nr_serve_stop(struct nr_serve *s, int64_t drain_us)
{
	int64_t until = nr_mono_us() + drain_us;
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	MHD_socket fd;

	if (!s)
		return;
	/* no new connections; the requests begun finish and are answered */
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (atomic_load(&s->in_flight) > 0 && nr_mono_us() < until)
		nanosleep(&pause, NULL);
	/*
	 * the uploads queued are written and their connections resumed (MHD
	 * must not be stopped with one suspended); one queued after is refused
	 */
	nr__serve_upload_stop(s);
	MHD_stop_daemon(s->mhd);
	nr__serve_reporter_stop(s);
	serve_free(s);
}
