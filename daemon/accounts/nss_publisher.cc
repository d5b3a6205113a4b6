#include "daemon/accounts/nss_publisher.h"

#include "daemon/base/crash_point.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    const std::string tmp = "." + name + "." + std::to_string(pid_) + ".tmp";
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

NssPublisher::~NssPublisher() {
    // A writer still running finishes its file (jitd is stopping): its
    // temporary file is not left behind half written.
    writer_source_.reset();
    if (writer_ > 0) ::waitpid(writer_, nullptr, 0);
    if (result_fd_ >= 0) ::close(result_fd_);
}

void NssPublisher::write_in_background(sd_event* event, std::function<void()> settled) {
    event_ = event;
    on_settled_ = std::move(settled);
}

NssPublisher::Outcome NssPublisher::write_now(const SnapshotInput& in) {
    Outcome out;
    out.now = in.now;
    auto built = build_snapshot(in);
    std::string error;
    if (!built)
        error = std::string("cannot build the NSS snapshot: ") + built.error().what;
    else if (auto written = sink_->write(built->bytes); !written)
        error = written.error();
    out.ok = error.empty();
    snprintf(out.error, sizeof out.error, "%s", error.c_str());
    if (out.ok && built->next_edge) out.has_edge = true, out.next_edge = *built->next_edge;
    return out;
}

void NssPublisher::publish(const Gather& gather) {
    if (!sink_) return;
    ++requested_;
    if (!event_) {
        writing_ = requested_;
        finished(write_now(gather()));
        return;
    }
    gather_ = gather;
    crash_context_ = JIT_CRASH_CURRENT();
    if (writer_ < 0) start_writer();
}

// The child builds from jitd's memory as the fork left it, writes, reports
// through the pipe and exits; it keeps no other descriptor of jitd's (a
// client must see its connection close when jitd closes it) and dies with
// jitd.  When fork fails, this publication is written at once on the loop.
void NssPublisher::start_writer() {
    int fds[2] = {-1, -1};
    const pid_t jitd = getpid();
    pid_t pid = ::pipe2(fds, O_CLOEXEC) == 0 ? ::fork() : -1;
    if (pid < 0) {
        if (fds[0] >= 0) ::close(fds[0]), ::close(fds[1]);
        writer_ = -1;
        writing_ = requested_;
        finished(write_now(gather_()));
        return;
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != jitd) _exit(1);
        if (fds[1] != 3) ::dup2(fds[1], 3);
        if (::close_range(4, ~0U, 0) != 0)  // before Linux 5.9
            for (int fd = 4; fd < 65536; ++fd) ::close(fd);
        JIT_CRASH_CONTEXT(crash_context_);
        const Outcome out = write_now(gather_());
        const bool sent = ::write(3, &out, sizeof out) == ssize_t(sizeof out);
        _exit(sent ? 0 : 1);
    }
    ::close(fds[1]);
    result_fd_ = fds[0];
    writer_ = pid;
    writing_ = requested_;
    sd_event_source* s = nullptr;
    if (sd_event_add_child(event_, &s, pid, WEXITED, on_writer_exit, this) < 0) {
        // Nothing would tell the loop the writer ended: wait for it here.
        int status = 0;
        ::waitpid(pid, &status, 0);
        on_writer_exit(nullptr, nullptr, this);
        return;
    }
    writer_source_.reset(s);
}

int NssPublisher::on_writer_exit(sd_event_source*, const siginfo_t*, void* userdata) {
    auto* self = static_cast<NssPublisher*>(userdata);
    Outcome out;
    ssize_t n = -1;
    do n = ::read(self->result_fd_, &out, sizeof out);
    while (n < 0 && errno == EINTR);
    ::close(self->result_fd_);
    self->result_fd_ = -1;
    self->writer_ = -1;
    self->writer_source_.reset();
    if (n != ssize_t(sizeof out)) {
        out = Outcome{};
        out.now = time(nullptr);
        snprintf(out.error, sizeof out.error, "the NSS snapshot writer (a child of jitd) died");
    }
    self->finished(out);
    if (self->requested_ > self->settled_) self->start_writer();
    if (self->on_settled_) self->on_settled_();
    return 0;
}

void NssPublisher::finished(const Outcome& out) {
    settled_ = writing_;
    if (!out.ok) return failed(out.error, out.now);
    if (failing_)
        journal_.record(Event::NssSnapshotFailed, LOG_NOTICE, "NSS snapshot written again", {});
    failing_ = false;
    retry_at_.reset();
    next_edge_ = out.has_edge ? std::optional<Time>(out.next_edge) : std::nullopt;
    ++written_;
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
