#include "jit/fleet_messages.h"

#include "jit/message_codec.h"

namespace jit::msg {

Result<Frame> encode(proto::MsgType type, const FleetFresh& m, uint32_t id) {
    return encode_as(type, m, id);
}
Result<Frame> encode(const FleetAdminRequest& m, uint32_t id) {
    return encode_as(proto::MsgType::FleetAdminRequest, m, id);
}
Result<Frame> encode(const FleetAdminReply& m, uint32_t id) {
    return encode_as(proto::MsgType::FleetAdminReply, m, id);
}
FleetFresh decode_fleet_fresh(const wire::MessageView& v) {
    return decode_as<FleetFresh>(v);
}
FleetAdminRequest decode_fleet_admin_request(const wire::MessageView& v) {
    return decode_as<FleetAdminRequest>(v);
}
FleetAdminReply decode_fleet_admin_reply(const wire::MessageView& v) {
    return decode_as<FleetAdminReply>(v);
}

}  // namespace jit::msg
