#include "daemon/policy/policy_eval.h"

#include <algorithm>

#include "daemon/grants/cidr.h"
#include "jit/timefmt.h"
#include "daemon/grants/local_source.h"
#include "daemon/policy/policy_conditions.h"

namespace jit::daemon {

namespace {

bool covers(const std::vector<std::string>& allowed, const std::vector<std::string>& wanted) {
    for (const auto& s : wanted)
        if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) return false;
    return !wanted.empty();
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

// The grant source an implicit grant is bound to: the checking host's own
// address, "local", or "" when the rule admits any source and the PAM_RHOST
// is a name we cannot pin down.
std::string implicit_source(const std::string& rhost) {
    if (is_local_rhost(rhost)) return "local";
    if (auto cidr = Cidr::parse(rhost)) return cidr->to_string();
    return "";
}

ImplicitGrant implicit_grant(const Rule& r, const CheckQuestion& q, Time now,
                             std::vector<RiskSignal> signals) {
    ImplicitGrant g;
    g.rule = &r;
    g.not_before = now;
    g.not_after = now + Time(*r.implicit);
    if (r.schedule)
        if (auto end = r.schedule->window_end(now); end && *end < g.not_after) g.not_after = *end;
    g.source = implicit_source(q.rhost);
    g.signals = std::move(signals);
    return g;
}

}  // namespace

bool RuleReport::holds() const {
    return first_failure() == nullptr;
}

const Condition* RuleReport::first_failure() const {
    for (const auto& c : conditions)
        if (c.state == CondState::Fails) return &c;
    return nullptr;
}

Membership account_in(const AccountSet& set, const std::string& user,
                      const AccountDirectory& directory) {
    if (std::find(set.users.begin(), set.users.end(), user) != set.users.end())
        return Membership::Yes;
    if (set.uids.empty() && set.groups.empty()) return Membership::No;
    auto info = directory.user(user);
    if (!info) return Membership::Unknown;
    if (!info->has_value()) return Membership::No;
    const UserInfo& u = **info;
    for (const auto& r : set.uids)
        if (u.uid >= r.first && u.uid <= r.last) return Membership::Yes;
    for (const auto& name : set.groups) {
        auto gid = directory.group(name);
        if (!gid) return Membership::Unknown;
        if (gid->has_value() && std::count(u.groups.begin(), u.groups.end(), **gid))
            return Membership::Yes;
    }
    return Membership::No;
}

RequestDecision decide_request(const PolicySet& policy, const RequestSpec& q, Time now,
                               const EvalContext& ctx) {
    RequestDecision d;
    for (const auto& rule : policy.rules) {
        if (rule.is_implicit() || !covers(rule.services, q.services)) continue;
        Membership m = account_in(rule.accounts, q.user, ctx.directory);
        if (m == Membership::No) continue;
        d.reports.push_back(conditions::for_request(rule, q, m, now, ctx));
        const RuleReport& rep = d.reports.back();
        if (d.rule || !rep.holds()) continue;
        d.rule = &rule;
        d.signals = rep.signals;
        d.approvers = rule.approval;
        if (rule.risk == RiskAction::Escalate && !rep.signals.empty() && rule.approval.automatic())
            d.approvers = rule.risk_approval;
        d.verdict = d.approvers.automatic() ? RequestVerdict::Approved : RequestVerdict::Pending;
        d.reason = d.approvers.automatic()
                       ? "approved by rule " + rule.name
                       : "rule " + rule.name + " needs " + d.approvers.describe() +
                             (rep.signals.empty() ? "" : " (" + signal_list(rep.signals) + ")");
    }
    if (d.rule) return d;
    if (d.reports.empty()) {
        d.reason = "no policy rule lets " + q.user + " use " + join(q.services);
        return d;
    }
    d.verdict = RequestVerdict::Denied;
    // A token's request is best explained by the rules written for its issuer.
    const RuleReport* shown = &d.reports.front();
    if (q.identity)
        for (const auto& rep : d.reports)
            if (rep.rule->identity == q.identity->provider) {
                shown = &rep;
                break;
            }
    d.rule = shown->rule;
    const Condition* why = shown->first_failure();
    d.reason = "rule " + d.rule->name + ": " + why->name + ": " + why->detail;
    d.signals = shown->signals;
    return d;
}

CheckPlan plan_check(const GrantBook& book, const PolicySet& policy, const CheckQuestion& q,
                     Time now, const EvalContext& ctx, bool explain) {
    CheckPlan plan;
    plan.outcome = book.check({q.user, q.service, q.rhost}, now);
    plan.rule = plan.outcome.allow ? "grant" : "default-deny";
    if (plan.outcome.allow && !explain) return plan;
    const std::vector<std::string> service{q.service};
    for (const auto& rule : policy.rules) {
        if (!covers(rule.services, service)) continue;
        if (account_in(rule.accounts, q.user, ctx.directory) != Membership::Yes) continue;
        if (!rule.is_implicit()) {
            if (explain) plan.reports.push_back(conditions::for_explain(rule, q, now, ctx));
            continue;
        }
        if (plan.outcome.allow) {  // explaining a check a grant already answers
            plan.reports.push_back(conditions::for_implicit(rule, q, now, ctx));
            continue;
        }
        plan.reports.push_back(conditions::for_implicit(rule, q, now, ctx));
        if (plan.implicit || !plan.reports.back().holds()) continue;
        plan.implicit = implicit_grant(rule, q, now, plan.reports.back().signals);
        plan.rule = rule.name;
        plan.outcome.allow = true;
        plan.outcome.not_after = plan.implicit->not_after;
        plan.outcome.reason = "implicit grant from rule " + rule.name + " until " +
                              format_utc(plan.implicit->not_after);
        if (!explain) return plan;
    }
    return plan;
}

ApproverVerdict may_approve(const ApproverSpec& approvers, const Requester& caller, uid_t requester,
                            const std::string& account, const AccountDirectory& directory) {
    if (caller.uid == requester)
        return {false, "you made this request; someone else must approve it"};
    auto info = directory.user(account);
    if (!info) return {false, "cannot look up account " + account};
    if (info->has_value() && (*info)->uid == caller.uid)
        return {false, "an account cannot approve its own access"};
    if (approvers.automatic()) return {false, "this request needs no approvers"};
    for (const auto& name : approvers.groups) {
        auto gid = directory.group(name);
        if (!gid || !gid->has_value()) continue;  // unresolvable: admits nobody
        if (caller.gid == **gid || std::count(caller.groups.begin(), caller.groups.end(), **gid))
            return {true, ""};
    }
    return {false, "uid " + std::to_string(caller.uid) + " is not in " + approvers.describe()};
}

}  // namespace jit::daemon
