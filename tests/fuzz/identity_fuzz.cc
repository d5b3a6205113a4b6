// libFuzzer target: workload tokens and JWKS files (identity_check.h).
#include <stdio.h>
#include <stdlib.h>

#include "identity_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (const char* violation = jit::fuzz::check_identity(data, size).violation) {
        fprintf(stderr, "identity property violated: %s\n", violation);
        abort();
    }
    return 0;
}
