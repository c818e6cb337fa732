#!/bin/sh
# The packet pipeline as a campaign (`workload: packet_pipeline`, issue
# 17): roles pcap -> fwd -> pktgen on a three-namespace lab with netrig's
# own tools; the check's numbers become samples, the capture is stored
# with the attempt and tshark reads the stored copy: the same frames, the
# same sequence numbers. A faulty forwarder given as the application's
# command (`commands: {fwd: ...}`, ixy-ci's contract) fails the attempt
# with check's message. Mistakes in the campaign are refused before
# anything runs.
. "$(dirname "$0")/lib.sh"
. "$top/tests/e2e/pkt-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v python3 > /dev/null || skip "needs python3"
command -v tshark > /dev/null || skip "needs tshark"
command -v sqlite3 > /dev/null || skip "needs sqlite3"
lab=t546-$$
pkt_lab "$lab" false
N=3000

cat > campaign.yaml << EOF
campaign: pipe-$$
lab: lab.yaml
tests:
  - name: pipe
    workload: packet_pipeline
    options: {frames: $N, rate: 20k, capture_timeout: 20s}
    timeout: 60s
    build: [[sh, -c, "ip -o -4 addr show | grep -o 'inet 10[.0-9]*' >> builds.txt"]]
EOF

say "netrig's gen, fwd and pcap as a campaign: check passes, its numbers are samples"
expect_exit 0 "$NETRIG" run campaign.yaml --db db.sqlite
expect_grep "passed, 1 cases: 1 passed" out "the run passed"
for m in sent_packets received_packets; do
	expect_eq "$(sql db.sqlite "select value from samples where metric = '$m' and role = 'pcap'")" "$N.0" "$m"
done
for m in lost_packets duplicate_packets reordered_packets loss_percent; do
	expect_eq "$(sql db.sqlite "select value from samples where metric = '$m'")" "0.0" "$m"
done
rate=$(sql db.sqlite "select cast(value as int) from samples where metric = 'packets_per_s'")
[ "${rate:-0}" -gt 10000 ] && [ "$rate" -lt 30000 ] || fail "arrival rate $rate, not about 20k frames/s"

say "build: once on each of the three hosts, in its namespace"
expect_eq "$(sort builds.txt | tr '\n' ' ')" "inet 10.83.0.1 inet 10.83.0.2 inet 10.83.1.1 inet 10.83.1.2 " "what the builds saw"

say "the capture is stored with the attempt: netrig log names it, --raw gives its bytes"
stream="file:$tmp/pipe.pcap"
expect_exit 0 "$NETRIG" log pipe --db db.sqlite
expect_grep "^--- pcap@pcap $stream \([0-9]+ bytes\)$" out "the file in the log"
expect_grep "^\[binary: --stream '$stream' --raw writes its bytes\]$" out "no binary on the terminal"
"$NETRIG" log pipe --db db.sqlite --stream "$stream" --raw > stored.pcap || fail "log --raw"
rm -f "$tmp/pipe.pcap"
expect_exit 0 "$NETRIG" pkt check stored.pcap --sent $N

say "tshark reads the stored capture: $N ixy frames, sequence numbers 0 to $((N - 1))"
tshark_seqs stored.pcap > seqs || fail "tshark: $(cat tshark.err)"
expect_eq "$(wc -l < seqs)" $N "frames tshark counts"
expect_eq "$(sort -n seqs | uniq | wc -l)" $N "distinct sequence numbers"
expect_eq "$(sort -n seqs | head -n 1)" 0 "lowest"
expect_eq "$(sort -n seqs | tail -n 1)" $((N - 1)) "highest"

say "a faulty forwarder as the application's fwd: the attempt fails with check's message"
M=500
cat > faulty.yaml << EOF
campaign: faulty-$$
lab: lab.yaml
tests:
  - name: drop
    workload: packet_pipeline
    options: {frames: $M, rate: 5000, capture_timeout: 4s}
    timeout: 90s
    commands:
      fwd:
        run: [python3, "$top/tests/e2e/pkt-faulty-fwd.py", "{iface.fwd.pktgen}", "{iface.fwd.pcap}", drop=100]
        ready: {regex: "^ready$", timeout: 60s}
  - name: dup
    workload: packet_pipeline
    options: {frames: $M, rate: 5000, capture_timeout: 20s}
    timeout: 90s
    commands:
      fwd:
        run: [python3, "$top/tests/e2e/pkt-faulty-fwd.py", "{iface.fwd.pktgen}", "{iface.fwd.pcap}", dup=100]
        ready: {regex: "^ready$", timeout: 60s}
EOF
expect_exit 1 "$NETRIG" run faulty.yaml --db db.sqlite
expect_eq "$(sql db.sqlite "select c.status || ': ' || a.outcome from cases c join attempts a on a.case_id = c.id where c.test = 'drop'")" \
	"failed: failed" "the case with a dropped frame"
sql db.sqlite "select error from cases where test = 'drop'" > err.drop
expect_grep "^role pcap: exit 1: netrig pkt: check: Incorrect packet count: expected: $M actual: $((M - 1))$" err.drop \
	"drop: check's message"
sql db.sqlite "select error from cases where test = 'dup'" > err.dup
expect_grep "Bad sequence number: expected $M packets but max sequence number was $((M - 2))" err.dup "dup: check's message"
expect_eq "$(sql db.sqlite "select count(*) from samples s join cases c on s.case_id = c.id where c.test in ('drop', 'dup')")" 0 \
	"a failed check stores no samples"

say "mistakes are refused before anything runs"
bad() {
	cat > bad.yaml
	expect_exit 2 "$NETRIG" plan bad.yaml
	expect_grep "$1" err "$2"
}
bad "the lab has no link between pcap and pktgen" "no such link" << EOF
campaign: bad
lab: lab.yaml
tests:
  - name: t
    workload: packet_pipeline
    commands: {pktgen: ["{netrig}", pkt, gen, "{iface.pcap.pktgen}"]}
EOF
bad "'\{iface.pcap.fwd.ip\}' wants \{iface.HOST.PEER\}" "a field that is not there" << EOF
campaign: bad
lab: lab.yaml
tests:
  - name: t
    workload: packet_pipeline
    commands: {pktgen: [x, "{iface.pcap.fwd.ip}"]}
EOF
bad "packet_pipeline runs on hosts pktgen, fwd and pcap .*no host 'pcap'" "no lab" << EOF
campaign: bad
hosts:
  pktgen: {transport: netns, netns: x, address: 10.0.0.1}
  fwd: {transport: netns, netns: y, address: 10.0.0.2}
tests:
  - name: t
    workload: packet_pipeline
EOF
bad "'\{iface.a.b\}' needs a lab" "an iface template without a lab" << EOF
campaign: bad
tests:
  - name: t
    run: [echo, "{iface.a.b}"]
EOF
bad "'commands' goes with workload packet_pipeline" "commands elsewhere" << EOF
campaign: bad
tests:
  - name: t
    workload: tcp_rr
    commands: {fwd: none}
EOF
bad "unknown key 'flows' in options of packet_pipeline" "an option it does not have" << EOF
campaign: bad
lab: lab.yaml
tests:
  - name: t
    workload: packet_pipeline
    options: {flows: 2}
EOF
done_ok
