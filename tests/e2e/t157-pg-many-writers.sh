#!/bin/sh
# Many writers into one PostgreSQL database (issue 15): 4 controllers
# start at the same moment on a database that has no tables yet (they
# make the schema once between them) and each writes 2 runs of a
# campaign with a retry in it; afterwards every run, case, attempt,
# output and sample is there exactly as often as the campaign says, none
# lost, none twice, each value in its own case and repeat. (4 resumes of
# one run at once on PostgreSQL: t702.)
# backends: postgresql
. "$(dirname "$0")/lib.sh"

writers=4
runs_each=2
cat > c.yaml <<'EOF'
campaign: writers
tests:
  - name: w
    repeat: 3
    retries: 1
    # the first attempt of case 6 fails once: one retry per run
    run: [sh, -c, 'if [ {n} = 6 ] && [ {repeat} = 0 ] && [ {attempt} = 1 ]; then exit 1; fi;
                   echo "a={n}{repeat}"; echo "b={n}"; echo "c=1.5"; echo "d=2.25"; echo "e=-3"']
    matrix: {n: [1, 2, 3, 4, 5, 6]}
    parse: {format: keyvalue, metrics: {a: {}, b: {}, c: {}, d: {}, e: {}}}
EOF
D=$(db shared)
pids=""
at_exit 'for p in $pids; do kill -9 $p 2> /dev/null; done'

say "$writers controllers, $runs_each runs each, into one new database at once"
rm -f go
k=0
while [ $k -lt $writers ]; do
	sh -c 'while [ ! -e go ]; do sleep 0.005; done
		for r in $(seq 1 "$2"); do
			"$0" -q --db "$1" run c.yaml --label writer="$3" --commit "w$3r$r" || exit 1
		done' "$NETRIG" "$D" $runs_each $k > w$k.out 2>&1 &
	pids="$pids $!"
	k=$((k + 1))
done
touch go
for p in $pids; do
	wait $p || { cat w*.out; fail "a controller failed"; }
done
pids=""

runs=$((writers * runs_each))
expect_eq "$(sql "$D" "select count(*) from meta")" 1 "one schema, made once"
expect_eq "$(sql "$D" "select count(*) || ' ' || count(distinct commit_sha) from runs where status = 'passed'")" \
	"$runs $runs" "runs, all passed, each once"
expect_eq "$(sql "$D" "select count(*) from cases where status = 'passed' and repeats_done = 3 and attempts in (3, 4)")" \
	$((runs * 6)) "cases"
expect_eq "$(sql "$D" "select count(*) from attempts")" $((runs * 19)) "attempts (18 and a retry per run)"
expect_eq "$(sql "$D" "select count(*) from attempts where outcome = 'failed'")" $runs "failed attempts, one per run"
expect_eq "$(sql "$D" "select count(*) from outputs")" $((runs * 19 * 2)) "outputs: stdout and stderr of each attempt"
expect_eq "$(sql "$D" "select count(*) from samples")" $((runs * 18 * 5)) "samples"
expect_eq "$(sql "$D" "select count(*) from metrics")" 5 "metrics, each once"
bad=$(sql "$D" "select case_id, repeat, metric, count(*) from samples group by case_id, repeat, metric having count(*) <> 1")
[ -z "$bad" ] || fail "samples twice: $bad"
bad=$(sql "$D" "select c.key, s.repeat, s.value from samples s join cases c on c.id = s.case_id
	where s.metric = 'a' and s.value <> cast(substr(c.key, 5) as integer) * 10 + s.repeat")
[ -z "$bad" ] || fail "samples in the wrong case or repeat: $bad"
bad=$(sql "$D" "select r.commit_sha, count(distinct c.id) from runs r join cases c on c.run_id = r.id
	join samples s on s.case_id = c.id group by r.commit_sha having count(*) <> 90")
[ -z "$bad" ] || fail "runs without all their samples: $bad"
expect_exit 0 "$NETRIG" --db "$D" results --format csv
expect_eq "$(grep -c '^' out)" 31 "results of the latest run: a header and 6 cases x 5 metrics"

done_ok
