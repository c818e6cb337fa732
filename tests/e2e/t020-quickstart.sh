#!/bin/sh
# The quickstart campaign runs end to end: iperf3 server and client roles on
# loopback, JSON pointers parsed, results stored and shown.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v iperf3 >/dev/null || { echo "iperf3 is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t020.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

"$top/netrig" plan "$top/examples/quickstart.yaml" > plan.out || fail "plan exited $?"
grep -q "4 cases" plan.out || fail "plan does not list 4 cases: $(cat plan.out)"

"$top/netrig" run "$top/examples/quickstart.yaml" --db q.db > run.out 2> run.err
rc=$?
cat run.out
[ $rc = 0 ] || { cat run.err; fail "run exited $rc"; }
grep -q "passed, 4 cases: 4 passed, 0 failed" run.out || fail "not all cases passed"

n=$(sqlite3 q.db "SELECT count(*) FROM samples WHERE metric = 'throughput'")
[ "$n" = 12 ] || fail "expected 12 throughput samples (4 cases x 3 repeats), got $n"
low=$(sqlite3 q.db "SELECT count(*) FROM samples s JOIN cases c ON c.id = s.case_id
	WHERE s.metric = 'throughput' AND c.test = 'tcp' AND s.value < 1e8")
[ "$low" = 0 ] || fail "$low TCP throughput samples below 100 Mbit/s on loopback"
hosts=$(sqlite3 q.db "SELECT count(*) FROM hosts WHERE sysinfo LIKE '%\"cpu\"%'")
[ "$hosts" -ge 1 ] || fail "the local host has no sysinfo"
"$top/netrig" --db q.db results --format json | python3 -m json.tool > /dev/null ||
	fail "results --format json is not JSON"
"$top/netrig" --db q.db log 'tcp/streams=1' | grep -q '"bits_per_second"' ||
	fail "netrig log does not show iperf3's raw JSON"
echo "ok: quickstart ran, 12 throughput samples stored"
