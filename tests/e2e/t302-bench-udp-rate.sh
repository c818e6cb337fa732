#!/bin/sh
# A UDP stream at a fixed offered rate is measured within +-2 % of that
# rate on loopback (goodput at the receiver, datagrams with their
# headers, warm-up excluded), in both directions, and less than 1 % is
# lost at those rates.
. "$(dirname "$0")/bench-lib.sh"
[ -x "$NETRIG" ] || fail "build netrig first"

start_server main --lifetime 60s
for spec in 100M:1400 20M:200 200M:8000 100M:1400:--reverse; do
	rate=${spec%%:*} rest=${spec#*:} size=${rest%%:*} rev=""
	[ "$rest" != "$size" ] && rev=${rest#*:}
	case $rate in *M) bps=$(( ${rate%M} * 1000000 )) ;; esac
	# a receive buffer that rides out a busy machine's scheduling delays
	"$NETRIG" bench udp_stream --to 127.0.0.1:$port --rate "$rate" --size "$size" $rev --rcvbuf 4M \
		--duration 1.5s --omit 0.3s --json > "$tmp/u.json" 2> "$tmp/u.err" ||
		fail "udp_stream $rate: $(cat "$tmp/u.err")"
	got=$(json "$tmp/u.json" "d['results']['throughput_bps']['value']")
	loss=$(json "$tmp/u.json" "d['results']['loss_percent']['value']")
	ok=$(python3 -c "import sys; g=float(sys.argv[1]); w=float(sys.argv[2]); print(abs(g-w) <= 0.02*w)" "$got" "$bps")
	echo "offered $bps bit/s ($size B datagrams${rev:+, $rev}): measured $got bit/s, loss $loss %"
	[ "$ok" = True ] || fail "measured $got bit/s is not within 2 % of $bps"
	[ "$(python3 -c "print(float('$loss') < 1)")" = True ] || fail "loss $loss % at $rate"
done
