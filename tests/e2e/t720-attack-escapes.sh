#!/bin/sh
# Issue 11 items 4 and 5, attacked end to end: a campaign full of hostile
# strings (campaign name, labels, matrix values, commit, branch) and a role
# that writes terminal escapes to stderr and fails. Every output netrig
# makes of it must stay what it is:
#   - terminal text (run's progress, plain and on a terminal; status, watch,
#     results, report, compare, changes, log, db runs, plan): no ESC, BEL,
#     CSI or CR of theirs;
#   - markdown: every table row keeps its header's cell count, no heading
#     or link of theirs;
#   - JUnit: well-formed XML (Python's parser);
#   - JSON parses and keeps their text exactly; CSV rows keep their fields
#     and no cell starts a formula; HTML has no <script> but its own.
# Nothing is lost on the way: `log --raw` gives the role's bytes back.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

cat > evil.yaml <<'EOF'
campaign: "evil\n# HEADING\n[click](http://evil.example) <script>alert(1)</script> a|b|c `x` \e]0;TITLE\a\e[2J\e[31mfake all passed\u009b2J"
labels: {team: "<script>alert(2)</script>|\n# L\e[2J", "k|`x`": "v"}
defaults: {repeat: 2, retries: 0, timeout: 20s}
tests:
  - name: esc
    run: [sh, -c, 'echo "lat=$2"; printf "\033]0;TITLE\007\033[2J\033[31mfake all passed %s\r\n" "$1" >&2; exit $3',
          sh, "{v}", "{repeat}5", "{code}"]
    matrix:
      v:
        - "a|b|c"
        - "<script>alert(3)</script>"
        - "]]> & \" ' `tick` ``x``"
        - "[click](http://evil.example) ![i](http://evil.example/i.png) <!-- c -->"
        - "\e[2J\u009b31m\r\tz\n# V"
        - "=cmd|' /C calc'!A0"
        - "-2+3"
        - "$x$ *em* _u_ ~~s~~ \\ {{}}"
      code: [0, 1]
    parse: {format: keyvalue, metrics: {lat: {unit: us, better: lower}}}
EOF
python3 -c 'print("        - \"|" + "L" * 3000 + "\"")' > long
sed -i '/^        - "\$x\$/r long' evil.yaml
esc=$(printf '\033')
commit=$(printf 'c0ffee|`x`\n# C%s[2J' "$esc")
branch=$(printf 'br|<script>%s[31m' "$esc")

# FILE WHAT [OURS]: no byte a terminal acts on; OURS (a regex) is removed first
terminal_safe() {
	python3 - "$1" "$2" "${3:-}" <<'PY' || fail "$2: control characters reach the terminal"
import re, sys
data = open(sys.argv[1], "rb").read()
if sys.argv[3]:
    data = re.sub(sys.argv[3].encode(), b"", data)
bad = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", data)
if bad:
    at = bad.start()
    print("%s: byte %r at %d: %r" % (sys.argv[2], bad.group(), at, data[max(0, at - 40):at + 40]))
    sys.exit(1)
PY
}

markdown_ok() {
	python3 - "$1" "$2" <<'PY' || fail "$2: markdown broken"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
def pipes(line):
    return len(re.findall(r"(?<!\\)\|", line))
want = None
for line in text.split("\n"):
    if line.startswith("|"):
        if want is None:
            want = pipes(line)
        assert pipes(line) == want, "%s: a row with %d cells, its table %d: %r" % (sys.argv[2], pipes(line), want, line[:200])
    else:
        want = None
    assert not line.startswith("#") or line.startswith("## netrig") or line.startswith("### "), \
        "%s: a heading of theirs: %r" % (sys.argv[2], line[:100])
# outside code spans: no link, image, HTML or math of theirs
plain = re.sub(r"(?<!\\)(`+)(?!`).*?(?<!`)\1(?!`)", "", text)
for bad in (r"(?<!\\)\[click\]", r"(?<!\\)<script", r"(?<!\\)<!--", r"(?<!\\)!\[i\]", r"(?<!\\)\$x"):
    m = re.search(bad, plain)
    assert not m, "%s: unescaped %r: %r" % (sys.argv[2], bad, plain[max(0, m.start() - 30):m.start() + 40])
PY
}

xml_ok() {
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1" ||
		fail "$2: not well-formed XML"
}

json_ok() {
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" || fail "$2: not JSON"
}

# FILE WHAT: every CSV section (blank lines between) keeps its header's field count; no formula
csv_ok() {
	python3 - "$1" "$2" <<'PY' || fail "$2: CSV broken"
import csv, io, sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
for section in text.split("\r\n\r\n"):
    rows = list(csv.reader(io.StringIO(section)))
    rows = [r for r in rows if r]
    for r in rows:
        assert len(r) == len(rows[0]), "%s: %d fields, header %d: %r" % (sys.argv[2], len(r), len(rows[0]), r)
        for cell in r:
            try:
                float(cell)
                continue
            except ValueError:
                pass
            assert not cell or cell[0] not in "=+-@\t\r", "%s: a formula: %r" % (sys.argv[2], cell[:60])
PY
}

html_ok() {
	python3 - "$1" "$2" <<'PY' || fail "$2: HTML holds markup of theirs"
import sys
h = open(sys.argv[1], encoding="utf-8").read()
assert h.count("<script") == 1 and "<script>\ndocument." in h, "a <script> that is not ours"
for bad in ("<!-- c", "<img", "href=\"http", "\x1b"):
    assert bad not in h, bad
PY
}

say "two runs of the hostile campaign: failures reported, exit 1"
"$NETRIG" run evil.yaml --db e.db --commit "$commit" --branch "$branch" --label "x=$(printf '%s[2J|<b>' "$esc")" \
	> run1.out 2> run1.err
[ $? = 1 ] || fail "run 1: exit $?, not 1: $(head -c 500 run1.err)"
"$NETRIG" run evil.yaml --db e.db --commit "$commit" --branch "$branch" > run2.out 2> run2.err
[ $? = 1 ] || fail "run 2 did not exit 1"
expect_grep '%1B\]0;TITLE%07%1B\[2J%1B\[31mfake all passed' run1.err "the error, escaped, in the progress"
for f in run1.out run1.err run2.out run2.err; do
	terminal_safe $f "run's $f"
done

if command -v script > /dev/null; then
	say "run's progress on a terminal (script(1)): only its own line-clearing codes"
	script -qec "$NETRIG run evil.yaml --db tty.db" /dev/null > tty.out 2>&1 < /dev/null
	expect_grep 'passed' tty.out "run on a terminal"
	terminal_safe tty.out "run on a terminal" '\r\x1b\[K|\r\n|\r$'
	script -qec "$NETRIG --db e.db status --watch" /dev/null > watch-tty.out 2>&1 < /dev/null
	terminal_safe watch-tty.out "status --watch on a terminal" '\x1b\[H\x1b\[J|\r\n'
	expect_grep '^error: ' watch-tty.out "the watch view shows errors"
fi

say "terminal text: status, watch, results, report, compare, changes, log, db runs, plan"
expect_exit 0 "$NETRIG" --db e.db status
terminal_safe out "status"
expect_grep "fake all passed" out "status shows the error"
expect_exit 0 "$NETRIG" --db e.db status --watch
terminal_safe out "status --watch"
expect_exit 0 "$NETRIG" --db e.db results
terminal_safe out "results"
base=$(sql e.db "select uuid_str(id) from runs order by started_at, id limit 1")
"$NETRIG" --db e.db report --baseline "$base" > out 2> err
[ $? -le 1 ] || fail "report --baseline: $(cat err)"
terminal_safe out "report"
cp out report.txt
expect_exit 0 "$NETRIG" --db e.db compare latest latest --threshold 1000%
terminal_safe out "compare"
"$NETRIG" --db e.db changes > out 2> err
terminal_safe out "changes"
terminal_safe err "changes (stderr)"
expect_exit 0 "$NETRIG" --db e.db db runs
terminal_safe out "db runs"
"$NETRIG" --db e.db log 'esc/code=1,v=a|b|c' > out 2> err || fail "log: $(cat err)"
terminal_safe out "log" '\r\n' # a CRLF line end is a line end
expect_grep "fake all passed a\\|b\\|c" out "log shows the output"
expect_exit 0 "$NETRIG" plan evil.yaml --commands
terminal_safe out "plan --commands"

say "nothing lost: log --raw gives the role's bytes back"
"$NETRIG" --db e.db log 'esc/code=1,v=a|b|c' --raw --stream stderr > raw 2> err || fail "log --raw: $(cat err)"
printf '\033]0;TITLE\007\033[2J\033[31mfake all passed a|b|c\r\n' > want
cmp -s raw want || fail "log --raw is not what the role wrote: $(od -An -tx1 raw | head -5)"

for fmt in md json junit csv html; do
	say "report --format $fmt"
	"$NETRIG" --db e.db report --format $fmt --baseline "$base" > report.$fmt 2> err
	[ $? -le 1 ] || fail "report --format $fmt: $(cat err)"
	[ -s report.$fmt ] || fail "report --format $fmt is empty: $(cat err)"
done
markdown_ok report.md "report md"
json_ok report.json "report json"
xml_ok report.junit "report junit"
csv_ok report.csv "report csv"
html_ok report.html "report html"
terminal_safe report.md "report md"
terminal_safe report.junit "report junit"
python3 - report.json <<'PY' || fail "report json lost the hostile text"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["campaign"].startswith("evil\n# HEADING\n[click](http://evil.example) <script>"), r["campaign"][:80]
assert "\x1b]0;TITLE\x07\x1b[2J" in r["campaign"]
assert r["commit"] == "c0ffee|`x`\n# C\x1b[2J", r["commit"]
assert r["labels"]["team"] == "<script>alert(2)</script>|\n# L\x1b[2J"
errors = [c["error"] for c in r["cases"] if c["error"]]
assert "role main: exit 1: \x1b]0;TITLE\x07\x1b[2J\x1b[31mfake all passed a|b|c" in errors, errors
PY

for fmt in md json junit; do
	say "compare --format $fmt"
	"$NETRIG" --db e.db compare "$base" latest --format $fmt > cmp.$fmt 2> err
	[ -s cmp.$fmt ] || fail "compare --format $fmt is empty: $(cat err)"
done
markdown_ok cmp.md "compare md"
json_ok cmp.json "compare json"
xml_ok cmp.junit "compare junit"

say "status and results as CSV and JSON"
expect_exit 0 "$NETRIG" --db e.db status --csv
cp out status.csv
csv_ok status.csv "status csv"
terminal_safe status.csv "status csv" '\r\n'
expect_exit 0 "$NETRIG" --db e.db status --json
cp out status.json
json_ok status.json "status json"
expect_exit 0 "$NETRIG" --db e.db results --format csv
cp out results.csv
csv_ok results.csv "results csv"
expect_exit 0 "$NETRIG" --db e.db results --format json
cp out results.json
json_ok results.json "results json"
"$NETRIG" --db e.db changes --format md > changes.md 2> err
markdown_ok changes.md "changes md"
"$NETRIG" --db e.db changes --format json > changes.json 2> err
json_ok changes.json "changes json"
expect_exit 0 "$NETRIG" --db e.db report --dashboard
json_ok out "dashboard"
done_ok
