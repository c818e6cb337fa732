#!/bin/sh
# The CI recipes of examples/ci (issue 13): their commands, taken from the
# GitHub workflow and the GitLab job themselves, run here on a small git
# repository whose head is 30 % slower than its base, with the example
# campaign (pr.yaml) as the repository's bench/pr.yaml. GitHub's and
# GitLab's APIs are a local HTTP double on 127.0.0.1 that keeps the
# comments and logs every request. Checked: exit 1 on the regression; the
# job summary names the series and the regression; the database holds
# both variants; the JUnit report parses; the comment posted once and
# edited on the next push (never another added, never someone else's
# edited); an A/A push exits 0; a head that does not build fails the
# gate (1); a commit that is not there and a bad campaign are "could not
# judge" (2), not a verdict.
. "$(dirname "$0")/lib.sh"

for p in git make cc python3; do
	command -v $p > /dev/null || skip "$p is not installed"
done
# python3 first on PATH may be a shim that costs seconds a start (pyenv);
# the system's, when there is one, is the same language
if [ -x /usr/bin/python3 ]; then
	mkdir "$tmp/bin" && ln -s /usr/bin/python3 "$tmp/bin/python3" && PATH=$tmp/bin:$PATH
fi
python3 -c 'import yaml' 2> /dev/null || skip "python3-yaml is not installed"
ci=$top/examples/ci

say "the recipes parse, and the GitHub workflow uses only keys of its syntax"
python3 - "$ci" > yaml.out 2>&1 << 'EOF' || { cat yaml.out; fail "the recipes"; }
import sys, yaml
ci = sys.argv[1]
gh = yaml.safe_load(open(ci + "/github-workflow.yml"))
# PyYAML reads the key 'on' as YAML 1.1's true; GitHub reads it as 'on'
assert set(gh) <= {"name", True, "permissions", "concurrency", "env", "jobs"}, set(gh)
assert "pull_request" in gh[True]
job, = gh["jobs"].values()
assert set(job) <= {"runs-on", "container", "timeout-minutes", "steps", "env", "permissions"}, set(job)
for s in job["steps"]:
    assert set(s) <= {"name", "uses", "with", "run", "env", "if", "id", "shell"}, set(s)
    if s.get("uses", "").startswith("actions/upload-artifact@"):
        assert set(s["with"]) <= {"name", "path", "if-no-files-found", "retention-days",
                                  "compression-level", "overwrite", "include-hidden-files"}, s["with"]
        assert s["with"]["path"].rstrip("/") == "netrig-pr" and "if" in s
gl = yaml.safe_load(open(ci + "/gitlab-ci.yml"))
j = gl["netrig-pr"]
assert j["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
assert j["artifacts"]["reports"]["junit"] == "netrig-pr/report.xml"
assert "netrig-pr/" in j["artifacts"]["paths"] and j["artifacts"]["when"] == "always"
EOF

# The recipes' own commands: the GitHub step that runs netrig-pr.sh (its
# run: text, with the workflow's env), the GitLab job's script.
python3 - "$ci" << 'EOF' || fail "cannot read the recipes' commands"
import sys, yaml
ci = sys.argv[1]
gh = yaml.safe_load(open(ci + "/github-workflow.yml"))
step, = [s for s in list(gh["jobs"].values())[0]["steps"] if "netrig-pr.sh" in s.get("run", "")]
with open("github.sh", "w") as f:
    for k, v in gh["env"].items():
        f.write(f"{k}='{v}'\n")
    f.write(step["run"])
gl = yaml.safe_load(open(ci + "/gitlab-ci.yml"))["netrig-pr"]
with open("gitlab.sh", "w") as f:
    f.write(f"CAMPAIGN='{gl['variables']['CAMPAIGN']}'\n")
    f.write("\n".join(gl["script"]) + "\n")
EOF
expect_grep 'netrig-pr.sh" --github HEAD\^1 HEAD "\$CAMPAIGN"' github.sh "the workflow's command"
expect_grep '^CAMPAIGN=.bench/pr.yaml.$' github.sh "the workflow's campaign"
# the job clones netrig into /opt/netrig; here it is this tree
sed -i "s#/opt/netrig/#$top/#" gitlab.sh
expect_grep "^$top/examples/ci/netrig-pr.sh --gitlab" gitlab.sh "the GitLab job's command"

# The API double: GitHub's issue comments and GitLab's merge request
# notes, kept in memory and in state.json, every request in requests.log.
# A comment by someone else that starts with the marker is there from the
# start: it must never be edited.
cat > api.py << 'EOF'
import json, re, sys
from urllib.parse import parse_qs
from http.server import HTTPServer, BaseHTTPRequestHandler
comments = {1: {"id": 1, "body": "<!-- netrig-pr: bench/pr.yaml -->\nmallory was here",
                "user": {"login": "mallory"}, "author": {"id": 666}}}
next_id = [2]

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def handle_any(self):
        path, _, query = self.path.partition("?")
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n)) if n else None
        with open("requests.log", "a") as log:
            log.write(f"{self.command} {path}\n")
        gh = path.startswith("/repos/")
        if gh and self.headers.get("Authorization") != "Bearer ghtok" or \
           not gh and self.headers.get("PRIVATE-TOKEN") != "gltok":
            return self.reply(401, {"message": "Bad credentials"})
        if (self.command, path) == ("GET", "/api/v4/user"):
            return self.reply(200, {"id": 42, "username": "project_bot"})
        lst = {"/repos/o/r/issues/7/comments", "/api/v4/projects/5/merge_requests/3/notes"}
        if path in lst and self.command == "GET":
            q = parse_qs(query)
            page, per = int(q["page"][0]), int(q["per_page"][0])
            items = [c for c in comments.values() if ("user" if gh else "author") in c]
            return self.reply(200, items[(page - 1) * per:page * per])
        if path in lst and self.command == "POST":
            c = {"id": next_id[0], "body": body["body"]}
            c.update({"user": {"login": "github-actions[bot]"}} if gh else {"author": {"id": 42}})
            comments[c["id"]] = c
            next_id[0] += 1
        else:
            m = re.fullmatch(r"/repos/o/r/issues/comments/(\d+)|/api/v4/projects/5/merge_requests/3/notes/(\d+)", path)
            if not m or self.command not in ("PATCH", "PUT"):
                return self.reply(404, {"message": "Not Found"})
            c = comments.get(int(m.group(1) or m.group(2)))
            if not c:
                return self.reply(404, {"message": "Not Found"})
            c["body"] = body["body"]
        with open("state.json", "w") as f:
            json.dump(list(comments.values()), f)
        return self.reply(200 if self.command != "POST" else 201, c)
    do_GET = do_POST = do_PATCH = do_PUT = handle_any

s = HTTPServer(("127.0.0.1", 0), H)
with open("port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename("port.tmp", "port")
s.serve_forever()
EOF
python3 api.py > api.log 2>&1 &
api_pid=$!
at_exit "kill $api_pid 2> /dev/null"
wait_until 10 test -s port || { cat api.log; fail "the API double did not start"; }
api=http://127.0.0.1:$(cat port)

# The repository: a program that times a loop and prints loop_us=, built
# by make; the base commit, then a head that does 30 % more work.
mkdir proj && cd proj || fail "mkdir"
git init -q . || fail "git init"
git config user.name t && git config user.email t@example.invalid
cat > bench-loop.c << 'EOF'
#include <stdio.h>
#include <time.h>
#ifndef WORK
#define WORK 200000
#endif
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
int main(void)
{
	volatile unsigned long x = 1;
	double best = 1e30;
	long i;
	int r;

	/* the best of 7: what a busy machine adds is mostly gone */
	for (r = 0; r < 7; r++) {
		double t0 = now_us(), d;

		for (i = 0; i < WORK; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		d = now_us() - t0;
		if (d < best)
			best = d;
	}
	printf("loop_us=%.3f\n", best);
	return 0;
}
EOF
printf 'bench-loop: bench-loop.c\n\tcc -O1 -o $@ bench-loop.c\n' > Makefile
printf '.netrig-pr/\nnetrig-pr/\n' > .gitignore
mkdir bench && cp "$ci/pr.yaml" bench/pr.yaml
git add -A && git commit -qm base || fail "commit base"
base=$(git rev-parse HEAD)
git branch -q -M main

# push BRANCH: what GitHub checks out for a pull request from BRANCH: the
# merge of it into main (HEAD^1 is main, HEAD what merging would make)
push() {
	git checkout -q --detach main && git merge -q --no-ff -m "merge $1" "$1" ||
		fail "merge $1"
}
git checkout -q -b slow main
sed -i 's/#define WORK 200000/#define WORK 260000/' bench-loop.c
git commit -qam "30 % more work" || fail "commit head"
head1=$(git rev-parse HEAD)
push slow
merge1=$(git rev-parse HEAD)

github() {
	env GITHUB_STEP_SUMMARY="$tmp/summary.md" GITHUB_TOKEN=ghtok GITHUB_REPOSITORY=o/r \
		GITHUB_EVENT_PATH="$tmp/event.json" GITHUB_API_URL="$api" RUNNER_TEMP="$tmp/runner" \
		NETRIG="$NETRIG" sh -e "$tmp/github.sh"
}
mkdir "$tmp/runner" && ln -s "$top" "$tmp/runner/netrig"
echo '{"pull_request": {"number": 7}}' > "$tmp/event.json"
bot_comments() { # the ids of the comments the bot wrote
	python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])):
    if c.get("user", {}).get("login") == "github-actions[bot]" or c.get("author", {}).get("id") == 42:
        print(c["id"])' "$tmp/state.json"
}

say "GitHub, first push: exit 1 on the 30 % regression"
: > "$tmp/summary.md"
expect_exit 1 github
expect_grep '^::error title=netrig: the pull request fails the gate::regressions found: head '"$merge1"' against base '"$base" out "the annotation says regression"
expect_grep '^## netrig: pr :x: regressions found' "$tmp/summary.md" "the summary's verdict"
expect_grep '^\| `loop` \| loop\\_us \| .* \| \\\+[0-9.]+% .*\| (warning|critical) \|$' "$tmp/summary.md" "the summary names the series and its regression"
expect_grep "^base \`$base\`, head \`$merge1\`; exit status 1" "$tmp/summary.md" "the summary names both commits"
expect_grep '^<!-- netrig-pr: bench/pr.yaml -->$' netrig-pr/report.md "report.md starts with the marker"

say "the database holds both variants; the JUnit report parses and fails the series"
[ -s netrig-pr/netrig.db ] || fail "no database"
expect_eq "$(sql netrig-pr/netrig.db "select group_concat(key, ' ') from (select key from cases order by key)")" \
	"loop/variant=base loop/variant=head" "the cases of both variants"
expect_eq "$(sql netrig-pr/netrig.db "select count(*) from samples where metric = 'loop_us'")" 20 "10 pairs of samples"
expect_eq "$(sql netrig-pr/netrig.db "select commit_sha from runs")" "$merge1" "the run's commit is the head"
python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert any(f.get("type") == "regression" for f in r.iter("failure")), "no regression failure"' netrig-pr/report.xml ||
	fail "the JUnit report"
[ -s netrig-pr/report.html ] || fail "no HTML report"

say "one comment posted, with the report; mallory's comment with the marker left alone"
expect_eq "$(grep -c '^POST /repos/o/r/issues/7/comments$' "$tmp/requests.log")" 1 "one POST"
expect_eq "$(grep -cE '^(PATCH|PUT) ' "$tmp/requests.log")" 0 "no edit yet"
expect_eq "$(bot_comments | tr '\n' ' ')" "2 " "one comment of the bot"
python3 -c 'import json, sys
c = {c["id"]: c for c in json.load(open(sys.argv[1]))}
assert c[1]["body"].endswith("mallory was here"), "mallory edited"
b = c[2]["body"]
assert b.startswith("<!-- netrig-pr: bench/pr.yaml -->") and "regressions found" in b and sys.argv[2] in b, b' \
	"$tmp/state.json" "$merge1" || fail "the comment's body"

say "GitHub, second push: the same comment edited, none added"
git checkout -q slow
sed -i 's/#define WORK 260000/#define WORK 265000/' bench-loop.c
git commit -qam "still slower" || fail "commit head 2"
head2=$(git rev-parse HEAD)
push slow
merge2=$(git rev-parse HEAD)
: > "$tmp/summary.md"
expect_exit 1 github
expect_grep "^base \`$base\`, head \`$merge2\`; exit status 1" "$tmp/summary.md" "the second push's commits"
expect_eq "$(grep -c '^POST ' "$tmp/requests.log")" 1 "still one POST"
expect_eq "$(grep -c '^PATCH /repos/o/r/issues/comments/2$' "$tmp/requests.log")" 1 "one PATCH of comment 2"
expect_eq "$(bot_comments | tr '\n' ' ')" "2 " "still one comment of the bot"
grep -q "$merge2" "$tmp/state.json" || fail "the edited comment does not name the new head"
expect_eq "$(sql netrig-pr/netrig.db "select count(*) from runs")" 2 "the database keeps both pushes' runs"

say "an A/A push (nothing that changes speed): exit 0, the comment says so"
git checkout -q -b docs main
echo "a loop" > README
git add README && git commit -qm "docs" || fail "commit docs"
push docs
: > "$tmp/summary.md"
expect_exit 0 github
expect_grep '^::notice title=netrig: no regression::' out "the annotation says no regression"
expect_grep '^## netrig: pr :white_check_mark: passed' "$tmp/summary.md" "the summary's verdict"
expect_eq "$(grep -c '^PATCH /repos/o/r/issues/comments/2$' "$tmp/requests.log")" 2 "the comment edited again"
grep -q 'white_check_mark: passed' "$tmp/state.json" || fail "the comment does not say passed"

say "GitLab: a merge request note posted on the first push, edited on the next"
gitlab() {
	env CI_API_V4_URL="$api/api/v4" CI_PROJECT_ID=5 CI_MERGE_REQUEST_IID=3 NETRIG_GITLAB_TOKEN=gltok \
		CI_MERGE_REQUEST_DIFF_BASE_SHA="$base" CI_COMMIT_SHA="$1" NETRIG="$NETRIG" sh -e "$tmp/gitlab.sh"
}
: > "$tmp/requests.log"
expect_exit 1 gitlab "$head1"
expect_grep 'regressions found: head '"$head1" err "the log says regression"
expect_eq "$(grep -c '^POST /api/v4/projects/5/merge_requests/3/notes$' "$tmp/requests.log")" 1 "one note posted"
expect_exit 1 gitlab "$head2"
expect_eq "$(grep -c '^POST ' "$tmp/requests.log")" 1 "still one note posted"
expect_eq "$(grep -c '^PUT /api/v4/projects/5/merge_requests/3/notes/3$' "$tmp/requests.log")" 1 "the note edited"
expect_eq "$(bot_comments | tr '\n' ' ')" "2 3 " "one comment on GitHub, one note on GitLab"

say "a head that does not build fails the gate (1), and says failed"
git checkout -q -b broken main
echo 'syntax error' >> bench-loop.c
git commit -qam "broken" || fail "commit broken"
push broken
: > "$tmp/summary.md"
expect_exit 1 github
expect_grep '^## netrig: pr :x: failed' "$tmp/summary.md" "the summary says failed"
expect_grep '^::error title=netrig: the pull request fails the gate::failed' out "the annotation says failed"

say "could not judge (2): a commit that is not here, a bad campaign; the comment says so"
expect_exit 2 env NETRIG="$NETRIG" NETRIG_PR_COMMENT=off "$ci/netrig-pr.sh" --github 0123456789abcdef HEAD bench/pr.yaml
expect_grep "^::error title=netrig: could not judge::no commit '0123456789abcdef'" out "names the missing commit"
git checkout -q -b badcampaign main
sed -i 's/repeat: 10 /repaet: 10 /' bench/pr.yaml
git commit -qam "bad campaign" || fail "commit bad campaign"
push badcampaign
: > "$tmp/summary.md"
expect_exit 2 github
expect_grep "unknown key 'repaet'" err "netrig's message"
expect_grep '^::error title=netrig: could not judge::netrig exit status 2' out "the annotation says could not judge"
expect_grep '^## netrig: :warning: could not judge this push' "$tmp/summary.md" "the summary says not judged"
grep -q 'could not judge this push' "$tmp/state.json" || fail "the comment still shows an older verdict"

say "could not judge (3): netrig stopped by infrastructure, or not there at all"
printf '#!/bin/sh\necho "netrig run: the store failed" >&2\nexit 3\n' > "$tmp/netrig-infra"
chmod +x "$tmp/netrig-infra"
expect_exit 3 env NETRIG="$tmp/netrig-infra" "$ci/netrig-pr.sh" --github HEAD^1 HEAD bench/pr.yaml
expect_grep '^::error title=netrig: could not judge::netrig exit status 3: infrastructure' out "the annotation"
expect_grep '^## netrig: :warning: could not judge this push' netrig-pr/report.md "the report says not judged"
expect_exit 3 env NETRIG="$tmp/no-such-netrig" "$ci/netrig-pr.sh" HEAD^1 HEAD bench/pr.yaml
expect_grep 'could not judge: netrig exit status 127' err "a missing netrig is not a verdict"

done_ok
