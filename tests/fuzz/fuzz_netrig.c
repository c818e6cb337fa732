/*
 * libFuzzer target for the netrig parser (`netrig bench --json`). Needs
 * tests/fuzz/fuzz.h and the `make fuzz` rules of the parse module's
 * branch; seeds: tests/fixtures/netrig/.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser("netrig", data, size);
}
