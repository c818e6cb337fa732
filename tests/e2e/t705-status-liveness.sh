#!/bin/sh
# A run records its controller (host, pid, the process's start time) and
# a heartbeat (issue 11, item 7): status tells a live run from one whose
# controller was killed, also when the pid was given to another process
# since; for a controller on another host it says how long it has been
# silent; and status --watch ends (exit 3) once the controller is gone
# instead of waiting for ever.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: live
tests:
  - name: step
    run: [sh, -c, 'echo $$ > step-{n}.pid; sleep 0.3']
    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}
  - name: long
    run: [sh, -c, 'test -e long.done && exit 0; echo $$ > long.pid; exec sleep 60']
EOF
pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'
"$NETRIG" -q --db l.db run c.yaml > bg.out 2> bg.err &
pid=$!

say "while it runs: alive, with its pid, and a heartbeat that moves"
wait_until 10 test -s step-2.pid || fail "the run did not start"
expect_exit 0 "$NETRIG" --db l.db status --json
expect_grep '"state": "alive"' out "status --json: the controller is alive"
expect_grep "\"pid\": $pid" out "status --json: the controller's pid"
beat1=$(sql l.db "select heartbeat from runs")
wait_until 10 test -s step-5.pid || fail "the run did not go on"
beat2=$(sql l.db "select heartbeat from runs")
[ "$beat2" -gt "$beat1" ] || fail "the heartbeat did not move: $beat1 then $beat2"
expect_exit 0 "$NETRIG" --db l.db status
expect_grep '^run [0-9a-f-]{8,}  live  running  ' out "status: running"

say "kill -9 of the controller: status sees it gone, --watch ends with exit 3"
wait_until 20 test -s long.pid || fail "the long case did not start"
kill -9 $pid
wait $pid 2> /dev/null
pid=""
expect_exit 0 "$NETRIG" --db l.db status
expect_grep 'running \(controller gone\)' out "status: controller gone"
expect_grep "resume" out "status says how to continue"
expect_exit 0 "$NETRIG" --db l.db status --json
expect_grep '"state": "gone"' out "status --json: gone"
start=$(date +%s)
timeout 10 "$NETRIG" --db l.db status --watch --interval 100ms > out 2> err
rc=$?
[ $rc = 3 ] || { cat out err; fail "status --watch of a dead run exited $rc, not 3"; }
[ $(($(date +%s) - start)) -lt 5 ] || fail "status --watch took too long to see it"
expect_grep 'controller .* is gone' err "--watch says why it ended"

say "a recycled pid: another live process with the controller's pid is not it"
sleep 60 &
other=$!
at_exit "kill $other 2> /dev/null"
sql l.db "update runs set pid = $other"
expect_exit 0 "$NETRIG" --db l.db status
expect_grep 'running \(controller gone\)' out "a process that got the pid later is not the controller"
# a run written before netrig kept the start time: a live pid is all it can go by
sql l.db "update runs set pid_start = null"
expect_exit 0 "$NETRIG" --db l.db status
expect_no_grep 'controller gone' out "without a start time, a live pid counts as the controller"
kill $other
wait $other 2> /dev/null
expect_exit 0 "$NETRIG" --db l.db status
expect_grep 'controller gone' out "and a dead one does not"

say "a controller on another host: its heartbeat's age is what status can say"
sql l.db "update runs set controller = 'far-away-$$', heartbeat = (strftime('%s', 'now') - 73) * 1000000"
expect_exit 0 "$NETRIG" --db l.db status
expect_grep "running \(on far-away-$$, no heartbeat for 7[3-9] s\)" out "status: the heartbeat's age"
expect_exit 0 "$NETRIG" --db l.db status --json
expect_grep '"state": "elsewhere"' out "status --json: elsewhere"
timeout 2 "$NETRIG" --db l.db status --watch --interval 100ms > out 2> err
[ $? = 124 ] || fail "--watch of a run on another host ended: it cannot know the run is dead"
expect_grep 'no heartbeat for' out "--watch shows the heartbeat's age"

say "--resume takes the dead run over and finishes it"
sql l.db "update runs set controller = '$(hostname)', pid = 999999999"
touch long.done
expect_exit 0 "$NETRIG" -q --db l.db run --resume c.yaml
expect_eq "$(sql l.db "select status from runs")" passed "the run after the resume"
expect_exit 0 "$NETRIG" --db l.db status --json
expect_grep '"state": null' out "a finished run has no live controller"
done_ok
