#!/bin/sh
# Issue 5 for real: a 3-namespace lab with sshd in two namespaces, the
# campaign controller inside the lab, roles over ssh. iperf3 server on B over
# ssh with the client on the controller; a hostile value arrives literally;
# a hung remote command is ended at its timeout with nothing left in B;
# B's sshd killed mid-campaign: health checks counted, the breaker trips,
# a webhook reaches a receiver in the lab, exit 3; B back; --resume
# finishes every case once.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/e2e/db.sh" # sql: ids as text
N="$top/netrig"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
command -v ip > /dev/null || { echo "needs iproute2"; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "needs openssh-server"; exit 77; }
command -v iperf3 > /dev/null || { echo "needs iperf3"; exit 77; }
tmp=$(mktemp -d /tmp/nrt520.XXXXXX)
lab=t520-$$     # other checkouts may run this script at the same time
remote=/tmp/nrt520-remote-$$
sink=""
cleanup() {
	[ -n "$sink" ] && kill "$sink" 2>/dev/null
	"$N" lab down "$tmp/lab.yaml" > /dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; [ -f err ] && tail -20 err; exit 1; }

cat > lab.yaml <<YAML
lab: $lab
dir: $tmp/lab
subnet: 10.79.0.0/16
hosts:
  a: {controller: true}
  b: {sshd: true}
  c: {sshd: true}
links:
  - [a, b]
  - [a, c]
YAML
"$N" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }
inlab() { "$N" lab exec lab.yaml a -- "$@"; }
before_b=$(ip netns pids $lab-b | sort | tr '\n' ' ')

cat > iperf.yaml <<'YAML'
campaign: t520-iperf
lab: lab.yaml
hosts:
  b: {transport: ssh}
  c: {transport: ssh}
tests:
  - name: tcp
    repeat: 2
    roles:
      - name: server
        host: b
        run: iperf3 --server --one-off --bind {host.b.address} --port {port}
        ready: {port: "{port}", timeout: 10s}
      - name: client
        run: iperf3 --client {host.b.address} --port {port} --time 1 --json
        parse:
          format: json
          metrics:
            throughput: {pointer: /end/sum_received/bits_per_second, unit: bit/s, better: higher}
  - name: literal
    host: c
    run: [printf, "[%s]\n", "{v}"]
    matrix:
      v: ["x; touch $PWNED", '$(touch $PWNED)']
  - name: files
    host: c
    upload: [{host: c, from: payload, to: @REMOTE@}]
    collect: [{path: @REMOTE@/payload/out.txt}]
    run: [sh, -c, "tr a-z A-Z < @REMOTE@/payload/in.txt > @REMOTE@/payload/out.txt"]
  - name: hang
    host: b
    timeout: 2s
    kill_grace: 500ms
    run: [sh, -c, "sleep 600 & sleep 601", t520-hang]
YAML
sed -i "s|\$PWNED|$tmp/pwned|g; s|@REMOTE@|$remote|g" iperf.yaml
mkdir payload && echo "over ssh" > payload/in.txt
rm -rf $remote
inlab "$N" run iperf.yaml --db r.db > out 2> err
rc=$?
[ $rc = 1 ] || { cat out; fail "expected exit 1 (hang times out), got $rc"; }
n=$(sqlite3 r.db "SELECT count(*) FROM samples WHERE metric = 'throughput' AND value > 1e8")
[ "$n" = 2 ] || fail "expected 2 iperf3 throughput samples over ssh, got $n"
sqlite3 r.db "SELECT hosts FROM cases WHERE test = 'tcp'" | grep -q '"server":"b"' || fail "the sheet does not say b ran the server"
[ -e pwned ] && fail "a parameter value ran as shell syntax on the far side"
"$N" --db r.db log 'literal/v=x; touch '"$tmp"'/pwned' --raw --stream stdout | grep -qxF "[x; touch $tmp/pwned]" ||
	fail "the value did not arrive as one literal argument"
"$N" --db r.db log files --raw --stream file:$remote/payload/out.txt | grep -qx "OVER SSH" ||
	fail "upload/collect over ssh"
rm -rf $remote
sqlite3 r.db "SELECT status, error FROM cases WHERE test = 'hang'" | grep -q "failed|timed out" || fail "hang did not time out"
sleep 0.5
after_b=$(ip netns pids $lab-b | sort | tr '\n' ' ')
for p in $after_b; do
	case " $before_b " in *" $p "*) ;; *) fail "process $p ($(tr '\0' ' ' < /proc/$p/cmdline)) left in b's namespace";; esac
done
run=$(sql r.db "SELECT uuid_str(id) FROM runs")
ls -d "$tmp/lab/home/.netrig/$run".* 2>/dev/null | grep -q . && fail "the run's remote state (pidfiles) was left on the host"
echo "ok: ssh roles in a lab: iperf3 over ssh, literal values, hung command ended, nothing left in b"

# a webhook receiver inside the lab, next to the controller
inlab python3 "$top/tests/helpers/http-sink.py" "$tmp/posts" 120 > sink.out 2>&1 &
sink=$!
for i in $(seq 100); do grep -q listening sink.out 2>/dev/null && break; sleep 0.05; done
port=$(awk '{print $2}' sink.out)
[ -n "$port" ] || fail "the webhook receiver did not start"
cat > down.yaml <<YAML
campaign: t520-down
lab: lab.yaml
stop_after_failures: 2
health: {timeout: 2s, retries: 1, interval: 200ms}
notify: {url: "http://127.0.0.1:$port/hook"}
hosts:
  b: {transport: ssh}
tests:
  - name: t
    host: b
    retries: 1
    run: [sh, -c, "sleep 0.4; echo n={n}"]
    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}
    parse: {format: keyvalue, metrics: {n: {}}}
YAML
inlab "$N" run down.yaml --db d.db > out 2> err &
runner=$!
for i in $(seq 300); do
	[ "$(sqlite3 d.db "SELECT count(*) FROM cases WHERE status = 'passed'" 2>/dev/null)" -ge 2 ] 2>/dev/null && break
	sleep 0.05
done
# B's sshd goes away: every sshd process in its namespace, by pid
for p in $(ip netns pids $lab-b); do
	case "$(cat /proc/$p/comm 2>/dev/null)" in sshd) kill -9 "$p";; esac
done
wait $runner
rc=$?
[ $rc = 3 ] || { cat out; fail "expected exit 3 from the breaker, got $rc"; }
"$N" --db d.db status > st
grep -q "failing hosts: b" st || { cat st; fail "the breaker does not name host b"; }
checks=$(sqlite3 d.db "SELECT sum(ping_count), sum(ssh_check_count) FROM cases WHERE status = 'failed'")
case $checks in 0\|*|*\|0|"") fail "no health checks counted on the failed cases: $checks";; esac
sleep 0.3
grep -q '"event": *"breaker"' posts || { cat posts; fail "no breaker notification reached the receiver"; }
done_before=$(sqlite3 d.db "SELECT count(*) FROM cases WHERE status = 'passed'")
echo "ok: sshd killed: breaker after 2, checks counted ($checks), webhook received"

"$N" lab up lab.yaml > up2.out 2>&1 || { cat up2.out; fail "lab up did not bring b's sshd back"; }
inlab "$N" run --resume down.yaml --db d.db > out 2> err
rc=$?
[ $rc = 1 ] || { cat out; fail "resume: expected exit 1 (the cases failed while b was down stay failed), got $rc"; }
sqlite3 d.db "SELECT status, count(*) FROM cases GROUP BY status" > sheet
pending=$(sqlite3 d.db "SELECT count(*) FROM cases WHERE status IN ('pending', 'running')")
[ "$pending" = 0 ] || fail "cases left pending after resume"
dups=$(sqlite3 d.db "SELECT count(*) FROM (SELECT case_id, repeat FROM samples GROUP BY case_id, repeat HAVING count(*) > 1)")
[ "$dups" = 0 ] || fail "a case has samples twice"
passed=$(sqlite3 d.db "SELECT count(*) FROM cases WHERE status = 'passed'")
[ "$passed" -gt "$done_before" ] || fail "resume passed no more cases"
[ "$(sqlite3 d.db "SELECT count(*) FROM samples")" = "$passed" ] || fail "samples do not match passed cases"
echo "ok: b back, --resume finished the rest ($(tr '\n' ' ' < sheet))"
