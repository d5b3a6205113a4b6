// Notifications: request created / approved / denied / expired / cancelled
// and grant ending soon, as one JSON object each, for notify_command (see
// notify_spawn.h).  Building the text is pure; delivering it is the
// Notifier's business and must never block a decision.
#pragma once

#include <string>

#include "daemon/model/grant.h"
#include "daemon/model/request.h"

namespace jit::daemon {

class Notifier {
public:
    virtual ~Notifier() = default;
    // event: "request-created", "grant-ending", ...; json: the whole object.
    virtual void notify(const std::string& event, const std::string& json) = 0;
};

// {"event":..., "time":..., "host":..., "request":{...}}
std::string request_event_json(const std::string& event, const Request& r, Time now);
// {"event":"grant-ending", "time":..., "host":..., "grant":{...}}
std::string grant_event_json(const std::string& event, const Grant& g, const std::string& rule,
                             Time now);
// {"event":"audit-checkpoint", "time":..., "host":..., "checkpoint":{"size":N,
// "root":HEX, "note":SIGNED_NOTE}}: a copy off the host pins the log's history.
std::string checkpoint_event_json(uint64_t size, const std::string& root_hex,
                                  const std::string& note, Time at);

}  // namespace jit::daemon
