#!/bin/sh
# Packet tools against the kernel, side by side in one run on one lab
# (not a test; root; issue 17):
#
#   bench/pkt.sh [--rounds N] [--trial SECONDS] [--steps N] [--start PPS] [--max PPS]
#                [--gen-seconds S] [--fwd-method auto|xdp|sendmmsg|tx_ring] [--smoke]
#
# 1. The highest rate with zero loss through the middle namespace, for
#    netrig pkt fwd and for the kernel's own forwarding (forward: true),
#    with the same frames (60 bytes, to the forwarder's MAC and to pcap's
#    address behind it) from the same generator (netrig pkt gen at a fixed
#    rate), captured by netrig pkt pcap and judged by netrig pkt check: a
#    rate passes when every frame arrives once. The search doubles the
#    rate from --start until a trial loses frames (or --max, or the
#    generator cannot keep the rate: then the result is "at least"), then
#    halves the gap --steps times. Each trial sends rate x --trial frames
#    and waits at most 2 s past its end. With netrig fwd the middle
#    namespace does not forward (ip_forward=0: the kernel drops the frames
#    it sees there); for the kernel it does, and netrig fwd is not running.
# 2. The generator's rate, unlimited, for --gen-seconds: netrig pkt gen
#    with its transmit ring and with sendmmsg, against the kernel's pktgen
#    module where this kernel has it (modprobe pktgen), else against a
#    plain sendmmsg loop (bench/pkt_sendmmsg.c, `make bench-pkt`); the
#    script says which. Each is measured by the interface's own counter of
#    frames handed to the peer (tx_packets + tx_dropped) over the run.
#
# Rounds alternate which side goes first; medians, and ratios with a 95 %
# bootstrap interval (bench/ratio.py) from 2 rounds up. Pinning: the
# generator on CPU 0, netrig fwd and pcap on CPU 1 (the kernel forwards in
# the softirq of the CPU that sent: CPU 0). Numbers need a quiet machine;
# --smoke runs it small to see that it works.
set -u
cd "$(dirname "$0")/.." || exit 2
NETRIG=$(pwd)/netrig
REF=$(pwd)/build/pkt-sendmmsg
ROUNDS=3 TRIAL=1 STEPS=5 START=50000 MAX=4000000 GEN_S=5 FWD_METHOD=auto
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--trial) TRIAL=$2; shift ;;
	--steps) STEPS=$2; shift ;;
	--start) START=$2; shift ;;
	--max) MAX=$2; shift ;;
	--gen-seconds) GEN_S=$2; shift ;;
	--fwd-method) FWD_METHOD=$2; shift ;;
	--smoke) ROUNDS=1 TRIAL=0.3 STEPS=2 START=20000 MAX=200000 GEN_S=1 ;;
	*) echo "usage: $0 [--rounds N] [--trial S] [--steps N] [--start PPS] [--max PPS] [--gen-seconds S] [--fwd-method M] [--smoke]" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "skip: needs root (network namespaces)"; exit 77; }
[ -x "$NETRIG" ] || { echo "build netrig first (make netrig)" >&2; exit 2; }
for t in python3 taskset ip; do
	command -v $t > /dev/null || { echo "$t is missing" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/netrig-bench-pkt.XXXXXX)
lab=bpkt-$$
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2> /dev/null; done
	for p in $pids; do wait "$p" 2> /dev/null; done
	"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

cat > "$tmp/lab.yaml" << EOF
lab: $lab
dir: $tmp/lab
subnet: 10.85.0.0/16
hosts:
  pktgen:
  fwd: {forward: true}
  pcap:
links:
  - [pktgen, fwd]
  - [fwd, pcap]
EOF
"$NETRIG" lab up "$tmp/lab.yaml" > /dev/null || exit 3
ns() { _h=$1; shift; ip netns exec "$lab-$_h" "$@"; }
mac() { ip -n "$lab-$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin.read().split()]; print(round(statistics.median(v)) if v else "nan")'; }
# the forwarder knows pcap's MAC for good: no ARP inside a measurement
ip -n "$lab-fwd" neigh replace 10.85.1.2 lladdr "$(mac pcap eth0)" dev eth1 nud permanent || exit 3
TO_FWD="--dst-mac $(mac fwd eth0) --src-ip 10.85.0.1 --dst-ip 10.85.1.2"

# trial RATE: 0 when every frame of RATE x TRIAL arrived once, 1 when not,
# 2 when the generator could not keep the rate (then nothing is judged).
trial() {
	n=$(python3 -c "import sys; print(max(1000, int(float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$TRIAL")
	rm -f "$tmp/t.pcap"
	# not through ns(): $! must be the capture's own pid, not a subshell's
	ip netns exec "$lab-pcap" taskset -c 1 "$NETRIG" pkt pcap eth0 "$tmp/t.pcap" "$n" --timeout 60s \
		> "$tmp/cap.out" 2>&1 &
	cap=$!
	i=0
	until grep -q "^capturing" "$tmp/cap.out"; do
		i=$((i + 1)); [ $i -gt 500 ] && { cat "$tmp/cap.out"; exit 3; }
		sleep 0.01
	done
	# shellcheck disable=SC2086
	ns pktgen taskset -c 0 "$NETRIG" pkt gen eth0 --count "$n" --rate "$1" $TO_FWD --json \
		> "$tmp/gen.json" 2> "$tmp/gen.err" || { cat "$tmp/gen.err"; exit 3; }
	# frames in flight arrive within milliseconds; 2 s is generous
	i=0
	while kill -0 $cap 2> /dev/null && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
	kill $cap 2> /dev/null
	wait $cap
	got=$(jget "$tmp/gen.json" 'd["results"]["packets_per_s"]["value"]')
	if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.97 * float(sys.argv[2]) else 1)" "$got" "$1"; then
		return 2
	fi
	"$NETRIG" pkt check "$tmp/t.pcap" --sent "$n" > /dev/null 2>&1 && return 0
	return 1
}

# search NAME: the highest zero-loss rate, appended to $tmp/NAME.runs
search() {
	lo=0 hi=0 r=$START capped=""
	while :; do
		trial "$r"; res=$?
		if [ $res = 0 ]; then
			lo=$r
			[ "$r" -ge "$MAX" ] && { capped=" (--max)"; break; }
			r=$((r * 2)); [ $r -gt "$MAX" ] && r=$MAX
		elif [ $res = 2 ]; then
			capped=" (the generator's limit: at least)"; hi=0; break
		else
			hi=$r; break
		fi
	done
	s=0
	while [ "$hi" -gt 0 ] && [ $s -lt "$STEPS" ]; do
		mid=$(( (lo + hi) / 2 ))
		trial "$mid"; res=$?
		if [ $res = 0 ]; then lo=$mid; elif [ $res = 1 ]; then hi=$mid; else capped=" (the generator's limit: at least)"; break; fi
		s=$((s + 1))
	done
	echo "$lo" >> "$tmp/$1.runs"
	# a bound, not a measurement: the side-by-side line must say so
	[ -n "$capped" ] && echo "$capped" > "$tmp/$1.capped"
	printf '  %-14s zero-loss %8s frames/s%s\n' "$1" "$lo" "$capped"
}

netrig_fwd() {
	ns fwd sysctl -q -w net.ipv4.ip_forward=0
	ip netns exec "$lab-fwd" taskset -c 1 "$NETRIG" pkt fwd eth0 eth1 --method "$FWD_METHOD" --duration 1h > "$tmp/fwd.out" 2>&1 &
	fwdpid=$!
	pids="$pids $fwdpid"
	until grep -q "^forwarding" "$tmp/fwd.out"; do
		kill -0 $fwdpid 2> /dev/null || { cat "$tmp/fwd.out"; exit 3; }
		sleep 0.01
	done
	method=$(sed -n 's/^forwarding .* (\([a-z_]*\),.*/\1/p' "$tmp/fwd.out")
	search netrig-fwd
	kill $fwdpid; wait $fwdpid 2> /dev/null
}

kernel_fwd() {
	ns fwd sysctl -q -w net.ipv4.ip_forward=1
	search kernel
}

echo "== zero-loss forwarding, 60-byte frames, $ROUNDS rounds, trials of $TRIAL s, $STEPS halvings from $START (max $MAX)"
# the round's counter is not `r`: search() keeps its rate in r (sh has
# no locals), and it ended the loop after the first round
round=1
while [ $round -le "$ROUNDS" ]; do
	echo " round $round"
	if [ $((round % 2)) = 1 ]; then netrig_fwd; kernel_fwd; else kernel_fwd; netrig_fwd; fi
	round=$((round + 1))
done
a=$(median < "$tmp/netrig-fwd.runs") b=$(median < "$tmp/kernel.runs")
ratio=$(python3 -c "import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 3) if float(sys.argv[2]) else 'nan')" "$a" "$b")
# a side the generator (or --max) stopped is only a lower bound
case "$([ -e "$tmp/netrig-fwd.capped" ] && echo a)$([ -e "$tmp/kernel.capped" ] && echo b)" in
ab) ratio="$ratio, not a comparison: both sides were stopped by the generator or --max before they lost a frame" ;;
a) ratio=">= $ratio (netrig fwd was stopped before it lost a frame)" ;;
b) ratio="<= $ratio (the kernel was stopped before it lost a frame)" ;;
esac
printf '  %-28s %9s frames/s%s\n' "netrig fwd ($method)" "$a" "$(cat "$tmp/netrig-fwd.capped" 2> /dev/null)"
printf '  %-28s %9s frames/s%s\n' "kernel forwarding" "$b" "$(cat "$tmp/kernel.capped" 2> /dev/null)"
echo "  zero-loss rate, netrig fwd / kernel: $ratio (goal >= 1.0)"
[ "$ROUNDS" -ge 2 ] && echo "  ratio, 95 % interval: $(python3 bench/ratio.py "$tmp/netrig-fwd.runs" "$tmp/kernel.runs" higher)"

# ---- the generator ----
ns fwd sysctl -q -w net.ipv4.ip_forward=0
counter() { ns pktgen cat /sys/class/net/eth0/statistics/tx_packets /sys/class/net/eth0/statistics/tx_dropped | paste -sd+ | bc; }
# measure NAME CMD...: frames/s the interface handed on while CMD ran
measure() {
	_name=$1; shift
	c0=$(counter); t0=$(date +%s.%N)
	"$@" > "$tmp/$_name.out" 2>&1 || { cat "$tmp/$_name.out"; exit 3; }
	t1=$(date +%s.%N); c1=$(counter)
	python3 -c "import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / (float(sys.argv[4]) - float(sys.argv[3]))))" \
		"$c0" "$c1" "$t0" "$t1" >> "$tmp/$_name.runs"
}
ref_kind=""
if [ -d /proc/net/pktgen ] || modprobe pktgen 2> /dev/null; then
	if ns pktgen test -w /proc/net/pktgen/pgctrl 2> /dev/null; then
		ref_kind="the kernel's pktgen module"
	fi
fi
pktgen_run() {
	ns pktgen sh -c '
		pg() { echo "$2" > "/proc/net/pktgen/$1"; }
		pg kpktgend_0 rem_device_all
		pg kpktgend_0 "add_device eth0"
		pg eth0 "count 0"; pg eth0 "clone_skb 0"; pg eth0 "pkt_size 64"; pg eth0 "delay 0"
		pg eth0 "dst_mac 01:02:03:04:05:06"; pg eth0 "src_min 10.0.0.1"; pg eth0 "src_max 10.0.0.1"
		pg eth0 "dst 10.0.0.2"; pg eth0 "udp_src_min 42"; pg eth0 "udp_src_max 42"
		pg eth0 "udp_dst_min 1337"; pg eth0 "udp_dst_max 1337"
		(sleep "$1"; echo stop > /proc/net/pktgen/pgctrl) &
		taskset -c 0 sh -c "echo start > /proc/net/pktgen/pgctrl"
		wait
		pg kpktgend_0 rem_device_all' pktgen "$GEN_S"
}
if [ -z "$ref_kind" ]; then
	[ -x "$REF" ] || make -s bench-pkt > /dev/null || exit 2
	ref_kind="a plain sendmmsg loop (bench/pkt_sendmmsg.c, batch 64; this kernel has no pktgen)"
fi
echo "== generator, 60-byte frames, as fast as it can, $GEN_S s, $ROUNDS rounds; reference: $ref_kind"
round=1
while [ $round -le "$ROUNDS" ]; do
	for m in tx_ring sendmmsg; do
		measure "gen-$m" ns pktgen taskset -c 0 "$NETRIG" pkt gen eth0 --duration "${GEN_S}s" --method $m
	done
	if [ "$ref_kind" = "the kernel's pktgen module" ]; then
		measure ref pktgen_run
	else
		measure ref ns pktgen taskset -c 0 "$REF" eth0 "$GEN_S" 64
	fi
	round=$((round + 1))
done
ref=$(median < "$tmp/ref.runs")
for m in tx_ring sendmmsg; do
	v=$(median < "$tmp/gen-$m.runs")
	printf '  netrig gen %-9s %9s frames/s  ratio to the reference %s\n' "$m" "$v" \
		"$(python3 -c "import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 3))" "$v" "$ref")"
	[ "$ROUNDS" -ge 2 ] && echo "    95 % interval: $(python3 bench/ratio.py "$tmp/gen-$m.runs" "$tmp/ref.runs" higher)"
done
printf '  reference          %9s frames/s (goal: netrig gen >= 1.0x)\n' "$ref"
