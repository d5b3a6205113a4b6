// RAII owner of a file descriptor.  Move-only; closes on destruction.
#pragma once

#include <unistd.h>

namespace jit {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) {
        // close() is not retried on EINTR: on Linux the descriptor is gone either way.
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// Moves fd above the standard streams (0-2) so a caller that closed them cannot
// have our socket mistaken for stdin/stdout/stderr.  Returns the new fd with
// FD_CLOEXEC set, or -1 with errno set; fd is closed in both cases when moved.
int move_above_stdio(int fd);

}  // namespace jit
