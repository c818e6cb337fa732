/*
 * db merge into and out of SQLite files: a file into a file through
 * ATTACH (the rules in SQL, rows never leave SQLite), and the rows of
 * another backend's store or a bundle through temporary tables of the
 * target's connection, by the same rules.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "store/store_sqlite_int.h"

/*
 * Run sql, a write without parameters, and count the rows it changed. A
 * bundle's merge (kept true) runs the handle's kept statements: the same
 * SQL every upload, parsed once; a file's merge names an attached
 * database that is gone afterwards, so its statements are not kept.
 */
static int64_t changes_of(struct nr__store_sqlite *st, bool kept, const char *sql, int *r,
			  struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;

	if (*r < 0)
		return 0;
	if (!kept) {
		*r = nr__store_sqlite_exec(st->db, sql, d);
		return *r < 0 ? 0 : sqlite3_changes(st->db);
	}
	if ((*r = nr__store_sqlite_kept(st, sql, &s, d)) < 0)
		return 0;
	if (sqlite3_step(s) != SQLITE_DONE)
		*r = nr__store_sqlite_error(st->db, d, "merge");
	else
		n = sqlite3_changes(st->db);
	sqlite3_reset(s);
	return n;
}

/*
 * Bring an older source up to this schema without touching the user's
 * file: VACUUM INTO a temporary copy, migrate the copy.
 */
static int source_copy(const char *source, int version, char **ret_path, struct nr_diag *d)
{
	char tmpl[] = "/tmp/netrig-merge.XXXXXX";
	char *sql, *path;
	sqlite3 *copy = NULL;
	int fd = mkstemp(tmpl), r;

	if (fd < 0)
		return nr_diagf(d, -errno, "temporary file: %s", strerror(errno));
	close(fd);
	unlink(tmpl);
	path = nr_xstrdup(tmpl);
	r = nr__store_sqlite_open_db(source, SQLITE_OPEN_READONLY, &copy, d);
	if (r == 0) {
		sql = sqlite3_mprintf("VACUUM INTO %Q", path);
		r = nr__store_sqlite_exec(copy, sql, d);
		sqlite3_free(sql);
		sqlite3_close(copy);
		copy = NULL;
	}
	if (r == 0 && (r = nr__store_sqlite_open_db(path, SQLITE_OPEN_READWRITE, &copy, d)) == 0) {
		r = nr__store_sqlite_migrate(copy, version, d);
		sqlite3_close(copy);
	}
	if (r < 0) {
		unlink(path);
		free(path);
		return r;
	}
	*ret_path = path;
	return 0;
}

/*
 * Whether `source` is a netrig database this merge can read whole, and its
 * schema version. NR_EINVAL (the file is unusable: missing, the target
 * itself, not SQLite, cut short, not netrig's) or NR_ESCHEMA (newer), with
 * a message; these are the user's to fix, unlike a failing target.
 */
static int check_source(struct nr__store_sqlite *st, const char *source, int *ret_version,
			struct nr_diag *d)
{
	sqlite3 *src = NULL;
	sqlite3_stmt *s = NULL;
	struct stat stt, own;
	int r;

	if (stat(source, &stt) < 0)
		return nr_diagf(d, NR_EINVAL, "%s: %s", source, strerror(errno));
	if (!S_ISREG(stt.st_mode))
		return nr_diagf(d, NR_EINVAL, "%s: not a file", source);
	/* by device and inode: another path, a link, the same file */
	if (st && stat(st->path, &own) == 0 && own.st_dev == stt.st_dev && own.st_ino == stt.st_ino)
		return nr_diagf(d, NR_EINVAL, "%s is %s itself: a database is not merged into itself",
				source, st->path);
	if (nr__store_sqlite_open_db(source, SQLITE_OPEN_READONLY, &src, d) < 0)
		return nr_diagf(d, NR_EINVAL, "cannot read it");
	r = nr__store_sqlite_version(src, ret_version, d);
	/* a file cut short reads fine up to where it ends: check every page first */
	if (r == 0 && (r = nr__store_sqlite_prepare(src, "PRAGMA quick_check(1)", &s, d)) == 0) {
		if (sqlite3_step(s) != SQLITE_ROW)
			r = nr__store_sqlite_error(src, d, "not a whole database");
		else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
			r = nr_diagf(d, NR_ESTORE, "not a whole database: %s",
				     (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	sqlite3_close(src);
	if (r < 0)
		return nr_diagf(d, NR_EINVAL, "%s", source);
	if (*ret_version > NR_STORE_SCHEMA_VERSION)
		return nr_diagf(d, NR_ESCHEMA, "%s: schema version %d is newer than this netrig's %d",
				source, *ret_version, NR_STORE_SCHEMA_VERSION);
	return 0;
}

/* Run the SQL fmt with its one %s the source's table prefix ("src." or "temp.m_"). */
static int64_t changes_fmt(struct nr__store_sqlite *st, bool kept, const char *src,
			   const char *fmt, int *r, struct nr_diag *d)
{
	char *sql = sqlite3_mprintf(fmt, src);
	int64_t n = changes_of(st, kept, sql, r, d);

	sqlite3_free(sql);
	return n;
}

/*
 * The samples of an attached file of this schema: series by what they
 * are, attempts by their id (numbers differ from file to file). LEFT
 * JOINs: a sample that finds no attempt or series here fails (NOT NULL),
 * never vanishes.
 */
static int64_t file_samples(struct nr__store_sqlite *st, int *r, struct nr_diag *d)
{
	changes_of(st, false, "INSERT INTO series (role, metric, unit) SELECT role, metric, unit"
		       " FROM src.series WHERE true ON CONFLICT DO NOTHING", r, d);
	return changes_of(st, false,
		"INSERT INTO sample_rows (attempt, seq, repeat, series, value, orig_value, orig_unit,"
		" interval) SELECT a.n, s.seq, s.repeat, se.id, s.value, s.orig_value, s.orig_unit,"
		" s.interval FROM src.sample_rows s JOIN src.attempts sa ON sa.n = s.attempt"
		" JOIN src.series ss ON ss.id = s.series LEFT JOIN attempts a ON a.id = sa.id"
		" LEFT JOIN series se ON se.role = ss.role AND se.metric = ss.metric"
		" AND se.unit = ss.unit"
		" WHERE " NR__SQLITE_SAMPLE_FINITE " ORDER BY a.n, s.seq ON CONFLICT DO NOTHING", r, d);
}

/* The samples staged in temp.m_samples, in the columns of the view samples: the same rules. */
static int64_t staged_samples(struct nr__store_sqlite *st, int *r, struct nr_diag *d)
{
	changes_of(st, true, "INSERT INTO series (role, metric, unit) SELECT DISTINCT role, metric, unit"
		       " FROM temp.m_samples s WHERE " NR__SQLITE_SAMPLE_FINITE
		       " ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING", r, d);
	return changes_of(st, true,
		"INSERT INTO sample_rows (attempt, seq, repeat, series, value, orig_value, orig_unit,"
		" interval) SELECT a.n, s.seq, s.repeat, se.id, s.value, nullif(s.orig_value, s.value),"
		" nullif(s.orig_unit, s.unit), s.interval FROM temp.m_samples s"
		" LEFT JOIN attempts a ON a.id = s.attempt_id AND a.case_id = s.case_id"
		" LEFT JOIN series se ON se.role = s.role AND se.metric = s.metric AND se.unit = s.unit"
		" WHERE " NR__SQLITE_SAMPLE_FINITE " ORDER BY a.n, s.seq ON CONFLICT DO NOTHING", r, d);
}

/*
 * The rules of a merge, in SQL, table by table, from the tables `src`
 * names ("src." an attached file of this schema; "temp.m_" rows staged in
 * the merge's columns, staged true): a run or case already here is
 * brought forward when the source saw more of it; everything else is
 * added once. Counts into m; *r the first error.
 */
static void merge_rows(struct nr__store_sqlite *st, const char *src, bool staged,
		       struct nr_merge_stats *m, int *r, struct nr_diag *d)
{
	m->runs = changes_fmt(st, staged, src,
		"INSERT INTO runs (id, campaign, campaign_path, config, config_hash, commit_sha, branch,"
		" labels, status, reason, controller, netrig_version, pid, started_at, finished_at,"
		" pid_start, heartbeat, options)"
		" SELECT id, campaign, campaign_path, config, config_hash, commit_sha, branch, labels,"
		" status, reason, controller, netrig_version, pid, started_at, finished_at,"
		" pid_start, heartbeat, options FROM %sruns WHERE true"
		" ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason,"
		" controller = excluded.controller, pid = excluded.pid,"
		" pid_start = excluded.pid_start, heartbeat = excluded.heartbeat,"
		" finished_at = excluded.finished_at"
		" WHERE runs.status IS NOT excluded.status AND excluded.finished_at IS NOT NULL"
		" AND (runs.finished_at IS NULL OR excluded.finished_at > runs.finished_at)", r, d);
	changes_fmt(st, staged, src, "INSERT INTO hosts (id, run_id, name, transport, address, sysinfo, labels,"
		       " optional) SELECT id, run_id, name, transport, address, sysinfo, labels,"
		       " optional FROM %shosts WHERE true"
		       " ON CONFLICT DO NOTHING", r, d);
	m->cases = changes_fmt(st, staged, src,
		"INSERT INTO cases (id, run_id, ordinal, test, key, params, status, repeats,"
		" repeats_done, attempts, started_at, finished_at, ping_count, ssh_check_count,"
		" hosts, error)"
		" SELECT id, run_id, ordinal, test, key, params, status, repeats, repeats_done,"
		" attempts, started_at, finished_at, ping_count, ssh_check_count, hosts, error"
		" FROM %scases WHERE true"
		" ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
		" repeats_done = excluded.repeats_done, attempts = excluded.attempts,"
		" started_at = excluded.started_at, finished_at = excluded.finished_at,"
		" ping_count = excluded.ping_count, ssh_check_count = excluded.ssh_check_count,"
		" hosts = excluded.hosts, error = excluded.error"
		" WHERE excluded.attempts > cases.attempts"
		" OR (excluded.status IS NOT cases.status AND excluded.finished_at IS NOT NULL"
		"     AND cases.finished_at IS NULL)", r, d);
	m->attempts = changes_fmt(st, staged, src,
		"INSERT INTO attempts (id, case_id, number, repeat, outcome, exit_code, signal,"
		" started_at, finished_at, error, superseded)"
		" SELECT id, case_id, number, repeat, outcome, exit_code, signal, started_at,"
		" finished_at, error, superseded FROM %sattempts WHERE true"
		/* an attempt superseded there (--rerun after the copy) is here too */
		" ON CONFLICT (id) DO UPDATE SET superseded = 1"
		" WHERE excluded.superseded <> 0 AND attempts.superseded = 0", r, d);
	changes_fmt(st, staged, src, "INSERT INTO outputs (attempt_id, role, host, stream, size, dropped,"
		       " compression, data) SELECT attempt_id, role, host, stream, size, dropped,"
		       " compression, data FROM %soutputs WHERE true ON CONFLICT DO NOTHING", r, d);
	if (staged)
		m->samples = staged_samples(st, r, d);
	else
		m->samples = file_samples(st, r, d);
	changes_fmt(st, staged, src, "INSERT INTO metrics (name, unit, better) SELECT name, unit, better"
		       " FROM %smetrics WHERE true ON CONFLICT DO NOTHING", r, d);
	changes_fmt(st, staged, src, "INSERT INTO events (id, run_id, case_id, time, host, kind, message)"
		       " SELECT id, run_id, case_id, time, host, kind, message FROM %sevents"
		       " WHERE true ON CONFLICT DO NOTHING", r, d);
	changes_fmt(st, staged, src, "INSERT INTO uploads (run_id, user_name, uploaded_at)"
		       " SELECT run_id, user_name, uploaded_at FROM %suploads"
		       " WHERE true ON CONFLICT DO NOTHING", r, d);
}

int nr__store_sqlite_merge(struct nr_store *st, const char *source, struct nr_merge_stats *ret,
			   struct nr_diag *d)
{
	sqlite3 *db = ((struct nr__store_sqlite *)st)->db;
	struct nr_merge_stats m = { 0 };
	char *attach_path = NULL, *sql;
	int version = 0, r;

	if ((r = check_source((struct nr__store_sqlite *)st, source, &version, d)) < 0)
		return r;
	if (version == 0)
		return 0; /* an empty database: nothing to add */
	if (version < NR_STORE_SCHEMA_VERSION) {
		if ((r = source_copy(source, version, &attach_path, d)) < 0)
			return r;
	} else {
		attach_path = nr_xstrdup(source);
	}
	sql = sqlite3_mprintf("ATTACH DATABASE %Q AS src", attach_path);
	r = nr__store_sqlite_exec(db, sql, d);
	sqlite3_free(sql);
	if (r < 0)
		goto out;
	r = nr__store_sqlite_begin(db, d);
	merge_rows((struct nr__store_sqlite *)st, "src.", false, &m, &r, d);
	r = nr__store_sqlite_end(db, r, d);
	nr__store_sqlite_exec(db, "DETACH DATABASE src", NULL);
	if (r == 0)
		*ret = m;
out:
	if (attach_path && strcmp(attach_path, source) != 0)
		unlink(attach_path);
	free(attach_path);
	return r;
}


/* ---- rows out of a file, rows into a file ---- */

int nr__store_sqlite_open_source(const char *location, struct nr_store **ret, struct nr_diag *d)
{
	char *copy = NULL;
	sqlite3 *db = NULL;
	int version = 0, r;

	if ((r = check_source(NULL, location, &version, d)) < 0)
		return r;
	if (version > 0 && version < NR_STORE_SCHEMA_VERSION &&
	    (r = source_copy(location, version, &copy, d)) < 0)
		return r;
	if (version > 0) {
		r = nr__store_sqlite_open_db(copy ? copy : location, SQLITE_OPEN_READONLY, &db, d);
		/* one read transaction: every table from the same moment */
		if (r == 0)
			r = nr__store_sqlite_exec(db, "BEGIN; SELECT count(*) FROM meta", d);
		if (r < 0) {
			sqlite3_close(db);
			if (copy)
				unlink(copy);
			free(copy);
			return nr_diagf(d, NR_EINVAL, "%s", location);
		}
	}
	*ret = nr__store_sqlite_new(db, location, version, copy);
	return 0;
}

int nr__store_sqlite_export_rows(struct nr_store *base, const struct nr__store_table *t,
				 const char *run_id, nr__store_row_fn fn, void *ctx,
				 struct nr_diag *d)
{
	struct nr__store_sqlite *st = (struct nr__store_sqlite *)base;
	struct nr__store_value *row = nr_xcalloc(t->n, sizeof(*row));
	char (*ids)[NR_UUID_LEN + 1] = nr_xcalloc(t->n, sizeof(*ids));
	struct nr_buf sql = NR_BUF_INIT;
	sqlite3_stmt *s = NULL;
	size_t i;
	int r, rc = SQLITE_DONE;

	/* names from the table list, never from data */
	nr_buf_addf(&sql, "SELECT %s FROM %s", t->columns, t->name);
	if (run_id)
		nr_buf_addf(&sql, " WHERE %s", t->run_filter ? t->run_filter : "false");
	if (t->ordered)
		nr_buf_adds(&sql, " ORDER BY rowid");
	r = nr__store_sqlite_prepare(st->db, sql.buf, &s, d);
	if (r == 0 && run_id && t->run_filter)
		nr__sqlite_bind_id(s, 1, run_id);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < t->n; i++) {
			int k = (int)i;

			memset(&row[i], 0, sizeof(row[i]));
			row[i].null = sqlite3_column_type(s, k) == SQLITE_NULL;
			if (row[i].null)
				continue;
			switch (t->kinds[i]) {
			case NR__STORE_INT:
				row[i].i = sqlite3_column_int64(s, k);
				break;
			case NR__STORE_REAL:
				row[i].f = sqlite3_column_double(s, k);
				break;
			case NR__STORE_BLOB:
				row[i].p = sqlite3_column_blob(s, k);
				row[i].len = (size_t)sqlite3_column_bytes(s, k);
				if (!row[i].p)
					row[i].p = "";
				break;
			case NR__STORE_ID: /* its text, as every other store carries it */
				nr__sqlite_col_id(s, k, ids[i]);
				row[i].p = ids[i];
				row[i].len = strlen(ids[i]);
				break;
			default:
				row[i].p = (const char *)sqlite3_column_text(s, k);
				row[i].len = (size_t)sqlite3_column_bytes(s, k);
				if (!row[i].p)
					row[i].p = "";
			}
		}
		r = fn(ctx, row, d);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = nr_diagf(d, NR_EINVAL, "%s: reading %s: %s", st->path, t->name,
			     sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	nr_buf_release(&sql);
	free(ids);
	free(row);
	return r;
}

struct import_ctx {
	sqlite3 *db;
	sqlite3_stmt *s;
	const struct nr__store_table *t;
	size_t rows; /* staged into t's table */
};

static int insert_row(void *p, const struct nr__store_value *row, struct nr_diag *d)
{
	struct import_ctx *c = p;
	unsigned char id[16];
	size_t i;

	/* SQLite keeps NaN as NULL, which the column refuses: such a sample is not merged */
	if (c->t->finite >= 0 && (row[c->t->finite].null || !isfinite(row[c->t->finite].f)))
		return 0;
	sqlite3_reset(c->s);
	for (i = 0; i < c->t->n; i++) {
		int k = (int)i + 1;

		if (row[i].null) {
			sqlite3_bind_null(c->s, k);
			continue;
		}
		switch (c->t->kinds[i]) {
		case NR__STORE_INT:
			sqlite3_bind_int64(c->s, k, row[i].i);
			break;
		case NR__STORE_REAL:
			sqlite3_bind_double(c->s, k, row[i].f);
			break;
		case NR__STORE_BLOB:
			sqlite3_bind_blob64(c->s, k, row[i].p, row[i].len, SQLITE_TRANSIENT);
			break;
		case NR__STORE_ID:
			/* checked here, where the row is named: the staging table takes anything */
			if (!nr__sqlite_id_parse(row[i].p, row[i].len, id))
				return nr_diagf(d, NR_EINVAL, "a row of %s: '%.*s' is not an id",
						c->t->name, (int)(row[i].len > 40 ? 40 : row[i].len),
						row[i].p);
			sqlite3_bind_blob(c->s, k, id, sizeof(id), SQLITE_TRANSIENT);
			break;
		default:
			sqlite3_bind_text64(c->s, k, row[i].p, row[i].len, SQLITE_TRANSIENT, SQLITE_UTF8);
		}
	}
	if (sqlite3_step(c->s) != SQLITE_DONE)
		return nr_diagf(d, NR_EINVAL, "a row of %s does not fit: %s", c->t->name,
				sqlite3_errmsg(c->db));
	c->rows++;
	return 0;
}

/*
 * The staging tables temp.m_* of this connection, made once (the first
 * merge of another backend's rows) and kept: each merge empties them in
 * its transaction, before and after its rows. Made outside a transaction:
 * temp holds nothing another connection sees, and a rollback of a merge
 * must not take them away.
 */
int nr__store_sqlite_staging_make(struct nr__store_sqlite *st, struct nr_diag *d)
{
	struct nr_buf sql = NR_BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; !st->staging && r == 0 && i < nr__store_n_tables; i++) {
		/* names and columns from the table list, never from data */
		nr_buf_reset(&sql);
		nr_buf_addf(&sql, "CREATE TEMP TABLE IF NOT EXISTS m_%s AS SELECT %s FROM main.%s"
			    " WHERE false", nr__store_tables[i].name, nr__store_tables[i].columns,
			    nr__store_tables[i].name);
		r = nr__store_sqlite_exec(st->db, sql.buf, d);
	}
	if (r == 0)
		st->staging = true;
	nr_buf_release(&sql);
	return r;
}

/* Empty the staging tables that got rows (staged[i]), in the merge's transaction. */
static void staging_empty(struct nr__store_sqlite *st, const bool *staged, int *r,
			  struct nr_diag *d)
{
	char sql[128];
	size_t i;

	for (i = 0; *r == 0 && i < nr__store_n_tables; i++) {
		if (!staged[i])
			continue;
		snprintf(sql, sizeof(sql), "DELETE FROM temp.m_%s", nr__store_tables[i].name);
		changes_of(st, true, sql, r, d);
	}
}

/*
 * Another backend's rows (a PostgreSQL database, a bundle) staged in
 * temporary tables of this connection in the merge's columns, then merged
 * from there by the rules of a file's merge, in one transaction with the
 * staging: nothing of a source that fails halfway stays (the rollback
 * empties the staging tables too), and no file is made (a bundle of a few
 * samples costs no more than its rows).
 */
int nr__store_sqlite_import_from(struct nr_store *base, struct nr_store *src,
				 struct nr_merge_stats *ret, struct nr_diag *d)
{
	struct nr__store_sqlite *st = (struct nr__store_sqlite *)base;
	struct import_ctx c = { st->db, NULL, NULL, 0 };
	bool *staged = nr_xcalloc(nr__store_n_tables, sizeof(*staged));
	struct nr_merge_stats m = { 0 };
	struct nr_buf sql = NR_BUF_INIT;
	size_t i, k;
	int r;

	if ((r = nr__store_sqlite_staging_make(st, d)) < 0 || (r = nr__store_sqlite_begin(c.db, d)) < 0) {
		free(staged);
		return r;
	}
	/*
	 * The staging tables are empty here: made empty, emptied at the end
	 * of each merge, and a rollback (of a merge, of its savepoint in a
	 * batch, of a batch) brings them back to how they were at its
	 * beginning. So only those this merge fills are emptied, at its end
	 * (an upload fills 7 of 11: 11 DELETEs less than emptying all twice).
	 */
	for (i = 0; r == 0 && i < nr__store_n_tables; i++) {
		c.t = &nr__store_tables[i];
		c.rows = 0;
		nr_buf_reset(&sql);
		nr_buf_addf(&sql, "INSERT INTO temp.m_%s (%s) VALUES (?", c.t->name, c.t->columns);
		for (k = 1; k < c.t->n; k++)
			nr_buf_adds(&sql, ", ?");
		nr_buf_addch(&sql, ')');
		if ((r = nr__store_sqlite_kept(st, sql.buf, &c.s, d)) < 0)
			break;
		r = src->ops->export_rows(src, c.t, NULL, insert_row, &c, d);
		staged[i] = c.rows > 0;
		sqlite3_reset(c.s);
	}
	if (r == 0)
		merge_rows(st, "temp.m_", true, &m, &r, d);
	staging_empty(st, staged, &r, d);
	r = nr__store_sqlite_end(c.db, r, d);
	free(staged);
	nr_buf_release(&sql);
	if (r == 0)
		*ret = m;
	return r;
}
