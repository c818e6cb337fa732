/*
 * netrig serve: the results service; netrig user add and netrig token
 * create|list|revoke: who may use it.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/num.h"
#include "cmd/cmd.h"
#include "serve/serve.h"
#include "store/store.h"

extern const struct nr_cmd nr_cmd_serve;
extern const struct nr_cmd nr_cmd_token;
extern const struct nr_cmd nr_cmd_user;

/* How long SIGTERM waits for the requests in flight. */
#define DRAIN_US (10 * 1000000LL)

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* One line per request on stderr, with the time; lines from many threads do not mix. */
static void log_line(void *ctx, const char *line)
{
	char when[64];

	(void)ctx;
	nr_fmt_time(when, sizeof(when), nr_wall_us());
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s %s\n", when, line);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

static int run_serve(const struct nr_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = g->db_path, *listen = NULL, *config = NULL;
	struct nr_serve_config cfg;
	struct nr_serve *srv = NULL;
	struct nr_diag d = { 0 };
	sigset_t stop, old;
	char *shown;
	int opt, sig = 0;

	while ((opt = getopt_long(argc, argv, "l:d:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			return nr_cmd_usage(&nr_cmd_serve, stdout, NR_EXIT_OK);
		default:
			return nr_cmd_usage(&nr_cmd_serve, stderr, NR_EXIT_USAGE);
		}
	}
	if (optind != argc)
		return nr_cmd_usage(&nr_cmd_serve, stderr, NR_EXIT_USAGE);
	if (config) {
		if (nr_serve_config_load(config, &cfg, &d) < 0)
			return nr_cmd_error("serve", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	} else {
		nr_serve_config_init(&cfg);
	}
	if (!listen)
		listen = cfg.listen ? cfg.listen : "127.0.0.1:8080";
	/*
	 * SIGTERM and SIGINT blocked before the pool's threads start (they
	 * inherit the mask), then taken here with sigwait: no handler runs
	 * inside a request.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	signal(SIGPIPE, SIG_IGN);
	if (nr_serve_start(&cfg, listen, db, log_line, NULL, &srv, &d) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		nr_serve_config_release(&cfg);
		return nr_cmd_error("serve", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	}
	shown = nr_store_location_shown(db);
	/* the port on a line of its own first: a script that asked for port 0 reads it */
	printf("listening on port %u\n", nr_serve_port(srv));
	fflush(stdout);
	fprintf(stderr, "netrig serve: %s on %s, port %u%s, database %s\n",
		cfg.tls_cert ? "https" : "http", listen, nr_serve_port(srv),
		cfg.public_read ? "" : ", reading needs a token", shown);
	free(shown);
	sigwait(&stop, &sig);
	fprintf(stderr, "netrig serve: %s: finishing the requests in flight\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	nr_serve_stop(srv, DRAIN_US);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	nr_serve_config_release(&cfg);
	return NR_EXIT_OK;
}

const struct nr_cmd nr_cmd_serve = {
	.name = "serve",
	.summary = "the results service: uploads of runs and a JSON read API over HTTP(S)",
	.usage = "serve [--listen ADDR:PORT] [--config server.yaml] [--db PATH|URL]\n"
		 "\n"
		 "Serves the database over HTTP (HTTPS with tls_cert and tls_key in the config):\n"
		 "POST /api/v1/runs takes a run pushed with `netrig push` (a push token), and\n"
		 "/api/v1/runs, /api/v1/runs/RUN, /api/v1/compare, /api/v1/history and\n"
		 "/api/v1/changes read it as JSON (docs/serve.md). /api/v1/jobs queues jobs\n"
		 "for workers (a trigger token), lists and cancels them; POST /github/webhook\n"
		 "takes the config's repositories' signed deliveries (a push, a /netrig test\n"
		 "comment) and queues their jobs, whose statuses and reports are posted back\n"
		 "to the config's github.api. --listen defaults to the config's listen, else\n"
		 "127.0.0.1:8080; port 0 takes a free port, printed first on standard output\n"
		 "as \"listening on port N\". One log line per request goes\n"
		 "to standard error. SIGTERM or SIGINT: no new connections, the requests in\n"
		 "flight are answered (for up to 10 s), exit 0.\n"
		 "Exit status: 0 after SIGTERM, 2 bad usage, a bad config, a port in use.",
	.run = run_serve,
};

/* ---- netrig user add NAME ---- */

/* A user's name: 1 to 64 of letters, digits, '.', '_', '-' (it appears in URLs and logs). */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int run_user(const struct nr_global *g, int argc, char **argv)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	int status = NR_EXIT_OK;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return nr_cmd_usage(&nr_cmd_user, stdout, NR_EXIT_OK);
	if (argc != 3 || strcmp(argv[1], "add") != 0)
		return nr_cmd_usage(&nr_cmd_user, stderr, NR_EXIT_USAGE);
	if (!name_ok(argv[2]))
		return nr_cmd_error("user", NR_EXIT_USAGE, "a user's name is 1 to 64 letters, digits,"
				    " '.', '_' or '-' (not first)");
	if (nr_store_open(g->db_path, &st, &d) < 0)
		return nr_cmd_error("user", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	if (nr_store_user_add(st, argv[2], &d) < 0)
		status = nr_cmd_error("user", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	else
		printf("user %s added\n", argv[2]);
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_user = {
	.name = "user",
	.summary = "add a user of netrig serve",
	.usage = "user add NAME\n"
		 "\n"
		 "A user owns the runs they push and the tokens made for them (netrig token).\n"
		 "The database is the server's: netrig --db PATH|URL user add NAME.",
	.run = run_user,
};

/* ---- netrig token create|list|revoke ---- */

/* "90d", or any duration netrig takes ("12h", "30m"). */
static int parse_expiry(const char *s, int64_t *ret_us)
{
	size_t n = strlen(s);
	uint64_t days;
	char num[32];

	if (n > 1 && n < sizeof(num) && s[n - 1] == 'd') {
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (nr_parse_u64(num, 100000, &days) < 0 || !days)
			return NR_EINVAL;
		*ret_us = (int64_t)days * 86400 * 1000000LL;
		return 0;
	}
	return nr_parse_duration_us(s, ret_us) < 0 || *ret_us <= 0 ? NR_EINVAL : 0;
}

static int token_create(struct nr_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "scope", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *scope = NULL;
	char token[NR_SERVE_TOKEN_LEN + 1], id[NR_TOKEN_ID_LEN + 1];
	struct nr_diag d = { 0 };
	int64_t expires_us = 0;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "u:s:e:", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			user = optarg;
			break;
		case 's':
			scope = optarg;
			break;
		case 'e':
			if (parse_expiry(optarg, &expires_us) < 0)
				return nr_cmd_error("token", NR_EXIT_USAGE,
						    "--expires wants a duration: 90d, 12h, 30m");
			break;
		default:
			return nr_cmd_usage(&nr_cmd_token, stderr, NR_EXIT_USAGE);
		}
	}
	if (!user || !scope || optind != argc)
		return nr_cmd_usage(&nr_cmd_token, stderr, NR_EXIT_USAGE);
	if (!nr_serve_scope_valid(scope))
		return nr_cmd_error("token", NR_EXIT_USAGE, "--scope is push, trigger, read or admin");
	if (nr_serve_token_create(st, user, scope, expires_us ? nr_wall_us() + expires_us : 0, token,
				  id, &d) < 0)
		return nr_cmd_error("token", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	/* the only time the token is shown: the database keeps its SHA-256 */
	printf("%s\n", token);
	fprintf(stderr, "netrig token: token %s of %s (%s) made; it is shown this once\n", id, user,
		scope);
	return NR_EXIT_OK;
}

static int token_list(struct nr_store *st)
{
	struct nr_token_rec *v = NULL;
	struct nr_diag d = { 0 };
	char created[64], expires[64], revoked[64];
	int64_t now = nr_wall_us();
	size_t n = 0, i;

	if (nr_store_tokens_list(st, &v, &n, &d) < 0)
		return nr_cmd_error("token", NR_EXIT_INFRA, "%s", nr_diag_msg(&d));
	printf("%-16s  %-16s  %-8s  %-20s  %-20s  %s\n", "ID", "USER", "SCOPE", "CREATED", "EXPIRES",
	       "STATE");
	for (i = 0; i < n; i++) {
		nr_fmt_time(created, sizeof(created), v[i].created_us);
		if (v[i].expires_us)
			nr_fmt_time(expires, sizeof(expires), v[i].expires_us);
		else
			snprintf(expires, sizeof(expires), "never");
		if (v[i].revoked_us)
			snprintf(revoked, sizeof(revoked), "revoked");
		else
			snprintf(revoked, sizeof(revoked), "%s",
				 v[i].expires_us && now >= v[i].expires_us ? "expired" : "valid");
		printf("%-16s  %-16s  %-8s  %-20s  %-20s  %s\n", v[i].id, v[i].user, v[i].scope,
		       created, expires, revoked);
	}
	nr_tokens_free(v, n);
	return NR_EXIT_OK;
}

static int run_token(const struct nr_global *g, int argc, char **argv)
{
	struct nr_store *st = NULL;
	struct nr_diag d = { 0 };
	int status;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return nr_cmd_usage(&nr_cmd_token, stdout, NR_EXIT_OK);
	if (argc < 2 || (strcmp(argv[1], "create") && strcmp(argv[1], "list") &&
			 strcmp(argv[1], "revoke")) ||
	    (!strcmp(argv[1], "list") && argc != 2) || (!strcmp(argv[1], "revoke") && argc != 3))
		return nr_cmd_usage(&nr_cmd_token, stderr, NR_EXIT_USAGE);
	if (nr_store_open(g->db_path, &st, &d) < 0)
		return nr_cmd_error("token", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	if (!strcmp(argv[1], "create")) {
		status = token_create(st, argc - 1, argv + 1);
	} else if (!strcmp(argv[1], "list")) {
		status = token_list(st);
	} else if (nr_store_token_revoke(st, argv[2], &d) < 0) {
		status = nr_cmd_error("token", NR_EXIT_USAGE, "%s", nr_diag_msg(&d));
	} else {
		printf("token %s revoked\n", argv[2]);
		status = NR_EXIT_OK;
	}
	nr_store_close(st);
	return status;
}

const struct nr_cmd nr_cmd_token = {
	.name = "token",
	.summary = "make, list and revoke the tokens of netrig serve's users",
	.usage = "token create --user NAME --scope push|trigger|read|admin [--expires 90d]\n"
		 "       netrig token list\n"
		 "       netrig token revoke ID\n"
		 "\n"
		 "create prints the token on standard output, once: the database keeps only its\n"
		 "SHA-256. A client sends it as \"Authorization: Bearer TOKEN\" (netrig push reads\n"
		 "it from NETRIG_TOKEN). push: upload runs; read: read the API when the server's\n"
		 "config says read: token (every token may read); trigger: queue jobs; admin:\n"
		 "everything. list shows ids, users, scopes and states, never tokens or hashes.\n"
		 "The database is the server's: netrig --db PATH|URL token ...",
	.run = run_token,
};
