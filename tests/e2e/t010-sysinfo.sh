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
# In two namespaces of our own joined by a veth pair (no default route, no
# traffic sent): the veth is "virtual", and its addresses keep their prefix.
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
	a=nrt010a$$
	b=nrt010b$$
	cleanup() { ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null; rm -rf "$tmp"; }
	trap cleanup EXIT
	ip netns add "$a" && ip netns add "$b" || fail "ip netns add"
	ip -n "$a" link add v0 mtu 9000 type veth peer name v1 netns "$b"
	ip -n "$a" addr add 10.254.7.1/30 dev v0
	ip -n "$a" addr add fd00:7::1/64 dev v0 nodad
	ip -n "$a" link set v0 up
	ip -n "$a" link set lo up
	ip -n "$b" link set v1 up
	ip netns exec "$a" "$netrig" sysinfo --json > ns.json || fail "sysinfo in a namespace"
	python3 - ns.json <<'PY' || fail "namespace JSON"
import json, sys
nics = {n["name"]: n for n in json.load(open(sys.argv[1]))["net"]["nics"]}
assert sorted(nics) == ["lo", "v0"], sorted(nics)
v0 = nics["v0"]
assert v0["driver"] == "virtual" and v0["mtu"] == 9000 and v0["operstate"] == "up", v0
assert v0["rx_queues"] >= 1 and v0["tx_queues"] >= 1, v0
assert {"family": "inet", "address": "10.254.7.1", "prefix_len": 30} in v0["addrs"], v0
assert {"family": "inet6", "address": "fd00:7::1", "prefix_len": 64} in v0["addrs"], v0
PY
else
	echo "namespace part skipped: needs root and ip"
fi
echo "ok"
