#!/bin/sh
# An ssh host without sha256sum cannot check the agent, so netrig never
# runs it there: plain roles run under the sh wrapper (the run says why),
# {netrig} is refused with that reason, and with sha256sum back the same
# host's roles run in the agent's session (exec_session.c), or, with it
# switched off, under the agent's wrapper in a session each. (ssh through the stand-in
# client tests/helpers/fake-ssh, in $HOME as sshd does; the host's PATH is
# every program here but sha256sum.)
. "$(dirname "$0")/lib.sh"

agent=${NETRIG_AGENT:-$top/netrig-agent}
[ -x "$agent" ] || fail "no $agent: run make"
mkdir home nosum
for d in /usr/local/bin /usr/bin /bin; do
	for f in "$d"/*; do
		n=${f##*/}
		[ "$n" = sha256sum ] || [ -e "nosum/$n" ] || ln -s "$f" "nosum/$n"
	done
done
export NETRIG_SSH="$top/tests/helpers/fake-ssh" HOME="$tmp/home" NETRIG_AGENT="$agent" FAKE_SSH_LOG="$tmp/ssh.log"
cat > c.yaml <<'EOF'
campaign: nosum
health: {when: never}
hosts:
  far: {transport: ssh, address: 127.0.0.1}
tests:
  - {name: plain, host: far, run: [sh, -c, 'echo ran; exit 4']}
  - {name: agent, host: far, run: ["{netrig}", --version]}
EOF

say "no sha256sum on the host: plain roles under the sh wrapper, {netrig} refused"
(PATH="$tmp/nosum"; export PATH; exec "$NETRIG" run c.yaml --db c.db) > run.out 2>&1
expect_eq $? 1 "the run's exit status ($(tail -3 run.out))"
sql c.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases.out
expect_grep "^plain failed .*exit 4" cases.out "the plain role ran, its status through the sh wrapper"
expect_grep "^agent [a-z]+ .*far: .*no sha256sum to check the agent with" cases.out "the {netrig} role's reason"
expect_grep "shift 5; " ssh.log "no role ran under the sh wrapper"
expect_no_grep "netrig-agent-[0-9a-f]{16} wrap " ssh.log "a role ran under an agent that was never checked"
ls home/.netrig/netrig-agent-* > /dev/null 2>&1 && fail "an agent was copied to a host that cannot check it"
sql c.db "SELECT message FROM events" > events.out
expect_grep "roles on far run under the sh wrapper, not the agent's: .*no sha256sum" events.out "the run names the fallback"

say "with sha256sum: the agent's session carries both roles"
: > ssh.log
expect_exit 1 "$NETRIG" run c.yaml --db c2.db
sql c2.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases2.out
expect_grep "^plain failed .*exit 4" cases2.out "the plain role in the agent's session"
expect_grep "^agent passed" cases2.out "the {netrig} role"
expect_eq "$(grep -cE "netrig-agent-[0-9a-f]{16} session" ssh.log)" 1 "one agent session for both roles"
expect_no_grep "shift 5; " ssh.log "a role ran under the sh wrapper"

say "with sha256sum and NETRIG_SSH_SESSION=off: the agent's wrapper, a session per role"
: > ssh.log
NETRIG_SSH_SESSION=off expect_exit 1 "$NETRIG" run c.yaml --db c3.db
sql c3.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases3.out
expect_grep "^plain failed .*exit 4" cases3.out "the plain role under the agent's wrapper"
expect_grep "^agent passed" cases3.out "the {netrig} role"
expect_eq "$(grep -cE "netrig-agent-[0-9a-f]{16} wrap - " ssh.log)" 2 "both roles under the agent's wrapper"
expect_no_grep "netrig-agent-[0-9a-f]{16} session" ssh.log "an agent session though switched off"
expect_no_grep "shift 5; " ssh.log "a role ran under the sh wrapper"
say "an agent session that cannot start: roles take a session each, and the run says why"
# ssh that refuses the session's command only (a server that allows one command, say)
cat > nosession-ssh <<EOF2
#!/bin/sh
case "\$*" in *netrig-agent-*" session"*) printf '%s\\n' "\$*" >> "\$FAKE_SSH_LOG"; echo "refused: no session here" >&2; exit 255 ;; esac
exec "$top/tests/helpers/fake-ssh" "\$@"
EOF2
chmod +x nosession-ssh
: > ssh.log
NETRIG_SSH="$tmp/nosession-ssh" expect_exit 1 "$NETRIG" run c.yaml --db c4.db
sql c4.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases4.out
expect_grep "^plain failed .*exit 4" cases4.out "the plain role without the session"
expect_grep "^agent passed" cases4.out "the {netrig} role without the session"
expect_eq "$(grep -cE "netrig-agent-[0-9a-f]{16} wrap - " ssh.log)" 2 "both roles under the agent's wrapper"
expect_eq "$(grep -cE "netrig-agent-[0-9a-f]{16} session" ssh.log)" 1 "the session tried once, not per role"
sql c4.db "SELECT message FROM events" > events4.out
expect_grep "roles on far take an ssh session each: the agent session could not start: .*refused: no session here" events4.out "the run names why"
done_ok
