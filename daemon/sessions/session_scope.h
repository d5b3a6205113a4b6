// Which processes belong to a session: pure logic over a process table, so
// the rules that decide what jitd and jit-sweep may signal are unit-tested on
// made-up tables.  Never a match by name or by user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "daemon/sessions/proc.h"
#include "daemon/model/session.h"

namespace jit::daemon {

struct Target {
    pid_t pid = 0;
    uint64_t start = 0;  // signalled only while the pid still has this start time
    bool operator==(const Target& o) const { return pid == o.pid && start == o.start; }
};

// A process belongs to the session when it is
//   - the PAM process itself (same pid and start time) or a descendant of it
//     while it lives;
//   - in the kernel session the PAM process leads (sid == pid, only while the
//     leader lives with its recorded start time, so a reused sid is not ours);
//   - in the session's own audit session (pam_loginuid ran in its stack);
//   - in logind's scope for the session (cgroup ".../session-N.scope").
// pid 1, pid 2 and its kernel threads, and `self` are never targets.
std::vector<Target> select_targets(const SessionIdentity& id, const std::vector<ProcInfo>& procs,
                                   pid_t self);

// A terminal to warn on.  The path is what jitd reports; tty_nr and holders
// let it reach the very device the session controls even when the path
// names another devpts instance (a container's, a second mount on /dev/pts).
struct SessionTty {
    std::string path;            // /dev/pts/N or /dev/ttyN
    uint32_t tty_nr = 0;         // the kernel's number for it; 0: from PAM_TTY only
    std::vector<pid_t> holders;  // session processes it is the controlling terminal of
    bool operator==(const SessionTty&) const = default;
};

// The terminals (/dev/pts/N, /dev/ttyN) the session's processes control,
// plus the session's PAM_TTY when that is such a path, sorted by path.
std::vector<SessionTty> session_ttys(const std::vector<Target>& targets,
                                     const std::vector<ProcInfo>& procs,
                                     const std::string& pam_tty);

// True for "/dev/pts/N" and "/dev/ttyN" (N digits), the only paths jitd
// writes a warning to.
bool warnable_tty(const std::string& path);

}  // namespace jit::daemon
