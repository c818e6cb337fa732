/*
 * The SQLite backend: one file, WAL, one transaction per logical write.
 * synchronous=NORMAL in WAL mode survives a killed process (not a power
 * cut), at ~18 us per transaction here instead of ~490 us with FULL.
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/store_sqlite_int.h"

#define SQ(st) ((struct nr__store_sqlite *)(st))
#define DB(st) (SQ(st)->db)

/*
 * migrations[v] takes a file from schema version v to v + 1. Never edit
 * one that has shipped: add the next.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema */
	NR__SQLITE_META
	"CREATE TABLE runs ("
	"  id TEXT PRIMARY KEY, campaign TEXT NOT NULL, campaign_path TEXT,"
	"  config TEXT NOT NULL, config_hash TEXT NOT NULL, commit_sha TEXT, branch TEXT,"
	"  labels TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, reason TEXT,"
	"  controller TEXT, netrig_version TEXT,"
	"  started_at INTEGER NOT NULL, finished_at INTEGER);"
	"CREATE INDEX runs_campaign ON runs (campaign, started_at);"
	"CREATE TABLE hosts ("
	"  id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id),"
	"  name TEXT NOT NULL, transport TEXT NOT NULL, address TEXT, sysinfo TEXT,"
	"  UNIQUE (run_id, name));"
	"CREATE TABLE cases ("
	"  id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id),"
	"  ordinal INTEGER NOT NULL, test TEXT NOT NULL, key TEXT NOT NULL,"
	"  params TEXT NOT NULL, status TEXT NOT NULL, repeats INTEGER NOT NULL,"
	"  repeats_done INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER, finished_at INTEGER,"
	"  ping_count INTEGER NOT NULL DEFAULT 0, ssh_check_count INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT, UNIQUE (run_id, key));"
	"CREATE INDEX cases_run ON cases (run_id, ordinal);"
	"CREATE TABLE attempts ("
	"  id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases (id),"
	"  number INTEGER NOT NULL, repeat INTEGER NOT NULL, outcome TEXT NOT NULL,"
	"  exit_code INTEGER, signal INTEGER, started_at INTEGER NOT NULL,"
	"  finished_at INTEGER NOT NULL, error TEXT, UNIQUE (case_id, number));"
	"CREATE TABLE outputs ("
	"  attempt_id TEXT NOT NULL REFERENCES attempts (id), role TEXT NOT NULL,"
	"  host TEXT, stream TEXT NOT NULL, size INTEGER NOT NULL,"
	"  dropped INTEGER NOT NULL DEFAULT 0, compression TEXT NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (attempt_id, role, stream));"
	"CREATE TABLE samples ("
	"  attempt_id TEXT NOT NULL REFERENCES attempts (id), seq INTEGER NOT NULL,"
	"  case_id TEXT NOT NULL REFERENCES cases (id), repeat INTEGER NOT NULL,"
	"  role TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL,"
	"  orig_value REAL, orig_unit TEXT, interval INTEGER NOT NULL DEFAULT -1,"
	"  PRIMARY KEY (attempt_id, seq));"
	"CREATE INDEX samples_case ON samples (case_id, metric);"
	NR__SQLITE_METRICS,
	/* 1 -> 2: the controller's pid (a running run is not resumed under it)
	 * and which host ran which role */
	"ALTER TABLE runs ADD COLUMN pid INTEGER;"
	"ALTER TABLE cases ADD COLUMN hosts TEXT;",
	/* 2 -> 3: events outside attempts (health checks, restarts, notifications) */
	"CREATE TABLE events ("
	"  id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id), case_id TEXT,"
	"  time INTEGER NOT NULL, host TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);"
	"CREATE INDEX events_run ON events (run_id, time);",
	/* 3 -> 4: the controller process's identity and heartbeat, so that a
	 * reader tells a live run from a dead one; and the cases that
	 * interrupted or stopped runs left 'running' are what they are, pending */
	"ALTER TABLE runs ADD COLUMN pid_start TEXT;"
	"ALTER TABLE runs ADD COLUMN heartbeat INTEGER;"
	"UPDATE cases SET status = 'pending' WHERE status = 'running'"
	"  AND run_id IN (SELECT id FROM runs WHERE status <> 'running');",
	/* 4 -> 5: what chose a run's cases (--test patterns, --set values),
	 * so a resume plans what the run planned; attempts of a case run
	 * again (--rerun), kept but no longer counted; hosts' labels (run
	 * selectors) and whether a host's failures may fail the run */
	"ALTER TABLE runs ADD COLUMN options TEXT;"
	"ALTER TABLE attempts ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE hosts ADD COLUMN labels TEXT;"
	"ALTER TABLE hosts ADD COLUMN optional INTEGER NOT NULL DEFAULT 0;",
	/* 5 -> 6: the job queue */
	NR__SQLITE_JOBS_TABLE,
	/* 6 -> 7: netrig serve: users and their tokens (a token's SHA-256
	 * only), which user uploaded which run, and on a client, which runs
	 * went to which server */
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id),"
	"  scope TEXT NOT NULL, hash TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER, revoked_at INTEGER);"
	"CREATE TABLE uploads ("
	"  run_id TEXT PRIMARY KEY REFERENCES runs (id), user_name TEXT NOT NULL,"
	"  uploaded_at INTEGER NOT NULL);"
	"CREATE INDEX uploads_user ON uploads (user_name, uploaded_at);"
	"CREATE TABLE pushes ("
	"  run_id TEXT NOT NULL REFERENCES runs (id), server TEXT NOT NULL, url TEXT,"
	"  pushed_at INTEGER NOT NULL, PRIMARY KEY (run_id, server));",
	/* 7 -> 8: compact samples (issue 15). A series (role, metric, unit) is
	 * a row of its own; its test and case key are the case's, found
	 * through the attempt, which has a number n that VACUUM keeps (a rowid
	 * it would not); a sample holds the two numbers, and its original
	 * value and unit only where they differ. WITHOUT ROWID: the primary
	 * key is the table, no second tree. `samples` becomes a view of the
	 * old columns, and writing a row into it writes the new tables
	 * (merges through a temporary file and bundles write there). */
	NR__SQLITE_SERIES
	"ALTER TABLE attempts ADD COLUMN n INTEGER;"
	"UPDATE attempts SET n = rowid;"
	NR__SQLITE_ATTEMPTS_N
	NR__SQLITE_SAMPLE_ROWS
	"INSERT INTO series (role, metric, unit)"
	"  SELECT DISTINCT role, metric, unit FROM samples ORDER BY 1, 2, 3;"
	/* LEFT JOIN: a sample whose attempt is missing fails on NOT NULL,
	 * never vanishes (check_samples_7 said it first) */
	"INSERT INTO sample_rows (attempt, seq, repeat, series, value, orig_value, orig_unit,"
	"  interval)"
	"  SELECT a.n, s.seq, s.repeat, se.id, s.value, nullif(s.orig_value, s.value),"
	"  nullif(s.orig_unit, s.unit), s.interval FROM samples s"
	"  LEFT JOIN attempts a ON a.id = s.attempt_id"
	"  JOIN series se ON se.role = s.role AND se.metric = s.metric AND se.unit = s.unit"
	"  ORDER BY a.n, s.seq;"
	"DROP TABLE samples;"
	NR__STORE_SAMPLES_VIEW
	NR__SQLITE_SAMPLES_INSERT,
	/* 8 -> 9: jobs from netrig serve: the branch of a job's commit, where
	 * its end is reported (a webhook's repository, commit, pull request)
	 * and what was reported, who cancelled it */
	NR__SQLITE_JOBS_ORIGIN,
	/* 9 -> 10: ids as 16-byte blobs (issue 15), store_sqlite_id.c */
	nr__sqlite_ids_as_blobs,
};
_Static_assert(NR_ARRAY_SIZE(migrations) == NR_STORE_SCHEMA_VERSION,
	       "a migration to each schema version");

int nr__store_sqlite_error(sqlite3 *db, struct nr_diag *d, const char *what)
{
	return nr_diagf(d, NR_ESTORE, "%s: %s", what, sqlite3_errmsg(db));
}

int nr__store_sqlite_exec(sqlite3 *db, const char *sql, struct nr_diag *d)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		int r = nr_diagf(d, NR_ESTORE, "%s", err ? err : sqlite3_errmsg(db));

		sqlite3_free(err);
		return r;
	}
	return 0;
}

int nr__store_sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret, struct nr_diag *d)
{
	if (sqlite3_prepare_v2(db, sql, -1, ret, NULL) != SQLITE_OK)
		return nr__store_sqlite_error(db, d, "prepare");
	return 0;
}

int nr__store_sqlite_kept(struct nr__store_sqlite *st, const char *sql, sqlite3_stmt **ret,
			  struct nr_diag *d)
{
	struct nr__sqlite_stmt *k;
	size_t i;

	for (i = 0; i < st->n_stmts; i++)
		if (!strcmp(st->stmts[i].sql, sql)) {
			sqlite3_reset(st->stmts[i].s);
			sqlite3_clear_bindings(st->stmts[i].s);
			*ret = st->stmts[i].s;
			return 0;
		}
	/* PERSISTENT: SQLite keeps it out of its lookaside memory, meant for short-lived ones */
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL) != SQLITE_OK)
		return nr__store_sqlite_error(st->db, d, "prepare");
	st->stmts = nr_xrealloc(st->stmts, (st->n_stmts + 1) * sizeof(*st->stmts));
	k = &st->stmts[st->n_stmts++];
	k->sql = nr_xstrdup(sql);
	k->s = *ret;
	return 0;
}

void nr__sqlite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

void nr__sqlite_bind_time(sqlite3_stmt *s, int i, int64_t us)
{
	if (us)
		sqlite3_bind_int64(s, i, us);
	else
		sqlite3_bind_null(s, i);
}

char *nr__sqlite_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? nr_xstrdup((const char *)t) : NULL;
}

/*
 * Run a statement that returns no rows, and finalize it: *s is NULL
 * afterwards, so a cleanup that finalizes it again does nothing (a
 * statement finalized twice is a double free).
 */
static int step_done(sqlite3 *db, sqlite3_stmt **s, struct nr_diag *d)
{
	int rc = sqlite3_step(*s), r = 0;

	if (rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "write");
	sqlite3_finalize(*s);
	*s = NULL;
	return r;
}

_Thread_local sqlite3 *nr__sqlite_batch;

int nr__store_sqlite_begin(sqlite3 *db, struct nr_diag *d)
{
	if (db == nr__sqlite_batch)
		return nr__store_sqlite_exec(db, "SAVEPOINT nr_write", d);
	return nr__store_sqlite_exec(db, "BEGIN IMMEDIATE", d);
}

/*
 * Commit, or roll back after an error. A COMMIT that fails (a full disk,
 * an I/O error) may leave the transaction open: roll it back too, or
 * every later BEGIN of this connection would fail.
 */
int nr__store_sqlite_end(sqlite3 *db, int r, struct nr_diag *d)
{
	if (db == nr__sqlite_batch) {
		if (r == 0 && (r = nr__store_sqlite_exec(db, "RELEASE nr_write", d)) == 0)
			return 0;
		nr__store_sqlite_exec(db, "ROLLBACK TO nr_write; RELEASE nr_write", NULL);
		return r;
	}
	if (r == 0)
		r = nr__store_sqlite_exec(db, "COMMIT", d);
	if (r < 0 && !sqlite3_get_autocommit(db))
		nr__store_sqlite_exec(db, "ROLLBACK", NULL);
	return r;
}

/* ---- open and migrate ---- */

int nr__store_sqlite_version(sqlite3 *db, int *ret, struct nr_diag *d)
{
	sqlite3_stmt *s;
	int rc, r;

	/* the first read of the file: a corrupt or foreign file fails here */
	r = nr__store_sqlite_prepare(db, "SELECT count(*) FROM sqlite_master", &s, d);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return nr__store_sqlite_error(db, d, "not a readable SQLite database");
	}
	if (sqlite3_column_int(s, 0) == 0) {
		sqlite3_finalize(s);
		*ret = 0;
		return 0;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s,
			       NULL) != SQLITE_OK)
		return nr_diagf(d, NR_ESTORE, "an SQLite database, but not netrig's (no meta table)");
	rc = sqlite3_step(s);
	*ret = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return nr_diagf(d, NR_ESTORE, "netrig database without a schema version");
	return 0;
}

/*
 * Before 7 -> 8: every sample must have its attempt, of the sample's own
 * case (schema 8 finds a sample's case through its attempt). A file
 * written with foreign keys off could hold one that does not: refused,
 * named, nothing changed, rather than a sample lost.
 */
static int check_samples_7(sqlite3 *db, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r = nr__store_sqlite_prepare(db,
			"SELECT count(*), min(s.attempt_id) FROM samples s"
			" LEFT JOIN attempts a ON a.id = s.attempt_id"
			" LEFT JOIN cases c ON c.id = s.case_id"
			" WHERE a.id IS NULL OR c.id IS NULL OR a.case_id IS NOT s.case_id", &s, d);

	if (r < 0)
		return r;
	if (sqlite3_step(s) != SQLITE_ROW)
		r = nr__store_sqlite_error(db, d, "checking samples");
	else if (sqlite3_column_int64(s, 0) > 0)
		r = nr_diagf(d, NR_ESCHEMA, "%lld samples (the first of attempt %s) have no attempt"
			     " of their case in this file: schema 8 cannot keep them, so the file is"
			     " left at its version (merge it into a database that has those attempts,"
			     " or delete the samples)", (long long)sqlite3_column_int64(s, 0),
			     (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	return r;
}

/* How many rows PRAGMA foreign_key_check finds (references to no row), into *ret. */
static int broken_references(sqlite3 *db, int64_t *ret, struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;
	int rc, r = nr__store_sqlite_prepare(db, "PRAGMA foreign_key_check", &s, d);

	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		n++;
	if (r == 0 && rc != SQLITE_DONE)
		r = nr__store_sqlite_error(db, d, "checking references");
	sqlite3_finalize(s);
	if (r == 0)
		*ret = n;
	return r;
}

/* Whether PRAGMA foreign_keys is on for db. */
static bool foreign_keys_on(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	bool on = false;

	if (sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		on = sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	return on;
}

int nr__store_sqlite_migrate(sqlite3 *db, int from, struct nr_diag *d)
{
	int64_t broken_before = 0, broken_after = 0;
	bool fk = foreign_keys_on(db);
	char sql[128];
	int v, r, now = from;

	if (from > NR_STORE_SCHEMA_VERSION)
		return nr_diagf(d, NR_ESCHEMA,
				"schema version %d is newer than this netrig understands (%d): upgrade netrig",
				from, NR_STORE_SCHEMA_VERSION);
	if (from == NR_STORE_SCHEMA_VERSION)
		return 0;
	/*
	 * 9 -> 10 makes tables again under their names: the references of
	 * other tables must keep naming them (legacy_alter_table: a rename
	 * does not rewrite them), and a table dropped with rows that others
	 * reference must not be checked midway (foreign_keys, which only
	 * changes outside a transaction). What references held is checked
	 * at the end instead: no more of them lead nowhere than before.
	 */
	r = nr__store_sqlite_exec(db, "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON", d);
	if (r == 0)
		r = nr__store_sqlite_begin(db, d);
	/*
	 * Another netrig may have made or migrated the file since `from` was
	 * read: the version under the write lock is the one to start from.
	 */
	if (r == 0 && (r = nr__store_sqlite_version(db, &now, d)) == 0 &&
	    now >= NR_STORE_SCHEMA_VERSION) {
		r = nr__store_sqlite_end(db, now > NR_STORE_SCHEMA_VERSION ? NR_ESCHEMA : 0, d);
		goto out;
	}
	if (r == 0 && now > 0)
		r = broken_references(db, &broken_before, d);
	if (r == 0 && now == 0) /* a new file: the end of the chain at once */
		r = nr__store_sqlite_exec(db, nr__sqlite_schema_10, d);
	for (v = now; now > 0 && r == 0 && v < NR_STORE_SCHEMA_VERSION; v++) {
		if (v == 7)
			r = check_samples_7(db, d);
		if (r == 0)
			r = nr__store_sqlite_exec(db, migrations[v], d);
	}
	if (r == 0 && (r = broken_references(db, &broken_after, d)) == 0 &&
	    broken_after > broken_before)
		r = nr_diagf(d, NR_ESTORE, "%lld references lead nowhere after the migration, %lld"
			     " before: left as it was", (long long)broken_after,
			     (long long)broken_before);
	if (r == 0) {
		snprintf(sql, sizeof(sql),
			 "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '%d')",
			 NR_STORE_SCHEMA_VERSION);
		r = nr__store_sqlite_exec(db, sql, d);
	}
	r = nr__store_sqlite_end(db, r, d);
out:
	nr__store_sqlite_exec(db, fk ? "PRAGMA legacy_alter_table = OFF; PRAGMA foreign_keys = ON"
				     : "PRAGMA legacy_alter_table = OFF", NULL);
	if (r == NR_ESCHEMA && now > NR_STORE_SCHEMA_VERSION)
		return nr_diagf(d, r, "schema version %d is newer than this netrig understands"
				" (%d): upgrade netrig", now, NR_STORE_SCHEMA_VERSION);
	if (r < 0)
		return nr_diagf(d, r, "migrating from schema version %d", now);
	return 0;
}

static bool sqlite_accepts(const char *location)
{
	return !strstr(location, "://");
}

/*
 * Before SQLite's first use in this process: no count of its memory (netrig
 * never asks for it), which took a global mutex on each of the dozens of
 * allocations a row's insert makes. Too late (SQLite in use already, as
 * in a test that opened a file itself) it changes nothing, and harms nothing.
 */
static void sqlite_config_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int nr__store_sqlite_open_db(const char *path, int flags, sqlite3 **ret, struct nr_diag *d)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sqlite3 *db = NULL;
	char *copy = nr_xstrdup(path);
	const char *dir = dirname(copy);
	struct stat stt;
	int r = 0;

	pthread_once(&once, sqlite_config_once);
	if (stat(dir, &stt) < 0 || !S_ISDIR(stt.st_mode)) {
		r = nr_diagf(d, NR_ESTORE, "%s: directory '%s' does not exist", path, dir);
		goto out;
	}
	/*
	 * NOMUTEX: a connection is used by one thread at a time (a handle is
	 * its thread's, or handed over under a lock: serve's pool, its upload
	 * lock), so SQLite's own lock around each call on it (a bind, a step:
	 * a dozen a sample) is not needed.
	 */
	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = nr_diagf(d, NR_ESTORE, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		db = NULL;
		goto out;
	}
	sqlite3_busy_timeout(db, NR__SQLITE_BUSY_MS);
	sqlite3_extended_result_codes(db, 1);
	if (nr__sqlite_id_functions(db) < 0) {
		r = nr__store_sqlite_error(db, d, path);
		sqlite3_close(db);
		db = NULL;
		goto out;
	}
	*ret = db;
out:
	free(copy);
	return r;
}

struct nr_store *nr__store_sqlite_new(sqlite3 *db, const char *path, int version, char *tmp_path)
{
	struct nr__store_sqlite *st = nr_xcalloc(1, sizeof(*st));

	st->base.ops = &nr__store_sqlite_ops;
	st->base.opened_version = version;
	st->db = db;
	st->path = nr_xstrdup(path);
	st->tmp_path = tmp_path;
	return &st->base;
}

static int sqlite_open(const char *location, bool create, struct nr_store **ret,
		       struct nr_diag *d)
{
	sqlite3 *db = NULL;
	int version = 0, r;

	if (!create && access(location, F_OK) < 0)
		return nr_diagf(d, NR_ENOTFOUND,
				"no database at %s (a campaign run makes one; or say --db PATH)", location);
	r = nr__store_sqlite_open_db(location,
				     SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), &db, d);
	if (r < 0)
		return r;
	if ((r = nr__store_sqlite_version(db, &version, d)) < 0 ||
	    (r = nr__store_sqlite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
					   "PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 8192;",
				       d)) < 0 ||
	    (r = nr__store_sqlite_migrate(db, version, d)) < 0) {
		sqlite3_close(db);
		return nr_diagf(d, r, "%s", location);
	}
	*ret = nr__store_sqlite_new(db, location, version, NULL);
	return 0;
}

static void series_forget(struct nr__store_sqlite *st)
{
	size_t i;

	for (i = 0; i < st->n_series; i++)
		free(st->series[i].name);
	free(st->series);
	st->series = NULL;
	st->n_series = st->cap_series = st->series_next = 0;
	st->series_loaded = false;
	nr_strset_release(&st->series_index);
}

static void sqlite_close(struct nr_store *base)
{
	struct nr__store_sqlite *st = (struct nr__store_sqlite *)base;
	size_t i;

	for (i = 0; i < st->n_stmts; i++) {
		sqlite3_finalize(st->stmts[i].s);
		free(st->stmts[i].sql);
	}
	free(st->stmts);
	sqlite3_close(st->db);
	series_forget(st);
	nr_buf_release(&st->series_key);
	nr__store_base_release(base);
	if (st->tmp_path)
		unlink(st->tmp_path);
	free(st->tmp_path);
	free(st->path);
	free(st);
}

/* ---- writes ---- */

static int insert_case(sqlite3 *db, const struct nr_case_rec *c, struct nr_diag *d)
{
	sqlite3_stmt *s;
	int r = nr__store_sqlite_prepare(db,
			"INSERT INTO cases (id, run_id, ordinal, test, key, params, status, repeats,"
			" repeats_done, attempts, started_at, finished_at, ping_count,"
			" ssh_check_count, hosts, error)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, d);

	if (r < 0)
		return r;
	nr__sqlite_bind_id(s, 1, c->id);
	nr__sqlite_bind_id(s, 2, c->run_id);
	sqlite3_bind_int64(s, 3, c->ordinal);
	nr__sqlite_bind_text(s, 4, c->test);
	nr__sqlite_bind_text(s, 5, c->key);
	nr__sqlite_bind_text(s, 6, c->params ? c->params : "{}");
	nr__sqlite_bind_text(s, 7, nr_case_status_name(c->status ? c->status : NR_CASE_PENDING));
	sqlite3_bind_int(s, 8, c->repeats);
	sqlite3_bind_int(s, 9, c->repeats_done);
	sqlite3_bind_int(s, 10, c->attempts);
	nr__sqlite_bind_time(s, 11, c->started_us);
	nr__sqlite_bind_time(s, 12, c->finished_us);
	sqlite3_bind_int(s, 13, c->ping_count);
	sqlite3_bind_int(s, 14, c->ssh_check_count);
	nr__sqlite_bind_text(s, 15, c->hosts);
	nr__sqlite_bind_text(s, 16, c->error);
	return step_done(db, &s, d);
}

static int sqlite_run_create(struct nr_store *st, const struct nr_run_rec *run,
			     const struct nr_host_rec *hosts, size_t n_hosts,
			     const struct nr_case_rec *cases, size_t n_cases, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s;
	size_t i;
	int r;

	if ((r = nr__store_sqlite_begin(db, d)) < 0)
		return r;
	r = nr__store_sqlite_prepare(db,
		    "INSERT INTO runs (id, campaign, campaign_path, config, config_hash, commit_sha,"
		    " branch, labels, status, reason, controller, netrig_version, pid, started_at,"
		    " finished_at, pid_start, heartbeat, options)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, d);
	if (r == 0) {
		nr__sqlite_bind_id(s, 1, run->id);
		nr__sqlite_bind_text(s, 2, run->campaign);
		nr__sqlite_bind_text(s, 3, run->campaign_path);
		nr__sqlite_bind_text(s, 4, run->config ? run->config : "");
		nr__sqlite_bind_text(s, 5, run->config_hash ? run->config_hash : "");
		nr__sqlite_bind_text(s, 6, run->commit);
		nr__sqlite_bind_text(s, 7, run->branch);
		nr__sqlite_bind_text(s, 8, run->labels ? run->labels : "{}");
		nr__sqlite_bind_text(s, 9, nr_run_status_name(run->status));
		nr__sqlite_bind_text(s, 10, run->reason);
		nr__sqlite_bind_text(s, 11, run->controller);
		nr__sqlite_bind_text(s, 12, run->version);
		sqlite3_bind_int(s, 13, run->pid);
		sqlite3_bind_int64(s, 14, run->started_us);
		nr__sqlite_bind_time(s, 15, run->finished_us);
		nr__sqlite_bind_text(s, 16, run->pid_start);
		nr__sqlite_bind_time(s, 17, run->heartbeat_us ? run->heartbeat_us : run->started_us);
		nr__sqlite_bind_text(s, 18, run->options);
		r = step_done(db, &s, d);
	}
	for (i = 0; r == 0 && i < n_hosts; i++) {
		r = nr__store_sqlite_prepare(db, "INSERT INTO hosts (id, run_id, name, transport,"
						 " address, sysinfo, labels, optional)"
						 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &s, d);
		if (r < 0)
			break;
		nr__sqlite_bind_id(s, 1, hosts[i].id);
		nr__sqlite_bind_id(s, 2, run->id);
		nr__sqlite_bind_text(s, 3, hosts[i].name);
		nr__sqlite_bind_text(s, 4, hosts[i].transport);
		nr__sqlite_bind_text(s, 5, hosts[i].address);
		nr__sqlite_bind_text(s, 6, hosts[i].sysinfo);
		nr__sqlite_bind_text(s, 7, hosts[i].labels);
		sqlite3_bind_int(s, 8, hosts[i].optional);
		r = step_done(db, &s, d);
	}
	for (i = 0; r == 0 && i < n_cases; i++)
		r = insert_case(db, &cases[i], d);
	return nr__store_sqlite_end(db, r, d);
}

static int sqlite_run_update(struct nr_store *st, const struct nr_run_rec *run,
			     struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_begin(db, d)) < 0)
		return r;
	r = nr__store_sqlite_prepare(db, "UPDATE runs SET status = ?, reason = ?, pid = ?, pid_start = ?,"
			" heartbeat = ?, finished_at = ? WHERE id = ?", &s, d);
	if (r == 0) {
		nr__sqlite_bind_text(s, 1, nr_run_status_name(run->status));
		nr__sqlite_bind_text(s, 2, run->reason);
		sqlite3_bind_int(s, 3, run->pid);
		nr__sqlite_bind_text(s, 4, run->pid_start);
		sqlite3_bind_int64(s, 5, nr_wall_us());
		nr__sqlite_bind_time(s, 6, run->finished_us);
		nr__sqlite_bind_id(s, 7, run->id);
		r = step_done(db, &s, d);
	}
	/* the case in flight when the run ended is pending again, not 'running' for ever */
	if (r == 0 && run->status != NR_RUN_RUNNING &&
	    (r = nr__store_sqlite_prepare(db, "UPDATE cases SET status = 'pending' WHERE run_id = ?"
			     " AND status = 'running'", &s, d)) == 0) {
		nr__sqlite_bind_id(s, 1, run->id);
		r = step_done(db, &s, d);
	}
	return nr__store_sqlite_end(db, r, d);
}

static int sqlite_run_claim(struct nr_store *st, const struct nr_run_rec *was,
			    const struct nr_run_rec *now, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s = NULL;
	/* one statement: it reads and writes the run atomically, whoever else tries */
	int r = nr__store_sqlite_prepare(db, "UPDATE runs SET status = ?, reason = NULL,"
			    " controller = ?, pid = ?,"
			    " pid_start = ?, heartbeat = ?, finished_at = NULL"
			    " WHERE id = ? AND status = ? AND coalesce(pid, 0) = ?"
			    " AND pid_start IS ?", &s, d);

	if (r < 0)
		return r;
	nr__sqlite_bind_text(s, 1, nr_run_status_name(now->status));
	nr__sqlite_bind_text(s, 2, now->controller);
	sqlite3_bind_int(s, 3, now->pid);
	nr__sqlite_bind_text(s, 4, now->pid_start);
	sqlite3_bind_int64(s, 5, nr_wall_us());
	nr__sqlite_bind_id(s, 6, was->id);
	nr__sqlite_bind_text(s, 7, nr_run_status_name(was->status));
	sqlite3_bind_int(s, 8, was->pid);
	nr__sqlite_bind_text(s, 9, was->pid_start);
	if ((r = step_done(db, &s, d)) < 0)
		return r;
	return sqlite3_changes(db) == 1 ? 0 : -EBUSY;
}

/*
 * Run a kept statement that returns no rows (nr__store_sqlite_kept) and
 * reset it, so that it holds nothing open until its next use.
 */
static int step_kept(struct nr__store_sqlite *st, sqlite3_stmt *s, struct nr_diag *d)
{
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 : nr__store_sqlite_error(st->db, d, "write");

	sqlite3_reset(s);
	return r;
}

static int update_case(struct nr__store_sqlite *st, const struct nr_case_rec *c,
		       struct nr_diag *d)
{
	sqlite3_stmt *s;
	int r = nr__store_sqlite_kept(st,
			"UPDATE cases SET status = ?, repeats_done = ?, attempts = ?, started_at = ?,"
			" finished_at = ?, ping_count = ?, ssh_check_count = ?, hosts = ?, error = ?"
			" WHERE id = ?", &s, d);

	if (r < 0)
		return r;
	nr__sqlite_bind_text(s, 1, nr_case_status_name(c->status));
	sqlite3_bind_int(s, 2, c->repeats_done);
	sqlite3_bind_int(s, 3, c->attempts);
	nr__sqlite_bind_time(s, 4, c->started_us);
	nr__sqlite_bind_time(s, 5, c->finished_us);
	sqlite3_bind_int(s, 6, c->ping_count);
	sqlite3_bind_int(s, 7, c->ssh_check_count);
	nr__sqlite_bind_text(s, 8, c->hosts);
	nr__sqlite_bind_text(s, 9, c->error);
	nr__sqlite_bind_id(s, 10, c->id);
	return step_kept(st, s, d);
}

/*
 * A case, attempt or event written by the controller is its heartbeat:
 * the run `run_id`, or the run of case `case_id` when run_id is NULL.
 */
static int heartbeat(struct nr__store_sqlite *st, const char *run_id, const char *case_id,
		     struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int r = nr__store_sqlite_kept(st, run_id ? "UPDATE runs SET heartbeat = ? WHERE id = ?"
				   : "UPDATE runs SET heartbeat = ?"
				     " WHERE id = (SELECT run_id FROM cases WHERE id = ?)", &s, d);

	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, nr_wall_us());
	nr__sqlite_bind_id(s, 2, run_id ? run_id : case_id);
	return step_kept(st, s, d);
}

static int sqlite_case_update(struct nr_store *st, const struct nr_case_rec *c,
			      struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	int r = nr__store_sqlite_begin(db, d);

	if (r == 0)
		r = update_case(SQ(st), c, d);
	if (r == 0)
		r = heartbeat(SQ(st), NULL, c->id, d);
	return nr__store_sqlite_end(db, r, d);
}

/* The part at the start of name, ended by the key's separator: the rest after it, or NULL. */
static const char *key_part(const char *name, const char *part)
{
	while (*part && *name == *part) {
		name++;
		part++;
	}
	return !*part && *name == '\x1f' ? name + 1 : NULL;
}

/* Whether series name (a key of series_id's) is that of role, metric and unit. */
static bool key_is(const char *name, const char *role, const struct nr_sample *x)
{
	return (name = key_part(name, role)) && (name = key_part(name, x->metric)) &&
	       !strcmp(name, x->unit);
}

/* Series (role, metric, unit) named name->buf (series_id's key) is id, in the cache from now on. */
static void series_remember(struct nr__store_sqlite *st, const struct nr_buf *name, int64_t id)
{
	NR_GROW(st->series, st->n_series + 1, st->cap_series);
	st->series[st->n_series].name = nr_xstrndup(name->buf, name->len);
	st->series[st->n_series].id = id;
	nr_strset_add(&st->series_index, st->series[st->n_series].name, st->n_series, NULL);
	st->n_series++;
}

/*
 * Every committed series whose metric's row is there too, into the cache,
 * in the order they were made (that of the samples that made them, which
 * series_next follows). A series without its metric's row is left to
 * series_id's statements, which write the row.
 */
static int series_load(struct nr__store_sqlite *st, struct nr_diag *d)
{
	struct nr_buf name = NR_BUF_INIT;
	sqlite3_stmt *s = NULL;
	size_t i;
	int r, rc = SQLITE_DONE;

	r = nr__store_sqlite_prepare(st->db, "SELECT s.id, s.role, s.metric, s.unit FROM series s"
					     " WHERE EXISTS (SELECT 1 FROM metrics m WHERE m.name = s.metric)"
					     " ORDER BY s.id", &s, d);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		nr_buf_reset(&name);
		nr_buf_adds(&name, (const char *)sqlite3_column_text(s, 1));
		nr_buf_addch(&name, '\x1f');
		nr_buf_adds(&name, (const char *)sqlite3_column_text(s, 2));
		nr_buf_addch(&name, '\x1f');
		nr_buf_adds(&name, (const char *)sqlite3_column_text(s, 3));
		if (!nr_strset_find(&st->series_index, name.buf, &i))
			series_remember(st, &name, sqlite3_column_int64(s, 0));
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = nr__store_sqlite_error(st->db, d, "read series");
	sqlite3_finalize(s);
	nr_buf_release(&name);
	st->series_loaded = r == 0;
	return r;
}

/*
 * The id of series (role, metric, unit): from the cache (filled from the
 * table at the first series it does not hold), else the table,
 * else a new row. A series not in the cache writes its metric's row too
 * (the first sample of a metric names its unit and direction; later ones
 * change nothing): a series in the cache has it, committed.
 */
static int series_id(struct nr__store_sqlite *st, const char *role, const struct nr_sample *x,
		     int64_t *ret, struct nr_diag *d)
{
	static const char *const sql[] = {
		"SELECT id FROM series WHERE role = ?1 AND metric = ?2 AND unit = ?3",
		"INSERT INTO series (role, metric, unit) VALUES (?1, ?2, ?3)",
		"INSERT INTO metrics (name, unit, better) VALUES (?2, ?3, ?4)"
		" ON CONFLICT (name) DO NOTHING",
	};
	struct nr_buf *name = &st->series_key;
	sqlite3_stmt *s = NULL;
	size_t i;
	int r = 0, rc, pass;

	*ret = 0;
	i = st->series_next;
	if (i < st->n_series && key_is(st->series[i].name, role, x)) {
		*ret = st->series[i].id;
		st->series_next = i + 1;
		return 0;
	}
	/* the cache's key, in a buffer kept for it: no allocation per sample */
	nr_buf_reset(name);
	nr_buf_adds(name, role);
	nr_buf_addch(name, '\x1f');
	nr_buf_adds(name, x->metric);
	nr_buf_addch(name, '\x1f');
	nr_buf_adds(name, x->unit);
	if (nr_strset_find(&st->series_index, name->buf, &i) ||
	    (!st->series_loaded && series_load(st, d) == 0 &&
	     nr_strset_find(&st->series_index, name->buf, &i))) {
		*ret = st->series[i].id;
		st->series_next = i + 1;
		return 0;
	}
	/* the series by SELECT, else by INSERT; then the metric */
	for (pass = 0; r == 0 && pass < 3; pass++) {
		if (pass == 1 && *ret)
			continue;
		/* kept: a tool's first attempt may bring thousands of new series */
		if ((r = nr__store_sqlite_kept(st, sql[pass], &s, d)) < 0)
			break;
		nr__sqlite_bind_text(s, 1, role);
		nr__sqlite_bind_text(s, 2, x->metric);
		nr__sqlite_bind_text(s, 3, x->unit);
		if (pass == 2)
			nr__sqlite_bind_text(s, 4, nr_better_name(x->better));
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*ret = sqlite3_column_int64(s, 0);
		else if (rc != SQLITE_DONE)
			r = nr__store_sqlite_error(st->db, d, pass == 2 ? "write metric" : "write series");
		else if (pass == 1)
			*ret = sqlite3_last_insert_rowid(st->db);
		sqlite3_reset(s);
	}
	if (r == 0) {
		series_remember(st, name, *ret);
		st->series_next = st->n_series;
	}
	return r;
}

/*
 * The samples of attempt a (written just before: its n is there), through
 * statements kept by the handle: an attempt of a few samples paid more
 * for preparing them than for its rows.
 */
static int insert_samples(struct nr__store_sqlite *st, const struct nr_attempt_rec *a,
			  const struct nr_role_samples *samples, size_t n_samples,
			  struct nr_diag *d)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0, series = 0;
	size_t i, j;
	int r, seq = 0;

	r = nr__store_sqlite_kept(st, "SELECT n FROM attempts WHERE id = ?", &s, d);
	if (r == 0) {
		nr__sqlite_bind_id(s, 1, a->id);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		else
			r = nr__store_sqlite_error(st->db, d, "read the attempt just written");
		sqlite3_reset(s);
	}
	/* series_id's statements are others: this one stays as bound here */
	if (r == 0)
		r = nr__store_sqlite_kept(st, "INSERT INTO sample_rows (attempt, seq, repeat, series,"
					  " value, orig_value, orig_unit, interval)"
					  " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &s, d);
	for (i = 0; r == 0 && i < n_samples; i++) {
		for (j = 0; r == 0 && j < samples[i].set->n; j++) {
			const struct nr_sample *x = &samples[i].set->v[j];

			/* the parse layer lets none through; should one slip, refuse it */
			if (!isfinite(x->value) || !isfinite(x->orig_value)) {
				r = nr_diagf(d, NR_ESTORE, "sample %s of role %s is not a finite number (%g):"
					     " refused", x->metric, samples[i].role, x->value);
				break;
			}
			if ((r = series_id(st, samples[i].role, x, &series, d)) < 0)
				break;
			sqlite3_bind_int64(s, 1, n);
			sqlite3_bind_int(s, 2, seq++);
			sqlite3_bind_int(s, 3, a->repeat);
			sqlite3_bind_int64(s, 4, series);
			sqlite3_bind_double(s, 5, x->value);
			/* what equals the value and unit costs nothing */
			if (x->orig_value == x->value)
				sqlite3_bind_null(s, 6);
			else
				sqlite3_bind_double(s, 6, x->orig_value);
			nr__sqlite_bind_text(s, 7, x->orig_unit && strcmp(x->orig_unit, x->unit)
							   ? x->orig_unit : NULL);
			sqlite3_bind_int64(s, 8, x->interval);
			if (sqlite3_step(s) != SQLITE_DONE)
				r = nr__store_sqlite_error(st->db, d, "write sample");
			sqlite3_reset(s);
		}
	}
	return r;
}

static int sqlite_attempt_save(struct nr_store *st, const struct nr_case_rec *case_after,
			       const struct nr_attempt_rec *a, const struct nr_output_in *outs,
			       size_t n_outs, const struct nr_role_samples *samples,
			       size_t n_samples, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s = NULL;
	struct nr_buf z = NR_BUF_INIT;
	size_t i;
	int r;

	if ((r = nr__store_sqlite_begin(db, d)) < 0)
		return r;
	r = nr__store_sqlite_kept(SQ(st),
		    "INSERT INTO attempts (id, case_id, number, repeat, outcome, exit_code, signal,"
		    " started_at, finished_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, d);
	if (r == 0) {
		nr__sqlite_bind_id(s, 1, a->id);
		nr__sqlite_bind_id(s, 2, a->case_id);
		sqlite3_bind_int(s, 3, a->number);
		sqlite3_bind_int(s, 4, a->repeat);
		nr__sqlite_bind_text(s, 5, nr_attempt_outcome_name(a->outcome));
		sqlite3_bind_int(s, 6, a->exit_code);
		sqlite3_bind_int(s, 7, a->signal);
		sqlite3_bind_int64(s, 8, a->started_us);
		sqlite3_bind_int64(s, 9, a->finished_us);
		nr__sqlite_bind_text(s, 10, a->error);
		r = step_kept(SQ(st), s, d);
	}
	for (i = 0; r == 0 && i < n_outs; i++) {
		const char *method;

		nr_buf_reset(&z);
		if (nr__store_compress(st, outs[i].data, &z, &method) < 0) {
			r = nr_diagf(d, NR_ESTORE, "cannot compress output");
			break;
		}
		if ((r = nr__store_sqlite_kept(SQ(st), "INSERT INTO outputs (attempt_id, role, host, stream,"
					       " size, dropped, compression, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
					       &s, d)) < 0)
			break;
		nr__sqlite_bind_id(s, 1, a->id);
		nr__sqlite_bind_text(s, 2, outs[i].role);
		nr__sqlite_bind_text(s, 3, outs[i].host);
		nr__sqlite_bind_text(s, 4, outs[i].stream);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)outs[i].data.len);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)outs[i].dropped);
		nr__sqlite_bind_text(s, 7, method);
		sqlite3_bind_blob64(s, 8, z.buf, z.len, SQLITE_TRANSIENT);
		r = step_kept(SQ(st), s, d);
	}
	if (r == 0)
		r = insert_samples(SQ(st), a, samples, n_samples, d);
	if (r == 0)
		r = update_case(SQ(st), case_after, d);
	if (r == 0)
		r = heartbeat(SQ(st), NULL, case_after->id, d);
	nr_buf_release(&z);
	r = nr__store_sqlite_end(db, r, d);
	if (r < 0)
		series_forget(SQ(st));
	return r;
}

static int sqlite_cases_rerun(struct nr_store *st, const char *run_id,
			      const struct nr_case_rec *cases, size_t n, struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s = NULL;
	size_t i;
	int r = nr__store_sqlite_begin(db, d);

	for (i = 0; r == 0 && i < n; i++) {
		if ((r = nr__store_sqlite_prepare(db, "UPDATE attempts SET superseded = 1 WHERE case_id = ?"
				     " AND case_id IN (SELECT id FROM cases WHERE run_id = ?)",
						     &s, d)) < 0)
			break;
		nr__sqlite_bind_id(s, 1, cases[i].id);
		nr__sqlite_bind_id(s, 2, run_id);
		if ((r = step_done(db, &s, d)) == 0)
			r = update_case(SQ(st), &cases[i], d);
	}
	if (r == 0)
		r = heartbeat(SQ(st), run_id, NULL, d);
	return nr__store_sqlite_end(db, r, d);
}

static int sqlite_event_add(struct nr_store *st, const struct nr_event_rec *ev,
			    struct nr_diag *d)
{
	sqlite3 *db = DB(st);
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = nr__store_sqlite_begin(db, d)) < 0)
		return r;
	r = nr__store_sqlite_prepare(db, "INSERT INTO events (id, run_id, case_id, time, host, kind,"
			" message) VALUES (?, ?, ?, ?, ?, ?, ?)", &s, d);
	if (r == 0) {
		nr__sqlite_bind_id(s, 1, ev->id);
		nr__sqlite_bind_id(s, 2, ev->run_id);
		nr__sqlite_bind_id(s, 3, ev->case_id[0] ? ev->case_id : NULL);
		sqlite3_bind_int64(s, 4, ev->time_us);
		nr__sqlite_bind_text(s, 5, ev->host);
		nr__sqlite_bind_text(s, 6, ev->kind);
		nr__sqlite_bind_text(s, 7, ev->message);
		r = step_done(db, &s, d);
	}
	/* a long restart wait writes events, not cases: it is alive all the same */
	if (r == 0)
		r = heartbeat(SQ(st), ev->run_id, NULL, d);
	return nr__store_sqlite_end(db, r, d);
}

const struct nr_store_ops nr__store_sqlite_ops = {
	.name = "sqlite",
	.accepts = sqlite_accepts,
	.open = sqlite_open,
	.close = sqlite_close,
	.run_create = sqlite_run_create,
	.run_update = sqlite_run_update,
	.job_add = nr__store_sqlite_job_add,
	.job_claim = nr__store_sqlite_job_claim,
	.job_update = nr__store_sqlite_job_update,
	.job_cancel = nr__store_sqlite_job_cancel,
	.job_reported = nr__store_sqlite_job_reported,
	.jobs_to_report = nr__store_sqlite_jobs_to_report,
	.jobs_list = nr__store_sqlite_jobs_list,
	.jobs_count = nr__store_sqlite_jobs_count,
	.prune = nr__store_sqlite_prune,
	.vacuum = nr__store_sqlite_vacuum,
	.run_claim = sqlite_run_claim,
	.case_update = sqlite_case_update,
	.attempt_save = sqlite_attempt_save,
	.cases_rerun = sqlite_cases_rerun,
	.event_add = sqlite_event_add,
	.events_list = nr__store_sqlite_events_list,
	.run_get = nr__store_sqlite_run_get,
	.run_resumable = nr__store_sqlite_run_resumable,
	.runs_select = nr__store_sqlite_runs_select,
	.samples_history = nr__store_sqlite_samples_history,
	.runs_find = nr__store_sqlite_runs_find,
	.runs_count = nr__store_sqlite_runs_count,
	.hosts_list = nr__store_sqlite_hosts_list,
	.cases_list = nr__store_sqlite_cases_list,
	.attempts_list = nr__store_sqlite_attempts_list,
	.outputs_get = nr__store_sqlite_outputs_get,
	.samples_list = nr__store_sqlite_samples_list,
	.locate = nr__store_sqlite_locate,
	.query_json = nr__store_sqlite_query_json,
	.merge = nr__store_sqlite_merge,
	.open_source = nr__store_sqlite_open_source,
	.export_rows = nr__store_sqlite_export_rows,
	.import_from = nr__store_sqlite_import_from,
	.user_add = nr__store_sqlite_user_add,
	.token_add = nr__store_sqlite_token_add,
	.token_get = nr__store_sqlite_token_get,
	.tokens_list = nr__store_sqlite_tokens_list,
	.token_revoke = nr__store_sqlite_token_revoke,
	.upload_owner = nr__store_sqlite_upload_owner,
	.push_mark = nr__store_sqlite_push_mark,
	.runs_unpushed = nr__store_sqlite_runs_unpushed,
	.id_elsewhere = nr__store_sqlite_id_elsewhere,
	.wal_watch = nr__store_sqlite_wal_watch,
	.wal_checkpoint = nr__store_sqlite_wal_checkpoint,
	.batch_begin = nr__store_sqlite_batch_begin,
	.batch_end = nr__store_sqlite_batch_end,
};
