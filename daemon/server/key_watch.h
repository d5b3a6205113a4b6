// Watches the issuers' JWKS files (inotify on their directories, through
// sd-event) so a key set jit-jwks-refresh or an administrator replaced is
// read without waiting for SIGHUP.  A change calls back; the runtime then
// reloads the issuers between two requests (none in flight is dropped).
// The watches follow the key files named when watch() last ran: at start
// and on every SIGHUP.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "daemon/base/event_source.h"
#include "daemon/server/identity_init.h"

namespace jit::daemon {

class KeyFileWatch {
public:
    using Changed = std::function<void()>;
    KeyFileWatch(sd_event* event, Changed changed) : event_(event), changed_(std::move(changed)) {}

    // Replaces the watches with one per key file directory; the directories
    // that could not be watched, in words ("" when all are).  SIGHUP still
    // reloads those.
    std::string watch(const IssuerSet& issuers);

private:
    static int on_event(sd_event_source*, const struct inotify_event* e, void* userdata);

    sd_event* event_;
    Changed changed_;
    std::vector<EventSource> sources_;
    std::set<std::string> names_;  // the key files' names within their directories
};

}  // namespace jit::daemon
