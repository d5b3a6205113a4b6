#include "session_plan.h"

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
    if (now >= plan.end - warn_before)
        plan.warn_now = true;
    else
        plan.warn_at = plan.end - warn_before;
    return plan;
}

}  // namespace jit::daemon
