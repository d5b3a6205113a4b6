// jit-fleet's errors are jit's one error type (jit/failure.h): an errno code
// and a message for a person, as in the daemon.  fail() is the short way to
// make one.
#pragma once

#include <errno.h>

#include <string>

#include "jit/failure.h"

namespace jit::fleet {

inline Failure fail(std::string message, int code = EINVAL) {
    return Failure(code, std::move(message));
}

}  // namespace jit::fleet
