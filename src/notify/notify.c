#include "notify/notify.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/lazy.h"
#include "base/mem.h"
#include "exec/exec.h"

static size_t discard(char *ptr, size_t size, size_t n, void *user)
{
	(void)ptr;
	(void)user;
	return size * n;
}

int nr_notify_webhook(const char *url, const char *event, const char *text,
		      const char *run_id, int64_t timeout_us, struct nr_diag *d)
{
	static int initialized;
	json_t *o = json_object();
	struct curl_slist *headers = NULL;
	char *body;
	CURL *curl;
	CURLcode rc;
	long status = 0;
	int r;

	if ((r = nr_lazy_ready(&nr_lazy_libcurl, d)) < 0) {
		json_decref(o);
		return nr_diagf(d, r, "webhook %s", url);
	}
	if (!initialized) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		initialized = 1;
	}
	json_object_set_new(o, "text", json_string(text));
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "run", json_string(run_id ? run_id : ""));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	curl = curl_easy_init();
	if (!curl || !body) {
		free(body);
		if (curl)
			curl_easy_cleanup(curl);
		return nr_diagf(d, NR_EINVAL, "webhook: cannot set up a request");
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout_us / 1000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "netrig");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		r = nr_diagf(d, NR_EEXEC, "webhook %s: %s", url, curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status >= 300)
			r = nr_diagf(d, NR_EEXEC, "webhook %s: HTTP status %ld", url, status);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(body);
	return r;
}

int nr_notify_command(char *const *argv, const char *event, const char *text,
		      const char *run_id, int64_t timeout_us, struct nr_diag *d)
{
	char *env_event = nr_xasprintf("NETRIG_EVENT=%s", event);
	char *env_text = nr_xasprintf("NETRIG_TEXT=%s", text);
	char *env_run = nr_xasprintf("NETRIG_RUN=%s", run_id ? run_id : "");
	char *env[] = { env_event, env_text, env_run, NULL };
	struct nr_exec_spec spec = { .argv = argv, .env = env, .output_limit = 65536 };
	int code = 0, r = nr_exec_run(&spec, timeout_us, &code, NULL, NULL, d);

	if (r == 0 && code != 0)
		r = nr_diagf(d, NR_EEXEC, "notify command '%s' failed (exit %d)", argv[0], code);
	else if (r == NR_ETIMEOUT)
		r = nr_diagf(d, r, "notify command");
	free(env_event);
	free(env_text);
	free(env_run);
	return r;
}
