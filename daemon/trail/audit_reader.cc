#include "daemon/trail/audit_reader.h"

#include <errno.h>

#include <algorithm>

#include "daemon/audit/audit.h"
#include "daemon/trail/segment_reader.h"

namespace jit::daemon {

namespace {

constexpr size_t kPageRows = 500;

Failure read_failed(const Failure& why) {
    return Failure{EIO, "cannot read the audit log: " + why.message};
}

}  // namespace

// A run (an export) starts at a checkpoint, with the tree's frontier there,
// so the verifier can check every record after it against the tree.  kept:
// the first record kept on the host (in the oldest segment file, or in
// jit.db); held: the first in jit.db.
Result<uint64_t, Failure> AuditReader::start_of_run(const AuditReadQuery& q, uint64_t kept,
                                                    uint64_t held, std::string& text) {
    uint64_t start = kept;
    if (q.since) {
        auto first = rows_.first_at_or_after(*q.since);
        if (!first) return read_failed(first.error());
        if (*first > held) {
            start = *first;  // a record jit.db holds is older: the run starts in jit.db
        } else {
            // Sealed records may be newer than --since: skip those a
            // checkpoint signed before it covers.
            auto before = rows_.checkpoint_signed_before(*q.since);
            if (!before) return read_failed(before.error());
            if (*before) start = std::max(start, std::min((*before)->size, held));
        }
    }
    if (!q.user.empty() || start == 0) return start;
    auto cp = rows_.checkpoint_at_or_before(start);
    if (!cp) return read_failed(cp.error());
    if (!*cp || (*cp)->size < kept) return start;  // no tree state to start from
    auto frontier = audit::Frontier::decode((*cp)->frontier);
    if (!frontier)
        return Failure{EBADMSG, "a stored audit checkpoint is damaged: " + frontier.error()};
    text += audit::export_frontier(*frontier) + "\n";
    return (*cp)->size;
}

Result<void, Failure> AuditReader::read_db(const AuditReadQuery& q, uint64_t from, uint64_t size,
                                           size_t max_bytes, AuditReadPage& page) {
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
    return {};
}

// A listed file that is not on the host: its records are said missing, in
// the place they would be, and the run goes on after them from the tree
// state there (every segment ends at a checkpoint, which keeps it).
Result<void, Failure> AuditReader::missing_file(const AuditReadQuery& q, const AuditSegmentRow& s,
                                                uint64_t from, AuditReadPage& page) {
    page.text += audit::export_missing({from, s.end_seq, s.file}) + "\n";
    page.next = s.end_seq;
    if (!q.user.empty()) return {};
    auto cp = rows_.checkpoint_at_or_before(s.end_seq);
    if (!cp) return read_failed(cp.error());
    if (!*cp || (*cp)->size != s.end_seq) return {};  // the verifier says what it cannot check
    auto frontier = audit::Frontier::decode((*cp)->frontier);
    if (!frontier)
        return Failure{EBADMSG, "a stored audit checkpoint is damaged: " + frontier.error()};
    page.text += audit::export_frontier(*frontier) + "\n";
    return {};
}

Result<AuditReadPage, Failure> AuditReader::read(const AuditReadQuery& q, size_t max_bytes) {
    auto state = rows_.state();
    if (!state) return read_failed(state.error());
    if (!*state) return Failure{ENOENT, "the audit log is off (jitd --audit-init creates it)"};
    const uint64_t size = (*state)->size;
    auto held = rows_.first_held();
    auto segments = rows_.segments();
    if (!held) return read_failed(held.error());
    if (!segments) return read_failed(segments.error());
    const uint64_t kept = segments->empty() ? *held : segments->front().first_seq;
    AuditReadPage page;
    uint64_t from = 0;
    if (q.from) {
        from = *q.from;
    } else {
        auto start = start_of_run(q, kept, *held, page.text);
        if (!start) return start.error();
        from = *start;
    }
    if (from >= *held) {
        if (auto ok = read_db(q, from, size, max_bytes, page); !ok) return ok.error();
    } else {
        auto s = std::find_if(segments->begin(), segments->end(), [&](const AuditSegmentRow& r) {
            return r.first_seq <= from && from < r.end_seq;
        });
        if (s == segments->end())
            return Failure{ENOENT, "audit records from " + std::to_string(from) +
                                       " are no longer kept on this host (audit_max_disk); "
                                       "the log kept starts at " +
                                       std::to_string(kept)};
        auto sealed = read_segment_page(segment_dir_ + "/" + s->file, *s, from, q.user,
                                        max_bytes - std::min(max_bytes, page.text.size()));
        if (!sealed && sealed.error().code == ENOENT) {
            if (auto ok = missing_file(q, *s, from, page); !ok) return ok.error();
        } else if (!sealed) {
            return sealed.error();
        } else {
            page.text += sealed->text;
            page.next = sealed->next;
        }
    }
    page.done = page.next >= size;
    return page;
}

}  // namespace jit::daemon
