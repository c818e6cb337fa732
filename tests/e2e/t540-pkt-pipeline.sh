#!/bin/sh
# The packet pipeline through a three-namespace lab, as ixy-ci runs it:
# pcap (ready first) <- netrig pkt fwd <- netrig pkt gen. The capture is
# a classic libpcap file laid out as ixy-pcap's; check passes; tshark
# reads it and finds the same frames with the same sequence numbers; the
# generator held its rate by the clock; every JSON summary is one the
# netrig parser reads. Then: both directions with the other methods, a
# capture that times out (exit 1, saying so), and a duration-bounded gen.
. "$(dirname "$0")/lib.sh"
. "$top/tests/e2e/pkt-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v tshark > /dev/null || skip "needs tshark (Debian tshark; scripts/deps.sh)"
command -v python3 > /dev/null || skip "needs python3"
lab=t540-$$
pkt_lab "$lab" false
N=20000

say "pcap, then fwd, then gen: $N frames at 20000 frames/s"
start_bg pcap pcap "$NETRIG" pkt pcap eth0 "$tmp/cap.pcap" $N --timeout 30s --json
wait_line pcap "^capturing $N UDP frames on eth0 into .*cap.pcap \(timeout 30.0 s\)" 10
start_bg fwd fwd "$NETRIG" pkt fwd eth0 eth1 --duration 60s --json
wait_line fwd "^forwarding eth0 -> eth1 \(" 10
expect_exit 0 in_ns pktgen "$NETRIG" pkt gen eth0 --count $N --rate 20000 --json
cp out gen.json
expect_grep "^sending 60-byte frames on eth0 \(sendmmsg, batch 64, 20000 frames/s\)" err "gen's ready line"
wait_exit pcap
[ $rc = 0 ] || { cat pcap.out pcap.err; fail "pcap exited $rc"; }
expect_grep "^captured $N frames into .*cap.pcap" pcap.err "pcap says it ended at N"
expect_eq "$(jget pcap.out 'd["end"]')" count "pcap's end in the JSON"
kill -TERM "$(cat fwd.pid)"
wait_exit fwd
[ $rc = 0 ] || { cat fwd.err; fail "fwd exited $rc on SIGTERM"; }
expect_grep "^\[eth0\] RX: [0-9]+ Mbit/s [0-9.]+ Mpps$" fwd.err "fwd's per-second lines"
expect_grep "^\[eth1\] TX: [0-9]+ Mbit/s [0-9.]+ Mpps$" fwd.err "fwd's per-second lines"

say "the file: ixy-pcap's header, and check passes"
expect_eq "$(head -c 24 cap.pcap | od -An -tx1 | tr -d ' \n')" \
	"d4c3b2a1020004000000000000000000ffff000001000000" "magic, 2.4, zone, sigfigs, snaplen 65535, linktype 1"
expect_exit 0 "$NETRIG" pkt check cap.pcap --sent $N --json
cp out check.json
expect_eq "$(jget check.json 'd["check"]["passed"]')" True "check passed"
expect_eq "$(jget check.json 'd["results"]["lost_packets"]["value"]')" 0 "no loss"
expect_eq "$(jget check.json 'd["extra"]["max_seq"]')" $((N - 1)) "max sequence"

say "tshark finds the same frames with the same sequence numbers"
tshark_seqs cap.pcap > tshark.seqs
expect_eq "$(wc -l < tshark.seqs)" $N "tshark's ixy frames"
expect_eq "$(tshark -r cap.pcap 2> /dev/null | wc -l)" "$(jget check.json 'd["extra"]["frames"]')" "frames in the file"
expect_eq "$(sort -n tshark.seqs | uniq | wc -l)" $N "distinct numbers"
expect_eq "$(sort -n tshark.seqs | head -n 1) $(sort -n tshark.seqs | tail -n 1)" "0 $((N - 1))" "their range"
expect_eq "$(head -n 1 tshark.seqs) $(tail -n 1 tshark.seqs)" \
	"$(jget check.json 'd["extra"]["first_seq"]') $(jget check.json 'd["extra"]["last_seq"]')" \
	"first and last in file order"
expect_eq "$(jget check.json 'd["results"]["reordered_packets"]["value"]')" \
	"$(python3 -c 'import sys; s=[int(x) for x in open(sys.argv[1])]; m=-1; n=0
for v in s:
    n += v < m; m = max(m, v)
print(n)' tshark.seqs)" "reordered frames counted alike"

say "the generator held its rate by the clock; the JSON reads as samples"
dur=$(jget gen.json 'd["results"]["duration_us"]["value"]')
python3 -c "import sys; d=float(sys.argv[1]); sys.exit(0 if 999000 <= d <= 2000000 else 1)" "$dur" ||
	fail "$N frames at 20000/s took $dur us (the last is due at 999950 us)"
expect_eq "$(jget gen.json 'd["results"]["sent_packets"]["value"]')" $N "sent"
expect_eq "$(jget gen.json 'd["extra"]["next_seq"]')" $N "numbers used"
cp fwd.out fwd.json
cp pcap.out pcap.json
expect_exit 0 "$NETRIG" parse netrig fwd.json
expect_grep "^forwarded_packets +[0-9]+ count" out "fwd's samples"
expect_exit 0 "$NETRIG" parse netrig pcap.json
expect_grep "^received_packets +$N count" out "pcap's samples"
expect_exit 0 "$NETRIG" parse netrig check.json
expect_grep "^received_packets +$N count" out "check's samples"
expect_exit 0 "$NETRIG" parse netrig gen.json
expect_grep "^sent_packets +$N count" out "gen's samples"

say "both directions through one forwarder, the transmit ring on both tools"
start_bg back pktgen "$NETRIG" pkt pcap eth0 "$tmp/back.pcap" 500 --timeout 30s
wait_line back "^capturing 500 UDP frames" 10
start_bg fwd2 fwd "$NETRIG" pkt fwd eth0 eth1 --bidirectional --method tx_ring --batch 16 --duration 60s
wait_line fwd2 "^forwarding eth0 -> eth1 and back \(tx_ring, batch 16\)" 10
expect_exit 0 in_ns pcap "$NETRIG" pkt gen eth0 --count 500 --rate 10000 --method tx_ring --batch 8
wait_exit back
[ $rc = 0 ] || { cat back.out back.err; fail "the capture in pktgen exited $rc"; }
expect_exit 0 "$NETRIG" pkt check back.pcap --sent 500
kill -TERM "$(cat fwd2.pid)"
wait_exit fwd2
expect_grep "^forwarded 500 of 500 frames" fwd2.out "fwd2's summary"

say "AF_XDP when asked (native XDP on veth), where this kernel allows it"
start_bg cap3 pcap "$NETRIG" pkt pcap eth0 "$tmp/xdp.pcap" 2000 --timeout 30s
wait_line cap3 "^capturing 2000 UDP frames" 10
start_bg fwd3 fwd "$NETRIG" pkt fwd eth0 eth1 --method xdp --duration 60s
if wait_line_or_exit fwd3 "^forwarding eth0 -> eth1 \(xdp, batch 64\)" 10; then
	expect_exit 0 in_ns pktgen "$NETRIG" pkt gen eth0 --count 2000 --rate 10000
	wait_exit cap3
	[ $rc = 0 ] || { cat cap3.out cap3.err fwd3.out fwd3.err; fail "the capture behind AF_XDP exited $rc"; }
	expect_exit 0 "$NETRIG" pkt check xdp.pcap --sent 2000
	kill -TERM "$(cat fwd3.pid)"
	wait_exit fwd3
	expect_eq $rc 0 "fwd on AF_XDP, ended by SIGTERM"
	expect_grep "^forwarded 20[0-9][0-9] of 20[0-9][0-9] frames in [0-9.]+ s \(xdp\)" fwd3.out "its summary"
	# the program went with the process: the interface has no XDP left
	ip -n "$lab-fwd" link show eth0 | grep -q "xdp" && fail "XDP still attached: $(ip -n "$lab-fwd" link show eth0)"
else
	expect_eq "$rc" 3 "fwd --method xdp where it cannot run"
	grep -q "native XDP on eth0\|AF_XDP\|bpf" fwd3.err || fail "no reason given: $(cat fwd3.err)"
	echo "AF_XDP not here: $(cat fwd3.err)"
	kill "$(cat cap3.pid)" 2> /dev/null
fi

say "a capture that gets too little ends at its timeout: exit 1, saying so, a valid file"
start_bg late pcap "$NETRIG" pkt pcap eth0 "$tmp/late.pcap" 5 --timeout 1s --json
wait_exit late
expect_eq $rc 1 "pcap's exit status on a timeout"
expect_grep "^timeout after 1.00 s: captured 0 of 5 frames" late.err "pcap says it timed out"
expect_eq "$(jget late.out 'd["end"]')" timeout "end in the JSON"
expect_exit 1 "$NETRIG" pkt check late.pcap --sent 5
expect_grep "Incorrect packet count: expected: 5 actual: 0" err "check of the empty capture"

say "gen bounded by --duration"
expect_exit 0 in_ns pktgen "$NETRIG" pkt gen eth0 --duration 1s --rate 1000 --json
expect_eq "$(jget out 'round(d["results"]["duration_us"]["value"] / 1e5)')" 10 "1 s, to a tenth"
python3 -c "import json,sys; n=json.load(open('out'))['results']['sent_packets']['value']; sys.exit(0 if 995 <= n <= 1001 else 1)" ||
	fail "1 s at 1000 frames/s sent $(jget out 'd["results"]["sent_packets"]["value"]')"
say "a missing interface, an MTU too small: clear errors, exit 3"
expect_exit 3 in_ns pktgen "$NETRIG" pkt gen eth9 --count 1
expect_grep "interface eth9: no such interface here" err "missing interface"
expect_exit 3 in_ns pktgen "$NETRIG" pkt gen eth0 --count 1 --size 1600
expect_grep "frames of 1600 bytes do not fit eth0's MTU of 1500" err "MTU"
done_ok
