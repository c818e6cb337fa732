#!/bin/sh
# A campaign's controller inside a lab (docs/lab.md): `netrig lab exec LAB
# ctl -- netrig run` with an iperf3 server on host b and the client on host
# a, both `transport: netns` hosts of the lab, across the a-b link; results
# stored. Then the lab goes down and nothing of it remains.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "ip (iproute2) is not installed"; exit 77; }
command -v iperf3 >/dev/null || { echo "iperf3 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t512.XXXXXX)
lab=t512-$$
cleanup() {
	"$top/netrig" lab down "$tmp/lab.yaml" >/dev/null 2>&1
	for h in a b ctl; do ip netns del "$lab-$h" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" || exit 1

cat > lab.yaml <<EOF
lab: $lab
dir: $tmp/lab
subnet: 10.81.0.0/16
hosts:
  a: {}
  b: {}
  ctl: {controller: true}
links:
  - [a, b]
  - [ctl, a]
  - [ctl, b]
EOF
cat > campaign.yaml <<EOF
campaign: labtcp
hosts:
  server: {transport: netns, netns: $lab-b, address: 10.81.0.2}
  client: {transport: netns, netns: $lab-a, address: 10.81.0.1}
defaults:
  repeat: 2
  timeout: 30s
tests:
  - name: tcp
    roles:
      - name: server
        host: server
        run: iperf3 --server --one-off --bind {host.server.address} --port {port}
        ready: {port: "{port}"}
      - name: client
        host: client
        run: iperf3 --client {host.server.address} --port {port} --time 1 --json
        parse:
          format: json
          metrics:
            throughput: {pointer: /end/sum_received/bits_per_second, unit: bit/s, better: higher}
EOF

"$top/netrig" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up exited $?"; }
"$top/netrig" lab exec lab.yaml ctl -- "$top/netrig" run campaign.yaml --db "$tmp/r.db" > run.out 2>&1
rc=$?
cat run.out
[ $rc = 0 ] || fail "netrig run inside the lab exited $rc"
n=$(sqlite3 r.db "SELECT count(*) FROM samples WHERE metric = 'throughput' AND value > 1e8")
[ "$n" = 2 ] || fail "expected 2 throughput samples above 100 Mbit/s, got $n"
echo "throughput across the lab's a-b link (bit/s): $(sqlite3 r.db "SELECT group_concat(CAST(value AS INTEGER), ' ') FROM samples WHERE metric = 'throughput'")"

"$top/netrig" lab down lab.yaml > down.out 2>&1 || { cat down.out; fail "lab down exited $?"; }
ip netns list | grep "^$lab-" && fail "namespaces left after down"
pgrep -f -- "iperf3 --server --one-off --bind 10.81.0.2" && fail "an iperf3 server outlived the lab"
echo "ok: a campaign ran from the lab's controller namespace across a lab link"
