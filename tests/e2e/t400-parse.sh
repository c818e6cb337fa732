#!/bin/sh
# netrig parse: text and --json output of saved tool outputs, stdin, exit
# statuses and the line named on failure; then live loopback runs of iperf3
# and sockperf (bounded, skipped when the tool is missing) read back.
set -eu
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
netrig=$top/netrig
fx=$top/tests/fixtures
[ -x "$netrig" ] || { echo "no $netrig: run make first"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t400.XXXXXX)
spid=""
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"

fail() { echo "FAIL: $*"; exit 1; }

# text: the .expect format, one sample a line
"$netrig" parse iperf3 "$fx/iperf3/tcp.out" > out.txt 2> err || fail "parse iperf3 exited $?: $(cat err)"
grep -E '^throughput_bps +[0-9.e+]+ bit/s ' out.txt > /dev/null || fail "no throughput_bps line: $(cat out.txt)"
# the client sent: its intervals are the sending rate
grep -E '^sender_throughput_bps\[1\] ' out.txt > /dev/null || fail "no per-interval throughput"

# --json: valid, with units, directions and the original unit
"$netrig" parse --json sockperf "$fx/sockperf/pp-udp.out" > out.json 2> err || fail "--json exited $?"
python3 - out.json <<'PY' || fail "sockperf --json content"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["parser"] == "sockperf"
s = {x["metric"]: x for x in j["samples"]}
assert s["latency_p99_us"]["unit"] == "us" and s["latency_p99_us"]["better"] == "lower"
assert s["latency_avg_us"]["orig_unit"] == "usec"
assert j["notes"]["latency"] == "half round trip"
PY

# stdin
"$netrig" parse secnetperf - < "$fx/secnetperf/hps-tcp-trimout.client.out" > out.txt || fail "stdin"
grep -E '^handshakes_per_s +422 ' out.txt > /dev/null || fail "stdin: $(cat out.txt)"

# failures: exit 1, the message names the line
set +e
"$netrig" parse iperf3 "$fx/iperf3/truncated.out" > /dev/null 2> err; rc=$?
set -e
[ $rc = 1 ] || fail "truncated iperf3 exited $rc"
grep -E 'line [0-9]+' err > /dev/null || fail "no line in: $(cat err)"
set +e
"$netrig" parse iperf3 "$fx/iperf3/error-refused-exit0.out" > /dev/null 2> err; rc=$?
set -e
[ $rc = 1 ] && grep -F 'Connection refused' err > /dev/null || fail "iperf3 error key: $rc $(cat err)"
set +e
"$netrig" parse --json perftest "$fx/perftest/handmade_no-samples-subscriber.out" > out.json 2> err; rc=$?
set -e
[ $rc = 1 ] || fail "perftest no samples exited $rc"
python3 -c 'import json,sys; assert "No samples" in json.load(open(sys.argv[1]))["error"]' out.json ||
	fail "--json carries no error"

# usage: unknown parser, generic parser without a campaign, missing file
set +e
"$netrig" parse nosuchtool x > /dev/null 2>&1; a=$?
"$netrig" parse regex "$fx/iperf3/tcp.out" > /dev/null 2>&1; b=$?
"$netrig" parse iperf3 "$tmp/missing" > /dev/null 2>&1; c=$?
"$netrig" parse iperf3 > /dev/null 2>&1; e=$?
set -e
[ "$a $b $c $e" = "2 2 1 2" ] || fail "exit statuses $a $b $c $e, expected 2 2 1 2"

# the catalogue
"$netrig" parse --metrics > out.txt || fail "--metrics"
grep -E '^throughput_bps +bit/s +higher ' out.txt > /dev/null || fail "--metrics: $(head -3 out.txt)"

# live: iperf3 and sockperf on loopback, read back
port=$(( 20000 + $$ % 20000 ))
if command -v iperf3 > /dev/null; then
	timeout 20 iperf3 -s -1 -p "$port" > /dev/null 2>&1 & spid=$!
	sleep 0.3
	timeout 15 iperf3 -c 127.0.0.1 -p "$port" -t 1 -J > live-iperf3.json 2>/dev/null ||
		fail "iperf3 client"
	wait "$spid" 2>/dev/null || true
	spid=""
	"$netrig" parse iperf3 live-iperf3.json > out.txt 2> err || fail "live iperf3: $(cat err)"
	grep -E '^sender_throughput_bps ' out.txt > /dev/null || fail "live iperf3: $(cat out.txt)"
else
	echo "iperf3 missing: live iperf3 part skipped"
fi
if command -v sockperf > /dev/null; then
	port=$((port + 1))
	timeout 20 sockperf sr -i 127.0.0.1 -p "$port" > /dev/null 2>&1 & spid=$!
	sleep 0.3
	timeout 15 sockperf pp -i 127.0.0.1 -p "$port" -t 1 > live-sockperf.txt 2>&1 ||
		fail "sockperf client"
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=""
	"$netrig" parse sockperf live-sockperf.txt > out.txt 2> err || fail "live sockperf: $(cat err)"
	grep -E '^latency_p50_us ' out.txt > /dev/null || fail "live sockperf: $(cat out.txt)"
else
	echo "sockperf missing: live sockperf part skipped"
fi
echo "ok"
