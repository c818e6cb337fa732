#!/bin/sh
# docs/postgres.md as a new user follows it: the SQL of its setup, its
# read-only dashboard role and its Grafana query, taken from the page as
# written (role and database names made unique to this run). The owner
# role runs a campaign (the tables are made then, after the grants: the
# default privileges must reach them); the dashboard role reads with every
# reading command and the page's query, and every write of it fails.
# backends: postgresql
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

owner=nrt158_$$
reader=nrt158g_$$
# block NAME: the SQL after "<!-- t158: NAME -->" in the page, names made ours
block() {
	python3 - "$top/docs/postgres.md" "$1" "$owner" "$reader" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"<!-- t158: " + re.escape(sys.argv[2]) + r" -->\n```sql\n(.*?)```", text, re.S)
if not m:
    sys.exit("no block " + sys.argv[2] + " in docs/postgres.md")
sql = re.sub(r"\bnetrig\b", sys.argv[3], m.group(1))
sql = re.sub(r"\bgrafana\b", sys.argv[4], sql)
# Grafana's macro: every run here is in the time range
sql = re.sub(r"\$__timeFilter\(to_timestamp\(r\.started_at / 1e6\)\)", "true", sql)
print(sql)
PY
}
with() { # URL of the test server as user $1 in database $2
	case $NETRIG_TEST_PG in
	*'?'*) echo "$NETRIG_TEST_PG&user=$1&dbname=$2" ;;
	*) echo "$NETRIG_TEST_PG?user=$1&dbname=$2" ;;
	esac
}
block setup > setup.sql || fail "the setup block"
block "dashboard role" > role.sql || fail "the dashboard role block"
block grafana > grafana.sql || fail "the Grafana block"
grep -q "CREATE ROLE $owner" setup.sql || fail "the names were not made unique: $(cat setup.sql)"

at_exit "sql \"\$NETRIG_TEST_PG\" 'DROP DATABASE IF EXISTS $owner WITH (FORCE)' > /dev/null 2>&1;
	sql \"\$NETRIG_TEST_PG\" 'DROP OWNED BY $reader' > /dev/null 2>&1;
	sql \"\$NETRIG_TEST_PG\" 'DROP ROLE IF EXISTS $reader' > /dev/null 2>&1;
	sql \"\$NETRIG_TEST_PG\" 'DROP ROLE IF EXISTS $owner' > /dev/null 2>&1"
say "the page's setup, as a superuser"
psql -X -q -v ON_ERROR_STOP=1 -d "$NETRIG_TEST_PG" -f setup.sql > out 2>&1 || {
	grep -q 'permission denied' out && skip "the role of NETRIG_TEST_PG may not create roles"
	cat out
	fail "the setup SQL"
}
psql -X -q -v ON_ERROR_STOP=1 -d "$(with postgres "$owner")" -f role.sql > out 2>&1 ||
	{ cat out; fail "the dashboard role's SQL"; }
W=$(with "$owner" "$owner")
G=$(with "$reader" "$owner")

say "the owner runs a campaign: the tables are made"
cat > c.yaml <<'EOF'
campaign: rpc-latency
tests:
  - name: rr
    repeat: 3
    matrix: {size: [64, 1500]}
    run: [sh, -c, 'echo "latency_p99_us=1{size}.{repeat}"']
    parse: {format: keyvalue, metrics: {latency_p99_us: {}}}
EOF
expect_exit 0 "$NETRIG" -q run c.yaml --db "$W" --commit a
expect_exit 0 "$NETRIG" -q run c.yaml --db "$W" --commit b
expect_eq "$(sql "$W" "select tableowner from pg_tables where tablename = 'runs'")" "$owner" "the tables' owner"

say "the dashboard role reads with every reading command"
expect_exit 0 "$NETRIG" --db "$G" status
expect_grep 'rr/size=1500 +passed' out "status"
expect_exit 0 "$NETRIG" --db "$G" results --format csv
expect_grep 'latency_p99_us' out "results"
expect_exit 0 "$NETRIG" --db "$G" log rr/size=64
expect_grep 'latency_p99_us=164' out "log"
expect_exit 0 "$NETRIG" --db "$G" compare commit:a commit:b
expect_exit 0 "$NETRIG" --db "$G" report --format json
expect_exit 0 "$NETRIG" --db "$G" report --dashboard
expect_grep '"campaign": "rpc-latency"' out "report --dashboard"
expect_exit 0 "$NETRIG" --db "$G" changes
expect_exit 0 "$NETRIG" --db "$G" db runs
expect_exit 0 "$NETRIG" --db "$G" report --dashboard --query "$(cat grafana.sql)"
python3 - out <<'PY' || fail "the page's Grafana query: one point per run and case"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 4, rows
assert {r["metric"] for r in rows} == {"rr/size=64", "rr/size=1500"}, rows
assert sorted(r["value"] for r in rows) == [164.1, 164.1, 11500.1, 11500.1], rows
PY

say "and every write of it fails, with PostgreSQL's reason"
"$NETRIG" --db "$G" run c.yaml > out 2> err
rc=$?
{ [ $rc = 2 ] || [ $rc = 3 ]; } || { cat err; fail "a run as the dashboard role exits $rc"; }
expect_grep 'read-only transaction|permission denied' err "the reason"
expect_exit 2 "$NETRIG" db merge "$G" "$W"
expect_grep 'itself' err "the same database as another user is the same database"
expect_exit 0 "$NETRIG" -q run c.yaml --db x.db
# a target that refuses the write is the store failing (3), not a bad source (2)
expect_exit 3 "$NETRIG" db merge "$G" x.db
expect_grep 'read-only transaction|permission denied' err "the reason"
for q in "DELETE FROM runs" "INSERT INTO metrics VALUES ('x', 'y', 'z')" "UPDATE cases SET status = 'x'" \
	"CREATE TABLE x (a int)" "BEGIN READ WRITE; DELETE FROM sample_rows; COMMIT"; do
	psql -X -q -v ON_ERROR_STOP=1 -d "$G" -c "$q" > out 2>&1 && fail "the dashboard role could: $q"
	expect_grep 'read-only transaction|permission denied' out "why it could not: $q"
done
expect_eq "$(sql "$W" "select count(*) from runs")" 2 "the runs are all there"
expect_eq "$(sql "$W" "select count(*) from samples")" 12 "the samples are all there"
done_ok
