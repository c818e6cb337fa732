#!/bin/sh
# Bad campaign files: each one exits 2 with "file:line:column: message"
# naming the key, from both 'plan' and 'run', and runs nothing: the first
# test of every file would touch a marker file, and no database is made.
# Good YAML and JSON files plan and run.
. "$(dirname "$0")/lib.sh"

# bad NAME LINE:COL REGEX < body: the body follows a valid first test
bad() {
	name=$1 pos=$2 want=$3
	{
		printf 'campaign: bad\ntests:\n  - name: marker\n    run: [touch, marker]\n'
		cat
	} > "$name.yaml"
	say "$name: exit 2, '$name.yaml:$pos:' and /$want/"
	expect_exit 2 "$NETRIG" plan "$name.yaml"
	expect_grep "^$name\\.yaml:$pos: " err "plan $name"
	expect_grep "$want" err "plan $name"
	cp err plan.err
	expect_exit 2 "$NETRIG" run "$name.yaml" --db db.sqlite
	cmp -s err plan.err || fail "$name: run and plan give different messages: $(cat err)"
	[ -s out ] && fail "$name: run printed on stdout: $(cat out)"
	[ -e marker ] && fail "$name: a command ran (the marker exists)"
	for f in db.sqlite db.sqlite-wal db.sqlite-journal netrig.db; do
		[ -e "$f" ] && fail "$name: $f was written"
	done
	return 0
}

bad unknown-key 7:5 "unknown key 'repaet' in test 'a' \\(did you mean 'repeat'\\?\\)" <<'EOF'
  - name: a
    run: [true]
    repaet: 3
EOF

bad unknown-top 7:1 "unknown key 'stop_after_failure' in the campaign \\(did you mean 'stop_after_failures'\\?\\)" <<'EOF'
  - name: a
    run: [true]
stop_after_failure: 2
EOF

bad unknown-role-key 9:9 "unknown key 'redy' in a role \\(did you mean 'ready'\\?\\)" <<'EOF'
  - name: a
    roles:
      - name: s
        run: [sleep, 1]
        redy: {port: "{port}"}
EOF

bad type-list 7:13 "'repeat' must be a single value, not a list" <<'EOF'
  - name: a
    run: [true]
    repeat: [1, 2]
EOF

bad type-number 7:13 "'repeat' must be a whole number .* not 'lots'" <<'EOF'
  - name: a
    run: [true]
    repeat: lots
EOF

bad type-duration 7:14 "'timeout' must be a duration .* not 'fast'" <<'EOF'
  - name: a
    run: [true]
    timeout: fast
EOF

bad type-matrix 7:13 "'matrix' must be a mapping, not a list" <<'EOF'
  - name: a
    run: [true]
    matrix: [1, 2]
EOF

bad empty-matrix 8:10 "matrix parameter 'x' is empty" <<'EOF'
  - name: a
    run: [echo, "{x}"]
    matrix:
      x: []
EOF

bad missing-run 5:5 "test 'a' needs 'run' \\(a command\\) or 'roles'" <<'EOF'
  - name: a
    repeat: 2
EOF

bad missing-name 5:5 "a test has no 'name'" <<'EOF'
  - run: [true]
EOF

bad missing-role-run 7:9 "role 's' of test 'a' has no 'run'" <<'EOF'
  - name: a
    roles:
      - name: s
        host: local
EOF

bad random-count 8:12 "count 7 .* only 6|7 .* 6" <<'EOF'
  - name: a
    run: [echo, "{x}", "{y}"]
    generate: random
    count: 7
    matrix:
      x: [1, 2, 3]
      y: [a, b]
EOF
grep -E '\b7\b' err > /dev/null && grep -E '\b6\b' err > /dev/null ||
	fail "random-count: the message does not name both 7 and 6: $(cat err)"

bad ready-port-range 9:23 "'port' must be a TCP port from 1 to 65535 .*not '99999'" <<'EOF'
  - name: a
    roles:
      - name: s
        run: [sleep, 1]
        ready: {port: 99999}
      - name: c
        run: [true]
EOF

bad ready-port-template 9:23 "'ready.port' of role 's' is '70000' in case a/p=70000, not a TCP port" <<'EOF'
  - name: a
    roles:
      - name: s
        run: [sleep, 1]
        ready: {port: "{p}"}
      - name: c
        run: [true]
    matrix: {p: [8080, 70000]}
EOF

bad env-equals 7:11 "'env' name 'A=B' must be letters, digits and '_'" <<'EOF'
  - name: a
    run: [true]
    env: {"A=B": x}
EOF

bad env-empty 8:7 "'env' name '' must be" <<'EOF'
  - name: a
    run: [true]
    env:
      "": x
EOF

bad matrix-too-large 7:5 "the matrix of test 'a' has about 1\\.0e30 combinations, more than 10000000" <<EOF
  - name: a
    run: [true]
    matrix:
$(i=0; while [ $i -lt 30 ]; do echo "      p$i: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"; i=$((i + 1)); done)
EOF

bad syntax-bracket 8:1 "bracket|flow sequence" <<'EOF'
  - name: a
    run: [true
    repeat: 2
EOF

bad syntax-tab 6:2 "tab" <<'EOF'
  - name: a
	run: [true]
EOF

bad unknown-host 6:5 "unknown host 'remote'" <<'EOF'
  - name: a
    host: remote
    run: [true]
EOF

bad unknown-role-host 8:9 "unknown host 'lab2' \\(did you mean 'lab1'\\?\\)" <<'EOF'
  - name: a
    roles:
      - name: s
        host: lab2
        run: [true]
hosts:
  lab1: {transport: local}
EOF

bad unknown-template 6:10 "unknown reference '\\{sise\\}' \\(did you mean '\\{size\\}'\\?\\) in 'run'" <<'EOF'
  - name: a
    run: [echo, "{sise}"]
    matrix:
      size: [1]
EOF

bad unknown-parser 7:21 "unknown parser 'jsno' \\(did you mean 'json'\\?\\)" <<'EOF'
  - name: a
    run: [true]
    parse: {format: jsno, metrics: {x: /a}}
EOF

bad ready-none 9:16 "'ready' needs exactly one of port, regex or delay" <<'EOF'
  - name: a
    roles:
      - name: s
        run: [sleep, 1]
        ready: {timeout: 1s}
      - name: c
        run: [true]
EOF

bad duplicate-value 8:14 "matrix parameter 'x' lists '1' twice" <<'EOF'
  - name: a
    run: [true]
    matrix:
      x: [1, 1]
EOF

bad unterminated-quote "6:1[01]" "'run': unterminated quote" <<'EOF'
  - name: a
    run: "echo 'abc"
EOF

bad bad-metric-regex 10:9 "'regex' of metric 'n' is not a valid regular expression" <<'EOF'
  - name: a
    run: [echo, "x 5"]
    parse:
      format: regex
      metrics:
        n: {regex: "x ([0-9]+"}
EOF

say "an empty campaign name is an error; 'campaign:' without a value takes the file's name"
printf 'campaign: ""\ntests:\n  - name: marker\n    run: [touch, marker]\n' > empty-name.yaml
expect_exit 2 "$NETRIG" run empty-name.yaml --db db.sqlite
expect_grep "^empty-name\\.yaml:1:11: 'campaign' is empty" err "empty campaign name"
[ -e marker ] && fail "empty-name: a command ran"
for v in "" " ~" " null"; do
	printf 'campaign:%s\ntests:\n  - name: a\n    run: [true]\n' "$v" > null-name.yaml
	expect_exit 0 "$NETRIG" plan null-name.yaml
	expect_grep "^campaign null-name: " out "'campaign:$v' is named after the file"
done

say "a missing campaign file: exit 2 and its name"
expect_exit 2 "$NETRIG" plan nosuch.yaml
expect_grep "nosuch\\.yaml" err "missing file"

# JSON is YAML's flow form: positions work the same
say "JSON: a good file plans and runs"
cat > good.json <<'EOF'
{"campaign": "j", "tests": [
  {"name": "a", "run": ["sh", "-c", "echo {x} >> seen"], "matrix": {"x": ["1", "2"]}}
]}
EOF
expect_exit 0 "$NETRIG" plan good.json
expect_grep "^campaign j: 1 test, 2 cases" out "plan of good.json"
expect_exit 0 "$NETRIG" -q run good.json --db j.db
expect_eq "$(tr '\n' ' ' < seen)" "1 2 " "the JSON campaign's commands ran once each"
expect_eq "$(sql j.db "select group_concat(key || ':' || status, ' ') from (select * from cases order by ordinal)")" \
	"a/x=1:passed a/x=2:passed" "cases of the JSON run"

say "JSON: unknown key and syntax errors have positions"
printf '{"tests": [{"name": "a", "run": ["true"], "repaet": 2}]}\n' > bad1.json
expect_exit 2 "$NETRIG" plan bad1.json
expect_grep "^bad1\\.json:1:[0-9]+: unknown key 'repaet'.*did you mean 'repeat'" err "bad1.json"
printf '{"tests": [{"name": "a", "run": ["true"]}\n' > bad2.json
expect_exit 2 "$NETRIG" run bad2.json --db j2.db
expect_grep "^bad2\\.json:[0-9]+:[0-9]+: " err "bad2.json"
[ -e j2.db ] && fail "bad2.json wrote a database"

say "a good YAML file with every kind of key plans"
cat > good.yaml <<'EOF'
campaign: good
description: every key once
labels: {team: net}
stop_after_failures: 3
hosts:
  local: {transport: local}
defaults:
  repeat: 2
  timeout: 10s
  env: {A: "1"}
tests:
  - name: one
    run: echo {x} {repeat} {attempt} {test} {case}
    matrix: {x: [a, b]}
    retries: 1
    kill_grace: 1s
    output_limit: 64K
    workdir: "{workdir}"
  - name: two
    roles:
      - name: srv
        run: [sleep, "5"]
        ready: {delay: 10ms}
      - name: cli
        host: local
        main: true
        run: [echo, "{host.local.address}", "{port}"]
        env: {B: "2"}
    parse:
      format: regex
      metrics:
        n: {regex: "took ([0-9]+)", unit: s, better: lower, optional: true}
    generate: random
    count: 2
    seed: 7
    matrix: {y: [1, 2, 3]}
EOF
expect_exit 0 "$NETRIG" plan good.yaml
expect_grep "^campaign good: 2 tests, 4 cases" out "plan of good.yaml"
[ -e netrig.db ] && fail "plan wrote a database"
done_ok
