#!/bin/sh
# netrig serve with GitHub: signed webhooks queue jobs, a worker runs them
# from a checkout of the repository at the commit, and the server posts
# the commit statuses (pending, then success) and, for a pull request, the
# answer and the run's markdown report to a fake GitHub API on loopback.
# Deliveries that are unsigned, signed with a wrong secret or over another
# body, of an unknown repository, from a user not allowed, or of a branch
# not configured store no job. The jobs API: submit, list, show, cancel,
# with wrong scopes refused.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

command -v git > /dev/null || skip "git is not installed"
command -v curl > /dev/null || skip "curl is not installed"
S=$(db server)
fx=$top/tests/fixtures/serve/github

say "a repository with its campaign, a build step and a file the campaign reads"
git init -q -b main repo || fail "git init"
cat > repo/nightly.yaml <<'YAML'
campaign: nightly
tests:
  - name: t
    build: [[sh, -c, 'cat value.txt > built.txt']]
    run: [sh, -c, 'echo v=$(cat built.txt)']
    parse:
      format: keyvalue
      metrics: {v: {unit: us, better: lower}}
YAML
echo 5 > repo/value.txt
gitc() { git -C repo -c user.email=t@example.org -c user.name=t "$@"; }
gitc add -A && gitc commit -qm one || fail "commit"
SHA1=$(git -C repo rev-parse HEAD)
gitc checkout -q -b feature && echo 7 > repo/value.txt && gitc commit -qam two || fail "commit 2"
SHA2=$(git -C repo rev-parse HEAD)
gitc checkout -q main

say "a fake GitHub API"
echo '{}' > heads.json
python3 "$top/tests/helpers/fake-github.py" gh.port gh.log heads.json 2> gh.err &
ghpid=$!
at_exit "kill $ghpid 2>/dev/null"
wait_until 10 test -s gh.port || fail "the fake GitHub API did not start: $(cat gh.err)"
GH=http://127.0.0.1:$(cat gh.port)
GH_TOKEN=ghp_fake$$secrettoken
printf '%s\n' "$GH_TOKEN" > gh-token

cat > file.yaml <<'YAML'
campaign: filecamp
tests:
  - name: a
    matrix: {n: [1, 2]}
    run: [sh, -c, 'echo v=1']
    parse:
      format: keyvalue
      metrics: {v: {unit: us, better: lower}}
  - name: b
    run: [sh, -c, 'echo v=2']
    parse:
      format: keyvalue
      metrics: {v: {unit: us, better: lower}}
YAML
cat > server.yaml <<YAML
github: {api: "$GH", token_file: gh-token}
campaigns: [file.yaml]
repositories:
  acme/app: {secret: "app-secret-$$", push_branches: [main], campaign_in_repo: nightly.yaml,
             clone: "$tmp/repo", allowed_users: [alice]}
  acme/other: {secret: "other-secret-$$", push_branches: [main], campaign: file.yaml}
YAML
serve_start "$S" --config server.yaml
URL=$SERVE_URL

# deliver EVENT FILE SECRET [HEADER]: sign FILE with SECRET, post it; the status on stdout
deliver() {
	sig=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' "$3" "$2")
	curl -s -o resp.json -w '%{http_code}' -H "X-GitHub-Event: $1" \
		-H "${4:-X-Hub-Signature-256: sha256=$sig}" -H 'Content-Type: application/json' \
		--data-binary @"$2" "$URL/github/webhook"
}
# payload KIND REPO SHA BRANCH USER [BODY [NUMBER]] > file
payload() {
	sed -e "s|@REPO@|$2|g" -e "s|@SHA@|$3|g" -e "s|@BEFORE@|$SHA1|g" -e "s|@BRANCH@|$4|g" \
		-e "s|@USER@|$5|g" -e "s|@BODY@|${6:-}|g" -e "s|@NUMBER@|${7:-7}|g" "$fx/$1.json"
}
jobs() { sql "$S" "SELECT count(*) FROM jobs"; }
APP="app-secret-$$"

say "ping"
payload ping acme/app "$SHA1" main alice > ping.json
expect_eq "$(deliver ping ping.json "$APP")" 200 "ping"

say "deliveries that must queue nothing"
payload push acme/app "$SHA1" main alice > push.json
expect_eq "$(deliver push push.json "wrong-secret")" 401 "a wrong secret"
payload push acme/app "$SHA2" main alice > other-body.json
sig_other=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' "$APP" other-body.json)
expect_eq "$(deliver push push.json "$APP" "X-Hub-Signature-256: sha256=$sig_other")" 401 \
	"a signature over another body"
expect_eq "$(deliver push push.json "$APP" "X-Nothing: 1")" 401 "no signature header"
expect_eq "$(deliver push push.json "$APP" "X-Hub-Signature-256: sha1=0123")" 401 "a signature of another shape"
payload push acme/unknown "$SHA1" main alice > unknown.json
expect_eq "$(deliver push unknown.json "unknown-secret")" 401 "an unknown repository"
expect_eq "$(deliver push unknown.json "$APP")" 403 "another repository signed with acme/app's secret"
payload push acme/app "$SHA1" release alice > branch.json
expect_eq "$(deliver push branch.json "$APP")" 202 "a branch not in push_branches"
expect_grep "release is not one of its push_branches" resp.json "the reason of a push ignored"
payload issue_comment acme/app "$SHA1" main mallory "/netrig test" 7 > mallory.json
expect_eq "$(deliver issue_comment mallory.json "$APP")" 202 "a comment from a user not allowed"
expect_grep "mallory may not start runs" serve.log "the refusal is logged"
payload issue_comment acme/app "$SHA1" main alice "looks good" 7 > chat.json
expect_eq "$(deliver issue_comment chat.json "$APP")" 202 "a comment without the command"
expect_eq "$(deliver issues push.json "$APP")" 202 "an event netrig does not act on"
printf '{"repository": {"full_name": "acme/app"}, "ref": ' > cut.json
expect_eq "$(deliver push cut.json "$APP")" 400 "a signed body that is not JSON"
expect_eq "$(jobs)" 0 "jobs stored by refused or ignored deliveries"

say "a signed push to main queues a job; the worker runs it from a checkout at the commit"
expect_eq "$(deliver push push.json "$APP")" 201 "a push to main"
JOB=$(python3 -c 'import json; print(json.load(open("resp.json"))["job"]["id"])')
expect_eq "$(jobs)" 1 "one job"
expect_eq "$(sql "$S" "SELECT repo_commit || ' ' || repo_branch || ' ' || requester FROM jobs")" \
	"$SHA1 main github:alice" "the job's commit, branch and who asked"
wait_until 10 grep -q "statuses/$SHA1\".*\"state\": \"pending\"" gh.log ||
	{ cat gh.log; tail serve.log; fail "no pending status for the push"; }
expect_exit 0 "$NETRIG" --db "$S" worker --once --dir "$tmp/wd"
expect_eq "$(sql "$S" "SELECT status FROM jobs WHERE id = uuid_blob('$JOB')")" done "the push's job"
RUN=$(sql "$S" "SELECT uuid_str(run_id) FROM jobs WHERE id = uuid_blob('$JOB')")
expect_eq "$(sql "$S" "SELECT commit_sha || ' ' || coalesce(branch, '-') FROM runs WHERE id = uuid_blob('$RUN')")" \
	"$SHA1 main" "the run's commit and branch are the job's"
expect_eq "$(sql "$S" "SELECT count(*) FROM samples WHERE value = 5")" 1 \
	"the build step ran in the checkout and read the commit's file"
wait_until 15 grep -q "statuses/$SHA1\".*\"state\": \"success\"" gh.log ||
	{ cat gh.log; tail serve.log; fail "no success status for the push"; }
python3 - "$SHA1" "$RUN" "$GH_TOKEN" <<'PY' || fail "the statuses posted"
import json, sys
sha, run, token = sys.argv[1:]
reqs = [json.loads(l) for l in open("gh.log")]
st = [r for r in reqs if r["path"] == "/repos/acme/app/statuses/" + sha]
states = [r["body"]["state"] for r in st]
assert states == ["pending", "success"], states
fin = st[-1]["body"]
assert fin["context"] == "netrig/nightly", fin
assert fin["target_url"].endswith("/runs/" + run), fin
assert "1 of 1 cases passed" in fin["description"], fin
assert all(r["authorization"] == "Bearer " + token for r in reqs), "the token"
PY

say "/netrig test on a pull request from an allowed user: a job of the head commit, answered"
printf '{"acme/app#7": {"sha": "%s", "ref": "feature"}}\n' "$SHA2" > heads.json
payload issue_comment acme/app "$SHA1" main alice "/netrig test please" 7 > pr.json
expect_eq "$(deliver issue_comment pr.json "$APP")" 201 "a comment with the command"
JOB2=$(python3 -c 'import json; print(json.load(open("resp.json"))["job"]["id"])')
expect_eq "$(sql "$S" "SELECT repo_commit || ' ' || repo_branch FROM jobs WHERE id = uuid_blob('$JOB2')")" \
	"$SHA2 feature" "the pull request's head commit"
expect_grep '"GET", "path": "/repos/acme/app/pulls/7"' gh.log "the pull request asked of the API"
wait_until 10 grep -q "issues/7/comments\".*queued job" gh.log ||
	{ cat gh.log; fail "no answer to the comment"; }
expect_exit 0 "$NETRIG" --db "$S" worker --once --dir "$tmp/wd"
RUN2=$(sql "$S" "SELECT uuid_str(run_id) FROM jobs WHERE id = uuid_blob('$JOB2')")
expect_eq "$(sql "$S" "SELECT commit_sha FROM runs WHERE id = uuid_blob('$RUN2')")" "$SHA2" "the PR run's commit"
expect_eq "$(sql "$S" "SELECT count(*) FROM samples WHERE value = 7")" 1 "the PR commit's file"
wait_until 15 grep -q "statuses/$SHA2\".*\"state\": \"success\"" gh.log ||
	{ cat gh.log; tail serve.log; fail "no success status for the pull request"; }
wait_until 10 sh -c "[ \$(grep -c 'issues/7/comments' gh.log) -ge 2 ]" || fail "no report comment"
"$NETRIG" --db "$S" report "$RUN2" --format md > report.md || fail "report --format md"
python3 - "$RUN2" <<'PY' || fail "the report comment"
import json, sys
run = sys.argv[1]
reqs = [json.loads(l) for l in open("gh.log")]
c = [r["body"]["body"] for r in reqs if r["path"] == "/repos/acme/app/issues/7/comments"]
assert len(c) == 2, c
assert "queued job" in c[0], c[0]
md = open("report.md").read()
assert md.strip() and md in c[1], (md, c[1])
assert "/runs/" + run in c[1], c[1]
PY
expect_no_grep "$GH_TOKEN" serve.log "the GitHub token in the log"
expect_no_grep "$APP" serve.log "a webhook secret in the log"

say "netrig job submit --repo: the worker checks the repository out at the commit"
expect_exit 0 "$NETRIG" --db "$S" job submit --repo repo --path nightly.yaml --commit "$SHA2" --branch feature -q
JC=$(cat out)
expect_exit 0 "$NETRIG" --db "$S" job show "$JC"
expect_grep "^repository $tmp/repo nightly.yaml at $SHA2" out "the job's repository, as an absolute path"
expect_exit 0 "$NETRIG" --db "$S" worker --once --dir "$tmp/wd"
expect_eq "$(sql "$S" "SELECT r.commit_sha || ' ' || r.branch || ' ' || j.status FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = uuid_blob('$JC')")" \
	"$SHA2 feature done" "the CLI job's run"
expect_exit 2 "$NETRIG" --db "$S" job submit --repo repo --path ../nightly.yaml --commit "$SHA2"
expect_grep "leaves the repository" err "a path out of the repository"
expect_exit 2 "$NETRIG" --db "$S" job submit --repo repo --path nightly.yaml --commit HEAD
expect_exit 2 "$NETRIG" --db "$S" job submit --repo --upload-pack=x --path nightly.yaml --commit "$SHA2"
expect_exit 2 "$NETRIG" --db "$S" job submit file.yaml --repo repo --path nightly.yaml --commit "$SHA2"
say "a symbolic link that leads the campaign out of the repository fails the try"
ln -s /etc/hostname repo/evil.yaml && gitc add evil.yaml && gitc commit -qm evil || fail "commit evil"
expect_exit 0 "$NETRIG" --db "$S" job submit --repo repo --path evil.yaml --commit "$(git -C repo rev-parse HEAD)" -q
JE=$(cat out)
expect_exit 0 "$NETRIG" --db "$S" worker --once --dir "$tmp/wd"
expect_exit 0 "$NETRIG" --db "$S" job show "$JE"
expect_grep "evil.yaml in .* leads out of the repository" out "the reason of the try"
expect_exit 0 "$NETRIG" --db "$S" job cancel "$JE"

say "the jobs API"
T_TRIG=$(serve_token "$S" alice trigger)
T_READ=$(serve_token "$S" bob read)
T_PUSH=$(serve_token "$S" bob push)
api() { # METHOD PATH TOKEN [BODY]: the status on stdout, the answer in api.json
	curl -s -o api.json -w '%{http_code}' -X "$1" ${3:+-H "Authorization: Bearer $3"} \
		${4:+--data-binary "$4"} "$URL$2"
}
before=$(jobs)
expect_eq "$(api POST /api/v1/jobs "" '{"campaign": "filecamp"}')" 401 "submit without a token"
expect_eq "$(api POST /api/v1/jobs "$T_READ" '{"campaign": "filecamp"}')" 403 "submit with a read token"
expect_eq "$(api POST /api/v1/jobs "$T_PUSH" '{"campaign": "filecamp"}')" 403 "submit with a push token"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "nope"}')" 422 "an unknown campaign"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "tests": ["zz"]}')" 422 "an unknown test"
expect_grep "'zz' matches no test name" api.json "the unknown test named"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "tests": ["z*"]}')" 422 "a glob that matches nothing"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "tests": ["-a", "-b"]}')" 422 \
	"exclusions that leave no case"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "tests": ["a/n=3"]}')" 422 \
	"a case key pattern that matches nothing"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "set": {"m": "1"}}')" 422 \
	"a --set of no parameter"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"repository": "evil/repo", "path": "x.yaml", "commit": "0123456"}')" \
	422 "a repository the server does not know"
expect_eq "$(jobs)" "$before" "jobs stored by refused submissions"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "tests": ["a"], "set": {"n": "2"}, "needs": ["lab=x"], "labels": {"why": "api"}}')" \
	201 "submit"
J=$(python3 -c 'import json; print(json.load(open("api.json"))["id"])')
python3 - <<'PY' || fail "the job answered"
import json
j = json.load(open("api.json"))
assert j["status"] == "queued" and j["user"] == "alice" and j["campaign"] == "filecamp", j
assert j["tests"] == ["a"] and j["set"] == {"n": "2"} and j["needs"] == ["lab=x"], j
PY
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" '{"campaign": "filecamp", "tests": ["-b", "a/n=1"]}')" 201 \
	"an exclusion and a case key pattern, as \`netrig run --test\` takes them"
expect_eq "$(api POST /api/v1/jobs "$T_TRIG" "{\"repository\": \"acme/app\", \"path\": \"nightly.yaml\", \"commit\": \"$SHA2\", \"branch\": \"feature\"}")" \
	201 "submit of the repository form"
expect_eq "$(api GET /api/v1/jobs "$T_READ")" 200 "list"
expect_eq "$(python3 -c 'import json; print(len(json.load(open("api.json"))["jobs"]))')" "$(jobs)" "jobs listed"
expect_eq "$(api GET "/api/v1/jobs?status=queued" "$T_READ")" 200 "list of queued jobs"
expect_eq "$(python3 -c 'import json; print(sorted(set(j["status"] for j in json.load(open("api.json"))["jobs"])))')" \
	"['queued']" "the status filter"
expect_eq "$(api GET "/api/v1/jobs?status=bogus" "$T_READ")" 400 "a bad status"
expect_eq "$(api GET "/api/v1/jobs/$J" "$T_READ")" 200 "show"
expect_eq "$(api GET "/api/v1/jobs/ffffffff" "$T_READ")" 404 "show of no job"
expect_eq "$(api POST "/api/v1/jobs/$J/cancel" "$T_READ")" 403 "cancel with a read token"
expect_eq "$(sql "$S" "SELECT status FROM jobs WHERE id = uuid_blob('$J')")" queued "the job after a refused cancel"
expect_eq "$(api POST "/api/v1/jobs/$J/cancel" "$T_TRIG")" 200 "cancel"
expect_eq "$(sql "$S" "SELECT status || ' ' || cancelled_by FROM jobs WHERE id = uuid_blob('$J')")" \
	"cancelled alice" "the job cancelled, and by whom"
expect_eq "$(api POST "/api/v1/jobs/$J/cancel" "$T_TRIG")" 409 "cancel of a job that has ended"
expect_eq "$(api DELETE "/api/v1/jobs/$J" "$T_TRIG")" 405 "DELETE"

say "a post that fails is tried again; a cancelled job's status is error, naming who cancelled it"
echo 2 > FAIL_NEXT
expect_eq "$(deliver push push.json "$APP")" 201 "a push to main again"
JOB3=$(python3 -c 'import json; print(json.load(open("resp.json"))["job"]["id"])')
wait_until 20 sh -c "[ \$(grep -c 'statuses/$SHA1\".*\"state\": \"pending\"' gh.log) -ge 4 ]" ||
	{ cat gh.log; tail serve.log; fail "the pending status was not posted again after failures"; }
expect_grep "report of job $JOB3 to acme/app: POST /repos/acme/app/statuses/$SHA1: status 500 \(again in 1 s\)" \
	serve.log "a failed post logged with its retry"
expect_eq "$(sql "$S" "SELECT reported FROM jobs WHERE id = uuid_blob('$JOB3')")" pending "what was reported"
expect_eq "$(api POST "/api/v1/jobs/$JOB3/cancel" "$T_TRIG")" 200 "cancel of the webhook's job"
wait_until 10 grep -q "statuses/$SHA1\".*\"state\": \"error\", \"context\": \"netrig/nightly\", \"description\": \"cancelled by alice\"" gh.log ||
	{ tail -3 gh.log; fail "no error status for the cancelled job"; }
reported_final() { [ "$(sql "$S" "SELECT reported FROM jobs WHERE id = uuid_blob('$JOB3')")" = final ]; }
wait_until 10 reported_final ||
	fail "the cancelled job's report is not recorded"
expect_eq "$(sql "$S" "SELECT count(*) FROM jobs WHERE origin IS NOT NULL AND reported <> 'final'")" 0 \
	"jobs from GitHub left unreported"

kill -TERM $spid
wait $spid
expect_eq "$?" 0 "serve's exit status after SIGTERM"
done_ok
