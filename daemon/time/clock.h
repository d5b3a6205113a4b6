// Clocks for the pure logic.  The daemon decides against a clock that never
// goes backwards, so a backward step of the wall clock cannot revive a grant.
#pragma once

#include <stdint.h>
#include <time.h>

#include <optional>

namespace jit::daemon {

using Time = int64_t;  // UTC seconds since the epoch

class Clock {
public:
    virtual ~Clock() = default;
    virtual Time now() const = 0;
};

class SystemClock : public Clock {
public:
    Time now() const override { return Time(::time(nullptr)); }
};

// Never returns less than the largest time it has returned before.
class NonDecreasingClock : public Clock {
public:
    explicit NonDecreasingClock(const Clock& inner, Time floor = 0) : inner_(inner), high_(floor) {}
    Time now() const override {
        Time t = inner_.now();
        if (t > high_) high_ = t;
        return high_;
    }

private:
    const Clock& inner_;
    mutable Time high_;
};

// Tells, once per episode, that the system clock is well behind the time jitd
// decides at: every grant then ends early, and an operator should know why.
class ClockLag {
public:
    static constexpr Time kSlack = 60;  // an NTP correction is not an episode

    // The lag to report now, or nothing (within kSlack, or reported already).
    std::optional<Time> check(Time system_now, Time decided_now) {
        const Time lag = decided_now - system_now;
        if (lag <= kSlack) {
            reported_ = false;
            return std::nullopt;
        }
        if (reported_) return std::nullopt;
        reported_ = true;
        return lag;
    }

private:
    bool reported_ = false;
};

}  // namespace jit::daemon
