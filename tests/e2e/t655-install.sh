#!/bin/sh
# make install (issue 14): netrig and a man page per command, written from
# the binary's own help text (scripts/man.sh), put under DESTDIR and PREFIX
# where they belong; every command `netrig help` lists has its page, each
# renders without a warning and shows every option its help text has;
# roff in a help text is shown, never obeyed; make uninstall takes it all
# away again.
. "$(dirname "$0")/lib.sh"

for p in make man groff; do
	command -v $p > /dev/null || skip "$p is not installed"
done

say "make install DESTDIR PREFIX=/usr: the binary and the pages"
root=$tmp/root
expect_exit 0 make -C "$top" --no-print-directory install DESTDIR="$root" PREFIX=/usr
[ -x "$root/usr/bin/netrig" ] || fail "no $root/usr/bin/netrig"
cmp -s "$root/usr/bin/netrig" "$top/netrig" || fail "the installed netrig is not the one built"
"$root/usr/bin/netrig" --version > v.out || fail "the installed netrig does not run"
man1=$root/usr/share/man/man1

say "a page for every command netrig help lists, and netrig(1), nothing else"
cmds=$("$NETRIG" help | sed -n '/^Commands:$/,/^$/s/^  \([a-z][a-z0-9_-]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -l)" -ge 10 ] || fail "too few commands read from netrig help: $cmds"
want="netrig.1"
for c in $cmds; do
	want="$want
netrig-$c.1"
done
expect_eq "$(ls "$man1" | sort)" "$(echo "$want" | sort)" "the pages installed"
expect_eq "$(find "$root" -type f | wc -l)" "$(($(echo "$want" | wc -l) + 1))" "nothing else installed"

say "each page renders at 80 columns without a warning, named and summarised as netrig help says"
for page in "$man1"/*.1; do
	name=$(basename "$page" .1)
	MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=all -l "$page" > rendered 2> warnings ||
		fail "man -l $page"
	[ -s warnings ] && { cat warnings; fail "man warns about $name"; }
	groff -ww -z -man -Tutf8 "$page" 2> warnings
	[ -s warnings ] && { cat warnings; fail "groff warns about $name"; }
	tr -s ' \n' '  ' < rendered > flat # filled text is justified and broken
	grep -qF -- "NAME $name - " flat || { head -8 rendered; fail "the NAME line of $name"; }
	if [ "$name" != netrig ]; then
		c=${name#netrig-}
		summary=$("$NETRIG" help | sed -n "/^Commands:\$/,/^\$/s/^  $c  *//p")
		grep -qF -- "NAME $name - $summary SYNOPSIS" flat || { head -8 rendered; fail "the summary of $c"; }
		# every option its help text names is on the page
		"$NETRIG" help "$c" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u > want.opts
		grep -oE -- '--[a-z][a-z0-9-]*' rendered | sort -u > got.opts
		missing=$(comm -23 want.opts got.opts | tr '\n' ' ')
		[ -z "$missing" ] || fail "netrig-$c(1) lacks options of its help text: $missing"
		expect_grep "^ +netrig\(1\)" rendered "SEE ALSO of $name"
	fi
done
MANPATH=$root/usr/share/man man -w netrig-run > where 2>&1 || { cat where; fail "man finds no netrig-run"; }
expect_eq "$(cat where)" "$man1/netrig-run.1" "man finds netrig-run by its name"
if command -v lexgrog > /dev/null; then
	expect_exit 0 lexgrog "$man1/netrig-compare.1"
	expect_grep '"netrig-compare - compare a candidate run' out "whatis reads the NAME line"
fi
MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$man1/netrig.1" > top
for c in $cmds; do
	grep -q "netrig-$c(1)" top || fail "netrig(1) does not list netrig-$c(1)"
done

say "roff in a help text is shown as text, never obeyed"
cat > fake-netrig << 'EOF'
#!/bin/sh
case "$*" in
--version) echo "netrig 9.9" ;;
help) printf 'usage: netrig [--db PATH] COMMAND\n\nCommands:\n  evil       a \\fBbold\\fR claim\n\n' ;;
"help evil")
	printf 'usage: netrig evil [--x]\n\n'
	printf '.SH INJECTED\n'
	printf "'br and a quote\\n"
	printf 'back\\slash \\fBnot bold\\fR -- dash\n'
	printf '  .TH indented\n'
	;;
*) exit 2 ;;
esac
EOF
chmod +x fake-netrig
expect_exit 0 sh "$top/scripts/man.sh" ./fake-netrig fake
expect_eq "$(ls fake | tr '\n' ' ')" "netrig-evil.1 netrig.1 " "the fake's pages"
MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=all -l fake/netrig-evil.1 > evil 2> warnings
[ -s warnings ] && { cat warnings; fail "warnings on hostile help text"; }
expect_no_grep '^INJECTED' evil "a request in the help text"
tr -s ' \n' '  ' < evil > flat
for text in ".SH INJECTED 'br and a quote back\\slash \\fBnot bold\\fR -- dash .TH indented" \
	'netrig-evil - a \fBbold\fR claim'; do
	grep -qF -- "$text" flat || { cat evil; fail "not shown as text: $text"; }
done

say "make uninstall takes away what install put there"
expect_exit 0 make -C "$top" --no-print-directory uninstall DESTDIR="$root" PREFIX=/usr
expect_eq "$(find "$root" -type f | wc -l)" 0 "no file left"

done_ok
