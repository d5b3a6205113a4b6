#include "snapshot_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jit/unique_fd.h"

namespace jit::nss {

namespace {

// A snapshot of 100,000 accounts is about 15 MiB; anything past this is not
// one jitd wrote.
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
int check_file(const struct stat& st) {
    if (!S_ISREG(st.st_mode)) return EINVAL;
    uid_t me = geteuid();
    if (st.st_uid != 0 && (me == 0 || st.st_uid != me)) return EPERM;
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return EPERM;
    if (st.st_size < off_t(snapshot::kHeaderSize)) return EBADMSG;
    if (st.st_size > kMaxFileBytes) return EMSGSIZE;
    return 0;
}

// Exactly len bytes from offset 0, or false (a file cut short under us).
bool read_whole(int fd, void* buf, size_t len) {
    auto* p = static_cast<uint8_t*>(buf);
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, p + got, len - got, off_t(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += size_t(n);
    }
    return true;
}

}  // namespace

MappedSnapshot::~MappedSnapshot() {
    if (map_) munmap(map_, len_);
    free(heap_);
}

int MappedSnapshot::open() {
    UniqueFd fd(move_above_stdio(open_file(snapshot_path())));
    if (!fd.valid()) return errno == ELOOP ? EPERM : (errno ? errno : EIO);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return errno;
    if (int bad = check_file(st)) return bad;
    len_ = size_t(st.st_size);
    if (len_ <= kReadLimit) {
        heap_ = malloc(len_);
        if (!heap_) return ENOMEM;
        if (!read_whole(fd.get(), heap_, len_)) return EBADMSG;
    } else {
        void* map = mmap(nullptr, len_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (map == MAP_FAILED) return errno == ENOMEM ? ENOMEM : EIO;
        map_ = map;
    }
    fd.reset();  // the bytes outlive the descriptor; nothing is kept open
    const void* bytes = map_ ? map_ : heap_;

    // O(1): header and layout.  No whole-file pass: a new process would pay
    // it on its first lookup (180 ms at 100,000 accounts), every process
    // after every change.  The accessors check each record they read instead.
    auto opened = snapshot::Snapshot::open(static_cast<const uint8_t*>(bytes), len_);
    if (!opened) return opened.error().code;
    snapshot_ = *opened;
    return 0;
}

}  // namespace jit::nss
