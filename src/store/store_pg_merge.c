/*
 * db merge into and out of PostgreSQL. In: the source's rows are copied
 * (COPY, the fast way in) into temporary tables of this session, then
 * added with the same rules as SQLite's merge, in one transaction. Out:
 * the rows of one consistent snapshot, one table after another.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/rand.h"
#include "base/str.h"
#include "store/store_pg_int.h"

/* ---- out: a database as a merge source ---- */

int nr__pg_open_source(const char *location, struct nr_store **ret, struct nr_diag *d)
{
	struct nr__store_pg *st;
	int version = 0, r;

	if ((r = nr__pg_new(location, &st, d)) < 0)
		return nr_diagf(d, NR_EINVAL, "cannot read it");
	if ((r = nr__pg_version(st, &version, d)) < 0) {
		r = nr_diagf(d, NR_EINVAL, "%s", st->shown);
	} else if (version == 0) {
		r = nr_diagf(d, NR_EINVAL, "%s: no netrig database there", st->shown);
	} else if (version > NR_STORE_SCHEMA_VERSION) {
		r = nr_diagf(d, NR_ESCHEMA, "%s: schema version %d is newer than this netrig's %d",
			     st->shown, version, NR_STORE_SCHEMA_VERSION);
	} else if (version < NR_STORE_SCHEMA_VERSION) {
		/* a shared database is migrated where it is, by its owner, not copied */
		r = nr_diagf(d, NR_ESCHEMA, "%s: schema version %d is older than this netrig's %d:"
			     " migrate it first (netrig --db URL db migrate)", st->shown, version,
			     NR_STORE_SCHEMA_VERSION);
	} else {
		/* every table from the same moment, while controllers go on writing */
		r = nr__pg_run(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", d);
		if (r < 0)
			r = nr_diagf(d, NR_EINVAL, "%s", st->shown);
	}
	if (r < 0) {
		st->base.ops->close(&st->base);
		return r;
	}
	st->base.opened_version = version;
	*ret = &st->base;
	return 0;
}

/* One row of t from a text result into v; BLOBs unescaped into *blobs (PQfreemem each). */
static void read_export_row(const PGresult *res, const struct nr__store_table *t,
			    struct nr__store_value *v, unsigned char **blobs)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const char *s = nr__pg_val(res, 0, (int)i);

		memset(&v[i], 0, sizeof(v[i]));
		blobs[i] = NULL;
		v[i].null = !s;
		if (!s)
			continue;
		switch (t->kinds[i]) {
		case NR__STORE_INT:
			v[i].i = strtoll(s, NULL, 10);
			break;
		case NR__STORE_REAL:
			v[i].f = strtod(s, NULL); /* "Infinity", "NaN" too */
			break;
		case NR__STORE_BLOB:
			blobs[i] = PQunescapeBytea((const unsigned char *)s, &v[i].len);
			v[i].p = blobs[i] ? (const char *)blobs[i] : "";
			break;
		default:
			v[i].p = s;
			v[i].len = (size_t)PQgetlength(res, 0, (int)i);
		}
	}
}

int nr__pg_export_rows(struct nr_store *base, const struct nr__store_table *t, const char *run_id,
		       nr__store_row_fn fn, void *ctx, struct nr_diag *d)
{
	struct nr__store_pg *st = NR__PG(base);
	struct nr__store_value *row = nr_xcalloc(t->n, sizeof(*row));
	unsigned char **blobs = nr_xcalloc(t->n, sizeof(*blobs));
	struct nr_buf sql = NR_BUF_INIT;
	PGresult *res;
	size_t i;
	int r = 0;

	/* names from the table list, never from data; a row at a time, however many */
	nr_buf_addf(&sql, "SELECT %s FROM %s", t->columns, t->name);
	if (run_id)
		nr_buf_addf(&sql, " WHERE %s", t->run_filter ? t->run_filter : "false");
	if (t->ordered)
		nr_buf_adds(&sql, " ORDER BY ord");
	if (!PQsendQueryParams(st->conn, sql.buf, run_id && t->run_filter ? 1 : 0, NULL,
			       &run_id, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(st->conn))
		r = nr__pg_error(st, NULL, d, st->shown);
	while ((res = PQgetResult(st->conn)) != NULL) {
		ExecStatusType s = PQresultStatus(res);

		if (r == 0 && s == PGRES_SINGLE_TUPLE) {
			read_export_row(res, t, row, blobs);
			r = fn(ctx, row, d);
			for (i = 0; i < t->n; i++)
				PQfreemem(blobs[i]);
			if (r < 0) { /* the rest is not wanted: stop the server sending it */
				PGcancel *c = PQgetCancel(st->conn);
				char err[256];

				if (c)
					PQcancel(c, err, sizeof(err));
				PQfreeCancel(c);
			}
		} else if (r == 0 && s != PGRES_TUPLES_OK && s != PGRES_SINGLE_TUPLE) {
			r = nr__pg_error(st, res, d, st->shown);
		}
		PQclear(res);
	}
	nr_buf_release(&sql);
	free(blobs);
	free(row);
	return r;
}

/* ---- in: rows from any source ---- */

/* A row's value in COPY's text format (PostgreSQL docs, COPY, "Text Format"). */
static void copy_value(struct nr_buf *b, enum nr__store_kind kind, const struct nr__store_value *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u;
	size_t i, n;

	if (v->null) {
		nr_buf_adds(b, "\\N");
		return;
	}
	switch (kind) {
	case NR__STORE_INT:
		nr_buf_addf(b, "%lld", (long long)v->i);
		break;
	case NR__STORE_REAL:
		if (isnan(v->f))
			nr_buf_adds(b, "NaN");
		else if (isinf(v->f))
			nr_buf_adds(b, v->f > 0 ? "Infinity" : "-Infinity");
		else
			nr_buf_addf(b, "%.17g", v->f);
		break;
	case NR__STORE_BLOB: /* bytea's hex form, its backslash doubled for COPY */
		nr_buf_adds(b, "\\\\x");
		for (u = (const unsigned char *)v->p, i = 0; i < v->len; i++) {
			nr_buf_addch(b, hex[u[i] >> 4]);
			nr_buf_addch(b, hex[u[i] & 15]);
		}
		break;
	default:
		/* UTF-8 as nr__pg_text makes it; then COPY's escapes */
		for (i = 0; i < v->len; i += n) {
			char c = v->p[i];

			n = nr_utf8_len(v->p + i, v->len - i);
			if (n == 0 || c == '\0') {
				nr_buf_addf(b, "%%%02X", (unsigned char)c);
				n = 1;
			} else if (c == '\\') {
				nr_buf_adds(b, "\\\\");
			} else if (c == '\n') {
				nr_buf_adds(b, "\\n");
			} else if (c == '\r') {
				nr_buf_adds(b, "\\r");
			} else if (c == '\t') {
				nr_buf_adds(b, "\\t");
			} else {
				nr_buf_add(b, v->p + i, n);
			}
		}
	}
}

struct copy_ctx {
	struct nr__store_pg *st;
	const struct nr__store_table *t;
	struct nr_buf line;
};

static int copy_row(void *p, const struct nr__store_value *row, struct nr_diag *d)
{
	struct copy_ctx *c = p;
	size_t i;

	nr_buf_reset(&c->line);
	for (i = 0; i < c->t->n; i++) {
		if (i)
			nr_buf_addch(&c->line, '\t');
		copy_value(&c->line, c->t->kinds[i], &row[i]);
	}
	nr_buf_addch(&c->line, '\n');
	if (PQputCopyData(c->st->conn, c->line.buf, (int)c->line.len) != 1)
		return nr__pg_error(c->st, NULL, d, c->st->shown);
	return 0;
}

/*
 * A row the source holds that does not fit this schema (not a UUID, a
 * number out of range, a case without its run) is the source's fault,
 * not the target's: NR_EINVAL, as for an unusable SQLite file.
 */
static int merge_error(struct nr__store_pg *st, PGresult *res, struct nr_diag *d, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int r = nr__pg_error(st, res, d, what);

	if (state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)))
		r = nr_diagf(d, NR_EINVAL, "the source's rows do not fit");
	return r;
}

/* COPY the rows src exports of table t into this session's m_<t>. */
static int copy_table(struct nr__store_pg *st, struct nr_store *src,
		      const struct nr__store_table *t, struct nr_diag *d)
{
	struct copy_ctx c = { st, t, NR_BUF_INIT };
	struct nr_buf sql = NR_BUF_INIT;
	PGresult *res;
	int r = 0;

	/* the staging table: the target's columns and types, no constraints, and the source's order */
	nr_buf_addf(&sql, "CREATE TEMPORARY TABLE m_%s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA;"
		    "ALTER TABLE m_%s ADD COLUMN m_n bigint GENERATED ALWAYS AS IDENTITY",
		    t->name, t->columns, t->name, t->name);
	res = PQexec(st->conn, sql.buf);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = nr__pg_error(st, res, d, st->shown);
	PQclear(res);
	if (r < 0)
		goto out;
	nr_buf_reset(&sql);
	nr_buf_addf(&sql, "COPY m_%s (%s) FROM STDIN", t->name, t->columns);
	res = PQexec(st->conn, sql.buf);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		r = nr__pg_error(st, res, d, st->shown);
	PQclear(res);
	if (r < 0)
		goto out;
	r = src->ops->export_rows(src, t, NULL, copy_row, &c, d);
	/* an export that failed ends the COPY with an error: nothing of it stays */
	if (PQputCopyEnd(st->conn, r < 0 ? "the source failed" : NULL) != 1 && r == 0)
		r = nr__pg_error(st, NULL, d, st->shown);
	while ((res = PQgetResult(st->conn)) != NULL) {
		if (r == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			r = merge_error(st, res, d, t->name);
		PQclear(res);
	}
out:
	nr_buf_release(&sql);
	nr_buf_release(&c.line);
	return r;
}

/*
 * The rules of the SQLite backend's merge (store_sqlite_merge.c), table by
 * table: a run or case already here is brought forward when the source
 * saw more of it; everything else is added once.
 */
static const char *const upserts[] = {
	"INSERT INTO runs (id, campaign, campaign_path, config, config_hash, commit_sha, branch,"
	" labels, status, reason, controller, netrig_version, pid, started_at, finished_at,"
	" pid_start, heartbeat, options)"
	" SELECT id, campaign, campaign_path, config, config_hash, commit_sha, branch, labels,"
	" status, reason, controller, netrig_version, pid, started_at, finished_at,"
	" pid_start, heartbeat, options FROM m_runs ORDER BY m_n"
	" ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason,"
	" controller = excluded.controller, pid = excluded.pid,"
	" pid_start = excluded.pid_start, heartbeat = excluded.heartbeat,"
	" finished_at = excluded.finished_at"
	" WHERE runs.status IS DISTINCT FROM excluded.status AND excluded.finished_at IS NOT NULL"
	" AND (runs.finished_at IS NULL OR excluded.finished_at > runs.finished_at)",
	"INSERT INTO hosts (id, run_id, name, transport, address, sysinfo, labels, optional)"
	" SELECT id, run_id, name, transport, address, sysinfo, labels, optional FROM m_hosts"
	" ORDER BY m_n"
	" ON CONFLICT DO NOTHING",
	"INSERT INTO cases (id, run_id, ordinal, test, key, params, status, repeats,"
	" repeats_done, attempts, started_at, finished_at, ping_count, ssh_check_count,"
	" hosts, error)"
	" SELECT id, run_id, ordinal, test, key, params, status, repeats, repeats_done,"
	" attempts, started_at, finished_at, ping_count, ssh_check_count, hosts, error"
	" FROM m_cases ORDER BY m_n"
	" ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
	" repeats_done = excluded.repeats_done, attempts = excluded.attempts,"
	" started_at = excluded.started_at, finished_at = excluded.finished_at,"
	" ping_count = excluded.ping_count, ssh_check_count = excluded.ssh_check_count,"
	" hosts = excluded.hosts, error = excluded.error"
	" WHERE excluded.attempts > cases.attempts"
	" OR (excluded.status IS DISTINCT FROM cases.status AND excluded.finished_at IS NOT NULL"
	"     AND cases.finished_at IS NULL)",
	"INSERT INTO attempts (id, case_id, number, repeat, outcome, exit_code, signal,"
	" started_at, finished_at, error, superseded)"
	" SELECT id, case_id, number, repeat, outcome, exit_code, signal, started_at,"
	" finished_at, error, superseded FROM m_attempts ORDER BY m_n"
	/* an attempt superseded there (--rerun after the copy) is here too */
	" ON CONFLICT (id) DO UPDATE SET superseded = 1"
	" WHERE excluded.superseded <> 0 AND attempts.superseded = 0",
	"INSERT INTO outputs (attempt_id, role, host, stream, size, dropped, compression, data)"
	" SELECT attempt_id, role, host, stream, size, dropped, compression, data"
	" FROM m_outputs ORDER BY m_n ON CONFLICT DO NOTHING",
	/*
	 * Two statements (PQexec gives the last one's count): the series, in
	 * order, then the samples, which see them; LEFT JOINs: a sample that
	 * finds no attempt of its case or series fails (NOT NULL), never vanishes.
	 */
	"INSERT INTO series (role, metric, unit) SELECT DISTINCT role, metric, unit FROM m_samples s"
	" WHERE " NR__PG_SAMPLE_FINITE " ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING;"
	"INSERT INTO sample_rows (attempt, seq, repeat, series, value, orig_value, orig_unit,"
	" interval) SELECT a.n, s.seq, s.repeat, se.id, s.value, nullif(s.orig_value, s.value),"
	" nullif(s.orig_unit, s.unit), s.interval FROM m_samples s"
	" LEFT JOIN attempts a ON a.id = s.attempt_id AND a.case_id = s.case_id"
	" LEFT JOIN series se ON se.role = s.role AND se.metric = s.metric AND se.unit = s.unit"
	" WHERE " NR__PG_SAMPLE_FINITE " ORDER BY m_n ON CONFLICT DO NOTHING",
	"INSERT INTO metrics (name, unit, better) SELECT name, unit, better"
	" FROM m_metrics ORDER BY m_n ON CONFLICT DO NOTHING",
	"INSERT INTO events (id, run_id, case_id, time, host, kind, message)"
	" SELECT id, run_id, case_id, time, host, kind, message FROM m_events ORDER BY m_n"
	" ON CONFLICT DO NOTHING",
	"INSERT INTO uploads (run_id, user_name, uploaded_at)"
	" SELECT run_id, user_name, uploaded_at FROM m_uploads ORDER BY m_n"
	" ON CONFLICT DO NOTHING",
};

/* The oid of the runs table the session's search path finds, as text. */
static char *runs_oid(struct nr__store_pg *st, struct nr_diag *d)
{
	static const char sql[] = "SELECT to_regclass('runs')::oid";
	PGresult *res = NULL;
	char *oid = NULL;

	if (nr__pg_exec_once(st, sql, NULL, &res, d) == 0)
		oid = nr__pg_col_text(res, 0, 0);
	PQclear(res);
	return oid ? oid : nr_xstrdup("");
}

/*
 * Whether src is this very database (another URL, the same tables). Two
 * schemas of one database are two netrig databases: the tables must be
 * the same (their oid), and the database too: an advisory lock belongs to
 * its database, whoever holds it, so a lock this session holds that src
 * cannot take says so. The key is random, taken and given back here.
 */
static int same_database(struct nr__store_pg *st, struct nr__store_pg *src, bool *ret,
			 struct nr_diag *d)
{
	static const char lock[] = "SELECT pg_advisory_lock($1)";
	static const char unlock[] = "SELECT pg_advisory_unlock($1)";
	static const char try_lock[] = "SELECT pg_try_advisory_lock($1)";
	struct nr__pg_params p = { 0 };
	char *oid_st = runs_oid(st, d), *oid_src = runs_oid(src, d);
	PGresult *res = NULL;
	int64_t key;
	int r = 0;

	*ret = false;
	if (strcmp(oid_st, oid_src) != 0)
		goto out;
	nr_random_bytes(&key, sizeof(key));
	nr__pg_int(&p, key);
	if ((r = nr__pg_exec_once(st, lock, &p, NULL, d)) < 0)
		goto out;
	r = nr__pg_exec_once(src, try_lock, &p, &res, d);
	if (r == 0) {
		*ret = strcmp(PQgetvalue(res, 0, 0), "t") != 0;
		if (!*ret) /* another database: src took it */
			PQclear(PQexecParams(src->conn, unlock, p.n, NULL, p.v, p.len, p.fmt, 0));
	}
	PQclear(PQexecParams(st->conn, unlock, p.n, NULL, p.v, p.len, p.fmt, 0));
out:
	PQclear(res);
	nr__pg_params_release(&p);
	free(oid_st);
	free(oid_src);
	return r;
}

int nr__pg_import_from(struct nr_store *base, struct nr_store *src, struct nr_merge_stats *ret,
		       struct nr_diag *d)
{
	struct nr__store_pg *st = NR__PG(base);
	int64_t *counts[NR_ARRAY_SIZE(upserts)] = { 0 };
	struct nr_merge_stats m = { 0 };
	PGresult *res;
	bool same = false;
	size_t i;
	int r;

	if (src->ops == &nr__store_pg_ops) {
		if ((r = same_database(st, NR__PG(src), &same, d)) < 0)
			return r;
		if (same)
			return nr_diagf(d, NR_EINVAL, "%s is %s itself: a database is not merged into"
					" itself", NR__PG(src)->shown, st->shown);
	}
	counts[0] = &m.runs;
	counts[2] = &m.cases;
	counts[3] = &m.attempts;
	counts[5] = &m.samples;
	r = nr__pg_run(st, "BEGIN", d);
	for (i = 0; r == 0 && i < nr__store_n_tables; i++)
		r = copy_table(st, src, &nr__store_tables[i], d);
	for (i = 0; r == 0 && i < NR_ARRAY_SIZE(upserts); i++) {
		res = PQexec(st->conn, upserts[i]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			r = merge_error(st, res, d, nr__store_tables[i].name);
		else if (counts[i])
			*counts[i] = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	res = PQexec(st->conn, r == 0 ? "COMMIT" : "ROLLBACK");
	if (r == 0 && (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT")))
		r = nr__pg_error(st, res, d, st->shown);
	PQclear(res);
	if (r == 0)
		*ret = m;
	return r;
}
