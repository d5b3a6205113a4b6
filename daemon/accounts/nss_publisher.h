// Publishing the NSS snapshot: build it from jitd's state, write it where
// libnss_jit.so.2 reads it, and know when to write it next (the next window
// edge, or a retry after a failed write).
#pragma once

#include <stdint.h>

#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/base/event_source.h"
#include "daemon/events/journal.h"
#include "jit/result.h"
#include "daemon/accounts/snapshot_writer.h"

namespace jit::daemon {

// Where the bytes go.  The real one replaces a file atomically; tests keep
// the bytes.
class SnapshotSink {
public:
    virtual ~SnapshotSink() = default;
    // On failure, the reason for the log line.
    virtual Result<void, std::string> write(const std::vector<uint8_t>& bytes) = 0;
};

// Writes the superseded mark into a snapshot file open for writing.
bool mark_superseded(int fd);

// Writes a temporary file in the target's directory, mode 0644, fsyncs it,
// renames it over the target, marks the file it replaced superseded
// (snapshot.h: processes that keep the old one mapped see the mark and map
// the new one) and fsyncs the directory: a reader sees the old file or the
// new one, and after a crash one of them is on disk.  The
// directory (created 0755 if missing) must not be writable by group or
// others, or anyone could swap the file.
class SnapshotFile : public SnapshotSink {
public:
    // The temporary file is named by the pid of the process that made this
    // object (jitd, also when its writer child writes).
    explicit SnapshotFile(std::string path) : path_(std::move(path)), pid_(getpid()) {}
    Result<void, std::string> write(const std::vector<uint8_t>& bytes) override;
    const std::string& path() const { return path_; }

private:
    std::string path_;
    pid_t pid_;
};

// The one publisher of the snapshot.  Each publication is numbered; the
// number of the last one finished (written, or failed and journaled) tells
// the server which held replies may go (a request that changed what the
// snapshot shows is answered once the snapshot shows it).
//
// Run in the background (write_in_background), a publication is built and
// written by a child process forked from jitd: the child sees jitd's state
// as it was at the fork without a copy, and jitd's loop goes on serving while
// a large snapshot is built, synced and renamed.  One writer at a time, each
// forked after the previous one exited, so a later state is never replaced
// by an earlier one; publications asked for while a writer runs are served
// together by the next one.  Without an event loop (tests, start-up)
// publish() writes at once.
class NssPublisher {
public:
    // What the snapshot is built from, read when the writer starts.
    using Gather = std::function<SnapshotInput()>;

    explicit NssPublisher(Journal& journal) : journal_(journal) {}
    ~NssPublisher();
    NssPublisher(const NssPublisher&) = delete;
    NssPublisher& operator=(const NssPublisher&) = delete;

    void set_sink(SnapshotSink* sink) { sink_ = sink; }
    bool enabled() const { return sink_ != nullptr; }
    // From now on publications are written by a forked child; `settled` runs
    // on the loop each time one has finished.
    void write_in_background(sd_event* event, std::function<void()> settled);

    // Asks for a publication of the state gather() returns.  At once: a
    // failure is journaled (once per run of failures) and retried
    // kRetrySeconds later.  In the background the same happens when the
    // writer has finished.
    void publish(const Gather& gather);
    uint64_t requested() const { return requested_; }
    uint64_t settled() const { return settled_; }
    // When publish() should run again: the next window edge or a retry.
    std::optional<Time> next_wakeup() const;
    uint64_t written() const { return written_; }

    static constexpr Time kRetrySeconds = 5;

    // What a writer reports through its pipe.
    struct Outcome {
        bool ok = false;
        Time now = 0;
        bool has_edge = false;
        Time next_edge = 0;
        char error[480] = {};
    };

private:
    Outcome write_now(const SnapshotInput& in);
    void finished(const Outcome& outcome);
    void failed(const std::string& why, Time now);
    void start_writer();
    static int on_writer_exit(sd_event_source* s, const siginfo_t* si, void* userdata);

    Journal& journal_;
    SnapshotSink* sink_ = nullptr;
    std::optional<Time> next_edge_;
    std::optional<Time> retry_at_;
    bool failing_ = false;
    uint64_t written_ = 0;
    uint64_t requested_ = 0, settled_ = 0;

    // The background writer.
    sd_event* event_ = nullptr;
    std::function<void()> on_settled_;
    Gather gather_;                        // the latest asked for
    const char* crash_context_ = nullptr;  // the operation that asked (crash test)
    pid_t writer_ = -1;
    uint64_t writing_ = 0;  // the publication number the running writer serves
    int result_fd_ = -1;
    EventSource writer_source_;
};

}  // namespace jit::daemon
