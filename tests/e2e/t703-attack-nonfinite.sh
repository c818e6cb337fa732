#!/bin/sh
# Hostile numbers (issue 11, item 1): every way to print a number that is
# not finite (nan, -nan, NAN(123), inf, Infinity, 1e999, and 1e308 that
# overflows once converted from Gbit/s) through every generic parser
# (keyvalue with and without declared metrics, regex, json as a string and
# bare). Each such attempt is a parse failure that names where the value
# was, its raw output is kept, and the run goes on to its last case; a
# resume goes past such a case too. No NaN or infinity reaches the store,
# the results or a comparison, also when an older database holds one.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF'
campaign: nonfinite
defaults: {repeat: 1, retries: 0}
tests:
  - {name: a, run: [echo, ok]}
  - name: good
    repeat: 3
    run: [echo, "v=5"]
    parse: {format: keyvalue, metrics: {v: {better: lower}}}
  - name: kv
    matrix: &spellings
      s: ["nan", "-nan", "NaN", "NAN(123)", "nan(0x7ff)", "inf", "-inf", "INF", "Infinity", "-Infinity", "1e999", "-1e999"]
    run: [printf, 'x=1\nv=%s\n', '{s}']
    parse: {format: keyvalue, metrics: {v: {optional: true}}}
  - name: kvall
    matrix: *spellings
    run: [printf, 'v=%s\n', '{s}']
    parse: keyvalue
  - name: rx
    matrix: *spellings
    run: [printf, 'head\nlatency %s us\n', '{s}']
    parse: {format: regex, metrics: {v: {regex: "latency ([^ ]+) us", unit: us}}}
  - name: js
    matrix: *spellings
    run: [printf, '{{"v": "%s"}}\n', '{s}']
    parse: {format: json, metrics: {v: {pointer: /v}}}
  - name: jsbare
    matrix: *spellings
    run: [printf, '{{"v": %s}}\n', '{s}']
    parse: {format: json, metrics: {v: {pointer: /v}}}
  - name: overkv
    run: [printf, 'x=1\nrate=1e308\n']
    parse: {format: keyvalue, metrics: {rate: {unit: Gbit/s}}}
  - name: overrx
    run: [printf, 'rate 1e308 Gbit/s\n']
    parse: {format: regex, metrics: {rate: {regex: "rate ([^ ]+) Gbit/s", unit: Gbit/s}}}
  - name: overjs
    run: [printf, '{{"rate": 1e308}}\n']
    parse: {format: json, metrics: {rate: {pointer: /rate, unit: Gbit/s}}}
  - {name: z, run: [echo, ok]}
EOF
hostile=$((5 * 12 + 3))

say "every hostile value fails its attempt; the run goes on to case z (exit 1, not 3)"
expect_exit 1 "$NETRIG" -q --db n.db run c.yaml
expect_no_grep 'NOT NULL|constraint|Bus error|runtime error' err "no store failure"
expect_eq "$(sql n.db "select status from cases where test in ('a', 'good', 'z') order by ordinal")" \
	"passed
passed
passed" "a, good and z passed"
expect_eq "$(sql n.db "select status from runs")" failed "run status"
expect_eq "$(sql n.db "select count(*) from cases where status = 'failed'")" $hostile "every hostile case failed"
expect_eq "$(sql n.db "select count(*) from attempts where outcome = 'parse_error'")" $hostile \
	"each as a parse error"

say "each message names where the value was and says what is wrong with it"
bad=$(sql n.db "select key || ': ' || error from cases where test in ('kv', 'kvall', 'rx')
	and error not glob '*line [12]: v: ''*'' is not a finite number*'")
[ -z "$bad" ] || fail "messages without the line: $bad"
bad=$(sql n.db "select key || ': ' || error from cases where test = 'js'
	and error not glob '*v at /v: ''*'' is not a finite number*'")
[ -z "$bad" ] || fail "json messages without the pointer: $bad"
bad=$(sql n.db "select key || ': ' || error from cases where test = 'jsbare' and error not glob '*line 1*'")
[ -z "$bad" ] || fail "bare json messages without the line: $bad"
expect_eq "$(sql n.db "select count(*) from cases where test like 'over%'
	and error glob '*''1e*308'' Gbit/s is not a finite number in bit/s*'")" 3 \
	"overflow by the unit is named with the unit"

say "the raw output of every failed attempt is kept"
expect_eq "$(sql n.db "select count(distinct a.id) from attempts a join outputs o on o.attempt_id = a.id
	where a.outcome = 'parse_error' and o.stream = 'stdout' and o.size > 0")" $hostile "outputs kept"
case_key=$(sql n.db "select key from cases where test = 'kv' and params like '%NAN(123)%'")
expect_exit 0 "$NETRIG" --db n.db log "$case_key"
expect_grep 'v=NAN\(123\)' out "netrig log shows the output"

say "nothing that is not finite in the store, the results or their JSON"
expect_eq "$(sql n.db "select count(*) from samples where not (value > -9e999 and value < 9e999)
	or value is null or orig_value > 1e308 or orig_value < -1e308")" 0 "samples all finite"
expect_exit 0 "$NETRIG" --db n.db results
expect_no_grep '(^|[^a-z])(-?nan|-?inf)' out "results table"
expect_exit 0 "$NETRIG" --db n.db results --format json
expect_no_grep '(nan|inf)' out "results json"

say "an older database that holds infinities does not poison results or compare"
expect_exit 0 "$NETRIG" -q --db n.db run c.yaml --test good
# what netrig wrote before it refused them: infinities beside real values
sql n.db "insert into samples select attempt_id, seq + 100, case_id, repeat, role, metric, 9e999,
	unit, 9e999, orig_unit, interval from samples where metric = 'v'
	and case_id in (select id from cases where test = 'good')" || fail "insert"
first=$(sql n.db "select uuid_str(id) from runs order by started_at limit 1")
second=$(sql n.db "select uuid_str(id) from runs order by started_at desc limit 1")
expect_exit 0 "$NETRIG" --db n.db results "$first"
expect_no_grep '(^|[^a-z])(-?nan|-?inf)' out "results of the old run"
expect_grep 'good .*5(\.0+)? ' out "the old run's median is its real one"
expect_exit 0 "$NETRIG" --db n.db compare "$first" "$second"
expect_no_grep '(^|[^a-z])(-?nan|-?inf)' out "compare"
expect_grep '^stable +good' out "the series compares as stable"

say "a resume goes past the hostile case to the end"
cat > r.yaml <<'EOF'
campaign: nanresume
defaults: {repeat: 1, retries: 0}
tests:
  - name: a
    run: [sh, -c, 'if [ -e once ]; then echo ok; else touch once; echo $$ > a.pid; exec sleep 30; fi']
  - name: t
    run: [echo, "v=nan"]
    parse: {format: keyvalue, metrics: {v: {}}}
  - {name: z, run: [echo, ok]}
EOF
"$NETRIG" -q --db r.db run r.yaml > bg.out 2> bg.err &
pid=$!
at_exit "kill -9 $pid 2> /dev/null"
wait_until 10 test -s a.pid || fail "case a did not start"
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || { cat bg.err; fail "interrupted run exited $rc, not 130"; }
expect_exit 1 "$NETRIG" --db r.db run --resume r.yaml
expect_eq "$(sql r.db "select group_concat(test || '=' || status, ' ') from (select * from cases order by ordinal)")" \
	"a=passed t=failed z=passed" "after the resume"
expect_grep "t attempt 1 .*parse_error: .*line 1: v: 'nan' is not a finite number" err \
	"the resume says why t failed"
done_ok
