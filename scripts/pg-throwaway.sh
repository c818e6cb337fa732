#!/bin/sh
# A throwaway PostgreSQL server for tests and trials, never the system's:
#
#   scripts/pg-throwaway.sh start DIR   initdb in DIR/data, start the server with
#                                       its Unix socket in DIR only (no TCP), print
#                                       the URL of its "postgres" database
#   scripts/pg-throwaway.sh stop DIR    stop it at once and remove DIR
#
# DIR must not exist yet (start makes it). As root the server runs as the
# "postgres" user (PostgreSQL refuses to run as root); as anyone else, as
# that user. Exit 77 when the server programs are missing (Debian package
# postgresql). fsync is off: the data is thrown away, and tests that kill
# netrig do not kill the server. tests/check.sh and tests/e2e/lib.sh use it.
set -eu

usage() {
	echo "usage: $0 start|stop DIR" >&2
	exit 2
}
[ $# = 2 ] || usage
dir=$2

# The newest server installed (Debian: /usr/lib/postgresql/VERSION/bin), or $PG_BINDIR.
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for b in /usr/lib/postgresql/*/bin; do
		[ -x "$b/initdb" ] && bindir=$b
	done
fi

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		# from /: the caller's directory may be closed to that user
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

case $1 in
start)
	if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
		echo "no PostgreSQL server programs (Debian: apt-get install postgresql)" >&2
		exit 77
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres > /dev/null 2>&1; then
		echo "no 'postgres' user to run the server as" >&2
		exit 77
	fi
	mkdir -m 0700 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
		--no-sync > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	# listen_addresses empty: no TCP at all; the socket only in $dir
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
		-o "-k $dir -c listen_addresses= -c fsync=off -c shared_buffers=32MB" \
		start > /dev/null || { cat "$dir/log" >&2; exit 1; }
	echo "postgresql://postgres@/postgres?host=$dir"
	;;
stop)
	[ -d "$dir" ] || exit 0
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || {
			# pg_ctl could not: end the server by the pid it wrote
			pid=$(head -n 1 "$dir/data/postmaster.pid" 2> /dev/null || :)
			[ -n "$pid" ] && kill -9 "$pid" 2> /dev/null || :
		}
	fi
	rm -rf "$dir"
	;;
*)
	usage
	;;
esac
