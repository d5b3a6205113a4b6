// When a policy rule is in force: weekly windows of local wall-clock time in
// a named time zone ("Mon-Fri 08:00-20:00 Europe/Berlin").  Pure: every
// question takes the UTC instant it is about.
//
// Wall-clock semantics across daylight saving changes: a window is in force
// whenever the local clock shows a time inside it.  So on the night the
// clocks spring forward a window 02:00-03:00 does not happen at all, and on
// the night they fall back it lasts two hours.  A window whose end is before
// its start runs past midnight and belongs to the day it starts on.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jit/result.h"
#include "daemon/time/tzif.h"

namespace jit::daemon {

using ZoneResolver =
    std::function<Result<std::shared_ptr<const TimeZone>, std::string>(std::string_view name)>;

class Schedule {
public:
    struct Window {
        uint8_t days = 0x7f;  // bit 0 = Sunday .. bit 6 = Saturday
        int start = 0;        // minutes after local midnight, 0..1439
        int end = 0;          // 1..1440; below start: runs past midnight
    };

    // "[DAYS] HH:MM-HH:MM[, [DAYS] HH:MM-HH:MM...] [ZONE]"; DAYS is a day
    // (Mon), a range (Mon-Fri, Fri-Mon) or "daily"; ZONE defaults to UTC.
    static Result<Schedule, std::string> parse(std::string_view text, const ZoneResolver& zones);

    bool contains(int64_t utc) const;
    // For utc inside the schedule: where the window it is in started and
    // where it ends (the first instant no longer inside).  nullopt when utc
    // is outside, or the window does not end within kHorizon.
    std::optional<int64_t> window_start(int64_t utc) const;
    std::optional<int64_t> window_end(int64_t utc) const;
    // The first instant at or after utc inside the schedule, within kHorizon.
    std::optional<int64_t> next_start(int64_t utc) const;

    std::string describe() const;  // canonical text
    const TimeZone& zone() const { return *zone_; }
    const std::vector<Window>& windows() const { return windows_; }

    static constexpr int64_t kHorizon = 8 * 86400;

private:
    bool local_contains(int64_t local) const;
    int64_t next_edge(int64_t utc) const;
    int64_t prev_edge(int64_t utc) const;

    std::vector<Window> windows_;
    std::vector<int> boundaries_;  // seconds after local midnight, sorted, with 0
    std::shared_ptr<const TimeZone> zone_;
};

}  // namespace jit::daemon
