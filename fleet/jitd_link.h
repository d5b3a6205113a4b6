// jit-fleet's side of jitd's socket: it is a privileged local peer (root)
// that creates and revokes the local grants mirroring fleet grants, through
// the same GRANT and REVOKE operations jitctl uses, so jitd stays the one
// owner of grants and the one that journals them.
#pragma once

#include <optional>
#include <string>

#include "fleet/error.h"
#include "fleet/records.h"
#include "jit/messages.h"
#include "jit/result.h"

namespace jit::fleet {

class JitdLink {
public:
    JitdLink(std::string socket_path, int timeout_ms)
        : socket_(std::move(socket_path)), timeout_ms_(timeout_ms) {}
    // Creates the local grant for g; returns jitd's grant id.
    Result<std::string, Failure> grant(const GrantRecord& g) const;
    // Revokes a local grant.  A grant already over (ENOENT) counts as done.
    Result<void, Failure> revoke(const std::string& local_id, const std::string& reason) const;
    // The active local grants that mirror a fleet grant (their fleet_id set).
    Result<std::vector<msg::GrantRecord>, Failure> fleet_grants() const;
    // FLEET_FRESH: fleet grants may decide until `until`.  Returns what jitd
    // applied (it caps it with its own max_staleness).
    Result<int64_t, Failure> fresh(int64_t until) const;
    // AUDIT_READ: a page of jitd's audit log in the export format (from:
    // continue at that record; none: a new run from the first record held).
    // ENOENT: jitd has no audit log.
    struct AuditText {
        std::string text;
        uint64_t next = 0;
        bool done = false;
    };
    Result<AuditText, Failure> audit_read(std::optional<uint64_t> from) const;

private:
    std::string socket_;
    int timeout_ms_;
};

// The local grant's reason, which names the fleet grant it mirrors.
std::string local_reason(const GrantRecord& g);

}  // namespace jit::fleet
