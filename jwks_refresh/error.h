// jit-jwks-refresh's errors are jit's one error type (jit/failure.h): every
// failure of one issuer is a Failure whose message main() prints once with
// the issuer's name.  problem() is the short way to make one.
#pragma once

#include <errno.h>

#include <string>

#include "jit/failure.h"
#include "jit/result.h"

namespace jit::jwks {

inline Failure problem(std::string message, int code = EINVAL) {
    return Failure(code, std::move(message));
}

}  // namespace jit::jwks
