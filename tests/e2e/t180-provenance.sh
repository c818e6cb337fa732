#!/bin/sh
# What a run records about itself: --commit, --branch and --label (over
# the campaign's labels) are stored; without them, inside a git
# repository the commit and branch are detected, and outside one they are
# empty. The campaign's text and its sha256, the controller, the version
# and the local host's sysinfo are stored with the run.
. "$(dirname "$0")/lib.sh"

cat > p.yaml <<'EOF'
campaign: prov
labels: {team: net, lab: a}
tests:
  - name: a
    run: [echo, hi]
EOF

say "--commit, --branch, --label are stored; --label overrides the campaign's"
expect_exit 0 "$NETRIG" -q run p.yaml --db p.db --commit abc123 --branch feat/x --label lab=b --label os=deb12
expect_eq "$(sql p.db "select commit_sha || ' ' || branch from runs")" "abc123 feat/x" "commit and branch"
expect_eq "$(sql p.db "select json_extract(labels, '\$.team') || ' ' || json_extract(labels, '\$.lab') || ' ' || json_extract(labels, '\$.os') from runs")" \
	"net b deb12" "labels"
expect_exit 0 "$NETRIG" --db p.db status
expect_grep 'commit abc123' out "status shows the commit"
expect_exit 0 "$NETRIG" --db p.db results --format json
expect_grep '"commit": "abc123"' out "results JSON has the commit"
expect_grep '"branch": "feat/x"' out "results JSON has the branch"

say "a bad --label is a usage error and runs nothing"
expect_exit 2 "$NETRIG" -q run p.yaml --db p.db --label novalue
expect_grep "novalue" err "the bad label is named"
expect_eq "$(sql p.db "select count(*) from runs")" 1 "no run added"

say "the config text, its sha256, controller, version and sysinfo are stored"
expect_eq "$(sql p.db "select config_hash from runs")" "$(sha256sum p.yaml | cut -d' ' -f1)" "config hash"
expect_eq "$(sql p.db "select config = cast(readfile('p.yaml') as text) from runs")" 1 "the stored config is the file's text"
expect_eq "$(sql p.db "select campaign || ' ' || status || ' ' || (controller != '') || ' ' || (netrig_version != '') from runs")" \
	"prov passed 1 1" "campaign, status, controller and version"
expect_eq "$(sql p.db "select name || ' ' || transport || ' ' || json_valid(sysinfo) || ' ' || (json_extract(sysinfo, '\$.cpu.threads') > 0) from hosts")" \
	"local local 1 1" "the local host with its sysinfo"

if command -v git > /dev/null; then
	say "inside a git repository: the commit and branch are detected"
	mkdir repo
	cp p.yaml repo/
	(
		cd repo && git init -q -b e2e-branch . && git config user.email e2e@example.invalid &&
			git config user.name e2e && git add p.yaml && git commit -q -m first
	) || fail "could not make a git repository"
	head=$(git -C repo rev-parse HEAD)
	(cd repo && "$NETRIG" -q run p.yaml --db ../g.db > ../out 2> ../err) || fail "run in the repository: $(cat err)"
	expect_eq "$(sql g.db "select commit_sha || ' ' || branch from runs")" "$head e2e-branch" "detected commit and branch"

	say "flags win over what git says"
	(cd repo && "$NETRIG" -q run p.yaml --db ../g.db --commit deadbeef --branch other > ../out 2> ../err) ||
		fail "run with flags: $(cat err)"
	expect_eq "$(sql g.db "select commit_sha || ' ' || branch from runs order by started_at desc limit 1")" \
		"deadbeef other" "flags over detection"

	say "a detached HEAD: the commit, no branch"
	git -C repo checkout -q --detach HEAD || fail "git checkout --detach"
	(cd repo && "$NETRIG" -q run p.yaml --db ../g.db > ../out 2> ../err) || fail "run detached: $(cat err)"
	expect_eq "$(sql g.db "select commit_sha || '|' || coalesce(branch, '') from runs order by started_at desc limit 1")" \
		"$head|" "detached HEAD"
else
	echo "  git is not installed: detection not checked"
fi

say "outside a git repository: no commit, no branch, and no delay"
start=$(date +%s)
expect_exit 0 "$NETRIG" -q run p.yaml --db n.db
secs=$(( $(date +%s) - start ))
expect_eq "$(sql n.db "select coalesce(commit_sha, 'NULL') || ' ' || coalesce(branch, 'NULL') from runs")" "NULL NULL" \
	"commit and branch outside a repository"
[ $secs -le 3 ] || fail "a one-case run took ${secs}s outside a repository (waiting for git?)"
done_ok
