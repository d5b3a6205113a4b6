// The error of a jitd operation, as the client sees it.
#pragma once

#include <string>

namespace jit::daemon {

struct OpError {
    int code = 0;         // errno value sent to the client
    std::string message;  // what the client shows
};

}  // namespace jit::daemon
