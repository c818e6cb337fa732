#!/bin/sh
# Roles: a server role ready when its {port} listens and a client that
# talks to it (python3 http.server; iperf3 with its JSON parsed when
# installed); readiness by a regex on the output; a role that ends before
# it is ready, or is not ready in time, is a clear error and the next role
# never starts; non-main roles are stopped when the main role ends and
# leave no process behind.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

echo hello-file > file.txt
cat > c.yaml <<'EOF'
campaign: roles
tests:
  - name: http
    repeat: 2
    roles:
      - name: srv
        run: [sh, -c, 'echo $$ >> srv.pids; exec python3 -m http.server {port} --bind 127.0.0.1']
        ready: {port: "{port}", timeout: 10s}
      - name: cli
        run: [python3, -c, 'import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1]).read().decode().strip())',
              'http://{host.local.address}:{port}/file.txt']
  - name: regex
    roles:
      - name: srv
        run: [sh, -c, 'echo $$ > rx.pid; sleep 0.3; touch rx-ready; echo "server is up"; exec sleep 60']
        ready: {regex: "is up$", timeout: 10s}
      - name: cli
        run: [sh, -c, 'if [ -e rx-ready ]; then echo saw-ready; else echo too-early; exit 1; fi']
  - name: early
    roles:
      - name: srv
        run: [sh, -c, 'echo oops >&2; exit 3']
        ready: {port: "{port}", timeout: 5s}
      - name: cli
        run: [touch, cli-ran-early]
  - name: slow
    roles:
      - name: srv
        run: [sh, -c, 'echo $$ > slow.pid; exec sleep 60']
        ready: {port: "{port}", timeout: 500ms}
      - name: cli
        run: [touch, cli-ran-slow]
  - name: stopped
    roles:
      - name: srv
        run: [sh, -c, 'echo $$ > st.pid; sh -c "echo \$\$ > st-child.pid; exec sleep 60" & exec sleep 60']
        ready: {delay: 100ms}
      - name: cli
        run: [echo, client-done]
EOF

start=$(date +%s)
expect_exit 1 "$NETRIG" -q run c.yaml
secs=$(( $(date +%s) - start ))
sql netrig.db "select key || ' ' || status from cases order by ordinal" > statuses

say "a server ready on {port} and a client that fetches a file from it, twice"
expect_grep '^http passed$' statuses "http case"
expect_exit 0 "$NETRIG" log http --role cli --raw
expect_eq "$(cat out)" "hello-file
hello-file" "the client's output in both repeats"
expect_exit 0 "$NETRIG" log http --role srv --stream stderr --raw
expect_eq "$(grep -c 'GET /file.txt' out)" 2 "the server's log of the two requests"
expect_eq "$(wc -l < srv.pids | tr -d ' ')" 2 "a server per repeat"
for pid in $(cat srv.pids); do
	alive "$pid" && fail "the http server $pid outlived its case"
done

say "ready by a regex: the client starts only after the line"
expect_grep '^regex passed$' statuses "regex case"
expect_exit 0 "$NETRIG" log regex --role cli --raw
expect_eq "$(cat out)" saw-ready "the client saw the server ready"
alive "$(cat rx.pid)" && fail "the regex server outlived its case"

say "a role that ends before it is ready: a clear error, the client never runs"
expect_grep '^early failed$' statuses "early case"
expect_eq "$(sql netrig.db "select error from cases where key = 'early'")" \
	"role srv ended before it was ready (exit 3): oops" "error of the early case"
[ -e cli-ran-early ] && fail "the client ran although its server was never ready"

say "a role not ready within its ready timeout: a clear error, no process left"
expect_grep '^slow failed$' statuses "slow case"
sql netrig.db "select error from cases where key = 'slow'" > slow.err
expect_grep '^role srv was not ready within 0.5 s' slow.err "error of the slow case"
[ -e cli-ran-slow ] && fail "the client ran although its server was never ready"
alive "$(cat slow.pid)" && fail "the server that was never ready outlived its case"

say "the main role's end stops the other roles and their children"
expect_grep '^stopped passed$' statuses "a server stopped by us is not a failure"
for f in st.pid st-child.pid; do
	[ -s $f ] || fail "$f not written"
	alive "$(cat $f)" && fail "process $(cat $f) ($f) outlived its case"
done
[ -z "$(group_members "$(cat st.pid)")" ] || fail "the server's group still has processes"
[ $secs -le 15 ] || fail "the run took ${secs}s: roles were waited for, not stopped"

cat > m.yaml <<'EOF'
campaign: roles2
tests:
  - name: twomain
    roles:
      - name: side
        run: [sh, -c, 'echo $$ > side.pid; exec sleep 30']
      - name: a
        main: true
        run: [sh, -c, 'sleep 0.2; echo a-done']
      - name: b
        main: true
        run: [sh, -c, 'sleep 0.5; echo b-done']
  - name: sidefail
    roles:
      - name: side
        run: [sh, -c, 'sleep 0.1; echo side-broke >&2; exit 5']
        ready: {delay: 50ms}
      - name: cli
        run: [sleep, "1"]
  - name: ttimeout
    timeout: 700ms
    roles:
      - name: srv
        run: [sleep, "30"]
        ready: {port: "{port}", timeout: 10s}
      - name: cli
        run: [touch, cli-ran-ttimeout]
  - name: v6
    roles:
      - name: srv
        run: [python3, -m, http.server, "{port}", --bind, "::1"]
        ready: {port: "{port}", timeout: 10s}
      - name: cli
        run: [python3, -c, 'import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1]).status)', 'http://[::1]:{port}/']
  - name: roleenv
    env: {A: test-level, B: overridden}
    roles:
      - name: r
        env: {B: "role-{port}"}
        run: [sh, -c, 'echo "$A $B"']
EOF
expect_exit 1 "$NETRIG" -q run m.yaml --db m.db
say "two main roles: the case ends when both have ended; the other role is stopped"
expect_eq "$(sql m.db "select status from cases where key = 'twomain'")" passed "twomain"
expect_exit 0 "$NETRIG" --db m.db log twomain --role b --raw
expect_eq "$(cat out)" b-done "the slower main role was waited for"
alive "$(cat side.pid)" && fail "the side role outlived the case"
say "a non-main role that fails on its own fails the case and says why"
expect_eq "$(sql m.db "select status || ': ' || error from cases where key = 'sidefail'")" \
	"failed: role side: exit 5: side-broke" "sidefail"
say "the test's timeout also bounds readiness, and the message names it"
expect_eq "$(sql m.db "select a.outcome || ': ' || a.error from attempts a join cases c on c.id = a.case_id where c.key = 'ttimeout'")" \
	"timeout: timed out after 0.7 s waiting for role srv to be ready" "ttimeout"
[ -e cli-ran-ttimeout ] && fail "the client ran although the server was never ready"
say "ready by port also sees a server listening on IPv6 loopback only"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2> /dev/null; then
	expect_eq "$(sql m.db "select status || ' ' || coalesce(error, '') from cases where key = 'v6'")" "passed " "v6 case"
	expect_exit 0 "$NETRIG" --db m.db log v6 --role cli --raw
	expect_eq "$(cat out)" 200 "the client's HTTP status over ::1"
else
	echo "  no IPv6 here: not checked"
fi
say "role env over test env, with templates"
expect_exit 0 "$NETRIG" --db m.db log roleenv --raw
case "$(cat out)" in
"test-level role-"[0-9]*) ;;
*) fail "role env gave '$(cat out)'" ;;
esac

if command -v iperf3 > /dev/null; then
	say "iperf3 server and client on loopback, the client's JSON parsed"
	cat > i.yaml <<'EOF'
campaign: iperf
tests:
  - name: tcp
    timeout: 20s
    roles:
      - name: srv
        run: [iperf3, -s, -1, -B, 127.0.0.1, -p, "{port}"]
        ready: {port: "{port}"}
      - name: cli
        run: [iperf3, -c, 127.0.0.1, -p, "{port}", -n, 20M, -J]
        parse:
          format: json
          metrics:
            bps: {pointer: /end/sum_received/bits_per_second, unit: bit/s, better: higher}
EOF
	expect_exit 0 "$NETRIG" -q run i.yaml --db i.db
	expect_eq "$(sql i.db "select count(*) from samples where metric = 'bps' and role = 'cli' and value > 0")" 1 \
		"one positive bps sample"
	echo "  loopback: $(sql i.db "select cast(value / 1e9 as int) from samples") Gbit/s"
else
	echo "  iperf3 is not installed: that part is skipped"
fi
done_ok
