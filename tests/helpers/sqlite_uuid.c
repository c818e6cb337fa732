/*
 * netrig's SQL functions uuid_str(X) and uuid_blob(X) as an SQLite
 * extension, for the sqlite3 shell of the end-to-end scripts (db.sh's
 * `sql`): `.load build/sqlite-uuid`. Ids in files of schema 10 are
 * 16-byte blobs; the scripts read and compare them as text through these,
 * the same SQL as on PostgreSQL, where the migration makes both.
 */
#include <sqlite3.h>

#include "store/store_sqlite_int.h"

int sqlite3_extension_init(sqlite3 *db, char **err, const void *api);

int sqlite3_extension_init(sqlite3 *db, char **err, const void *api)
{
	(void)err;
	(void)api; /* the shell's libsqlite3 is the one this links: its calls work as they are */
	return nr__sqlite_id_functions(db) == 0 ? SQLITE_OK : SQLITE_ERROR;
}
