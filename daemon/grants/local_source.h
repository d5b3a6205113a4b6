// "local" as a source: a PAM check that did not come over the network.  sshd
// sets PAM_RHOST to the peer's address; sudo and su set none, or (sudo's
// default pam_rhost) this host's own name.
#pragma once

#include <string_view>

namespace jit::daemon {

// Empty, "localhost", a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x)
// or this host's name (uname's nodename, compared without case).
bool is_local_rhost(std::string_view rhost);

}  // namespace jit::daemon
