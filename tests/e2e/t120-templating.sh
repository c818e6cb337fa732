#!/bin/sh
# Templating: a parameter value is one literal argv element whatever it
# holds (spaces, quotes, ';', $(), backticks, newlines, globs), in a list
# 'run', in a string 'run' (split before templating), inside a longer
# word, and in env; no shell sees it, so nothing it "says" happens.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

# argv.py appends its arguments and $V as one JSON line to ./argv.jsonl
cat > argv.py <<'EOF'
import json, os, sys
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "argv.jsonl"), "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "V": os.environ.get("V")}) + "\n")
EOF
cat > c.yaml <<'EOF'
campaign: tmpl
tests:
  - name: list
    run: [python3, argv.py, "{v}", "x={v}=y", "{{v}}"]
    env: {V: "<{v}>"}
    matrix:
      v:
        - "a b  c"
        - "it's \"quoted\""
        - "; touch pwned1 ;"
        - "$(touch pwned2)"
        - "`touch pwned3`"
        - "line1\nline2"
        - "*"
        - "| tee pwned4 && touch pwned5 > pwned6"
        - ""
  - name: string
    run: python3 argv.py {v} 'lit {v}' "two words"
    matrix:
      v: ["a b", "$(touch pwned7)", "'"]
  - name: printf
    run: [printf, '%s\n', "{v}"]
    matrix:
      v: ["one two; three"]
EOF

say "the run passes"
expect_exit 0 "$NETRIG" -q run c.yaml
[ -f argv.jsonl ] || fail "argv.py never ran"

say "each value arrives as one literal argv element, also inside a word and in env"
python3 - argv.jsonl <<'PY' || fail "argv elements"
import json, sys
vals = ["a b  c", "it's \"quoted\"", "; touch pwned1 ;", "$(touch pwned2)", "`touch pwned3`",
        "line1\nline2", "*", "| tee pwned4 && touch pwned5 > pwned6", ""]
want = [{"argv": [v, "x=%s=y" % v, "{v}"], "V": "<%s>" % v} for v in vals]
want += [{"argv": [v, "lit %s" % v, "two words"], "V": None} for v in ["a b", "$(touch pwned7)", "'"]]
got = [json.loads(l) for l in open(sys.argv[1])]
for i, (g, w) in enumerate(zip(got, want)):
    if g != w:
        print("case %d: got %r, want %r" % (i + 1, g, w))
        sys.exit(1)
if len(got) != len(want):
    print("%d lines, want %d" % (len(got), len(want)))
    sys.exit(1)
PY

say "nothing a value says was executed: no pwned files"
ls pwned* > /dev/null 2>&1 && fail "a value was run by a shell: $(ls pwned*)"

say "printf prints a value with ';' as one line"
expect_exit 0 "$NETRIG" log "printf/v=one two; three" --raw
expect_eq "$(cat out)" "one two; three" "printf output of a value with ';'"

say "the stored parameters keep the values exactly"
expect_eq "$(sql netrig.db "select json_extract(params, '\$.v') from cases where ordinal = 6")" \
	"line1
line2" "newline value in params"
expect_eq "$(sql netrig.db "select json_extract(params, '\$.v') from cases where ordinal = 2")" \
	"it's \"quoted\"" "quoted value in params"
expect_eq "$(sql netrig.db "select count(distinct key) from cases")" 13 "13 distinct case keys"

say "plan --commands quotes such values so a reader can see the one word"
expect_exit 0 "$NETRIG" plan c.yaml --commands --test string
expect_grep "python3 argv.py '\\\$\\(touch pwned7\\)'" out "--commands quoting"
ls pwned* > /dev/null 2>&1 && fail "plan ran something: $(ls pwned*)"

say "workdir: the campaign's directory by default, a per-case directory by template"
mkdir -p sub/cases
cat > sub/w.yaml <<'EOF'
campaign: workdir
tests:
  - name: plain
    run: [sh, -c, 'pwd -P > where.txt']
  - name: wd
    workdir: "cases/{v}"
    env: {CASE: "{case}", T: "{test}", P: "{port}"}
    run: [sh, -c, 'pwd -P > where.txt; echo "$CASE|$T|$P" > env.txt; echo "{workdir}" > wd.txt']
    matrix:
      v: [a, "b c"]
EOF
expect_exit 0 "$NETRIG" -q run sub/w.yaml --db w.db
real=$(cd sub && pwd -P)
expect_eq "$(cat sub/where.txt)" "$real" "default workdir is the campaign file's directory"
for v in a "b c"; do
	[ -f "sub/cases/$v/where.txt" ] || fail "no per-case directory 'cases/$v'"
	expect_eq "$(cat "sub/cases/$v/where.txt")" "$real/cases/$v" "per-case workdir"
	expect_eq "$(cd "sub/cases/$v" && cd "$(cat wd.txt)" && pwd -P)" "$real/cases/$v" "{workdir} names the case's directory"
	env_line=$(cat "sub/cases/$v/env.txt")
	case "$env_line" in
	"wd/v=$v|wd|"[0-9]*) ;;
	*) fail "env templates gave '$env_line'" ;;
	esac
	port=${env_line##*|}
	[ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || fail "{port} is $port"
done

say "a workdir that cannot be entered is named in the error, not blamed on the command"
# every missing level is made: one below a plain file cannot be
echo not a directory > sub/afile
cat > sub/bad.yaml <<'EOF'
campaign: badwd
tests:
  - name: nowd
    workdir: "afile/{v}"
    run: [sh, -c, 'true']
    matrix:
      v: [x]
EOF
expect_exit 1 "$NETRIG" -q run sub/bad.yaml --db bad.db
sql bad.db "select error from cases" > bad.err
expect_grep "workdir '.*/sub/afile/x'" bad.err "the error names the workdir"
done_ok
