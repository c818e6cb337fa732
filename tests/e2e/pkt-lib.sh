# Helpers of the packet pipeline scripts (t54x-pkt-*.sh); sourced after
# lib.sh. Every process started here runs in a namespace of the script's
# own lab and is ended by its pid when the script exits.

# pkt_lab NAME FORWARD: ./lab.yaml, hosts pktgen - fwd - pcap (fwd with
# forward: FORWARD), up now, down when the script ends.
pkt_lab() {
	cat > lab.yaml << _EOF
lab: $1
dir: $tmp/lab
subnet: 10.83.0.0/16
hosts:
  pktgen:
  fwd: {forward: $2}
  pcap:
links:
  - [pktgen, fwd]
  - [fwd, pcap]
_EOF
	at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
	"$NETRIG" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }
	# No IPv6 in the lab: each namespace's kernel would send a router
	# solicitation and MLD reports of its own on its new links, seconds
	# later, and a forwarder counts them with the test's frames (t540 once
	# saw "forwarded 501 of 501": a 70-byte RS among 500)
	for _h in pktgen fwd pcap; do
		"$NETRIG" lab exec "$tmp/lab.yaml" "$_h" -- sh -c \
			'[ ! -e /proc/sys/net/ipv6 ] || echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' ||
			fail "no IPv6 in $_h"
	done
}

# in_ns HOST CMD...: run CMD in HOST's namespace.
in_ns() {
	_h=$1
	shift
	"$NETRIG" lab exec "$tmp/lab.yaml" "$_h" -- "$@"
}

# start_bg NAME HOST CMD...: CMD in HOST's namespace in the background,
# output in NAME.out / NAME.err, pid in NAME.pid (and ended at exit).
start_bg() {
	_n=$1
	_h=$2
	shift 2
	# emptied here, not by the background job's own redirection: that one
	# happens in the child, later, and wait_line would find the line a
	# previous NAME left
	: > "$_n.out"
	: > "$_n.err"
	# not through in_ns: $! must be netrig's own pid (lab exec replaces
	# itself with the command), not a subshell's
	"$NETRIG" lab exec "$tmp/lab.yaml" "$_h" -- "$@" > "$_n.out" 2> "$_n.err" &
	echo $! > "$_n.pid"
	at_exit "kill $! 2> /dev/null"
}

# wait_line NAME REGEX SECONDS: until NAME's stdout or stderr has a line
# matching REGEX; fail if NAME ends first or the time passes.
wait_line() {
	_steps=$(($3 * 50))
	while ! grep -qE -e "$2" "$1.out" "$1.err" 2> /dev/null; do
		alive "$(cat "$1.pid")" || { cat "$1.out" "$1.err"; fail "$1 ended before /$2/"; }
		_steps=$((_steps - 1))
		[ $_steps -gt 0 ] || { cat "$1.out" "$1.err"; fail "$1: no /$2/ after $3 s"; }
		sleep 0.02
	done
}

# wait_line_or_exit NAME REGEX SECONDS: 0 when the line comes; 1 when NAME
# ended first (its exit status in $rc); fail when the time passes.
wait_line_or_exit() {
	_steps=$(($3 * 50))
	while ! grep -qE -e "$2" "$1.out" "$1.err" 2> /dev/null; do
		if ! alive "$(cat "$1.pid")"; then
			wait_exit "$1"
			return 1
		fi
		_steps=$((_steps - 1))
		[ $_steps -gt 0 ] || { cat "$1.out" "$1.err"; fail "$1: no /$2/ after $3 s"; }
		sleep 0.02
	done
	return 0
}

# wait_exit NAME: wait for NAME to end; its exit status in $rc.
wait_exit() {
	wait "$(cat "$1.pid")"
	rc=$?
}

# mac HOST IFACE: the interface's MAC address.
mac() {
	ip -n "$lab-$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# jget FILE EXPR: a value of the JSON document in FILE (python3 expression on d).
jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# tshark_seqs FILE: the sequence number of every ixy frame tshark finds in
# FILE, in file order, one a line (the last 4 bytes of the UDP payload,
# little-endian).
tshark_seqs() {
	tshark -r "$1" -Y 'udp.dstport == 1337' -T fields -e data.data 2> tshark.err |
		python3 -c '
import sys
for line in sys.stdin:
    h = line.strip().replace(":", "")
    if h:
        print(int.from_bytes(bytes.fromhex(h)[-4:], "little"))'
}

# routed_frames FILE MAC N: FILE (a pcap in this machine's byte order)
# holds exactly N ixy frames, each sent to MAC with TTL 63: forwarded by
# a router, not bridged.
routed_frames() {
	python3 - "$1" "$2" "$3" << '_EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
want = bytes.fromhex(sys.argv[2].replace(":", ""))
off, n = 24, 0
while off < len(data):
    incl = struct.unpack_from("<I", data, off + 8)[0]
    f = data[off + 16: off + 16 + incl]
    off += 16 + incl
    if len(f) >= 42 and f[12:14] == b"\x08\x00" and f[23] == 17 and f[36:38] == b"\x05\x39":
        assert f[22] == 63, f[22]
        assert f[:6] == want, f[:6].hex()
        n += 1
assert n == int(sys.argv[3]), n
_EOF
}
