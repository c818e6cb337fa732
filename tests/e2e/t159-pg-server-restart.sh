#!/bin/sh
# The PostgreSQL server restarts under a running campaign: netrig connects
# again when it is back and the run finishes, every case's repeats stored
# once. The server stops for longer than netrig waits (connect_timeout):
# the run stops with exit 3 and a message saying so, and once the server
# is back `run --resume` finishes it, nothing lost, nothing twice. Needs a
# server of its own to restart (the server programs; it ignores
# NETRIG_TEST_PG).
# backends: postgresql
. "$(dirname "$0")/lib.sh"

pgdir=$(mktemp -u /tmp/netrig-pg159.XXXXXX)
at_exit "'$top/scripts/pg-throwaway.sh' stop '$pgdir'"
U=$("$top/scripts/pg-throwaway.sh" start "$pgdir" 2> pg.err) || skip "no server of its own: $(tail -n 1 pg.err)"
bindir=$(dirname "$(ps -o args= -p "$(head -n 1 "$pgdir/data/postmaster.pid")" | cut -d' ' -f1)")
# pg_ctl as the server's owner, as pg-throwaway.sh starts it
server() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdir/data" -w "$@" > /dev/null)
	else
		"$bindir/pg_ctl" -D "$pgdir/data" -w "$@" > /dev/null
	fi
}
options="-k $pgdir -c listen_addresses= -c fsync=off"

cat > c.yaml <<'YAML'
campaign: restart
tests:
  - name: s
    repeat: 2
    run: [sh, -c, 'sleep 0.2; echo "{n} {repeat}" >> progress.log; echo "v={n}{repeat}"']
    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}
    parse: {format: keyvalue, metrics: {v: {}}}
YAML
exactly_once() { # DB: every case passed with its 2 samples, none twice
	expect_eq "$(sql "$1" "select status from runs")" passed "$2: the run"
	bad=$(sql "$1" "select c.key, count(s.value) from cases c left join samples s on s.case_id = c.id
		group by c.id having count(s.value) <> 2 or count(distinct s.repeat) <> 2")
	[ -z "$bad" ] || fail "$2: cases without exactly their samples: $bad"
	expect_eq "$(sql "$1" "select count(*) from cases where status = 'passed'")" 8 "$2: cases passed"
}
pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'

say "the server restarts while a run writes: the run goes on"
A=$(NETRIG_TEST_PG=$U db a)
"$NETRIG" -q run c.yaml --db "$A" > run.out 2>&1 &
pid=$!
wait_until 20 sh -c '[ -e progress.log ] && [ $(wc -l < progress.log) -ge 4 ]' || fail "the run did not start"
server -m fast -o "$options" restart || fail "pg_ctl restart"
wait $pid
rc=$?
pid=""
[ $rc = 0 ] || { cat run.out; fail "the run exited $rc across a restart of the server"; }
exactly_once "$A" "across a restart"

say "the server is gone for longer than netrig waits: exit 3, then --resume"
rm -f progress.log
B=$(NETRIG_TEST_PG=$U db b)
B2="$B&connect_timeout=2"
"$NETRIG" -q run c.yaml --db "$B2" > run.out 2>&1 &
pid=$!
wait_until 20 sh -c '[ -e progress.log ] && [ $(wc -l < progress.log) -ge 4 ]' || fail "the run did not start"
server -m immediate stop || fail "pg_ctl stop"
wait $pid
rc=$?
pid=""
[ $rc = 3 ] || { cat run.out; fail "the run exited $rc when the server went away, not 3"; }
expect_grep 'no connection|could not connect|terminating connection|connection to server' run.out "the message says why"
server -o "$options" start || fail "pg_ctl start"
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db "$B2"
exactly_once "$B" "resumed after the server came back"
done_ok
