#!/bin/sh
# Run every parser fuzz target for SECONDS each, seeded from the parser's
# fixtures; new inputs found go to build/fuzz/corpus/<tool>/, crashes to
# build/fuzz/artifacts/<tool>/. Exits 1 if any target failed.
#
#   tests/fuzz/run.sh SECONDS [TOOL...]     (FUZZ_JOBS=N runs N at a time)
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-}
case "$secs" in ''|*[!0-9]*) echo "usage: $0 SECONDS [TOOL...]" >&2; exit 2 ;; esac
shift
make --no-print-directory fuzz >/dev/null || exit 1
if [ $# = 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi
jobs=${FUZZ_JOBS:-1}
log=build/fuzz/logs
mkdir -p "$log"

run_one() { # tool with '_' (target name)
	t=$1
	dir=$(echo "$t" | tr _ -)
	corpus=build/fuzz/corpus/$t
	art=build/fuzz/artifacts/$t/
	mkdir -p "$corpus" "$art"
	cp tests/fixtures/"$dir"/*.out tests/fixtures/"$dir"/*.pcap tests/fixtures/"$dir"/*.json "$corpus"/ 2>/dev/null
	start=$(date +%s)
	build/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$art" \
		"$corpus" > "$log/$t.log" 2>&1
	rc=$?
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log/$t.log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$log/$t.log" | tail -n 1 | grep -o '[0-9]*$')
	if [ $rc = 0 ]; then
		echo "ok   $t: ${runs:-?} runs in $(( $(date +%s) - start ))s, coverage ${cov:-?} edges"
	else
		echo "FAIL $t (exit $rc): see $log/$t.log and $art"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz:)|runtime error' "$log/$t.log" | head -n 5
	fi
	return $rc
}

fail=0
running=0
pids=""
for t in "$@"; do
	t=$(echo "$t" | tr - _)
	[ -x build/fuzz/fuzz_"$t" ] || { echo "FAIL $t: no target build/fuzz/fuzz_$t"; fail=1; continue; }
	run_one "$t" > "$log/$t.result" &
	pids="$pids $!"
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		for p in $pids; do wait "$p" || fail=1; done
		pids=""; running=0
	fi
done
for p in $pids; do wait "$p" || fail=1; done
for t in "$@"; do
	t=$(echo "$t" | tr - _)
	[ -f "$log/$t.result" ] && cat "$log/$t.result" && rm -f "$log/$t.result"
done
exit $fail
