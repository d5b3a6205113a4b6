// A request and its approvals as the protocol carries them: the same record
// in REQUEST_REPLY (jitctl show/list) and EXPLAIN_REPLY (pending requests).
#pragma once

#include <vector>

#include "jit/request_messages.h"
#include "daemon/model/request.h"

namespace jit::daemon {

void append_request(const Request& r, std::vector<msg::RequestRecord>& requests,
                    std::vector<msg::ApprovalRecord>& approvals);

}  // namespace jit::daemon
