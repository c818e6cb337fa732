#!/bin/sh
# The HTML report of a real database: eight runs of a small campaign (2
# tests x 3 cases x 5 repeats) with a 20 % step after the fourth, so the
# history has change points and the comparison regressions. The page must
# be balanced HTML with no external URL, and headless Chromium must load
# it without errors and draw it (a screenshot that is not blank).
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
netrig=${NETRIG_BIN:-$top/netrig}
[ -x "$netrig" ] || { echo "no $netrig: run make first"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t600.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# gen BASE: the campaign, its values proportional to BASE ({repeat} adds noise)
gen() {
	cat <<EOT
campaign: html-e2e
defaults:
  repeat: 5
  timeout: 10s
tests:
  - name: stream
    run: ["sh", "-c", "echo throughput=\$(( $1 * {streams} * (100 + {repeat}) )); echo cpu=\$(( 40 + {repeat} ))"]
    matrix:
      streams: [1, 2, 4]
    parse:
      format: keyvalue
      metrics:
        throughput: {unit: Mbit/s, better: higher}
        cpu: {unit: "%", better: lower}
  - name: rr
    run: ["sh", "-c", "echo latency=\$(( 20000 / $1 * {size} / 64 + {repeat} ))"]
    matrix:
      size: [64, 512, 1500]
    parse:
      format: keyvalue
      metrics:
        latency: {unit: us, better: lower}
EOT
}

i=0
for base in 100 100 100 100 80 80 80 80; do
	i=$((i + 1))
	gen $base > c.yaml
	sha=$(printf 'commit %d' $i | sha1sum | cut -c1-40)
	echo "$sha" >> commits
	"$netrig" run c.yaml --db h.db --commit "$sha" --branch main > run$i.out 2>&1 ||
		{ cat run$i.out; fail "run $i exited $?"; }
done
base4=$(sed -n 4p commits)
step=$(sed -n 5p commits | cut -c1-7)

"$netrig" --db h.db report --format html --baseline "commit:$base4" -o report.html 2> report.err
rc=$?
[ $rc = 1 ] || fail "report with regressions exited $rc, not 1: $(cat report.err)"
[ -s report.html ] || fail "no report.html"

python3 - report.html <<'PY' || fail "the page is not balanced HTML"
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "link", "img", "input", "hr", "area", "base", "col", "embed",
        "source", "track", "wbr"}

class Check(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
        for name, value in attrs:
            if name in ("href", "src") and value and not value.startswith("#"):
                self.errors.append("external reference %s=%s" % (name, value))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> at %s does not close %s" % (tag, self.getpos(),
                               self.stack[-1] if self.stack else "anything"))
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

c = Check()
c.feed(open(sys.argv[1], encoding="utf-8").read())
c.close()
if c.stack:
    c.errors.append("unclosed: %s" % c.stack[:5])
for e in c.errors[:10]:
    print(e)
sys.exit(1 if c.errors else 0)
PY
grep -Eiq 'https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(' report.html &&
	fail "the page refers to something outside: $(grep -Eio 'https?://[^ "]*|url\([^)]*\)' report.html | head -3)"
for id in summary charts trends status hosts; do
	grep -q "<section id=\"$id\">" report.html || fail "no section $id"
done
grep -q '<h2>Summary</h2>' report.html || fail "no summary heading"
[ "$(grep -c 'class="badge b-regression"' report.html)" -ge 6 ] || fail "fewer than 6 regressions listed"
grep -q 'class="cp"' report.html || fail "no change point marked on a trend"
grep -q ">$step<" report.html || fail "change points are not labelled with commit $step"
grep -q 'class="pt-cur"' report.html || fail "the current run is not highlighted"
[ "$(grep -c "<rect class=\"bar" report.html)" = 9 ] || fail "expected 9 bars (3 charts x 3 cases)"
[ "$(grep -c "<rect class=\"bar bar-bad\"" report.html)" = 6 ] || fail "expected the 6 regressed cases as red bars"
grep -q 'Gbit/s' report.html || fail "throughput is not formatted for people"

command -v chromium >/dev/null || { echo "chromium is not installed: the page was checked, not rendered"; exit 77; }
# Chromium as root needs --no-sandbox; everything that could reach the
# network is switched off, and the profile is a throwaway one.
chrome() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" "$@"
}
chrome --window-size=1280,2400 --screenshot="$tmp/shot.png" --enable-logging=stderr --v=0 \
	"file://$tmp/report.html" > shot.out 2> shot.err || { tail -5 shot.err; fail "chromium --screenshot failed"; }
[ -f shot.png ] || fail "no screenshot"
size=$(wc -c < shot.png)
[ "$size" -gt 50000 ] || fail "the screenshot is only $size bytes: a blank page?"
# page errors: JavaScript exceptions and console errors are logged as CONSOLE lines
if grep -E 'CONSOLE|Uncaught|Failed to load|net::ERR' shot.err > console.txt; then
	cat console.txt
	fail "the page logged errors while loading"
fi
chrome --dump-dom "file://$tmp/report.html" > dom.html 2> dom.err || fail "chromium --dump-dom failed"
grep -q '<h2>Summary</h2>' dom.html || fail "the rendered DOM has no summary heading"
# the sorting script ran to its end without an exception
grep -q '<html lang="en" class="js">' dom.html || fail "the page's script did not run"
echo "ok: html report balanced, self-contained, rendered by chromium ($size byte screenshot)"
