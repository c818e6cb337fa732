#!/bin/sh
# netrig bench: every workload end to end on loopback, --json output and
# its parser, readiness line, a refused connection, --one-off, SIGTERM.
. "$(dirname "$0")/bench-lib.sh"
[ -x "$NETRIG" ] || fail "build netrig first"

start_server main --lifetime 300s # ended by SIGTERM below; the lifetime only bounds a leak
for k in tcp_stream udp_stream tcp_rr udp_rr tcp_crr; do
	"$NETRIG" bench $k --to 127.0.0.1:$port --duration 0.4s --omit 0.1s --interval 0.2s \
		--json > "$tmp/$k.json" 2> "$tmp/$k.err" || fail "$k: $(cat "$tmp/$k.err")"
	case $k in
	*stream) m=throughput_bps ;;
	*) m=transactions_per_s ;;
	esac
	# one python3 start per file: it is slow on a busy machine
	v=$(json "$tmp/$k.json" "(d['test'] == '$k' and d['results']['$m']['value'] > 0 and
		len(d['intervals']) >= 1 and d['clock']['timer'] == 'CLOCK_MONOTONIC' and
		len(d['client']['cpus']) >= 1 and len(d['server']['cpus']) >= 1 and
		'server_cpu_system_percent' in d['results'] and d['results']['$m']['value'])") ||
		fail "$k: unreadable JSON"
	[ "$v" != False ] || fail "$k: JSON lacks a field or $m is not > 0: $(cat "$tmp/$k.json")"
	echo "ok $k: $m = $v"
done
[ "$(json "$tmp/tcp_rr.json" "(d['latency_is'] == 'full round trip' and
	d['results']['latency_p99_us']['unit'] == 'us')")" = True ] || fail "latency not labelled"
# text output
"$NETRIG" bench tcp_rr --to 127.0.0.1:$port --duration 0.2s --omit 0 > "$tmp/text" ||
	fail "text output"
grep -q 'transactions_per_s' "$tmp/text" || fail "text output lacks transactions_per_s"
# reverse stream: the server sends
"$NETRIG" bench tcp_stream --to 127.0.0.1:$port --duration 0.3s --omit 0 --reverse --json \
	> "$tmp/rev.json" || fail "reverse"
[ "$(json "$tmp/rev.json" "d['results']['throughput_bps']['value'] > 0")" = True ] || fail "reverse: no throughput"

# many flows on few threads (epoll loops), both directions, with bursts
for args in "tcp_stream --flows 6 --threads 2" "tcp_stream --flows 6 --threads 2 --reverse" \
	"tcp_rr --flows 16 --threads 2 --burst 3 --request 100 --response 5000" \
	"udp_stream --flows 3 --reverse --rate 30M"; do
	"$NETRIG" bench $args --to 127.0.0.1:$port --duration 0.3s --omit 0.1s --json \
		> "$tmp/mt.json" 2> "$tmp/mt.err" || fail "$args: $(cat "$tmp/mt.err")"
	[ "$(json "$tmp/mt.json" "(len(d['client']['cpus']) == d['params']['flows'] and
		max(d['results'].get('throughput_bps', d['results'].get('transactions_per_s'))['value'], 0) > 0)")" = True ] ||
		fail "$args: $(cat "$tmp/mt.json")"
	echo "ok $args"
done

# --spin: both ends poll, every rr shape still counts its transactions
for args in "tcp_rr --spin" "udp_rr --spin" "tcp_rr --spin --burst 4" "udp_rr --spin --rate 5000/s" \
	"tcp_rr --spin --flows 4 --threads 2"; do
	"$NETRIG" bench $args --to 127.0.0.1:$port --duration 0.3s --omit 0.1s --json \
		> "$tmp/spin.json" 2> "$tmp/spin.err" || fail "$args: $(cat "$tmp/spin.err")"
	[ "$(json "$tmp/spin.json" "(d['params']['spin'] is True and
		d['results']['transactions_per_s']['value'] > 0 and
		d['results'].get('lost_transactions', {'value': 0})['value'] == 0)")" = True ] ||
		fail "$args: $(cat "$tmp/spin.json")"
	echo "ok $args"
done
"$NETRIG" bench tcp_rr --spin --to 127.0.0.1:$port --duration 0.2s --omit 0 > "$tmp/spin.txt" ||
	fail "spin text"
grep -q 'both ends spinning' "$tmp/spin.txt" || fail "text output does not say it spun"
"$NETRIG" bench tcp_crr --spin --to 127.0.0.1:$port 2> "$tmp/spin.err"; [ $? = 2 ] ||
	fail "--spin on crr is not a usage error"
grep -q 'spin applies to tcp_rr and udp_rr' "$tmp/spin.err" || fail "unclear: $(cat "$tmp/spin.err")"

# receive batching (SO_RCVLOWAT): auto, off and fixed marks all carry every byte,
# also on epoll loops and when paced slowly (auto must not hold data back)
for args in "--rcvlowat auto" "--rcvlowat off" "--rcvlowat 64K" "--rcvlowat 64K --flows 4 --threads 2" \
	"--rcvlowat 300K --reverse"; do
	"$NETRIG" bench tcp_stream $args --to 127.0.0.1:$port --duration 0.3s --omit 0.1s --json \
		> "$tmp/lw.json" 2> "$tmp/lw.err" || fail "$args: $(cat "$tmp/lw.err")"
	[ "$(json "$tmp/lw.json" "(d['client']['bytes_total'] == d['server']['bytes_total'] > 0)")" = True ] ||
		fail "$args: bytes sent and received differ: $(cat "$tmp/lw.json")"
	echo "ok tcp_stream $args"
done
"$NETRIG" bench tcp_stream --rate 8M --size 16K --to 127.0.0.1:$port --duration 1s --omit 0.2s \
	--interval 0.25s --json > "$tmp/slow.json" || fail "slow paced stream"
v=$(json "$tmp/slow.json" "sorted(i['throughput_bps'] for i in d['intervals'])")
[ "$(json "$tmp/slow.json" "(len(d['intervals']) == 4 and
	min(i['throughput_bps'] for i in d['intervals']) > 6e6)")" = True ] ||
	fail "a slow stream's intervals are uneven (data held back?): $v"
echo "ok slow stream intervals $v"
"$NETRIG" bench tcp_stream --rcvlowat nonsense --to 127.0.0.1:$port 2>/dev/null; [ $? = 2 ] ||
	fail "a bad --rcvlowat is not a usage error"

# pinning shows in the CPUs reported; options reach the sockets
if [ "$(nproc)" -ge 2 ]; then
	"$NETRIG" bench tcp_rr --to 127.0.0.1:$port --duration 0.2s --omit 0 --cpu 0 --server-cpu 1 \
		--json > "$tmp/pin.json" || fail "pinned tcp_rr"
	[ "$(json "$tmp/pin.json" "(d['client']['cpus'] == [0] and d['server']['cpus'] == [1])")" = True ] ||
		fail "pinning not reported: $(json "$tmp/pin.json" "(d['client']['cpus'], d['server']['cpus'])")"
fi
"$NETRIG" bench tcp_stream --to 127.0.0.1:$port --duration 0.2s --omit 0 --congestion reno \
	--sndbuf 1M --rcvbuf 1M --no-nodelay --busy-poll 10 > /dev/null || fail "socket options"
"$NETRIG" bench tcp_stream --to 127.0.0.1:$port --duration 0.2s --omit 0 --congestion nosuch \
	> /dev/null 2> "$tmp/cc.err" && fail "an unknown congestion control was accepted"
grep -q "congestion control 'nosuch'" "$tmp/cc.err" || fail "unclear message: $(cat "$tmp/cc.err")"

# a port nobody listens on: non-zero exit and a clear message (unlike iperf3 -J)
dead=$(free_port)
if "$NETRIG" bench tcp_rr --to 127.0.0.1:$dead --json > "$tmp/dead.out" 2> "$tmp/dead.err"; then
	fail "a refused connection exited 0"
fi
grep -q "cannot connect to 127.0.0.1:$dead" "$tmp/dead.err" || fail "unclear message: $(cat "$tmp/dead.err")"
# with --json, stdout has the reason for a parser, and no results
[ "$(json "$tmp/dead.out" "('cannot connect' in d['error'] and 'results' not in d)")" = True ] ||
	fail "no error document: $(cat "$tmp/dead.out")"
# bad usage
"$NETRIG" bench tcp_rr 2>/dev/null; [ $? = 2 ] || fail "missing --to is not a usage error"

# SIGTERM ends the server cleanly, also in the middle of a test, whose client says why
before=$(grep -c ' running$' "$tmp/main.err")
# (the test runs long enough to be stopped in its middle on a busy machine too)
"$NETRIG" bench tcp_rr --to 127.0.0.1:$port --duration 30s --omit 0 > /dev/null 2> "$tmp/mid.err" &
cpid=$!
end=$(($(date +%s) + 20))
until [ "$(grep -c ' running$' "$tmp/main.err")" -gt "$before" ]; do
	[ "$(date +%s)" -lt $end ] || fail "the test did not start"; sleep 0.02
done
pid=$(cat "$tmp/main.pid")
kill -TERM "$pid"
wait "$pid"; rc=$?
[ $rc = 0 ] || fail "server exit status $rc after SIGTERM"
wait $cpid && fail "the client of an interrupted test exited 0"
grep -q 'the server is stopping' "$tmp/mid.err" || fail "client message: $(cat "$tmp/mid.err")"

# --one-off: gone after one test; a connection that says nothing is no test
start_server one --one-off --lifetime 30s
python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' $port
"$NETRIG" bench udp_rr --to 127.0.0.1:$port --duration 0.2s --omit 0 > /dev/null || fail "one-off test"
pid=$(cat "$tmp/one.pid")
wait "$pid"; rc=$?
[ $rc = 0 ] || fail "one-off server exit status $rc"

# --lifetime bounds a server nobody talks to
start_server life --lifetime 0.3s
pid=$(cat "$tmp/life.pid")
wait "$pid"; rc=$?
[ $rc = 0 ] || fail "lifetime server exit status $rc"
# IPv6, where the machine has ::1
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	LISTEN="[::1]:0" start_server six --lifetime 30s
	grep -q '^listening on \[::1\]:' "$tmp/six.out" || fail "IPv6 readiness line: $(cat "$tmp/six.out")"
	for k in tcp_rr udp_rr tcp_crr "udp_stream --rate 10M" tcp_stream; do
		"$NETRIG" bench $k --to "[::1]:$port" --duration 0.2s --omit 0 > "$tmp/six.txt" 2>&1 ||
			fail "IPv6 $k: $(cat "$tmp/six.txt")"
	done
	echo "ok IPv6"
else
	echo "no ::1 here: IPv6 not tried"
fi
echo "all bench workloads ok"
