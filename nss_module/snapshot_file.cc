#include "snapshot_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "jit/unique_fd.h"

namespace jit::nss {

namespace {

// A snapshot of 100,000 accounts is about 15 MiB; anything past this is not
// one jitd wrote.
constexpr off_t kMaxFileBytes = off_t(1) << 30;

// The identity of the last file this process verified in full.  A lookup
// that maps the same file again skips the O(n) checksum and structure pass;
// the accessors still check every record they read.  An atomic, not a lock:
// a fork() can never leave it held.
constinit std::atomic<uint64_t> g_verified{0};

uint64_t identity(const struct stat& st, uint64_t checksum) {
    const uint64_t parts[] = {uint64_t(st.st_dev),          uint64_t(st.st_ino),
                              uint64_t(st.st_size),         uint64_t(st.st_mtim.tv_sec),
                              uint64_t(st.st_mtim.tv_nsec), uint64_t(st.st_ctim.tv_sec),
                              uint64_t(st.st_ctim.tv_nsec), checksum};
    uint64_t h = snapshot::kFnvOffset;
    for (uint64_t p : parts) h = snapshot::fnv1a64(h, reinterpret_cast<const uint8_t*>(&p), 8);
    return h | 1;  // never 0, the "nothing verified yet" value
}

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
int check_file(const struct stat& st) {
    if (!S_ISREG(st.st_mode)) return EINVAL;
    uid_t me = geteuid();
    if (st.st_uid != 0 && (me == 0 || st.st_uid != me)) return EPERM;
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return EPERM;
    if (st.st_size < off_t(snapshot::kHeaderSize)) return EBADMSG;
    if (st.st_size > kMaxFileBytes) return EMSGSIZE;
    return 0;
}

}  // namespace

MappedSnapshot::~MappedSnapshot() {
    if (map_) munmap(map_, len_);
}

int MappedSnapshot::open() {
    UniqueFd fd(move_above_stdio(open_file(snapshot_path())));
    if (!fd.valid()) return errno == ELOOP ? EPERM : (errno ? errno : EIO);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return errno;
    if (int bad = check_file(st)) return bad;
    void* map = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (map == MAP_FAILED) return errno == ENOMEM ? ENOMEM : EIO;
    map_ = map;
    len_ = size_t(st.st_size);
    fd.reset();  // the mapping outlives the descriptor; nothing is kept open

    auto opened = snapshot::Snapshot::open(static_cast<const uint8_t*>(map_), len_);
    if (!opened) return opened.error().code;
    uint64_t id = identity(st, opened->stored_checksum());
    if (g_verified.load(std::memory_order_acquire) != id) {
        if (!opened->verify()) return EBADMSG;
        g_verified.store(id, std::memory_order_release);
    }
    snapshot_ = *opened;
    return 0;
}

}  // namespace jit::nss
