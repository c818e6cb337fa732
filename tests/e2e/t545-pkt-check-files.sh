#!/bin/sh
# netrig pkt check on files other tools wrote: the ixy sample as it is,
# and as editcap writes it in pcapng (tshark's default) and with the
# nanosecond magic, and as tcpdump rewrites it: every one passes with the
# same counts. An empty file, a cut one and a foreign one fail with a
# clear message (exit 1, and an "error" in the JSON that `parse: netrig`
# turns into the attempt's failure). Bad usage exits 2. No root needed.
. "$(dirname "$0")/lib.sh"
command -v editcap > /dev/null || skip "needs editcap (Debian wireshark-common, with tshark; scripts/deps.sh)"
command -v tcpdump > /dev/null || skip "needs tcpdump (scripts/deps.sh)"
sample=$top/tests/fixtures/pkt/ixy-pktgen-16pkts.pcap

say "the sample passes ixy-ci's rules for 16 frames"
expect_exit 0 "$NETRIG" pkt check "$sample" --sent 16
expect_grep "^check passed" out "verdict"
expect_grep "^sequence: first 0, last 15, min 0, max 15; 16 distinct" out "sequence line"
cp out sample.txt

say "the same frames from editcap (pcapng, nanosecond pcap) and tcpdump read alike"
editcap -F pcapng "$sample" s.pcapng || fail "editcap pcapng"
editcap -F nsecpcap "$sample" s-ns.pcap || fail "editcap nsecpcap"
tcpdump -r "$sample" -w s-tcpdump.pcap 2> /dev/null || fail "tcpdump -w"
[ "$(head -c 4 s.pcapng | od -An -tx1 | tr -d ' ')" = 0a0d0d0a ] || fail "editcap did not write pcapng"
[ "$(head -c 4 s-ns.pcap | od -An -tx1 | tr -d ' ')" = 4d3cb2a1 ] || fail "editcap did not write the nanosecond magic"
for f in s.pcapng s-ns.pcap s-tcpdump.pcap; do
	expect_exit 0 "$NETRIG" pkt check "$f" --sent 16
	cmp -s out sample.txt || { diff out sample.txt; fail "$f reads otherwise than the sample"; }
done
expect_exit 0 "$NETRIG" pkt check s.pcapng --sent 16 --json
expect_grep '"packets_per_s"' out "the rate from pcapng time stamps"
cp out ng.json
expect_exit 0 "$NETRIG" parse netrig ng.json
expect_grep "^packets_per_s +100000 1/s" out "10 us apart: 100000 frames/s"

say "a failing rule: exit 1, its message on stderr and in the JSON"
expect_exit 1 "$NETRIG" pkt check s.pcapng --sent 20
expect_grep "^netrig pkt: check: Incorrect packet count: expected: 20 actual: 16$" err "message"
expect_grep "^check failed \(count\)" out "verdict"
expect_exit 1 "$NETRIG" pkt check "$sample" --sent 16 --size 64 --json
expect_grep '"rule": "malformed"' out "rule in the JSON"
expect_grep '"error": "Malformed UDP packet \(invalid length or missing \\"ixy\\"\): frame 1, UDP length 26, not 30' out "error in the JSON"
cp out bad.json
expect_exit 1 "$NETRIG" parse netrig bad.json
expect_grep "the test failed: Malformed UDP packet" err "the parser fails with the check's message"

say "empty, cut and foreign files"
: > empty.pcap
expect_exit 1 "$NETRIG" pkt check empty.pcap --sent 16
expect_grep "empty.pcap: empty file \(no pcap header\)" err "empty"
head -c 110 "$sample" > cut.pcap
expect_exit 1 "$NETRIG" pkt check cut.pcap --sent 16
expect_grep "cut.pcap: cut short in the header of record 2 \(at byte 110\)" err "cut in a header"
head -c 140 "$sample" > cut2.pcap
expect_exit 1 "$NETRIG" pkt check cut2.pcap --sent 16 --json
expect_grep '"error": ".*cut2.pcap: cut short in the frame of record 2' out "cut in a frame, as JSON"
head -c 150 s.pcapng > cut.pcapng
expect_exit 1 "$NETRIG" pkt check cut.pcapng --sent 16
expect_grep "cut.pcapng: cut short" err "cut pcapng"
printf 'not a capture at all, just text\n' > text.pcap
expect_exit 1 "$NETRIG" pkt check text.pcap --sent 16
expect_grep "text.pcap: not a pcap or pcapng file \(magic 6e 6f 74 20\)" err "foreign"
expect_exit 1 "$NETRIG" pkt check no-such.pcap --sent 16
expect_grep "no-such.pcap: No such file" err "missing"

say "bad usage exits 2"
expect_exit 2 "$NETRIG" pkt check "$sample"
expect_grep "check needs --sent N" err "no --sent"
expect_exit 2 "$NETRIG" pkt check "$sample" --sent 0
expect_exit 2 "$NETRIG" pkt check "$sample" --sent 16 --size 59
expect_exit 2 "$NETRIG" pkt frobnicate
expect_exit 2 "$NETRIG" pkt gen
expect_exit 2 "$NETRIG" pkt gen eth0 --rate fast
expect_exit 2 "$NETRIG" pkt gen eth0 --size 9001
expect_exit 2 "$NETRIG" pkt gen eth0 --dst-mac 01:02:03
expect_exit 2 "$NETRIG" pkt fwd eth0
expect_exit 2 "$NETRIG" pkt fwd eth0 eth0
expect_grep "IN and OUT are both eth0" err "one interface twice"
expect_exit 2 "$NETRIG" pkt pcap eth0 x.pcap
expect_exit 2 "$NETRIG" pkt pcap eth0 x.pcap 10 --timeout 0
expect_exit 0 "$NETRIG" pkt --help
expect_grep "netrig pkt check FILE --sent N" out "usage"
done_ok
