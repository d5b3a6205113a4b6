// Strict JSON for fleet records: nlohmann's parser without exceptions, a size
// cap before parsing, a depth cap, and duplicate object keys refused (two
// readers must never disagree about what a signed body says).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fleet/error.h"
#include "jit/result.h"

namespace jit::fleet {

constexpr size_t kMaxRecordBytes = 64 * 1024;
constexpr int kMaxJsonDepth = 16;

Result<nlohmann::json, Failure> parse_strict(std::string_view text,
                                             size_t max_bytes = kMaxRecordBytes);

}  // namespace jit::fleet
