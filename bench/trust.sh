#!/bin/sh
# Trust benchmark (issue 13): the false-alarm and detection rates of
# `netrig compare`, printed as markdown for docs/analysis.md.
#
#   bench/trust.sh [--quick] [--pairs N] [--ab N]
#
# 1. build/trust-bench (bench/trust_bench.c): thousands of synthetic
#    comparisons per setting through the engine `netrig compare` calls
#    (2,000 A/A comparisons and 3 x 400 with a change per row; --quick:
#    200 and 3 x 40, a smoke test whose rates are not meaningful). Its
#    last table: adaptive repeats (repeat: {min: 3, max: 20, until:
#    clear}) against 5, 10 and 20 fixed pairs: A/A false fails per run,
#    detection of a threshold-size slowdown, mean pairs used
#    (build/trust-bench --adaptive prints only that table).
# 2. End to end: N pairs of runs (default 10; --quick 2) of a 50-case
#    campaign whose command is a test double printing a noisy metric
#    (normal noise, CV 8 %, 5 repeats), through `netrig run` and
#    `netrig compare`: A/A comparisons, then a slowdown of the threshold
#    (10 %); and each comparison's samples replayed through the engine
#    (trust-bench --replay), whose verdicts must be the CLI's, series by
#    series. The CLI's rates are then the table's; N pairs only show them
#    roughly.
#
# 3. A/B through the CLI: N rounds (--ab N, default 5; --quick 1) on a
#    test double whose speed wanders with the wall clock (sd 15 %, a new
#    level every 3 s, trust-bench --drift-double), 20 series, 10 repeats,
#    threshold 5 %: a
#    paired run with a 5 % slower candidate variant and an A/A one
#    (netrig compare --variants), and the same as two separate runs each
#    (netrig compare).
#
# Needs a quiet machine for its timings only (none are printed as
# claims); the rates do not depend on load.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
quick=
pairs=10
ab=5
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick; pairs=2; ab=1 ;;
	--pairs) pairs=$2; shift ;;
	--ab) ab=$2; shift ;;
	*) echo "usage: bench/trust.sh [--quick] [--pairs N] [--ab N]" >&2; exit 2 ;;
	esac
	shift
done
make --no-print-directory netrig bench-trust >&2
echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
echo
build/trust-bench $quick
echo

tmp=$(mktemp -d /tmp/netrig-trust.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"
series=$(seq -s, 1 50)
cat > trust.yaml <<EOF
campaign: trust-e2e
tests:
  - name: t
    matrix: {s: [$series]}
    repeat: 5
    run: ["$top/build/trust-bench", --double, normal, "0.08", "{workdir}/level", "{s}"]
    parse:
      format: keyvalue
      metrics:
        latency: {unit: us, better: lower}
EOF
N="$top/netrig"
# a run's id as netrig writes it (the file keeps its 16 bytes, schema 10)
ID_TEXT="lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' ||
	substr(hex(id), 13, 4) || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21))"
run() { # run LEVEL: one run at that level, prints its id
	echo "$1" > level
	"$N" run trust.yaml -q --db t.db > /dev/null || { echo "netrig run failed" >&2; exit 1; }
	sqlite3 t.db "SELECT $ID_TEXT FROM runs ORDER BY started_at DESC LIMIT 1"
}
# compare BASE CAND: exit status of netrig compare; checks the replay agrees
compare() {
	rc=0
	"$N" compare "$1" "$2" --db t.db --format json > cmp.json || rc=$?
	"$N" report "$1" --db t.db --format csv > b.csv || true
	"$N" report "$2" --db t.db --format csv > c.csv || true
	# the CSV quotes a case key only when it must (RFC 4180): compare them bare
	"$top/build/trust-bench" --replay b.csv c.csv | awk '{ gsub(/"/, "", $1); print $1, $4 }' |
		sort > engine.txt
	python3 - cmp.json > cli.txt <<'PY'
import json, sys
for x in json.load(open(sys.argv[1]))["series"]:
    print(x["case"], x["outcome"])
PY
	sort cli.txt -o cli.txt
	if ! cmp -s cli.txt engine.txt; then
		echo "MISMATCH between netrig compare and the engine:" >&2
		diff cli.txt engine.txt >&2 || true
		exit 1
	fi
	return $rc
}
aa_fail=0 found=0 total=0 i=0
while [ $i -lt "$pairs" ]; do
	i=$((i + 1))
	a=$(run 1.0)
	b=$(run 1.0)
	compare "$a" "$b" || aa_fail=$((aa_fail + 1))
	c=$(run 1.10)
	compare "$b" "$c" || true
	found=$((found + $(grep -c ' regression$' cli.txt || true)))
	total=$((total + 50))
done
echo "End to end (netrig run + netrig compare; normal noise, CV 8 %, 5 repeats, 50 series):"
echo
echo "| check | comparisons | result |"
echo "|---|---|---|"
echo "| A/A comparisons failing the gate | $pairs | $aa_fail |"
echo "| series with a 10 % slowdown found | $total | $found |"
echo "| verdicts identical to the engine's (replayed samples) | $((2 * pairs)) | all |"

# ---- 3. A/B variants through the CLI, on a drifting machine ----------------
abseries=$(seq -s, 1 20)
period=3
# ab_campaign NAME variants F_BASE F_CAND | ab_campaign NAME plain F
ab_campaign() {
	echo "campaign: $1"
	echo "thresholds: {warning: 5%}"
	if [ "$2" = variants ]; then
		echo "variants: {base: {values: {f: \"$3\"}}, cand: {values: {f: \"$4\"}}}"
		f="{variant.f}"
	else
		f=$3
	fi
	cat <<EOF
tests:
  - name: t
    matrix: {s: [$abseries]}
    repeat: 10
    run: ["$top/build/trust-bench", --drift-double, normal, "0.02", "$f", "{s}", "0.15", "$period"]
    parse: {format: keyvalue, metrics: {latency: {unit: us, better: lower}}}
EOF
}
last() { sqlite3 ab.db "SELECT $ID_TEXT FROM runs ORDER BY started_at DESC LIMIT 1"; }
regressions() {
	python3 -c "import json,sys; print(sum(s['outcome'] == 'regression' for s in json.load(open(sys.argv[1]))['series']))" "$1"
}
abrun() { "$N" run "$1" -q --db ab.db > /dev/null || { echo "netrig run $1 failed" >&2; exit 1; }; }
found_p=0 found_s=0 aa_p=0 aa_s=0 total=0 i=0
while [ $i -lt "$ab" ]; do
	i=$((i + 1))
	ab_campaign pab variants 1.00 1.05 > pab.yaml
	abrun pab.yaml
	"$N" compare --variants --db ab.db --format json -o p.json || true
	found_p=$((found_p + $(regressions p.json)))
	ab_campaign paa variants 1.00 1.00 > paa.yaml
	abrun paa.yaml
	"$N" compare --variants --db ab.db > /dev/null || aa_p=$((aa_p + 1))
	ab_campaign sab plain 1.00 > s.yaml
	abrun s.yaml
	b=$(last)
	ab_campaign sab plain 1.05 > s.yaml
	abrun s.yaml
	"$N" compare "$b" "$(last)" --db ab.db --format json -o s.json || true
	found_s=$((found_s + $(regressions s.json)))
	ab_campaign saa plain 1.00 > s.yaml
	abrun s.yaml
	b=$(last)
	abrun s.yaml
	"$N" compare "$b" "$(last)" --db ab.db > /dev/null || aa_s=$((aa_s + 1))
	total=$((total + 20))
done
echo
echo "A/B through the CLI (a test double whose speed wanders with the wall clock: sd 15 %, a new level every ${period} s;"
echo "normal noise, CV 2 %, 20 series, 10 repeats or pairs, threshold 5 %; $ab rounds):"
echo
echo "| check | paired (variants, one run) | two separate runs |"
echo "|---|---|---|"
echo "| A/A comparisons failing the gate | $aa_p of $ab | $aa_s of $ab |"
echo "| series with a 5 % slowdown found | $found_p of $total | $found_s of $total |"
