// What should happen to one recorded session now: pure logic over the grants
// in force and an injected time.  jitd and jit-sweep decide with the same
// function, so the backstop ends exactly what jitd would have ended.
#pragma once

#include <optional>
#include <string>

#include "daemon/grants/grant_book.h"
#include "daemon/model/session.h"

namespace jit::daemon {

enum class SessionVerdict {
    Keep,  // some grant covers it (user, service, source, time); uses do not matter
    End,   // nothing covers it, or it was refused: end its processes
    Gone,  // recorded in another boot: its processes died with that boot
};

struct SessionPlan {
    SessionVerdict verdict = SessionVerdict::End;
    const Grant* cover = nullptr;  // Keep: the grant that covers it now (longest)
    Time end = 0;                  // Keep: when coverage ends if nothing changes
    bool warn_now = false;         // Keep: the warning is due and not yet given
    std::optional<Time> warn_at;   // Keep: when the warning will be due, if later
};

// Seconds after its open before a session is warned, so its terminal exists.
constexpr Time kWarnSettle = 2;

// boot_id empty (unreadable) never makes a session Gone.  warn_before 0
// disables warnings; only Open sessions are warned, warn_before ahead of the
// end but not before kWarnSettle after the open (and not at all when the
// grant ends sooner).
SessionPlan plan_session(const Session& session, const GrantBook& book, Time now,
                         const std::string& boot_id, Time warn_before);

}  // namespace jit::daemon
