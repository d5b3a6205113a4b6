// The snapshot a lookup reads: one mapping per process, kept from call to
// call, so a lookup after the first makes no system call.
//
// Each call checks that the mapping is still the snapshot, without a system
// call: the writer marks a file it has replaced (snapshot.h, SUPERSEDED), and
// the header must still read as it did when the file was mapped.  The file is
// opened, checked (owner, mode, header, layout) and mapped again when one of
// them says so.  A file replaced or changed without the mark (by hand, or by
// a writer that predates it) is noticed by a stat of the path at most once
// per second, on the first call in a new second: until then the previous
// file, still consistent and still subject to every window's end, is served.
//
// No lock: the current mapping is an atomic pointer into a fixed pool of
// views, each with an atomic count of the calls using it plus one while it
// is current, and the last one out unmaps it.  fork() can never leave a lock
// held; a child inherits the counts of the parent's other threads, whose
// views it then never unmaps (at most the pool's size; past that, each call
// maps and unmaps the file itself, as a process with no pool would).
#pragma once

#include <stdint.h>

#include "jit/snapshot.h"
#include "snapshot_file.h"

namespace jit::nss {

struct View;

class CurrentSnapshot {
public:
    CurrentSnapshot() = default;
    ~CurrentSnapshot();
    CurrentSnapshot(const CurrentSnapshot&) = delete;
    CurrentSnapshot& operator=(const CurrentSnapshot&) = delete;

    // 0, or why the snapshot cannot be used (map_snapshot's errors).
    int acquire();
    const snapshot::Snapshot& get() const { return *snapshot_; }
    // The time of this call (vDSO, no system call): windows are judged by it.
    int64_t now() const { return now_; }

private:
    int map_again();

    View* view_ = nullptr;  // a pooled view this call holds, or
    Mapping local_;         // a mapping for this call alone
    snapshot::Snapshot local_snapshot_;
    const snapshot::Snapshot* snapshot_ = nullptr;
    int64_t now_ = 0;
};

}  // namespace jit::nss
