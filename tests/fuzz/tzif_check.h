// The properties the TZif reader must hold for ANY bytes.  Shared by the
// libFuzzer target (tzif_fuzz.cc) and the corpus replay unit test.
//
// For every input:
//   - TimeZone::parse accepts it or says why not;
//   - an accepted zone answers offsets within RFC 8536's range at any instant;
//   - its transitions are consistent: the next one after t is later than t,
//     the offset really changes there, and the previous one at that instant
//     is that instant;
//   - the input read as a POSIX TZ rule is refused or gives sane offsets.
#pragma once

#include <stdint.h>

#include <string_view>

#include "daemon/time/tz_rule.h"
#include "daemon/time/tzif.h"

namespace jit::fuzz {

struct TzifVerdict {
    bool accepted = false;
    const char* violation = nullptr;
};

namespace detail {

template <typename Zone>
const char* check_offsets(const Zone& z) {
    static const int64_t kTimes[] = {INT64_MIN,  -(int64_t(1) << 59), -2208988800, -1,
                                     0,          1774746000,          1792890000,  2147483647,
                                     4102444800, int64_t(1) << 40,    INT64_MAX};
    for (int64_t t : kTimes) {
        int32_t off = z.offset_at(t);
        if (off < -89999 || off > 93599) return "an offset outside -25h..+26h";
    }
    for (int64_t t : {int64_t(-2208988800), int64_t(0), int64_t(1700000000), int64_t(2500000000)}) {
        for (int i = 0; i < 4; ++i) {
            auto next = z.next_transition(t);
            if (!next) break;
            if (*next <= t) return "next_transition is not after the instant";
            if (z.offset_at(*next - 1) == z.offset_at(*next))
                return "the offset does not change at a transition";
            if (z.prev_transition(*next) != next) return "prev_transition misses a transition";
            t = *next;
        }
    }
    return nullptr;
}

}  // namespace detail

inline TzifVerdict check_tzif(const uint8_t* data, size_t size) {
    TzifVerdict v;
    auto zone = daemon::TimeZone::parse(data, size, "fuzz");
    if (zone) {
        v.accepted = true;
        v.violation = detail::check_offsets(*zone);
    } else if (zone.error().empty()) {
        v.violation = "refused without a reason";
    }
    if (v.violation || size > 300) return v;
    auto rule = daemon::TzRule::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (rule) v.violation = detail::check_offsets(*rule);
    return v;
}

}  // namespace jit::fuzz
