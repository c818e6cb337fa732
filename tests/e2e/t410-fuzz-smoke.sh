#!/bin/sh
# Every parser's libFuzzer target runs briefly (CI's short fuzzing): about
# 6 s each, two at a time, well under 2 minutes with the build. Skipped
# when clang or its libFuzzer runtime (Debian: libclang-rt-14-dev) is missing.
set -eu
top=${NETRIG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
tmp=$(mktemp -d /tmp/netrig-t410.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v clang > /dev/null || { echo "clang missing"; exit 77; }
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$tmp/t.c"
clang -fsanitize=fuzzer "$tmp/t.c" -o "$tmp/t" > /dev/null 2>&1 ||
	{ echo "clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)"; exit 77; }
FUZZ_JOBS=2 tests/fuzz/run.sh 6
