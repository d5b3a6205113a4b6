// Who sent a request: the peer's kernel credentials (SO_PEERCRED and
// SO_PEERGROUPS), never anything the client said about itself.
#pragma once

#include <sys/types.h>

#include <vector>

namespace jit::daemon {

struct Caller {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // SO_PEERGROUPS
};

}  // namespace jit::daemon
