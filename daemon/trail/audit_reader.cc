#include "daemon/trail/audit_reader.h"

#include <errno.h>

#include "daemon/audit/audit.h"

namespace jit::daemon {

namespace {

constexpr size_t kPageRows = 500;

OpError read_failed(const Failure& why) {
    return OpError{EIO, "cannot read the audit log: " + why.message};
}

}  // namespace

// A run (an export) starts at a checkpoint, with the tree's frontier there,
// so the verifier can check every record after it against the tree.
Result<uint64_t, OpError> AuditReader::start_of_run(const AuditReadQuery& q, std::string& text) {
    auto held = rows_.first_held();
    if (!held) return read_failed(held.error());
    uint64_t start = *held;
    if (q.since) {
        auto first = rows_.first_at_or_after(*q.since);
        if (!first) return read_failed(first.error());
        start = std::max(start, *first);
    }
    if (!q.user.empty() || start == 0) return start;
    auto cp = rows_.checkpoint_at_or_before(start);
    if (!cp) return read_failed(cp.error());
    if (!*cp || (*cp)->size < *held) return start;  // no tree state to start from
    auto frontier = audit::Frontier::decode((*cp)->frontier);
    if (!frontier)
        return OpError{EBADMSG, "a stored audit checkpoint is damaged: " + frontier.error()};
    text += audit::export_frontier(*frontier) + "\n";
    return (*cp)->size;
}

Result<AuditReadPage, OpError> AuditReader::read(const AuditReadQuery& q, size_t max_bytes) {
    auto state = rows_.state();
    if (!state) return read_failed(state.error());
    if (!*state) return OpError{ENOENT, "the audit log is off (jitd --audit-init creates it)"};
    const uint64_t size = (*state)->size;
    AuditReadPage page;
    uint64_t from = 0;
    if (q.from) {
        from = *q.from;
    } else {
        auto start = start_of_run(q, page.text);
        if (!start) return start.error();
        from = *start;
    }
    auto rows = rows_.page(from, q.user, kPageRows, max_bytes);
    if (!rows) return read_failed(rows.error());
    page.next = rows->empty() ? std::max(from, size) : rows->back().seq + 1;
    if (rows->empty() && q.user.empty()) page.next = from;
    std::vector<AuditCheckpointRow> checkpoints;
    if (q.user.empty() && !rows->empty()) {
        auto found = rows_.checkpoints_between(from, page.next);
        if (!found) return read_failed(found.error());
        checkpoints = std::move(*found);
    }
    size_t c = 0;
    for (const auto& r : *rows) {
        page.text += r.record;
        page.text += '\n';
        for (; c < checkpoints.size() && checkpoints[c].size <= r.seq + 1; ++c)
            page.text += audit::export_checkpoint(checkpoints[c].note) + "\n";
    }
    page.done = page.next >= size;
    return page;
}

}  // namespace jit::daemon
