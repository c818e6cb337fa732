#!/bin/sh
# Two `netrig run --resume` of one run started at the same moment (issue
# 11, item 2), over and over, for a run interrupted by SIGINT and for one
# whose controller was killed -9: exactly one resumes it, the other exits
# 2 with a message that says the run is taken, and the run ends with every
# case's repeats stored exactly once.
. "$(dirname "$0")/lib.sh"
tries=${NETRIG_RACE_TRIES:-12}

cat > c.yaml <<'EOF'
campaign: race
tests:
  - name: t
    repeat: 2
    run: [sh, -c, 'if [ -e hold ]; then echo $$ > held.pid; exec sleep 60; fi; sleep 0.1; echo v={n}{repeat}']
    matrix: {n: [1, 2, 3, 4]}
    parse: {format: keyvalue, metrics: {v: {}}}
EOF
pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'

# An unfinished run in $2 (interrupted by SIG$1, or KILL): its first case
# is held until the signal.
make_unfinished() {
	rm -f "$2" "$2-wal" "$2-shm" held.pid
	touch hold
	"$NETRIG" -q --db "$2" run c.yaml > /dev/null 2>&1 &
	pid=$!
	wait_until 10 test -s held.pid || fail "the run did not start"
	kill -"$1" $pid
	wait $pid 2> /dev/null
	pid=""
	rm -f hold
}

say "an interrupted and a killed run, each resumed by two at once, $tries times"
make_unfinished INT int.db
expect_eq "$(sql int.db "select status from runs")" interrupted "the first template"
make_unfinished KILL kill.db
expect_eq "$(sql kill.db "select status from runs")" running "the second template"
i=0
while [ $i -lt "$tries" ]; do
	kind=int
	[ $((i % 2)) = 1 ] && kind=kill
	rm -f r.db* go
	cp $kind.db r.db
	for k in a b; do
		# both wait for the same moment, then start
		sh -c 'while [ ! -e go ]; do :; done; exec "$@"' sh \
			"$NETRIG" -q --db r.db run --resume c.yaml > $k.out 2> $k.err &
		eval "pid_$k=\$!"
	done
	touch go
	wait $pid_a
	rc_a=$?
	wait $pid_b
	rc_b=$?
	case "$rc_a $rc_b" in
	"0 2") loser=b ;;
	"2 0") loser=a ;;
	*) cat a.err b.err; fail "try $i ($kind): the two resumes exited $rc_a and $rc_b, not 0 and 2" ;;
	esac
	grep -Eq 'is still running|was resumed by another netrig|has finished' $loser.err ||
		{ cat $loser.err; fail "try $i ($kind): the loser's message does not say why"; }
	expect_eq "$(sql r.db "select status from runs")" passed "try $i ($kind): the run"
	bad=$(sql r.db "select key || ' ' || attempts || ' ' || (select count(*) from samples s
		where s.case_id = c.id) from cases c where status != 'passed' or attempts != 2
		or (select count(*) from samples s where s.case_id = c.id) != 2")
	[ -z "$bad" ] || fail "try $i ($kind): cases not done exactly once: $bad"
	i=$((i + 1))
done
echo "  $tries tries: one resume proceeded each time"
done_ok
