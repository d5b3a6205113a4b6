#include "fleet/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "jit/escape.h"

namespace jit::fleet {

void log_event(const char* event, int priority, const std::string& message, const LogFields& fields,
               bool echo) {
    std::vector<std::string> lines = {
        "MESSAGE=jit-fleet: " + message, "PRIORITY=" + std::to_string(priority),
        "SYSLOG_IDENTIFIER=jit-fleet", std::string("JIT_EVENT=") + event};
    for (const auto& [k, v] : fields) lines.push_back(k + "=" + v);
    std::vector<iovec> iov;
    for (auto& l : lines) iov.push_back({l.data(), l.size()});
    sd_journal_sendv(iov.data(), int(iov.size()));
    if (echo && !getenv("JOURNAL_STREAM"))
        fprintf(stderr, "jit-fleet: %s\n", escape_text(message).c_str());
}

}  // namespace jit::fleet
