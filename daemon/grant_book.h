// The grants in force, and the decision a check gets from them.  Pure logic:
// no clock of its own (time is a parameter), no sockets, no SQLite.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "grant.h"

namespace jit::daemon {

struct CheckQuery {
    std::string user;
    std::string service;
    std::string rhost;
};

struct CheckOutcome {
    bool allow = false;
    std::string reason;
    std::string grant_id;  // the grant that allowed, or the closest miss
    Time not_after = 0;    // when allowed: the end of the allowing grant
};

class GrantBook {
public:
    void add(Grant grant);
    // Removes an Active grant (revoked or expired).  False if not present.
    bool remove(const std::string& id);
    const Grant* find(const std::string& id) const;

    // Allow iff some grant for the user names the service, has started, has
    // not ended (now < not_after) and admits the rhost.  When several do, the
    // one that lasts longest is reported.
    CheckOutcome check(const CheckQuery& query, Time now) const;

    // Active grants whose not_after has been reached.
    std::vector<Grant> due(Time now) const;
    // The earliest not_after among grants held, if any.
    std::optional<Time> next_expiry() const;

    std::vector<Grant> for_user(const std::string& user) const;
    // Grants covering now: started and not ended.
    size_t in_force(Time now) const;
    size_t size() const { return grants_.size(); }
    const std::vector<Grant>& all() const { return grants_; }

private:
    std::vector<Grant> grants_;
};

}  // namespace jit::daemon
