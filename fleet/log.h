// jit-fleet's journal entries: one structured entry per mirrored grant,
// applied revocation, refused record and connection change, with the same
// JIT_* fields jitd uses (values length-prefixed, so no record text can start
// a field).  Outside systemd each entry is also one line on standard error.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace jit::fleet {

using LogFields = std::vector<std::pair<std::string, std::string>>;

// event: the JIT_EVENT value ("fleet-grant", "fleet-revocation", "fleet-refused",
// "fleet-cut-off", "fleet-connected", ...); priority: syslog's LOG_*.
// echo = false: the journal only, never standard error (a command whose
// standard output and error are its answer).
void log_event(const char* event, int priority, const std::string& message,
               const LogFields& fields = {}, bool echo = true);

}  // namespace jit::fleet
