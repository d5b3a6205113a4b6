// Typed forms of IDENTITY_LOGIN_REQUEST and IDENTITY_LOGIN_REPLY
// (protocol.h, types 51-52), a workload logging in with its OIDC token, for
// jitd, jitctl and the tests.  Same conventions as messages.h.  (pam_jit.so
// uses the allocation-free forms in message_views.h.)
#pragma once

#include <stdint.h>

#include <optional>
#include <string>

#include "jit/messages.h"

namespace jit::msg {

struct IdentityLoginRequest {
    std::string user, service, rhost;
    std::string id_token;  // a bearer secret: never logged
};

struct IdentityLoginReply {
    proto::Decision decision = proto::Decision::Deny;
    std::string grant_id;    // allow: the grant created
    std::string request_id;  // deny: the request waiting for approvers, if any
    std::optional<int64_t> not_after;
    std::string message;  // deny: why
};

Result<Frame> encode(const IdentityLoginRequest& m, uint32_t request_id);
Result<Frame> encode(const IdentityLoginReply& m, uint32_t request_id);
IdentityLoginRequest decode_identity_login_request(const wire::MessageView& v);
IdentityLoginReply decode_identity_login_reply(const wire::MessageView& v);

}  // namespace jit::msg
