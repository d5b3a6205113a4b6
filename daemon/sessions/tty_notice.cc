#include "daemon/sessions/tty_notice.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxNotice = 512;

bool is_terminal_device(const struct stat& st) {
    if (!S_ISCHR(st.st_mode)) return false;
    unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
    return (maj >= 136 && maj <= 143) || (maj == 4 && min >= 1 && min < 64);
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// A descriptor a session process holds on its controlling terminal, found
// through /proc: it names the exact devpts instance, which a path may not.
struct HeldTerminal {
    std::string link;  // /proc/PID/fd/N
    struct stat st {};
};

std::optional<HeldTerminal> held_terminal(const SessionTty& tty) {
    if (tty.tty_nr == 0) return std::nullopt;
    const dev_t dev = tty_device(tty.tty_nr);
    for (pid_t pid : tty.holders)
        for (int n = 0; n <= 2; ++n) {
            HeldTerminal held{"/proc/" + std::to_string(pid) + "/fd/" + std::to_string(n), {}};
            if (::stat(held.link.c_str(), &held.st) == 0 && S_ISCHR(held.st.st_mode) &&
                held.st.st_rdev == dev)
                return held;
        }
    return std::nullopt;
}

// Opens a candidate and keeps it only if it is the session's terminal.
Result<UniqueFd> open_checked(const std::string& path, int extra_flags, const SessionTty& tty,
                              const std::optional<HeldTerminal>& held) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | extra_flags));
    if (!fd.valid()) return make_error(errno, "cannot open the terminal");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return make_error(errno, "cannot stat the terminal");
    if (!is_terminal_device(st)) return make_error(ENOTTY, "not a terminal device");
    if (held && !same_file(st, held->st))
        return make_error(EXDEV, "the path names another terminal than the session's");
    if (!held && tty.tty_nr != 0 && st.st_rdev != tty_device(tty.tty_nr))
        return make_error(EXDEV, "the path names another terminal than the session's");
    return fd;
}

Result<void> write_once(int fd, const std::string& text) {
    for (;;) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(errno, "cannot write to the terminal");
        if (size_t(n) != text.size()) return make_error(EAGAIN, "the terminal took part of it");
        return {};
    }
}

}  // namespace

std::string notice_text(const std::string& user, const std::string& service, Time end, Time now) {
    return "\r\n\a*** jit: access for " + escape_text(user) + " (" + escape_text(service) +
           ") ends at " + format_utc(end) + " (" + format_relative(end, now) +
           "); this session will be closed then. ***\r\n";
}

Result<void> write_notice(const SessionTty& tty, const std::string& text) {
    if (!warnable_tty(tty.path)) return make_error(EINVAL, "not a terminal jitd warns on");
    if (text.size() > kMaxNotice) return make_error(EMSGSIZE, "notice too long");
    auto held = held_terminal(tty);
    auto fd = open_checked(tty.path, O_NOFOLLOW, tty, held);
    // The magic link reopens the session's own terminal when the path is of
    // another devpts instance or cannot be opened from jitd's mount namespace.
    if (!fd && held) fd = open_checked(held->link, 0, tty, held);
    if (!fd) return fd.error();
    return write_once(fd.value().get(), text);
}

}  // namespace jit::daemon
