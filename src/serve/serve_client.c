/*
 * The client side of netrig serve: a run sent as one bundle with libcurl
 * (POST /api/v1/runs), and remembered as pushed only when the server
 * answered with the run's URL. A server that cannot be reached leaves the
 * run local and unmarked, for `netrig push --all-unpushed`.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/lazy.h"
#include "base/mem.h"
#include "serve/serve_int.h"
#include "store/store.h"

/* An answer longer than this is not a netrig server's. */
#define ANSWER_MAX (64 << 10)
#define PUSH_TIMEOUT_MS 300000L
#define CONNECT_TIMEOUT_MS 10000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int nr__serve_curl_init(struct nr_diag *d)
{
	int r = nr_lazy_ready(&nr_lazy_libcurl, d);

	if (r == 0)
		pthread_once(&curl_once, curl_init);
	return r;
}

static size_t keep(char *p, size_t size, size_t n, void *ctx)
{
	nr_buf_add(ctx, p, size * n);
	return size * n;
}

void nr__serve_curl_setup(CURL *curl, long timeout_ms, long connect_ms, struct nr_buf *answer)
{
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "netrig");
	/* a token goes to the server it was meant for only, never along a redirect */
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
}

char *nr_serve_server_key(const char *server)
{
	size_t n = strlen(server);

	while (n && server[n - 1] == '/')
		n--;
	return nr_xstrndup(server, n);
}

/* The server's "error.message" (escaped), or the start of its answer. */
static char *answer_message(const struct nr_buf *b)
{
	json_t *doc = json_loadb(b->buf, b->len, 0, NULL);
	const char *m = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
	char *r = nr_str_escaped(m ? m : nr_buf_truncated(b) ? "(a long answer)" : b->buf);

	json_decref(doc);
	if (strlen(r) > 300)
		r[300] = '\0';
	return r;
}

int nr_serve_push(struct nr_store *st, const char *run_id, const char *server, const char *token,
		  bool with_outputs, char **ret_url, struct nr_diag *d)
{
	struct nr_buf bundle = NR_BUF_INIT, answer, auth = NR_BUF_INIT;
	struct curl_slist *headers = NULL;
	char *base = nr_serve_server_key(server), *url = NULL, *msg = NULL;
	const char *run_url;
	json_t *doc = NULL;
	long status = 0;
	CURLcode rc;
	CURL *curl;
	int r;

	nr_buf_init(&answer, ANSWER_MAX);
	if ((r = nr__serve_curl_init(d)) < 0 ||
	    (r = nr_store_bundle_export(st, run_id, with_outputs, &bundle, d)) < 0)
		goto out;
	if (!(curl = curl_easy_init())) {
		r = nr_diagf(d, -ENOMEM, "libcurl");
		goto out;
	}
	url = nr_xasprintf("%s/api/v1/runs", base);
	nr_buf_addf(&auth, "Authorization: Bearer %s", token);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, auth.buf);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, bundle.buf);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bundle.len);
	nr__serve_curl_setup(curl, PUSH_TIMEOUT_MS, CONNECT_TIMEOUT_MS, &answer);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	memset(auth.buf, 0, auth.len);
	if (rc != CURLE_OK) {
		r = nr_diagf(d, rc == CURLE_OPERATION_TIMEDOUT ? NR_ETIMEOUT : -ECONNREFUSED,
			     "%s: %s", base, curl_easy_strerror(rc));
		goto out;
	}
	if (status == 200 || status == 201) {
		doc = json_loadb(answer.buf, answer.len, 0, NULL);
		run_url = json_string_value(json_object_get(doc, "url"));
		if (!run_url) {
			r = nr_diagf(d, NR_EPROTO, "%s answered %ld without a run's URL: not a netrig"
				     " server?", base, status);
			goto out;
		}
		if ((r = nr_store_push_mark(st, run_id, base, run_url, d)) < 0)
			goto out;
		*ret_url = nr_xstrdup(run_url);
		goto out;
	}
	msg = answer_message(&answer);
	if (status == 401 || status == 403)
		r = nr_diagf(d, -EACCES, "%s refused the token (%ld): %s", base, status, msg);
	else if (status >= 400 && status < 500 && status != 404 && status != 429)
		r = nr_diagf(d, NR_EINVAL, "%s refused the run (%ld): %s", base, status, msg);
	else
		r = nr_diagf(d, NR_EPROTO, "%s answered %ld: %s", base, status, msg);
out:
	json_decref(doc);
	free(msg);
	free(url);
	free(base);
	nr_buf_release(&auth);
	nr_buf_release(&answer);
	nr_buf_release(&bundle);
	return r;
}
