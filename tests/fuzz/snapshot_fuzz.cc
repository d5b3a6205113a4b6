// libFuzzer target: arbitrary bytes as an NSS snapshot, through the reader
// and the module's fill code.  The properties live in snapshot_check.h, so
// the corpus replay unit test runs exactly this code.  snapshot.dict gives
// the fuzzer the magic and the header shapes.
#include <stdio.h>
#include <stdlib.h>

#include "snapshot_check.h"
#include "snapshot_reseal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto verdict = jit::fuzz::check_snapshot(data, size);
    if (verdict.violation != nullptr) {
        fprintf(stderr, "snapshot property violated: %s\n", verdict.violation);
        abort();
    }
    return 0;
}

// Half the mutations are resealed (record checks and checksum recomputed),
// so the fuzzer reaches verify()'s rules and the lookups on records that read
// as valid, instead of stopping at a check value.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
    size_t n = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 2 == 0) jit::fuzz::reseal(data, n);
    return n;
}
