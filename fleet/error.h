// jit-fleet's errors: jitd's operation error (an errno code and a message for
// a person), so the fleet speaks the same vocabulary as the daemon.
#pragma once

#include <errno.h>

#include <string>

#include "daemon/base/op_error.h"

namespace jit::fleet {

using Error = daemon::OpError;

inline Error fail(std::string message, int code = EINVAL) {
    return Error{code, std::move(message)};
}

}  // namespace jit::fleet
