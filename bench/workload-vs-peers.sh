#!/bin/sh
# netrig bench against its peers, side by side in one run (not a test).
#
#   bench/workload-vs-peers.sh [--netns] [--runs N] [--duration SECONDS]
#
# For each comparison the two tools run alternately N times (default 9)
# with the same pinning (servers on CPU 1, clients on CPU 0; taskset for
# both tools; netrig first in odd runs, the peer first in even ones) and the
# medians are printed with their ratio, its 95 %
# bootstrap interval and whether the runs tell the tools apart (ratio.py):
#   - tcp_stream, one flow, vs iperf3 -c (throughput at the receiver); netrig
#     also with --size 128K, iperf3's write size (netrig's default is 1 MiB),
#     and with --rcvlowat off, a receiver woken for every segment as iperf3's
#   - tcp_rr and udp_rr (16-byte messages) vs sockperf ping-pong: netrig's
#     full round-trip p50 vs 2 x sockperf's half round trip p50, and
#     transactions/s vs sockperf's round trips/s (its valid-duration count);
#     both tools blocking (their defaults), then both spinning (netrig --spin,
#     sockperf --nonblocked with a recvfrom-polling server)
#   - tcp_crr connections/s (no peer here; neper is not in Debian)
# --netns runs every server in one network namespace and every client in
# another, joined by a veth pair (needs root; both are deleted at the end).
set -u
cd "$(dirname "$0")/.." || exit 2
NETRIG=$(pwd)/netrig
RUNS=9 DUR=5 NETNS=0
while [ $# -gt 0 ]; do
	case $1 in
	--netns) NETNS=1 ;;
	--runs) RUNS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	*) echo "usage: $0 [--netns] [--runs N] [--duration SECONDS]" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$NETRIG" ] || { echo "build netrig first (make netrig)" >&2; exit 2; }
for t in iperf3 sockperf python3 taskset; do
	command -v $t > /dev/null || { echo "$t is missing (scripts/deps.sh installs it)" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/netrig-bench.XXXXXX)
pids=""
NS_A=nrbench-a-$$ NS_B=nrbench-b-$$
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	if [ $NETNS = 1 ]; then
		ip netns del $NS_A 2>/dev/null
		ip netns del $NS_B 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
# a signal (^C, a closed pipe) must not leave the servers behind either
trap 'exit 130' INT TERM HUP PIPE

if [ $NETNS = 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: --netns needs root"; exit 77; }
	ip netns add $NS_A && ip netns add $NS_B || exit 3
	ip link add nrb-a$$ netns $NS_A type veth peer name nrb-b$$ netns $NS_B || exit 3
	ip -n $NS_A addr add 10.213.0.1/30 dev nrb-a$$
	ip -n $NS_B addr add 10.213.0.2/30 dev nrb-b$$
	ip -n $NS_A link set nrb-a$$ up; ip -n $NS_A link set lo up
	ip -n $NS_B link set nrb-b$$ up; ip -n $NS_B link set lo up
	SRV="ip netns exec $NS_B taskset -c 1" CLI="ip netns exec $NS_A taskset -c 0"
	HOST=10.213.0.2 WHERE="two namespaces over a veth pair"
else
	SRV="taskset -c 1" CLI="taskset -c 0" HOST=127.0.0.1 WHERE="loopback"
fi

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin.read().split()]; print(statistics.median(v) if v else "nan")'; }
# netrig's runs, the peer's runs, higher|lower -> "ratio [95 % interval] verdict"
ratio_ci() { python3 bench/ratio.py "$@"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# the servers, for the whole run, and never much longer (13 series)
LIFE=$(( RUNS * (DUR + 3) * 18 + 60 ))
$SRV "$NETRIG" bench serve --listen $HOST:0 --lifetime ${LIFE}s > "$tmp/srv.out" 2> "$tmp/srv.err" &
pids="$pids $!"
i=0
while ! grep -q '^listening on' "$tmp/srv.out"; do
	i=$((i + 1)); [ $i -gt 500 ] && { cat "$tmp/srv.err"; exit 3; }; sleep 0.01
done
NPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/srv.out")
IPORT=$(free_port)
$SRV timeout $LIFE iperf3 -s -B $HOST -p $IPORT > /dev/null 2>&1 &
pids="$pids $!"

echo "# netrig bench vs peers on $WHERE, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# $(nproc) CPUs, $(uname -r), $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource);" \
	"servers on CPU 1, clients on CPU 0; $RUNS alternating runs of ${DUR}s (+1 s warm-up), medians"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- tcp_stream vs iperf3 -----------------------------------------------------
: > "$tmp/n.tp"; : > "$tmp/i.tp"; : > "$tmp/s.tp"; : > "$tmp/o.tp"
# netrig first in odd runs, the peer first in even ones (ABBA), so that a
# drift over the run or a "first after a pause" effect falls on both
netrig_stream() {
	$CLI "$NETRIG" bench tcp_stream --to $HOST:$NPORT --duration ${DUR}s --omit 1s --json \
		> "$tmp/n.json" && jget "$tmp/n.json" "d['results']['throughput_bps']['value']" >> "$tmp/n.tp"
	# also with iperf3's write size, to show what the 1 MiB default brings
	$CLI "$NETRIG" bench tcp_stream --size 128K --to $HOST:$NPORT --duration ${DUR}s --omit 1s --json \
		> "$tmp/n.json" && jget "$tmp/n.json" "d['results']['throughput_bps']['value']" >> "$tmp/s.tp"
	# and with a receiver woken for every segment, as iperf3's is
	$CLI "$NETRIG" bench tcp_stream --rcvlowat off --to $HOST:$NPORT --duration ${DUR}s --omit 1s --json \
		> "$tmp/n.json" && jget "$tmp/n.json" "d['results']['throughput_bps']['value']" >> "$tmp/o.tp"
}
iperf3_stream() {
	$CLI iperf3 -c $HOST -p $IPORT -t "$DUR" -O 1 -J > "$tmp/i.json" &&
		jget "$tmp/i.json" "d['end']['sum_received']['bits_per_second']" >> "$tmp/i.tp"
}
for r in $(seq "$RUNS"); do
	if [ $((r % 2)) = 1 ]; then netrig_stream; iperf3_stream; else iperf3_stream; netrig_stream; fi
done
n=$(median < "$tmp/n.tp") i=$(median < "$tmp/i.tp")
printf 'tcp_stream 1 flow   netrig %8.2f Gbit/s   iperf3 %8.2f Gbit/s   ratio %s (goal >= 1.15)\n   runs: netrig %s; iperf3 %s\n' \
	"$(python3 -c "print($n/1e9)")" "$(python3 -c "print($i/1e9)")" "$(ratio_ci "$tmp/n.tp" "$tmp/i.tp" higher)" \
	"$(python3 -c "import sys; print(' '.join('%.1f' % (float(x)/1e9) for x in open('$tmp/n.tp')))")" \
	"$(python3 -c "import sys; print(' '.join('%.1f' % (float(x)/1e9) for x in open('$tmp/i.tp')))")"
s=$(median < "$tmp/s.tp")
printf 'tcp_stream 128K     netrig %8.2f Gbit/s   (writes of iperf3 size) ratio to iperf3 %s\n' \
	"$(python3 -c "print($s/1e9)")" "$(ratio_ci "$tmp/s.tp" "$tmp/i.tp" higher)"
o=$(median < "$tmp/o.tp")
printf 'tcp_stream lowat off netrig %7.2f Gbit/s   (receiver woken per segment) ratio to iperf3 %s\n' \
	"$(python3 -c "print($o/1e9)")" "$(ratio_ci "$tmp/o.tp" "$tmp/i.tp" higher)"

# ---- rr vs sockperf ping-pong ------------------------------------------------------
# block: both tools sleep in recv (their defaults); spin: both ends poll their
# sockets (netrig --spin; sockperf --nonblocked, its server reading with
# recvfrom from a feed file). A spinning sockperf server keeps its CPU busy even
# when idle, so it runs only during its own samples.
SPORT=$(free_port)
sockperf_parse() { # ping-pong output -> "full-RTT-p50 round-trips/s"
	sed 's/\x1b\[[0-9;]*m//g' | python3 -c '
import re, sys
t = sys.stdin.read()
p = re.search(r"percentile 50.000 =\s+([0-9.]+)", t)
m = re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec;.*ReceivedMessages=(\d+)", t)
if p and m: print(2 * float(p.group(1)), int(m.group(2)) / float(m.group(1)))'
}
sockperf_up() { # proto mode -> starts a server, pid in $spid
	if [ "$2" = spin ]; then
		[ "$1" = tcp ] && echo "T:$HOST:$SPORT" > "$tmp/feed" || echo "U:$HOST:$SPORT" > "$tmp/feed"
		$SRV timeout $LIFE sockperf server -f "$tmp/feed" -F r --nonblocked > "$tmp/sp.out" 2>&1 &
	else
		$SRV timeout $LIFE sockperf server $([ "$1" = tcp ] && echo --tcp) -i $HOST -p $SPORT \
			> "$tmp/sp.out" 2>&1 &
	fi
	spid=$!; pids="$pids $spid"
	i=0
	until grep -q "PORT = *$SPORT" "$tmp/sp.out"; do
		i=$((i + 1)); [ $i -gt 200 ] && { echo "sockperf server did not come up"; exit 3; }; sleep 0.01
	done
	sleep 0.2 # it prints the line before it reads
}
netrig_rr() {
	$CLI "$NETRIG" bench ${proto}_rr $nflag --to $HOST:$NPORT --request 16 --duration ${DUR}s \
		--omit 0.4s --json > "$tmp/n.json" || return
	jget "$tmp/n.json" "d['results']['latency_p50_us']['value']" >> "$tmp/n.p50"
	jget "$tmp/n.json" "d['results']['transactions_per_s']['value']" >> "$tmp/n.tps"
}
sockperf_rr() {
	[ $mode = spin ] && sockperf_up $proto spin
	# sockperf drops its first 400 ms itself
	$CLI sockperf ping-pong $flag $sflag -i $HOST -p $SPORT -t "$(python3 -c "print($DUR + 0.4)")" \
		-m 16 2>&1 | sockperf_parse >> "$tmp/s.res"
	[ $mode = spin ] && { kill $spid; wait $spid 2>/dev/null; }
}
for mode in block spin; do
for proto in tcp udp; do
	flag=""; [ $proto = tcp ] && flag=--tcp
	nflag=""; sflag=""
	[ $mode = spin ] && nflag=--spin sflag=--nonblocked
	[ $mode = block ] && sockperf_up $proto block
	: > "$tmp/n.p50"; : > "$tmp/n.tps"; : > "$tmp/s.res"
	for r in $(seq "$RUNS"); do
		if [ $((r % 2)) = 1 ]; then netrig_rr; sockperf_rr; else sockperf_rr; netrig_rr; fi
	done
	[ $mode = block ] && { kill $spid; wait $spid 2>/dev/null; }
	np=$(median < "$tmp/n.p50") nt=$(median < "$tmp/n.tps")
	sp=$(cut -d' ' -f1 "$tmp/s.res" | median) st=$(cut -d' ' -f2 "$tmp/s.res" | median)
	cut -d' ' -f1 "$tmp/s.res" > "$tmp/s.p50"; cut -d' ' -f2 "$tmp/s.res" > "$tmp/s.tps"
	printf '%s_rr %-5s p50 RTT   netrig %8.2f us       sockperf 2x %6.2f us   ratio %s (goal <= 1.0)\n' \
		$proto $mode "$np" "$sp" "$(ratio_ci "$tmp/n.p50" "$tmp/s.p50" lower)"
	printf '%s_rr %-5s trans/s   netrig %10.0f /s    sockperf %10.0f /s  ratio %s (goal >= 1.0)\n' \
		$proto $mode "$nt" "$st" "$(ratio_ci "$tmp/n.tps" "$tmp/s.tps" higher)"
	printf '   runs p50: netrig %s; sockperf %s\n' "$(tr '\n' ' ' < "$tmp/n.p50" | xargs printf '%.1f ')" \
		"$(cut -d' ' -f1 "$tmp/s.res" | xargs printf '%.1f ')"
done
done

# ---- tcp_crr ----------------------------------------------------------------------
: > "$tmp/c"
for r in $(seq "$RUNS"); do
	$CLI "$NETRIG" bench tcp_crr --to $HOST:$NPORT --duration ${DUR}s --omit 1s --json \
		> "$tmp/n.json" && jget "$tmp/n.json" "d['results']['transactions_per_s']['value']" >> "$tmp/c"
done
printf 'tcp_crr             netrig %10.0f connections/s (p50 %s us)\n' "$(median < "$tmp/c")" \
	"$(jget "$tmp/n.json" "round(d['results']['latency_p50_us']['value'], 1)")"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
