#!/bin/sh
# netrig plan: the full product of a matrix in order (first parameter
# slowest), random plans (distinct, the same for the same seed, another
# for another seed), --test, and that planning runs and writes nothing.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

cat > c.yaml <<'EOF'
campaign: plan
tests:
  - name: full
    run: [touch, "ran-{a}-{b}-{c}"]
    matrix:
      a: [1, 2]
      b: [x, y, z]
      c: [p, q]
    repeat: 3
  - name: rnd
    run: [touch, "ran-{n}-{m}"]
    generate: random
    count: 5
    seed: 42
    matrix:
      n: [1, 2, 3, 4, 5, 6]
      m: [u, v, w]
  - name: single
    run: [touch, ran-single]
EOF
sed 's/seed: 42/seed: 43/' c.yaml > c43.yaml
sed 's/count: 5/count: 18/' c.yaml > call.yaml

say "plan counts: 12 + 5 + 1 cases"
expect_exit 0 "$NETRIG" plan c.yaml
expect_grep "^campaign plan: 3 tests, 18 cases$" out "plan header"

say "the full product, first parameter slowest, keys name each value"
expect_exit 0 "$NETRIG" plan c.yaml --test full --json
python3 - out <<'PY' || fail "order of the full product"
import json, sys, itertools
cases = json.load(open(sys.argv[1]))
want = [dict(zip("abc", v)) for v in itertools.product(["1", "2"], ["x", "y", "z"], ["p", "q"])]
got = [c["params"] for c in cases]
assert got == want, got
assert [c["ordinal"] for c in cases] == list(range(1, 13)), [c["ordinal"] for c in cases]
assert all(c["test"] == "full" and c["repeat"] == 3 for c in cases)
assert cases[0]["key"] == "full/a=1,b=x,c=p", cases[0]["key"]
assert cases[11]["key"] == "full/a=2,b=z,c=q", cases[11]["key"]
assert len(set(c["key"] for c in cases)) == 12
PY

rnd() { # FILE -> the random test's keys, one a line, in ./keys.FILE
	expect_exit 0 "$NETRIG" plan "$1" --test rnd --json
	python3 -c 'import json,sys; [print(c["key"]) for c in json.load(open(sys.argv[1]))]' out > "keys.$1" ||
		fail "plan --json of $1 is not JSON"
}
say "random: 5 distinct combinations from the matrix"
rnd c.yaml
expect_eq "$(wc -l < keys.c.yaml | tr -d ' ')" 5 "number of random cases"
expect_eq "$(sort -u keys.c.yaml | wc -l | tr -d ' ')" 5 "random cases are distinct"
grep -vE '^rnd/m=[uvw],n=[1-6]$' keys.c.yaml && fail "random keys that are not in the matrix"

say "random: the same seed gives the same plan"
cp keys.c.yaml first
rnd c.yaml
cmp -s first keys.c.yaml || fail "two plans with seed 42 differ: $(cat first) / $(cat keys.c.yaml)"

say "random: another seed gives another plan"
rnd c43.yaml
cmp -s keys.c.yaml keys.c43.yaml && fail "seeds 42 and 43 gave the same plan: $(cat keys.c43.yaml)"
expect_eq "$(sort -u keys.c43.yaml | wc -l | tr -d ' ')" 5 "seed 43 cases are distinct"

say "random: count equal to the matrix size gives every combination once"
rnd call.yaml
expect_eq "$(sort -u keys.call.yaml | wc -l | tr -d ' ')" 18 "count 18 of 18"

say "random from a matrix larger than 2^64 combinations: every parameter varies"
python3 - > huge.yaml <<'PY'
print("campaign: huge\ntests:\n  - name: h\n    run: [true]\n    generate: random\n    count: 200\n    seed: 5\n    matrix:")
for i in range(20):
    print("      p%02d: [%s]" % (i, ", ".join(str(v) for v in range(10))))
PY
expect_exit 0 "$NETRIG" plan huge.yaml --json
cp out huge1.json
python3 - out <<'PY' || fail "random cases of a 10^20 matrix"
import json, sys
cases = json.load(open(sys.argv[1]))
assert len(cases) == 200 and len(set(c["key"] for c in cases)) == 200, len(cases)
for p in ["p%02d" % i for i in range(20)]:
    seen = set(c["params"][p] for c in cases)
    assert len(seen) >= 5, (p, seen)
PY
expect_exit 0 "$NETRIG" plan huge.yaml --json
cmp -s out huge1.json || fail "the 10^20 random plan differs between two runs with one seed"

say "--test picks tests, and the header counts those; an unknown --test is an error"
expect_exit 0 "$NETRIG" plan c.yaml --test single --test rnd
expect_grep "^campaign plan: 2 tests, 6 cases$" out "two tests"
expect_exit 0 "$NETRIG" plan c.yaml --test full --test full
expect_grep "^campaign plan: 1 test, 12 cases$" out "one test named twice"
expect_exit 2 "$NETRIG" plan c.yaml --test nosuch
expect_grep "--test 'nosuch' matches no test name" err "plan --test nosuch"

say "--commands shows each argv with the case's values"
expect_exit 0 "$NETRIG" plan c.yaml --test full --commands
expect_grep "touch ran-2-z-q" out "--commands"

say "case keys stay distinct when values hold ',', '=' or '%'"
cat > k.yaml <<'EOF'
campaign: keys
tests:
  - name: t
    run: [touch, "ran-k"]
    matrix:
      a: ["x", "x,b=y", "%2C", ",", "%"]
      b: ["y,b=z", "z"]
EOF
expect_exit 0 "$NETRIG" plan k.yaml --json
python3 - out <<'PY' || fail "case keys"
import json, sys
keys = [c["key"] for c in json.load(open(sys.argv[1]))]
assert len(keys) == 10 and len(set(keys)) == 10, keys
PY
rm -f ran-k

say "planning runs nothing and writes no database"
ls ran-* > /dev/null 2>&1 && fail "plan ran a command"
[ -e netrig.db ] && fail "plan wrote netrig.db"

say "run follows the plan: the same cases in the same order"
expect_exit 0 "$NETRIG" -q run c.yaml --db r.db
expect_eq "$(sql r.db "select count(*) from cases")" 18 "cases stored"
sql r.db "select key from cases where test = 'rnd' order by ordinal" > stored
cmp -s stored keys.c.yaml || fail "the run's random cases differ from the plan: $(cat stored)"
expect_eq "$(sql r.db "select key from cases where test = 'full' order by ordinal limit 2" | tr '\n' ' ')" \
	"full/a=1,b=x,c=p full/a=1,b=x,c=q " "stored order"
expect_eq "$(ls ran-* | wc -l | tr -d ' ')" 18 "every case's command ran"
done_ok
