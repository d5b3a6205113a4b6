// The listening socket: inherited through systemd socket activation, or bound
// by jitd itself at the configured path.
#pragma once

#include <string>

#include "jit/failure.h"
#include "jit/result.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

struct Listener {
    UniqueFd fd;
    bool activated = false;  // from systemd; otherwise we bound it and unlink it at exit
    std::string path;
};

// The two doors: the public socket (mode 0666: any local user may connect;
// jitd authorises each request by the caller's kernel credentials) and the
// protected one next to it, "<path>.root" (mode 0600), which only root can
// connect to.  PAM checks and root's jitctl use the protected one, so no
// number of unprivileged connections can crowd them out.
struct Listeners {
    Listener open;
    Listener protected_door;
};

// Each socket comes from systemd when it passed one bound to that path (a
// single socket passed is the public one), else jitd binds it.  A stale
// socket file left by a dead jitd is replaced; a live one (something accepts
// connections on it) is an error, as is a path that is not a socket.
Result<Listeners, Failure> acquire_listeners(const std::string& path);

}  // namespace jit::daemon
