#!/bin/sh
# netrig serve's dashboard pages on loopback: the campaigns (/), a campaign's
# branches (?branch=B), a user's uploads and charts (/users/NAME), the queue
# (/queue), a job (/jobs/ID), a run's events and outputs (/runs/RUN/log).
# A campaign, a branch, a job's requester and a run's output carry markup:
# no page has an element or attribute that came from data, every page has
# its policy, unknown names are 404. Then headless Chromium renders the
# pages (scripts/screenshots.sh) and each PNG is checked not to be blank.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

L=$(db local)
S=$(db server)
EVIL_C='<img src=x onerror=alert(1)>"'"'"'&'     # a campaign name: no '/', it is a path segment
EVIL_B='<script>alert(2)</script>'               # a branch: in a query, '/' and all
EVIL_R='<script>alert(3)</script>'               # a job's requester

cat > c.yaml <<'YAML'
campaign: pagesynth
tests:
  - name: synth
    matrix: {size: [64, 1500]}
    repeat: 2
    run: [sh, -c, 'echo bw=$((1000 + $$ % 17)); echo lat=$((50 + $$ % 5)); printf "<script>alert(4)</script>\377\n" >&2']
    parse:
      format: keyvalue
      metrics:
        bw: {unit: Mbps, better: higher}
        lat: {unit: us, better: lower}
YAML
sed 's/^campaign: pagesynth/campaign: renamed-below/' c.yaml > evil.yaml

say "runs: two on main, one on a feature branch"
for b in main main feature; do
	expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --branch $b
done
R_FEATURE=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out)
[ -n "$R_FEATURE" ] || fail "no run id"

TOK=$(serve_token "$S" alice push)
serve_start "$S"
U=$SERVE_URL

NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push --all-unpushed --outputs --server "$U"
# one more run goes up as a bundle whose campaign and branch are markup
expect_exit 0 "$NETRIG" run evil.yaml -q --db "$L" --branch main
R_EVIL=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out)
"$NETRIG" --db "$L" push "$R_EVIL" --bundle evil.json --outputs || fail "bundle"
python3 - evil.json "$EVIL_C" "$EVIL_B" <<'PY' || fail "renaming the bundle's run"
import json, sys
path, campaign, branch = sys.argv[1:4]
b = json.load(open(path))
t = b["tables"]["runs"]
cols = [c.strip() for c in t["columns"].split(",")]
t["rows"][0][cols.index("campaign")] = campaign
t["rows"][0][cols.index("branch")] = branch
json.dump(b, open(path, "w"))
PY
code=$(curl -s -o up.json -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
	--data-binary @evil.json "$U/api/v1/runs")
expect_eq "$code" 201 "the renamed run uploaded ($(cat up.json))"

say "jobs: one a worker ran, one waiting, one from a requester named with markup"
expect_exit 0 "$NETRIG" job submit c.yaml --db "$S" -q --requester alice
J_DONE=$(cat out)
expect_exit 0 "$NETRIG" worker --db "$S" --once -q
expect_exit 0 "$NETRIG" job submit c.yaml --db "$S" -q --requester "$EVIL_R" --needs lab=none
J_EVIL=$(cat out)
[ "$(sql "$S" "SELECT status FROM jobs WHERE id = uuid_blob('$J_DONE')")" = done ] || fail "the worker did not finish the job"
J_RUN=$(sql "$S" "SELECT uuid_str(run_id) FROM jobs WHERE id = uuid_blob('$J_DONE')")

# page PATH CODE FILE: GET it, expect the status, keep headers in FILE.h
page() {
	_code=$(curl -s -D "$3.h" -o "$3" -w '%{http_code}' "$U$1")
	[ "$_code" = "$2" ] || fail "GET $1: $_code, not $2: $(head -c 300 "$3")"
	if [ "$2" = 200 ]; then
		grep -qi "^Content-Security-Policy: default-src 'none'" "$3.h" || fail "GET $1: no policy"
		grep -qi "^Content-Type: text/html" "$3.h" || fail "GET $1: not HTML"
	fi
}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

say "the pages answer"
page / 200 index.html
page /queue 200 queue.html
page /users/alice 200 user.html
page /campaigns/pagesynth 200 campaign.html
page "/campaigns/pagesynth?branch=feature" 200 feature.html
page "/campaigns/$(enc "$EVIL_C")" 200 evil-campaign.html
page "/campaigns/$(enc "$EVIL_C")?branch=$(enc "$EVIL_B")" 200 evil-branch.html
page "/runs/$R_EVIL" 200 evil-run.html
page "/runs/$R_EVIL/log" 200 evil-log.html
page "/jobs/$J_EVIL" 200 evil-job.html
page "/jobs/$J_DONE" 200 job.html
page "/runs/$J_RUN/log" 200 job-log.html

say "what they show"
grep -q ">pagesynth</a>" index.html || fail "the index lacks the campaign"
[ "$(grep -o '<svg class="spark"' index.html | wc -l)" -ge 8 ] || fail "the index has no sparklines"
grep -q 'class="badge b-passing">passing<' index.html || fail "the index lacks the verdict"
grep -q "href=\"/campaigns/pagesynth?branch=feature\"" campaign.html || fail "no link to branch feature"
grep -q "Showing run <a href=\"/runs/$R_FEATURE\"" feature.html || fail "?branch=feature does not show its run"
grep -q "<b>feature</b>" feature.html || fail "?branch=feature is not marked as shown"
# alice's uploads: every run she pushed, none she did not (the job's run was written on the server)
for r in $(sql "$S" "SELECT uuid_str(run_id) FROM uploads"); do
	grep -q "href=\"/runs/$r\"" user.html || fail "the user page lacks upload $r"
done
grep -q "href=\"/runs/$J_RUN\"" user.html && fail "the user page lists a run she did not upload"
[ "$(grep -o '<figure>' user.html | wc -l)" -ge 4 ] || fail "the user page has no charts"
grep -q "href=\"/jobs/$J_DONE\"" queue.html || fail "the queue lacks the done job"
grep -q "href=\"/runs/$J_RUN/log\"" queue.html || fail "the queue lacks the done job's log link"
grep -q '<h2 id="queued">Queued (1)</h2>' queue.html || fail "the queue's waiting job"
grep -q '<h2 id="finished">Finished (1)</h2>' queue.html || fail "the queue's finished job"
grep -q 'lab=none' evil-job.html || fail "the job page lacks its needs"
grep -q 'synth/size=64' job-log.html || fail "the log page lacks the cases"
grep -q '&lt;script&gt;alert(4)&lt;/script&gt;%FF' evil-log.html ||
	fail "the log page lacks the output's tail, escaped"
grep -q "&lt;img src=x onerror=alert(1)&gt;&quot;&apos;&amp;" index.html || fail "the campaign's name, escaped"
grep -q "&lt;script&gt;alert(3)&lt;/script&gt;" queue.html || fail "the requester, escaped"
grep -q "branch=$(enc "$EVIL_B")\"" evil-campaign.html || fail "the branch link, encoded"

say "a queue with more finished jobs than the page shows: the latest, and how many there are"
i=0
while [ $i -lt 102 ]; do
	"$NETRIG" job submit c.yaml --db "$S" -q --needs lab=never > j.out 2>&1 || fail "submit: $(cat j.out)"
	"$NETRIG" job cancel "$(cat j.out)" --db "$S" > /dev/null 2>&1 || fail "cancel $(cat j.out)"
	i=$((i + 1))
done
J_LAST=$(cat j.out)
page /queue 200 queue2.html
grep -q '<h2 id="finished">Finished (103)</h2>' queue2.html || fail "the finished jobs counted"
grep -q '<h2 id="queued">Queued (1)</h2>' queue2.html || fail "the waiting job counted"
grep -q 'The latest 100 of 103.' queue2.html || fail "the note of the finished not shown"
grep -q "href=\"/jobs/$J_LAST\"" queue2.html || fail "the queue lacks the newest finished job"
grep -q "href=\"/jobs/$J_DONE\"" queue2.html && fail "the queue shows the oldest of 103 finished jobs"
grep -q "href=\"/jobs/$J_EVIL\"" queue2.html || fail "the queue lacks the waiting job"
curl -sf "$U/metrics" > metrics.txt || fail "GET /metrics"
expect_grep '^netrig_jobs\{status="cancelled"\} 102$' metrics.txt "cancelled jobs in /metrics"
expect_grep '^netrig_jobs\{status="done"\} 1$' metrics.txt "done jobs in /metrics"
expect_grep '^netrig_jobs\{status="queued"\} 1$' metrics.txt "queued jobs in /metrics"
expect_grep '^netrig_jobs\{status="running"\} 0$' metrics.txt "no running job in /metrics"
code=$(curl -s -o jobs.json -w '%{http_code}' "$U/api/v1/jobs?limit=2")
expect_eq "$code" 200 "GET /api/v1/jobs?limit=2"
python3 - "$J_LAST" <<'PY' || fail "the newest two jobs, oldest first"
import json, sys
j = json.load(open("jobs.json"))["jobs"]
assert len(j) == 2 and j[1]["id"] == sys.argv[1], [x["id"] for x in j]
PY
curl -sf "$U/api/v1/jobs" | python3 -c 'import json,sys; n=len(json.load(sys.stdin)["jobs"]); assert n == 100, n' ||
	fail "GET /api/v1/jobs: the default limit, 100"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/jobs?limit=0")" 400 "limit=0"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/jobs?limit=1001")" 400 "limit=1001"

say "no element or attribute came from data, on any page"
python3 - *.html <<'PY' || fail "markup from data on a page"
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.bad = 0, []
    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        if tag in ("img", "iframe", "object", "embed", "link", "base", "form"):
            self.bad.append(tag)
        for k, v in attrs:
            if k.startswith("on") or (v or "").lower().startswith("javascript:"):
                self.bad.append(f"{tag} {k}={v}")

for f in sys.argv[1:]:
    p = P()
    p.feed(open(f, encoding="utf-8", errors="replace").read())
    # the run's report has its own sorting script, which the policy keeps from running
    report = f.startswith(("campaign", "feature", "evil-campaign", "evil-branch", "evil-run"))
    assert p.scripts == (1 if report else 0), (f, p.scripts)
    assert not p.bad, (f, p.bad)
    text = open(f, encoding="utf-8", errors="replace").read()
    for raw in ("<img src=x", "<script>alert"):
        assert raw not in text, (f, raw)
PY

say "the badge is kept, and made again after an upload or a run a worker wrote"
badge() { curl -sf "$U/badge/pagesynth.svg" | grep -o '<text x="[0-9]*" y="14">[a-z]*</text>' | tail -n 1 | sed 's/<[^>]*>//g'; }
expect_eq "$(badge)" passing "the badge"
expect_eq "$(badge)" passing "the badge again (kept)"
sed 's/echo bw=/exit 3; echo bw=/' c.yaml > failing.yaml
expect_exit 1 "$NETRIG" run failing.yaml -q --db "$L" --branch main
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push --server "$U"
expect_eq "$(badge)" failing "the badge right after an upload of a failing run"
expect_exit 0 "$NETRIG" job submit c.yaml --db "$S" -q --requester alice
expect_exit 0 "$NETRIG" worker --db "$S" --once -q
wait_until 5 sh -c "curl -sf '$U/badge/pagesynth.svg' | grep -q '>passing<'" ||
	fail "the badge after a worker's passing run (no upload): $(badge)"

say "unknown names are 404"
page /users/nobody 404 x.html
page "/users/$(enc "$EVIL_R")" 404 x.html
page /campaigns/nothing-here 404 x.html
page "/campaigns/pagesynth?branch=nope" 404 x.html
page /jobs/ffffffff 404 x.html
page /jobs/latest 404 x.html
page "/jobs/$(enc "$EVIL_R")" 404 x.html
page /runs/ffffffff/log 404 x.html
page "/runs/$(enc "../$R_EVIL")/log" 404 x.html
page /runs//log 404 x.html
grep -q '<script' x.html && fail "a 404 carries markup"

say "headless Chromium renders the pages"
command -v chromium > /dev/null ||
	skip "chromium is not installed (Debian: chromium; scripts/deps.sh has it): the pages were checked, not rendered"
sh "$top/scripts/screenshots.sh" --netrig "$NETRIG" --db "$(db shots)" --out "$tmp/shots" > shots.out 2>&1 ||
	{ cat shots.out; fail "scripts/screenshots.sh"; }
for p in index campaign run queue user log; do
	grep -q "^$tmp/shots/serve-$p.png\$" shots.out || { cat shots.out; fail "no screenshot of $p"; }
done
done_ok
