// Requests and explanations as the protocol carries them: the domain<->wire
// conversions of the policy messages, next to their handlers.  A request and
// its approvals are the same record in REQUEST_REPLY (jitctl show/list) and
// EXPLAIN_REPLY (pending requests).
#pragma once

#include <vector>

#include "jit/identity_messages.h"
#include "jit/request_messages.h"
#include "daemon/model/request.h"
#include "daemon/service/service.h"

namespace jit::daemon {

void append_request(const Request& r, std::vector<msg::RequestRecord>& requests,
                    std::vector<msg::ApprovalRecord>& approvals);

RequestAsk from_wire(const msg::RequestCreate& m);
RequestStep from_wire(const msg::RequestAction& m);
RequestFilter from_wire(const msg::RequestQuery& m);
LoginAsk from_wire(const msg::IdentityLoginRequest& m);
ExplainQuestion from_wire(const msg::ExplainQuery& query);
msg::ExplainReply to_wire(const Explanation& explanation);

}  // namespace jit::daemon
