// Reads the audit log back a page at a time, in the export format (JSON
// lines: the tree's frontier where the page run starts, the records, the
// signed checkpoints after the records they cover), so jitctl audit export
// streams the whole log kept on the host through bounded replies and
// jitctl audit verify checks it offline.  Records sealed into segment files
// (audit_segments.cc) are read from those files, the rest from jit.db; a
// page comes from one place, and a run crosses from the files to jit.db at
// the last segment's end, where the file's closing checkpoint was.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <string>
#include <utility>

#include "jit/failure.h"
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
    // segment_dir: the state directory's audit-segments/.
    AuditReader(Store& store, std::string segment_dir)
        : rows_(store), segment_dir_(std::move(segment_dir)) {}
    // At most about max_bytes of text (always at least one line).  ENOENT
    // when jit.db holds no audit log, or when `from` is in records removed
    // past audit_max_disk; EBADMSG when a segment file is not the one
    // sealed.  A listed segment file that is not on the host gives a page
    // of one missing-records line for its records (audit::MissingRange),
    // then the tree state after them, and the run goes on.
    Result<AuditReadPage, Failure> read(const AuditReadQuery& q, size_t max_bytes);

private:
    // Where a new run starts, with the frontier line there added to text.
    Result<uint64_t, Failure> start_of_run(const AuditReadQuery& q, uint64_t kept, uint64_t held,
                                           std::string& text);
    Result<void, Failure> read_db(const AuditReadQuery& q, uint64_t from, uint64_t size,
                                  size_t max_bytes, AuditReadPage& page);
    Result<void, Failure> missing_file(const AuditReadQuery& q, const AuditSegmentRow& s,
                                       uint64_t from, AuditReadPage& page);

    AuditStore rows_;
    std::string segment_dir_;
};

}  // namespace jit::daemon
