// IDENTITY_LOGIN's named encoders and decoders: encode_as/decode_as
// (message_codec.h) for its structs, as messages.cc does for the others.
#include "jit/identity_messages.h"

#include "jit/message_codec.h"

namespace jit::msg {

using proto::MsgType;

Result<Frame> encode(const IdentityLoginRequest& m, uint32_t id) {
    return encode_as(MsgType::IdentityLoginRequest, m, id);
}

Result<Frame> encode(const IdentityLoginReply& m, uint32_t id) {
    return encode_as(MsgType::IdentityLoginReply, m, id);
}

IdentityLoginRequest decode_identity_login_request(const wire::MessageView& v) {
    return decode_as<IdentityLoginRequest>(v);
}

IdentityLoginReply decode_identity_login_reply(const wire::MessageView& v) {
    return decode_as<IdentityLoginReply>(v);
}

}  // namespace jit::msg
