#!/bin/sh
# The job queue's overhead per job (issue 15): WORKERS netrig workers
# drain JOBS trivial jobs (one case of `true`), from a PostgreSQL database
# over a Unix socket and from an SQLite file, side by side. Per job, from
# the stored times (microseconds):
#
#   claim -> run start    the job claimed (jobs.started_at) to its run stored
#   run end -> recorded   the run finished to the job marked done
#   recorded -> next claim  the same worker's next claim (the queue's wait
#                           included: --poll 0.01)
#
# and their sum, the queue's own cost per job (goal: <= 5 ms on
# PostgreSQL), as medians and 95th percentiles; and jobs/s overall.
#
#   bench/queue-claim.sh [JOBS [WORKERS]]     (default 200 jobs, 4 workers)
#
# PostgreSQL: NETRIG_TEST_PG (a URL of a role that may create schemas),
# else a throwaway server (scripts/pg-throwaway.sh: fsync off, as a CI
# server is; say so when quoting). Needs a quiet machine for numbers worth
# quoting; on a busy one it is a smoke test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${1:-200}
WORKERS=${2:-4}
NETRIG=${NETRIG_BIN:-$top/netrig}
tmp=$(mktemp -d /tmp/netrig-bench-queue.XXXXXX)
pgdir=""
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2> /dev/null; done
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
schema=bench_queue_$$
psql -X -q -d "$NETRIG_TEST_PG" -c "CREATE SCHEMA $schema" || exit 1
case $NETRIG_TEST_PG in
*'?'*) pg="$NETRIG_TEST_PG&options=-csearch_path%3D$schema" ;;
*) pg="$NETRIG_TEST_PG?options=-csearch_path%3D$schema" ;;
esac

cat > c.yaml <<'EOF'
campaign: trivial
health: {when: never}
tests:
  - {name: t, run: ["true"]}
EOF

sql() {
	case $1 in
	postgres*) psql -X -q -A -t -F '|' -d "$1" -c "$2" ;;
	*) sqlite3 -batch -noheader -cmd '.timeout 5000' "$1" "$2" ;;
	esac
}
now() { date +%s.%N; }

# drain DB: submit the jobs, start the workers, wait for every job; prints the seconds it took
drain() {
	i=0
	while [ $i -lt "$JOBS" ]; do
		"$NETRIG" job submit c.yaml --db "$1" -q > /dev/null || { echo "submit failed" >&2; exit 1; }
		i=$((i + 1))
	done
	t0=$(now)
	w=0
	pids=""
	while [ $w -lt "$WORKERS" ]; do
		"$NETRIG" -q worker --db "$1" --poll 0.01 --name "w$w" 2> "w$w.err" &
		pids="$pids $!"
		w=$((w + 1))
	done
	while [ "$(sql "$1" "select count(*) from jobs where status <> 'done'")" != 0 ]; do
		sleep 0.05
		if [ "$(sql "$1" "select count(*) from jobs where status = 'failed'")" != 0 ]; then
			echo "a job failed: $(cat w0.err)" >&2
			exit 1
		fi
	done
	t1=$(now)
	for p in $pids; do kill -TERM "$p"; done
	for p in $pids; do wait "$p"; done
	pids=""
	echo "$t1 - $t0" | bc -l
}

# the per-job times of DB, in ms: claim->start, end->recorded, recorded->next claim
per_job() {
	sql "$1" "select j.worker, j.started_at, r.started_at, r.finished_at, j.finished_at
		from jobs j join runs r on r.id = j.run_id order by j.worker, j.started_at" |
		awk -F'|' '{
			printf "a %.3f\nb %.3f\n", ($3 - $2) / 1000, ($5 - $4) / 1000
			if ($1 == w) printf "c %.3f\n", ($2 - last) / 1000
			w = $1; last = $5
		}'
}

# stat KIND FILE: median and 95th percentile of the KIND lines
stat() {
	grep "^$1 " "$2" | cut -d' ' -f2 | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) { print "- -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p = v[int(NR * 0.95 + 0.999)]; printf "%.2f %.2f\n", m, p }'
}

echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
echo "$JOBS jobs of one trivial case, $WORKERS workers (--poll 0.01), times per job in ms: median / p95"
printf '%-26s %15s %15s %17s %13s %8s\n' store "claim->start" "end->recorded" "recorded->claim" "queue total" "jobs/s"
for db in "$pg" q.db; do
	secs=$(drain "$db") || exit 1
	per_job "$db" > t.txt
	set -- $(stat a t.txt) $(stat b t.txt) $(stat c t.txt)
	total=$(echo "$1 + $3 + $5" | bc -l)
	case $db in postgres*) name="PostgreSQL, Unix socket" ;; *) name="SQLite file (WAL)" ;; esac
	printf '%-26s %7s / %-6s %7s / %-6s %8s / %-7s %13.2f %8.1f\n' "$name" "$1" "$2" "$3" "$4" "$5" "$6" \
		"$total" "$(echo "$JOBS / $secs" | bc -l)"
done
echo "(queue total: the three medians added; goal <= 5 ms on PostgreSQL)"
psql -X -q -d "$NETRIG_TEST_PG" -c "SET client_min_messages = warning" -c "DROP SCHEMA $schema CASCADE"
