#!/bin/sh
# The command line around a run: usage errors exit 2; progress is plain
# lines when stderr is not a terminal and one updating line when it is;
# --test picks tests; a run cannot be resumed while its runner lives;
# 'run --run ID' resumes that run; a campaign changed since its run began
# is resumed as it was, with a warning; two runs can write one database
# at the same time.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: cli
tests:
  - name: s
    run: [sh, -c, 'sleep 0.15; echo "old {n}" >> ran.log']
    matrix: {n: [1, 2, 3, 4, 5]}
  - name: other
    run: [touch, other-ran]
EOF

say "usage errors exit 2 with a message"
for args in "" "bogus" "run" "run c.yaml --bogus" "run --resume" "status nosuchrun" "log" "db" "db merge" \
	"results --format xml" "plan"; do
	"$NETRIG" $args > out 2> err
	rc=$?
	[ $rc = 2 ] || fail "'netrig $args' exited $rc, not 2"
	[ -s err ] || fail "'netrig $args' gave no message"
	if [ -e netrig.db ]; then
		fail "'netrig $args' created netrig.db"
		rm -f netrig.db netrig.db-wal netrig.db-shm
	fi
done

say "--help and --version exit 0"
expect_exit 0 "$NETRIG" --version
[ -s out ] || fail "--version printed nothing"
expect_exit 0 "$NETRIG" run --help
expect_grep '[-][-]resume' out "run --help"

say "--help anywhere in a command's arguments prints its usage and does nothing else"
for args in "db runs 3 --help" "db --help" "status nosuchrun --help" "plan c.yaml --help" \
	"run c.yaml --test other --help" "log x --help" "lab up nosuch.yaml --help" "bench tcp_rr --help"; do
	expect_exit 0 "$NETRIG" $args
	expect_grep "^usage: netrig ${args%% *}" out "'netrig $args'"
	[ -s err ] && fail "'netrig $args' wrote to stderr: $(cat err)"
done
[ -e other-ran ] && fail "'run ... --help' ran a test"
[ -e netrig.db ] && fail "a --help created netrig.db"

say "help COMMAND prints its usage; an unknown command is exit 2, as it is without 'help'"
expect_exit 0 "$NETRIG" help db
expect_grep "^usage: netrig db merge" out "help db"
expect_exit 2 "$NETRIG" help NOSUCH
expect_grep "'NOSUCH' is not a command" err "help NOSUCH"
[ -s out ] && fail "help NOSUCH printed on stdout: $(cat out)"
expect_exit 2 "$NETRIG" NOSUCH
expect_grep "'NOSUCH' is not a command" err "NOSUCH"
expect_exit 0 "$NETRIG" help
expect_grep "^Commands:" out "help"

say "--test runs only that test; progress without a terminal is plain lines"
expect_exit 0 "$NETRIG" run c.yaml --db p.db --test other
[ -e other-ran ] || fail "the chosen test did not run"
[ -e ran.log ] && fail "a test not chosen ran"
expect_eq "$(sql p.db "select group_concat(key) from cases")" other "cases of a --test run"
expect_grep '^\[1/1\] passed other' err "a progress line"
tr -d '\r\033' < err | cmp -s - err || fail "escape codes or CRs on a stderr that is not a terminal"

if command -v script > /dev/null; then
	say "on a terminal: one updating line with case i/N, passed/failed and ETA"
	script -qec "'$NETRIG' run c.yaml --db t.db --test s" /dev/null > tty.out 2>&1 < /dev/null
	expect_grep 'ETA' tty.out "progress shows an ETA"
	expect_grep '\[3/5\] 2 passed, 0 failed' tty.out "progress counts"
	grep "$(printf '\r\033\\[K')" tty.out > /dev/null || fail "the progress line is not redrawn in place"
	expect_eq "$(sql t.db "select count(*) from cases where status = 'passed'")" 5 "the run on a terminal"
	rm -f ran.log
else
	echo "  script(1) is not installed: the terminal part is skipped"
fi

pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'
passed_at_least() {
	[ -e r.db ] && [ "$(sql r.db "select count(*) from cases where status = 'passed'" 2> /dev/null)" -ge "$1" ] 2> /dev/null
}

say "a run whose runner is alive is not resumed by another"
"$NETRIG" -q run c.yaml --db r.db > bg.out 2> bg.err &
pid=$!
wait_until 20 passed_at_least 1 || fail "the first case did not pass"
expect_exit 2 "$NETRIG" run --resume c.yaml --db r.db
expect_grep 'still running' err "message for a live run"

say "two runs write one database at the same time"
expect_exit 0 "$NETRIG" -q run c.yaml --db r.db --test s
wait $pid
rc=$?
pid=""
[ $rc = 0 ] || fail "the first run exited $rc: $(cat bg.err)"
expect_eq "$(sql r.db "select group_concat(status) from runs")" "passed,passed" "both runs passed"
expect_eq "$(sql r.db "select count(*) from cases where status = 'passed'")" 11 "cases of both runs"

# interrupt DB: start a run of c.yaml into DB and SIGINT it after 2 cases
interrupt() {
	rm -f ran.log
	"$NETRIG" -q run c.yaml --db "$1" > bg.out 2> bg.err &
	pid=$!
	wait_until 20 sh -c '[ -e ran.log ] && [ $(wc -l < ran.log) -ge 2 ]' || fail "two cases did not run"
	kill -INT $pid
	wait $pid
	rc=$?
	pid=""
	[ $rc = 130 ] || fail "the interrupted run exited $rc"
}

say "SIGINT, then the campaign file changes: --resume runs it as it was, with a warning"
interrupt i.db
sed 's/old {n}/new {n}/' c.yaml > c2.yaml
cp c.yaml c.orig && mv c2.yaml c.yaml
expect_exit 0 "$NETRIG" run --resume c.yaml --db i.db
expect_grep 'changed' err "a warning that the campaign changed"
grep -q '^new' ran.log && fail "the resumed run used the changed campaign: $(cat ran.log)"
expect_eq "$(sort ran.log | uniq | wc -l | tr -d ' ')" 5 "each case of the old campaign ran"
expect_eq "$(sql i.db "select status from runs")" passed "the resumed run passed"

say "'run --run ID' resumes that run by a prefix of its id, from its stored campaign"
mv c.orig c.yaml
interrupt j.db
run=$(sql j.db "select uuid_str(id) from runs")
short=$(printf '%s' "$run" | cut -c1-30)
mv c.yaml c.gone
expect_exit 0 "$NETRIG" -q run --run "$short" --db j.db
expect_eq "$(sort ran.log | uniq | wc -l | tr -d ' ')" 5 "each case ran"
expect_eq "$(sql j.db "select status from runs")" passed "the run resumed by id passed"
mv c.gone c.yaml

say "with two unfinished runs, --resume takes the latest, then the older one"
interrupt two.db
first=$(sql two.db "select uuid_str(id) from runs")
interrupt two.db
second=$(sql two.db "select uuid_str(id) from runs where id != uuid_blob('$first')")
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db two.db
expect_eq "$(sql two.db "select status from runs where id = uuid_blob('$second')") $(sql two.db "select status from runs where id = uuid_blob('$first')")" \
	"passed interrupted" "the latest run resumed first"
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db two.db
expect_eq "$(sql two.db "select group_concat(status) from runs")" "passed,passed" "then the older one"

say "a run started with a relative path in a folder with spaces resumes from another directory"
mkdir -p "sp ace/sub" elsewhere
cat > "sp ace/sub/my camp.yaml" <<'EOF'
campaign: moved
tests:
  - name: s
    run: [sh, -c, 'sleep 0.15; pwd -P > where.{n}; echo {n} >> ran.log']
    matrix: {n: [1, 2, 3, 4, 5]}
EOF
(
	cd "sp ace" || exit 1
	NETRIG_DB=$tmp/mv.db "$NETRIG" -q run "sub/my camp.yaml" > ../bg.out 2> ../bg.err &
	echo $! > ../bg.pid
	wait
) &
sub=$!
wait_until 10 test -s bg.pid || fail "the run did not start"
pid=$(cat bg.pid)
wait_until 20 sh -c '[ -e "sp ace/sub/ran.log" ] && [ $(wc -l < "sp ace/sub/ran.log") -ge 2 ]' || fail "two cases did not run"
kill -INT $pid
wait $sub
pid=""
expect_eq "$(sql mv.db "select status from runs")" interrupted "the run in 'sp ace' was interrupted"
(cd elsewhere && NETRIG_DB=$tmp/mv.db "$NETRIG" -q run --resume "../sp ace/sub/my camp.yaml" > ../out 2> ../err) ||
	fail "resume from another directory: $(cat err)"
expect_eq "$(sql mv.db "select status from runs")" passed "the run resumed from elsewhere"
real=$(cd "sp ace/sub" && pwd -P)
for n in 1 2 3 4 5; do
	expect_eq "$(cat "sp ace/sub/where.$n" 2> /dev/null)" "$real" "case $n ran in the campaign's directory"
done
done_ok
