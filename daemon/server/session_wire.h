// The session messages (SESSION_OPEN_*, SESSION_CLOSE_REQUEST, the Session
// record) to and from the session service's types, next to the dispatcher.
#pragma once

#include "daemon/sessions/session_service.h"
#include "jit/messages.h"

namespace jit::daemon {

SessionOpenAsk from_wire(const msg::SessionOpenRequest& m);
msg::SessionOpenReply to_wire(const SessionOpenAnswer& a);
SessionCloseAsk from_wire(const msg::SessionCloseRequest& m);
msg::SessionRecord to_wire(const Session& s);

}  // namespace jit::daemon
