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
pgdir=""
cleanup() {
	[ -n "$pgdir" ] && scripts/pg-throwaway.sh stop "$pgdir"
	rm -rf "$log"
}
# ^C and SIGTERM end the suite running now, then the EXIT trap runs: the
# server never outlives the run. Suites run in the background so that a
# signal is handled at once (the shell runs a trap when `wait` returns).
job=""
on_signal() {
	[ -n "$job" ] && kill -TERM "$job" 2> /dev/null
	exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
P=0 F=0 S=0

# in_background OUT CMD...: run CMD with its output in OUT; its exit status
in_background() {
	_out=$1
	shift
	"$@" > "$_out" 2>&1 &
	job=$!
	wait "$job"
	_rc=$?
	job=""
	return $_rc
}

# The store's tests run on PostgreSQL too (unit tests *_pg, and the e2e
# scripts whose "# backends:" line names it): on the server NETRIG_TEST_PG
# names, else on a throwaway one of this run (Unix socket only, removed
# at the end); without one they skip, saying why.
if [ -z "${NETRIG_TEST_PG:-}" ]; then
	pgdir=$(mktemp -u /tmp/netrig-check-pg.XXXXXX)
	if NETRIG_TEST_PG=$(scripts/pg-throwaway.sh start "$pgdir" 2> "$log/pg"); then
		export NETRIG_TEST_PG
		echo "== PostgreSQL: a throwaway server in $pgdir"
	else
		scripts/pg-throwaway.sh stop "$pgdir"
		pgdir=""
		unset NETRIG_TEST_PG
		echo "== PostgreSQL: none ($(tail -n 1 "$log/pg")): its tests skip"
	fi
fi

add_counts() { # from a "N passed, N failed, N skipped" line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then F=$((F + 1)); echo "FAIL $2: no summary line"; return; fi
	set -- $line
	P=$((P + $1)); F=$((F + $3)); S=$((S + ${5:-0}))
}

echo "== unit"
in_background "$log/unit" build/test-unit $pattern
grep -vE '^ok ' "$log/unit"
add_counts "$log/unit" unit

echo "== unit (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	in_background "$log/asan" build/asan/test-unit $pattern
grep -vE '^ok ' "$log/asan"
add_counts "$log/asan" asan

echo "== lint"
if scripts/lint.sh; then P=$((P + 1)); echo "ok lint"; else F=$((F + 1)); fi

# The backends an e2e script runs on (its "# backends:" line; sqlite).
backends_of() {
	_b=$(sed -n 's/^# backends: //p' "$1" | head -n 1)
	echo " ${_b:-sqlite} "
}

# run_e2e BACKEND: the scripts that run on BACKEND, on it
run_e2e() {
	for t in tests/e2e/t[0-9]*.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		case "$name" in *"$pattern"*) ;; *) continue ;; esac
		case $(backends_of "$t") in *" $1 "*) ;; *) continue ;; esac
		label=$name
		[ "$1" = sqlite ] || label="$name ($1)"
		start=$(date +%s)
		NETRIG_TEST_BACKEND=$1 in_background "$log/$name.$1" timeout -k 10 600 sh "$t"
		rc=$?
		secs=$(( $(date +%s) - start ))
		if [ $rc = 0 ]; then
			P=$((P + 1)); echo "ok $label (${secs}s)"
		elif [ $rc = 77 ]; then
			S=$((S + 1)); echo "skip $label: $(tail -n 1 "$log/$name.$1")"
		else
			F=$((F + 1)); echo "FAIL $label (exit $rc, ${secs}s)"
			tail -n 40 "$log/$name.$1" | sed 's/^/    /'
		fi
	done
}

echo "== e2e"
run_e2e sqlite
echo "== e2e (PostgreSQL)"
run_e2e postgresql

echo "$P passed, $F failed, $S skipped"
[ $F = 0 ]
