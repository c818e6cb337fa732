#!/bin/sh
# The agent session (exec_session.c): where the agent is on an ssh host,
# every role of a run there goes through one long-lived `netrig-agent
# session`, not an ssh session each. Through a real sshd in a lab
# namespace: many cases share one session (the roles' grandparent, the
# session's process, is one; with NETRIG_SSH_SESSION=off each role has
# its own); output byte-exact (binary, over 1 MB, stdout and stderr);
# exit status, signal and "cannot run" as under the per-role wrapper; a
# role at its timeout ends on the far side (checked by pid); netrig killed
# -9 mid-case leaves nothing there; the session's ssh killed mid-run fails
# the role with a message naming the host, and the next case starts a new
# session and passes.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip > /dev/null || skip "needs iproute2"
[ -x /usr/sbin/sshd ] || skip "needs openssh-server"
agent=${NETRIG_AGENT:-$top/netrig-agent}
[ -x "$agent" ] || fail "no $agent: run make"
# also for another build (NETRIG_BIN=build/asan/netrig has no agent beside it)
NETRIG_AGENT=$agent
export NETRIG_AGENT
lab=t539-$$
ssh_lab $lab 10.94.0.0/16
E="t539s$$"
cp "$(command -v sleep)" "$tmp/$E" || fail "cannot copy sleep"
ours() { grep -lx "$E" /proc/[0-9]*/comm 2> /dev/null | wc -l; }
none_ours() { [ "$(ours)" = 0 ]; }
one_ours() { [ "$(ours)" -ge 1 ]; }
at_exit 'for f in $(grep -lx "$E" /proc/[0-9]*/comm 2>/dev/null); do p=${f#/proc/}; kill -9 ${p%/comm}; done 2>/dev/null'
gone() { ! alive "$1"; }
run_in_a() { "$NETRIG" lab exec lab.yaml a -- "$NETRIG" "$@"; }

head -c 1500000 /dev/urandom > big.bin
head -c 300000 /dev/urandom > err.bin
cat > c.yaml <<EOF2
campaign: t539
lab: lab.yaml
health: {when: never}
hosts:
  b: {transport: ssh}
tests:
  - name: many
    host: b
    # the wrapper's parent: the session (or, without one, sshd, which started the role's session)
    run: [sh, -c, 'echo out {i}; echo err {i} >&2; read -r s < /proc/\$PPID/stat; set -- \$s; echo "gp \$4 \$(cat /proc/\$4/comm)"']
    matrix:
      i: [$(seq -s, 1 20)]
  - {name: missing, host: b, run: [netrig-no-such-prog, x]}
  - {name: status, host: b, run: [sh, -c, 'exit 3']}
  - {name: sig, host: b, run: [sh, -c, 'kill -9 \$\$']}
  - {name: big, host: b, output_limit: 4MB, run: [sh, -c, 'cat $tmp/big.bin; cat $tmp/err.bin >&2']}
  - {name: env, host: b, env: {T539: "a b'c"}, workdir: $tmp/wd/x, run: [sh, -c, 'echo "\$T539"; pwd']}
  - name: hang
    host: b
    timeout: 1s
    kill_grace: 300ms
    run: [sh, -c, "echo \$\$ > $tmp/hang.pid; trap '' TERM; exec $tmp/$E 300"]
EOF2
for mode in session off; do
	say "20 cases and the attacks ($mode)"
	rm -f c.db* hang.pid
	NETRIG_SSH_SESSION=$mode run_in_a run c.yaml --db c.db > run.out 2>&1
	sql c.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases.out
	[ "$(grep -c '^many passed' cases.out)" = 20 ] || { cat run.out; fail "not all 20 cases passed ($mode)"; }
	for i in 1 2 3; do
		"$NETRIG" --db c.db log "many/i=$i" --raw --stream stdout > o.out
		"$NETRIG" --db c.db log "many/i=$i" --raw --stream stderr > e.out
		expect_grep "^out $i\$" o.out "stdout of case $i"
		expect_grep "^err $i\$" e.out "stderr of case $i"
	done
	for i in $(seq 20); do "$NETRIG" --db c.db log "many/i=$i" --raw --stream stdout; done | sed -n 's/^gp //p' | sort -u > gp.out
	if [ $mode = session ]; then
		[ "$(wc -l < gp.out)" = 1 ] || fail "20 roles, $(wc -l < gp.out) sessions: $(tr '\n' ' ' < gp.out)"
		expect_grep "^[0-9]+ netrig-agent-" gp.out "the roles' session is the agent's"
		sql c.db "SELECT message FROM events" > events.out
		expect_no_grep "take an ssh session each" events.out "the session started"
	else
		expect_grep "^[0-9]+ sshd\$" gp.out "off: each role in an ssh session of its own"
	fi
	expect_grep "^missing [a-z]+ role main: b: netrig-no-such-prog: not found\$" cases.out "the cannot-run line ($mode)"
	expect_grep "^status failed .*exit 3" cases.out "the exit status ($mode)"
	expect_grep "^sig failed .*exit 137" cases.out "a signal ($mode)"
	expect_grep "^big passed" cases.out "big output ($mode)"
	"$NETRIG" --db c.db log big --raw --stream stdout > big.out
	"$NETRIG" --db c.db log big --raw --stream stderr > err.out
	cmp big.bin big.out || fail "stdout not byte-exact ($mode): $(wc -c < big.out) bytes"
	cmp err.bin err.out || fail "stderr not byte-exact ($mode): $(wc -c < err.out) bytes"
	"$NETRIG" --db c.db log env --raw --stream stdout > env.out
	expect_grep "^a b'c\$" env.out "env through the session ($mode)"
	expect_grep "^$tmp/wd/x\$" env.out "workdir made and used ($mode)"
	expect_grep "^hang [a-z]+ .*(timed out|timeout)" cases.out "the hung role ($mode)"
	[ -s hang.pid ] || fail "the hung role wrote no pid"
	gone "$(cat hang.pid)" || fail "the hung role's process $(cat hang.pid) outlived its timeout ($mode)"
	wait_until 5 none_ours || fail "$(ours) processes of the hung role left on the host ($mode)"
	rm -rf wd
done

say "netrig killed -9 mid-case: nothing left on the far side"
cat > k.yaml <<EOF2
campaign: t539-kill
lab: lab.yaml
health: {when: never}
hosts:
  b: {transport: ssh}
tests:
  - {name: hang, host: b, timeout: 60s, kill_grace: 500ms, run: [sh, -c, "echo \$\$ > $tmp/k.pid; exec $tmp/$E 301"]}
EOF2
rm -f k.db* k.pid
# lab exec runs netrig in the namespace as this pid (no subshell: it is killed below)
"$NETRIG" lab exec lab.yaml a -- "$NETRIG" run k.yaml --db k.db > k.out 2>&1 &
pid=$!
wait_until 20 one_ours || { cat k.out; fail "the role did not start"; }
wait_until 5 test -s k.pid || fail "no pid from the role"
for c in $(cat /proc/$pid/task/*/children 2> /dev/null); do
	[ "$(readlink /proc/$c/exe)" = "$(readlink /proc/$pid/exe)" ] && kill -9 "$c"
done
kill -9 $pid
wait $pid 2> /dev/null
wait_until 5 gone "$(cat k.pid)" || {
	for p in $(ip netns pids $lab-b) $(ip netns pids $lab-a); do echo "$p $(cut -d' ' -f4,5 /proc/$p/stat): $(tr '\0' ' ' < /proc/$p/cmdline | head -c 150)"; done
	fail "the role's process outlived netrig on the host"
}
wait_until 5 none_ours || fail "$(ours) processes of the role outlived netrig on the host"
for p in $(ip netns pids $lab-a); do
	tr '\0' ' ' < /proc/$p/cmdline 2> /dev/null | grep -q "ControlMaster=yes" && kill "$p"
done

say "the session's ssh killed mid-run: the role fails naming the host, the next case has a new session"
cat > l.yaml <<EOF2
campaign: t539-lost
lab: lab.yaml
health: {when: never}
hosts:
  b: {transport: ssh}
tests:
  - {name: first, host: b, run: [sh, -c, 'read -r s < /proc/\$PPID/stat; set -- \$s; echo "gp \$4"']}
  - {name: cut, host: b, timeout: 60s, kill_grace: 300ms, run: [sh, -c, "echo \$\$ > $tmp/l.pid; exec $tmp/$E 302"]}
  - {name: after, host: b, run: [sh, -c, 'read -r s < /proc/\$PPID/stat; set -- \$s; echo "gp \$4"']}
EOF2
rm -f l.db* l.pid
"$NETRIG" lab exec lab.yaml a -- "$NETRIG" run l.yaml --db l.db > l.out 2>&1 &
pid=$!
wait_until 20 test -s l.pid || { cat l.out; fail "the role did not start"; }
cut=""
for p in $(ip netns pids $lab-a); do
	cl=$(tr '\0' ' ' < /proc/$p/cmdline 2> /dev/null)
	case $cl in ssh*netrig-agent*session*) cut=$p ;; esac
done
[ -n "$cut" ] || fail "no ssh client of the session in the controller's namespace"
kill -9 "$cut"
wait $pid
sql l.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases.out
expect_grep "^first passed" cases.out "before the cut"
expect_grep "^cut [a-z]+ .*b: the agent session there ended before the role did" cases.out "the lost session, named"
expect_grep "^after passed" cases.out "a new session after the cut"
"$NETRIG" --db l.db log first --raw --stream stdout > g1.out
"$NETRIG" --db l.db log after --raw --stream stdout > g2.out
cmp -s g1.out g2.out && fail "the case after the cut ran in the lost session: $(cat g2.out)"
wait_until 5 gone "$(cat l.pid)" || fail "the cut role's process outlived its session on the host"
done_ok
