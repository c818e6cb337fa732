#!/bin/sh
# Labs: `forward: true` gives its neighbours routes through it, so a TCP
# test runs from one end to the other across the forwarder; a route gone
# makes the lab "not up" and `up` builds it anew; a link's netem is the
# root qdisc of both its ends and delays the traffic by what it says
# (where the kernel has netem), and where the kernel has none `up` fails
# with that reason and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v tc > /dev/null || skip "needs tc (iproute2)"
lab=t530-$$

cat > lab.yaml << EOF
lab: $lab
dir: $tmp/lab
subnet: 10.81.0.0/16
hosts:
  left:
  mid: {forward: true}
  right:
links:
  - [left, mid]
  - [mid, right]
EOF
at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
expect_exit 0 "$NETRIG" lab up lab.yaml
say "the ends have routes to each other's link through mid, and no default route"
expect_eq "$(ip -n "$lab-left" -4 route show 10.81.1.0/24)" "10.81.1.0/24 via 10.81.0.2 dev eth0 " "left's route"
expect_eq "$(ip -n "$lab-right" -4 route show 10.81.0.0/24)" "10.81.0.0/24 via 10.81.1.1 dev eth0 " "right's route"
[ -z "$(ip -n "$lab-left" route show default)" ] || fail "left has a default route"
expect_exit 0 "$NETRIG" lab status --json lab.yaml
expect_grep '"routes_in_place": 1' out "status counts the route"

# A one-second tcp_rr from left to a server in right; its JSON in ./out.
rr() {
	"$NETRIG" lab exec lab.yaml right -- "$NETRIG" bench serve --listen 10.81.1.2:0 --one-off \
		--lifetime 60s > srv.out 2> srv.err &
	srv=$!
	at_exit "kill $srv 2> /dev/null"
	wait_until 10 grep -q '^listening on ' srv.out || fail "server: $(cat srv.err)"
	port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' srv.out)
	expect_exit 0 timeout 60 "$NETRIG" lab exec lab.yaml left -- "$NETRIG" bench tcp_rr \
		--to "10.81.1.2:$port" --duration 1s --omit 0 --json
	wait $srv
}

say "a TCP test from left to right crosses mid"
rr

say "a route removed by hand: the lab is not up, and up builds it anew"
ip -n "$lab-left" route del 10.81.1.0/24 || fail "route del"
expect_exit 1 "$NETRIG" lab status lab.yaml
expect_grep "0 of 1 routes in place" out "status names the missing route"
expect_exit 0 "$NETRIG" lab up lab.yaml
expect_grep "partial lab" out "up rebuilt"
expect_eq "$(ip -n "$lab-left" -4 route show 10.81.1.0/24 | wc -l)" 1 "the route is back"
expect_exit 0 "$NETRIG" lab down lab.yaml

# Does this kernel have netem? (a namespace of our own, deleted at once)
probe=t530p-$$
ip netns add "$probe" || fail "ip netns add"
at_exit "ip netns del $probe 2> /dev/null"
ip -n "$probe" link set lo up
if ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2> /dev/null; then netem=yes; else netem=no; fi
ip netns del "$probe"

sed -i 's/  - \[mid, right\]/  - {a: mid, b: right, netem: {delay: 20ms, limit: 2000}}/' lab.yaml
if [ $netem = no ]; then
	say "no netem in this kernel: up fails with that reason, leaving nothing"
	expect_exit 3 "$NETRIG" lab up lab.yaml
	expect_grep "netem on the link mid-right \(lab.yaml:[0-9]+:[0-9]+\): the kernel has no netem" err "the reason"
	ip netns list | grep -q "^$lab-" && fail "a namespace was left: $(ip netns list)"
	echo "netem checks skipped: this kernel has no netem (CONFIG_NET_SCH_NETEM)"
	done_ok
fi
say "netem: a 20 ms delay on mid-right, on both its ends"
expect_exit 0 "$NETRIG" lab up lab.yaml
ip -n "$lab-mid" qdisc show dev eth1 | grep -q "netem.*delay 20ms" || fail "mid eth1: $(ip -n "$lab-mid" qdisc show dev eth1)"
ip -n "$lab-right" qdisc show dev eth0 | grep -q "netem.*delay 20ms" || fail "right eth0: $(ip -n "$lab-right" qdisc show dev eth0)"
expect_exit 0 "$NETRIG" lab status lab.yaml
expect_grep "netem on" out "status shows the netem"
rr
p50=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["results"]["latency_p50_us"]["value"]))' out)
[ "$p50" -ge 40000 ] || fail "a round trip over two 20 ms delays took $p50 us"
say "round trip p50 $p50 us (two 20 ms delays)"
ip -n "$lab-mid" qdisc del dev eth1 root
expect_exit 1 "$NETRIG" lab status lab.yaml
expect_grep "netem missing" out "status sees the netem gone"
done_ok
