#!/bin/sh
# ssh hosts through a stand-in ssh client (tests/helpers/fake-ssh runs the
# remote command string with sh -c here, as sshd would): literal arguments,
# remote env and workdir, a hung remote command ended with its children,
# health checks counted in the status sheet, the breaker naming the failing
# host, a webhook notification, a restart command, and --resume.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/e2e/db.sh" # sql: ids as text
tmp=$(mktemp -d /tmp/netrig-t200.XXXXXX)
sink=""
cleanup() { [ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
N="$top/netrig"
export NETRIG_SSH="$top/tests/helpers/fake-ssh" FAKE_SSH_LOG="$tmp/ssh.log"
marker="netrig-t200-$$"

cat > far.yaml <<YAML
campaign: far
health: {ping: false, retries: 1, interval: 100ms}
hosts:
  far: {transport: ssh, address: 127.0.0.1, user: bench, port: 2222, workdir: $tmp}
tests:
  - name: args
    host: far
    run: [printf, "[%s]\n", "{v}"]
    matrix:
      v: ["a b", "x; touch $tmp/pwned", "\$(touch $tmp/pwned2)", "it's", "\`id\`"]
  - name: where
    host: far
    run: sh -c 'pwd; echo "X=\$X"'
    env: {X: "q'uote \$HOME"}
  - name: files
    host: far
    upload: [{host: far, from: payload, to: $tmp/remote}]
    collect: [{path: "$tmp/remote/payload/out-{n}.txt"}]
    matrix: {n: [1, 2]}
    run: [sh, -c, "tr a-z A-Z < $tmp/remote/payload/in.txt > $tmp/remote/payload/out-{n}.txt"]
  - name: hang
    host: far
    timeout: 1s
    kill_grace: 500ms
    run: [sh, -c, "sleep 300 & exec sleep 301", $marker]
YAML
mkdir payload && echo "hello upload" > payload/in.txt
"$N" run far.yaml --db far.db > out 2> err
rc=$?
[ $rc = 1 ] || { cat out err; fail "expected exit 1 (the hang case times out), got $rc"; }
[ ! -e pwned ] && [ ! -e pwned2 ] || fail "a parameter value was run as shell syntax"
for v in "a b" "x; touch $tmp/pwned" "\$(touch $tmp/pwned2)" "it's" "\`id\`"; do
	"$N" --db far.db log "args/v=$v" --raw --stream stdout | grep -qxF "[$v]" ||
		fail "value '$v' did not arrive as one literal argument"
done
"$N" --db far.db log where --raw --stream stdout > where.out
grep -qx "$tmp" where.out || fail "remote workdir not applied: $(cat where.out)"
grep -qxF "X=q'uote \$HOME" where.out || fail "remote env not literal: $(cat where.out)"
grep -q -- "-l bench" ssh.log && grep -q -- "-p 2222" ssh.log || fail "user/port not passed to ssh"
grep -q "ControlMaster=yes.* -N " ssh.log || fail "no shared connection was started"
[ "$(grep -c -- ' -N ' ssh.log)" = 1 ] || fail "the shared connection was started more than once"
grep -q -- "-O exit" ssh.log || fail "shared connections not closed"
"$N" --db far.db status --csv | grep -q '^[0-9]*,hang,hang,failed' || fail "hang is not failed"
"$N" --db far.db status | grep hang | grep -q "timed out" || fail "hang's error does not say timed out"
sleep 0.3
if pgrep -f "$marker" > /dev/null; then
	pgrep -af "$marker"
	fail "the hung remote command or its child survived the timeout"
fi
[ -z "$(ls -A "$HOME/.netrig" 2>/dev/null | grep -F "$(sql far.db "SELECT uuid_str(id) FROM runs")")" ] ||
	fail "the run's remote state (pidfiles) was left behind"
[ -f remote/payload/in.txt ] || fail "upload did not copy payload/ to the host"
"$N" --db far.db log files/n=2 | grep -q "file:$tmp/remote/payload/out-2.txt" || fail "collect: no file output stored"
"$N" --db far.db log files/n=2 --raw --stream "file:$tmp/remote/payload/out-2.txt" | grep -qx "HELLO UPLOAD" ||
	fail "collect: the collected file's content is not stored"
echo "ok: ssh arguments, env, workdir, remote cleanup, upload, collect"

# a notification receiver
python3 "$top/tests/helpers/http-sink.py" "$tmp/posts" 60 > sink.out &
sink=$!
for i in $(seq 100); do grep -q listening sink.out 2>/dev/null && break; sleep 0.05; done
port=$(awk '{print $2}' sink.out)
[ -n "$port" ] || fail "http sink did not start"

cat > down.yaml <<YAML
campaign: down
stop_after_failures: 2
health: {ping: false, retries: 1, interval: 100ms}
notify: {url: "http://127.0.0.1:$port/hook", on: [failure, breaker, finish]}
hosts:
  b: {transport: ssh, address: 10.255.255.1}
tests:
  - name: t
    host: b
    run: [echo, "n={n}"]
    matrix: {n: [1, 2, 3, 4, 5]}
    parse: {format: keyvalue, metrics: {n: {}}}
YAML
touch host-down
FAKE_SSH_DOWN="$tmp/host-down" "$N" run down.yaml --db down.db > out 2> err
rc=$?
[ $rc = 3 ] || { cat out err; fail "expected exit 3 from the breaker, got $rc"; }
"$N" --db down.db status > st
grep -q "failing hosts: b" st || { cat st; fail "the breaker's reason does not name host b"; }
sqlite3 down.db "SELECT status, ssh_check_count FROM cases ORDER BY ordinal" > sheet
[ "$(head -2 sheet)" = "$(printf 'failed|2\nfailed|2')" ] || { cat sheet; fail "ssh check counts not 2,2 in the sheet"; }
[ "$(sed -n 3p sheet)" = "pending|0" ] || fail "case 3 should be pending"
sleep 0.2
grep -q '"event": *"breaker"' posts && grep -q '"text": *".*failing hosts: b' posts ||
	{ cat posts; fail "no breaker notification reached the receiver"; }
grep -c '"event": *"failure"' posts | grep -qx 2 || fail "expected 2 failure notifications"
sqlite3 down.db "SELECT count(*) FROM events WHERE kind = 'health' AND host = 'b'" | grep -qv '^0$' ||
	fail "health check failures are not recorded as events"
echo "ok: health checks, breaker, notifications"

# the host comes back; resume finishes the rest, none twice
rm host-down
FAKE_SSH_DOWN="$tmp/host-down" "$N" run --resume down.yaml --db down.db > out 2> err
rc=$?
[ $rc = 1 ] || { cat out err; fail "resume: expected exit 1 (two cases failed before), got $rc"; }
sqlite3 down.db "SELECT key, status, attempts FROM cases ORDER BY ordinal" > sheet
[ "$(grep -c '|passed|1$' sheet)" = 3 ] || { cat sheet; fail "resume did not pass cases 3-5 once each"; }
[ "$(sqlite3 down.db "SELECT count(*) FROM samples")" = 3 ] || fail "expected 3 samples after resume"
echo "ok: resume after the breaker"

# a restart command brings the host back
cat > restart.yaml <<YAML
campaign: restart
health: {ping: false, retries: 0, interval: 100ms}
hosts:
  b: {transport: ssh, address: 10.255.255.1, restart: [rm, -f, "$tmp/host-down"], restart_timeout: 5s}
tests:
  - {name: t, host: b, run: [echo, ok]}
YAML
touch host-down
FAKE_SSH_DOWN="$tmp/host-down" "$N" run restart.yaml --db r.db > out 2> err || { cat out err; fail "restart: run failed"; }
sqlite3 r.db "SELECT message FROM events WHERE kind = 'restart'" | grep -q "back after the restart" ||
	fail "the restart is not recorded"
echo "ok: restart"
