// JitService's policy side: checks of managed accounts go through the
// request desk's plan (grants, then implicit rules), and explain answers
// with the very same plan.
#include <algorithm>

#include "jit/escape.h"
#include "daemon/requests/request_desk.h"
#include "daemon/server/request_wire.h"
#include "daemon/service/service.h"

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

proto::CondState to_wire(CondState s) {
    switch (s) {
        case CondState::Holds:
            return proto::CondState::Holds;
        case CondState::Fails:
            return proto::CondState::Fails;
        case CondState::Needs:
            return proto::CondState::Needs;
    }
    return proto::CondState::Fails;
}

}  // namespace

void JitService::apply_policy(std::shared_ptr<const PolicySet> policy) {
    desk_->set_policy(std::move(policy));
}

std::optional<Time> JitService::next_expiry() const {
    auto grant = book_.next_expiry();
    auto desk = desk_->next_deadline();
    if (grant && desk) return std::min(*grant, *desk);
    return grant ? grant : desk;
}

CheckOutcome JitService::check_managed(const Caller& caller, const msg::CheckRequest& request,
                                       Time now, std::string* rule) {
    CheckQuestion q{request.user, request.service, request.rhost};
    CheckPlan plan = desk_->plan(q, now, false);
    *rule = plan.rule;
    if (plan.implicit) {
        auto g = desk_->create_implicit(caller, q, *plan.implicit);
        if (!g) {
            // Fail closed: no durable grant, no access.
            CheckOutcome denied;
            denied.reason = "implicit grant from rule " + plan.rule +
                            " could not be recorded: " + g.error().message;
            return denied;
        }
        plan.outcome.grant_id = g->id;
    } else {
        // An existing grant allowed: a use-limited one gives up a use first.
        plan.outcome = count_use(plan.outcome, q.service);
    }
    if (plan.outcome.allow) desk_->observe_use(q.user, q.rhost, now);
    return plan.outcome;
}

msg::ExplainReply JitService::explain(const msg::ExplainQuery& query) {
    msg::ExplainReply reply;
    reply.now = clock_.now();
    reply.at = query.at.value_or(reply.now);
    switch (classify(query.user)) {
        case Membership::No:
            reply.reason = query.user + " is not managed by jit (pam_jit ignores it)";
            reply.rule = "unmanaged";
            return reply;
        case Membership::Unknown:
            reply.reason = "cannot tell whether " + query.user + " is managed (lookup failed)";
            reply.rule = "lookup-failed";
            return reply;
        case Membership::Yes:
            break;
    }
    reply.managed = true;
    CheckQuestion q{query.user, query.service, query.rhost};
    CheckPlan plan = desk_->plan(q, reply.at, true);
    reply.decision = plan.outcome.allow ? proto::Decision::Allow : proto::Decision::Deny;
    reply.reason = plan.outcome.reason;
    reply.rule = plan.rule;
    reply.grant_id = plan.implicit ? "(new)" : plan.outcome.grant_id;
    if (plan.outcome.allow) reply.not_after = plan.outcome.not_after;
    for (const auto& r : plan.reports) {
        if (reply.rules.size() >= kMaxExplainedRules) break;
        bool chosen = plan.implicit && plan.implicit->rule == r.rule;
        reply.rules.push_back({r.rule->name, r.rule->is_implicit() ? "implicit" : "request",
                               r.rule->origin(), rule_outcome(r, chosen)});
        for (const auto& c : r.conditions)
            reply.conditions.push_back({r.rule->name, c.name, to_wire(c.state), c.detail});
    }
    for (const auto& r : desk_->pending_for(query.user, query.service))
        append_request(r, reply.requests, reply.approvals);
    return reply;
}

}  // namespace jit::daemon
