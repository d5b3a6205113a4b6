// libFuzzer target: arbitrary bytes as a policy file.  The properties live
// in policy_check.h so the corpus replay unit test runs exactly this code.
#include <stdio.h>
#include <stdlib.h>

#include "policy_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto verdict = jit::fuzz::check_policy_text(data, size);
    if (verdict.violation != nullptr) {
        fprintf(stderr, "policy property violated: %s\n", verdict.violation);
        abort();
    }
    return 0;
}
