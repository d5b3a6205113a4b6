// The rules that span fields (written next to each message in protocol.h),
// checked by validate_body after the schema.  Private to common/.
#pragma once

#include "jit/wire.h"

namespace jit::wire::detail {

// body has already passed its message's schema.
Result<void> check_message_rules(MsgType type, const uint8_t* body, size_t len);

}  // namespace jit::wire::detail
