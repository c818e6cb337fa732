/*
 * Ids in SQLite files (schema 10): 16-byte blobs, the bytes of the UUID,
 * so that an id costs 17 bytes on disk instead of 37 and compares with
 * memcmp. Outside this backend an id is its text (8-4-4-4-12, lowercase):
 * every id is bound and read through nr__sqlite_bind_id and
 * nr__sqlite_col_id, and the columns refuse anything but a 16-byte blob,
 * so a site that binds an id as text fails its write instead of storing
 * text where blobs are (and finds nothing when it reads).
 */
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "store/store_sqlite_int.h"

#define ID_BYTES 16

static const char hex[] = "0123456789abcdef";

/* Where the text form has its dashes: 8-4-4-4-12. */
static bool dash_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

/*
 * The first `len` characters of text, an id or the start of one (in
 * either case, dashes where the text form has them), into out as bytes;
 * the number of hex digits, or -1 when no id starts so.
 */
static int parse_digits(const char *text, size_t len, unsigned char out[ID_BYTES])
{
	size_t i, digits = 0;

	memset(out, 0, ID_BYTES);
	if (len > NR_UUID_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		int v = nr_hex_digit(text[i]);

		if (dash_at(i) != (text[i] == '-') || (!dash_at(i) && v < 0))
			return -1;
		if (dash_at(i))
			continue;
		out[digits / 2] |= (unsigned char)(digits % 2 ? v : v << 4);
		digits++;
	}
	return (int)digits;
}

bool nr__sqlite_id_parse(const char *text, size_t len, unsigned char out[ID_BYTES])
{
	return len == NR_UUID_LEN && parse_digits(text, len, out) == 2 * ID_BYTES;
}

void nr__sqlite_id_format(const unsigned char b[ID_BYTES], char out[NR_UUID_LEN + 1])
{
	size_t i, o = 0;

	for (i = 0; i < ID_BYTES; i++) {
		if (dash_at(o))
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

void nr__sqlite_bind_id(sqlite3_stmt *s, int i, const char *id)
{
	unsigned char b[ID_BYTES];

	if (!id)
		sqlite3_bind_null(s, i);
	else if (nr__sqlite_id_parse(id, strlen(id), b))
		sqlite3_bind_blob(s, i, b, ID_BYTES, SQLITE_TRANSIENT);
	else /* matches no id; a write of it fails on the column's CHECK, naming it */
		sqlite3_bind_text(s, i, id, -1, SQLITE_TRANSIENT);
}

void nr__sqlite_col_id(sqlite3_stmt *s, int i, char out[NR_UUID_LEN + 1])
{
	if (sqlite3_column_type(s, i) == SQLITE_BLOB && sqlite3_column_bytes(s, i) == ID_BYTES)
		nr__sqlite_id_format(sqlite3_column_blob(s, i), out);
	else /* NULL; never anything else, the columns' CHECKs see to it */
		out[0] = '\0';
}

void nr__sqlite_bind_id_prefix(sqlite3_stmt *s, int i, const char *prefix)
{
	unsigned char lo[ID_BYTES], hi[ID_BYTES];
	int digits = parse_digits(prefix, strlen(prefix), lo), k;

	if (digits < 0) { /* no id starts so: a range with nothing in it */
		sqlite3_bind_null(s, i);
		sqlite3_bind_null(s, i + 1);
		return;
	}
	/* lo: the prefix then zeros; hi: the prefix then ones (an odd digit count ends mid-byte) */
	memcpy(hi, lo, sizeof(hi));
	for (k = digits; k < 2 * ID_BYTES; k++)
		hi[k / 2] |= (unsigned char)(k % 2 ? 0x0f : 0xf0);
	sqlite3_bind_blob(s, i, lo, ID_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, i + 1, hi, ID_BYTES, SQLITE_TRANSIENT);
}

/* ---- SQL functions: uuid_blob(X) and uuid_str(X) ---- */

/*
 * The names and meaning of SQLite's own uuid extension (ext/misc/uuid.c,
 * not built into Debian's libsqlite3): uuid_str(X) is the text form of
 * an id X (a 16-byte blob, or text), NULL for anything else; uuid_blob(X)
 * its 16 bytes. Unlike the extension's, uuid_blob fails on text that is
 * not an id: a migration must not turn a bad reference into NULL, nor a
 * user's `WHERE run_id = uuid_blob('0190ab')` into one that finds nothing
 * without a word.
 */
static void sql_uuid_blob(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	unsigned char b[ID_BYTES];
	const char *t;
	char *msg;

	(void)argc;
	switch (sqlite3_value_type(argv[0])) {
	case SQLITE_NULL:
		sqlite3_result_null(cx);
		return;
	case SQLITE_BLOB:
		if (sqlite3_value_bytes(argv[0]) == ID_BYTES) {
			sqlite3_result_value(cx, argv[0]);
			return;
		}
		break;
	default:
		t = (const char *)sqlite3_value_text(argv[0]);
		if (t && nr__sqlite_id_parse(t, (size_t)sqlite3_value_bytes(argv[0]), b)) {
			sqlite3_result_blob(cx, b, ID_BYTES, SQLITE_TRANSIENT);
			return;
		}
	}
	msg = sqlite3_mprintf("uuid_blob: '%.60s' is not an id (8-4-4-4-12 hex digits)",
			      sqlite3_value_type(argv[0]) == SQLITE_BLOB
				      ? "(a blob)" : (const char *)sqlite3_value_text(argv[0]));
	sqlite3_result_error(cx, msg ? msg : "uuid_blob: not an id", -1);
	sqlite3_free(msg);
}

static void sql_uuid_str(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	unsigned char b[ID_BYTES];
	char out[NR_UUID_LEN + 1];
	const char *t;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB && sqlite3_value_bytes(argv[0]) == ID_BYTES) {
		nr__sqlite_id_format(sqlite3_value_blob(argv[0]), out);
	} else if (sqlite3_value_type(argv[0]) == SQLITE_TEXT &&
		   (t = (const char *)sqlite3_value_text(argv[0])) &&
		   nr__sqlite_id_parse(t, (size_t)sqlite3_value_bytes(argv[0]), b)) {
		nr__sqlite_id_format(b, out);
	} else {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_text(cx, out, NR_UUID_LEN, SQLITE_TRANSIENT);
}

int nr__sqlite_id_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db, "uuid_blob", 1, flags, NULL, sql_uuid_blob, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_create_function(db, "uuid_str", 1, flags, NULL, sql_uuid_str, NULL, NULL) !=
		    SQLITE_OK)
		return -1;
	return 0;
}

/* ---- schema 9 -> 10 ---- */

/*
 * A column of ids: a 16-byte blob or NULL, nothing else (not the text of
 * an id a site forgot to bind as one). Its type name UUID says what it
 * holds (`report --query` shows such a column as text).
 */
#define ID(c) c " UUID CHECK (" c " IS NULL OR typeof(" c ") = 'blob' AND length(" c ") = 16)"

/* The tables of schema 10 that hold ids, in the columns and order of schema 9. */
#define TABLES_10 \
	"CREATE TABLE runs (" ID("id") " PRIMARY KEY, campaign TEXT NOT NULL, campaign_path TEXT," \
	"  config TEXT NOT NULL, config_hash TEXT NOT NULL, commit_sha TEXT, branch TEXT," \
	"  labels TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, reason TEXT," \
	"  controller TEXT, netrig_version TEXT, started_at INTEGER NOT NULL, finished_at INTEGER," \
	"  pid INTEGER, pid_start TEXT, heartbeat INTEGER, options TEXT);" \
	"CREATE TABLE hosts (" ID("id") " PRIMARY KEY," \
	"  " ID("run_id") " NOT NULL REFERENCES runs (id), name TEXT NOT NULL," \
	"  transport TEXT NOT NULL, address TEXT, sysinfo TEXT, labels TEXT," \
	"  optional INTEGER NOT NULL DEFAULT 0, UNIQUE (run_id, name));" \
	"CREATE TABLE cases (" ID("id") " PRIMARY KEY," \
	"  " ID("run_id") " NOT NULL REFERENCES runs (id), ordinal INTEGER NOT NULL," \
	"  test TEXT NOT NULL, key TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL," \
	"  repeats INTEGER NOT NULL, repeats_done INTEGER NOT NULL DEFAULT 0," \
	"  attempts INTEGER NOT NULL DEFAULT 0, started_at INTEGER, finished_at INTEGER," \
	"  ping_count INTEGER NOT NULL DEFAULT 0, ssh_check_count INTEGER NOT NULL DEFAULT 0," \
	"  error TEXT, hosts TEXT, UNIQUE (run_id, key));" \
	"CREATE TABLE attempts (" ID("id") " PRIMARY KEY," \
	"  " ID("case_id") " NOT NULL REFERENCES cases (id), number INTEGER NOT NULL," \
	"  repeat INTEGER NOT NULL, outcome TEXT NOT NULL, exit_code INTEGER, signal INTEGER," \
	"  started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, error TEXT," \
	"  superseded INTEGER NOT NULL DEFAULT 0, n INTEGER, UNIQUE (case_id, number));" \
	/* rowid order: a role's streams are exported in the order they were written */ \
	"CREATE TABLE outputs (" ID("attempt_id") " NOT NULL REFERENCES attempts (id)," \
	"  role TEXT NOT NULL, host TEXT, stream TEXT NOT NULL, size INTEGER NOT NULL," \
	"  dropped INTEGER NOT NULL DEFAULT 0, compression TEXT NOT NULL, data BLOB NOT NULL," \
	"  PRIMARY KEY (attempt_id, role, stream));" \
	"CREATE TABLE events (" ID("id") " PRIMARY KEY," \
	"  " ID("run_id") " NOT NULL REFERENCES runs (id), " ID("case_id") "," \
	"  time INTEGER NOT NULL, host TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);" \
	"CREATE TABLE jobs (" ID("id") " PRIMARY KEY, campaign TEXT NOT NULL, campaign_path TEXT," \
	"  config TEXT, repo TEXT, repo_path TEXT, repo_commit TEXT," \
	"  tests TEXT NOT NULL DEFAULT '[]', overrides TEXT NOT NULL DEFAULT '{}'," \
	"  needs TEXT NOT NULL DEFAULT '[]', labels TEXT NOT NULL DEFAULT '{}', requester TEXT," \
	"  status TEXT NOT NULL, worker TEXT, lease_until INTEGER," \
	"  tries INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, reasons TEXT," \
	"  " ID("run_id") ", created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER," \
	"  repo_branch TEXT, origin TEXT, cancelled_by TEXT, reported TEXT, reported_at INTEGER," \
	"  CHECK (config IS NOT NULL OR" \
	"    (repo IS NOT NULL AND repo_path IS NOT NULL AND repo_commit IS NOT NULL)));" \
	"CREATE TABLE users (" ID("id") " PRIMARY KEY, name TEXT NOT NULL UNIQUE," \
	"  created_at INTEGER NOT NULL);" \
	/* a token's id is no UUID (its 16 hex digits are part of the token): text, as in PostgreSQL */ \
	"CREATE TABLE tokens (id TEXT PRIMARY KEY, " ID("user_id") " NOT NULL REFERENCES users (id)," \
	"  scope TEXT NOT NULL, hash TEXT NOT NULL, created_at INTEGER NOT NULL," \
	"  expires_at INTEGER, revoked_at INTEGER);" \
	"CREATE TABLE uploads (" ID("run_id") " PRIMARY KEY REFERENCES runs (id)," \
	"  user_name TEXT NOT NULL, uploaded_at INTEGER NOT NULL);" \
	"CREATE TABLE pushes (" ID("run_id") " NOT NULL REFERENCES runs (id), server TEXT NOT NULL," \
	"  url TEXT, pushed_at INTEGER NOT NULL, PRIMARY KEY (run_id, server));"

/* Their rows from the tables of schema 9, renamed v9_*. */
#define ROWS_OF_9 \
	"INSERT INTO runs SELECT uuid_blob(id), campaign, campaign_path, config, config_hash," \
	"  commit_sha, branch, labels, status, reason, controller, netrig_version, started_at," \
	"  finished_at, pid, pid_start, heartbeat, options FROM v9_runs ORDER BY rowid;" \
	"INSERT INTO hosts SELECT uuid_blob(id), uuid_blob(run_id), name, transport, address," \
	"  sysinfo, labels, optional FROM v9_hosts ORDER BY rowid;" \
	"INSERT INTO cases SELECT uuid_blob(id), uuid_blob(run_id), ordinal, test, key, params," \
	"  status, repeats, repeats_done, attempts, started_at, finished_at, ping_count," \
	"  ssh_check_count, error, hosts FROM v9_cases ORDER BY rowid;" \
	"INSERT INTO attempts SELECT uuid_blob(id), uuid_blob(case_id), number, repeat, outcome," \
	"  exit_code, signal, started_at, finished_at, error, superseded, n FROM v9_attempts" \
	"  ORDER BY rowid;" \
	"INSERT INTO outputs SELECT uuid_blob(attempt_id), role, host, stream, size, dropped," \
	"  compression, data FROM v9_outputs ORDER BY rowid;" \
	"INSERT INTO events SELECT uuid_blob(id), uuid_blob(run_id), uuid_blob(case_id), time," \
	"  host, kind, message FROM v9_events ORDER BY rowid;" \
	"INSERT INTO jobs SELECT uuid_blob(id), campaign, campaign_path, config, repo, repo_path," \
	"  repo_commit, tests, overrides, needs, labels, requester, status, worker, lease_until," \
	"  tries, failures, reasons, uuid_blob(run_id), created_at, started_at, finished_at," \
	"  repo_branch, origin, cancelled_by, reported, reported_at FROM v9_jobs ORDER BY rowid;" \
	"INSERT INTO users SELECT uuid_blob(id), name, created_at FROM v9_users ORDER BY rowid;" \
	"INSERT INTO tokens SELECT id, uuid_blob(user_id), scope, hash, created_at, expires_at," \
	"  revoked_at FROM v9_tokens ORDER BY rowid;" \
	"INSERT INTO uploads SELECT uuid_blob(run_id), user_name, uploaded_at FROM v9_uploads" \
	"  ORDER BY rowid;" \
	"INSERT INTO pushes SELECT uuid_blob(run_id), server, url, pushed_at FROM v9_pushes" \
	"  ORDER BY rowid;"

/* The indexes, triggers and view that name them. */
#define INDEXES_10 \
	"CREATE INDEX runs_campaign ON runs (campaign, started_at);" \
	"CREATE INDEX cases_run ON cases (run_id, ordinal);" \
	"CREATE INDEX events_run ON events (run_id, time);" \
	"CREATE INDEX uploads_user ON uploads (user_name, uploaded_at);" \
	"CREATE INDEX jobs_queue ON jobs (status, created_at);" \
	"CREATE INDEX jobs_unreported ON jobs (status) WHERE origin IS NOT NULL AND" \
	"  (reported IS NULL OR reported <> 'final');" \
	NR__SQLITE_ATTEMPTS_N \
	NR__STORE_SAMPLES_VIEW \
	NR__SQLITE_SAMPLES_INSERT

/*
 * Every table that holds an id is made again (SQLite changes no column's
 * type in place), with the columns of schema 9 in their order: the old
 * one renamed (legacy_alter_table on, foreign_keys off: nr__store_sqlite_migrate
 * sets both, so the references of other tables keep naming the new
 * table), its rows copied with each id through uuid_blob (which fails on
 * text that is not an id rather than lose a reference), the old dropped.
 * The indexes, triggers and the view samples that name these tables go
 * first and come back as they were. sample_rows and series hold no id:
 * untouched (sample_rows references attempts by n, which is kept).
 */
const char nr__sqlite_ids_as_blobs[] =
	"DROP VIEW samples; DROP TRIGGER attempts_n;" /* the view takes its trigger along */
	"DROP INDEX runs_campaign; DROP INDEX cases_run; DROP INDEX attempts_n;"
	"DROP INDEX events_run; DROP INDEX jobs_queue; DROP INDEX jobs_unreported;"
	"DROP INDEX uploads_user;"
	"ALTER TABLE runs RENAME TO v9_runs; ALTER TABLE hosts RENAME TO v9_hosts;"
	"ALTER TABLE cases RENAME TO v9_cases; ALTER TABLE attempts RENAME TO v9_attempts;"
	"ALTER TABLE outputs RENAME TO v9_outputs; ALTER TABLE events RENAME TO v9_events;"
	"ALTER TABLE jobs RENAME TO v9_jobs; ALTER TABLE users RENAME TO v9_users;"
	"ALTER TABLE tokens RENAME TO v9_tokens; ALTER TABLE uploads RENAME TO v9_uploads;"
	"ALTER TABLE pushes RENAME TO v9_pushes;"
	TABLES_10
	ROWS_OF_9
	"DROP TABLE v9_pushes; DROP TABLE v9_uploads; DROP TABLE v9_tokens; DROP TABLE v9_users;"
	"DROP TABLE v9_jobs; DROP TABLE v9_events; DROP TABLE v9_outputs; DROP TABLE v9_attempts;"
	"DROP TABLE v9_cases; DROP TABLE v9_hosts; DROP TABLE v9_runs;"
	INDEXES_10;

/* A new file: schema 10 at once, the tables the chain from 0 would end with. */
const char nr__sqlite_schema_10[] =
	NR__SQLITE_META
	TABLES_10
	NR__SQLITE_METRICS
	NR__SQLITE_SERIES
	NR__SQLITE_SAMPLE_ROWS
	INDEXES_10;
