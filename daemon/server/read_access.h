// Who may read what.  Grants, sessions, policy (explain) and requests say
// who may get into the host and when; they are not for every local user.
// Root, jitd's own uid and admin_group see everything; an approver sees what
// concerns the accounts of the rules they approve for (approval or risk
// approval groups); anyone else sees their own requests and the grants those
// requests created, and nothing of explain or sessions.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "daemon/model/grant.h"
#include "daemon/model/request.h"
#include "daemon/model/session.h"
#include "daemon/service/service.h"

namespace jit::daemon {

class ReadAccess {
public:
    ReadAccess(JitService& service, const Caller& caller);

    bool sees_all() const { return all_; }
    // An approver (approval or risk approval group) of a rule naming account.
    bool approves_for(const std::string& account) const;
    bool sees_grant(const Grant& g) const;
    bool sees_request(const Request& r) const;
    bool sees_session(const Session& s) const;

private:
    JitService& service_;
    const Caller& caller_;
    bool all_ = false;
    mutable std::unordered_set<std::string> own_grants_;  // created by the caller's requests
    mutable bool own_grants_loaded_ = false;
    mutable std::unordered_map<std::string, bool> approver_;  // per account, asked once
};

}  // namespace jit::daemon
