// The allowed checks a PAM session open may still claim: each remembers the
// process that was checked, what it asked and the grant that allowed it.
// Indexed by pid, so recording a check and finding it again at the session
// open cost the same with one entry as with the cap's 4,096 (every allowed
// CHECK records one, so a scan here was paid by every decision).  Pure
// bookkeeping: the caller owns the clock and says who the process is.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "daemon/grants/grant_book.h"

namespace jit::daemon {

struct CheckAdmission {
    pid_t pid = 0;
    uint64_t key = 0;    // ProcessSource::peer_key; 0: none, start is used
    uint64_t start = 0;  // from /proc, when there is no key
    CheckQuery query;
    std::string grant_id;
    Time at = 0;
};

class CheckAdmissions {
public:
    static constexpr Time kTtl = 300;     // account check to session open
    static constexpr size_t kMax = 4096;  // oldest dropped beyond this

    // Records a check; an earlier one of the same process is replaced, those
    // older than kTtl before a.at go, and past kMax the oldest recorded.
    void add(CheckAdmission a);
    // Takes the admission of this process (pid and key, or pid and start
    // when key is 0) recorded within kTtl of now for user or ruser.
    std::optional<CheckAdmission> take(pid_t pid, uint64_t key, uint64_t start, Time now,
                                       const std::string& user, const std::string& ruser);
    size_t size() const { return order_.size(); }

private:
    struct Entry {
        uint64_t seq = 0;  // order recorded: of two that match, the older is taken
        CheckAdmission a;
    };
    using Order = std::list<Entry>;  // oldest recorded first
    void drop(Order::iterator it);

    Order order_;
    uint64_t next_seq_ = 0;
    std::unordered_multimap<pid_t, Order::iterator> by_pid_;
};

}  // namespace jit::daemon
