#!/bin/sh
# A store write that fails (issue 11, item 2), on every table in turn: a
# trigger raises an error on one insert or update, as a full disk or a
# broken file would. netrig never crashes: it exits 3 naming the error,
# the run is stopped and resumable where the store still takes that write
# (left 'running' with its controller gone where it does not), no case is
# left half-written, and once the cause is gone --resume finishes the run
# with every case's attempts and samples stored once.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: storeerr
defaults: {retries: 0}
tests:
  - name: t
    repeat: 2
    run: [printf, 'v={n}\n']
    matrix: {n: [1, 2, 3]}
    parse: {format: keyvalue, metrics: {v: {unit: ms}}}
EOF
# A metric's row is written once, by the first sample of it: the second
# run must bring a metric the database has not seen for its insert to be
# tried (the store reads the known ones at once and writes nothing for them)
sed -e 's/v={n}/w={n}/' -e 's/metrics: {v:/metrics: {w:/' c.yaml > c-new-metric.yaml
# the cases and samples of the newest run, as one line
sheet() {
	sql "$1" "select group_concat(status || ':' || repeats_done || ':' || attempts, ' ')
		from (select * from cases where run_id = (select id from runs order by started_at desc
		limit 1) order by ordinal)"
}

for write in "insert on runs" "insert on hosts" "insert on cases" "update on runs" \
	"update on cases" "insert on attempts" "insert on outputs" "insert on sample_rows" \
	"insert on metrics" "insert on events"; do
	say "a failing $write"
	db="$(echo "$write" | tr ' ' _).db"
	expect_exit 0 "$NETRIG" -q --db "$db" run c.yaml
	sql "$db" "create trigger boom before $write begin select raise(abort, 'boom: $write'); end;" ||
		fail "trigger"
	camp=c.yaml
	[ "$write" = "insert on metrics" ] && camp=c-new-metric.yaml
	"$NETRIG" --db "$db" run $camp > out 2> err
	rc=$?
	expect_no_grep 'Bus error|Segmentation|Aborted|AddressSanitizer|runtime error|double free' err "no crash"
	case "$write" in
	"insert on events")
		# events are never worth a run: it goes on without them
		[ $rc = 0 ] || { cat err; fail "a failing event write exited $rc"; }
		sql "$db" "drop trigger boom"
		continue ;;
	esac
	[ $rc = 3 ] || { cat err; fail "exit $rc, not 3"; }
	expect_grep "boom: $write" err "the message names the store's error"
	runs=$(sql "$db" "select count(*) from runs")
	case "$write" in
	"insert on runs" | "insert on hosts" | "insert on cases")
		# the run is created in one transaction: none of it is there
		expect_eq "$runs" 1 "no second run"
		expect_eq "$(sql "$db" "select count(*) from hosts")" 1 "no second run's hosts"
		sql "$db" "drop trigger boom"
		expect_exit 0 "$NETRIG" -q --db "$db" run $camp
		expect_eq "$(sheet "$db")" "passed:2:2 passed:2:2 passed:2:2" "a run after the cause is gone"
		continue ;;
	"update on runs")
		# the store takes no write on the run: it stays running, its controller gone
		expect_eq "$(sql "$db" "select status from runs order by started_at desc limit 1")" running \
			"the run the store could not update"
		expect_grep 'could not be marked stopped' err "the message says so"
		expect_exit 0 "$NETRIG" --db "$db" status
		expect_grep 'running \(controller gone\)' out "status sees the controller gone" ;;
	*)
		expect_eq "$(sql "$db" "select status from runs order by started_at desc limit 1")" stopped \
			"the run is stopped"
		expect_grep "resume" err "the message says how to continue"
		expect_exit 0 "$NETRIG" --db "$db" status
		expect_grep '  stopped  ' out "status says stopped"
		expect_grep "the store failed: .*boom: $write" out "status says why" ;;
	esac
	expect_eq "$(sql "$db" "select count(*) from cases where status = 'running'")" 0 "no case left running"
	# nothing half-written: every attempt has its outputs, and its samples if it passed
	expect_eq "$(sql "$db" "select count(*) from attempts a where (select count(*) from outputs o
		where o.attempt_id = a.id) != 2 or (select count(*) from samples s where s.attempt_id = a.id) != 1")" 0 \
		"every stored attempt is whole"
	sql "$db" "drop trigger boom"
	expect_exit 0 "$NETRIG" -q --db "$db" run --resume $camp
	expect_eq "$(sheet "$db")" "passed:2:2 passed:2:2 passed:2:2" "the resumed run"
	expect_eq "$(sql "$db" "select count(*) from samples where case_id in (select id from cases
		where run_id = (select id from runs order by started_at desc limit 1))")" 6 "6 samples, each once"
done
done_ok
