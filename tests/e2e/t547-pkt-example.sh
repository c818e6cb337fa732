#!/bin/sh
# examples/pkt-kernel-fwd.yaml, the third-party contract's example (issue
# 17): the packet pipeline with the kernel forwarding (`forward: true`, no
# fwd role), the commands written out as an application's would be, run
# as the file says on examples/lab-pkt.yaml (its name, subnet and the
# campaign's workdir made unique to this script).
. "$(dirname "$0")/lib.sh"
. "$top/tests/e2e/pkt-lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v sqlite3 > /dev/null || skip "needs sqlite3"
command -v python3 > /dev/null || skip "needs python3"
lab=t547-$$
sed -e "s|^lab: pkt$|lab: $lab\ndir: $tmp/lab|" -e "s/10\.78\./10.86./g" \
	"$top/examples/lab-pkt.yaml" > lab-pkt.yaml
sed -e "s|^    workdir: /tmp .*|    workdir: $tmp|" "$top/examples/pkt-kernel-fwd.yaml" > pkt-kernel-fwd.yaml
grep -q "^lab: $lab" lab-pkt.yaml && grep -q "workdir: $tmp" pkt-kernel-fwd.yaml ||
	fail "the examples changed: this script no longer makes them unique"
at_exit '"$NETRIG" lab down "$tmp/lab-pkt.yaml" > /dev/null 2>&1'
expect_exit 0 "$NETRIG" lab up lab-pkt.yaml

say "the example runs as written: every attempt passes ixy-ci's check"
expect_exit 0 "$NETRIG" run pkt-kernel-fwd.yaml --db db.sqlite
expect_grep "passed, 2 cases: 2 passed" out "the run"
expect_eq "$(sql db.sqlite "select count(*) from attempts where outcome = 'passed'")" 4 "attempts"
expect_eq "$(sql db.sqlite "select count(*) from samples where metric = 'received_packets' and value = 10000")" 4 \
	"10000 frames arrived in each"
expect_eq "$(sql db.sqlite "select count(distinct role) from outputs")" 2 "no fwd role: the kernel forwards"

say "the frames went through the kernel's routing: pcap's MAC, TTL 63"
att=$(sql db.sqlite "select uuid_str(a.id) from attempts a join cases c on a.case_id = c.id where c.key = 'kernel_fwd/rate=50k' limit 1")
"$NETRIG" log "$att" --db db.sqlite --stream "file:$tmp/kernel_fwd.pcap" --raw > cap.pcap ||
	fail "log --raw"
routed_frames cap.pcap "$(mac pcap eth0)" 10000 || fail "the stored captures are not the kernel's forwarded frames"
done_ok
