#include "daemon/accounts/nss_publisher.h"

#include "daemon/base/crash_point.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "jit/snapshot.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

std::string os_error(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + strerror(errno);
}

Result<UniqueFd, std::string> open_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return os_error("cannot create", dir);
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return os_error("cannot open", dir);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return os_error("cannot stat", dir);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return dir + " is writable by group or others; refusing to publish the NSS snapshot there";
    return fd;
}

bool write_all(int fd, const uint8_t* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= size_t(w);
    }
    return true;
}

// The file at the path, opened before its successor is renamed over it so
// the superseded mark lands on that very file.  Nothing to mark when there
// is none, or it is not a regular file as long as a header.
UniqueFd open_previous(int dir_fd, const std::string& name) {
    UniqueFd fd(
        ::openat(dir_fd, name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat st;
    if (fd.valid() && (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
                       st.st_size < off_t(snapshot::kHeaderSize)))
        fd.reset();
    return fd;
}

}  // namespace

// One byte: a reader that has the file mapped sees 0 or the whole mark (a
// four-byte write can be seen half done).  The word's other bytes stay 0.
bool mark_superseded(int fd) {
    const uint8_t mark = uint8_t(snapshot::kSuperseded);
    return ::pwrite(fd, &mark, 1, off_t(snapshot::kStateOffset)) == 1;
}

Result<void, std::string> SnapshotFile::write(const std::vector<uint8_t>& bytes) {
    const size_t slash = path_.rfind('/');
    if (slash == std::string::npos || slash + 1 == path_.size())
        return "snapshot path " + path_ + " is not an absolute file path";
    const std::string dir = slash == 0 ? "/" : path_.substr(0, slash);
    const std::string name = path_.substr(slash + 1);
    auto dir_fd = open_directory(dir);
    if (!dir_fd) return dir_fd.error();
    const std::string tmp = "." + name + "." + std::to_string(getpid()) + ".tmp";
    ::unlinkat(dir_fd->get(), tmp.c_str(), 0);  // left by a crash of this pid number
    UniqueFd fd(::openat(dir_fd->get(), tmp.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.valid()) return os_error("cannot create", dir + "/" + tmp);
    // fchmod: jitd runs with UMask=0077, and every process must read the file.
    bool ok = write_all(fd.get(), bytes.data(), bytes.size()) && ::fchmod(fd.get(), 0644) == 0 &&
              ::fsync(fd.get()) == 0;
    std::string error = ok ? "" : os_error("cannot write", dir + "/" + tmp);
    if (ok && ::close(fd.release()) != 0) ok = false, error = os_error("cannot close", tmp);
    if (ok) JIT_CRASH_POINT("snapshot-written");
    UniqueFd previous = ok ? open_previous(dir_fd->get(), name) : UniqueFd();
    if (ok && ::renameat(dir_fd->get(), tmp.c_str(), dir_fd->get(), name.c_str()) != 0)
        ok = false, error = os_error("cannot rename over", path_);
    if (!ok) {
        ::unlinkat(dir_fd->get(), tmp.c_str(), 0);
        return error;
    }
    // After the rename, so a process that sees the mark finds the new file
    // at the path.  A failure is not the publication's: processes that miss
    // the mark see the new file within a second (the module's stat).
    if (previous.valid()) (void)mark_superseded(previous.get());
    if (::fsync(dir_fd->get()) != 0) return os_error("cannot sync", dir);
    JIT_CRASH_POINT("snapshot-published");
    return {};
}

bool NssPublisher::publish(const SnapshotInput& in) {
    if (!sink_) return false;
    auto built = build_snapshot(in);
    if (!built) {
        failed(std::string("cannot build the NSS snapshot: ") + built.error().what, in.now);
        return false;
    }
    if (auto written = sink_->write(built->bytes); !written) {
        failed(written.error(), in.now);
        return false;
    }
    if (failing_)
        journal_.record(Event::NssSnapshotFailed, LOG_NOTICE, "NSS snapshot written again", {});
    failing_ = false;
    retry_at_.reset();
    next_edge_ = built->next_edge;
    ++written_;
    return true;
}

void NssPublisher::failed(const std::string& why, Time now) {
    if (!failing_)
        journal_.record(Event::NssSnapshotFailed, LOG_ERR,
                        why + " (jit accounts keep the previous snapshot; retrying)",
                        {{"JIT_REASON", why}});
    failing_ = true;
    retry_at_ = now + kRetrySeconds;
}

std::optional<Time> NssPublisher::next_wakeup() const {
    if (next_edge_ && retry_at_) return std::min(*next_edge_, *retry_at_);
    return next_edge_ ? next_edge_ : retry_at_;
}

}  // namespace jit::daemon
