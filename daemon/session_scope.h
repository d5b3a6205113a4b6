// Which processes belong to a session: pure logic over a process table, so
// the rules that decide what jitd and jit-sweep may signal are unit-tested on
// made-up tables.  Never a match by name or by user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "proc.h"
#include "session.h"

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

// The terminals (/dev/pts/N, /dev/ttyN) the session's processes control,
// plus the session's PAM_TTY when that is such a path.  For warnings.
std::vector<std::string> session_ttys(const std::vector<Target>& targets,
                                      const std::vector<ProcInfo>& procs,
                                      const std::string& pam_tty);

// True for "/dev/pts/N" and "/dev/ttyN" (N digits), the only paths jitd
// writes a warning to.
bool warnable_tty(const std::string& path);

}  // namespace jit::daemon
