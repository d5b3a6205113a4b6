// The grant messages as jitd's operations take and give them: GRANT_REQUEST,
// REVOKE_REQUEST, LIST_REQUEST (and SESSION_LIST_REQUEST, the same layout)
// to the service's asks; grants and STATUS_REPLY back to the wire.  Next to
// the dispatcher, the one place these conversions live.
#pragma once

#include "daemon/service/service.h"
#include "jit/messages.h"

namespace jit::daemon {

GrantAsk from_wire(const msg::GrantRequest& m);
RevokeAsk from_wire(const msg::RevokeRequest& m);
ListAsk from_wire(const msg::ListRequest& m);
msg::GrantRecord to_wire(const Grant& g);
msg::StatusReply to_wire(const StatusReport& s);

}  // namespace jit::daemon
