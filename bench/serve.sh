#!/bin/sh
# netrig serve under wrk (issue 16), with nginx beside it for the machine's
# HTTP limit, all on loopback in one run (not a test):
#
#   bench/serve.sh [--duration 30s] [--threads N] [--connections N] [--pg] [--uploads-only]
#                  [--server-threads N]
#
#   (b) badge reads:   GET /badge/bench.svg   (a campaign of SEED runs)
#   (c) page reads:    GET /campaigns/bench
#   (d) nginx:         GET of a static file of the badge's size (nginx as a
#                      non-daemon, its own config and prefix here, stopped by pid)
#   (a) uploads:       POST /api/v1/runs of a one-case bundle of 20 samples,
#                      new ids in every request (serve-wrk.lua), into SQLite
#                      (and with --pg into a throwaway PostgreSQL too)
#
# Each prints requests/s, p50, p99 and errors (non-2xx, socket errors).
# Uploads are checked exactly: the runs stored are the server's 201
# answers (its log), no more, no fewer, no other answer; wrk's count of
# 2xx is that less the uploads in flight when wrk stopped (at most one per
# connection: wrk does not wait for them). Reads come first, on a
# database of SEED runs, so they do not read the uploads' thousands.
# Goals (issue 16): zero errors and exact counts; badge reads >= 0.5x
# nginx's static rate; >= 2,000 uploads/s on SQLite with p99 < 20 ms.
# wrk and nginx-light come from Debian (installed here when missing, as
# root). Numbers need a quiet machine; on a busy one this is a smoke test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
NETRIG=${NETRIG:-$top/netrig} # another build to compare: NETRIG=path
DUR=30s THREADS=2 CONNS=16 PG=0 ONLY_UP=0 STHREADS='' SEED=${SEED:-20}
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DUR=$2; shift ;;
	--threads) THREADS=$2; shift ;;
	--connections) CONNS=$2; shift ;;
	--pg) PG=1 ;;
	--uploads-only) ONLY_UP=1 ;; # (a) alone, e.g. to compare two builds
	--server-threads) STHREADS=$2; shift ;; # the server's threads: (default: its own)
	*) echo "usage: $0 [--duration 30s] [--threads N] [--connections N] [--pg] [--uploads-only] [--server-threads N]" >&2; exit 2 ;;
	esac
	shift
done
case $DUR in *[0-9]) DUR=${DUR}s ;; esac
[ -x "$NETRIG" ] || { echo "build netrig first (make netrig)" >&2; exit 2; }
if ! command -v wrk > /dev/null || ! [ -x /usr/sbin/nginx ]; then
	[ "$(id -u)" = 0 ] || { echo "wrk and nginx-light are missing: apt-get install wrk nginx-light" >&2; exit 2; }
	echo "installing wrk nginx-light"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk nginx-light > /dev/null ||
		{ echo "apt-get install wrk nginx-light failed" >&2; exit 2; }
fi
for t in curl python3 sqlite3; do
	command -v $t > /dev/null || { echo "$t is missing (scripts/deps.sh installs it)" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/netrig-bench-serve.XXXXXX)
spid="" npid="" pgdir=""
stop_server() {
	[ -n "$spid" ] && kill "$spid" 2> /dev/null && wait "$spid" 2> /dev/null
	spid=""
}
cleanup() {
	stop_server
	[ -n "$npid" ] && kill "$npid" 2> /dev/null && wait "$npid" 2> /dev/null
	[ -n "$pgdir" ] && "$top/scripts/pg-throwaway.sh" stop "$pgdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$tmp" || exit 1
die() {
	echo "bench/serve.sh: $*" >&2
	exit 1
}

# the one-case bundle: 20 metrics, one repeat: 1 case, 1 attempt, 20 samples
{
	echo "campaign: bench"
	echo "health: {when: never}"
	echo "tests:"
	echo "  - name: t"
	echo "    run: [cat, $tmp/out.txt]"
	echo "    parse: {format: keyvalue}"
} > c.yaml
for i in $(seq 1 20); do echo "m$i=$i.5"; done > out.txt
"$NETRIG" -q run c.yaml --db local.db --branch main > /dev/null || die "netrig run"
"$NETRIG" --db local.db push --bundle bench.json > /dev/null || die "push --bundle"
# the uploads' campaign is another one, so the reads' pages stay the same size
sed 's/"bench"/"upload"/g' bench.json > upload.json
samples=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tables"]["samples"]["rows"]))' upload.json)
echo "bundle: 1 case, $samples samples, $(wc -c < upload.json) bytes; wrk -t$THREADS -c$CONNS -d$DUR"

cat > server.yaml << 'YAML'
limits:
  requests_per_minute: 0     # no per-token rate limit: the bench is one token
YAML
[ -z "$STHREADS" ] || echo "threads: $STHREADS" >> server.yaml

# start_server DB: netrig serve on a free port; $U its URL
start_server() {
	"$NETRIG" serve --listen 127.0.0.1:0 --db "$1" --config server.yaml > serve.out 2> serve.log &
	spid=$!
	n=0
	until grep -qs "listening on port" serve.out; do
		n=$((n + 1))
		[ $n -lt 200 ] || { cat serve.log; die "serve did not start"; }
		sleep 0.05
	done
	U="http://127.0.0.1:$(sed -n 's/^listening on port //p' serve.out)"
}
# prepare DB: a user, a push token in $TOK
prepare() {
	"$NETRIG" --db "$1" user add bench > /dev/null 2>&1 || die "user add"
	TOK=$("$NETRIG" --db "$1" token create --user bench --scope push 2> /dev/null) || die "token create"
}
# wrk_run NAME URL [BUNDLE TOKEN]: one wrk run; sets R_* from its last line
wrk_run() {
	_name=$1 _url=$2
	shift 2
	if [ $# -gt 0 ]; then
		wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --timeout 10s -s "$top/bench/serve-wrk.lua" "$_url" -- "$@" > "wrk-$_name.out" 2>&1
	else
		wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --timeout 10s -s "$top/bench/serve-wrk.lua" "$_url" > "wrk-$_name.out" 2>&1
	fi
	_line=$(grep '^WRK ' "wrk-$_name.out") || { cat "wrk-$_name.out"; die "wrk $_name"; }
	for kv in ${_line#WRK }; do eval "R_${kv%%=*}=${kv#*=}"; done
	R_rps=$(echo "$R_requests $R_duration_us" | awk '{printf "%.0f", $1 / ($2 / 1e6)}')
	R_errors=$((R_non2xx + R_connect + R_read + R_write + R_timeout))
	printf '%-26s %9s req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s (non-2xx %s, socket %s)\n' \
		"$_name" "$R_rps" "$(echo "$R_p50_us" | awk '{print $1 / 1000}')" \
		"$(echo "$R_p99_us" | awk '{print $1 / 1000}')" "$R_errors" "$R_non2xx" \
		"$((R_connect + R_read + R_write + R_timeout))"
}
runs_in() { # DB: runs of campaign upload
	case $1 in
	postgres*) psql -X -q -A -t -d "$1" -c "SELECT count(*) FROM runs WHERE campaign = 'upload'" ;;
	*) sqlite3 -cmd '.timeout 5000' "$1" "SELECT count(*) FROM runs WHERE campaign = 'upload'" ;;
	esac
}
# uploads DB LABEL: phase (a) against a fresh server on DB; checks the count
uploads() {
	prepare "$1"
	start_server "$1"
	wpid=""
	case $1 in
	postgres*) ;;
	*) # the WAL's largest size while wrk runs, sampled every 50 ms
		(m=0; while :; do
			w=$(stat -c %s "$1-wal" 2> /dev/null || echo 0)
			[ "$w" -gt "$m" ] && m=$w && echo "$m" > wal-peak
			sleep 0.05
		done) &
		wpid=$! ;;
	esac
	wrk_run "uploads ($2)" "$U/api/v1/runs" upload.json "$TOK"
	up_rps=$R_rps up_p99=$R_p99_us up_errors=$R_errors ok=$((R_requests - R_non2xx))
	# the server's CPU time (user + system, /proc/PID/stat fields 14 and 15) per upload:
	# what a busy machine changes least
	ticks=$(awk '{print $14 + $15}' "/proc/$spid/stat")
	# uploads per transaction (group commit): what each COMMIT's WAL pages are shared by
	curl -s "$U/metrics" | awk '/^netrig_uploads_total /{u=$2} /^netrig_upload_transactions_total /{t=$2}
		END {if (t > 0) printf "  uploads per transaction: %.2f (%d in %d)\n", u / t, u, t}'
	if [ -n "$wpid" ]; then
		kill "$wpid"
		wait "$wpid" 2> /dev/null
		awk -v b="$(cat wal-peak 2> /dev/null || echo 0)" 'BEGIN {printf "  the WAL file at most %.1f MiB\n", b / 1048576}'
	fi
	stop_server # drains the requests in flight, so the log is complete
	stored=$(runs_in "$1")
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$stored" \
		'BEGIN {printf "  the server'"'"'s CPU time: %.0f us per upload\n", t / hz * 1e6 / n}'
	created=$(grep -c 'POST /api/v1/runs 201 ' serve.log)
	other=$(grep 'POST /api/v1/runs ' serve.log | grep -vc 'POST /api/v1/runs 201 ')
	late=$((stored - ok))
	if [ "$stored" = "$created" ] && [ "$other" = 0 ] && [ "$late" -ge 0 ] && [ "$late" -le "$CONNS" ]; then
		echo "  stored runs $stored = the server's 201 answers, exactly; wrk's 2xx $ok + $late in flight when wrk stopped (<= $CONNS connections)"
	else
		echo "  COUNT MISMATCH: stored $stored, 201s logged $created, other answers $other, wrk's 2xx $ok"
		count_bad=1
	fi
}

count_bad=0
badge_rps=- nginx_rps=- badge_errors=0 page_errors=0
# phases (b), (c), (d)
reads() {
prepare server.db
start_server server.db
i=0
while [ $i -lt "$SEED" ]; do # SEED runs of campaign bench, new ids each (as the Lua does)
	python3 - bench.json seed.json $i << 'PY' || die "seed bundle"
import re, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = {}
def new(m):
    u = m.group(0)
    ids.setdefault(u, len(ids) + 1)
    return u[:24] + "%02x%02x%08x" % (ids[u], 255, n)
open(dst, "w").write(re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", new, open(src).read()))
PY
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" --data-binary @seed.json "$U/api/v1/runs")
	[ "$code" = 201 ] || die "seed upload $i: $code"
	i=$((i + 1))
done
curl -sf -o badge.svg "$U/badge/bench.svg" || die "GET badge"
curl -sf -o page.html "$U/campaigns/bench" || die "GET campaign page"
echo "reads: campaign bench with $SEED runs; badge $(wc -c < badge.svg) bytes, page $(wc -c < page.html) bytes"

# nginx: a static file of the badge's size, its own prefix, on a free port, not a daemon
mkdir -p www nginx
head -c "$(wc -c < badge.svg)" /dev/zero | tr '\0' 'x' > www/badge.svg
chmod 711 "$tmp" && chmod 755 www && chmod 644 www/badge.svg # nginx's workers are www-data
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > nginx/nginx.conf << CONF
daemon off;
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	types { image/svg+xml svg; }
	server { listen 127.0.0.1:$nport; root $tmp/www; }
}
CONF
/usr/sbin/nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2> nginx/stderr &
npid=$!
n=0
until curl -sf -o /dev/null "http://127.0.0.1:$nport/badge.svg"; do
	n=$((n + 1))
	[ $n -lt 100 ] || { cat nginx/stderr nginx/error.log; die "nginx did not start"; }
	sleep 0.05
done

wrk_run "badge (netrig)" "$U/badge/bench.svg"
badge_rps=$R_rps badge_errors=$R_errors
wrk_run "static file (nginx)" "http://127.0.0.1:$nport/badge.svg"
nginx_rps=$R_rps
wrk_run "campaign page (netrig)" "$U/campaigns/bench"
page_errors=$R_errors
kill "$npid" && wait "$npid" 2> /dev/null
npid=""
stop_server
}
[ "$ONLY_UP" = 1 ] || reads

uploads up.db SQLite
sq_rps=$up_rps sq_p99=$up_p99 sq_errors=$up_errors
if [ "$PG" = 1 ]; then
	pgdir=$(mktemp -u /tmp/netrig-bench-pg.XXXXXX)
	url=$("$top/scripts/pg-throwaway.sh" start "$pgdir") || die "no PostgreSQL (scripts/pg-throwaway.sh)"
	uploads "$url" PostgreSQL
fi

echo
[ "$ONLY_UP" = 1 ] ||
	awk -v b="$badge_rps" -v n="$nginx_rps" 'BEGIN {printf "badge reads / nginx static: %.2fx (goal >= 0.5x)\n", b / n}'
awk -v r="$sq_rps" -v p="$sq_p99" 'BEGIN {printf "uploads on SQLite: %d/s, p99 %.1f ms (goal >= 2000/s, p99 < 20 ms)\n", r, p / 1000}'
echo "errors: badge $badge_errors, page $page_errors, uploads $sq_errors (goal 0)"
[ "$count_bad" = 0 ] || die "a stored count is not exact"
[ "$badge_errors" = 0 ] && [ "$page_errors" = 0 ] && [ "$sq_errors" = 0 ] || die "errors"
