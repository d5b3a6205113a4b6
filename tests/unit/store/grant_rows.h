// Grant rows written straight through the store's grant writers, each in a
// transaction of its own: for tests that set up or inspect the grant tables
// without the ledger (which is jitd's only writer of them).
#pragma once

#include "daemon/store/store.h"

namespace jit::daemon::testing {

inline Result<void, Failure> insert_grant(Store& store, const Grant& g) {
    StoreTx tx(store);
    if (auto ok = tx.begin(); !ok) return ok;
    if (auto ok = store.insert_grant(tx, g); !ok) return ok;
    return tx.commit();
}

inline Result<void, Failure> end_grant(Store& store, const std::string& id, GrantState state,
                                       Time at, std::optional<uid_t> by,
                                       const std::string& reason) {
    StoreTx tx(store);
    if (auto ok = tx.begin(); !ok) return ok;
    if (auto ok = store.end_grant(tx, id, state, at, by, reason); !ok) return ok;
    return tx.commit();
}

}  // namespace jit::daemon::testing
