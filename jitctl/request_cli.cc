#include "request_cli.h"

#include <stdio.h>
#include <time.h>

#include "render_requests.h"

namespace jit::ctl {

void print_request(const Globals& g, const msg::RequestList& reply) {
    int64_t now = int64_t(time(nullptr));
    if (g.json) {
        JsonWriter w;
        if (!reply.requests.empty()) request_json(w, reply.requests[0], reply.approvals, now);
        printf("%s\n", w.str().c_str());
        return;
    }
    for (const auto& r : reply.requests)
        printf("%s\n", request_summary(r, reply.approvals, now).c_str());
}

int request_action(const Globals& g, proto::MsgType type, const msg::RequestAction& action) {
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(type, action, request_id()), proto::MsgType::RequestReply);
    if (!reply) return failed(reply.error());
    print_request(g, msg::decode_request_list(reply->view));
    return kExitOk;
}

int exit_for_state(proto::RequestState s) {
    switch (s) {
        case proto::RequestState::Approved:
            return kExitOk;
        case proto::RequestState::Denied:
            return kExitDenied;
        case proto::RequestState::Expired:
            return kExitExpired;
        case proto::RequestState::Cancelled:
            return kExitCancelled;
        case proto::RequestState::Pending:
            return kExitStillPending;
    }
    return kExitUnreachable;
}

}  // namespace jit::ctl
