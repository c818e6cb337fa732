#!/bin/sh
# netrig-pr.sh: benchmark a pull request, base against head, in one run.
# What the CI recipes beside it (github-workflow.yml, gitlab-ci.yml) call,
# and what you can run by hand; examples/ci/README.md says more.
#
#   netrig-pr.sh [--github | --gitlab] BASE HEAD CAMPAIGN
#
# BASE and HEAD are commits (any git revision) of the repository in the
# current directory. Each is checked out into a git worktree of its own,
# .netrig-pr/base and .netrig-pr/head beside CAMPAIGN; the campaign names
# them in its two variants (base first) and builds each with its build:
# command (see pr.yaml). The campaign runs once, both builds pair by pair
# in ABBA order, so the machine's drift cancels; then the run's report
# (status, results, limits, the paired comparison) is written to
#
#   $NETRIG_PR_OUT/netrig.db     the database (default directory: netrig-pr)
#   $NETRIG_PR_OUT/report.md     markdown, for a job summary or a comment
#   $NETRIG_PR_OUT/report.xml    JUnit, for a CI test viewer
#   $NETRIG_PR_OUT/report.html   one self-contained page
#
# --github also appends report.md to $GITHUB_STEP_SUMMARY, prints the
# verdict as a workflow annotation and posts the report as a comment on
# the pull request (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH,
# GITHUB_API_URL); --gitlab posts it as a note on the merge request
# (NETRIG_GITLAB_TOKEN, CI_API_V4_URL, CI_PROJECT_ID,
# CI_MERGE_REQUEST_IID). Each later push edits that one comment (found by
# a marker naming the campaign) instead of adding another. A comment that
# cannot be posted (a pull request from a fork gets a read-only token) is
# a warning: the verdict stands. NETRIG_PR_COMMENT=dry prints the
# requests instead of sending them, =off skips the comment.
#
# NETRIG is the netrig command (default: netrig on PATH).
#
# Exit status, so that CI can tell a slower pull request from a broken
# measurement:
#   0  no regression: every case passed, no limit breached
#   1  the pull request fails the gate: a regression, a breached limit, or
#      a failed case (the head does not build or its benchmark fails)
#   2  netrig could not judge: bad usage, a bad campaign, a commit not here
#   3  netrig could not judge: infrastructure (hosts, the store, the
#      breaker), or no run was made
#   130 interrupted
set -u

here=$(cd "$(dirname "$0")" && pwd)
NETRIG=${NETRIG:-netrig}
out=${NETRIG_PR_OUT:-netrig-pr}
mode=local

usage() {
	echo "usage: netrig-pr.sh [--github | --gitlab] BASE HEAD CAMPAIGN" >&2
	exit 2
}

case "${1:-}" in
--github | --gitlab)
	mode=${1#--}
	shift
	;;
-*) usage ;;
esac
[ $# = 3 ] || usage
base_ref=$1
head_ref=$2
campaign=$3

# A workflow command's data escaped as the runner reads it (% CR LF).
gh_escape() {
	printf '%s' "$1" | sed -e 's/%/%25/g' -e 's/\r/%0D/g' | awk 'NR > 1 { printf "%%0A" } { printf "%s", $0 }'
}

# say LEVEL TITLE TEXT: on stderr; on GitHub also an annotation of the run.
say() {
	echo "netrig-pr: $2: $3" >&2
	if [ "$mode" = github ]; then
		echo "::$1 title=$(gh_escape "netrig: $2")::$(gh_escape "$3")"
	fi
}

# The report for when netrig made none, so that the summary and the
# comment say this push was not judged instead of showing an older verdict.
no_report() {
	{
		printf '## netrig: :warning: could not judge this push\n\n'
		printf '%s\n' "$1"
	} > "$out/body.md"
}

no_commit() {
	say error "could not judge" "no commit '$1' in this repository (a shallow clone? fetch the history: fetch-depth: 0 on GitHub, GIT_DEPTH: 0 on GitLab)"
	exit 2
}

[ -f "$campaign" ] || {
	say error "could not judge" "no campaign file '$campaign'"
	exit 2
}
git rev-parse --git-dir > /dev/null 2>&1 || {
	say error "could not judge" "$(pwd) is not in a git repository"
	exit 2
}
base_sha=$(git rev-parse --verify --quiet "$base_ref^{commit}") || no_commit "$base_ref"
head_sha=$(git rev-parse --verify --quiet "$head_ref^{commit}") || no_commit "$head_ref"
trees=$(dirname "$campaign")/.netrig-pr
mkdir -p "$out" "$trees" || exit 3
rm -f "$out/body.md" "$out/report.md" "$out/report.xml" "$out/report.html"

# checkout NAME SHA: the worktree $trees/NAME at SHA, made once and
# reused (so a build of the same tree is incremental); never anything
# else at that path.
checkout() {
	_dir=$trees/$1
	if [ -e "$_dir" ]; then
		if [ "$(git -C "$_dir" rev-parse --show-toplevel 2> /dev/null)" != "$(cd "$_dir" && pwd -P)" ]; then
			say error "could not judge" "$_dir exists and is not a git worktree: remove it"
			exit 3
		fi
		git -C "$_dir" checkout -q --force --detach "$2" || exit 3
	else
		git worktree prune
		git worktree add -q --detach "$_dir" "$2" || exit 3
	fi
}
checkout base "$base_sha"
checkout head "$head_sha"
echo "netrig-pr: base $base_sha in $trees/base, head $head_sha in $trees/head" >&2

db=$out/netrig.db
"$NETRIG" --db "$db" run "$campaign" --commit "$head_sha" \
	--label "netrig-pr.base=$base_sha" --label "netrig-pr.head=$head_sha" > "$out/run.txt"
run_rc=$?
cat "$out/run.txt"
run_id=$(sed -n 's/^run \([0-9a-f][0-9a-f-]*\): .*/\1/p' "$out/run.txt" | tail -n 1)

rc=$run_rc
if [ -n "$run_id" ]; then
	"$NETRIG" --db "$db" report "$run_id" --format md -o "$out/body.md"
	rep_rc=$?
	"$NETRIG" --db "$db" report "$run_id" --format junit -o "$out/report.xml"
	"$NETRIG" --db "$db" report "$run_id" --format html -o "$out/report.html"
	# the paired comparison in the job's log too
	"$NETRIG" --db "$db" compare --variants "$run_id"
	case $run_rc in
	0 | 1) rc=$rep_rc ;;
	esac
	[ -s "$out/body.md" ] || no_report "netrig made no report of run \`$run_id\` (exit status $rep_rc): see the job's log."
elif [ $run_rc = 0 ] || [ $run_rc = 1 ]; then
	rc=3
	no_report "netrig run made no run (exit status $run_rc): see the job's log."
else
	no_report "netrig run exited $run_rc before it made a run: see the job's log."
fi

case $rc in
0) say notice "no regression" "head $head_sha against base $base_sha: nothing slower, every case passed" ;;
1)
	verdict=$(sed -n '1s/^.*:x: //p' "$out/body.md")
	say error "the pull request fails the gate" "${verdict:-failed}: head $head_sha against base $base_sha (the report names the series)"
	;;
2) say error "could not judge" "netrig exit status 2: bad usage or a bad campaign (not a verdict on the pull request)" ;;
130) say error "could not judge" "interrupted (exit status 130)" ;;
*)
	rc=3
	say error "could not judge" "netrig exit status $run_rc: infrastructure (hosts, the store, the breaker); not a verdict on the pull request"
	;;
esac

# The marker finds this campaign's comment again on the next push; it
# holds only characters an HTML comment can hold whatever the path is.
marker="<!-- netrig-pr: $(printf '%s' "$campaign" | tr -c 'A-Za-z0-9._/-' _) -->"
{
	echo "$marker"
	cat "$out/body.md"
	echo
	echo "base \`$base_sha\`, head \`$head_sha\`; exit status $rc. The database and the JUnit and HTML reports are kept with the job."
} > "$out/report.md"
rm -f "$out/body.md"

if [ "$mode" = github ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	# GitHub refuses a step summary past 1 MiB, and would then show none
	if [ "$(wc -c < "$out/report.md")" -gt 1000000 ]; then
		head -c 1000000 "$out/report.md"
		printf '\n\n(cut at 1 MB: the whole report is in the artifact)\n'
	else
		cat "$out/report.md"
	fi >> "$GITHUB_STEP_SUMMARY"
fi
if [ "$mode" != local ] && [ "${NETRIG_PR_COMMENT:-}" != off ]; then
	python3 "$here/pr-comment.py" "$mode" "$marker" "$out/report.md" ||
		say warning "no comment" "the report could not be posted as a comment (see above); the verdict stands"
fi
exit $rc
