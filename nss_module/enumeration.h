// setXXent / getXXent_r / endXXent.  The cursor is one atomic record index
// per database and every getXXent_r reads the current snapshot (as a lookup
// does), so no lock can be inherited held across fork() and no descriptor
// outlives a call.  If jitd replaces the file during an enumeration, the walk carries on
// by index in the new file (an entry may be skipped or repeated, as with any
// source that changes under a reader).
#pragma once

#include <nss.h>
#include <stdint.h>

#include <atomic>

#include "fill.h"
#include "jit/snapshot.h"
#include "current_snapshot.h"

namespace jit::nss {

struct Cursor {
    std::atomic<uint32_t> next{0};
};

enum class Step { Filled, TooSmall, Skip };

// Calls fill(snapshot, index, now) for the first record at or after the
// cursor that it does not Skip, over count(snapshot) records; advances the
// cursor past it only when it was Filled (a TooSmall record is offered again).
template <typename Count, typename FillAt>
nss_status next_entry(Cursor& cursor, Count count, FillAt fill, int* errnop) {
    // Another thread may advance the cursor between our read and our
    // compare-exchange; then the record is read again at the new position.
    for (;;) {
        CurrentSnapshot file;
        if (int error = file.acquire()) return unavailable(error, errnop);
        const snapshot::Snapshot& s = file.get();
        const int64_t now = file.now();
        uint32_t at = cursor.next.load(std::memory_order_acquire);
        uint32_t i = at;
        Step step = Step::Skip;
        for (; i < count(s); ++i) {
            step = fill(s, i, now);
            if (step != Step::Skip) break;
        }
        if (step == Step::Skip) return not_found(errnop);
        if (step == Step::TooSmall) return too_small(errnop);
        if (cursor.next.compare_exchange_strong(at, i + 1, std::memory_order_acq_rel))
            return NSS_STATUS_SUCCESS;
    }
}

}  // namespace jit::nss
