// Allocation-free forms of the messages the modules send and read, for
// codec::encode_into and codec::decode_into.  Their members carry the names
// the declarations in protocol.h use, so they follow the same layout as the
// jit::msg structs without the C++ runtime: strings are views (into the
// caller's text when encoding, into the frame buffer when decoding), and an
// optional integer reads as 0 when absent.  Size the buffers with
// wire::max_frame_size and wire::max_reply_size.
#pragma once

#include <stdint.h>

#include <string_view>

#include "jit/codec.h"

namespace jit::view {

struct CheckRequest {
    std::string_view user, service, rhost, tty, ruser;
};

struct CheckReply {
    proto::Decision decision{};  // 0: neither allow nor deny
    std::string_view reason, grant_id;
    int64_t not_after = 0;
    std::string_view rule;
};

struct SessionOpenRequest {
    std::string_view user, service;
    uint64_t pid = 0;
    std::string_view rhost, tty, ruser, logind_session;
};

struct SessionOpenReply {
    proto::Decision decision{};
    std::string_view reason, session_id, grant_id;
    int64_t not_after = 0;
};

struct SessionCloseRequest {
    uint64_t pid = 0;
    std::string_view session_id, user, service;
};

// IDENTITY_LOGIN_REQUEST and its reply (pam_jit's auth phase).
struct IdentityLoginRequest {
    std::string_view user, service, rhost, id_token;
};

struct IdentityLoginReply {
    proto::Decision decision{};
    std::string_view grant_id, request_id;
    int64_t not_after = 0;
    std::string_view message;
};

struct ErrorReply {
    uint64_t code = 0;
    std::string_view message;
};

}  // namespace jit::view
