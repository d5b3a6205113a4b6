#include "snapshot_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jit/unique_fd.h"

namespace jit::nss {

namespace {

// A snapshot of 1,000,000 accounts is about 150 MiB; anything past this is
// not one jitd wrote.
constexpr off_t kMaxFileBytes = off_t(1) << 30;

const char* snapshot_path() {
    const char* env = secure_getenv(kSnapshotPathEnv);
    return env && *env ? env : JIT_NSS_SNAPSHOT_PATH;
}

// O_NONBLOCK: a FIFO planted at the path must not hang every process that
// looks up a user (a regular file ignores the flag).
int open_file(const char* path) {
    for (;;) {
        int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0 || errno != EINTR) return fd;
    }
}

// Root's file, or (for tests run without root) the caller's own.  Nobody
// but its owner may be able to change it.
int check_file(const struct stat& st, bool* own_file) {
    if (!S_ISREG(st.st_mode)) return EINVAL;
    uid_t me = geteuid();
    if (st.st_uid != 0 && (me == 0 || st.st_uid != me)) return EPERM;
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return EPERM;
    if (st.st_size < off_t(snapshot::kHeaderSize)) return EBADMSG;
    if (st.st_size > kMaxFileBytes) return EMSGSIZE;
    *own_file = st.st_uid != 0;
    return 0;
}

FileIdentity identity_of(const struct stat& st) {
    return {st.st_dev, st.st_ino, st.st_size, st.st_uid, st.st_mode, st.st_ctim};
}

}  // namespace

int map_snapshot(Mapping* out, snapshot::Snapshot* parsed) {
    UniqueFd fd(move_above_stdio(open_file(snapshot_path())));
    if (!fd.valid()) return errno == ELOOP ? EPERM : (errno ? errno : EIO);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return errno;
    Mapping m;
    if (int bad = check_file(st, &m.own_file)) return bad;
    m.len = size_t(st.st_size);
    m.id = identity_of(st);
    // MAP_SHARED: the writer's superseded mark must reach this mapping.
    void* map = mmap(nullptr, m.len, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return errno == ENOMEM ? ENOMEM : EIO;
    m.data = static_cast<const uint8_t*>(map);
    fd.reset();  // the mapping outlives the descriptor; nothing is kept open

    // O(1): header and layout.  No whole-file pass: a new process would pay
    // it on its first lookup (180 ms at 100,000 accounts), every process
    // after every change.  The accessors check each record they read instead.
    auto opened = snapshot::Snapshot::open(m.data, m.len);
    if (!opened) {
        unmap_snapshot(&m);
        return opened.error().code;
    }
    *parsed = *opened;
    *out = m;
    return 0;
}

void unmap_snapshot(Mapping* m) {
    if (m->data) munmap(const_cast<uint8_t*>(m->data), m->len);
    m->data = nullptr;
    m->len = 0;
}

bool still_at_path(const FileIdentity& id) {
    struct stat st;
    if (fstatat(AT_FDCWD, snapshot_path(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    return identity_of(st) == id;
}

}  // namespace jit::nss
