// Strict JSON for workload tokens and key sets: nlohmann-json's parser
// without exceptions, a size cap before parsing, a depth cap, and refusals
// for what the standard leaves open but a verifier must not: duplicate
// object keys (two readers would disagree about what a signed claim says)
// and control characters in any decoded string or key (\u0000 could cut a
// claim short for a C reader; escapes hide them from a byte scan).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "jit/result.h"

namespace jit::daemon::identity {

enum class JsonFault { TooLarge, Invalid, DuplicateKey, TooDeep, ControlBytes };

struct JsonError {
    JsonFault fault;
    std::string detail;
};

Result<nlohmann::json, JsonError> parse_strict(std::string_view text, size_t max_bytes,
                                               int max_depth);

}  // namespace jit::daemon::identity
