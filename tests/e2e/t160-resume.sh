#!/bin/sh
# Resume after SIGKILL: a run of 10 cases (2 repeats of ~0.1 s each) is
# killed with SIGKILL after 1 case and a half (between the repeats of the
# second), after 3 cases, and after 6 and a half, resumed each time with
# 'run --resume', and finished. Every case must then have exactly
# its 2 samples (repeats 0 and 1), none twice, none missing, and all pass;
# each repeat's command ran at least once (the attempt in flight at a kill
# may have run twice, never a stored one).
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: resume
tests:
  - name: step
    repeat: 2
    run: [sh, -c, 'sleep 0.1; echo "{n} {repeat} {attempt}" >> progress.log; echo "value={n}{repeat}"']
    matrix:
      n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    parse:
      format: keyvalue
      metrics:
        value: {}
EOF

R=$(db r)
F=$(db fast)
K=$(db k)
# exists DB: the database is there (a file is made by the first run; sql would make an empty one)
exists() {
	is_pg "$1" || [ -e "$1" ]
}

samples_at_least() { # N: the database exists and holds N samples
	exists "$R" && [ "$(sql "$R" "select count(*) from samples" 2> /dev/null)" -ge "$1" ] 2> /dev/null
}

pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'

# kill_after N ARGS...: start 'netrig ARGS', SIGKILL it once N samples
# (repeats) are stored
kill_after() {
	n=$1
	shift
	"$NETRIG" -q "$@" > bg.out 2> bg.err &
	pid=$!
	wait_until 20 samples_at_least "$n" || { cat bg.err; fail "$n samples were not stored within 20 s"; }
	kill -9 $pid 2> /dev/null || fail "the runner ended before it could be killed (after $n samples)"
	wait $pid 2> /dev/null
	rc=$?
	pid=""
	[ $rc = 137 ] || fail "the killed runner exited $rc, not 137"
	done_now=$(sql "$R" "select count(*) from cases where status = 'passed'")
	say "SIGKILL after $n repeats: $done_now cases passed, $(sql "$R" "select count(*) from samples") samples stored"
	[ "$done_now" -lt 10 ] || fail "the run finished before the kill: the cases are too fast"
}

kill_after 3 run c.yaml --db "$R"
expect_eq "$(sql "$R" "select status from runs")" running "a killed run still says running"
# the kill lands after the 3rd sample, or (the poll is not instant) a later
# one: whichever case it cut between its repeats keeps its first one
half=$(sql "$R" "select count(*) from samples")
if [ $((half % 2)) = 1 ]; then
	expect_eq "$(sql "$R" "select repeats_done || ' ' || status from cases where key = 'step/n=$(((half + 1) / 2))'")" \
		"1 running" "the case killed between its repeats has its first repeat"
fi
bad=$(sql "$R" "select c.key from cases c where c.repeats_done != (select count(*) from samples s
	where s.case_id = c.id) or (c.status = 'passed') != (c.repeats_done = 2)")
[ -z "$bad" ] || fail "cases whose state disagrees with their samples after the kill: $bad"
say "status after the kill shows the sheet"
expect_exit 0 "$NETRIG" --db "$R" status
expect_grep 'step/n=1 +passed' out "the first case passed"

kill_after 6 run --resume c.yaml --db "$R"
kill_after 13 run --resume c.yaml --db "$R"

say "the last --resume finishes the run"
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db "$R"
expect_eq "$(sql "$R" "select count(*) || ' ' || status from runs group by status")" "1 passed" "one run, passed"

say "every case passed with exactly 2 samples, repeats 0 and 1, none twice"
expect_eq "$(sql "$R" "select count(*) from cases where status = 'passed' and repeats_done = 2")" 10 "passed cases"
bad=$(sql "$R" "select c.key, count(s.value), min(s.repeat), max(s.repeat) from cases c left join samples s on s.case_id = c.id group by c.id having count(s.value) != 2 or min(s.repeat) != 0 or max(s.repeat) != 1")
[ -z "$bad" ] || fail "cases without exactly their samples: $bad"
bad=$(sql "$R" "select c.key, s.repeat, count(*) from samples s join cases c on c.id = s.case_id group by s.case_id, s.repeat having count(*) != 1")
[ -z "$bad" ] || fail "samples stored twice: $bad"
# the value is n and the repeat written together: n * 10 + repeat; n from the key step/n=N
bad=$(sql "$R" "select c.key, s.repeat, s.value from samples s join cases c on c.id = s.case_id where s.value != cast(substr(c.key, 8) as integer) * 10 + s.repeat")
[ -z "$bad" ] || fail "samples from the wrong case or repeat: $bad"
expect_eq "$(sql "$R" "select count(*) from samples")" 20 "20 samples in all"

say "attempts: numbered 1..n per case without gaps, each passed one has its output"
bad=$(sql "$R" "select c.key, count(*), max(a.number) from cases c join attempts a on a.case_id = c.id group by c.id having count(*) != max(a.number) or min(a.number) != 1 or count(*) != 2")
[ -z "$bad" ] || fail "attempt numbers: $bad"
expect_eq "$(sql "$R" "select count(*) from outputs o join attempts a on a.id = o.attempt_id where o.stream = 'stdout' and o.size > 0")" 20 \
	"stored outputs of the 20 attempts"

say "the commands: each repeat ran, at most one extra run per kill"
for n in 1 2 3 4 5 6 7 8 9 10; do
	for r in 0 1; do
		grep -q "^$n $r " progress.log || fail "case $n repeat $r never ran"
	done
done
lines=$(wc -l < progress.log | tr -d ' ')
[ "$lines" -ge 20 ] && [ "$lines" -le 23 ] || fail "$lines command runs for 20 repeats and 3 kills"

say "a finished run is not resumed again"
expect_exit 2 "$NETRIG" run --resume c.yaml --db "$R"
expect_grep 'no unfinished run' err "message for nothing to resume"

say "SIGKILL at random moments of a fast campaign (kills land inside store writes)"
cat > f.yaml <<'EOF'
campaign: fast
tests:
  - name: f
    repeat: 3
    run: [sh, -c, 'echo "value={n}{repeat}"']
    matrix:
      n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
          21, 22, 23, 24, 25, 26, 27, 28, 29, 30]
    parse:
      format: keyvalue
      metrics:
        value: {}
EOF
# consistent: every case's counters agree with its rows, whatever state it is in
consistent() {
	bad=$(sql "$F" "select c.key, c.repeats_done, c.attempts,
		(select count(*) from attempts a where a.case_id = c.id),
		(select count(*) from attempts a where a.case_id = c.id and a.outcome = 'passed'),
		(select count(*) from samples s where s.case_id = c.id)
		from cases c
		where c.attempts != (select count(*) from attempts a where a.case_id = c.id)
		   or c.repeats_done != (select count(*) from attempts a where a.case_id = c.id and a.outcome = 'passed')
		   or c.repeats_done != (select count(*) from samples s where s.case_id = c.id)
		   or (c.status = 'passed' and c.repeats_done != 3)")
	[ -z "$bad" ] || fail "$1: half-written cases (key, repeats_done, attempts, rows, passed rows, samples): $bad"
	bad=$(sql "$F" "select uuid_str(a.id) from attempts a where (select count(*) from outputs o where o.attempt_id = a.id) != 2")
	[ -z "$bad" ] || fail "$1: attempts without their two outputs: $bad"
}
kills=0
args="run f.yaml"
while [ $kills -lt 12 ]; do
	ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 120 + 15 ))
	"$NETRIG" -q --db "$F" $args > bg.out 2> bg.err &
	pid=$!
	sleep "$(printf '0.%03d' $ms)"
	if kill -9 $pid 2> /dev/null; then
		wait $pid 2> /dev/null
		pid=""
		kills=$((kills + 1))
		if exists "$F" && [ "$(sql "$F" "select count(*) from runs" 2> /dev/null)" = 1 ]; then
			consistent "after kill $kills at ${ms} ms"
			args="run --resume f.yaml"
		fi
	else
		wait $pid
		rc=$?
		pid=""
		[ $rc = 0 ] || fail "a fast run exited $rc: $(cat bg.err)"
		break
	fi
	[ "$(sql "$F" "select count(*) from runs where status = 'passed'" 2> /dev/null)" = 1 ] && break
done
# (on a busy machine every kill can land before the run is stored: then
# there is nothing to resume, and the run starts afresh)
if [ "$(sql "$F" "select status from runs" 2> /dev/null)" != passed ]; then
	expect_exit 0 "$NETRIG" -q --db "$F" $args
fi
echo "  $kills kills, then finished"
consistent "at the end"
expect_eq "$(sql "$F" "select count(*) || ' ' || status from runs group by status")" "1 passed" "one fast run, passed"
expect_eq "$(sql "$F" "select count(*) from cases where status = 'passed'")" 30 "30 cases passed"
expect_eq "$(sql "$F" "select count(*) || ' ' || count(distinct case_id || '/' || repeat) from samples")" "90 90" \
	"90 samples, one per case and repeat"

say "SIGKILL of the runner during a case: do the case's processes outlive it?"
cat > k.yaml <<'EOF'
campaign: orphan
tests:
  - name: long
    run: [sh, -c, 'echo $$ > leader.pid; sh -c "echo \$\$ > grandchild.pid; exec sleep 30" & wait']
EOF
"$NETRIG" -q run k.yaml --db "$K" > bg.out 2>&1 &
pid=$!
wait_until 10 sh -c 'test -s leader.pid && test -s grandchild.pid' || fail "the long case did not start"
kill -9 $pid
wait $pid 2> /dev/null
pid=""
left=""
for f in leader.pid grandchild.pid; do
	p=$(cat $f)
	if ! wait_until 2 sh -c "! kill -0 $p 2> /dev/null"; then
		left="$left ${f%.pid} $p"
		kill -9 "$p" 2> /dev/null
	fi
done
[ -z "$left" ] || fail "after SIGKILL of the runner the case's processes live on:$left"
done_ok
