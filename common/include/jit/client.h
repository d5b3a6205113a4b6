// The client side of one request/reply exchange with jitd.  Used by
// pam_jit.so (so it allocates nothing and throws nothing) and by jitctl.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jit/result.h"
#include "jit/wire.h"

namespace jit {

struct ClientOptions {
    const char* socket_path = nullptr;
    // The socket file must be owned by, and the server's SO_PEERCRED uid must
    // be, one of these.  Production: {0}.
    uid_t trusted_uids[2] = {0, 0};
    int trusted_count = 1;
    // One deadline for the whole exchange: connect, send and receive.
    int timeout_ms = 1000;
};

// Connects (a fresh connection per call), authenticates the server, sends the
// request frame and reads one reply frame into reply_buf.  On success the
// reply has been fully validated by wire::decode_frame and its request id
// matches the request's.  The connection is closed before returning; no file
// descriptor outlives the call.
//
// Errors: ENOENT (no socket), ENOTSOCK, EPERM (socket owner or server uid not
// trusted), ECONNREFUSED, ETIMEDOUT, EPROTO (malformed or mismatched reply),
// EMSGSIZE (reply larger than reply_buf), or another errno from the kernel.
Result<wire::MessageView> roundtrip(const ClientOptions& options, const uint8_t* request,
                                    size_t request_len, uint8_t* reply_buf, size_t reply_cap);

}  // namespace jit
