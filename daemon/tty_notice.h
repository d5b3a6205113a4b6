// The warning a session gets on its terminal before its grant ends.
#pragma once

#include <string>

#include "grant.h"

namespace jit::daemon {

// "\r\n*** jit: access for deploy (sshd) ends at 12:00:00 UTC (in 2m) ... ***\r\n"
// user and service are escaped: nothing from a record reaches a terminal raw.
std::string notice_text(const std::string& user, const std::string& service, Time end, Time now);

// Writes text to a terminal: only a path session_scope's warnable_tty()
// accepts, opened O_WRONLY|O_NOCTTY|O_NONBLOCK|O_CLOEXEC|O_NOFOLLOW, only a
// character device, one bounded write that never blocks.  True when all of
// it was written.
bool write_notice(const std::string& tty, const std::string& text);

}  // namespace jit::daemon
