#!/bin/sh
# Calls netrig does not make (after git's banned.h): unbounded copies,
# unchecked number parsing, shell strings. Exits 1 and names each use.
cd "$(dirname "$0")/.." || exit 2
banned='\b(strcpy|strcat|strncpy|sprintf|vsprintf|strtok|atoi|atol|atof|system|popen|gets)[[:space:]]*\('
if grep -rnE "$banned" src tests/unit | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' ; then
	echo "lint: banned functions used (see scripts/lint.sh)" >&2
	exit 1
fi
exit 0
