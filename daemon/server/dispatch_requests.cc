#include "daemon/server/dispatch_requests.h"

#include <errno.h>

#include "jit/request_messages.h"
#include "daemon/requests/request_desk.h"
#include "daemon/server/request_wire.h"

namespace jit::daemon::requests {

namespace {

using proto::MsgType;

Result<msg::Frame> error_frame(uint32_t id, const OpError& e) {
    return msg::encode(msg::ErrorReply{uint64_t(e.code), e.message}, id);
}

Result<msg::Frame> one(const Result<Request, OpError>& r, uint32_t id) {
    if (!r) return error_frame(id, r.error());
    msg::RequestList list;
    append_request(*r, list.requests, list.approvals);
    return msg::encode(MsgType::RequestReply, list, id);
}

}  // namespace

Result<msg::Frame> on_create(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().create(c, msg::decode_request_create(v)), v.header.request_id);
}

Result<msg::Frame> on_cancel(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().cancel(c, msg::decode_request_action(v), s.may_administer(c)),
               v.header.request_id);
}

Result<msg::Frame> on_approve(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().approve(c, msg::decode_request_action(v)), v.header.request_id);
}

Result<msg::Frame> on_deny(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().deny(c, msg::decode_request_action(v)), v.header.request_id);
}

Result<msg::Frame> on_show(JitService& s, const Caller&, const wire::MessageView& v) {
    return one(s.desk().show(msg::decode_request_action(v).id), v.header.request_id);
}

Result<msg::Frame> on_list(JitService& s, const Caller&, const wire::MessageView& v) {
    auto found = s.desk().list(msg::decode_request_query(v));
    if (!found) return error_frame(v.header.request_id, found.error());
    msg::RequestList list;
    list.now = s.now();
    for (const auto& r : *found) append_request(r, list.requests, list.approvals);
    // Whatever fits in one frame, newest first.
    auto frame = msg::encode(MsgType::RequestListReply, list, v.header.request_id);
    while (!frame && frame.error().code == EMSGSIZE && !list.requests.empty()) {
        list.requests.resize(list.requests.size() / 2);
        list.approvals.clear();
        frame = msg::encode(MsgType::RequestListReply, list, v.header.request_id);
    }
    return frame;
}

Result<msg::Frame> on_explain(JitService& s, const Caller&, const wire::MessageView& v) {
    auto reply = to_wire(s.explain(from_wire(msg::decode_explain_query(v))));
    auto frame = msg::encode(reply, v.header.request_id);
    if (!frame && frame.error().code == EMSGSIZE) {
        reply.conditions.clear();  // the answer itself always fits
        frame = msg::encode(reply, v.header.request_id);
    }
    return frame;
}

}  // namespace jit::daemon::requests
