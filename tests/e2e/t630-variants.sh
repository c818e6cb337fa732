#!/bin/sh
# A/B variants in one run (issue 13): a campaign with two variants, one 6 %
# slower, through netrig run; the attempts in the store in ABBA order by
# start time; compare --variants finding the slowdown through a drifting
# machine; an A/A pair of variants not flagged; netrig ab end to end;
# builds (once per variant and host, stored, a failed one failing its
# cases); netrig report with the paired comparison; resume after a kill -9
# between the halves of a pair; a campaign with three variants refused.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

# SQL the two backends say differently: a case's parameter, the order in
# which rows were written (UUIDv7 ids on PostgreSQL), a list of values
if [ "$backend" = postgresql ]; then
	param() { echo "(c.params::json->>'$1')"; }
	written=a.id
	joined() { echo "string_agg($1, ' ')"; }
else
	param() { echo "json_extract(c.params, '\$.$1')"; }
	written=a.rowid
	joined() { echo "group_concat($1, ' ')"; }
fi
R=$(db r)
AB=$(db ab)
B=$(db b)
S=$(db s)

# The test double: double.sh FACTOR N [DRIFT] prints lat=V, V = 100 (1 +
# N/10) x a level that drifts with the wall clock (+-DRIFT, default 15 %,
# period 2 s, as a VM's speed moves) x FACTOR x 1 % noise.
cat > double.sh <<'EOF'
now=$(date +%s.%N)
awk -v f="$1" -v t="$now" -v n="$2" -v a="${3:-0.15}" -v seed="$$" 'BEGIN {
	srand(seed + (t * 1000) % 100000)
	level = 100 * (1 + n / 10) * (1 + a * sin(2 * 3.14159265 * t / 2))
	noise = 1 + 0.01 * (rand() + rand() + rand() - 1.5)
	printf "lat=%.6f\n", level * f * noise
}'
EOF

cat > ab.yaml <<'EOF'
campaign: ab
thresholds: {warning: 3%}
variants:
  base: {values: {f: "1.00"}, build: [sh, -c, 'echo built {variant} >> builds.log']}
  cand: {values: {f: "1.06"}, build: [sh, -c, 'echo built {variant} >> builds.log']}
tests:
  - name: t
    repeat: 8
    matrix: {n: [1, 2, 3]}
    run: [sh, ./double.sh, "{variant.f}", "{n}"]
    parse:
      format: keyvalue
      metrics: {lat: {unit: us, better: lower}}
EOF

say "a campaign with variants: a case per variant, the variant first in the key"
expect_exit 0 "$NETRIG" plan ab.yaml
expect_grep 't/variant=base,n=1 +\(x8\)' out "the base case of n=1"
expect_grep 't/variant=cand,n=1 +\(x8\)' out "the cand case of n=1"
expect_exit 0 "$NETRIG" plan ab.yaml --commands
expect_grep "main@local \(main\): sh ./double.sh 1.06 1" out "the cand's value in its command"

say "netrig run: every case passes"
expect_exit 0 "$NETRIG" run ab.yaml --db "$R"
expect_eq "$(sql "$R" "select count(*) from cases where status = 'passed'")" 6 "6 cases passed"

say "the attempts in ABBA order by start time: pair i base first when i is even"
order=$(sql "$R" "select $(param n), a.repeat, $(param variant)
	from attempts a join cases c on c.id = a.case_id where a.repeat >= 0
	order by a.started_at, $written" | awk -F'|' '
	{ k = $1 "/" $2; if (!(k in first)) first[k] = $3; seen[k]++ }
	END {
		for (k in first) {
			split(k, p, "/"); want = p[2] % 2 == 0 ? "base" : "cand"
			if (first[k] != want || seen[k] != 2) print "bad " k " " first[k] " " seen[k]
		}
	}')
[ -z "$order" ] || fail "pairs out of ABBA order: $order"
expect_eq "$(sql "$R" "select count(*) from attempts where repeat >= 0")" 48 "48 measured attempts"
say "the two halves of every pair run back to back: no other case between them"
bad=$(sql "$R" "select a.started_at, c.key from attempts a join cases c on c.id = a.case_id
	where a.repeat >= 0 order by a.started_at, $written" | awk -F'|' '
	{ split($2, k, ","); pk = k[2]; if (NR % 2 == 0 && pk != prev) print "split pair at " $2; prev = pk }')
[ -z "$bad" ] || fail "$bad"

say "the builds: once per variant on its host, stored as attempts (repeat -1), shown by log"
expect_eq "$(sort builds.log | tr '\n' ' ')" "built base built cand " "one build per variant"
expect_eq "$(sql "$R" "select count(*) from attempts where repeat = -1 and outcome = 'passed'")" 2 "2 build attempts"
expect_exit 0 "$NETRIG" log 't/variant=cand,n=1' --db "$R"
expect_grep '=== attempt 1 \(build\) passed' out "the build in the log"

say "compare --variants finds the 6 % slowdown in every series, through the drift"
expect_exit 1 "$NETRIG" compare --variants --db "$R"
expect_grep '^paired comparison: variant cand against variant base of run [0-9a-f]+, 8 pairs a series' out "says paired"
[ "$(grep -c '^regression ' out)" = 3 ] || { cat out; fail "3 regressions expected"; }
expect_grep '^regression +t/n=1 +lat ' out "series without the variant in their key"
expect_exit 1 "$NETRIG" compare --variants --db "$R" --format json -o cmp.json
expect_eq "$(python3 -c "
import json; c = json.load(open('cmp.json'))
print(c['paired'], c['base_variant'], c['cand_variant'], sorted(set(s['pairs'] for s in c['series'])),
      all(0.03 < s['change'] < 0.09 and s['threshold'] == 0.03 for s in c['series']),
      all(s['signed_rank_p'] < 0.01 and 1.03 < s['median_ratio'] < 1.09 for s in c['series']))")" \
	"True base cand [8] True True" "the JSON comparison"
say "JUnit, and --fail-on critical passes a warning"
expect_exit 0 "$NETRIG" compare --variants --db "$R" --format junit -o cmp.xml --fail-on critical
expect_grep 'paired: 8 pairs, signed-rank p ' cmp.xml "JUnit shows the pairs"

say "compare --variants refuses what does not apply to one run"
expect_exit 2 "$NETRIG" compare --variants --db "$R" --baseline-window 3
expect_grep 'does not apply' err "--baseline-window"
expect_exit 2 "$NETRIG" compare --variants --db "$R" --history
expect_exit 2 "$NETRIG" compare --variants a b --db "$R"

say "report: the run's report includes the paired comparison and its verdict"
expect_exit 1 "$NETRIG" report --db "$R" --format md
expect_grep '^### Variants' out "a section for the variants"
expect_grep ':x: regressions found' out "the verdict"

say "status, results and log work on the variants' cases"
expect_exit 0 "$NETRIG" status --db "$R"
expect_grep 't/variant=cand,n=3 +passed' out "status sheet"
expect_exit 0 "$NETRIG" results --db "$R"
expect_grep 't/variant=base,n=2' out "results"

say "an A/A pair of variants is not flagged"
sed -e 's/"1.06"/"1.00"/' -e 's/campaign: ab/campaign: aa/' ab.yaml > aa.yaml
expect_exit 0 "$NETRIG" run aa.yaml --db "$R"
expect_exit 0 "$NETRIG" compare --variants --db "$R"
expect_no_grep '^(regression|improvement) ' out "A/A"

say "netrig ab: a pair of commands, no campaign file"
expect_exit 1 "$NETRIG" ab 'sh ./double.sh 1.00 1' 'sh ./double.sh 1.06 1' --parse keyvalue \
	--metric lat:lower --threshold 3% --repeat 8 --db "$AB"
expect_grep '^regression +ab +lat ' out "ab finds the slowdown"
expect_grep 'paired comparison: variant B against variant A' out "ab's verdict is paired"
expect_grep '^run [0-9a-f-]+: passed, 2 cases' out "ab's run"
expect_exit 0 "$NETRIG" ab 'sh ./double.sh 1.00 1' "sh ./double.sh '1.00' 1" --parse keyvalue \
	--metric lat:lower --threshold 3% --db "$AB" -q
expect_no_grep '^regression ' out "ab A/A"
expect_exit 0 "$NETRIG" log ab/variant=B --db "$AB"
expect_grep '^lat=' out "ab's outputs stored"
say "netrig ab: --metric judges only the metrics named (a tool parser gives many)"
cp "$top/tests/fixtures/iperf3/cloudpilot_3.9-tcp-omit3.out" i.json
expect_exit 0 "$NETRIG" ab 'cat i.json' 'cat ./i.json' --parse iperf3 --metric throughput_bps \
	--metric retransmits --repeat 3 --db "$AB" --format json -o m.json -q
expect_eq "$(python3 -c "import json; print(sorted(s['metric'] for s in json.load(open('m.json'))['series']))")" \
	"['retransmits', 'throughput_bps']" "only the metrics named"
expect_exit 0 "$NETRIG" ab 'cat i.json' 'cat ./i.json' --parse iperf3 --repeat 3 --db "$AB" --format json -o all.json -q
[ "$(python3 -c "import json; print(len(json.load(open('all.json'))['series']))")" -gt 5 ] ||
	fail "without --metric every metric of the tool is judged"
say "netrig ab: --shell, usage errors"
expect_exit 0 "$NETRIG" ab 'echo lat=5 | cat' 'echo lat=5' --shell --parse keyvalue --metric lat --db "$AB" -q --repeat 3
expect_exit 2 "$NETRIG" ab 'echo a' --parse keyvalue --metric lat
expect_exit 2 "$NETRIG" ab 'echo a' 'echo b' --parse keyvalue
expect_grep 'needs --metric' err "keyvalue without metrics"
expect_exit 2 "$NETRIG" ab 'echo "a' 'echo b' --parse keyvalue --metric x
expect_grep 'quote' err "an unbalanced quote"
expect_exit 2 "$NETRIG" ab 'echo a=1' 'echo a=1' --parse keyvalue --metric a --name x/y
expect_grep "^netrig ab: --name wants a name without '/'" err "a name with a slash"
expect_exit 2 "$NETRIG" ab 'echo a=1' 'echo a=1' --parse keyvalue --metric a --db "$tmp/no/such/dir/x.db"
expect_grep '^netrig ab: ' err "a store that cannot open, named as ab's"

say "a failed build fails its variant's cases, and the other variant's stop"
cat > bb.yaml <<'EOF'
campaign: bb
variants:
  base: {}
  cand: {build: [sh, -c, 'echo no compiler >&2; exit 3']}
tests:
  - name: t
    repeat: 2
    matrix: {n: [1, 2]}
    run: [sh, ./double.sh, "1", "{n}"]
    parse: {format: keyvalue, metrics: {lat: {}}}
EOF
expect_exit 1 "$NETRIG" run bb.yaml --db "$B"
expect_eq "$(sql "$B" "select count(*) from cases where status = 'failed'")" 4 "every case failed"
expect_grep "role build: exit 3: no compiler" err "the build's failure as it happened"
expect_exit 0 "$NETRIG" status --db "$B"
expect_grep "the build of variant cand on host local failed" out "the build's failure in the status sheet"
expect_eq "$(sql "$B" "select error from cases where key = 't/variant=cand,n=2'" | grep -c 'the build of variant cand on host local failed')" 1 \
	"a later case of the variant names the build"
expect_eq "$(sql "$B" "select error from cases where key = 't/variant=base,n=1'" | grep -c 'stopped: the case of the other variant')" 1 \
	"the other variant's case says why it stopped"
expect_eq "$(sql "$B" "select count(*) from attempts where repeat = -1")" 1 "the build tried once"
expect_exit 0 "$NETRIG" log 't/variant=cand,n=1' --db "$B"
expect_grep 'no compiler' out "the build's output kept"

say "three variants: refused with file:line:column"
printf 'variants: {a: {}, b: {}, c: {}}\ntests: [{name: t, run: x}]\n' > three.yaml
expect_exit 2 "$NETRIG" plan three.yaml
expect_grep '^three.yaml:1:11: .variants. needs exactly 2 variants' err "three variants"

say "kill -9 between the halves of a pair, then resume: the pair is completed"
cat > slow.yaml <<'EOF'
campaign: slow
variants: {base: {values: {f: "1.00"}}, cand: {values: {f: "1.00"}}}
tests:
  - name: s
    repeat: 4
    run: [sh, -c, 'sleep 0.4; sh ./double.sh {variant.f} 1 0']
    parse: {format: keyvalue, metrics: {lat: {better: lower}}}
EOF
samples() { sql "$S" "select count(*) from samples" 2> /dev/null || echo 0; }
"$NETRIG" -q run slow.yaml --db "$S" > bg.out 2> bg.err &
pid=$!
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'
# 3 samples: pair 0 whole, and the first half of pair 1 (cand, as ABBA has it)
until_3() { [ "$(samples)" = 3 ]; }
wait_until 20 until_3 ||
	fail "3 samples were not stored: $(cat bg.err)"
kill -9 $pid
wait $pid 2> /dev/null
pid=""
expect_eq "$(samples)" 3 "killed between the halves of pair 1"
expect_eq "$(sql "$S" "select $(joined "key || ':' || repeats_done") from (select key, repeats_done from cases order by ordinal) k")" \
	"s/variant=base:1 s/variant=cand:2" "pair 1 has its candidate half only"
killed_at=$(sql "$S" "select max(started_at) from attempts")
expect_exit 0 "$NETRIG" -q run --resume slow.yaml --db "$S"
first=$(sql "$S" "select c.key || ':' || a.repeat from attempts a join cases c on c.id = a.case_id
	where a.started_at > $killed_at and a.outcome = 'passed' order by a.started_at limit 1")
expect_eq "$first" "s/variant=base:1" "the resume completes pair 1 first"
expect_eq "$(sql "$S" "select count(*) || ' ' || count(distinct c.key || a.repeat) from attempts a join cases c on c.id = a.case_id where a.outcome = 'passed'")" \
	"8 8" "every repeat once"
expect_exit 0 "$NETRIG" compare --variants --db "$S" --format json -o s.json
expect_eq "$(python3 -c "import json; print([s['pairs'] for s in json.load(open('s.json'))['series']])")" "[4]" \
	"4 whole pairs after the resume"
done_ok
