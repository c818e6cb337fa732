#!/bin/sh
# A database written by a newer netrig may hold a status, case status or
# attempt outcome this one does not know (they are enums in the code,
# metric/state.h, with their names only at the store's boundary). Every
# command that reads it shows "unknown" and goes on; none crashes, none
# takes it for a known state: resume refuses such a run and leaves it as
# it is; a merge copies the stored words unchanged. `job list --status`
# refuses a word that is no job status rather than list nothing.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF2'
campaign: newer
tests:
  - name: kv
    repeat: 2
    run: [sh, -c, 'echo "rate={r}{repeat}"']
    matrix:
      r: [1, 2]
    parse:
      format: keyvalue
      metrics:
        rate: {unit: Mbit/s, better: higher}
EOF2

D=$(db d)
expect_exit 0 "$NETRIG" -q run c.yaml --db "$D"
run=$(sql "$D" "select uuid_str(id) from runs")
[ -n "$run" ] || fail "no run stored"
case1=$(sql "$D" "select uuid_str(id) from cases where key = 'kv/r=1'")
sql "$D" "update runs set status = 'archived'" > /dev/null || fail "cannot set the run's status"
sql "$D" "update cases set status = 'quarantined' where id = uuid_blob('$case1')" > /dev/null ||
	fail "cannot set a case's status"
sql "$D" "update attempts set outcome = 'skipped_by_policy' where case_id = uuid_blob('$case1')" > /dev/null ||
	fail "cannot set an attempt's outcome"

say "status, report (every format), results, log, db runs: 'unknown', no crash"
expect_exit 0 "$NETRIG" --db "$D" status "$run"
expect_grep "unknown" out "status names the run's state"
for f in text json md csv junit html; do
	"$NETRIG" --db "$D" report "$run" --format "$f" > "report.$f" 2> err
	rc=$?
	[ $rc -le 1 ] || fail "report --format $f exits $rc: $(cat err)"
	# JUnit has no place for a run's status: its cases are its metrics
	[ "$f" = junit ] || grep -q unknown "report.$f" || fail "report --format $f does not say unknown"
	grep -qE 'archived|quarantined' "report.$f" && fail "report --format $f shows a word it does not know as if it did"
done
python3 -c 'import json,sys; d=json.load(open("report.json")); assert d["status"] == "unknown", d["status"]' ||
	fail "report json: status is not \"unknown\""
expect_exit 0 "$NETRIG" --db "$D" results "$run"
expect_grep "kv/r=1" out "results still lists the case"
expect_exit 0 "$NETRIG" --db "$D" log kv/r=1 --run "$run"
expect_grep "=== attempt 1 .*unknown" out "log names the attempt's outcome"
expect_exit 0 "$NETRIG" --db "$D" db runs
expect_grep "unknown" out "db runs names the run's state"

say "resume refuses a run whose status it does not know, and leaves it as it is"
expect_exit 2 "$NETRIG" --db "$D" run --run "$run"
expect_grep "status this netrig does not know" err "resume says why"
expect_eq "$(sql "$D" "select status from runs")" archived "the run's stored status"
expect_eq "$(sql "$D" "select status from cases where id = uuid_blob('$case1')")" quarantined "the case's stored status"

say "job list --status takes the statuses this netrig knows, refuses another word"
expect_exit 0 "$NETRIG" --db "$D" job list --status cancelled
expect_exit 2 "$NETRIG" --db "$D" job list --status archived
expect_grep "queued, running, done, failed or cancelled, not 'archived'" err "the refusal names the statuses"

say "a merge (into a new SQLite file) keeps the stored words"
expect_exit 0 "$NETRIG" db merge merged.db "$D"
expect_eq "$(sql merged.db "select status from runs")" archived "the merged run's status"
expect_eq "$(sql merged.db "select count(*) from attempts where outcome = 'skipped_by_policy'")" 2 \
	"the merged attempts' outcome"
done_ok
