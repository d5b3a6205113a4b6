// The journal's subscription to the grant ledger: one GrantCreated,
// GrantRevoked or GrantExpired entry per change, with the grant's fields and
// its origin (the rule and request that made it, or manual-grant).  The
// ledger builds the same entry (grant_entry) inside the change's
// transaction for the audit log, which the journal entry then names
// (JIT_AUDIT_SEQ).
#pragma once

#include "daemon/events/journal.h"
#include "daemon/ledger/grant_ledger.h"

namespace jit::daemon {

// The entry a change journals (without JIT_AUDIT_SEQ).
JournalEntry grant_entry(GrantChange::Kind kind, const Grant& g, const GrantOrigin& origin);

class GrantJournal : public GrantListener {
public:
    explicit GrantJournal(Journal& journal) : journal_(journal) {}
    void grant_changed(const GrantChange& change) override;

private:
    Journal& journal_;
};

}  // namespace jit::daemon
