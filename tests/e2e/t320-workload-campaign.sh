#!/bin/sh
# Built-in workloads in campaigns: `workload:` expands to a server and a
# client role, matrix parameters become bench options (a true/false switch
# included), samples land under the catalogue's names, and no server is
# left behind. As root also across a lab: the server role on the host named
# "server", the client on "client", over a veth pair.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
N="$top/netrig"
tmp=$(mktemp -d /tmp/nrt320.XXXXXX)
cleanup() { [ -f "$tmp/lab.yaml" ] && "$N" lab down "$tmp/lab.yaml" > /dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; [ -f err ] && tail -20 err; exit 1; }
# "netrig bench serve" processes of this binary (other checkouts may run theirs)
servers() {
	for _e in /proc/[0-9]*/exe; do
		[ "$(readlink "$_e" 2>/dev/null)" = "$(readlink -f "$N")" ] || continue
		tr '\0' ' ' < "${_e%/exe}/cmdline" 2>/dev/null | grep -q "bench serve" && echo "${_e%/exe}"
	done | wc -l
}

cat > w.yaml <<'YAML'
campaign: t320
defaults: {timeout: 20s}
tests:
  - name: stream
    workload: tcp_stream
    options: {duration: 1s, omit: 200ms}
    matrix: {reverse: [false, true]}
  - name: rr
    workload: tcp_rr
    options: {duration: 1s, omit: 200ms}
    matrix: {request: [1, 512]}
  - name: udp_rr
    workload: udp_rr
    options: {duration: 1s, omit: 200ms, spin: true}
  - name: crr
    workload: tcp_crr
    options: {duration: 1s, omit: 200ms}
YAML
"$N" plan w.yaml --commands > plan.out || fail "plan"
grep -q -- "--reverse" plan.out || fail "the reverse switch does not reach the client"
grep "reverse=false" -A2 plan.out | grep -q -- "--reverse" && fail "reverse=false passes --reverse"
grep -q -- "--request 512" plan.out || fail "the request parameter does not become --request"
grep -q -- "udp_rr .*--spin" plan.out || fail "spin: true does not become --spin"
before=$(servers)
"$N" run w.yaml --db w.db > out 2> err || { cat out; fail "run exited $?"; }
for q in "stream|throughput_bps" "rr|latency_p50_us" "rr|transactions_per_s" "udp_rr|latency_p99_us" "crr|transactions_per_s"; do
	test=${q%%|*} metric=${q#*|}
	n=$(sqlite3 w.db "SELECT count(*) FROM samples s JOIN cases c ON c.id = s.case_id
		WHERE c.test = '$test' AND s.metric = '$metric' AND s.value > 0 AND s.interval < 0")
	[ "$n" -ge 1 ] || fail "no $metric sample for $test"
done
[ "$(sqlite3 w.db "SELECT count(*) FROM cases WHERE status = 'passed'")" = 6 ] || fail "not every case passed"
[ "$(servers)" = "$before" ] || fail "a netrig bench server outlived its case"
echo "ok: workloads on this machine"

if [ "$(id -u)" != 0 ] || ! command -v ip > /dev/null; then
	echo "ok (the lab part needs root and iproute2: skipped)"
	exit 0
fi
cat > lab.yaml <<YAML
lab: t320-$$
dir: $tmp/lab
subnet: 10.81.0.0/16
hosts:
  client: {}
  server: {}
links:
  - [client, server]
YAML
"$N" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }
cat > l.yaml <<'YAML'
campaign: t320-lab
lab: lab.yaml
defaults: {timeout: 20s}
tests:
  - name: rr
    workload: tcp_rr
    options: {duration: 1s, omit: 200ms}
YAML
"$N" run l.yaml --db l.db > out 2> err || { cat out; fail "lab run exited $?"; }
sqlite3 l.db "SELECT hosts FROM cases" | grep -q '"server":"server","client":"client"' ||
	fail "the roles did not go to the hosts named server and client"
"$N" --db l.db log rr --raw --stream stdout --role server | grep -q "listening on 10.81.0.2:" ||
	fail "the server did not listen on the server host's address"
echo "ok: workloads across a lab (server and client hosts)"
