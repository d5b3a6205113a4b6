// The grants in force, and the decision a check gets from them.  Pure logic:
// no clock of its own (time is a parameter), no sockets, no SQLite.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/grants/chunked.h"
#include "daemon/grants/end_heap.h"
#include "daemon/grants/slot_index.h"
#include "daemon/model/grant.h"

namespace jit::daemon {

struct CheckQuery {
    std::string user;
    std::string service;
    std::string rhost;
};

// systemd's per-user service manager (user@UID.service) runs the PAM stack
// of this service when a user's first session starts.  That session was
// admitted by a grant already, so any grant in force for the account covers
// it, whatever the grant's services and source (the manager is local): a
// managed account's login then gets its user manager, and the manager's
// session ends with the last grant as any other.  It never spends a use.
inline constexpr const char* kUserManagerService = "systemd-user";

struct CheckOutcome {
    bool allow = false;
    bool fleet_stale =
        false;  // denied: the closest grant is a fleet grant jit-fleet no longer vouches for
    std::string reason;
    std::string grant_id;  // the grant that allowed, or the closest miss
    Time not_after = 0;    // when allowed: the end of the allowing grant
};

// Indexed by id, by user and by end, so a check, a find and the next expiry
// cost the same at ten grants as at a hundred thousand: a check looks only
// at the user's own grants.
class GrantBook {
public:
    void add(Grant grant);
    // Room for n grants, so a load does not copy the book as it grows.
    void reserve(size_t n);
    // Removes an Active grant (revoked or expired).  False if not present.
    bool remove(const std::string& id);
    const Grant* find(const std::string& id) const;

    // Allow iff some grant for the user names the service, has started, has
    // not ended (now < not_after), admits the rhost, has a use left (when
    // use-limited) and, for a fleet grant, is fresh (fleet_fresh).  When several do, one without a
    // use limit is preferred, then the one that lasts longest.
    CheckOutcome check(const CheckQuery& query, Time now) const;

    // The grant that keeps an existing session alive: as check(), but uses
    // do not matter (a running session is not a new use), and a fleet grant
    // counts until fleet_keeps_sessions() says no.  Null when none.
    const Grant* cover(const CheckQuery& query, Time now) const;
    // When coverage of the query ends if nothing changes: follows grants that
    // overlap one another.  now when nothing covers it.
    Time coverage_end(const CheckQuery& query, Time now) const;
    void set_uses_left(const std::string& id, uint32_t left);

    // Fleet grants (Grant::fleet_id) decide new checks only while now is
    // before the time jit-fleet last vouched for: cut off from etcd, or
    // dead, jit-fleet stops moving it, and those grants stop admitting on
    // jitd's own clock.  Starts at 0: after a restart, fleet grants wait for
    // jit-fleet's word before they admit anything.
    void set_fleet_fresh_until(Time t) { fleet_fresh_until_ = t; }
    Time fleet_fresh_until() const { return fleet_fresh_until_; }
    bool fleet_fresh(const Grant& g, Time now) const {
        return g.fleet_id.empty() || now < fleet_fresh_until_;
    }
    // Running sessions under a fleet grant are ended when the word runs out
    // (cover() judges them by it), counting a restarted jitd's own start as
    // a word: jitd does not remember when it last heard, and ending every
    // fleet session because jitd itself restarted would be wrong.
    void set_fleet_restart_grace(Time t) { fleet_grace_until_ = t; }
    bool fleet_keeps_sessions(const Grant& g, Time now) const {
        return g.fleet_id.empty() || now < std::max(fleet_fresh_until_, fleet_grace_until_);
    }
    // When running fleet sessions must be judged again: the end of the word,
    // while it is in the future (a wake-up that finds nothing to end costs
    // one pass over the sessions, once per stale episode).
    std::optional<Time> fleet_deadline(Time now) const {
        Time until = std::max(fleet_fresh_until_, fleet_grace_until_);
        if (until <= now) return std::nullopt;
        return until;
    }

    // Active grants whose not_after has been reached.
    std::vector<Grant> due(Time now) const;
    // The earliest not_after among grants held, if any.
    std::optional<Time> next_expiry() const;

    std::vector<Grant> for_user(const std::string& user) const;
    // Grants covering now: started and not ended.  One walk of the book per
    // change of it (or of the count, as time crosses a grant's start or
    // end); asked again in between, the count is kept (STATUS, which any
    // local user may send, costs the loop no walk of 100,000 grants).
    size_t in_force(Time now) const;
    size_t size() const { return grants_.size(); }
    // In no particular order: removing a grant moves the last one into its place.
    const Chunked<Grant>& grants() const { return grants_; }

    // Calls f(grant) in order of not_after, earliest first, until f returns false.
    template <typename F>
    void by_end(F&& f) const {
        end_.in_order([&](uint32_t index) { return f(grants_[index]); });
    }
    // Calls f(grant) for each grant of user.
    template <typename F>
    void of_user(const std::string& user, F&& f) const {
        for (uint32_t i = first_of(user); i != kEnd; i = next_of_user_[i]) f(grants_[i]);
    }
    // Changes whenever a grant is added, removed or updated: lets callers
    // keep what they derive from the book until it changes.
    uint64_t generation() const { return generation_; }

private:
    static constexpr uint32_t kEnd = SlotIndex::kNone;
    uint32_t first_of(const std::string& user) const;
    void unlink_user(uint32_t index);
    void relink_user(uint32_t from, uint32_t to);

    Chunked<Grant> grants_;
    SlotIndex by_id_;
    SlotIndex by_user_;                   // the user's first grant; the rest are chained
    std::vector<uint32_t> next_of_user_;  // per grant: the user's next grant, or kEnd
    std::vector<uint32_t> prev_of_user_;  // per grant: the user's previous; the head's: the tail
    EndHeap end_;
    uint64_t generation_ = 0;
    // in_force's last count: right for times in [from, until) while the
    // generation is the same.
    struct InForce {
        uint64_t generation = 0;
        Time from = 0, until = 0;  // empty: nothing kept
        size_t count = 0;
    };
    mutable InForce in_force_;
    Time fleet_fresh_until_ = 0;
    Time fleet_grace_until_ = 0;
};

}  // namespace jit::daemon
