#include "wire_rules.h"

#include <errno.h>

namespace jit::wire::detail {

namespace {

Error protocol_error(const char* what) {
    return make_error(EPROTO, what);
}

bool has_field(const uint8_t* body, size_t len, FieldTag tag, FieldView* out = nullptr) {
    FieldIterator it(body, len);
    FieldView f;
    while (it.next(&f)) {
        if (f.tag == tag) {
            if (out) *out = f;
            return true;
        }
    }
    return false;
}

// A text field that is present but empty names nothing, and the typed layer
// (messages.h) cannot tell it from an absent one; so the rules that hinge on
// a field's presence count it as absent.  Otherwise a frame could pass a rule
// here and fail it once decoded and re-encoded (found by the protocol fuzzer).
bool has_text(const uint8_t* body, size_t len, FieldTag tag) {
    FieldView f;
    return has_field(body, len, tag, &f) && f.len > 0;
}

constexpr FieldTag kLoginAllow[] = {FieldTag::GrantId};

// Decision is required by every schema that carries it.
Result<void> allow_needs(const uint8_t* body, size_t len, const FieldTag* texts, size_t count,
                         const char* what) {
    FieldView f;
    has_field(body, len, FieldTag::Decision, &f);
    auto d = proto::Decision(f.u64());
    if (d == proto::Decision::Deny) return success();
    if (d != proto::Decision::Allow) return protocol_error("unknown decision value");
    for (size_t i = 0; i < count; ++i)
        if (!has_text(body, len, texts[i])) return protocol_error(what);
    if (count > 0 && !has_field(body, len, FieldTag::NotAfter)) return protocol_error(what);
    return success();
}

Result<void> grant_form(const uint8_t* body, size_t len) {
    bool duration = has_field(body, len, FieldTag::Duration);
    bool nb = has_field(body, len, FieldTag::NotBefore);
    bool na = has_field(body, len, FieldTag::NotAfter);
    if (duration ? (nb || na) : !(nb && na))
        return protocol_error("grant needs a duration or both bounds");
    return success();
}

// How a command ended is one thing: an exit status, a signal or an exec
// error; a core dump only comes with a signal.
Result<void> one_ending(const uint8_t* body, size_t len) {
    bool status = has_field(body, len, FieldTag::ExitStatus);
    bool signal = has_field(body, len, FieldTag::ExitSignal);
    bool exec = has_field(body, len, FieldTag::ExecError);
    if (int(status) + int(signal) + int(exec) != 1)
        return protocol_error("a command ends with one exit status, signal or exec error");
    FieldView core;
    if (has_field(body, len, FieldTag::CoreDumped, &core) && core.boolean() && !signal)
        return protocol_error("a core dump without a signal");
    if (!has_text(body, len, FieldTag::GrantId)) return protocol_error("no grant id");
    FieldView f;
    has_field(body, len, FieldTag::Command, &f);
    if (f.len == 0 || f.data[0] != '/')
        return protocol_error("the command is not an absolute path");
    return success();
}

Result<void> one_revoke_target(const uint8_t* body, size_t len) {
    bool id = has_text(body, len, FieldTag::GrantId);
    bool user = has_text(body, len, FieldTag::User);
    if (id == user) return protocol_error("revoke needs a grant id or a user");
    return success();
}

Result<void> one_start(const uint8_t* body, size_t len) {
    FieldView f;
    bool on_approval = has_field(body, len, FieldTag::StartOnApproval, &f) && f.boolean();
    if (on_approval && has_field(body, len, FieldTag::NotBefore))
        return protocol_error("a request starts at NotBefore or at approval, not both");
    return success();
}

Result<void> needs_text(const uint8_t* body, size_t len, FieldTag tag, const char* what) {
    if (!has_text(body, len, tag)) return protocol_error(what);
    return success();
}

// IDENTITY_LOGIN_REPLY: an allow names its grant and end, a deny says why.
Result<void> login_reply(const uint8_t* body, size_t len) {
    if (auto r = allow_needs(body, len, kLoginAllow, 1, "allow without grant id and expiry"); !r)
        return r;
    FieldView f;
    has_field(body, len, FieldTag::Decision, &f);
    if (proto::Decision(f.u64()) == proto::Decision::Deny)
        return needs_text(body, len, FieldTag::Message, "a login denial needs a message");
    return success();
}

constexpr FieldTag kCheckAllow[] = {FieldTag::GrantId};
constexpr FieldTag kSessionAllow[] = {FieldTag::SessionId, FieldTag::GrantId};

}  // namespace

Result<void> check_message_rules(MsgType type, const uint8_t* body, size_t len) {
    switch (type) {
        case MsgType::CheckReply:
            return allow_needs(body, len, kCheckAllow, 1, "allow without grant id and expiry");
        case MsgType::SessionOpenReply:
            return allow_needs(body, len, kSessionAllow, 2,
                               "allow without session id, grant id and expiry");
        case MsgType::ExplainReply:
            return allow_needs(body, len, nullptr, 0, "");
        case MsgType::SessionCloseReply:
            return needs_text(body, len, FieldTag::SessionId, "close reply without a session id");
        case MsgType::GrantRequest:
            return grant_form(body, len);
        case MsgType::RevokeRequest:
            return one_revoke_target(body, len);
        case MsgType::RequestCreate:
            return one_start(body, len);
        case MsgType::RequestDeny:
            return needs_text(body, len, FieldTag::Comment, "a denial needs a comment");
        case MsgType::IdentityLoginRequest:
            return needs_text(body, len, FieldTag::IdToken, "identity login without a token");
        case MsgType::IdentityLoginReply:
            return login_reply(body, len);
        case MsgType::CommandCheckRequest: {
            FieldView f;
            has_field(body, len, FieldTag::Command, &f);
            if (f.len == 0 || f.data[0] != '/')
                return protocol_error("the command is not an absolute path");
            return success();
        }
        case MsgType::CommandExitRequest:
            return one_ending(body, len);
        default:
            return success();
    }
}

}  // namespace jit::wire::detail
