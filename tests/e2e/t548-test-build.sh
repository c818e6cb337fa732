#!/bin/sh
# A test's `build:` (ixy-ci's build steps, issue 17): its commands run in
# order, once per host and session before the test's first case, stored
# as attempts (netrig log shows "build"); a failing one fails that case
# with the build's error and every later case of the test on that host
# without running it; a build past build_timeout is stopped.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 > /dev/null || skip "needs sqlite3"

cat > c.yaml << 'EOF2'
campaign: build
tests:
  - name: t
    build: ["sh -c 'echo one >> log'", [sh, -c, "echo two-{test} >> log"]]
    run: [sh, -c, "echo x={x}"]
    matrix: {x: [1, 2, 3]}
    parse: {format: keyvalue, metrics: {x: {}}}
  - name: bad
    build: [[sh, -c, "echo ran >> bad.log; echo oops >&2; exit 3"], [sh, -c, "echo never >> bad.log"]]
    run: [sh, -c, "echo case >> bad.log"]
    matrix: {x: [1, 2]}
  - name: slow
    build: [sleep 30]
    build_timeout: 1s
    run: [true]
EOF2

say "built once, in order, before the first case; stored as attempts"
expect_exit 1 "$NETRIG" run c.yaml --db db.sqlite
expect_eq "$(cat log | tr '\n' ' ')" "one two-t " "the build's commands, once"
expect_eq "$(sql db.sqlite "select count(*) from attempts a join cases c on a.case_id = c.id where c.test = 't' and a.repeat = -1")" 2 \
	"two build attempts"
expect_exit 0 "$NETRIG" log t/x=1 --db db.sqlite
expect_grep "^=== attempt 1 \(build\) passed" out "the log shows the build"

say "a failing build fails its case with the build's error, the later cases without running"
expect_eq "$(cat bad.log)" "ran" "neither the second command nor a case ran"
expect_eq "$(sql db.sqlite "select status || ' ' || attempts from cases where test = 'bad' order by ordinal" | tr '\n' ' ')" \
	"failed 1 failed 0 " "statuses"
expect_eq "$(sql db.sqlite "select count(distinct error) from cases where test = 'bad'")" 1 "one message for both"
sql db.sqlite "select error from cases where key = 'bad/x=2'" > err.bad
expect_grep "^the build of test bad on host local failed at command 1 of 2 \(netrig log 'bad/x=1' shows it\): role build: exit 3: oops$" \
	err.bad "the message"

say "a build past its build_timeout is stopped and fails the case"
sql db.sqlite "select error from cases where test = 'slow'" > err.slow
expect_grep "^the build of test slow on host local failed at command 1 of 1 .*: timed out after 1.0 s$" err.slow "the timeout"

say "mistakes in build are refused before anything runs"
printf 'campaign: b\ntests:\n  - name: t\n    run: [true]\n    matrix: {x: [1]}\n    build: [[echo, "{x}"]]\n' > bad.yaml
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "unknown reference '\{x\}'.* in 'build' \(a build runs for no case: no matrix parameter\)" err "a parameter in build"
printf 'campaign: b\ntests:\n  - name: t\n    run: [true]\n    build_timeout: 1m\n' > bad.yaml
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "'build_timeout' goes with 'build'" err "a timeout alone"
printf 'campaign: b\ntests:\n  - name: t\n    run: [true]\n    build: []\n' > bad.yaml
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "'build' is empty" err "an empty list"
done_ok
