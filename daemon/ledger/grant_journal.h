// The journal's subscription to the grant ledger: one GrantCreated,
// GrantRevoked or GrantExpired entry per change, with the grant's fields and
// its origin (the rule and request that made it, or manual-grant).
#pragma once

#include "daemon/events/journal.h"
#include "daemon/ledger/grant_ledger.h"

namespace jit::daemon {

class GrantJournal : public GrantListener {
public:
    explicit GrantJournal(Journal& journal) : journal_(journal) {}
    void grant_changed(const GrantChange& change) override;

private:
    void created(const Grant& g, const GrantOrigin& origin);
    void ended(const Grant& g, const GrantOrigin& origin);

    Journal& journal_;
};

}  // namespace jit::daemon
