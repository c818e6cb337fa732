#!/bin/sh
# Regression detection end to end: a synthetic benchmark whose level a file
# sets; stable runs, then a 20 % step. compare flags the step with exit 1
# (and not the stable pair), thresholds come from the campaign as stored
# with the run (also when its lab file is gone), the outputs parse (md,
# json, junit) and carry the per-series evidence, a run's report states one
# verdict in every format (and goes out without a comparison when no
# baseline exists), changes attributes the step to its commit, and the
# Otava CSV reference comes out exactly.
# backends: sqlite postgresql
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
test_script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
tmp=$(mktemp -d /tmp/netrig-t600.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
N="$top/netrig"
NETRIG=$N
. "$top/tests/e2e/db.sh"
trap 'eval "$db_cleanup"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
db_init || { echo "skipped: $db_why"; exit 77; }
S=$(db s)

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
	"$N" run synth.yaml -q --db "$S" --commit good$i --branch main > /dev/null || fail "run good$i"
done
"$N" compare commit:good5 commit:good6 --db "$S" > same.txt
rc=$?
[ $rc = 0 ] || { cat same.txt; fail "two runs of the same level: expected exit 0, got $rc"; }
grep -q "0 regressions" same.txt || fail "a regression between equal runs"
for i in 1 2 3 4 5 6; do
	echo 0.8 > level
	"$N" run synth.yaml -q --db "$S" --commit slow$i --branch feature > /dev/null || fail "run slow$i"
done
"$N" compare branch:main commit:slow1 --db "$S" --baseline-window 3 > cmp.txt
rc=$?
cat cmp.txt
[ $rc = 1 ] || fail "a 20 % step: expected exit 1, got $rc"
grep -c '^regression' cmp.txt | grep -qx 4 || fail "expected 4 regressions (bw and latency x 2 sizes)"
grep '^regression.*latency' cmp.txt | grep -q critical || fail "latency +25 % should be critical (15 % in the campaign)"
grep '^regression.*bw' cmp.txt | grep -q warning || fail "bw -20 % should be a warning (30 % critical)"
"$N" compare branch:main commit:slow1 --db "$S" --fail-on critical > /dev/null
[ $? = 1 ] || fail "--fail-on critical: latency is critical, expected exit 1"
"$N" compare branch:main commit:slow1 --db "$S" --threshold 50% > /dev/null
[ $? = 0 ] || fail "--threshold 50%: no regression expected"
"$N" compare branch:main commit:slow1 --db "$S" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["schema"] == "netrig.compare/2" and d["alpha"] == 0.01 and d["fails"], d
assert d["counts"]["regression"] == 4, d["counts"]
s = [x for x in d["series"] if x["outcome"] == "regression"]
for x in s:
    # significant after adjustment across the 4 series, the interval on one side
    assert x["family"] == 4 and x["p_value"] <= x["p_adjusted"] < 0.01, x
    assert x["ci_high"] < 0 or x["ci_low"] > 0, x
    assert x["ci_low"] <= x["change"] <= x["ci_high"], x
    # what the series can detect, and the repeats for its threshold
    assert 0 < x["noise"] < 0.05 and 0 < x["detectable"] < x["threshold"], x
    assert 3 <= x["repeats_needed"] <= 5 and x["tested"] and not x["few_repeats"], x
' || fail "compare --format json"
"$N" compare commit:good5 commit:good6 --db "$S" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d["fails"] and d["counts"]["regression"] == 0, d["counts"]
for x in d["series"]:
    # nothing changed: stable when the interval rules out the threshold, else noisy
    inside = -x["threshold"] < x["ci_low"] and x["ci_high"] < x["threshold"]
    assert x["outcome"] == ("stable" if inside else "noisy"), x
' || fail "an A/A comparison: outcomes do not follow the interval rule"
"$N" compare branch:main commit:slow1 --db "$S" --format junit -o j.xml
python3 -c '
import xml.etree.ElementTree as E
t = E.parse("j.xml").getroot()
assert t.tag == "testsuites" and t.get("failures") == "4", t.attrib
assert len(t.findall(".//failure")) == 4
' || fail "compare --format junit is not the expected JUnit XML"
"$N" compare branch:main commit:slow1 --db "$S" --format md | grep -q '^### Regressions (4)' ||
	fail "markdown has no regressions section"
# The thresholds are those stored with the run: a lab file (or anything
# else) missing on the comparing machine must not change them (the
# defaults are 10 % and 20 %), and a stored campaign that cannot be read
# fails loudly.
SN=$(db_copy "$S" s-nolab)
sql "$SN" "UPDATE runs SET config = 'lab: /nonexistent/netrig-lab-$$.yaml
' || config"
"$N" compare branch:main commit:slow1 --db "$SN" --format json > nolab.json
[ $? = 1 ] || fail "compare without the lab file: expected exit 1"
python3 - nolab.json <<'PY' || fail "without the lab file the campaign's thresholds were not applied"
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted({(x["metric"], x["threshold"], x["critical"]) for x in d["series"]})
assert got == [("bw", 0.1, 0.3), ("latency", 0.05, 0.15)], got
PY
sql "$SN" "UPDATE runs SET config = 'tests: [' WHERE commit_sha = 'slow1'"
"$N" compare branch:main commit:slow1 --db "$SN" > /dev/null 2> err
[ $? = 2 ] && grep -q "campaign stored with run" err ||
	{ cat err; fail "an unreadable stored campaign: expected exit 2 with a message"; }
# --threshold replaces the stored thresholds, not the stored limits: those
# are checked whatever the thresholds, so an unreadable copy is still an error
"$N" compare branch:main commit:slow1 --db "$SN" --threshold 10% > /dev/null 2> err
[ $? = 2 ] && grep -q "campaign stored with run.*limits" err ||
	{ cat err; fail "--threshold with an unreadable stored campaign: expected exit 2 (its limits)"; }
"$N" compare branch:main commit:nosuch --db "$S" > /dev/null 2> err
[ $? = 2 ] && grep -q "no run matches" err || fail "an unknown run: expected exit 2 with a message"
# baselines on other hardware: preferred away, or named when nothing else is there
if is_pg "$S"; then
	other="jsonb_set(sysinfo::jsonb, '{cpu,model}', '\"Other CPU\"')::text"
else
	other="json_set(sysinfo, '\$.cpu.model', 'Other CPU')"
fi
sql "$S" "UPDATE hosts SET sysinfo = $other
	WHERE run_id IN (SELECT id FROM runs WHERE commit_sha IN ('good5', 'good6'))"
"$N" compare branch:main commit:slow1 --db "$S" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d["host_class_differs"], d
assert d["baseline"][0] not in ("good5", "good6")
' || fail "compare did not prefer a baseline on the candidate's hardware"
"$N" compare commit:good6 commit:slow1 --db "$S" | grep -q "baseline ran on other hardware (Other CPU" ||
	fail "compare did not say the baseline ran on other hardware"
echo "ok: compare"

"$N" changes --db "$S" --format json > ch.json || fail "changes"
python3 -c '
import json
d = json.load(open("ch.json"))
got = sorted((c["metric"], c["commit"]) for c in d["changes"])
assert got == [("bw", "slow1"), ("bw", "slow1"), ("latency", "slow1"), ("latency", "slow1")], got
assert all(c["regression"] for c in d["changes"])
' || { cat ch.json; fail "changes did not attribute the step to slow1"; }
"$N" compare commit:good6 commit:slow6 --db "$S" --history | grep -q "change point at run .* commit slow1" ||
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

"$N" report --db "$S" --format md | grep -q '^## netrig: synth' || fail "report md"
# one verdict, the same in every format; exit 1 on the regression
slow1=$(sql "$S" "SELECT uuid_str(id) FROM runs WHERE commit_sha = 'slow1'")
good6=$(sql "$S" "SELECT uuid_str(id) FROM runs WHERE commit_sha = 'good6'")
"$N" report "$slow1" --db "$S" --baseline branch:main --format md > rep.md
[ $? = 1 ] || fail "report of a regression: expected exit 1"
[ "$(grep -c '^## ' rep.md)" = 1 ] || { cat rep.md; fail "report md: not exactly one heading"; }
grep -q '^## netrig: synth :x: regressions found' rep.md || fail "report md: wrong verdict"
grep -q 'passed' rep.md && { cat rep.md; fail "report md also says passed"; }
"$N" report "$slow1" --db "$S" --baseline branch:main --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verdict"] == "regression" and d["comparison"]["fails"], d["verdict"]
' || fail "report json: verdict"
"$N" report "$slow1" --db "$S" --baseline branch:main | grep -qx 'verdict: regression' ||
	fail "report text: verdict"
"$N" report "$slow1" --db "$S" --baseline branch:main --format junit | python3 -c '
import sys, xml.etree.ElementTree as E
t = E.parse(sys.stdin).getroot()
assert t.get("failures") == "4", t.attrib
' || fail "report junit: the regressions are not its failures"
"$N" report "$good6" --db "$S" --baseline commit:good5 --format md > rep.md
[ $? = 0 ] && grep -q '^## netrig: synth :white_check_mark: passed' rep.md &&
	[ "$(grep -c '^## ' rep.md)" = 1 ] || { cat rep.md; fail "report md of a passing comparison"; }
# no run to compare with (a branch's first run): the report goes out
# without a comparison, says why, and the run's own result decides
"$N" report "$slow1" --db "$S" --baseline branch:nobranch --format md > rep.md 2> err
[ $? = 0 ] || fail "report with no baseline run: expected the run's own exit 0"
grep -q '^## netrig: synth :white_check_mark: passed' rep.md && grep -q 'No comparison: .*nobranch' rep.md ||
	{ cat rep.md; fail "report md without a baseline run"; }
grep -q 'no comparison' err || fail "report without a baseline run: no message on stderr"
"$N" report "$slow1" --db "$S" --baseline branch:nobranch --format json 2> /dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verdict"] == "passed" and d["comparison"] is None and "nobranch" in d["comparison_missing"], d
' || fail "report json without a baseline run"
"$N" report "$slow1" --db "$S" --dashboard > /dev/null 2> err
[ $? = 2 ] && grep -q 'takes no RUN' err || fail "report RUN --dashboard: RUN was silently ignored"
"$N" report --db "$S" --format json | python3 -m json.tool > /dev/null || fail "report json"
"$N" report --db "$S" --format csv | head -1 | grep -q '^ordinal,test,case,status' || fail "report csv"
"$N" report --db "$S" --dashboard -o site.json && python3 -c '
import json; d = json.load(open("site.json")); assert d["campaigns"][0]["campaign"] == "synth"' ||
	fail "dashboard json"
"$N" report --db "$S" --query "SELECT count(*) AS n FROM runs" | grep -q '"n": 12' || fail "--query"
"$N" report --db "$S" --query "DROP TABLE runs" > /dev/null 2>&1 && fail "--query ran a write"
[ "$(sql "$S" 'SELECT count(*) FROM runs')" = 12 ] || fail "the runs table was changed"
echo "ok: reports"

# plan --power: the noise of each series from its past runs' repeats, and
# what comparisons with the planned repeats can detect
"$N" plan synth.yaml --power --db "$S" > power.txt || fail "plan --power"
python3 - power.txt <<'PY' || { cat power.txt; fail "plan --power: wrong estimates"; }
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("synth/")]
assert len(rows) == 4, rows
for key, metric, runs, noise, repeats, det, need, _for, t in rows:
    n = float(noise.rstrip("%"))
    # uniform +-2 % (bw) and +-1 % (latency): sd 1.15 % and 0.58 %
    assert (0.6 < n < 2.0) if metric == "bw" else (0.3 < n < 1.0), (metric, noise)
    assert runs == "10" and repeats == "5", (runs, repeats)
    assert float(det.rstrip("%")) < float(t.rstrip("%")) and 3 <= int(need) <= 5, (det, need, t)
PY
grep -q "^power of campaign synth: 4 series" power.txt || fail "plan --power: family size"
"$N" plan synth.yaml --power --db nothere.db > power.txt || fail "plan --power without history"
grep -q "^no history: nothere.db does not exist" power.txt && [ "$(grep -c 'no history$' power.txt)" = 2 ] ||
	{ cat power.txt; fail "plan --power does not say there is no history"; }
echo "ok: plan --power"
