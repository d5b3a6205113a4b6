// COMMAND_CHECK_REQUEST's and COMMAND_EXIT_REQUEST's named encoders and decoders:
// encode_as/decode_as (message_codec.h) for its struct, as messages.cc does for the others.
#include "jit/command_messages.h"

#include "jit/message_codec.h"

namespace jit::msg {

Result<Frame> encode(const CommandCheckRequest& m, uint32_t id) {
    return encode_as(proto::MsgType::CommandCheckRequest, m, id);
}

CommandCheckRequest decode_command_check_request(const wire::MessageView& v) {
    return decode_as<CommandCheckRequest>(v);
}

Result<Frame> encode(const CommandExitRequest& m, uint32_t id) {
    return encode_as(proto::MsgType::CommandExitRequest, m, id);
}

CommandExitRequest decode_command_exit_request(const wire::MessageView& v) {
    return decode_as<CommandExitRequest>(v);
}

Result<Frame> encode_command_exit_reply(uint32_t id) {
    return encode_as(proto::MsgType::CommandExitReply, NoFields{}, id);
}

}  // namespace jit::msg
