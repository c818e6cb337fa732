/* libFuzzer target for the perftest parser (see fuzz.h, run.sh). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser("perftest", data, size);
}
