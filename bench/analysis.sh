#!/bin/sh
# Build and run the analysis benchmark (bench/analysis_bench.c) with the
# normal build flags (-O2); prints a markdown table for docs/analysis-bench.md.
#
#   bench/analysis.sh [-r ROUNDS]
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory bench-analysis >&2
echo "machine: $(nproc) CPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
echo
exec build/analysis-bench "$@"
