// The client side of one request/reply exchange with jitd.  Used by
// pam_jit.so (so it allocates nothing and throws nothing) and by jitctl.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jit/result.h"
#include "jit/wire.h"

namespace jit {

// jitd's root-only socket is the public path with this appended
// ("/run/jit/jitd.sock.root").  A client running as root uses it, so that
// unprivileged connections to the public socket cannot crowd out PAM checks;
// where it does not exist or nothing listens on it (a jitd that has not bound
// it yet, an inetd-style start), the public path is used.
inline constexpr char kProtectedSocketSuffix[] = ".root";

struct ClientOptions {
    const char* socket_path = nullptr;
    // The socket file must be owned by, and the server's SO_PEERCRED uid must
    // be, one of these.  Production: {0}.
    uid_t trusted_uids[2] = {0, 0};
    int trusted_count = 1;
    // One deadline for the whole exchange: connect, send and receive.
    int timeout_ms = 1000;
};

// Connects (a fresh connection per call; as root, to the protected socket
// first), authenticates the server, sends the request frame with the
// caller's credentials attached to every message (SCM_CREDENTIALS: jitd
// refuses a message whose sender is not who opened the connection) and reads one reply frame into
// reply_buf.  On success the reply has been fully validated by wire::decode_frame and its request
// id matches the request's.  The connection is closed before returning; no file descriptor outlives
// the call.
//
// Errors: ENOENT (no socket), ENOTSOCK, EPERM (socket owner or server uid not
// trusted), ECONNREFUSED, ETIMEDOUT, EPROTO (malformed or mismatched reply),
// EMSGSIZE (reply larger than reply_buf), or another errno from the kernel.
Result<wire::MessageView> roundtrip(const ClientOptions& options, const uint8_t* request,
                                    size_t request_len, uint8_t* reply_buf, size_t reply_cap);

}  // namespace jit
