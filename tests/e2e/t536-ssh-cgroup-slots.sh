#!/bin/sh
# An ssh host's roles reuse cgroup slots (issue 14's benchmark: mkdir and
# rmdir are programs on the far side, ~2-3 ms each per role): through the
# stand-in ssh client (it runs the wrapper here, as root with cgroup v2),
# a hung role with an escaper (setsid) and three roles after it that end by
# themselves, each with an escaper too. Every role runs in the same slot,
# which is made once (shims on PATH count the far side's programs; no rm
# of a pidfile at the run's end for roles that ended by themselves), every escaper is gone before the next role starts, and after
# the run no cgroup and no pidfile of the run is left on the host. Under
# both wrappers: the sh one (no agent: NETRIG_AGENT names none) and the
# agent's, which makes the slot itself (mkdir(2), no program at all), in an
# ssh session per role (NETRIG_SSH_SESSION=off) and in the agent session
# (exec_session.c: one for the run; the killed role is ended through it,
# so no kill script runs at all).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (a cgroup of its own)"
grep -q ' - cgroup2 ' /proc/self/mountinfo || skip "needs cgroup v2"
command -v setsid > /dev/null || skip "needs setsid"
tmp=$(mktemp -d /tmp/netrig-t536.XXXXXX)
at_exit 'rm -rf "$tmp"'
cd "$tmp" || exit 1
# the escapers are a copy of sleep whose name marks ours in /proc/PID/comm
E="esc$$"
mkdir bin && cp "$(command -v sleep)" "bin/$E" || fail "cannot copy sleep"
escapers() { grep -lx "$E" /proc/[0-9]*/comm 2> /dev/null | wc -l; }
at_exit 'for f in $(grep -lx "$E" /proc/[0-9]*/comm 2>/dev/null); do p=${f#/proc/}; kill -9 ${p%/comm}; done 2>/dev/null'

# the far side's programs, counted (the wrapper looks mkdir/rmdir up on PATH)
for p in mkdir rmdir rm; do
	real=$(command -v $p)
	printf '#!/bin/sh\necho "%s $*" >> %s/progs.log\nexec %s "$@"\n' $p "$tmp" "$real" > bin/$p
	chmod +x bin/$p
done
export NETRIG_SSH="$top/tests/helpers/fake-ssh" PATH="$tmp/bin:$PATH"

# each role: how many escapers are alive as it starts, its cgroup, then an escaper of its own
role="echo alive=\$(grep -lx $E /proc/[0-9]*/comm 2>/dev/null | wc -l); cat /proc/self/cgroup; setsid $E 300 < /dev/null > /dev/null 2>&1 &"
agent=${NETRIG_AGENT:-$top/netrig-agent}
[ -x "$agent" ] || fail "no $agent: run make"
for wrapper in sh agent session; do
# the agent: also when NETRIG_BIN is another build (build/asan/netrig has none beside it)
if [ $wrapper = sh ]; then NETRIG_AGENT="$tmp/no-agent" mkdirs=1; else NETRIG_AGENT=$agent mkdirs=0; fi
if [ $wrapper = session ]; then NETRIG_SSH_SESSION=on rms=0; else NETRIG_SSH_SESSION=off rms=1; fi
export NETRIG_AGENT NETRIG_SSH_SESSION FAKE_SSH_LOG="$tmp/ssh.log"
: > progs.log
: > ssh.log
rm -f slots.db*
say "the $wrapper wrapper"
cat > slots.yaml <<YAML
campaign: slots
health: {ping: false, retries: 1, interval: 100ms}
hosts:
  far: {transport: ssh, address: 127.0.0.1}
tests:
  - name: hang
    host: far
    timeout: 1s
    kill_grace: 300ms
    run: [sh, -c, "$role exec sleep 301"]
  - name: seq
    host: far
    matrix: {n: [1, 2, 3]}
    run: [sh, -c, "$role"]
YAML
expect_exit 1 "$NETRIG" run slots.yaml --db slots.db -q
run=$(sql slots.db "SELECT uuid_str(id) FROM runs")
[ -n "$run" ] || fail "no run"

say "every role ran in one slot of the run's cgroup, made once"
for c in hang seq/n=1 seq/n=2 seq/n=3; do
	"$NETRIG" --db slots.db log "$c" --raw --stream stdout > "out.${c#*=}" || fail "no log of $c"
	grep -q "^0::.*/netrig\.$run\.far/s1\$" "out.${c#*=}" ||
		fail "$c did not run in slot s1 of the run's cgroup: $(cat "out.${c#*=}")"
	expect_grep "^alive=0\$" "out.${c#*=}" "an escaper of an earlier role was alive as $c started"
done
expect_eq "$(grep -c "^mkdir .*netrig\.$run\.far/" progs.log)" $mkdirs "the slot is made once (progs: $(cat progs.log))"
# rmdir only at the run's end (nrsweep), not per role
expect_eq "$(grep -c "^rmdir " progs.log)" 1 "rmdir ran per role: $(cat progs.log)"
# a pidfile is removed by a program only for the role that was killed (the
# kill script's; none in the session), not at the run's end for each role
# that ended by itself
expect_eq "$(grep -c "^rm -f .*\.pid\$" progs.log)" $rms "rm of pidfiles: $(grep "^rm" progs.log)"

say "nothing of the run is left on the host"
wait_until 5 [ "$(escapers)" = 0 ] || fail "$(escapers) escapers survived the run"
left=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "netrig.$run*" 2> /dev/null)
[ -z "$left" ] || fail "cgroups left: $left"
[ -z "$(ls -d "$HOME/.netrig/$run"* 2> /dev/null)" ] || fail "state left: $(ls -R "$HOME/.netrig/$run"*)"
# each of the four roles under the wrapper named (the sh wrapper's text is also its $0: twice)
# (in the session: one session for them all)
case $wrapper in
agent) want="netrig-agent-[0-9a-f]{16} wrap - " n=4 ;;
session) want="netrig-agent-[0-9a-f]{16} session" n=1 ;;
*) want="shift 5; " n=8 ;;
esac
expect_eq "$(grep -cE "$want" ssh.log)" $n "the roles under the $wrapper wrapper"
done
done_ok
