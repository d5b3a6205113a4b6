// jitctl's side of the socket: one request, one reply, the server checked.
#pragma once

#include <string>

#include "jit/messages.h"
#include "jit/failure.h"
#include "jit/result.h"

namespace jit::ctl {

// Exit codes, documented in jitctl(1).
enum Exit {
    kExitOk = 0,           // done; for check: allowed
    kExitDenied = 1,       // check: denied
    kExitUsage = 2,        // bad command line
    kExitUnreachable = 3,  // jitd not reachable, not trusted, or answered garbage
    kExitPermission = 4,   // jitd refused: not permitted
    kExitNotFound = 5,     // no such grant / no active grant
    kExitRejected = 6,     // jitd rejected the request (invalid, or failed)
    // request --wait: how the request ended (denied is kExitDenied).
    kExitExpired = 7,       // nobody decided before the request expired
    kExitCancelled = 8,     // the request was cancelled
    kExitStillPending = 9,  // --timeout passed with the request still pending
};

struct Reply {
    std::vector<uint8_t> frame;  // owns the bytes view points into
    wire::MessageView view;
};

// A call that failed: jit's one error type and the exit code it earns.
// error.code is the errno of jitd's ERROR_REPLY, or 0 when jitd did not
// answer one (unreachable, not trusted, garbage; the message says which).
// The exit code is carried, not derived from the code: one errno can mean
// "unreachable" from the socket and "refused" from jitd.
struct CallError {
    int exit_code = kExitUnreachable;
    Failure error;
};

class Connection {
public:
    // server: who listens there, for messages ("jitd", or "jit-fleet").
    Connection(std::string socket_path, int timeout_ms, const char* server = "jitd")
        : socket_path_(std::move(socket_path)), timeout_ms_(timeout_ms), server_(server) {}

    // Sends the request and returns the reply if it has the expected type.
    // An ERROR_REPLY becomes a CallError with the exit code for its errno.
    Result<Reply, CallError> call(const Result<msg::Frame>& request, proto::MsgType expected) const;
    const std::string& socket_path() const { return socket_path_; }

private:
    std::string socket_path_;
    int timeout_ms_;
    const char* server_;
};

}  // namespace jit::ctl
