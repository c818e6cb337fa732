#!/bin/sh
# netrig lab: a 3-namespace lab with sshd in two namespaces. From the
# controller's namespace, ssh reaches both with the lab's ssh_config; a TCP
# connection crosses the a-b link; the forwarding b carries ctl to a; no
# namespace has a default route; `up`
# again changes nothing; `down` leaves no namespace, veth or process
# behind, and running it twice is fine.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "ip (iproute2) is not installed"; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "sshd (openssh-server) is not installed"; exit 77; }
command -v ssh >/dev/null || { echo "ssh (openssh-client) is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t510.XXXXXX)
lab=t510-$$
nr() { "$top/netrig" "$@"; }
cleanup() {
	[ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null
	nr lab down "$tmp/lab.yaml" >/dev/null 2>&1
	for h in a b ctl; do ip netns del "$lab-$h" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" || exit 1

cat > lab.yaml <<EOF
lab: $lab
dir: $tmp/lab
subnet: 10.79.0.0/16
hosts:
  a: {sshd: true}
  b: {sshd: true, forward: true}
  ctl: {controller: true}
links:
  - [a, b]
  - [ctl, a]
  - {a: ctl, b: b, mtu: 9000}
EOF
cfg=$tmp/lab/ssh_config

# the machine's own interfaces and namespaces, to compare with afterwards
ip -o link show | awk -F': ' '{print $2}' | sort > links.before
ip netns list | awk '{print $1}' | sort > netns.before
[ -d /run/sshd ] && run_sshd_before=yes || run_sshd_before=no

nr lab status lab.yaml > status0.out && fail "status says a lab that was never built is up"

nr lab up lab.yaml > up1.out 2>&1 || { cat up1.out; fail "lab up exited $?"; }
cat up1.out
grep -q "lab $lab is up: 3 namespaces, 3 links, 2 sshd" up1.out || fail "up did not report the lab"
for h in a b ctl; do
	ip netns list | grep -q "^$lab-$h\b" || fail "namespace $lab-$h missing"
	[ -z "$(ip -n "$lab-$h" route show default)" ] || fail "$lab-$h has a default route"
done
[ "$(ip netns exec "$lab-b" cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "b does not forward"
[ "$(ip netns exec "$lab-a" cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "a forwards"
ip -n "$lab-ctl" -o link show eth1 | grep -q "mtu 9000" || fail "the ctl-b link has no mtu 9000"
ip -n "$lab-a" -o -4 addr show eth0 | grep -q "10.79.0.1/24" || fail "a's eth0 is not 10.79.0.1/24"

nr lab status lab.yaml > status1.out || { cat status1.out; fail "status: the lab is not up"; }
cat status1.out
pid_a=$(sed -n '/^  a:/,/^  b:/s/.*sshd pid \([0-9]*\) listening.*/\1/p' status1.out)
pid_b=$(sed -n '/^  b:/,/^  ctl:/s/.*sshd pid \([0-9]*\) listening.*/\1/p' status1.out)
[ -n "$pid_a" ] && [ -n "$pid_b" ] || fail "status shows no listening sshd for a and b"
[ "$(readlink /proc/$pid_a/exe)" = /usr/sbin/sshd ] || fail "pid $pid_a is not sshd"
if command -v python3 >/dev/null; then
	nr lab status --json lab.yaml > status.json || fail "status --json exited $?"
	python3 - status.json "$pid_a" <<'EOF' || fail "status --json is wrong: $(cat status.json)"
import json, sys
s = json.load(open(sys.argv[1]))
a = [h for h in s["hosts"] if h["name"] == "a"][0]
assert s["up"] is True
assert a["sshd"]["pid"] == int(sys.argv[2]) and a["sshd"]["listening"] is True
assert a["interfaces"][0]["address"] == "10.79.0.1" and a["interfaces"][0]["up"] is True
EOF
fi

# ssh from the controller's namespace to both sshd hosts, with the lab's config
for h in a b; do
	out=$(timeout 20 "$top/netrig" lab exec lab.yaml ctl -- ssh -F "$cfg" "$h" 'ip -o -4 addr show') ||
		fail "ssh -F ssh_config $h from ctl failed"
	echo "$out" | grep -q "10.79.0." || fail "ssh to $h did not run in $h's namespace: $out"
done
nr lab exec lab.yaml ctl -- ssh -F "$cfg" a true || fail "ssh a true failed"
# one TCP connection across the a-b link (from a to b's address on it)
timeout 20 "$top/netrig" lab exec lab.yaml a -- ssh -F "$cfg" -o HostName=10.79.0.2 b true ||
	fail "no TCP connection (ssh) from a to b across their link"
# b forwards: ctl reaches a's address on the a-b link through b (routes on both ends)
ip -n "$lab-ctl" -4 route show | grep -q "^10.79.0.0/24 via 10.79.2.2 dev eth1" ||
	fail "ctl has no route to the a-b link through b: $(ip -n "$lab-ctl" -4 route show)"
timeout 20 "$top/netrig" lab exec lab.yaml ctl -- ssh -F "$cfg" -o HostName=10.79.0.1 -o ConnectTimeout=5 a true ||
	fail "ctl did not reach a at 10.79.0.1 through the forwarding b"
# no route off the lab's links: an address no link has is unreachable at once
nr lab exec lab.yaml ctl -- ssh -F "$cfg" -o HostName=10.79.9.1 -o ConnectTimeout=2 b true 2> unreach.err &&
	fail "ctl reached 10.79.9.1, which no link has"
grep -qi "unreachable" unreach.err || fail "expected 'Network is unreachable': $(cat unreach.err)"
# a command run with lab exec sees the namespace's interfaces in /sys too
nr lab exec lab.yaml a -- ls /sys/class/net > sysnet.out || fail "lab exec a ls failed"
grep -qx eth1 sysnet.out || fail "lab exec: /sys/class/net is not a's: $(cat sysnet.out)"
nr lab exec lab.yaml nosuch -- true 2> nohost.err && fail "lab exec on an unknown host worked"
grep -q "no host 'nosuch'" nohost.err || fail "unknown host message: $(cat nohost.err)"

# up again: nothing changes, the same sshd keep running
nr lab up lab.yaml > up2.out 2>&1 || { cat up2.out; fail "second up exited $?"; }
grep -q "already up; nothing changed" up2.out || fail "second up did not say nothing changed: $(cat up2.out)"
nr lab status lab.yaml > status2.out || fail "not up after the second up"
grep -q "sshd pid $pid_a listening" status2.out || fail "a's sshd was replaced by the second up"

# things down must end: a shared ssh connection, a session, a process left in b
ip netns exec "$lab-ctl" ssh -F "$cfg" -o ControlMaster=yes -o ControlPath="$tmp/cm-%C" \
	-o ControlPersist=60 a true || fail "ControlMaster connection failed"
"$top/netrig" lab exec lab.yaml b -- sleep 120 &
sleeper=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -n "$(ip netns pids "$lab-b" | grep -vx "$pid_b")" ] && break
	sleep 0.1
done
for h in a b ctl; do ip netns pids "$lab-$h"; done | sort -u > lab.pids
echo "processes in the lab before down: $(tr '\n' ' ' < lab.pids)"
[ "$(wc -l < lab.pids)" -ge 5 ] || fail "expected sshd x2, a session, the ssh master and sleep in the lab"

nr lab down lab.yaml > down1.out 2>&1 || { cat down1.out; fail "lab down exited $?"; }
cat down1.out
grep -q "3 namespaces deleted" down1.out || fail "down did not delete 3 namespaces"
wait "$sleeper" 2>/dev/null
sleeper=
ip netns list | awk '{print $1}' | sort > netns.after
grep "^$lab-" netns.after && fail "namespaces left after down"
diff netns.before netns.after | grep "$lab" && fail "namespaces differ"
ip -o link show | awk -F': ' '{print $2}' | sort > links.after
diff links.before links.after > links.diff || fail "the machine's interfaces changed: $(cat links.diff)"
while read -r p; do
	[ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] &&
		fail "process $p ($(tr '\0' ' ' < "/proc/$p/cmdline")) outlived lab down"
done < lab.pids
pgrep -f -- "$tmp/lab" > /dev/null && fail "a process naming the lab's dir runs: $(pgrep -af -- "$tmp/lab")"
[ -e "$tmp/lab" ] && fail "the lab dir remains: $(ls -R "$tmp/lab")"
[ -d /run/sshd ] && run_sshd_after=yes || run_sshd_after=no
[ "$run_sshd_before" = "$run_sshd_after" ] || echo "note: /run/sshd before: $run_sshd_before, after: $run_sshd_after (another sshd may run)"

nr lab down lab.yaml > down2.out 2>&1 || { cat down2.out; fail "second down exited $?"; }
grep -q "nothing of it was up" down2.out || fail "second down: $(cat down2.out)"
nr lab status lab.yaml > /dev/null && fail "status says up after down"
echo "ok: lab up (3 namespaces, 2 sshd), ssh from the controller, up idempotent, down leaves nothing"
