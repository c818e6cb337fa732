#!/bin/sh
# netrig serve against hostile requests (tests/fixtures/serve/hostile/):
# missing, malformed, unknown, expired, revoked and wrong-scope tokens,
# oversize (by Content-Length and chunked) and truncated bodies, malformed
# and too deep JSON, bundles with wrong types, forged uploaders, rows of
# other runs, SQL where ids belong, ../ in paths, another user's run id.
# Each gets its 4xx (a JSON error) or has its connection closed, and every
# table is the same before and after. Then: the per-token rate limit (429
# with Retry-After), no token, hash or secret in the log, a config with a
# mistake refused with file:line:column. The jobs API and the GitHub
# webhook get theirs too: wrong types, unknown campaigns and keys, foreign
# repositories, paths out of a repository, unsigned and wrongly signed
# deliveries; no job is stored.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

L=$(db local)
S=$(db server)
cat > c.yaml <<'YAML'
campaign: hostile
tests:
  - name: t
    matrix: {n: [1, 2]}
    repeat: 2
    run: [sh, -c, 'echo v=$((100 + $$ % 7)); echo raw output >&2']
    parse:
      format: keyvalue
      metrics: {v: {unit: us, better: lower}}
YAML
runid() { sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out; }
expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit a1
RA=$(runid)
expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit a2
RN=$(runid)
# a run written on the server itself, never uploaded
expect_exit 0 "$NETRIG" run c.yaml -q --db "$S" --commit s1
RS=$(runid)

T_ALICE=$(serve_token "$S" alice push)
T_BOB=$(serve_token "$S" bob push)
T_READ=$(serve_token "$S" alice read)
T_EXPIRED=$(serve_token "$S" alice push --expires 1s)
T_REVOKED=$(serve_token "$S" alice push)
T_TRIGGER=$(serve_token "$S" alice trigger)
expect_exit 0 "$NETRIG" --db "$S" token revoke "$(echo "$T_REVOKED" | cut -c5-20)"
expect_exit 2 "$NETRIG" --db "$S" token revoke 0000000000000000

say "a config with a mistake is refused with its position"
printf 'limits:\n  body: 64K\n  json_depht: 3\n' > bad.yaml
expect_exit 2 "$NETRIG" serve --config bad.yaml --db "$S" --listen 127.0.0.1:0
expect_grep "bad.yaml:3:3: .*json_depht" err "the unknown key's position"
printf 'repositories:\n  me/repo: {secret: s, campaign: missing.yaml}\n' > bad2.yaml
expect_exit 2 "$NETRIG" serve --config bad2.yaml --db "$S" --listen 127.0.0.1:0
expect_grep "bad2.yaml:2:.*missing.yaml" err "a campaign file that is not there"
printf 'repositories:\n  me/repo: {secret: s, campaign: c.yaml, campaign_in_repo: c.yaml}\n' > bad4.yaml
expect_exit 2 "$NETRIG" serve --config bad4.yaml --db "$S" --listen 127.0.0.1:0
expect_grep "bad4.yaml:2:3: .*one of 'campaign'" err "a repository with both campaign forms"
printf 'github: {api: ftp://x, token_file: c.yaml}\n' > bad5.yaml
expect_exit 2 "$NETRIG" serve --config bad5.yaml --db "$S" --listen 127.0.0.1:0
expect_grep "bad5.yaml:1:.*'api' wants an http" err "a GitHub API that is not http(s)"
printf 'tls_cert: bad.yaml\n' > bad3.yaml
expect_exit 2 "$NETRIG" serve --config bad3.yaml --db "$S" --listen 127.0.0.1:0
expect_grep "bad3.yaml:1:1: .*both" err "a certificate without its key"

cat > server.yaml <<YAML
limits: {body: 64K, json_depth: 32, requests_per_minute: 0}
campaigns: [c.yaml]
repositories:
  acme/app: {secret: "app-secret-$$", push_branches: [main], campaign_in_repo: ci/nightly.yaml,
             clone: /nonexistent/app.git, allowed_users: [alice]}
YAML
start_server() { # CONFIG: sets $spid, $PORT
	serve_start "$S" --config "$1"
	PORT=$SERVE_PORT
}
stop_server() {
	kill -TERM $spid
	wait $spid
	expect_eq "$?" 0 "serve's exit status after SIGTERM"
}
start_server server.yaml

say "alice's run is pushed as it should be"
NETRIG_TOKEN=$T_ALICE expect_exit 0 "$NETRIG" --db "$L" push "$RA" --server "http://127.0.0.1:$PORT" --outputs
sleep 1 # the expired token's second passes
"$NETRIG" --db "$L" push "$RA" --outputs --bundle alice.json || fail "bundle of alice's run"
"$NETRIG" --db "$L" push "$RN" --outputs --bundle new.json || fail "bundle of a new run"
"$NETRIG" --db "$S" push "$RS" --bundle server-local.json || fail "bundle of the server's run"
CASE_A=$(sql "$S" "SELECT uuid_str(id) FROM cases WHERE run_id = uuid_blob('$RA') ORDER BY ordinal LIMIT 1")
cat > vars.json <<EOF
{"tokens": {"alice": "$T_ALICE", "bob": "$T_BOB", "read": "$T_READ", "expired": "$T_EXPIRED",
 "revoked": "$T_REVOKED", "trigger": "$T_TRIGGER"},
 "secrets": {"app": "app-secret-$$", "wrong": "not-the-secret"},
 "bundles": {"alice": "alice.json", "new": "new.json", "server-local": "server-local.json"},
 "alice_run": "$RA", "alice_case": "$CASE_A"}
EOF

dump() {
	for t in runs hosts cases attempts outputs samples metrics events users tokens uploads pushes jobs; do
		echo "== $t"
		sql "$S" "SELECT * FROM $t ORDER BY 1, 2"
	done
}
dump > before.txt
[ "$(grep -c . before.txt)" -gt 30 ] || fail "the dump is too small to compare: $(cat before.txt)"
say "the corpus"
python3 "$top/tests/helpers/serve-hostile.py" "$PORT" "$top/tests/fixtures/serve/hostile" vars.json > corpus.txt
rc=$?
cat corpus.txt
[ $rc = 0 ] || fail "a hostile request got the wrong answer"
[ "$(grep -c '^ok' corpus.txt)" = "$(ls "$top"/tests/fixtures/serve/hostile/*.req | wc -l)" ] ||
	fail "not every request of the corpus was checked"
dump > after.txt
cmp -s before.txt after.txt || { diff before.txt after.txt | head -20; fail "the corpus changed the database"; }
say "the database is still the server's: a good push goes in"
NETRIG_TOKEN=$T_BOB expect_exit 0 "$NETRIG" --db "$L" push "$RN" --server "http://127.0.0.1:$PORT"
[ "$(sql "$S" "SELECT user_name FROM uploads WHERE run_id = uuid_blob('$RN')")" = bob ] || fail "bob's upload"
stop_server

say "the per-token rate limit"
cat > rate.yaml <<'YAML'
read: token
limits: {requests_per_minute: 3}
YAML
start_server rate.yaml
code() { curl -s -o body.json -D head.txt -w '%{http_code}' -H "Authorization: Bearer $1" \
	"http://127.0.0.1:$PORT/api/v1/runs?limit=1"; }
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/runs")" 401 \
	"read: token, no token"
for i in 1 2 3; do
	expect_eq "$(code "$T_READ")" 200 "request $i of 3"
done
expect_eq "$(code "$T_READ")" 429 "the 4th request within a minute"
grep -qi "^Retry-After: [0-9]" head.txt || fail "429 without Retry-After: $(cat head.txt)"
expect_eq "$(code "$T_ALICE")" 200 "another token has its own budget"
stop_server

say "no token, hash or secret in the log"
grep -q "app-secret-$$" serve.log && fail "a webhook secret is in the log"
for t in "$T_ALICE" "$T_BOB" "$T_READ" "$T_EXPIRED" "$T_REVOKED" "$T_TRIGGER"; do
	grep -q "${t#nrt_????????????????_}" serve.log && fail "a token's secret is in the log"
	h=$(printf %s "$t" | sha256sum | cut -c1-64)
	grep -q "$h" serve.log && fail "a token's hash is in the log"
done
expect_grep "POST /api/v1/runs 401" serve.log "refusals are logged"
done_ok
