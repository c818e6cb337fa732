#!/bin/sh
# netrig serve end to end on loopback: a user and a push token are made,
# two runs are pushed (the second twice: nothing added), the server's
# comparison of the two is netrig compare's on the same runs, a run read
# back is netrig report's JSON, the list filters by campaign, branch,
# commit, user and label, an unreachable server leaves a run local and
# --all-unpushed catches up, run --push pushes at the end, token list shows
# no token or hash, a token revoked while the server runs is refused within
# a second, the badge, /metrics and the pages; SIGTERM answers the
# request in flight, refuses new connections and exits 0; HTTPS.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

L=$(db local)
S=$(db server)

cat > c.yaml <<'YAML'
campaign: servesynth
labels: {rig: lo}
tests:
  - name: synth
    matrix: {size: [64, 1500]}
    repeat: 5
    run: [sh, -c, 'echo bw=$((1000 + $$ % 17)); echo lat=$((50 + $$ % 5))']
    parse:
      format: keyvalue
      metrics:
        bw: {unit: Mbps, better: higher}
        lat: {unit: us, better: lower}
YAML
say "two runs in a local database"
expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit aaaa1111 --branch main
R1=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out)
expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit bbbb2222 --branch feature
R2=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out)
[ -n "$R1" ] && [ -n "$R2" ] || fail "no run ids"

say "a user and tokens on the server's database"
expect_exit 0 "$NETRIG" --db "$S" user add alice
expect_exit 2 "$NETRIG" --db "$S" user add alice
expect_grep "exists already" err "a second alice"
expect_exit 2 "$NETRIG" --db "$S" user add "../x"
expect_exit 0 "$NETRIG" --db "$S" token create --user alice --scope push --expires 90d
TOK=$(cat out)
case $TOK in nrt_*) ;; *) fail "token create printed '$TOK'" ;; esac
expect_exit 2 "$NETRIG" --db "$S" token create --user nobody --scope push
expect_exit 2 "$NETRIG" --db "$S" token create --user alice --scope root
expect_exit 0 "$NETRIG" --db "$S" token list
expect_grep "alice +push" out "the token listed"
hash=$(printf %s "$TOK" | sha256sum | cut -c1-64)
expect_no_grep "$hash" out "token list shows the hash"
expect_no_grep "${TOK#nrt_????????????????_}" out "token list shows the secret"
[ "$(sql "$S" "SELECT count(*) FROM tokens WHERE hash = '$hash'")" = 1 ] ||
	fail "the database does not keep the token's SHA-256"
secret=${TOK#nrt_????????????????_}
[ "$(sql "$S" "SELECT count(*) FROM tokens WHERE hash LIKE '%$secret%'")" = 0 ] ||
	fail "the database keeps the token's secret"

say "an unreachable server: the run stays local"
# a port nothing listens on: bound and closed
port0=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NETRIG_TOKEN=$TOK expect_exit 3 "$NETRIG" --db "$L" push "$R1" --server "http://127.0.0.1:$port0"
expect_grep "kept local" err "push to nobody"

say "the server starts on a free port"
serve_start "$S"
PORT=$SERVE_PORT U=$SERVE_URL

say "pushes: run 1, run 2 twice"
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push "$R1" --server "$U/"
expect_grep "^run $R1: $U/api/v1/runs/$R1\$" out "the run's URL"
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push "$R2" --server "$U"
counts() {
	sql "$S" "SELECT (SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM cases) || ' '
		|| (SELECT count(*) FROM attempts) || ' ' || (SELECT count(*) FROM samples) || ' '
		|| (SELECT count(*) FROM uploads)"
}
before=$(counts)
expect_eq "$before" "2 4 20 40 2" "rows after two pushes (runs cases attempts samples uploads)"
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push "$R2" --server "$U"
expect_eq "$(counts)" "$before" "rows after pushing run 2 again"
curl -s -o again.json -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
	--data-binary @/dev/null "$U/api/v1/runs" > code.txt
expect_eq "$(cat code.txt)" 400 "an empty body"

say "the server's comparison is netrig compare's"
curl -sf "$U/api/v1/compare?base=$R1&cand=$R2" > api-cmp.json || fail "GET compare"
"$NETRIG" compare "$R1" "$R2" --db "$L" --format json > cli-cmp.json
[ $? -le 1 ] || fail "netrig compare"
python3 - api-cmp.json cli-cmp.json <<'PY' || fail "the comparisons differ"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["schema"].startswith("netrig.compare/"), a
assert len(a["series"]) == 4, a["series"]
assert a == b, (a, b)
PY

say "a run read back is netrig report's JSON"
curl -sf "$U/api/v1/runs/$R1" > api-run.json || fail "GET run"
"$NETRIG" report "$R1" --db "$L" --format json > cli-run.json
python3 - api-run.json cli-run.json <<'PY' || fail "the reports differ"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["schema"] == "netrig.report/1", a["schema"]
# the same run and results; the history beside it is each database's own
for k in ("run", "results", "cases", "verdict"):
    assert a.get(k) == b.get(k), (k, a.get(k), b.get(k))
PY
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/runs/ffffffff-ffff")
expect_eq "$code" 404 "an unknown run"

say "the list and its filters"
list() { curl -sf "$U/api/v1/runs?$1" | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)["runs"]))'; }
expect_eq "$(list "")" "$R2 $R1" "all runs, newest first"
expect_eq "$(list "branch=main")" "$R1" "branch=main"
expect_eq "$(list "commit=bbbb")" "$R2" "commit=bbbb"
expect_eq "$(list "user=alice&campaign=servesynth&limit=1")" "$R2" "user, campaign, limit"
expect_eq "$(list "user=bob")" "" "user=bob"
expect_eq "$(list "label=rig=lo")" "$R2 $R1" "label=rig=lo"
expect_eq "$(list "label=rig=l")" "" "label=rig=l: a value, not a prefix"
expect_eq "$(list "limit=1")" "$R2" "limit=1: the newest"
expect_eq "$(list "commit=BBBB")" "" "commit=BBBB: a prefix as given"
expect_eq "$(list "campaign=servesynth&branch=main&commit=aaaa&label=rig=lo")" "$R1" "four filters"
curl -sf "$U/api/v1/runs" | grep -q "$TOK\|$hash" && fail "the API shows a token"
curl -sf "$U/api/v1/changes?campaign=servesynth" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "changes" in d or "series" in d, d' ||
	fail "GET changes"
curl -sf "$U/api/v1/history?campaign=servesynth&metric=bw" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [r["commit"] for r in d["runs"]] == ["aaaa1111", "bbbb2222"], d["runs"]
assert len(d["series"]) == 2 and all(len(s["values"]) == 2 for s in d["series"]), d["series"]' ||
	fail "GET history"

say "--all-unpushed, run --push"
expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit cccc3333 --branch main
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push --all-unpushed --server "$U"
[ "$(grep -c "^run " out)" = 1 ] || fail "--all-unpushed: one run expected, got: $(cat out)"
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" --db "$L" push --all-unpushed --server "$U"
expect_grep "already" err "nothing left to push"
NETRIG_TOKEN=$TOK expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit dddd4444 --push "$U"
expect_grep "^run .*: $U/api/v1/runs/" out "run --push prints the run's URL"
expect_eq "$(sql "$S" "SELECT count(*) FROM runs")" 4 "runs on the server"

say "the badge, /metrics"
curl -sf "$U/badge/servesynth.svg" > badge.svg || fail "GET badge"
grep -q '<svg' badge.svg && grep -q '>passing<' badge.svg || fail "badge: $(cat badge.svg)"
curl -sf "$U/badge/nothing-here.svg" | grep -q '>unknown<' || fail "the badge of no campaign"
# markup in a campaign's name comes back escaped
curl -sf "$U/badge/%3Cscript%3Ealert(1)%26%22.svg" > evil.svg || fail "GET evil badge"
grep -q '<script' evil.svg && fail "markup from the path in the badge: $(cat evil.svg)"
grep -q '&lt;script&gt;alert(1)&amp;&quot;' evil.svg ||
	fail "the name is not in the badge, escaped: $(cat evil.svg)"
curl -sf "$U/metrics" > metrics.txt || fail "GET metrics"
expect_grep '^netrig_runs\{status="passed"\} 4$' metrics.txt "runs by status"
expect_grep '^netrig_uploads_total [1-9]' metrics.txt "uploads counted"
expect_grep '^netrig_http_requests_total\{code="2xx"\} [1-9]' metrics.txt "requests counted"

say "a token revoked while the server believes it: refused within its trust (1 s)"
# the server believes a token it found good for 1 s without the store
# (serve_auth.c); the token is checked before the body (here none fits)
expect_exit 0 "$NETRIG" --db "$S" token create --user alice --scope push
LIVE=$(cat out)
live_post() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $LIVE" --data-binary '{}' \
		"$U/api/v1/runs"
}
expect_eq "$(live_post)" 422 "the live token's upload of no bundle (the token good)"
expect_exit 0 "$NETRIG" --db "$S" token revoke "$(echo "$LIVE" | cut -c5-20)"
t0=$(date +%s%N)
until [ "$(live_post)" = 401 ]; do
	[ $(($(date +%s%N) - t0)) -lt 5000000000 ] || fail "the revoked token still works after 5 s"
	sleep 0.05
done
took=$((($(date +%s%N) - t0) / 1000000))
say "refused after $took ms"
[ "$took" -lt 2000 ] || fail "the revoked token worked for $took ms (trust: 1 s)"
for i in 1 2 3; do expect_eq "$(live_post)" 401 "the revoked token, again"; done

say "pages: a campaign's, a run's (HTML, nothing runs or loads)"
curl -s -D page.h -o page.html "$U/campaigns/servesynth"
expect_grep "^HTTP/1.1 200" page.h "the campaign page"
expect_grep "^Content-Security-Policy: default-src 'none'" page.h "the page's policy"
grep -q "<svg" page.html && grep -q "Trends over runs" page.html || fail "the campaign page has no charts"
curl -sf "$U/runs/$R1" | grep -q "$R1" || fail "the run's page"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$U/campaigns/nothing-here")" 404 "no such campaign"

say "SIGTERM: a request in flight is answered, new connections are refused, exit 0"
expect_exit 0 "$NETRIG" run c.yaml -q --db "$L" --commit eeee5555 --branch main
R5=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' out)
"$NETRIG" --db "$L" push "$R5" --bundle r5.json || fail "bundle of run 5"
python3 - "$PORT" r5.json "$TOK" "$spid" <<'PY' || fail "the request in flight"
import os, signal, socket, sys, time
port, path, tok, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
body = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(("POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (tok, len(body))).encode())
s.sendall(body[:100])
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    raise SystemExit("a new connection was taken after SIGTERM")
except ConnectionRefusedError:
    pass
s.sendall(body[100:])
answer = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    answer += chunk
assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
PY
wait $spid
expect_eq "$?" 0 "serve's exit status after SIGTERM"
expect_eq "$(sql "$S" "SELECT count(*) FROM runs WHERE id = uuid_blob('$R5')")" 1 "the run sent while draining"
say "no token in the server's log"
expect_no_grep "$secret" serve.log "the log shows a token"
expect_grep "POST /api/v1/runs 201 .* user=alice" serve.log "an access line"

say "HTTPS with tls_cert and tls_key"
if openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 > /dev/null 2>&1; then
	printf 'tls_cert: cert.pem\ntls_key: key.pem\n' > tls.yaml
	"$NETRIG" serve --listen 127.0.0.1:0 --db "$S" --config tls.yaml > tls.out 2> tls.log &
	tpid=$!
	at_exit "kill $tpid 2>/dev/null"
	wait_until 10 grep -qs "listening on port" tls.out || { cat tls.log; fail "serve with TLS did not start"; }
	TP=$(sed -n 's/^listening on port //p' tls.out)
	curl -sf --cacert cert.pem "https://127.0.0.1:$TP/api/v1/runs?limit=1" | grep -q '"runs"' ||
		fail "a request over HTTPS"
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TP/api/v1/runs")
	[ "$code" = 200 ] && fail "plain HTTP answered on the HTTPS port"
	kill -TERM $tpid
	wait $tpid
	expect_eq "$?" 0 "serve's exit status after SIGTERM (TLS)"
else
	say "(no openssl to make a certificate: HTTPS not tried)"
fi
done_ok
