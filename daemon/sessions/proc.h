// What /proc says about processes: the facts session tracking and
// termination rely on.  The parsers are pure (tested on fixed text); the
// ProcessSource interface lets the session logic run on a made-up process
// table in unit tests and on the real one in jitd and jit-sweep.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jit/result.h"

namespace jit::daemon {

struct ProcInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t sid = 0;
    char state = 'R';                       // field 3: 'Z' zombie and 'X' dead are past ending
    uint32_t tty_nr = 0;                    // controlling terminal (field 7); 0: none
    uint64_t start = 0;                     // clock ticks since boot (field 22)
    std::optional<uint32_t> audit_session;  // absent when unset (4294967295)
    std::string cgroup;                     // unified (v2) path, read only on request
};

// Parses the text of /proc/PID/stat.  The command name (field 2) may contain
// spaces and parentheses, so fields are counted from the last ')'.
std::optional<ProcInfo> parse_stat(std::string_view text);
// Parses /proc/PID/sessionid: "4294967295" (unset) gives nullopt.
std::optional<uint32_t> parse_audit_session(std::string_view text);
// The "0::/path" line of /proc/PID/cgroup; empty when there is none.
std::string parse_unified_cgroup(std::string_view text);
// /dev/pts/N or /dev/ttyN for a tty_nr, or empty for any other device.
std::string tty_path(uint32_t tty_nr);
// The dev_t (as stat's st_rdev gives it) of a tty_nr.
dev_t tty_device(uint32_t tty_nr);

class ProcessSource {
public:
    virtual ~ProcessSource() = default;
    // One process, or ESRCH when it is gone.
    virtual Result<ProcInfo> process(pid_t pid) const = 0;
    // Every process visible now (cgroups read only when with_cgroup).
    virtual std::vector<ProcInfo> snapshot(bool with_cgroup) const = 0;
    // This boot's id; empty when it cannot be read.
    virtual std::string boot_id() const = 0;
    // A number that names the process at the other end of a connected Unix
    // socket, and no other process ever in this boot: the pidfs inode of its
    // SO_PEERPIDFD (Linux 6.9+).  0 when the kernel cannot give one; callers
    // then identify the process by pid and start time from /proc, the weaker
    // path (a pid reused within the same clock tick is not told apart).
    virtual uint64_t peer_key(int socket) const {
        (void)socket;
        return 0;
    }
    // The same number for a pidfd already held (0: none).
    virtual uint64_t pidfd_key(int pidfd) const {
        (void)pidfd;
        return 0;
    }
};

// The running system's /proc.
class SystemProcesses : public ProcessSource {
public:
    Result<ProcInfo> process(pid_t pid) const override;
    std::vector<ProcInfo> snapshot(bool with_cgroup) const override;
    std::string boot_id() const override;
    uint64_t peer_key(int socket) const override;
    uint64_t pidfd_key(int pidfd) const override;
};

// Reads a small /proc file (at most 4 KiB) into a string.
Result<std::string> read_small_file(const std::string& path);

}  // namespace jit::daemon
