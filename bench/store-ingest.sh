#!/bin/sh
# Store ingest (issue 15): samples/s into an SQLite file and into a
# PostgreSQL database over a Unix socket, side by side, medians of ROUNDS
# rounds, three ways:
#   run    `netrig run` of a campaign of CASES attempts of METRICS samples
#   api    the same attempts through netrig's store interface alone
#          (build/store-loop api: nr_store_attempt_save, no command, no parser)
#   merge  `netrig db merge` of that run's SQLite file (its two runs: see
#          below) into a database made as the loop's
#   loop   build/store-loop (bench/store_loop.c): the same rows written by a
#          plain loop of prepared statements into the same schema, one
#          transaction per attempt, no netrig code (the yardstick)
# and run/loop (goal >= 0.5) and api/loop (the store's share of the gap),
# and bytes per sample: SQLite, the file's size
# over its samples (everything in it, indexes and raw outputs included)
# and the samples' own tables (sample_rows and series, dbstat); PostgreSQL,
# pg_total_relation_size of sample_rows and series over the samples.
#
#   bench/store-ingest.sh [CASES [METRICS]]
#
# Two shapes by default, each a table of its own: 500 attempts of 200
# samples (a matrix of short runs) and 10 attempts of 10,000 (a long tool
# run sampled at intervals, as the issue's "100,000 samples of one run");
# CASES and METRICS give one shape instead. The campaign's command is
# `cat` of a ready file (one fork+exec per attempt, the same on both
# sides); each attempt stores its outputs and METRICS samples. The bare
# cost of the commands (a shell loop of the same cat, as many times) is
# measured too, and the run's rate with it taken out ("run-cmd": what
# netrig itself does per sample) is printed beside the run's: with 200
# samples an attempt, fork+exec alone bounds run/loop far below 0.5.
# SHAPES="AxM ..." gives other shapes.
#
# Every way writes into a database whose schema and series are there
# already (a first run of one attempt of the same output, not timed), as
# the loop's is: until 2026-12-05 the SQLite run alone went into a new
# file, and was timed making the schema (its fsyncs) and the series and
# metrics rows of its first attempt (10,000 each at 10x10,000), which the
# loop, the api and the PostgreSQL run were not. Until later that day the
# loop and the api stopped their clocks before closing the database, and
# so left out SQLite's checkpoint of the log into the file (a fifth of the
# loop's time at 10x10,000) that the run, timed to its exit, pays at its
# close: they are timed with their close now (the SQLite loop's rate
# with its clock stopped at its last COMMIT is printed below the table,
# and the run's ratio to it). What the run still does
# and the loop does not, and is counted: it keeps each attempt's raw
# output (compressed), updates its case and the run's heartbeat, and
# starts a process (netrig itself: its libraries, the database's open,
# git's facts) besides the commands. PostgreSQL: NETRIG_TEST_PG (a URL
# of a role that may create schemas), else a throwaway server
# (scripts/pg-throwaway.sh: fsync off, as a CI server is; say so when
# quoting). Needs a quiet machine
# for numbers worth quoting; on a busy one it is a smoke test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then SHAPES="${1}x${2:-200}"; else SHAPES=${SHAPES:-500x200 10x10000}; fi
ROUNDS=${ROUNDS:-3}
NETRIG="$top/netrig"
LOOP="$top/build/store-loop"
make -s -C "$top" build/store-loop || exit 1
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

campaign() { # NAME CASES
	echo "campaign: $1"
	echo "health: {when: never}"
	echo "tests:"
	echo "  - name: t"
	echo "    run: [cat, $tmp/out.txt]"
	echo "    matrix:"
	printf '      n: ['
	seq -s, 1 "$2" | tr -d '\n'
	echo ']'
	echo "    parse: {format: keyvalue}"
}
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
pg_url() { # SCHEMA: a database of its own, made
	psql -X -q -d "$NETRIG_TEST_PG" -c "CREATE SCHEMA $1" || exit 1
	case $NETRIG_TEST_PG in
	*'?'*) echo "$NETRIG_TEST_PG&options=-csearch_path%3D$1" ;;
	*) echo "$NETRIG_TEST_PG?options=-csearch_path%3D$1" ;;
	esac
}
pg_drop() {
	psql -X -q -d "$NETRIG_TEST_PG" -c "SET client_min_messages = warning" \
		-c "DROP SCHEMA $1 CASCADE"
}
timed() { # FILE COMMAND...: append the seconds COMMAND took to FILE
	f=$1
	shift
	t0=$(now)
	"$@" > /dev/null || { echo "failed: $*" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc -l >> "$f"
}
rated() { # FILE COUNT COMMAND...: append COUNT over the seconds COMMAND took to FILE
	rated_f=$1
	rated_k=$2
	shift 2
	timed "$rated_f.t" "$@" # (sh has no local variables: timed sets f)
	echo "$rated_k / $(tail -n 1 "$rated_f.t")" | bc -l >> "$rated_f"
}
seeded_sqlite() { # FILE: a new database with its schema, and nothing else left to write
	rm -f "$1" "$1-wal" "$1-shm"
	"$NETRIG" -q run seed.yaml --db "$1" > /dev/null || exit 1
	# every SQLite way ends in a checkpoint's fsync, and on ext4 (data=ordered)
	# that commits the journal with whatever else is dirty: the merge's
	# megabytes, written just before the loop, were paid by the loop
	sync
}

# shape CASES METRICS: every way, ROUNDS rounds, and its table
shape() {
	CASES=$1
	METRICS=$2
	i=0
	while [ $i -lt "$METRICS" ]; do
		echo "m$i=$i.5"
		i=$((i + 1))
	done > out.txt
	campaign ingest "$CASES" > c.yaml
	campaign seed 1 > seed.yaml # makes an empty database's schema, not timed
	for f in s.run s.api s.merge_rate s.loop s.loop_committed p.run p.api p.merge_rate p.loop bare.t s.bytes s.bytes_s p.bytes; do
		: > $f
	done
	round=0
	while [ $round -lt "$ROUNDS" ]; do
		# SQLite: the schema made by a first run (not timed), as the loop's
		# and PostgreSQL's are; the timed run; then the file's bytes per
		# sample (the log checkpointed into it; both runs' samples)
		seeded_sqlite r.db
		timed s.run "$NETRIG" -q run c.yaml --db r.db
		sqlite3 r.db "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
		n=$(sqlite3 r.db "SELECT count(*) FROM sample_rows")
		echo "$(stat -c %s r.db) / $n" | bc -l >> s.bytes
		echo "$(sqlite3 r.db "SELECT sum(pgsize) FROM dbstat WHERE name IN ('sample_rows', 'series')") / $n" |
			bc -l >> s.bytes_s
		seeded_sqlite m.db
		# the merge moves both of r.db's runs: its rate is of all their samples
		rated s.merge_rate "$n" "$NETRIG" -q db merge m.db r.db
		seeded_sqlite l.db
		"$LOOP" sqlite l.db "$CASES" "$METRICS" > loop.out || exit 1
		cut -d' ' -f1 loop.out >> s.loop
		cut -d' ' -f3 loop.out >> s.loop_committed
		seeded_sqlite l.db
		"$LOOP" api l.db "$CASES" "$METRICS" | cut -d' ' -f1 >> s.api || exit 1

		# PostgreSQL: the schema made by a first run (not timed), then the timed one
		schema=bench_ingest_$$_$round
		url=$(pg_url "$schema")
		"$NETRIG" -q run seed.yaml --db "$url" > /dev/null 2>&1
		timed p.run "$NETRIG" -q run c.yaml --db "$url"
		psql -X -q -t -A -d "$url" -c "SELECT (pg_total_relation_size('sample_rows')
			+ pg_total_relation_size('series'))::float8 / count(*) FROM sample_rows" >> p.bytes
		pg_drop "$schema"
		url=$(pg_url "$schema")
		"$NETRIG" -q run seed.yaml --db "$url" > /dev/null 2>&1
		rated p.merge_rate "$n" "$NETRIG" -q db merge "$url" r.db
		pg_drop "$schema"
		url=$(pg_url "$schema")
		"$NETRIG" -q run seed.yaml --db "$url" > /dev/null 2>&1
		"$LOOP" pg "$url" "$CASES" "$METRICS" | cut -d' ' -f1 >> p.loop || exit 1
		pg_drop "$schema"
		url=$(pg_url "$schema")
		"$NETRIG" -q run seed.yaml --db "$url" > /dev/null 2>&1
		"$LOOP" api "$url" "$CASES" "$METRICS" | cut -d' ' -f1 >> p.api || exit 1
		pg_drop "$schema"

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

	N=$((CASES * METRICS))
	echo
	echo "$CASES attempts of $METRICS samples each (keyvalue, $N samples), medians of $ROUNDS rounds; samples/s"
	printf '%-24s %9s %9s %9s %9s %9s %9s %12s %9s %13s\n' store run run-cmd api merge loop \
		run/loop run-cmd/loop api/loop bytes/sample
	printf '%-24s %9.0f %9s %9.0f %9.0f %9.0f %9.2f %12s %9.2f %6.1f (%.1f)\n' "SQLite file (WAL)" \
		"$(rate s.run)" "$(rate_cmd s.run)" "$(rate s.api)" "$(median < s.merge_rate)" "$(rate s.loop)" \
		"$(ratio s.run s.loop)" "$(ratio_cmd s.run s.loop)" "$(ratio s.api s.loop)" \
		"$(median < s.bytes)" "$(median < s.bytes_s)"
	printf '%-24s %9.0f %9s %9.0f %9.0f %9.0f %9.2f %12s %9.2f %6.1f\n' "PostgreSQL, Unix socket" \
		"$(rate p.run)" "$(rate_cmd p.run)" "$(rate p.api)" "$(median < p.merge_rate)" "$(rate p.loop)" \
		"$(ratio p.run p.loop)" "$(ratio_cmd p.run p.loop)" "$(ratio p.api p.loop)" \
		"$(median < p.bytes)"
	printf '%-24s %9.0f samples/s; run against it %.2f\n' "SQLite loop to its COMMIT" \
		"$(rate s.loop_committed)" "$(ratio s.run s.loop_committed)"
	printf '%-26s %10.3f s (%.2f ms an attempt)\n' "the commands alone (sh loop)" "$(median < bare.t)" \
		"$(echo "$(median < bare.t) * 1000 / $CASES" | bc -l)"
}

rate() { echo "$N / $(median < "$1")" | bc -l; }
ratio() { echo "$(median < "$2") / $(median < "$1")" | bc -l; }
# the run's median time less the commands' own (their sh loop's median); "-" when not above it
run_cmd() { echo "$(median < "$1") - $(median < bare.t)" | bc -l; }
rate_cmd() {
	t=$(run_cmd "$1")
	if [ "$(echo "$t > 0" | bc -l)" = 1 ]; then printf '%.0f' "$(echo "$N / $t" | bc -l)"; else echo -; fi
}
ratio_cmd() {
	t=$(run_cmd "$1")
	if [ "$(echo "$t > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$(median < "$2") / $t" | bc -l)"; else echo -; fi
}

echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
for sh in $SHAPES; do
	shape "${sh%x*}" "${sh#*x}"
done
echo
echo "run-cmd: the run's time less the commands' own (the sh loop's), what netrig adds"
echo "bytes/sample: SQLite the whole file (in brackets: sample_rows and series alone);"
echo "PostgreSQL sample_rows and series with their indexes"
