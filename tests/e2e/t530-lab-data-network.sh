#!/bin/sh
# Issue 14, data addresses: a role on one host reaches its peer over the
# network the two share, not over the controller's link to the peer.
# 1. The issue's topology (controller ctl linked to server and to client,
#    and a server-client link) with built-in workloads on netns hosts: the
#    traffic crosses the server-client link (interface counters inside
#    the namespaces), nothing of it the controller's links.
# 2. Two links between the same two hosts, a management link first and a
#    `network: test` link second, and `network: test` in the campaign's
#    defaults: the traffic goes over the test link.
# 3. Plan-time errors naming both hosts: hosts that share no link, and a
#    network a host has no address on.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip > /dev/null || skip "needs iproute2"

lab=t530a-$$
cat > lab.yaml <<EOF
lab: $lab
dir: $tmp/lab
subnet: 10.83.0.0/16
hosts:
  ctl: {controller: true}
  server: {}
  client: {}
  lone: {}
links:
  - [ctl, server]
  - [ctl, client]
  - [server, client]
  - [ctl, lone]
EOF
at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
"$NETRIG" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }

# rx bytes of an interface inside a lab host's namespace
rx() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_bytes"; }
# run campaign $3 from lab $1's controller; namespace $2 must receive more
# than 10 MB on interface $4 (the data link) and less than 1 MB on $5
run_over() {
	_b_data=$(rx "$2" "$4"); _b_other=$(rx "$2" "$5")
	expect_exit 0 "$NETRIG" lab exec "$1" ctl -- "$NETRIG" run "$3" --db "$3.db"
	_data=$(( $(rx "$2" "$4") - _b_data )); _other=$(( $(rx "$2" "$5") - _b_other ))
	[ "$_data" -gt 10000000 ] || fail "$2 received only $_data bytes on $4, its data link"
	[ "$_other" -lt 1000000 ] || fail "$2 received $_other bytes on $5, not its data link"
	echo "$2: $_data bytes in on $4 (data link), $_other on $5"
}

cat > c.yaml <<'EOF'
campaign: t530
lab: lab.yaml
tests:
  - name: stream
    workload: tcp_stream
    options: {duration: 1s}
  - name: rr
    workload: tcp_rr
    options: {duration: 500ms}
EOF
# server: eth0 to ctl, eth1 to client; client: eth0 to ctl, eth1 to server
say "built-in workloads between two netns hosts of the lab, from the controller"
run_over lab.yaml $lab-server c.yaml eth1 eth0
n=$(sql c.yaml.db "SELECT count(*) FROM cases WHERE status = 'passed'")
expect_eq "$n" 2 "both workload cases pass"

say "a role whose host shares no link with its peer is refused at plan time"
cat > bad.yaml <<'EOF'
campaign: t530-bad
lab: lab.yaml
tests:
  - name: far
    roles:
      - {name: s, host: server, run: "sleep 1"}
      - {name: c, host: lone, run: "echo {host.server.address}"}
EOF
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "bad.yaml:[0-9]+:[0-9]+: .*role 'c' on host lone.*cannot reach host server.*share no link" err "the error names both hosts"
cat > bad2.yaml <<'EOF'
campaign: t530-bad2
lab: lab.yaml
defaults: {network: test}
tests:
  - name: net
    workload: tcp_rr
EOF
expect_exit 2 "$NETRIG" plan bad2.yaml
expect_grep "bad2.yaml:[0-9]+:[0-9]+: .*host server has no address on network 'test'.*host client" err "a missing data address names both hosts"

say "{port} is free on the role's host, not only on the controller"
# the controller (ctl's namespace) picks from 40000-40003, where bind() to
# port 0 takes the odd ones first (Linux 4.6 on): 40001 or 40003. 40001 is
# taken in the server's namespace: every case must get 40003
ip netns exec $lab-ctl sysctl -q -w net.ipv4.ip_local_port_range="40000 40003" ||
	skip "cannot narrow the port range in the lab's namespace"
for p in 40001; do
	ip netns exec $lab-server "$NETRIG" bench serve --listen 0.0.0.0:$p --lifetime 120s > /dev/null 2>&1 &
	at_exit "kill $! 2> /dev/null"
done
wait_until 5 sh -c "ip netns exec $lab-server cat /proc/net/tcp | grep -q ':9C41 '" || fail "the port holders did not start"
cat > port.yaml <<'EOF'
campaign: t530-port
lab: lab.yaml
tests:
  - name: port
    repeat: 6
    host: server
    run: [sh, -c, "echo port={port}"]
    parse: {format: keyvalue, metrics: {port: {}}}
EOF
expect_exit 0 "$NETRIG" lab exec lab.yaml ctl -- "$NETRIG" run port.yaml --db port.db
expect_eq "$(sql port.db "SELECT group_concat(DISTINCT CAST(value AS INTEGER)) FROM samples")" 40003 \
	"every case got the one port free on the server"

lab2=t530b-$$
cat > lab2.yaml <<EOF
lab: $lab2
dir: $tmp/lab2
subnet: 10.84.0.0/16
hosts:
  ctl: {controller: true}
  server: {}
  client: {}
links:
  - [ctl, server]
  - [ctl, client]
  - {a: server, b: client}
  - {a: server, b: client, network: test}
EOF
at_exit '"$NETRIG" lab down "$tmp/lab2.yaml" > /dev/null 2>&1'
"$NETRIG" lab up lab2.yaml > up2.out 2>&1 || { cat up2.out; fail "lab up (2)"; }
cat > c2.yaml <<'EOF'
campaign: t530-two
lab: lab2.yaml
defaults: {network: test}
tests:
  - name: stream
    workload: tcp_stream
    options: {duration: 1s}
EOF
# server: eth0 ctl, eth1 management link to client, eth2 test link
say "two links between the same hosts: traffic over the one of 'network: test'"
run_over lab2.yaml $lab2-server c2.yaml eth2 eth1
done_ok
