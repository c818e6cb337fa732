#!/bin/sh
# A disk that fills up under large outputs (issue 11, item 2: a 12 MiB
# tmpfs, 3 MB per attempt crashed 7 runs of 12), several times over: each
# run exits 3 naming the full disk, never crashes; the run is stopped and
# resumable (or, where the store took no write at all, left running with
# its controller gone); nothing is half-written; and once there is room
# again --resume completes it with every output stored whole, once.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
rounds=${NETRIG_FULL_ROUNDS:-5}

mkdir small
mount -t tmpfs -o size=12m "nrfull$$" small 2> /dev/null || skip "cannot mount a tmpfs here"
at_exit "umount '$tmp/small' 2> /dev/null"
cat > c.yaml <<'EOF'
campaign: full
tests:
  - name: t
    run: [sh, -c, 'head -c 3000000 /dev/urandom; echo; echo v={n}']
    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}
    parse: {format: keyvalue, metrics: {v: {}}}
EOF
db=small/f.db
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	say "round $r: the disk fills during the run"
	mount -o remount,size=12m small || fail "remount"
	rm -f $db $db-wal $db-shm
	"$NETRIG" run c.yaml --db $db > out 2> err
	rc=$?
	expect_no_grep 'Bus error|Segmentation|Aborted|AddressSanitizer|runtime error|double free' err "no crash"
	[ $rc = 3 ] || { cat err; fail "round $r: a full disk exited $rc, not 3"; }
	expect_grep 'full' err "round $r: the message says the disk is full"
	status=$(sql $db "select status from runs")
	case $status in
	stopped) expect_grep 'resume' err "round $r: the message says how to continue" ;;
	running) # the store took no write at all: status must see the controller gone
		expect_exit 0 "$NETRIG" --db $db status
		expect_grep 'controller gone' out "round $r: a run left running" ;;
	*) fail "round $r: the run is '$status' after the disk filled" ;;
	esac
	[ "$(sql $db "select count(*) from attempts")" -lt 8 ] || fail "round $r: the disk did not fill"
	expect_eq "$(sql $db "select count(*) from attempts a where (select count(*) from outputs o
		where o.attempt_id = a.id) != 2 or (select count(*) from samples s where s.attempt_id = a.id) != 1")" 0 \
		"round $r: every stored attempt is whole"
	expect_eq "$(sql $db "select count(*) from cases c where status = 'passed' and attempts !=
		(select count(*) from attempts a where a.case_id = c.id)")" 0 "round $r: cases agree with their attempts"
	echo "  round $r: $status with $(sql $db "select count(*) from attempts") of 8 attempts stored"
done

say "with room again, --resume completes the run"
mount -o remount,size=100m small || fail "remount"
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db $db
expect_eq "$(sql $db "select status from runs")" passed "run status"
expect_eq "$(sql $db "select count(*) from cases where status = 'passed' and attempts = 1")" 8 \
	"every case passed with its one attempt"
expect_eq "$(sql $db "select count(*) from outputs where stream = 'stdout' and size = 3000005")" 8 \
	"each case's output stored once, whole"
expect_eq "$(sql $db "select count(*) from samples")" 8 "each case's sample once"
done_ok
