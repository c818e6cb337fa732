/*
 * The SQLite backend's part of netrig serve: users, tokens (hashes only),
 * who uploaded which run, and which runs a client pushed where. Every
 * statement takes its values as parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_sqlite_int.h"

#define DB(st) (((struct nr__store_sqlite *)(st))->db)
#define SQ(st) ((struct nr__store_sqlite *)(st))

/* Step a statement that returns no rows; *ret_changes the rows it changed. */
static int step_write(sqlite3 *db, sqlite3_stmt *s, int *ret_changes, struct nr_diag *d)
{
	int r = 0;

	if (sqlite3_step(s) != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "write");
	else if (ret_changes)
		*ret_changes = sqlite3_changes(db);
	sqlite3_finalize(s);
	return r;
}

int nr__store_sqlite_user_add(struct nr_store *st, const char *id, const char *name,
			      int64_t now_us, struct nr_diag *d)
{
	sqlite3_stmt *s;
	int changes = 0, r;

	r = nr__store_sqlite_prepare(DB(st), "INSERT INTO users (id, name, created_at)"
				     " VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", &s, d);
	if (r < 0)
		return r;
	nr__sqlite_bind_id(s, 1, id);
	nr__sqlite_bind_text(s, 2, name);
	sqlite3_bind_int64(s, 3, now_us);
	if ((r = step_write(DB(st), s, &changes, d)) < 0)
		return r;
	return changes ? 0 : nr_diagf(d, NR_EINVAL, "a user '%s' exists already", name);
}

int nr__store_sqlite_token_add(struct nr_store *st, const struct nr_token_rec *t,
			       struct nr_diag *d)
{
	sqlite3_stmt *s;
	int changes = 0, r;

	r = nr__store_sqlite_prepare(DB(st),
		"INSERT INTO tokens (id, user_id, scope, hash, created_at, expires_at)"
		" SELECT ?, u.id, ?, ?, ?, ? FROM users u WHERE u.name = ?", &s, d);
	if (r < 0)
		return r;
	nr__sqlite_bind_text(s, 1, t->id);
	nr__sqlite_bind_text(s, 2, t->scope);
	nr__sqlite_bind_text(s, 3, t->hash);
	sqlite3_bind_int64(s, 4, t->created_us);
	if (t->expires_us)
		sqlite3_bind_int64(s, 5, t->expires_us);
	else
		sqlite3_bind_null(s, 5);
	nr__sqlite_bind_text(s, 6, t->user);
	if ((r = step_write(DB(st), s, &changes, d)) < 0)
		return r;
	return changes ? 0 : nr_diagf(d, NR_ENOTFOUND, "no user '%s' (netrig user add NAME)", t->user);
}

#define TOKEN_COLUMNS \
	"SELECT t.id, u.name, t.scope, t.hash, t.created_at, coalesce(t.expires_at, 0)," \
	" coalesce(t.revoked_at, 0) FROM tokens t JOIN users u ON u.id = t.user_id"

static void read_token(sqlite3_stmt *s, struct nr_token_rec *t)
{
	const unsigned char *id = sqlite3_column_text(s, 0), *hash = sqlite3_column_text(s, 3);

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id ? (const char *)id : "");
	t->user = nr__sqlite_col_text(s, 1);
	t->scope = nr__sqlite_col_text(s, 2);
	snprintf(t->hash, sizeof(t->hash), "%s", hash ? (const char *)hash : "");
	t->created_us = sqlite3_column_int64(s, 4);
	t->expires_us = sqlite3_column_int64(s, 5);
	t->revoked_us = sqlite3_column_int64(s, 6);
}

int nr__store_sqlite_token_get(struct nr_store *st, const char *id, struct nr_token_rec *ret,
			       struct nr_diag *d)
{
	sqlite3_stmt *s;
	int rc, r;

	/* kept: a server asks it at every request with a token */
	r = nr__store_sqlite_kept(SQ(st), TOKEN_COLUMNS " WHERE t.id = ?", &s, d);
	if (r < 0)
		return r;
	nr__sqlite_bind_text(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_token(s, ret);
	else if (rc == SQLITE_DONE)
		r = nr_diagf(d, NR_ENOTFOUND, "no token %s", id);
	else
		r = nr__store_sqlite_error(DB(st), d, "tokens");
	sqlite3_reset(s);
	return r;
}

int nr__store_sqlite_tokens_list(struct nr_store *st, struct nr_token_rec **ret, size_t *ret_n,
				 struct nr_diag *d)
{
	struct nr_token_rec *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, r;

	r = nr__store_sqlite_prepare(DB(st), TOKEN_COLUMNS " ORDER BY t.created_at, t.id", &s, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = nr__grow(v, sizeof(*v), n + 1, &cap);
		read_token(s, &v[n++]);
	}
	if (rc != SQLITE_DONE) {
		r = nr__store_sqlite_error(DB(st), d, "tokens");
		nr_tokens_free(v, n);
	} else {
		*ret = v;
		*ret_n = n;
	}
	sqlite3_finalize(s);
	return r;
}

int nr__store_sqlite_token_revoke(struct nr_store *st, const char *id, int64_t now_us,
				  struct nr_diag *d)
{
	sqlite3_stmt *s;
	int changes = 0, r;

	r = nr__store_sqlite_prepare(DB(st), "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?)"
				     " WHERE id = ?", &s, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, now_us);
	nr__sqlite_bind_text(s, 2, id);
	if ((r = step_write(DB(st), s, &changes, d)) < 0)
		return r;
	return changes ? 0 : nr_diagf(d, NR_ENOTFOUND, "no token %s", id);
}

int nr__store_sqlite_upload_owner(struct nr_store *st, const char *run_id, bool *ret_exists,
				  char **ret_user, struct nr_diag *d)
{
	sqlite3_stmt *s;
	int rc, r;

	/* kept: a server asks it at every upload */
	r = nr__store_sqlite_kept(SQ(st), "SELECT u.user_name FROM runs r"
				     " LEFT JOIN uploads u ON u.run_id = r.id WHERE r.id = ?", &s, d);
	if (r < 0)
		return r;
	nr__sqlite_bind_id(s, 1, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*ret_exists = rc == SQLITE_ROW;
		*ret_user = rc == SQLITE_ROW ? nr__sqlite_col_text(s, 0) : NULL;
	} else {
		r = nr__store_sqlite_error(DB(st), d, "uploads");
	}
	sqlite3_reset(s);
	return r;
}

int nr__store_sqlite_push_mark(struct nr_store *st, const char *run_id, const char *server,
			       const char *url, int64_t now_us, struct nr_diag *d)
{
	sqlite3_stmt *s;
	int r;

	r = nr__store_sqlite_prepare(DB(st), "INSERT INTO pushes (run_id, server, url, pushed_at)"
				     " VALUES (?, ?, ?, ?) ON CONFLICT (run_id, server)"
				     " DO UPDATE SET url = excluded.url, pushed_at = excluded.pushed_at",
				     &s, d);
	if (r < 0)
		return r;
	nr__sqlite_bind_id(s, 1, run_id);
	nr__sqlite_bind_text(s, 2, server);
	nr__sqlite_bind_text(s, 3, url);
	sqlite3_bind_int64(s, 4, now_us);
	return step_write(DB(st), s, NULL, d);
}

int nr__store_sqlite_runs_unpushed(struct nr_store *st, const char *server, struct nr_strvec *ret,
				   struct nr_diag *d)
{
	struct nr_strvec v = { 0 };
	char id[NR_UUID_LEN + 1];
	sqlite3_stmt *s;
	int rc, r;

	r = nr__store_sqlite_prepare(DB(st), "SELECT r.id FROM runs r WHERE r.status <> 'running'"
				     " AND NOT EXISTS (SELECT 1 FROM pushes p WHERE p.run_id = r.id"
				     " AND p.server = ?) ORDER BY r.started_at, r.id", &s, d);
	if (r < 0)
		return r;
	nr__sqlite_bind_text(s, 1, server);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nr__sqlite_col_id(s, 0, id);
		nr_strvec_push(&v, id);
	}
	if (rc != SQLITE_DONE) {
		r = nr__store_sqlite_error(DB(st), d, "pushes");
		nr_strvec_clear(&v);
	} else {
		*ret = v;
	}
	sqlite3_finalize(s);
	return r;
}

#define IDS_OF_JSON "SELECT uuid_blob(value) FROM json_each(?1) WHERE uuid_str(value) IS NOT NULL"

int nr__store_sqlite_id_elsewhere(struct nr_store *st, const struct nr__store_table *t,
				  const char *ids_json, const char *run_id, char *ret_id,
				  struct nr_diag *d)
{
	/*
	 * One constant statement per table: no SQL is built from a name. The
	 * array's ids as blobs; what is no id (a bundle's) is no id here either.
	 */
	static const struct {
		const char *table, *sql;
	} q[] = {
		{ "hosts", "SELECT id FROM hosts WHERE id IN (" IDS_OF_JSON ")"
			   " AND run_id <> ?2 LIMIT 1" },
		{ "cases", "SELECT id FROM cases WHERE id IN (" IDS_OF_JSON ")"
			   " AND run_id <> ?2 LIMIT 1" },
		{ "events", "SELECT id FROM events WHERE id IN (" IDS_OF_JSON ")"
			    " AND run_id <> ?2 LIMIT 1" },
		{ "attempts", "SELECT a.id FROM attempts a JOIN cases c ON c.id = a.case_id"
			      " WHERE a.id IN (" IDS_OF_JSON ") AND c.run_id <> ?2"
			      " LIMIT 1" },
	};
	sqlite3_stmt *s;
	size_t i;
	int rc, r;

	for (i = 0; i < NR_ARRAY_SIZE(q) && strcmp(q[i].table, t->name); i++)
		;
	ret_id[0] = '\0';
	if (i == NR_ARRAY_SIZE(q))
		return 0;
	if ((r = nr__store_sqlite_kept(SQ(st), q[i].sql, &s, d)) < 0)
		return r;
	nr__sqlite_bind_text(s, 1, ids_json);
	nr__sqlite_bind_id(s, 2, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		nr__sqlite_col_id(s, 0, ret_id);
	else if (rc != SQLITE_DONE)
		r = nr__store_sqlite_error(DB(st), d, t->name);
	sqlite3_reset(s);
	return r;
}

/* ---- the WAL's upkeep (netrig serve) ---- */

static int wal_hook(void *arg, sqlite3 *db, const char *schema, int pages)
{
	struct nr_store_wal_watch *w = arg;

	(void)db;
	(void)schema;
	w->fn(w->ctx, pages);
	return SQLITE_OK;
}

int nr__store_sqlite_wal_watch(struct nr_store *st, struct nr_store_wal_watch *w,
			       int64_t keep_bytes, struct nr_diag *d)
{
	char sql[64];
	int r;

	/*
	 * The WAL is cut back when a writer starts it over (after a
	 * checkpoint copied it all), not when a checkpoint ends: this
	 * handle is the writer.
	 */
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %lld", (long long)keep_bytes);
	if ((r = nr__store_sqlite_exec(DB(st), sql, d)) < 0)
		return r;
	/* the hook takes the place of the automatic checkpoint (SQLite's sqlite3_wal_hook) */
	sqlite3_wal_hook(DB(st), wal_hook, w);
	return 0;
}

int nr__store_sqlite_wal_checkpoint(struct nr_store *st, bool restart, int wait_ms,
				    int *ret_wal_pages, int *ret_copied, struct nr_diag *d)
{
	int log = 0, copied = 0, rc;

	/* RESTART waits in the busy handler: for wait_ms here, then the handle's usual wait again */
	if (restart)
		sqlite3_busy_timeout(DB(st), wait_ms);
	rc = sqlite3_wal_checkpoint_v2(DB(st), NULL,
				       restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
				       &log, &copied);
	if (restart)
		sqlite3_busy_timeout(DB(st), NR__SQLITE_BUSY_MS);
	/* busy: another connection's checkpoint runs, or (RESTART) a writer or reader stayed too long */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return nr__store_sqlite_error(DB(st), d, "checkpoint");
	*ret_wal_pages = log < 0 ? 0 : log;
	*ret_copied = rc == SQLITE_BUSY ? -1 : copied < 0 ? 0 : copied;
	return 0;
}

/* ---- group commit (netrig serve) ---- */

int nr__store_sqlite_batch_begin(struct nr_store *st, struct nr_diag *d)
{
	int r;

	/*
	 * Temporary tables, savepoints' journals and statement journals in
	 * memory, not in files: an upload opened, wrote and unlinked one
	 * each time (the staging tables hold one batch, emptied in each).
	 * Set before the staging tables exist: a change of temp_store drops
	 * the temporary tables.
	 */
	if (!SQ(st)->staging && (r = nr__store_sqlite_exec(DB(st), "PRAGMA temp_store = MEMORY", d)) < 0)
		return r;
	/*
	 * the staging tables first: made in a bundle's savepoint, they would
	 * go with its rollback (or the batch's)
	 */
	if ((r = nr__store_sqlite_staging_make(SQ(st), d)) < 0 ||
	    (r = nr__store_sqlite_exec(DB(st), "BEGIN IMMEDIATE", d)) < 0)
		return r;
	/* from here each write's begin and end on this handle, in this thread, is a savepoint */
	nr__sqlite_batch = DB(st);
	return 0;
}

int nr__store_sqlite_batch_end(struct nr_store *st, int r, struct nr_diag *d)
{
	nr__sqlite_batch = NULL;
	return nr__store_sqlite_end(DB(st), r, d);
}
