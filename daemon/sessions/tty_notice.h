// The warning a session gets on its terminal before its grant ends.
#pragma once

#include <string>

#include "daemon/model/grant.h"
#include "jit/result.h"
#include "daemon/sessions/session_scope.h"

namespace jit::daemon {

// "\r\n*** jit: access for deploy (sshd) ends at 12:00:00 UTC (in 2m) ... ***\r\n"
// user and service are escaped: nothing from a record reaches a terminal raw.
std::string notice_text(const std::string& user, const std::string& service, Time end, Time now);

// Writes text to a session's terminal: only a path warnable_tty() accepts,
// opened O_WRONLY|O_NOCTTY|O_NONBLOCK|O_CLOEXEC|O_NOFOLLOW, only a tty or pty
// device, and only the one the session's processes hold (same inode as their
// descriptor when /proc shows it, else the same device number).  When the path
// reaches another devpts instance, the holder's /proc/PID/fd link is opened
// instead.  One bounded write that never blocks; an error says why not.
Result<void> write_notice(const SessionTty& tty, const std::string& text);

}  // namespace jit::daemon
