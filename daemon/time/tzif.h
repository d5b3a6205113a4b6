// Time zones from the system's tz database: a reader for TZif files (RFC 8536
// versions 1 to 4, RFC 9636) and the offset lookups the schedule needs.  The
// policy evaluates its windows in a named zone without touching the process's
// TZ or localtime(), which are global state.
//
// A TZif file is input we did not write: every count, index and length is
// checked before use, sizes are bounded, and anything unexpected (leap-second
// tables, unsorted transitions, trailing bytes) is refused.
#pragma once

#include <stdint.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/time/civil_time.h"
#include "jit/result.h"
#include "daemon/time/tz_rule.h"

namespace jit::daemon {

constexpr const char* kDefaultZoneinfoDir = "/usr/share/zoneinfo";

class TimeZone {
public:
    // Decodes a whole TZif file.  The error says what is malformed.
    static Result<TimeZone, std::string> parse(const uint8_t* data, size_t len,
                                               std::string name = "");
    // Loads dir/NAME.  NAME is a tz database name ("Europe/Berlin", "UTC"):
    // letters, digits, '_', '+', '-' in '/'-separated components, never "."
    // or "..".  "UTC" is built in when the file is missing.
    static Result<TimeZone, std::string> load(std::string_view name,
                                              const std::string& zoneinfo_dir);
    static TimeZone utc();
    static bool valid_name(std::string_view name);

    const std::string& name() const { return name_; }

    // UTC offset in seconds (east positive) in force at utc.
    int32_t offset_at(int64_t utc) const;
    CivilTime local_time(int64_t utc) const { return civil_from_seconds(utc + offset_at(utc)); }
    // The first instant strictly after utc at which the offset changes, and
    // the last instant at or before utc at which it changed.
    std::optional<int64_t> next_transition(int64_t utc) const;
    std::optional<int64_t> prev_transition(int64_t utc) const;

private:
    struct Type {
        int32_t offset = 0;
        bool dst = false;
    };
    struct Reader;

    std::string name_;
    std::vector<int64_t> times_;  // strictly ascending
    std::vector<uint8_t> index_;  // type of each transition
    std::vector<Type> types_;     // at least one
    std::optional<TzRule> rule_;  // for times after the last transition
};

}  // namespace jit::daemon
