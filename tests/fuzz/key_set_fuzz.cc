// libFuzzer target: arbitrary bytes as the document an issuer's server sent
// jit-jwks-refresh (a JWKS, or an OpenID configuration).  The properties
// live in key_set_check.h, shared with the corpus replay test.
#include <stdio.h>
#include <stdlib.h>

#include "key_set_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto verdict = jit::fuzz::check_key_set_bytes(data, size);
    if (verdict.violation != nullptr) {
        fprintf(stderr, "key set property violated: %s\n", verdict.violation);
        abort();
    }
    return 0;
}
