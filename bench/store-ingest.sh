#!/bin/sh
# Store ingest through `netrig run` (issue 15): attempts/s and samples/s
# into an SQLite file and into a PostgreSQL database over a Unix socket,
# side by side, alternating, medians of ROUNDS rounds.
#
#   bench/store-ingest.sh [CASES [METRICS]]     (default 200 cases, 200 metrics)
#
# The campaign's command is `cat` of a ready file (one fork+exec per
# attempt, the same on both sides); each attempt stores its outputs and
# METRICS samples. The bare cost of the commands (a shell loop of the
# same cat) is printed too: what is left is netrig's, the store's
# included. PostgreSQL: NETRIG_TEST_PG (a URL of a role that may create
# schemas), else a throwaway server (scripts/pg-throwaway.sh: fsync off,
# as a CI server is; say so when quoting). Needs a quiet machine for
# numbers worth quoting; on a busy one it is a smoke test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
CASES=${1:-200}
METRICS=${2:-200}
ROUNDS=${ROUNDS:-3}
NETRIG="$top/netrig"
tmp=$(mktemp -d /tmp/netrig-bench-ingest.XXXXXX)
pgdir=""
cleanup() {
	[ -n "$pgdir" ] && "$top/scripts/pg-throwaway.sh" stop "$pgdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$tmp" || exit 1

if [ -z "${NETRIG_TEST_PG:-}" ]; then
	pgdir=$(mktemp -u /tmp/netrig-bench-pg.XXXXXX)
	NETRIG_TEST_PG=$("$top/scripts/pg-throwaway.sh" start "$pgdir") || {
		echo "no PostgreSQL server: set NETRIG_TEST_PG" >&2
		exit 1
	}
fi

i=0
while [ $i -lt "$METRICS" ]; do
	echo "m$i=$i.5"
	i=$((i + 1))
done > out.txt
{
	echo "campaign: ingest"
	echo "health: {when: never}"
	echo "tests:"
	echo "  - name: t"
	echo "    run: [cat, $tmp/out.txt]"
	echo "    matrix:"
	printf '      n: ['
	seq -s, 1 "$CASES" | tr -d '\n'
	echo ']'
	echo "    parse: {format: keyvalue}"
} > c.yaml

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

round=0
: > sqlite.t
: > pg.t
: > bare.t
while [ $round -lt "$ROUNDS" ]; do
	rm -f r.db r.db-wal r.db-shm
	t0=$(now)
	"$NETRIG" -q run c.yaml --db r.db > /dev/null || { echo "run into SQLite failed" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc -l >> sqlite.t
	schema=bench_ingest_$$_$round
	psql -X -q -d "$NETRIG_TEST_PG" -c "CREATE SCHEMA $schema" || exit 1
	case $NETRIG_TEST_PG in
	*'?'*) url="$NETRIG_TEST_PG&options=-csearch_path%3D$schema" ;;
	*) url="$NETRIG_TEST_PG?options=-csearch_path%3D$schema" ;;
	esac
	"$NETRIG" -q run c.yaml --db "$url" > /dev/null 2>&1 # the schema first: not timed
	t0=$(now)
	"$NETRIG" -q run c.yaml --db "$url" > /dev/null || { echo "run into PostgreSQL failed" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc -l >> pg.t
	psql -X -q -d "$NETRIG_TEST_PG" -c "SET client_min_messages = warning" \
		-c "DROP SCHEMA $schema CASCADE"
	t0=$(now)
	i=0
	while [ $i -lt "$CASES" ]; do
		cat out.txt > /dev/null
		i=$((i + 1))
	done
	t1=$(now)
	echo "$t1 - $t0" | bc -l >> bare.t
	round=$((round + 1))
done

s=$(median < sqlite.t)
p=$(median < pg.t)
b=$(median < bare.t)
echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
echo "$CASES attempts of $METRICS samples each (keyvalue), medians of $ROUNDS rounds"
printf '%-32s %10s %12s %12s\n' store seconds attempts/s samples/s
printf '%-32s %10.2f %12.0f %12.0f\n' "SQLite file (WAL)" "$s" \
	"$(echo "$CASES / $s" | bc -l)" "$(echo "$CASES * $METRICS / $s" | bc -l)"
printf '%-32s %10.2f %12.0f %12.0f\n' "PostgreSQL, Unix socket" "$p" \
	"$(echo "$CASES / $p" | bc -l)" "$(echo "$CASES * $METRICS / $p" | bc -l)"
printf '%-32s %10.2f\n' "the commands alone (sh loop)" "$b"
