// The grant messages as jitd's operations take them: the wire->domain side
// of GRANT_REQUEST and REVOKE_REQUEST, next to the dispatcher.  (Replies go
// the other way in dispatch.cc.)
#pragma once

#include "daemon/service/service.h"
#include "jit/messages.h"

namespace jit::daemon {

GrantAsk from_wire(const msg::GrantRequest& m);
RevokeAsk from_wire(const msg::RevokeRequest& m);

}  // namespace jit::daemon
