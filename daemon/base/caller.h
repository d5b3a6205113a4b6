// Who sent a request: the peer's kernel credentials (SO_PEERCRED, and
// SO_PEERGROUPS for requests that need them), never anything the client said
// about itself.
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

#include "jit/unique_fd.h"

namespace jit::daemon {

struct Caller {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // SO_PEERGROUPS
    // SO_PEERPIDFD, taken for a session open only (where the kernel has it):
    // pins the session's process without a /proc lookup.
    std::shared_ptr<UniqueFd> pidfd = nullptr;
    // The connection the request came on, while it is being answered (-1
    // otherwise): facts a few paths need (the peer's pidfd for an admission)
    // are read from it only there, not for every request.
    int socket = -1;
};

}  // namespace jit::daemon
