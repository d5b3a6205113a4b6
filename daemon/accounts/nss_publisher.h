// Publishing the NSS snapshot: build it from jitd's state, write it where
// libnss_jit.so.2 reads it, and know when to write it next (the next window
// edge, or a retry after a failed write).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

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
    explicit SnapshotFile(std::string path) : path_(std::move(path)) {}
    Result<void, std::string> write(const std::vector<uint8_t>& bytes) override;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

class NssPublisher {
public:
    explicit NssPublisher(Journal& journal) : journal_(journal) {}
    void set_sink(SnapshotSink* sink) { sink_ = sink; }
    bool enabled() const { return sink_ != nullptr; }

    // Builds and writes the snapshot.  A failure is journaled (once per run
    // of failures) and retried kRetrySeconds later.  True when written.
    bool publish(const SnapshotInput& input);
    // When publish() should run again: the next window edge or a retry.
    std::optional<Time> next_wakeup() const;
    uint64_t written() const { return written_; }

    static constexpr Time kRetrySeconds = 5;

private:
    void failed(const std::string& why, Time now);

    Journal& journal_;
    SnapshotSink* sink_ = nullptr;
    std::optional<Time> next_edge_;
    std::optional<Time> retry_at_;
    bool failing_ = false;
    uint64_t written_ = 0;
};

}  // namespace jit::daemon
