#!/bin/sh
# Orchestration overhead per case: netrig running N cases of `true` against
# the bare cost of the same command, side by side, alternating, medians.
#
#   bench/orchestration.sh [N]       (default 1000 cases; root for netns and ssh)
#
# local: netrig run (N cases) vs a shell loop of N fork+exec of true
# netns: the same inside a namespace (setns per command) vs `ip netns exec`
# ssh:   sshd in namespace B, netrig running in namespace A (the controller
#        inside a namespace, as for any multi-host test) over ssh with
#        connection sharing (its roles through the agent session, one per
#        host; NETRIG_SSH_SESSION=off for an ssh session per role), vs a loop of `ssh -o ControlPath=... B true`
#        (the issue's yardstick; the far side's bash runs `true` as a
#        builtin, no program at all) and, as "ssh-bin", of `... B
#        /bin/true` (bash execs the program netrig's case runs: the same
#        work on the far side but netrig's own)
# agent: the first-copy cost of netrig-agent to host B (one run of `{netrig}
#        --version` there), then a second run that finds it (no copy)
# Prints per-case milliseconds and the overhead netrig adds.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000}
ROUNDS=${ROUNDS:-3}
NETRIG="$top/netrig"
tmp=$(mktemp -d /tmp/netrig-bench-orch.XXXXXX)
A=nrb-a-$$ B=nrb-b-$$ # namespaces: this run's own
sshd_pid="" made_run_sshd=0 ns_made=0 mux=""
cleanup() {
	# the shared connection first: ControlPersist would keep it, and its sshd session, a minute more
	[ -n "$mux" ] && ip netns exec $A ssh $mux -O exit root@10.78.0.2 2>/dev/null
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
	if [ $ns_made = 1 ]; then ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; fi
	[ $made_run_sshd = 1 ] && rmdir /run/sshd 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

campaign() { # $1 file, $2 host yaml, $3 host name
	{
		echo "campaign: orch"
		echo "health: {when: never}"
		echo "hosts: {$2}"
		echo "tests:"
		echo "  - name: t"
		echo "    host: $3"
		echo "    run: [\"true\"]"
		echo "    matrix:"
		echo "      i: [$(seq -s, 1 "$N")]"
	} > "$1"
}

# time_netrig NAME PREFIX...: seconds for one netrig run of $tmp/NAME.yaml
time_netrig() {
	name=$1; shift
	rm -f "$tmp/$name.db"*
	t0=$(now)
	"$@" "$NETRIG" run "$tmp/$name.yaml" -q --db "$tmp/$name.db" > /dev/null || echo "netrig run $name failed" >&2
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

time_loop() { # the bare command N times
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do "$@" || break; i=$((i + 1)); done
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

report() { # name netrig-seconds... -- bare-seconds...
	name=$1
	nr=$(printf '%s\n' $2 | median)
	bare=$(printf '%s\n' $3 | median)
	printf '%-7s netrig %7.2f ms/case   bare command %7.2f ms/case   overhead %6.2f ms/case\n' \
		"$name" "$(echo "$nr * 1000 / $N" | bc -l)" "$(echo "$bare * 1000 / $N" | bc -l)" \
		"$(echo "($nr - $bare) * 1000 / $N" | bc -l)"
}

echo "netrig orchestration benchmark: $N cases of 'true', $ROUNDS alternating rounds, medians"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

campaign "$tmp/local.yaml" "local: {}" local
a="" b=""
for r in $(seq "$ROUNDS"); do
	a="$a $(time_netrig local)"
	b="$b $(time_loop /bin/true)"
done
report local "$a" "$b"

if [ "$(id -u)" != 0 ] || ! command -v ip > /dev/null; then
	echo "netns, ssh: skipped (need root and iproute2)"
	exit 0
fi
ip netns add $A && ip netns add $B && ns_made=1
ip link add nrb-va netns $A type veth peer name nrb-vb netns $B
ip -n $A addr add 10.78.0.1/24 dev nrb-va
ip -n $B addr add 10.78.0.2/24 dev nrb-vb
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set nrb-va up
ip -n $B link set nrb-vb up

campaign "$tmp/netns.yaml" "b: {transport: netns, netns: $B, address: 10.78.0.2}" b
a="" b=""
for r in $(seq "$ROUNDS"); do
	a="$a $(time_netrig netns)"
	b="$b $(time_loop ip netns exec $B /bin/true)"
done
report netns "$a" "$b"

if [ ! -x /usr/sbin/sshd ]; then
	echo "ssh: skipped (openssh-server is not installed)"
	exit 0
fi
[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd; made_run_sshd=1; }
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/client_key"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
mkdir -p "$tmp/home" "$tmp/cm"
cat > "$tmp/sshd_config" <<CFG
Port 22
ListenAddress 10.78.0.2
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxStartups 100
MaxSessions 100
SetEnv HOME=$tmp/home
CFG
ip netns exec $B /usr/sbin/sshd -D -e -f "$tmp/sshd_config" > "$tmp/sshd.log" 2>&1 &
sshd_pid=$!
for i in $(seq 200); do grep -q "Server listening" "$tmp/sshd.log" && break; sleep 0.01; done
opts="-F /dev/null -i $tmp/client_key -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$tmp/known_hosts -o KexAlgorithms=curve25519-sha256"
campaign "$tmp/ssh.yaml" "b: {transport: ssh, address: 10.78.0.2, user: root, identity: $tmp/client_key, ssh_options: [StrictHostKeyChecking=accept-new, UserKnownHostsFile=$tmp/known_hosts, KexAlgorithms=curve25519-sha256]}" b
cm="-o ControlMaster=auto -o ControlPath=$tmp/cm/%C -o ControlPersist=60"
mux="$opts $cm"
ip netns exec $A ssh $opts $cm -o BatchMode=yes root@10.78.0.2 true || { echo "ssh: login failed"; exit 1; }
a="" b="" c=""
for r in $(seq "$ROUNDS"); do
	a="$a $(NETRIG_SSH="ssh -F /dev/null" time_netrig ssh ip netns exec $A env)"
	# shellcheck disable=SC2086
	b="$b $(time_loop ip netns exec $A ssh $opts $cm -o BatchMode=yes root@10.78.0.2 true)"
	# shellcheck disable=SC2086
	c="$c $(time_loop ip netns exec $A ssh $opts $cm -o BatchMode=yes root@10.78.0.2 /bin/true)"
done
report ssh "$a" "$b"
report ssh-bin "$a" "$c"

# The agent's first copy to the host (issue 14), once: a one-case run of
# `{netrig} --version` there copies it, a second run only checks its hash.
{
	echo "campaign: orch-agent"
	echo "health: {when: never}"
	echo "hosts: {b: {transport: ssh, address: 10.78.0.2, user: root, identity: $tmp/client_key, ssh_options: [StrictHostKeyChecking=accept-new, UserKnownHostsFile=$tmp/known_hosts, KexAlgorithms=curve25519-sha256]}}"
	echo "tests: [{name: v, host: b, run: [\"{netrig}\", --version]}]"
} > "$tmp/agent.yaml"
# an agent left on the host by an earlier run (the namespaces share this
# file system) would make the first run find it: remove it first
NETRIG_SSH="ssh -F /dev/null" ip netns exec $A env "$NETRIG" hosts clean "$tmp/agent.yaml" > /dev/null 2>&1 ||
	echo "netrig hosts clean failed: the first run may find an agent" >&2
for run in first second; do
	t0=$(date +%s.%N)
	NETRIG_SSH="ssh -F /dev/null" ip netns exec $A env "$NETRIG" run "$tmp/agent.yaml" -q --db "$tmp/agent.db" > /dev/null ||
		echo "netrig run (agent, $run) failed" >&2
	t1=$(date +%s.%N)
	copies=$(sqlite3 "$tmp/agent.db" "SELECT message FROM events WHERE kind = 'agent' AND run_id = (SELECT id FROM runs ORDER BY started_at DESC LIMIT 1)")
	printf 'agent  %-6s run %7.1f ms   %s\n' "$run" "$(echo "($t1 - $t0) * 1000" | bc -l)" \
		"${copies:-no copy (the agent was there, its hash checked)}"
done
