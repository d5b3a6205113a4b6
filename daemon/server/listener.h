// The listening socket: inherited through systemd socket activation, or bound
// by jitd itself at the configured path.
#pragma once

#include <string>

#include "jit/result.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

struct Listener {
    UniqueFd fd;
    bool activated = false;  // from systemd; otherwise we bound it and unlink it at exit
    std::string path;
};

struct ListenerError {
    int code = 0;
    std::string message;
};

// A stale socket file left by a dead jitd is replaced; a live one (something
// accepts connections on it) is an error, as is a path that is not a socket.
// The socket is mode 0666: any local user may connect; jitd authorises each
// request by the caller's kernel credentials.
Result<Listener, ListenerError> acquire_listener(const std::string& path);

}  // namespace jit::daemon
