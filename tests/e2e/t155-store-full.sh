#!/bin/sh
# A store failure in the middle of a run: the database is on a 300 KiB
# tmpfs that fills up. The run exits 3 with a clear message, never
# crashes; the database is still readable, and moved to a roomier place it
# resumes to the end with every case's attempt stored once.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"

mkdir small
mount -t tmpfs -o size=300k nre2e-full small 2> /dev/null || skip "cannot mount a tmpfs here"
at_exit "umount '$tmp/small' 2> /dev/null"
cat > c.yaml <<'EOF'
campaign: full
tests:
  - name: t
    run: [sh, -c, 'head -c 100000 /dev/urandom']
    matrix:
      n: [1, 2, 3, 4, 5, 6, 7, 8]
EOF

say "the disk fills during the run: exit 3 and a message that says so"
"$NETRIG" run c.yaml --db small/full.db > out 2> err
rc=$?
[ $rc = 3 ] || { cat err; fail "a full disk exited $rc, not 3"; }
expect_grep 'full' err "the message says the disk is full"
expect_no_grep 'AddressSanitizer|runtime error|Segmentation' err "no crash"

say "the database is still consistent and readable"
cp small/full.db* .
umount small
expect_exit 0 "$NETRIG" --db full.db status
stored=$(sql full.db "select count(*) from attempts")
[ "$stored" -lt 8 ] || fail "all 8 attempts fit: the tmpfs was not filled"
echo "  $stored attempts stored before the disk was full"
[ "$(sql full.db "select status from runs")" != passed ] || fail "the run says passed"

say "moved to a roomier place it resumes to the end"
expect_exit 0 "$NETRIG" -q run --resume c.yaml --db full.db
expect_eq "$(sql full.db "select status from runs")" passed "run status"
expect_eq "$(sql full.db "select count(*) from cases where status = 'passed' and attempts = (select count(*) from attempts a where a.case_id = cases.id)")" 8 \
	"every case passed with its attempts stored"
expect_eq "$(sql full.db "select count(*) from outputs where stream = 'stdout' and size = 100000")" 8 \
	"each case's output stored once, whole"
done_ok
