#!/bin/sh
# db merge of a source it cannot use (issue 11, item 9): missing, random
# bytes, text, cut short at several places, another program's SQLite
# file, a newer netrig's: exit 2 (an unusable database, as the README
# says) with a message naming it, and the target unchanged. The target
# itself as a source, by any path (./X, a symlink, a hard link), is
# refused at once instead of waiting 10 s for its own lock. On
# PostgreSQL the same SQLite files into a database there, and the target
# by another spelling of its URL.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF2'
campaign: merge
tests:
  - {name: t, repeat: 3, run: [sh, -c, 'head -c 3000 /dev/urandom | od -x | head -c 20000; echo v=1'],
     matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}, parse: {format: keyvalue, metrics: {v: {}}}}
EOF2
expect_exit 0 "$NETRIG" -q --db src.db run c.yaml
T=$(db t)
expect_exit 0 "$NETRIG" -q --db "$T" run c.yaml
sql src.db "pragma wal_checkpoint(truncate)" > /dev/null
size=$(stat -c %s src.db)
[ "$size" -gt 100000 ] || fail "the source is too small to cut in many places ($size bytes)"
counts() { sql "$1" "select (select count(*) from runs) || ' ' || (select count(*) from samples)"; }
before=$(counts "$T")

head -c 20000 /dev/urandom > random.db
printf 'campaign: not a database\n' > text.db
sqlite3 other.db "create table photos (id integer primary key, path text); insert into photos values (1, 'a.jpg');"
cp src.db newer.db
sql newer.db "update meta set value = '99' where key = 'schema_version'"
set -- random.db text.db other.db newer.db missing.db
for pct in 10 30 50 70 90 99; do
	head -c $((size * pct / 100 / 4096 * 4096)) src.db > cut$pct.db
	set -- "$@" cut$pct.db
done
for f in "$@"; do
	say "merging $f: exit 2, named, nothing added"
	expect_exit 2 "$NETRIG" db merge "$T" "$f"
	expect_grep "^netrig db merge: .*$f" err "the message names the source"
	expect_no_grep 'Segmentation|AddressSanitizer|runtime error' err "no crash"
	expect_eq "$(counts "$T")" "$before" "the target is unchanged"
	case $f in
	newer.db) expect_grep 'newer than this netrig' err "a newer schema is named" ;;
	cut*) expect_grep 'malformed|not a whole database' err "a cut file is named so" ;;
	esac
done

say "the target itself, by any path: refused at once"
if is_pg "$T"; then
	set -- "$T" "$T&application_name=another" "$(printf '%s' "$T" | sed 's,^postgresql://,postgres://,')"
else
	ln -s t.db sym.db
	ln t.db hard.db
	mkdir d
	set -- t.db ./t.db "$tmp/t.db" sym.db hard.db d/../t.db
fi
for f in "$@"; do
	start=$(date +%s)
	expect_exit 2 "$NETRIG" db merge "$T" "$f"
	[ $(($(date +%s) - start)) -lt 3 ] || fail "merging $f into itself took $(($(date +%s) - start)) s"
	expect_grep 'itself' err "the message says it is the same database"
done
expect_eq "$(counts "$T")" "$before" "the target is unchanged"

say "a good source still merges (exit 0)"
expect_exit 0 "$NETRIG" db merge "$T" src.db
expect_grep '^src.db: 1 runs' out "one run added"
done_ok
