#!/bin/sh
# Screenshots of netrig serve's dashboard (docs/serve-*.png), rendered by
# headless Chromium from a server on loopback with a few runs and jobs:
#
#	scripts/screenshots.sh [--out DIR] [--netrig BIN] [--db URL]
#
# --out: where the PNGs go (default docs/); --netrig: the binary (default
# ./netrig); --db: the server's database, empty (default a SQLite file in a
# temporary directory; tests/e2e/t803 passes a PostgreSQL one too). Every
# PNG is checked (tests/helpers/png-check.py: the window's size, more than
# a few colours). Exit 0, 1 on a failure, 77 without chromium.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/docs
netrig=$top/netrig
db=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--netrig) netrig=$2; shift 2 ;;
	--db) db=$2; shift 2 ;;
	*) echo "usage: $0 [--out DIR] [--netrig BIN] [--db URL]" >&2; exit 2 ;;
	esac
done
command -v chromium > /dev/null || { echo "screenshots: chromium is not installed (Debian: chromium)" >&2; exit 77; }
mkdir -p "$out" && out=$(cd "$out" && pwd)
dir=$(mktemp -d /tmp/netrig-shots.XXXXXX)
spid=
wpid=
cleanup() {
	# the worker: the first SIGTERM queues the job again, the second stops its attempt
	[ -n "$wpid" ] && kill "$wpid" 2> /dev/null && sleep 0.5 && kill "$wpid" 2> /dev/null
	[ -n "$wpid" ] && wait "$wpid" 2> /dev/null
	[ -n "$spid" ] && kill "$spid" 2> /dev/null && wait "$spid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() {
	echo "screenshots: $*" >&2
	exit 1
}
cd "$dir" || exit 1
[ -n "$db" ] || db=$dir/server.db
L=$dir/local.db

# A campaign whose throughput is read from a file: a step down on main makes a regression.
cat > nightly.yaml << YAML
campaign: nightly
labels: {rig: loopback}
tests:
  - name: tcp_stream
    matrix: {size: [64, 1500, 9000]}
    repeat: 5
    run: [sh, -c, 'b=\$(cat $dir/level); echo bw=\$((b + {size} / 10 + \$\$ % 23)); echo lat=\$((40 + \$\$ % 7))']
    parse:
      format: keyvalue
      metrics:
        bw: {unit: Mbps, better: higher}
        lat: {unit: us, better: lower}
YAML
cat > udp.yaml << 'YAML'
campaign: udp-small
tests:
  - name: udp_rr
    repeat: 3
    run: [sh, -c, 'echo rate=$((50000 + $$ % 900))']
    parse:
      format: keyvalue
      metrics:
        rate: {unit: pps, better: higher}
YAML
cat > soak.yaml << 'YAML'
campaign: soak
tests:
  - name: long
    run: [sleep, "600"]
YAML
run() { # level, args: a run into the local database
	echo "$1" > level
	shift
	"$netrig" run nightly.yaml -q --db "$L" "$@" > /dev/null 2> run.err || { cat run.err >&2; die "netrig run failed"; }
}
i=0
for level in 9400 9420 9380 9410 9390; do
	i=$((i + 1))
	run $level --commit "$(printf 'a%07d' $i)" --branch main
done
run 9405 --commit f0000001 --branch feature/gro
run 9415 --commit a0000006 --branch main
run 8200 --commit a0000007 --branch main
for i in 1 2 3; do
	"$netrig" run udp.yaml -q --db bob.db --commit "b000000$i" --branch main > /dev/null 2> run.err || die "udp run"
done

for u in alice bob; do
	"$netrig" --db "$db" user add $u > /dev/null 2>&1 || die "user add $u"
done
tok_alice=$("$netrig" --db "$db" token create --user alice --scope push 2> /dev/null) || die "token"
tok_bob=$("$netrig" --db "$db" token create --user bob --scope push 2> /dev/null) || die "token"
"$netrig" serve --listen 127.0.0.1:0 --db "$db" > serve.out 2> serve.log &
spid=$!
n=0
until grep -qs "listening on port" serve.out; do
	n=$((n + 1))
	[ $n -lt 200 ] || { cat serve.log >&2; die "serve did not start"; }
	sleep 0.05
done
U="http://127.0.0.1:$(sed -n 's/^listening on port //p' serve.out)"
NETRIG_TOKEN=$tok_alice "$netrig" --db "$L" push --all-unpushed --outputs --server "$U" > pushed || die "push alice"
NETRIG_TOKEN=$tok_bob "$netrig" --db bob.db push --all-unpushed --server "$U" > /dev/null || die "push bob"
run_id=$(sed -n 's/^run \([0-9a-f-]*\):.*/\1/p' pushed | tail -n 1) # the latest: oldest first
[ -n "$run_id" ] || die "no run id"

# jobs: one done (a worker ran it), one running, two waiting for a lab, one cancelled
job() { "$netrig" job submit "$@" --db "$db" -q 2> job.err || { cat job.err >&2; die "job submit"; }; }
job udp.yaml --requester alice --label pr=42 > /dev/null
"$netrig" worker --db "$db" --once -q > worker.out 2>&1 || { cat worker.out >&2; die "worker --once"; }
job soak.yaml --requester bob > /dev/null
"$netrig" worker --db "$db" --once --lease 600 -q > worker2.out 2>&1 &
wpid=$!
job nightly.yaml --requester alice --needs lab=rack2 > /dev/null
job nightly.yaml --requester github:pr-17 --needs lab=rack2 --set size=64 > /dev/null
cancel=$(job udp.yaml --requester bob)
"$netrig" job cancel "$cancel" --db "$db" > /dev/null 2>&1 || die "job cancel"
n=0
until "$netrig" job list --db "$db" --status running 2> /dev/null | grep -q soak; do
	n=$((n + 1))
	[ $n -lt 300 ] || die "the soak job did not start"
	sleep 0.1
done

# Chromium as root needs --no-sandbox; nothing that could reach the network, a throwaway profile
shot() { # name, width x height, path
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$dir/profile" --window-size="$2" \
		--screenshot="$out/serve-$1.png" "$U$3" > shot.out 2> shot.err ||
		{ tail -5 shot.err >&2; die "chromium could not render $3"; }
	python3 "$top/tests/helpers/png-check.py" "$out/serve-$1.png" "${2%,*}" "${2#*,}" ||
		die "serve-$1.png is not a page"
	echo "$out/serve-$1.png"
}
shot index 1280,560 /
shot campaign 1280,1500 /campaigns/nightly
shot run 1280,1500 "/runs/$run_id"
shot queue 1280,900 /queue
shot user 1280,1100 /users/alice
shot log 1280,900 "/runs/$run_id/log"
exit 0
