#include "daemon/server/dispatch_requests.h"

#include <errno.h>

#include "jit/identity_messages.h"
#include "jit/request_messages.h"
#include "daemon/requests/request_desk.h"
#include "daemon/server/read_access.h"
#include "daemon/server/request_wire.h"

namespace jit::daemon::requests {

namespace {

using proto::MsgType;

Result<msg::Frame> error_frame(uint32_t id, const Failure& e) {
    return msg::encode(msg::ErrorReply{uint64_t(e.code), e.message}, id);
}

Result<msg::Frame> one(const Result<Request, Failure>& r, uint32_t id) {
    if (!r) return error_frame(id, r.error());
    msg::RequestList list;
    append_request(*r, list.requests, list.approvals);
    return msg::encode(MsgType::RequestReply, list, id);
}

}  // namespace

Result<msg::Frame> on_create(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().create(c, from_wire(msg::decode_request_create(v))), v.header.request_id);
}

Result<msg::Frame> on_cancel(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().cancel(c, from_wire(msg::decode_request_action(v)), s.may_administer(c)),
               v.header.request_id);
}

Result<msg::Frame> on_approve(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().approve(c, from_wire(msg::decode_request_action(v))), v.header.request_id);
}

Result<msg::Frame> on_deny(JitService& s, const Caller& c, const wire::MessageView& v) {
    return one(s.desk().deny(c, from_wire(msg::decode_request_action(v))), v.header.request_id);
}

Result<msg::Frame> on_show(JitService& s, const Caller& c, const wire::MessageView& v) {
    auto found = s.desk().show(msg::decode_request_action(v).id);
    if (found && !ReadAccess(s, c).sees_request(*found))
        return error_frame(v.header.request_id,
                           Failure{EPERM, "not permitted: request " + found->id +
                                              " is neither yours nor one you approve"});
    return one(found, v.header.request_id);
}

Result<msg::Frame> on_list(JitService& s, const Caller& c, const wire::MessageView& v) {
    auto found = s.desk().list(from_wire(msg::decode_request_query(v)));
    if (!found) return error_frame(v.header.request_id, found.error());
    ReadAccess reader(s, c);
    std::erase_if(*found, [&](const Request& r) { return !reader.sees_request(r); });
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

// The policy for an account is for those who administer or approve it.
Result<msg::Frame> on_explain(JitService& s, const Caller& c, const wire::MessageView& v) {
    auto query = msg::decode_explain_query(v);
    if (!ReadAccess(s, c).approves_for(query.user)) {
        s.refused(c, "explain " + query.user + ": not an administrator or an approver for it");
        return error_frame(v.header.request_id,
                           Failure{EPERM,
                                   "not permitted: explain is for administrators and "
                                   "the approvers of " +
                                       query.user});
    }
    ExplainQuestion question = from_wire(query);
    std::optional<identity::VerifiedToken> token;
    if (!query.id_token.empty()) {
        // Verified (and refused if spent) but not spent: explain changes nothing.
        auto verified = s.desk().verify_token(query.id_token, query.user, s.now());
        if (!verified) return error_frame(v.header.request_id, verified.error());
        token = std::move(*verified);
        question.identity = &*token;
    }
    auto reply = to_wire(s.explain(question));
    auto frame = msg::encode(reply, v.header.request_id);
    if (!frame && frame.error().code == EMSGSIZE) {
        reply.conditions.clear();  // the answer itself always fits
        frame = msg::encode(reply, v.header.request_id);
    }
    return frame;
}

Result<msg::Frame> on_identity_login(JitService& s, const Caller& c, const wire::MessageView& v) {
    auto answer = s.desk().login(c, from_wire(msg::decode_identity_login_request(v)));
    msg::IdentityLoginReply reply;
    reply.decision = answer.allow ? proto::Decision::Allow : proto::Decision::Deny;
    if (answer.allow) {
        reply.grant_id = answer.grant_id;
        reply.not_after = answer.not_after;
    } else {
        reply.request_id = answer.request_id;
        // A denial needs words (wire rule); a CI log shows them.
        reply.message = answer.message.empty() ? "denied" : answer.message;
        if (reply.message.size() > proto::kMaxString) reply.message.resize(proto::kMaxString);
    }
    return msg::encode(reply, v.header.request_id);
}

}  // namespace jit::daemon::requests
