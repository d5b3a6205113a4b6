// What the request commands (request, approve, deny, cancel, show) share:
// sending an action on a request id and printing the request that comes back.
#pragma once

#include "cli.h"
#include "jit/request_messages.h"

namespace jit::ctl {

// Prints a REQUEST_REPLY: one summary line, or --json.
void print_request(const Globals& g, const msg::RequestList& reply);
// Sends action (type RequestCancel/Approve/Deny/Show) and prints the reply.
int request_action(const Globals& g, proto::MsgType type, const msg::RequestAction& action);
// The exit code for a request that is no longer pending (0 approved).
int exit_for_state(proto::RequestState s);

}  // namespace jit::ctl
