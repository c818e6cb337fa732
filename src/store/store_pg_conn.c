/*
 * The PostgreSQL backend's connection: parameters, statements kept
 * prepared per connection, write transactions sent as pipelines, and
 * connecting again when the server ended the session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/lazy.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/store_pg_int.h"

/* ---- parameters ---- */

void nr__pg_valid_text(struct nr_buf *out, const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = nr_utf8_len(s + i, len - i);
		if (n == 0 || (n == 1 && s[i] == '\0')) {
			nr_buf_addf(out, "%%%02X", (unsigned char)s[i]);
			i++;
		} else {
			nr_buf_add(out, s + i, n);
			i += n;
		}
	}
}

static bool is_utf8(const char *s)
{
	size_t n;

	for (; *s; s += n)
		if ((n = nr_utf8_len(s, 4)) == 0)
			return false;
	return true;
}

static void param(struct nr__pg_params *p, const char *v, int len, int fmt)
{
	if (p->n >= NR__PG_MAX_PARAMS)
		abort(); /* a statement of this file with too many: a bug, caught by every test */
	p->v[p->n] = v;
	p->len[p->n] = len;
	p->fmt[p->n] = fmt;
	p->n++;
}

void nr__pg_text(struct nr__pg_params *p, const char *s)
{
	struct nr_buf b = NR_BUF_INIT;

	if (!s || is_utf8(s)) {
		param(p, s, 0, 0);
		return;
	}
	nr__pg_valid_text(&b, s, strlen(s));
	p->owned[p->n] = nr_buf_detach(&b, NULL);
	param(p, p->owned[p->n], 0, 0);
}

void nr__pg_int(struct nr__pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	param(p, p->num[p->n], 0, 0);
}

void nr__pg_time(struct nr__pg_params *p, int64_t us)
{
	if (us)
		nr__pg_int(p, us);
	else
		param(p, NULL, 0, 0);
}

void nr__pg_real(struct nr__pg_params *p, double v)
{
	/* 17 significant digits give the same double back */
	snprintf(p->num[p->n], sizeof(p->num[0]), "%.17g", v);
	param(p, p->num[p->n], 0, 0);
}

void nr__pg_bytea(struct nr__pg_params *p, const void *data, size_t len)
{
	param(p, len ? data : "", (int)len, 1);
}

/*
 * Array literals (PostgreSQL docs, "Array Value Input"): elements between
 * braces, separated by commas; text in double quotes with \ before " and
 * \; NULL unquoted.
 */
static void array_sep(struct nr_buf *a)
{
	nr_buf_addch(a, a->len ? ',' : '{');
}

void nr__pg_array_text(struct nr_buf *a, const char *s)
{
	struct nr_buf t = NR_BUF_INIT;
	size_t i;

	array_sep(a);
	if (!s) {
		nr_buf_adds(a, "NULL");
		return;
	}
	nr__pg_valid_text(&t, s, strlen(s));
	nr_buf_addch(a, '"');
	for (i = 0; i < t.len; i++) {
		if (t.buf[i] == '"' || t.buf[i] == '\\')
			nr_buf_addch(a, '\\');
		nr_buf_addch(a, t.buf[i]);
	}
	nr_buf_addch(a, '"');
	nr_buf_release(&t);
}

void nr__pg_array_int(struct nr_buf *a, int64_t v)
{
	array_sep(a);
	nr_buf_addf(a, "%lld", (long long)v);
}

void nr__pg_array_real(struct nr_buf *a, double v)
{
	array_sep(a);
	nr_buf_addf(a, "%.17g", v);
}

void nr__pg_array(struct nr__pg_params *p, struct nr_buf *a)
{
	nr_buf_adds(a, a->len ? "}" : "{}");
	p->owned[p->n] = nr_buf_detach(a, NULL);
	param(p, p->owned[p->n], 0, 0);
}

void nr__pg_params_release(struct nr__pg_params *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		free(p->owned[i]);
	memset(p, 0, sizeof(*p));
}

/* ---- results and errors ---- */

const char *nr__pg_val(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

char *nr__pg_col_text(const PGresult *res, int row, int col)
{
	const char *v = nr__pg_val(res, row, col);

	return v ? nr_xstrdup(v) : NULL;
}

int64_t nr__pg_col_i64(const PGresult *res, int row, int col)
{
	const char *v = nr__pg_val(res, row, col);

	return v ? (int64_t)strtoll(v, NULL, 10) : 0;
}

void nr__pg_col_id(const PGresult *res, int row, int col, char out[NR_UUID_LEN + 1])
{
	const char *v = nr__pg_val(res, row, col);

	snprintf(out, NR_UUID_LEN + 1, "%s", v ? v : "");
}

/* libpq's messages end with a newline and may run over several lines: one line. */
static void add_message(struct nr_buf *b, const char *msg)
{
	size_t start = b->len;

	for (; msg && *msg; msg++) {
		bool blank = *msg == '\n' || *msg == '\t' || *msg == ' ';

		if (!blank)
			nr_buf_addch(b, *msg);
		else if (b->len > start && b->buf[b->len - 1] != ' ')
			nr_buf_addch(b, ' ');
	}
	while (b->len > start && b->buf[b->len - 1] == ' ')
		nr_buf_setlen(b, b->len - 1);
}

int nr__pg_error(struct nr__store_pg *st, const PGresult *res, struct nr_diag *d, const char *what)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	struct nr_buf b = NR_BUF_INIT;
	int r;

	add_message(&b, primary ? primary : PQerrorMessage(st->conn));
	if (!b.len)
		nr_buf_adds(&b, "no answer from the server");
	r = nr_diagf(d, NR_ESTORE, "%s: %s", what, b.buf);
	nr_buf_release(&b);
	return r;
}

/* ---- statements ---- */

/* The slot of a constant statement text: by its address, as call sites pass the same string. */
static int stmt_slot(struct nr__store_pg *st, const char *sql)
{
	int i;

	for (i = 0; i < st->n_stmts; i++)
		if (st->stmt_sql[i] == sql)
			return i;
	if (st->n_stmts == NR__PG_MAX_STMTS)
		abort(); /* more statement texts than this file has: a bug */
	st->stmt_sql[st->n_stmts] = sql;
	st->stmt_state[st->n_stmts] = 0;
	return st->n_stmts++;
}

static void stmt_name(char name[16], int slot)
{
	snprintf(name, 16, "nr%d", slot);
}

static bool result_ok(const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static int finish(struct nr__store_pg *st, PGresult *res, PGresult **ret, struct nr_diag *d)
{
	int r = 0;

	if (!res || !result_ok(res))
		r = nr__pg_error(st, res, d, st->shown);
	if (r == 0 && ret)
		*ret = res;
	else
		PQclear(res);
	return r;
}

int nr__pg_exec(struct nr__store_pg *st, const char *sql, struct nr__pg_params *p,
		PGresult **ret, struct nr_diag *d)
{
	struct nr__pg_params none = { 0 };
	int slot = stmt_slot(st, sql);
	char name[16];
	PGresult *res;

	if (!p)
		p = &none;
	stmt_name(name, slot);
	if (st->stmt_state[slot] != 2) {
		res = PQprepare(st->conn, name, sql, 0, NULL);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
			return finish(st, res, NULL, d);
		PQclear(res);
		st->stmt_state[slot] = 2;
	}
	res = PQexecPrepared(st->conn, name, p->n, p->v, p->len, p->fmt, 0);
	return finish(st, res, ret, d);
}

int nr__pg_run(struct nr__store_pg *st, const char *sql, struct nr_diag *d)
{
	return finish(st, PQexec(st->conn, sql), NULL, d);
}

int nr__pg_exec_once(struct nr__store_pg *st, const char *sql, struct nr__pg_params *p,
		     PGresult **ret, struct nr_diag *d)
{
	struct nr__pg_params none = { 0 };

	if (!p)
		p = &none;
	return finish(st, PQexecParams(st->conn, sql, p->n, NULL, p->v, p->len, p->fmt, 0), ret, d);
}

/* ---- write transactions as pipelines ---- */

static void batch_fail(struct nr__pg_batch *b, const PGresult *res)
{
	if (b->r == 0)
		b->r = nr__pg_error(b->st, res, b->d, b->st->shown);
}

/* Sync, and read the result of each message sent since the last sync. */
static void batch_drain(struct nr__pg_batch *b)
{
	PGconn *conn = b->st->conn;
	PGresult *res;
	int k;

	if (PQpipelineSync(conn) != 1) {
		batch_fail(b, NULL);
		b->queued = 0;
		return;
	}
	for (k = 0; k < b->queued; k++) {
		int what = b->what[k];
		ExecStatusType s;

		res = PQgetResult(conn);
		if (!res) { /* the connection broke: nothing more comes */
			batch_fail(b, NULL);
			break;
		}
		s = PQresultStatus(res);
		if (what >= 0)
			b->st->stmt_state[what] = s == PGRES_COMMAND_OK ? 2 : 0;
		if (s == PGRES_FATAL_ERROR)
			batch_fail(b, res);
		/* COMMIT of a transaction that failed answers ROLLBACK, without an error */
		else if (what == -2 && s == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT"))
			b->r = b->r ? b->r : nr_diagf(b->d, NR_ESTORE, "%s: the transaction was rolled back",
						      b->st->shown);
		PQclear(res);
		while ((res = PQgetResult(conn)) != NULL) /* the NULL that ends each one */
			PQclear(res);
	}
	/* the sync's own result, then nothing until the next message */
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType s = PQresultStatus(res);

		PQclear(res);
		if (s == PGRES_PIPELINE_SYNC)
			break;
	}
	b->queued = 0;
}

static void batch_send(struct nr__pg_batch *b, const char *sql, int what, bool prepared,
		       struct nr__pg_params *p)
{
	struct nr__pg_params none = { 0 };
	char name[16];
	int ok;

	if (b->r < 0)
		return;
	if (!p)
		p = &none;
	if (prepared) {
		stmt_name(name, what);
		ok = PQsendQueryPrepared(b->st->conn, name, p->n, p->v, p->len, p->fmt, 0);
		what = -1;
	} else {
		ok = PQsendQueryParams(b->st->conn, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	}
	if (!ok) {
		batch_fail(b, NULL);
		return;
	}
	b->what[b->queued++] = what;
}

void nr__pg_batch_begin(struct nr__store_pg *st, struct nr__pg_batch *b, struct nr_diag *d)
{
	memset(b, 0, sizeof(*b));
	b->st = st;
	b->d = d;
	if (PQenterPipelineMode(st->conn) != 1) {
		batch_fail(b, NULL);
		return;
	}
	b->piped = true;
	batch_send(b, "BEGIN", -1, false, NULL);
}

void nr__pg_batch_add(struct nr__pg_batch *b, const char *sql, struct nr__pg_params *p)
{
	int slot;

	if (b->r < 0)
		return;
	slot = stmt_slot(b->st, sql);
	if (b->st->stmt_state[slot] == 0) {
		char name[16];

		stmt_name(name, slot);
		if (!PQsendPrepare(b->st->conn, name, sql, 0, NULL)) {
			batch_fail(b, NULL);
			return;
		}
		b->st->stmt_state[slot] = 1;
		b->what[b->queued++] = slot;
	}
	batch_send(b, sql, slot, true, p);
	if (b->queued >= 2 * NR__PG_BATCH)
		batch_drain(b); /* inside BEGIN, a sync commits nothing */
}

int nr__pg_batch_end(struct nr__pg_batch *b)
{
	PGconn *conn = b->st->conn;

	if (!b->piped)
		return b->r;
	if (b->r == 0) {
		batch_send(b, "COMMIT", -1, false, NULL);
		if (b->r == 0)
			b->what[b->queued - 1] = -2;
	}
	batch_drain(b);
	PQexitPipelineMode(conn);
	/* a statement that failed left the transaction open, and aborted */
	if (PQtransactionStatus(conn) == PQTRANS_INERROR || PQtransactionStatus(conn) == PQTRANS_INTRANS)
		PQclear(PQexec(conn, "ROLLBACK"));
	return b->r;
}

/* ---- connection and schema ---- */

/* Notices (a NOTICE from a trigger, ...) are not netrig's to print. */
static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* What every session of netrig sets, on connecting and connecting again. */
static int session_setup(PGconn *conn, const char *shown, struct nr_diag *d)
{
	/* every digit of a double, also from servers older than 12 */
	PGresult *res = PQexec(conn, "SET extra_float_digits = 3");
	int r = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = nr_diagf(d, NR_ESTORE, "%s: %s", shown, PQerrorMessage(conn));
	PQclear(res);
	return r;
}

int nr__pg_connect(const char *url, const char *shown, PGconn **ret, struct nr_diag *d)
{
	/*
	 * The URL is expanded in place of "dbname"; what comes after it wins,
	 * what comes before it is a default the URL (or PGCONNECT_TIMEOUT) may
	 * change. Our text is UTF-8 whatever the environment says.
	 */
	const char *timeout = getenv("PGCONNECT_TIMEOUT");
	const char *const keys[] = { "connect_timeout", "dbname", "fallback_application_name",
				     "client_encoding", NULL };
	const char *const vals[] = { timeout && *timeout ? timeout : "10", url, "netrig", "UTF8",
				     NULL };
	struct nr_buf msg = NR_BUF_INIT;
	PGconn *conn;
	int r;

	/* a machine without libpq5 is told so, not aborted at the first PQ call */
	if ((r = nr_lazy_ready(&nr_lazy_libpq, d)) < 0)
		return nr_diagf(d, r, "%s", shown);
	if (!(conn = PQconnectdbParams(keys, vals, 1)))
		return nr_diagf(d, -ENOMEM, "%s: out of memory", shown);
	if (PQstatus(conn) != CONNECTION_OK) {
		add_message(&msg, PQerrorMessage(conn));
		r = nr_diagf(d, NR_ESTORE, "%s: cannot connect: %s", shown, msg.buf ? msg.buf : "");
		nr_buf_release(&msg);
		PQfinish(conn);
		return r;
	}
	PQsetNoticeProcessor(conn, no_notice, NULL);
	if ((r = session_setup(conn, shown, d)) < 0) {
		PQfinish(conn);
		return r;
	}
	*ret = conn;
	return 0;
}

/* The connection's connect_timeout in seconds, as libpq settled it (URL, PGCONNECT_TIMEOUT, ours). */
static int connect_timeout_s(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;
	int s = 10;

	for (o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "connect_timeout") && o->val && *o->val)
			s = (int)strtol(o->val, NULL, 10);
	PQconninfoFree(opts);
	return s > 0 ? s : 10;
}

bool nr__pg_reconnect(struct nr__store_pg *st, struct nr_diag *d)
{
	int64_t deadline_us;
	long wait_ms = 100;
	int i;

	/* a session the server ended is seen only once what it sent is read */
	if (PQstatus(st->conn) != CONNECTION_BAD)
		PQconsumeInput(st->conn);
	if (PQstatus(st->conn) != CONNECTION_BAD)
		return false;
	/*
	 * A server that restarts takes a few seconds to take connections
	 * again: try for as long as a connection may take (connect_timeout,
	 * 10 s unless the URL or PGCONNECT_TIMEOUT says), unless a signal
	 * (^C) comes first.
	 */
	deadline_us = nr_mono_us() + (int64_t)connect_timeout_s(st->conn) * 1000000;
	for (;;) {
		struct timespec ts;

		PQreset(st->conn);
		if (PQstatus(st->conn) == CONNECTION_OK)
			break;
		if (nr_mono_us() + wait_ms * 1000 > deadline_us)
			return false;
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (wait_ms % 1000) * 1000000;
		if (nanosleep(&ts, NULL) < 0)
			return false;
		wait_ms = wait_ms < 1000 ? wait_ms * 2 : 2000;
	}
	if (session_setup(st->conn, st->shown, NULL) < 0)
		return false;
	for (i = 0; i < st->n_stmts; i++)
		st->stmt_state[i] = 0;
	nr_diag_clear(d);
	return true;
}
