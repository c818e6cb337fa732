#!/bin/sh
# The hostile ssh user of issue 11 (item 3), rerunnable. On the ssh host
# (a lab's sshd; the ssh user is root) lives an unprivileged user, made
# here and removed at the end, who knows where netrig used to keep its
# pidfiles (/tmp/netrig.<first 8 hex of the run id, a timestamp>.<case>.
# <attempt>.<role>.pid) and plants, for every name the next two minutes
# can give: files of its own that keep naming a root process's group, and
# symbolic links to a root file. Nothing of theirs may be killed or
# written: not the root process, not the file; the roles still work and
# end. netrig's state there is a 0700 directory of root's. A pidfile read
# back names a process only with its start time: on --resume, a pidfile
# whose pid is now another process spares it, one that names the process
# it was written for ends it. Where the home is unusable and the fallback
# /tmp/netrig-UID is the hostile user's, or a link, netrig refuses it.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (a lab, a user of its own)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
[ -x /usr/sbin/sshd ] && command -v ssh-keygen > /dev/null || skip "needs openssh-server"
command -v useradd > /dev/null && command -v setpriv > /dev/null || skip "needs useradd and setpriv"

user=nrhostile$$
useradd -M -N -s /bin/sh -d /nonexistent "$user" 2> useradd.err || skip "cannot add a user: $(cat useradd.err)"
hostile_pids=""
at_exit 'for p in $hostile_pids; do kill -9 $p 2> /dev/null; done; end_user_procs; remove_planted; userdel "$user" 2> /dev/null'
uid=$(id -u "$user")
gid=$(id -g "$user")
# every process of the hostile user ends with the test (by pid, from /proc)
end_user_procs() {
	for s in /proc/[0-9]*/status; do
		[ "$(awk '$1 == "Uid:" { print $2 }' "$s" 2> /dev/null)" = "$uid" ] || continue
		p=${s#/proc/}
		kill -9 "${p%/status}" 2> /dev/null
	done
}
remove_planted() {
	for f in /tmp/netrig.*.pid; do
		[ "$(stat -c %u "$f" 2> /dev/null)" = "$uid" ] && rm -f "$f"
	done
}
as_hostile() { setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"; }

# the root process the attacker wants dead, and the root file it wants cut
setsid sleep "9$$.7" > /dev/null 2>&1 &
victim=$!
at_exit "kill $victim 2> /dev/null"
wait_until 5 alive $victim || fail "the victim did not start"
echo precious > precious
chmod 644 precious

lab=t711-$$
ssh_lab $lab 10.88.0.0/16
inlab() { "$NETRIG" lab exec lab.yaml a -- "$@"; }
in_b() { ip netns pids $lab-b | wc -l; }
before=$(in_b)

say "the hostile user plants pidfiles and links where netrig used to look"
chmod 1777 "$tmp" # the attacker needs a place of its own here, as /tmp is
cat > plant.sh <<'EOF'
# plant.sh VICTIM-PGID TARGET: for the run ids of the next two minutes
# (UUIDv7: the first 8 hex digits are the millisecond clock >> 16), cases
# 1-2, attempts 1-2, role main: case 1's names are files of ours that keep
# naming VICTIM-PGID, case 2's are links to TARGET.
now=$(date +%s%3N)
for w in 0 1 2; do
	run8=$(printf '%08x' $(( (now >> 16) + w )))
	for a in 1 2; do
		f=/tmp/netrig.$run8.1.$a.main.pid
		rm -f "$f" 2> /dev/null
		echo "$1" > "$f" && chmod 666 "$f"
		ln -sf "$2" /tmp/netrig.$run8.2.$a.main.pid
		echo "$f" >> "$3"
	done
done
# whatever root writes into them, the victim's group is named again at once
while :; do
	while read -r f; do [ "$(cat "$f" 2> /dev/null)" = "$1" ] || echo "$1" > "$f"; done < "$3"
	sleep 0.02
done
EOF
setpriv --reuid="$uid" --regid="$gid" --clear-groups sh plant.sh "$victim" "$tmp/precious" "$tmp/planted" > plant.out 2>&1 &
hostile_pids="$hostile_pids $!"
wait_until 5 test -s "$tmp/planted" || fail "the hostile user could not plant: $(cat plant.out)"

cat > c.yaml <<EOF
campaign: hostile
lab: lab.yaml
hosts:
  b: {transport: ssh}
tests:
  - name: slow
    host: b
    timeout: 2s
    kill_grace: 300ms
    run: [sleep, "8$$"]
  - name: fine
    host: b
    run: [echo, fine]
EOF
expect_exit 1 inlab "$NETRIG" run c.yaml --db c.db
expect_eq "$(sql c.db "select status from cases order by ordinal" | tr '\n' ' ')" "failed passed " \
	"the slow case timed out, the fine one passed"
alive $victim || fail "netrig killed the root process a hostile user named in a planted pidfile"
expect_eq "$(cat precious)" precious "the root file a planted link pointed to"
wait_until 3 eval '[ "$(in_b)" = "$before" ]' || fail "a role was left running on the ssh host ($(in_b) processes, $before before)"
id=$(sql c.db "select uuid_str(id) from runs")
base=$tmp/lab/home/.netrig
expect_eq "$(stat -c '%a %u %F' "$base")" "700 0 directory" "netrig's state directory on the ssh host"
[ -e "$base/$id.b" ] && fail "the run's state on the ssh host outlived the run"
for f in /tmp/netrig.*.pid; do
	[ -e "$f" ] && [ "$(stat -c %u "$f")" = 0 ] && fail "netrig wrote a pidfile in /tmp: $f"
done

say "a pidfile's pid is trusted only with its start time (--resume)"
cat > r.yaml <<EOF
campaign: hostile-resume
lab: lab.yaml
hosts:
  b: {transport: ssh}
tests:
  - name: hang
    host: b
    run: [sh, -c, '[ -e $tmp/calm ] || sleep 600']
EOF
"$NETRIG" lab exec lab.yaml a -- "$NETRIG" run r.yaml --db r.db > r.out 2> r.err &
pid=$!
wait_until 20 eval 'ls "$base"/*/*.pid > /dev/null 2>&1' || { cat r.err; fail "the hang case did not start"; }
state=$(dirname "$(ls "$base"/*/*.pid | head -n 1)")
kill -9 $pid
wait $pid 2> /dev/null
# a leftover the killed run's pidfile names truly (pid and start time), and the
# victim named with a start time that is not its own (its pid was reused)
setsid sleep "6$$" > /dev/null 2>&1 &
leftover=$!
wait_until 5 alive $leftover || fail "the leftover did not start"
echo "$leftover $(cut -d' ' -f22 /proc/$leftover/stat) " > "$state/7.1.left.pid"
echo "$victim 1 " > "$state/7.1.reused.pid"
touch calm
expect_exit 0 inlab "$NETRIG" run --resume r.yaml --db r.db
alive $victim && [ "$(cut -d' ' -f22 /proc/$victim/stat)" != 1 ] ||
	fail "--resume killed a process whose pid a stale pidfile named with another start time"
wait_until 3 eval '! alive $leftover' || fail "--resume did not end the process a killed run's pidfile names"
[ -e "$state" ] && fail "--resume left the run's state directory"

say "an unusable home: the fallback /tmp/netrig-UID must be root's own"
fb=/tmp/netrig-0
if [ -e "$fb" ] || [ -L "$fb" ]; then
	echo "  ($fb exists already: this part is left out)"
else
	at_exit '[ "$(stat -c %u /tmp/netrig-0 2> /dev/null)" = "$uid" ] && rm -rf /tmp/netrig-0'
	cat > far.yaml <<EOF
campaign: fallback
hosts:
  far: {transport: ssh, address: 127.0.0.1}
tests:
  - name: t
    host: far
    run: [echo, fine]
EOF
	export NETRIG_SSH="env HOME=/nonexistent $top/tests/helpers/fake-ssh"
	as_hostile mkdir -m 777 "$fb"
	expect_exit 1 "$NETRIG" run far.yaml --db far.db
	sql far.db "select error from cases" > why
	expect_grep "/tmp/netrig-0: (owned by uid $uid|not a private directory)" why "the refusal names the directory"
	[ -z "$(ls -A "$fb")" ] || fail "netrig wrote into the hostile user's $fb: $(ls -A "$fb")"
	rmdir "$fb"
	as_hostile ln -s "$tmp/lab" "$fb"
	expect_exit 1 "$NETRIG" run far.yaml --db far.db
	sql far.db "select error from cases" > why
	expect_grep "/tmp/netrig-0: not a private directory" why "a link is refused"
	rm -f "$fb"
	expect_exit 0 "$NETRIG" run far.yaml --db far.db
	expect_eq "$(stat -c '%a %u' "$fb")" "700 0" "the fallback made by netrig"
	rm -rf "$fb"
fi
done_ok
