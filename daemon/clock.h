// Clocks for the pure logic.  The daemon decides against a clock that never
// goes backwards, so a backward step of the wall clock cannot revive a grant.
#pragma once

#include <time.h>

#include "grant.h"

namespace jit::daemon {

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

}  // namespace jit::daemon
