#!/bin/sh
# Absolute limits (issue 13): a test double prints values over and under
# the campaign's limits in human units (ms, Gbit/s, %). The limits are
# checked on every run, with or without a baseline: `run` names each breach
# and exits 1 although every case passed; `report` shows them in every
# format with the limit, the median and how far past; `compare` fails on
# the candidate's breaches even with no regression (and `--fail-on
# critical` lets a `severity: warning` breach pass); a run judged on
# another machine, its lab file and campaign file gone, is judged by the
# limits stored with it; a limit the values cannot be held to (they came
# without a unit) fails. Bad limits are campaign errors with file:line:
# column; a limit no parser can satisfy is a warning. Then `results
# --best`: the best case per test (lower and higher is better), a tie, a
# test without the metric, a metric with no direction.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

L=$(db l)
N=$(db n)

# $1 size, $2 repeat; the mode file says which values to print
cat > double.sh <<'EOF'
mode=$(cat "$(dirname "$0")/mode")
case "$mode/$1" in
good/*) lat=30 bw=9.5 loss=0.5 ;;
warn/*) lat=30 bw=9.5 loss=2 ;;
bad/64) lat=62 bw=9.5 loss=0.5 ;;
bad/1500) lat=40 bw=8 loss=0.5 ;;
bad/9000) lat=45 bw=9.5 loss=0.5
	# one repeat far over the max: the median decides, not the outlier
	[ "$2" = 1 ] && lat=80 ;;
esac
echo "latency: ${lat}ms"
echo "bandwidth: ${bw} Gbit/s"
echo "loss: ${loss}%"
EOF
cat > c.yaml <<'EOF'
campaign: lim
limits:
  lat: {max: 50ms}
  bw: {min: 9 Gbit/s}
  loss: {max: 1%, severity: warning}
defaults:
  repeat: 3
  parse:
    format: regex
    metrics:
      lat: {regex: "latency: ([0-9.]+)ms", unit: ms, better: lower}
      bw: {regex: "bandwidth: ([0-9.]+) Gbit/s", unit: Gbit/s, better: higher}
      loss: {regex: "loss: ([0-9.]+)%", unit: "%", better: lower}
tests:
  - name: synth
    matrix: {size: [64, 1500, 9000]}
    run: [sh, "{workdir}/double.sh", "{size}", "{repeat}"]
  - name: wide
    matrix: {size: [64, 1500]}
    run: [sh, "{workdir}/double.sh", "{size}", "{repeat}"]
    limits: {lat: {max: 70ms}}
  - name: solo
    run: [echo, "x=4"]
    parse: {format: keyvalue, metrics: {x: {better: none}}}
EOF

say "bad limits are campaign errors with their place; a limit on nothing is a warning"
sed 's/min: 9 Gbit\/s/min: 9 ms/' c.yaml > bad-unit.yaml
expect_exit 2 "$NETRIG" plan bad-unit.yaml
expect_grep "^bad-unit.yaml:4:13: 'min' of the limit on 'bw' is '9 ms', a time, but test 'synth' gives the metric in bit/s" err "a unit of the wrong kind"
sed 's/max: 50ms/max: 50 furlongs/' c.yaml > bad-unit2.yaml
expect_exit 2 "$NETRIG" plan bad-unit2.yaml
expect_grep "^bad-unit2.yaml:3:14: unknown unit 'furlongs' in 'max' of the limit on 'lat'" err "an unknown unit"
sed 's/lat: {max: 50ms}/lat: {min: 60ms, max: 50ms}/' c.yaml > bad-room.yaml
expect_exit 2 "$NETRIG" plan bad-room.yaml
expect_grep "^bad-room.yaml:3:25: 'min' of the limit on 'lat' \(60ms\) is above its 'max' \(50ms\)" err "min above max"
sed 's/  lat: {max: 50ms}/  latency: {max: 50ms}/' c.yaml > typo.yaml
expect_exit 0 "$NETRIG" plan typo.yaml
expect_grep "^typo.yaml:3:3: warning: the limit on 'latency' checks nothing: no parser of any test gives that metric" err "a limit on a metric no parser gives"
expect_exit 0 "$NETRIG" plan c.yaml
expect_no_grep "warning" err "a campaign whose limits all apply"

say "the first run, with no baseline anywhere: run names the breaches and exits 1"
echo bad > mode
expect_exit 1 "$NETRIG" run c.yaml --db "$L" --commit b1 --branch feature
cp out run-bad.txt
expect_grep "^limits: 3 of 15 limit checks breached, on 15 series" out "the summary"
expect_grep "^critical +synth/size=64 +lat +62.0 ms max 50ms +12.0 ms \(24.0 %\) +3/3" out "synth/size=64 lat over its max"
expect_grep "^critical +synth/size=1500 +bw +8.00 Gbit/s min 9 Gbit/s +1.00 Gbit/s \(11.1 %\) +3/3" out "bw under its min"
expect_grep "^critical +wide/size=1500 +bw " out "the other test's bw"
expect_no_grep "^critical +synth/size=9000" out "one repeat over the max, the median under it"
expect_no_grep "^critical +wide/size=64 +lat" out "the test's own max (70ms) over the campaign's"
expect_grep "^run [0-9a-f-]+: passed, 6 cases: 6 passed, 0 failed, 0 not run; 3 limits breached$" out "the last line"
bad1=$(sql "$L" "SELECT uuid_str(id) FROM runs WHERE commit_sha = 'b1'")
[ -n "$bad1" ] || fail "no run b1"
expect_exit 1 "$NETRIG" run c.yaml --db "$L" --commit b1q -q
expect_grep "^critical +synth/size=64 +lat" out "-q still lists the breaches"

say "report shows them in every format, with or without a baseline"
expect_exit 1 "$NETRIG" report "$bad1" --db "$L"
expect_grep "^verdict: limit$" out "text verdict"
expect_grep "^critical +synth/size=64 +lat +62.0 ms max 50ms" out "text names the breach"
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --baseline branch:nosuch
expect_grep "^no comparison: " out "no baseline: said"
expect_grep "^verdict: limit$" out "no baseline: the limits still decide"
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --format md
expect_grep "^## netrig: lim :x: limits breached$" out "md heading"
expect_grep '^\| `synth/size=64` \| lat \| 62\.0 ms \| max 50ms \| 12\.0 ms \\\(24\.0 %\\\) \| 3/3 \| critical \|$' out "md row"
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --format json -o r.json
python3 - r.json <<'PY' || fail "report --format json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "limit", d["verdict"]
l = d["limits"]
assert l["breached"] == 3 and l["checks"] == 15 and l["fails"], l
b = [x for x in l["limits"] if x["breached"]]
got = sorted((x["case"], x["metric"], x["bound"], x["limit"], x["limit_text"], x["median"], x["n_past"]) for x in b)
assert got == [("synth/size=1500", "bw", "min", 9e9, "9 Gbit/s", 8e9, 3),
               ("synth/size=64", "lat", "max", 50000, "50ms", 62000, 3),
               ("wide/size=1500", "bw", "min", 9e9, "9 Gbit/s", 8e9, 3)], got
o = [x for x in l["limits"] if x["case"] == "synth/size=9000" and x["metric"] == "lat"][0]
assert not o["breached"] and o["median"] == 45000 and o["worst"] == 80000 and o["n_past"] == 1, o
assert abs(o["excess"] + 5000) < 1e-6, o
PY
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --format junit -o r.xml
python3 - r.xml <<'PY' || fail "report --format junit"
import xml.etree.ElementTree as E, sys
t = E.parse(sys.argv[1]).getroot()
f = t.findall(".//failure")
assert t.get("failures") == "3" and len(f) == 3, t.attrib
assert all(x.get("type") == "limit" for x in f)
m = [x.get("message") for x in f]
assert any("median 62.0 ms is above max 50ms by 12.0 ms (24.0 %)" in x for x in m), m
PY
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --format csv
expect_grep "^run,test,case,role,metric,unit,bound,limit,limit_unit,limit_text,median,worst,n,n_past,breached,severity,excess,excess_relative" out "csv limits block"
expect_grep "^$bad1,synth,synth/size=64,main,lat,us,max,50000,us,50ms,62000,62000,3,3,true,critical,12000," out "csv breach row"
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --format html -o r.html
expect_grep '<h3 id="limits">Limits</h3>' r.html "html section"
expect_grep '<span class="badge b-critical">critical</span></td><td>synth/size=64</td><td>lat</td>' r.html "html breach row"
expect_grep '<span class="badge b-limit">limit</span>' r.html "html verdict"

say "a run whose limits all hold passes"
echo good > mode
expect_exit 0 "$NETRIG" run c.yaml --db "$L" --commit g1 --branch main
expect_grep "^limits: 0 of 15 limit checks breached" out "said, not silent"
expect_exit 0 "$NETRIG" report --db "$L"
expect_grep "^verdict: passed$" out "a good run"

say "compare fails on the candidate's breaches, even with no regression"
echo bad > mode
expect_exit 1 "$NETRIG" run c.yaml -q --db "$L" --commit b2 --branch feature
expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$L"
expect_grep "^0 regressions" out "identical runs: no regression"
expect_grep "^limits: 3 of 15 limit checks breached" out "the candidate's limits"
expect_grep "^critical +synth/size=64 +lat +62.0 ms max 50ms" out "compare names the breach"
expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$L" --fail-on critical
expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$L" --threshold 50%
expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$L" --format json
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["fails"] and d["counts"]["regression"] == 0 and d["limits"]["breached"] == 3, d
' < out || fail "compare --format json"
expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$L" --format md
expect_grep "^## netrig: lim :x: limits breached$" out "compare md heading"
expect_grep "^### Limits breached \(3\)$" out "compare md section"
expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$L" --format junit -o c.xml
python3 -c '
import xml.etree.ElementTree as E
t = E.parse("c.xml").getroot()
assert t.get("failures") == "3" and len(t.findall(".//failure[@type=\"limit\"]")) == 3, t.attrib
' || fail "compare --format junit"
expect_exit 1 "$NETRIG" report "$bad1" --db "$L" --baseline commit:b2
expect_grep "^verdict: limit$" out "a report with a comparison: still the limit verdict"

say "a warning limit: run and report fail on it, compare --fail-on critical does not"
echo warn > mode
expect_exit 1 "$NETRIG" run c.yaml -q --db "$L" --commit w1 --branch main
expect_grep "^warning +synth/size=64 +loss +2 % max 1% +1 % \\(100.0 %\\) +3/3" out "a warning breach"
expect_exit 1 "$NETRIG" run c.yaml -q --db "$L" --commit w2 --branch main
expect_exit 0 "$NETRIG" compare commit:w1 commit:w2 --db "$L" --fail-on critical
expect_exit 1 "$NETRIG" compare commit:w1 commit:w2 --db "$L"

say "judged on another machine: no lab file, no campaign file, the stored limits"
mkdir other
O=$(db_copy "$L" other) || fail "a copy of the database"
is_pg "$O" || O=$tmp/$O
rm c.yaml
# (a newline in a string literal: both backends take it as it is)
sql "$O" "UPDATE runs SET config = 'lab: /nonexistent/netrig-lab-$$.yaml
' || config"
(cd other && expect_exit 1 "$NETRIG" report "$bad1" --db "$O" && cp out ../other.txt) || exit 1
expect_grep "^critical +synth/size=64 +lat +62.0 ms max 50ms" other.txt "the stored limits, away from the lab"
(cd other && expect_exit 1 "$NETRIG" compare commit:b1 commit:b2 --db "$O") || exit 1
# the verdict follows the stored text: loosen the limit there and it holds
sql "$O" "UPDATE runs SET config = replace(config, 'max: 50ms', 'max: 500ms')"
(cd other && expect_exit 1 "$NETRIG" report "$bad1" --db "$O" && cp out ../loose.txt) || exit 1
expect_no_grep "^critical +synth/size=64 +lat" loose.txt "a limit loosened in the stored text"
expect_grep "^limits: 2 of 15 limit checks breached" loose.txt "the other breaches stay"

say "a limit the values cannot be held to (no unit) fails rather than passing unseen"
cat > nounit.yaml <<'EOF'
campaign: nounit
limits: {v: {max: 5ms}}
tests:
  - {name: kv, run: [echo, "v=3"], parse: keyvalue, repeat: 2}
EOF
expect_exit 0 "$NETRIG" plan nounit.yaml
expect_no_grep "warning" err "keyvalue without declared metrics may give any key"
expect_exit 1 "$NETRIG" run nounit.yaml -q --db "$N"
expect_grep "^critical +kv +v +3 max 5ms +cannot check: the limit is in us, the values in no unit +2/2" out "named, and failing"

say "results --best: the best case per test for a metric"
expect_exit 0 "$NETRIG" results --best lat "$bad1" --db "$L"
cp out best-lat.txt
expect_grep "^synth +size=1500 +lower +40.0 ms +3  best of 3 cases$" out "lower is better: the lowest median"
expect_grep "^wide +size=1500 +lower +40.0 ms +3  best of 2 cases$" out "each test"
expect_grep "^solo +- +- +- +-  no lat in this test$" out "a test without the metric"
expect_exit 0 "$NETRIG" results --best bw "$bad1" --db "$L"
expect_grep "^synth +size=64 +higher +9.50 Gbit/s +3  tie: 2 cases share the best median$" out "a tie"
expect_grep "^synth +size=9000 +higher +9.50 Gbit/s +3  tie: 2 cases" out "a tie lists both"
expect_grep "^wide +size=64 +higher +9.50 Gbit/s +3  best of 2 cases$" out "higher is better"
expect_exit 2 "$NETRIG" results --best x "$bad1" --db "$L"
expect_grep "metric 'x' is neither better higher nor lower .*--max or --min" err "no direction: refused"
expect_exit 0 "$NETRIG" results --best x --min "$bad1" --db "$L"
expect_grep "^solo +\(none\) +lower +4 +3  best of 1 case$" out "--min says which"
expect_exit 2 "$NETRIG" results --best nosuch "$bad1" --db "$L"
expect_grep "has no samples of metric 'nosuch' \(its metrics: " err "a metric no test has"
expect_exit 0 "$NETRIG" results --best lat "$bad1" --db "$L" --format json
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["schema"] == "netrig.best/1" and d["metric"] == "lat", d
t = {x["test"]: x for x in d["tests"]}
assert t["synth"]["state"] == "best" and t["synth"]["better"] == "lower", t
b = t["synth"]["best"][0]
assert b["case"] == "synth/size=1500" and b["params"] == {"size": "1500"} and b["median"] == 40000 and b["n"] == 3, b
assert t["solo"]["state"] == "missing" and t["solo"]["best"] == [], t
' < out || fail "results --best --format json"
expect_exit 0 "$NETRIG" results --best bw "$bad1" --db "$L" --format csv
expect_grep '^[0-9a-f-]+,synth,main,tie,synth/size=9000,"\{""size"":""9000""\}",bw,bit/s,higher,9500000000,3,2,3,0' out "csv"
done_ok
