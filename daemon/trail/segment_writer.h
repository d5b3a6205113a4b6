// Writes a sealed segment file (audit_segments.cc says what one holds) off
// jitd's event loop.  At audit_segment_records = 100,000 a file is tens of
// megabytes: reading its records, writing and syncing it on the loop held
// every CHECK for that long.  The SegmentSealer writes it on a thread of
// its own, through a read-only connection to jit.db of its own (WAL lets it
// read while jitd writes; the records it reads are never changed, and only
// the loop prunes them, after the file is listed), then wakes the loop,
// which commits the transaction that lists the file.  The file is durable
// (synced, renamed, its directory synced) before that transaction begins,
// as when it was written on the loop, so a crash in between leaves what
// recover_segments() already explains: a file jit.db does not list whose
// records it still holds, or an unfinished ".tmp" file.
#pragma once

#include <stdint.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <systemd/sd-event.h>

#include "daemon/base/event_source.h"
#include "daemon/store/audit_store.h"
#include "jit/failure.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

// Writes records [first, end) of the log rows hold into dir (created 0700
// when missing) as a file named for them, 0400, synced and renamed into
// place, its directory synced; returns the row that lists it (sealed_at =
// now).  Checked between pages, `stop` abandons the file (ECANCELED); any
// failure removes the unfinished file.
Result<AuditSegmentRow, Failure> write_segment_file(AuditStore& rows, const std::string& dir,
                                                    uint64_t first, uint64_t end, Time now,
                                                    const std::atomic<bool>& stop);

// The name of the file that holds [first, end): "audit-FIRST-END.jsonl", each
// number in 20 digits, so names sort in seq order.
std::string segment_file_name(uint64_t first, uint64_t end);

class SegmentSealer {
public:
    using Done = std::function<void(Result<AuditSegmentRow, Failure>)>;
    // state_dir: jit.db's directory; segment_dir: where the files go.
    static Result<std::unique_ptr<SegmentSealer>, Failure> create(sd_event* event,
                                                                  std::string state_dir,
                                                                  std::string segment_dir);
    // Abandons a file being written (its thread stops at the next page and
    // removes it) and waits for the thread: `done` is not called.
    ~SegmentSealer();
    SegmentSealer(const SegmentSealer&) = delete;
    SegmentSealer& operator=(const SegmentSealer&) = delete;

    // One file at a time: busy() until `done` has run, on the loop, with the
    // listed row or why not.
    bool busy() const { return done_ != nullptr; }
    // An error when no thread could be started (done is then not called).
    Result<void, Failure> start(uint64_t first, uint64_t end, Time now, Done done);

private:
    SegmentSealer(std::string state_dir, std::string segment_dir, UniqueFd wake);
    static int on_wake(sd_event_source*, int fd, uint32_t, void* userdata);
    void run(uint64_t first, uint64_t end, Time now);

    std::string state_dir_, segment_dir_;
    UniqueFd wake_;  // eventfd: the thread's "finished"
    EventSource source_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::optional<Result<AuditSegmentRow, Failure>> result_;  // the thread's, read after join
    Done done_;
};

}  // namespace jit::daemon
