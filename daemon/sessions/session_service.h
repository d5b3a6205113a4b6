// jitd's session side: records sessions as PAM opens and closes them, keeps
// each tied to a grant that covers it, warns before the end, and ends the
// sessions no grant covers any more (at expiry, on revoke, when an
// until-session-end grant's session closes).  Works on injected parts like
// JitService; the event loop calls run_pending() after every request and
// tick() at the times next_tick() names.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/events/journal.h"
#include "daemon/sessions/check_admissions.h"
#include "daemon/sessions/proc.h"
#include "daemon/service/service.h"
#include "daemon/model/session.h"
#include "daemon/sessions/session_plan.h"
#include "daemon/store/store.h"
#include "daemon/sessions/terminator.h"
#include "jit/values.h"

namespace jit::daemon {

// pam_sm_open_session's question (SESSION_OPEN_REQUEST) and its answer.
struct SessionOpenAsk {
    std::string user, service;
    uint64_t pid = 0;  // must be the caller's own pid
    std::string rhost, tty, ruser, logind_session;
};
struct SessionOpenAnswer {
    proto::Decision decision = proto::Decision::Deny;
    std::string reason;
    std::string session_id, grant_id;  // set when allowed
    std::optional<Time> not_after;     // set when allowed
};
// pam_sm_close_session's report (SESSION_CLOSE_REQUEST).
struct SessionCloseAsk {
    uint64_t pid = 0;  // must be the caller's own pid
    std::string session_id, user, service;
};

class SessionService : public GrantObserver {
public:
    SessionService(Store& store, Journal& journal, const Clock& clock, JitService& jit,
                   const ProcessSource& procs, Terminator& terminator);

    // Loads the sessions that may still have processes; those recorded in an
    // earlier boot are marked gone.
    Result<void, Failure> load();

    SessionOpenAnswer open(const Caller& caller, const SessionOpenAsk& request);
    Result<std::string, Failure> close(const Caller& caller, const SessionCloseAsk& request);
    Result<std::vector<Session>, Failure> list(const ListAsk& request);

    // GrantObserver: a grant was created or ended, so coverage may have changed.
    void grant_changed(const GrantChange&) override { dirty_ = true; }
    void admitted(const Caller& caller, const CheckQuery& query, const Grant& grant) override;

    // After each request: re-evaluates coverage if grants changed.
    void run_pending();
    // Re-evaluates every session (warnings, ends) and escalates to SIGKILL
    // where the grace period is over.  now_mono_ms: CLOCK_MONOTONIC.
    void tick(uint64_t now_mono_ms);
    // The next wall-clock second a warning is due, if any.
    std::optional<Time> next_warning() const { return next_warning_; }
    // The next CLOCK_MONOTONIC millisecond an escalation is due, if any.
    std::optional<uint64_t> next_escalation_ms() const;
    size_t watched() const { return watched_.size(); }

private:
    struct Escalation {
        std::string session_id;
        SessionIdentity identity;
        std::vector<Target> targets;
        uint64_t due_ms = 0;
    };

    Result<SessionIdentity, std::string> identify(pid_t pid, const std::string& logind) const;
    std::string account_for(const SessionOpenAsk& request) const;
    SessionOpenAnswer record_open(Session session, const Grant& grant);
    SessionOpenAnswer record_refusal(Session session, const std::string& why);
    void reconcile();
    void apply(std::vector<Session>::iterator it, const SessionPlan& plan, Time now);
    std::string end_reason(const Session& session, Time now) const;
    bool end_session(Session& session, const std::string& reason, Event event);
    void warn(Session& session, Time end);
    void escalate(uint64_t now_mono_ms);
    void store_failed(const std::string& what, const Failure& why);
    void journal_session(Event event, int priority, const Session& s, const std::string& message,
                         Fields extra = {});

    Store& store_;
    Journal& journal_;
    const Clock& clock_;
    JitService& jit_;
    const ProcessSource& procs_;
    Terminator& terminator_;
    std::vector<Session> watched_;  // Open, and Closed ones that may have left processes
    CheckAdmissions admissions_;
    std::vector<Escalation> escalations_;
    std::optional<Time> next_warning_;
    bool dirty_ = false;
};

// "s-" + 8 id characters; the same alphabet and entropy as grant ids.
Result<std::string> new_session_id();
bool valid_session_id(std::string_view id);

// The monotonic clock in milliseconds, for escalation deadlines.
uint64_t monotonic_ms();

}  // namespace jit::daemon
