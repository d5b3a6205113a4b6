// COMMAND_CHECK_REQUEST's named encoder and decoder: encode_as/decode_as
// (message_codec.h) for its struct, as messages.cc does for the others.
#include "jit/command_messages.h"

#include "jit/message_codec.h"

namespace jit::msg {

Result<Frame> encode(const CommandCheckRequest& m, uint32_t id) {
    return encode_as(proto::MsgType::CommandCheckRequest, m, id);
}

CommandCheckRequest decode_command_check_request(const wire::MessageView& v) {
    return decode_as<CommandCheckRequest>(v);
}

}  // namespace jit::msg
