// Handlers for the policy, request and approval messages (protocol.h, types
// 40-69), listed in dispatch.cc's table.  Each authorises beyond the table
// where the rule depends on the request (approvers, the requester).
#pragma once

#include "jit/messages.h"
#include "jit/wire.h"
#include "daemon/service/service.h"

namespace jit::daemon::requests {

Result<msg::Frame> on_create(JitService& s, const Caller& c, const wire::MessageView& v);
Result<msg::Frame> on_cancel(JitService& s, const Caller& c, const wire::MessageView& v);
Result<msg::Frame> on_approve(JitService& s, const Caller& c, const wire::MessageView& v);
Result<msg::Frame> on_deny(JitService& s, const Caller& c, const wire::MessageView& v);
Result<msg::Frame> on_show(JitService& s, const Caller& c, const wire::MessageView& v);
Result<msg::Frame> on_list(JitService& s, const Caller& c, const wire::MessageView& v);
Result<msg::Frame> on_explain(JitService& s, const Caller& c, const wire::MessageView& v);
// IDENTITY_LOGIN_REQUEST: always an IDENTITY_LOGIN_REPLY (allow, or deny
// with why and, while approvers decide, the request id).
Result<msg::Frame> on_identity_login(JitService& s, const Caller& c, const wire::MessageView& v);

}  // namespace jit::daemon::requests
