#include "daemon/server/read_access.h"

#include <algorithm>

#include "daemon/policy/policy.h"
#include "daemon/policy/policy_eval.h"
#include "daemon/requests/request_desk.h"

namespace jit::daemon {

namespace {

// Whether the caller is in one of the named groups (primary or
// supplementary).  A group that does not resolve admits nobody.
bool in_any(const std::vector<std::string>& groups, const Caller& c,
            const AccountDirectory& directory) {
    for (const auto& name : groups) {
        auto gid = directory.group(name);
        if (!gid || !gid->has_value()) continue;
        if (c.gid == **gid || std::count(c.groups.begin(), c.groups.end(), **gid)) return true;
    }
    return false;
}

}  // namespace

ReadAccess::ReadAccess(JitService& service, const Caller& caller)
    : service_(service), caller_(caller), all_(service.may_administer(caller)) {}

bool ReadAccess::approves_for(const std::string& account) const {
    if (all_) return true;
    auto known = approver_.find(account);
    if (known != approver_.end()) return known->second;
    bool yes = false;
    const AccountDirectory& directory = service_.directory();
    for (const Rule& rule : service_.desk().policy().rules) {
        if (!in_any(rule.approval.groups, caller_, directory) &&
            !in_any(rule.risk_approval.groups, caller_, directory))
            continue;
        if (account_in(rule.accounts, account, directory) == Membership::Yes) {
            yes = true;
            break;
        }
    }
    approver_.emplace(account, yes);
    return yes;
}

bool ReadAccess::sees_grant(const Grant& g) const {
    if (all_ || approves_for(g.user)) return true;
    if (!own_grants_loaded_) {
        own_grants_loaded_ = true;
        // A read that fails shows nothing more: fail closed.
        if (auto mine = service_.desk().list(RequestFilter{}); mine)
            for (const auto& r : *mine)
                if (r.requester == caller_.uid && !r.grant_id.empty())
                    own_grants_.insert(r.grant_id);
    }
    return own_grants_.count(g.id) > 0;
}

bool ReadAccess::sees_request(const Request& r) const {
    return all_ || r.requester == caller_.uid || approves_for(r.user);
}

bool ReadAccess::sees_session(const Session& s) const {
    return all_ || approves_for(s.user);
}

}  // namespace jit::daemon
