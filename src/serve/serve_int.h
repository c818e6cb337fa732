/*
 * What the server's files share (serve_http.c: the daemon, requests,
 * store handles, rate limits, logs; serve_api.c: the routes). Internal to
 * serve/.
 */
#ifndef NR_SERVE_INT_H
#define NR_SERVE_INT_H

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "base/buf.h"
#include "serve/serve.h"
#include "store/store.h"

/* Counters for /metrics. */
struct nr__serve_counts {
	atomic_ullong requests[6]; /* by status class: [1] 1xx ... [5] 5xx */
	atomic_ullong uploads;     /* bundles stored */
	atomic_ullong checkpoints; /* of the WAL, by its thread (serve_wal.c) */
	atomic_ullong batches;     /* transactions of more than one upload (serve_upload.c) */
	atomic_ullong transactions; /* of uploads, one or more each, committed or not */
	atomic_ullong latency_us;  /* sum over requests */
};

struct nr_serve {
	const struct nr_serve_config *cfg;
	struct MHD_Daemon *mhd;
	char *db;
	unsigned port;
	nr_serve_log_fn log;
	void *log_ctx;
	/* store handles, one per request at a time (an SQLite handle is not shared between threads) */
	pthread_mutex_t pool_lock;
	struct nr_store **pool;
	size_t n_pool;
	/*
	 * one bundle import at a time: an owner check and the merge after it
	 * must not interleave. Through a handle of their own, used only
	 * under the lock: its page cache stays warm (a pool handle finds the
	 * file changed by the others' uploads and reads it again), and its
	 * staging tables and statements are made once.
	 */
	pthread_mutex_t upload_lock;
	struct nr_store *upload_st;
	/* uploads waiting for the upload lock, written as one batch (serve_upload.c) */
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_grew; /* an upload joined the queue, or one coming will not, or stop */
	struct nr__serve_upload *queue, **queue_tail;
	pthread_t writer;     /* writes the queue's batches */
	bool writer_started;
	bool writer_stop;     /* asked to end once the queue is empty */
	bool writer_gone;     /* ended: nothing more is queued */
	bool gather;  /* the store writes a batch in one transaction: worth waiting for (SQLite) */
	int coming;   /* uploads begun (headers read, token good) and not queued yet */
	unsigned queued;     /* uploads in the queue */
	int64_t last_queued_us; /* when an upload last joined the queue (nr_mono_us) */
	unsigned last_batch;    /* uploads in the batch written last */
	struct nr_serve_token_cache *tokens; /* tokens found good lately (serve_auth.c) */
	/* per-token request budget (a token bucket each) */
	pthread_mutex_t rate_lock;
	struct nr__serve_rate *rates;
	size_t n_rates, cap_rates;
	atomic_int in_flight; /* requests begun and not completed */
	struct nr__serve_counts counts;
	struct nr__serve_badges *badges; /* badges made, by campaign (serve_pages.c) */
	char *tls_key, *tls_cert; /* PEM text for MHD */
	char *self_url; /* the base of links posted to GitHub: public_url, or http://ADDR:PORT */
	struct nr__serve_reporter *reporter; /* reports jobs' ends to GitHub; NULL: not configured */
	struct nr__serve_wal *wal; /* checkpoints SQLite's WAL; NULL: no WAL (PostgreSQL) */
};

struct nr__serve_rate {
	char token_id[NR_TOKEN_ID_LEN + 1];
	double tokens;     /* requests it may make now */
	int64_t last_us;   /* when tokens was computed */
};

/*
 * An upload waiting to be written (serve_upload.c): a bundle read and
 * checked, its connection suspended until the writer has committed it,
 * and how its write ended.
 */
struct nr__serve_upload {
	struct nr_bundle *b;
	const char *user;
	struct MHD_Connection *conn; /* resumed once r, res and d are set */
	int r; /* nr_store_bundle_add's, or the batch's COMMIT's */
	struct nr_bundle_result res;
	struct nr_diag d;
	bool coming; /* counted in srv->coming until it joins the queue */
	struct nr__serve_upload *next;
};

/* One request, from its first bytes to its last. */
struct nr__serve_req {
	struct nr_serve *srv;
	struct MHD_Connection *conn;
	const char *method; /* MHD's, valid for the request */
	char *path;         /* the decoded path, without the query */
	int64_t start_us;
	struct nr_buf body;
	bool body_refused;  /* a response went out before the body was read */
	bool upload_coming; /* an upload counted in srv->coming */
	bool upload_queued; /* an upload queued (its connection suspended) and not answered */
	bool answered;
	/* the token's user once authenticated (free), and its id */
	char *user;
	char token_id[NR_TOKEN_ID_LEN + 1];
	struct nr_store *st; /* a pool handle while the request uses the store */
	/* the response */
	unsigned status;
	struct nr_buf out;
	const char *content_type;
	char *location;
	unsigned retry_after_s;
	bool html; /* a page: served with a Content-Security-Policy that runs and fetches nothing */
	struct nr__serve_upload up; /* POST /api/v1/runs: its bundle while it waits for its COMMIT */
};

/* A query argument (decoded), or NULL. */
const char *nr__serve_arg(struct nr__serve_req *q, const char *key);
/* A request header, or NULL. */
const char *nr__serve_header(struct nr__serve_req *q, const char *key);
/* An error answer: {"error": {"status": N, "message": "..."}}; returns -1. */
int nr__serve_fail(struct nr__serve_req *q, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A JSON answer from text (taken over). */
void nr__serve_json(struct nr__serve_req *q, unsigned status, struct nr_buf *json);
/*
 * Authenticate the request for `scope`: 0 with q->user set, or -1 with
 * the error answered (401, 403, 429 for a token over its rate, 500).
 */
int nr__serve_auth(struct nr__serve_req *q, const char *scope);
/* Whether reading needs a token, and if so, that the request has one (else -1, answered). */
int nr__serve_auth_read(struct nr__serve_req *q);
/* A store handle for this request (q->st), or -1 answered 503. */
int nr__serve_store(struct nr__serve_req *q);
/* The server's base URL for the URLs it answers with (free it). */
char *nr__serve_base_url(struct nr__serve_req *q);
/* Log a line (escaped: paths and messages come from outside). */
void nr__serve_logf(struct nr_serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- routes (serve_api.c) ---- */

/* Whether the request's route takes a body, and the scope it needs before the body is read. */
const char *nr__serve_body_scope(const char *method, const char *path);
/* Answer a complete request. */
void nr__serve_route(struct nr__serve_req *q);
/* Answer an upload whose transaction ended (q->up, nr__serve_upload): 201, 200 or its error. */
void nr__serve_runs_posted(struct nr__serve_req *q);
/* Whether the request is an upload (POST /api/v1/runs). */
bool nr__serve_is_upload(const struct nr__serve_req *q);
/* A run (or job) selector in a path or argument: an id or its prefix (hex and '-'), or latest. */
bool nr__serve_selector_ok(const char *s);
/* Answer a dashboard page's route (serve_pages.c); false: not one of them. */
bool nr__serve_route_pages(struct nr__serve_req *q);

/* ---- jobs (serve_jobs.c) ---- */

/* The scope of a body route that is checked by its own means (the webhook's signature). */
#define NR__SERVE_NO_TOKEN ""
/* The scope of a jobs or webhook route that takes a body, or NULL. */
const char *nr__serve_jobs_body_scope(const char *method, const char *path);
/* Answer the request when it is a jobs or webhook route: true then. */
bool nr__serve_jobs_route(struct nr__serve_req *q);
/* A job as the API shows it (no campaign text; the run's URL under base). */
json_t *nr__serve_job_json(const struct nr_job_rec *j, const char *base);
/*
 * A JSON body parsed (duplicate keys refused, nesting within the config's
 * limit): 0 with *ret (decref it), or -1 answered 400.
 */
int nr__serve_body_json(struct nr__serve_req *q, json_t **ret);
/* The store's error answered: not found 404, ambiguous 400, else 500 (logged). */
void nr__serve_store_fail(struct nr__serve_req *q, int r, const struct nr_diag *d);
/* A string for JSON (text that is not UTF-8 escaped), or null for NULL. */
json_t *nr__serve_jstr(const char *s);
/* Queue job (its id and creation time set here) in q's store: 0, or -1 answered. */
int nr__serve_job_add(struct nr__serve_req *q, struct nr_job_rec *job);
/* A JSON document answered with status (taken over). */
void nr__serve_json_doc(struct nr__serve_req *q, unsigned status, json_t *doc);

/* ---- GitHub (serve_github.c) ---- */

/* POST /github/webhook */
void nr__serve_github_webhook(struct nr__serve_req *q);
/*
 * A call to the configured GitHub API: METHOD base+path with the token,
 * body (JSON text or NULL). *ret_status: the HTTP status; the answer
 * (up to 1 MiB) into ret_answer (may be NULL). NR_EPROTO when the API
 * cannot be reached (the message never holds the token).
 */
int nr__serve_github_call(const struct nr_serve_config *c, const char *method, const char *path,
			  const char *body, long *ret_status, struct nr_buf *ret_answer,
			  struct nr_diag *d);

/*
 * libcurl's global init, once (serve_client.c): 0, or NR_ENOLIB with a
 * message in *d when libcurl cannot be loaded (base/lazy.h); a handle's
 * options as every call of netrig serve's wants them: timeouts, the
 * answer appended to answer, http(s) only, no redirect followed (a token
 * stays with the host it was meant for).
 */
int nr__serve_curl_init(struct nr_diag *d);
void nr__serve_curl_setup(CURL *curl, long timeout_ms, long connect_ms, struct nr_buf *answer);

/* ---- reporting back (serve_report_back.c) ---- */

/* Start the thread that reports jobs with an origin to GitHub (when the config has repositories). */
int nr__serve_reporter_start(struct nr_serve *s, struct nr_diag *d);
/* Stop it (a report in flight finishes first). */
void nr__serve_reporter_stop(struct nr_serve *s);

/* ---- group commit (serve_upload.c) ---- */

/*
 * An upload's headers were read and its token is good: a batch being
 * gathered waits for it (serve_upload.c). Every upload counted so is
 * either queued (nr__serve_upload with u->coming) or uncounted by
 * nr__serve_upload_gone; q->upload_coming says which is left to do.
 */
void nr__serve_upload_init(struct nr_serve *s);
void nr__serve_upload_coming(struct nr__serve_req *q);
void nr__serve_upload_gone(struct nr__serve_req *q);
/* The writer's thread: started with the server (upload_st open), stopped before MHD is. */
int nr__serve_upload_start(struct nr_serve *s, struct nr_diag *d);
void nr__serve_upload_stop(struct nr_serve *s);
/*
 * Queue q->up (b and user set) to be stored with the uploads waiting
 * beside it, in one transaction, and suspend q's connection: MHD calls
 * the handler again once that transaction has ended (up.r, res, d
 * set; q->upload_queued). -1 when the writer has ended (the server
 * stops): nothing queued, nothing suspended.
 */
int nr__serve_upload(struct nr__serve_req *q);

/* ---- SQLite's WAL (serve_wal.c) ---- */

/*
 * Checkpoint the WAL in a thread of its own instead of in the uploads'
 * commits (s->upload_st open); nothing on a backend without one.
 */
int nr__serve_wal_start(struct nr_serve *s, struct nr_diag *d);
/* Stop it (a checkpoint in flight ends first); before upload_lock and upload_st go. */
void nr__serve_wal_stop(struct nr_serve *s);

/* ---- pages (serve_pages.c) ---- */

/* The badge cache (serve_pages.c): made when the server starts, freed when it stops. */
struct nr__serve_badges *nr__serve_badges_new(void);
void nr__serve_badges_free(struct nr__serve_badges *b);
/* The SVG badge of a campaign's latest run. */
void nr__serve_badge(struct nr__serve_req *q, const char *campaign);
/* A run's HTML report; a campaign's (its latest run's, against its branch). */
void nr__serve_run_page(struct nr__serve_req *q, const char *sel);
void nr__serve_campaign_page(struct nr__serve_req *q, const char *campaign);
/* Prometheus text: runs by status, uploads, requests by status class, latency. */
void nr__serve_metrics(struct nr__serve_req *q);

/* ---- the dashboard's pages (serve_pages*.c): HTML, no script, every value escaped ---- */

/* GET /: the campaigns, each with its latest run's verdict and sparklines of its key series. */
void nr__serve_index_page(struct nr__serve_req *q);
/* GET /users/NAME: a user's uploads and the charts of their series. */
void nr__serve_user_page(struct nr__serve_req *q, const char *user);
/* GET /queue: running, queued and finished jobs; GET /jobs/ID: one job. */
void nr__serve_queue_page(struct nr__serve_req *q);
void nr__serve_job_page(struct nr__serve_req *q, const char *sel);
/* GET /runs/RUN/log: a run's events and the tails of its attempts' outputs. */
void nr__serve_run_log_page(struct nr__serve_req *q, const char *sel);

/* Answer with a page (taken over): 200, HTML, served under the pages' policy. */
void nr__serve_page(struct nr__serve_req *q, struct nr_buf *page);
/* The links every dashboard page has (markup for nr_report_html_begin's nav). */
extern const char nr__serve_nav[];
/*
 * s percent-encoded (every byte but letters, digits and -._~): nothing in
 * it ends a path segment, a query value or an attribute.
 */
void nr__serve_urlenc(struct nr_buf *out, const char *s);
/* An <a> to prefix + name (percent-encoded) + suffix (trusted, may be NULL), showing `text` escaped. */
void nr__serve_link(struct nr_buf *out, const char *prefix, const char *name, const char *suffix,
		    const char *text);
/* The verdict of a campaign's latest run (its badge's word: passing, regression, ...). */
int nr__serve_verdict(struct nr__serve_req *q, const struct nr_run_rec *latest,
		      const char **ret_word, struct nr_diag *d);

#endif
