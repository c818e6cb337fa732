#!/bin/sh
# A worker learns its machine's description and its directory's commit
# once and keeps them for job after job (issue 15: a job's overhead), but
# reads each again once it changed: an interface's MTU and a sysctl in the
# worker's network namespace, a new commit and a new branch in its
# directory. Each job's run must store what was true when it ran.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

command -v git > /dev/null || skip "no git here"
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
ns=nrkeep$$
ip netns add "$ns" 2> /dev/null || skip "cannot make a network namespace here"
at_exit "ip netns del $ns"
worker=""
at_exit '[ -n "$worker" ] && kill -9 $worker 2> /dev/null'

g() { git -C repo -c user.name=t -c user.email=t@example.org "$@" || fail "git $*"; }
mkdir repo
g init -q -b main
g commit -q --allow-empty -m one
c1=$(git -C repo rev-parse HEAD)

cat > t.yaml <<'EOF'
campaign: kept
health: {when: never}
tests:
  - {name: t, run: ["true"]}
EOF
Q=$(db kept)
case $Q in /* | postgres*) ;; *) Q=$PWD/$Q ;; esac # the worker works in repo/
# the first job queued (and the database made) before the worker opens it
"$NETRIG" job submit t.yaml --db "$Q" -q > /dev/null || fail "submit"
# the worker in the namespace (its own /sys), working in the repository
(cd repo && exec ip netns exec "$ns" "$NETRIG" worker --db "$Q" --poll 0.05 --max-jobs 5 \
	--name keep) > w.out 2> w.err &
worker=$!

n=1
done_n() { [ "$(sql "$Q" "select count(*) from jobs where status = 'done'")" = "$n" ]; }
# job: submit one and wait until the worker has done it
job() {
	"$NETRIG" job submit t.yaml --db "$Q" -q > /dev/null || fail "submit"
	n=$((n + 1))
	wait_until 60 done_n || fail "job $n not done: $(cat w.err)"
}
# the N-th job's run: what its local host's description says, and its commit and branch
desc() {
	sql "$Q" "select h.sysinfo from jobs j join runs r on r.id = j.run_id
		join hosts h on h.run_id = r.id order by j.created_at" | sed -n "$1p"
}
git_of() {
	sql "$Q" "select coalesce(r.commit_sha, '-') || ' ' || coalesce(r.branch, '-') from jobs j
		join runs r on r.id = j.run_id order by j.created_at" | sed -n "$1p"
}
lo_mtu() { desc "$1" | grep -o '"name":"lo"[^}]*"mtu":[0-9]*' | sed 's/.*"mtu"://'; }
cc() { desc "$1" | grep -o '"net.ipv4.tcp_congestion_control":"[^"]*"' | cut -d'"' -f4; }

say "the first job: the machine and the commit as they are"
wait_until 60 done_n || fail "job 1 not done: $(cat w.err)"
expect_eq "$(lo_mtu 1)" 65536 "lo's MTU in the namespace, as made"
expect_eq "$(git_of 1)" "$c1 main" "the directory's commit and branch"
cc0=$(ip netns exec "$ns" cat /proc/sys/net/ipv4/tcp_congestion_control)
expect_eq "$(cc 1)" "$cc0" "the namespace's congestion control"

say "an interface changed between two jobs: the next run has the new description"
ip netns exec "$ns" ip link set lo mtu 1400 || fail "ip link set mtu"
job
expect_eq "$(lo_mtu 2)" 1400 "lo's new MTU"
expect_eq "$(git_of 2)" "$c1 main" "the commit, unchanged"

say "a sysctl changed between two jobs: the same"
if [ "$cc0" = reno ]; then cc1=cubic; else cc1=reno; fi
ip netns exec "$ns" sh -c "echo $cc1 > /proc/sys/net/ipv4/tcp_congestion_control" ||
	fail "set the congestion control"
job
expect_eq "$(cc 3)" "$cc1" "the new congestion control"
expect_eq "$(lo_mtu 3)" 1400 "the MTU as it still is"

say "a commit, then a branch, in the worker's directory: each next run has it"
g commit -q --allow-empty -m two
c2=$(git -C repo rev-parse HEAD)
job
expect_eq "$(git_of 4)" "$c2 main" "the new commit"
g checkout -q -b side
job
expect_eq "$(git_of 5)" "$c2 side" "the new branch"
wait "$worker"
rc=$?
worker=""
expect_eq "$rc" 0 "the worker ends after its 5 jobs"
done_ok
