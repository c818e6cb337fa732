#!/bin/sh
# Retention (issue 15): db prune keeps the newest runs of each campaign or
# those younger than an age, removes the others with all their rows (or
# only their raw outputs), never a running run; db vacuum gives the space
# back (an SQLite file shrinks). Bad usage is exit 2.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF2'
campaign: keep
tests:
  - name: t
    repeat: 2
    run: [sh, -c, 'head -c 200000 /dev/urandom | od -An -tx1 | head -n 2000; echo v={n}']
    matrix: {n: [1, 2]}
    parse: {format: keyvalue, metrics: {v: {}}}
EOF2
D=$(db prune)
for i in 1 2 3; do
	expect_exit 0 "$NETRIG" -q run c.yaml --db "$D" --commit "c$i"
done
old=$(sql "$D" "select uuid_str(id) from runs where commit_sha = 'c1'")
size() { is_pg "$D" || stat -c %s "$D"; }
before=$(size)

say "bad usage: no rule, a bad count or age"
expect_exit 2 "$NETRIG" --db "$D" db prune
expect_grep "say what to keep" err "no rule"
expect_exit 2 "$NETRIG" --db "$D" db prune --keep-runs 0
expect_exit 2 "$NETRIG" --db "$D" db prune --older-than soon
expect_exit 2 "$NETRIG" --db "$D" db prune --older-than 90d extra

say "young runs are kept by --older-than 90d; --dry-run changes nothing"
expect_exit 0 "$NETRIG" --db "$D" db prune --older-than 90d
expect_grep "^pruned 0 of 3 runs" out "nothing that young"
expect_exit 0 "$NETRIG" --db "$D" db prune --keep-runs 1 --dry-run
expect_grep "^would prune 2 of 3 runs" out "dry run"
expect_eq "$(sql "$D" "select count(*) from runs")" 3 "dry run removed nothing"

say "--outputs-only: the old runs' raw outputs go, their samples stay"
expect_exit 0 "$NETRIG" --db "$D" db prune --keep-runs 1 --outputs-only
expect_grep "^pruned the raw outputs of 2 of 3 runs: 16 outputs" out "16 outputs (8 attempts, 2 streams each)"
expect_eq "$(sql "$D" "select count(*) from samples")" 12 "every sample kept"
expect_eq "$(sql "$D" "select count(*) from outputs")" 8 "the newest run's outputs kept"
expect_exit 0 "$NETRIG" results "$old" --db "$D"
expect_grep "t/n=2" out "the old run's results still there"

say "whole runs: the newest kept, the others gone with every row"
expect_exit 0 "$NETRIG" --db "$D" db prune --keep-runs 1
expect_grep "^pruned 2 of 3 runs: 8 attempts, 0 outputs, 8 samples" out "the counts"
expect_eq "$(sql "$D" "select count(*) || ' ' || max(commit_sha) from runs")" "1 c3" "the newest run kept"
expect_eq "$(sql "$D" "select (select count(*) from cases) + (select count(*) from attempts) + (select count(*) from samples) + (select count(*) from hosts)")" \
	"11" "its 2 cases, 4 attempts, 4 samples, 1 host, nothing of the others"
expect_exit 2 "$NETRIG" results "$old" --db "$D"
expect_exit 0 "$NETRIG" --db "$D" db vacuum
if ! is_pg "$D"; then
	after=$(size)
	[ "$after" -lt "$before" ] || fail "vacuum did not shrink the file ($before -> $after bytes)"
fi
expect_exit 0 "$NETRIG" -q run c.yaml --db "$D"
expect_eq "$(sql "$D" "select count(*) from runs")" 2 "the database takes new runs"
expect_exit 2 "$NETRIG" --db "$tmp/none.db" db vacuum

say "--db after the subcommand, as every other command takes it"
expect_exit 0 "$NETRIG" db runs --db "$D"
expect_eq "$(wc -l < out)" 2 "db runs --db lists the database's two runs"
expect_exit 0 "$NETRIG" db runs 1 --db="$D"
expect_eq "$(wc -l < out)" 1 "db runs N --db=PATH"
expect_exit 0 "$NETRIG" db prune --keep-runs 5 --db "$D"
expect_grep "^pruned 0 of 2 runs" out "db prune --db"
expect_exit 0 "$NETRIG" db vacuum --db "$D"
expect_exit 0 "$NETRIG" db migrate --db "$D"
expect_grep "up to date" out "db migrate --db"
expect_exit 2 "$NETRIG" --db "$D" db vacuum --db "$tmp/none.db"
expect_grep "no database" err "the later --db wins"
expect_exit 2 "$NETRIG" db vacuum --db
expect_grep "wants a database" err "--db without a path"
expect_exit 2 "$NETRIG" db vacuum extra --db "$D"
expect_grep "takes no argument" err "vacuum with an argument"
done_ok
