// Module arguments, shared by the guests that ask jitd (pam_jit.so from its
// PAM stack line, jit_sudo.so from its sudo.conf line).  Parsed into a
// fixed-size struct that points into argv (valid while argv is), so nothing
// is allocated and nothing outlives the call.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "jit/client.h"
#include "jit/result.h"

namespace jit::guest {

inline constexpr const char* kDefaultSocket = "/run/jit/jitd.sock";
inline constexpr int kDefaultTimeoutMs = 1000;
inline constexpr int kMaxUidRanges = 16;

struct UidRange {
    uint32_t first = 0;
    uint32_t last = 0;
};

struct ModuleArgs {
    const char* socket_path = kDefaultSocket;
    int timeout_ms = kDefaultTimeoutMs;
    uid_t server_uid = 0;
    const char* managed_users = nullptr;   // comma-separated names
    const char* managed_groups = nullptr;  // comma-separated group names
    UidRange uid_ranges[kMaxUidRanges];
    int uid_range_count = 0;
    bool debug = false;
};

// On failure, *bad_arg points at the offending argument (for the log line).
Result<ModuleArgs> parse_args(int argc, const char** argv, const char** bad_arg);

// True when name appears as an element of the comma-separated list.
bool list_contains(const char* list, const char* name);

// The client options the arguments name: socket, trusted server uid, deadline.
ClientOptions client_options(const ModuleArgs& args);
// A request id for one exchange (echoed by jitd; not a secret).
uint32_t request_id();

}  // namespace jit::guest
