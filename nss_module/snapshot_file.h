// The snapshot file: opened, checked and memory-mapped (MAP_SHARED, read
// only), with the descriptor closed again before the call returns.  The path
// is compiled in (/run/jit/nss.snapshot); tests may point the module
// elsewhere with $JIT_NSS_SNAPSHOT, read with secure_getenv (so setuid
// programs ignore it) each time the module maps a file, not on every call.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "jit/snapshot.h"

#ifndef JIT_NSS_SNAPSHOT_PATH
#define JIT_NSS_SNAPSHOT_PATH "/run/jit/nss.snapshot"
#endif

namespace jit::nss {

inline constexpr const char* kSnapshotPathEnv = "JIT_NSS_SNAPSHOT";

// What stat says about the file: a change to any of it means another file,
// or this one changed behind the writer's back.
struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    uid_t uid = 0;
    mode_t mode = 0;
    timespec ctime{};
    bool operator==(const FileIdentity& o) const {
        return dev == o.dev && ino == o.ino && size == o.size && uid == o.uid && mode == o.mode &&
               ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
    }
};

struct Mapping {
    const uint8_t* data = nullptr;
    size_t len = 0;
    FileIdentity id;
    // Trusted because the caller owns it (a test run without root), not
    // because root does: only while the caller's euid stays the owner.
    bool own_file = false;
};

// 0, or why the snapshot cannot be used: ENOENT (no file), EACCES (not
// readable), EPERM (wrong owner, or writable by group or others), EINVAL
// (not a regular file), EMSGSIZE (too large), EBADMSG (a bad header or
// layout, or cut short), ENOMEM.  The header and layout are checked
// (Snapshot::open, O(1)) before *out is filled; on failure nothing is mapped.
int map_snapshot(Mapping* out, snapshot::Snapshot* parsed);
void unmap_snapshot(Mapping* m);

// One stat of the path: true when it still names the mapped file, unchanged.
bool still_at_path(const FileIdentity& id);

}  // namespace jit::nss
