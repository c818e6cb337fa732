#!/bin/sh
# kill -9 at random moments (issue 11): a run of several cases is killed
# over and over, each time resumed with --resume, until it ends. After
# every kill: status sees the controller gone, no finished case has
# changed since it finished, every stored attempt is whole (its outputs,
# and its sample when it passed), and no case is stored as done more often
# than its repeats; at the end every case passed with exactly its repeats.
. "$(dirname "$0")/lib.sh"
budget=${NETRIG_KILL_SECONDS:-35}

cat > c.yaml <<'EOF'
campaign: kill
tests:
  - name: t
    repeat: 3
    run: [sh, -c, 'head -c 200000 /dev/zero | tr "\0" x; echo; sleep 0.1$(od -An -N1 -tu1 /dev/urandom | tr -d " " | cut -c1); echo v={n}{repeat}']
    # 60 attempts of 0.1-0.2 s: enough to be killed 10 times however fast the machine
    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}
    parse: {format: keyvalue, metrics: {v: {}}}
EOF
pid=""
at_exit '[ -n "$pid" ] && kill -9 $pid 2> /dev/null'
random_ms() { # 0 .. $1 - 1
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}
# every finished case: its attempts and samples, one line each
finished() {
	sql k.db "select c.key, a.id, a.outcome, (select group_concat(value) from samples s
		where s.attempt_id = a.id) from cases c join attempts a on a.case_id = c.id
		where c.status in ('passed', 'failed')" | sort
}
check_whole() {
	bad=$(sql k.db "select uuid_str(a.id) from attempts a where (select count(*) from outputs o
		where o.attempt_id = a.id) != 2 or (a.outcome = 'passed') != ((select count(*)
		from samples s where s.attempt_id = a.id) = 1)")
	[ -z "$bad" ] || fail "kill $kills: attempts not whole: $bad"
	bad=$(sql k.db "select key from cases c where repeats_done > repeats or attempts !=
		(select count(*) from attempts a where a.case_id = c.id) or repeats_done !=
		(select count(*) from attempts a where a.case_id = c.id and a.outcome = 'passed')")
	[ -z "$bad" ] || fail "kill $kills: cases whose counts disagree with their attempts: $bad"
	expect_eq "$(sql k.db "select count(*) from runs")" 1 "kill $kills: one run"
}

say "kill -9 at random moments, resume, again, for up to $budget s"
kills=0
end=$(($(date +%s) + budget))
: > done.before
while [ "$(date +%s)" -lt $end ]; do
	if [ -s k.db ] && [ "$(sql k.db "select count(*) from runs")" = 1 ]; then
		[ "$(sql k.db "select status from runs")" = passed ] && break
		"$NETRIG" -q --db k.db run --resume c.yaml > out 2> err &
	else
		rm -f k.db k.db-wal k.db-shm
		"$NETRIG" -q --db k.db run c.yaml > out 2> err &
	fi
	pid=$!
	sleep "0.$(printf '%03d' "$(random_ms 400)")"
	kill -9 $pid 2> /dev/null
	{ wait $pid; } 2> /dev/null
	rc=$?
	pid=""
	case $rc in
	137) kills=$((kills + 1)) ;;
	0) ;;
	*) cat err; fail "a resumed run exited $rc" ;;
	esac
	[ -s k.db ] || continue
	[ "$(sql k.db "select count(*) from runs")" = 1 ] || continue
	check_whole
	if [ $rc = 137 ] && [ "$(sql k.db "select status from runs")" = running ]; then
		expect_exit 0 "$NETRIG" --db k.db status
		expect_grep 'running \(controller gone\)' out "kill $kills: status sees the controller gone"
	fi
	# what had finished before this kill is still there, unchanged
	finished > done.now
	missing=$(comm -23 done.before done.now)
	[ -z "$missing" ] || fail "kill $kills: finished cases changed: $missing"
	mv done.now done.before
done
echo "  $kills kills"
[ $kills -ge 10 ] || fail "only $kills kills landed: the test proves little"

say "the last resume finishes it: every case passed with exactly its 3 repeats"
if [ "$(sql k.db "select status from runs")" != passed ]; then
	expect_exit 0 "$NETRIG" -q --db k.db run --resume c.yaml
fi
check_whole
expect_eq "$(sql k.db "select status from runs")" passed "the run"
bad=$(sql k.db "select key from cases c where status != 'passed' or repeats_done != 3 or
	(select count(*) from samples s where s.case_id = c.id) != 3 or
	(select count(distinct repeat) from samples s where s.case_id = c.id) != 3")
[ -z "$bad" ] || fail "cases without exactly their 3 samples: $bad"
done_ok
