// Durations and timestamps as people type and read them.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include "jit/result.h"

namespace jit {

// "90s", "15m", "2h", "1d", "1w", "1h30m".  A unit is required on every number; the
// total must be positive and at most 366 days.  EINVAL otherwise.
Result<uint64_t> parse_duration(std::string_view text);

// "45s", "14m", "1h 5m", "2d 3h": the two most significant units.
std::string format_duration(int64_t seconds);
// The same, appended to *out: a reason built around it takes one allocation.
void append_duration(std::string* out, int64_t seconds);

// "in 14m", "3m ago", "now".
std::string format_relative(int64_t when, int64_t now);
void append_relative(std::string* out, int64_t when, int64_t now);

// "2026-11-29 18:15:00 UTC" and "2026-11-29T18:15:00Z".
std::string format_utc(int64_t when);
std::string format_iso8601(int64_t when);

// Accepts "2026-11-29T18:15:00Z", "2026-11-29 18:15:00" (UTC) and "@1764440100".
// Seconds run 00-59: there are no leap seconds in UTC time as Linux keeps it.
Result<int64_t> parse_timestamp(std::string_view text);

}  // namespace jit
