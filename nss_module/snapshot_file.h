// The snapshot as the module sees it: opened, checked and memory-mapped for
// the length of one call, with no descriptor kept.  The path is compiled in
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
    // (not a regular file), EMSGSIZE (too large), EBADMSG (corrupt), ENOMEM.
    // The file is verified in full the first time this process sees it
    // (identified by device, inode, size, mtime, ctime and checksum field).
    int open();
    const snapshot::Snapshot& get() const { return snapshot_; }

private:
    void* map_ = nullptr;
    size_t len_ = 0;
    snapshot::Snapshot snapshot_;
};

}  // namespace jit::nss
