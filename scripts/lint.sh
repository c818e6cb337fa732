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
exit 0
