#!/bin/sh
# SIGINT: the run exits 130, is marked interrupted, its case's processes
# are ended, and --resume finishes it with every case's samples exactly
# once. stop_after_failures: consecutive failed cases end the run with
# exit 3 and the reason in 'status'; after the cause is fixed, --resume
# runs the cases that had not run.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: interrupt
tests:
  - name: step
    repeat: 2
    run: [sh, -c, 'echo $$ > current.pid; sleep 0.2; echo "value={n}{repeat}"']
    matrix:
      n: [1, 2, 3, 4, 5, 6]
    parse:
      format: keyvalue
      metrics:
        value: {}
EOF

pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'
samples_at_least() {
	[ -e r.db ] && [ "$(sql r.db "select count(*) from samples" 2> /dev/null)" -ge "$1" ] 2> /dev/null
}

say "SIGINT in the middle of a case: exit 130, run interrupted"
"$NETRIG" run c.yaml --db r.db > bg.out 2> bg.err &
pid=$!
wait_until 20 samples_at_least 5 || { cat bg.err; fail "5 samples were not stored within 20 s"; }
sleep 0.05 # into the next repeat's sleep
kill -INT $pid
wait $pid
rc=$?
pid=""
[ $rc = 130 ] || { cat bg.err; fail "the interrupted run exited $rc, not 130"; }
expect_eq "$(sql r.db "select status from runs")" interrupted "run status after SIGINT"
cat bg.out bg.err > bg.all
expect_grep "resume" bg.all "the message says how to continue"
expect_exit 0 "$NETRIG" --db r.db status
expect_grep 'interrupted' out "status shows the run interrupted"
inflight=$(cat current.pid)
alive "$inflight" && fail "the case's process $inflight outlived the interrupted run"
stored=$(sql r.db "select count(*) from samples")
[ "$stored" -lt 12 ] || fail "the run finished before SIGINT"
echo "  interrupted with $stored of 12 samples stored"
say "the case in flight is pending again in the sheet, with its finished repeat kept"
expect_eq "$(sql r.db "select count(*) from cases where status = 'running'")" 0 "no case left running"
expect_eq "$(sql r.db "select status || ' ' || repeats_done from cases where repeats_done = 1")" \
	"pending 1" "the case in flight: pending, 1 of 2 repeats done"
expect_exit 0 "$NETRIG" --db r.db status --csv
expect_no_grep ',running,' out "status --csv shows no case running"

say "--resume finishes it: every case passed with exactly its 2 samples"
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db r.db
expect_eq "$(sql r.db "select count(*) || ' ' || status from runs")" "1 passed" "one run, passed"
bad=$(sql r.db "select c.key, group_concat(s.repeat) from cases c left join samples s on s.case_id = c.id group by c.id having count(s.value) != 2 or count(distinct s.repeat) != 2 or c.status != 'passed'")
[ -z "$bad" ] || fail "cases without exactly their samples: $bad"
expect_eq "$(sql r.db "select count(*) from samples")" 12 "12 samples in all"

say "SIGTERM (a CI job's timeout) interrupts the same way and ends the case's processes"
cat > term.yaml <<'EOF'
campaign: term
tests:
  - name: t
    run: [sh, -c, 'echo $$ > term.pid; sh -c "echo \$\$ > term-child.pid; exec sleep 30" & wait']
EOF
"$NETRIG" -q run term.yaml --db term.db > bg.out 2> bg.err &
pid=$!
wait_until 10 sh -c 'test -s term.pid && test -s term-child.pid' || fail "the term case did not start"
kill -TERM $pid
wait $pid
rc=$?
pid=""
[ $rc = 130 ] || [ $rc = 143 ] || fail "the run ended by SIGTERM exited $rc"
expect_eq "$(sql term.db "select status from runs")" interrupted "run status after SIGTERM"
for f in term.pid term-child.pid; do
	alive "$(cat $f)" && fail "process $(cat $f) ($f) outlived the run ended by SIGTERM"
done

cat > b.yaml <<'EOF'
campaign: breaker
stop_after_failures: 2
tests:
  - name: t
    run: [sh, -c, 'echo {n} >> ran.log; [ -e fixed.flag ] || [ {n} -lt 3 ]']
    matrix:
      n: [1, 2, 3, 4, 5, 6, 7]
EOF
say "stop_after_failures: 2 failures in a row stop the run with exit 3"
expect_exit 3 "$NETRIG" run b.yaml --db b.db
expect_eq "$(tr '\n' ' ' < ran.log)" "1 2 3 4 " "cases that ran before the breaker"
expect_eq "$(sql b.db "select status from runs")" stopped "run status"
sql b.db "select reason from runs" > reason
expect_grep 'stop_after_failures' reason "stored reason"
expect_exit 0 "$NETRIG" --db b.db status
expect_grep 'stopped after 2 failed cases in a row' out "status shows the reason"
expect_grep '^5 +t/n=5 +pending' out "the cases after the stop are pending"

say "after the fix, --resume runs the remaining cases (the failed ones stay failed)"
touch fixed.flag
expect_exit 1 "$NETRIG" -q run --resume b.yaml --db b.db
expect_eq "$(tr '\n' ' ' < ran.log)" "1 2 3 4 5 6 7 " "each case ran once"
expect_eq "$(sql b.db "select group_concat(s, ' ') from (select status as s from cases order by ordinal)")" \
	"passed passed failed failed passed passed passed" "case statuses after the resume"
expect_eq "$(sql b.db "select status from runs")" failed "run status after the resume"

say "a breaker that counts only failures in a row: a pass resets it"
cat > b2.yaml <<'EOF'
campaign: breaker2
stop_after_failures: 2
tests:
  - name: t
    run: [sh, -c, 'case {c} in f*) exit 1;; esac']
    matrix:
      c: [f1, p1, f2, p2, f3]
EOF
expect_exit 1 "$NETRIG" -q run b2.yaml --db b2.db
expect_eq "$(sql b2.db "select count(*) from cases where status in ('passed', 'failed')")" 5 "every case ran"
done_ok
