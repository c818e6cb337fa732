# Shared helpers of the end-to-end scripts (git t/ style). Source it from
# a script in tests/e2e/:
#
#	. "$(dirname "$0")/lib.sh"
#
# It finds the binary ($NETRIG: $NETRIG_BIN if set, else netrig in
# $NETRIG_TOP that tests/check.sh exports, else in the repository top above
# this folder), makes a temporary
# directory ($tmp, the current directory afterwards, removed on exit) and
# gives:
#
#	say TEXT               print what is being checked
#	fail TEXT              print "FAIL: TEXT" and exit 1
#	skip REASON            print the reason as the last line and exit 77
#	expect_exit N CMD...   run CMD with stdout in ./out and stderr in ./err;
#	                       fail unless it exits N
#	expect_grep PATTERN FILE WHAT  fail unless FILE has a line matching the
#	                       extended regex PATTERN
#	expect_no_grep PATTERN FILE WHAT
#	expect_eq GOT WANT WHAT
#	db NAME, db_copy, sql DB QUERY, is_pg DB, $backend: the database
#	                       (SQLite or PostgreSQL) the script runs against: db.sh
#	wait_until SECONDS CMD...  retry CMD every 20 ms until it succeeds;
#	                       non-zero when SECONDS pass first
#	at_exit CMD            run the shell command CMD when the script ends
#	ssh_lab NAME SUBNET    a lab ./lab.yaml named NAME: a controller host "a"
#	                       and a host "b" with sshd (root over ssh), one
#	                       link; up now, down when the script ends
#	done_ok                print the final "ok" line and exit 0
#
# There is no "known failure": a check that cannot fail the script is no
# check (issue 11 item 18). A bug found and not fixed yet is a failing test.
#
# Helpers keep their variables in names starting with "_" (sh has no
# locals). Scripts do not use "set -e": every check says what it checks and fails
# with a message.

set -u

top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# NETRIG_BIN runs the scripts against another build (e.g. build/asan/netrig)
NETRIG=${NETRIG_BIN:-$top/netrig}
test_name=$(basename "$0" .sh)
test_script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
exit_hooks=""

say() {
	echo "- $*"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "skipped: $*"
	exit 77
}

at_exit() {
	exit_hooks="$exit_hooks
$1"
}

run_exit_hooks() {
	_rc=$?
	trap - EXIT
	eval "$exit_hooks"
	cd /
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
	exit $_rc
}

[ -x "$NETRIG" ] || { echo "FAIL: no $NETRIG: run make first"; exit 1; }
command -v sqlite3 > /dev/null || skip "the sqlite3 command is not installed"

tmp=$(mktemp -d "/tmp/netrig-$test_name.XXXXXX") || fail "mktemp"
trap run_exit_hooks EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$tmp" || fail "cd $tmp"
. "$top/tests/e2e/db.sh"
at_exit 'eval "$db_cleanup"'
db_init || skip "$db_why"
# a temporary directory is not inside any git repository of the caller
GIT_CEILING_DIRECTORIES=$(dirname "$tmp")
export GIT_CEILING_DIRECTORIES
unset NETRIG_DB

expect_exit() {
	_want=$1
	shift
	"$@" > out 2> err
	_got=$?
	if [ "$_got" != "$_want" ]; then
		echo "command: $*"
		echo "--- stdout"; head -c 3000 out
		echo "--- stderr"; head -c 3000 err
		fail "exit status $_got, expected $_want"
	fi
	return 0
}

expect_grep() {
	grep -E -e "$1" "$2" > /dev/null && return 0
	echo "--- $2:"; head -c 3000 "$2"
	fail "$3: no line matches /$1/ in $2"
}

expect_no_grep() {
	grep -E -e "$1" "$2" > /dev/null || return 0
	echo "--- $2:"; head -c 3000 "$2"
	fail "$3: a line matches /$1/ in $2"
}

expect_eq() {
	[ "$1" = "$2" ] && return 0
	printf 'got:  %s\nwant: %s\n' "$1" "$2"
	fail "$3"
}

wait_until() {
	_steps=$(($1 * 50)) # 20 ms steps
	shift
	while [ $_steps -gt 0 ]; do
		"$@" && return 0
		sleep 0.02
		_steps=$((_steps - 1))
	done
	return 1
}

# A process with this pid exists and is not a zombie.
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2> /dev/null)
	[ -n "$_state" ] && [ "$_state" != Z ] && [ "$_state" != X ]
}

# Processes whose process group is $1 (from /proc, no ps needed).
group_members() {
	for s in /proc/[0-9]*/stat; do
		sed -n 's/^\([0-9]*\) (.*) . [0-9-]* \([0-9-]*\) .*$/\1 \2/p' "$s" 2> /dev/null
	done | awk -v g="$1" '$2 == g { print $1 }'
}

ssh_lab() {
	cat > lab.yaml <<_EOF
lab: $1
dir: $tmp/lab
subnet: $2
hosts:
  a: {controller: true}
  b: {sshd: true}
links:
  - [a, b]
_EOF
	at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
	"$NETRIG" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }
}

# How many processes run in the namespace of host b of ssh_lab $1.
ssh_lab_procs() { ip netns pids "$1-b" | wc -l; }
# ssh_lab_settles LAB N SECONDS WHAT: host b of the lab is back to N
# processes within SECONDS (an ssh session ends a moment after its job);
# else the test fails with WHAT, listing what is there.
ssh_lab_settles() {
	_sls_lab=$1 _sls_want=$2
	wait_until "$3" _ssh_lab_at_want && return 0
	for p in $(ip netns pids "$1-b"); do echo "$p: $(tr '\0' ' ' < /proc/$p/cmdline | tail -c 100)"; done
	fail "$4: $(ssh_lab_procs "$1") processes in the ssh host's namespace, $2 before"
}
_ssh_lab_at_want() { [ "$(ssh_lab_procs "$_sls_lab")" = "$_sls_want" ]; }

# serve_start DB [ARG...]: netrig serve with DB (and ARGs: --config FILE)
# on a free loopback port, its output in serve.out and serve.log (which
# grows across servers of one test); sets $spid and $SERVE_URL
# (http://127.0.0.1:PORT) and $SERVE_PORT; killed at exit if still running.
serve_start() {
	_db=$1
	shift
	rm -f serve.out # the port of a server before is not this one's
	"$NETRIG" serve --listen 127.0.0.1:0 --db "$_db" "$@" > serve.out 2>> serve.log &
	spid=$!
	at_exit "kill $spid 2>/dev/null"
	wait_until 10 grep -qs "listening on port" serve.out || { cat serve.log; fail "serve did not start"; }
	SERVE_PORT=$(sed -n 's/^listening on port //p' serve.out)
	SERVE_URL=http://127.0.0.1:$SERVE_PORT
}

# serve_token DB USER SCOPE [ARG...]: a token of SCOPE for USER (made if
# missing) in DB, printed; ARGs go to `token create` (--expires 1d).
serve_token() {
	"$NETRIG" --db "$1" user add "$2" > /dev/null 2>&1 # there already: fine
	_user=$2 _scope=$3
	_db=$1
	shift 3
	"$NETRIG" --db "$_db" token create --user "$_user" --scope "$_scope" "$@" 2> serve_token.err ||
		{ cat serve_token.err; fail "token create --user $_user --scope $_scope"; }
}

done_ok() {
	echo "ok"
	exit 0
}
