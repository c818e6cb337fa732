#!/bin/sh
# The quickstart example runs end to end on this machine: it plans, runs
# with every case passed, stores samples, and the results are JSON.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"
example=$top/examples/quickstart.yaml
[ -f "$example" ] || skip "no examples/quickstart.yaml yet"

say "plan lists its cases"
expect_exit 0 "$NETRIG" plan "$example"
expect_grep '^campaign .*: [0-9]+ tests?, [0-9]+ cases?' out "plan header"

say "run: every case passes and stores samples"
expect_exit 0 "$NETRIG" -q run "$example" --db q.db
expect_eq "$(sql q.db "select count(*) from cases where status != 'passed'")" 0 "cases not passed"
[ "$(sql q.db "select count(*) from samples")" -gt 0 ] || fail "no samples stored"
expect_eq "$(sql q.db "select status from runs")" passed "run status"

say "results as JSON, one entry per case and metric"
expect_exit 0 "$NETRIG" --db q.db results --format json
python3 - out <<'PY' || fail "results JSON"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["status"] == "passed" and j["results"], j
for r in j["results"]:
    assert r["n"] >= 1 and r["min"] <= r["median"] <= r["max"], r
    print("  %s %s: median %g %s" % (r["case"], r["metric"], r["median"], r["unit"]))
PY
done_ok
