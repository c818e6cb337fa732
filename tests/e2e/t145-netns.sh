#!/bin/sh
# Hosts with transport netns: two network namespaces of this test's own
# joined by a veth pair (no default route, deleted at the end); an iperf3
# server in one and its client in the other, found by {host.NAME.address};
# each role runs inside its namespace; a namespace that does not exist is
# a clear error of the case.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v iperf3 > /dev/null || skip "needs iperf3"

a=nre2eA$$
b=nre2eB$$
at_exit "ip netns del $a 2> /dev/null; ip netns del $b 2> /dev/null"
ip netns add $a && ip netns add $b || skip "cannot create network namespaces here"
ip -n $a link add v0 type veth peer name v1 netns $b &&
	ip -n $a addr add 10.254.9.1/30 dev v0 && ip -n $b addr add 10.254.9.2/30 dev v1 &&
	ip -n $a link set v0 up && ip -n $b link set v1 up &&
	ip -n $a link set lo up && ip -n $b link set lo up || fail "setting up the veth pair"

cat > ns.yaml <<EOF
campaign: ns
hosts:
  srv: {transport: netns, netns: $a, address: 10.254.9.1}
  cli: {transport: netns, netns: $b, address: 10.254.9.2}
  gone: {transport: netns, netns: nre2e-no-such-ns}
tests:
  - name: tcp
    timeout: 20s
    roles:
      - name: s
        host: srv
        run: [iperf3, -s, -1, -B, "{host.srv.address}", -p, "{port}"]
        ready: {port: "{port}", timeout: 5s}
      - name: c
        host: cli
        run: [iperf3, -c, "{host.srv.address}", -p, "{port}", -n, 20M, -J]
        parse:
          format: json
          metrics:
            bps: {pointer: /end/sum_received/bits_per_second, unit: bit/s, better: higher}
  - name: where
    roles:
      - name: s
        host: srv
        main: true
        run: [ip, -brief, addr]
      - name: c
        host: cli
        main: true
        run: [ip, -brief, addr]
  - name: missing
    host: gone
    run: [touch, ran-in-missing-ns]
EOF
expect_exit 1 "$NETRIG" -q run ns.yaml --db ns.db

say "iperf3 across the veth pair, server and client each in its namespace"
expect_eq "$(sql ns.db "select status from cases where key = 'tcp'")" passed "tcp case"
expect_eq "$(sql ns.db "select count(*) from samples where metric = 'bps' and value > 0")" 1 "one bps sample"
echo "  veth: $(sql ns.db "select cast(value / 1e9 as int) from samples") Gbit/s"

say "each role sees its own namespace's interfaces"
expect_exit 0 "$NETRIG" --db ns.db log where --role s --raw
expect_grep '10\.254\.9\.1/30' out "server namespace"
expect_no_grep '10\.254\.9\.2/' out "server namespace"
expect_exit 0 "$NETRIG" --db ns.db log where --role c --raw
expect_grep '10\.254\.9\.2/30' out "client namespace"

say "the hosts are stored with their transport and address"
expect_eq "$(sql ns.db "select group_concat(name || ':' || transport || ':' || address, ' ') from (select * from hosts order by name)")" \
	"cli:netns:10.254.9.2 gone:netns:127.0.0.1 local:local:127.0.0.1 srv:netns:10.254.9.1" "stored hosts"

say "a namespace that does not exist: the case fails with its name"
expect_eq "$(sql ns.db "select status from cases where key = 'missing'")" failed "missing case"
sql ns.db "select error from cases where key = 'missing'" > missing.err
expect_grep "nre2e-no-such-ns" missing.err "the namespace is named"
[ -e ran-in-missing-ns ] && fail "the command ran outside its namespace"
done_ok
