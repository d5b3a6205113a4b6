// Policy decisions, pure: a request, or a PAM check that may create an
// implicit grant, judged against the rules at an instant.  The state the
// rules count against (grants in force, recent requests, the risk baseline)
// and the account database are injected.  The same code answers `check`
// and `explain`, so the two cannot disagree.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/policy/managed.h"
#include "daemon/grants/grant_book.h"
#include "daemon/identity/verifier.h"
#include "daemon/policy/policy.h"
#include "daemon/policy/risk.h"

namespace jit::daemon {

class PolicyHistory {
public:
    virtual ~PolicyHistory() = default;
    // Grants not yet ended that came from rule for user.
    virtual size_t active_grants(const std::string& rule, const std::string& user) const = 0;
    // Requests (any outcome but refused at once) and implicit grants from
    // rule for user created at or after since; rule empty: from any rule.
    virtual size_t created_since(const std::string& rule, const std::string& user,
                                 Time since) const = 0;
    virtual Baseline baseline(const std::string& user) const = 0;
};

struct EvalContext {
    const AccountDirectory& directory;
    const PolicyHistory& history;
};

enum class CondState { Holds, Fails, Needs };  // Needs: a requirement shown, not judged

struct Condition {
    std::string name;  // account, service, requester, source, schedule, ...
    CondState state = CondState::Holds;
    std::string detail;
};

struct RuleReport {
    const Rule* rule = nullptr;
    std::vector<Condition> conditions;
    std::vector<RiskSignal> signals;
    bool holds() const;                      // no condition fails
    const Condition* first_failure() const;  // nullptr when it holds
};

struct Requester {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
};

struct RequestSpec {
    std::string user;
    std::vector<std::string> services;
    std::string source;  // "" any, "local", or a canonical CIDR
    Time not_before = 0, not_after = 0;
    std::string reason, ticket;
    Requester requester;
    // The verified workload token the request is made with, if any: only
    // rules with identity = judge it (and only it).
    const identity::VerifiedToken* identity = nullptr;
};

enum class RequestVerdict { NoRule, Denied, Approved, Pending };

struct RequestDecision {
    RequestVerdict verdict = RequestVerdict::NoRule;
    const Rule* rule = nullptr;  // deciding rule; for Denied the first rule in scope
    std::string reason;
    ApproverSpec approvers;  // Pending: who must approve
    std::vector<RiskSignal> signals;
    std::vector<RuleReport> reports;  // every rule in scope, in order
};

// The first rule in scope (accounts, services) whose conditions all hold
// decides: auto approves, N of @groups (or a risk escalation) leaves it
// pending.  None holding: denied, with the first rule's first failure.
RequestDecision decide_request(const PolicySet& policy, const RequestSpec& request, Time now,
                               const EvalContext& ctx);

struct CheckQuestion {
    std::string user, service, rhost;
    const identity::VerifiedToken* identity = nullptr;  // explain --id-token
};

struct ImplicitGrant {
    const Rule* rule = nullptr;
    Time not_before = 0, not_after = 0;
    std::string source;  // "local", a host's /32 or /128, or "" (the rule admits any)
    std::vector<RiskSignal> signals;
};

struct CheckPlan {
    CheckOutcome outcome;                   // what the check answers
    std::string rule;                       // "grant", "default-deny", or the implicit rule's name
    std::optional<ImplicitGrant> implicit;  // to create before answering allow
    std::vector<RuleReport> reports;        // rules in scope for user and service
};

// What a PAM check for a managed account answers at `now`: a grant in force
// allows; otherwise the first implicit rule whose conditions hold creates a
// grant and allows; otherwise deny.  Request rules in scope are reported
// with what a request would need.
// explain: also evaluate every rule in scope (request rules included) for the
// report; the answer is the same either way.
CheckPlan plan_check(const GrantBook& book, const PolicySet& policy, const CheckQuestion& q,
                     Time now, const EvalContext& ctx, bool explain);

// Whether caller may decide on a request for `account` made by `requester`
// under approvers: a member of one of the groups (primary or
// supplementary), not the requester, not the account itself.
struct ApproverVerdict {
    bool allowed = false;
    std::string why_not;
};
ApproverVerdict may_approve(const ApproverSpec& approvers, const Requester& caller, uid_t requester,
                            const std::string& account, const AccountDirectory& directory);

// Yes/No/Unknown membership of user in accounts (lookup failure: Unknown).
Membership account_in(const AccountSet& accounts, const std::string& user,
                      const AccountDirectory& directory);

}  // namespace jit::daemon
