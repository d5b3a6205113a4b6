// libFuzzer target: arbitrary bytes as a TZif file (and as a POSIX TZ rule).
// The properties live in tzif_check.h, shared with the corpus replay test.
#include <stdio.h>
#include <stdlib.h>

#include "tzif_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto verdict = jit::fuzz::check_tzif(data, size);
    if (verdict.violation != nullptr) {
        fprintf(stderr, "tzif property violated: %s\n", verdict.violation);
        abort();
    }
    return 0;
}
