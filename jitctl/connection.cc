#include "connection.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "jit/client.h"

namespace jit::ctl {

namespace {

int exit_for_errno(uint64_t code) {
    switch (code) {
        case EPERM:
        case EACCES:
            return kExitPermission;
        case ENOENT:
            return kExitNotFound;
        default:
            return kExitRejected;
    }
}

std::string unreachable_hint(int code, const std::string& server) {
    switch (code) {
        case ENOENT:
            return server == "jitd"
                       ? " (is jitd running? see `systemctl status jitd.socket`)"
                       : " (is " + server + " running? see `systemctl status " + server + "`)";
        case ECONNREFUSED:
            return " (nothing is accepting connections on the socket)";
        case EPERM:
            return " (refusing to talk to a server that is not root)";
        default:
            return "";
    }
}

}  // namespace

Result<Reply, CallError> Connection::call(const Result<msg::Frame>& request,
                                          proto::MsgType expected) const {
    if (!request)
        return CallError{kExitUsage,
                         Failure(0, std::string("cannot encode request: ") + request.error().what)};
    ClientOptions options;
    options.socket_path = socket_path_.c_str();
    // root in production; our own uid when an unprivileged jitd serves us.
    options.trusted_uids[0] = 0;
    options.trusted_uids[1] = getuid();
    options.trusted_count = 2;
    options.timeout_ms = timeout_ms_;
    Reply reply;
    reply.frame.resize(proto::kMaxFrame);
    auto got = roundtrip(options, request->data(), request->size(), reply.frame.data(),
                         reply.frame.size());
    if (!got) {
        const Error& e = got.error();
        return CallError{kExitUnreachable,
                         Failure(0, socket_path_ + ": " + e.what + ": " + strerror(e.code) +
                                        unreachable_hint(e.code, server_))};
    }
    reply.view = *got;
    if (reply.view.header.type == proto::MsgType::ErrorReply) {
        auto err = msg::decode_error_reply(reply.view);
        // An errno past int's range is nobody's errno: kept out of the code.
        const int code = err.code <= uint64_t(INT_MAX) ? int(err.code) : EPROTO;
        return CallError{exit_for_errno(err.code), Failure(code, err.message)};
    }
    if (reply.view.header.type != expected)
        return CallError{kExitUnreachable,
                         Failure(0, std::string(server_) + " answered with an unexpected message")};
    return reply;
}

}  // namespace jit::ctl
