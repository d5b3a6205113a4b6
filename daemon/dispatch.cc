#include "dispatch.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <type_traits>

#include "dispatch_requests.h"

namespace jit::daemon {

namespace {

using proto::MsgType;

using Handler = Result<msg::Frame> (*)(JitService&, const Caller&, const wire::MessageView&);

msg::Frame error_frame(uint32_t id, int code, const std::string& message) {
    auto f = msg::encode(msg::ErrorReply{uint64_t(code), message}, id);
    if (f) return std::move(*f);
    // The message itself could not be encoded (too long?): send a fixed one.
    auto fallback = msg::encode(msg::ErrorReply{uint64_t(EIO), "internal error"}, id);
    return fallback ? std::move(*fallback) : msg::Frame();
}

msg::GrantRecord to_record(const Grant& g) {
    msg::GrantRecord r;
    r.id = g.id;
    r.user = g.user;
    r.services = g.services;
    r.source = g.source;
    r.not_before = g.not_before;
    r.not_after = g.not_after;
    r.reason = g.reason;
    r.granted_by = g.granted_by;
    r.created = g.created;
    r.state = g.state;
    r.ended_at = g.ended_at;
    if (g.ended_by) r.ended_by = uint64_t(*g.ended_by);
    return r;
}

template <typename R>
Result<msg::Frame> reply_or_error(const R& result, MsgType type, uint32_t id, Time now) {
    if (!result) return error_frame(id, result.error().code, result.error().message);
    msg::GrantList list;
    list.now = now;
    if constexpr (std::is_same_v<std::decay_t<decltype(*result)>, Grant>) {
        list.grants.push_back(to_record(*result));
    } else {
        for (const auto& g : *result) list.grants.push_back(to_record(g));
    }
    return msg::encode(type, list, id);
}

Result<msg::Frame> on_check(JitService& s, const Caller& c, const wire::MessageView& v) {
    return msg::encode(s.check(c, msg::decode_check_request(v)), v.header.request_id);
}

Result<msg::Frame> on_grant(JitService& s, const Caller& c, const wire::MessageView& v) {
    return reply_or_error(s.grant(c, msg::decode_grant_request(v)), MsgType::GrantReply,
                          v.header.request_id, s.now());
}

Result<msg::Frame> on_revoke(JitService& s, const Caller& c, const wire::MessageView& v) {
    return reply_or_error(s.revoke(c, msg::decode_revoke_request(v)), MsgType::RevokeReply,
                          v.header.request_id, s.now());
}

Result<msg::Frame> on_list(JitService& s, const Caller&, const wire::MessageView& v) {
    return reply_or_error(s.list(msg::decode_list_request(v)), MsgType::ListReply,
                          v.header.request_id, s.now());
}

Result<msg::Frame> on_status(JitService& s, const Caller&, const wire::MessageView& v) {
    return msg::encode(s.status(), v.header.request_id);
}

struct Operation {
    MsgType type;
    Access access;
    Handler handler;
};

constexpr Operation kOperations[] = {
    {MsgType::CheckRequest, Access::Checker, on_check},
    {MsgType::GrantRequest, Access::Admin, on_grant},
    {MsgType::RevokeRequest, Access::Admin, on_revoke},
    {MsgType::ListRequest, Access::Anyone, on_list},
    {MsgType::StatusRequest, Access::Anyone, on_status},
    // Policy: any local user may ask; the desk decides who may approve, deny
    // or cancel which request (approver groups, the requester, admins).
    {MsgType::RequestCreate, Access::Anyone, requests::on_create},
    {MsgType::RequestCancel, Access::Anyone, requests::on_cancel},
    {MsgType::RequestApprove, Access::Anyone, requests::on_approve},
    {MsgType::RequestDeny, Access::Anyone, requests::on_deny},
    {MsgType::RequestShow, Access::Anyone, requests::on_show},
    {MsgType::RequestList, Access::Anyone, requests::on_list},
    {MsgType::ExplainRequest, Access::Anyone, requests::on_explain},
};

bool admitted(const JitService& s, Access access, const Caller& c) {
    switch (access) {
        case Access::Checker:
            return s.may_check(c);
        case Access::Admin:
            return s.may_administer(c);
        case Access::Anyone:
            return true;
    }
    return false;
}

}  // namespace

msg::Frame Dispatcher::handle(const Caller& caller, const wire::MessageView& request) {
    uint32_t id = request.header.request_id;
    for (const auto& op : kOperations) {
        if (op.type != request.header.type) continue;
        if (!admitted(service_, op.access, caller)) {
            service_.refused(
                caller, "not permitted to send request type " + std::to_string(unsigned(op.type)));
            return error_frame(
                id, EPERM,
                "permission denied: uid " + std::to_string(caller.uid) + " may not do this");
        }
        auto frame = op.handler(service_, caller, request);
        if (frame) return std::move(*frame);
        return error_frame(id, frame.error().code, frame.error().what);
    }
    return error_frame(id, EOPNOTSUPP, "not a request jitd answers");
}

msg::Frame Dispatcher::protocol_error(uint32_t request_id, const Error& error) {
    return error_frame(request_id, error.code, std::string("malformed request: ") + error.what);
}

}  // namespace jit::daemon
