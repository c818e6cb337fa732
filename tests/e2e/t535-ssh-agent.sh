#!/bin/sh
# Issue 14, the failing campaign: two sshd hosts `server` and `client` and
# a controller `ctl` (links server-client, ctl-server, ctl-client), three
# built-in workloads over ssh, netrig on no PATH of the ssh hosts. Every
# case passes over the server-client link; the agent is copied once per
# host (a second run copies nothing and reuses it, verified); a tampered
# agent is replaced, never run; `netrig hosts clean` removes it; a host of
# another architecture is refused naming both (its plain roles run under
# the sh wrapper, not the agent's); a program that is not there is
# reported as HOST: PROGRAM: not found on every transport.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip > /dev/null || skip "needs iproute2"
[ -x /usr/sbin/sshd ] || skip "needs openssh-server"
[ -x "$top/netrig-agent" ] || fail "no $top/netrig-agent: run make"
# also when NETRIG_BIN is another build (build/asan/netrig has no agent beside it)
NETRIG_AGENT=${NETRIG_AGENT:-$top/netrig-agent}
export NETRIG_AGENT

lab=t535-$$
cat > lab.yaml <<EOF
lab: $lab
dir: $tmp/lab
subnet: 10.85.0.0/16
hosts:
  ctl: {controller: true}
  server: {sshd: true}
  client: {sshd: true}
links:
  - [server, client]
  - [ctl, server]
  - [ctl, client]
EOF
at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
"$NETRIG" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }
inlab() { "$NETRIG" lab exec lab.yaml ctl -- "$@"; }
remote() { inlab ssh -F "$tmp/lab/ssh_config" "$1" "$2"; }

say "netrig is on no PATH of the ssh hosts"
remote server 'command -v netrig' > which.out 2>&1 && fail "netrig is on the ssh host's PATH ($(cat which.out)): this test cannot tell the agent from it"

cat > c.yaml <<'EOF'
campaign: t535
lab: lab.yaml
hosts:
  server: {transport: ssh}
  client: {transport: ssh}
tests:
  - name: stream
    workload: tcp_stream
    options: {duration: 1s}
  - name: rr
    workload: tcp_rr
    options: {duration: 500ms}
  - name: crr
    workload: tcp_crr
    options: {duration: 500ms}
EOF
say "the issue's campaign: three workloads over ssh from the controller"
expect_exit 0 inlab "$NETRIG" run c.yaml --db r.db
expect_eq "$(sql r.db "SELECT count(*) FROM cases WHERE status = 'passed'")" 3 "every workload case passes"
# the lab's ssh hosts share one home: the second host finds the first's copy, verified
copies=$(sql r.db "SELECT count(*) FROM events WHERE kind = 'agent'")
expect_eq "$copies" 1 "the agent copied once (the two hosts share the lab's home)"
sql r.db "SELECT message FROM events WHERE kind = 'agent'" > copies.out
expect_grep "agent netrig-agent-[0-9a-f]{16} copied to (server|client) \([0-9]+ bytes in [0-9]+ ms\)" copies.out "the copy names host, size and time"
ls "$tmp/lab/home/.netrig/"netrig-agent-* > agents.out 2>&1 || fail "no agent in the ssh user's ~/.netrig"
expect_eq "$(wc -l < agents.out)" 1 "one agent file (both hosts share the lab's home)"
agent=$(cat agents.out)
cmp -s "$agent" "$top/netrig-agent" || fail "the copy differs from netrig-agent"

say "every host described: ssh hosts through the agent, netns hosts their own namespace"
# server's eth0 (server-client link) is 10.85.0.1, ctl's eth0 (ctl-server) 10.85.1.1
sql r.db "SELECT sysinfo FROM hosts WHERE name = 'server' AND run_id = (SELECT id FROM runs ORDER BY started_at LIMIT 1)" > si-server.json
grep -q '"10.85.0.1"' si-server.json || fail "the ssh host's description lacks its own address: $(head -c 300 si-server.json)"
sql r.db "SELECT sysinfo FROM hosts WHERE name = 'ctl' AND run_id = (SELECT id FROM runs ORDER BY started_at LIMIT 1)" > si-ctl.json
grep -q '"10.85.1.1"' si-ctl.json || fail "the netns host's description lacks its namespace's address"
grep -q '"10.85.0.1"' si-ctl.json && fail "the netns host's description shows another namespace's interfaces"
sql r.db "SELECT sysinfo FROM hosts WHERE name = 'local' AND run_id = (SELECT id FROM runs ORDER BY started_at LIMIT 1)" > si-local.json
grep -q '"hostname"' si-local.json || fail "no description of the controller"
expect_exit 0 "$NETRIG" --db r.db report --format html -o report.html
for h in server client ctl local; do
	grep -q "$h" report.html || fail "the HTML report does not show host $h"
done
grep -c '10\.85\.0\.1' report.html > /dev/null || fail "the HTML report lacks the ssh host's address"

say "a second run copies nothing"
expect_exit 0 inlab "$NETRIG" run c.yaml --db r.db
expect_eq "$(sql r.db "SELECT count(*) FROM events WHERE kind = 'agent'")" 1 "no copy in the second run"

say "a tampered agent is not run: it is replaced"
printf '#!/bin/sh\ntouch %s/pwned\n' "$tmp" > "$agent"
expect_exit 0 inlab "$NETRIG" run c.yaml --db r.db --test rr
[ -e "$tmp/pwned" ] && fail "the tampered agent ran"
cmp -s "$agent" "$top/netrig-agent" || fail "the tampered agent was not replaced"
expect_eq "$(sql r.db "SELECT count(*) FROM events WHERE kind = 'agent'")" 2 "the replacement is a copy"

say "netrig hosts clean removes it"
expect_exit 0 inlab "$NETRIG" hosts clean c.yaml
expect_grep "^(server|client): removed 1 agent$" out "clean says what it removed"
ls "$tmp/lab/home/.netrig/"netrig-agent-* > /dev/null 2>&1 && fail "the agent is still there after hosts clean"

say "a program that is not there: HOST: PROGRAM: not found on ssh, netns and local hosts"
# client is not named in this campaign: a netns host of the lab
cat > miss.yaml <<'EOF'
campaign: t535-miss
lab: lab.yaml
hosts:
  server: {transport: ssh}
tests:
  - {name: ssh, host: server, run: [netrig-no-such-prog, x]}
  - {name: ssh-env, host: server, env: {A: b}, run: [netrig-no-such-prog]}
  - {name: ssh-path, host: server, run: [/nonexistent/netrig-no-such-prog]}
  - {name: ssh-noexec, host: server, run: ['@NOEXEC@']}
  - {name: netns, host: client, run: [netrig-no-such-prog]}
  - {name: local, run: [netrig-no-such-prog]}
  - {name: local-noexec, run: ['@NOEXEC@']}
  - name: ready
    roles:
      - {name: srv, host: server, run: [netrig-no-such-prog], ready: {regex: never}}
      - {name: cli, run: ["true"]}
EOF
printf 'echo ran\n' > noexec && chmod 644 noexec
sed -i "s|@NOEXEC@|$tmp/noexec|" miss.yaml
expect_exit 1 inlab "$NETRIG" run miss.yaml --db m.db
sql m.db "SELECT test || ' ' || error FROM cases ORDER BY ordinal" > miss.out
for want in "ssh role main: server: netrig-no-such-prog: not found" \
	"ssh-env role main: server: netrig-no-such-prog: not found" \
	"ssh-path role main: server: /nonexistent/netrig-no-such-prog: not found" \
	"ssh-noexec role main: server: $tmp/noexec: Permission denied" \
	"netns role main: client: netrig-no-such-prog: not found" \
	"local role main: local: netrig-no-such-prog: not found" \
	"local-noexec role main: local: $tmp/noexec: Permission denied" \
	"ready role srv: server: netrig-no-such-prog: not found"; do
	grep -qxF "$want" miss.out || { cat miss.out; fail "no line '$want'"; }
done
expect_no_grep "nrstat|shift 5|exec sh" miss.out "the far side's wrapper text"

say "a host of another architecture is refused, naming both"
cat > fake-uname <<'EOF'
#!/bin/sh
[ "$1" = -m ] && { echo riscv64; exit 0; }
exec /bin/uname "$@"
EOF
chmod +x fake-uname
mkdir -p "$tmp/lab/home/bin" && cp fake-uname "$tmp/lab/home/bin/uname"
cat > arch.yaml <<EOF
campaign: t535-arch
lab: lab.yaml
hosts:
  server: {transport: ssh}
tests:
  - name: sys
    host: server
    env: {PATH: "$tmp/lab/home/bin:/usr/bin:/bin"}
    run: ["{netrig}", sysinfo]
  - {name: plain, host: server, run: [sh, -c, 'cat /proc/\$PPID/comm']}
EOF
# the agent script runs before the role's env: put the fake uname first in the sshd's PATH
sed -i "s|^SetEnv HOME=|SetEnv PATH=$tmp/lab/home/bin:/usr/bin:/bin HOME=|" "$tmp"/lab/ssh/server/sshd_config 2> /dev/null
grep -q "SetEnv PATH=" "$tmp"/lab/ssh/server/sshd_config || skip "cannot give the lab's sshd another PATH"
kill -HUP "$(sed -n 's/^sshd.server.pid=//p' "$tmp/lab/state")"
sleep 0.3
expect_exit 1 inlab "$NETRIG" run arch.yaml --db a.db
sql a.db "SELECT error FROM cases" > arch.out
expect_grep "server: the host is riscv64, netrig-agent is built for $(uname -m)" arch.out "the refusal names the host and both architectures"
# plain roles there run under the sh wrapper instead of the agent's, and the run says why
expect_eq "$(sql a.db "SELECT status FROM cases WHERE test = 'plain'")" passed "a plain role on that host"
"$NETRIG" --db a.db log plain --raw --stream stdout > plain.out
expect_grep "^sh$" plain.out "the plain role's parent is not the sh wrapper"
sql a.db "SELECT message FROM events" > arch-events.out
expect_grep "roles on server run under the sh wrapper, not the agent's: .*riscv64" arch-events.out "the run names the fallback"
done_ok
