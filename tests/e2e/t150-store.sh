#!/bin/sh
# The store: the status sheet (--csv, --json) has one row per case with
# the right counts; results (json, csv) have the right median/min/max;
# log finds a case by key and an attempt by id prefix; db merge adds a
# file's runs once; an older schema is migrated; a missing directory, an
# unwritable file and a corrupt file give a clear message and exit 2 or 3,
# never a crash. On PostgreSQL: the same, merges from SQLite files into it
# and back, and a server that cannot be reached or a wrong database name
# give a clear message without the password.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

cat > c.yaml <<'EOF'
campaign: store
labels: {lab: e2e}
tests:
  - name: kv
    repeat: 3
    run: [sh, -c, 'echo "rate={r}{repeat}"; echo "lat=0.5"']
    matrix:
      r: [1, 2]
    parse:
      format: keyvalue
      metrics:
        rate: {unit: Mbit/s, better: higher}
        lat: {unit: ms, better: lower}
  - name: flaky
    repeat: 2
    retries: 2
    run: [sh, -c, 'n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; echo "try {attempt}"; [ $n -ge 1 ]']
  - name: bad
    run: [sh, -c, 'echo broken >&2; exit 4']
EOF

S=$(db s)
expect_exit 1 "$NETRIG" -q run c.yaml --db "$S"

say "status --csv: one row per case with its counts"
expect_exit 0 "$NETRIG" --db "$S" status --csv -o sheet.csv
python3 - sheet.csv <<'PY' || fail "the CSV status sheet"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
got = [(r["case"], r["status"], r["repeats"], r["repeats_done"], r["attempts"]) for r in rows]
want = [("kv/r=1", "passed", "3", "3", "3"), ("kv/r=2", "passed", "3", "3", "3"),
        ("flaky", "passed", "2", "2", "3"), ("bad", "failed", "1", "0", "1")]
assert got == want, got
assert [r["ordinal"] for r in rows] == ["1", "2", "3", "4"]
assert all(r["ping_count"] == "0" and r["ssh_check_count"] == "0" for r in rows)
assert all(r["start"] and r["end"] for r in rows), rows
assert "exit 4" in rows[3]["error"], rows[3]["error"]
assert rows[0]["params"] == '{"r":"1"}', rows[0]["params"]
PY
expect_exit 0 "$NETRIG" --db "$S" status --json
python3 -m json.tool out > /dev/null || fail "status --json is not JSON"

say "results --format json: median, min, max per case and metric"
expect_exit 0 "$NETRIG" --db "$S" results --format json
python3 - out <<'PY' || fail "results JSON"
import json, sys
j = json.load(open(sys.argv[1]))
res = {(r["case"], r["metric"]): r for r in j["results"]}
assert set(res) == {("kv/r=1", "rate"), ("kv/r=1", "lat"), ("kv/r=2", "rate"), ("kv/r=2", "lat")}, set(res)
r = res[("kv/r=2", "rate")]
# 20, 21, 22 Mbit/s stored in bit/s
assert (r["n"], r["median"], r["min"], r["max"]) == (3, 21e6, 20e6, 22e6), r
assert r["unit"] == "bit/s" and r["better"] == "higher", r
l = res[("kv/r=1", "lat")]
assert l["n"] == 3 and l["better"] == "lower", l
assert j["campaign"] == "store"
PY
expect_exit 0 "$NETRIG" --db "$S" results --format csv
expect_eq "$(grep -c 'kv/r=' out)" 4 "results CSV rows"
expect_exit 0 "$NETRIG" --db "$S" results
expect_grep 'kv/r=2 +rate' out "results table"

say "log: by case key, by attempt id prefix; unknown and ambiguous names fail"
expect_exit 0 "$NETRIG" --db "$S" log bad
expect_grep '^broken$' out "raw stderr of the failed case"
attempt=$(sql "$S" "select uuid_str(a.id) from attempts a join cases c on c.id = a.case_id where c.key = 'flaky' and a.number = 2")
prefix=$(printf '%s' "$attempt" | cut -c1-31)
expect_exit 0 "$NETRIG" --db "$S" log "$prefix" --raw
expect_eq "$(cat out)" "try 2" "the raw output of attempt 2 by a prefix of its id"
expect_exit 0 "$NETRIG" --db "$S" log flaky
expect_eq "$(grep -c '^=== attempt' out)" 3 "log of a case shows each attempt"
"$NETRIG" --db "$S" log nosuchcase > out 2> err
rc=$?
[ $rc = 2 ] || fail "log of an unknown case exits $rc"
expect_grep 'nosuchcase' err "the unknown name is in the message"
expect_exit 2 "$NETRIG" --db "$S" log bad --stream stdot
expect_grep 'stdot' err "a misspelt --stream is named"
"$NETRIG" --db "$S" log 0 > out 2> err
rc=$?
[ $rc != 0 ] && [ $rc -lt 128 ] || fail "log with an ambiguous prefix '0' exits $rc"
[ -s err ] || fail "no message for an ambiguous prefix"

say "raw output is stored compressed with zstd and comes back whole"
cat > z.yaml <<'EOF'
campaign: zstd
tests:
  - name: big
    run: [sh, -c, 'seq 1 200000']
EOF
Z=$(db z)
expect_exit 0 "$NETRIG" -q run z.yaml --db "$Z"
expect_eq "$(sql "$Z" "select compression || ' ' || size || ' ' || (case when length(data) * 4 < size then 1 else 0 end) from outputs where stream = 'stdout'")" \
	"zstd $(seq 1 200000 | wc -c | tr -d ' ') 1" "compression, size, and a blob much smaller than the output"
if command -v zstd > /dev/null; then
	if is_pg "$Z"; then
		sql "$Z" "select encode(data, 'hex') from outputs where stream = 'stdout'" |
			python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' > blob.zst
	else
		sql "$Z" "select writefile('blob.zst', data) from outputs where stream = 'stdout'" > /dev/null
	fi
	zstd -q -d -c blob.zst > blob.txt 2> /dev/null || fail "the stored blob is not a zstd frame"
	seq 1 200000 | cmp -s - blob.txt || fail "the zstd blob does not hold the output"
fi
expect_exit 0 "$NETRIG" --db "$Z" log big --raw
seq 1 200000 | cmp -s - out || fail "log --raw does not give the output back"

say "db merge: the runs are copied once; a second merge adds nothing"
counts() {
	for t in runs hosts cases attempts outputs samples; do
		printf '%s=%s ' $t "$(sql "$1" "select count(*) from $t")"
	done
}
T=$(db t)
M=$(db m)
expect_exit 0 "$NETRIG" -q run c.yaml --db "$T" --test kv
expect_exit 0 "$NETRIG" db merge "$M" "$S" "$T"
first=$(counts "$M")
want=""
for t in runs hosts cases attempts outputs samples; do
	want="$want$t=$(( $(sql "$S" "select count(*) from $t") + $(sql "$T" "select count(*) from $t") )) "
done
expect_eq "$first" "$want" "merged counts are the sum of both"
expect_exit 0 "$NETRIG" db merge "$M" "$S" "$T"
expect_eq "$(counts "$M")" "$first" "merging the same databases again"
expect_exit 0 "$NETRIG" db merge "$M" "$S"
expect_eq "$(counts "$M")" "$first" "merging one of them a third time"
expect_exit 0 "$NETRIG" --db "$M" status "$(sql "$S" "select uuid_str(id) from runs")" --csv
expect_eq "$(tail -n +2 out | wc -l | tr -d ' ')" 4 "the merged run's sheet"
expect_exit 0 "$NETRIG" --db "$M" log bad --run "$(sql "$S" "select uuid_str(id) from runs")"
expect_grep '^broken$' out "raw output survives the merge"
if [ "$backend" = postgresql ]; then
	say "db merge from SQLite files into PostgreSQL and back"
	expect_exit 1 "$NETRIG" -q run c.yaml --db f1.db
	expect_exit 0 "$NETRIG" -q run c.yaml --db f2.db --test kv
	expect_exit 0 "$NETRIG" db merge "$M" f1.db f2.db
	for f in f1.db f2.db; do
		expect_grep "^$f: 1 runs, $(sql $f "select count(*) from cases") cases, $(sql $f "select count(*) from attempts") attempts, $(sql $f "select count(*) from samples") samples added\$" \
			out "SQLite into PostgreSQL"
	done
	expect_exit 0 "$NETRIG" db merge "$M" f1.db f2.db
	expect_grep '^f2.db: 0 runs, 0 cases, 0 attempts, 0 samples added$' out "a second time: nothing"
	expect_exit 0 "$NETRIG" db merge back.db "$M"
	expect_eq "$(counts back.db)" "$(counts "$M")" "PostgreSQL into a new SQLite file: every row"
	expect_exit 0 "$NETRIG" db merge back.db "$M"
	expect_grep ': 0 runs, 0 cases, 0 attempts, 0 samples added$' out "and back a second time: nothing"
	for f in f1.db f2.db; do
		id=$(sql $f "select uuid_str(id) from runs")
		"$NETRIG" --db $f results "$id" --format csv > a.csv || fail "results of $f"
		"$NETRIG" --db back.db results "$id" --format csv > b.csv || fail "results of $f, merged there and back"
		cmp -s a.csv b.csv || fail "the results of $f changed on the way through PostgreSQL"
	done
fi

say "db merge brings forward a run that went further in the source"
cat > g.yaml <<'EOF'
campaign: forward
tests:
  - name: s
    repeat: 2
    run: [sh, -c, 'sleep 0.1; echo "v={n}{repeat}" ; echo {n} >> g.log']
    matrix: {n: [1, 2, 3, 4]}
    parse: {format: keyvalue, metrics: {v: {}}}
EOF
G=$(db g)
GM=$(db gm)
"$NETRIG" -q run g.yaml --db "$G" > bg.out 2>&1 &
pid=$!
wait_until 20 sh -c '[ -e g.log ] && [ $(wc -l < g.log) -ge 3 ]' || fail "the forward run did not start"
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "the interrupted run exited $rc"
expect_exit 0 "$NETRIG" db merge "$GM" "$G"
expect_eq "$(sql "$GM" "select status from runs")" interrupted "merged interrupted run"
early=$(sql "$GM" "select count(*) from samples")
[ "$early" -lt 8 ] || fail "the run was not interrupted early enough"
expect_exit 0 "$NETRIG" -q run --resume g.yaml --db "$G"
expect_exit 0 "$NETRIG" db merge "$GM" "$G"
expect_eq "$(sql "$GM" "select count(*) || ' ' || status from runs group by status")" "1 passed" "the merged run brought forward"
expect_eq "$(sql "$GM" "select status || ':' || repeats_done || ':' || attempts from cases order by ordinal" | tr '\n' ' ')" \
	"passed:2:2 passed:2:2 passed:2:2 passed:2:2 " "its cases brought forward"
expect_eq "$(counts "$GM")" "$(counts "$G")" "target and source hold the same rows"
expect_exit 0 "$NETRIG" db merge "$GM" "$G"
expect_eq "$(counts "$GM")" "$(counts "$G")" "merging once more adds nothing"

if [ "$backend" = postgresql ]; then
	say "a server that cannot be reached, a database that is not there: clear messages, no password"
	n_before=$(cat n)
	for url in "postgresql://bench:s3cret@/netrig?host=$tmp/nosocket" \
		"$NETRIG_TEST_PG&dbname=netrig_no_such_database_$$"; do
		for cmd in "run c.yaml" status results "log bad" "db runs"; do
			"$NETRIG" --db "$url" $cmd > out 2> err
			rc=$?
			{ [ $rc = 2 ] || [ $rc = 3 ]; } || { cat err; fail "$url: $cmd: exit $rc, want 2 or 3"; }
			expect_grep 'netrig .*postgres' err "the message names the database"
			expect_no_grep 's3cret' err "no password in the message"
			expect_no_grep 'assert|sanitizer|Segmentation|core dumped' err "no crash"
		done
		expect_exit 2 "$NETRIG" db merge m2.db "$url"
		expect_no_grep 's3cret' err "no password in the message"
		[ "$(cat n)" = "$n_before" ] || fail "a case ran without a database"
	done
	expect_grep 'cannot connect' err "the message says why"
	done_ok
fi

say "an older schema version is migrated when opened"
cp t.db old.db
# schema 8's compact samples back into version 1's table
sql old.db "create table samples_1 (attempt_id TEXT NOT NULL REFERENCES attempts (id), seq INTEGER NOT NULL, case_id TEXT NOT NULL REFERENCES cases (id), repeat INTEGER NOT NULL, role TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL, orig_value REAL, orig_unit TEXT, interval INTEGER NOT NULL DEFAULT -1, PRIMARY KEY (attempt_id, seq)); insert into samples_1 select * from samples; drop view samples; drop table sample_rows; drop table series; drop trigger attempts_n; drop index attempts_n; alter table attempts drop column n; alter table samples_1 rename to samples; create index samples_case on samples (case_id, metric);" ||
	fail "could not make version 1 samples"
samples_before=$(sql old.db "select count(*) from samples")
sql old.db "drop table jobs; drop table pushes; drop table uploads; drop table tokens; drop table users; drop table events; alter table runs drop column pid; alter table runs drop column pid_start; alter table runs drop column heartbeat; alter table cases drop column hosts; alter table runs drop column options; alter table attempts drop column superseded; alter table hosts drop column labels; alter table hosts drop column optional; update meta set value = '1' where key = 'schema_version';" ||
	fail "could not make a version 1 file"
expect_exit 0 "$NETRIG" --db old.db status --csv
expect_eq "$(sql old.db "select value from meta where key = 'schema_version'")" \
	"$(sql t.db "select value from meta where key = 'schema_version'")" "schema version after opening"
expect_eq "$(sql old.db "select count(*) from samples")" "$samples_before" "samples kept by the migration"
expect_exit 0 "$NETRIG" -q run c.yaml --db old.db --test kv
expect_eq "$(sql old.db "select count(*) from runs")" 2 "a run added to the migrated file"
sql t.db "update meta set value = '999' where key = 'schema_version'"
"$NETRIG" --db t.db status > out 2> err
rc=$?
{ [ $rc = 2 ] || [ $rc = 3 ]; } || fail "a newer schema exits $rc"
expect_grep 'newer' err "a newer schema is named"

# bad_db WHAT CMD...: exit 2 or 3 with a message naming the file
bad_db() {
	what=$1
	shift
	"$@" > out 2> err
	rc=$?
	{ [ $rc = 2 ] || [ $rc = 3 ]; } || { cat err; fail "$what: exit $rc, want 2 or 3"; }
	[ -s err ] || fail "$what: no message"
	grep -E 'netrig .*(\.db|nodir)' err > /dev/null || fail "$what: the message does not name the file: $(cat err)"
	grep -Ei 'assert|sanitizer|segmentation|core dumped' err && fail "$what: crashed"
	return 0
}
say "a missing directory for --db: a clear message, nothing created"
for cmd in "run c.yaml" status results "log bad" "db runs"; do
	bad_db "--db nodir/x.db $cmd" "$NETRIG" --db nodir/x.db $cmd
	expect_grep "nodir" err "the directory is named"
done
[ -e nodir ] && fail "the missing directory was created"
bad_db "db merge into a missing directory" "$NETRIG" db merge nodir/m.db s.db

say "a corrupt file (random bytes, text, a truncated database): clear messages"
head -c 20000 /dev/urandom > rnd.db
printf 'not a database\n' > txt.db
head -c 8192 s.db > cut.db
for f in rnd.db txt.db cut.db; do
	cp $f before
	for cmd in "run c.yaml" status results "log bad" "db runs"; do
		bad_db "$f: $cmd" "$NETRIG" --db $f $cmd
	done
	bad_db "$f: db merge from it" "$NETRIG" db merge m2.db $f
	bad_db "$f: db merge into it" "$NETRIG" db merge $f s.db
	cmp -s $f before || fail "$f was changed"
done
[ -e n ] && [ "$(cat n)" -gt 3 ] && fail "a case ran against a corrupt database"

say "an unwritable database file: a clear message"
cp s.db ro.db
chmod 444 ro.db
chmod 755 "$tmp"
chmod 644 c.yaml
if [ "$(id -u)" = 0 ]; then
	command -v setpriv > /dev/null || skip "root without setpriv cannot test an unwritable file"
	as_other="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	as_other=""
fi
bad_db "unwritable: run" $as_other "$NETRIG" --db ro.db run c.yaml --test bad
cmp -s ro.db s.db || fail "the unwritable file changed"
$as_other "$NETRIG" --db ro.db status > out 2> err
rc=$?
if [ $rc != 0 ]; then
	{ [ $rc = 2 ] || [ $rc = 3 ]; } || fail "status of a read-only file exits $rc"
	echo "  note: status of a read-only file: $(cat err)"
fi
done_ok
