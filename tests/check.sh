#!/bin/sh
# Run every suite: unit tests, the same under ASan+UBSan, lint, and the
# end-to-end scripts in tests/e2e/. Prints each suite's result and, last,
# the total as "N passed, N failed, N skipped"; exits 1 if anything failed.
#
#   tests/check.sh [-k PATTERN]   only e2e scripts / unit tests matching PATTERN
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
export NETRIG_TOP="$top"
pattern=""
[ "${1:-}" = "-k" ] && pattern="$2"
log=$(mktemp -d /tmp/netrig-check.XXXXXX)
trap 'rm -rf "$log"' EXIT
P=0 F=0 S=0

add_counts() { # from a "N passed, N failed, N skipped" line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then F=$((F + 1)); echo "FAIL $2: no summary line"; return; fi
	set -- $line
	P=$((P + $1)); F=$((F + $3)); S=$((S + ${5:-0}))
}

echo "== unit"
build/test-unit $pattern > "$log/unit" 2>&1
grep -vE '^ok ' "$log/unit"
add_counts "$log/unit" unit

echo "== unit (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	build/asan/test-unit $pattern > "$log/asan" 2>&1
grep -vE '^ok ' "$log/asan"
add_counts "$log/asan" asan

echo "== lint"
if scripts/lint.sh; then P=$((P + 1)); echo "ok lint"; else F=$((F + 1)); fi

echo "== e2e"
for t in tests/e2e/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	start=$(date +%s)
	timeout -k 10 600 sh "$t" > "$log/$name" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc = 0 ]; then
		P=$((P + 1)); echo "ok $name (${secs}s)"
	elif [ $rc = 77 ]; then
		S=$((S + 1)); echo "skip $name: $(tail -n 1 "$log/$name")"
	else
		F=$((F + 1)); echo "FAIL $name (exit $rc, ${secs}s)"; tail -n 40 "$log/$name" | sed 's/^/    /'
	fi
done

echo "$P passed, $F failed, $S skipped"
[ $F = 0 ]
