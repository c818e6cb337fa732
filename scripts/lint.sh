#!/bin/sh
# Calls netrig does not make (after git's banned.h): unbounded copies,
# unchecked number parsing, shell strings. Exits 1 and names each use.
cd "$(dirname "$0")/.." || exit 2
banned='\b(strcpy|strcat|strncpy|sprintf|vsprintf|strtok|atoi|atol|atof|system|popen|gets)[[:space:]]*\('
if grep -rnE "$banned" src tests/unit | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' ; then
	echo "lint: banned functions used (see scripts/lint.sh)" >&2
	exit 1
fi
# A header's include guard closes at its end: anything after "#endif" is
# outside the guard, and a second include would define it twice.
bad_guard=0
for h in $(find src -name '*.h'); do
	grep -q '^#ifndef NR_' "$h" || continue
	last=$(grep -v '^[[:space:]]*$' "$h" | tail -n 1)
	case $last in
	'#endif'*) ;;
	*) echo "$h: text after the include guard's #endif" >&2; bad_guard=1 ;;
	esac
done
[ $bad_guard = 0 ] || exit 1
# Module dependencies point one way (DESIGN.md, "Where the house grows"):
# metric/ (samples, units, the catalogue, states) uses base/ only, and
# the code that keeps and judges samples uses metric/, never the parsers.
# Checked on what each file reads in the end (cc -MM), so a header that
# pulls parse/ in is caught too; compare/ reads campaigns, which hold
# parse specs, so only its own #include lines are held.
bad_dep=0
cc=${CC:-cc}
deps_of() { # FILE: the project headers FILE reads, directly or not
	_d=$($cc -std=c11 -D_GNU_SOURCE -Isrc -MM -MG "$1" 2> /dev/null |
		tr ' \\' '\n\n' | grep '^src/.*\.h$')
	# every file reads a header of its own: none means cc failed
	[ -n "$_d" ] || { echo "$1: could not list its includes with $cc -MM" >&2; echo "?"; }
	echo "$_d"
}
for f in src/metric/*.[ch]; do
	bad=$(deps_of "$f" | grep -vE '^src/(base|metric)/' | tr '\n' ' ')
	[ -z "$bad" ] || { echo "$f: metric/ may use base/ only, reads $bad" >&2; bad_dep=1; }
done
for f in src/store/*.[ch] src/analysis/*.[ch] src/report/*.[ch]; do
	bad=$(deps_of "$f" | grep '^src/parse/' | tr '\n' ' ')
	[ -z "$bad" ] || { echo "$f: reads parse/ headers ($bad): use metric/metric.h" >&2; bad_dep=1; }
done
if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"parse/' src/compare/*.[ch]; then
	echo "lint: compare/ includes parse/ headers: use metric/metric.h" >&2
	bad_dep=1
fi
[ $bad_dep = 0 ] || exit 1
exit 0
