#include "daemon/sessions/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <memory>

#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

bool parse_u64(std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 20) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        uint64_t next = v * 10 + uint64_t(c - '0');
        if (next / 10 != v) return false;  // overflow
        v = next;
    }
    *out = v;
    return true;
}

bool parse_i64(std::string_view s, int64_t* out) {
    bool negative = !s.empty() && s[0] == '-';
    uint64_t v;
    if (!parse_u64(negative ? s.substr(1) : s, &v) || v > uint64_t(INT64_MAX)) return false;
    *out = negative ? -int64_t(v) : int64_t(v);
    return true;
}

struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
};

}  // namespace

std::optional<ProcInfo> parse_stat(std::string_view text) {
    size_t open = text.find('(');
    size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;
    ProcInfo p;
    int64_t pid;
    std::string_view head = text.substr(0, open);
    while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
    if (!parse_i64(head, &pid) || pid <= 0 || pid > INT32_MAX) return std::nullopt;
    p.pid = pid_t(pid);
    // Fields 3.. follow ") "; field 3 is the state letter.
    std::string_view rest = text.substr(close + 1);
    int field = 2;
    int64_t ppid = -1, sid = -1, tty = -1;
    uint64_t start = 0;
    bool have_start = false;
    size_t pos = 0;
    while (pos < rest.size() && field < 22) {
        while (pos < rest.size() && rest[pos] == ' ') ++pos;
        size_t end = rest.find(' ', pos);
        if (end == std::string_view::npos) end = rest.size();
        while (end > pos && (rest[end - 1] == '\n')) --end;
        std::string_view token = rest.substr(pos, end - pos);
        ++field;
        if (field == 3) p.state = token.empty() ? '?' : token[0];
        if (field == 4 && !parse_i64(token, &ppid)) return std::nullopt;
        if (field == 6 && !parse_i64(token, &sid)) return std::nullopt;
        if (field == 7 && !parse_i64(token, &tty)) return std::nullopt;
        if (field == 22) have_start = parse_u64(token, &start);
        pos = end + 1;
    }
    if (!have_start || ppid < 0 || sid < 0 || tty < 0 || ppid > INT32_MAX || sid > INT32_MAX ||
        tty > UINT32_MAX)
        return std::nullopt;
    p.ppid = pid_t(ppid);
    p.sid = pid_t(sid);
    p.tty_nr = uint32_t(tty);
    p.start = start;
    return p;
}

std::optional<uint32_t> parse_audit_session(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    uint64_t v;
    if (!parse_u64(text, &v) || v >= 0xffffffffull) return std::nullopt;
    return uint32_t(v);
}

std::string parse_unified_cgroup(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (line.substr(0, 3) == "0::") return std::string(line.substr(3));
        pos = end + 1;
    }
    return {};
}

dev_t tty_device(uint32_t tty_nr) {
    // Linux's new_encode_dev: major in bits 8-19, minor in bits 0-7 and 20-31.
    return makedev((tty_nr >> 8) & 0xfff, (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
}

std::string tty_path(uint32_t tty_nr) {
    dev_t dev = tty_device(tty_nr);
    uint32_t maj = major(dev), min = minor(dev);
    if (maj >= 136 && maj <= 143)  // Unix98 pty slaves
        return "/dev/pts/" + std::to_string((maj - 136) * 256 + min);
    if (maj == 4 && min >= 1 && min < 64) return "/dev/tty" + std::to_string(min);
    return {};
}

Result<std::string> read_small_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
    if (!fd.valid()) return make_error(errno, "cannot open a /proc file");
    char buf[4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = ::read(fd.get(), buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(errno, "cannot read a /proc file");
        if (n == 0 || got + size_t(n) == sizeof buf) {
            got += size_t(n);
            break;
        }
        got += size_t(n);
    }
    return std::string(buf, got);
}

namespace {

// SO_PEERPIDFD (Linux 6.5); older headers lack the name.
#ifdef SO_PEERPIDFD
constexpr int kSoPeerPidfd = SO_PEERPIDFD;
#else
constexpr int kSoPeerPidfd = 77;
#endif
constexpr long kPidfsMagic = 0x50494446;  // PID_FS_MAGIC

// Before pidfs (6.9) every pidfd shared one anonymous inode: its number
// names nothing.  Asked once per process, of a pidfd of our own.
bool pidfd_inodes_name_processes() {
    static const bool yes = [] {
#ifdef SYS_pidfd_open
        UniqueFd self(int(syscall(SYS_pidfd_open, getpid(), 0)));
        struct statfs fs;
        return self.valid() && fstatfs(self.get(), &fs) == 0 && long(fs.f_type) == kPidfsMagic;
#else
        return false;
#endif
    }();
    return yes;
}

}  // namespace

uint64_t SystemProcesses::pidfd_key(int pidfd) const {
    struct stat st;
    if (pidfd < 0 || !pidfd_inodes_name_processes() || fstat(pidfd, &st) != 0) return 0;
    return uint64_t(st.st_ino);
}

// Three system calls (getsockopt, fstat, close) where /proc costs eight.
uint64_t SystemProcesses::peer_key(int socket) const {
    int pidfd = -1;
    socklen_t len = sizeof pidfd;
    if (socket < 0 || getsockopt(socket, SOL_SOCKET, kSoPeerPidfd, &pidfd, &len) != 0 || pidfd < 0)
        return 0;
    UniqueFd owned(pidfd);
    return pidfd_key(pidfd);
}

Result<ProcInfo> SystemProcesses::process(pid_t pid) const {
    std::string base = "/proc/" + std::to_string(pid);
    auto stat = read_small_file(base + "/stat");
    if (!stat)
        return make_error(stat.error().code == ENOENT ? ESRCH : stat.error().code,
                          "cannot read the process");
    auto info = parse_stat(*stat);
    if (!info || info->pid != pid) return make_error(EPROTO, "unreadable /proc/PID/stat");
    if (auto sessionid = read_small_file(base + "/sessionid"))
        info->audit_session = parse_audit_session(*sessionid);
    return *info;
}

std::vector<ProcInfo> SystemProcesses::snapshot(bool with_cgroup) const {
    std::vector<ProcInfo> out;
    std::unique_ptr<DIR, DirCloser> dir(opendir("/proc"));
    if (!dir) return out;
    while (dirent* e = readdir(dir.get())) {
        char* end = nullptr;
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        auto info = process(pid_t(pid));
        if (!info) continue;  // gone meanwhile
        if (with_cgroup)
            if (auto cg = read_small_file("/proc/" + std::to_string(pid) + "/cgroup"))
                info->cgroup = parse_unified_cgroup(*cg);
        out.push_back(std::move(*info));
    }
    return out;
}

std::string SystemProcesses::boot_id() const {
    auto id = read_small_file("/proc/sys/kernel/random/boot_id");
    if (!id) return {};
    std::string s = *id;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace jit::daemon
