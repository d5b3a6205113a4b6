#include "daemon/server/dispatch.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <type_traits>

#include "daemon/sessions/session_service.h"
#include "daemon/server/dispatch_audit.h"
#include "daemon/server/dispatch_requests.h"
#include "daemon/server/account_wire.h"
#include "daemon/server/check_wire.h"
#include "daemon/server/grant_wire.h"
#include "daemon/server/session_wire.h"
#include "daemon/server/read_access.h"
#include "jit/fleet_messages.h"

namespace jit::daemon {

namespace {

// Fleet grants per LIST page before the frame's size is considered.
constexpr size_t kFleetPage = 256;

using proto::MsgType;

using Handler = Result<msg::Frame> (*)(JitService&, const Caller&, const wire::MessageView&);

msg::Frame error_frame(uint32_t id, int code, const std::string& message) {
    auto f = msg::encode(msg::ErrorReply{uint64_t(code), message}, id);
    if (f) return std::move(*f);
    // The message itself could not be encoded (too long?): send a fixed one.
    auto fallback = msg::encode(msg::ErrorReply{uint64_t(EIO), "internal error"}, id);
    return fallback ? std::move(*fallback) : msg::Frame();
}

Result<msg::Frame> account_reply(const Result<NssAccount, Failure>& result, uint32_t id) {
    if (!result) return error_frame(id, result.error().code, result.error().message);
    msg::AccountList list;
    list.accounts.push_back(to_wire(*result));
    return msg::encode(MsgType::AccountReply, list, id);
}

template <typename R>
Result<msg::Frame> reply_or_error(const R& result, MsgType type, uint32_t id, Time now) {
    if (!result) return error_frame(id, result.error().code, result.error().message);
    msg::GrantList list;
    list.now = now;
    if constexpr (std::is_same_v<std::decay_t<decltype(*result)>, Grant>) {
        list.grants.push_back(to_wire(*result));
    } else {
        for (const auto& g : *result) list.grants.push_back(to_wire(g));
    }
    return msg::encode(type, list, id);
}

Result<msg::Frame> on_check(JitService& s, const Caller& c, const wire::MessageView& v) {
    return msg::encode(to_wire(s.check(c, from_wire(msg::decode_check_request(v)))),
                       v.header.request_id);
}

Result<msg::Frame> on_command_check(JitService& s, const Caller& c, const wire::MessageView& v) {
    return msg::encode(to_wire(s.check_command(c, from_wire(msg::decode_command_check_request(v)))),
                       v.header.request_id);
}

Result<msg::Frame> on_command_exit(JitService& s, const Caller& c, const wire::MessageView& v) {
    s.record_command_exit(c, from_wire(msg::decode_command_exit_request(v)));
    return msg::encode_command_exit_reply(v.header.request_id);
}

Result<msg::Frame> on_grant(JitService& s, const Caller& c, const wire::MessageView& v) {
    return reply_or_error(s.grant(c, from_wire(msg::decode_grant_request(v))), MsgType::GrantReply,
                          v.header.request_id, s.now());
}

Result<msg::Frame> on_revoke(JitService& s, const Caller& c, const wire::MessageView& v) {
    return reply_or_error(s.revoke(c, from_wire(msg::decode_revoke_request(v))),
                          MsgType::RevokeReply, v.header.request_id, s.now());
}

// A page of fleet grants for jit-fleet (FleetAfter): as many as fit one
// frame, halving the page until it does.
Result<msg::Frame> fleet_page(JitService& s, const Caller& c, const std::string& after,
                              uint32_t id) {
    ReadAccess reader(s, c);
    for (size_t max = kFleetPage;; max /= 2) {
        std::vector<Grant> page = s.fleet_page(after, max);
        std::erase_if(page, [&](const Grant& g) { return !reader.sees_grant(g); });
        Result<std::vector<Grant>, Failure> grants(std::move(page));
        auto frame = reply_or_error(grants, MsgType::ListReply, id, s.now());
        if (frame || max <= 1) return frame;
    }
}

Result<msg::Frame> on_list(JitService& s, const Caller& c, const wire::MessageView& v) {
    auto request = msg::decode_list_request(v);
    if (request.fleet_after) return fleet_page(s, c, *request.fleet_after, v.header.request_id);
    auto grants = s.list(from_wire(request));
    if (grants) {
        ReadAccess reader(s, c);
        std::erase_if(*grants, [&](const Grant& g) { return !reader.sees_grant(g); });
    }
    return reply_or_error(grants, MsgType::ListReply, v.header.request_id, s.now());
}

Result<msg::Frame> on_status(JitService& s, const Caller&, const wire::MessageView& v) {
    return msg::encode(to_wire(s.status()), v.header.request_id);
}

Result<msg::Frame> no_sessions(uint32_t id) {
    return error_frame(id, EOPNOTSUPP, "this jitd does not track sessions");
}

Result<msg::Frame> on_session_open(JitService& s, const Caller& c, const wire::MessageView& v) {
    if (!s.sessions()) return no_sessions(v.header.request_id);
    return msg::encode(
        to_wire(s.sessions()->open(c, from_wire(msg::decode_session_open_request(v)))),
        v.header.request_id);
}

Result<msg::Frame> on_session_close(JitService& s, const Caller& c, const wire::MessageView& v) {
    if (!s.sessions()) return no_sessions(v.header.request_id);
    auto closed = s.sessions()->close(c, from_wire(msg::decode_session_close_request(v)));
    if (!closed)
        return error_frame(v.header.request_id, closed.error().code, closed.error().message);
    return msg::encode_session_close_reply(*closed, v.header.request_id);
}

Result<msg::Frame> on_session_list(JitService& s, const Caller& c, const wire::MessageView& v) {
    if (!s.sessions()) return no_sessions(v.header.request_id);
    auto sessions = s.sessions()->list(from_wire(msg::decode_list_request(v)));
    if (!sessions)
        return error_frame(v.header.request_id, sessions.error().code, sessions.error().message);
    msg::SessionList list;
    list.now = s.now();
    ReadAccess reader(s, c);
    for (const auto& x : *sessions)
        if (reader.sees_session(x)) list.sessions.push_back(to_wire(x));
    return msg::encode(list, v.header.request_id);
}

Result<msg::Frame> on_account_add(JitService& s, const Caller& c, const wire::MessageView& v) {
    return account_reply(s.add_account(c, from_wire(msg::decode_account_add_request(v))),
                         v.header.request_id);
}

Result<msg::Frame> on_account_remove(JitService& s, const Caller& c, const wire::MessageView& v) {
    return account_reply(s.remove_account(c, msg::decode_account_remove_request(v).name),
                         v.header.request_id);
}

// As many accounts (by name) as one reply frame holds.
Result<msg::Frame> on_account_list(JitService& s, const Caller&, const wire::MessageView& v) {
    msg::AccountList list;
    for (const auto& a : s.accounts()) {
        if (list.accounts.size() == proto::kMaxRecords) break;
        list.accounts.push_back(to_wire(a));
    }
    for (;;) {
        auto frame = msg::encode(MsgType::AccountListReply, list, v.header.request_id);
        if (frame || frame.error().code != EMSGSIZE || list.accounts.empty()) return frame;
        list.accounts.resize(list.accounts.size() * 3 / 4);
    }
}

Result<msg::Frame> on_fleet_fresh(JitService& s, const Caller& c, const wire::MessageView& v) {
    msg::FleetFresh applied{s.fleet_fresh(c, msg::decode_fleet_fresh(v).until)};
    return msg::encode(MsgType::FleetFreshReply, applied, v.header.request_id);
}

struct Operation {
    MsgType type;
    Access access;
    Handler handler;
};

constexpr Operation kOperations[] = {
    {MsgType::CheckRequest, Access::Checker, on_check},
    {MsgType::CommandCheckRequest, Access::Checker, on_command_check},
    {MsgType::CommandExitRequest, Access::Checker, on_command_exit},
    {MsgType::GrantRequest, Access::Admin, on_grant},
    {MsgType::RevokeRequest, Access::Admin, on_revoke},
    {MsgType::ListRequest, Access::Anyone, on_list},
    {MsgType::StatusRequest, Access::Anyone, on_status},
    {MsgType::SessionOpenRequest, Access::Checker, on_session_open},
    {MsgType::SessionCloseRequest, Access::Checker, on_session_close},
    {MsgType::SessionListRequest, Access::Anyone, on_session_list},
    {MsgType::AccountAddRequest, Access::Admin, on_account_add},
    {MsgType::AccountRemoveRequest, Access::Admin, on_account_remove},
    {MsgType::AccountListRequest, Access::Anyone, on_account_list},
    // Policy: any local user may ask; the desk decides who may approve, deny
    // or cancel which request (approver groups, the requester, admins).
    {MsgType::RequestCreate, Access::Anyone, requests::on_create},
    {MsgType::RequestCancel, Access::Anyone, requests::on_cancel},
    {MsgType::RequestApprove, Access::Anyone, requests::on_approve},
    {MsgType::RequestDeny, Access::Anyone, requests::on_deny},
    {MsgType::RequestShow, Access::Anyone, requests::on_show},
    {MsgType::RequestList, Access::Anyone, requests::on_list},
    {MsgType::ExplainRequest, Access::Anyone, requests::on_explain},
    // A workload's token while it logs in (pam_jit's auth phase): it can
    // create grants, and only the PAM stack in a root login service asks.
    {MsgType::IdentityLoginRequest, Access::Root, requests::on_identity_login},
    // The audit log: who got in, who was refused, and why.
    {MsgType::AuditReadRequest, Access::Admin, on_audit_read},
    // jit-fleet's heartbeat: it also creates fleet grants, so as GRANT.
    {MsgType::FleetFreshRequest, Access::Admin, on_fleet_fresh},
};

bool admitted(const JitService& s, Access access, const Caller& c) {
    switch (access) {
        case Access::Checker:
            return s.may_check(c);
        case Access::Admin:
            return s.may_administer(c);
        case Access::Anyone:
            return true;
        case Access::Root:
            return c.uid == 0;
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

bool Dispatcher::needs_groups(proto::MsgType type) {
    for (const auto& op : kOperations)
        if (op.type == type) return op.access != Access::Checker;
    return false;  // not answered: refused without looking at the caller
}

bool Dispatcher::groupable(const wire::MessageView& request) {
    // A grant that names jit groups may create one (its own transaction):
    // it is answered alone.  Nothing else is grouped.
    return request.header.type == MsgType::GrantRequest &&
           msg::decode_grant_request(request).groups.empty();
}

msg::Frame Dispatcher::failure(uint32_t request_id, int code, const std::string& message) {
    return error_frame(request_id, code, message);
}

msg::Frame Dispatcher::refusal(uint32_t request_id, const std::string& message) {
    return error_frame(request_id, EPERM, message);
}

msg::Frame Dispatcher::protocol_error(uint32_t request_id, const Error& error) {
    return error_frame(request_id, error.code, std::string("malformed request: ") + error.what);
}

}  // namespace jit::daemon
