#!/bin/sh
# rr latency on loopback against a same-run sockperf ping-pong, like with
# like: netrig's full round trip p50 vs twice sockperf's half round trip
# p50, 16-byte messages, servers on CPU 1 and clients on CPU 0 for both
# tools. Stated factor: within 3x either way (a shared 2-core machine
# swings a loopback round trip by 2x between runs). Skips without sockperf.
. "$(dirname "$0")/bench-lib.sh"
[ -x "$NETRIG" ] || fail "build netrig first"
command -v sockperf > /dev/null || skip "sockperf is not installed (apt-get install sockperf)"
FACTOR=3
if [ "$(nproc)" -ge 2 ]; then SRV="taskset -c 1" CLI="taskset -c 0"; CPU=1; else SRV="" CLI=""; CPU=""; fi

CPU=$CPU start_server main --lifetime 60s
sp_port=$(free_port)

# sockperf_p50 tcp|udp: twice sockperf's half-round-trip p50, in us
sockperf_p50() {
	proto=""
	[ "$1" = tcp ] && proto=--tcp
	$SRV timeout 60 sockperf server $proto -i 127.0.0.1 -p "$sp_port" > "$tmp/sps.out" 2>&1 &
	spid=$!
	pids="$pids $spid"
	i=0
	# sockperf prints nothing reliable when ready; its port answering is the event
	until $CLI sockperf ping-pong $proto -i 127.0.0.1 -p "$sp_port" -t 1.5 -m 16 \
		> "$tmp/spc.out" 2>&1 && grep -q 'percentile 50.000' "$tmp/spc.out"; do
		i=$((i + 1))
		[ $i -gt 20 ] && fail "sockperf $1 did not run: $(tail -3 "$tmp/spc.out")"
		sleep 0.05
	done
	kill "$spid"; wait "$spid" 2>/dev/null
	sed 's/\x1b\[[0-9;]*m//g' "$tmp/spc.out" |
		sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' |
		python3 -c 'import sys; print(2 * float(sys.stdin.read().split()[0]))'
}

for proto in tcp udp; do
	$CLI "$NETRIG" bench ${proto}_rr --to 127.0.0.1:$port --request 16 --duration 1.5s \
		--omit 0.4s --json > "$tmp/rr.json" 2> "$tmp/rr.err" || fail "${proto}_rr: $(cat "$tmp/rr.err")"
	ours=$(json "$tmp/rr.json" "d['results']['latency_p50_us']['value']")
	theirs=$(sockperf_p50 $proto) || exit 1
	ratio=$(python3 -c "print(round(float('$ours') / float('$theirs'), 3))")
	echo "${proto}_rr p50 full round trip: netrig $ours us, 2 x sockperf half RTT $theirs us, ratio $ratio"
	python3 -c "import sys; r=float('$ratio'); sys.exit(0 if 1/$FACTOR <= r <= $FACTOR else 1)" ||
		fail "${proto}_rr p50 ratio $ratio outside [1/$FACTOR, $FACTOR]"
done
