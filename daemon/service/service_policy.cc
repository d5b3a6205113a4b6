// JitService's policy side: checks of managed accounts go through the
// request desk's plan (grants, then implicit rules), and explain answers
// with the very same plan.
#include <algorithm>

#include "daemon/requests/request_desk.h"
#include "daemon/service/service.h"
#include "jit/escape.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxExplainedRules = 32;

std::string rule_outcome(const RuleReport& r, bool chosen) {
    const Condition* failure = r.first_failure();
    if (r.rule->is_implicit()) {
        if (failure) return "no implicit grant: " + failure->name + " fails";
        return chosen ? "creates a grant now" : "would create a grant";
    }
    if (failure) return "a request would be denied: " + failure->name + " fails";
    return r.rule->approval.automatic() ? "a request would be approved at once"
                                        : "a request would need " + r.rule->approval.describe();
}

}  // namespace

void JitService::apply_policy(std::shared_ptr<const PolicySet> policy) {
    desk_->set_policy(std::move(policy));
}

std::optional<Time> JitService::next_expiry() const {
    std::optional<Time> next;
    for (auto t : {book().next_expiry(), desk_->next_deadline(), book().fleet_deadline(now())})
        if (t && (!next || *t < *next)) next = t;
    return next;
}

CheckOutcome JitService::check_managed(const Caller& caller, const CheckAsk& request, Time now,
                                       std::string* rule) {
    CheckQuestion q{request.user, request.service, request.rhost};
    CheckPlan plan = desk_->plan(q, now, false);
    *rule = std::move(plan.rule);
    if (plan.implicit) {
        auto g = desk_->create_implicit(caller, q, *plan.implicit);
        if (!g) {
            // Fail closed: no durable grant, no access.
            CheckOutcome denied;
            denied.reason = "implicit grant from rule " + *rule +
                            " could not be recorded: " + g.error().message;
            return denied;
        }
        plan.outcome.grant_id = g->id;
    }
    // The grant that allows (an existing one, or the implicit one this check
    // just made: its first admission) gives up a use first when use-limited.
    CheckOutcome outcome = count_use(std::move(plan.outcome), q.service);
    if (outcome.allow) desk_->observe_use(q.user, q.rhost, now);
    return outcome;
}

Explanation JitService::explain(const ExplainQuestion& question) {
    Explanation out;
    out.now = clock_.now();
    out.at = question.at.value_or(out.now);
    switch (classify(question.user)) {
        case Membership::No:
            out.reason = question.user + " is not managed by jit (pam_jit ignores it)";
            out.rule = "unmanaged";
            return out;
        case Membership::Unknown:
            out.reason = "cannot tell whether " + question.user + " is managed (lookup failed)";
            out.rule = "lookup-failed";
            return out;
        case Membership::Yes:
            break;
    }
    out.managed = true;
    CheckQuestion q{question.user, question.service, question.rhost, question.identity};
    CheckPlan plan = desk_->plan(q, out.at, true);
    out.allow = plan.outcome.allow;
    out.reason = plan.outcome.reason;
    out.rule = plan.rule;
    out.grant_id = plan.implicit ? "(new)" : plan.outcome.grant_id;
    if (plan.outcome.allow) out.not_after = plan.outcome.not_after;
    for (const auto& r : plan.reports) {
        if (out.rules.size() >= kMaxExplainedRules) break;
        bool chosen = plan.implicit && plan.implicit->rule == r.rule;
        out.rules.push_back({r.rule->name, r.rule->is_implicit() ? "implicit" : "request",
                             r.rule->origin(), rule_outcome(r, chosen)});
        for (const auto& c : r.conditions)
            out.conditions.push_back({r.rule->name, c.name, c.state, c.detail});
    }
    out.pending = desk_->pending_for(question.user, question.service);
    return out;
}

}  // namespace jit::daemon
