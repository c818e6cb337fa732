#!/bin/sh
# Executing cases: exit codes and signals, a command that does not exist,
# a timeout that ends the whole process group (grandchildren too, even one
# that ignores SIGTERM), output limits, retries as numbered attempts, and
# parse failures that keep the raw output and name the missing metric.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: exec
tests:
  - name: codes
    run: [sh, -c, 'echo out-{code}; echo err-{code} >&2; exit {code}']
    matrix:
      code: [0, 1, 3, 255]
  - name: signal
    run: [sh, -c, 'kill -9 $$']
  - name: nocmd
    run: [/nonexistent/netrig-no-such-command, x]
EOF

say "exit statuses: 0 passes, 1, 3, 255 fail; a signal fails; the run exits 1"
expect_exit 1 "$NETRIG" -q run c.yaml
expect_eq "$(sql netrig.db "select group_concat(s, ' ') from (select key || '=' || status as s from cases order by ordinal)")" \
	"codes/code=0=passed codes/code=1=failed codes/code=3=failed codes/code=255=failed signal=failed nocmd=failed" \
	"case statuses"
sql netrig.db "select c.key, a.exit_code, a.signal, a.error from cases c join attempts a on a.case_id = c.id order by c.ordinal" > attempts.txt
expect_grep '^codes/code=3\|3\|0\|.*exit 3' attempts.txt "exit 3 stored"
expect_grep '^codes/code=255\|255\|' attempts.txt "exit 255 stored"
expect_grep '^signal\|[^|]*\|9\|.*(signal 9|Killed)' attempts.txt "signal 9 stored"
expect_grep '^nocmd\|.*\|role main: local: /nonexistent/netrig-no-such-command: not found$' attempts.txt "a missing command is named with its host"
expect_exit 0 "$NETRIG" log codes/code=3
expect_grep '^out-3$' out "stdout of an attempt"
expect_grep '^err-3$' out "stderr of an attempt"
expect_exit 0 "$NETRIG" status
expect_grep 'codes/code=3 +failed .*exit 3' out "status names the exit code"

cat > t.yaml <<'EOF'
campaign: timeout
tests:
  - name: hang
    timeout: 1s
    kill_grace: 300ms
    run:
      - sh
      - -c
      - |
        echo $$ > leader.pid
        sh -c 'trap "" TERM; echo $$ > stubborn.pid; while :; do sleep 1; done' &
        sh -c 'echo $$ > child.pid; exec sleep 60' &
        wait
  - name: escaped
    timeout: 1s
    kill_grace: 300ms
    run: [sh, -c, 'setsid sh -c "echo \$\$ > setsid.pid; exec sleep 60" & sleep 60']
EOF
say "a timeout ends the whole group, grandchildren too, within timeout + grace"
start=$(date +%s)
expect_exit 1 "$NETRIG" -q run t.yaml --db t.db --test hang
secs=$(( $(date +%s) - start ))
[ $secs -le 6 ] || fail "the timed-out case took ${secs}s (timeout 1s, grace 300ms)"
for f in leader.pid stubborn.pid child.pid; do
	[ -s $f ] || fail "$f was not written: the commands did not start"
	pid=$(cat $f)
	alive "$pid" && { kill -9 "$pid"; fail "process $pid ($f) outlived its case"; }
done
left=$(group_members "$(cat leader.pid)")
[ -z "$left" ] || fail "processes of the case's group remain: $left"
expect_eq "$(sql t.db "select outcome from attempts")" timeout "attempt outcome"
expect_exit 0 "$NETRIG" --db t.db status
expect_grep 'hang +failed .*timed out after 1' out "status says it timed out"

say "a grandchild that left the group with setsid does not outlive its case either"
expect_exit 1 "$NETRIG" -q run t.yaml --db t2.db --test escaped
[ -s setsid.pid ] || fail "setsid.pid was not written"
pid=$(cat setsid.pid)
if alive "$pid"; then
	kill -9 "$pid"
	fail "a grandchild that called setsid ($pid) outlived its timed-out case"
fi

cat > bg.yaml <<'EOF'
campaign: background
tests:
  - name: bg
    timeout: 20s
    run: [sh, -c, 'sh -c "sleep 30; echo late" & echo "$!" > bg.pid; seq 1 30000; echo done']
EOF
say "a main role that exits while its background child holds stdout ends the case at once"
start=$(date +%s)
expect_exit 0 "$NETRIG" -q run bg.yaml --db bg.db
secs=$(( $(date +%s) - start ))
[ $secs -le 5 ] || fail "the case took ${secs}s: it waited for the background child (timeout 20s)"
alive "$(cat bg.pid)" && fail "the background child $(cat bg.pid) outlived its case"
expect_exit 0 "$NETRIG" --db bg.db log bg --raw --stream stdout
{ seq 1 30000; echo 'done'; } | cmp -s - out || fail "the role's output was not read to its end"

cat > o.yaml <<'EOF'
campaign: output
tests:
  - name: big
    output_limit: 1K
    run: [sh, -c, 'seq 1 5000; echo small >&2']
  - name: default
    run: [sh, -c, 'seq 1 5000']
EOF
say "output_limit keeps the first 1024 bytes and says it cut the rest"
expect_exit 0 "$NETRIG" -q run o.yaml --db o.db
expect_exit 0 "$NETRIG" --db o.db log big --raw --stream stdout
seq 1 5000 | head -c 1024 > want
cmp -s out want || fail "the kept output is not the first 1024 bytes ($(wc -c < out) bytes)"
expect_exit 0 "$NETRIG" --db o.db log big
expect_grep 'stdout \(1024 bytes, cut at the output limit' out "log says stdout was cut"
expect_no_grep 'stderr .*cut' out "stderr was not cut"
expect_eq "$(sql o.db "select size || '/' || dropped from outputs o join attempts a on a.id = o.attempt_id join cases c on c.id = a.case_id where c.key = 'big' and o.stream = 'stdout'")" \
	"1024/$(( $(seq 1 5000 | wc -c) - 1024 ))" "stored size and dropped bytes"
expect_exit 0 "$NETRIG" --db o.db log default --raw --stream stdout
seq 1 5000 > want
cmp -s out want || fail "without a limit the whole output is kept"

cat > f.yaml <<'EOF'
campaign: flood
tests:
  - name: flood
    output_limit: 1K
    timeout: 20s
    run: [sh, -c, 'head -c 200000000 /dev/zero; echo end >&2']
  - name: default
    timeout: 20s
    run: [sh, -c, 'head -c 20000000 /dev/zero']
  - name: stdin
    timeout: 10s
    run: [cat]
EOF
say "past the limit output is read and dropped (200 MB), the default limit is 16 MiB, stdin is empty"
start=$(date +%s)
expect_exit 0 "$NETRIG" -q run f.yaml --db f.db
secs=$(( $(date +%s) - start ))
[ $secs -le 8 ] || fail "the flood cases took ${secs}s"
q="select size || '/' || dropped from outputs o join attempts a on a.id = o.attempt_id join cases c on c.id = a.case_id where c.key = '%s' and o.stream = 'stdout'"
expect_eq "$(sql f.db "$(printf "$q" flood)")" "1024/199998976" "kept and dropped bytes of the flood"
expect_eq "$(sql f.db "$(printf "$q" default)")" "16777216/3222784" "the default limit of 16 MiB"
expect_exit 0 "$NETRIG" --db f.db log default
expect_grep 'stdout \(16777216 bytes, cut at the output limit' out "log says the default limit cut it"
expect_exit 0 "$NETRIG" --db f.db log flood --raw --stream stderr
expect_eq "$(cat out)" end "stderr after the flood"

cat > r.yaml <<'EOF'
campaign: retries
tests:
  - name: flaky
    retries: 3
    run: [sh, -c, 'n=$(cat cnt 2>/dev/null || echo 0); n=$((n+1)); echo $n > cnt; echo "try {attempt} n=$n"; [ $n -ge 3 ]']
  - name: hopeless
    retries: 2
    run: [sh, -c, 'echo "try {attempt}"; exit 7']
  - name: repeats
    repeat: 2
    retries: 1
    run: [sh, -c, 'echo "r{repeat} a{attempt}" >> rep.log; [ -e rep.{repeat} ] || ( touch rep.{repeat}; false )']
EOF
say "retries make new attempts numbered 1..N until one passes"
expect_exit 1 "$NETRIG" -q run r.yaml --db r.db
q="select group_concat(number || ':' || outcome, ' ') from (select a.* from attempts a join cases c on c.id = a.case_id where c.key = '%s' order by a.number)"
expect_eq "$(sql r.db "$(printf "$q" flaky)")" "1:failed 2:failed 3:passed" "attempts of flaky"
expect_eq "$(sql r.db "select status || ' ' || attempts from cases where key = 'flaky'")" "passed 3" "flaky passes after 3 attempts"
expect_eq "$(sql r.db "$(printf "$q" hopeless)")" "1:failed 2:failed 3:failed" "attempts of hopeless (retries 2)"
expect_eq "$(sql r.db "select status || ' ' || attempts from cases where key = 'hopeless'")" "failed 3" "hopeless fails after 3 attempts"
expect_exit 0 "$NETRIG" --db r.db log flaky
expect_eq "$(grep '^try' out | tr '\n' ' ')" "try 1 n=1 try 2 n=2 try 3 n=3 " "{attempt} in each attempt's output"
expect_eq "$(grep -c '^=== attempt' out)" 3 "log shows three attempts"
say "with repeat 2 and retries 1 each repeat gets its own retry"
expect_eq "$(tr '\n' ' ' < rep.log)" "r0 a1 r0 a2 r1 a3 r1 a4 " "{repeat} (from 0) and {attempt} (numbered per case, from 1)"
expect_eq "$(sql r.db "select status || ' ' || repeats_done || ' ' || attempts from cases where key = 'repeats'")" "passed 2 4" "repeats case"
expect_eq "$(sql r.db "select group_concat(number || ':' || repeat || ':' || outcome, ' ') from (select a.* from attempts a join cases c on c.id = a.case_id where c.key = 'repeats' order by a.number)")" \
	"1:0:failed 2:0:passed 3:1:failed 4:1:passed" "attempts of the repeats case"

cat > p.yaml <<'EOF'
campaign: parse
tests:
  - name: kv
    retries: 1
    run: [sh, -c, 'echo rate=5; echo "raw line {attempt}"']
    parse:
      format: keyvalue
      metrics:
        rate: {unit: bit/s, better: higher}
        lat: {unit: ms}
  - name: js
    run: [sh, -c, 'echo "{{\"a\": {{\"b\": 2.5}}}}"']
    parse:
      format: json
      metrics:
        x: {pointer: /a/b}
        y: {pointer: /a/nope}
  - name: js-ok
    run: [sh, -c, 'echo "{{\"a\": {{\"b\": 2.5}}}}"']
    parse:
      format: json
      metrics:
        x: {pointer: /a/b, unit: ms, better: lower}
EOF
say "a parse failure fails the case, names the missing metric, keeps the raw output"
expect_exit 1 "$NETRIG" -q run p.yaml --db p.db
expect_eq "$(sql p.db "select status from cases where key = 'kv'")" failed "kv case status"
expect_eq "$(sql p.db "select group_concat(outcome, ' ') from (select a.* from attempts a join cases c on c.id = a.case_id where c.key = 'kv' order by number)")" \
	"parse_error parse_error" "a parse failure is retried like any failure"
expect_exit 0 "$NETRIG" --db p.db status
expect_grep '^1 +kv +failed .*metric lat missing' out "status names the missing metric"
expect_exit 0 "$NETRIG" --db p.db log kv
expect_grep '^rate=5$' out "raw output kept"
expect_grep '^raw line 2$' out "raw output of the second attempt kept"
expect_grep 'lat' out "log names the missing metric"
expect_eq "$(sql p.db "select count(*) from samples s join cases c on c.id = s.case_id where c.status = 'failed'")" 0 "no samples from failed parses"
expect_eq "$(sql p.db "select status from cases where key = 'js'")" failed "json without /a/nope"
expect_exit 0 "$NETRIG" --db p.db status
expect_grep '^2 +js +failed .*json.*\by\b' out "status names the missing json metric y"
expect_exit 0 "$NETRIG" --db p.db log js
expect_grep '^\{"a": \{"b": 2.5\}\}$' out "raw output of the json case"
expect_eq "$(sql p.db "select status from cases where key = 'js-ok'")" passed "a json case that parses"
expect_eq "$(sql p.db "select metric || ' ' || value || ' ' || unit from samples")" "x 2500.0 us" \
	"its sample (ms stored as us)"
done_ok
