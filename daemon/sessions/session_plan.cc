#include "daemon/sessions/session_plan.h"

#include <algorithm>

namespace jit::daemon {

SessionPlan plan_session(const Session& s, const GrantBook& book, Time now,
                         const std::string& boot_id, Time warn_before) {
    SessionPlan plan;
    if (!boot_id.empty() && !s.identity.boot_id.empty() && s.identity.boot_id != boot_id) {
        plan.verdict = SessionVerdict::Gone;
        return plan;
    }
    if (s.state == SessionState::Refused || s.state == SessionState::Gone) return plan;
    CheckQuery query{s.user, s.service, s.rhost};
    plan.cover = book.cover(query, now);
    if (!plan.cover) return plan;
    plan.verdict = SessionVerdict::Keep;
    plan.end = book.coverage_end(query, now);
    if (warn_before <= 0 || s.state != SessionState::Open) return plan;
    if (s.warned_for && *s.warned_for == plan.end) return plan;
    // A session that opens inside the lead time has no terminal yet: sshd
    // allocates the pty and starts the shell after the PAM session opens.
    Time due = std::max(plan.end - warn_before, s.opened + kWarnSettle);
    if (due >= plan.end) return plan;  // too short to be worth a notice
    if (now >= due)
        plan.warn_now = true;
    else
        plan.warn_at = due;
    return plan;
}

}  // namespace jit::daemon
