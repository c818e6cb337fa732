#!/bin/sh
# A test's workdir (issue 11, item 11): every level of it is made, however
# deep ("a/b/{case}"), relative to the campaign file on this machine; on an
# ssh host it applies there too, made on the far side: relative to the
# host's workdir when it has one, else to the ssh user's home, or absolute.
# {workdir} names it where the role runs. (ssh through the stand-in client
# tests/helpers/fake-ssh, which starts commands in $HOME as sshd does.)
. "$(dirname "$0")/lib.sh"

mkdir home farhome
export NETRIG_SSH="$top/tests/helpers/fake-ssh" HOME="$tmp/home"
cat > wd.yaml <<EOF2
campaign: wd
hosts:
  far: {transport: ssh, address: 127.0.0.1, workdir: $tmp/farhome}
  home: {transport: ssh, address: 127.0.0.1}
tests:
  - name: here
    workdir: "deep/er/{n}"
    run: [sh, -c, 'pwd; echo "{workdir}"']
    matrix: {n: [x]}
  - name: far
    host: far
    workdir: "a/b/{n}"
    run: [sh, -c, 'pwd; echo "{workdir}"']
    matrix: {n: [y]}
  - name: home
    host: home
    workdir: c/d
    run: [pwd]
  - name: abs
    host: home
    workdir: $tmp/abs/e/f
    run: [pwd]
EOF2
expect_exit 0 "$NETRIG" run wd.yaml --db wd.db
out_of() { "$NETRIG" --db wd.db log "$1" --raw --stream stdout; }
say "on this machine: every level is made, relative to the campaign file"
expect_eq "$(out_of here/n=x | tr '\n' ' ')" "$tmp/deep/er/x $tmp/deep/er/x " "the local role's directory and {workdir}"
say "on an ssh host: below the host's workdir, made there"
expect_eq "$(out_of far/n=y | tr '\n' ' ')" "$tmp/farhome/a/b/y $tmp/farhome/a/b/y " "the ssh role's directory and {workdir}"
[ -e "$tmp/a" ] && fail "the ssh host's workdir was also made on the controller"
say "on an ssh host without a workdir: below the ssh user's home; or absolute"
expect_eq "$(out_of home)" "$tmp/home/c/d" "relative to the home"
expect_eq "$(out_of abs)" "$tmp/abs/e/f" "absolute"
done_ok
