#!/bin/sh
# bench/orchestration.sh at a small size (issue 11, item 18) leaves nothing
# running when it ends: its shared ssh connection (ControlPersist would
# keep it, and the sshd session behind it, a minute longer) is closed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces, sshd)"
command -v ip > /dev/null || skip "needs ip (iproute2)"
[ -x /usr/sbin/sshd ] && command -v ssh-keygen > /dev/null || skip "needs openssh-server"
bench=${BENCH:-$top/bench/orchestration.sh}

# processes of any orchestration bench: its files are under /tmp/netrig-bench-orch.*
of_bench() { grep -l 'netrig-bench-orch\.' /proc/[0-9]*/cmdline 2> /dev/null | grep -v "^/proc/$$/" | wc -l; }
before=$(of_bench)
ROUNDS=1 sh "$bench" 3 > bench.out 2>&1 || { cat bench.out; fail "the bench failed"; }
expect_grep '^ssh' bench.out "the bench measured ssh"
after=$(of_bench)
[ "$after" -le "$before" ] || {
	grep -l 'netrig-bench-orch\.' /proc/[0-9]*/cmdline 2> /dev/null | while read -r f; do tr '\0' ' ' < "$f"; echo; done
	fail "the bench left $((after - before)) process(es) behind"
}
done_ok
