// Reads a page of a sealed segment file (audit_segments.cc writes them), so
// jitctl audit export, show and jit-fleet reach the records jit.db no longer
// holds.  A page starts at a record: the file is searched by bisection on
// byte offsets (its lines are in seq order), then read forward with pread,
// so a page costs O(log n) short reads plus its own bytes, whatever its
// place in a file of 100,000 records, and nothing is held beyond the page.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "jit/failure.h"
#include "daemon/store/audit_store.h"

namespace jit::daemon {

struct SegmentPage {
    std::string text;   // whole export lines, each ending in '\n'
    uint64_t next = 0;  // the first record not in text (the segment's end when read to it)
};

// Records from `from` on (from inside [s.first_seq, s.end_seq)), each record
// followed by the checkpoints after it, never the file's frontier line.
// With user: only that account's records and no checkpoints; such a page
// stops after scanning a bounded stretch, so a rare account's show does not
// hold jitd's loop for a whole file.  ENOENT: the file is missing; EBADMSG:
// it is not the size jitd sealed, or a line does not parse.
Result<SegmentPage, Failure> read_segment_page(const std::string& path, const AuditSegmentRow& s,
                                               uint64_t from, const std::string& user,
                                               size_t max_bytes);

}  // namespace jit::daemon
