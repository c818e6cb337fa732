#!/bin/sh
# Issue 14, host-pair probes: a test with `probe:` gets a short tcp_rr
# between the hosts of its client and server roles once per run, stored in
# the client host's description ("probes"), shown in the reports' hosts
# section and in report --format json, carried by db merge and by a push
# to netrig serve; a probe that cannot reach its peer is recorded as
# failed with its reason and the cases run all the same.
# 1. this machine (local to local over loopback);
# 2. a lab with two netns hosts and a second link that is down on the
#    client's side: the probe over the live link has numbers, the one over
#    the dead link failed "unreachable", and both tests' cases ran.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "needs python3"

R=$(db r) && M=$(db merged) && S=$(db server) || fail "cannot make the databases"

# probes of host $2 in report JSON $1, one line each: from to address status tps p50 p99 error
probes() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for h in d.get("hosts", []):
    if h["name"] != sys.argv[2]:
        continue
    for p in ((h.get("sysinfo") or {}).get("probes") or []):
        print(p["from"], p["to"], p["address"], p["status"], p.get("transactions_per_s", "-"),
              p.get("latency_p50_us", "-"), p.get("latency_p99_us", "-"),
              (p.get("error") or "-").replace(" ", "_"), p.get("time", "-"))
PY
}

say "a probe between the local hosts of a workload: stored, reported"
cat > c.yaml <<'EOF2'
campaign: t644
defaults: {probe: {tcp_rr: 300ms}}
tests:
  - name: rr
    workload: tcp_rr
    options: {duration: 200ms, omit: 0}
  - name: rr-big
    workload: tcp_rr
    options: {duration: 200ms, omit: 0, request: 1000}
  - name: quiet
    probe: false
    run: "true"
EOF2
expect_exit 0 "$NETRIG" run c.yaml -q --db "$R"
RUN=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out)
[ -n "$RUN" ] || fail "no run id: $(cat out)"
expect_exit 0 "$NETRIG" report --db "$R" --format json
cp out r.json
probes r.json local > p.txt
[ "$(wc -l < p.txt)" = 1 ] || fail "one probe for the one pair (local, local), not: $(cat p.txt)"
read -r from to addr status tps p50 p99 err when < p.txt
expect_eq "$from $to $addr $status $err" "local local 127.0.0.1 passed -" "the probe's pair and outcome"
python3 -c "import sys; t, a, b = map(float, sys.argv[1:4]); assert t > 0 and 0 < a <= b, (t, a, b)" \
	"$tps" "$p50" "$p99" || fail "the probe's numbers: $tps/s p50 $p50 p99 $p99"
case $when in 20[0-9][0-9]-*Z) ;; *) fail "the probe's time is '$when'" ;; esac
expect_exit 0 "$NETRIG" report --db "$R" --format md
expect_grep "^### Host pairs" out "the markdown report's host pairs"
expect_grep "^\| local \| local \| \`127\.0\.0\.1\` \| [0-9.]+ k?/s \| [0-9.]+ [mu]?s \| [0-9.]+ [mu]?s \|" out \
	"the probe's row in markdown"
expect_exit 0 "$NETRIG" report --db "$R" --format html
expect_grep "<h3>Host pairs</h3>" out "the HTML report's host pairs"
expect_grep "<tr><td>local</td><td>local</td><td><code>127\.0\.0\.1</code></td><td class=\"num\">[0-9.]+ k?/s" out \
	"the probe's row in HTML"
sql "$R" "SELECT host || ': ' || message FROM events WHERE kind = 'probe'" > ev.txt
expect_grep "^local: tcp_rr probe to local at 127\.0\.0\.1: [0-9]+ transactions/s, p50 [0-9.]+ us" ev.txt \
	"the probe's event"

say "no probe: asked for nowhere, none is made"
sed 's/^defaults: .*$//' c.yaml > none.yaml
expect_exit 0 "$NETRIG" run none.yaml -q --db "$R"
expect_exit 0 "$NETRIG" report --db "$R" --format json
probes out local > none.txt
[ -s none.txt ] && fail "a run without probe: has probes: $(cat none.txt)"

say "db merge carries the probe"
expect_exit 0 "$NETRIG" db merge "$M" "$R"
expect_exit 0 "$NETRIG" report "$RUN" --db "$M" --format json
probes out local > merged.txt
expect_eq "$(cat merged.txt)" "$(cat p.txt)" "the merged run's probe"

say "a push to netrig serve carries the probe"
expect_exit 0 "$NETRIG" --db "$R" push "$RUN" --bundle b.json
grep -q 'probes' b.json || fail "the bundle has no probes"
TOK=$(serve_token "$S" probe push --expires 1d)
serve_start "$S"
U=$SERVE_URL
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$R" push "$RUN" --server "$U"
command -v curl > /dev/null || skip "no curl to read the pushed run back"
curl -sf "$U/api/v1/runs/$RUN" > served.json || fail "GET the pushed run"
probes served.json local > served.txt
expect_eq "$(cat served.txt)" "$(cat p.txt)" "the served run's probe"
kill $spid

[ "$(id -u)" = 0 ] || skip "the lab part needs root (network namespaces)"
command -v ip > /dev/null || skip "the lab part needs iproute2"

say "a lab: a probe over the live link, a failed one over a dead link, every case run"
lab=t644-$$
cat > lab.yaml <<EOF2
lab: $lab
dir: $tmp/lab
subnet: 10.86.0.0/16
hosts:
  ctl: {controller: true}
  server: {}
  client: {}
links:
  - [ctl, server]
  - [ctl, client]
  - [server, client]
  - {a: server, b: client, network: dead}
EOF2
at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
"$NETRIG" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }
# server: eth0 to ctl, eth1 to client, eth2 the dead link; in the client's
# namespace the server's address there becomes unreachable (the lab stays up)
dead_addr=$(ip netns exec $lab-server ip -4 -o addr show dev eth2 | sed -n 's|.* inet \([0-9.]*\)/.*|\1|p')
[ -n "$dead_addr" ] || fail "no address on the server's eth2"
ip netns exec $lab-client ip route add unreachable "$dead_addr/32" || fail "cannot make $dead_addr unreachable"
L=$(db lab) || fail "cannot make the lab's database"
cat > l.yaml <<'EOF2'
campaign: t644-lab
lab: lab.yaml
defaults: {probe: true}
tests:
  - name: dead
    network: dead
    workload: tcp_rr
    options: {duration: 200ms, omit: 0}
  - name: rr
    workload: tcp_rr
    options: {duration: 200ms, omit: 0}
EOF2
expect_exit 1 "$NETRIG" lab exec lab.yaml ctl -- "$NETRIG" run l.yaml --db "$L"
expect_eq "$(sql "$L" "SELECT test || ':' || status FROM cases ORDER BY ordinal" | tr '\n' ' ')" \
	"dead:failed rr:passed " "both cases ran: the dead link's failed, the other passed"
# a failed run: report exits 1
expect_exit 1 "$NETRIG" report --db "$L" --format json
cp out l.json
probes l.json client > lp.txt
[ "$(wc -l < lp.txt)" = 2 ] || fail "two probes (dead link, live link), not: $(cat lp.txt)"
dead=$(sed -n 1p lp.txt) live=$(sed -n 2p lp.txt)
case $dead in
"client server $dead_addr failed - - - "*[Uu]nreachable* | "client server $dead_addr failed - - - "*No_route*) ;;
*) fail "the probe over the dead link: $dead" ;;
esac
case $live in
"client server 10.86."*" passed "[0-9]*" - "*) ;;
*) fail "the probe over the live link: $live" ;;
esac
[ "${dead%% failed*}" != "${live%% passed*}" ] || fail "both probes went to one address: $dead / $live"
expect_exit 1 "$NETRIG" report --db "$L" --format md
expect_grep "^\| client \| server \| \`$dead_addr\` \| failed: .*([Uu]nreachable|No route)" out "the failed probe in markdown"
done_ok
