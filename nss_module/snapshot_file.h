// The snapshot as the module sees it: opened, checked and held for the length
// of one call, with no descriptor kept.  A small file is read into a heap
// buffer (on a VM, mmap+munmap and the first page fault cost several times a
// read); a large one is memory-mapped, so a lookup touches only the pages its
// binary searches reach.  The path is compiled in
// (/run/jit/nss.snapshot); tests may point the module elsewhere with
// $JIT_NSS_SNAPSHOT, read with secure_getenv so setuid programs ignore it.
#pragma once

#include <stddef.h>

#include "jit/snapshot.h"

#ifndef JIT_NSS_SNAPSHOT_PATH
#define JIT_NSS_SNAPSHOT_PATH "/run/jit/nss.snapshot"
#endif

namespace jit::nss {

inline constexpr const char* kSnapshotPathEnv = "JIT_NSS_SNAPSHOT";

class MappedSnapshot {
public:
    MappedSnapshot() = default;
    ~MappedSnapshot();
    MappedSnapshot(const MappedSnapshot&) = delete;
    MappedSnapshot& operator=(const MappedSnapshot&) = delete;

    // 0, or why the snapshot cannot be used: ENOENT (no file), EACCES (not
    // readable), EPERM (wrong owner, or writable by group or others), EINVAL
    // (not a regular file), EMSGSIZE (too large), EBADMSG (a bad header or
    // layout, or cut short), ENOMEM.  Snapshot::open's checks only, O(1); the
    // accessors check every record the lookup then reads.
    int open();
    const snapshot::Snapshot& get() const { return snapshot_; }

    // Files up to this size are read, larger ones mapped.
    static constexpr size_t kReadLimit = 64 * 1024;

private:
    void* map_ = nullptr;   // a mapping, or
    void* heap_ = nullptr;  // a malloc'd copy
    size_t len_ = 0;
    snapshot::Snapshot snapshot_;
};

}  // namespace jit::nss
