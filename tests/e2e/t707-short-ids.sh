#!/bin/sh
# Short run ids (issue 11, item 13): UUIDv7's first 8 hex digits are a
# timestamp, so runs started within a minute share them. Every short id
# netrig prints is the shortest prefix (8 characters or more) no other run
# of the database shares, and it names that run as a RUN selector.
. "$(dirname "$0")/lib.sh"

cat > c.yaml <<'EOF2'
campaign: ids
tests:
  - {name: t, repeat: 3, run: [echo, "v=1"], parse: {format: keyvalue, metrics: {v: {better: lower}}}}
EOF2
say "ten runs within a few seconds"
# The first 8 hex digits change every 2^16 ms (65.5 s): start where the next
# 20 s stay inside one such window (ten runs take 1-10 s, busy or not).
into=$(( $(date +%s%3N) % 65536 ))
if [ $into -gt 45536 ]; then
	sleep "$(echo "(65536 - $into + 50) / 1000" | bc -l)"
fi
i=0
while [ $i -lt 10 ]; do
	expect_exit 0 "$NETRIG" -q --db s.db run c.yaml
	i=$((i + 1))
done
expect_eq "$(sql s.db "select count(distinct substr(uuid_str(id), 1, 8)) from runs")" 1 \
	"the runs share their first 8 characters (or the test proves nothing)"

say "db runs: ten different short ids, each naming its run"
expect_exit 0 "$NETRIG" --db s.db db runs
awk '{ print $2 }' out > ids
expect_eq "$(sort -u ids | wc -l)" 10 "ten different short ids"
while read -r id; do
	[ ${#id} -ge 8 ] || fail "short id '$id' is shorter than 8"
	[ ${#id} -lt 36 ] || fail "short id '$id' is the whole id"
	expect_exit 0 "$NETRIG" --db s.db status "$id"
	expect_grep "^run $id  ids  passed" out "status $id names that run"
	full=$(sql s.db "select uuid_str(id) from runs where uuid_str(id) like '$id%'")
	expect_eq "$(echo "$full" | wc -l)" 1 "'$id' is a prefix of one run only"
done < ids

say "compare and its markdown name the two runs apart"
new=$(sed -n 1p ids)
old=$(sed -n 2p ids)
expect_exit 0 "$NETRIG" --db s.db compare "$old" "$new"
expect_grep "^candidate $new vs baseline $old\$" out "compare's heading"
expect_exit 0 "$NETRIG" --db s.db compare "$old" "$new" --format md
expect_grep "Candidate \`$new\` against baseline \`$old\`" out "the markdown heading"
done_ok
