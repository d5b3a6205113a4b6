// The audit log's read operation (jitctl audit show, export), for the
// dispatch table: one bounded page per request; the client pages on.
#pragma once

#include "jit/messages.h"
#include "jit/wire.h"
#include "daemon/service/service.h"

namespace jit::daemon {

Result<msg::Frame> on_audit_read(JitService& s, const Caller& c, const wire::MessageView& v);

}  // namespace jit::daemon
