// The checks as the protocol carries them: CHECK_REQUEST/CHECK_REPLY (PAM),
// COMMAND_CHECK_REQUEST and COMMAND_EXIT_REQUEST (jit_sudo.so), converted to
// and from the service's own types next to the dispatcher.
#pragma once

#include "daemon/service/service.h"
#include "jit/command_messages.h"
#include "jit/messages.h"

namespace jit::daemon {

// By value: a decoded request and an answer are moved through, not copied.
CheckAsk from_wire(msg::CheckRequest m);
msg::CheckReply to_wire(CheckAnswer a);
CommandAsk from_wire(const msg::CommandCheckRequest& m);
CommandEnd from_wire(const msg::CommandExitRequest& m);

}  // namespace jit::daemon
