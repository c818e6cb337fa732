#!/bin/sh
# A/B variants on real traffic (issue 13): what `netrig compare --variants`
# finds with netrig's own tcp_stream.
#
#   bench/variants-real.sh [--pairs N] [--duration D] [--smoke] [--keep]
#
# 1. A/A on loopback: `netrig bench tcp_stream` against `netrig bench
#    serve`, the two variants identical (nothing may be found).
# 2. A/B through a lab this script makes: two namespaces joined by two
#    veth pairs, each shaped on the sending side with netem (or tbf where
#    the kernel has no netem), one to 1000 Mbit/s and the other to 950
#    Mbit/s (5 % slower); the base variant's
#    traffic crosses the first link, the candidate's the second (the
#    variant gives the server's address). Expected: throughput -5 %, a
#    regression at a 3 % threshold.
#
# Prints, per check, each metric's verdict, the change with its interval,
# the signed-rank p and the median ratio with its interval. Needs root
# (namespaces, tc). Every name it makes holds its pid; it removes them on
# exit. The numbers need a quiet machine (nothing else running): this
# checks that a real 5 % is found and a real 0 % is not, which load can
# hide; --smoke (3 pairs of 1 s) only checks that the script works.
# --keep keeps the database (every pair's samples and outputs).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
N="$top/netrig"
pairs=10
duration=3s
keep=
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift ;;
	--duration) duration=$2; shift ;;
	--smoke) pairs=3; duration=1s ;;
	--keep) keep=1 ;;
	*) echo "usage: bench/variants-real.sh [--pairs N] [--duration D] [--smoke] [--keep]" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench/variants-real.sh: needs root (namespaces, tc)" >&2; exit 2; }
[ -x "$N" ] || make --no-print-directory netrig >&2 || exit 1

tmp=$(mktemp -d /tmp/netrig-variants-real.XXXXXX)
c=nrvc$$
s=nrvs$$
cleanup() {
	ip netns del $c 2> /dev/null
	ip netns del $s 2> /dev/null
	if [ -n "$keep" ]; then
		echo "kept: $tmp/r.db (netrig compare --variants RUN --db $tmp/r.db)"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$tmp" || exit 1

echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pairs $pairs, $duration each"

# summary FILE: one line per series of a compare --format json output
summary() {
	python3 - "$1" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for s in c["series"]:
    if s["metric"] not in ("throughput_bps", "retransmits", "rtt_us"):
        continue
    def pct(x):
        return "-" if x is None else "%+.2f%%" % (100 * x)
    print("  %-16s %-11s change %s [%s, %s]  p adj %s  signed-rank p %s  median ratio %s [%s, %s]  pairs %d" % (
        s["metric"], s["outcome"], pct(s.get("change")), pct(s.get("ci_low")), pct(s.get("ci_high")),
        "%.3g" % s["p_adjusted"] if s.get("p_adjusted") is not None else "-",
        "%.3g" % s["signed_rank_p"] if s.get("signed_rank_p") is not None else "-",
        "%.4f" % s["median_ratio"] if s.get("median_ratio") is not None else "-",
        "%.4f" % s["median_ratio_low"] if s.get("median_ratio_low") is not None else "-",
        "%.4f" % s["median_ratio_high"] if s.get("median_ratio_high") is not None else "-",
        s.get("pairs", 0)))
EOF
}

# check NAME TITLE EXPECTED: run NAME.yaml, compare its variants, print the verdicts
check() {
	"$N" -q run "$1.yaml" --db r.db > /dev/null || { echo "the $1 run failed" >&2; "$N" status --db r.db; exit 1; }
	rc=0
	"$N" compare --variants --db r.db --format json -o "$1.json" || rc=$?
	echo
	echo "$2 (exit $rc; expected $3):"
	summary "$1.json"
}

# ---- 1. A/A on loopback -----------------------------------------------------
cat > aa.yaml <<EOF
campaign: variants-aa
thresholds: {warning: 3%}
variants: {base: {}, cand: {}}
tests:
  - name: stream
    repeat: $pairs
    timeout: 60s
    roles:
      - name: server
        run: ["{netrig}", bench, serve, --listen, "127.0.0.1:{port}", --one-off]
        ready: {port: "{port}", timeout: 10s}
      - name: client
        run: ["{netrig}", bench, tcp_stream, --to, "127.0.0.1:{port}", --duration, "$duration", --json]
        parse: netrig
EOF
check aa "1. A/A, tcp_stream on loopback, both variants the same" 0

# ---- 2. A/B through a shaped lab -------------------------------------------------
ip netns add $c && ip netns add $s || { echo "cannot create namespaces" >&2; exit 1; }
ip -n $c link set lo up && ip -n $s link set lo up || exit 1
for i in 1 2; do
	ip -n $c link add v$i type veth peer name w$i netns $s &&
		ip -n $c addr add 10.231.$i.1/24 dev v$i && ip -n $s addr add 10.231.$i.2/24 dev w$i &&
		ip -n $c link set v$i up && ip -n $s link set w$i up || { echo "veth $i" >&2; exit 1; }
done
# the client sends: shape its side of each link with netem, or with a token
# bucket (tbf) on kernels built without netem (as this project's VMs are)
shaper=netem
shape() { # DEV RATE
	if [ $shaper = netem ] && ! tc -n $c qdisc add dev "$1" root netem rate "$2" limit 10000 2> /dev/null; then
		shaper=tbf
	fi
	[ $shaper = tbf ] && tc -n $c qdisc add dev "$1" root tbf rate "$2" burst 256kb latency 50ms
}
shape v1 1000mbit && shape v2 950mbit || { echo "tc: neither netem nor tbf shapes here" >&2; exit 1; }
cat > ab.yaml <<EOF
campaign: variants-ab
thresholds: {warning: 3%}
hosts:
  client: {transport: netns, netns: $c, address: 10.231.1.1}
  server: {transport: netns, netns: $s, address: 10.231.1.2}
variants:
  base: {values: {to: 10.231.1.2}}
  cand: {values: {to: 10.231.2.2}}
tests:
  - name: stream
    repeat: $pairs
    timeout: 60s
    roles:
      - name: server
        host: server
        run: ["{netrig}", bench, serve, --listen, "0.0.0.0:{port}", --one-off]
        ready: {port: "{port}", timeout: 10s}
      - name: client
        host: client
        run: ["{netrig}", bench, tcp_stream, --to, "{variant.to}:{port}", --duration, "$duration", --json]
        parse: netrig
EOF
check ab "2. A/B, tcp_stream through links shaped ($shaper) to 1000 and 950 Mbit/s" \
	"1, throughput about -5 %"
