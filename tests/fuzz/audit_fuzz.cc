// libFuzzer target: arbitrary bytes as an audit export, a signed checkpoint,
// a verifier key and an auditor key file.  The properties live in
// audit_check.h, shared with the corpus replay test.
#include <stdio.h>
#include <stdlib.h>

#include "audit_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto verdict = jit::fuzz::check_audit(data, size);
    if (verdict.violation != nullptr) {
        fprintf(stderr, "audit property violated: %s\n", verdict.violation);
        abort();
    }
    return 0;
}
