// libFuzzer target: arbitrary bytes into the protocol decoder, and every frame
// it accepts through the typed messages and back.  The properties live in
// protocol_check.h so the corpus replay unit test runs exactly this code; the
// structure-aware mutator in protocol_mutator.h helps the fuzzer get past the
// length checks.
#include <stdio.h>
#include <stdlib.h>

#include "protocol_check.h"
#include "protocol_mutator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto verdict = jit::fuzz::check_protocol_frame(data, size);
    if (verdict.violation != nullptr) {
        fprintf(stderr, "protocol property violated: %s\n", verdict.violation);
        abort();
    }
    return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
    if (seed % 2 == 0) {
        size_t n = jit::fuzz::StructuredMutation(seed).run(data, size, max_size);
        if (n > 0) return n;
    }
    return LLVMFuzzerMutate(data, size, max_size);
}
