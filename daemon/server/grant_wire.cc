#include "daemon/server/grant_wire.h"

namespace jit::daemon {

GrantAsk from_wire(const msg::GrantRequest& m) {
    GrantAsk a;
    a.user = m.user;
    a.services = m.services;
    a.reason = m.reason;
    a.source = m.source;
    a.duration = m.duration;
    a.not_before = m.not_before;
    a.not_after = m.not_after;
    a.until_session_end = m.until_session_end;
    a.uses = m.uses;
    a.groups = m.groups;
    a.commands = m.commands;
    a.runas = m.runas;
    a.fleet_id = m.fleet_id;
    return a;
}

RevokeAsk from_wire(const msg::RevokeRequest& m) {
    return RevokeAsk{m.grant_id, m.user, m.reason};
}

}  // namespace jit::daemon
