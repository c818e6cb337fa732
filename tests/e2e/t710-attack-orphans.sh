#!/bin/sh
# The orphan attack of issue 11 (item 6), rerunnable: a role starts six
# processes that try to outlive their case (setsid, a double fork, a
# daemon(3)-style double fork with setsid from python3, nohup, one that
# ignores SIGTERM, one that does both setsid and that), and the case then
# ends in each way a case can end: by itself, by its timeout, by kill -9 of
# netrig, and by a third SIGINT while netrig waits out kill_grace. On a
# local host and a netns host, and (root, sshd) on an ssh host of a lab:
# afterwards not one of those processes is left, the run interrupted by
# ^C^C^C is marked interrupted, and an ssh host's namespace holds as many
# processes as before. Last, kill -9 of netrig, its guard and the far
# side's watchers: --resume ends what they left, on both sides.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (a netns host)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v python3 > /dev/null || skip "needs python3 (the daemon(3)-style escaper)"
command -v setsid > /dev/null && command -v nohup > /dev/null || skip "needs setsid and nohup"

# Every escaper ends up as "sleep $T": that number marks ours in /proc.
T="7$$.5"
pat="7$$[.]5"
export T
ns=nrt710-$$
at_exit "ip netns del $ns 2> /dev/null"
ip netns add $ns || skip "cannot create a network namespace here"
ip -n $ns link set lo up

ours() { grep -lE -e "$pat" /proc/[0-9]*/cmdline 2> /dev/null | sed 's|^/proc/||; s|/cmdline$||'; }
count() { ours | wc -l; }
none_left() { [ "$(count)" = 0 ]; }
all_started() { [ "$(count)" -ge 6 ]; }
gone() { ! alive "$1"; }
kill_ours() { for p in $(ours); do kill -9 "$p" 2> /dev/null; done; }
at_exit kill_ours

cat > escape.sh <<'EOF'
# escape.sh normal|hang: start six processes that try to outlive the case,
# each ending up as "sleep $T"; once all run, end (normal) or hang with
# SIGTERM ignored, so that kill_grace runs out (hang). With a file "calm"
# beside it, do nothing.
[ -e "$(dirname "$0")/calm" ] && exit 0
setsid sleep "$T" &
sh -c 'sleep "$T" &'
nohup sleep "$T" > /dev/null 2>&1 &
sh -c 'trap "" TERM; exec sleep "$T"' &
setsid sh -c 'trap "" TERM HUP; exec sleep "$T"' &
python3 -c 'import os
if os.fork(): os._exit(0)
os.setsid()
if os.fork(): os._exit(0)
os.chdir("/")
fd = os.open(os.devnull, os.O_RDWR)
for i in (0, 1, 2): os.dup2(fd, i)
os.execvp("sleep", ["sleep", os.environ["T"]])' &
pat=$(printf '%s' "$T" | sed 's/[.]/[.]/')
n=0
while [ "$n" -lt 6 ]; do
	sleep 0.05
	n=$(grep -lE -e "$pat" /proc/[0-9]*/cmdline 2> /dev/null | wc -l)
done
echo started
[ "$1" = normal ] && exit 0
trap '' TERM
# for the test: from now on SIGTERM does not end this script (an ssh host's
# agent session passes a SIGTERM on within a millisecond)
: > "$(dirname "$0")/trapped"
sleep 600
EOF

# campaign NAME HOST HOSTS-BLOCK MODE TIMEOUT GRACE
campaign() {
	cat > "$1.yaml" <<EOF
campaign: $1
$3
tests:
  - name: t
    host: $2
    run: [sh, $tmp/escape.sh, $4]
    env: {T: "$T"}
    timeout: $5
    kill_grace: $6
EOF
}

# The pid of netrig's guard: its child that is a netrig too (a fork).
guard_of() {
	for c in $(cat /proc/$1/task/*/children 2> /dev/null); do
		[ "$(readlink /proc/$c/exe)" = "$(readlink /proc/$1/exe)" ] && echo "$c"
	done
}

# attack WHERE HOST HOSTS-BLOCK [RUNNER-PREFIX...]: the four endings on one host
attack() {
	where=$1 host=$2 hosts=$3
	shift 3
	say "$where: the case ends by itself"
	campaign n-$host $host "$hosts" normal 60s 500ms
	expect_exit 0 "$@" "$NETRIG" run n-$host.yaml --db $host.db
	wait_until 5 none_left || { n=$(count); kill_ours; fail "$where, normal end: $n of the 6 escapers survived"; }

	say "$where: the case times out"
	campaign t-$host $host "$hosts" hang 3s 300ms
	expect_exit 1 "$@" "$NETRIG" run t-$host.yaml --db $host.db
	expect_eq "$(sql $host.db "select count(*) from cases where error like '%timed out%'")" 1 "the case timed out"
	wait_until 5 none_left || { n=$(count); kill_ours; fail "$where, timeout: $n of the 6 escapers survived"; }

	say "$where: kill -9 of netrig in the middle of the case"
	campaign k-$host $host "$hosts" hang 60s 500ms
	"$@" "$NETRIG" run k-$host.yaml --db k-$host.db > k.out 2> k.err &
	pid=$!
	wait_until 20 all_started || { cat k.err; fail "$where: the escapers did not start"; }
	# an ssh host's shared connection lives in a directory of netrig's
	cdir=$(for c in $(cat /proc/$pid/task/*/children); do tr '\0' '\n' < /proc/$c/cmdline; done |
		sed -n 's|^ControlPath=\(/tmp/netrig-ssh\.[^/]*\)/.*|\1|p' | head -n 1)
	kill -9 $pid
	wait $pid 2> /dev/null
	wait_until 5 none_left || { n=$(count); kill_ours; fail "$where, kill -9: $n of the 6 escapers survived"; }
	[ -z "$cdir" ] || wait_until 5 test ! -e "$cdir" || fail "$where, kill -9: the ssh control directory $cdir is left"

	say "$where: a third SIGINT while netrig waits out kill_grace"
	campaign i-$host $host "$hosts" hang 60s 30s
	rm -f trapped
	"$@" "$NETRIG" run i-$host.yaml --db i-$host.db > i.out 2> i.err &
	pid=$!
	wait_until 20 all_started || { cat i.err; fail "$where: the escapers did not start"; }
	wait_until 20 test -e trapped || { cat i.err; fail "$where: the role did not ignore SIGTERM yet"; }
	# apart, as keys are pressed: signals sent at once may arrive as one
	kill -INT $pid
	sleep 0.3
	# netrig waits out kill_grace (30 s): it is there for each ^C
	kill -INT $pid || fail "$where: netrig ended after one SIGINT, within its kill_grace"
	sleep 0.2
	kill -INT $pid || fail "$where: netrig ended after two SIGINTs, within its kill_grace"
	wait_until 10 gone $pid || { kill -9 $pid; fail "$where: netrig did not end after the third SIGINT"; }
	wait $pid
	rc=$?
	expect_eq "$rc" 130 "$where: exit status after a third SIGINT"
	wait_until 5 none_left || { n=$(count); kill_ours; fail "$where, third SIGINT: $n of the 6 escapers survived"; }
	expect_eq "$(sql i-$host.db "select status from runs")" interrupted "$where: the run after a third SIGINT"
}

say "without a cgroup (NETRIG_CGROUP=off): the run says so, once; a case's end still ends all"
campaign f-local local "" normal 60s 500ms
NETRIG_CGROUP=off expect_exit 0 "$NETRIG" run f-local.yaml --db f.db
expect_eq "$(grep -c 'no cgroup for the run here (NETRIG_CGROUP=off)' err)" 1 "the note, once"
wait_until 5 none_left || { n=$(count); kill_ours; fail "without a cgroup, normal end: $n of the 6 escapers survived"; }

attack "local host" local ""
attack "netns host" nsh "hosts: {nsh: {transport: netns, netns: $ns}}"

[ -x /usr/sbin/sshd ] && command -v ssh-keygen > /dev/null || { echo "(no sshd: the ssh host is not attacked)"; done_ok; }
lab=t710-$$
ssh_lab $lab 10.86.0.0/16
before=$(ssh_lab_procs $lab)
attack "ssh host" b "lab: lab.yaml
hosts: {b: {transport: ssh}}" "$NETRIG" lab exec lab.yaml a --
ssh_lab_settles $lab "$before" 3 "after the four endings"
[ -n "$cdir" ] || fail "no ssh control directory was found to watch"

say "ssh host: kill -9 of netrig, its guard and the far side's watchers: --resume ends what they left"
campaign r-b b "lab: lab.yaml
hosts: {b: {transport: ssh}}" hang 60s 500ms
"$NETRIG" lab exec lab.yaml a -- "$NETRIG" run r-b.yaml --db r-b.db > r.out 2> r.err &
pid=$!
wait_until 20 all_started || { cat r.err; fail "ssh host: the escapers did not start"; }
id=$(sql r-b.db "select uuid_str(id) from runs")
state=$tmp/lab/home/.netrig/$id.b
[ -d "$state" ] || fail "no state directory $state for the run on the ssh host"
expect_eq "$(stat -c '%a %U' "$state")" "700 root" "the state directory's mode and owner"
# the sh wrapper's watcher: a child of the wrapper (whose pid is in the pidfile) running the same script
wrapper=$(cut -d' ' -f1 "$state"/*.pid)
[ -n "$wrapper" ] || fail "no pidfile in $state"
for c in $(cat /proc/$wrapper/task/*/children); do
	cmp -s /proc/$c/cmdline /proc/$wrapper/cmdline && kill -9 $c
done
# the agent's wrapper (netrig-agent wrap) is its own watcher
tr '\0' ' ' < /proc/$wrapper/cmdline | grep -q "^[^ ]*netrig-agent-[0-9a-f]* wrap " && kill -9 $wrapper
# in the agent session the pidfile names the role's keeper (a fork of the
# session, its own watcher): it and the session, which would end the role,
# stopped first (so that neither sees the session end), killed after netrig
serve=""
if tr '\0' ' ' < /proc/$wrapper/cmdline | grep -q "^[^ ]*netrig-agent-[0-9a-f]* session"; then
	serve=$(cut -d' ' -f4 /proc/$wrapper/stat)
	kill -STOP "$serve" $wrapper
fi
kill -9 $(guard_of $pid) $pid
[ -n "$serve" ] && kill -9 "$serve" $wrapper
wait $pid 2> /dev/null
sleep 1
left=$(count)
[ "$left" -ge 6 ] || fail "the attack did not leave the processes it means to (only $left)"
touch calm
expect_exit 0 "$NETRIG" lab exec lab.yaml a -- "$NETRIG" run --resume r-b.yaml --db r-b.db
wait_until 5 none_left || { n=$(count); kill_ours; fail "--resume left $n of the escapers a killed run left"; }
[ -d "$state" ] && fail "--resume left the run's state directory on the ssh host"
ssh_lab_settles $lab "$before" 3 "after the resume"
done_ok
