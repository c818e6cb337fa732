#!/bin/sh
# A forwarder that drops, duplicates, reorders or corrupts frames (a
# small test double, pkt-faulty-fwd.py, in place of netrig pkt fwd) is
# caught by netrig pkt check with ixy-ci's message for that fault; a
# reordering, which ixy-ci lets pass, is reported, and fails --in-order.
# (netem on the link would do the same where the kernel has it; this one
# has none, and the double hits the frame it is told to.)
. "$(dirname "$0")/lib.sh"
. "$top/tests/e2e/pkt-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v python3 > /dev/null || skip "needs python3"
lab=t541-$$
pkt_lab "$lab" false
N=200

# run_fault NAME FAULT...: the pipeline through the double with FAULTs; the
# capture in NAME.pcap, pcap's exit status in $rc.
run_fault() {
	_name=$1
	shift
	# the double first: python may take seconds to start on a busy
	# machine, and pcap's timeout must not run out meanwhile
	start_bg dbl fwd python3 "$top/tests/e2e/pkt-faulty-fwd.py" eth0 eth1 "$@"
	wait_line dbl "^ready$" 30
	start_bg cap pcap "$NETRIG" pkt pcap eth0 "$tmp/$_name.pcap" $N --timeout 4s
	wait_line cap "^capturing $N UDP frames" 10
	expect_exit 0 in_ns pktgen "$NETRIG" pkt gen eth0 --count $N --rate 5000
	wait_exit cap
	kill "$(cat dbl.pid)" 2> /dev/null
	wait "$(cat dbl.pid)" 2> /dev/null
}

say "no fault: passes"
run_fault clean
expect_eq $rc 0 "pcap"
expect_exit 0 "$NETRIG" pkt check clean.pcap --sent $N

say "a frame dropped: the count"
run_fault drop drop=50
expect_eq $rc 1 "pcap times out one frame short"
expect_exit 1 "$NETRIG" pkt check drop.pcap --sent $N
expect_grep "^netrig pkt: check: Incorrect packet count: expected: $N actual: $((N - 1))$" err "message"
expect_grep "^lost 1 " out "the loss is counted"

say "a frame duplicated: the highest number falls short (ixy-ci checks that first)"
run_fault dup dup=50
expect_eq $rc 0 "pcap"
expect_exit 1 "$NETRIG" pkt check dup.pcap --sent $N
expect_grep "Bad sequence number: expected $N packets but max sequence number was $((N - 2)) \(allowed $((N - 1)) to $((2 * N))\)" err "message"
expect_grep "duplicates 1," out "the duplicate is counted"

say "a frame duplicated and another dropped: the duplicate rule"
run_fault dupdrop dup=50 drop=120
expect_exit 1 "$NETRIG" pkt check dupdrop.pcap --sent $N
expect_grep "^netrig pkt: check: Some sequence number occured more than once \(1 duplicate frames\)$" err "message"

say "a frame held back: passes ixy-ci's rules, is reported, fails --in-order"
run_fault hold hold=100
expect_eq $rc 0 "pcap"
expect_exit 0 "$NETRIG" pkt check hold.pcap --sent $N
expect_grep "reordered 1 \(largest extent 1\)" out "reordering reported"
expect_exit 1 "$NETRIG" pkt check hold.pcap --sent $N --in-order
expect_grep "Wrong packet order: last sequence number was 101 and now encountered 100 \(frame [0-9]+\)" err "message"

say "a payload corrupted, a UDP length changed: malformed"
run_fault corrupt corrupt=30
expect_exit 1 "$NETRIG" pkt check corrupt.pcap --sent $N
expect_grep "Malformed UDP packet \(invalid length or missing \"ixy\"\): frame [0-9]+, payload does not start with \"ixy\": 01 02 03 04 05 06" err "message"
run_fault udplen udplen=30
expect_exit 1 "$NETRIG" pkt check udplen.pcap --sent $N --json
expect_grep '"rule": "malformed"' out "the rule"
expect_grep 'UDP length 30, not 26' out "the length"
done_ok
