#!/bin/sh
# Choosing cases (issue 14): --test glob patterns with '-' to leave out,
# over test names or case keys; --set narrowing and overriding a matrix
# parameter; --from; all stored with the run so a resume plans the same;
# and --rerun of chosen cases in the same run, their old attempts kept,
# superseded, and left out of the results, reports and comparisons.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"
R=$(db r) && K=$(db k) && F=$(db f) || fail "cannot make the databases"
agg=group_concat
is_pg "$R" && agg=string_agg

cat > c.yaml <<'EOF'
campaign: sel
tests:
  - name: tcp_rr
    run: [sh, -c, 'echo "{test} {size}" >> ran.log; echo "value=$(cat val 2>/dev/null || echo 1)"']
    matrix: {size: [1, 64, 1024]}
    parse: {format: keyvalue, metrics: {value: {}}}
  - name: tcp_crr
    run: [sh, -c, 'echo "{test} {size}" >> ran.log; echo value=1']
    matrix: {size: [1, 64]}
    parse: {format: keyvalue, metrics: {value: {}}}
  - name: udp_rr
    run: [sh, -c, 'echo "{test} {size}" >> ran.log; echo value=1']
    matrix: {size: [1, 64]}
    parse: {format: keyvalue, metrics: {value: {}}}
EOF

keys() { # netrig plan ARGS... -> the planned keys on one line
	expect_exit 0 "$NETRIG" plan c.yaml --json "$@"
	python3 -c 'import json,sys; print(" ".join(c["key"] for c in json.load(open(sys.argv[1]))))' out
}

say "--test 'tcp*' --test -tcp_crr: tcp_rr only"
expect_eq "$(keys --test 'tcp*' --test -tcp_crr)" "tcp_rr/size=1 tcp_rr/size=64 tcp_rr/size=1024" "glob with an exclusion"
say "'?' and an exclusion alone"
expect_eq "$(keys --test '???_rr')" "tcp_rr/size=1 tcp_rr/size=64 tcp_rr/size=1024 udp_rr/size=1 udp_rr/size=64" "'?' patterns"
expect_eq "$(keys --test -udp_rr --test -tcp_rr)" "tcp_crr/size=1 tcp_crr/size=64" "exclusions only"
say "a pattern with a '/' is over case keys"
expect_eq "$(keys --test '*/size=64')" "tcp_rr/size=64 tcp_crr/size=64 udp_rr/size=64" "key patterns"
expect_eq "$(keys --test 'tcp*' --test '-*/size=1')" "tcp_rr/size=64 tcp_rr/size=1024 tcp_crr/size=64" "key exclusion"
say "--set narrows to values of the matrix, and overrides with others"
expect_eq "$(keys --test tcp_rr --set size=64)" "tcp_rr/size=64" "narrowed"
expect_eq "$(keys --test udp_rr --set size=9000 --set size=1)" "udp_rr/size=9000 udp_rr/size=1" "overridden, in the order given"
say "--from starts at a test"
expect_eq "$(keys --from tcp_crr)" "tcp_crr/size=1 tcp_crr/size=64 udp_rr/size=1 udp_rr/size=64" "--from"

say "errors name the pattern and exit 2"
for args in "--test nope*" "--test -nope" "--test tcp*/size=7" "--from nope" "--set nope=1" "--set size" "--test tcp_rr --test -tcp_rr"; do
	# shellcheck disable=SC2086 # the words are the arguments
	expect_exit 2 "$NETRIG" plan c.yaml $args
	[ -s err ] || fail "plan $args: no message"
	# shellcheck disable=SC2086
	expect_exit 2 "$NETRIG" run c.yaml --db "$R" $args
done
expect_exit 2 "$NETRIG" plan c.yaml --test 'nope*'
expect_grep "c.yaml: --test 'nope\*' matches no test name" err "the pattern named"
expect_exit 2 "$NETRIG" plan c.yaml --set nope=1
expect_grep "c.yaml: --set nope=1: no test chosen has a matrix parameter 'nope'" err "the parameter named"
expect_exit 2 "$NETRIG" run c.yaml --db "$R" --set size=64 --test udp_rr --rerun tcp_rr
expect_grep "rerun" err "--rerun without --resume"
# (no tables yet is no run)
n=$(sql "$R" 'select count(*) from runs' 2> /dev/null)
[ "${n:-0}" != 0 ] && fail "a refused run left a run behind"
rm -f r.db

say "run: --test and --set choose what runs, stored with the run"
expect_exit 0 "$NETRIG" -q run c.yaml --db "$R" --test 'tcp*' --test -tcp_crr --set size=64 --set size=9000
expect_eq "$(sort ran.log | tr '\n' ' ')" "tcp_rr 64 tcp_rr 9000 " "what ran"
expect_eq "$(sql "$R" 'select key from cases order by ordinal' | tr '\n' ' ')" "tcp_rr/size=64 tcp_rr/size=9000 " "the cases stored"
expect_grep '"set":\[\["size","64"\],\["size","9000"\]\]' "$(sql "$R" 'select options from runs' > opts; echo opts)" "options stored"

say "--rerun: a finished run's chosen cases run again; the old attempts are superseded"
rm -f ran.log
echo 7 > val
expect_exit 2 "$NETRIG" run --resume c.yaml --db "$R" --rerun 'udp*'
expect_grep "rerun 'udp\*' matches no case" err "a --rerun pattern that matches nothing"
expect_exit 0 "$NETRIG" run --resume c.yaml --db "$R" --rerun 'tcp_rr/size=9000'
expect_eq "$(cat ran.log)" "tcp_rr 9000" "only the case asked for ran again (with its --set value)"
expect_eq "$(sql "$R" "select count(*) || ' ' || sum(superseded) from attempts a join cases c on c.id = a.case_id where c.key = 'tcp_rr/size=9000'")" "2 1" "two attempts, the first superseded"
expect_eq "$(sql "$R" "select status || ' ' || repeats_done from cases where key = 'tcp_rr/size=9000'")" "passed 1" "the case passed again"
expect_eq "$(sql "$R" 'select status from runs')" passed "the run passed"
expect_exit 0 "$NETRIG" results --db "$R" --format json
python3 - out <<'PY' || fail "results use the superseded attempt"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc if isinstance(doc, list) else doc.get("results", doc.get("rows"))
vals = {(r.get("key") or r.get("case")): r for r in rows}
r = vals["tcp_rr/size=9000"]
med = r.get("median", r.get("value"))
assert med == 7, r
assert r.get("n", r.get("repeats", 1)) == 1, r
PY
say "compare and report see only the new attempt"
expect_exit 0 "$NETRIG" report --db "$R" --format json
python3 - out <<'PY' || fail "the report uses the superseded attempt"
import json, sys
res = [r for r in json.load(open(sys.argv[1]))["results"] if r["case"] == "tcp_rr/size=9000"]
assert len(res) == 1 and res[0]["n"] == 1 and res[0]["median"] == 7, res
PY
first=$(sql "$R" 'select uuid_str(id) from runs')
expect_exit 0 "$NETRIG" -q run c.yaml --db "$R" --test tcp_rr --set size=9000
expect_exit 0 "$NETRIG" compare --db "$R" "$first" latest --format json
python3 - out <<'PY' || fail "compare read the superseded sample"
import json, sys
s = [x for x in json.load(open(sys.argv[1]))["series"] if x["case"] == "tcp_rr/size=9000"]
assert len(s) == 1 and s[0]["n_baseline"] == 1 and s[0]["median_baseline"] == 7, s
PY
expect_exit 0 "$NETRIG" log --db "$R" --run "$first" tcp_rr/size=9000
expect_grep "superseded" out "netrig log shows the superseded attempt as such"

say "a rerun that fails, then a resume: the earlier failures do not count against retries"
rm -f ran.log
echo notanumber > val
expect_exit 1 "$NETRIG" -q run --run "$first" --db "$R" --rerun tcp_rr
expect_eq "$(sql "$R" "select status from runs where id = uuid_blob('$first')")" failed "the rerun failed"
echo 3 > val
expect_exit 0 "$NETRIG" -q run --run "$first" --db "$R" --rerun tcp_rr
expect_eq "$(sql "$R" "select count(*) from samples s join attempts a on a.id = s.attempt_id join cases c on c.id = a.case_id where a.superseded = 0 and c.run_id = uuid_blob('$first')")" 2 \
	"each case has one current sample"

say "a rerun's retries: the superseded failures do not count against them"
cat > flaky.yaml <<'EOF2'
campaign: flaky
tests:
  - name: flaky
    retries: 1
    run: [sh, -c, 'if [ -e failnext ]; then rm failnext; exit 1; fi; echo value=1']
    parse: {format: keyvalue, metrics: {value: {}}}
EOF2
touch failnext
expect_exit 0 "$NETRIG" -q run flaky.yaml --db "$K"
expect_eq "$(sql "$K" "select $agg(outcome, ' ') from (select * from attempts order by number) x")" "failed passed" "the first run retried once"
touch failnext
expect_exit 0 "$NETRIG" -q run --resume flaky.yaml --db "$K" --rerun flaky
expect_eq "$(sql "$K" "select $agg(outcome || superseded, ' ') from (select * from attempts order by number) x")" \
	"failed1 passed1 failed0 passed0" "the rerun had its own retry"

say "--from in a new run, stored: the run's cases start there"
rm -f ran.log
expect_exit 0 "$NETRIG" -q run c.yaml --db "$F" --from udp_rr
expect_eq "$(sort ran.log | tr '\n' ' ')" "udp_rr 1 udp_rr 64 " "--from ran the last test only"
expect_exit 2 "$NETRIG" run --resume c.yaml --db "$F" --test tcp_rr
expect_grep "a resumed run keeps" err "selection with --resume refused"
done_ok
