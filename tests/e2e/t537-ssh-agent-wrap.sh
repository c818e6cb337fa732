#!/bin/sh
# Issue 14's benchmark: roles on an ssh host run under the agent's wrapper
# (`netrig-agent wrap`) where the host takes the agent, under the sh
# wrapper where it cannot be had, with one contract. Through a real sshd in
# a lab namespace: the role's parent is the agent; exit statuses come
# through; a program that is not there is "b: PROG: not found"; a hung role
# (SIGTERM ignored, a child in its group) is ended at its timeout with
# nothing left on the host; netrig killed -9 with its guard mid-role: the
# far side ends the job itself at the end of its input, within the grace,
# and removes its pidfile. The same roles with no agent to copy run under
# the sh wrapper, and the run says so.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip > /dev/null || skip "needs iproute2"
[ -x /usr/sbin/sshd ] || skip "needs openssh-server"
agent=${NETRIG_AGENT:-$top/netrig-agent}
[ -x "$agent" ] || fail "no $agent: run make"
lab=t537-$$
ssh_lab $lab 10.89.0.0/16
# the marks of this test's processes on the host: a copy of sleep with a name of its own
E="t537s$$"
cp "$(command -v sleep)" "$tmp/$E" || fail "cannot copy sleep"
ours() { grep -lx "$E" /proc/[0-9]*/comm 2> /dev/null | wc -l; }
none_ours() { [ "$(ours)" = 0 ]; }
both_ours() { [ "$(ours)" = 2 ]; }
at_exit 'for f in $(grep -lx "$E" /proc/[0-9]*/comm 2>/dev/null); do p=${f#/proc/}; kill -9 ${p%/comm}; done 2>/dev/null'

cat > c.yaml <<EOF
campaign: t537
lab: lab.yaml
health: {when: never}
hosts:
  b: {transport: ssh}
tests:
  - {name: parent, host: b, run: [sh, -c, 'cat /proc/\$PPID/comm']}
  - {name: status, host: b, run: [sh, -c, 'exit 3']}
  - {name: missing, host: b, run: [netrig-no-such-prog, x]}
  - name: hang
    host: b
    timeout: 1s
    kill_grace: 300ms
    run: [sh, -c, "trap '' TERM; $tmp/$E 300 & exec $tmp/$E 301"]
EOF
before=$(ssh_lab_procs $lab)
for wrapper in agent sh; do
	if [ $wrapper = agent ]; then NETRIG_AGENT=$agent; else NETRIG_AGENT=$tmp/no-agent; fi
	export NETRIG_AGENT
	say "under the $wrapper wrapper"
	rm -f c.db*
	expect_exit 1 "$NETRIG" lab exec lab.yaml a -- "$NETRIG" run c.yaml --db c.db
	"$NETRIG" --db c.db log parent --raw --stream stdout > parent.out || fail "no log of parent"
	if [ $wrapper = agent ]; then want="^netrig-agent-"; else want="^sh\$"; fi
	expect_grep "$want" parent.out "the role's parent is not the $wrapper wrapper"
	sql c.db "SELECT test || ' ' || status || ' ' || coalesce(error, '') FROM cases ORDER BY ordinal" > cases.out
	expect_grep "^parent passed" cases.out "the first role"
	expect_grep "^status failed .*exit 3" cases.out "the exit status through the wrapper"
	expect_grep "^missing [a-z]+ role main: b: netrig-no-such-prog: not found\$" cases.out "the cannot-run line"
	expect_grep "^hang [a-z]+ .*(timed out|timeout)" cases.out "the hung role"
	sql c.db "SELECT message FROM events" > events.out
	if [ $wrapper = sh ]; then
		expect_grep "roles on b run under the sh wrapper, not the agent.s: .*no netrig-agent" events.out "the run names the fallback"
	else
		expect_no_grep "under the sh wrapper" events.out "the agent was there"
	fi
	wait_until 5 none_ours || fail "$(ours) processes of the hung role left on the host"
	ssh_lab_settles $lab "$before" 5 "after the run"

	say "netrig killed -9 with its guard: the far side ends the job at its input's end ($wrapper)"
	cat > k.yaml <<EOF
campaign: t537-kill
lab: lab.yaml
health: {when: never}
hosts:
  b: {transport: ssh}
tests:
  - name: hang
    host: b
    timeout: 60s
    kill_grace: 500ms
    run: [sh, -c, "trap '' TERM; $tmp/$E 300 & exec $tmp/$E 301"]
EOF
	rm -f k.db*
	"$NETRIG" lab exec lab.yaml a -- "$NETRIG" run k.yaml --db k.db > k.out 2>&1 &
	pid=$!
	wait_until 20 both_ours || { cat k.out; fail "the role did not start"; }
	id=$(sql k.db "SELECT uuid_str(id) FROM runs")
	ls "$tmp/lab/home/.netrig/$id.b/"*.pid > pidfiles.out 2>&1 || fail "no pidfile for the role"
	# netrig (lab exec runs it in the namespace: $pid) and its guard, a child running the same program
	for c in $(cat /proc/$pid/task/*/children 2> /dev/null); do
		[ "$(readlink /proc/$c/exe)" = "$(readlink /proc/$pid/exe)" ] && kill -9 "$c"
	done
	kill -9 $pid
	wait $pid 2> /dev/null
	wait_until 5 none_ours || fail "$(ours) processes of the role outlived netrig on the host"
	[ -e "$(cat pidfiles.out)" ] && fail "the pidfile is still there: $(cat "$(cat pidfiles.out)")"
	# the shared connection netrig left (its master outlives it): end it, then the host is as before
	for p in $(ip netns pids $lab-a); do
		tr '\0' ' ' < /proc/$p/cmdline 2> /dev/null | grep -q "ControlMaster=yes" && kill "$p"
	done
	ssh_lab_settles $lab "$before" 5 "after netrig was killed"
done
done_ok
