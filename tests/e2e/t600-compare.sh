#!/bin/sh
# Regression detection end to end: a synthetic benchmark whose level a file
# sets; stable runs, then a 20 % step. compare flags the step with exit 1
# (and not the stable pair), thresholds come from the campaign, the outputs
# parse (md, json, junit), changes attributes the step to its commit, and
# the Otava CSV reference comes out exactly.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/netrig-t600.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
N="$top/netrig"

cat > synth.yaml <<'YAML'
campaign: synth
thresholds:
  warning: 10%
  critical: 30%
  metrics: {latency: {warning: 5%, critical: 15%}}
tests:
  - name: synth
    matrix: {size: [64, 1500]}
    repeat: 5
    run:
      - python3
      - -c
      - |
        import random, sys
        level = float(open(sys.argv[1]).read())
        print("bw=%f" % (level * 1000 * random.uniform(0.98, 1.02)))
        print("latency=%f" % (10 * random.uniform(0.99, 1.01) / level))
      - "{workdir}/level"
    parse:
      format: keyvalue
      metrics:
        bw: {unit: Mbps, better: higher}
        latency: {unit: us, better: lower}
YAML
for i in 1 2 3 4 5 6; do
	echo 1.0 > level
	"$N" run synth.yaml -q --db s.db --commit good$i --branch main > /dev/null || fail "run good$i"
done
"$N" compare commit:good5 commit:good6 --db s.db > same.txt
rc=$?
[ $rc = 0 ] || { cat same.txt; fail "two runs of the same level: expected exit 0, got $rc"; }
grep -q "0 regressions" same.txt || fail "a regression between equal runs"
for i in 1 2 3 4 5 6; do
	echo 0.8 > level
	"$N" run synth.yaml -q --db s.db --commit slow$i --branch feature > /dev/null || fail "run slow$i"
done
"$N" compare branch:main commit:slow1 --db s.db --baseline-window 3 > cmp.txt
rc=$?
cat cmp.txt
[ $rc = 1 ] || fail "a 20 % step: expected exit 1, got $rc"
grep -c '^regression' cmp.txt | grep -qx 4 || fail "expected 4 regressions (bw and latency x 2 sizes)"
grep '^regression.*latency' cmp.txt | grep -q critical || fail "latency +25 % should be critical (15 % in the campaign)"
grep '^regression.*bw' cmp.txt | grep -q warning || fail "bw -20 % should be a warning (30 % critical)"
"$N" compare branch:main commit:slow1 --db s.db --fail-on critical > /dev/null
[ $? = 1 ] || fail "--fail-on critical: latency is critical, expected exit 1"
"$N" compare branch:main commit:slow1 --db s.db --threshold 50% > /dev/null
[ $? = 0 ] || fail "--threshold 50%: no regression expected"
"$N" compare branch:main commit:slow1 --db s.db --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["counts"]["regression"] == 4, d["counts"]
s = [x for x in d["series"] if x["outcome"] == "regression"]
assert all(x["p_value"] < 0.05 and x["ci_high"] < 0 or x["ci_low"] > 0 for x in s), s
' || fail "compare --format json"
"$N" compare branch:main commit:slow1 --db s.db --format junit -o j.xml
python3 -c '
import xml.etree.ElementTree as E
t = E.parse("j.xml").getroot()
assert t.tag == "testsuites" and t.get("failures") == "4", t.attrib
assert len(t.findall(".//failure")) == 4
' || fail "compare --format junit is not the expected JUnit XML"
"$N" compare branch:main commit:slow1 --db s.db --format md | grep -q '^### Regressions (4)' ||
	fail "markdown has no regressions section"
"$N" compare branch:main commit:nosuch --db s.db > /dev/null 2> err
[ $? = 2 ] && grep -q "no run matches" err || fail "an unknown run: expected exit 2 with a message"
# baselines on other hardware: preferred away, or named when nothing else is there
sqlite3 s.db "UPDATE hosts SET sysinfo = json_set(sysinfo, '\$.cpu.model', 'Other CPU')
	WHERE run_id IN (SELECT id FROM runs WHERE commit_sha IN ('good5', 'good6'))"
"$N" compare branch:main commit:slow1 --db s.db --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d["host_class_differs"], d
assert d["baseline"][0] not in ("good5", "good6")
' || fail "compare did not prefer a baseline on the candidate's hardware"
"$N" compare commit:good6 commit:slow1 --db s.db | grep -q "baseline ran on other hardware (Other CPU" ||
	fail "compare did not say the baseline ran on other hardware"
echo "ok: compare"

"$N" changes --db s.db --format json > ch.json || fail "changes"
python3 -c '
import json
d = json.load(open("ch.json"))
got = sorted((c["metric"], c["commit"]) for c in d["changes"])
assert got == [("bw", "slow1"), ("bw", "slow1"), ("latency", "slow1"), ("latency", "slow1")], got
assert all(c["regression"] for c in d["changes"])
' || { cat ch.json; fail "changes did not attribute the step to slow1"; }
"$N" compare commit:good6 commit:slow6 --db s.db --history | grep -q "change point at run .* commit slow1" ||
	fail "compare --history gives no context"
echo "ok: changes"

for set in "0.01 0.05 15,71" "0.001 0 15,61,71,95,117,131,142,148,192,212,260" "0.00001 0 71,95,131,192,212"; do
	set -- $set
	got=$("$N" changes --csv "$top/tests/fixtures/changepoint/tigerbeetle.csv" --window 30 \
		--max-pvalue "$1" --min-magnitude "$2" --format json |
		python3 -c 'import json,sys; print(",".join(str(c["index"]) for c in json.load(sys.stdin)["changes"]))')
	[ "$got" = "$3" ] || fail "tigerbeetle p=$1 m=$2: got $got, Otava gives $3"
done
echo "ok: Otava's change points on tigerbeetle.csv"

"$N" report --db s.db --format md | grep -q '^## netrig: synth' || fail "report md"
"$N" report --db s.db --format json | python3 -m json.tool > /dev/null || fail "report json"
"$N" report --db s.db --format csv | head -1 | grep -q '^ordinal,test,case,status' || fail "report csv"
"$N" report --db s.db --dashboard -o site.json && python3 -c '
import json; d = json.load(open("site.json")); assert d["campaigns"][0]["campaign"] == "synth"' ||
	fail "dashboard json"
"$N" report --db s.db --query "SELECT count(*) AS n FROM runs" | grep -q '"n": 12' || fail "--query"
"$N" report --db s.db --query "DROP TABLE runs" > /dev/null 2>&1 && fail "--query ran a write"
[ "$(sqlite3 s.db 'SELECT count(*) FROM runs')" = 12 ] || fail "the runs table was changed"
echo "ok: reports"
