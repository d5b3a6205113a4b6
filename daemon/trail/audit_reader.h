// Reads the audit log back out of jit.db a page at a time, in the export
// format (JSON lines: the tree's frontier where the page run starts, the
// records, the signed checkpoints after the records they cover), so
// jitctl audit export streams the whole log through bounded replies and
// jitctl audit verify checks it offline.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>

#include "daemon/base/op_error.h"
#include "daemon/store/audit_store.h"

namespace jit::daemon {

struct AuditReadQuery {
    std::optional<uint64_t> from;  // continue here; none: a new run (since)
    std::optional<Time> since;     // a new run starts at the first record at or after
    std::string user;              // only this account's records, without checkpoints
};

struct AuditReadPage {
    std::string text;  // whole lines, each ending in '\n'
    uint64_t next = 0;
    bool done = false;  // next is the log's size: nothing more yet
};

class AuditReader {
public:
    explicit AuditReader(Store& store) : rows_(store) {}
    // At most about max_bytes of text (always at least one line).  ENOENT
    // when jit.db holds no audit log.
    Result<AuditReadPage, OpError> read(const AuditReadQuery& q, size_t max_bytes);

private:
    Result<uint64_t, OpError> start_of_run(const AuditReadQuery& q, std::string& text);

    AuditStore rows_;
};

}  // namespace jit::daemon
