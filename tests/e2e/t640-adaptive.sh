#!/bin/sh
# Adaptive repeats (issue 13): repeat: {min: 3, max: 20, until: clear}.
# With variants an A/B with a large shift stops early (fewer than max
# pairs) as a regression, an A/A stops as stable or runs to max; the
# decision is an event, the repeats run are the case's, report and
# compare --variants give the same verdict from the stored samples.
# Without variants, netrig run --baseline SEL names the baseline; a case
# without one runs min repeats and says so. A case cut by kill -9 is
# resumed: the cut pair completed, the decision taken where an
# uninterrupted run takes it. Bad keys refused at file:line:column.
. "$(dirname "$0")/lib.sh"

# The test double: double.sh FACTOR SALT REPEAT prints lat = 100 x FACTOR
# x e^(0.03 z), z a normal drawn from the seed SALT * 1000 + REPEAT: the
# same case and repeat give the same value in every run, so where a run
# stops is reproducible.
cat > double.sh <<'EOF'
awk -v f="$1" -v seed="$(($2 * 1000 + $3))" 'BEGIN {
	srand(seed)
	z = -6; for (i = 0; i < 12; i++) z += rand()
	printf "lat=%.6f\n", 100 * f * exp(0.03 * z)
}'
EOF

# ab.yaml FACTOR [SLEEP]: variants base (1.00) and cand (FACTOR)
ab() {
	cat <<EOF
campaign: ab$1
variants:
  base: {values: {f: "1.00", salt: "1"}}
  cand: {values: {f: "$1", salt: "2"}}
tests:
  - name: t
    repeat: {min: 3, max: 20, until: clear}
    run: [sh, -c, 'sleep ${2:-0}; sh ./double.sh {variant.f} {variant.salt} {repeat}']
    parse: {format: keyvalue, metrics: {lat: {unit: us, better: lower}}}
EOF
}
repeats() { sql "$1" "select group_concat(status || ':' || repeats_done || '/' || repeats, ' ') from (select * from cases order by ordinal)"; }
adaptive_events() { sql "$1" "select message from events where kind = 'adaptive'"; }

say "the plan shows the range"
ab 1.30 > big.yaml
expect_exit 0 "$NETRIG" plan big.yaml
expect_grep 't/variant=base +\(x3\.\.20 until clear\)' out "min..max in the plan"

say "A/B, 30 % slower: stops early as a regression, both variants with the same pairs"
expect_exit 0 "$NETRIG" run big.yaml --db big.db
got=$(repeats big.db)
pairs=$(echo "$got" | sed -n 's/^passed:\([0-9]*\)\/20 passed:\1\/20$/\1/p')
[ -n "$pairs" ] || fail "both cases passed with the same repeats: $got"
[ "$pairs" -lt 20 ] || fail "a 30 % shift should stop before 20 pairs: $got"
[ "$pairs" -ge 3 ] || fail "at least min pairs: $got"
expect_grep "^netrig: adaptive: decided after $pairs pairs: main lat regression" err "the decision said"
expect_eq "$(adaptive_events big.db | grep -c "^decided after $pairs pairs: main lat regression")" 1 \
	"the decision stored once as an event"
expect_eq "$(sql big.db "select count(*) from attempts where repeat >= 0")" $((2 * pairs)) \
	"exactly that many pairs ran"

say "compare --variants judges it as the run did, sequentially, and fails"
expect_exit 1 "$NETRIG" compare --variants --db big.db
expect_grep '^regression +t +lat ' out "a regression"
expect_grep 'adaptive repeats \(1 series\)' out "the legend says how"
interval=$(adaptive_events big.db | sed -n 's/.*regression +[0-9.]* % \[\(+[0-9.]*\) %, \(+[0-9.]*\) %\].*/\1, \2/p')
[ -n "$interval" ] || fail "no interval in the event: $(adaptive_events big.db)"
grep -q "\[$interval\]" out || fail "compare's interval is the run's [$interval]: $(cat out)"
expect_exit 1 "$NETRIG" compare --variants --db big.db --format json -o big.json
expect_eq "$(python3 -c "import json; s = json.load(open('big.json'))['series'][0]; print(s['sequential'], s['seq_level'] > 0)")" \
	"True True" "json marks it sequential with its level"
expect_exit 1 "$NETRIG" report --db big.db
expect_grep "passed +$pairs \(max 20\)" out "report: the repeats run, of at most 20"

say "A/A: stable before max, or max; never a regression"
ab 1.00 > aa.yaml
expect_exit 0 "$NETRIG" run aa.yaml --db aa.db
got=$(repeats aa.db)
case "$got" in
"passed:20/20 passed:20/20") expect_grep "stopped at max" err "at max, said" ;;
*) n=$(echo "$got" | sed -n 's/^passed:\([0-9]*\)\/20 passed:\1\/20$/\1/p')
   [ -n "$n" ] || fail "A/A cases: $got"
   expect_grep "^netrig: adaptive: decided after $n pairs: main lat stable" err "stable, said" ;;
esac
expect_exit 0 "$NETRIG" compare --variants --db aa.db
expect_no_grep '^(regression|improvement) ' out "no false alarm"

say "resume of a cut adaptive case: the cut pair completed, the decision where an uninterrupted run takes it"
ab 1.10 > mid.yaml
expect_exit 0 "$NETRIG" -q run mid.yaml --db whole.db
want=$(adaptive_events whole.db)
wpairs=$(echo "$want" | sed -n 's/^decided after \([0-9]*\) pairs.*/\1/p')
[ -n "$wpairs" ] && [ "$wpairs" -ge 5 ] || fail "the 10 % case should take 5 pairs or more: $want"
ab 1.10 0.3 | sed 's/^campaign: .*/campaign: ab1.10/' > slow.yaml
"$NETRIG" -q run slow.yaml --db cut.db > bg.out 2> bg.err &
pid=$!
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'
# 7 samples: pairs 0-2 whole (the look at 3 pairs undecided), pair 3's first half
wait_until 30 sh -c "[ \"\$(sqlite3 -cmd '.timeout 2000' cut.db 'select count(*) from samples' 2> /dev/null)\" = 7 ]" ||
	fail "7 samples were not stored: $(cat bg.err)"
kill -9 $pid
wait $pid 2> /dev/null
pid=""
expect_eq "$(repeats cut.db)" "running:3/20 running:4/20" "cut inside pair 3"
expect_eq "$(adaptive_events cut.db)" "" "no decision yet"
expect_exit 0 "$NETRIG" -q run --resume slow.yaml --db cut.db
expect_eq "$(repeats cut.db)" "passed:$wpairs/20 passed:$wpairs/20" "the resumed run stops where the whole one did"
expect_eq "$(adaptive_events cut.db)" "$want" "the same decision, noted once"
expect_eq "$(sql cut.db "select count(*) || ' ' || count(distinct c.key || '/' || a.repeat) from attempts a join cases c on c.id = a.case_id where a.outcome = 'passed'")" \
	"$((2 * wpairs)) $((2 * wpairs))" "every repeat once"

say "without variants: --baseline names the baseline run; without one, min repeats"
cat > one.yaml <<'EOF'
campaign: one
tests:
  - name: t
    repeat: {min: 3, max: 20, until: clear}
    matrix: {salt: [3, 4]}
    run: [sh, -c, 'sh ./double.sh $(cat factor) {salt} {repeat}']
    parse: {format: keyvalue, metrics: {lat: {unit: us, better: lower}}}
EOF
echo 1.00 > factor
expect_exit 0 "$NETRIG" run one.yaml --db one.db
expect_eq "$(repeats one.db)" "passed:3/20 passed:3/20" "no baseline: min repeats"
expect_eq "$(adaptive_events one.db | grep -c '^no baseline')" 2 "and says so per case"
echo 1.40 > factor
expect_exit 0 "$NETRIG" run one.yaml --db one.db --baseline latest --label k=v
got=$(sql one.db "select repeats_done from cases c join runs r on r.id = c.run_id where r.labels like '%k%' order by ordinal")
for n in $got; do
	[ "$n" -lt 20 ] || fail "40 % slower against the baseline: early stops expected, got $got"
done
base=$(sql one.db "select uuid_str(id) from runs order by started_at limit 1")
expect_eq "$(sql one.db "select json_extract(labels, '\$.baseline_run') from runs order by started_at desc limit 1")" "$base" \
	"the baseline kept with the run"
expect_eq "$(adaptive_events one.db | grep -c 'main lat regression')" 2 "both cases decided regression"
expect_exit 1 "$NETRIG" compare "$base" latest --db one.db
[ "$(grep -c '^regression ' out)" = 2 ] || fail "compare: 2 regressions: $(cat out)"
expect_exit 2 "$NETRIG" run one.yaml --db one.db --baseline nosuch
expect_grep "no run matches 'nosuch'" err "a baseline that names no run"
expect_exit 2 "$NETRIG" run --resume one.yaml --db one.db --baseline latest
expect_grep "does not apply to --resume" err "no new baseline on resume"

say "bad keys: file:line:column"
printf 'tests:\n  - name: t\n    run: x\n    repeat: {min: 3, max: 2, until: clear}\n' > bad.yaml
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "^bad.yaml:4:27: 'max' of 'repeat' \(2\) is below its 'min' \(3\)" err "max below min"
printf 'tests:\n  - name: t\n    run: x\n    repeat: {min: 3, max: 20, until: never}\n' > bad.yaml
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "^bad.yaml:4:38: 'until' of 'repeat' must be clear" err "until other than clear"
done_ok
