# Helpers for the `netrig bench` end-to-end scripts (t3xx-*.sh); sourced.
# Every server started here is ended by its own pid when the script exits.
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
NETRIG="${NETRIG_BIN:-$top/netrig}"
tmp=$(mktemp -d /tmp/netrig-e2e.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE # so that a timeout still runs cleanup
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }

# start_server NAME [netrig bench serve options]: sets $port; the pid is in $tmp/NAME.pid
# Prefix with CPU=N to run the server under taskset, LISTEN=ADDR:0 for another address.
start_server() {
	name=$1; shift
	if [ -n "${CPU:-}" ]; then
		taskset -c "$CPU" "$NETRIG" bench serve --listen "${LISTEN:-127.0.0.1:0}" "$@" \
			> "$tmp/$name.out" 2> "$tmp/$name.err" &
	else
		"$NETRIG" bench serve --listen "${LISTEN:-127.0.0.1:0}" "$@" \
			> "$tmp/$name.out" 2> "$tmp/$name.err" &
	fi
	echo $! > "$tmp/$name.pid"
	pids="$pids $!"
	# wait for the readiness line (a real event), at most 5 s
	i=0
	while ! grep -q '^listening on ' "$tmp/$name.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 500 ] && fail "server $name did not say it listens: $(cat "$tmp/$name.err")"
		kill -0 "$(cat "$tmp/$name.pid")" 2>/dev/null || fail "server $name died: $(cat "$tmp/$name.err")"
		sleep 0.01
	done
	port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/$name.out")
	[ -n "$port" ] && [ "$port" != 0 ] || fail "bad readiness line: $(cat "$tmp/$name.out")"
}

# json FILE PYTHON-EXPRESSION-ON-d: prints the value
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# A free TCP/UDP port on 127.0.0.1 for a peer tool that cannot take port 0.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
