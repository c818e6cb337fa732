#!/bin/sh
# The same pipeline with the kernel forwarding (`forward: true`, no netrig
# fwd): what a third-party forwarder's run looks like, and the kernel's
# own forwarding as the benchmark's baseline. The generator addresses its
# frames to the forwarder's MAC and to pcap's address behind it (the
# routes forward: true gives); the check passes on what arrives (TTL one
# lower, MACs rewritten: nothing the rules look at).
. "$(dirname "$0")/lib.sh"
. "$top/tests/e2e/pkt-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v python3 > /dev/null || skip "needs python3"
lab=t542-$$
pkt_lab "$lab" true
N=5000
fwd_mac=$(mac fwd eth0)
[ -n "$fwd_mac" ] || fail "no MAC for fwd's eth0"
to_fwd="--dst-mac $fwd_mac --src-ip 10.83.0.1 --dst-ip 10.83.1.2"

say "a few frames first: the forwarder resolves pcap's MAC (ARP) before the measurement"
# shellcheck disable=SC2086
expect_exit 0 in_ns pktgen "$NETRIG" pkt gen eth0 --count 3 $to_fwd
wait_until 5 sh -c "ip -n $lab-fwd neigh show 10.83.1.2 | grep -q REACHABLE" ||
	fail "fwd did not resolve 10.83.1.2: $(ip -n "$lab-fwd" neigh show)"

say "$N frames through the kernel's forwarding"
start_bg cap pcap "$NETRIG" pkt pcap eth0 "$tmp/cap.pcap" $N --timeout 30s
wait_line cap "^capturing $N UDP frames" 10
# shellcheck disable=SC2086
expect_exit 0 in_ns pktgen "$NETRIG" pkt gen eth0 --count $N --rate 10000 $to_fwd --json
expect_eq "$(jget out 'd["params"]["dst_mac"]')" "$fwd_mac" "gen's JSON names the MAC"
wait_exit cap
[ $rc = 0 ] || { cat cap.out cap.err; fail "pcap exited $rc"; }
expect_exit 0 "$NETRIG" pkt check cap.pcap --sent $N --json
expect_eq "$(jget out 'd["extra"]["max_seq"]')" $((N - 1)) "max sequence"
expect_eq "$(jget out 'd["results"]["lost_packets"]["value"]')" 0 "no loss"
say "the frames were forwarded, not bridged: TTL 63, pcap's MAC"
routed_frames cap.pcap "$(mac pcap eth0)" 5000 || fail "the captured frames are not the kernel's forwarded ones"
done_ok
