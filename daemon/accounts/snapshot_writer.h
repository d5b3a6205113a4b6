// Builds the NSS snapshot (format: common/include/jit/snapshot.h) from jitd's
// accounts, jit groups and grants.  Pure: the time is a parameter, nothing is
// read or written here.
#pragma once

#include <stdint.h>

#include <optional>
#include <vector>

#include "daemon/model/grant.h"
#include "jit/result.h"
#include "daemon/model/nss_account.h"

namespace jit::daemon {

struct SnapshotInput {
    Time now = 0;
    std::vector<NssAccount> accounts;
    std::vector<NssGroup> groups;  // jit groups (private groups come from the accounts)
    std::vector<Grant> grants;     // active grants; ended windows are dropped
};

struct BuiltSnapshot {
    std::vector<uint8_t> bytes;
    // The next time a window the snapshot carries starts or ends: jitd
    // rewrites the file then, so it never carries windows long past.
    std::optional<Time> next_edge;
};

// EINVAL when the input breaks a rule of the format (a duplicate name, a
// membership of an unknown group, a bad name): the caller's invariants
// failed.  EMSGSIZE past the format's limits.  The bytes are verified with
// the reader before they are returned.
Result<BuiltSnapshot> build_snapshot(const SnapshotInput& input);

}  // namespace jit::daemon
