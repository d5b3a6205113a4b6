// jit-jwks-refresh's error: a message for the administrator.  Every failure
// of one issuer is one of these, printed once by main() with the issuer name.
#pragma once

#include <string>

#include "jit/result.h"

namespace jit::jwks {

struct Problem {
    std::string message;
};

inline Problem problem(std::string message) {
    return Problem{std::move(message)};
}

}  // namespace jit::jwks
