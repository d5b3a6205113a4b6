// The POSIX TZ string that ends a TZif file ("CET-1CEST,M3.5.0,M10.5.0/3"):
// the rule a zone follows after its last listed transition.  RFC 8536 3.3,
// including its extensions (quoted names, transition hours -167..167).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>

#include "jit/result.h"

namespace jit::daemon {

class TzRule {
public:
    // EINVAL-style failures carry a message naming what is wrong.
    static Result<TzRule, std::string> parse(std::string_view text);

    // UTC offset (seconds east of Greenwich) in force at utc.
    int32_t offset_at(int64_t utc) const;
    // The first offset change strictly after utc / at or before utc, if the
    // rule has daylight saving time.
    std::optional<int64_t> next_transition(int64_t utc) const;
    std::optional<int64_t> prev_transition(int64_t utc) const;

    bool has_dst() const { return has_dst_; }
    int32_t std_offset() const { return std_offset_; }
    int32_t dst_offset() const { return dst_offset_; }

private:
    struct RuleDate {
        enum Kind { kJulian1, kJulian0, kMonthWeekDay } kind = kMonthWeekDay;
        int n = 0;  // Jn: 1..365, n: 0..365
        int month = 1, week = 1, weekday = 0;
        int32_t time = 7200;  // local seconds after midnight, -167h..167h
    };
    struct Parser;

    // DST start and end of year y, in UTC.
    int64_t start_utc(int64_t year) const;
    int64_t end_utc(int64_t year) const;
    static int64_t day_of(const RuleDate& d, int64_t year);  // days since the epoch

    int32_t std_offset_ = 0;
    int32_t dst_offset_ = 0;
    bool has_dst_ = false;
    RuleDate start_, end_;
};

}  // namespace jit::daemon
