# The database an end-to-end script runs against: SQLite or PostgreSQL.
# lib.sh sources it; a script without lib.sh (t600) may source it alone.
#
# A script names the backends it runs on in a line of its own:
#
#	# backends: sqlite postgresql
#
# (none: sqlite). tests/check.sh runs every script on its first backend,
# then those that name postgresql again with NETRIG_TEST_BACKEND=postgresql
# and NETRIG_TEST_PG set to the throwaway server it started. By hand:
#
#	NETRIG_TEST_BACKEND=postgresql sh tests/e2e/t150-store.sh
#
# against NETRIG_TEST_PG=postgresql://USER@HOST/DB (a role that may create
# schemas there), or, without it, a throwaway server of its own
# (scripts/pg-throwaway.sh: the PostgreSQL server programs, as root or
# any user).
#
#	db_init            reads the line of $test_script (else $0), sets $backend; 0, or 77 with the reason in $db_why
#	                   (the script is not for this backend, no server);
#	                   $db_cleanup is a command to run when the script ends
#	db NAME            print the location of a new, empty database NAME: NAME.db
#	                   here, or the URL of a new schema on the server
#	db_copy FROM NAME  print the location of a copy of database FROM
#	sql DB QUERY       print QUERY's rows, columns between '|', no header
#	is_pg DB           DB is a PostgreSQL URL
#
# Ids: an SQLite file keeps them as 16-byte blobs (schema 10), PostgreSQL as
# uuid. A query reads one as text with uuid_str(COL) and compares one with
# text through uuid_blob('...'), the same SQL on both: netrig's migration
# makes both functions in PostgreSQL, and `sql` loads them into the sqlite3
# shell (build/sqlite-uuid.so, made here when it is missing).

is_pg() {
	case $1 in
	postgres://* | postgresql://*) return 0 ;;
	*) return 1 ;;
	esac
}

sql() {
	if is_pg "$1"; then
		psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "SET client_min_messages = warning" \
			-c "$2"
	else
		[ -e "$top/build/sqlite-uuid.so" ] || make -s -C "$top" build/sqlite-uuid.so >&2
		sqlite3 -batch -noheader -cmd '.timeout 5000' -cmd ".load $top/build/sqlite-uuid" \
			"$1" "$2"
	fi
}

db_cleanup=:

db_init() {
	_backends=$(sed -n 's/^# backends: //p' "${test_script:-$0}" | head -n 1)
	[ -n "$_backends" ] || _backends=sqlite
	backend=${NETRIG_TEST_BACKEND:-${_backends%% *}}
	case " $_backends " in
	*" $backend "*) ;;
	*)
		db_why="this script runs on $_backends, not $backend"
		return 77
		;;
	esac
	[ "$backend" = postgresql ] || return 0
	if ! command -v psql > /dev/null; then
		db_why="no psql (Debian: postgresql-client)"
		return 77
	fi
	if [ -z "${NETRIG_TEST_PG:-}" ]; then
		_pgdir=$(mktemp -u /tmp/netrig-pg.XXXXXX)
		# set before the server starts: a signal while it starts must stop it too
		db_cleanup="'$top/scripts/pg-throwaway.sh' stop '$_pgdir'; rm -f '$_pgdir.err'"
		if ! NETRIG_TEST_PG=$("$top/scripts/pg-throwaway.sh" start "$_pgdir" 2> "$_pgdir.err"); then
			db_why="no PostgreSQL server: $(tail -n 1 "$_pgdir.err"); set NETRIG_TEST_PG=postgresql://USER@HOST/DB to use one"
			eval "$db_cleanup"
			db_cleanup=:
			return 77
		fi
		rm -f "$_pgdir.err"
		export NETRIG_TEST_PG
	else
		# a server that outlives the script: its schemas go when it ends
		db_cleanup="sql \"\$NETRIG_TEST_PG\" \"DO \\\$\\\$DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'nrt\\_$$\\_%' LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END\\\$\\\$\" > /dev/null"
	fi
	return 0
}

db() {
	if [ "$backend" != postgresql ]; then
		echo "$1.db"
		return
	fi
	# a schema of its own is a database of its own to netrig (the first of the search path)
	_schema=nrt_$$_$(printf '%s' "$1" | tr -c 'a-zA-Z0-9_' _)
	sql "$NETRIG_TEST_PG" "CREATE SCHEMA $_schema" > /dev/null || return 1
	case $NETRIG_TEST_PG in
	*'?'*) echo "$NETRIG_TEST_PG&options=-csearch_path%3D$_schema" ;;
	*) echo "$NETRIG_TEST_PG?options=-csearch_path%3D$_schema" ;;
	esac
}

db_copy() {
	if ! is_pg "$1"; then
		cp "$1" "$2.db" && echo "$2.db"
		return
	fi
	_to=$(db "$2") && "$NETRIG" -q db merge "$_to" "$1" > /dev/null && echo "$_to"
}
