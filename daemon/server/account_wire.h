// The NSS account messages (ACCOUNT_ADD_REQUEST, ACCOUNT_REPLY,
// ACCOUNT_LIST_REPLY) to and from the registry's types, next to the
// dispatcher.
#pragma once

#include "daemon/accounts/nss_registry.h"
#include "jit/messages.h"

namespace jit::daemon {

AccountAsk from_wire(const msg::AccountAddRequest& m);
msg::AccountRecord to_wire(const NssAccount& a);

}  // namespace jit::daemon
