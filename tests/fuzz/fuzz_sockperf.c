/* libFuzzer target for the sockperf parser (see fuzz.h, run.sh). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser("sockperf", data, size);
}
