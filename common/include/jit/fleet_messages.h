// Typed views of the fleet messages (protocol.h): FLEET_FRESH, jit-fleet's
// heartbeat to jitd, and FLEET_ADMIN_REQUEST/REPLY, jitctl --fleet's
// exchange with jit-fleet.  Same conventions as messages.h.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "jit/messages.h"

namespace jit::msg {

struct FleetFresh {  // FLEET_FRESH_REQUEST and FLEET_FRESH_REPLY
    int64_t until = 0;
};

struct FleetAdminRequest {
    std::string op;                 // request, approve, revoke, list
    std::vector<std::string> args;  // the operation's words
};

struct FleetAdminReply {
    std::vector<std::string> lines;
};

// type is FleetFreshRequest or FleetFreshReply.
Result<Frame> encode(proto::MsgType type, const FleetFresh& m, uint32_t request_id);
Result<Frame> encode(const FleetAdminRequest& m, uint32_t request_id);
Result<Frame> encode(const FleetAdminReply& m, uint32_t request_id);
FleetFresh decode_fleet_fresh(const wire::MessageView& v);
FleetAdminRequest decode_fleet_admin_request(const wire::MessageView& v);
FleetAdminReply decode_fleet_admin_reply(const wire::MessageView& v);

}  // namespace jit::msg
