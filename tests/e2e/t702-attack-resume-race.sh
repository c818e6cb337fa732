#!/bin/sh
# Two `netrig run --resume` of one run started at the same moment (issue
# 11, item 2; four on PostgreSQL, issue 15), over and over, for a run
# interrupted by SIGINT and for one whose controller was killed -9:
# exactly one resumes it, the others exit 2 with a message that says the
# run is taken, and the run ends with every case's repeats stored exactly
# once.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
tries=${NETRIG_RACE_TRIES:-12}
# resumes at once: on PostgreSQL as many as controllers a team runs
racers=2
[ "$backend" = postgresql ] && racers=4

cat > c.yaml <<'EOF'
campaign: race
tests:
  - name: t
    repeat: 2
    run: [sh, -c, 'if [ -e hold ]; then echo $$ > held.pid; exec sleep 60; fi; sleep 0.1; echo v={n}{repeat}']
    matrix: {n: [1, 2, 3, 4]}
    parse: {format: keyvalue, metrics: {v: {}}}
EOF
pid="" pids=""
at_exit 'for p in $pid $pids; do kill -9 $p 2> /dev/null; done'

# An unfinished run in database $2 (interrupted by SIG$1, or KILL): its
# first case is held until the signal.
make_unfinished() {
	rm -f held.pid
	touch hold
	"$NETRIG" -q --db "$2" run c.yaml > /dev/null 2>&1 &
	pid=$!
	wait_until 10 test -s held.pid || fail "the run did not start"
	kill -"$1" $pid
	wait $pid 2> /dev/null
	pid=""
	rm -f hold
}

say "an interrupted and a killed run, each resumed by $racers at once, $tries times"
INT=$(db int)
KILL=$(db kill)
make_unfinished INT "$INT"
expect_eq "$(sql "$INT" "select status from runs")" interrupted "the first template"
make_unfinished KILL "$KILL"
expect_eq "$(sql "$KILL" "select status from runs")" running "the second template"
i=0
while [ $i -lt "$tries" ]; do
	kind=int template=$INT
	[ $((i % 2)) = 1 ] && kind=kill template=$KILL
	rm -f go
	R=$(db_copy "$template" r$i) || fail "try $i: no copy of the $kind template"
	k=0 pids=""
	while [ $k -lt $racers ]; do
		# all wait for the same moment, then start
		sh -c 'while [ ! -e go ]; do :; done; exec "$@"' sh \
			"$NETRIG" -q --db "$R" run --resume c.yaml > r$k.out 2> r$k.err &
		pids="$pids $!"
		k=$((k + 1))
	done
	touch go
	won=0 k=0
	for p in $pids; do
		wait $p
		case $? in
		0) won=$((won + 1)) ;;
		2) # a loser that came when the winner had finished finds nothing to resume
		   grep -Eq 'is still running|was resumed by another netrig|has finished|no unfinished run' r$k.err ||
			{ cat r$k.err; fail "try $i ($kind): a loser's message does not say why"; } ;;
		*) cat r*.err; fail "try $i ($kind): a resume failed" ;;
		esac
		k=$((k + 1))
	done
	pids=""
	[ $won = 1 ] || { cat r*.err; fail "try $i ($kind): $won of $racers resumes proceeded, not 1"; }
	expect_eq "$(sql "$R" "select status from runs")" passed "try $i ($kind): the run"
	bad=$(sql "$R" "select key || ' ' || attempts || ' ' || (select count(*) from samples s
		where s.case_id = c.id) from cases c where status != 'passed' or attempts != 2
		or (select count(*) from samples s where s.case_id = c.id) != 2")
	[ -z "$bad" ] || fail "try $i ($kind): cases not done exactly once: $bad"
	i=$((i + 1))
done
echo "  $tries tries: one resume proceeded each time"
done_ok
