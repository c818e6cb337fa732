#!/bin/sh
# scripts/man.sh NETRIG DIR: the man pages, written from the help text the
# binary NETRIG prints, so that a page cannot say other than `netrig help`:
# DIR/netrig.1 from `netrig help`, DIR/netrig-CMD.1 from `netrig help CMD`
# for each command it lists (the Makefile's `man` target; make install
# installs them). Older pages in DIR are removed first.
#
# The help text's shape (cmd.h: summary, usage) is read as: the usage
# block up to the first blank line is the SYNOPSIS; after it, lines
# that start in the first column are prose (filled), indented lines
# (options, tables) are kept as they are, a lone "Word:" line is a
# subsection, and a blank line starts a paragraph.
set -eu

[ $# = 2 ] || { echo "usage: scripts/man.sh NETRIG DIR" >&2; exit 2; }
netrig=$1
dir=$2
mkdir -p "$dir"
rm -f "$dir"/netrig.1 "$dir"/netrig-*.1

version=$("$netrig" --version | sed 's/^netrig //')
help=$("$netrig" help)
cmds=$(printf '%s\n' "$help" | sed -n '/^Commands:$/,/^$/s/^  \([a-z][a-z0-9_-]*\)  *.*$/\1/p')
[ -n "$cmds" ] || { echo "scripts/man.sh: '$netrig help' lists no commands" >&2; exit 1; }

# The roff of one help text on standard input. $1: the command ("" for
# netrig(1)); $2: its line in `netrig help`. Values go through the
# environment: awk -v would read their backslashes as escapes.
roff() {
	NAME=$1 SUMMARY=$2 VERSION=$version awk '
	function esc(s) {
		gsub(/\\/, "\\e", s)
		gsub(/-/, "\\-", s)
		if (s ~ /^[.\047]/)
			s = "\\&" s
		return s
	}
	function fill() { if (nf) { print ".fi"; nf = 0 } }
	function para() { if (gap) { fill(); print ".PP"; gap = 0 } }
	BEGIN {
		name = ENVIRON["NAME"]
		summary = ENVIRON["SUMMARY"]
		version = ENVIRON["VERSION"]
		page = name == "" ? "netrig" : "netrig-" name
		up = toupper(page)
		gsub(/-/, "\\-", up)
		printf ".TH %s 1 \"\" \"netrig %s\" \"netrig manual\"\n", up, esc(version)
		print ".nh"	# command names and options are not to be hyphenated
		print ".SH NAME"
		printf "%s \\- %s\n", esc(page), esc(summary)
		print ".SH SYNOPSIS"
		print ".nf"
		state = "usage"
	}
	state == "usage" {
		if ($0 == "") {
			print ".fi"
			print ".SH DESCRIPTION"
			state = "body"
			next
		}
		# "usage: " goes; continuation lines are aligned after it
		if (sub(/^usage: /, "") == 0)
			sub(/^       /, "")
		print esc($0)
		next
	}
	$0 == "" { gap = 1; next }
	/^[A-Z]?[A-Za-z ]*:$/ {
		fill()
		gap = 0
		sub(/:$/, "")
		section = $0
		printf ".SS \"%s\"\n", esc($0)
		next
	}
	name == "" && section == "Commands" && /^  [a-z]/ {
		fill()
		cmd = $1
		see = see (see == "" ? "" : ",\n") "\\fBnetrig\\-" esc(cmd) "\\fR(1)"
		sub(/^  [^ ]+ +/, "")
		print ".TP"
		printf "\\fBnetrig\\-%s\\fR(1)\n%s\n", esc(cmd), esc($0)
		next
	}
	/^[ \t]/ {
		para()
		if (!nf) { print ".nf"; nf = 1 }
		print esc($0)
		next
	}
	{
		para()
		fill()
		print esc($0)
	}
	END {
		if (state == "usage")
			print ".fi"
		fill()
		print ".SH SEE ALSO"
		print name == "" ? see : "\\fBnetrig\\fR(1)"
	}'
}

printf '%s\n' "$help" | roff "" "network performance test rig" > "$dir/netrig.1"
for c in $cmds; do
	summary=$(printf '%s\n' "$help" | sed -n '/^Commands:$/,/^$/p' | sed -n "s/^  $c  *//p")
	"$netrig" help "$c" | roff "$c" "$summary" > "$dir/netrig-$c.1"
done
