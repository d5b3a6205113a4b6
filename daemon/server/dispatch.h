// Default-deny dispatch: a table of {request type, who may call it, handler}.
// A request type not in the table, or a caller the table does not admit, gets
// an ERROR_REPLY and nothing else happens.
#pragma once

#include "jit/messages.h"
#include "jit/wire.h"
#include "daemon/service/service.h"

namespace jit::daemon {

enum class Access {
    Checker,  // root or jitd's own uid (the PAM stack runs as root)
    Admin,    // root, jitd's own uid, or a member of admin_group
    Anyone,   // any local user
    Root,     // uid 0 only (pam_jit's auth phase in sshd): not jitd's uid, not admins
};

class Dispatcher {
public:
    explicit Dispatcher(JitService& service) : service_(service) {}

    // Answers one validated request frame.  Never fails: every problem becomes
    // an ERROR_REPLY frame.
    msg::Frame handle(const Caller& caller, const wire::MessageView& request);

    // Whether the caller's supplementary groups (SO_PEERGROUPS) can matter to
    // a request of this type.  Checker operations are admitted by uid alone
    // and never look at groups, so a CHECK does not pay for reading them.
    static bool needs_groups(proto::MsgType type);

    // Whether a request may join the turn's group commit (Store::begin_group):
    // a write that touches nothing the other members read, in one StoreTx.
    static bool groupable(const wire::MessageView& request);
    // An ERROR_REPLY with code and message (a group member whose commit failed).
    static msg::Frame failure(uint32_t request_id, int code, const std::string& message);
    // The reply for a frame that did not decode (EPROTO/EMSGSIZE).
    static msg::Frame protocol_error(uint32_t request_id, const Error& error);
    // An EPERM ERROR_REPLY, for a request refused before dispatch.
    static msg::Frame refusal(uint32_t request_id, const std::string& message);

private:
    JitService& service_;
};

}  // namespace jit::daemon
