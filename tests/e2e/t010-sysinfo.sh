#!/bin/sh
# netrig sysinfo on this machine: --json is valid JSON with the documented
# top-level keys (docs/sysinfo.md), and the text form names the CPU model.
set -eu
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
netrig=$top/netrig
[ -x "$netrig" ] || { echo "no $netrig: run make first"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t010.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() { echo "FAIL: $*"; exit 1; }

"$netrig" sysinfo --json > out.json 2> err || fail "sysinfo --json exited $?: $(cat err)"
[ "$(wc -l < out.json)" -eq 1 ] || fail "--json is not one line"
python3 -m json.tool out.json > /dev/null || fail "--json is not JSON"
python3 - out.json <<'PY' || fail "JSON keys"
import json, sys
j = json.load(open(sys.argv[1]))
want = ["schema", "hostname", "os", "kernel", "cpu", "memory", "platform", "net"]
assert list(j) == want, list(j)
assert j["schema"] == 1
assert j["cpu"]["threads"] >= 1 and j["memory"]["total_bytes"] > 0
for k in ["model", "vendor", "sockets", "cores", "threads", "online", "base_mhz",
          "max_mhz", "governor", "numa_nodes", "caches"]:
    assert k in j["cpu"], k
lo = [n for n in j["net"]["nics"] if n["name"] == "lo"]
assert lo and {"family": "inet", "address": "127.0.0.1", "prefix_len": 8} in lo[0]["addrs"], lo
assert "net.ipv4.tcp_congestion_control" in j["net"]["sysctl"]
PY

model=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpu"]["model"] or "")' out.json)
"$netrig" sysinfo > out.txt 2> err || fail "sysinfo exited $?: $(cat err)"
[ -n "$model" ] || fail "no CPU model in the JSON"
grep -F -- "$model" out.txt > /dev/null || fail "the text does not name the CPU model '$model'"
grep -E '^  lo ' out.txt > /dev/null || fail "the text lists no lo"

# bad usage is exit 2, --help is 0
set +e
"$netrig" sysinfo --bogus > /dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "--bogus exited $rc, not 2"
"$netrig" sysinfo --help | grep -q -- --json || fail "--help does not mention --json"
echo "ok"
