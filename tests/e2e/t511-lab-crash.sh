#!/bin/sh
# netrig lab after a crash: a partial lab (one namespace made by hand) is
# seen as not up and cleaned by `lab down`; `lab up` killed with SIGKILL at
# several points is cleaned by `lab down` (no namespace, no sshd left), and
# a crashed lab is completed by the next `lab up`, which then works.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "ip (iproute2) is not installed"; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "sshd (openssh-server) is not installed"; exit 77; }
command -v ssh >/dev/null || { echo "ssh (openssh-client) is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/netrig-t511.XXXXXX)
lab=t511-$$
nr() { "$top/netrig" "$@"; }
cleanup() {
	[ -n "${uppid:-}" ] && kill -9 "$uppid" 2>/dev/null
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
subnet: 10.80.0.0/16
hosts:
  a: {sshd: true}
  b: {sshd: true}
  ctl: {controller: true}
links:
  - [a, b]
  - [ctl, a]
  - [ctl, b]
EOF

# nothing of the lab may be left: namespaces, sshd, processes naming its dir
left() {
	ip netns list | grep "^$lab-" && return 0
	pgrep -f -- "$tmp/lab/" && return 0
	return 1
}

# a partial lab made by hand
ip netns add "$lab-a" || fail "cannot add a namespace"
nr lab status lab.yaml > st.out && fail "status says a partial lab is up"
grep -q "a: netns $lab-a exists" st.out || fail "status does not show the namespace: $(cat st.out)"
nr lab down lab.yaml > down.out 2>&1 || { cat down.out; fail "down of a partial lab exited $?"; }
grep -q "1 namespaces deleted" down.out || fail "down: $(cat down.out)"
left && fail "the partial lab was not cleaned"

# lab up killed at several points (SIGKILL, so it cleans nothing itself)
for delay in 0.01 0.05 0.1 0.15 0.2 0.25 0.3; do
	"$top/netrig" lab up lab.yaml > up.out 2>&1 &
	uppid=$!
	sleep "$delay"
	kill -9 "$uppid" 2>/dev/null
	wait "$uppid" 2>/dev/null
	uppid=
	echo "killed after ${delay}s: $(ip netns list | grep -c "^$lab-") namespaces, $(pgrep -fc -- "$tmp/lab/") sshd"
	nr lab down lab.yaml > down.out 2>&1 || { cat down.out; fail "down after a crash at ${delay}s exited $?"; }
	left && fail "down after a crash at ${delay}s left something"
	[ -e "$tmp/lab" ] && fail "down after a crash at ${delay}s left the lab dir: $(ls -R "$tmp/lab")"
done

# a crashed up is completed by the next up
"$top/netrig" lab up lab.yaml > up.out 2>&1 &
uppid=$!
sleep 0.15
kill -9 "$uppid" 2>/dev/null
wait "$uppid" 2>/dev/null
uppid=
nr lab up lab.yaml > up2.out 2>&1 || { cat up2.out; fail "up after a crash exited $?"; }
cat up2.out
grep -qE "is up: 3 namespaces|already up" up2.out || fail "up after a crash: $(cat up2.out)"
nr lab status lab.yaml > /dev/null || fail "not up after the up that followed a crash"
[ "$(pgrep -fc -- "$tmp/lab/ssh/")" = 2 ] || fail "expected exactly 2 sshd: $(pgrep -af -- "$tmp/lab/ssh/")"
for h in a b; do
	timeout 20 "$top/netrig" lab exec lab.yaml ctl -- ssh -F "$tmp/lab/ssh_config" "$h" true ||
		fail "ssh to $h after the rebuilt up failed"
done

# an sshd that died is seen, and up starts it again
pid_a=$(nr lab status lab.yaml | sed -n 's/.*sshd pid \([0-9]*\) listening.*/\1/p' | head -n 1)
[ -n "$pid_a" ] || fail "no sshd pid in status"
kill "$pid_a"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -d "/proc/$pid_a" ] || break; sleep 0.1; done
nr lab status lab.yaml > st2.out && fail "status says up with an sshd gone: $(cat st2.out)"
nr lab up lab.yaml > up3.out 2>&1 || { cat up3.out; fail "up after an sshd died exited $?"; }
nr lab status lab.yaml > /dev/null || fail "not up again"
timeout 20 "$top/netrig" lab exec lab.yaml ctl -- ssh -F "$tmp/lab/ssh_config" a true ||
	fail "ssh to a after up restored it failed"

nr lab down lab.yaml > down.out 2>&1 || { cat down.out; fail "final down exited $?"; }
left && fail "the final down left something"
echo "ok: partial and crashed labs are cleaned by down and completed by up"
