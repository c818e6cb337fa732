/* libFuzzer target for the iperf3 parser (see fuzz.h, run.sh). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser("iperf3", data, size);
}
