#include "tty_notice.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "jit/unique_fd.h"
#include "session_scope.h"

namespace jit::daemon {

namespace {
constexpr size_t kMaxNotice = 512;
}

std::string notice_text(const std::string& user, const std::string& service, Time end, Time now) {
    return "\r\n\a*** jit: access for " + escape_text(user) + " (" + escape_text(service) +
           ") ends at " + format_utc(end) + " (" + format_relative(end, now) +
           "); this session will be closed then. ***\r\n";
}

bool write_notice(const std::string& tty, const std::string& text) {
    if (!warnable_tty(tty) || text.size() > kMaxNotice) return false;
    UniqueFd fd(::open(tty.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return false;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISCHR(st.st_mode)) return false;
    for (;;) {
        ssize_t n = ::write(fd.get(), text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        return n == ssize_t(text.size());
    }
}

}  // namespace jit::daemon
